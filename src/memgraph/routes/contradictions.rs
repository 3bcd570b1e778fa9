//! Contradictions (docs/spec/memgraph.md §7.3): recorded when a write supersedes an active
//! belief with another value (`store/contradictions.rs` holds the rule), listed by v2 and, the
//! open ones, by v1's `contradictions()`, so the two agree; settled by `PATCH`.

use axum::Json;

use super::Result;
use crate::memgraph::auth::{Authorized, Editor, Viewer};
use crate::memgraph::error::{ApiError, HttpError};
use crate::memgraph::model::UserQuery;
use crate::memgraph::model::decisions::{
    Contradiction, ContradictionQuery, ContradictionReport, Resolution, ResolveContradiction,
};
use crate::memgraph::openapi;
use crate::memgraph::store::Store;
use crate::memgraph::validation::PathParam;
use crate::memgraph::validation::{Body, Query};

/// How many open contradictions `GET /v1/intelligence/contradictions` lists (the newest).
const REPORT_MAX: i64 = 200;

/// Newest first, a bare list.
#[utoipa::path(
    get,
    path = "/v2/contradictions",
    tag = "decisions",
    params(ContradictionQuery),
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "Contradictions, newest first", body = Vec<Contradiction>),
        openapi::Authed,
    ),
)]
pub async fn list_contradictions(
    auth: Authorized<Viewer>,
    store: Store,
    Query(q): Query<ContradictionQuery>,
) -> Result<Json<Vec<Contradiction>>> {
    let found = store
        .contradictions(
            &auth.caller.tenant_id,
            q.status.map(|s| s.as_str()),
            q.subject_id.as_deref(),
            q.limit.unwrap_or(50),
        )
        .await?;
    Ok(Json(found))
}

/// Sets `resolution_status` (`resolved` by default, or `dismissed`) and `resolved_by`
/// (`manual` by default). The active belief stays the newest version, as the supersede rule
/// decided: settling a contradiction changes no belief.
#[utoipa::path(
    patch,
    path = "/v2/contradictions/{contradiction_id}",
    tag = "decisions",
    params(("contradiction_id" = String, Path)),
    request_body = ResolveContradiction,
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "The contradiction, settled", body = Contradiction),
        (status = 404, description = "Contradiction not found", body = HttpError),
        openapi::Authed,
    ),
)]
pub async fn resolve_contradiction(
    auth: Authorized<Editor>,
    store: Store,
    PathParam(id): PathParam,
    Body(body): Body<ResolveContradiction>,
) -> Result<Json<Contradiction>> {
    let status = match body.resolution_status.unwrap_or(Resolution::Resolved) {
        Resolution::Resolved => "resolved",
        Resolution::Dismissed => "dismissed",
    };
    let resolved_by = body.resolved_by.unwrap_or_else(|| "manual".to_owned());
    let settled = store
        .resolve_contradiction(&auth.caller.tenant_id, &id, status, &resolved_by)
        .await?
        .ok_or(ApiError::NotFound("Contradiction not found"))?;
    Ok(Json(settled))
}

/// `GET /v1/intelligence/contradictions` (the SDK's `contradictions()`): the open ones, newest
/// first (at most 200), exactly as `GET /v2/contradictions?status=open` lists them.
#[utoipa::path(
    get,
    path = "/v1/intelligence/contradictions",
    tag = "memory",
    params(UserQuery),
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "The open contradictions", body = ContradictionReport),
        openapi::Authed,
    ),
)]
pub async fn contradictions(
    auth: Authorized<Viewer>,
    store: Store,
    Query(q): Query<UserQuery>,
) -> Result<Json<ContradictionReport>> {
    let open = store
        .contradictions(
            &auth.caller.tenant_id,
            Some("open"),
            q.user_id.as_deref(),
            REPORT_MAX,
        )
        .await?;
    Ok(Json(ContradictionReport {
        count: open.len(),
        contradictions: open,
    }))
}
