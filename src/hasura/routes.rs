//! Thin handlers of the GraphQL endpoint: `POST /v1/graphql` (single or batched), its `GET`
//! answer, and Hasura's 404/405.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::auth::Caller;
use super::engine::run;
use super::error::ApiError;
use super::store::Store;
use crate::AppState;

pub async fn graphql(
    State(state): State<AppState>,
    store: Store,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    // The only way to fail reading a body here is its size (`--body-limit`).
    let body = body.map_err(|_| ApiError::BodyTooLarge)?;
    let body: Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::InvalidJson(format!("Error in $: {e}")))?;
    let settings = &state.config.hasura;
    let limits = &state.config.graphql;
    // A JSON array is a batch, answered by an array (docs/spec/hasura.md §2.1).
    let answer = match body {
        Value::Array(requests) => {
            let mut answers = Vec::with_capacity(requests.len());
            for request in requests {
                answers.push(run(&store, settings, limits, &caller, request).await);
            }
            Value::Array(answers)
        }
        request => run(&store, settings, limits, &caller, request).await,
    };
    Ok((StatusCode::OK, Json(answer)).into_response())
}

/// No client uses GET (docs/spec/hasura.md §2.1, emulator choice): Hasura's APQ answer, HTTP 200.
pub async fn graphql_get() -> ApiError {
    ApiError::NotSupported("GET requests are not supported on /v1/graphql; use POST".into())
}

pub async fn not_found() -> ApiError {
    ApiError::NotFound
}

pub async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}
