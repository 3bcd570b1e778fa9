//! SQLite through sqlx: opening a session's database, migrations, and wiping it.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqliteOwnedBuf, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Connection, SqlitePool};

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
    match (file, TEMPLATE.get()) {
        (None, Some(template)) => {
            let image = SqliteOwnedBuf::try_from(template.as_slice())?;
            let mut conn = pool.acquire().await?;
            conn.deserialize(None, image, false).await?;
        }
        (None, None) => {
            MIGRATOR.run(&pool).await?;
            let mut conn = pool.acquire().await?;
            let image = conn.serialize(None).await?;
            let _ = TEMPLATE.set(image.to_vec());
        }
        (Some(_), _) => MIGRATOR.run(&pool).await?,
    }
    Ok(pool)
}

/// The number of the latest migration: what a state document records as its schema version.
pub fn schema_version() -> i64 {
    MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0)
}

/// Tables whose rows are derived from other tables' rows by triggers (migration 0007: Memgraph's
/// kept stats counts; 0042: its search index). A snapshot leaves them out, and the triggers
/// rebuild them as the rows they count are loaded: copying them too would count everything twice.
pub const DERIVED_TABLES: &[&str] = &[
    "memgraph_tenant_counts",
    "memgraph_tenant_users",
    "memgraph_search_terms",
    "memgraph_search_tenants",
    "memgraph_search_users",
];

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
