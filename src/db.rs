//! SQLite through sqlx: opening a session's database, migrations, and wiping it.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqliteOwnedBuf, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Connection, SqliteConnection, SqlitePool};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// An empty migrated database, as SQLite's own image of it: the first in-memory store is migrated
/// the normal way and copied here, and every later one starts as a copy of it (one call, well
/// under a millisecond) rather than a run of the migrator (dozens of statements, several
/// milliseconds). The migrations stay the source of truth; files are always migrated the
/// normal way.
static TEMPLATE: tokio::sync::OnceCell<Vec<u8>> = tokio::sync::OnceCell::const_new();

/// Opens (creating if needed) a database and brings its schema up to date.
///
/// One connection per database: SQLite serialises writers anyway, a single connection never meets
/// `SQLITE_BUSY` on a read-then-write transaction, and an in-memory database lives exactly as long
/// as its one connection, which the pool keeps open until the session is parked or dropped.
pub async fn open(file: Option<&Path>) -> Result<SqlitePool, sqlx::Error> {
    let pool = connect(file).await?;
    match (file, TEMPLATE.get()) {
        (None, Some(template)) => {
            let image = SqliteOwnedBuf::try_from(template.as_slice())?;
            let mut conn = pool.acquire().await?;
            conn.deserialize(None, image, false).await?;
            shrink_cache(&mut conn).await?;
        }
        (None, None) => {
            MIGRATOR.run(&pool).await?;
            let mut conn = pool.acquire().await?;
            let image = conn.serialize(None).await?;
            let _ = TEMPLATE.set(image.to_vec());
            shrink_cache(&mut conn).await?;
        }
        (Some(_), _) => MIGRATOR.run(&pool).await?,
    }
    Ok(pool)
}

/// The pool of a database that was open before (a parked session's file): migrated already.
pub async fn reopen(file: &Path) -> Result<SqlitePool, sqlx::Error> {
    connect(Some(file)).await
}

async fn connect(file: Option<&Path>) -> Result<SqlitePool, sqlx::Error> {
    let options = match file {
        None => SqliteConnectOptions::from_str("sqlite::memory:")?,
        Some(path) => SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal),
    }
    .foreign_keys(true)
    .busy_timeout(Duration::from_secs(5));

    SqlitePoolOptions::new()
        .max_connections(1)
        .min_connections(1)
        .idle_timeout(None)
        .max_lifetime(None)
        .acquire_timeout(Duration::from_secs(30))
        // The connection is ours alone and never goes stale; a ping per acquire would double
        // the round trips to SQLite's worker thread.
        .test_before_acquire(false)
        .connect_with(options)
        .await
}

/// An in-memory database's pages are already in memory (SQLite's memdb holds them); its page
/// cache would hold a second copy of each page read, up to 2 MB per session by default. A few
/// pages are enough: a miss costs a copy from memory, not a read from disk. Set after every
/// deserialize, which gives the schema a fresh pager.
async fn shrink_cache(conn: &mut SqliteConnection) -> Result<(), sqlx::Error> {
    sqlx::query("PRAGMA cache_size = 16")
        .execute(conn)
        .await
        .map(|_| ())
}

/// A parked in-memory database: SQLite's image of it, kept compactly (see [`Image`]).
pub async fn park(pool: &SqlitePool) -> Result<Image, sqlx::Error> {
    let image = {
        let mut conn = pool.acquire().await?;
        let image = conn.serialize(None).await?;
        Image::encode(&image, template())
    };
    pool.close().await;
    Ok(image)
}

/// An in-memory database again, from its parked image.
pub async fn unpark(image: &Image) -> Result<SqlitePool, sqlx::Error> {
    let pool = connect(None).await?;
    let bytes = image.decode(template());
    let buffer = SqliteOwnedBuf::try_from(bytes.as_slice())?;
    drop(bytes);
    let mut conn = pool.acquire().await?;
    conn.deserialize(None, buffer, false).await?;
    shrink_cache(&mut conn).await?;
    drop(conn);
    Ok(pool)
}

/// The empty migrated store every in-memory one started from (empty before the first one).
fn template() -> &'static [u8] {
    TEMPLATE.get().map_or(&[], Vec::as_slice)
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
pub async fn wipe(pool: &SqlitePool) -> Result<(), sqlx::Error> {
    let mut conn = pool.acquire().await?;
    let mut tx = conn.begin().await?;
    // Checked at commit, when every table is empty, so the order of the deletes does not matter.
    sqlx::query("PRAGMA defer_foreign_keys = ON")
        .execute(&mut *tx)
        .await?;
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table'
           AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx_%'",
    )
    .fetch_all(&mut *tx)
    .await?;
    for table in tables {
        // Table names come from sqlite_master, never from a request.
        sqlx::query(&format!("DELETE FROM \"{table}\""))
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await
}

/// Deletes every row of one service's tables: those whose name starts with `<prefix>_` (every
/// service prefixes its tables with its name; `offcloud_secrets` belongs to none and stays).
pub async fn wipe_service(pool: &SqlitePool, prefix: &str) -> Result<(), sqlx::Error> {
    let mut conn = pool.acquire().await?;
    let mut tx = conn.begin().await?;
    sqlx::query("PRAGMA defer_foreign_keys = ON")
        .execute(&mut *tx)
        .await?;
    // GLOB, not LIKE: `_` is a wildcard for LIKE. `prefix` is one of the services' fixed names.
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name GLOB ? || '_*'",
    )
    .bind(prefix)
    .fetch_all(&mut *tx)
    .await?;
    for table in tables {
        // Table names come from sqlite_master, never from a request.
        sqlx::query(&format!("DELETE FROM \"{table}\""))
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await
}

/// Answers whether the database responds.
pub async fn ping(pool: &SqlitePool) -> bool {
    sqlx::query("SELECT 1").execute(pool).await.is_ok()
}

/// A named secret kept in the database: generated on first use, the same ever after (until a wipe).
pub async fn stored_secret(
    pool: &SqlitePool,
    name: &str,
    fresh: &str,
) -> Result<String, sqlx::Error> {
    sqlx::query("INSERT OR IGNORE INTO offcloud_secrets (name, value) VALUES (?, ?)")
        .bind(name)
        .bind(fresh)
        .execute(pool)
        .await?;
    sqlx::query_scalar("SELECT value FROM offcloud_secrets WHERE name = ?")
        .bind(name)
        .fetch_one(pool)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn schema_of(pool: &SqlitePool) -> Vec<(String, String, String, Option<String>)> {
        sqlx::query_as("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name")
            .fetch_all(pool)
            .await
            .unwrap()
    }

    async fn migrations_of(pool: &SqlitePool) -> Vec<(i64, String, bool, Vec<u8>)> {
        sqlx::query_as(
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
    async fn a_parked_store_comes_back_with_its_rows() {
        let pool = open(None).await.unwrap();
        sqlx::query("INSERT INTO offcloud_secrets (name, value) VALUES ('a', 'b')")
            .execute(&pool)
            .await
            .unwrap();
        let image = park(&pool).await.unwrap();
        assert!(pool.is_closed());
        let pool = unpark(&image).await.unwrap();
        let value: String =
            sqlx::query_scalar("SELECT value FROM offcloud_secrets WHERE name = 'a'")
                .fetch_one(&pool)
                .await
                .unwrap();
        assert_eq!(value, "b");
        // Still writable, and the foreign keys still enforced.
        sqlx::query("INSERT INTO offcloud_secrets (name, value) VALUES ('c', 'd')")
            .execute(&pool)
            .await
            .unwrap();
        let keys: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(keys, 1);
    }

    #[tokio::test]
    async fn a_store_copied_from_the_template_equals_a_migrated_one() {
        // The first in-memory store of the process is migrated; later ones are copies.
        open(None).await.unwrap();
        let copied = open(None).await.unwrap();
        assert!(TEMPLATE.get().is_some());

        let migrated = SqlitePoolOptions::new()
            .max_connections(1)
            .connect("sqlite::memory:")
            .await
            .unwrap();
        MIGRATOR.run(&migrated).await.unwrap();

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
        MIGRATOR.run(&copied).await.unwrap();
        assert_eq!(migrations_of(&copied).await, applied);
    }
}
