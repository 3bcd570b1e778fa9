//! Thin handlers: `POST /v1/graphql` (single or batched), its `GET` answer, Hasura's 404/405, and
//! the control route that provisions users with a PAT.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::actions;
use super::error::{GqlError, plain};
use super::execute::run;
use super::store::Store;
use crate::AppState;
use crate::auth::sha256_hex;
use crate::control_error::ControlError;

/// `Authorization: pat <token>` (spec §2.2). A missing, malformed or unknown token is not
/// refused: the request runs as the anonymous role (spec §2.3).
async fn caller(store: &Store, headers: &HeaderMap) -> Result<Option<String>, GqlError> {
    let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return Ok(None);
    };
    let Some(token) = value.strip_prefix("pat ") else {
        return Ok(None);
    };
    if token.is_empty() {
        return Ok(None);
    }
    Ok(store.user_by_pat(&sha256_hex(token)).await?)
}

pub async fn graphql(
    State(state): State<AppState>,
    store: Store,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let user = match caller(&store, &headers).await {
        Ok(user) => user,
        Err(e) => return e.into_response(),
    };
    let body: Value = match serde_json::from_slice(&body) {
        Ok(body) => body,
        Err(e) => {
            return GqlError::new("invalid-json", "$", format!("Error in $: {e}")).into_response();
        }
    };
    let settings = &state.config.hasura;
    // A JSON array is a batch, answered by an array (spec §2.1).
    if let Value::Array(requests) = body {
        let mut answers = Vec::new();
        for request in requests {
            answers.push(run(&store, settings, user.as_deref(), request).await);
        }
        return (StatusCode::OK, Json(Value::Array(answers))).into_response();
    }
    (
        StatusCode::OK,
        Json(run(&store, settings, user.as_deref(), body).await),
    )
        .into_response()
}

/// No client uses GET (spec §2.1, emulator choice): Hasura's APQ answer, HTTP 200.
pub async fn graphql_get() -> Response {
    GqlError::new(
        "not-supported",
        "$",
        "GET requests are not supported on /v1/graphql; use POST",
    )
    .into_response()
}

pub async fn not_found() -> Response {
    plain(
        StatusCode::NOT_FOUND,
        "not-found",
        "resource does not exist",
    )
}

pub async fn method_not_allowed() -> Response {
    plain(
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
        "method not allowed",
    )
}

// ---- control API ------------------------------------------------------------------------------

#[derive(Deserialize)]
pub struct NewUser {
    email: String,
}

/// `POST /_offcloud/hasura/users {"email"}` → `{"id","email","pat"}`: the user (created if new)
/// and a fresh PAT, shown only here.
pub async fn create_user(
    State(state): State<AppState>,
    request: axum::extract::Request,
) -> Result<Response, ControlError> {
    let session = state.sessions.of(request.extensions()).await?;
    let body = axum::body::to_bytes(request.into_body(), 64 * 1024)
        .await
        .map_err(|_| ControlError::bad_request("the body could not be read"))?;
    let new: NewUser = serde_json::from_slice(&body)
        .map_err(|e| ControlError::bad_request(&format!("expected {{\"email\": \"...\"}}: {e}")))?;
    let email = new.email.trim();
    if !email.contains('@') || email.len() > 254 {
        return Err(ControlError::bad_request("email must be an email address"));
    }
    let store = Store::new(session);
    let (id, created) = store
        .ensure_user(&Uuid::new_v4().to_string(), email)
        .await?;
    let pat = actions::random_alphanumeric();
    store
        .insert_pat(&Uuid::new_v4().to_string(), &id, &sha256_hex(&pat), None)
        .await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(json!({"id": id, "email": email, "pat": pat}))).into_response())
}

#[derive(Deserialize)]
pub struct PreviewOutcome {
    name: String,
    outcome: String,
    #[serde(default)]
    error: Option<String>,
}

/// `POST /_offcloud/hasura/preview-app-outcomes {"name","outcome":"failed"|"skipped","error"?}`:
/// the next preview app with that name ends so (spec §8.6, failure injection).
pub async fn set_preview_outcome(
    State(state): State<AppState>,
    request: axum::extract::Request,
) -> Result<Response, ControlError> {
    let session = state.sessions.of(request.extensions()).await?;
    let body = axum::body::to_bytes(request.into_body(), 64 * 1024)
        .await
        .map_err(|_| ControlError::bad_request("the body could not be read"))?;
    let outcome: PreviewOutcome = serde_json::from_slice(&body).map_err(|e| {
        ControlError::bad_request(&format!(
            "expected {{\"name\": \"...\", \"outcome\": \"failed\" | \"skipped\", \"error\": \"...\"}}: {e}"
        ))
    })?;
    if outcome.outcome != "failed" && outcome.outcome != "skipped" {
        return Err(ControlError::bad_request(
            "outcome must be \"failed\" or \"skipped\"",
        ));
    }
    if outcome.name.is_empty() {
        return Err(ControlError::bad_request("name must not be empty"));
    }
    Store::new(session)
        .set_preview_outcome(&outcome.name, &outcome.outcome, outcome.error.as_deref())
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"name": outcome.name, "outcome": outcome.outcome, "error": outcome.error})),
    )
        .into_response())
}
