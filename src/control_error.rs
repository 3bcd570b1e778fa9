//! The control API's own error shape: `{"error": "<message>"}` with a fitting status. Also used by
//! the front door for requests it cannot route, and by the services' provisioning routes under
//! `/_offcloud/<service>` (it lives outside `control/` so that they depend on no more than this).

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::error::Internal;

pub fn response(status: StatusCode, message: &str) -> Response {
    (status, Json(serde_json::json!({ "error": message }))).into_response()
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
}
