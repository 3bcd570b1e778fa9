//! The front door every listener shares: it picks the request's session (`/_session/NAME/` prefix
//! or `X-Offcloud-Session` header) and the service that answers it (the listener's own service, a
//! real host name in `Host`, or a `/memgraph`-style prefix on the main listener), strips what it
//! consumed from the path, and hands the request to that service's router, which always sees the
//! service's real paths at the root. The path as the client sent it stays in axum's `OriginalUri`,
//! for services that build URLs leading back through the same prefix.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::uri::PathAndQuery;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use tower::ServiceExt;

use crate::AppState;
use crate::config::{Config, PortSetting};
use crate::control;
use crate::control::faults::{Faults, Outcome, Target};
use crate::control::journal::{Capture, Entry, Journal};
use crate::session::{SESSION_HEADER, SessionName};

/// The emulated services. Adding one means a variant here (with its name, hosts, port and router),
/// its folder, and its port flag in `Config`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Service {
    Memgraph,
    Typedb,
    Hasura,
    Dgraph,
}

impl Service {
    pub const ALL: &'static [Service] = &[
        Service::Memgraph,
        Service::Typedb,
        Service::Hasura,
        Service::Dgraph,
    ];

    /// Its path prefix on the main listener, and its `<name>.localhost` host name.
    pub fn name(self) -> &'static str {
        match self {
            Service::Memgraph => "memgraph",
            Service::Typedb => "typedb",
            Service::Hasura => "hasura",
            Service::Dgraph => "dgraph",
        }
    }

    /// The service of that name (`memgraph`, `typedb`, `hasura`, `dgraph`).
    pub fn from_name(name: &str) -> Option<Service> {
        Service::ALL.iter().copied().find(|s| s.name() == name)
    }

    /// An error answer in the service's own shape, for a fault with no body of its own: the
    /// status to send, the content type and the body. The message is the status's reason.
    /// Hasura reports errors inside a GraphQL response with HTTP 200, so a 4xx becomes a 200 with
    /// its `errors` envelope; a 5xx (a failing gateway, not a GraphQL error) keeps its status.
    pub fn error_body(self, status: StatusCode) -> (StatusCode, &'static str, String) {
        let message = status.canonical_reason().unwrap_or("Error");
        let json = "application/json";
        let (status, body) = match self {
            Service::Memgraph => (status, serde_json::json!({ "detail": message })),
            Service::Typedb => {
                let code = match status.as_u16() {
                    400 | 413 | 422 => "INVALID_ARGUMENT",
                    401 => "INVALID_TOKEN",
                    403 => "PERMISSION_DENIED",
                    404 => "NOT_FOUND",
                    405 => "METHOD_NOT_ALLOWED",
                    409 => "ALREADY_EXISTS",
                    429 => "RESOURCE_EXHAUSTED",
                    503 => "UNAVAILABLE",
                    _ => "INTERNAL",
                };
                (
                    status,
                    serde_json::json!({ "code": code, "message": message }),
                )
            }
            Service::Hasura => {
                let code = match status.as_u16() {
                    401 | 403 => "access-denied",
                    404 => "not-found",
                    409 => "constraint-violation",
                    400..=499 => "validation-failed",
                    _ => "unexpected",
                };
                let body = serde_json::json!({"errors": [{
                    "message": message,
                    "extensions": {"path": "$", "code": code},
                }]});
                let status = if status.is_server_error() {
                    status
                } else {
                    StatusCode::OK
                };
                (status, body)
            }
            Service::Dgraph => (
                status,
                serde_json::json!({ "errors": [{ "message": message }] }),
            ),
        };
        (status, json, body.to_string())
    }

    pub fn error_response(self, status: StatusCode) -> Response {
        let (status, content_type, body) = self.error_body(status);
        (status, [(header::CONTENT_TYPE, content_type)], body).into_response()
    }

    /// Host names of the real service: requests carrying them go to this service at the root,
    /// so a network alias can stand in for the real host.
    pub fn real_hosts(self) -> &'static [&'static str] {
        match self {
            Service::Memgraph => &["api.memgraph.ai"],
            Service::Typedb => &["cloud.typedb.com"],
            Service::Hasura => &["data.pro.hasura.io"],
            Service::Dgraph => &["cerebro.cloud.dgraph.io", "api.cloud.dgraph.io"],
        }
    }

    /// The setting of its own listener (which serves it at the root).
    pub fn port(self, config: &Config) -> PortSetting {
        match self {
            Service::Memgraph => config.memgraph_port,
            Service::Typedb => config.typedb_port,
            Service::Hasura => config.hasura_port,
            Service::Dgraph => config.dgraph_port,
        }
    }

    fn router(self, state: &AppState) -> Router {
        match self {
            Service::Memgraph => crate::memgraph::router(state.clone()),
            Service::Typedb => crate::typedb::router(state.clone()),
            Service::Hasura => crate::hasura::router(state.clone()),
            Service::Dgraph => crate::dgraph::router(state.clone()),
        }
    }

    fn for_host(host: &str) -> Option<Service> {
        // Each Dgraph backend has its own host name; the Dgraph router picks the backend from it.
        if host.ends_with(".aws.cloud.dgraph.io") || host.ends_with(".dgraph.localhost") {
            return Some(Service::Dgraph);
        }
        Service::ALL.iter().copied().find(|s| {
            s.real_hosts().contains(&host)
                || host
                    .strip_suffix(".localhost")
                    .is_some_and(|name| name == s.name())
        })
    }
}

/// What a listener serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListenerKind {
    /// Every service under its prefix, and the control API under `/_offcloud`.
    Main,
    /// One service at the root.
    Service(Service),
    /// One Dgraph deployment's own port: its data plane at the root, always in the session that
    /// created it.
    DgraphBackend(SessionName),
}

#[derive(Clone)]
pub struct FrontDoor {
    kind: ListenerKind,
    routers: Arc<Routers>,
    journal: Arc<Journal>,
    faults: Arc<Faults>,
    body_limit: usize,
}

struct Routers {
    services: Vec<(Service, Router)>,
    control: Router,
}

impl FrontDoor {
    pub fn new(kind: ListenerKind, state: &AppState) -> FrontDoor {
        let services = match &kind {
            ListenerKind::Main => Service::ALL.iter().map(|s| (*s, s.router(state))).collect(),
            ListenerKind::Service(s) => vec![(*s, s.router(state))],
            ListenerKind::DgraphBackend(_) => Vec::new(),
        };
        FrontDoor::with_routers(kind, services, state)
    }

    /// The front door of a Dgraph deployment's own port, in front of its data-plane router: the
    /// journal and fault rules see its requests as they see the rest of Dgraph's.
    pub fn dgraph_backend(session: SessionName, router: Router, state: &AppState) -> FrontDoor {
        FrontDoor::with_routers(
            ListenerKind::DgraphBackend(session),
            vec![(Service::Dgraph, router)],
            state,
        )
    }

    fn with_routers(
        kind: ListenerKind,
        services: Vec<(Service, Router)>,
        state: &AppState,
    ) -> FrontDoor {
        FrontDoor {
            kind,
            routers: Arc::new(Routers {
                services,
                control: control::router(state.clone()),
            }),
            journal: state.journal.clone(),
            faults: state.faults.clone(),
            body_limit: state.config.body_limit,
        }
    }

    /// The listener's whole application: the front door plus the layers every request passes.
    pub fn into_router(self, state: &AppState) -> Router {
        let door = Router::new().fallback_service(tower::service_fn(move |req| {
            let door = self.clone();
            async move { Ok::<_, Infallible>(door.dispatch(req).await) }
        }));
        crate::server::with_request_layers(door, state.config.body_limit)
    }

    async fn dispatch(&self, mut req: Request) -> Response {
        let started = Instant::now();
        let path = req.uri().path().to_owned();

        let (session, after_session) = match (&self.kind, split_session_prefix(&path)) {
            (ListenerKind::DgraphBackend(session), _) => (Ok(session.clone()), path.as_str()),
            (_, Some((name, rest))) => (SessionName::parse(name).ok_or(name.to_owned()), rest),
            (_, None) => (session_from_header(req.headers()), path.as_str()),
        };
        let session = match session {
            Ok(session) => session,
            Err(bad) => return invalid_session(&bad),
        };
        tracing::Span::current().record("session", session.as_str());
        let Some((service, router, rest)) = self.pick(req.headers(), req.uri(), after_session)
        else {
            // `/` on the main listener, from a browser: the dashboard.
            if self.kind == ListenerKind::Main
                && path == "/"
                && matches!(*req.method(), Method::GET | Method::HEAD)
            {
                return Redirect::temporary(control::ui::PATH).into_response();
            }
            return control::error::not_found(after_session);
        };
        let rest = if rest.is_empty() { "/" } else { rest };
        let new_uri = match req.uri().query() {
            Some(q) => format!("{rest}?{q}"),
            None => rest.to_owned(),
        };
        match PathAndQuery::try_from(new_uri) {
            Ok(pq) => *req.uri_mut() = Uri::from(pq),
            Err(_) => return control::error::not_found(rest),
        }
        req.extensions_mut().insert(session.clone());
        match service {
            Some(service) if self.journal.enabled() => {
                self.recorded(router, req, session, service, path, started)
                    .await
            }
            Some(service) => self.serve(router, req, &session, service).await,
            None => run(router, req).await,
        }
    }

    /// Runs a request to a service, unless a fault rule answers it first.
    async fn serve(
        &self,
        router: &Router,
        req: Request,
        session: &SessionName,
        service: Service,
    ) -> Response {
        let target = Target {
            session,
            service,
            method: req.method().as_str(),
            path: req.uri().path(),
        };
        let Some(needs_operation) = self.faults.candidates(&target) else {
            return run(router, req).await;
        };
        let method = req.method().as_str().to_owned();
        let path = req.uri().path().to_owned();
        let target = Target {
            session,
            service,
            method: &method,
            path: &path,
        };
        let (req, operation) = if needs_operation {
            // Only here is a body read whole before the service runs: a rule asks for the
            // GraphQL operation name.
            let (parts, body) = req.into_parts();
            let Ok(bytes) = axum::body::to_bytes(body, self.body_limit).await else {
                return service.error_response(StatusCode::PAYLOAD_TOO_LARGE);
            };
            let content_type = parts
                .headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok());
            let operation =
                control::journal::operation_name(content_type, Some(&bytes), parts.uri.query());
            (Request::from_parts(parts, Body::from(bytes)), operation)
        } else {
            (req, None)
        };
        let Some(action) = self.faults.take(&target, operation.as_deref()) else {
            return run(router, req).await;
        };
        if !action.delay.is_zero() {
            tokio::time::sleep(action.delay).await;
        }
        match action.outcome {
            Outcome::PassThrough => run(router, req).await,
            Outcome::Respond(status, body) => control::faults::respond(service, status, body),
            Outcome::Drop => control::faults::dropped(),
        }
    }

    /// Runs the request through the service and records it in the journal.
    async fn recorded(
        &self,
        router: &Router,
        req: Request,
        session: SessionName,
        service: Service,
        path: String,
        started: Instant,
    ) -> Response {
        let time = time::OffsetDateTime::now_utc();
        let method = req.method().as_str().to_owned();
        let query = req.uri().query().map(str::to_owned);
        let request_headers = control::redact::headers(req.headers());
        let request_body = Arc::new(Capture::default());
        let req = req.map(|body| request_body.tee(body));
        let response = self.serve(router, req, &session, service).await;
        let response_body = Arc::new(Capture::default());
        let response_headers = control::redact::headers(response.headers());
        let status = response.status().as_u16();
        let response = response.map(|body| response_body.tee(body));
        self.journal.push(Entry {
            id: self.journal.next_id(),
            time,
            session,
            service,
            method,
            path,
            query,
            request_headers,
            request_body,
            status,
            duration: started.elapsed(),
            response_headers,
            response_body,
        });
        response
    }

    /// The service (none for the control API), its router, and the path it should see.
    fn pick<'p>(
        &self,
        headers: &HeaderMap,
        uri: &Uri,
        path: &'p str,
    ) -> Option<(Option<Service>, &Router, &'p str)> {
        let routers = &self.routers;
        if let ListenerKind::Service(_) | ListenerKind::DgraphBackend(_) = self.kind {
            return routers.services.first().map(|(s, r)| (Some(*s), r, path));
        }
        if let Some(service) = host_of(headers, uri).and_then(|h| Service::for_host(&h)) {
            return routers.router_of(service).map(|r| (Some(service), r, path));
        }
        let (first, rest) = split_first_segment(path);
        if first == control::PREFIX {
            return Some((None, &routers.control, rest));
        }
        routers
            .services
            .iter()
            .find(|(s, _)| s.name() == first)
            .map(|(s, r)| (Some(*s), r, rest))
    }
}

async fn run(router: &Router, req: Request) -> Response {
    match router.clone().oneshot(req).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

impl Routers {
    fn router_of(&self, service: Service) -> Option<&Router> {
        self.services
            .iter()
            .find(|(s, _)| *s == service)
            .map(|(_, r)| r)
    }
}

/// `/_session/NAME/rest` → (`NAME`, `/rest`).
fn split_session_prefix(path: &str) -> Option<(&str, &str)> {
    let after = path.strip_prefix("/_session/")?;
    Some(match after.find('/') {
        Some(i) => (&after[..i], &after[i..]),
        None => (after, ""),
    })
}

/// `/memgraph/v1/x` → (`memgraph`, `/v1/x`).
fn split_first_segment(path: &str) -> (&str, &str) {
    let trimmed = path.strip_prefix('/').unwrap_or(path);
    match trimmed.find('/') {
        Some(i) => (&trimmed[..i], &trimmed[i..]),
        None => (trimmed, ""),
    }
}

fn session_from_header(headers: &HeaderMap) -> Result<SessionName, String> {
    match headers.get(SESSION_HEADER) {
        None => Ok(SessionName::default_session()),
        Some(value) => {
            let text = value.to_str().unwrap_or_default().trim();
            SessionName::parse(text).ok_or_else(|| text.to_owned())
        }
    }
}

/// The host name the client addressed, lowercase, without port.
fn host_of(headers: &HeaderMap, uri: &Uri) -> Option<String> {
    let raw = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| uri.host())?;
    let host = if raw.starts_with('[') {
        // An IPv6 literal: `[::1]:4600`.
        raw.find(']').map_or(raw, |end| &raw[..=end])
    } else {
        raw.split(':').next().unwrap_or(raw)
    };
    Some(host.trim_end_matches('.').to_ascii_lowercase())
}

fn invalid_session(name: &str) -> Response {
    control::error::response(
        StatusCode::BAD_REQUEST,
        &format!(
            "invalid session name {name:?}: use 1 to 64 letters, digits, '_', '-' or '.', not starting with '.'"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_prefixes_split_off() {
        assert_eq!(
            split_session_prefix("/_session/job1/memgraph/v1/stats"),
            Some(("job1", "/memgraph/v1/stats"))
        );
        assert_eq!(split_session_prefix("/_session/job1"), Some(("job1", "")));
        assert_eq!(split_session_prefix("/memgraph/v1"), None);
    }

    #[test]
    fn hosts_route_to_services() {
        assert_eq!(
            Service::for_host("api.memgraph.ai"),
            Some(Service::Memgraph)
        );
        assert_eq!(
            Service::for_host("memgraph.localhost"),
            Some(Service::Memgraph)
        );
        assert_eq!(Service::for_host("localhost"), None);
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, "API.memgraph.ai:443".parse().unwrap());
        assert_eq!(
            host_of(&headers, &Uri::from_static("/")),
            Some("api.memgraph.ai".into())
        );
        headers.insert(header::HOST, "[::1]:4600".parse().unwrap());
        assert_eq!(
            host_of(&headers, &Uri::from_static("/")),
            Some("[::1]".into())
        );
    }
}
