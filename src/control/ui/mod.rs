//! The dashboard (`/_offcloud/ui/` on the main listener): one page of plain HTML, CSS and
//! JavaScript compiled into the binary, with no build step and nothing fetched from elsewhere.
//! It reads and acts only through the control API (`/_offcloud/...`), so it can do nothing a
//! script could not, with the same checks; its state tables come from `/_offcloud/tables`
//! (`control::tables`), which leaves secrets out.
//!
//! The page is served with a strict Content-Security-Policy: scripts, styles and requests from
//! its own origin only, nothing inline, no frames. Every value from the services is put in the
//! page as text, never as markup.

use axum::Router;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

use crate::AppState;

/// Where the dashboard is, on the main listener.
pub const PATH: &str = "/_offcloud/ui/";

/// The dashboard's routes, under the control API's prefix.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/ui", get(|| async { Redirect::permanent(PATH) }))
        .route("/ui/", get(index))
        .route("/ui/{file}", get(asset))
        .route("/tables", get(super::tables::catalogue))
        .route("/tables/{service}/{table}", get(super::tables::rows))
}

/// The files of the page: name, content type, bytes.
const ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "index.html",
        "text/html; charset=utf-8",
        include_bytes!("assets/index.html"),
    ),
    (
        "app.css",
        "text/css; charset=utf-8",
        include_bytes!("assets/app.css"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_bytes!("assets/app.js"),
    ),
    (
        "icon.svg",
        "image/svg+xml",
        include_bytes!("assets/icon.svg"),
    ),
];

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
     connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

async fn index() -> Response {
    serve("index.html")
}

async fn asset(Path(file): Path<String>) -> Response {
    serve(&file)
}

fn serve(file: &str) -> Response {
    match ASSETS.iter().find(|(name, _, _)| *name == file) {
        Some((_, content_type, bytes)) => (
            [
                (header::CONTENT_TYPE, *content_type),
                (header::CONTENT_SECURITY_POLICY, CSP),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
                (header::REFERRER_POLICY, "no-referrer"),
                // Small files that change with the binary: always revalidated, never stale.
                (header::CACHE_CONTROL, "no-cache"),
            ],
            *bytes,
        )
            .into_response(),
        None => super::error::response(
            StatusCode::NOT_FOUND,
            &format!("no file {file:?} in the dashboard: it is at {PATH}"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_and_its_assets_stay_small() {
        let total: usize = ASSETS.iter().map(|(_, _, bytes)| bytes.len()).sum();
        // The budget is 300 KB for everything the dashboard adds to the binary.
        assert!(
            total < 150 * 1024,
            "the dashboard's assets weigh {total} bytes"
        );
    }

    #[test]
    fn the_page_loads_nothing_from_elsewhere() {
        for (name, _, bytes) in ASSETS {
            let text = String::from_utf8_lossy(bytes);
            for needle in ["http://", "https://", "//cdn", "@import"] {
                // The SVG namespace is a name, not a request.
                let found = text
                    .match_indices(needle)
                    .any(|(i, _)| !text[i..].starts_with("http://www.w3.org/2000/svg"));
                assert!(!found, "{name} mentions {needle}");
            }
        }
    }
}
