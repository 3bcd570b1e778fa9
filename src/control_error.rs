//! The control API's own error shape: `{"error": "<message>"}` with a fitting status. Also used by
//! the front door for requests it cannot route, and by the services' provisioning routes under
//! `/_offcloud/<service>` (it lives outside `control/` so that they depend on no more than this).

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

use crate::error::Internal;

pub fn response(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(serde_json::json!({ "error": message }))).into_response()
}

pub fn not_found(path: &str) -> Response {
    response(
        StatusCode::NOT_FOUND,
        &format!(
            "no route for {path}: services are under /memgraph, the control API under /_offcloud"
        ),
    )
}

/// Boxed: a `Response` is large, and this travels in every `Result` of the control API.
pub struct ControlError(Box<Response>);

impl IntoResponse for ControlError {
    fn into_response(self) -> Response {
        *self.0
    }
}

impl From<Internal> for ControlError {
    fn from(e: Internal) -> Self {
        if let Some(full) = e.downcast_ref::<crate::session::Full>() {
            return ControlError::new(StatusCode::SERVICE_UNAVAILABLE, &full.to_string());
        }
        e.log();
        ControlError(Box::new(response(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal error",
        )))
    }
}

impl ControlError {
    pub fn bad_request(message: &str) -> ControlError {
        ControlError::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn new(status: StatusCode, message: &str) -> ControlError {
        ControlError(Box::new(response(status, message)))
    }

    /// A response already in the control API's shape (with headers of its own).
    pub fn from_response(response: Response) -> ControlError {
        ControlError(Box::new(response))
    }
}

/// A control route's request body, read whole, up to `limit` bytes: a larger one is a 413 (a
/// body that stops arriving is answered the same: nobody is left to read why).
pub async fn body_bytes(req: Request, limit: usize) -> Result<axum::body::Bytes, ControlError> {
    let too_large = || {
        ControlError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!("the body could not be read whole: this route reads at most {limit} bytes"),
        )
    };
    let declared = req
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return Err(too_large());
    }
    axum::body::to_bytes(req.into_body(), limit)
        .await
        .map_err(|_| too_large())
}

/// The rejection of one of axum's extractors, in the control API's shape (axum's own is plain
/// text): its status, and its message.
fn rejected(status: StatusCode, message: String) -> ControlError {
    ControlError::new(status, &message)
}

/// axum's `Path`, rejecting in the control API's shape (a segment that is not UTF-8 once
/// percent-decoded, `%FF`, is a 400 `{"error": ...}`).
pub struct Path<T>(pub T);

impl<S, T> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ControlError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ControlError> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Path(value)),
            Err(e) => Err(rejected(e.status(), e.body_text())),
        }
    }
}

/// axum's `Query`, rejecting in the control API's shape.
pub struct Query<T>(pub T);

impl<S, T> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ControlError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ControlError> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Query(value)),
            Err(e) => Err(rejected(e.status(), e.body_text())),
        }
    }
}

/// axum's `Json`, rejecting in the control API's shape (a wrong content type, a body that is not
/// JSON or not of the expected shape, a body over the limit).
pub struct Json<T>(pub T);

impl<S, T> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ControlError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ControlError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Json(value)),
            Err(e) => Err(rejected(e.status(), e.body_text())),
        }
    }
}
