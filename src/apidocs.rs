//! API descriptions as the services publish them: what a service's OpenAPI document says of
//! itself, operation ids made unique, and [`ApiDoc`], what a service hands the control API to serve
//! under `/_offcloud/openapi` and `/_offcloud/schema`.

/// One API description of a service.
pub enum ApiDoc {
    /// `/_offcloud/openapi/<service>.json`, generated from the handlers' annotations; its
    /// `servers` list the real service's base URL first.
    OpenApi {
        real_url: &'static str,
        document: fn() -> utoipa::openapi::OpenApi,
    },
    /// `/_offcloud/schema/<name>.graphql`, printed from the schema the service executes; `None`
    /// when it does not build.
    Sdl {
        name: &'static str,
        sdl: fn() -> Option<String>,
    },
}

/// What every document says of itself: which service, and that offcloud emulates it.
pub fn info(service: &str, description: &str) -> utoipa::openapi::Info {
    let mut info = utoipa::openapi::Info::new(
        format!("{service} (offcloud emulation)"),
        env!("CARGO_PKG_VERSION").to_owned(),
    );
    info.description = Some(format!(
        "{description}\n\nThe API as offcloud {} emulates it, generated from its code.",
        env!("CARGO_PKG_VERSION")
    ));
    info
}

/// utoipa names an operation after its handler; a handler serving several methods or paths
/// would repeat it, which OpenAPI forbids: later ones get the method (and a number) appended.
pub fn unique_operation_ids(doc: &mut utoipa::openapi::OpenApi) {
    let mut seen = std::collections::HashSet::new();
    for (_, item) in doc.paths.paths.iter_mut() {
        let operations = [
            ("get", &mut item.get),
            ("put", &mut item.put),
            ("post", &mut item.post),
            ("delete", &mut item.delete),
            ("patch", &mut item.patch),
        ];
        for (method, operation) in operations {
            let Some(operation) = operation else { continue };
            let Some(id) = operation.operation_id.clone() else {
                continue;
            };
            let mut unique = id.clone();
            let mut n = 1;
            while !seen.insert(unique.clone()) {
                n += 1;
                unique = if n == 2 {
                    format!("{id}_{method}")
                } else {
                    format!("{id}_{method}_{n}")
                };
            }
            operation.operation_id = Some(unique);
        }
    }
}
