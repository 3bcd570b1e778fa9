//! The front door every listener shares: it picks the request's session (`/_session/NAME/` prefix
//! or `X-Offcloud-Session` header) and the service that answers it (the listener's own service, a
//! real host name in `Host`, or a `/memgraph`-style prefix on the main listener), strips what it
//! consumed from the path, and hands the request to that service's router, which always sees the
//! service's real paths at the root. The path as the client sent it stays in axum's `OriginalUri`,
//! for services that build URLs leading back through the same prefix.

use std::convert::Infallible;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::uri::PathAndQuery;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use tower::ServiceExt;

use crate::AppState;
use crate::clip::clipped;
use crate::config::Config;
use crate::contract::{self, Contracts};
use crate::control;
use crate::control::faults::{Faults, Outcome, Target};
use crate::control::journal::{Capture, Entry, HEAD_VALUE_LIMIT, Journal, kept_headers};
use crate::control_error;
use crate::secrets::Secrets;
use crate::service::Service;
use crate::session::{OpenError, SESSION_HEADER, SessionName, Sessions};

/// Whether a host name reaches the service at the root: one of its real host names,
/// `<name>.localhost`, or another host it says it serves.
fn serves(service: &dyn Service, host: &str) -> bool {
    service.serves_host(host)
        || service.real_hosts().contains(&host)
        || host
            .strip_suffix(".localhost")
            .is_some_and(|name| name == service.name())
}

/// What a listener serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListenerKind {
    /// Every service under its prefix, and the control API under `/_offcloud`.
    Main,
    /// One service at the root (by name).
    Service(&'static str),
    /// A port a service opened for one of its resources (a Dgraph deployment's data plane): at
    /// the root, always in the session that created it.
    Pinned(SessionName),
}

#[derive(Clone)]
pub struct FrontDoor {
    kind: ListenerKind,
    routers: Arc<Routers>,
    journal: Arc<Journal>,
    faults: Arc<Faults>,
    sessions: Sessions,
    contract: Arc<Contracts>,
    config: Arc<Config>,
    body_limit: usize,
}

/// The routers behind a front door, each built when its first request comes: a router's
/// construction runs code of every handler it holds, and an idle emulator, or one a test suite
/// uses one service of, need not page in the others' (start and idle memory, issue 16).
struct Routers {
    state: AppState,
    services: Vec<(Arc<dyn Service>, OnceLock<Router>)>,
    control: OnceLock<Router>,
}

impl FrontDoor {
    pub fn new(kind: ListenerKind, state: &AppState) -> FrontDoor {
        let services = state.services.iter().filter(|s| match &kind {
            ListenerKind::Main => true,
            ListenerKind::Service(name) => s.name() == *name,
            ListenerKind::Pinned(_) => false,
        });
        let services = services.map(|s| (s.clone(), OnceLock::new())).collect();
        FrontDoor::with_routers(kind, services, state)
    }

    /// The front door of a port a service opened for one resource (see [`ListenerKind::Pinned`]),
    /// in front of that resource's router: the journal and fault rules see its requests as they
    /// see the rest of the service's. The service marks that router for the contract checks.
    pub fn pinned(
        service: &str,
        session: SessionName,
        router: Router,
        state: &AppState,
    ) -> FrontDoor {
        let services = state
            .services
            .by_name(service)
            .map(|s| (s.clone(), OnceLock::from(router)));
        FrontDoor::with_routers(
            ListenerKind::Pinned(session),
            services.into_iter().collect(),
            state,
        )
    }

    fn with_routers(
        kind: ListenerKind,
        services: Vec<(Arc<dyn Service>, OnceLock<Router>)>,
        state: &AppState,
    ) -> FrontDoor {
        FrontDoor {
            kind,
            routers: Arc::new(Routers {
                state: state.clone(),
                services,
                control: OnceLock::new(),
            }),
            journal: state.journal.clone(),
            faults: state.faults.clone(),
            sessions: state.sessions.clone(),
            contract: state.contract.clone(),
            config: state.config.clone(),
            body_limit: state.config.body_limit,
        }
    }

    /// The listener's whole application: the front door plus the layers every request passes.
    pub fn into_router(self, state: &AppState) -> Router {
        // One reference count per request rather than one per field.
        let shared = Arc::new(self);
        let door = tower::service_fn(move |req| {
            let door = shared.clone();
            async move { Ok::<_, Infallible>(door.dispatch(req).await) }
        });
        crate::server::with_request_layers(door, state.config.body_limit)
    }

    async fn dispatch(&self, mut req: Request) -> Response {
        let started = Instant::now();
        let path = req.uri().path().to_owned();

        let (session, after_session) = match (&self.kind, split_session_prefix(&path)) {
            (ListenerKind::Pinned(session), _) => (Ok(session.clone()), path.as_str()),
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
            return control_error::not_found(after_session);
        };
        let rest = if rest.is_empty() { "/" } else { rest };
        let new_uri = match req.uri().query() {
            Some(q) => format!("{rest}?{q}"),
            None => rest.to_owned(),
        };
        match PathAndQuery::try_from(new_uri) {
            Ok(pq) => *req.uri_mut() = Uri::from(pq),
            Err(_) => return control_error::not_found(rest),
        }
        req.extensions_mut().insert(session.clone());
        let Some(service) = service else {
            if let Err(refused) = control::guard::check(&self.config, &req, rest) {
                return refused.into_response();
            }
            // A provisioning route (`/_offcloud/typedb/tokens`, ...) issues secrets in the
            // request's session, which it may open: they are collected, then remembered there.
            let collected = Arc::new(Secrets::default());
            let response = crate::secrets::scope(collected.clone(), run(router, req, None)).await;
            if !collected.is_empty()
                && let Some(secrets) = self.sessions.secrets_of(&session)
            {
                secrets.absorb(&collected);
            }
            return response;
        };
        // The request holds its session open (and unparked) while it runs; services find the
        // handle in the request (`Sessions::of`).
        let opened = match self.sessions.open(&session).await {
            Ok(opened) => opened,
            Err(OpenError::Full(_)) => {
                return service.error_response(StatusCode::SERVICE_UNAVAILABLE);
            }
            Err(OpenError::Internal(e)) => {
                e.log();
                return service.error_response(StatusCode::INTERNAL_SERVER_ERROR);
            }
        };
        let secrets = opened.secrets().clone();
        req.extensions_mut().insert(opened);
        // Secrets the service issues or checks are remembered in the session (`secrets.rs`).
        crate::secrets::scope(secrets.clone(), async move {
            if self.journal.enabled() {
                self.recorded(router, req, session, service, path, secrets, started)
                    .await
            } else {
                self.serve(router, req, &session, service).await
            }
        })
        .await
    }

    /// Runs a request to a service, and counts it for coverage and the contract violations.
    async fn serve(
        &self,
        router: &Router,
        mut req: Request,
        session: &SessionName,
        service: &dyn Service,
    ) -> Response {
        let Some(registered) = self.routers.registered(service) else {
            return self.answer(router, req, session, service).await;
        };
        let pending = self
            .contract
            .begin(registered, session, &self.config, &mut req);
        let response = self.answer(router, req, session, service).await;
        self.contract.finish(pending, session, response)
    }

    /// Runs a request to a service, unless a fault rule answers it first.
    async fn answer(
        &self,
        router: &Router,
        req: Request,
        session: &SessionName,
        service: &dyn Service,
    ) -> Response {
        let target = Target {
            session,
            service: service.name(),
            method: req.method().as_str(),
            path: req.uri().path(),
        };
        let Some(needs_operation) = self.faults.candidates(&target) else {
            return run(router, req, Some(service)).await;
        };
        let method = req.method().as_str().to_owned();
        let path = req.uri().path().to_owned();
        let target = Target {
            session,
            service: service.name(),
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
            return run(router, req, Some(service)).await;
        };
        if !action.delay.is_zero() {
            tokio::time::sleep(action.delay).await;
        }
        match action.outcome {
            Outcome::PassThrough => run(router, req, Some(service)).await,
            Outcome::Respond(status, body) => control::faults::respond(service, status, body),
            Outcome::Drop => control::faults::dropped(),
        }
    }

    /// Runs the request through the service and records it in the journal.
    #[allow(clippy::too_many_arguments)]
    async fn recorded(
        &self,
        router: &Router,
        req: Request,
        session: SessionName,
        service: &dyn Service,
        path: String,
        secrets: Arc<Secrets>,
        started: Instant,
    ) -> Response {
        let time = time::OffsetDateTime::now_utc();
        let method = clipped(req.method().as_str().to_owned(), HEAD_VALUE_LIMIT);
        let query = req
            .uri()
            .query()
            .map(|query| clipped(query.to_owned(), HEAD_VALUE_LIMIT));
        let request_headers = kept_headers(control::redact::headers(req.headers()));
        let request_body = Arc::new(Capture::default());
        let req = req.map(|body| request_body.tee(body));
        let response = self.serve(router, req, &session, service).await;
        let response_body = Arc::new(Capture::default());
        let response_headers = kept_headers(control::redact::headers(response.headers()));
        let status = response.status().as_u16();
        let response = response.map(|body| response_body.tee(body));
        self.journal.push(Entry {
            id: self.journal.next_id(),
            time,
            session,
            service: service.name(),
            method,
            path: clipped(path, HEAD_VALUE_LIMIT),
            query,
            request_headers,
            request_body,
            status,
            duration: started.elapsed(),
            response_headers,
            response_body,
            secrets,
        });
        response
    }

    /// The service (none for the control API), its router, and the path it should see.
    fn pick<'p>(
        &self,
        headers: &HeaderMap,
        uri: &Uri,
        path: &'p str,
    ) -> Option<(Option<&dyn Service>, &Router, &'p str)> {
        let routers = &self.routers;
        if let ListenerKind::Service(_) | ListenerKind::Pinned(_) = self.kind {
            return routers
                .services
                .first()
                .map(|entry| (Some(entry.0.as_ref()), routers.router(entry), path));
        }
        if let Some(host) = host_of(headers, uri)
            && let Some(entry) = routers.for_host(&host)
        {
            return Some((Some(entry.0.as_ref()), routers.router(entry), path));
        }
        let (first, rest) = split_first_segment(path);
        if first == control::PREFIX {
            let control = routers
                .control
                .get_or_init(|| control::router(routers.state.clone()));
            return Some((None, control, rest));
        }
        routers
            .services
            .iter()
            .find(|(s, _)| s.name() == first)
            .map(|entry| (Some(entry.0.as_ref()), routers.router(entry), rest))
    }
}

/// Runs a request through a service's router (or the control API's, `None`), and answers any
/// client error that comes back as plain text (axum's own rejections: a path segment that is not
/// UTF-8, a body over the limit, a wrong content type, bad JSON, in a handler that forgot to wrap
/// its extractor) with the same status in the service's own error shape. Server errors are left
/// alone: axum's extractors answer none, and a service's own 500 may be plain text on purpose
/// (Starlette's, for Memgraph).
async fn run(router: &Router, req: Request, service: Option<&dyn Service>) -> Response {
    let response = match router.clone().oneshot(req).await {
        Ok(response) => response,
        Err(never) => match never {},
    };
    if !response.status().is_client_error() {
        return response;
    }
    let plain_text = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("text/plain")
        });
    if !plain_text {
        return response;
    }
    let status = response.status();
    let mut shaped = match service {
        Some(service) => service.error_response(status),
        None => control_error::response(status, crate::service::reason(status)),
    };
    // What the service decided beyond the body stays (an `Allow`, a `Retry-After`).
    for (name, value) in response.headers() {
        if name != header::CONTENT_TYPE
            && name != header::CONTENT_LENGTH
            && !shaped.headers().contains_key(name)
        {
            shaped.headers_mut().insert(name, value.clone());
        }
    }
    shaped
}

impl Routers {
    /// The registered value of a service this front door serves.
    fn registered(&self, service: &dyn Service) -> Option<Arc<dyn Service>> {
        self.services
            .iter()
            .find(|(s, _)| s.name() == service.name())
            .map(|(s, _)| s.clone())
    }

    /// The service the host name reaches.
    fn for_host(&self, host: &str) -> Option<&(Arc<dyn Service>, OnceLock<Router>)> {
        self.services.iter().find(|(s, _)| serves(s.as_ref(), host))
    }

    /// A service's router, built the first time. Its routes are checked against its API
    /// descriptions (`crate::contract`).
    fn router<'r>(
        &self,
        (service, router): &'r (Arc<dyn Service>, OnceLock<Router>),
    ) -> &'r Router {
        router.get_or_init(|| contract::routes(service.router(&self.state), service.name()))
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
    control_error::response(
        StatusCode::BAD_REQUEST,
        &format!(
            "invalid session name {name:?}: use 1 to 64 letters, digits, '_', '-' or '.', not starting with '.'"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::Services;

    /// The service a host name reaches at the root.
    fn service_for_host<'s>(services: &'s Services, host: &str) -> Option<&'s str> {
        services
            .iter()
            .find(|s| serves(s.as_ref(), host))
            .map(|s| s.name())
    }

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
        let services = crate::services::all();
        assert_eq!(
            service_for_host(&services, "api.memgraph.ai"),
            Some("memgraph")
        );
        assert_eq!(
            service_for_host(&services, "memgraph.localhost"),
            Some("memgraph")
        );
        assert_eq!(service_for_host(&services, "localhost"), None);
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
