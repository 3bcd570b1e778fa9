//! Dgraph Cloud: the Cerebro control plane and each deployment's data plane. Spec: `shared/spec/dgraph.md`.
//!
//! Not built yet: every path answers 404 until its issue lands.

use axum::Router;
use axum::http::StatusCode;

use crate::AppState;

/// This service's flags, flattened into the command line (`--dgraph-*`, `OFFCLOUD_DGRAPH_*`).
#[derive(Debug, Clone, clap::Args)]
#[group(id = "dgraph_settings")]
pub struct Settings {}

/// State shared by every session of one running offcloud.
#[derive(Clone, Default)]
pub struct Shared {}

pub fn router(state: AppState) -> Router {
    Router::new()
        .fallback(|| async { StatusCode::NOT_FOUND })
        .with_state(state)
}

/// Provisioning routes under `/_offcloud/dgraph` (SPEC.md, "The emulator's own control API").
pub fn control_router() -> Router<AppState> {
    Router::new()
}
