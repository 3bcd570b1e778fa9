//! Each backend's own data-plane port (docs/spec/dgraph.md §11, choice 20): clients keep only the
//! origin of a backend's `url`, and the CLI finds a backend's token by comparing `url` with
//! `host:port`, so a deployment gets a port from `--dgraph-backend-ports` when it is created, or
//! when its `url` is first read after a restart, an import or a fixture.
//!
//! What a port costs is small and paid once: a listening socket and the task that accepts on it.
//! Everything behind it is shared: one front door per session (journal, fault rules), one
//! data-plane router, and the GraphQL schemas of the process. A session holds at most
//! `--dgraph-backend-ports-per-session` ports; a deployment that cannot have one is still listed
//! (with its real host name as `url`, served by Host header and `/backends/<subdomain>`), and is
//! deleted like any other.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tower::ServiceExt;

use super::BackendRef;
use super::error::ApiError;
use super::model::{Deployment, PORT_WANTED};
use super::registration::{Dgraph, NAME};
use super::settings::PortRange;
use crate::AppState;
use crate::routing::FrontDoor;
use crate::session::SessionName;
use crate::tls::DualListener;

/// The open backend ports of this process, by session and deployment uid.
#[derive(Clone, Default)]
pub struct Registry {
    sessions: Arc<Mutex<HashMap<SessionName, SessionPorts>>>,
}

#[derive(Default)]
struct SessionPorts {
    listeners: HashMap<String, Listener>,
    /// The session's front door for its backends' ports, built with its first port.
    door: Option<Router>,
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
    fn lock(&self) -> MutexGuard<'_, HashMap<SessionName, SessionPorts>> {
        // Holds only whole entries, so a poisoned lock is still a valid one.
        self.sessions.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The uids of the session's deployments that have a port open, with the port.
    fn open_of(&self, session: &SessionName) -> Vec<(String, u16)> {
        self.lock()
            .get(session)
            .map(|s| {
                s.listeners
                    .iter()
                    .map(|(uid, l)| (uid.clone(), l.port))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn remove(&self, session: &SessionName, uid: &str) -> Option<Listener> {
        self.lock().get_mut(session)?.listeners.remove(uid)
    }
}

/// Binds ports for one session, under the registry's lock: the quota is counted and the ports
/// of every session are known, so two requests never take the same port.
struct Binder<'a> {
    state: &'a AppState,
    session: &'a SessionName,
    all: MutexGuard<'a, HashMap<SessionName, SessionPorts>>,
    /// Ports of the range found taken by another process in this pass, not tried again.
    tried: HashSet<u16>,
    /// Why no port could be had, once that happened: the rest of the pass does not look again.
    exhausted: Option<String>,
}

impl<'a> Binder<'a> {
    fn new(state: &'a AppState, session: &'a SessionName) -> Binder<'a> {
        Binder {
            state,
            session,
            all: Dgraph::of(state).backends.lock(),
            tried: HashSet::new(),
            exhausted: None,
        }
    }

    fn open_port(&self, uid: &str) -> Option<u16> {
        let listeners = &self.all.get(self.session)?.listeners;
        listeners.get(uid).map(|l| l.port)
    }

    /// A listener for the deployment, on `wanted` when it is free, else on any port the
    /// settings allow. `None` when ports are off.
    fn bind(&mut self, uid: &str, wanted: Option<u16>) -> Result<Option<u16>, ApiError> {
        let settings = &self.state.config.dgraph;
        if settings.backend_ports == PortRange::Off {
            return Ok(None);
        }
        if let Some(why) = &self.exhausted {
            return Err(ApiError::NoPort(why.clone()));
        }
        let held = self.all.get(self.session).map_or(0, |s| s.listeners.len());
        let listener = if held >= settings.backend_ports_per_session {
            Err(format!(
                "this session already has {held} backend ports, its quota \
                 (see --dgraph-backend-ports-per-session)"
            ))
        } else {
            self.find(wanted).ok_or_else(|| {
                "no free port left for a new backend (see --dgraph-backend-ports)".to_owned()
            })
        };
        let listener = match listener {
            Ok(l) => l,
            Err(why) => {
                self.exhausted = Some(why.clone());
                return Err(ApiError::NoPort(why));
            }
        };
        let port = listener
            .local_addr()
            .map_err(|e| crate::error::Internal::msg(format!("backend listener: {e}")))?
            .port();
        let door = self.door();
        let listener = serve(self.state, door, uid, listener, port)?;
        self.all
            .entry(self.session.clone())
            .or_default()
            .listeners
            .insert(uid.to_owned(), listener);
        Ok(Some(port))
    }

    fn find(&mut self, wanted: Option<u16>) -> Option<std::net::TcpListener> {
        let ip = self.state.config.bind;
        if let Some(port) = wanted
            && port != 0
            && let Ok(l) = std::net::TcpListener::bind(SocketAddr::new(ip, port))
        {
            return Some(l);
        }
        match self.state.config.dgraph.backend_ports {
            PortRange::Off => None,
            PortRange::Any => std::net::TcpListener::bind(SocketAddr::new(ip, 0)).ok(),
            PortRange::Range(low, high) => {
                let taken: HashSet<u16> = self
                    .all
                    .values()
                    .flat_map(|s| s.listeners.values().map(|l| l.port))
                    .collect();
                for port in low..=high {
                    if taken.contains(&port) || self.tried.contains(&port) {
                        continue;
                    }
                    match std::net::TcpListener::bind(SocketAddr::new(ip, port)) {
                        Ok(l) => return Some(l),
                        Err(_) => {
                            self.tried.insert(port);
                        }
                    }
                }
                None
            }
        }
    }

    /// The session's front door for backend ports: the journal and fault rules see their
    /// requests as they see the rest of Dgraph's.
    fn door(&mut self) -> Router {
        let ports = self.all.entry(self.session.clone()).or_default();
        ports
            .door
            .get_or_insert_with(|| {
                let data_plane = super::routes::data_plane(self.state.clone());
                FrontDoor::pinned(NAME, self.session.clone(), data_plane, self.state)
                    .into_router(self.state)
            })
            .clone()
    }
}

/// Starts serving the data plane of one deployment on its listener, behind the session's door.
fn serve(
    state: &AppState,
    door: Router,
    uid: &str,
    listener: std::net::TcpListener,
    port: u16,
) -> Result<Listener, ApiError> {
    let internal =
        |e: std::io::Error| crate::error::Internal::msg(format!("backend listener: {e}"));
    listener.set_nonblocking(true).map_err(internal)?;
    let listener = TcpListener::from_std(listener).map_err(internal)?;
    let backend = BackendRef::Uid(uid.to_owned());
    let app = Router::new().fallback_service(tower::service_fn(move |mut req: Request| {
        req.extensions_mut().insert(backend.clone());
        door.clone().oneshot(req)
    }));
    let (stop, stopped) = oneshot::channel::<()>();
    let stopped = async move {
        let _ = stopped.await;
    };
    let task = match &state.tls {
        Some(tls) => {
            let dual = DualListener::new(listener, tls.clone()).map_err(internal)?;
            tokio::spawn(async move {
                let served = axum::serve(dual, app).with_graceful_shutdown(stopped).await;
                if let Err(e) = served {
                    tracing::warn!(error = %e, "backend listener stopped");
                }
            })
        }
        None => tokio::spawn(async move {
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(stopped)
                .await;
            if let Err(e) = served {
                tracing::warn!(error = %e, "backend listener stopped");
            }
        }),
    };
    Ok(Listener { port, stop, task })
}

/// A port for a new deployment; `None` when ports are off. Refused when the session's quota or
/// the range is used up: a backend is not created without the port its `url` names.
pub async fn open(
    state: &AppState,
    session: &SessionName,
    uid: &str,
) -> Result<Option<u16>, ApiError> {
    release_deleted(state, session).await;
    Binder::new(state, session).bind(uid, None)
}

/// Gives every listed deployment that should have a port and has none open one (the port it
/// had when it is still free), within the session's quota, and sets each row's `port` to what
/// its `url` should show: the open port, or none. Returns the rows whose stored port changed.
/// Costs a map lookup per deployment once its port is open; a deployment that cannot have one
/// is listed without, and asked for again at the next read.
pub fn ensure_all(
    state: &AppState,
    session: &SessionName,
    rows: &mut [Deployment],
) -> Result<Vec<(String, Option<i64>)>, ApiError> {
    let mut changed = Vec::new();
    if rows.iter().all(|d| d.port.is_none()) {
        return Ok(changed);
    }
    let mut binder = Binder::new(state, session);
    for d in rows.iter_mut() {
        let Some(stored) = d.port else { continue };
        if let Some(open) = binder.open_port(&d.uid) {
            if i64::from(open) != stored {
                changed.push((d.uid.clone(), Some(i64::from(open))));
            }
            d.port = Some(i64::from(open));
            continue;
        }
        let wanted = (stored != PORT_WANTED)
            .then(|| u16::try_from(stored).ok())
            .flatten();
        match binder.bind(&d.uid, wanted) {
            Ok(Some(port)) => {
                changed.push((d.uid.clone(), Some(i64::from(port))));
                d.port = Some(i64::from(port));
            }
            // Ports are off now: the deployment is reached by host name from here on.
            Ok(None) => {
                changed.push((d.uid.clone(), None));
                d.port = None;
            }
            // No port to be had (quota, range): listed without one, asked for again next time.
            Err(ApiError::Internal(e)) => return Err(ApiError::Internal(e)),
            Err(_) => d.port = None,
        }
    }
    Ok(changed)
}

/// Releases the ports of this session's deployments that are gone without a delete (a session
/// reset wipes the rows but cannot reach the listeners).
async fn release_deleted(state: &AppState, session: &SessionName) {
    let open = Dgraph::of(state).backends.open_of(session);
    if open.is_empty() {
        return;
    }
    let Ok(opened) = state.sessions.get(session).await else {
        return;
    };
    let store = super::store::Store::new(opened);
    for (uid, _) in open {
        if let Ok(None) = store.deployment(&uid).await {
            close(state, session, &uid).await;
        }
    }
}

/// Releases the deployment's port, if it has one.
pub async fn close(state: &AppState, session: &SessionName, uid: &str) {
    if let Some(listener) = Dgraph::of(state).backends.remove(session, uid) {
        listener.shut().await;
    }
}

/// After the session's rows were replaced (a state import): closes the listeners of deployments
/// that are gone or now have another port. Deployments that have none get theirs back when
/// their `url` is next read (`ensure_all`); those reached by Host header need none.
pub async fn release_stale(state: &AppState, session: &SessionName) {
    let open = Dgraph::of(state).backends.open_of(session);
    if open.is_empty() {
        return;
    }
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

/// Closes every listener of the session (it is being dropped), and forgets its front door.
pub async fn close_session(state: &AppState, session: &SessionName) {
    let removed = Dgraph::of(state).backends.lock().remove(session);
    if let Some(ports) = removed {
        for (_, listener) in ports.listeners {
            listener.shut().await;
        }
    }
}

/// Stops every backend listener (the server is shutting down).
pub fn close_all(state: &AppState) {
    Dgraph::of(state).backends.lock().clear();
}
