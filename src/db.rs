//! SQLite through sqlx: opening a session's database, migrations, and wiping it.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Connection, SqlitePool};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Opens (creating if needed) a database and brings its schema up to date.
///
/// One connection per database: SQLite serialises writers anyway, a single connection never meets
/// `SQLITE_BUSY` on a read-then-write transaction, and an in-memory database lives exactly as long
/// as its one connection, which the pool keeps open forever.
pub async fn open(file: Option<&Path>) -> Result<SqlitePool, sqlx::Error> {
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

    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .min_connections(1)
        .idle_timeout(None)
        .max_lifetime(None)
        .acquire_timeout(Duration::from_secs(30))
        // The connection is ours alone and never goes stale; a ping per acquire would double
        // the round trips to SQLite's worker thread.
        .test_before_acquire(false)
        .connect_with(options)
        .await?;
    MIGRATOR.run(&pool).await?;
    Ok(pool)
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
