//! Hasura v2's error shapes (docs/spec/hasura.md §3). On `/v1/graphql` every error is HTTP 200 in
//! the envelope `{"errors":[{"message","extensions":{"path","code"}}]}`: a string `path`, no
//! `locations`, no `data`. Outside GraphQL (an unknown path, a wrong method) Hasura answers
//! `{"path","error","code"}` with the HTTP status. Every code, path and status is decided in
//! [`ApiError::wire`].

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::db;
use crate::error::Internal;

#[derive(Debug)]
pub enum ApiError {
    /// `validation-failed`: the document, a variable or an argument does not fit the schema.
    Validation { path: String, message: String },
    /// `parse-failed`: the body is JSON but not a GraphQL request.
    ParseFailed { path: String, message: String },
    /// `invalid-json`: the body is not JSON.
    InvalidJson(String),
    /// `not-supported`: a GET on `/v1/graphql` (docs/spec/hasura.md §2.1, emulator choice).
    NotSupported(String),
    /// `data-exception`: a value Postgres refuses, such as a malformed uuid (docs/spec/hasura.md
    /// §3.3).
    DataException(String),
    /// `permission-error`: an insert the role's check refuses.
    Permission { path: String, message: String },
    /// `constraint-violation`: a unique key already taken.
    Constraint { path: String, message: String },
    /// A business error answered by an action handler: code `unexpected`, path `$`
    /// (docs/spec/hasura.md §8.5, emulator choice).
    Action(String),
    /// A body over `--body-limit`: an error in the envelope like any other on `/v1/graphql`.
    BodyTooLarge,
    /// Outside GraphQL: no such path.
    NotFound,
    /// Outside GraphQL: no such method on the path.
    MethodNotAllowed,
    /// Ours, not the client's: logged once, answered in Hasura Cloud's action shape
    /// (docs/spec/hasura.md §3.1) without details.
    Internal(Internal),
}

impl ApiError {
    pub fn validation(path: &str, message: impl Into<String>) -> ApiError {
        ApiError::Validation {
            path: path.to_owned(),
            message: message.into(),
        }
    }

    pub fn parse_failed(path: &str, message: impl Into<String>) -> ApiError {
        ApiError::ParseFailed {
            path: path.to_owned(),
            message: message.into(),
        }
    }

    /// The answer for a field the caller's role does not have (docs/spec/hasura.md §2.3, §3.3).
    pub fn field_not_found(field: &str, type_name: &str, path: &str) -> ApiError {
        ApiError::validation(
            path,
            format!("field '{field}' not found in type: '{type_name}'"),
        )
    }

    pub fn invalid_uuid(value: &str) -> ApiError {
        ApiError::DataException(format!("invalid input syntax for type uuid: \"{value}\""))
    }

    pub fn action(message: impl Into<String>) -> ApiError {
        ApiError::Action(message.into())
    }

    pub fn internal(message: &str) -> ApiError {
        ApiError::Internal(Internal::msg(message))
    }

    /// The one mapping to the wire: the plain status (`None` inside GraphQL's envelope), the
    /// code, the path and the message.
    fn wire(self) -> Wire {
        let graphql = |code, path: String, message| Wire::Graphql {
            code,
            path,
            message,
        };
        match self {
            ApiError::Validation { path, message } => graphql("validation-failed", path, message),
            ApiError::ParseFailed { path, message } => graphql("parse-failed", path, message),
            ApiError::InvalidJson(message) => graphql("invalid-json", "$".into(), message),
            ApiError::NotSupported(message) => graphql("not-supported", "$".into(), message),
            ApiError::DataException(message) => graphql("data-exception", "$".into(), message),
            ApiError::Permission { path, message } => graphql("permission-error", path, message),
            ApiError::Constraint { path, message } => {
                graphql("constraint-violation", path, message)
            }
            ApiError::Action(message) => graphql("unexpected", "$".into(), message),
            ApiError::BodyTooLarge => graphql(
                "validation-failed",
                "$".into(),
                "the request body is larger than the limit (--body-limit)".into(),
            ),
            ApiError::NotFound => Wire::Plain {
                status: StatusCode::NOT_FOUND,
                code: "not-found",
                error: "resource does not exist",
            },
            ApiError::MethodNotAllowed => Wire::Plain {
                status: StatusCode::METHOD_NOT_ALLOWED,
                code: "method-not-allowed",
                error: "method not allowed",
            },
            ApiError::Internal(e) => {
                e.log();
                Wire::Generic
            }
        }
    }

    /// The error as one entry of a GraphQL response's `errors`.
    pub fn into_json(self) -> Value {
        self.wire().error_object()
    }
}

enum Wire {
    Graphql {
        code: &'static str,
        path: String,
        message: String,
    },
    Plain {
        status: StatusCode,
        code: &'static str,
        error: &'static str,
    },
    Generic,
}

impl From<Internal> for ApiError {
    fn from(e: Internal) -> Self {
        ApiError::Internal(e)
    }
}

impl From<db::Error> for ApiError {
    fn from(e: db::Error) -> Self {
        ApiError::Internal(e.into())
    }
}

impl From<crate::hasura::store::read::ReadError> for ApiError {
    fn from(e: crate::hasura::store::read::ReadError) -> Self {
        use crate::hasura::store::read::ReadError;
        match e {
            ReadError::TooComplex(why) => ApiError::validation(
                "$",
                format!("the query is too large or too deeply nested to run ({why})"),
            ),
            ReadError::Internal(e) => ApiError::Internal(e),
        }
    }
}

impl From<serde_json::Error> for ApiError {
    fn from(e: serde_json::Error) -> Self {
        ApiError::Internal(e.into())
    }
}

impl Wire {
    fn error_object(self) -> Value {
        match self {
            Wire::Graphql {
                code,
                path,
                message,
            } => json!({"message": message, "extensions": {"path": path, "code": code}}),
            Wire::Plain { code, error, .. } => {
                json!({"message": error, "extensions": {"path": "$", "code": code}})
            }
            Wire::Generic => json!({
                "message": "there was an internal error while serving your request",
                "extensions": {"code": "GenericServerError", "id": Uuid::new_v4().to_string()},
            }),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self.wire() {
            Wire::Plain {
                status,
                code,
                error,
            } => (
                status,
                Json(json!({"path": "$", "error": error, "code": code})),
            )
                .into_response(),
            graphql => (
                StatusCode::OK,
                Json(json!({"errors": [graphql.error_object()]})),
            )
                .into_response(),
        }
    }
}
