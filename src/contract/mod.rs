//! offcloud as a contract-testing target (docs/design.md, "Contract testing"): every request to an
//! emulated service is checked against the API descriptions offcloud publishes (the OpenAPI
//! documents and the GraphQL schemas of `/_offcloud/openapi` and `/_offcloud/schema`, one source
//! of truth), and counted per session by operation, for `GET /_offcloud/coverage` and
//! `GET /_offcloud/contract/violations`.
//!
//! How a request is checked: the front door puts a [`Probe`] in its extensions; the [`routes`]
//! layer, which runs inside a service's router after routing (axum's `MatchedPath` names the
//! route template), checks it before the handler runs (so `--strict` can refuse it untouched) and
//! hands what it found back on the response as a [`Checked`] extension; the front door counts it
//! in the session's [`Ledger`](ledger) and marks the answer with `X-Offcloud-Violations`. A
//! response without [`Checked`] never reached a router (a fault rule answered it) and is not
//! counted.

mod graphql;
mod layer;
mod ledger;
mod model;
mod nearest;
mod openapi;
mod schema;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use axum::extract::{OriginalUri, Request};
use axum::http::HeaderValue;
use axum::response::Response;
use serde::Serialize;

use crate::config::Config;
use crate::service::{Service, Services};
use crate::session::SessionName;

pub use layer::{layer as check_layer, routes};
pub use ledger::Violation;
pub use model::Model;

/// The header that tells a client how many contract violations its request had.
pub const VIOLATIONS_HEADER: &str = "x-offcloud-violations";

/// The flags of contract testing (`--strict`, `--provider-states`).
#[derive(Debug, Clone, clap::Args, serde::Serialize)]
#[group(id = "contract_settings")]
pub struct Settings {
    /// Answer a request that breaks the real API's contract (an undefined field, a wrong type, a
    /// missing credential...) with the service's own 4xx error instead of serving it; per session
    /// with `POST /_offcloud/contract {"strict": true}`.
    #[arg(
        id = "contract_strict",
        long = "strict",
        env = "OFFCLOUD_STRICT",
        global = true
    )]
    pub strict: bool,

    /// Folder of fixture documents, each with a top-level `state: "<name>"`: the Pact provider
    /// states `POST /_offcloud/provider-states` sets up.
    #[arg(
        id = "contract_provider_states",
        long = "provider-states",
        env = "OFFCLOUD_PROVIDER_STATES",
        global = true
    )]
    pub provider_states: Option<PathBuf>,
}

/// The rule a request broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    /// No operation of the API has this method and path.
    UnknownRoute,
    /// A body field, query parameter or GraphQL argument the API does not define.
    UnknownField,
    WrongType,
    /// A value outside what the API allows (an enum, a range, a length, a pattern).
    InvalidValue,
    /// A required field, parameter, argument or credential is missing.
    MissingRequired,
    Deprecated,
    /// Something only offcloud allows (development mode).
    EmulatorOnly,
}

/// One broken rule of one request.
#[derive(Debug, Clone)]
pub struct Finding {
    /// The operation it is about, when the request reached one.
    pub operation: Option<Arc<str>>,
    pub rule: Rule,
    pub message: String,
}

/// What the check of one request found: the operations it called (one for REST, one per root
/// field for GraphQL) and the rules it broke. A response extension.
#[derive(Debug, Clone, Default)]
pub struct Checked {
    pub operations: Vec<Arc<str>>,
    pub findings: Vec<Finding>,
}

/// A JSON request body as the check parsed it (`serde_json`, from the very bytes the handler
/// gets), left in the request's extensions for the handler to take rather than parse the same
/// body again: each parse is about 5% of the time of a 100-belief batch. The services with REST
/// operations (Memgraph's and TypeDB's body extractors) take it; left untaken, it lives only as
/// long as the request.
#[derive(Debug, Clone)]
pub struct ParsedJson(pub serde_json::Value);

/// What the [`routes`] layer needs to check a request, put in its extensions by the front door.
#[derive(Clone)]
pub struct Probe {
    model: Arc<Model>,
    service: Arc<dyn Service>,
    config: Arc<Config>,
    strict: bool,
}

/// Every session's coverage and violations, and each service's model of its API descriptions.
#[derive(Default)]
pub struct Contracts {
    /// Read on every request, written once per service: readers do not wait for each other.
    models: RwLock<HashMap<&'static str, Arc<Model>>>,
    ledgers: ledger::Ledgers,
}

impl Contracts {
    /// The model of a service's API descriptions, built once.
    pub fn model(&self, service: &dyn Service) -> Arc<Model> {
        let known = self.models.read().unwrap_or_else(|p| p.into_inner());
        if let Some(model) = known.get(service.name()) {
            return model.clone();
        }
        drop(known);
        let mut models = self.models.write().unwrap_or_else(|p| p.into_inner());
        models
            .entry(service.name())
            .or_insert_with(|| Arc::new(Model::of(service)))
            .clone()
    }

    /// Whether a session answers violating requests with an error (`--strict`, or its own
    /// setting).
    pub fn strict(&self, session: &SessionName, config: &Config) -> bool {
        self.ledgers
            .strict(session)
            .unwrap_or(config.contract.strict)
    }

    pub fn set_strict(&self, session: &SessionName, strict: bool) {
        self.ledgers.set_strict(session, strict);
    }

    /// The calls and statuses of every operation of the session, by service.
    pub fn coverage(&self, session: &SessionName, services: &[Arc<dyn Service>]) -> Vec<Coverage> {
        services
            .iter()
            .map(|service| {
                let model = self.model(service.as_ref());
                let operations = self
                    .ledgers
                    .calls(session, service.name(), model.operations());
                Coverage {
                    service: service.name(),
                    operations,
                }
            })
            .collect()
    }

    pub fn violations(
        &self,
        session: &SessionName,
        service: Option<&str>,
        limit: usize,
    ) -> Vec<Violation> {
        self.ledgers.violations(session, service, limit)
    }

    pub fn clear_violations(&self, session: &SessionName, service: Option<&str>) -> usize {
        self.ledgers.clear_violations(session, service)
    }

    pub fn clear_coverage(&self, session: &SessionName, service: Option<&str>) {
        self.ledgers.clear_calls(session, service);
    }

    /// Forgets everything of a dropped session.
    pub fn forget(&self, session: &SessionName) {
        self.ledgers.forget(session);
    }

    /// Before a request goes to `service`: the probe the [`routes`] layer reads.
    pub fn begin(
        &self,
        service: Arc<dyn Service>,
        session: &SessionName,
        config: &Arc<Config>,
        req: &mut Request,
    ) -> Pending {
        let probe = Probe {
            model: self.model(service.as_ref()),
            strict: self.strict(session, config),
            config: config.clone(),
            service: service.clone(),
        };
        req.extensions_mut().insert(probe);
        let path = req
            .extensions()
            .get::<OriginalUri>()
            .map_or_else(|| req.uri().path().to_owned(), |o| o.path().to_owned());
        Pending {
            service: service.name(),
            request_id: req
                .headers()
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned(),
            method: req.method().as_str().to_owned(),
            path,
        }
    }

    /// After the service answered: counts the request and keeps its violations.
    pub fn finish(
        &self,
        pending: Pending,
        session: &SessionName,
        mut response: Response,
    ) -> Response {
        let Some(checked) = response.extensions_mut().remove::<Checked>() else {
            return response;
        };
        let count = checked.findings.len();
        self.ledgers
            .record(session, pending, response.status().as_u16(), checked);
        if count > 0 {
            response
                .headers_mut()
                .insert(VIOLATIONS_HEADER, HeaderValue::from(count));
        }
        response
    }
}

/// A request on its way through a service, as its violations will name it.
pub struct Pending {
    service: &'static str,
    request_id: String,
    method: String,
    /// As the client sent it.
    path: String,
}

/// One service's coverage in a session: every operation, in the order of its descriptions.
pub struct Coverage {
    pub service: &'static str,
    pub operations: Vec<ledger::Calls>,
}

impl Coverage {
    pub fn covered(&self) -> usize {
        self.operations.iter().filter(|o| o.calls > 0).count()
    }
}

/// The services of `services`, or the one named by `?service=`.
pub fn select(services: &Services, name: Option<&str>) -> Result<Vec<Arc<dyn Service>>, String> {
    match name {
        None => Ok(services.iter().cloned().collect()),
        Some(name) => services
            .by_name(name)
            .map(|s| vec![s.clone()])
            .ok_or_else(|| format!("unknown service {name:?}: use {}", services.listed())),
    }
}
