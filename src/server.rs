//! Binding the listeners and serving them until told to stop.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, Request, Response};
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::trace::TraceLayer;
use tracing::Span;

use crate::config::{Config, PortSetting};
use crate::routing::{FrontDoor, ListenerKind};
use crate::service::Services;
use crate::session::{SessionName, Sessions};
use crate::{AppState, StartError};

/// A bound listener, as `/_offcloud/info` and the start-up log describe it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ListenerInfo {
    /// `main`, or the service's name.
    pub name: &'static str,
    pub address: SocketAddr,
    /// The service it serves at the root, if it is a service's own.
    #[serde(skip)]
    pub service: Option<&'static str>,
}

/// Listeners bound, state ready, not serving yet.
pub struct Server {
    state: AppState,
    listeners: Vec<(ListenerKind, TcpListener)>,
    tls: Option<crate::tls::Tls>,
}

impl Server {
    /// Binds every enabled listener and opens the default session (so a bad database path fails
    /// here, not at the first request).
    pub async fn bind(config: Config) -> Result<Server, StartError> {
        let storage = config.storage().map_err(StartError::Config)?;
        let services = crate::services::all();
        let wanted = std::iter::once((ListenerKind::Main, "main", None, config.port)).chain(
            services.iter().map(|s| {
                let kind = ListenerKind::Service(s.name());
                (kind, s.name(), Some(s), s.port(&config))
            }),
        );

        let mut listeners = Vec::new();
        let mut infos = Vec::new();
        for (kind, name, service, port) in wanted {
            let PortSetting::Port(port) = port else {
                continue;
            };
            let address = SocketAddr::new(config.bind, port);
            let listener = TcpListener::bind(address)
                .await
                .map_err(|e| StartError::Bind(address, e))?;
            let address = listener
                .local_addr()
                .map_err(|e| StartError::Bind(address, e))?;
            infos.push(ListenerInfo {
                name,
                address,
                service: service.map(|s| s.name()),
            });
            listeners.push((kind.clone(), listener));
            if service.is_some_and(|s| s.also_on_ipv6_loopback())
                && (config.bind.is_loopback() || config.bind.is_unspecified())
                && config.bind.is_ipv4()
            {
                let v6 = SocketAddr::new(std::net::Ipv6Addr::LOCALHOST.into(), address.port());
                if let Ok(extra) = TcpListener::bind(v6).await {
                    listeners.push((kind, extra));
                }
            }
        }

        let tls = crate::tls::Tls::bind(&config, &services).await?;
        if let Some(tls) = &tls {
            infos.push(ListenerInfo {
                name: crate::tls::LISTENER_NAME,
                address: tls.address(),
                service: None,
            });
        }

        let fixtures = Arc::new(
            crate::control::fixtures::Fixtures::load(&config, &services)
                .await
                .map_err(StartError::Fixtures)?,
        );
        let sessions = Sessions::new(storage, config.signing_secret.clone())
            .with_fixtures(fixtures.clone())
            .with_limit(config.max_sessions)
            .with_live_limit(config.max_live_sessions);
        sessions
            .get(&SessionName::default_session())
            .await
            .map_err(StartError::Database)?;
        let tls_config = tls.as_ref().map(crate::tls::Tls::server_config);
        let state = AppState::new(config, services, sessions, infos, tls_config, fixtures);
        crate::control::state::load_file(&state).await?;
        Ok(Server {
            state,
            listeners,
            tls,
        })
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    pub fn listeners(&self) -> &[ListenerInfo] {
        &self.state.listeners
    }

    /// The address of the main listener (`"main"`) or of a service's own listener.
    pub fn address(&self, name: &str) -> Option<SocketAddr> {
        self.listeners()
            .iter()
            .find(|l| l.name == name)
            .map(|l| l.address)
    }

    /// Serves until `shutdown` completes, then lets requests in flight finish.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        for info in self.listeners() {
            let what = match info.service {
                None => "every service under /<service>, control API under /_offcloud".to_owned(),
                Some(s) => format!("{s} at the root"),
            };
            let scheme = match info.name {
                crate::tls::LISTENER_NAME => "https",
                _ => "http",
            };
            tracing::info!("listening on {scheme}://{} ({what})", info.address);
        }
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let mut tasks = tokio::task::JoinSet::new();
        for (kind, listener) in self.listeners {
            let app = FrontDoor::new(kind, &self.state).into_router(&self.state);
            let mut stop = stop_rx.clone();
            tasks.spawn(async move {
                axum::serve(listener, app)
                    .with_graceful_shutdown(async move {
                        let _ = stop.wait_for(|stopped| *stopped).await;
                    })
                    .await
            });
        }
        if let Some(tls) = self.tls {
            // The HTTPS listener is the main listener behind TLS.
            let app = FrontDoor::new(ListenerKind::Main, &self.state).into_router(&self.state);
            let listener = tls.into_listener();
            let mut stop = stop_rx.clone();
            tasks.spawn(async move {
                axum::serve(listener, app)
                    .with_graceful_shutdown(async move {
                        let _ = stop.wait_for(|stopped| *stopped).await;
                    })
                    .await
            });
        }
        let sweeper = tokio::spawn(crate::idle::run(self.state.clone(), stop_rx.clone()));
        shutdown.await;
        tracing::info!("shutting down");
        let _ = stop_tx.send(true);
        let _ = sweeper.await;
        // Listeners a service bound itself (Dgraph's backends) stop with the server.
        for service in self.state.services.iter() {
            service.on_shutdown(&self.state);
        }
        while let Some(result) = tasks.join_next().await {
            result.map_err(std::io::Error::other)??;
        }
        crate::control::state::save_file(&self.state).await?;
        self.state.sessions.close_all().await;
        Ok(())
    }
}

/// Wraps a listener's front door in the layers every request passes through, on every listener:
/// request ids, tracing, a body size limit, and a last line of defence against panics.
///
/// The layers are stacked into one service before the router sees them: each `Router::layer`
/// adds a boxed route that is cloned, with every route inside it, at each request (a stack of six
/// made 21 heap copies a request, and a boxed future at each level).
pub fn with_request_layers<S>(door: S, body_limit: usize) -> Router
where
    S: tower::Service<Request<Body>, Response = axum::response::Response, Error = Infallible>
        + Clone
        + Send
        + Sync
        + 'static,
    S::Future: Send + 'static,
{
    let request_id = HeaderName::from_static("x-request-id");
    let layers = tower::ServiceBuilder::new()
        .layer(SetRequestIdLayer::new(request_id.clone(), RandomId))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request<Body>| {
                    let id = req
                        .headers()
                        .get("x-request-id")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default();
                    // The path only: query strings may carry secrets, headers certainly do.
                    tracing::debug_span!(
                        "request",
                        method = %req.method(),
                        path = %req.uri().path(),
                        id,
                        session = tracing::field::Empty,
                    )
                })
                .on_request(())
                .on_response(log_response),
        )
        .layer(PropagateRequestIdLayer::new(request_id))
        .layer(CatchPanicLayer::new())
        .layer(DefaultBodyLimit::max(body_limit));
    Router::new().fallback_service(layers.service(door))
}

fn log_response<B>(res: &Response<B>, latency: Duration, _: &Span) {
    tracing::debug!(status = res.status().as_u16(), ?latency, "response");
}

/// A random (version 4) UUID for every request that brings no id. tower-http's `MakeRequestUuid`
/// asks the kernel for its 16 bytes (a system call per request); the thread's generator, seeded
/// from the kernel, gives the same UUIDs without one.
#[derive(Clone, Copy)]
struct RandomId;

impl MakeRequestId for RandomId {
    fn make_request_id<B>(&mut self, _: &Request<B>) -> Option<RequestId> {
        let id = uuid::Builder::from_random_bytes(rand::random()).into_uuid();
        let mut text = [0u8; uuid::fmt::Hyphenated::LENGTH];
        let text = id.hyphenated().encode_lower(&mut text);
        axum::http::HeaderValue::from_str(text)
            .ok()
            .map(RequestId::new)
    }
}

impl AppState {
    fn new(
        config: Config,
        services: Services,
        sessions: Sessions,
        listeners: Vec<ListenerInfo>,
        tls: Option<Arc<rustls::ServerConfig>>,
        fixtures: Arc<crate::control::fixtures::Fixtures>,
    ) -> AppState {
        AppState {
            tls,
            fixtures,
            services,
            faults: Arc::default(),
            contract: Arc::default(),
            journal: Arc::new(crate::control::journal::Journal::new(config.journal_size)),
            config: Arc::new(config),
            sessions,
            listeners: Arc::new(listeners),
        }
    }
}

#[cfg(test)]
mod tests {
    use tower::ServiceExt;

    use super::*;

    #[tokio::test]
    async fn a_panic_behind_the_request_layers_answers_500_with_a_request_id() {
        let door = tower::service_fn(|req: Request<Body>| async move {
            if req.uri().path() == "/panic" {
                panic!("a handler's bug");
            }
            Ok::<_, Infallible>(axum::response::Response::new(Body::empty()))
        });
        let app = with_request_layers(door, 1024);
        let request = |path: &str| {
            Request::builder()
                .uri(path)
                .body(Body::empty())
                .expect("a request")
        };
        let fine = app.clone().oneshot(request("/")).await.expect("an answer");
        assert_eq!(fine.status(), 200);
        let panicked = app.oneshot(request("/panic")).await.expect("an answer");
        assert_eq!(panicked.status(), 500);
        assert!(panicked.headers().contains_key("x-request-id"));
    }
}
