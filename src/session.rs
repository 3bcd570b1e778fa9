//! Sessions: every piece of state lives in a session, so parallel test jobs can share one offcloud
//! without seeing each other. Each session has its own SQLite database and its own clock, created
//! on first use. A request names its session with `X-Offcloud-Session` or a `/_session/NAME/` path
//! prefix (see `routing.rs`); otherwise it is in `default`.

use std::any::Any;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::{Duration, Instant};

use tokio::sync::OnceCell;

use crate::clock::Clock;
use crate::config::Storage;
use crate::db;
use crate::error::Internal;
pub use crate::secrets::Secrets;

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

/// A handle on one open session: its database, its clock and what it caches. While a handle
/// exists (a request is using the session) the session stays live; once none does, an idle
/// session can be parked (see [`Sessions::park_idle`]), and the next [`Sessions::get`] unparks it.
#[derive(Clone, Debug)]
pub struct Session {
    shared: Arc<SessionInner>,
    live: Arc<Live>,
}

/// The open database of a live session. Only [`Session`] handles and the session's own
/// [`Store::Live`] hold it, so when its count is one, no request is using the session.
#[derive(Debug)]
struct Live {
    db: db::Db,
}

/// What stays with a session whether its database is open or parked.
#[derive(Debug)]
struct SessionInner {
    name: SessionName,
    /// Its database file, with file storage.
    file: Option<PathBuf>,
    store: tokio::sync::Mutex<Store>,
    /// When a handle was last taken or let go, in [`uptime_ms`].
    last_used: AtomicU64,
    clock: Clock,
    signing_secret: Option<String>,
    /// Stored secrets already read, by purpose: every token check needs one, and a statement
    /// costs a turn of the session's connection. Cleared by `reset`, which deletes them.
    secrets: Mutex<HashMap<String, Arc<[u8]>>>,
    /// What services already looked up about a credential or a tenant (an API key's owner, a
    /// tenant's settings), by a key the service chooses: a request that finds it here saves a
    /// statement. The service forgets on every change to what it cached; `reset` forgets all.
    principals: Mutex<Principals>,
    /// Secret values the services issued or verified in this session, which the request journal
    /// redacts wherever they appear. Shared with the journal's entries, which outlive the session.
    remembered: Arc<Secrets>,
}

/// Where a session's database is.
#[derive(Debug)]
enum Store {
    Live(Arc<Live>),
    /// Closed, its pages kept as an image (in memory) or in its file.
    Parked(Parked),
    /// Dropped: the name now belongs to a new session.
    Closed,
}

#[derive(Debug)]
struct Parked {
    /// `None` with file storage: the file holds the pages.
    image: Option<db::Image>,
    /// The row counts of its non-empty tables, which cannot change while it is parked: listing
    /// sessions does not unpark them.
    row_counts: BTreeMap<String, i64>,
}

#[derive(Debug, Default)]
struct Principals {
    /// Counts the forgettings, so a lookup that raced with a change is not cached.
    version: u64,
    known: HashMap<String, Arc<dyn Any + Send + Sync>>,
    /// The claims of tokens whose signature was checked, by the signing key's purpose and the
    /// token: a bearer token comes back at every request, and checking it costs an HMAC and a
    /// JSON parse. Only tokens signed with the session's own keys (it issued them), at most
    /// [`CHECKED_TOKENS`] per key.
    tokens: HashMap<String, HashMap<Box<str>, Arc<dyn Any + Send + Sync>>>,
}

/// How many checked tokens a session keeps; when full it starts again (a client holds a few
/// tokens at a time, and one not kept is checked again).
const CHECKED_TOKENS: usize = 256;

/// Milliseconds since the process started: when sessions were last used.
fn uptime_ms() -> u64 {
    static START: OnceLock<Instant> = OnceLock::new();
    let elapsed = START.get_or_init(Instant::now).elapsed();
    u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX)
}

impl Drop for Session {
    fn drop(&mut self) {
        self.shared.touch();
    }
}

impl Session {
    pub fn name(&self) -> &str {
        self.shared.name.as_str()
    }

    pub fn db(&self) -> &db::Db {
        &self.live.db
    }

    pub fn clock(&self) -> &Clock {
        &self.shared.clock
    }

    /// Remembers a secret value this session issued or verified (a password checked or set, an
    /// API key, token or client secret issued or verified, a JWT issued, an environment value
    /// received), so that the request journal never shows it, whatever field carries it. Values
    /// shorter than [`Secrets::MIN_LEN`] are not matched by value (they would blank out every
    /// word that contains them).
    pub fn remember_secret(&self, value: &str) {
        self.shared.remembered.remember(value);
    }

    /// The secret values this session remembered (see [`Session::remember_secret`]).
    pub fn secrets(&self) -> &Arc<Secrets> {
        &self.shared.remembered
    }

    /// The key a service signs its tokens with: the configured secret, or one generated for this
    /// session and kept in its database.
    pub async fn signing_key(&self, purpose: &str) -> Result<Arc<[u8]>, Internal> {
        if let Some(secret) = &self.shared.signing_secret {
            return Ok(Arc::from(secret.as_bytes()));
        }
        if let Some(key) = self.cached_secrets().get(purpose) {
            return Ok(key.clone());
        }
        let fresh = crate::auth::random_token(32);
        let stored: Arc<[u8]> = Arc::from(
            db::stored_secret(self.db(), purpose, &fresh)
                .await?
                .as_bytes(),
        );
        self.cached_secrets()
            .insert(purpose.to_owned(), stored.clone());
        Ok(stored)
    }

    /// A throw-away session in memory (to check that fixtures apply).
    pub async fn scratch() -> Result<Session, Internal> {
        let name = SessionName(Arc::from("scratch"));
        Ok(SessionInner::new(name, None, None).live(db::open(None).await?))
    }

    /// Wipes every row of this session and returns its clock to real time.
    pub async fn reset(&self) -> Result<(), Internal> {
        db::wipe(self.db()).await?;
        self.forget_cached();
        self.shared.clock.reset();
        Ok(())
    }

    /// Forgets everything this session keeps in memory about its database's rows: called
    /// whenever those rows are replaced behind the services' back (reset, state import). A cache
    /// added to `Session` is cleared here. (Remembered secrets stay: the journal still holds the
    /// requests that carried them.)
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

    /// The claims of a token signed with the key for `purpose` that were kept by
    /// [`Session::keep_checked_token`], if still there and of type `C`.
    pub fn checked_token<C: Any + Send + Sync>(
        &self,
        purpose: &str,
        token: &str,
    ) -> Option<Arc<C>> {
        let principals = self.principals();
        let claims = principals.tokens.get(purpose)?.get(token)?;
        claims.clone().downcast().ok()
    }

    /// Keeps the claims of a token whose signature was checked since `version` (see
    /// [`Session::principals_version`]: a reset meanwhile may have replaced the key).
    pub fn keep_checked_token<C: Any + Send + Sync>(
        &self,
        version: u64,
        purpose: &str,
        token: &str,
        claims: Arc<C>,
    ) {
        let mut principals = self.principals();
        if principals.version != version {
            return;
        }
        let kept = principals.tokens.entry(purpose.to_owned()).or_default();
        if kept.len() >= CHECKED_TOKENS {
            kept.clear();
        }
        kept.insert(Box::from(token), claims);
    }

    /// Forgets every cached principal (and checked token): after any change to keys, users or
    /// tenants, a wipe or an import.
    pub fn forget_principals(&self) {
        let mut principals = self.principals();
        principals.version += 1;
        principals.known.clear();
        principals.tokens.clear();
    }

    fn principals(&self) -> std::sync::MutexGuard<'_, Principals> {
        // Only ever holds whole entries, so a poisoned lock is still a valid one.
        self.shared
            .principals
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn cached_secrets(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<[u8]>>> {
        // Only ever holds whole entries, so a poisoned lock is still a valid one.
        self.shared
            .secrets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl SessionInner {
    fn new(name: SessionName, file: Option<PathBuf>, signing_secret: Option<String>) -> Self {
        SessionInner {
            name,
            file,
            store: tokio::sync::Mutex::new(Store::Closed),
            last_used: AtomicU64::new(uptime_ms()),
            clock: Clock::new(),
            signing_secret,
            secrets: Mutex::default(),
            principals: Mutex::default(),
            remembered: Arc::default(),
        }
    }

    /// Makes this the state of a session whose database is open, and hands out the first handle.
    fn live(mut self, db: db::Db) -> Session {
        let live = Arc::new(Live { db });
        self.store = tokio::sync::Mutex::new(Store::Live(live.clone()));
        Session {
            shared: Arc::new(self),
            live,
        }
    }

    fn touch(&self) {
        self.last_used.store(uptime_ms(), Ordering::Relaxed);
    }

    fn idle_ms(&self) -> u64 {
        uptime_ms().saturating_sub(self.last_used.load(Ordering::Relaxed))
    }

    /// A handle, unparking the database first if it is parked; `None` once the session was
    /// dropped.
    async fn lease(self: &Arc<Self>) -> Result<Option<Session>, Internal> {
        self.touch();
        let mut store = self.store.lock().await;
        let live = match &*store {
            Store::Live(live) => live.clone(),
            Store::Closed => return Ok(None),
            Store::Parked(parked) => {
                let db = match (&parked.image, &self.file) {
                    (Some(image), _) => db::unpark(image).await?,
                    (None, Some(file)) => db::reopen(file).await?,
                    (None, None) => return Err(Internal::msg("a parked session lost its image")),
                };
                tracing::debug!(session = self.name.as_str(), "session unparked");
                let live = Arc::new(Live { db });
                *store = Store::Live(live.clone());
                live
            }
        };
        Ok(Some(Session {
            shared: self.clone(),
            live,
        }))
    }

    /// Parks the session if it is live, unused and has been idle `idle_ms` at least: an
    /// in-memory database is kept as its image, a file's pool is closed. Answers whether it did.
    async fn park(&self, idle_ms: u64) -> Result<bool, Internal> {
        let Ok(mut store) = self.store.try_lock() else {
            return Ok(false);
        };
        let Store::Live(live) = &*store else {
            return Ok(false);
        };
        // The count is taken under the lock every new handle is made under (a clone of a
        // handle needs a handle): one means nobody uses the session, and nobody can start to.
        // A closed pool (the database failed) has nothing left to keep.
        if Arc::strong_count(live) > 1 || self.idle_ms() < idle_ms || live.db.is_closed() {
            return Ok(false);
        }
        let row_counts = crate::snapshot::row_counts(&live.db).await?;
        let image = match &self.file {
            None => Some(db::park(&live.db).await?),
            Some(_) => {
                live.db.close().await;
                None
            }
        };
        *store = Store::Parked(Parked { image, row_counts });
        tracing::debug!(session = self.name.as_str(), "session parked");
        Ok(true)
    }

    /// Closes the session for good (its name is about to be forgotten), unless `only_if_idle_ms`
    /// says it must be unused and idle that long and it is not. Answers whether it closed it.
    async fn close(&self, only_if_idle_ms: Option<u64>) -> bool {
        let mut store = self.store.lock().await;
        if let Some(idle_ms) = only_if_idle_ms {
            let in_use = matches!(&*store, Store::Live(live) if Arc::strong_count(live) > 1);
            if in_use || self.idle_ms() < idle_ms {
                return false;
            }
        }
        if let Store::Live(live) = std::mem::replace(&mut *store, Store::Closed) {
            live.db.close().await;
        }
        true
    }

    /// The row counts of its non-empty tables; `None` once dropped.
    async fn row_counts(&self) -> Result<Option<BTreeMap<String, i64>>, Internal> {
        let store = self.store.lock().await;
        Ok(match &*store {
            Store::Live(live) => Some(crate::snapshot::row_counts(&live.db).await?),
            Store::Parked(parked) => Some(parked.row_counts.clone()),
            Store::Closed => None,
        })
    }

    fn is_closed(&self) -> bool {
        self.store
            .try_lock()
            .is_ok_and(|store| matches!(&*store, Store::Closed))
    }

    fn is_live(&self) -> bool {
        self.store
            .try_lock()
            .map_or(true, |store| matches!(&*store, Store::Live(_)))
    }
}

/// An open session as `GET /_offcloud/sessions` lists it.
pub struct Overview {
    pub name: SessionName,
    pub clock_offset: Duration,
    pub row_counts: BTreeMap<String, i64>,
}

/// Why a session could not be opened.
#[derive(Debug)]
pub enum OpenError {
    /// `--max-sessions` sessions are open already; the number is the limit.
    Full(usize),
    Internal(Internal),
}

impl From<Internal> for OpenError {
    fn from(e: Internal) -> Self {
        OpenError::Internal(e)
    }
}

/// The failure of a session that could not open because `--max-sessions` are open already, as
/// an [`Internal`] carries it (the control API answers it with a 503, see `control_error.rs`).
#[derive(Debug)]
pub struct Full(pub usize);

impl std::fmt::Display for Full {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} sessions are open, the most --max-sessions allows: drop one (DELETE /_offcloud/sessions/NAME) first",
            self.0
        )
    }
}

impl std::error::Error for Full {}

impl From<OpenError> for Internal {
    fn from(e: OpenError) -> Self {
        match e {
            OpenError::Full(max) => Internal::from_error(Full(max)),
            OpenError::Internal(e) => e,
        }
    }
}

type Cell = Arc<OnceCell<Arc<SessionInner>>>;

/// All sessions of one running offcloud.
#[derive(Clone)]
pub struct Sessions {
    storage: Storage,
    signing_secret: Option<String>,
    /// Applied to every session when its store is created.
    fixtures: Arc<crate::control::fixtures::Fixtures>,
    /// Most sessions open at once (`--max-sessions`); 0 for no limit.
    max: usize,
    open: Arc<RwLock<HashMap<SessionName, Cell>>>,
    /// Set when a session was parked or dropped: memory to hand back (see `idle.rs`).
    freed: Arc<AtomicBool>,
    /// Most sessions live at once (`--max-live-sessions`); 0 for no limit.
    live_limit: usize,
    /// Told when a session went live beyond `live_limit` (see `idle.rs`).
    crowded: Arc<tokio::sync::Notify>,
}

impl Sessions {
    pub fn new(storage: Storage, signing_secret: Option<String>) -> Sessions {
        Sessions {
            storage,
            signing_secret,
            fixtures: Arc::default(),
            max: 0,
            open: Arc::default(),
            freed: Arc::default(),
            live_limit: 0,
            crowded: Arc::default(),
        }
    }

    /// The fixtures every new session starts with.
    pub fn with_fixtures(mut self, fixtures: Arc<crate::control::fixtures::Fixtures>) -> Sessions {
        self.fixtures = fixtures;
        self
    }

    /// At most `max` sessions open at once (0: no limit).
    pub fn with_limit(mut self, max: usize) -> Sessions {
        self.max = max;
        self
    }

    /// At most `max` sessions live at once (0: no limit): beyond it, the least recently used
    /// idle ones are parked without waiting for their idle time.
    pub fn with_live_limit(mut self, max: usize) -> Sessions {
        self.live_limit = max;
        self
    }

    /// The session of that name, opening (and migrating) its database on first use, unparking it
    /// if it is parked.
    pub async fn get(&self, name: &SessionName) -> Result<Session, Internal> {
        Ok(self.open(name).await?)
    }

    /// The same, telling a full house (`--max-sessions`) apart from a failure.
    pub async fn open(&self, name: &SessionName) -> Result<Session, OpenError> {
        loop {
            let cell = self.cell(name)?;
            let mut created = false;
            let opening = || {
                created = true;
                self.open_session(name)
            };
            let inner = match cell.get_or_try_init(opening).await {
                Ok(inner) => inner.clone(),
                Err(e) => {
                    self.forget_unopened(name, &cell);
                    return Err(e.into());
                }
            };
            let woke = created || !inner.is_live();
            // `None`: dropped since the lookup; the name now starts a new session.
            if let Some(session) = inner.lease().await? {
                if woke {
                    self.check_crowd();
                }
                return Ok(session);
            }
            self.forget_unopened(name, &cell);
        }
    }

    /// The request's session: the handle the front door took for it, else opened by name.
    pub async fn of(&self, extensions: &axum::http::Extensions) -> Result<Session, Internal> {
        if let Some(session) = extensions.get::<Session>() {
            return Ok(session.clone());
        }
        self.get(&SessionName::of(extensions)).await
    }

    /// The session of that name if it is open (unparked if parked), never opening a new one.
    pub async fn get_open(&self, name: &SessionName) -> Result<Option<Session>, Internal> {
        let Some(inner) = self.read().get(name).and_then(|cell| cell.get().cloned()) else {
            return Ok(None);
        };
        inner.lease().await
    }

    /// The remembered secrets of the session of that name, if it is open (without unparking it).
    pub fn secrets_of(&self, name: &SessionName) -> Option<Arc<Secrets>> {
        let inner = self.read().get(name).and_then(|cell| cell.get().cloned())?;
        Some(inner.remembered.clone())
    }

    /// Names of the sessions open (live or parked).
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

    /// How many sessions are open, and how many of them are live (not parked).
    pub fn counts(&self) -> (usize, usize) {
        let inners = self.inners();
        let live = inners.iter().filter(|inner| inner.is_live()).count();
        (inners.len(), live)
    }

    /// A handle on every open session (parked ones are unparked).
    pub async fn opened(&self) -> Result<Vec<Session>, Internal> {
        let mut sessions = Vec::new();
        for inner in self.inners() {
            if let Some(session) = inner.lease().await? {
                sessions.push(session);
            }
        }
        Ok(sessions)
    }

    /// Every open session, by name, with its clock and the row counts of its non-empty tables,
    /// without unparking the parked ones.
    pub async fn overview(&self) -> Result<Vec<Overview>, Internal> {
        let mut inners = self.inners();
        inners.sort_by(|a, b| a.name.as_str().cmp(b.name.as_str()));
        let mut listed = Vec::with_capacity(inners.len());
        for inner in inners {
            if let Some(row_counts) = inner.row_counts().await? {
                listed.push(Overview {
                    name: inner.name.clone(),
                    clock_offset: inner.clock.offset(),
                    row_counts,
                });
            }
        }
        Ok(listed)
    }

    /// Closes every live session's database (at shutdown, when nothing uses them any more).
    pub async fn close_all(&self) {
        for inner in self.inners() {
            if let Store::Live(live) = &*inner.store.lock().await {
                live.db.close().await;
            }
        }
    }

    /// Parks every session unused for `idle` or longer (see [`Session`]); answers how many.
    pub async fn park_idle(&self, idle: Duration) -> usize {
        let idle_ms = u64::try_from(idle.as_millis()).unwrap_or(u64::MAX);
        let mut parked = 0;
        for inner in self.inners() {
            match inner.park(idle_ms).await {
                Ok(true) => {
                    parked += 1;
                    self.freed.store(true, Ordering::Relaxed);
                }
                Ok(false) => {}
                // It stays live, as if in use; the next sweep tries again.
                Err(e) => e.log(),
            }
        }
        parked
    }

    /// Parks the least recently used idle sessions while more than `--max-live-sessions` are
    /// live; answers how many.
    pub async fn park_least_recent(&self) -> usize {
        if self.live_limit == 0 {
            return 0;
        }
        let mut live: Vec<Arc<SessionInner>> =
            self.inners().into_iter().filter(|i| i.is_live()).collect();
        let Some(mut excess) = live.len().checked_sub(self.live_limit) else {
            return 0;
        };
        live.sort_by_key(|inner| std::cmp::Reverse(inner.idle_ms()));
        let mut parked = 0;
        for inner in live {
            if excess == 0 {
                break;
            }
            match inner.park(0).await {
                Ok(true) => {
                    parked += 1;
                    excess -= 1;
                    self.freed.store(true, Ordering::Relaxed);
                }
                Ok(false) => {}
                Err(e) => e.log(),
            }
        }
        parked
    }

    /// Completes when a session went live beyond `--max-live-sessions` since the last time.
    pub async fn crowded(&self) {
        self.crowded.notified().await;
    }

    fn check_crowd(&self) {
        if self.live_limit > 0 && self.counts().1 > self.live_limit {
            self.crowded.notify_one();
        }
    }

    /// Whether a session was parked or dropped since the last call.
    pub fn take_freed(&self) -> bool {
        self.freed.swap(false, Ordering::Relaxed)
    }

    /// In-memory sessions other than `default` unused for `idle` or longer: what idle eviction
    /// drops.
    pub fn idle_in_memory(&self, idle: Duration) -> Vec<SessionName> {
        if self.storage != Storage::Memory {
            return Vec::new();
        }
        let idle_ms = u64::try_from(idle.as_millis()).unwrap_or(u64::MAX);
        self.inners()
            .into_iter()
            .filter(|inner| inner.name.as_str() != DEFAULT_SESSION && inner.idle_ms() >= idle_ms)
            .map(|inner| inner.name.clone())
            .collect()
    }

    /// Closes a session and forgets it: its database is closed (and its files removed, with file
    /// storage) and the next use of the name starts afresh. `None` when no such session is open.
    pub async fn drop_session(&self, name: &SessionName) -> Result<Option<()>, std::io::Error> {
        self.drop_if(name, None).await
    }

    /// The same, only if the session is unused and idle for `idle` at least (idle eviction):
    /// `None` when it is not (or not open).
    pub async fn drop_if_idle(
        &self,
        name: &SessionName,
        idle: Duration,
    ) -> Result<Option<()>, std::io::Error> {
        let idle_ms = u64::try_from(idle.as_millis()).unwrap_or(u64::MAX);
        self.drop_if(name, Some(idle_ms)).await
    }

    async fn drop_if(
        &self,
        name: &SessionName,
        only_if_idle_ms: Option<u64>,
    ) -> Result<Option<()>, std::io::Error> {
        let Some(inner) = self.read().get(name).and_then(|cell| cell.get().cloned()) else {
            return Ok(None);
        };
        if !inner.close(only_if_idle_ms).await {
            return Ok(None);
        }
        self.freed.store(true, Ordering::Relaxed);
        {
            let mut open = self.write();
            if open
                .get(name)
                .and_then(|cell| cell.get())
                .is_some_and(|current| Arc::ptr_eq(current, &inner))
            {
                open.remove(name);
            }
        }
        if let Some(file) = &inner.file {
            let mut wal = file.clone().into_os_string();
            wal.push("-wal");
            let mut shm = file.clone().into_os_string();
            shm.push("-shm");
            for path in [file.clone(), wal.into(), shm.into()] {
                match std::fs::remove_file(&path) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
                    _ => {}
                }
            }
        }
        tracing::debug!(session = name.as_str(), "session dropped");
        Ok(Some(()))
    }

    /// The cell of the name, made when new, unless that would open one session too many.
    fn cell(&self, name: &SessionName) -> Result<Cell, OpenError> {
        if let Some(cell) = self.read().get(name) {
            return Ok(cell.clone());
        }
        let mut open = self.write();
        if let Some(cell) = open.get(name) {
            return Ok(cell.clone());
        }
        if self.max > 0 && open.len() >= self.max {
            return Err(OpenError::Full(self.max));
        }
        Ok(open.entry(name.clone()).or_default().clone())
    }

    /// Forgets a cell whose session could not be opened, or was dropped, so that it does not
    /// count as open.
    fn forget_unopened(&self, name: &SessionName, cell: &Cell) {
        let mut open = self.write();
        let stale = open
            .get(name)
            .is_some_and(|current| Arc::ptr_eq(current, cell))
            && cell.get().is_none_or(|inner| inner.is_closed());
        if stale {
            open.remove(name);
        }
    }

    fn inners(&self) -> Vec<Arc<SessionInner>> {
        self.read()
            .values()
            .filter_map(|cell| cell.get().cloned())
            .collect()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<SessionName, Cell>> {
        // The map is never left half-updated, so a poisoned lock is still a valid one.
        self.open
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<SessionName, Cell>> {
        self.open
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    async fn open_session(&self, name: &SessionName) -> Result<Arc<SessionInner>, Internal> {
        let file = self.file_for(name);
        // A database file that exists already has its fixtures (or what became of them): only a
        // new store is seeded, so a persistent session keeps its state across restarts.
        let new_store = file.as_deref().is_none_or(|f| !f.exists());
        let db = db::open(file.as_deref()).await?;
        tracing::debug!(session = name.as_str(), file = ?file, "session opened");
        let session = SessionInner::new(name.clone(), file, self.signing_secret.clone()).live(db);
        if new_store {
            self.fixtures.seed(&session).await?;
        }
        Ok(session.shared.clone())
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
