//! Sessions: every piece of state lives in a session, so parallel test jobs can share one offcloud
//! without seeing each other. Each session has its own SQLite database and its own clock, created
//! on first use. A request names its session with `X-Offcloud-Session` or a `/_session/NAME/` path
//! prefix (see `routing.rs`); otherwise it is in `default`.

use std::any::Any;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};

use sqlx::SqlitePool;
use tokio::sync::OnceCell;

use crate::clock::Clock;
use crate::config::Storage;
use crate::db;
use crate::error::Internal;

pub const DEFAULT_SESSION: &str = "default";
pub const SESSION_HEADER: &str = "x-offcloud-session";

/// A validated session name: 1 to 64 of `A-Z a-z 0-9 _ - .`, not starting with a dot.
/// (It becomes part of a file name in persistent mode.)
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SessionName(Arc<str>);

impl SessionName {
    pub fn parse(name: &str) -> Option<SessionName> {
        let ok = !name.is_empty()
            && name.len() <= 64
            && !name.starts_with('.')
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
        ok.then(|| SessionName(Arc::from(name)))
    }

    pub fn default_session() -> SessionName {
        SessionName(Arc::from(DEFAULT_SESSION))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The session the front door chose for a request (`default` when it chose none).
    pub fn of(extensions: &axum::http::Extensions) -> SessionName {
        extensions
            .get::<SessionName>()
            .cloned()
            .unwrap_or_else(SessionName::default_session)
    }
}

/// One session's state: its database and its clock.
#[derive(Clone, Debug)]
pub struct Session(Arc<SessionInner>);

#[derive(Debug)]
struct SessionInner {
    name: SessionName,
    db: SqlitePool,
    clock: Clock,
    signing_secret: Option<String>,
    /// Stored secrets already read, by purpose: every token check needs one, and a statement
    /// costs two thread switches with sqlx-sqlite. Cleared by `reset`, which deletes them.
    secrets: Mutex<HashMap<String, Arc<[u8]>>>,
    /// What services already looked up about a credential or a tenant (an API key's owner, a
    /// tenant's settings), by a key the service chooses: a request that finds it here saves a
    /// statement. The service forgets on every change to what it cached; `reset` forgets all.
    principals: Mutex<Principals>,
}

#[derive(Debug, Default)]
struct Principals {
    /// Counts the forgettings, so a lookup that raced with a change is not cached.
    version: u64,
    known: HashMap<String, Arc<dyn Any + Send + Sync>>,
}

impl Session {
    pub fn name(&self) -> &str {
        self.0.name.as_str()
    }

    pub fn db(&self) -> &SqlitePool {
        &self.0.db
    }

    pub fn clock(&self) -> &Clock {
        &self.0.clock
    }

    /// The key a service signs its tokens with: the configured secret, or one generated for this
    /// session and kept in its database.
    pub async fn signing_key(&self, purpose: &str) -> Result<Arc<[u8]>, Internal> {
        if let Some(secret) = &self.0.signing_secret {
            return Ok(Arc::from(secret.as_bytes()));
        }
        if let Some(key) = self.cached_secrets().get(purpose) {
            return Ok(key.clone());
        }
        let fresh = crate::auth::random_token(32);
        let stored: Arc<[u8]> = Arc::from(
            db::stored_secret(&self.0.db, purpose, &fresh)
                .await?
                .as_bytes(),
        );
        self.cached_secrets()
            .insert(purpose.to_owned(), stored.clone());
        Ok(stored)
    }

    /// A throw-away session in memory (to check that fixtures apply).
    pub async fn scratch() -> Result<Session, Internal> {
        Ok(Session(Arc::new(SessionInner {
            name: SessionName(Arc::from("scratch")),
            db: db::open(None).await?,
            clock: Clock::new(),
            signing_secret: None,
            secrets: Mutex::default(),
            principals: Mutex::default(),
        })))
    }

    /// Wipes every row of this session and returns its clock to real time.
    pub async fn reset(&self) -> Result<(), Internal> {
        db::wipe(&self.0.db).await?;
        self.forget_cached();
        self.0.clock.reset();
        Ok(())
    }

    /// Forgets everything this session keeps in memory about its database's rows: called
    /// whenever those rows are replaced behind the services' back (reset, state import). A cache
    /// added to `Session` is cleared here.
    pub fn forget_cached(&self) {
        self.cached_secrets().clear();
        self.forget_principals();
    }

    /// What a service cached under `key`, if it is still there and of type `T`.
    pub fn cached_principal<T: Any + Send + Sync>(&self, key: &str) -> Option<Arc<T>> {
        self.principals().known.get(key)?.clone().downcast().ok()
    }

    /// Where the cache stands: read it before looking something up to cache.
    pub fn principals_version(&self) -> u64 {
        self.principals().version
    }

    /// Caches what was looked up since `version`, unless the cache was forgotten meanwhile (the
    /// lookup may have read what the change replaced).
    pub fn cache_principal<T: Any + Send + Sync>(&self, version: u64, key: String, value: T) {
        let mut principals = self.principals();
        if principals.version == version {
            principals.known.insert(key, Arc::new(value));
        }
    }

    /// Forgets every cached principal: after any change to keys, users or tenants, a wipe or an
    /// import.
    pub fn forget_principals(&self) {
        let mut principals = self.principals();
        principals.version += 1;
        principals.known.clear();
    }

    fn principals(&self) -> std::sync::MutexGuard<'_, Principals> {
        // Only ever holds whole entries, so a poisoned lock is still a valid one.
        self.0
            .principals
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn cached_secrets(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<[u8]>>> {
        // Only ever holds whole entries, so a poisoned lock is still a valid one.
        self.0
            .secrets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// All sessions of one running offcloud.
#[derive(Clone)]
pub struct Sessions {
    storage: Storage,
    signing_secret: Option<String>,
    /// Applied to every session when its store is created.
    fixtures: Arc<crate::control::fixtures::Fixtures>,
    open: Arc<RwLock<HashMap<SessionName, Arc<OnceCell<Session>>>>>,
}

impl Sessions {
    pub fn new(storage: Storage, signing_secret: Option<String>) -> Sessions {
        Sessions {
            storage,
            signing_secret,
            fixtures: Arc::default(),
            open: Arc::default(),
        }
    }

    /// The fixtures every new session starts with.
    pub fn with_fixtures(mut self, fixtures: Arc<crate::control::fixtures::Fixtures>) -> Sessions {
        self.fixtures = fixtures;
        self
    }

    /// The session of that name, opening (and migrating) its database on first use.
    pub async fn get(&self, name: &SessionName) -> Result<Session, Internal> {
        let cell = self.cell(name);
        cell.get_or_try_init(|| self.open_session(name))
            .await
            .cloned()
    }

    /// The request's session, opened on first use.
    pub async fn of(&self, extensions: &axum::http::Extensions) -> Result<Session, Internal> {
        self.get(&SessionName::of(extensions)).await
    }

    /// Names of the sessions opened since start.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .read()
            .iter()
            .filter(|(_, cell)| cell.initialized())
            .map(|(name, _)| name.as_str().to_owned())
            .collect();
        names.sort();
        names
    }

    /// Every session opened so far.
    pub fn opened(&self) -> Vec<Session> {
        self.read()
            .values()
            .filter_map(|cell| cell.get().cloned())
            .collect()
    }

    /// Closes a session and forgets it: its database is closed (and its files removed, with file
    /// storage) and the next use of the name starts afresh. `None` when no such session is open.
    pub async fn drop_session(
        &self,
        name: &SessionName,
    ) -> Result<Option<Session>, std::io::Error> {
        let cell = {
            let mut open = self
                .open
                .write()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            match open.get(name) {
                Some(cell) if cell.initialized() => open.remove(name),
                _ => None,
            }
        };
        let Some(session) = cell.and_then(|cell| cell.get().cloned()) else {
            return Ok(None);
        };
        session.db().close().await;
        if let Some(file) = self.file_for(name) {
            let mut wal = file.clone().into_os_string();
            wal.push("-wal");
            let mut shm = file.clone().into_os_string();
            shm.push("-shm");
            for path in [file, wal.into(), shm.into()] {
                match std::fs::remove_file(&path) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
                    _ => {}
                }
            }
        }
        tracing::debug!(session = name.as_str(), "session dropped");
        Ok(Some(session))
    }

    fn cell(&self, name: &SessionName) -> Arc<OnceCell<Session>> {
        if let Some(cell) = self.read().get(name) {
            return cell.clone();
        }
        let mut open = self
            .open
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        open.entry(name.clone()).or_default().clone()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<SessionName, Arc<OnceCell<Session>>>> {
        // The map is never left half-updated, so a poisoned lock is still a valid one.
        self.open
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    async fn open_session(&self, name: &SessionName) -> Result<Session, Internal> {
        let file = self.file_for(name);
        // A database file that exists already has its fixtures (or what became of them): only a
        // new store is seeded, so a persistent session keeps its state across restarts.
        let new_store = file.as_deref().is_none_or(|f| !f.exists());
        let db = db::open(file.as_deref()).await?;
        tracing::debug!(session = name.as_str(), file = ?file, "session opened");
        let session = Session(Arc::new(SessionInner {
            name: name.clone(),
            db,
            clock: Clock::new(),
            signing_secret: self.signing_secret.clone(),
            secrets: Mutex::default(),
            principals: Mutex::default(),
        }));
        if new_store {
            self.fixtures.seed(&session).await?;
        }
        Ok(session)
    }

    /// `default` uses the configured file; session `NAME` uses `STEM.NAME.EXT` beside it.
    fn file_for(&self, name: &SessionName) -> Option<PathBuf> {
        let Storage::File(path) = &self.storage else {
            return None;
        };
        if name.as_str() == DEFAULT_SESSION {
            return Some(path.clone());
        }
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "offcloud".to_owned());
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().into_owned())
            .unwrap_or_else(|| "db".to_owned());
        Some(path.with_file_name(format!("{stem}.{}.{ext}", name.as_str())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_names_are_safe_file_name_parts() {
        assert!(SessionName::parse("ci-job_42.a").is_some());
        assert!(SessionName::parse("").is_none());
        assert!(SessionName::parse(".hidden").is_none());
        assert!(SessionName::parse("../etc").is_none());
        assert!(SessionName::parse("a/b").is_none());
        assert!(SessionName::parse(&"x".repeat(65)).is_none());
    }

    #[test]
    fn extra_sessions_live_beside_the_default_file() {
        let sessions = Sessions::new(Storage::File("/data/offcloud.db".into()), None);
        let name = |s| SessionName::parse(s).unwrap();
        assert_eq!(
            sessions.file_for(&name("default")),
            Some("/data/offcloud.db".into())
        );
        assert_eq!(
            sessions.file_for(&name("job1")),
            Some("/data/offcloud.job1.db".into())
        );
        assert_eq!(
            Sessions::new(Storage::Memory, None).file_for(&name("job1")),
            None
        );
    }
}
