//! Hasura v2's error envelope (spec §3): `{"errors":[{"message","extensions":{"path","code"}}]}`,
//! HTTP 200 on `/v1/graphql` whatever went wrong, no `locations`, no `data`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::error::Internal;

#[derive(Debug, Clone, PartialEq)]
pub struct GqlError {
    pub message: String,
    pub extensions: Value,
}

impl GqlError {
    pub fn new(code: &str, path: &str, message: impl Into<String>) -> GqlError {
        GqlError {
            message: message.into(),
            extensions: json!({"path": path, "code": code}),
        }
    }

    pub fn validation(path: &str, message: impl Into<String>) -> GqlError {
        GqlError::new("validation-failed", path, message)
    }

    /// The answer for a field the caller's role does not have (spec §2.3, §3.3).
    pub fn field_not_found(field: &str, type_name: &str, path: &str) -> GqlError {
        GqlError::validation(
            path,
            format!("field '{field}' not found in type: '{type_name}'"),
        )
    }

    /// A value Postgres refuses, such as a malformed uuid in a table argument (spec §3.3).
    pub fn data_exception(message: impl Into<String>) -> GqlError {
        GqlError::new("data-exception", "$", message)
    }

    pub fn invalid_uuid(value: &str) -> GqlError {
        GqlError::data_exception(format!("invalid input syntax for type uuid: \"{value}\""))
    }

    /// A business error answered by an action handler (spec §8.5, emulator choice).
    pub fn action(message: impl Into<String>) -> GqlError {
        GqlError::new("unexpected", "$", message)
    }

    /// An internal failure, in Hasura Cloud's action shape (spec §3.1): logged, never detailed.
    pub fn internal(e: Internal) -> GqlError {
        e.log();
        GqlError {
            message: "there was an internal error while serving your request".into(),
            extensions: json!({"code": "GenericServerError", "id": Uuid::new_v4().to_string()}),
        }
    }

    pub fn to_json(&self) -> Value {
        json!({"message": self.message, "extensions": self.extensions})
    }
}

impl From<Internal> for GqlError {
    fn from(e: Internal) -> Self {
        GqlError::internal(e)
    }
}

impl From<sqlx::Error> for GqlError {
    fn from(e: sqlx::Error) -> Self {
        GqlError::internal(e.into())
    }
}

impl IntoResponse for GqlError {
    fn into_response(self) -> Response {
        (StatusCode::OK, Json(json!({"errors": [self.to_json()]}))).into_response()
    }
}

/// Errors outside GraphQL (unknown path, wrong method): Hasura's plain `{"path","error","code"}`.
pub fn plain(status: StatusCode, code: &str, error: &str) -> Response {
    (
        status,
        Json(json!({"path": "$", "error": error, "code": code})),
    )
        .into_response()
}
