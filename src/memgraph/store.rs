//! All of Memgraph's SQL. A [`Store`] is the request's session database; every function that
//! reads tenant data takes the tenant id first, so an unscoped query is hard to write and another
//! tenant's record is simply not found.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde_json::{Map, Value};

use super::error::ApiError;
use super::model::{ApiKey, Role, Stats, Tenant, User, default_tenant_settings};
use crate::AppState;
use crate::clock::iso;
use crate::db;
use crate::db::FromRow;
use crate::error::{Internal, is_unique_violation};
use crate::session::Session;

/// The tenant anonymous callers belong to in development mode (docs/spec/memgraph.md §5.3, emulator
/// choice).
pub const DEV_TENANT_ID: &str = "00000000-0000-4000-8000-000000000000";

mod contradictions;
mod decisions;
mod graph;
mod intelligence;
mod memory;
mod v2_records;

pub use decisions::{DecisionFilter, NewDecision, belief_snapshot};
pub use graph::{NewEntity, NewRelationship, Walk};
pub use intelligence::PROSPECTIVE_DOMAIN;
pub use memory::{
    BeliefFilter, BeliefPatch, EpisodeFilter, EventFilter, Import, Kind, Match, NewBelief, NewEvent,
};
pub use v2_records::{
    V2Import, insert_fixture_decision, insert_fixture_entity, insert_fixture_relationship,
};

pub struct Store {
    session: Session,
    timing: Timing,
}

/// The configured durations of an episode's life (docs/spec/memgraph.md §6.4;
/// `--memgraph-episode-gap`, `--memgraph-consolidation-time`).
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    pub episode_gap: std::time::Duration,
    pub consolidation: std::time::Duration,
}

impl FromRequestParts<AppState> for Store {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let session = state.sessions.of(&parts.extensions).await?;
        let timing = Timing {
            episode_gap: state.config.memgraph.episode_gap.0,
            consolidation: state.config.memgraph.consolidation_time.0,
        };
        Ok(Store { session, timing })
    }
}

/// Writes that can be refused for a reason the client should hear about.
#[derive(Debug)]
pub enum WriteError {
    EmailTaken,
    LastAdmin,
    Internal(Internal),
}

impl From<db::Error> for WriteError {
    fn from(e: db::Error) -> Self {
        if is_unique_violation(&e) {
            WriteError::EmailTaken
        } else {
            WriteError::Internal(e.into())
        }
    }
}

impl From<WriteError> for ApiError {
    fn from(e: WriteError) -> Self {
        match e {
            WriteError::EmailTaken => ApiError::BadRequest("Email already registered"),
            WriteError::LastAdmin => ApiError::BadRequest("Cannot remove the last admin"),
            WriteError::Internal(e) => ApiError::Internal(e),
        }
    }
}

pub struct NewUser {
    pub id: String,
    pub email: String,
    pub full_name: Option<String>,
    pub password_hash: String,
    pub role: Role,
}

pub struct NewApiKey {
    pub id: String,
    pub name: String,
    pub key_prefix: String,
    pub key_hash: String,
    pub created_by: Option<String>,
}

#[derive(Default)]
pub struct UserPatch {
    pub role: Option<Role>,
    pub full_name: Option<String>,
    pub is_active: Option<bool>,
    pub password_hash: Option<String>,
}

/// Who an API key belongs to.
pub struct KeyOwner {
    pub key_id: String,
    pub tenant_id: String,
}

/// A live API key as cached in the session, with when its use was last written.
struct KnownKey {
    key_id: String,
    tenant_id: String,
    last_used_at: Option<String>,
}

const USER_COLUMNS: &str =
    "id, email, full_name, role, tenant_id, is_active, created_at, password_hash";
const KEY_COLUMNS: &str =
    "id, name, key_prefix, created_at, last_used_at, revoked_at IS NULL AS is_active";

impl Store {
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// Now, on the session's clock, as stored and sent.
    pub fn now(&self) -> String {
        iso(self.session.clock().now())
    }

    // ---- tenants -------------------------------------------------------------------------

    /// Onboarding in one transaction: the tenant, its admin, and its first key.
    pub async fn onboard(
        &self,
        tenant_id: &str,
        name: &str,
        sector: &str,
        admin: &NewUser,
        key: &NewApiKey,
    ) -> Result<(), WriteError> {
        let now = self.now();
        let mut tx = self.session.db().begin().await?;
        db::query(
            "INSERT INTO memgraph_tenants (id, name, sector, settings, created_at) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(tenant_id)
        .bind(name)
        .bind(sector)
        .bind(default_tenant_settings(self.timing.episode_gap).to_string())
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        insert_user(&mut tx, tenant_id, admin, &now).await?;
        insert_api_key(&mut tx, tenant_id, key, &now).await?;
        tx.commit().await?;
        self.session.forget_principals();
        Ok(())
    }

    pub async fn tenant(&self, tenant_id: &str) -> Result<Option<Tenant>, Internal> {
        let mut conn = self.session.db().acquire().await?;
        Ok(fetch_tenant(&mut conn, tenant_id).await?)
    }

    /// Changes the given fields; `settings` is merged shallowly into the stored ones (a key set
    /// to null stays, as null). `None` when the tenant does not exist.
    pub async fn update_tenant(
        &self,
        tenant_id: &str,
        name: Option<&str>,
        sector: Option<&str>,
        settings: Option<&Map<String, Value>>,
    ) -> Result<Option<Tenant>, Internal> {
        let mut tx = self.session.db().begin().await?;
        let Some(mut tenant) = fetch_tenant(&mut tx, tenant_id).await? else {
            return Ok(None);
        };
        if let Some(name) = name {
            tenant.name = name.to_owned();
        }
        if let Some(sector) = sector {
            tenant.sector = Some(sector.to_owned());
        }
        for (key, value) in settings.into_iter().flatten() {
            tenant.settings.insert(key.clone(), value.clone());
        }
        db::query("UPDATE memgraph_tenants SET name = ?, sector = ?, settings = ? WHERE id = ?")
            .bind(&tenant.name)
            .bind(&tenant.sector)
            .bind(Value::Object(tenant.settings.clone()).to_string())
            .bind(tenant_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.session.forget_principals();
        Ok(Some(tenant))
    }

    /// The development tenant, created the first time an anonymous caller needs it.
    pub async fn ensure_dev_tenant(&self) -> Result<(), Internal> {
        db::query(
            "INSERT OR IGNORE INTO memgraph_tenants (id, name, sector, settings, created_at)
             VALUES (?, 'Development', NULL, ?, ?)",
        )
        .bind(DEV_TENANT_ID)
        .bind(default_tenant_settings(self.timing.episode_gap).to_string())
        .bind(self.now())
        .execute(self.session.db())
        .await?;
        Ok(())
    }

    // ---- users ---------------------------------------------------------------------------

    /// Any tenant's user, by login email (case-insensitive).
    pub async fn user_by_email(&self, email: &str) -> Result<Option<User>, Internal> {
        Ok(db::query_as(&format!(
            "SELECT {USER_COLUMNS} FROM memgraph_users WHERE email_lower = ?"
        ))
        .bind(email.to_lowercase())
        .fetch_optional(self.session.db())
        .await?)
    }

    pub async fn user(&self, tenant_id: &str, user_id: &str) -> Result<Option<User>, Internal> {
        Ok(db::query_as(&format!(
            "SELECT {USER_COLUMNS} FROM memgraph_users WHERE tenant_id = ? AND id = ?"
        ))
        .bind(tenant_id)
        .bind(user_id)
        .fetch_optional(self.session.db())
        .await?)
    }

    pub async fn users(&self, tenant_id: &str) -> Result<Vec<User>, Internal> {
        Ok(db::query_as(&format!(
            "SELECT {USER_COLUMNS} FROM memgraph_users WHERE tenant_id = ? ORDER BY created_at, id"
        ))
        .bind(tenant_id)
        .fetch_all(self.session.db())
        .await?)
    }

    pub async fn create_user(&self, tenant_id: &str, user: &NewUser) -> Result<User, WriteError> {
        let mut conn = self.session.db().acquire().await?;
        insert_user(&mut conn, tenant_id, user, &self.now()).await?;
        drop(conn);
        self.session.forget_principals();
        self.user(tenant_id, &user.id)
            .await
            .map_err(WriteError::Internal)?
            .ok_or_else(|| WriteError::Internal(Internal::msg("created user vanished")))
    }

    /// Applies a patch, refusing one that would leave the tenant without an active admin.
    /// `None` when the user is not in this tenant.
    pub async fn update_user(
        &self,
        tenant_id: &str,
        user_id: &str,
        patch: &UserPatch,
    ) -> Result<Option<User>, WriteError> {
        let mut tx = self.session.db().begin().await?;
        let demotes =
            patch.role.is_some_and(|r| r != Role::Admin) || patch.is_active == Some(false);
        if demotes && is_last_admin(&mut tx, tenant_id, user_id).await? {
            return Err(WriteError::LastAdmin);
        }
        let changed = db::query(
            "UPDATE memgraph_users SET role = coalesce(?, role), full_name = coalesce(?, full_name),
                    is_active = coalesce(?, is_active), password_hash = coalesce(?, password_hash),
                    updated_at = ?
              WHERE tenant_id = ? AND id = ?",
        )
        .bind(patch.role)
        .bind(&patch.full_name)
        .bind(patch.is_active)
        .bind(&patch.password_hash)
        .bind(self.now())
        .bind(tenant_id)
        .bind(user_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        self.session.forget_principals();
        if changed == 0 {
            return Ok(None);
        }
        self.user(tenant_id, user_id)
            .await
            .map_err(WriteError::Internal)
    }

    /// Deletes a user, unless they are the tenant's last active admin. `false` when not found.
    pub async fn delete_user(&self, tenant_id: &str, user_id: &str) -> Result<bool, WriteError> {
        let mut tx = self.session.db().begin().await?;
        if is_last_admin(&mut tx, tenant_id, user_id).await? {
            return Err(WriteError::LastAdmin);
        }
        let deleted = db::query("DELETE FROM memgraph_users WHERE tenant_id = ? AND id = ?")
            .bind(tenant_id)
            .bind(user_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        self.session.forget_principals();
        Ok(deleted > 0)
    }

    // ---- API keys ------------------------------------------------------------------------

    pub async fn create_api_key(
        &self,
        tenant_id: &str,
        key: &NewApiKey,
    ) -> Result<String, Internal> {
        let now = self.now();
        let mut conn = self.session.db().acquire().await?;
        insert_api_key(&mut conn, tenant_id, key, &now).await?;
        self.session.forget_principals();
        Ok(now)
    }

    pub async fn api_keys(&self, tenant_id: &str) -> Result<Vec<ApiKey>, Internal> {
        Ok(db::query_as(&format!(
            "SELECT {KEY_COLUMNS} FROM memgraph_api_keys WHERE tenant_id = ? ORDER BY created_at, id"
        ))
        .bind(tenant_id)
        .fetch_all(self.session.db())
        .await?)
    }

    /// Revokes a key of this tenant; `false` when there is no such key.
    pub async fn revoke_api_key(&self, tenant_id: &str, key_id: &str) -> Result<bool, Internal> {
        let found = db::query(
            "UPDATE memgraph_api_keys SET revoked_at = coalesce(revoked_at, ?) WHERE tenant_id = ? AND id = ?",
        )
        .bind(self.now())
        .bind(tenant_id)
        .bind(key_id)
        .execute(self.session.db())
        .await?
        .rows_affected();
        self.session.forget_principals();
        Ok(found > 0)
    }

    /// The owner of a live key with this hash, noting the use. `last_used_at` is kept to the
    /// minute, so steady traffic on a key does not turn every read into a write. Owners are
    /// cached in the session (every key, user or tenant change forgets them), so a steady caller
    /// costs no statement at all.
    pub async fn use_api_key(&self, key_hash: &str) -> Result<Option<KeyOwner>, Internal> {
        let cache_key = format!("memgraph.api_key:{key_hash}");
        let version = self.session.principals_version();
        let known = self.session.cached_principal::<KnownKey>(&cache_key);
        let (key_id, tenant_id, last_used_at) = match known.as_deref() {
            Some(known) => (
                known.key_id.clone(),
                known.tenant_id.clone(),
                known.last_used_at.clone(),
            ),
            None => {
                let row: Option<(String, String, Option<String>)> = db::query_as(
                    "SELECT id, tenant_id, last_used_at FROM memgraph_api_keys
                      WHERE key_hash = ? AND revoked_at IS NULL",
                )
                .bind(key_hash)
                .fetch_optional(self.session.db())
                .await?;
                let Some(row) = row else {
                    return Ok(None);
                };
                row
            }
        };
        let now = self.session.clock().now();
        let stale = iso(now.saturating_sub(time::Duration::minutes(1)));
        let last_used_at = match last_used_at {
            Some(used) if used >= stale => Some(used),
            _ => {
                let used = iso(now);
                db::query("UPDATE memgraph_api_keys SET last_used_at = ? WHERE id = ?")
                    .bind(&used)
                    .bind(&key_id)
                    .execute(self.session.db())
                    .await?;
                Some(used)
            }
        };
        let unchanged = known
            .as_deref()
            .is_some_and(|k| k.last_used_at == last_used_at);
        if !unchanged {
            self.session.cache_principal(
                version,
                cache_key,
                KnownKey {
                    key_id: key_id.clone(),
                    tenant_id: tenant_id.clone(),
                    last_used_at,
                },
            );
        }
        Ok(Some(KeyOwner { key_id, tenant_id }))
    }

    // ---- memory --------------------------------------------------------------------------

    /// The tenant's figures, after moving on the episodes due to (as every memory read does).
    /// The counts are kept by triggers (migration 0007), and whether any episode is due comes
    /// with them, so a poll costs one statement however much is stored.
    pub async fn stats(&self, tenant_id: &str) -> Result<Stats, Internal> {
        let due_before = self.episodes_due_before(tenant_id).await?;
        let (stats, due) = self.counts(tenant_id, due_before.as_deref()).await?;
        if !due {
            return Ok(stats);
        }
        self.advance_episodes(tenant_id).await?;
        Ok(self.counts(tenant_id, None).await?.0)
    }

    /// The kept counts, and whether an episode not yet consolidated ended before `due_before`.
    async fn counts(
        &self,
        tenant_id: &str,
        due_before: Option<&str>,
    ) -> Result<(Stats, bool), Internal> {
        let row = db::query(
            "SELECT ?1 AS tenant_id,
                    coalesce(c.events, 0) AS total_events,
                    coalesce(c.episodes, 0) AS total_episodes,
                    coalesce(c.beliefs, 0) AS total_beliefs,
                    coalesce(c.active_beliefs, 0) AS active_beliefs,
                    coalesce(c.pending_episodes, 0) AS pending_episodes,
                    coalesce(c.users, 0) AS total_users,
                    coalesce(c.entities, 0) AS total_entities,
                    coalesce(c.relationships, 0) AS total_relationships,
                    coalesce(c.decisions, 0) AS total_decisions,
                    coalesce(c.open_contradictions, 0) AS open_contradictions,
                    EXISTS (SELECT 1 FROM memgraph_episodes
                             WHERE tenant_id = ?1 AND consolidation_status <> 'consolidated'
                               AND end_time <= ?2) AS due
               FROM (SELECT 1) LEFT JOIN memgraph_tenant_counts c ON c.tenant_id = ?1",
        )
        .bind(tenant_id)
        .bind(due_before)
        .fetch_one(self.session.db())
        .await?;
        Ok((Stats::from_row(&row)?, row.try_get("due")?))
    }
}

async fn fetch_tenant(
    conn: &mut db::Connection,
    tenant_id: &str,
) -> Result<Option<Tenant>, db::Error> {
    db::query_as("SELECT id, name, sector, created_at, settings FROM memgraph_tenants WHERE id = ?")
        .bind(tenant_id)
        .fetch_optional(conn)
        .await
}

pub(crate) async fn insert_user(
    conn: &mut db::Connection,
    tenant_id: &str,
    user: &NewUser,
    now: &str,
) -> Result<(), db::Error> {
    db::query(
        "INSERT INTO memgraph_users
            (id, tenant_id, email, email_lower, full_name, password_hash, role, is_active, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?)",
    )
    .bind(&user.id)
    .bind(tenant_id)
    .bind(&user.email)
    .bind(user.email.to_lowercase())
    .bind(&user.full_name)
    .bind(&user.password_hash)
    .bind(user.role)
    .bind(now)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

pub(crate) async fn insert_api_key(
    conn: &mut db::Connection,
    tenant_id: &str,
    key: &NewApiKey,
    now: &str,
) -> Result<(), db::Error> {
    db::query(
        "INSERT INTO memgraph_api_keys (id, tenant_id, name, key_prefix, key_hash, created_by, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&key.id)
    .bind(tenant_id)
    .bind(&key.name)
    .bind(&key.key_prefix)
    .bind(&key.key_hash)
    .bind(&key.created_by)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Whether this user is an active admin and no other active admin of the tenant remains.
async fn is_last_admin(
    conn: &mut db::Connection,
    tenant_id: &str,
    user_id: &str,
) -> Result<bool, db::Error> {
    db::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM memgraph_users
                         WHERE tenant_id = ?1 AND id = ?2 AND role = 'admin' AND is_active)
            AND NOT EXISTS (SELECT 1 FROM memgraph_users
                             WHERE tenant_id = ?1 AND id <> ?2 AND role = 'admin' AND is_active)",
    )
    .bind(tenant_id)
    .bind(user_id)
    .fetch_one(conn)
    .await
}

/// A belief as a fixture declares it: the first active version of its key.
pub struct FixtureBelief {
    pub id: String,
    pub subject_id: String,
    pub key: String,
    pub value: String,
    pub confidence: f64,
    pub belief_type: String,
    pub domain: String,
}

/// A tenant with a pinned id (fixtures).
pub async fn insert_tenant(
    conn: &mut db::Connection,
    id: &str,
    name: &str,
    sector: Option<&str>,
    settings: &str,
    now: &str,
) -> Result<(), db::Error> {
    db::query(
        "INSERT INTO memgraph_tenants (id, name, sector, settings, created_at) VALUES (?, ?, ?, ?, ?)",
    )
    .bind(id)
    .bind(name)
    .bind(sector)
    .bind(settings)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// A belief with a pinned id, as version 1 (fixtures).
pub async fn insert_fixture_belief(
    conn: &mut db::Connection,
    tenant_id: &str,
    b: &FixtureBelief,
    now: &str,
) -> Result<(), db::Error> {
    db::query(
        "INSERT INTO memgraph_beliefs
            (id, tenant_id, tenant_number, subject_id, key, value, confidence, belief_type, domain,
             epistemic_status, is_active, version, source, supersedes_id, created_at, updated_at,
             search_bag)
         VALUES (?1, ?2, (SELECT number FROM memgraph_tenants WHERE id = ?2), ?3, ?4, ?5, ?6, ?7,
                 ?8, 'active', 1, 1, 'api', NULL, ?9, ?10, ?11)",
    )
    .bind(&b.id)
    .bind(tenant_id)
    .bind(&b.subject_id)
    .bind(&b.key)
    .bind(&b.value)
    .bind(b.confidence)
    .bind(&b.belief_type)
    .bind(&b.domain)
    .bind(now)
    .bind(now)
    .bind(super::search::bag_json(&super::search::bag(
        &b.key, &b.value,
    )))
    .execute(conn)
    .await?;
    Ok(())
}

/// What every request path of the store reads, from SQLite's own plans: no whole table, no
/// page sorted after reading every match, and no statement given a filter beyond the tenant
/// that searches by the tenant alone (it would read the tenant's rows one by one). Each store
/// file lists its statements, with whether each is given such a filter.
#[cfg(test)]
mod plans {
    use crate::db;
    /// The columns a plan step's index is searched by for equality (`a=? AND b>?`: `a`).
    fn equalities(step: &str) -> Vec<&str> {
        step.split_once(" (").map_or(Vec::new(), |(_, keys)| {
            let keys = keys.strip_suffix(')').unwrap_or(keys);
            keys.split(" AND ")
                .filter_map(|k| k.strip_suffix("=?"))
                .collect()
        })
    }

    #[tokio::test]
    async fn no_request_reads_a_whole_table() {
        let db = crate::db::open(None).await.unwrap();
        let tables: Vec<String> = db::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'memgraph_%'",
        )
        .fetch_all(&db)
        .await
        .unwrap();
        let statements = [
            super::memory::statements(),
            super::graph::statements(),
            super::decisions::statements(),
            super::contradictions::statements(),
            super::intelligence::statements(),
        ];
        let mut bad = Vec::new();
        for (sql, filtered) in statements.into_iter().flatten() {
            let plan: Vec<(i64, i64, i64, String)> =
                db::query_as(&format!("EXPLAIN QUERY PLAN {sql}"))
                    .fetch_all(&db)
                    .await
                    .unwrap_or_else(|e| panic!("{e}: {sql}"));
            if std::env::var_os("SHOW_PLANS").is_some() {
                eprintln!("{sql}\n{plan:#?}\n");
            }
            for (_, _, _, step) in &plan {
                let on = |verb: &str| {
                    tables.iter().any(|table| {
                        step.strip_prefix(verb)
                            .and_then(|rest| rest.strip_prefix(table.as_str()))
                            .is_some_and(|rest| rest.starts_with(' ') || rest.is_empty())
                    })
                };
                let problem = if on("SCAN ") && !step.contains(" USING ") {
                    Some("reads the whole table")
                } else if on("SCAN ") {
                    Some("reads a whole index")
                } else if filtered
                    && on("SEARCH ")
                    && matches!(equalities(step)[..], ["tenant_id" | "tenant_number"])
                {
                    Some("searches by the tenant alone")
                } else if step.starts_with("USE TEMP B-TREE FOR ORDER BY") {
                    Some("sorts every match")
                } else {
                    None
                };
                if let Some(problem) = problem {
                    bad.push(format!("{step}: {problem}\n  in: {sql}\n  plan: {plan:?}"));
                }
            }
        }
        assert!(bad.is_empty(), "{}", bad.join("\n\n"));
    }
}

#[cfg(test)]
mod tests {
    use crate::db::{self, Db};

    /// Stats counted from the rows, as `stats` did before the counts were kept.
    const COUNTED: &str = "SELECT (SELECT count(*) FROM memgraph_events WHERE tenant_id = ?1),
            (SELECT count(*) FROM memgraph_episodes WHERE tenant_id = ?1),
            (SELECT count(*) FROM memgraph_beliefs WHERE tenant_id = ?1),
            (SELECT count(*) FROM memgraph_beliefs WHERE tenant_id = ?1 AND is_active),
            (SELECT count(*) FROM memgraph_episodes
              WHERE tenant_id = ?1 AND consolidation_status = 'pending'),
            (SELECT count(*) FROM (SELECT user_id FROM memgraph_events WHERE tenant_id = ?1
                                   UNION SELECT subject_id FROM memgraph_beliefs WHERE tenant_id = ?1))";

    const KEPT: &str = "SELECT coalesce(c.events, 0), coalesce(c.episodes, 0),
            coalesce(c.beliefs, 0), coalesce(c.active_beliefs, 0),
            coalesce(c.pending_episodes, 0), coalesce(c.users, 0)
       FROM (SELECT 1) LEFT JOIN memgraph_tenant_counts c ON c.tenant_id = ?1";

    type Counts = (i64, i64, i64, i64, i64, i64);

    async fn counts(db: &Db, sql: &str, tenant: &str) -> Counts {
        db::query_as(sql).bind(tenant).fetch_one(db).await.unwrap()
    }

    async fn run(db: &Db, sql: &str) {
        db.execute_batch(sql).await.unwrap();
    }

    async fn assert_kept(db: &Db, expected: [Counts; 2]) {
        for (tenant, expected) in ["t1", "t2"].into_iter().zip(expected) {
            assert_eq!(counts(db, COUNTED, tenant).await, expected, "{tenant}");
            assert_eq!(counts(db, KEPT, tenant).await, expected, "{tenant}");
        }
    }

    #[tokio::test]
    async fn the_kept_counts_follow_every_change_to_the_rows() {
        let db = crate::db::open(None).await.unwrap();
        run(
            &db,
            "INSERT INTO memgraph_tenants (id, name, settings, created_at)
                 VALUES ('t1', 'a', '{}', 'x'), ('t2', 'b', '{}', 'x');
             INSERT INTO memgraph_episodes (id, tenant_id, user_id, start_time, end_time, created_at,
                                            consolidation_status)
                 VALUES ('p1', 't1', 'u1', 'x', 'x', 'x', 'pending'),
                        ('p2', 't1', 'u1', 'x', 'x', 'x', 'consolidated'),
                        ('p3', 't2', 'u1', 'x', 'x', 'x', 'pending');
             INSERT INTO memgraph_events (id, tenant_id, user_id, event_type, content_payload,
                                          episode_id, timestamp)
                 VALUES ('e1', 't1', 'u1', 'm', '{}', 'p1', 'x'), ('e2', 't1', 'u1', 'm', '{}', 'p1', 'x'),
                        ('e3', 't1', 'u2', 'm', '{}', 'p2', 'x'), ('e4', 't2', 'u1', 'm', '{}', 'p3', 'x');
             INSERT INTO memgraph_beliefs (id, tenant_id, tenant_number, subject_id, key, value,
                                           confidence, belief_type, domain, is_active, created_at,
                                           updated_at)
                 VALUES ('b1', 't1', 1, 'u2', 'k', 'v', 1, 'f', 'd', 1, 'x', 'x'),
                        ('b2', 't1', 1, 'u3', 'k', 'v', 1, 'f', 'd', 0, 'x', 'x'),
                        ('b3', 't2', 2, 'u9', 'k', 'v', 1, 'f', 'd', 1, 'x', 'x');",
        )
        .await;
        assert_kept(&db, [(3, 2, 2, 1, 1, 3), (1, 1, 1, 1, 1, 2)]).await;

        run(
            &db,
            "UPDATE memgraph_episodes SET consolidation_status = 'processing' WHERE id = 'p1';
             UPDATE memgraph_beliefs SET is_active = 1 WHERE id = 'b2';
             UPDATE memgraph_beliefs SET subject_id = 'u1', value = 'w' WHERE id = 'b1';
             UPDATE memgraph_events SET user_id = 'u4' WHERE id = 'e3';
             DELETE FROM memgraph_events WHERE id = 'e1';
             DELETE FROM memgraph_episodes WHERE id = 'p2';",
        )
        .await;
        assert_kept(&db, [(2, 1, 2, 2, 0, 3), (1, 1, 1, 1, 1, 2)]).await;

        // A deleted tenant's rows go by cascade, and their counts with them.
        run(&db, "DELETE FROM memgraph_tenants WHERE id = 't1'").await;
        assert_kept(&db, [(0, 0, 0, 0, 0, 0), (1, 1, 1, 1, 1, 2)]).await;

        crate::db::wipe(&db).await.unwrap();
        assert_kept(&db, [(0, 0, 0, 0, 0, 0); 2]).await;
        let left: i64 = db::query_scalar(
            "SELECT (SELECT count(*) FROM memgraph_tenant_counts)
                  + (SELECT count(*) FROM memgraph_tenant_users)",
        )
        .fetch_one(&db)
        .await
        .unwrap();
        assert_eq!(left, 0);
    }

    /// Every row of each statement, each as its values, sorted.
    async fn rows_of(db: &Db, statements: &[&str]) -> Vec<String> {
        let mut rows = Vec::new();
        for sql in statements {
            for row in db::query(sql).fetch_all(db).await.unwrap() {
                rows.push(format!("{sql}: {:?}", row.into_values()));
            }
        }
        rows.sort();
        rows
    }

    #[tokio::test]
    async fn numbering_the_tenants_keeps_every_belief_contradiction_and_figure() {
        let migrations = sqlx::migrate!("./migrations");
        let db = db::blank().unwrap();
        for migration in migrations.iter().filter(|m| m.version < 64) {
            run(&db, &migration.sql).await;
        }
        run(
            &db,
            r#"INSERT INTO memgraph_tenants (id, name, settings, created_at)
                 VALUES ('t1', 'a', '{}', 'x'), ('t2', 'b', '{}', 'x');
             INSERT INTO memgraph_events (id, tenant_id, user_id, event_type, content_payload,
                                          timestamp, search_bag)
                 VALUES ('e1', 't1', 'u1', 'm', '{}', 'x', '{"porto":1.0}'),
                        ('e2', 't2', 'u1', 'm', '{}', 'x', '{"faro":2.0}');
             INSERT INTO memgraph_beliefs (id, tenant_id, subject_id, key, value, confidence,
                                           belief_type, domain, epistemic_status, is_active,
                                           created_at, updated_at, search_bag)
                 VALUES ('b1', 't1', 'u1', 'city', 'Lisbon', 1, 'f', 'd', 'superseded', 0, 'x', 'x',
                         '{"city":1.0,"lisbon":1.0}'),
                        ('b2', 't1', 'u1', 'city', 'Porto', 1, 'f', 'd', 'active', 1, 'x', 'x',
                         '{"city":1.0,"porto":1.0}'),
                        ('b3', 't2', 'u9', 'pets', 'cats', 1, 'f', 'd', 'active', 1, 'x', 'x',
                         '{"pets":1.0,"cats":1.5}'),
                        ('b4', 't2', 'u9', 'job', 'none', 1, 'f', 'd', 'active', 1, 'x', 'x', NULL);
             INSERT INTO memgraph_contradictions (id, tenant_id, subject_id, key, belief_a_id,
                                                  belief_b_id, status, detected_at)
                 VALUES ('c1', 't1', 'u1', 'city', 'b1', 'b2', 'open', 'x');"#,
        )
        .await;
        // Each figure read by the tenant's id, before the migration and after it.
        let kept = [
            "SELECT * FROM memgraph_tenant_counts",
            "SELECT * FROM memgraph_search_tenants",
            "SELECT * FROM memgraph_contradictions",
            "SELECT id, tenant_id, subject_id, key, value, is_active, search_bag FROM memgraph_beliefs",
        ];
        let by_id = [
            "SELECT tenant_id, user_id, refs FROM memgraph_tenant_users",
            "SELECT tenant_id, user_id, docs, length FROM memgraph_search_users",
            "SELECT tenant_id, term, user_id, kind, doc FROM memgraph_search_terms",
        ];
        let by_number = [
            "SELECT t.id, user_id, refs FROM memgraph_tenant_users JOIN memgraph_tenants t
                 ON t.number = tenant_number",
            "SELECT t.id, user_id, docs, length FROM memgraph_search_users JOIN memgraph_tenants t
                 ON t.number = tenant_number",
            "SELECT t.id, term, user_id, kind, doc FROM memgraph_search_terms
               JOIN memgraph_tenants t ON t.number = tenant_number",
        ];
        let before = [rows_of(&db, &kept).await, rows_of(&db, &by_id).await];
        assert_eq!(before[1].len(), 3 + 3 + 8, "{before:#?}");

        let numbering = migrations.iter().find(|m| m.version == 64).unwrap();
        run(&db, &numbering.sql).await;
        let after = [rows_of(&db, &kept).await, rows_of(&db, &by_number).await];
        let strip = |rows: &[String]| -> Vec<String> {
            rows.iter()
                .map(|r| r.split_once(": ").unwrap().1.to_owned())
                .collect()
        };
        assert_eq!(after[0], before[0]);
        assert_eq!(strip(&after[1]), strip(&before[1]));
        let numbers: Vec<(String, i64)> =
            db::query_as("SELECT b.id, b.tenant_number FROM memgraph_beliefs b ORDER BY b.id")
                .fetch_all(&db)
                .await
                .unwrap();
        assert_eq!(
            numbers,
            [("b1", 1), ("b2", 1), ("b3", 2), ("b4", 2)].map(|(id, n)| (id.to_owned(), n))
        );

        // A tenant made after is numbered next; a belief naming a tenant by the wrong number is
        // refused.
        run(
            &db,
            "INSERT INTO memgraph_tenants (id, name, settings, created_at) VALUES ('t3', 'c', '{}', 'x')",
        )
        .await;
        let third: i64 = db::query_scalar("SELECT number FROM memgraph_tenants WHERE id = 't3'")
            .fetch_one(&db)
            .await
            .unwrap();
        assert_eq!(third, 3);
        let wrong = db
            .execute_batch(
                "INSERT INTO memgraph_beliefs (id, tenant_id, tenant_number, subject_id, key, value,
                                               confidence, belief_type, domain, created_at,
                                               updated_at)
                     VALUES ('b5', 't3', 1, 'u', 'k', 'v', 1, 'f', 'd', 'x', 'x')",
            )
            .await;
        assert!(wrong.is_err(), "{wrong:?}");
    }

    #[tokio::test]
    async fn migrating_a_database_with_data_counts_what_is_there() {
        let migrations = sqlx::migrate!("./migrations");
        let db = db::blank().unwrap();
        for migration in migrations.iter().filter(|m| m.version < 7) {
            run(&db, &migration.sql).await;
        }
        run(
            &db,
            "INSERT INTO memgraph_tenants (id, name, settings, created_at)
                 VALUES ('t1', 'a', '{}', 'x'), ('t2', 'b', '{}', 'x');
             INSERT INTO memgraph_episodes (id, tenant_id, user_id, start_time, end_time, created_at,
                                            consolidation_status)
                 VALUES ('p1', 't1', 'u1', 'x', 'x', 'x', 'pending'),
                        ('p2', 't1', 'u1', 'x', 'x', 'x', 'consolidated');
             INSERT INTO memgraph_events (id, tenant_id, user_id, event_type, content_payload,
                                          episode_id, timestamp)
                 VALUES ('e1', 't1', 'u1', 'm', '{}', 'p1', 'x'), ('e2', 't1', 'u2', 'm', '{}', 'p2', 'x');
             INSERT INTO memgraph_beliefs (id, tenant_id, subject_id, key, value, confidence,
                                           belief_type, domain, is_active, created_at, updated_at)
                 VALUES ('b1', 't1', 'u2', 'k', 'v', 1, 'f', 'd', 1, 'x', 'x'),
                        ('b2', 't1', 'u3', 'k', 'v', 1, 'f', 'd', 0, 'x', 'x');",
        )
        .await;
        let counts_migration = migrations.iter().find(|m| m.version == 7).unwrap();
        run(&db, &counts_migration.sql).await;
        assert_kept(&db, [(2, 2, 2, 1, 1, 3), (0, 0, 0, 0, 0, 0)]).await;

        // And the triggers keep them from there.
        run(&db, "DELETE FROM memgraph_events WHERE id = 'e1'").await;
        assert_kept(&db, [(1, 2, 2, 1, 1, 2), (0, 0, 0, 0, 0, 0)]).await;
    }
}
