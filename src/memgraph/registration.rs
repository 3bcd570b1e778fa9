//! Memgraph as the core sees it: its entry in the registry (`crate::services`).

use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::error::detail_response;
use super::metrics::Metrics;
use super::rate_limit::RateLimits;
use crate::AppState;
use crate::apidocs::ApiDoc;
use crate::config::Config;
use crate::fixture;
use crate::flags::{PortSetting, Ttl};
use crate::service::{Service, reason};

/// Memgraph, with what its sessions share: the `/metrics` counters are the process's, as on the
/// real service, and so are the per-key allowances of `--memgraph-rate-limit`.
#[derive(Default)]
pub struct Memgraph {
    pub metrics: Arc<Metrics>,
    pub rate_limits: Arc<RateLimits>,
}

impl Memgraph {
    /// This server's Memgraph. Only its own routes ask, and they exist only once it is registered.
    pub(crate) fn of(state: &AppState) -> &Memgraph {
        state
            .services
            .get::<Memgraph>()
            .expect("Memgraph is registered in services.rs")
    }
}

impl Service for Memgraph {
    fn name(&self) -> &'static str {
        "memgraph"
    }

    fn real_hosts(&self) -> &'static [&'static str] {
        &["api.memgraph.ai"]
    }

    fn port(&self, config: &Config) -> PortSetting {
        config.memgraph.port
    }

    fn health_path(&self) -> Option<&'static str> {
        Some("/health")
    }

    fn router(&self, state: &AppState) -> Router {
        super::router(state.clone())
    }

    /// The stats counts its triggers keep (migration 0007) and its search index (0042).
    fn derived_tables(&self) -> &'static [&'static str] {
        &[
            "memgraph_tenant_counts",
            "memgraph_tenant_users",
            "memgraph_search_terms",
            "memgraph_search_tenants",
            "memgraph_search_users",
        ]
    }

    /// FastAPI's `{"detail": ...}`.
    fn error_response(&self, status: StatusCode) -> Response {
        detail_response(status, json!(reason(status)))
    }

    fn anonymous_access(&self, config: &Config) -> Option<&'static str> {
        config.memgraph.dev_mode.then_some("--memgraph-dev-mode")
    }

    /// FastAPI's 422, one pydantic-shaped error per broken rule.
    fn contract_refusal(&self, messages: &[String]) -> Response {
        let errors: Vec<Value> = messages
            .iter()
            .map(|m| json!({"type": "contract_violation", "loc": [], "msg": m, "input": null}))
            .collect();
        detail_response(StatusCode::UNPROCESSABLE_ENTITY, Value::Array(errors))
    }

    fn api_docs(&self) -> Vec<ApiDoc> {
        vec![ApiDoc::OpenApi {
            real_url: "https://api.memgraph.ai",
            document: super::openapi,
        }]
    }

    fn settings(&self, config: &Config) -> Value {
        serde_json::to_value(&config.memgraph).unwrap_or_default()
    }

    fn lifecycle_durations<'c>(&self, config: &'c mut Config) -> Vec<(&'static str, &'c mut Ttl)> {
        config.memgraph.lifecycle_durations()
    }

    fn fixtures(&self) -> Option<fixture::Reader> {
        Some(fixture::Reader::of::<super::fixtures::Section>())
    }
}
