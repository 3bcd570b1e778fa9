//! `GET /_offcloud/coverage` (`?session=`, `?service=`, `?format=markdown`): which operations of
//! each emulated API the session's requests called, and with which statuses (docs/design.md,
//! "Contract testing"); `DELETE` starts counting again.

use axum::Json;
use axum::extract::{Query, Request, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::AppState;
use crate::contract::{self, Coverage};
use crate::control_error::ControlError;
use crate::session::SessionName;

#[derive(Deserialize)]
pub struct CoverageQuery {
    #[serde(default)]
    #[allow(dead_code)] // Read by `session_name`.
    session: Option<String>,
    service: Option<String>,
    format: Option<String>,
}

fn query(req: &Request) -> Result<CoverageQuery, ControlError> {
    Query::try_from_uri(req.uri())
        .map(|Query(q)| q)
        .map_err(|e| ControlError::bad_request(&e.body_text()))
}

pub async fn get(State(state): State<AppState>, req: Request) -> Result<Response, ControlError> {
    let session = super::session_name(&req)?;
    let query = query(&req)?;
    let services = contract::select(&state.services, query.service.as_deref())
        .map_err(|e| ControlError::bad_request(&e))?;
    let coverage = state.contract.coverage(&session, &services);
    match query.format.as_deref() {
        None | Some("json") => Ok(Json(json_of(&session, &coverage)).into_response()),
        Some("markdown") => Ok((
            [(header::CONTENT_TYPE, "text/markdown; charset=utf-8")],
            markdown(&session, &coverage),
        )
            .into_response()),
        Some(other) => Err(ControlError::bad_request(&format!(
            "unknown format {other:?}: use json or markdown"
        ))),
    }
}

/// `DELETE /_offcloud/coverage`: forgets the session's calls (of `?service=` only, if given).
pub async fn clear(
    State(state): State<AppState>,
    req: Request,
) -> Result<Json<Value>, ControlError> {
    let session = super::session_name(&req)?;
    let query = query(&req)?;
    contract::select(&state.services, query.service.as_deref())
        .map_err(|e| ControlError::bad_request(&e))?;
    state
        .contract
        .clear_coverage(&session, query.service.as_deref());
    Ok(Json(json!({"session": session.as_str(), "cleared": true})))
}

fn json_of(session: &SessionName, coverage: &[Coverage]) -> Value {
    let services: Map<String, Value> = coverage
        .iter()
        .map(|c| {
            (
                c.service.to_owned(),
                json!({
                    "covered": c.covered(),
                    "total": c.operations.len(),
                    "operations": c.operations,
                }),
            )
        })
        .collect();
    json!({"session": session.as_str(), "services": services})
}

/// A summary table, then one table per service: what a CI job summary shows.
fn markdown(session: &SessionName, coverage: &[Coverage]) -> String {
    let mut out = format!("# API coverage of session `{}`\n\n", session.as_str());
    out.push_str("| Service | Covered | Total | % |\n|---|---:|---:|---:|\n");
    for c in coverage {
        let total = c.operations.len();
        let percent = (c.covered() * 100).checked_div(total).unwrap_or(0);
        out.push_str(&format!(
            "| {} | {} | {total} | {percent}% |\n",
            c.service,
            c.covered()
        ));
    }
    for c in coverage {
        out.push_str(&format!(
            "\n## {}: {} of {} operations\n\n| Operation | Calls | Statuses |\n|---|---:|---|\n",
            c.service,
            c.covered(),
            c.operations.len()
        ));
        for op in &c.operations {
            let statuses: Vec<String> = op
                .statuses
                .iter()
                .map(|(status, n)| format!("{status} ×{n}"))
                .collect();
            out.push_str(&format!(
                "| `{}` | {} | {} |\n",
                op.operation,
                op.calls,
                statuses.join(", ")
            ));
        }
    }
    out
}
