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
    let mut sessions = state.sessions.opened();
    sessions.sort_by(|a, b| a.name().cmp(b.name()));
    let mut listed = Vec::with_capacity(sessions.len());
    for session in sessions {
        let tables = crate::snapshot::row_counts(session.db())
            .await
            .map_err(Internal::from)?;
        let offset = u64::try_from(session.clock().offset().as_millis()).unwrap_or(u64::MAX);
        listed.push(json!({
            "name": session.name(),
            "clock_offset_ms": offset,
            "tables": tables,
        }));
    }
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
    if !state.sessions.names().iter().any(|n| n == name.as_str()) {
        return Err(ControlError::new(
            StatusCode::NOT_FOUND,
            &format!("no open session {:?}", name.as_str()),
        ));
    }
    for service in state.services.iter() {
        service.on_drop(&state, &name).await;
    }
    let dropped = state
        .sessions
        .drop_session(&name)
        .await
        .map_err(|e| Internal::msg(format!("removing the files of session {name:?}: {e}")))?;
    state.faults.clear(&name);
    match dropped {
        Some(_) => Ok(StatusCode::NO_CONTENT),
        // Dropped by a concurrent request in between.
        None => Err(ControlError::new(
            StatusCode::NOT_FOUND,
            &format!("no open session {:?}", name.as_str()),
        )),
    }
}
