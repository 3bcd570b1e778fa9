//! What the intelligence, benchmark, analytics and sidecar routes read: aggregates over a
//! tenant's memory, saved MCIS scores, and the beliefs a profile is made of. Every function
//! takes the tenant first. Aggregates read the tenant's index range (never another tenant's
//! rows); lists stop at their limit.

use uuid::Uuid;

use super::Store;
use super::memory::BELIEF_COLUMNS;
use crate::db;
use crate::error::Internal;
use crate::memgraph::model::Belief;
use crate::memgraph::model::intelligence::{Mcis, McisInputs, McisSnapshot};

const SNAPSHOT_COLUMNS: &str =
    "id, tenant_id, user_id, mcis, grade, sub_scores, inputs, created_at";

/// The domain the sidecar files reminders under (see `extract.rs`): `prospective_items`.
pub const PROSPECTIVE_DOMAIN: &str = "prospective";

// The statements of the request paths, named so the plan test (`store.rs`) reads what runs.
// Each is written for the filters it is given (a `?2 IS NULL OR` would keep the planner from the
// user's index); a whole-tenant aggregate reads the tenant's index range.

/// (active beliefs, their mean confidence) of tenant `?1`, or of its subject `?2`.
fn active_confidence(by_user: bool) -> &'static str {
    if by_user {
        "SELECT count(*), avg(confidence) FROM memgraph_beliefs
          WHERE tenant_number = (SELECT number FROM memgraph_tenants WHERE id = ?1)
            AND subject_id = ?2 AND is_active = 1"
    } else {
        "SELECT count(*), avg(confidence) FROM memgraph_beliefs
          WHERE tenant_number = (SELECT number FROM memgraph_tenants WHERE id = ?1) AND is_active = 1"
    }
}

/// (open, settled) contradictions of tenant `?1`, or of its subject `?2`.
fn contradiction_counts(by_user: bool) -> &'static str {
    if by_user {
        "SELECT count(*) FILTER (WHERE status = 'open'), count(*) FILTER (WHERE status <> 'open')
           FROM memgraph_contradictions WHERE tenant_id = ?1 AND subject_id = ?2"
    } else {
        "SELECT count(*) FILTER (WHERE status = 'open'), count(*) FILTER (WHERE status <> 'open')
           FROM memgraph_contradictions WHERE tenant_id = ?1"
    }
}

/// Active beliefs caught in an open contradiction of tenant `?1`, or of its subject `?2`.
fn disputed_beliefs(by_user: bool) -> &'static str {
    if by_user {
        "SELECT count(DISTINCT b.id) FROM memgraph_contradictions c
           JOIN memgraph_beliefs b ON b.id IN (c.belief_a_id, c.belief_b_id)
          WHERE c.tenant_id = ?1 AND c.subject_id = ?2 AND c.status = 'open' AND b.is_active = 1"
    } else {
        "SELECT count(DISTINCT b.id) FROM memgraph_contradictions c
           JOIN memgraph_beliefs b ON b.id IN (c.belief_a_id, c.belief_b_id)
          WHERE c.tenant_id = ?1 AND c.status = 'open' AND b.is_active = 1"
    }
}

/// (succeeded, partial, failed) decisions of tenant `?1`, or of its user `?2`.
fn decision_counts(by_user: bool) -> &'static str {
    if by_user {
        "SELECT count(*) FILTER (WHERE outcome = 'SUCCESS'),
                count(*) FILTER (WHERE outcome = 'PARTIAL'),
                count(*) FILTER (WHERE outcome IN ('FAILURE', 'REVERTED'))
           FROM memgraph_decisions WHERE tenant_id = ?1 AND user_id = ?2"
    } else {
        "SELECT count(*) FILTER (WHERE outcome = 'SUCCESS'),
                count(*) FILTER (WHERE outcome = 'PARTIAL'),
                count(*) FILTER (WHERE outcome IN ('FAILURE', 'REVERTED'))
           FROM memgraph_decisions WHERE tenant_id = ?1"
    }
}

fn mcis_page() -> String {
    format!(
        "SELECT {SNAPSHOT_COLUMNS} FROM memgraph_mcis_snapshots
          WHERE tenant_id = ? AND user_id IS ?
          ORDER BY created_at DESC, id DESC LIMIT ?"
    )
}

const OUTCOME_COUNTS: &str = "SELECT outcome, count(*) FROM memgraph_decisions WHERE tenant_id = ?
    GROUP BY outcome ORDER BY outcome";
const DECISION_CONFIDENCE: &str =
    "SELECT avg(confidence) FROM memgraph_decisions WHERE tenant_id = ?";
const STATUS_COUNTS: &str =
    "SELECT status, count(*) FROM memgraph_contradictions WHERE tenant_id = ? GROUP BY status";

/// A subject's (`?2`) active beliefs of three types, newest first, at most `?3` of each.
fn profile() -> String {
    let per_type = |belief_type: &str| {
        format!(
            "SELECT * FROM (SELECT {BELIEF_COLUMNS} FROM memgraph_beliefs
              WHERE tenant_number = (SELECT number FROM memgraph_tenants WHERE id = ?1)
                AND subject_id = ?2 AND belief_type = '{belief_type}' AND is_active = 1
              ORDER BY created_at DESC, rowid DESC LIMIT ?3)"
        )
    };
    format!(
        "{} UNION ALL {} UNION ALL {}",
        per_type("tenet"),
        per_type("preference"),
        per_type("fact")
    )
}

/// (The domain is written into the statement, so that the planner takes the reminders' own
/// partial index.)
fn reminders() -> String {
    format!(
        "SELECT {BELIEF_COLUMNS} FROM memgraph_beliefs
          WHERE tenant_number = (SELECT number FROM memgraph_tenants WHERE id = ?)
            AND subject_id = ? AND is_active = 1 AND domain = '{PROSPECTIVE_DOMAIN}'
          ORDER BY created_at DESC, rowid DESC LIMIT ?"
    )
}

/// The newest beliefs of tenant `?1` (and subject `?2`), active or superseded (each status
/// written into the statement, so that the planner takes its partial index), of type `?3` when
/// given; at most `?4`.
fn newest(by_subject: bool, superseded: bool, typed: bool) -> String {
    let subject = if by_subject {
        "AND subject_id = ?2"
    } else {
        ""
    };
    let status = if superseded {
        "epistemic_status = 'superseded'"
    } else {
        "is_active = 1"
    };
    let typed = if typed { "AND belief_type = ?3" } else { "" };
    format!(
        "SELECT {BELIEF_COLUMNS} FROM memgraph_beliefs
          WHERE tenant_number = (SELECT number FROM memgraph_tenants WHERE id = ?1)
            {subject} AND {status} {typed}
          ORDER BY created_at DESC, rowid DESC LIMIT ?4"
    )
}

/// The newest events of tenant `?1` (and user `?2`) with a text.
fn newest_events(by_user: bool) -> &'static str {
    if by_user {
        "SELECT id, json_extract(content_payload, '$.text') FROM memgraph_events
          WHERE tenant_id = ?1 AND user_id = ?2 AND json_type(content_payload, '$.text') = 'text'
          ORDER BY timestamp DESC, rowid DESC LIMIT ?3"
    } else {
        "SELECT id, json_extract(content_payload, '$.text') FROM memgraph_events
          WHERE tenant_id = ?1 AND json_type(content_payload, '$.text') = 'text'
          ORDER BY timestamp DESC, rowid DESC LIMIT ?3"
    }
}

const ACTIVE_OF_KEY: &str = "SELECT id FROM memgraph_beliefs
    WHERE tenant_number = (SELECT number FROM memgraph_tenants WHERE id = ?)
      AND subject_id = ? AND key = ? AND is_active = 1";

/// The statements above, and whether each is given a filter beyond the tenant.
#[cfg(test)]
pub(super) fn statements() -> Vec<(String, bool)> {
    let mut all = vec![
        (mcis_page(), false),
        (OUTCOME_COUNTS.to_owned(), false),
        (DECISION_CONFIDENCE.to_owned(), false),
        (STATUS_COUNTS.to_owned(), false),
        (profile(), true),
        (reminders(), true),
        (ACTIVE_OF_KEY.to_owned(), true),
    ];
    for by_user in [false, true] {
        for sql in [
            active_confidence(by_user),
            contradiction_counts(by_user),
            disputed_beliefs(by_user),
            decision_counts(by_user),
            newest_events(by_user),
        ] {
            all.push((sql.to_owned(), by_user));
        }
        // The status is served by its partial index (active or superseded): not counted.
        for superseded in [false, true] {
            for typed in [false, true] {
                all.push((newest(by_user, superseded, typed), by_user || typed));
            }
        }
    }
    all
}

impl Store {
    /// The counts an MCIS is computed from: the tenant's, or one user's (subject).
    pub async fn mcis_inputs(
        &self,
        tenant_id: &str,
        user_id: Option<&str>,
    ) -> Result<McisInputs, Internal> {
        let db = self.session.db();
        let by_user = user_id.is_some();
        let (active_beliefs, mean_confidence): (i64, Option<f64>) =
            db::query_as(active_confidence(by_user))
                .bind(tenant_id)
                .bind(user_id)
                .fetch_one(db)
                .await?;
        let (open, settled): (i64, i64) = db::query_as(contradiction_counts(by_user))
            .bind(tenant_id)
            .bind(user_id)
            .fetch_one(db)
            .await?;
        let disputed: i64 = db::query_scalar(disputed_beliefs(by_user))
            .bind(tenant_id)
            .bind(user_id)
            .fetch_one(db)
            .await?;
        let (succeeded, partial, failed): (i64, i64, i64) = db::query_as(decision_counts(by_user))
            .bind(tenant_id)
            .bind(user_id)
            .fetch_one(db)
            .await?;
        Ok(McisInputs {
            active_beliefs,
            mean_confidence: mean_confidence.map(|m| (m * 10_000.0).round() / 10_000.0),
            open_contradictions: open,
            settled_contradictions: settled,
            beliefs_in_open_contradictions: disputed,
            decisions_succeeded: succeeded,
            decisions_partial: partial,
            decisions_failed: failed,
        })
    }

    /// Appends a score to the history; returns the entry's id.
    pub async fn save_mcis(&self, tenant_id: &str, mcis: &Mcis) -> Result<String, Internal> {
        let id = Uuid::new_v4().to_string();
        db::query(&format!(
            "INSERT INTO memgraph_mcis_snapshots ({SNAPSHOT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        ))
        .bind(&id)
        .bind(tenant_id)
        .bind(&mcis.user_id)
        .bind(mcis.mcis)
        .bind(&mcis.grade)
        .bind(serde_json::to_string(&mcis.sub_scores)?)
        .bind(serde_json::to_string(&mcis.inputs)?)
        .bind(&mcis.computed_at)
        .execute(self.session.db())
        .await?;
        Ok(id)
    }

    /// Saved scores of the tenant (`user_id` none) or of one user, newest first.
    pub async fn mcis_history(
        &self,
        tenant_id: &str,
        user_id: Option<&str>,
        limit: i64,
    ) -> Result<Vec<McisSnapshot>, Internal> {
        Ok(db::query_as(&mcis_page())
            .bind(tenant_id)
            .bind(user_id)
            .bind(limit)
            .fetch_all(self.session.db())
            .await?)
    }

    /// All of a tenant's saved scores, oldest first.
    pub async fn mcis_export(&self, tenant_id: &str) -> Result<Vec<McisSnapshot>, Internal> {
        Ok(db::query_as(&format!(
            "SELECT {SNAPSHOT_COLUMNS} FROM memgraph_mcis_snapshots WHERE tenant_id = ?
              ORDER BY created_at, id"
        ))
        .bind(tenant_id)
        .fetch_all(self.session.db())
        .await?)
    }

    /// Decisions per outcome (`None`: not known yet), and their mean confidence.
    pub async fn decision_outcomes(
        &self,
        tenant_id: &str,
    ) -> Result<(Vec<(Option<String>, i64)>, Option<f64>), Internal> {
        let db = self.session.db();
        let by_outcome = db::query_as(OUTCOME_COUNTS)
            .bind(tenant_id)
            .fetch_all(db)
            .await?;
        let mean: Option<f64> = db::query_scalar(DECISION_CONFIDENCE)
            .bind(tenant_id)
            .fetch_one(db)
            .await?;
        Ok((by_outcome, mean.map(|m| (m * 10_000.0).round() / 10_000.0)))
    }

    /// Contradictions per status.
    pub async fn contradiction_statuses(
        &self,
        tenant_id: &str,
    ) -> Result<Vec<(String, i64)>, Internal> {
        Ok(db::query_as(STATUS_COUNTS)
            .bind(tenant_id)
            .fetch_all(self.session.db())
            .await?)
    }

    /// A subject's active tenets, preferences and facts, newest first, at most `limit` of each
    /// (one index range per type).
    pub async fn profile_beliefs(
        &self,
        tenant_id: &str,
        subject_id: &str,
        limit: i64,
    ) -> Result<Vec<Belief>, Internal> {
        Ok(db::query_as(&profile())
            .bind(tenant_id)
            .bind(subject_id)
            .bind(limit)
            .fetch_all(self.session.db())
            .await?)
    }

    /// A subject's active reminders, newest first.
    pub async fn prospective_beliefs(
        &self,
        tenant_id: &str,
        subject_id: &str,
        limit: i64,
    ) -> Result<Vec<Belief>, Internal> {
        Ok(db::query_as(&reminders())
            .bind(tenant_id)
            .bind(subject_id)
            .bind(limit)
            .fetch_all(self.session.db())
            .await?)
    }

    /// The newest beliefs of the tenant (or one subject), active or superseded, optionally of
    /// one type: what a benchmark checks.
    pub async fn newest_beliefs(
        &self,
        tenant_id: &str,
        subject_id: Option<&str>,
        superseded: bool,
        belief_type: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Belief>, Internal> {
        let sql = newest(subject_id.is_some(), superseded, belief_type.is_some());
        Ok(db::query_as(&sql)
            .bind(tenant_id)
            .bind(subject_id)
            .bind(belief_type)
            .bind(limit)
            .fetch_all(self.session.db())
            .await?)
    }

    /// The newest events with a text, as (id, text).
    pub async fn newest_texts(
        &self,
        tenant_id: &str,
        user_id: Option<&str>,
        limit: i64,
    ) -> Result<Vec<(String, String)>, Internal> {
        let rows: Vec<(String, Option<String>)> = db::query_as(newest_events(user_id.is_some()))
            .bind(tenant_id)
            .bind(user_id)
            .bind(limit)
            .fetch_all(self.session.db())
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(id, text)| Some((id, text?)))
            .collect())
    }

    /// The active version of a subject's key, if any.
    pub async fn active_belief_id(
        &self,
        tenant_id: &str,
        subject_id: &str,
        key: &str,
    ) -> Result<Option<String>, Internal> {
        Ok(db::query_scalar(ACTIVE_OF_KEY)
            .bind(tenant_id)
            .bind(subject_id)
            .bind(key)
            .fetch_optional(self.session.db())
            .await?)
    }
}
