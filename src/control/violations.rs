//! `GET /_offcloud/contract/violations` (`?session=`, `?service=`, `?limit=` keeping the newest):
//! every request of the session that broke the real API's contract, and the rule it broke;
//! `DELETE` clears them.
//! `GET`/`POST /_offcloud/contract`: the session's `strict` setting (docs/design.md, "Contract
//! testing").

use axum::Json;
use axum::extract::{Query, Request, State};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::contract;
use crate::control_error::ControlError;

#[derive(Deserialize)]
pub struct ViolationsQuery {
    service: Option<String>,
    limit: Option<usize>,
}

fn query_of(state: &AppState, req: &Request) -> Result<ViolationsQuery, ControlError> {
    let query: ViolationsQuery = Query::try_from_uri(req.uri())
        .map(|Query(q)| q)
        .map_err(|e| ControlError::bad_request(&e.body_text()))?;
    contract::select(&state.services, query.service.as_deref())
        .map_err(|e| ControlError::bad_request(&e))?;
    Ok(query)
}

pub async fn list(
    State(state): State<AppState>,
    req: Request,
) -> Result<Json<Value>, ControlError> {
    let session = super::session_name(&req)?;
    let query = query_of(&state, &req)?;
    let limit = query.limit.unwrap_or(usize::MAX);
    let violations = state
        .contract
        .violations(&session, query.service.as_deref(), limit);
    Ok(Json(json!({ "violations": violations })))
}

pub async fn clear(
    State(state): State<AppState>,
    req: Request,
) -> Result<Json<Value>, ControlError> {
    let session = super::session_name(&req)?;
    let query = query_of(&state, &req)?;
    let cleared = state
        .contract
        .clear_violations(&session, query.service.as_deref());
    Ok(Json(json!({ "cleared": cleared })))
}

/// `GET /_offcloud/contract`: whether the session refuses violating requests.
pub async fn settings(
    State(state): State<AppState>,
    req: Request,
) -> Result<Json<Value>, ControlError> {
    let session = super::session_name(&req)?;
    let strict = state.contract.strict(&session, &state.config);
    Ok(Json(json!({"session": session.as_str(), "strict": strict})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    strict: bool,
}

/// `POST /_offcloud/contract {"strict": true}`: the session's own setting, over `--strict`.
pub async fn set(State(state): State<AppState>, req: Request) -> Result<Json<Value>, ControlError> {
    let session = super::session_name(&req)?;
    let body = crate::control_error::body_bytes(req, 64 * 1024).await?;
    let settings: Settings = serde_json::from_slice(&body).map_err(|e| {
        ControlError::bad_request(&format!("expected {{\"strict\": true | false}}: {e}"))
    })?;
    state.contract.set_strict(&session, settings.strict);
    Ok(Json(
        json!({"session": session.as_str(), "strict": settings.strict}),
    ))
}
