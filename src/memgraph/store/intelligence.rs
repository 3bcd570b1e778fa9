//! What the intelligence, benchmark, analytics and sidecar routes read: aggregates over a
//! tenant's memory, saved MCIS scores, and the beliefs a profile is made of. Every function
//! takes the tenant first. Aggregates read the tenant's index range (never another tenant's
//! rows); lists stop at their limit.

use uuid::Uuid;

use super::Store;
use super::memory::BELIEF_COLUMNS;
use crate::error::Internal;
use crate::memgraph::model::Belief;
use crate::memgraph::model::intelligence::{Mcis, McisInputs, McisSnapshot};

const SNAPSHOT_COLUMNS: &str =
    "id, tenant_id, user_id, mcis, grade, sub_scores, inputs, created_at";

/// The domain the sidecar files reminders under (see `extract.rs`): `prospective_items`.
pub const PROSPECTIVE_DOMAIN: &str = "prospective";

impl Store {
    /// The counts an MCIS is computed from: the tenant's, or one user's (subject).
    pub async fn mcis_inputs(
        &self,
        tenant_id: &str,
        user_id: Option<&str>,
    ) -> Result<McisInputs, Internal> {
        let db = self.session.db();
        let (active_beliefs, mean_confidence): (i64, Option<f64>) = sqlx::query_as(
            "SELECT count(*), avg(confidence) FROM memgraph_beliefs
              WHERE tenant_id = ?1 AND is_active = 1 AND (?2 IS NULL OR subject_id = ?2)",
        )
        .bind(tenant_id)
        .bind(user_id)
        .fetch_one(db)
        .await?;
        let (open, settled): (i64, i64) = sqlx::query_as(
            "SELECT count(*) FILTER (WHERE status = 'open'), count(*) FILTER (WHERE status <> 'open')
               FROM memgraph_contradictions WHERE tenant_id = ?1 AND (?2 IS NULL OR subject_id = ?2)",
        )
        .bind(tenant_id)
        .bind(user_id)
        .fetch_one(db)
        .await?;
        let disputed: i64 = sqlx::query_scalar(
            "SELECT count(DISTINCT b.id) FROM memgraph_contradictions c
               JOIN memgraph_beliefs b ON b.id IN (c.belief_a_id, c.belief_b_id)
              WHERE c.tenant_id = ?1 AND c.status = 'open' AND (?2 IS NULL OR c.subject_id = ?2)
                AND b.is_active = 1",
        )
        .bind(tenant_id)
        .bind(user_id)
        .fetch_one(db)
        .await?;
        let (succeeded, partial, failed): (i64, i64, i64) = sqlx::query_as(
            "SELECT count(*) FILTER (WHERE outcome = 'SUCCESS'),
                    count(*) FILTER (WHERE outcome = 'PARTIAL'),
                    count(*) FILTER (WHERE outcome IN ('FAILURE', 'REVERTED'))
               FROM memgraph_decisions WHERE tenant_id = ?1 AND (?2 IS NULL OR user_id = ?2)",
        )
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
        sqlx::query(&format!(
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
        Ok(sqlx::query_as(&format!(
            "SELECT {SNAPSHOT_COLUMNS} FROM memgraph_mcis_snapshots
              WHERE tenant_id = ? AND user_id IS ?
              ORDER BY created_at DESC, id DESC LIMIT ?"
        ))
        .bind(tenant_id)
        .bind(user_id)
        .bind(limit)
        .fetch_all(self.session.db())
        .await?)
    }

    /// All of a tenant's saved scores, oldest first.
    pub async fn mcis_export(&self, tenant_id: &str) -> Result<Vec<McisSnapshot>, Internal> {
        Ok(sqlx::query_as(&format!(
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
        let by_outcome = sqlx::query_as(
            "SELECT outcome, count(*) FROM memgraph_decisions WHERE tenant_id = ?
              GROUP BY outcome ORDER BY outcome",
        )
        .bind(tenant_id)
        .fetch_all(db)
        .await?;
        let mean: Option<f64> = sqlx::query_scalar(
            "SELECT avg(confidence) FROM memgraph_decisions WHERE tenant_id = ?",
        )
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
        Ok(sqlx::query_as(
            "SELECT status, count(*) FROM memgraph_contradictions WHERE tenant_id = ?
              GROUP BY status",
        )
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
        let per_type = |belief_type: &str| {
            format!(
                "SELECT * FROM (SELECT {BELIEF_COLUMNS} FROM memgraph_beliefs
                  WHERE tenant_id = ?1 AND subject_id = ?2 AND belief_type = '{belief_type}'
                    AND is_active = 1
                  ORDER BY created_at DESC, id DESC LIMIT ?3)"
            )
        };
        Ok(sqlx::query_as(&format!(
            "{} UNION ALL {} UNION ALL {}",
            per_type("tenet"),
            per_type("preference"),
            per_type("fact")
        ))
        .bind(tenant_id)
        .bind(subject_id)
        .bind(limit)
        .fetch_all(self.session.db())
        .await?)
    }

    /// A subject's active reminders, newest first. (The domain is written into the statement,
    /// so that the planner takes the reminders' own partial index.)
    pub async fn prospective_beliefs(
        &self,
        tenant_id: &str,
        subject_id: &str,
        limit: i64,
    ) -> Result<Vec<Belief>, Internal> {
        Ok(sqlx::query_as(&format!(
            "SELECT {BELIEF_COLUMNS} FROM memgraph_beliefs
              WHERE tenant_id = ? AND subject_id = ? AND is_active = 1
                AND domain = '{PROSPECTIVE_DOMAIN}'
              ORDER BY created_at DESC, id DESC LIMIT ?"
        ))
        .bind(tenant_id)
        .bind(subject_id)
        .bind(limit)
        .fetch_all(self.session.db())
        .await?)
    }

    /// The newest beliefs of the tenant (or one subject) in one epistemic status, optionally of
    /// one type: what a benchmark checks.
    pub async fn newest_beliefs(
        &self,
        tenant_id: &str,
        subject_id: Option<&str>,
        epistemic_status: &str,
        belief_type: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Belief>, Internal> {
        Ok(sqlx::query_as(&format!(
            "SELECT {BELIEF_COLUMNS} FROM memgraph_beliefs
              WHERE tenant_id = ?1 AND (?2 IS NULL OR subject_id = ?2) AND epistemic_status = ?3
                AND (?4 IS NULL OR belief_type = ?4)
              ORDER BY created_at DESC, id DESC LIMIT ?5"
        ))
        .bind(tenant_id)
        .bind(subject_id)
        .bind(epistemic_status)
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
        let rows: Vec<(String, Option<String>)> = sqlx::query_as(
            "SELECT id, json_extract(content_payload, '$.text') FROM memgraph_events
              WHERE tenant_id = ?1 AND (?2 IS NULL OR user_id = ?2)
                AND json_type(content_payload, '$.text') = 'text'
              ORDER BY timestamp DESC, rowid DESC LIMIT ?3",
        )
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
        Ok(sqlx::query_scalar(
            "SELECT id FROM memgraph_beliefs
              WHERE tenant_id = ? AND subject_id = ? AND key = ? AND is_active = 1",
        )
        .bind(tenant_id)
        .bind(subject_id)
        .bind(key)
        .fetch_optional(self.session.db())
        .await?)
    }
}
