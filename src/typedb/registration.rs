//! TypeDB Cloud as the core sees it: its entry in the registry (`crate::services`).

use axum::Router;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::Value;

use crate::AppState;
use crate::apidocs::ApiDoc;
use crate::config::Config;
use crate::fixture;
use crate::flags::{PortSetting, Ttl};
use crate::service::Service;

/// TypeDB Cloud: everything it keeps is per session.
pub struct Typedb;

impl Service for Typedb {
    fn name(&self) -> &'static str {
        "typedb"
    }

    fn real_hosts(&self) -> &'static [&'static str] {
        &["cloud.typedb.com"]
    }

    fn port(&self, config: &Config) -> PortSetting {
        config.typedb.port
    }

    fn router(&self, state: &AppState) -> Router {
        super::router(state.clone())
    }

    fn error_response(&self, status: StatusCode) -> Response {
        super::error::for_status(status)
    }

    fn contract_refusal(&self, messages: &[String]) -> Response {
        super::error::error_response(
            StatusCode::BAD_REQUEST,
            "INVALID_ARGUMENT",
            &messages.join("; "),
        )
    }

    fn control_router(&self) -> Option<Router<AppState>> {
        Some(super::control_router())
    }

    fn api_docs(&self) -> Vec<ApiDoc> {
        vec![ApiDoc::OpenApi {
            real_url: "https://cloud.typedb.com",
            document: super::openapi,
        }]
    }

    fn settings(&self, config: &Config) -> Value {
        serde_json::to_value(&config.typedb).unwrap_or_default()
    }

    fn lifecycle_durations<'c>(&self, config: &'c mut Config) -> Vec<(&'static str, &'c mut Ttl)> {
        config.typedb.lifecycle_durations()
    }

    fn fixtures(&self) -> Option<fixture::Reader> {
        Some(fixture::Reader::of::<super::fixtures::Section>())
    }
}
