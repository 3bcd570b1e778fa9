//! TypeDB Cloud's administration API (`cloud.typedb.com/api/v1`). Spec: `docs/spec/typedb.md`.
//!
//! Client credentials are exchanged for an access token (`POST /api/v1/auth`), which then
//! lists, deploys, updates, suspends, resumes, clones and destroys clusters in the one team
//! space it is scoped to. Teams, spaces and API tokens come from the control API
//! (`/_offcloud/typedb`, see `control.rs`), as the real service only makes them in its web UI.
//! Cluster statuses advance on the session clock (`--typedb-starting` and friends).

mod auth;
mod control;
mod error;
mod fixtures;
mod model;
mod openapi;
mod registration;
mod routes;
mod settings;
mod store;
mod validation;

use axum::Router;
use axum::routing::{MethodRouter, delete, get, post, put};

use crate::AppState;

pub use registration::Typedb;
pub use settings::Settings;

/// The canonical `/api/v1` paths, and the `/api` ones of earlier revisions of the docs and the
/// official scripts (emulator choice, docs/spec/typedb.md §2). The org/projects era answers through
/// the same handlers: its path parameters are the team and the space.
const BASES: &[&str] = &["/api/v1", "/api"];
const SCOPES: &[&str] = &[
    "/team/{team}/spaces/{space}",
    "/org/{team}/projects/{space}",
];

/// Every route, in one table: the router is built from it, and the OpenAPI coverage test reads
/// its paths.
fn routes() -> Vec<(String, MethodRouter<AppState>)> {
    use routes::*;
    let mut table = Vec::new();
    for base in BASES {
        table.push((format!("{base}/auth"), post(exchange_token)));
        table.push((format!("{base}/cluster-versions"), get(cluster_versions)));
        for scope in SCOPES {
            let clusters = format!("{base}{scope}/clusters");
            table.push((clusters.clone(), get(list_clusters)));
            // A static segment: `…/clusters/deploy` never reaches `{cluster}`
            // (docs/spec/typedb.md §3).
            table.push((format!("{clusters}/deploy"), post(deploy)));
            table.push((
                format!("{clusters}/{{cluster}}"),
                get(get_cluster)
                    .patch(update_cluster)
                    .delete(destroy_cluster),
            ));
            table.push((
                format!("{clusters}/{{cluster}}/suspend"),
                post(suspend_cluster),
            ));
            table.push((
                format!("{clusters}/{{cluster}}/resume"),
                post(resume_cluster),
            ));
            table.push((format!("{clusters}/{{cluster}}/clone"), post(clone_cluster)));
        }
    }
    table
}

/// The paths the router serves, as templates (`/api/v1/auth`, `…/clusters/{cluster}`).
pub fn route_templates() -> Vec<String> {
    routes().into_iter().map(|(path, _)| path).collect()
}

/// The OpenAPI document of the routes (`/_offcloud/openapi/typedb.json`).
pub fn openapi() -> utoipa::openapi::OpenApi {
    openapi::document()
}

pub fn router(state: AppState) -> Router {
    let mut router = Router::new();
    for (path, methods) in routes() {
        router = router.route(&path, methods);
    }
    router
        .fallback(routes::not_found)
        .method_not_allowed_fallback(routes::method_not_allowed)
        .with_state(state)
}

/// Provisioning routes under `/_offcloud/typedb` (docs/spec/typedb.md §12).
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
