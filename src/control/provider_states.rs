//! `POST /_offcloud/provider-states`: the Pact verifier's state-change requests
//! (`providerStatesSetupUrl`). On `setup`, the session is reset and the fixture document of each
//! state is applied (files of `--provider-states DIR`, each naming its state with a top-level
//! `state:`); `teardown` has nothing to undo, since the next setup resets anyway.

use axum::Json;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::AppState;
use crate::control_error::ControlError;
use crate::error::Internal;

/// Both forms the verifiers send: one state (Pact V3+) or a list (`states`, Pact V2).
#[derive(Deserialize)]
struct StateChange {
    state: Option<String>,
    #[serde(default)]
    states: Vec<String>,
    /// `setup` when left out, as older verifiers send no action.
    action: Option<String>,
    #[serde(default)]
    #[allow(dead_code)] // Accepted: the fixture documents have no parameters.
    params: Option<Value>,
}

pub async fn post(
    State(state): State<AppState>,
    req: Request,
) -> Result<Json<Value>, ControlError> {
    let name = super::session_name(&req)?;
    let body = crate::control_error::body_bytes(req, 64 * 1024).await?;
    let change: StateChange = serde_json::from_slice(&body).map_err(|e| {
        ControlError::bad_request(&format!(
            "expected {{\"state\": \"...\", \"params\": {{...}}, \"action\": \"setup\" | \"teardown\"}}: {e}"
        ))
    })?;
    let mut wanted = change.states;
    wanted.extend(change.state);
    match change.action.as_deref().unwrap_or("setup") {
        "setup" => {}
        "teardown" => {
            return Ok(Json(json!({"session": name.as_str(), "teardown": wanted})));
        }
        other => {
            return Err(ControlError::bad_request(&format!(
                "unknown action {other:?}: use setup or teardown"
            )));
        }
    }
    let known = state.fixtures.state_names();
    if let Some(unknown) = wanted.iter().find(|w| !known.contains(&w.as_str())) {
        let listed = if known.is_empty() {
            "there are none: start offcloud with --provider-states DIR".to_owned()
        } else {
            format!("the known states are {}", known.join(", "))
        };
        return Err(ControlError::new(
            StatusCode::BAD_REQUEST,
            &format!("unknown provider state {unknown:?}: {listed}"),
        ));
    }
    let session = state.sessions.get(&name).await?;
    session.reset().await?;
    state.fixtures.reapply(&session, None).await?;
    state.faults.clear(&name);
    for service in state.services.iter() {
        service.after_reset(&state, &name).await;
    }
    let mut created = Map::new();
    for wanted in &wanted {
        let counts = state
            .fixtures
            .apply_state(&session, wanted)
            .await?
            .ok_or_else(|| Internal::msg(format!("provider state {wanted:?} vanished")))?;
        created.insert(wanted.clone(), counts);
    }
    Ok(Json(json!({"session": name.as_str(), "setup": created})))
}
