//! TypeDB Cloud's wire errors: `{"code","message"}` as JSON on every 4xx and 5xx
//! (docs/spec/typedb.md §8). The real `code` strings are not public, so these are the spec's fixed
//! upper-snake set (emulator choice, docs/spec/typedb.md §14). Every status and code is decided
//! here.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::db;
use crate::error::Internal;
use crate::service::reason;

#[derive(Debug)]
pub enum ApiError {
    /// 400: no, or a malformed, `Authorization` header (docs/spec/typedb.md §4.2, §4.3).
    InvalidAuthorizationHeader(&'static str),
    /// 400: token exchange with an unknown client id (not 401: docs/spec/typedb.md §4.1).
    InvalidClientId,
    /// 400: token exchange with a wrong secret.
    InvalidClientSecret,
    /// 400: a body or value the API refuses; the message names the field.
    InvalidArgument(String),
    /// 400: an action the cluster's status does not allow (docs/spec/typedb.md §7.3).
    FailedPrecondition(String),
    /// 401: a bearer token that is not ours, or whose API token is gone.
    InvalidToken,
    /// 401: a bearer token past its `exp` on the session clock.
    TokenExpired,
    /// 403: the token lacks the level, or is scoped to another team or space
    /// (docs/spec/typedb.md §4.4).
    PermissionDenied(String),
    NotFound(String),
    MethodNotAllowed,
    /// 409: a cluster id already used in the space.
    AlreadyExists(String),
    PayloadTooLarge,
    Internal(Internal),
}

impl ApiError {
    pub fn invalid(message: impl Into<String>) -> ApiError {
        ApiError::InvalidArgument(message.into())
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
        let bad = StatusCode::BAD_REQUEST;
        let (status, code, message) = match self {
            ApiError::InvalidAuthorizationHeader(why) => {
                (bad, "INVALID_AUTHORIZATION_HEADER", why.to_owned())
            }
            ApiError::InvalidClientId => (bad, "INVALID_CLIENT_ID", "Invalid client ID".into()),
            ApiError::InvalidClientSecret => {
                (bad, "INVALID_CLIENT_SECRET", "Invalid client secret".into())
            }
            ApiError::InvalidArgument(why) => (bad, "INVALID_ARGUMENT", why),
            ApiError::FailedPrecondition(why) => (bad, "FAILED_PRECONDITION", why),
            ApiError::InvalidToken => {
                return unauthorized("INVALID_TOKEN", "Invalid access token");
            }
            ApiError::TokenExpired => {
                return unauthorized("TOKEN_EXPIRED", "Access token has expired");
            }
            ApiError::PermissionDenied(why) => (StatusCode::FORBIDDEN, "PERMISSION_DENIED", why),
            ApiError::NotFound(what) => (StatusCode::NOT_FOUND, "NOT_FOUND", what),
            ApiError::MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                "METHOD_NOT_ALLOWED",
                "Method not allowed".into(),
            ),
            ApiError::AlreadyExists(what) => (StatusCode::CONFLICT, "ALREADY_EXISTS", what),
            ApiError::PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "INVALID_ARGUMENT",
                "Request body is too large".into(),
            ),
            ApiError::Internal(e) => {
                e.log();
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "INTERNAL",
                    "Internal error".into(),
                )
            }
        };
        error_response(status, code, &message)
    }
}

/// The answer for a status alone (the front door's body limit, a fault rule without a body): the
/// code of that status in this shape, and the status's reason as the message.
pub fn for_status(status: StatusCode) -> Response {
    let code = match status.as_u16() {
        400 | 413 | 422 => "INVALID_ARGUMENT",
        401 => "INVALID_TOKEN",
        403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        405 => "METHOD_NOT_ALLOWED",
        409 => "ALREADY_EXISTS",
        429 => "RESOURCE_EXHAUSTED",
        503 => "UNAVAILABLE",
        _ => "INTERNAL",
    };
    error_response(status, code, reason(status))
}

pub fn error_response(status: StatusCode, code: &str, message: &str) -> Response {
    (status, Json(json!({ "code": code, "message": message }))).into_response()
}

/// 401 with `WWW-Authenticate`, harmless and standard (emulator choice, docs/spec/typedb.md §4.3).
fn unauthorized(code: &str, message: &str) -> Response {
    let mut response = error_response(StatusCode::UNAUTHORIZED, code, message);
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer error=\"invalid_token\""),
    );
    response
}
