//! Dgraph's handlers, thin, one module per front: `cli.rs` (the slash-graphql CLI's REST routes,
//! docs/spec/dgraph.md §8.3, §8.6), `cerebro.rs` (Cerebro's GraphQL entry, §4), `dataplane.rs`
//! (a backend's data plane, §5–§7) and `control.rs` (`/_offcloud/dgraph`, provisioning).

pub mod cerebro;
pub mod cli;
pub mod control;
pub mod dataplane;

use axum::Router;
use axum::routing::{MethodRouter, patch, post};

use super::error::{ApiError, RestError};
use super::registration::NAME;
use crate::AppState;

/// The control plane's routes, in one table: the router is built from it, and the OpenAPI
/// coverage test reads its paths.
pub fn rest_routes() -> Vec<(&'static str, MethodRouter<AppState>)> {
    vec![
        ("/graphql", post(cerebro::graphql)),
        ("/command-line/device-code", post(cli::device_code)),
        ("/command-line/access-token", post(cli::access_token)),
        ("/command-line/access-token/refresh", post(cli::refresh)),
        ("/command-line/access-token/revoke", post(cli::revoke)),
        (
            "/command-line/access-token/revoke-all",
            post(cli::revoke_all),
        ),
        ("/deployments/create", post(cli::create_deployment)),
        (
            "/deployment/{uid}",
            patch(cli::update_deployment).delete(cli::delete_deployment),
        ),
        ("/deployments/{uid}/api-keys", post(cli::create_api_key)),
    ]
}

/// Cerebro's `/graphql` and the CLI's REST routes; anything else is answered in the REST shape.
pub fn control_plane(state: AppState) -> Router {
    let mut router = Router::new();
    for (path, methods) in rest_routes() {
        router = router.route(path, methods);
    }
    let router = router
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed);
    // Checked against the descriptions here, where the routes are: the front door's layer sees
    // only the dispatch in `super::router`.
    crate::contract::routes(router, NAME).with_state(state)
}

/// Provisioning routes under `/_offcloud/dgraph` (docs/design.md, "The emulator's own control
/// API").
pub fn control_router() -> Router<AppState> {
    Router::new().route("/accounts", post(control::create_account))
}

pub use dataplane::router as data_plane;

async fn not_found() -> RestError {
    ApiError::NoRoute.into()
}

async fn method_not_allowed() -> RestError {
    ApiError::MethodNotAllowed.into()
}
