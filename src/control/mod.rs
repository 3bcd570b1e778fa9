//! The emulator's own control API, under `/_offcloud` on the main listener (SPEC.md, "The
//! emulator's own control API"): health, info, reset. Fixtures, snapshots, the request journal,
//! faults and the clock join it later.

pub mod error;
mod routes;

use axum::Router;
use axum::routing::{get, post};

use crate::AppState;

/// The path segment the control API lives under on the main listener.
pub const PREFIX: &str = "_offcloud";

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/health", get(routes::health))
        .route("/info", get(routes::info))
        .route("/reset", post(routes::reset))
        .nest("/typedb", crate::typedb::control_router())
        .nest("/hasura", crate::hasura::control_router())
        .nest("/dgraph", crate::dgraph::control_router())
        .fallback(routes::not_found)
        .method_not_allowed_fallback(routes::method_not_allowed)
        .with_state(state)
}
