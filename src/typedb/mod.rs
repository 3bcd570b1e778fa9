//! TypeDB Cloud's administration API (`cloud.typedb.com/api/v1`). Spec: `shared/spec/typedb.md`.
//!
//! Client credentials are exchanged for an access token (`POST /api/v1/auth`), which then
//! lists, deploys, updates, suspends, resumes, clones and destroys clusters in the one team
//! space it is scoped to. Teams, spaces and API tokens come from the control API
//! (`/_offcloud/typedb`, see `control.rs`), as the real service only makes them in its web UI.
//! Cluster statuses advance on the session clock (`--typedb-starting` and friends).

mod auth;
mod control;
pub(crate) mod error;
pub(crate) mod model;
mod routes;
mod settings;
pub(crate) mod store;
pub(crate) mod validation;

use axum::Router;
use axum::routing::{delete, get, post, put};

use crate::AppState;

pub use settings::Settings;

/// State shared by every session of one running offcloud: none yet, everything is per session.
#[derive(Clone, Default)]
pub struct Shared {}

/// The canonical `/api/v1` paths, and the `/api` ones of earlier revisions of the docs and the
/// official scripts (emulator choice, spec §2). The org/projects era answers through the same
/// handlers: its path parameters are the team and the space.
const BASES: &[&str] = &["/api/v1", "/api"];
const SCOPES: &[&str] = &[
    "/team/{team}/spaces/{space}",
    "/org/{team}/projects/{space}",
];

pub fn router(state: AppState) -> Router {
    use routes::*;
    let mut router = Router::new();
    for base in BASES {
        router = router
            .route(&format!("{base}/auth"), post(exchange_token))
            .route(&format!("{base}/cluster-versions"), get(cluster_versions));
        for scope in SCOPES {
            let clusters = format!("{base}{scope}/clusters");
            router = router
                .route(&clusters, get(list_clusters))
                // A static segment: `…/clusters/deploy` never reaches `{cluster}` (spec §3).
                .route(&format!("{clusters}/deploy"), post(deploy))
                .route(
                    &format!("{clusters}/{{cluster}}"),
                    get(get_cluster)
                        .patch(update_cluster)
                        .delete(destroy_cluster),
                )
                .route(
                    &format!("{clusters}/{{cluster}}/suspend"),
                    post(suspend_cluster),
                )
                .route(
                    &format!("{clusters}/{{cluster}}/resume"),
                    post(resume_cluster),
                )
                .route(
                    &format!("{clusters}/{{cluster}}/clone"),
                    post(clone_cluster),
                );
        }
    }
    router
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
}

/// Provisioning routes under `/_offcloud/typedb` (SPEC.md, "The emulator's own control API").
pub fn control_router() -> Router<AppState> {
    Router::new()
        .route("/tokens", post(control::create_token))
        .route("/tokens/{client_id}", delete(control::revoke_token))
        .route("/teams", post(control::put_team))
        .route(
            "/teams/{team}/spaces/{space}/clusters/{id}/status",
            put(control::force_status),
        )
}
