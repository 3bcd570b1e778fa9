//! `GET /_offcloud/sessions` lists the open sessions; `DELETE /_offcloud/sessions/NAME` drops one
//! entirely: its database (and its files), its clock, its fault rules, and whatever the services
//! opened for it (Dgraph's backend listeners).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::AppState;
use crate::control_error::{ControlError, Path};
use crate::error::Internal;
use crate::session::SessionName;

/// Every open session, by name, with its clock offset and the row counts of its non-empty tables.
pub async fn list(State(state): State<AppState>) -> Result<Json<Value>, ControlError> {
    let listed: Vec<Value> = state
        .sessions
        .overview()
        .await?
        .into_iter()
        .map(|session| {
            let offset = u64::try_from(session.clock_offset.as_millis()).unwrap_or(u64::MAX);
            json!({
                "name": session.name.as_str(),
                "clock_offset_ms": offset,
                "tables": session.row_counts,
            })
        })
        .collect();
    Ok(Json(json!({ "sessions": listed })))
}

/// Drops a session; its name is free again and starts empty on next use (`default` included).
pub async fn drop(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<StatusCode, ControlError> {
    let Some(name) = SessionName::parse(&name) else {
        return Err(ControlError::bad_request(&format!(
            "invalid session name {name:?}"
        )));
    };
    let dropped = state
        .sessions
        .drop_session(&name)
        .await
        .map_err(|e| Internal::msg(format!("removing the files of session {name:?}: {e}")))?;
    match dropped {
        Some(()) => {
            after_drop(&state, &name).await;
            Ok(StatusCode::NO_CONTENT)
        }
        None => Err(ControlError::new(
            StatusCode::NOT_FOUND,
            &format!("no open session {:?}", name.as_str()),
        )),
    }
}

/// After a session was dropped (by request or for being idle): each service closes what it
/// opened for it (Dgraph's backend listeners), and its fault rules and contract records go.
pub async fn after_drop(state: &AppState, name: &SessionName) {
    for service in state.services.iter() {
        service.on_drop(state, name).await;
    }
    state.faults.clear(name);
    state.contract.forget(name);
}
