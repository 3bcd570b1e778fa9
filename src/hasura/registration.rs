//! Hasura Cloud as the core sees it: its entry in the registry (`crate::services`).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use serde_json::{Value, json};

use super::error::ApiError;
use crate::AppState;
use crate::apidocs::ApiDoc;
use crate::config::Config;
use crate::fixture;
use crate::flags::{PortSetting, Ttl};
use crate::service::{GraphqlEndpoint, Service, reason};

/// Hasura Cloud: everything it keeps is per session.
pub struct Hasura;

impl Service for Hasura {
    fn name(&self) -> &'static str {
        "hasura"
    }

    fn real_hosts(&self) -> &'static [&'static str] {
        &["data.pro.hasura.io"]
    }

    fn port(&self, config: &Config) -> PortSetting {
        config.hasura.port
    }

    fn router(&self, state: &AppState) -> Router {
        super::router(state.clone())
    }

    /// Hasura reports errors inside a GraphQL response with HTTP 200, so a 4xx becomes a 200 with
    /// its `errors` envelope; a 5xx (a failing gateway, not a GraphQL error) keeps its status.
    fn error_response(&self, status: StatusCode) -> Response {
        let code = match status.as_u16() {
            401 | 403 => "access-denied",
            404 => "not-found",
            409 => "constraint-violation",
            400..=499 => "validation-failed",
            _ => "unexpected",
        };
        let error = json!({"message": reason(status), "extensions": {"path": "$", "code": code}});
        let status = if status.is_server_error() {
            status
        } else {
            StatusCode::OK
        };
        (status, Json(json!({"errors": [error]}))).into_response()
    }

    fn graphql_endpoints(&self) -> Vec<GraphqlEndpoint> {
        vec![GraphqlEndpoint {
            routes: self.name(),
            path: "/v1/graphql",
            schema: "hasura",
        }]
    }

    /// A validation error per broken rule, in Hasura's envelope (HTTP 200).
    fn contract_refusal(&self, messages: &[String]) -> Response {
        let errors: Vec<Value> = messages
            .iter()
            .map(|m| ApiError::validation("$", m.clone()).into_json())
            .collect();
        (StatusCode::OK, Json(json!({ "errors": errors }))).into_response()
    }

    fn control_router(&self) -> Option<Router<AppState>> {
        Some(super::control_router())
    }

    fn api_docs(&self) -> Vec<ApiDoc> {
        vec![ApiDoc::Sdl {
            name: "hasura",
            sdl: super::sdl,
        }]
    }

    fn settings(&self, config: &Config) -> Value {
        serde_json::to_value(&config.hasura).unwrap_or_default()
    }

    fn lifecycle_durations<'c>(&self, config: &'c mut Config) -> Vec<(&'static str, &'c mut Ttl)> {
        config.hasura.lifecycle_durations()
    }

    fn fixtures(&self) -> Option<fixture::Reader> {
        Some(fixture::Reader::of::<super::fixtures::Section>())
    }
}
