//! Decisions, their outcomes and explanations, and contradictions between belief versions
//! (docs/spec/memgraph.md §7.3, §7.5): wire types, and the bodies and query strings that write
//! and list them (each declared once).

use crate::db;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};

use super::Belief;

/// How a decision turned out (the SDK upper-cases what it is given).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum Outcome {
    Success,
    Failure,
    Partial,
    Unknown,
    Reverted,
}

impl Outcome {
    pub const ALL: [Outcome; 5] = [
        Outcome::Success,
        Outcome::Failure,
        Outcome::Partial,
        Outcome::Unknown,
        Outcome::Reverted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "SUCCESS",
            Outcome::Failure => "FAILURE",
            Outcome::Partial => "PARTIAL",
            Outcome::Unknown => "UNKNOWN",
            Outcome::Reverted => "REVERTED",
        }
    }
}

/// Stored as its name, as on the wire.
impl rusqlite::types::ToSql for Outcome {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        Ok(self.as_str().into())
    }
}

impl rusqlite::types::FromSql for Outcome {
    fn column_result(value: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
        let name = value.as_str()?;
        Outcome::ALL
            .into_iter()
            .find(|outcome| outcome.as_str() == name)
            .ok_or(rusqlite::types::FromSqlError::InvalidType)
    }
}

/// An agent's decision: what it tried, how it reasoned, which tools and beliefs it used, and
/// (once known) how it turned out.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Decision {
    pub id: String,
    #[serde(default)]
    pub tenant_id: String,
    pub goal: String,
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub reasoning_steps: Vec<Map<String, Value>>,
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub tools_used: Vec<Map<String, Value>>,
    /// Ids of the beliefs the agent relied on.
    #[serde(default)]
    pub beliefs_used: Vec<String>,
    pub confidence: Option<f64>,
    #[schema(inline)]
    pub outcome: Option<Outcome>,
    pub outcome_assessment: Option<String>,
    pub feedback: Option<String>,
    pub agent_id: Option<String>,
    pub user_id: Option<String>,
    pub episode_id: Option<String>,
    /// With `create_snapshot`: the beliefs used, as they were when the decision was recorded.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub context_snapshot: Option<Map<String, Value>>,
    pub created_at: String,
    pub updated_at: String,
    pub outcome_recorded_at: Option<String>,
}

impl db::FromRow for Decision {
    fn from_row(row: &impl db::Columns) -> rusqlite::Result<Self> {
        Ok(Decision {
            id: row.column("id")?,
            tenant_id: row.column("tenant_id")?,
            goal: row.column("goal")?,
            reasoning_steps: row.column::<db::Json<_>>("reasoning_steps")?.0,
            tools_used: row.column::<db::Json<_>>("tools_used")?.0,
            beliefs_used: row.column::<db::Json<_>>("beliefs_used")?.0,
            confidence: row.column("confidence")?,
            outcome: row.column("outcome")?,
            outcome_assessment: row.column("outcome_assessment")?,
            feedback: row.column("feedback")?,
            agent_id: row.column("agent_id")?,
            user_id: row.column("user_id")?,
            episode_id: row.column("episode_id")?,
            context_snapshot: row
                .column::<Option<db::Json<_>>>("context_snapshot")?
                .map(|json| json.0),
            created_at: row.column("created_at")?,
            updated_at: row.column("updated_at")?,
            outcome_recorded_at: row.column("outcome_recorded_at")?,
        })
    }
}

/// A belief whose confidence an outcome moved.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConfidenceChange {
    pub id: String,
    pub previous_confidence: f64,
    pub confidence: f64,
}

/// `POST /v2/outcomes/record`.
#[derive(Debug, Serialize, ToSchema)]
pub struct OutcomeRecorded {
    pub status: &'static str,
    pub decision: Decision,
    pub beliefs_adjusted: Vec<ConfidenceChange>,
}

/// `POST /v2/decisions`: the decision, and the beliefs its outcome (if given) moved.
#[derive(Debug, Serialize, ToSchema)]
pub struct DecisionRecorded {
    #[serde(flatten)]
    pub decision: Decision,
    pub beliefs_adjusted: Vec<ConfidenceChange>,
}

/// `GET /v2/decisions/{id}/explain`: the stored decision, and the beliefs it cites as they are
/// now.
#[derive(Debug, Serialize, ToSchema)]
pub struct Explanation {
    pub decision_id: String,
    pub goal: String,
    #[schema(inline)]
    pub outcome: Option<Outcome>,
    pub outcome_assessment: Option<String>,
    pub feedback: Option<String>,
    pub confidence: Option<f64>,
    #[schema(value_type = Vec<Object>)]
    pub reasoning_steps: Vec<Map<String, Value>>,
    #[schema(value_type = Vec<Object>)]
    pub tools_used: Vec<Map<String, Value>>,
    pub beliefs_used: Vec<BeliefUsed>,
    #[schema(value_type = Option<Object>)]
    pub context_snapshot: Option<Map<String, Value>>,
    /// The above in a few sentences.
    pub summary: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BeliefUsed {
    pub id: String,
    /// False when the belief has been deleted since (or was never one of the caller's).
    pub found: bool,
    pub belief: Option<Belief>,
    /// The belief as the snapshot recorded it, when the decision took one.
    #[schema(value_type = Option<Object>)]
    pub at_decision: Option<Value>,
    /// Whether its value, confidence or status moved since the snapshot (null without one).
    pub changed_since_decision: Option<bool>,
}

// ---- contradictions ----------------------------------------------------------------------------

/// The stored form of a contradiction, as exported.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ContradictionRecord {
    pub id: String,
    #[serde(default)]
    pub tenant_id: String,
    pub subject_id: String,
    pub key: String,
    /// The version that was active, superseded by `belief_b_id`.
    pub belief_a_id: String,
    pub belief_b_id: String,
    pub status: String,
    pub resolved_by: Option<String>,
    pub resolved_at: Option<String>,
    pub detected_at: String,
}

impl db::FromRow for ContradictionRecord {
    fn from_row(row: &impl db::Columns) -> rusqlite::Result<Self> {
        Ok(ContradictionRecord {
            id: row.column("id")?,
            tenant_id: row.column("tenant_id")?,
            subject_id: row.column("subject_id")?,
            key: row.column("key")?,
            belief_a_id: row.column("belief_a_id")?,
            belief_b_id: row.column("belief_b_id")?,
            status: row.column("status")?,
            resolved_by: row.column("resolved_by")?,
            resolved_at: row.column("resolved_at")?,
            detected_at: row.column("detected_at")?,
        })
    }
}

/// A contradiction as listed: both beliefs as they are now, oldest first. `resolution_status`
/// repeats `status` under the name `PATCH` sets it by.
#[derive(Debug, Serialize, ToSchema)]
pub struct Contradiction {
    pub id: String,
    pub subject_id: String,
    pub key: String,
    pub belief_a_id: String,
    pub belief_b_id: String,
    pub beliefs: Vec<Belief>,
    /// `open`, `resolved` or `dismissed`.
    pub status: String,
    pub resolution_status: String,
    pub resolved_by: Option<String>,
    pub resolved_at: Option<String>,
    pub detected_at: String,
}

/// `GET /v1/intelligence/contradictions`: the open ones, as `GET /v2/contradictions?status=open`
/// lists them.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContradictionReport {
    pub contradictions: Vec<Contradiction>,
    pub count: usize,
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ContradictionStatus {
    Open,
    Resolved,
    Dismissed,
}

impl ContradictionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ContradictionStatus::Open => "open",
            ContradictionStatus::Resolved => "resolved",
            ContradictionStatus::Dismissed => "dismissed",
        }
    }
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Resolution {
    Resolved,
    Dismissed,
}

// ---- requests ----------------------------------------------------------------------------------

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateDecision {
    pub goal: String,
    /// Steps such as `{"step": 1, "description": "...", "tool": "...", "confidence": 0.8}`.
    #[schema(value_type = Option<Vec<Object>>)]
    pub reasoning_steps: Option<Vec<Map<String, Value>>>,
    /// Tools such as `{"tool_name": "...", "tool_input": ..., "tool_output": ...}`.
    #[schema(value_type = Option<Vec<Object>>)]
    pub tools_used: Option<Vec<Map<String, Value>>>,
    /// Ids of the beliefs relied on (the `id` of search results).
    #[schema(max_items = 100)]
    pub beliefs_used: Option<Vec<String>>,
    #[schema(minimum = 0.0, maximum = 1.0)]
    pub confidence: Option<f64>,
    #[schema(inline)]
    pub outcome: Option<Outcome>,
    pub outcome_assessment: Option<String>,
    pub agent_id: Option<String>,
    pub user_id: Option<String>,
    pub episode_id: Option<String>,
    /// Keep the beliefs used as they are now, for `explain` to compare with later.
    pub create_snapshot: Option<bool>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DecisionQuery {
    pub agent_id: Option<String>,
    pub user_id: Option<String>,
    #[param(inline)]
    pub outcome: Option<Outcome>,
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RecordOutcome {
    pub decision_id: String,
    #[schema(inline)]
    pub outcome: Outcome,
    /// Why: shown to the agent the next time a similar task comes in.
    pub feedback: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ContradictionQuery {
    #[param(inline)]
    pub status: Option<ContradictionStatus>,
    pub subject_id: Option<String>,
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ResolveContradiction {
    /// `resolved` when left out.
    #[schema(inline)]
    pub resolution_status: Option<Resolution>,
    /// Who settled it; `manual` when left out.
    pub resolved_by: Option<String>,
}
