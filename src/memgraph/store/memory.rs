//! The memory records' SQL: events, the episodes derived from them, versioned beliefs, the
//! candidates `/v2/context` ranks (see `search.rs`), and export/import of all three. Every
//! function takes the tenant first.

use std::time::Duration;

use serde_json::Value;
use sqlx::{Sqlite, SqliteConnection, Transaction};
use uuid::Uuid;

use super::Store;
use crate::clock::iso;
use crate::error::Internal;
use crate::memgraph::model::{Belief, DreamingHealth, Episode, Event};

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

#[derive(Debug, Default, serde::Serialize)]
pub struct ImportCounts {
    pub events: u64,
    pub episodes: u64,
    pub beliefs: u64,
    #[serde(flatten)]
    pub v2: super::v2_records::V2Counts,
}

fn new_id() -> String {
    Uuid::new_v4().to_string()
}

/// How a tenant's episodes live: its settings `episode_gap_minutes` and `dreaming_enabled`
/// (spec §6.8), falling back to the flags when a setting is absent or not usable.
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
        let row: Option<(Option<f64>, Option<i64>)> = sqlx::query_as(
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

    fn ago(&self, d: Duration) -> String {
        let d = time::Duration::try_from(d).unwrap_or(time::Duration::MAX);
        let now = self.session.clock().now();
        iso(now.checked_sub(d).unwrap_or(now))
    }

    // ---- events and episodes -------------------------------------------------------------

    /// Appends an event, into the open episode of its user and thread (one whose last event is
    /// at most the episode gap old) or a new one (spec §6.4, emulator choice).
    pub async fn record_event(&self, tenant_id: &str, new: &NewEvent) -> Result<Event, Internal> {
        let timing = self.advance_episodes(tenant_id).await?;
        let now = self.now();
        let open_since = self.ago(timing.gap);
        let mut tx = self.session.db().begin().await?;
        let open: Option<String> = sqlx::query_scalar(
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
                sqlx::query("UPDATE memgraph_episodes SET end_time = ? WHERE id = ?")
                    .bind(&now)
                    .bind(&id)
                    .execute(&mut *tx)
                    .await?;
                id
            }
            None => {
                let id = new_id();
                sqlx::query(
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
        Ok(sqlx::query_as(&format!(
            "SELECT {EVENT_COLUMNS} FROM memgraph_events
              WHERE tenant_id = ? AND (?2 IS NULL OR user_id = ?2) AND (?3 IS NULL OR thread_id = ?3)
                AND (?4 IS NULL OR event_type = ?4) AND (?5 IS NULL OR episode_id = ?5)
              ORDER BY timestamp DESC, rowid DESC LIMIT ?6 OFFSET ?7"
        ))
        .bind(tenant_id)
        .bind(&f.user_id)
        .bind(&f.thread_id)
        .bind(&f.event_type)
        .bind(&f.episode_id)
        .bind(f.limit)
        .bind(f.offset)
        .fetch_all(self.session.db())
        .await?)
    }

    pub async fn event(&self, tenant_id: &str, id: &str) -> Result<Option<Event>, Internal> {
        Ok(sqlx::query_as(&format!(
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
        let episode: Option<Option<String>> = sqlx::query_scalar(
            "DELETE FROM memgraph_events WHERE tenant_id = ? AND id = ? RETURNING episode_id",
        )
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(episode) = episode else {
            return Ok(false);
        };
        sqlx::query(
            "DELETE FROM memgraph_episodes WHERE id = ?
               AND NOT EXISTS (SELECT 1 FROM memgraph_events WHERE episode_id = ?1)",
        )
        .bind(episode)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Moves episodes along `pending → processing → consolidated` as the clock says (spec §6.4):
    /// an episode is pending while events may still join it (the tenant's episode gap), then
    /// processing for `--memgraph-consolidation-time`. Only ever forward, so an earlier clock
    /// (after a reset) changes nothing; with dreaming disabled in the tenant's settings, closed
    /// episodes wait as pending. A consolidated episode gets a summary: its first message's
    /// text, shortened (emulator choice; the real service has an LLM write it).
    /// Episodes of this tenant that ended before this are due to move on (`None` when the
    /// tenant does not dream): `stats` advances them only when there are some.
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
        sqlx::query(
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
        Ok(sqlx::query_as(&format!(
            "SELECT {EPISODE_COLUMNS} FROM memgraph_episodes
              WHERE tenant_id = ? AND (?2 IS NULL OR user_id = ?2) AND (?3 IS NULL OR thread_id = ?3)
                AND (?4 IS NULL OR consolidation_status = ?4)
              ORDER BY start_time DESC, rowid DESC LIMIT ?5 OFFSET ?6"
        ))
        .bind(tenant_id)
        .bind(&f.user_id)
        .bind(&f.thread_id)
        .bind(&f.consolidation_status)
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
        let episode: Option<Episode> = sqlx::query_as(&format!(
            "SELECT {EPISODE_COLUMNS} FROM memgraph_episodes WHERE tenant_id = ? AND id = ?"
        ))
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(self.session.db())
        .await?;
        let Some(episode) = episode else {
            return Ok(None);
        };
        let events = sqlx::query_as(&format!(
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
            sqlx::query_as(
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

    /// Creates beliefs in one transaction, each under the supersede rule.
    pub async fn create_beliefs(
        &self,
        tenant_id: &str,
        beliefs: &[NewBelief],
    ) -> Result<Vec<Belief>, Internal> {
        let now = self.now();
        let mut tx = self.session.db().begin().await?;
        let mut created = Vec::with_capacity(beliefs.len());
        for new in beliefs {
            created.push(upsert_belief(&mut tx, tenant_id, new, &now).await?);
        }
        tx.commit().await?;
        Ok(created)
    }

    /// One page, newest first, and how many match in all.
    pub async fn beliefs(
        &self,
        tenant_id: &str,
        f: &BeliefFilter,
    ) -> Result<(Vec<Belief>, i64), Internal> {
        const FILTER: &str = "tenant_id = ?1 AND (?2 IS NULL OR subject_id = ?2)
            AND (?3 IS NULL OR domain = ?3) AND (?4 IS NULL OR belief_type = ?4) AND (?5 OR is_active)";
        let (after_time, after_id) = f.after.clone().unzip();
        let items = sqlx::query_as(&format!(
            "SELECT {BELIEF_COLUMNS} FROM memgraph_beliefs WHERE {FILTER}
                AND (?6 IS NULL OR (created_at, id) < (?6, ?7))
              ORDER BY created_at DESC, id DESC LIMIT ?8"
        ))
        .bind(tenant_id)
        .bind(&f.subject_id)
        .bind(&f.domain)
        .bind(&f.belief_type)
        .bind(f.include_inactive)
        .bind(after_time)
        .bind(after_id)
        .bind(f.limit)
        .fetch_all(self.session.db())
        .await?;
        let count = sqlx::query_scalar(&format!(
            "SELECT count(*) FROM memgraph_beliefs WHERE {FILTER}"
        ))
        .bind(tenant_id)
        .bind(&f.subject_id)
        .bind(&f.domain)
        .bind(&f.belief_type)
        .bind(f.include_inactive)
        .fetch_one(self.session.db())
        .await?;
        Ok((items, count))
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
        let changed = sqlx::query(
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
        let deleted = sqlx::query("DELETE FROM memgraph_beliefs WHERE tenant_id = ? AND id = ?")
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
            sqlx::query(
                "UPDATE memgraph_beliefs SET is_active = 0, epistemic_status = 'retracted', updated_at = ?
                  WHERE tenant_id = ?2 AND subject_id = ?3 AND (?4 IS NULL OR domain = ?4) AND is_active",
            )
            .bind(self.now())
        } else {
            sqlx::query(
                "DELETE FROM memgraph_beliefs
                  WHERE tenant_id = ?1 AND subject_id = ?2 AND (?3 IS NULL OR domain = ?3)",
            )
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
        Ok(sqlx::query_as(&format!(
            "SELECT {BELIEF_COLUMNS} FROM memgraph_beliefs
              WHERE tenant_id = ? AND subject_id = ? AND key = ? AND (?4 OR is_active)
                AND (?5 IS NULL OR created_at <= ?5)
              ORDER BY created_at, version, rowid"
        ))
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
        Ok(sqlx::query_as(&format!(
            "SELECT {BELIEF_COLUMNS} FROM memgraph_beliefs
              WHERE tenant_id = ? AND subject_id = ? AND (?3 IS NULL OR domain = ?3)
                AND (?4 IS NULL OR (CASE WHEN is_active THEN created_at ELSE updated_at END) >= ?4)
              ORDER BY CASE WHEN is_active THEN created_at ELSE updated_at END DESC, version DESC, rowid DESC
              LIMIT ?5"
        ))
        .bind(tenant_id)
        .bind(subject_id)
        .bind(domain)
        .bind(since)
        .bind(limit)
        .fetch_all(self.session.db())
        .await?)
    }

    /// Counts for `/v1/intelligence/health`: (beliefs, active beliefs, episodes, events).
    pub async fn memory_counts(
        &self,
        tenant_id: &str,
        user_id: Option<&str>,
    ) -> Result<(i64, i64, i64, i64), Internal> {
        Ok(sqlx::query_as(
            "SELECT (SELECT count(*) FROM memgraph_beliefs WHERE tenant_id = ?1 AND (?2 IS NULL OR subject_id = ?2)),
                    (SELECT count(*) FROM memgraph_beliefs WHERE tenant_id = ?1 AND (?2 IS NULL OR subject_id = ?2) AND is_active),
                    (SELECT count(*) FROM memgraph_episodes WHERE tenant_id = ?1 AND (?2 IS NULL OR user_id = ?2)),
                    (SELECT count(*) FROM memgraph_events WHERE tenant_id = ?1 AND (?2 IS NULL OR user_id = ?2))",
        )
        .bind(tenant_id)
        .bind(user_id)
        .fetch_one(self.session.db())
        .await?)
    }

    // ---- search --------------------------------------------------------------------------

    /// What a context query ranks: one tenant's (and one user's, if given) beliefs that are
    /// active or superseded (the real service still shows the latter, marked), newest first,
    /// and event texts.
    pub async fn search_candidates(
        &self,
        tenant_id: &str,
        user_id: Option<&str>,
    ) -> Result<(Vec<Belief>, Vec<Event>), Internal> {
        let beliefs = sqlx::query_as(&format!(
            "SELECT {BELIEF_COLUMNS} FROM memgraph_beliefs
              WHERE tenant_id = ?1 AND (?2 IS NULL OR subject_id = ?2)
                AND epistemic_status IN ('active', 'superseded')
              ORDER BY created_at DESC, rowid DESC"
        ))
        .bind(tenant_id)
        .bind(user_id)
        .fetch_all(self.session.db())
        .await?;
        let events = sqlx::query_as(&format!(
            "SELECT {EVENT_COLUMNS} FROM memgraph_events
              WHERE tenant_id = ?1 AND (?2 IS NULL OR user_id = ?2)
              ORDER BY timestamp DESC, rowid DESC"
        ))
        .bind(tenant_id)
        .bind(user_id)
        .fetch_all(self.session.db())
        .await?;
        Ok((beliefs, events))
    }

    // ---- export and import ---------------------------------------------------------------

    /// All of a tenant's memory, oldest first, in the order import writes it back.
    pub async fn memory_export(
        &self,
        tenant_id: &str,
    ) -> Result<(Vec<Event>, Vec<Episode>, Vec<Belief>), Internal> {
        self.advance_episodes(tenant_id).await?;
        let db = self.session.db();
        let events = sqlx::query_as(&format!(
            "SELECT {EVENT_COLUMNS} FROM memgraph_events WHERE tenant_id = ? ORDER BY timestamp, rowid"
        ))
        .bind(tenant_id)
        .fetch_all(db)
        .await?;
        let episodes = sqlx::query_as(&format!(
            "SELECT {EPISODE_COLUMNS} FROM memgraph_episodes WHERE tenant_id = ? ORDER BY start_time, rowid"
        ))
        .bind(tenant_id)
        .fetch_all(db)
        .await?;
        let beliefs = sqlx::query_as(&format!(
            "SELECT {BELIEF_COLUMNS} FROM memgraph_beliefs WHERE tenant_id = ? ORDER BY created_at, rowid"
        ))
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
            let written = sqlx::query(
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
            let written = sqlx::query(&format!(
                "INSERT OR IGNORE INTO memgraph_beliefs ({BELIEF_COLUMNS})
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
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
            &mut imported.v2,
            &mut skipped.v2,
        )
        .await?;
        tx.commit().await?;
        Ok((imported, skipped))
    }
}

fn count(written: u64, imported: &mut u64, skipped: &mut u64) {
    if written > 0 {
        *imported += 1;
    } else {
        *skipped += 1;
    }
}

/// Deletes a record of this tenant by id, before `replace` writes it again. The table name is
/// one of ours, never a client's.
async fn delete_own(
    conn: &mut SqliteConnection,
    table: &str,
    tenant_id: &str,
    id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
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
    conn: &mut SqliteConnection,
    event: &Event,
    ignore: bool,
) -> Result<u64, sqlx::Error> {
    let verb = if ignore { "INSERT OR IGNORE" } else { "INSERT" };
    Ok(sqlx::query(&format!(
        "{verb} INTO memgraph_events ({EVENT_COLUMNS})
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7,
                 (SELECT id FROM memgraph_episodes WHERE id = ?8 AND tenant_id = ?2), ?9)"
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
    .execute(conn)
    .await?
    .rows_affected())
}

async fn fetch_belief(
    conn: &mut SqliteConnection,
    tenant_id: &str,
    id: &str,
) -> Result<Option<Belief>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {BELIEF_COLUMNS} FROM memgraph_beliefs WHERE tenant_id = ? AND id = ?"
    ))
    .bind(tenant_id)
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// The supersede rule (spec §6.5): the same value as the active version returns that version;
/// a new value retires it (`superseded`) and becomes the next version. Versions continue from
/// the key's history, so a key retracted and set again does not restart at 1.
async fn upsert_belief(
    tx: &mut Transaction<'_, Sqlite>,
    tenant_id: &str,
    new: &NewBelief,
    now: &str,
) -> Result<Belief, sqlx::Error> {
    let active: Option<(String, String)> = sqlx::query_as(
        "SELECT id, value FROM memgraph_beliefs
          WHERE tenant_id = ? AND subject_id = ? AND key = ? AND is_active",
    )
    .bind(tenant_id)
    .bind(&new.subject_id)
    .bind(&new.key)
    .fetch_optional(&mut **tx)
    .await?;
    if let Some((id, value)) = &active
        && *value == new.value
        && let Some(existing) = fetch_belief(tx, tenant_id, id).await?
    {
        return Ok(existing);
    }
    if let Some((id, _)) = &active {
        sqlx::query(
            "UPDATE memgraph_beliefs SET is_active = 0, epistemic_status = 'superseded', updated_at = ?
              WHERE id = ?",
        )
        .bind(now)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    }
    let version: i64 = sqlx::query_scalar(
        "SELECT coalesce(max(version), 0) + 1 FROM memgraph_beliefs
          WHERE tenant_id = ? AND subject_id = ? AND key = ?",
    )
    .bind(tenant_id)
    .bind(&new.subject_id)
    .bind(&new.key)
    .fetch_one(&mut **tx)
    .await?;
    let belief = Belief {
        id: new_id(),
        tenant_id: tenant_id.to_owned(),
        subject_id: new.subject_id.clone(),
        key: new.key.clone(),
        value: new.value.clone(),
        confidence: new.confidence,
        belief_type: new.belief_type.clone(),
        domain: new.domain.clone(),
        epistemic_status: "active".to_owned(),
        is_active: true,
        version,
        source: "api".to_owned(),
        supersedes_id: active.as_ref().map(|(id, _)| id.clone()),
        created_at: now.to_owned(),
        updated_at: now.to_owned(),
    };
    sqlx::query(&format!(
        "INSERT INTO memgraph_beliefs ({BELIEF_COLUMNS})
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'active', 1, ?, 'api', ?, ?, ?)"
    ))
    .bind(&belief.id)
    .bind(tenant_id)
    .bind(&belief.subject_id)
    .bind(&belief.key)
    .bind(&belief.value)
    .bind(belief.confidence)
    .bind(&belief.belief_type)
    .bind(&belief.domain)
    .bind(belief.version)
    .bind(&belief.supersedes_id)
    .bind(now)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    if let Some((older_id, older_value)) = &active {
        super::contradictions::record_on_supersede(
            tx,
            tenant_id,
            (older_id, older_value),
            &belief,
            now,
        )
        .await?;
    }
    Ok(belief)
}
