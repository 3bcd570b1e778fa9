//! Decisions' SQL: recording them, listing, outcomes, and what an outcome does to the beliefs a
//! decision used. Every function takes the tenant first.

use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::Store;
use super::memory::beliefs_by_id;
use crate::db;
use crate::error::Internal;
use crate::memgraph::model::Belief;
use crate::memgraph::model::decisions::{ConfidenceChange, Decision, Outcome};

const DECISION_COLUMNS: &str = "id, tenant_id, goal, reasoning_steps, tools_used, beliefs_used,
    confidence, outcome, outcome_assessment, feedback, agent_id, user_id, episode_id,
    context_snapshot, created_at, updated_at, outcome_recorded_at";

// The statements of the request paths, named so the plan test (`store.rs`) reads what runs.

const CONFIDENCE_UPDATE: &str =
    "UPDATE memgraph_beliefs SET confidence = ?, updated_at = ? WHERE tenant_id = ? AND id = ?";

fn decision_by_id() -> String {
    format!("SELECT {DECISION_COLUMNS} FROM memgraph_decisions WHERE tenant_id = ? AND id = ?")
}

/// A page of decisions, newest first: tenant `?1`, and those of agent `?2`, user `?3` and
/// outcome `?4` that are given; at most `?5`.
fn decisions_page(agent: bool, user: bool, outcome: bool) -> String {
    let mut sql = format!("SELECT {DECISION_COLUMNS} FROM memgraph_decisions WHERE tenant_id = ?1");
    for (given, filter) in [
        (agent, " AND agent_id = ?2"),
        (user, " AND user_id = ?3"),
        (outcome, " AND outcome = ?4"),
    ] {
        if given {
            sql.push_str(filter);
        }
    }
    sql.push_str(" ORDER BY created_at DESC, id DESC LIMIT ?5");
    sql
}

const DECISION_DELETE: &str = "DELETE FROM memgraph_decisions WHERE tenant_id = ? AND id = ?";

const OUTCOME_UPDATE: &str = "UPDATE memgraph_decisions
    SET outcome = ?, feedback = coalesce(?, feedback), updated_at = ?, outcome_recorded_at = ?
  WHERE tenant_id = ? AND id = ?";

/// The statements above, and whether each is given a filter beyond the tenant.
#[cfg(test)]
pub(super) fn statements() -> Vec<(String, bool)> {
    let mut all = vec![
        (CONFIDENCE_UPDATE.to_owned(), true),
        (decision_by_id(), true),
        (DECISION_DELETE.to_owned(), true),
        (OUTCOME_UPDATE.to_owned(), true),
    ];
    for bits in 0..8u8 {
        let given = |bit: u8| bits & (1 << bit) != 0;
        all.push((decisions_page(given(0), given(1), given(2)), bits != 0));
    }
    all
}

/// How many recent decisions a similarity search ranks (`past_decisions`, `/v2/context`).
pub const SIMILAR_WINDOW: i64 = 200;

pub struct NewDecision {
    pub goal: String,
    pub reasoning_steps: Vec<Map<String, Value>>,
    pub tools_used: Vec<Map<String, Value>>,
    pub beliefs_used: Vec<String>,
    pub confidence: Option<f64>,
    pub outcome: Option<Outcome>,
    pub outcome_assessment: Option<String>,
    pub agent_id: Option<String>,
    pub user_id: Option<String>,
    pub episode_id: Option<String>,
    pub create_snapshot: bool,
}

#[derive(Default)]
pub struct DecisionFilter {
    pub agent_id: Option<String>,
    pub user_id: Option<String>,
    pub outcome: Option<Outcome>,
    pub limit: i64,
}

/// What an outcome does to the confidence of each belief the decision used (the SDK README:
/// "FAILURE lowers the confidence of the beliefs in `beliefs_used`, and SUCCESS raises it
/// slightly"; docs/spec/memgraph.md §7.5). Emulator choice, in this one place: FAILURE and
/// REVERTED multiply it by 0.8, SUCCESS adds 0.05 (at most 1), PARTIAL and UNKNOWN leave it.
/// It applies when a decision gets an outcome it did not have (at creation or later), so a
/// repeated report changes nothing.
pub fn adjusted_confidence(outcome: Outcome, confidence: f64) -> f64 {
    let moved = match outcome {
        Outcome::Failure | Outcome::Reverted => confidence * 0.8,
        Outcome::Success => (confidence + 0.05).min(1.0),
        Outcome::Partial | Outcome::Unknown => confidence,
    };
    (moved * 10_000.0).round() / 10_000.0
}

/// The tenant's beliefs among these ids, in the order of `ids` (unknown ids are left out).
pub(super) async fn beliefs_by_ids(
    conn: &mut db::Connection,
    tenant_id: &str,
    ids: &[String],
) -> Result<Vec<Belief>, db::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let ids_json = Value::from(ids.to_vec()).to_string();
    let mut found: Vec<Belief> = db::query_as(&beliefs_by_id())
        .bind(tenant_id)
        .bind(ids_json)
        .fetch_all(conn)
        .await?;
    found.sort_by_key(|b| ids.iter().position(|id| *id == b.id));
    Ok(found)
}

/// Moves the confidence of the beliefs used by the outcome rule; returns what moved.
async fn apply_outcome(
    conn: &mut db::Connection,
    tenant_id: &str,
    beliefs_used: &[String],
    outcome: Outcome,
    now: &str,
) -> Result<Vec<ConfidenceChange>, db::Error> {
    let mut changes = Vec::new();
    for belief in beliefs_by_ids(conn, tenant_id, beliefs_used).await? {
        let confidence = adjusted_confidence(outcome, belief.confidence);
        if confidence == belief.confidence {
            continue;
        }
        db::query(CONFIDENCE_UPDATE)
            .bind(confidence)
            .bind(now)
            .bind(tenant_id)
            .bind(&belief.id)
            .execute(&mut *conn)
            .await?;
        changes.push(ConfidenceChange {
            id: belief.id,
            previous_confidence: belief.confidence,
            confidence,
        });
    }
    Ok(changes)
}

/// Writes a decision as given (`ignore`: skip it when the id exists). Returns whether it was.
pub(super) async fn insert_decision(
    conn: &mut db::Connection,
    d: &Decision,
    ignore: bool,
) -> Result<bool, db::Error> {
    let verb = if ignore { "INSERT OR IGNORE" } else { "INSERT" };
    let written = db::query(&format!(
        "{verb} INTO memgraph_decisions ({DECISION_COLUMNS})
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    ))
    .bind(&d.id)
    .bind(&d.tenant_id)
    .bind(&d.goal)
    .bind(Value::from(d.reasoning_steps.clone()).to_string())
    .bind(Value::from(d.tools_used.clone()).to_string())
    .bind(Value::from(d.beliefs_used.clone()).to_string())
    .bind(d.confidence)
    .bind(d.outcome)
    .bind(&d.outcome_assessment)
    .bind(&d.feedback)
    .bind(&d.agent_id)
    .bind(&d.user_id)
    .bind(&d.episode_id)
    .bind(
        d.context_snapshot
            .clone()
            .map(|s| Value::Object(s).to_string()),
    )
    .bind(&d.created_at)
    .bind(&d.updated_at)
    .bind(&d.outcome_recorded_at)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(written > 0)
}

async fn fetch_decision(
    conn: &mut db::Connection,
    tenant_id: &str,
    id: &str,
) -> Result<Option<Decision>, db::Error> {
    db::query_as(&decision_by_id())
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// What a snapshot keeps of a belief, and what `explain` compares with it now.
pub fn belief_snapshot(b: &Belief) -> Value {
    json!({
        "id": b.id, "subject_id": b.subject_id, "key": b.key, "value": b.value,
        "confidence": b.confidence, "epistemic_status": b.epistemic_status,
    })
}

impl Store {
    /// Records a decision, with a snapshot of the beliefs it used when asked, and the outcome
    /// rule applied when it comes with an outcome; in one transaction.
    pub async fn record_decision(
        &self,
        tenant_id: &str,
        new: NewDecision,
    ) -> Result<(Decision, Vec<ConfidenceChange>), Internal> {
        let now = self.now();
        let mut tx = self.session.db().begin().await?;
        let context_snapshot = if new.create_snapshot {
            let beliefs = beliefs_by_ids(&mut tx, tenant_id, &new.beliefs_used).await?;
            let beliefs: Vec<Value> = beliefs.iter().map(belief_snapshot).collect();
            let mut snapshot = Map::new();
            snapshot.insert("created_at".to_owned(), json!(now));
            snapshot.insert("beliefs".to_owned(), Value::from(beliefs));
            Some(snapshot)
        } else {
            None
        };
        let decision = Decision {
            id: Uuid::new_v4().to_string(),
            tenant_id: tenant_id.to_owned(),
            goal: new.goal,
            reasoning_steps: new.reasoning_steps,
            tools_used: new.tools_used,
            beliefs_used: new.beliefs_used,
            confidence: new.confidence,
            outcome: new.outcome,
            outcome_assessment: new.outcome_assessment,
            feedback: None,
            agent_id: new.agent_id,
            user_id: new.user_id,
            episode_id: new.episode_id,
            context_snapshot,
            created_at: now.clone(),
            updated_at: now.clone(),
            outcome_recorded_at: new.outcome.map(|_| now.clone()),
        };
        insert_decision(&mut tx, &decision, false).await?;
        let changes = match decision.outcome {
            Some(outcome) => {
                apply_outcome(&mut tx, tenant_id, &decision.beliefs_used, outcome, &now).await?
            }
            None => Vec::new(),
        };
        tx.commit().await?;
        Ok((decision, changes))
    }

    pub async fn decision(&self, tenant_id: &str, id: &str) -> Result<Option<Decision>, Internal> {
        let mut conn = self.session.db().acquire().await?;
        Ok(fetch_decision(&mut conn, tenant_id, id).await?)
    }

    /// Newest first. Each filter given narrows the statement; the first of agent, user and
    /// outcome given picks the index.
    pub async fn decisions(
        &self,
        tenant_id: &str,
        f: &DecisionFilter,
    ) -> Result<Vec<Decision>, Internal> {
        let sql = decisions_page(
            f.agent_id.is_some(),
            f.user_id.is_some(),
            f.outcome.is_some(),
        );
        Ok(db::query_as(&sql)
            .bind(tenant_id)
            .bind(&f.agent_id)
            .bind(&f.user_id)
            .bind(f.outcome)
            .bind(f.limit)
            .fetch_all(self.session.db())
            .await?)
    }

    /// The tenant's most recent decisions ([`SIMILAR_WINDOW`] of them), for ranking by goal.
    pub async fn recent_decisions(&self, tenant_id: &str) -> Result<Vec<Decision>, Internal> {
        self.decisions(
            tenant_id,
            &DecisionFilter {
                limit: SIMILAR_WINDOW,
                ..DecisionFilter::default()
            },
        )
        .await
    }

    pub async fn delete_decision(&self, tenant_id: &str, id: &str) -> Result<bool, Internal> {
        let deleted = db::query(DECISION_DELETE)
            .bind(tenant_id)
            .bind(id)
            .execute(self.session.db())
            .await?
            .rows_affected();
        Ok(deleted > 0)
    }

    /// Sets a decision's outcome (and feedback, when given) and applies the outcome rule when the
    /// outcome is new. `None` when the decision is not the tenant's.
    pub async fn record_outcome(
        &self,
        tenant_id: &str,
        id: &str,
        outcome: Outcome,
        feedback: Option<&str>,
    ) -> Result<Option<(Decision, Vec<ConfidenceChange>)>, Internal> {
        let now = self.now();
        let mut tx = self.session.db().begin().await?;
        let Some(before) = fetch_decision(&mut tx, tenant_id, id).await? else {
            return Ok(None);
        };
        db::query(OUTCOME_UPDATE)
            .bind(outcome)
            .bind(feedback)
            .bind(&now)
            .bind(&now)
            .bind(tenant_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let changes = if before.outcome == Some(outcome) {
            Vec::new()
        } else {
            apply_outcome(&mut tx, tenant_id, &before.beliefs_used, outcome, &now).await?
        };
        let after = fetch_decision(&mut tx, tenant_id, id)
            .await?
            .ok_or_else(|| Internal::msg("decision vanished"))?;
        tx.commit().await?;
        Ok(Some((after, changes)))
    }

    /// The tenant's beliefs among these ids, in their order.
    pub async fn beliefs_by_ids(
        &self,
        tenant_id: &str,
        ids: &[String],
    ) -> Result<Vec<Belief>, Internal> {
        let mut conn = self.session.db().acquire().await?;
        Ok(beliefs_by_ids(&mut conn, tenant_id, ids).await?)
    }

    /// All of a tenant's decisions, oldest first.
    pub async fn decisions_export(&self, tenant_id: &str) -> Result<Vec<Decision>, Internal> {
        Ok(db::query_as(&format!(
            "SELECT {DECISION_COLUMNS} FROM memgraph_decisions WHERE tenant_id = ?
              ORDER BY created_at, id"
        ))
        .bind(tenant_id)
        .fetch_all(self.session.db())
        .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_lowers_success_raises_and_the_rest_keep() {
        assert_eq!(adjusted_confidence(Outcome::Failure, 0.9), 0.72);
        assert_eq!(adjusted_confidence(Outcome::Reverted, 0.5), 0.4);
        assert_eq!(adjusted_confidence(Outcome::Success, 0.9), 0.95);
        assert_eq!(adjusted_confidence(Outcome::Success, 0.98), 1.0);
        assert_eq!(adjusted_confidence(Outcome::Partial, 0.9), 0.9);
        assert_eq!(adjusted_confidence(Outcome::Unknown, 0.9), 0.9);
    }
}
