//! Each backend's own data-plane listener (SPEC.md, Topology): clients keep only the origin of a
//! backend URL, and the CLI finds a backend's token by comparing `url` with `host:port`, so every
//! deployment gets a port from `--dgraph-backend-ports`, bound on create and released on delete.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::extract::Request;
use axum::middleware::{self, Next};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::Dgraph;
use super::dataplane::{self, BackendRef};
use super::registration::NAME;
use super::settings::PortRange;
use crate::AppState;
use crate::routing::FrontDoor;
use crate::session::SessionName;
use crate::tls::DualListener;

/// The open backend listeners of this process, by (session, deployment uid).
#[derive(Clone, Default)]
pub struct Registry {
    open: Arc<Mutex<HashMap<(String, String), Listener>>>,
}

struct Listener {
    port: u16,
    /// Dropping it stops the listener.
    stop: oneshot::Sender<()>,
    /// Ends once the socket is closed: only then can the port be bound again.
    task: JoinHandle<()>,
}

impl Listener {
    /// Stops the listener and waits (a little, at most) until its port is free again, so the
    /// next create can take it: a reset or delete followed at once by a create is what tests do.
    async fn shut(self) {
        drop(self.stop);
        let _ = tokio::time::timeout(Duration::from_secs(2), self.task).await;
    }
}

impl Registry {
    fn lock(&self) -> MutexGuard<'_, HashMap<(String, String), Listener>> {
        // Holds only whole entries, so a poisoned lock is still a valid one.
        self.open.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn taken(&self) -> Vec<u16> {
        self.lock().values().map(|l| l.port).collect()
    }
}

/// Binds a listener for the deployment; `None` when backend ports are off. The error is the
/// message the client hears when the range is exhausted.
pub async fn open(
    state: &AppState,
    session: &SessionName,
    uid: &str,
) -> Result<Option<u16>, String> {
    let registry = &Dgraph::of(state).backends;
    release_deleted(state, session).await;
    let ip = state.config.bind;
    let listener = match state.config.dgraph.backend_ports {
        PortRange::Off => return Ok(None),
        PortRange::Any => TcpListener::bind(SocketAddr::new(ip, 0)).await.ok(),
        PortRange::Range(low, high) => {
            let taken = registry.taken();
            let mut found = None;
            for port in (low..=high).filter(|p| !taken.contains(p)) {
                if let Ok(l) = TcpListener::bind(SocketAddr::new(ip, port)).await {
                    found = Some(l);
                    break;
                }
            }
            found
        }
    };
    let Some(listener) = listener else {
        return Err("no free port left for a new backend (see --dgraph-backend-ports)".into());
    };
    let port = listener
        .local_addr()
        .map_err(|e| format!("backend listener: {e}"))?
        .port();
    serve(state, session, uid, listener, port);
    Ok(Some(port))
}

/// After a restart on a persistent database, a deployment keeps its port but has no listener:
/// it gets one back (the same port when it is still free), found lazily when Cerebro reads it.
pub async fn ensure(
    state: &AppState,
    session: &SessionName,
    uid: &str,
    port: Option<i64>,
) -> Result<Option<u16>, String> {
    let Some(port) = port else {
        return Ok(None);
    };
    let key = (session.as_str().to_owned(), uid.to_owned());
    if let Some(open) = Dgraph::of(state).backends.lock().get(&key) {
        return Ok(Some(open.port));
    }
    if let Ok(port) = u16::try_from(port)
        && let Ok(listener) = TcpListener::bind(SocketAddr::new(state.config.bind, port)).await
    {
        serve(state, session, uid, listener, port);
        return Ok(Some(port));
    }
    open(state, session, uid).await
}

fn serve(state: &AppState, session: &SessionName, uid: &str, listener: TcpListener, port: u16) {
    let (stop, stopped) = oneshot::channel::<()>();
    let app = port_router(state, session.clone(), uid.to_owned());
    let stopped = async move {
        let _ = stopped.await;
    };
    let dual = match &state.tls {
        Some(tls) => match DualListener::new(listener, tls.clone()) {
            Ok(dual) => Either::Dual(dual),
            Err(e) => {
                tracing::warn!(error = %e, "backend listener");
                return;
            }
        },
        None => Either::Plain(listener),
    };
    let task = tokio::spawn(async move {
        let served = match dual {
            Either::Dual(l) => axum::serve(l, app).with_graceful_shutdown(stopped).await,
            Either::Plain(l) => axum::serve(l, app).with_graceful_shutdown(stopped).await,
        };
        if let Err(e) = served {
            tracing::warn!(error = %e, "backend listener stopped");
        }
    });
    Dgraph::of(state).backends.lock().insert(
        (session.as_str().to_owned(), uid.to_owned()),
        Listener { port, stop, task },
    );
}

/// A backend's port speaks HTTPS too when offcloud has a certificate (`--tls-port`).
enum Either {
    Plain(TcpListener),
    Dual(DualListener),
}

/// Releases the ports of this session's deployments that are gone without a delete (a session
/// reset wipes the rows but cannot reach the listeners).
async fn release_deleted(state: &AppState, session: &SessionName) {
    let uids: Vec<String> = Dgraph::of(state)
        .backends
        .lock()
        .keys()
        .filter(|(s, _)| s == session.as_str())
        .map(|(_, uid)| uid.clone())
        .collect();
    let Ok(opened) = state.sessions.get(session).await else {
        return;
    };
    let store = super::store::Store::new(opened);
    for uid in uids {
        if let Ok(None) = store.deployment(&uid).await {
            close(state, session, &uid).await;
        }
    }
}

/// Releases the deployment's port, if it has one.
pub async fn close(state: &AppState, session: &SessionName, uid: &str) {
    let removed = Dgraph::of(state)
        .backends
        .lock()
        .remove(&(session.as_str().to_owned(), uid.to_owned()));
    if let Some(listener) = removed {
        listener.shut().await;
    }
}

/// After the session's rows were replaced (a state import): closes the listeners of deployments
/// that are gone or now have another port. Deployments that have none get theirs back when
/// Cerebro next reads them (`ensure`); those reached by Host header need none.
pub async fn release_stale(state: &AppState, session: &SessionName) {
    let open: Vec<(String, u16)> = Dgraph::of(state)
        .backends
        .lock()
        .iter()
        .filter(|((s, _), _)| s == session.as_str())
        .map(|((_, uid), listener)| (uid.clone(), listener.port))
        .collect();
    let Ok(opened) = state.sessions.get(session).await else {
        return;
    };
    let store = super::store::Store::new(opened);
    for (uid, port) in open {
        let kept = match store.deployment(&uid).await {
            Ok(Some(d)) => d.port == Some(i64::from(port)),
            Ok(None) => false,
            // Unknown: leave it; `release_deleted` looks again at the next create.
            Err(_) => true,
        };
        if !kept {
            close(state, session, &uid).await;
        }
    }
}

/// Closes every listener of the session (it is being dropped).
pub async fn close_session(state: &AppState, session: &SessionName) {
    let uids: Vec<String> = Dgraph::of(state)
        .backends
        .lock()
        .keys()
        .filter(|(s, _)| s == session.as_str())
        .map(|(_, uid)| uid.clone())
        .collect();
    for uid in uids {
        close(state, session, &uid).await;
    }
}

/// Stops every backend listener (the server is shutting down).
pub fn close_all(state: &AppState) {
    Dgraph::of(state).backends.lock().clear();
}

/// The data plane of one deployment at the root of its own port, in its own session, behind a
/// front door of its own (journal, fault rules).
fn port_router(state: &AppState, session: SessionName, uid: String) -> axum::Router {
    let backend = BackendRef::Uid(uid);
    let router = dataplane::router(state.clone()).layer(middleware::from_fn(
        move |mut req: Request, next: Next| {
            req.extensions_mut().insert(backend.clone());
            next.run(req)
        },
    ));
    FrontDoor::pinned(NAME, session, router, state).into_router(state)
}
