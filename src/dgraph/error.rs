//! Dgraph's wire errors. [`ApiError`] says what went wrong, and [`ApiError::status_and_message`]
//! is the one place that gives each error its status and its words. The body they travel in
//! depends on the front that answers, named in the type ([`Wire<F>`]); docs/spec/dgraph.md §9.1:
//!
//! - the CLI's REST routes and `/_offcloud/dgraph`: `{"error": "..."}` (emulator choice: the real
//!   bodies are not documented);
//! - Cerebro's `/graphql`, refused before any execution: `{"errors":[{"message"}],"data":null}`;
//! - a backend's data plane: `{"errors":[{"message"}]}`;
//! - inside a GraphQL execution, an entry of the response's `errors` (see the `From` impl).

use std::marker::PhantomData;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::error::Internal;
use crate::graphql_limits::LimitExceeded;

/// The result of everything in Dgraph that can be refused. Named `Result` so that async-graphql
/// resolvers may return it: their errors then go through [`ApiError`] too.
pub type Result<T, E = ApiError> = std::result::Result<T, E>;

/// Every way a Dgraph request can fail.
#[derive(Debug)]
pub enum ApiError {
    /// 400: the request, a field or an operation is refused; the message says why.
    Invalid(String),
    /// 400: a GraphQL document over one of the `--graphql-max-*` limits.
    Limit(LimitExceeded),
    /// No or an invalid Cerebro token (docs/spec/dgraph.md §11, choice 23): 401 on REST; in
    /// Cerebro's GraphQL the error that nulls `data`.
    Unauthorized,
    /// 401: an unknown or spent CLI refresh token.
    InvalidRefreshToken,
    /// 401: a data-plane call without credentials (docs/spec/dgraph.md §3.4).
    NoCredentials,
    /// 401: credentials that belong to no door of this backend.
    InvalidCredentials,
    /// 401: a client key on an admin path (docs/spec/dgraph.md §3.2).
    AdminOnly,
    /// 403, with the reason.
    Forbidden(String),
    /// 404, naming what is missing.
    NotFound(String),
    /// 404: no backend by that port, host name or `/backends/<subdomain>` path.
    BackendNotFound,
    /// 404: no route serves the path (or a path parameter does not decode).
    NoRoute,
    /// 405; the router adds `Allow`.
    MethodNotAllowed,
    /// 409, naming what is taken.
    Conflict(String),
    /// 429: no backend port to be had, the session's quota or the range is used up (it comes
    /// back when a backend is deleted): the reason.
    NoPort(String),
    /// 413: a body over `--body-limit` (the limit, in bytes).
    TooLarge(usize),
    /// 503: a backend still being created (docs/spec/dgraph.md §9.3).
    NotReady,
    /// 500, logged once; the client hears no details.
    Internal(Internal),
}

/// The message every operation of Cerebro but `login` answers without a valid token.
pub const UNAUTHORIZED: &str = "unauthorized";

impl ApiError {
    pub fn invalid(message: impl Into<String>) -> ApiError {
        ApiError::Invalid(message.into())
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::NotFound(message.into())
    }

    /// The status and the message of every error, in one place. An internal failure is logged
    /// here, once, as it becomes an answer.
    pub fn status_and_message(self) -> (StatusCode, String) {
        let bad = StatusCode::BAD_REQUEST;
        let unauthorized = StatusCode::UNAUTHORIZED;
        match self {
            ApiError::Invalid(why) => (bad, why),
            ApiError::Limit(why) => (bad, why.0),
            ApiError::Unauthorized => (unauthorized, UNAUTHORIZED.to_owned()),
            ApiError::InvalidRefreshToken => (unauthorized, "invalid refresh token".to_owned()),
            ApiError::NoCredentials => (
                unauthorized,
                "no credentials: send the backend's JWT or an API key in X-Auth-Token, Dg-Auth or Authorization".to_owned(),
            ),
            ApiError::InvalidCredentials => (
                unauthorized,
                "invalid credentials for this backend".to_owned(),
            ),
            ApiError::AdminOnly => (
                unauthorized,
                "this endpoint needs an admin API key or the backend's JWT".to_owned(),
            ),
            ApiError::Forbidden(why) => (StatusCode::FORBIDDEN, why),
            ApiError::NotFound(what) => (StatusCode::NOT_FOUND, what),
            ApiError::BackendNotFound => (StatusCode::NOT_FOUND, "backend not found".to_owned()),
            ApiError::NoRoute => (StatusCode::NOT_FOUND, "Not Found".to_owned()),
            ApiError::MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                "Method Not Allowed".to_owned(),
            ),
            ApiError::Conflict(what) => (StatusCode::CONFLICT, what),
            ApiError::NoPort(why) => (StatusCode::TOO_MANY_REQUESTS, why),
            ApiError::TooLarge(limit) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the request body is larger than {limit} bytes (--body-limit)"),
            ),
            ApiError::NotReady => (
                StatusCode::SERVICE_UNAVAILABLE,
                "backend is being created: not ready yet".to_owned(),
            ),
            ApiError::Internal(e) => {
                e.log();
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal error".to_owned(),
                )
            }
        }
    }
}

impl From<Internal> for ApiError {
    fn from(e: Internal) -> Self {
        ApiError::Internal(e)
    }
}

impl From<LimitExceeded> for ApiError {
    fn from(e: LimitExceeded) -> Self {
        ApiError::Limit(e)
    }
}

/// Inside a GraphQL execution only the message travels, in the response's `errors`.
impl From<ApiError> for async_graphql::Error {
    fn from(e: ApiError) -> Self {
        async_graphql::Error::new(e.status_and_message().1)
    }
}

/// A front of Dgraph, by the body it answers errors with.
pub trait Front: Send + 'static {
    fn body(message: &str) -> Value;
}

/// The CLI's REST routes and `/_offcloud/dgraph`.
pub enum RestShape {}

/// Cerebro's `/graphql`, before a GraphQL execution: `data` is null, as after an unauthorized
/// call (docs/spec/dgraph.md §9.1).
pub enum CerebroShape {}

/// A backend's data plane.
pub enum BackendShape {}

impl Front for RestShape {
    fn body(message: &str) -> Value {
        json!({ "error": message })
    }
}

impl Front for CerebroShape {
    fn body(message: &str) -> Value {
        json!({ "errors": [{ "message": message }], "data": null })
    }
}

impl Front for BackendShape {
    fn body(message: &str) -> Value {
        json!({ "errors": [{ "message": message }] })
    }
}

/// An [`ApiError`] on its way to the client of front `F`.
pub struct Wire<F>(pub ApiError, PhantomData<F>);

pub type RestError = Wire<RestShape>;
pub type CerebroError = Wire<CerebroShape>;
pub type BackendError = Wire<BackendShape>;

impl<F> From<ApiError> for Wire<F> {
    fn from(e: ApiError) -> Self {
        Wire(e, PhantomData)
    }
}

impl<F> From<Internal> for Wire<F> {
    fn from(e: Internal) -> Self {
        Wire(ApiError::Internal(e), PhantomData)
    }
}

impl<F> From<LimitExceeded> for Wire<F> {
    fn from(e: LimitExceeded) -> Self {
        Wire(ApiError::Limit(e), PhantomData)
    }
}

impl<F: Front> IntoResponse for Wire<F> {
    fn into_response(self) -> Response {
        let (status, message) = self.0.status_and_message();
        (status, Json(F::body(&message))).into_response()
    }
}
