//! What an emulated service is to the core: the [`Service`] trait each service implements in its
//! own folder, and [`Services`], the registered ones of a running offcloud. The core (routing,
//! the control API, the server, the configuration) reaches services only through these, so it
//! depends on none of them; `services.rs` is the one place that lists them.

use std::any::Any;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::Value;

use crate::AppState;
use crate::apidocs::ApiDoc;
use crate::config::Config;
use crate::fixture;
use crate::flags::{PortSetting, Ttl};
use crate::session::SessionName;

/// A boxed future, for the trait's asynchronous hooks (a trait object cannot have `async fn`s).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One emulated service, as the core sees it. A value of it lives in [`AppState::services`] for
/// the life of the server: what the service's sessions share (counters, listeners it opened)
/// belongs in it, found again with [`Services::get`].
pub trait Service: Any + Send + Sync {
    /// Its path prefix on the main listener (`/<name>`), its `<name>.localhost` host, its fixture
    /// section, and how the control API's `?service=` and the journal name it.
    fn name(&self) -> &'static str;

    /// Host names of the real service: requests carrying them go to this service at the root, so
    /// a network alias can stand in for the real host.
    fn real_hosts(&self) -> &'static [&'static str];

    /// Other host names it answers (beyond its real ones and `<name>.localhost`).
    fn serves_host(&self, _host: &str) -> bool {
        false
    }

    /// Names, wildcards included, the generated TLS certificate must cover for those other hosts.
    fn certificate_names(&self) -> Vec<String> {
        Vec::new()
    }

    /// The setting of its own listener, which serves it at the root.
    fn port(&self, config: &Config) -> PortSetting;

    /// Whether its own listener also binds IPv6 loopback when offcloud binds IPv4 loopback or
    /// every address (for clients that resolve `localhost` to `::1`).
    fn also_on_ipv6_loopback(&self) -> bool {
        false
    }

    /// A path of its own router that answers 200 when it is up, for `offcloud healthcheck` when
    /// the main listener is off.
    fn health_path(&self) -> Option<&'static str> {
        None
    }

    /// Its API, with the real paths at the root.
    fn router(&self, state: &AppState) -> Router;

    /// An error answer in its own shape for a status alone: the front door's body-too-large, and
    /// fault rules without a body. The message is the status's reason.
    fn error_response(&self, status: StatusCode) -> Response;

    /// Provisioning routes under `/_offcloud/<name>`: what the real service makes only in its
    /// web console.
    fn control_router(&self) -> Option<Router<AppState>> {
        None
    }

    /// Its OpenAPI document and GraphQL schemas, served under `/_offcloud/openapi` and
    /// `/_offcloud/schema`.
    fn api_docs(&self) -> Vec<ApiDoc> {
        Vec::new()
    }

    /// Its GraphQL endpoints, for the contract checks and coverage (`crate::contract`).
    fn graphql_endpoints(&self) -> Vec<GraphqlEndpoint> {
        Vec::new()
    }

    /// The flag that lets requests without credentials in, when this configuration turns it on
    /// (behaviour the real service lacks: such a request is an `emulator-only` violation).
    fn anonymous_access(&self, _config: &Config) -> Option<&'static str> {
        None
    }

    /// Its own 4xx for a request that breaks the real API's contract, under `--strict`: one
    /// message per broken rule.
    fn contract_refusal(&self, _messages: &[String]) -> Response {
        self.error_response(StatusCode::BAD_REQUEST)
    }

    /// Its settings as `/_offcloud/info` shows them (durations in seconds).
    fn settings(&self, config: &Config) -> Value;

    /// Its asynchronous-transition durations, by clap argument id: what `--lifecycle` sets.
    fn lifecycle_durations<'c>(&self, config: &'c mut Config) -> Vec<(&'static str, &'c mut Ttl)>;

    /// Its section of a fixture document, when it has one.
    fn fixtures(&self) -> Option<fixture::Reader> {
        None
    }

    /// After a session's rows were wiped (all of them, or this service's) and its fixtures
    /// applied again.
    fn after_reset<'a>(
        &'a self,
        _state: &'a AppState,
        _session: &'a SessionName,
    ) -> BoxFuture<'a, ()> {
        Box::pin(std::future::ready(()))
    }

    /// Before a session is dropped for good.
    fn on_drop<'a>(&'a self, _state: &'a AppState, _session: &'a SessionName) -> BoxFuture<'a, ()> {
        Box::pin(std::future::ready(()))
    }

    /// After a session's rows were replaced by a state import.
    fn after_import<'a>(
        &'a self,
        _state: &'a AppState,
        _session: &'a SessionName,
    ) -> BoxFuture<'a, ()> {
        Box::pin(std::future::ready(()))
    }

    /// When the server shuts down, after its listeners stopped accepting.
    fn on_shutdown(&self, _state: &AppState) {}

    /// Its tables whose rows its triggers derive from other tables' rows (kept counts). A state
    /// snapshot leaves them out, and the triggers rebuild them as the rows they count are
    /// loaded: copying them too would count everything twice. Row counts and the dashboard
    /// leave them out too.
    fn derived_tables(&self) -> &'static [&'static str] {
        &[]
    }
}

/// Every registered service's [`Service::derived_tables`]: the same for every server of the
/// process, since the tables come from the migrations.
pub fn derived_tables() -> &'static [&'static str] {
    static DERIVED: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    DERIVED.get_or_init(|| {
        crate::services::all()
            .iter()
            .flat_map(|s| s.derived_tables().iter().copied())
            .collect()
    })
}

/// Whether the table's rows are derived by triggers (see [`Service::derived_tables`]).
pub fn is_derived_table(table: &str) -> bool {
    derived_tables().contains(&table)
}

/// A GraphQL endpoint of a service: where its router serves it, and the SDL document
/// ([`ApiDoc::Sdl`]) of the schema it executes.
pub struct GraphqlEndpoint {
    /// The routes it is among: the service's name for its own router, or the label a router it
    /// nests was given with `crate::contract::routes`.
    pub routes: &'static str,
    /// The route template, as that router matches it.
    pub path: &'static str,
    /// The name of the SDL document.
    pub schema: &'static str,
}

/// The registered services, in the order `/_offcloud/info`, fixtures and documents list them.
#[derive(Clone)]
pub struct Services(Arc<[Arc<dyn Service>]>);

impl Services {
    pub fn new(services: Vec<Arc<dyn Service>>) -> Services {
        Services(services.into())
    }

    pub fn iter(&self) -> impl Iterator<Item = &Arc<dyn Service>> {
        self.0.iter()
    }

    /// The service of that name (`memgraph`, `typedb`, ...).
    pub fn by_name(&self, name: &str) -> Option<&Arc<dyn Service>> {
        self.0.iter().find(|s| s.name() == name)
    }

    pub fn names(&self) -> Vec<&'static str> {
        self.0.iter().map(|s| s.name()).collect()
    }

    /// The names as a sentence lists them: `memgraph, typedb, hasura or dgraph`.
    pub fn listed(&self) -> String {
        match self.names().as_slice() {
            [] => String::new(),
            [one] => (*one).to_owned(),
            [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
        }
    }

    /// The registered value of the service type `T`.
    pub fn get<T: Service>(&self) -> Option<&T> {
        self.0.iter().find_map(|s| {
            let any: &dyn Any = s.as_ref();
            any.downcast_ref::<T>()
        })
    }
}

/// The status's reason phrase: the message of an error answered for a status alone.
pub fn reason(status: StatusCode) -> &'static str {
    status.canonical_reason().unwrap_or("Error")
}
