//! Dgraph Cloud: the Cerebro control plane and each deployment's data plane. Spec:
//! `docs/spec/dgraph.md`.
//!
//! One origin serves Cerebro's GraphQL (`/graphql`) and the CLI's REST routes (docs/spec/dgraph.md
//! §11, choice 1). A request is for a backend's data plane instead when it comes to the backend's
//! own port (`backends.rs`), carries a backend host name (`<subdomain>.<zone>.aws.cloud.dgraph.io`,
//! `<subdomain>.dgraph.localhost`), or a `/backends/<subdomain>/` path prefix: [`backend_of`]
//! decides, for the Dgraph listener and the `/dgraph` prefix alike.
//!
//! Layout: `routes/` (the REST control plane, Cerebro's GraphQL entry, the data plane and the
//! provisioning route), `auth.rs` (who may call what), `error.rs` (every error and its wire
//! shapes), `service.rs` (what Cerebro does), `store/` (the SQL), `schema/` (the GraphQL APIs),
//! `graphql.rs` (GraphQL over HTTP), `backends.rs` (the backends' own ports), `registration.rs`
//! (Dgraph as the core sees it), `fixtures.rs` (its section of a fixture document),
//! `openapi.rs` (the REST routes' description).

mod auth;
mod backends;
mod error;
mod export;
mod extract;
mod fixtures;
mod graphql;
pub(crate) mod model;
mod openapi;
mod registration;
mod routes;
mod schema;
pub(crate) mod service;
mod settings;
pub(crate) mod store;
mod userapi;

use std::convert::Infallible;

use axum::Router;
use axum::extract::Request;
use axum::http::uri::PathAndQuery;
use axum::http::{Uri, header};
use tower::ServiceExt;

use crate::AppState;

pub use registration::Dgraph;
pub use settings::{PortRange, Settings};

/// Dgraph's GraphQL APIs: Cerebro, and a deployment's `/admin` and `/admin/slash`.
#[derive(Debug, Clone, Copy)]
pub enum GraphqlApi {
    Cerebro,
    Admin,
    Slash,
}

/// The schema of one of them in SDL (`/_offcloud/schema/dgraph*.graphql`).
pub fn sdl(api: GraphqlApi) -> String {
    let schemas = schema::Schemas::build();
    match api {
        GraphqlApi::Cerebro => schemas.cerebro.sdl(),
        GraphqlApi::Admin => schemas.admin.sdl(),
        GraphqlApi::Slash => schemas.slash.sdl(),
    }
}

/// The control plane's paths, as templates (`/deployment/{uid}`).
pub fn rest_route_templates() -> Vec<&'static str> {
    routes::rest_routes()
        .into_iter()
        .map(|(path, _)| path)
        .collect()
}

/// The OpenAPI document of the control plane's routes (`/_offcloud/openapi/dgraph.json`).
pub fn openapi() -> utoipa::openapi::OpenApi {
    openapi::document()
}

/// Provisioning routes under `/_offcloud/dgraph` (docs/design.md, "The emulator's own control API").
pub fn control_router() -> Router<AppState> {
    routes::control_router()
}

/// Which backend a data-plane request is for.
#[derive(Debug, Clone)]
pub(crate) enum BackendRef {
    /// By its own port.
    Uid(String),
    /// By host name or path prefix.
    Subdomain(String),
}

/// Cerebro and the REST routes, or a backend's data plane: [`backend_of`] picks.
pub fn router(state: AppState) -> Router {
    let control_plane = routes::control_plane(state.clone());
    let data_plane = routes::data_plane(state);
    Router::new().fallback_service(tower::service_fn(move |mut req: Request| {
        let router = match backend_of(&req) {
            Some((backend, path)) => {
                if let Some(path) = path {
                    *req.uri_mut() = path;
                }
                req.extensions_mut().insert(backend);
                data_plane.clone()
            }
            None => control_plane.clone(),
        };
        async move {
            match router.oneshot(req).await {
                Ok(response) => Ok::<_, Infallible>(response),
                Err(never) => match never {},
            }
        }
    }))
}

/// The path prefix that reaches a backend's data plane on the Dgraph listener or under `/dgraph`
/// on the main port: `/backends/<subdomain>/admin` (an emulator choice; the real service has one
/// host per backend).
const BACKEND_PATH_PREFIX: &str = "/backends/";

/// The backend a request names by its Host header or its path, and the URI the data plane should
/// see when the path named it. `None`: the request is for Cerebro.
fn backend_of(req: &Request) -> Option<(BackendRef, Option<Uri>)> {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(|h| h.split(':').next().unwrap_or(h).to_ascii_lowercase());
    if let Some(sub) = host.as_deref().and_then(backend_of_host) {
        return Some((BackendRef::Subdomain(sub.to_owned()), None));
    }
    let after = req.uri().path().strip_prefix(BACKEND_PATH_PREFIX)?;
    let (sub, rest) = after.split_at(after.find('/').unwrap_or(after.len()));
    let rest = if rest.is_empty() { "/" } else { rest };
    let rewritten = match req.uri().query() {
        Some(q) => format!("{rest}?{q}"),
        None => rest.to_owned(),
    };
    let uri = Uri::from(PathAndQuery::try_from(rewritten).ok()?);
    Some((BackendRef::Subdomain(sub.to_owned()), Some(uri)))
}

/// The subdomain in a backend host name: `<sub>.<zone>.aws.cloud.dgraph.io` (docs/spec/dgraph.md
/// §9.2) or `<sub>.dgraph.localhost`.
fn backend_of_host(host: &str) -> Option<&str> {
    let host = host.trim_end_matches('.');
    if let Some(rest) = host.strip_suffix(".aws.cloud.dgraph.io") {
        let (sub, zone) = rest.split_once('.')?;
        return (!sub.is_empty() && !zone.is_empty() && !zone.contains('.')).then_some(sub);
    }
    let sub = host.strip_suffix(".dgraph.localhost")?;
    (!sub.is_empty() && !sub.contains('.')).then_some(sub)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_hosts_name_their_subdomain() {
        assert_eq!(
            backend_of_host("polished-violet.us-east-1.aws.cloud.dgraph.io"),
            Some("polished-violet")
        );
        assert_eq!(backend_of_host("lively.dgraph.localhost"), Some("lively"));
        assert_eq!(backend_of_host("cerebro.cloud.dgraph.io"), None);
        assert_eq!(backend_of_host("dgraph.localhost"), None);
        assert_eq!(backend_of_host("localhost"), None);
    }

    #[test]
    fn a_backend_path_prefix_is_cut_from_the_uri_the_data_plane_sees() {
        let req = Request::builder()
            .uri("/backends/lively/admin/slash?x=1")
            .body(axum::body::Body::empty())
            .unwrap();
        let (backend, uri) = backend_of(&req).unwrap();
        assert!(matches!(backend, BackendRef::Subdomain(s) if s == "lively"));
        assert_eq!(uri.unwrap(), "/admin/slash?x=1");
        let req = Request::builder()
            .uri("/graphql")
            .body(axum::body::Body::empty())
            .unwrap();
        assert!(backend_of(&req).is_none());
    }
}
