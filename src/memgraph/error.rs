//! Memgraph's wire errors, as FastAPI writes them: `{"detail": ...}` with the status, and the
//! `WWW-Authenticate: Bearer` header on 401s (docs/spec/memgraph.md §4.3–4.5). Every message
//! lives here.

use axum::Json;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use crate::db;
use crate::error::Internal;

/// FastAPI's error body.
#[derive(Serialize, ToSchema)]
#[schema(as = HTTPError)]
pub struct HttpError {
    pub detail: &'static str,
}

/// A 422: one pydantic error per problem.
#[derive(Serialize, ToSchema)]
#[schema(as = HTTPValidationError)]
pub struct HttpValidationError {
    pub detail: Vec<ValidationError>,
}

/// One pydantic validation error.
#[derive(Debug, Serialize, ToSchema)]
pub struct ValidationError {
    /// `missing`, `string_type`, `literal_error`...
    #[serde(rename = "type")]
    pub kind: String,
    /// Where: `["body", "email"]`, `["query", "limit"]`.
    #[schema(value_type = Vec<Value>)]
    pub loc: Vec<Value>,
    pub msg: String,
    #[schema(value_type = Value)]
    pub input: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub ctx: Option<Value>,
}

#[derive(Debug)]
pub enum ApiError {
    /// No usable credentials (docs/spec/memgraph.md §5.3, §4.5).
    NotAuthenticated,
    /// A bearer token that is present but invalid or expired, and no API key to fall back on.
    InvalidToken,
    /// Login with an unknown email or a wrong password.
    IncorrectLogin,
    /// Authenticated, but the role is too low (docs/spec/memgraph.md §5.7).
    Forbidden,
    NotFound(&'static str),
    BadRequest(&'static str),
    /// A body that is not text, or nested deeper than the parser goes: FastAPI's answer to
    /// anything but a JSON syntax error while reading a body (Python's `UnicodeDecodeError`,
    /// `RecursionError`).
    UnparsableBody,
    /// 422, one pydantic error object per problem (see `validation.rs`).
    Validation(Vec<ValidationError>),
    PayloadTooLarge,
    /// Too many requests for one API key (docs/spec/memgraph.md §6.11); the client may retry
    /// after that many seconds.
    RateLimited {
        retry_after: u64,
    },
    Internal(Internal),
}

impl ApiError {
    pub fn validation(error: ValidationError) -> ApiError {
        ApiError::Validation(vec![error])
    }
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

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, detail) = match self {
            ApiError::NotAuthenticated => return unauthorized("Not authenticated"),
            ApiError::InvalidToken => return unauthorized("Could not validate credentials"),
            ApiError::IncorrectLogin => return unauthorized("Incorrect email or password"),
            ApiError::Forbidden => (StatusCode::FORBIDDEN, "Insufficient permissions"),
            ApiError::NotFound(what) => (StatusCode::NOT_FOUND, what),
            ApiError::BadRequest(why) => (StatusCode::BAD_REQUEST, why),
            ApiError::UnparsableBody => (
                StatusCode::BAD_REQUEST,
                "There was an error parsing the body",
            ),
            ApiError::Validation(errors) => {
                let body = HttpValidationError { detail: errors };
                return (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response();
            }
            ApiError::PayloadTooLarge => {
                (StatusCode::PAYLOAD_TOO_LARGE, "Request Entity Too Large")
            }
            ApiError::RateLimited { retry_after } => {
                let mut response =
                    detail_response(StatusCode::TOO_MANY_REQUESTS, json!("Rate limit exceeded"));
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, header::HeaderValue::from(retry_after));
                return response;
            }
            ApiError::Internal(e) => {
                e.log();
                // Starlette's ServerErrorMiddleware answers in plain text.
                return (StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
                    .into_response();
            }
        };
        (status, Json(HttpError { detail })).into_response()
    }
}

pub fn detail_response(status: StatusCode, detail: Value) -> Response {
    (status, Json(json!({ "detail": detail }))).into_response()
}

fn unauthorized(detail: &'static str) -> Response {
    let mut response = (StatusCode::UNAUTHORIZED, Json(HttpError { detail })).into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        header::HeaderValue::from_static("Bearer"),
    );
    response
}
