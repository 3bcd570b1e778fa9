//! Dgraph Cloud as the core sees it: its entry in the registry (`crate::services`).

use std::sync::OnceLock;

use axum::Json;
use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::error::{BackendShape, Front};
use super::routes::dataplane;
use super::schema::Schemas;
use super::{GraphqlApi, backends, sdl};
use crate::AppState;
use crate::apidocs::ApiDoc;
use crate::config::Config;
use crate::fixture;
use crate::flags::{PortSetting, Ttl};
use crate::service::{BoxFuture, GraphqlEndpoint, Service, reason};
use crate::session::SessionName;

/// Its name: the prefix, the `?service=` value, the journal's.
pub(crate) const NAME: &str = "dgraph";

/// Dgraph Cloud zones whose deployment hosts (`<name>.<zone>.aws.cloud.dgraph.io`) the generated
/// certificate covers. A wildcard covers one label only, so each zone needs its own name.
/// docs/spec/dgraph.md §4.4 records us-east-1 and us-west-2; the rest are the AWS regions Dgraph
/// Cloud has offered.
const ZONES: &[&str] = &[
    "us-east-1",
    "us-west-2",
    "eu-central-1",
    "eu-west-1",
    "ap-south-1",
    "ap-southeast-1",
];

/// Dgraph Cloud, with what its sessions share: the backends' own ports, and the GraphQL schemas,
/// built once.
#[derive(Default)]
pub struct Dgraph {
    pub(super) backends: backends::Registry,
    schemas: OnceLock<Schemas>,
}

impl Dgraph {
    /// This server's Dgraph. Only its own routes and hooks ask, and they exist only once it is
    /// registered.
    pub(crate) fn of(state: &AppState) -> &Dgraph {
        state
            .services
            .get::<Dgraph>()
            .expect("Dgraph is registered in services.rs")
    }

    pub(super) fn schemas(&self) -> &Schemas {
        self.schemas.get_or_init(Schemas::build)
    }
}

impl Service for Dgraph {
    fn name(&self) -> &'static str {
        NAME
    }

    fn real_hosts(&self) -> &'static [&'static str] {
        &["cerebro.cloud.dgraph.io", "api.cloud.dgraph.io"]
    }

    /// Each backend has its own host name; the Dgraph router picks the backend from it.
    fn serves_host(&self, host: &str) -> bool {
        host.ends_with(".aws.cloud.dgraph.io") || host.ends_with(".dgraph.localhost")
    }

    fn certificate_names(&self) -> Vec<String> {
        let mut names = vec!["*.dgraph.localhost".to_owned()];
        names.extend(
            ZONES
                .iter()
                .map(|zone| format!("*.{zone}.aws.cloud.dgraph.io")),
        );
        names
    }

    fn port(&self, config: &Config) -> PortSetting {
        config.dgraph.port
    }

    /// The slash-graphql CLI's `--environment dev` calls http://localhost:8070, which Node may
    /// resolve to ::1.
    fn also_on_ipv6_loopback(&self) -> bool {
        true
    }

    fn router(&self, state: &AppState) -> Router {
        super::router(state.clone())
    }

    /// In a backend's shape, `{"errors":[{"message"}]}`, which Cerebro's clients read too.
    fn error_response(&self, status: StatusCode) -> Response {
        (status, Json(BackendShape::body(reason(status)))).into_response()
    }

    /// Cerebro's `/graphql`, and each backend's `/admin` and `/admin/slash` (its own `/graphql`
    /// runs the schema its owner set, which no document describes).
    fn graphql_endpoints(&self) -> Vec<GraphqlEndpoint> {
        let endpoint = |routes, path, schema| GraphqlEndpoint {
            routes,
            path,
            schema,
        };
        vec![
            endpoint(NAME, "/graphql", "dgraph"),
            endpoint(dataplane::ROUTES, "/admin", "dgraph-admin"),
            endpoint(dataplane::ROUTES, "/admin/slash", "dgraph-slash"),
        ]
    }

    fn contract_refusal(&self, messages: &[String]) -> Response {
        let body = BackendShape::body(&messages.join("; "));
        (StatusCode::BAD_REQUEST, Json(body)).into_response()
    }

    fn control_router(&self) -> Option<Router<AppState>> {
        Some(super::control_router())
    }

    fn api_docs(&self) -> Vec<ApiDoc> {
        vec![
            ApiDoc::OpenApi {
                real_url: "https://cerebro.cloud.dgraph.io",
                document: super::openapi,
            },
            ApiDoc::Sdl {
                name: "dgraph",
                sdl: || Some(sdl(GraphqlApi::Cerebro)),
            },
            ApiDoc::Sdl {
                name: "dgraph-admin",
                sdl: || Some(sdl(GraphqlApi::Admin)),
            },
            ApiDoc::Sdl {
                name: "dgraph-slash",
                sdl: || Some(sdl(GraphqlApi::Slash)),
            },
        ]
    }

    fn settings(&self, config: &Config) -> Value {
        serde_json::to_value(&config.dgraph).unwrap_or_default()
    }

    fn lifecycle_durations<'c>(&self, config: &'c mut Config) -> Vec<(&'static str, &'c mut Ttl)> {
        config.dgraph.lifecycle_durations()
    }

    fn fixtures(&self) -> Option<fixture::Reader> {
        Some(fixture::Reader::of::<super::fixtures::Section>())
    }

    // No `after_reset`: a reset leaves the backends' listeners up (a wiped backend answers 404
    // on its port), and the next create frees the ports of the deployments that are gone.

    fn on_drop<'a>(&'a self, state: &'a AppState, session: &'a SessionName) -> BoxFuture<'a, ()> {
        Box::pin(backends::close_session(state, session))
    }

    fn after_import<'a>(
        &'a self,
        state: &'a AppState,
        session: &'a SessionName,
    ) -> BoxFuture<'a, ()> {
        Box::pin(backends::release_stale(state, session))
    }

    fn on_shutdown(&self, state: &AppState) {
        backends::close_all(state);
    }
}
