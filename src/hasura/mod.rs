//! Hasura Cloud's management API (GraphQL at `data.pro.hasura.io/v1/graphql`). Spec: `shared/spec/hasura.md`.
//!
//! Not built yet: every path answers 404 until its issue lands.

use axum::Router;
use axum::http::StatusCode;

use crate::AppState;

/// This service's flags, flattened into the command line (`--hasura-*`, `OFFCLOUD_HASURA_*`).
#[derive(Debug, Clone, clap::Args)]
#[group(id = "hasura_settings")]
pub struct Settings {}

/// State shared by every session of one running offcloud.
#[derive(Clone, Default)]
pub struct Shared {}

pub fn router(state: AppState) -> Router {
    Router::new()
        .fallback(|| async { StatusCode::NOT_FOUND })
        .with_state(state)
}

/// Provisioning routes under `/_offcloud/hasura` (SPEC.md, "The emulator's own control API").
pub fn control_router() -> Router<AppState> {
    Router::new()
}
