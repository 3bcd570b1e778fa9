//! The emulator's own routes under `/_offcloud/hasura`: users with a PAT (the real service makes
//! them in its web UI), and injected preview-app outcomes (docs/spec/hasura.md §8.6).

use axum::Json;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde_json::json;
use uuid::Uuid;

use super::actions::random_alphanumeric;
use super::model::{NewUser, PreviewOutcome};
use super::store::Store;
use crate::AppState;
use crate::auth::sha256_hex;
use crate::control_error::ControlError;

/// The request's session and its JSON body, or the control API's 400.
async fn read<T: DeserializeOwned>(
    state: &AppState,
    request: Request,
    expected: &str,
) -> Result<(Store, T), ControlError> {
    let session = state.sessions.of(request.extensions()).await?;
    let body = crate::control_error::body_bytes(request, 64 * 1024).await?;
    let value = serde_json::from_slice(&body)
        .map_err(|e| ControlError::bad_request(&format!("expected {expected}: {e}")))?;
    Ok((Store::new(session), value))
}

/// `POST /_offcloud/hasura/users {"email"}` → `{"id","email","pat"}`: the user (created if new)
/// and a fresh PAT, shown only here.
pub async fn create_user(
    State(state): State<AppState>,
    request: Request,
) -> Result<Response, ControlError> {
    let (store, new): (Store, NewUser) = read(&state, request, "{\"email\": \"...\"}").await?;
    let email = new.email.trim();
    // The rule a fixture's user follows: what can be made here can be declared there too.
    if !crate::fixture::is_email(email) {
        return Err(ControlError::bad_request("email must be an email address"));
    }
    let (user, created) = store
        .ensure_user(&Uuid::new_v4().to_string(), email)
        .await?;
    let pat = random_alphanumeric();
    store
        .insert_pat(&user, &Uuid::new_v4().to_string(), &sha256_hex(&pat), None)
        .await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(json!({"id": user.id(), "email": email, "pat": pat})),
    )
        .into_response())
}

/// `POST /_offcloud/hasura/preview-app-outcomes {"name","outcome":"failed"|"skipped","error"?}`:
/// the next preview app with that name ends so (failure injection).
pub async fn set_preview_outcome(
    State(state): State<AppState>,
    request: Request,
) -> Result<Response, ControlError> {
    let (store, outcome): (Store, PreviewOutcome) = read(
        &state,
        request,
        "{\"name\": \"...\", \"outcome\": \"failed\" | \"skipped\", \"error\": \"...\"}",
    )
    .await?;
    if outcome.outcome != "failed" && outcome.outcome != "skipped" {
        return Err(ControlError::bad_request(
            "outcome must be \"failed\" or \"skipped\"",
        ));
    }
    if outcome.name.is_empty() {
        return Err(ControlError::bad_request("name must not be empty"));
    }
    store
        .set_preview_outcome(&outcome.name, &outcome.outcome, outcome.error.as_deref())
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"name": outcome.name, "outcome": outcome.outcome, "error": outcome.error})),
    )
        .into_response())
}
