//! SQLite: opening a session's database, migrations, statements, and wiping it.
//!
//! Statements run through rusqlite on the calling task's thread ([`query`] explains why); sqlx
//! keeps the migrations (`migrations/`, recorded in `_sqlx_migrations`) and applies them once per
//! process and to database files.

mod query;

use std::borrow::Cow;
use std::ops::{Deref, DerefMut};
use std::path::Path;
use std::ptr::NonNull;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use rusqlite::{DatabaseName, OpenFlags};
use sqlx::sqlite::{SqliteConnectOptions, SqliteOwnedBuf};
use sqlx::{ConnectOptions, Connection as _, SqliteConnection};

pub use query::{
    As, ColumnIndex, Columns, Connection, Decode, Done, Error, Executor, FromRow, Json, Query, Row,
    Scalar, query, query_as, query_scalar,
};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// An empty migrated database, as SQLite's own image of it: every in-memory store starts as a copy
/// of it (one call, well under a millisecond) rather than a run of the migrator. Made once, by
/// [`first_template`]; files are always migrated the normal way.
static TEMPLATE: tokio::sync::OnceCell<Cow<'static, [u8]>> = tokio::sync::OnceCell::const_new();

/// The empty migrated store as committed, which the template is made from: running the
/// migrations from nothing parses and re-parses the schema for about ten milliseconds, half of the
/// time from start to the first healthy answer. The migrations stay the source of truth: a start
/// checks the migrations this image records against the files; when one was added since, the
/// migrator runs over the image, applying it, and when one changed (the migrator refuses the
/// image) the start migrates from nothing.
/// A test keeps it current; `OFFCLOUD_UPDATE_EMPTY_STORE=1 cargo test --lib db::` rewrites it.
static COMMITTED_EMPTY_STORE: &[u8] = include_bytes!("db/empty.sqlite");

/// Sets SQLite's process-wide options; call it first, before any database is opened (SQLite
/// refuses them afterwards, and nothing changes). Memory statistics off: SQLite would otherwise
/// take a global mutex and ask malloc for each block's size around every allocation, about 2% of
/// a batch load's time; offcloud reads none of them (`sqlite3_memory_used` and the heap limits
/// are not used).
pub fn configure_sqlite() {
    // SAFETY: SQLITE_CONFIG_MEMSTATUS takes one int. sqlite3_config is only called here, before
    // any connection exists (main calls it before starting a thread); called later, it returns
    // SQLITE_MISUSE and changes nothing.
    unsafe {
        rusqlite::ffi::sqlite3_config(rusqlite::ffi::SQLITE_CONFIG_MEMSTATUS, 0 as std::ffi::c_int);
    }
}

/// A session's database: one connection, taken in turn.
///
/// One connection per database: SQLite serialises writers anyway, a single connection never meets
/// `SQLITE_BUSY` on a read-then-write transaction, and an in-memory database lives exactly as long
/// as its one connection, which stays open until the session is parked or dropped. A lock hands it
/// to one statement or transaction at a time (`query.fetch_one(&db)`, `db.begin()`,
/// `db.acquire()`); see [`Db::acquire`] for who gets it next.
#[derive(Clone)]
pub struct Db(Arc<Shared>);

struct Shared {
    conn: Arc<tokio::sync::Mutex<Option<Connection>>>,
    /// Wakes one task waiting for the connection each time it is put back ([`Db::acquire`]).
    put_back: tokio::sync::Notify,
    closed: AtomicBool,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Db(closed: {})", self.is_closed())
    }
}

/// The connection, held until dropped.
pub struct Conn {
    guard: tokio::sync::OwnedMappedMutexGuard<Option<Connection>, Connection>,
    /// Declared after `guard`, so dropped after it: the waiter it wakes finds the lock free.
    _put_back: PutBack,
}

/// Wakes a task waiting for the connection, when dropped.
struct PutBack(Arc<Shared>);

impl Drop for PutBack {
    fn drop(&mut self) {
        self.0.put_back.notify_one();
    }
}

impl Deref for Conn {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        &self.guard
    }
}

impl DerefMut for Conn {
    fn deref_mut(&mut self) -> &mut Connection {
        &mut self.guard
    }
}

impl Db {
    fn new(conn: Connection) -> Db {
        // sqlx's default, which the statements were written against: a request's dynamic SQL
        // (Hasura's selections) shares the cache with the fixed statements.
        conn.set_prepared_statement_cache_capacity(100);
        Db(Arc::new(Shared {
            conn: Arc::new(tokio::sync::Mutex::new(Some(conn))),
            put_back: tokio::sync::Notify::new(),
            closed: AtomicBool::new(false),
        }))
    }

    /// The connection, once the statements before have run; an error once closed, or after
    /// [`ACQUIRE_TIMEOUT`] waiting, rather than a request that never ends.
    ///
    /// Whoever asks while the connection is free takes it, rather than the task that has waited
    /// longest: a waiter handed the lock when it is put back runs only once the task that put it
    /// back has finished its turn on the thread (writing its response, for a handler), and for
    /// that time nobody could use the connection. Handed over that way, a list of ten TypeDB
    /// clusters on 2 cores ran barely faster than on one. A waiter is woken each time the
    /// connection is put back, and asks again.
    pub async fn acquire(&self) -> Result<Conn, Error> {
        let guard = match self.0.conn.clone().try_lock_owned() {
            Ok(guard) => guard,
            Err(_) => tokio::time::timeout(ACQUIRE_TIMEOUT, self.wait())
                .await
                .map_err(|_| Error::TimedOut)?,
        };
        let put_back = PutBack(self.0.clone());
        match tokio::sync::OwnedMutexGuard::try_map(guard, Option::as_mut) {
            Ok(guard) => Ok(Conn {
                guard,
                _put_back: put_back,
            }),
            // Dropping `put_back` wakes the next waiter, to be told the same.
            Err(_) => Err(Error::Closed),
        }
    }

    /// The lock, as soon as it is free when this task asks.
    async fn wait(&self) -> tokio::sync::OwnedMutexGuard<Option<Connection>> {
        loop {
            // Listening before asking: a connection put back in between still wakes this task.
            let put_back = self.0.put_back.notified();
            tokio::pin!(put_back);
            put_back.as_mut().enable();
            if let Ok(guard) = self.0.conn.clone().try_lock_owned() {
                return guard;
            }
            put_back.await;
        }
    }

    /// A transaction, rolled back unless committed.
    pub async fn begin(&self) -> Result<Tx, Error> {
        let conn = self.acquire().await?;
        conn.execute_batch("BEGIN")?;
        Ok(Tx {
            conn,
            open: true,
            cache_pages: None,
        })
    }

    /// A transaction writing many rows (a batch of hundreds of memories): while it is open the
    /// connection's page cache may hold [`LARGE_WRITE_CACHE_PAGES`], so that the pages of the
    /// table and indexes it inserts into are read from the database's memory once, not again
    /// for every row; the cache is back to its size when the transaction ends, its pages freed.
    pub async fn begin_large(&self) -> Result<Tx, Error> {
        let conn = self.acquire().await?;
        let cache_pages: i64 = conn.query_row("PRAGMA cache_size", [], |row| row.get(0))?;
        conn.execute_batch(&format!("PRAGMA cache_size = {LARGE_WRITE_CACHE_PAGES}"))?;
        let mut tx = Tx {
            conn,
            open: false,
            cache_pages: Some(cache_pages),
        };
        tx.conn.execute_batch("BEGIN")?;
        tx.open = true;
        Ok(tx)
    }

    /// Closes the connection (after the statements before it); later ones fail.
    pub async fn close(&self) {
        self.0.closed.store(true, Ordering::Relaxed);
        let mut guard = self.wait().await;
        let taken = guard.take();
        drop(guard);
        // The next waiter is told it is closed, and wakes the one after it (`acquire`).
        self.0.put_back.notify_one();
        drop(taken);
    }

    pub fn is_closed(&self) -> bool {
        self.0.closed.load(Ordering::Relaxed)
    }

    /// Runs statements separated by semicolons, without arguments (tests' hand-made rows).
    pub async fn execute_batch(&self, sql: &str) -> Result<(), Error> {
        Ok(self.acquire().await?.execute_batch(sql)?)
    }
}

/// Runs `work`, a long run of statements (a state document loaded or written, an import, a
/// reset), with the runtime told that this thread is taken for a while. Statements run on the
/// thread of the task that asks for them: without this, two long ones at once would hold every
/// worker thread of the runtime, and every other session's requests would wait for them (the
/// health check for seconds). Outside a multi-threaded runtime (unit tests), `work` just runs.
pub async fn long<F: std::future::Future>(work: F) -> F::Output {
    match tokio::runtime::Handle::try_current() {
        Ok(runtime) if runtime.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(move || runtime.block_on(work))
        }
        _ => work.await,
    }
}

/// The page cache of a transaction writing many rows: 8 MiB at most, for its time.
const LARGE_WRITE_CACHE_PAGES: i64 = 2048;

/// How long a statement waits for the connection before it fails.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(30);

/// A transaction on the connection, which it holds: committed with [`Tx::commit`], rolled back
/// when dropped otherwise (before anything else can use the connection).
pub struct Tx {
    conn: Conn,
    open: bool,
    /// The cache size to go back to at the end ([`Db::begin_large`]).
    cache_pages: Option<i64>,
}

impl std::fmt::Debug for Tx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Tx(open: {})", self.open)
    }
}

impl Tx {
    /// Commits; when that fails (a deferred foreign key still broken, say) the transaction is
    /// still open, and is rolled back as this is dropped, so the connection is never left inside
    /// a transaction that nothing will end.
    pub async fn commit(mut self) -> Result<(), Error> {
        self.conn.execute_batch("COMMIT")?;
        self.open = false;
        Ok(())
    }

    pub async fn rollback(mut self) -> Result<(), Error> {
        self.open = false;
        Ok(self.conn.execute_batch("ROLLBACK")?)
    }
}

impl Drop for Tx {
    fn drop(&mut self) {
        if self.open {
            // Fails only when SQLite already rolled back (after some errors it does so itself).
            let _ = self.conn.execute_batch("ROLLBACK");
        }
        if let Some(pages) = self.cache_pages {
            // Cannot fail: a pragma setting a number. Pages over the size are freed.
            let _ = self
                .conn
                .execute_batch(&format!("PRAGMA cache_size = {pages}"));
        }
    }
}

impl Deref for Tx {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        &self.conn
    }
}

impl DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }
}

/// Opens (creating if needed) a database and brings its schema up to date.
pub async fn open(file: Option<&Path>) -> Result<Db, Error> {
    match file {
        Some(path) => {
            let mut migrating = sqlx_connect(Some(path)).await?;
            MIGRATOR.run_direct(&mut migrating).await?;
            migrating.close().await?;
            connect(Some(path))
        }
        None => {
            let template = TEMPLATE
                .get_or_try_init(|| first_template(COMMITTED_EMPTY_STORE))
                .await?;
            holding(template)
        }
    }
}

/// The template: `committed` itself when it records every migration as they are now (nearly
/// always), else `committed` brought up to date by the migrator, or, when the migrator refuses
/// it, a store migrated from nothing.
async fn first_template(committed: &'static [u8]) -> Result<Cow<'static, [u8]>, Error> {
    if is_current(committed).unwrap_or(false) {
        return Ok(Cow::Borrowed(committed));
    }
    match brought_up_to_date(committed).await {
        Ok(template) => Ok(template),
        Err(e) => {
            tracing::debug!("the committed empty store is not current ({e}): migrating");
            let mut conn = sqlx_connect(None).await?;
            MIGRATOR.run_direct(&mut conn).await?;
            Ok(Cow::Owned(conn.serialize(None).await?.to_vec()))
        }
    }
}

/// Whether `image` records every migration, each applied and with the checksum its file has
/// now, and no other: what the migrator checks before it finds nothing to do, read here without
/// an sqlx connection (which costs a thread, and its code's pages, at every start).
fn is_current(image: &[u8]) -> Result<bool, Error> {
    let mut conn = Connection::open_in_memory()?;
    deserialize(&mut conn, image)?;
    let mut statement =
        conn.prepare("SELECT version, checksum, success FROM _sqlx_migrations ORDER BY version")?;
    let applied = statement
        .query_map([], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, Vec<u8>>(1)?,
                row.get::<_, bool>(2)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut expected = MIGRATOR
        .iter()
        .filter(|m| !m.migration_type.is_down_migration());
    let all_match = applied.iter().all(|(version, checksum, success)| {
        expected
            .next()
            .is_some_and(|m| *success && m.version == *version && *m.checksum == checksum[..])
    });
    Ok(all_match && expected.next().is_none())
}

/// `image` with every migration it lacks applied: itself when it lacked none.
async fn brought_up_to_date(image: &'static [u8]) -> Result<Cow<'static, [u8]>, Error> {
    let mut conn = sqlx_connect(None).await?;
    conn.deserialize(None, SqliteOwnedBuf::try_from(image)?, false)
        .await?;
    let applied = "SELECT count(*) FROM _sqlx_migrations";
    let before: i64 = sqlx::query_scalar(applied).fetch_one(&mut conn).await?;
    MIGRATOR.run_direct(&mut conn).await?;
    let after: i64 = sqlx::query_scalar(applied).fetch_one(&mut conn).await?;
    if after == before {
        Ok(Cow::Borrowed(image))
    } else {
        Ok(Cow::Owned(conn.serialize(None).await?.to_vec()))
    }
}

/// An sqlx connection, for the migrator.
async fn sqlx_connect(file: Option<&Path>) -> Result<SqliteConnection, Error> {
    let options = match file {
        None => SqliteConnectOptions::from_str("sqlite::memory:")?,
        Some(path) => SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal),
    }
    .foreign_keys(true)
    .busy_timeout(Duration::from_secs(5));
    Ok(options.connect().await?)
}

/// A new in-memory database without the schema (for tests that migrate by hand).
#[cfg(test)]
pub fn blank() -> Result<Db, Error> {
    connect(None)
}

/// The database of a session that was open before (a parked session's file): migrated already.
pub async fn reopen(file: &Path) -> Result<Db, Error> {
    connect(Some(file))
}

/// A connection to a file (in WAL mode, as the migrator left it), or to a new, empty in-memory
/// database.
fn connect(file: Option<&Path>) -> Result<Db, Error> {
    Ok(Db::new(connection(file)?))
}

fn connection(file: Option<&Path>) -> Result<Connection, Error> {
    let conn = match file {
        None => Connection::open_in_memory()?,
        Some(path) => {
            let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
                | OpenFlags::SQLITE_OPEN_URI;
            let conn = Connection::open_with_flags(path, flags)?;
            conn.busy_timeout(Duration::from_secs(5))?;
            conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;")?;
            conn
        }
    };
    conn.execute_batch("PRAGMA foreign_keys = ON")?;
    Ok(conn)
}

/// A new in-memory database holding a copy of `image`.
fn holding(image: &[u8]) -> Result<Db, Error> {
    let mut conn = connection(None)?;
    deserialize(&mut conn, image)?;
    // An in-memory database's pages are already in memory (SQLite's memdb holds them); its
    // page cache would hold a second copy of each page read, up to 2 MB per session by
    // default. A few pages are enough: a miss costs a copy from memory, not a read from disk.
    // Set after the deserialize, which gives the schema a fresh pager.
    conn.execute_batch("PRAGMA cache_size = 16")?;
    Ok(Db::new(conn))
}

/// Replaces the main database of `conn` by a copy of `image`, in memory SQLite owns.
fn deserialize(conn: &mut Connection, image: &[u8]) -> Result<(), Error> {
    let len = u64::try_from(image.len()).map_err(|_| rusqlite::Error::InvalidQuery)?;
    // SAFETY: SQLite allocates `len` bytes (at least one), which are filled before its
    // ownership passes to `deserialize` (which frees them with sqlite3_free).
    let data = unsafe {
        let raw = rusqlite::ffi::sqlite3_malloc64(len.max(1)).cast::<u8>();
        let raw = NonNull::new(raw).ok_or(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_NOMEM),
            None,
        ))?;
        std::ptr::copy_nonoverlapping(image.as_ptr(), raw.as_ptr(), image.len());
        rusqlite::serialize::OwnedData::from_raw_nonnull(raw, image.len())
    };
    Ok(conn.deserialize(DatabaseName::Main, data, false)?)
}

/// SQLite's image of an in-memory database.
fn serialize(conn: &Connection) -> Result<Vec<u8>, Error> {
    Ok(conn.serialize(DatabaseName::Main)?.to_vec())
}

/// A parked in-memory database: SQLite's image of it, kept compactly (see [`Image`]).
pub async fn park(db: &Db) -> Result<Image, Error> {
    let image = {
        let conn = db.acquire().await?;
        Image::encode(&serialize(&conn)?, template())
    };
    db.close().await;
    Ok(image)
}

/// An in-memory database again, from its parked image.
pub async fn unpark(image: &Image) -> Result<Db, Error> {
    holding(&image.decode(template()))
}

/// The empty migrated store every in-memory one started from (empty before the first one).
fn template() -> &'static [u8] {
    TEMPLATE.get().map_or(&[], |template| &template[..])
}

/// An in-memory database as bytes, compactly. A session's image is mostly what every session's
/// is: the empty migrated store (412 KiB, of which 27 KiB are not zero: the schema's SQL text,
/// page headers) plus the pages its rows changed. So only the 4 KiB chunks that differ from the
/// template are kept, and in those only the bytes that are not in runs of zeros (free space in a
/// page is zeros). A parked empty session takes a few KiB.
///
/// Layout: `[chunk index u32][encoded length u32][encoded chunk]` per kept chunk, where an encoded
/// chunk is `[literal length u32][literal][zero-run length u32]` repeated.
pub struct Image {
    encoded: Box<[u8]>,
    len: usize,
}

impl std::fmt::Debug for Image {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Image({} bytes as {})", self.len, self.encoded.len())
    }
}

impl Image {
    const CHUNK: usize = 4096;
    /// Shorter runs of zeros stay in the literal: each run costs 8 bytes of lengths.
    const MIN_RUN: usize = 16;

    /// `bytes`, as far as they differ from `base`.
    pub fn encode(bytes: &[u8], base: &[u8]) -> Image {
        let mut out = Vec::new();
        for (index, chunk) in bytes.chunks(Image::CHUNK).enumerate() {
            let start = index * Image::CHUNK;
            let same = match base.get(start..start + chunk.len()) {
                Some(based) => based == chunk,
                None => chunk.iter().all(|b| *b == 0) && start >= base.len(),
            };
            if same {
                continue;
            }
            let mut encoded = Vec::new();
            Image::encode_chunk(chunk, &mut encoded);
            // A database held in memory is far below 4 GiB: its indexes and lengths fit.
            out.extend_from_slice(&(index as u32).to_le_bytes());
            out.extend_from_slice(&(encoded.len() as u32).to_le_bytes());
            out.extend_from_slice(&encoded);
        }
        Image {
            encoded: out.into_boxed_slice(),
            len: bytes.len(),
        }
    }

    fn encode_chunk(bytes: &[u8], out: &mut Vec<u8>) {
        let mut literal_start = 0;
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] != 0 {
                i += 1;
                continue;
            }
            let run_end = bytes[i..]
                .iter()
                .position(|b| *b != 0)
                .map_or(bytes.len(), |n| i + n);
            if run_end - i >= Image::MIN_RUN || run_end == bytes.len() {
                out.extend_from_slice(&((i - literal_start) as u32).to_le_bytes());
                out.extend_from_slice(&bytes[literal_start..i]);
                out.extend_from_slice(&((run_end - i) as u32).to_le_bytes());
                literal_start = run_end;
            }
            i = run_end;
        }
        if literal_start < bytes.len() {
            out.extend_from_slice(&((bytes.len() - literal_start) as u32).to_le_bytes());
            out.extend_from_slice(&bytes[literal_start..]);
            out.extend_from_slice(&0u32.to_le_bytes());
        }
    }

    /// The bytes again, given the same `base` they were encoded against.
    pub fn decode(&self, base: &[u8]) -> Vec<u8> {
        let mut out = base[..base.len().min(self.len)].to_vec();
        out.resize(self.len, 0);
        let mut rest = &self.encoded[..];
        while let Some((index, after)) = read_u32(rest)
            && let Some((length, after)) = read_u32(after)
        {
            let (encoded, after) = after.split_at(length.min(after.len()));
            let start = index.saturating_mul(Image::CHUNK).min(out.len());
            let end = (start + Image::CHUNK).min(out.len());
            Image::decode_chunk(encoded, &mut out[start..end]);
            rest = after;
        }
        out
    }

    fn decode_chunk(mut encoded: &[u8], out: &mut [u8]) {
        let mut at = 0;
        while let Some((literal_len, after)) = read_u32(encoded) {
            let (literal, after) = after.split_at(literal_len.min(after.len()));
            let end = (at + literal.len()).min(out.len());
            out[at..end].copy_from_slice(&literal[..end - at]);
            at = end;
            let Some((zeros, after)) = read_u32(after) else {
                break;
            };
            let end = (at + zeros).min(out.len());
            out[at..end].fill(0);
            at = end;
            encoded = after;
        }
    }

    /// Bytes held in memory.
    pub fn size(&self) -> usize {
        self.encoded.len()
    }
}

fn read_u32(bytes: &[u8]) -> Option<(usize, &[u8])> {
    let (head, rest) = bytes.split_first_chunk::<4>()?;
    Some((u32::from_le_bytes(*head) as usize, rest))
}

/// The number of the latest migration: what a state document records as its schema version.
pub fn schema_version() -> i64 {
    MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0)
}

/// Deletes every row of every table (the schema stays), in one transaction.
pub async fn wipe(db: &Db) -> Result<(), Error> {
    long(wipe_tables(db)).await
}

async fn wipe_tables(db: &Db) -> Result<(), Error> {
    let mut tx = db.begin().await?;
    // Checked at commit, when every table is empty, so the order of the deletes does not matter.
    query("PRAGMA defer_foreign_keys = ON")
        .execute(&mut *tx)
        .await?;
    let tables: Vec<String> = query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table'
           AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx_%'",
    )
    .fetch_all(&mut *tx)
    .await?;
    for table in tables {
        // Table names come from sqlite_master, never from a request.
        query(&format!("DELETE FROM \"{table}\""))
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await
}

/// Deletes every row of one service's tables: those whose name starts with `<prefix>_` (every
/// service prefixes its tables with its name; `offcloud_secrets` belongs to none and stays).
pub async fn wipe_service(db: &Db, prefix: &str) -> Result<(), Error> {
    let mut tx = db.begin().await?;
    query("PRAGMA defer_foreign_keys = ON")
        .execute(&mut *tx)
        .await?;
    // GLOB, not LIKE: `_` is a wildcard for LIKE. `prefix` is one of the services' fixed names.
    let tables: Vec<String> =
        query_scalar("SELECT name FROM sqlite_master WHERE type = 'table' AND name GLOB ? || '_*'")
            .bind(prefix)
            .fetch_all(&mut *tx)
            .await?;
    for table in tables {
        // Table names come from sqlite_master, never from a request.
        query(&format!("DELETE FROM \"{table}\""))
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await
}

/// Answers whether the database responds.
pub async fn ping(db: &Db) -> bool {
    query("SELECT 1").execute(db).await.is_ok()
}

/// A named secret kept in the database: generated on first use, the same ever after (until a wipe).
pub async fn stored_secret(db: &Db, name: &str, fresh: &str) -> Result<String, Error> {
    query("INSERT OR IGNORE INTO offcloud_secrets (name, value) VALUES (?, ?)")
        .bind(name)
        .bind(fresh)
        .execute(db)
        .await?;
    query_scalar("SELECT value FROM offcloud_secrets WHERE name = ?")
        .bind(name)
        .fetch_one(db)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn schema_of(pool: &Db) -> Vec<(String, String, String, Option<String>)> {
        query_as("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name")
            .fetch_all(pool)
            .await
            .unwrap()
    }

    async fn migrations_of(pool: &Db) -> Vec<(i64, String, bool, Vec<u8>)> {
        query_as(
            "SELECT version, description, success, checksum FROM _sqlx_migrations ORDER BY version",
        )
        .fetch_all(pool)
        .await
        .unwrap()
    }

    #[test]
    fn images_decode_to_what_was_encoded() {
        let mut base = vec![0u8; 4096 * 3];
        base[0..5].copy_from_slice(b"hello");
        base[4096 + 7] = 9;
        let mut bytes = base.clone();
        bytes[20] = 7; // a short run of zeros stays literal
        bytes[4096 * 2 + 100] = 1;
        bytes.extend_from_slice(&[0; 5000]); // grown past the base, with zeros
        bytes.extend_from_slice(&[3; 10]);
        for (bytes, base) in [
            (bytes.clone(), base.clone()),
            (bytes.clone(), vec![]),
            (base[..4096].to_vec(), base.clone()), // shrunk below the base
            (vec![], base.clone()),
            (vec![1, 0, 0, 2], vec![]),
            (vec![0; 20], vec![]),
        ] {
            assert_eq!(Image::encode(&bytes, &base).decode(&base), bytes);
        }
        let image = Image::encode(&bytes, &base);
        assert!(image.size() < 100, "only what differs is kept: {image:?}");
        assert_eq!(Image::encode(&base, &base).size(), 0);
    }

    #[tokio::test]
    async fn a_commit_that_fails_leaves_the_connection_usable_and_nothing_written() {
        let db = open(None).await.unwrap();
        db.execute_batch(
            "CREATE TABLE parent (id INTEGER PRIMARY KEY);
             CREATE TABLE child (parent INTEGER REFERENCES parent(id));",
        )
        .await
        .unwrap();
        let mut tx = db.begin().await.unwrap();
        query("PRAGMA defer_foreign_keys = ON")
            .execute(&mut tx)
            .await
            .unwrap();
        query("INSERT INTO child (parent) VALUES (7)")
            .execute(&mut tx)
            .await
            .unwrap();
        assert!(
            tx.commit().await.is_err(),
            "the broken key is refused at commit"
        );
        let mut tx = db.begin().await.unwrap();
        query("INSERT INTO parent (id) VALUES (1)")
            .execute(&mut tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let children: i64 = query_scalar("SELECT count(*) FROM child")
            .fetch_one(&db)
            .await
            .unwrap();
        assert_eq!(children, 0);
    }

    #[tokio::test]
    async fn a_large_write_has_a_larger_cache_for_its_time_only() {
        let db = open(None).await.unwrap();
        let cache = || async {
            query_scalar::<i64>("PRAGMA cache_size")
                .fetch_one(&db)
                .await
        };
        assert_eq!(cache().await.unwrap(), 16);
        let mut tx = db.begin_large().await.unwrap();
        let inside: i64 = query_scalar("PRAGMA cache_size")
            .fetch_one(&mut tx)
            .await
            .unwrap();
        assert_eq!(inside, LARGE_WRITE_CACHE_PAGES);
        query("INSERT INTO offcloud_secrets (name, value) VALUES ('kept', 'v')")
            .execute(&mut tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(cache().await.unwrap(), 16);
        let mut tx = db.begin_large().await.unwrap();
        query("INSERT INTO offcloud_secrets (name, value) VALUES ('dropped', 'v')")
            .execute(&mut tx)
            .await
            .unwrap();
        drop(tx);
        assert_eq!(cache().await.unwrap(), 16);
        let names: Vec<String> = query_scalar("SELECT name FROM offcloud_secrets")
            .fetch_all(&db)
            .await
            .unwrap();
        assert_eq!(names, ["kept"]);
    }

    #[tokio::test]
    async fn a_parked_store_comes_back_with_its_rows() {
        let pool = open(None).await.unwrap();
        query("INSERT INTO offcloud_secrets (name, value) VALUES ('a', 'b')")
            .execute(&pool)
            .await
            .unwrap();
        let image = park(&pool).await.unwrap();
        assert!(pool.is_closed());
        let pool = unpark(&image).await.unwrap();
        let value: String = query_scalar("SELECT value FROM offcloud_secrets WHERE name = 'a'")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(value, "b");
        // Still writable, and the foreign keys still enforced.
        query("INSERT INTO offcloud_secrets (name, value) VALUES ('c', 'd')")
            .execute(&pool)
            .await
            .unwrap();
        let keys: i64 = query_scalar("PRAGMA foreign_keys")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(keys, 1);
    }

    async fn secrets_kept(db: &Db) -> i64 {
        query_scalar("SELECT count(*) FROM offcloud_secrets")
            .fetch_one(db)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn a_transaction_counts_only_once_committed_and_a_closed_store_refuses_statements() {
        let db = open(None).await.unwrap();
        {
            let mut tx = db.begin().await.unwrap();
            query("INSERT INTO offcloud_secrets (name, value) VALUES ('a', 'b')")
                .execute(&mut *tx)
                .await
                .unwrap();
            // Dropped without a commit, as when a request fails half-way.
        }
        assert_eq!(secrets_kept(&db).await, 0);
        let mut tx = db.begin().await.unwrap();
        query("INSERT INTO offcloud_secrets (name, value) VALUES ('a', 'b')")
            .execute(&mut tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(secrets_kept(&db).await, 1);

        db.close().await;
        assert!(db.is_closed());
        assert!(query("SELECT 1").execute(&db).await.is_err());
        assert!(db.begin().await.is_err());
    }

    /// Statements of many tasks at once on two threads: each waits for the connection while
    /// another holds it, and each gets it (none left waiting for a wake-up that came before it
    /// listened, which would end in `ACQUIRE_TIMEOUT`).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_task_waiting_for_the_connection_gets_it() {
        let db = open(None).await.unwrap();
        let tasks: Vec<_> = (0..64)
            .map(|i| {
                let db = db.clone();
                tokio::spawn(async move {
                    for j in 0..50 {
                        let conn = db.acquire().await.unwrap();
                        conn.execute(
                            "INSERT INTO offcloud_secrets (name, value) VALUES (?, 'v')",
                            [format!("{i}-{j}")],
                        )
                        .unwrap();
                        // Held across a turn of the runtime, so that others queue behind it.
                        tokio::task::yield_now().await;
                        drop(conn);
                    }
                })
            })
            .collect();
        let all = tokio::time::timeout(Duration::from_secs(20), async {
            for task in tasks {
                task.await.unwrap();
            }
        });
        all.await.expect("every task had its turn");
        assert_eq!(secrets_kept(&db).await, 64 * 50);
    }

    /// Tasks waiting for the connection when the store is closed are told so, each of them.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn closing_answers_every_task_waiting_for_the_connection() {
        let db = open(None).await.unwrap();
        let held = db.acquire().await.unwrap();
        let closing = tokio::spawn({
            let db = db.clone();
            async move { db.close().await }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        // Waiting behind the close.
        let waiting: Vec<_> = (0..8)
            .map(|_| {
                let db = db.clone();
                tokio::spawn(async move { db.acquire().await.map(drop) })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(50)).await;
        drop(held);
        tokio::time::timeout(Duration::from_secs(10), closing)
            .await
            .expect("closed once the connection was put back")
            .unwrap();
        for task in waiting {
            let answer = tokio::time::timeout(Duration::from_secs(10), task)
                .await
                .expect("every waiter is answered")
                .unwrap();
            assert!(matches!(answer, Err(Error::Closed)));
        }
        assert!(matches!(db.acquire().await.map(drop), Err(Error::Closed)));
    }

    /// A store migrated from nothing by `migrator`.
    async fn migrated_by(migrator: &sqlx::migrate::Migrator) -> Db {
        let mut conn = sqlx_connect(None).await.unwrap();
        migrator.run_direct(&mut conn).await.unwrap();
        store_of(&conn.serialize(None).await.unwrap())
    }

    /// A store migrated from nothing.
    async fn migrated() -> Db {
        migrated_by(&MIGRATOR).await
    }

    /// SQLite's image of `db`.
    async fn image_of(db: &Db) -> Vec<u8> {
        serialize(&db.acquire().await.unwrap()).unwrap()
    }

    /// A store holding `image`.
    fn store_of(image: &[u8]) -> Db {
        holding(image).unwrap()
    }

    #[tokio::test]
    async fn the_committed_empty_store_is_the_migrated_one() {
        let migrated = migrated().await;
        let current = !COMMITTED_EMPTY_STORE.is_empty() && {
            let committed = store_of(COMMITTED_EMPTY_STORE);
            schema_of(&committed).await == schema_of(&migrated).await
                && migrations_of(&committed).await == migrations_of(&migrated).await
        };
        if !current && std::env::var_os("OFFCLOUD_UPDATE_EMPTY_STORE").is_some() {
            let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/db/empty.sqlite");
            std::fs::write(path, image_of(&migrated).await).unwrap();
            return;
        }
        assert!(
            current,
            "src/db/empty.sqlite is not the store the migrations make (a migration was added or \
             changed): rewrite it with `OFFCLOUD_UPDATE_EMPTY_STORE=1 cargo test --lib db::`"
        );
        // Nothing left to apply: the template is the committed image itself, not a copy, and
        // seen to be current without the migrator.
        assert!(is_current(COMMITTED_EMPTY_STORE).unwrap());
        let template = brought_up_to_date(COMMITTED_EMPTY_STORE).await.unwrap();
        assert!(matches!(template, Cow::Borrowed(_)));
    }

    #[tokio::test]
    async fn a_committed_store_without_the_newest_migration_or_not_a_store_still_gives_the_migrated_schema()
     {
        let migrated = migrated().await;
        // A store written before the newest migration was added.
        let older = tempfile::tempdir().unwrap();
        let mut files: Vec<_> =
            std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
                .unwrap()
                .map(|entry| entry.unwrap().path())
                .collect();
        files.sort();
        files.pop();
        for file in &files {
            std::fs::copy(file, older.path().join(file.file_name().unwrap())).unwrap();
        }
        let before_newest =
            migrated_by(&sqlx::migrate::Migrator::new(older.path()).await.unwrap()).await;
        let image: &'static [u8] = Box::leak(image_of(&before_newest).await.into_boxed_slice());
        assert_eq!(
            migrations_of(&store_of(image)).await.len() + 1,
            MIGRATOR.iter().count()
        );

        for committed in [image, b"not a database".as_slice(), &[]] {
            assert!(!is_current(committed).unwrap_or(false));
            let template = first_template(committed).await.unwrap();
            assert!(matches!(template, Cow::Owned(_)));
            let store = store_of(&template);
            assert_eq!(schema_of(&store).await, schema_of(&migrated).await);
            assert_eq!(migrations_of(&store).await.len(), MIGRATOR.iter().count());
        }
    }

    #[tokio::test]
    async fn a_store_whose_migration_changed_or_failed_is_not_current() {
        for change in [
            "UPDATE _sqlx_migrations SET checksum = x'00' WHERE version = 1",
            "UPDATE _sqlx_migrations SET success = 0 WHERE version = 1",
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
             VALUES (999999, 'unknown', 1, x'00', 0)",
        ] {
            let store = store_of(COMMITTED_EMPTY_STORE);
            store.execute_batch(change).await.unwrap();
            assert!(!is_current(&image_of(&store).await).unwrap(), "{change}");
        }
    }

    #[tokio::test]
    async fn a_store_copied_from_the_template_equals_a_migrated_one() {
        // Every in-memory store of the process is a copy of the template.
        open(None).await.unwrap();
        let copied = open(None).await.unwrap();
        assert!(TEMPLATE.get().is_some());

        let migrated = migrated().await;

        let schema = schema_of(&migrated).await;
        assert!(
            schema
                .iter()
                .any(|(_, name, _, _)| name == "memgraph_beliefs")
        );
        assert!(schema.iter().any(|(kind, _, _, _)| kind == "index"));
        assert_eq!(schema_of(&copied).await, schema);
        let applied = migrations_of(&migrated).await;
        assert_eq!(applied.len(), MIGRATOR.iter().count());
        assert_eq!(migrations_of(&copied).await, applied);
        // And the migrator agrees nothing is left to apply.
        let image: &'static [u8] = Box::leak(image_of(&copied).await.into_boxed_slice());
        let template = brought_up_to_date(image).await.unwrap();
        assert!(matches!(template, Cow::Borrowed(_)));
    }
}
