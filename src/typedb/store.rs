//! All of TypeDB's SQL. A [`Store`] is the request's session database. Cluster functions take the
//! team and space first, so a query outside the caller's scope is hard to write. Writes that
//! read before they write run in one transaction: callers `begin`, call, `commit`.

use std::fmt::Write;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use super::error::ApiError;
use super::model::{Access, BackupConfiguration, Cluster, Server, server_status};
use super::settings::Settings;
use super::validation::Deploy;
use crate::AppState;
use crate::db;
use crate::error::is_unique_violation;
use crate::session::Session;

pub struct Store {
    session: Session,
}

impl FromRequestParts<AppState> for Store {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let session = state.sessions.of(&parts.extensions).await?;
        Ok(Store { session })
    }
}

/// A team and space: where a token acts and clusters live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub team: String,
    pub space: String,
}

/// An API token as stored: the secret only as its SHA-256.
#[derive(Debug, Clone)]
pub struct ApiToken {
    pub client_id: String,
    pub secret_hash: String,
    pub team_id: String,
    pub space_id: String,
    pub access: String,
}

impl ApiToken {
    /// Which generation of the client id this is (a hash of the secret's hash): what an access
    /// token names, so revoking and re-creating a client id does not bring old ones back.
    pub fn generation(&self) -> String {
        crate::auth::sha256_hex(&self.secret_hash)[..16].to_owned()
    }
}

/// An API token as bearer tokens are checked against it: with its generation, worked out once.
#[derive(Clone)]
pub struct Bearer {
    pub token: ApiToken,
    pub generation: String,
}

impl db::FromRow for ApiToken {
    fn from_row(row: &impl db::Columns) -> rusqlite::Result<Self> {
        Ok(ApiToken {
            client_id: row.column("client_id")?,
            secret_hash: row.column("secret_hash")?,
            team_id: row.column("team_id")?,
            space_id: row.column("space_id")?,
            access: row.column("access")?,
        })
    }
}

pub struct NewApiToken {
    pub client_id: String,
    pub secret_hash: String,
    pub name: String,
    pub scope: Scope,
    pub access: Access,
    pub has_payment_method: Option<bool>,
}

/// A cluster row; [`ClusterRow::wire`] turns it into the documented object.
#[derive(Debug, Clone)]
pub struct ClusterRow {
    pub team_id: String,
    pub space_id: String,
    pub id: String,
    pub server_count: i64,
    pub storage_size_gb: i64,
    pub is_free: bool,
    pub version: String,
    pub provider: String,
    pub region: String,
    pub machine_type: String,
    pub storage_type: String,
    pub backup_frequency: String,
    pub backup_retention: i64,
    pub address_prefix: String,
    pub created_at_ms: i64,
    pub status: String,
    pub status_since_ms: i64,
    pub servers_down: bool,
}

impl db::FromRow for ClusterRow {
    fn from_row(row: &impl db::Columns) -> rusqlite::Result<Self> {
        Ok(ClusterRow {
            team_id: row.column("team_id")?,
            space_id: row.column("space_id")?,
            id: row.column("id")?,
            server_count: row.column("server_count")?,
            storage_size_gb: row.column("storage_size_gb")?,
            is_free: row.column("is_free")?,
            version: row.column("version")?,
            provider: row.column("provider")?,
            region: row.column("region")?,
            machine_type: row.column("machine_type")?,
            storage_type: row.column("storage_type")?,
            backup_frequency: row.column("backup_frequency")?,
            backup_retention: row.column("backup_retention")?,
            address_prefix: row.column("address_prefix")?,
            created_at_ms: row.column("created_at_ms")?,
            status: row.column("status")?,
            status_since_ms: row.column("status_since_ms")?,
            servers_down: row.column("servers_down")?,
        })
    }
}

impl ClusterRow {
    /// A new cluster in `scope`, as `validation::deploy` accepted it, in `status` since `now_ms`.
    pub fn new(scope: &Scope, d: Deploy, status: &str, now_ms: i64) -> ClusterRow {
        ClusterRow {
            team_id: scope.team.clone(),
            space_id: scope.space.clone(),
            id: d.id,
            server_count: d.server_count,
            storage_size_gb: d.storage_size_gb,
            is_free: d.is_free,
            version: d.version,
            provider: d.provider,
            region: d.region,
            machine_type: d.machine_type,
            storage_type: d.storage_type,
            backup_frequency: d.backup_frequency,
            backup_retention: d.backup_retention,
            address_prefix: address_prefix(),
            created_at_ms: now_ms,
            status: status.to_owned(),
            status_since_ms: now_ms,
            servers_down: false,
        }
    }

    /// The cluster as the API shows it; the row's strings move into it.
    pub fn wire(self, settings: &Settings) -> Cluster {
        let domain = &settings.server_domain;
        let servers = match server_status(&self.status, self.servers_down) {
            None => Vec::new(),
            Some(status) => (0..self.server_count)
                .map(|i| Server {
                    address: server_address(&self.address_prefix, i, domain),
                    status,
                })
                .collect(),
        };
        Cluster {
            id: self.id,
            server_count: self.server_count,
            storage_size_gb: self.storage_size_gb,
            is_free: self.is_free,
            status: self.status,
            created_at: self.created_at_ms,
            team_id: self.team_id,
            space_id: self.space_id,
            version: self.version,
            provider: self.provider,
            region: self.region,
            machine_type: self.machine_type,
            storage_type: self.storage_type,
            servers,
            backup_configuration: settings.show_backup_configuration.then_some(
                BackupConfiguration {
                    frequency: self.backup_frequency,
                    retention_days: self.backup_retention,
                },
            ),
        }
    }
}

/// `{prefix}-{i}.{domain}:80`, written into a string made large enough at once (`format!` grows
/// its string three times here: 2.4% of a list of clusters' instructions).
fn server_address(prefix: &str, i: i64, domain: &str) -> String {
    let mut address = String::with_capacity(prefix.len() + domain.len() + 24);
    let _ = write!(address, "{prefix}-{i}.{domain}:80");
    address
}

/// The 6 hex characters that name a cluster's servers; stable for the cluster's life.
pub fn address_prefix() -> String {
    format!("{:06x}", rand::random::<u32>() & 0x00ff_ffff)
}

/// How long each transitional status lasts, in milliseconds (from the `--typedb-*` flags).
#[derive(Debug, Clone, Copy)]
pub struct Durations {
    starting: i64,
    suspending: i64,
    resuming: i64,
    destroying: i64,
}

impl Durations {
    /// Whether `row` is in a transition that is over by `now_ms`: settling would change it.
    pub fn due(&self, row: &ClusterRow, now_ms: i64) -> bool {
        let lasts = match row.status.as_str() {
            "starting" => self.starting,
            "suspending" => self.suspending,
            "resuming" => self.resuming,
            "destroying" => self.destroying,
            _ => return false,
        };
        row.status_since_ms.saturating_add(lasts) <= now_ms
    }

    pub fn of(settings: &Settings) -> Durations {
        let ms = |d: std::time::Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        Durations {
            starting: ms(settings.starting.0),
            suspending: ms(settings.suspending.0),
            resuming: ms(settings.resuming.0),
            destroying: ms(settings.destroying.0),
        }
    }
}

/// The columns of [`ClusterRow`], as a macro so that statements can be `const`s built with
/// `concat!`, and the plan test can read the statements the handlers run.
macro_rules! cluster_columns {
    () => {
        "team_id, space_id, id, server_count, storage_size_gb, is_free, version, provider, \
         region, machine_type, storage_type, backup_frequency, backup_retention, address_prefix, \
         created_at_ms, status, status_since_ms, servers_down"
    };
}

impl Store {
    pub fn new(session: Session) -> Store {
        Store { session }
    }

    /// Now on the session's clock, in Unix epoch milliseconds (as `createdAt` is sent).
    pub fn now_ms(&self) -> i64 {
        let nanos = self.session.clock().now().unix_timestamp_nanos() / 1_000_000;
        i64::try_from(nanos).unwrap_or(i64::MAX)
    }

    pub fn session(&self) -> &Session {
        &self.session
    }

    pub async fn begin(&self) -> Result<crate::db::Tx, ApiError> {
        Ok(self.session.db().begin().await?)
    }

    // ---- teams, spaces, API tokens ----------------------------------------------------------

    pub async fn api_token(&self, client_id: &str) -> Result<Option<ApiToken>, ApiError> {
        Ok(db::query_as(API_TOKEN)
            .bind(client_id)
            .fetch_optional(self.session.db())
            .await?)
    }

    /// The API token behind a bearer token: read once, then kept in the session's cache of
    /// principals until a token is revoked (or the session's rows are replaced).
    pub async fn api_token_of_bearer(
        &self,
        client_id: &str,
    ) -> Result<Option<Arc<Bearer>>, ApiError> {
        let key = format!("typedb.token:{client_id}");
        if let Some(bearer) = self.session.cached_principal::<Bearer>(&key) {
            return Ok(Some(bearer));
        }
        let version = self.session.principals_version();
        let Some(token) = self.api_token(client_id).await? else {
            return Ok(None);
        };
        let bearer = Bearer {
            generation: token.generation(),
            token,
        };
        self.session.cache_principal(version, key, bearer.clone());
        Ok(Some(Arc::new(bearer)))
    }

    /// Creates the token, and its team and space when they are new. `false` when the client id
    /// is taken.
    pub async fn create_api_token(&self, token: &NewApiToken) -> Result<bool, ApiError> {
        let mut tx = self.begin().await?;
        upsert_team(
            &mut tx,
            &token.scope.team,
            token.has_payment_method,
            self.now_ms(),
        )
        .await?;
        db::query("INSERT OR IGNORE INTO typedb_spaces (team_id, id) VALUES (?, ?)")
            .bind(&token.scope.team)
            .bind(&token.scope.space)
            .execute(&mut *tx)
            .await?;
        let inserted = db::query(
            "INSERT INTO typedb_api_tokens
               (client_id, secret_hash, name, team_id, space_id, access, created_at_ms)
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&token.client_id)
        .bind(&token.secret_hash)
        .bind(&token.name)
        .bind(&token.scope.team)
        .bind(&token.scope.space)
        .bind(token.access.as_str())
        .bind(self.now_ms())
        .execute(&mut *tx)
        .await;
        match inserted {
            Ok(_) => {}
            Err(e) if is_unique_violation(&e) => return Ok(false),
            Err(e) => return Err(e.into()),
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Revokes a token: access tokens issued for it stop working at once.
    pub async fn delete_api_token(&self, client_id: &str) -> Result<bool, ApiError> {
        let done = db::query("DELETE FROM typedb_api_tokens WHERE client_id = ?")
            .bind(client_id)
            .execute(self.session.db())
            .await?;
        self.session.forget_principals();
        Ok(done.rows_affected() > 0)
    }

    /// Creates a team, or changes its payment flag; with its `default` space, as every team has.
    pub async fn put_team(
        &self,
        team: &str,
        has_payment_method: Option<bool>,
        spaces: &[String],
    ) -> Result<(), ApiError> {
        let mut tx = self.begin().await?;
        upsert_team(&mut tx, team, has_payment_method, self.now_ms()).await?;
        for space in std::iter::once("default").chain(spaces.iter().map(String::as_str)) {
            db::query("INSERT OR IGNORE INTO typedb_spaces (team_id, id) VALUES (?, ?)")
                .bind(team)
                .bind(space)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

// ---- reads: no transaction ----------------------------------------------------------------------

impl Store {
    /// A space's clusters, as of now; `None` when there is no such space. A read settles only
    /// what it shows: the rows are read as stored, and settled and read again only when one of
    /// them is in a transition that is over (writes settle the whole session first).
    pub async fn clusters(
        &self,
        scope: &Scope,
        durations: Durations,
    ) -> Result<Option<Vec<ClusterRow>>, ApiError> {
        let now = self.now_ms();
        let mut conn = self.session.db().acquire().await?;
        let mut rows = list_clusters(&mut conn, scope).await?;
        if rows.iter().any(|row| durations.due(row, now)) {
            settle(&mut conn, durations, now).await?;
            rows = list_clusters(&mut conn, scope).await?;
        }
        if rows.is_empty() && !space_exists(&mut conn, scope).await? {
            return Ok(None);
        }
        Ok(Some(rows))
    }

    /// One cluster of a space, as of now, settled the same way.
    pub async fn cluster(
        &self,
        scope: &Scope,
        id: &str,
        durations: Durations,
    ) -> Result<Option<ClusterRow>, ApiError> {
        let now = self.now_ms();
        let mut conn = self.session.db().acquire().await?;
        let row = cluster(&mut conn, scope, id).await?;
        if row.as_ref().is_some_and(|row| durations.due(row, now)) {
            settle(&mut conn, durations, now).await?;
            return Ok(cluster(&mut conn, scope, id).await?);
        }
        Ok(row)
    }
}

impl Store {
    /// Sets a cluster's status from now (the control API's override); `None` when there is no
    /// such cluster.
    pub async fn force_status(
        &self,
        scope: &Scope,
        id: &str,
        status: &str,
        durations: Durations,
    ) -> Result<Option<ClusterRow>, ApiError> {
        let now = self.now_ms();
        let mut tx = self.begin().await?;
        settle(&mut tx, durations, now).await?;
        let Some(mut row) = cluster(&mut tx, scope, id).await? else {
            return Ok(None);
        };
        row.servers_down = status == "destroying" && row.status == "suspended";
        row.status = status.to_owned();
        row.status_since_ms = now;
        update_cluster(&mut tx, id, &row).await?;
        tx.commit().await?;
        Ok(Some(row))
    }
}

async fn upsert_team(
    conn: &mut db::Connection,
    team: &str,
    has_payment_method: Option<bool>,
    now_ms: i64,
) -> Result<(), db::Error> {
    db::query(
        "INSERT INTO typedb_teams (id, has_payment_method, created_at_ms) VALUES (?1, coalesce(?2, 1), ?3)
         ON CONFLICT (id) DO UPDATE SET has_payment_method = coalesce(?2, has_payment_method)",
    )
    .bind(team)
    .bind(has_payment_method)
    .bind(now_ms)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

// ---- the statements of the request paths --------------------------------------------------------
// Each reads by a key or an index prefix (the plan test at the end checks it).

const API_TOKEN: &str = "SELECT client_id, secret_hash, team_id, space_id, access
     FROM typedb_api_tokens WHERE client_id = ?";
const SPACE_EXISTS: &str = "SELECT 1 FROM typedb_spaces WHERE team_id = ? AND id = ?";
const TEAM_HAS_PAYMENT_METHOD: &str = "SELECT has_payment_method FROM typedb_teams WHERE id = ?";
const FREE_CLUSTERS_IN_TEAM: &str =
    "SELECT count(*) FROM typedb_clusters WHERE team_id = ? AND is_free = 1";
const UPDATE_CLUSTER: &str = "UPDATE typedb_clusters
     SET id = ?, server_count = ?, storage_size_gb = ?, is_free = ?, version = ?,
         machine_type = ?, backup_frequency = ?, backup_retention = ?, status = ?,
         status_since_ms = ?, servers_down = ?
     WHERE team_id = ? AND space_id = ? AND id = ?";

// ---- clusters: functions on an open transaction -------------------------------------------------

/// Moves every transition whose time is up to its end: starting/resuming → running,
/// suspending → suspended, destroying → gone. Status is derived from stored times this way at
/// every request, so no background task is needed (docs/spec/typedb.md §7.3). Each statement
/// compares the stored start with a bound computed here, so that the `(status,
/// status_since_ms)` index finds the clusters that move and reads no other.
pub async fn settle(
    conn: &mut db::Connection,
    durations: Durations,
    now_ms: i64,
) -> Result<(), db::Error> {
    let moves = [
        ("starting", "running", durations.starting),
        ("resuming", "running", durations.resuming),
        ("suspending", "suspended", durations.suspending),
    ];
    for (from, to, duration) in moves {
        db::query(SETTLE_MOVE)
            .bind(from)
            .bind(to)
            .bind(duration)
            .bind(now_ms.saturating_sub(duration))
            .execute(&mut *conn)
            .await?;
    }
    db::query(SETTLE_DESTROY)
        .bind(now_ms.saturating_sub(durations.destroying))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// A transition that is over: `?1` the status it left, `?2` the one it reached, `?3` how long it
/// lasted, `?4` the latest start that is over by now.
const SETTLE_MOVE: &str = "UPDATE typedb_clusters
     SET status = ?2, status_since_ms = status_since_ms + ?3
     WHERE status = ?1 AND status_since_ms <= ?4";

const SETTLE_DESTROY: &str =
    "DELETE FROM typedb_clusters WHERE status = 'destroying' AND status_since_ms <= ?";

/// Whether the team and space exist (they always do for a valid token, unless seed data is
/// inconsistent).
pub async fn space_exists(conn: &mut db::Connection, scope: &Scope) -> Result<bool, db::Error> {
    let found: Option<i64> = db::query_scalar(SPACE_EXISTS)
        .bind(&scope.team)
        .bind(&scope.space)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(found.is_some())
}

/// In creation order, ties in the order the rows were made, which a rename keeps (emulator choice,
/// docs/spec/typedb.md §9): the order of the `(team_id, space_id, created_at_ms)` index, whose
/// key ends with the rowid, so no sort. The API has no paging: the whole
/// space is the answer.
pub async fn list_clusters(
    conn: &mut db::Connection,
    scope: &Scope,
) -> Result<Vec<ClusterRow>, db::Error> {
    db::query_as(LIST_CLUSTERS)
        .bind(&scope.team)
        .bind(&scope.space)
        .fetch_all(&mut *conn)
        .await
}

const LIST_CLUSTERS: &str = concat!(
    "SELECT ",
    cluster_columns!(),
    " FROM typedb_clusters WHERE team_id = ? AND space_id = ? ORDER BY created_at_ms, rowid"
);

pub async fn cluster(
    conn: &mut db::Connection,
    scope: &Scope,
    id: &str,
) -> Result<Option<ClusterRow>, db::Error> {
    db::query_as(CLUSTER)
        .bind(&scope.team)
        .bind(&scope.space)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await
}

const CLUSTER: &str = concat!(
    "SELECT ",
    cluster_columns!(),
    " FROM typedb_clusters WHERE team_id = ? AND space_id = ? AND id = ?"
);

async fn team_has_payment_method(conn: &mut db::Connection, team: &str) -> Result<bool, db::Error> {
    let flag: Option<bool> = db::query_scalar(TEAM_HAS_PAYMENT_METHOD)
        .bind(team)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(flag.unwrap_or(false))
}

/// Free clusters of the team, in any of its spaces (one is allowed per team).
async fn free_clusters_in_team(conn: &mut db::Connection, team: &str) -> Result<i64, db::Error> {
    db::query_scalar(FREE_CLUSTERS_IN_TEAM)
        .bind(team)
        .fetch_one(&mut *conn)
        .await
}

/// What a new cluster of `team` must pass, whoever adds it (the deploy route, a fixture): one free
/// cluster per team, and a paid one only for a team with a payment method
/// (docs/spec/typedb.md §6.2).
pub async fn may_add_cluster(
    conn: &mut db::Connection,
    team: &str,
    is_free: bool,
) -> Result<(), ApiError> {
    if !is_free {
        return require_payment_method(conn, team).await;
    }
    if free_clusters_in_team(conn, team).await? > 0 {
        return Err(ApiError::invalid(format!(
            "Team '{team}' already has a free cluster"
        )));
    }
    Ok(())
}

/// Paid clusters, and changes beyond a free cluster's id, need the team's payment method.
pub async fn require_payment_method(conn: &mut db::Connection, team: &str) -> Result<(), ApiError> {
    if team_has_payment_method(conn, team).await? {
        Ok(())
    } else {
        Err(ApiError::invalid(format!(
            "Team '{team}' has no valid payment method: only a free cluster can be deployed or kept"
        )))
    }
}

/// Inserts a cluster; `false` when its id is taken in the space.
pub async fn insert_cluster(conn: &mut db::Connection, c: &ClusterRow) -> Result<bool, db::Error> {
    let inserted = db::query(concat!(
        "INSERT INTO typedb_clusters (",
        cluster_columns!(),
        ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    ))
    .bind(&c.team_id)
    .bind(&c.space_id)
    .bind(&c.id)
    .bind(c.server_count)
    .bind(c.storage_size_gb)
    .bind(c.is_free)
    .bind(&c.version)
    .bind(&c.provider)
    .bind(&c.region)
    .bind(&c.machine_type)
    .bind(&c.storage_type)
    .bind(&c.backup_frequency)
    .bind(c.backup_retention)
    .bind(&c.address_prefix)
    .bind(c.created_at_ms)
    .bind(&c.status)
    .bind(c.status_since_ms)
    .bind(c.servers_down)
    .execute(&mut *conn)
    .await;
    match inserted {
        Ok(_) => Ok(true),
        Err(e) if is_unique_violation(&e) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Writes back every mutable field of a cluster found at `(scope, old_id)`; `false` when the
/// new id is taken in the space.
pub async fn update_cluster(
    conn: &mut db::Connection,
    old_id: &str,
    c: &ClusterRow,
) -> Result<bool, db::Error> {
    let updated = db::query(UPDATE_CLUSTER)
        .bind(&c.id)
        .bind(c.server_count)
        .bind(c.storage_size_gb)
        .bind(c.is_free)
        .bind(&c.version)
        .bind(&c.machine_type)
        .bind(&c.backup_frequency)
        .bind(c.backup_retention)
        .bind(&c.status)
        .bind(c.status_since_ms)
        .bind(c.servers_down)
        .bind(&c.team_id)
        .bind(&c.space_id)
        .bind(old_id)
        .execute(&mut *conn)
        .await;
    match updated {
        Ok(_) => Ok(true),
        Err(e) if is_unique_violation(&e) => Ok(false),
        Err(e) => Err(e),
    }
}

// ---- fixtures: plain inserts on an open transaction ---------------------------------------------

/// A new team (fixtures); a team that exists is a unique violation.
pub async fn insert_team(
    conn: &mut db::Connection,
    team: &str,
    has_payment_method: bool,
    now_ms: i64,
) -> Result<(), db::Error> {
    db::query("INSERT INTO typedb_teams (id, has_payment_method, created_at_ms) VALUES (?, ?, ?)")
        .bind(team)
        .bind(has_payment_method)
        .bind(now_ms)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn insert_space(
    conn: &mut db::Connection,
    team: &str,
    space: &str,
) -> Result<(), db::Error> {
    db::query("INSERT INTO typedb_spaces (team_id, id) VALUES (?, ?)")
        .bind(team)
        .bind(space)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// An API token whose team and space exist (fixtures).
pub async fn insert_api_token(
    conn: &mut db::Connection,
    token: &NewApiToken,
    now_ms: i64,
) -> Result<(), db::Error> {
    db::query(
        "INSERT INTO typedb_api_tokens
           (client_id, secret_hash, name, team_id, space_id, access, created_at_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&token.client_id)
    .bind(&token.secret_hash)
    .bind(&token.name)
    .bind(&token.scope.team)
    .bind(&token.scope.space)
    .bind(token.access.as_str())
    .bind(now_ms)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    //! The statements on a request's path read what the request returns: no full scan of a
    //! table that grows with the session, and no sort of a space's clusters
    //! (`EXPLAIN QUERY PLAN`).

    use super::*;

    /// Every statement a TypeDB request can run, with its number of parameters.
    const REQUEST_PATH: &[(&str, usize)] = &[
        (API_TOKEN, 1),
        (SPACE_EXISTS, 2),
        (TEAM_HAS_PAYMENT_METHOD, 1),
        (FREE_CLUSTERS_IN_TEAM, 1),
        (LIST_CLUSTERS, 2),
        (CLUSTER, 3),
        (UPDATE_CLUSTER, 14),
        (SETTLE_MOVE, 4),
        (SETTLE_DESTROY, 1),
    ];

    async fn plan(session: &Session, sql: &str, parameters: usize) -> Vec<String> {
        let explain = format!("EXPLAIN QUERY PLAN {sql}");
        let mut query = db::query(&explain);
        for _ in 0..parameters {
            query = query.bind(Option::<String>::None);
        }
        let rows = query.fetch_all(session.db()).await.unwrap();
        rows.iter()
            .map(|r| r.try_get::<String, _>(3).unwrap())
            .collect()
    }

    #[tokio::test]
    async fn request_statements_search_by_key_or_index_and_never_sort() {
        let session = Session::scratch().await.unwrap();
        for (sql, parameters) in REQUEST_PATH {
            let lines = plan(&session, sql, *parameters).await;
            assert!(!lines.is_empty(), "{sql}");
            for line in &lines {
                assert!(
                    line.starts_with("SEARCH ") && !line.contains("TEMP B-TREE"),
                    "{sql}\n{lines:#?}"
                );
            }
        }
    }
}
