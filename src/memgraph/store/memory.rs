//! The memory records' SQL: events, the episodes derived from them, versioned beliefs, the
//! memories `/v2/context` ranks (see `search.rs`), and export/import of all three. Every
//! function takes the tenant first.
//!
//! Lists put their filters, order and page in SQL, and only the filters they were given, so
//! each reads one index in order and stops at its page (migration 0042); the `EXPLAIN QUERY PLAN`
//! of each is checked in the tests below.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use uuid::Uuid;

use super::Store;
use super::contradictions::{Superseded, record_on_supersede};
use crate::clock::iso;
use crate::db;
use crate::db::FromRow;
use crate::error::Internal;
use crate::memgraph::model::{Belief, DreamingHealth, Episode, Event, ImportCounts};
use crate::memgraph::search::{self, Bag, Collection};

const EVENT_COLUMNS: &str = "id, tenant_id, user_id, agent_id, thread_id, event_type, content_payload, episode_id, timestamp";
const EPISODE_COLUMNS: &str = "id, tenant_id, user_id, agent_id, thread_id, summary, tags, outcome,
    (SELECT count(*) FROM memgraph_events e WHERE e.episode_id = memgraph_episodes.id) AS event_count,
    start_time, end_time, consolidation_status, created_at";
pub(super) const BELIEF_COLUMNS: &str =
    "id, tenant_id, subject_id, key, value, confidence, belief_type, domain,
    epistemic_status, is_active, version, source, supersedes_id, created_at, updated_at";

pub struct NewEvent {
    pub user_id: String,
    pub agent_id: Option<String>,
    pub thread_id: Option<String>,
    pub event_type: String,
    pub content: Value,
}

#[derive(Default)]
pub struct EventFilter {
    pub user_id: Option<String>,
    pub thread_id: Option<String>,
    pub event_type: Option<String>,
    pub episode_id: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

#[derive(Default)]
pub struct EpisodeFilter {
    pub user_id: Option<String>,
    pub thread_id: Option<String>,
    pub consolidation_status: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

pub struct NewBelief {
    pub subject_id: String,
    pub key: String,
    pub value: String,
    pub confidence: f64,
    pub belief_type: String,
    pub domain: String,
}

#[derive(Default)]
pub struct BeliefFilter {
    pub subject_id: Option<String>,
    pub domain: Option<String>,
    pub belief_type: Option<String>,
    pub include_inactive: bool,
    pub limit: i64,
    /// Start after this (created_at, id), from a cursor.
    pub after: Option<(String, String)>,
}

#[derive(Default)]
pub struct BeliefPatch {
    pub value: Option<String>,
    pub confidence: Option<f64>,
    pub domain: Option<String>,
    pub belief_type: Option<String>,
}

/// The records of an export document, to load back.
pub struct Import {
    pub events: Vec<Event>,
    pub episodes: Vec<Episode>,
    pub beliefs: Vec<Belief>,
    /// Overwrite records of this tenant that have the same id, instead of skipping them.
    pub replace: bool,
    /// Entities, relationships, decisions, contradictions, saved scores.
    pub v2: super::v2_records::V2Import,
}

fn new_id() -> String {
    Uuid::new_v4().to_string()
}

/// Ids for the beliefs made together at one moment: UUIDs that start with the time (version 7,
/// from the session's clock), then bits drawn at random for the first; each next one is the one
/// before plus one. Ids made together sort together, so a batch's rows go to the same few pages
/// at the end of the id index rather than each to a random page of it (random ids made the id
/// index most of the pages a large batch wrote); and they sort in the order made, so a list
/// (newest first, then by id) shows a batch the same way every run, last made first.
struct BeliefIds {
    next: u128,
}

impl BeliefIds {
    fn at(now: time::OffsetDateTime) -> BeliefIds {
        let millis = u64::try_from(now.unix_timestamp_nanos() / 1_000_000).unwrap_or(0);
        let mut bits = [0; 10];
        bits.copy_from_slice(&Uuid::new_v4().into_bytes()[6..]);
        // The top random bit clear: counting up never reaches the variant and version bits.
        bits[2] &= 0x1f;
        let first = uuid::Builder::from_unix_timestamp_millis(millis, &bits).into_uuid();
        BeliefIds {
            next: first.as_u128(),
        }
    }

    fn next(&mut self) -> String {
        let id = Uuid::from_u128(self.next);
        self.next += 1;
        id.to_string()
    }
}

/// A list's `WHERE`: the tenant, then only the filters it was given, with their values in order.
struct Filter {
    sql: String,
    values: Vec<String>,
}

impl Filter {
    fn tenant(tenant_id: &str) -> Filter {
        Filter {
            sql: "tenant_id = ?".to_owned(),
            values: vec![tenant_id.to_owned()],
        }
    }

    fn eq(mut self, column: &str, value: Option<&str>) -> Filter {
        if let Some(value) = value {
            self.sql.push_str(&format!(" AND {column} = ?"));
            self.values.push(value.to_owned());
        }
        self
    }

    fn when(mut self, condition: &str, given: bool) -> Filter {
        if given {
            self.sql.push_str(&format!(" AND {condition}"));
        }
        self
    }

    /// The tenant of a table that names it by number (migration 0064), found by its id.
    fn numbered_tenant(tenant_id: &str) -> Filter {
        Filter {
            sql: "tenant_number = (SELECT number FROM memgraph_tenants WHERE id = ?)".to_owned(),
            values: vec![tenant_id.to_owned()],
        }
    }

    /// Only the tenant: no filter was given.
    fn is_whole_tenant(&self) -> bool {
        self.values.len() == 1
    }
}

/// A row of a page, and the count of every match beside it (column `total`).
struct Counted<T> {
    item: T,
    total: i64,
}

impl<T: FromRow> FromRow for Counted<T> {
    fn from_row(row: &impl db::Columns) -> rusqlite::Result<Self> {
        Ok(Counted {
            item: T::from_row(row)?,
            total: row.column("total")?,
        })
    }
}

/// Binds a list's values, in order.
fn bind_all<'q, D: db::Decode>(
    mut query: db::Query<'q, D>,
    values: &'q [String],
) -> db::Query<'q, D> {
    for value in values {
        query = query.bind(value.as_str());
    }
    query
}

/// The tenant's memories without a search bag yet.
const UNINDEXED: &str = "SELECT 'belief', rowid, key, value FROM memgraph_beliefs
      WHERE tenant_number = (SELECT number FROM memgraph_tenants WHERE id = ?1)
        AND search_bag IS NULL
     UNION ALL
     SELECT 'event', rowid, event_type, content_payload FROM memgraph_events
      WHERE tenant_id = ?1 AND search_bag IS NULL";

/// The active version (if any) and the highest version (if any) of one subject's key, of the
/// tenant numbered `?1`: run once per key a batch names. (One statement over a JSON array of the
/// keys cost more: SQLite rendered and parsed each key's pair again for every place the
/// statement named it.)
const KEY: &str = "SELECT a.id, a.value, v.version
   FROM (SELECT max(version) AS version FROM memgraph_beliefs
          WHERE tenant_number = ?1 AND subject_id = ?2 AND key = ?3) v
   LEFT JOIN memgraph_beliefs a
     ON a.tenant_number = ?1 AND a.subject_id = ?2 AND a.key = ?3 AND a.is_active = 1";

/// The table's highest rowid: a batch's rows come after it, in order, as SQLite would number
/// them.
const LAST_ROWID: &str = "SELECT coalesce(max(rowid), 0) FROM memgraph_beliefs";

/// A tenant's number, which names it in the tables that grow with its beliefs (migration 0064).
const TENANT_NUMBER: &str = "SELECT (SELECT number FROM memgraph_tenants WHERE id = ?1)";

// Rows named in a JSON array (`?2`) of one tenant (`?1`). The unary `+` keeps the planner from
// reading the tenant's rows through a tenant index to find them (it takes a JSON array to be
// long): the ids lead, one lookup each.

fn beliefs_by_rowid() -> String {
    format!(
        "SELECT rowid, {BELIEF_COLUMNS} FROM memgraph_beliefs
          WHERE rowid IN (SELECT value FROM json_each(?2)) AND +tenant_id = ?1"
    )
}

fn events_by_rowid() -> String {
    format!(
        "SELECT rowid, {EVENT_COLUMNS} FROM memgraph_events
          WHERE rowid IN (SELECT value FROM json_each(?2)) AND +tenant_id = ?1"
    )
}

pub(super) fn beliefs_by_id() -> String {
    format!(
        "SELECT {BELIEF_COLUMNS} FROM memgraph_beliefs
          WHERE id IN (SELECT value FROM json_each(?2)) AND +tenant_id = ?1"
    )
}

/// Retires the active versions a batch supersedes (`?3`), at `?1`.
const RETIRE: &str = "UPDATE memgraph_beliefs
    SET is_active = 0, epistemic_status = 'superseded', updated_at = ?1
  WHERE id IN (SELECT value FROM json_each(?3)) AND +tenant_id = ?2";

/// Retracts a subject's active beliefs (`?3`; of domain `?4` when given), at `?1`.
const RETRACT_SUBJECT: &str = "UPDATE memgraph_beliefs
    SET is_active = 0, epistemic_status = 'retracted', updated_at = ?1
  WHERE tenant_number = (SELECT number FROM memgraph_tenants WHERE id = ?2)
    AND subject_id = ?3 AND (?4 IS NULL OR domain = ?4) AND is_active";

/// Deletes every version of a subject's beliefs (`?2`; of domain `?3` when given).
const DELETE_SUBJECT: &str = "DELETE FROM memgraph_beliefs
  WHERE tenant_number = (SELECT number FROM memgraph_tenants WHERE id = ?1)
    AND subject_id = ?2 AND (?3 IS NULL OR domain = ?3)";

/// Every version of one belief (`?2`, `?3`), oldest first; only the active one unless `?4`;
/// those created by `?5` when given.
fn history_query() -> String {
    format!(
        "SELECT {BELIEF_COLUMNS} FROM memgraph_beliefs
          WHERE tenant_number = (SELECT number FROM memgraph_tenants WHERE id = ?1)
            AND subject_id = ?2 AND key = ?3 AND (?4 OR is_active)
            AND (?5 IS NULL OR created_at <= ?5)
          ORDER BY created_at, version, rowid"
    )
}

/// The tenant's figures, kept by the triggers of migration 0007.
const TENANT_COUNTS: &str = "SELECT coalesce(c.beliefs, 0), coalesce(c.active_beliefs, 0),
        coalesce(c.episodes, 0), coalesce(c.events, 0)
   FROM (SELECT 1) LEFT JOIN memgraph_tenant_counts c ON c.tenant_id = ?1";

/// One user's figures (`?2`), counted from that user's rows.
const USER_COUNTS: &str = "SELECT (SELECT count(*) FROM memgraph_beliefs
          WHERE tenant_number = (SELECT number FROM memgraph_tenants WHERE id = ?1)
            AND subject_id = ?2),
        (SELECT count(*) FROM memgraph_beliefs
          WHERE tenant_number = (SELECT number FROM memgraph_tenants WHERE id = ?1)
            AND subject_id = ?2 AND is_active = 1),
        (SELECT count(*) FROM memgraph_episodes WHERE tenant_id = ?1 AND user_id = ?2),
        (SELECT count(*) FROM memgraph_events WHERE tenant_id = ?1 AND user_id = ?2)";

// All of a tenant's memory, oldest first, in the order an import writes it back.

fn export_events() -> String {
    format!(
        "SELECT {EVENT_COLUMNS} FROM memgraph_events WHERE tenant_id = ? ORDER BY timestamp, rowid"
    )
}

fn export_episodes() -> String {
    format!(
        "SELECT {EPISODE_COLUMNS} FROM memgraph_episodes WHERE tenant_id = ?
          ORDER BY start_time, rowid"
    )
}

fn export_beliefs() -> String {
    format!(
        "SELECT {BELIEF_COLUMNS} FROM memgraph_beliefs
          WHERE tenant_number = (SELECT number FROM memgraph_tenants WHERE id = ?)
          ORDER BY created_at, rowid"
    )
}

/// A memory that holds a word of a query ([`Store::search`]).
pub struct Match {
    pub kind: Kind,
    pub rowid: i64,
    /// When it was made: a belief's `created_at`, an event's `timestamp`.
    pub at: String,
    pub superseded: bool,
    pub bag: Bag,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Belief,
    Event,
}

/// The memories holding any of the words in `?2` (a JSON array), of tenant `?1` (and user `?3`).
fn search_query(by_user: bool) -> String {
    let user = if by_user { "AND user_id = ?3" } else { "" };
    let postings = |kind: &str| {
        format!(
            "SELECT doc FROM memgraph_search_terms
              WHERE tenant_number = (SELECT number FROM memgraph_tenants WHERE id = ?1)
                AND term IN (SELECT value FROM json_each(?2)) {user}
                AND kind = '{kind}'"
        )
    };
    format!(
        "SELECT 'belief' AS kind, rowid, created_at AS at,
                epistemic_status = 'superseded' AS superseded, search_bag
           FROM memgraph_beliefs
          WHERE rowid IN ({}) AND epistemic_status IN ('active', 'superseded')
         UNION ALL
         SELECT 'event', rowid, timestamp, 0, search_bag FROM memgraph_events
          WHERE rowid IN ({})",
        postings("belief"),
        postings("event")
    )
}

/// When a belief version changed, for the timeline: created, or stopped being active. The same
/// expression as the index `memgraph_beliefs_timeline`, which SQLite matches by its text.
const CHANGED_AT: &str = "(CASE WHEN is_active THEN created_at ELSE updated_at END)";

fn timeline_query(domain: bool, since: bool) -> String {
    let domain = if domain { "AND domain = ?" } else { "" };
    let since = if since {
        format!("AND {CHANGED_AT} >= ?")
    } else {
        String::new()
    };
    format!(
        "SELECT {BELIEF_COLUMNS} FROM memgraph_beliefs
          WHERE tenant_number = (SELECT number FROM memgraph_tenants WHERE id = ?)
            AND subject_id = ? {domain} {since}
          ORDER BY {CHANGED_AT} DESC, version DESC, rowid DESC LIMIT ?"
    )
}

/// The statement listing events, and its values: newest first, one page.
fn events_query(tenant_id: &str, f: &EventFilter) -> (String, Filter) {
    let filter = Filter::tenant(tenant_id)
        .eq("user_id", f.user_id.as_deref())
        .eq("thread_id", f.thread_id.as_deref())
        .eq("event_type", f.event_type.as_deref())
        .eq("episode_id", f.episode_id.as_deref());
    let sql = format!(
        "SELECT {EVENT_COLUMNS} FROM memgraph_events WHERE {}
          ORDER BY timestamp DESC, rowid DESC LIMIT ? OFFSET ?",
        filter.sql
    );
    (sql, filter)
}

fn episodes_query(tenant_id: &str, f: &EpisodeFilter) -> (String, Filter) {
    let filter = Filter::tenant(tenant_id)
        .eq("user_id", f.user_id.as_deref())
        .eq("thread_id", f.thread_id.as_deref())
        .eq("consolidation_status", f.consolidation_status.as_deref());
    let sql = format!(
        "SELECT {EPISODE_COLUMNS} FROM memgraph_episodes WHERE {}
          ORDER BY start_time DESC, rowid DESC LIMIT ? OFFSET ?",
        filter.sql
    );
    (sql, filter)
}

/// One page of beliefs: the statement, with how many match in all as its `total` column
/// (computed once: the subquery does not depend on the row), and the statement counting alone,
/// for a page past the end. With no filter but the tenant, the count is the kept one
/// (migration 0007).
struct BeliefsQuery {
    page: String,
    count: String,
    count_values: Vec<String>,
    filter: Filter,
}

fn beliefs_query(tenant_id: &str, f: &BeliefFilter) -> BeliefsQuery {
    let filter = Filter::numbered_tenant(tenant_id)
        .eq("subject_id", f.subject_id.as_deref())
        .eq("domain", f.domain.as_deref())
        .eq("belief_type", f.belief_type.as_deref())
        .when("is_active = 1", !f.include_inactive);
    let (count, count_values) = if filter.is_whole_tenant() {
        let kept = if f.include_inactive {
            "beliefs"
        } else {
            "active_beliefs"
        };
        let sql = format!(
            "SELECT coalesce((SELECT {kept} FROM memgraph_tenant_counts WHERE tenant_id = ?), 0)"
        );
        (sql, vec![tenant_id.to_owned()])
    } else {
        let sql = format!("SELECT count(*) FROM memgraph_beliefs WHERE {}", filter.sql);
        (sql, filter.values.clone())
    };
    let after = if f.after.is_some() {
        // The cursor names the last belief of the page before by its id; its rowid breaks the tie
        // of beliefs made in the same millisecond (migration 0065). A belief deleted since is
        // not found: the page then starts at its time, repeating those made in that millisecond
        // rather than skipping any.
        "AND (created_at, rowid)
           < (?, coalesce((SELECT rowid FROM memgraph_beliefs WHERE id = ?), 9223372036854775807))"
    } else {
        ""
    };
    let page = format!(
        "SELECT ({count}) AS total, {BELIEF_COLUMNS} FROM memgraph_beliefs WHERE {} {after}
          ORDER BY created_at DESC, rowid DESC LIMIT ?",
        filter.sql
    );
    BeliefsQuery {
        page,
        count,
        count_values,
        filter,
    }
}

/// How a tenant's episodes live: its settings `episode_gap_minutes` and `dreaming_enabled`
/// (docs/spec/memgraph.md §6.8), falling back to the flags when a setting is absent or not usable.
#[derive(Clone, Copy)]
pub(super) struct TenantTiming {
    gap: Duration,
    dreaming: bool,
}

impl Store {
    /// The tenant's episode settings, cached in the session (a tenant change forgets them).
    async fn tenant_timing(&self, tenant_id: &str) -> Result<TenantTiming, Internal> {
        let cache_key = format!("memgraph.tenant_timing:{tenant_id}");
        if let Some(timing) = self.session.cached_principal::<TenantTiming>(&cache_key) {
            return Ok(*timing);
        }
        let version = self.session.principals_version();
        let row: Option<(Option<f64>, Option<i64>)> = db::query_as(
            "SELECT CASE WHEN json_type(settings, '$.episode_gap_minutes') IN ('integer', 'real')
                         THEN CAST(json_extract(settings, '$.episode_gap_minutes') AS REAL) END,
                    CASE WHEN json_type(settings, '$.dreaming_enabled') IN ('true', 'false')
                         THEN json_extract(settings, '$.dreaming_enabled') END
               FROM memgraph_tenants WHERE id = ?",
        )
        .bind(tenant_id)
        .fetch_optional(self.session.db())
        .await?;
        // A tenant not (yet) there is not cached: creating it forgets nothing.
        let found = row.is_some();
        let (minutes, dreaming) = row.unwrap_or_default();
        let gap = minutes
            .filter(|m| m.is_finite() && *m >= 0.0)
            .and_then(|m| Duration::try_from_secs_f64(m * 60.0).ok())
            .unwrap_or(self.timing.episode_gap);
        let timing = TenantTiming {
            gap,
            dreaming: dreaming.is_none_or(|d| d != 0),
        };
        if found {
            self.session.cache_principal(version, cache_key, timing);
        }
        Ok(timing)
    }

    /// `d` before now; a tenant's episode gap may be absurd, and a time before year 0 is the
    /// start of year 0 (the earliest time `iso` writes), so this cannot fail.
    fn ago(&self, d: Duration) -> String {
        let d = time::Duration::try_from(d).unwrap_or(time::Duration::MAX);
        let now = self.session.clock().now();
        iso(now
            .checked_sub(d)
            .filter(|t| t.year() >= 0)
            .unwrap_or(time::macros::datetime!(0000-01-01 00:00 UTC)))
    }

    // ---- events and episodes -------------------------------------------------------------

    /// Appends an event, into the open episode of its user and thread (one whose last event is
    /// at most the episode gap old) or a new one (docs/spec/memgraph.md §6.4, emulator choice).
    pub async fn record_event(&self, tenant_id: &str, new: &NewEvent) -> Result<Event, Internal> {
        let timing = self.advance_episodes(tenant_id).await?;
        let now = self.now();
        let open_since = self.ago(timing.gap);
        let mut tx = self.session.db().begin().await?;
        let open: Option<String> = db::query_scalar(
            "SELECT id FROM memgraph_episodes
              WHERE tenant_id = ? AND user_id = ? AND thread_id IS ? AND end_time > ?
                AND consolidation_status = 'pending'
              ORDER BY end_time DESC LIMIT 1",
        )
        .bind(tenant_id)
        .bind(&new.user_id)
        .bind(&new.thread_id)
        .bind(&open_since)
        .fetch_optional(&mut *tx)
        .await?;
        let episode_id = match open {
            Some(id) => {
                db::query("UPDATE memgraph_episodes SET end_time = ? WHERE id = ?")
                    .bind(&now)
                    .bind(&id)
                    .execute(&mut *tx)
                    .await?;
                id
            }
            None => {
                let id = new_id();
                db::query(
                    "INSERT INTO memgraph_episodes
                        (id, tenant_id, user_id, agent_id, thread_id, start_time, end_time, created_at)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                )
                .bind(&id)
                .bind(tenant_id)
                .bind(&new.user_id)
                .bind(&new.agent_id)
                .bind(&new.thread_id)
                .bind(&now)
                .bind(&now)
                .bind(&now)
                .execute(&mut *tx)
                .await?;
                id
            }
        };
        let event = Event {
            id: new_id(),
            tenant_id: tenant_id.to_owned(),
            user_id: new.user_id.clone(),
            agent_id: new.agent_id.clone(),
            thread_id: new.thread_id.clone(),
            event_type: new.event_type.clone(),
            content_payload: new.content.clone(),
            episode_id: Some(episode_id),
            timestamp: now,
        };
        insert_event(&mut tx, &event, false).await?;
        tx.commit().await?;
        Ok(event)
    }

    /// Newest first.
    pub async fn events(&self, tenant_id: &str, f: &EventFilter) -> Result<Vec<Event>, Internal> {
        let (sql, filter) = events_query(tenant_id, f);
        Ok(bind_all(db::query_as(&sql), &filter.values)
            .bind(f.limit)
            .bind(f.offset)
            .fetch_all(self.session.db())
            .await?)
    }

    pub async fn event(&self, tenant_id: &str, id: &str) -> Result<Option<Event>, Internal> {
        Ok(db::query_as(&format!(
            "SELECT {EVENT_COLUMNS} FROM memgraph_events WHERE tenant_id = ? AND id = ?"
        ))
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(self.session.db())
        .await?)
    }

    /// Deletes an event, and its episode when that was its last event. `false` when not found.
    pub async fn delete_event(&self, tenant_id: &str, id: &str) -> Result<bool, Internal> {
        let mut tx = self.session.db().begin().await?;
        let episode: Option<Option<String>> = db::query_scalar(
            "DELETE FROM memgraph_events WHERE tenant_id = ? AND id = ? RETURNING episode_id",
        )
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(episode) = episode else {
            return Ok(false);
        };
        db::query(
            "DELETE FROM memgraph_episodes WHERE id = ?
               AND NOT EXISTS (SELECT 1 FROM memgraph_events WHERE episode_id = ?1)",
        )
        .bind(episode)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Moves episodes along `pending → processing → consolidated` as the clock says
    /// (docs/spec/memgraph.md §6.4): an episode is pending while events may still join it (the
    /// tenant's episode gap), then processing for `--memgraph-consolidation-time`. Only ever
    /// forward, so an earlier clock (after a reset) changes nothing; with dreaming disabled in the
    /// tenant's settings, closed episodes wait as pending. A consolidated episode gets a summary:
    /// its first message's text, shortened (emulator choice; the real service has an LLM write it).
    /// Episodes of this tenant that ended before this are due to move on (`None` when the tenant
    /// does not dream): `stats` advances them only when there are some.
    pub(super) async fn episodes_due_before(
        &self,
        tenant_id: &str,
    ) -> Result<Option<String>, Internal> {
        let timing = self.tenant_timing(tenant_id).await?;
        Ok(timing.dreaming.then(|| self.ago(timing.gap)))
    }

    pub(super) async fn advance_episodes(&self, tenant_id: &str) -> Result<TenantTiming, Internal> {
        let timing = self.tenant_timing(tenant_id).await?;
        if !timing.dreaming {
            return Ok(timing);
        }
        let closed_before = self.ago(timing.gap);
        let done_before = self.ago(timing.gap.saturating_add(self.timing.consolidation));
        db::query(
            "UPDATE memgraph_episodes
                SET consolidation_status =
                        CASE WHEN end_time <= ?2 THEN 'consolidated' ELSE 'processing' END,
                    summary = CASE
                        WHEN summary IS NULL AND end_time <= ?2
                        THEN (SELECT substr(coalesce(json_extract(e.content_payload, '$.text'), ''), 1, 200)
                                FROM memgraph_events e WHERE e.episode_id = memgraph_episodes.id
                               ORDER BY e.timestamp, e.rowid LIMIT 1)
                        ELSE summary END
              WHERE tenant_id = ?1 AND consolidation_status <> 'consolidated' AND end_time <= ?3",
        )
        .bind(tenant_id)
        .bind(&done_before)
        .bind(&closed_before)
        .execute(self.session.db())
        .await?;
        Ok(timing)
    }

    /// Newest first.
    pub async fn episodes(
        &self,
        tenant_id: &str,
        f: &EpisodeFilter,
    ) -> Result<Vec<Episode>, Internal> {
        self.advance_episodes(tenant_id).await?;
        let (sql, filter) = episodes_query(tenant_id, f);
        Ok(bind_all(db::query_as(&sql), &filter.values)
            .bind(f.limit)
            .bind(f.offset)
            .fetch_all(self.session.db())
            .await?)
    }

    /// An episode with its events, oldest first.
    pub async fn episode(
        &self,
        tenant_id: &str,
        id: &str,
    ) -> Result<Option<(Episode, Vec<Event>)>, Internal> {
        self.advance_episodes(tenant_id).await?;
        let episode: Option<Episode> = db::query_as(&format!(
            "SELECT {EPISODE_COLUMNS} FROM memgraph_episodes WHERE tenant_id = ? AND id = ?"
        ))
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(self.session.db())
        .await?;
        let Some(episode) = episode else {
            return Ok(None);
        };
        let events = db::query_as(&format!(
            "SELECT {EVENT_COLUMNS} FROM memgraph_events WHERE tenant_id = ? AND episode_id = ?
              ORDER BY timestamp, rowid"
        ))
        .bind(tenant_id)
        .bind(id)
        .fetch_all(self.session.db())
        .await?;
        Ok(Some((episode, events)))
    }

    pub async fn dreaming_health(&self, tenant_id: &str) -> Result<DreamingHealth, Internal> {
        let timing = self.advance_episodes(tenant_id).await?;
        let (pending, processing, consolidated, last_end): (i64, i64, i64, Option<String>) =
            db::query_as(
                "SELECT count(*) FILTER (WHERE consolidation_status = 'pending'),
                        count(*) FILTER (WHERE consolidation_status = 'processing'),
                        count(*) FILTER (WHERE consolidation_status = 'consolidated'),
                        max(end_time) FILTER (WHERE consolidation_status = 'consolidated')
                   FROM memgraph_episodes WHERE tenant_id = ?",
            )
            .bind(tenant_id)
            .fetch_one(self.session.db())
            .await?;
        // The consolidation of the latest consolidated episode finished one gap and one
        // consolidation time after its last event.
        let last_cycle = last_end
            .and_then(|end| {
                time::OffsetDateTime::parse(&end, &time::format_description::well_known::Rfc3339)
                    .ok()
            })
            .map(|end| {
                let span = timing.gap.saturating_add(self.timing.consolidation);
                iso(crate::clock::later(end, span))
            });
        Ok(DreamingHealth {
            status: "healthy",
            worker_running: timing.dreaming && processing > 0,
            last_cycle,
            pending_episodes: pending,
            processing_episodes: processing,
            consolidated_episodes: consolidated,
        })
    }

    // ---- beliefs -------------------------------------------------------------------------

    /// Creates beliefs in one transaction, each under the supersede rule (docs/spec/memgraph.md
    /// §6.5): the same value as the active version returns that version; a new value retires it
    /// (`superseded`) and becomes the next version. Versions continue from the key's history, so
    /// a key retracted and set again does not restart at 1. Each answer is the belief as it was
    /// made, even if a later one of the batch superseded it. A few statements for a batch of
    /// up to 100: its keys are looked up together, and its rows written many to a statement with
    /// what the stats and the search derive from them (`insert_beliefs`). Every
    /// supersede records a contradiction (`contradictions.rs` holds that rule).
    pub async fn create_beliefs(
        &self,
        tenant_id: &str,
        beliefs: &[NewBelief],
    ) -> Result<Vec<Belief>, Internal> {
        let clock = self.session.clock().now();
        let now = iso(clock);
        let mut tx = if beliefs.len() >= LARGE_BATCH {
            self.session.db().begin_large().await?
        } else {
            self.session.db().begin().await?
        };
        let tenant_number = tenant_number(&tx, tenant_id)?;
        let (mut keys, last_rowid) = key_states(&tx, tenant_number, beliefs)?;

        let mut ids = BeliefIds::at(clock);
        let mut answers: Vec<Answer> = Vec::with_capacity(beliefs.len());
        let mut made: Vec<Belief> = Vec::new();
        let mut retired: Vec<String> = Vec::new();
        // Each supersede: the older version's id and value, and the newer's place in `made`.
        let mut superseded: Vec<(String, String, usize)> = Vec::new();
        for new in beliefs {
            let state = keys
                .entry((new.subject_id.clone(), new.key.clone()))
                .or_default();
            if let Some(active) = &state.active
                && active.value == new.value
            {
                answers.push(match active.made {
                    Some(i) => Answer::Made(i),
                    None => Answer::Kept(active.id.clone()),
                });
                continue;
            }
            let supersedes_id = match state.active.take() {
                Some(Active {
                    id,
                    value,
                    made: None,
                }) => {
                    retired.push(id.clone());
                    superseded.push((id.clone(), value, made.len()));
                    Some(id)
                }
                Some(Active {
                    value,
                    made: Some(i),
                    ..
                }) => {
                    let newer = made.len();
                    let earlier = &mut made[i];
                    earlier.is_active = false;
                    "superseded".clone_into(&mut earlier.epistemic_status);
                    earlier.updated_at.clone_from(&now);
                    superseded.push((earlier.id.clone(), value, newer));
                    Some(earlier.id.clone())
                }
                None => None,
            };
            state.version += 1;
            let belief = Belief {
                id: ids.next(),
                tenant_id: tenant_id.to_owned(),
                subject_id: new.subject_id.clone(),
                key: new.key.clone(),
                value: new.value.clone(),
                confidence: new.confidence,
                belief_type: new.belief_type.clone(),
                domain: new.domain.clone(),
                epistemic_status: "active".to_owned(),
                is_active: true,
                version: state.version,
                source: "api".to_owned(),
                supersedes_id,
                created_at: now.clone(),
                updated_at: now.clone(),
            };
            state.active = Some(Active {
                id: belief.id.clone(),
                value: belief.value.clone(),
                made: Some(made.len()),
            });
            answers.push(Answer::Made(made.len()));
            made.push(belief);
        }

        let kept: Vec<&String> = answers
            .iter()
            .filter_map(|a| match a {
                Answer::Kept(id) => Some(id),
                Answer::Made(_) => None,
            })
            .collect();
        let mut existing: HashMap<String, Belief> = HashMap::new();
        if !kept.is_empty() {
            let found: Vec<Belief> = db::query_as(&beliefs_by_id())
                .bind(tenant_id)
                .bind(json!(kept).to_string())
                .fetch_all(&mut *tx)
                .await?;
            for belief in found {
                existing.insert(belief.id.clone(), belief);
            }
        }
        if !retired.is_empty() {
            db::query(RETIRE)
                .bind(&now)
                .bind(tenant_id)
                .bind(json!(retired).to_string())
                .execute(&mut *tx)
                .await?;
        }
        if !made.is_empty() {
            insert_beliefs(&tx, (tenant_id, tenant_number), &made, last_rowid)?;
        }
        let superseded: Vec<Superseded> = superseded
            .iter()
            .map(|(older_id, older_value, newer)| Superseded {
                older_id,
                older_value,
                newer: &made[*newer],
            })
            .collect();
        record_on_supersede(&mut tx, tenant_id, &superseded, &now).await?;
        tx.commit().await?;

        // Each belief made is answered as it was made, active: a later item of the batch may
        // have superseded it since. The last answer naming it takes it, any other a copy.
        let mut uses = vec![0usize; made.len()];
        for answer in &answers {
            if let Answer::Made(i) = answer {
                uses[*i] += 1;
            }
        }
        let mut made: Vec<Option<Belief>> = made.into_iter().map(Some).collect();
        answers
            .into_iter()
            .map(|answer| match answer {
                Answer::Made(i) => {
                    uses[i] -= 1;
                    let belief = if uses[i] == 0 {
                        made[i].take()
                    } else {
                        made[i].clone()
                    };
                    let mut belief =
                        belief.ok_or_else(|| Internal::msg("belief answered twice"))?;
                    if !belief.is_active {
                        belief.is_active = true;
                        "active".clone_into(&mut belief.epistemic_status);
                    }
                    Ok(belief)
                }
                Answer::Kept(id) => existing
                    .get(&id)
                    .cloned()
                    .ok_or_else(|| Internal::msg("active belief vanished")),
            })
            .collect()
    }

    /// One page, newest first, and how many match in all.
    pub async fn beliefs(
        &self,
        tenant_id: &str,
        f: &BeliefFilter,
    ) -> Result<(Vec<Belief>, i64), Internal> {
        let q = beliefs_query(tenant_id, f);
        // The count's values come first, as its subquery comes first in the page's statement.
        let mut page = bind_all(db::query_as::<Counted<Belief>>(&q.page), &q.count_values);
        page = bind_all(page, &q.filter.values);
        if let Some((time, id)) = &f.after {
            page = page.bind(time.as_str()).bind(id.as_str());
        }
        let rows = page.bind(f.limit).fetch_all(self.session.db()).await?;
        let total: i64 = match rows.first() {
            Some(row) => row.total,
            None => {
                bind_all(db::query_scalar(&q.count), &q.count_values)
                    .fetch_one(self.session.db())
                    .await?
            }
        };
        Ok((rows.into_iter().map(|row| row.item).collect(), total))
    }

    pub async fn belief(&self, tenant_id: &str, id: &str) -> Result<Option<Belief>, Internal> {
        let mut conn = self.session.db().acquire().await?;
        Ok(fetch_belief(&mut conn, tenant_id, id).await?)
    }

    /// Changes a belief in place, bumping its version. `None` when not found.
    pub async fn update_belief(
        &self,
        tenant_id: &str,
        id: &str,
        patch: &BeliefPatch,
    ) -> Result<Option<Belief>, Internal> {
        let mut tx = self.session.db().begin().await?;
        let changed = db::query(
            "UPDATE memgraph_beliefs SET value = coalesce(?, value), confidence = coalesce(?, confidence),
                    domain = coalesce(?, domain), belief_type = coalesce(?, belief_type),
                    version = version + 1, updated_at = ?
              WHERE tenant_id = ? AND id = ?",
        )
        .bind(&patch.value)
        .bind(patch.confidence)
        .bind(&patch.domain)
        .bind(&patch.belief_type)
        .bind(self.now())
        .bind(tenant_id)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Ok(None);
        }
        let belief = fetch_belief(&mut tx, tenant_id, id).await?;
        tx.commit().await?;
        Ok(belief)
    }

    pub async fn delete_belief(&self, tenant_id: &str, id: &str) -> Result<bool, Internal> {
        let deleted = db::query("DELETE FROM memgraph_beliefs WHERE tenant_id = ? AND id = ?")
            .bind(tenant_id)
            .bind(id)
            .execute(self.session.db())
            .await?
            .rows_affected();
        Ok(deleted > 0)
    }

    /// Deletes a subject's beliefs (every version), or with `soft` retracts the active ones.
    pub async fn delete_beliefs(
        &self,
        tenant_id: &str,
        subject_id: &str,
        domain: Option<&str>,
        soft: bool,
    ) -> Result<u64, Internal> {
        let query = if soft {
            db::query(RETRACT_SUBJECT).bind(self.now())
        } else {
            db::query(DELETE_SUBJECT)
        };
        Ok(query
            .bind(tenant_id)
            .bind(subject_id)
            .bind(domain)
            .execute(self.session.db())
            .await?
            .rows_affected())
    }

    /// Every version of one belief, oldest first; `as_of` keeps those created by then.
    pub async fn belief_history(
        &self,
        tenant_id: &str,
        subject_id: &str,
        key: &str,
        include_inactive: bool,
        as_of: Option<&str>,
    ) -> Result<Vec<Belief>, Internal> {
        Ok(db::query_as(&history_query())
            .bind(tenant_id)
            .bind(subject_id)
            .bind(key)
            .bind(include_inactive)
            .bind(as_of)
            .fetch_all(self.session.db())
            .await?)
    }

    /// A subject's belief versions, most recent change first: when it was created, or when it
    /// stopped being active.
    pub async fn belief_timeline(
        &self,
        tenant_id: &str,
        subject_id: &str,
        domain: Option<&str>,
        since: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Belief>, Internal> {
        let sql = timeline_query(domain.is_some(), since.is_some());
        let mut query = db::query_as(&sql).bind(tenant_id).bind(subject_id);
        if let Some(domain) = domain {
            query = query.bind(domain);
        }
        if let Some(since) = since {
            query = query.bind(since);
        }
        Ok(query.bind(limit).fetch_all(self.session.db()).await?)
    }

    /// Counts for `/v1/intelligence/health`: (beliefs, active beliefs, episodes, events).
    pub async fn memory_counts(
        &self,
        tenant_id: &str,
        user_id: Option<&str>,
    ) -> Result<(i64, i64, i64, i64), Internal> {
        let query = db::query_as(if user_id.is_some() {
            USER_COUNTS
        } else {
            TENANT_COUNTS
        });
        Ok(query
            .bind(tenant_id)
            .bind(user_id)
            .fetch_one(self.session.db())
            .await?)
    }

    // ---- search --------------------------------------------------------------------------

    /// The memories of one tenant (and one user, if given) that hold a word of the query, with
    /// what ranking them takes, and the collection they are ranked in: beliefs active or
    /// superseded (the real service still shows the latter, marked), and events. Reads the
    /// postings of the query's words, not every memory (migration 0042).
    pub async fn search(
        &self,
        tenant_id: &str,
        user_id: Option<&str>,
        terms: &[String],
    ) -> Result<(Collection, Vec<Match>), Internal> {
        self.index_pending(tenant_id).await?;
        let db = self.session.db();
        let (docs, length): (Option<i64>, Option<f64>) = match user_id {
            None => db::query_as(
                "SELECT docs, length FROM (SELECT 1)
                   LEFT JOIN memgraph_search_tenants ON tenant_id = ?",
            )
            .bind(tenant_id),
            Some(user_id) => db::query_as(
                "SELECT docs, length FROM (SELECT 1)
                   LEFT JOIN memgraph_search_users
                     ON tenant_number = (SELECT number FROM memgraph_tenants WHERE id = ?)
                    AND user_id = ?",
            )
            .bind(tenant_id)
            .bind(user_id),
        }
        .fetch_one(db)
        .await?;
        let collection = Collection {
            docs: docs.unwrap_or(0),
            length: length.unwrap_or(0.0),
        };
        let sql = search_query(user_id.is_some());
        let mut query = db::query(&sql)
            .bind(tenant_id)
            .bind(json!(terms).to_string());
        if let Some(user_id) = user_id {
            query = query.bind(user_id);
        }
        let rows = query.fetch_all(db).await?;
        let matches = rows
            .iter()
            .map(|row| -> Result<Match, Internal> {
                let bag: String = row.try_get("search_bag")?;
                Ok(Match {
                    kind: match row.try_get::<String, _>("kind")?.as_str() {
                        "belief" => Kind::Belief,
                        _ => Kind::Event,
                    },
                    rowid: row.try_get("rowid")?,
                    at: row.try_get("at")?,
                    superseded: row.try_get("superseded")?,
                    bag: serde_json::from_str(&bag).unwrap_or_default(),
                })
            })
            .collect::<Result<_, _>>()?;
        Ok((collection, matches))
    }

    /// Beliefs and events by rowid (found by [`Store::search`]), of this tenant.
    pub async fn memories(
        &self,
        tenant_id: &str,
        beliefs: &[i64],
        events: &[i64],
    ) -> Result<(HashMap<i64, Belief>, HashMap<i64, Event>), Internal> {
        let db = self.session.db();
        let mut found_beliefs = HashMap::new();
        if !beliefs.is_empty() {
            let rows = db::query(&beliefs_by_rowid())
                .bind(tenant_id)
                .bind(json!(beliefs).to_string())
                .fetch_all(db)
                .await?;
            for row in &rows {
                found_beliefs.insert(row.try_get("rowid")?, Belief::from_row(row)?);
            }
        }
        let mut found_events = HashMap::new();
        if !events.is_empty() {
            let rows = db::query(&events_by_rowid())
                .bind(tenant_id)
                .bind(json!(events).to_string())
                .fetch_all(db)
                .await?;
            for row in &rows {
                found_events.insert(row.try_get("rowid")?, Event::from_row(row)?);
            }
        }
        Ok((found_beliefs, found_events))
    }

    /// Gives a bag to the tenant's memories that have none: rows loaded from a state document
    /// without one, or stored before the index existed. (The store writes a bag with every row it
    /// writes, so this usually finds nothing, through an index of such rows alone.)
    async fn index_pending(&self, tenant_id: &str) -> Result<(), Internal> {
        let db = self.session.db();
        let pending: Vec<(String, i64, String, String)> = db::query_as(UNINDEXED)
            .bind(tenant_id)
            .fetch_all(db)
            .await?;
        if pending.is_empty() {
            return Ok(());
        }
        let mut beliefs = Vec::new();
        let mut events = Vec::new();
        for (kind, rowid, label, text) in pending {
            if kind == "belief" {
                beliefs.push(json!([
                    rowid,
                    search::bag_json(&search::bag(&label, &text))
                ]));
            } else {
                let content: Value = serde_json::from_str(&text).unwrap_or_default();
                let bag = search::bag(&label, search::event_text(&content));
                events.push(json!([rowid, search::bag_json(&bag)]));
            }
        }
        let mut tx = db.begin().await?;
        for (table, bags) in [("memgraph_beliefs", beliefs), ("memgraph_events", events)] {
            // The table name is one of ours.
            db::query(&format!(
                "UPDATE {table} SET search_bag = b.value ->> 1
                   FROM json_each(?) b WHERE {table}.rowid = b.value ->> 0"
            ))
            .bind(Value::from(bags).to_string())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    // ---- export and import ---------------------------------------------------------------

    /// All of a tenant's memory, oldest first, in the order import writes it back.
    pub async fn memory_export(
        &self,
        tenant_id: &str,
    ) -> Result<(Vec<Event>, Vec<Episode>, Vec<Belief>), Internal> {
        self.advance_episodes(tenant_id).await?;
        let db = self.session.db();
        let events = db::query_as(&export_events())
            .bind(tenant_id)
            .fetch_all(db)
            .await?;
        let episodes = db::query_as(&export_episodes())
            .bind(tenant_id)
            .fetch_all(db)
            .await?;
        let beliefs = db::query_as(&export_beliefs())
            .bind(tenant_id)
            .fetch_all(db)
            .await?;
        Ok((events, episodes, beliefs))
    }

    /// Loads records into this tenant (whatever tenant they name), in one transaction. A record
    /// whose id exists is skipped, or, with `replace`, overwritten when it is this tenant's.
    /// Returns what was written and what was skipped.
    pub async fn import(
        &self,
        tenant_id: &str,
        mut data: Import,
    ) -> Result<(ImportCounts, ImportCounts), Internal> {
        let mut imported = ImportCounts::default();
        let mut skipped = ImportCounts::default();
        let mut tx = self.session.db().begin().await?;
        for episode in &mut data.episodes {
            episode.tenant_id = tenant_id.to_owned();
            if data.replace {
                delete_own(&mut tx, "memgraph_episodes", tenant_id, &episode.id).await?;
            }
            let written = db::query(
                "INSERT OR IGNORE INTO memgraph_episodes
                    (id, tenant_id, user_id, agent_id, thread_id, summary, tags, outcome,
                     start_time, end_time, consolidation_status, created_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(&episode.id)
            .bind(tenant_id)
            .bind(&episode.user_id)
            .bind(&episode.agent_id)
            .bind(&episode.thread_id)
            .bind(&episode.summary)
            .bind(episode.tags.to_string())
            .bind(&episode.outcome)
            .bind(&episode.start_time)
            .bind(&episode.end_time)
            .bind(&episode.consolidation_status)
            .bind(&episode.created_at)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            count(written, &mut imported.episodes, &mut skipped.episodes);
        }
        for event in &mut data.events {
            event.tenant_id = tenant_id.to_owned();
            if data.replace {
                delete_own(&mut tx, "memgraph_events", tenant_id, &event.id).await?;
            }
            let written = insert_event(&mut tx, event, true).await?;
            count(written, &mut imported.events, &mut skipped.events);
        }
        for belief in &mut data.beliefs {
            belief.tenant_id = tenant_id.to_owned();
            if data.replace {
                delete_own(&mut tx, "memgraph_beliefs", tenant_id, &belief.id).await?;
            }
            // OR IGNORE also skips a second active version of one key.
            let written = db::query(&format!(
                "INSERT OR IGNORE INTO memgraph_beliefs ({BELIEF_COLUMNS}, search_bag, tenant_number)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
                         (SELECT number FROM memgraph_tenants WHERE id = ?2))"
            ))
            .bind(&belief.id)
            .bind(tenant_id)
            .bind(&belief.subject_id)
            .bind(&belief.key)
            .bind(&belief.value)
            .bind(belief.confidence)
            .bind(&belief.belief_type)
            .bind(&belief.domain)
            .bind(&belief.epistemic_status)
            .bind(belief.is_active)
            .bind(belief.version)
            .bind(&belief.source)
            .bind(&belief.supersedes_id)
            .bind(&belief.created_at)
            .bind(&belief.updated_at)
            .bind(search::bag_json(&search::bag(&belief.key, &belief.value)))
            .execute(&mut *tx)
            .await?
            .rows_affected();
            count(written, &mut imported.beliefs, &mut skipped.beliefs);
        }
        super::v2_records::import_v2(
            &mut tx,
            tenant_id,
            &mut data.v2,
            data.replace,
            &mut imported,
            &mut skipped,
        )
        .await?;
        tx.commit().await?;
        Ok((imported, skipped))
    }
}

fn count(written: u64, imported: &mut i64, skipped: &mut i64) {
    if written > 0 {
        *imported += 1;
    } else {
        *skipped += 1;
    }
}

/// Deletes a record of this tenant by id, before `replace` writes it again. The table name is
/// one of ours, never a client's.
pub(super) async fn delete_own(
    conn: &mut db::Connection,
    table: &str,
    tenant_id: &str,
    id: &str,
) -> Result<(), db::Error> {
    db::query(&format!(
        "DELETE FROM {table} WHERE tenant_id = ? AND id = ?"
    ))
    .bind(tenant_id)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Writes an event as given (`ignore`: skip it when the id exists). An episode id that is not
/// this tenant's is dropped.
async fn insert_event(
    conn: &mut db::Connection,
    event: &Event,
    ignore: bool,
) -> Result<u64, db::Error> {
    let verb = if ignore { "INSERT OR IGNORE" } else { "INSERT" };
    let text = search::event_text(&event.content_payload);
    let bag = search::bag_json(&search::bag(&event.event_type, text));
    Ok(db::query(&format!(
        "{verb} INTO memgraph_events ({EVENT_COLUMNS}, search_bag)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7,
                 (SELECT id FROM memgraph_episodes WHERE id = ?8 AND tenant_id = ?2), ?9, ?10)"
    ))
    .bind(&event.id)
    .bind(&event.tenant_id)
    .bind(&event.user_id)
    .bind(&event.agent_id)
    .bind(&event.thread_id)
    .bind(&event.event_type)
    .bind(event.content_payload.to_string())
    .bind(&event.episode_id)
    .bind(&event.timestamp)
    .bind(bag)
    .execute(conn)
    .await?
    .rows_affected())
}

async fn fetch_belief(
    conn: &mut db::Connection,
    tenant_id: &str,
    id: &str,
) -> Result<Option<Belief>, db::Error> {
    db::query_as(&format!(
        "SELECT {BELIEF_COLUMNS} FROM memgraph_beliefs WHERE tenant_id = ? AND id = ?"
    ))
    .bind(tenant_id)
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// What one item of a batch answers: a belief the batch made (its place among them), or the
/// active version it left unchanged (its id).
enum Answer {
    Made(usize),
    Kept(String),
}

/// Each `(subject_id, key)` a batch names, and where it stands.
type KeyStates = HashMap<(String, String), KeyState>;

/// The number of the tenant `tenant_id` (migration 0064).
fn tenant_number(conn: &db::Connection, tenant_id: &str) -> Result<i64, Internal> {
    let number: Option<i64> = conn
        .prepare_cached(TENANT_NUMBER)?
        .query_row([tenant_id], |row| row.get(0))?;
    number.ok_or_else(|| Internal::msg("the tenant has no number"))
}

/// Where each key a batch names stands before it is written, and the table's highest rowid.
fn key_states(
    conn: &db::Connection,
    tenant_number: i64,
    beliefs: &[NewBelief],
) -> Result<(KeyStates, i64), db::Error> {
    let mut states = KeyStates::with_capacity(beliefs.len());
    let mut statement = conn.prepare_cached(KEY)?;
    for new in beliefs {
        let named = (new.subject_id.clone(), new.key.clone());
        if states.contains_key(&named) {
            continue;
        }
        let state = statement.query_row((tenant_number, &new.subject_id, &new.key), |row| {
            let id: Option<String> = row.get(0)?;
            let value: Option<String> = row.get(1)?;
            let version: Option<i64> = row.get(2)?;
            Ok(KeyState {
                active: id.zip(value).map(|(id, value)| Active {
                    id,
                    value,
                    made: None,
                }),
                version: version.unwrap_or(0),
            })
        })?;
        states.insert(named, state);
    }
    let last_rowid = conn
        .prepare_cached(LAST_ROWID)?
        .query_row([], |row| row.get(0))?;
    Ok((states, last_rowid))
}

/// Where a key stands while a batch is written: its active version, and its highest version.
#[derive(Default)]
struct KeyState {
    active: Option<Active>,
    version: i64,
}

struct Active {
    id: String,
    value: String,
    /// Made by this batch: its place among the rows to write.
    made: Option<usize>,
}

/// From this many beliefs, a batch is written in a transaction with a larger page cache
/// ([`db::Db::begin_large`]): 100,000 beliefs in batches of 100 load in 3.6 s rather than 3.9.
const LARGE_BATCH: usize = 16;

/// How many rows one `INSERT` writes at most (SQLite takes at most 32,766 values per statement);
/// a power of two, see [`pieces`].
const ROWS_PER_INSERT: usize = 128;

/// What a batch adds to the figures of one user (and, summed, of the tenant): the rows that
/// name it, and the memories searches rank among, with their total length.
#[derive(Default)]
struct Added {
    refs: i64,
    active: i64,
    docs: i64,
    length: f64,
}

/// The statements writing a batch, and their values in order.
#[derive(Default)]
struct Statements<'a> {
    /// Each statement's text, and where its values end in `values`.
    texts: Vec<(Arc<str>, usize)>,
    values: Vec<Param<'a>>,
    /// The texts made so far, by head and rows: a batch of many rows repeats a few texts.
    made: HashMap<(String, usize), Arc<str>>,
}

enum Param<'a> {
    Text(&'a str),
    Maybe(Option<&'a str>),
    Int(i64),
    Real(f64),
}

impl<'a> Statements<'a> {
    /// `head`, then `rows` rows of the `row` pattern (one `?` per value), then `tail`; its values
    /// are the ones pushed before the next statement.
    fn insert(&mut self, head: &str, row: &str, rows: usize, tail: &str) {
        self.close();
        let sql = self
            .made
            .entry((head.to_owned(), rows))
            .or_insert_with(|| format!("{head} VALUES {}{tail}", vec![row; rows].join(", ")).into())
            .clone();
        self.texts.push((sql, usize::MAX));
    }

    fn plain(&mut self, sql: &str) {
        self.close();
        self.texts.push((sql.into(), usize::MAX));
    }

    /// Marks where the last statement's values end.
    fn close(&mut self) {
        if let Some(last) = self.texts.last_mut() {
            last.1 = self.values.len();
        }
    }

    /// Runs them in turn. Their texts come in a few sizes (see [`pieces`]), so each is parsed
    /// once per connection and kept prepared, rather than parsed again for every batch. The
    /// values are bound straight from the batch (a `db::query` would box each of its thousands
    /// of values first).
    fn execute(mut self, conn: &db::Connection) -> Result<(), db::Error> {
        self.close();
        let mut start = 0;
        for (sql, end) in &self.texts {
            let mut statement = conn.prepare_cached(sql)?;
            for (i, value) in self.values[start..*end].iter().enumerate() {
                let at = i + 1;
                match *value {
                    Param::Text(v) => statement.raw_bind_parameter(at, v)?,
                    Param::Maybe(v) => statement.raw_bind_parameter(at, v)?,
                    Param::Int(v) => statement.raw_bind_parameter(at, v)?,
                    Param::Real(v) => statement.raw_bind_parameter(at, v)?,
                }
            }
            statement.raw_execute()?;
            start = *end;
        }
        Ok(())
    }
}

/// `items` in pieces of at most [`ROWS_PER_INSERT`] rows, the rest in pieces of a power of two
/// rows: whatever a batch's size, its statements are of at most 8 sizes per table.
fn pieces<T>(mut items: &[T]) -> Vec<&[T]> {
    let mut pieces = Vec::new();
    while !items.is_empty() {
        let size = if items.len() >= ROWS_PER_INSERT {
            ROWS_PER_INSERT
        } else {
            1 << items.len().ilog2()
        };
        let (piece, rest) = items.split_at(size);
        pieces.push(piece);
        items = rest;
    }
    pieces
}

/// Writes belief rows as given, numbered after `last_rowid`, each with its search bag, and what
/// the insert triggers would derive from them (migration 0062): the postings of their words,
/// the stats counts, and the sizes of the collections a search ranks among, each for the whole
/// batch in a few multi-row statements (see [`pieces`]). The triggers stand aside while the
/// batch's row of `memgraph_belief_batches` is there; it never outlives the transaction.
fn insert_beliefs(
    conn: &db::Connection,
    (tenant_id, tenant_number): (&str, i64),
    beliefs: &[Belief],
    last_rowid: i64,
) -> Result<(), Internal> {
    use Param::{Int, Maybe, Real, Text};
    let bags: Vec<Bag> = beliefs
        .iter()
        .map(|b| search::bag(&b.key, &b.value))
        .collect();
    let bag_texts: Vec<String> = bags.iter().map(search::bag_json).collect();
    let rowids: Vec<i64> = (1..=beliefs.len())
        .map(|i| {
            i64::try_from(i)
                .ok()
                .and_then(|i| last_rowid.checked_add(i))
        })
        .collect::<Option<_>>()
        .ok_or_else(|| Internal::msg("no rowid left for a belief"))?;

    let mut w = Statements::default();
    w.plain("INSERT INTO memgraph_belief_batches (id) VALUES (1)");
    let rows: Vec<(usize, &Belief)> = beliefs.iter().enumerate().collect();
    for chunk in pieces(&rows) {
        w.insert(
            &format!(
                "INSERT INTO memgraph_beliefs (rowid, {BELIEF_COLUMNS}, search_bag, tenant_number)"
            ),
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            chunk.len(),
            "",
        );
        for &(i, b) in chunk {
            w.values.extend([
                Int(rowids[i]),
                Text(&b.id),
                Text(tenant_id),
                Text(&b.subject_id),
                Text(&b.key),
                Text(&b.value),
                Real(b.confidence),
                Text(&b.belief_type),
                Text(&b.domain),
                Text(&b.epistemic_status),
                Int(i64::from(b.is_active)),
                Int(b.version),
                Text(&b.source),
                Maybe(b.supersedes_id.as_deref()),
                Text(&b.created_at),
                Text(&b.updated_at),
                Text(&bag_texts[i]),
                Int(tenant_number),
            ]);
        }
    }

    // The same figures as the triggers' (migrations 0007 and 0042): a belief counts in the
    // search collections while active or superseded.
    let mut postings: Vec<(&str, &str, i64)> = Vec::new();
    let mut users: std::collections::BTreeMap<&str, Added> = std::collections::BTreeMap::new();
    for ((b, bag), &rowid) in beliefs.iter().zip(&bags).zip(&rowids) {
        postings.extend(
            bag.keys()
                .map(|term| (term.as_str(), b.subject_id.as_str(), rowid)),
        );
        let user = users.entry(b.subject_id.as_str()).or_default();
        user.refs += 1;
        user.active += i64::from(b.is_active);
        if matches!(b.epistemic_status.as_str(), "active" | "superseded") {
            user.docs += 1;
            user.length += bag.values().sum::<f64>();
        }
    }
    // In the order of the table's key: each insert lands next to the one before.
    postings.sort_unstable();
    for chunk in pieces(&postings) {
        w.insert(
            "INSERT INTO memgraph_search_terms (tenant_number, term, user_id, kind, doc)",
            "(?, ?, ?, 'belief', ?)",
            chunk.len(),
            "",
        );
        for &(term, user, rowid) in chunk {
            w.values
                .extend([Int(tenant_number), Text(term), Text(user), Int(rowid)]);
        }
    }
    let users: Vec<(&str, Added)> = users.into_iter().collect();
    let mut tenant = Added::default();
    for (_, added) in &users {
        tenant.refs += added.refs;
        tenant.active += added.active;
        tenant.docs += added.docs;
        tenant.length += added.length;
    }
    for chunk in pieces(&users) {
        w.insert(
            "INSERT INTO memgraph_tenant_users (tenant_number, user_id, refs)",
            "(?, ?, ?)",
            chunk.len(),
            " ON CONFLICT (tenant_number, user_id) DO UPDATE SET refs = refs + excluded.refs",
        );
        for (user, added) in chunk {
            w.values
                .extend([Int(tenant_number), Text(user), Int(added.refs)]);
        }
    }
    let searched: Vec<&(&str, Added)> = users.iter().filter(|(_, a)| a.docs > 0).collect();
    for chunk in pieces(&searched) {
        w.insert(
            "INSERT INTO memgraph_search_users (tenant_number, user_id, docs, length)",
            "(?, ?, ?, ?)",
            chunk.len(),
            " ON CONFLICT (tenant_number, user_id) DO UPDATE
                 SET docs = docs + excluded.docs, length = length + excluded.length",
        );
        for (user, added) in chunk {
            w.values.extend([
                Int(tenant_number),
                Text(user),
                Int(added.docs),
                Real(added.length),
            ]);
        }
    }
    w.insert(
        "INSERT INTO memgraph_tenant_counts (tenant_id, beliefs, active_beliefs)",
        "(?, ?, ?)",
        1,
        " ON CONFLICT (tenant_id) DO UPDATE SET beliefs = beliefs + excluded.beliefs,
              active_beliefs = active_beliefs + excluded.active_beliefs",
    );
    w.values
        .extend([Text(tenant_id), Int(tenant.refs), Int(tenant.active)]);
    if tenant.docs > 0 {
        w.insert(
            "INSERT INTO memgraph_search_tenants (tenant_id, docs, length)",
            "(?, ?, ?)",
            1,
            " ON CONFLICT (tenant_id) DO UPDATE
                 SET docs = docs + excluded.docs, length = length + excluded.length",
        );
        w.values
            .extend([Text(tenant_id), Int(tenant.docs), Real(tenant.length)]);
    }
    w.plain("DELETE FROM memgraph_belief_batches");
    w.execute(conn)?;
    Ok(())
}

/// Every way a list, a page or a search can be asked for, and whether it was given a filter
/// beyond the tenant (for the plan test in `store.rs`).
#[cfg(test)]
pub(super) fn statements() -> Vec<(String, bool)> {
    let some = |given: bool| given.then(|| "x".to_owned());
    // Not listed: `history_query`, which sorts the versions of the one belief it answers (the
    // index finds them; the plan's sort of what it returns reads like a sort of every match).
    let mut all = vec![
        (UNINDEXED.to_owned(), false),
        (KEY.to_owned(), true),
        (LAST_ROWID.to_owned(), false),
        (TENANT_NUMBER.to_owned(), false),
        (RETIRE.to_owned(), true),
        (beliefs_by_rowid(), true),
        (events_by_rowid(), true),
        (beliefs_by_id(), true),
        (RETRACT_SUBJECT.to_owned(), true),
        (DELETE_SUBJECT.to_owned(), true),
        (TENANT_COUNTS.to_owned(), false),
        (USER_COUNTS.to_owned(), true),
        // An export is the tenant's whole memory: read by the tenant, in order.
        (export_events(), false),
        (export_episodes(), false),
        (export_beliefs(), false),
    ];
    for bits in 0..16u8 {
        let given = |bit: u8| bits & (1 << bit) != 0;
        let events = EventFilter {
            user_id: some(given(0)),
            thread_id: some(given(1)),
            event_type: some(given(2)),
            episode_id: some(given(3)),
            ..EventFilter::default()
        };
        all.push((events_query("t", &events).0, bits != 0));
        let episodes = EpisodeFilter {
            user_id: some(given(0)),
            thread_id: some(given(1)),
            consolidation_status: some(given(2)),
            ..EpisodeFilter::default()
        };
        all.push((episodes_query("t", &episodes).0, bits & 7 != 0));
        for inactive in [false, true] {
            let beliefs = BeliefFilter {
                subject_id: some(given(0)),
                domain: some(given(1)),
                belief_type: some(given(2)),
                include_inactive: inactive,
                after: given(3).then(|| ("t".to_owned(), "i".to_owned())),
                ..BeliefFilter::default()
            };
            let q = beliefs_query("t", &beliefs);
            all.extend([(q.page, bits & 7 != 0), (q.count, bits & 7 != 0)]);
        }
        all.push((timeline_query(given(0), given(1)), true));
        all.push((search_query(given(0)), true));
    }
    all.sort();
    all.dedup();
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_made_together_carry_the_time_and_sort_in_the_order_made() {
        let now = time::macros::datetime!(2026-03-01 12:00:00.123 UTC);
        let mut ids = BeliefIds::at(now);
        let made: Vec<String> = (0..1000).map(|_| ids.next()).collect();
        for id in &made {
            let uuid = Uuid::parse_str(id).unwrap();
            assert_eq!(uuid.get_version_num(), 7);
            assert_eq!(uuid.get_variant(), uuid::Variant::RFC4122);
            let (seconds, nanos) = uuid.get_timestamp().unwrap().to_unix();
            assert_eq!((seconds, nanos), (1_772_366_400, 123_000_000));
        }
        assert!(made.windows(2).all(|w| w[0] < w[1]), "in the order made");
        assert_ne!(
            BeliefIds::at(now).next(),
            made[0],
            "random from one batch to the next"
        );
    }

    #[test]
    fn a_batch_goes_in_pieces_of_few_sizes_in_order() {
        for n in [0, 1, 2, 3, 100, 127, 128, 129, 300, 1000] {
            let items: Vec<usize> = (0..n).collect();
            let pieces = pieces(&items);
            assert_eq!(pieces.concat(), items, "{n}: every item once, in order");
            for piece in &pieces {
                assert!(piece.len().is_power_of_two() && piece.len() <= ROWS_PER_INSERT);
            }
        }
        let sizes: Vec<usize> = pieces(&[(); 100]).iter().map(|p| p.len()).collect();
        assert_eq!(sizes, [64, 32, 4]);
    }
}
