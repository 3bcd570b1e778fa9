//! Reading a request the way Dgraph answers it: axum's own rejections are plain text, so every
//! body and path parameter goes through these, which refuse in the front's own shape (a body over
//! `--body-limit` is a 413, a path parameter that does not decode names no route).

mod de;

use std::marker::PhantomData;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::error::{ApiError, Front, RestError, RestShape, Wire};
use crate::AppState;

/// The whole body, within `--body-limit`; refused in front `F`'s shape.
pub struct Body<F> {
    pub bytes: Bytes,
    front: PhantomData<F>,
}

impl<F: Front> FromRequest<AppState> for Body<F> {
    type Rejection = Wire<F>;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Wire<F>> {
        match Bytes::from_request(req, state).await {
            Ok(bytes) => Ok(Body {
                bytes,
                front: PhantomData,
            }),
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Err(ApiError::TooLarge(state.config.body_limit).into())
            }
            Err(rejection) => Err(ApiError::invalid(format!(
                "the request body could not be read: {}",
                rejection.body_text()
            ))
            .into()),
        }
    }
}

/// A REST body read as `T`: a JSON object, or nothing at all (the CLI sends some calls without
/// a body), which `null` says too. `de.rs` reads the object's fields.
pub struct Json<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for Json<T> {
    type Rejection = RestError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, RestError> {
        let Body { bytes, .. } = Body::<RestShape>::from_request(req, state).await?;
        let object = if bytes.iter().all(u8::is_ascii_whitespace) {
            Map::new()
        } else {
            match serde_json::from_slice::<Value>(&bytes) {
                Ok(Value::Object(map)) => map,
                Ok(Value::Null) => Map::new(),
                _ => return Err(ApiError::invalid("the body must be a JSON object").into()),
            }
        };
        match de::read(&object) {
            Ok(body) => Ok(Json(body)),
            Err(refusal) => Err(ApiError::Invalid(refusal.0).into()),
        }
    }
}

/// The `{uid}` of a REST path. One that does not decode (`%FF`) names no deployment, and no
/// route: a 404 like any unknown path.
pub struct Uid(pub String);

impl FromRequestParts<AppState> for Uid {
    type Rejection = RestError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, RestError> {
        match Path::<String>::from_request_parts(parts, state).await {
            Ok(Path(uid)) => Ok(Uid(uid)),
            Err(_) => Err(ApiError::NoRoute.into()),
        }
    }
}

/// The `{token}/{file}` of an export file's signed URL; a path that does not decode is a 404 in
/// the data plane's shape.
pub struct ExportFile {
    pub token: String,
    pub file: String,
}

impl FromRequestParts<AppState> for ExportFile {
    type Rejection = super::error::BackendError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, super::error::BackendError> {
        match Path::<(String, String)>::from_request_parts(parts, state).await {
            Ok(Path((token, file))) => Ok(ExportFile { token, file }),
            Err(_) => Err(ApiError::NoRoute.into()),
        }
    }
}
