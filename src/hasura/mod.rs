//! Hasura Cloud's management API (GraphQL at `data.pro.hasura.io/v1/graphql`), as specified in
//! `docs/spec/hasura.md`. One endpoint, `POST /v1/graphql`: a small Hasura-style engine
//! ([`engine`]) answers the table fields from the caller's rows and runs the business actions
//! ([`actions`]); every GraphQL-level error is HTTP 200 in Hasura's envelope ([`error`]). The
//! caller is a PAT's user or the anonymous role ([`auth`]).

pub(crate) mod actions;
pub(crate) mod auth;
mod control;
pub(crate) mod engine;
mod error;
mod fixtures;
mod introspection;
pub(crate) mod model;
mod registration;
mod routes;
pub(crate) mod schema;
pub(crate) mod seeds;
mod settings;
pub(crate) mod store;

use axum::Router;
use axum::routing::post;

use crate::AppState;

pub use registration::Hasura;
pub use settings::Settings;

/// The GraphQL schema the service answers, in SDL (`/_offcloud/schema/hasura.graphql`).
pub fn sdl() -> Option<String> {
    introspection::sdl()
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route(
            "/v1/graphql",
            post(routes::graphql).get(routes::graphql_get),
        )
        .fallback(routes::not_found)
        .method_not_allowed_fallback(routes::method_not_allowed)
        .with_state(state)
}

/// The emulator's own routes under `/_offcloud/hasura`.
pub fn control_router() -> Router<AppState> {
    Router::new()
        .route("/users", post(control::create_user))
        .route("/preview-app-outcomes", post(control::set_preview_outcome))
}
