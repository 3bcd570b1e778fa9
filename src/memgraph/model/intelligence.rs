//! Memory intelligence, benchmarks and analytics (docs/spec/memgraph.md §7.3): figures computed
//! from a tenant's stored memory.

use crate::db;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, ToSchema)]
pub struct EvaluateRequest {
    pub query: String,
    pub user_id: String,
    #[schema(minimum = 1, maximum = 100, default = 10)]
    pub limit: Option<i64>,
}

/// `POST /v1/intelligence/evaluate`: a retrieval, with how each result's score was made.
#[derive(Debug, Serialize, ToSchema)]
pub struct Evaluation {
    pub query: String,
    pub user_id: String,
    pub query_terms: Vec<String>,
    pub total: usize,
    pub results: Vec<EvaluatedMemory>,
    pub top_score: f64,
    pub mean_score: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EvaluatedMemory {
    pub id: String,
    /// `belief` or `event`.
    #[serde(rename = "type")]
    #[schema(rename = "type")]
    pub kind: String,
    pub content: String,
    pub score: f64,
    pub breakdown: Breakdown,
}

/// `score` = `relevance` × `status_weight`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Breakdown {
    /// BM25 relevance of the text to the query, mapped into 0..1.
    pub relevance: f64,
    /// 0.5 for a superseded belief, 1 otherwise.
    pub status_weight: f64,
    /// The belief's confidence (null for an event): reported, not part of the score.
    pub confidence: Option<f64>,
    pub matched_terms: Vec<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct McisQuery {
    pub user_id: Option<String>,
    /// Append the score to the history (`/mcis/history`); needs the editor role.
    pub save: Option<bool>,
}

/// The Memgraph Cognitive Integrity Score (0-100) and what it is made of.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Mcis {
    pub mcis: f64,
    /// A ≥ 85, B ≥ 70, C ≥ 55, D ≥ 40, else F.
    pub grade: String,
    pub sub_scores: SubScores,
    pub inputs: McisInputs,
    pub user_id: Option<String>,
    pub computed_at: String,
    /// The history entry, when `save=true`.
    pub snapshot_id: Option<String>,
}

/// Each 0-100.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SubScores {
    /// Active beliefs not caught in an open contradiction.
    pub accuracy: f64,
    /// Contradictions settled (resolved or dismissed), of all recorded.
    pub consistency: f64,
    /// The mean confidence of the active beliefs.
    pub confidence: f64,
    /// Decisions that succeeded (partial ones count half), of those with a known outcome.
    pub decision_quality: f64,
}

/// The counts a score was computed from.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct McisInputs {
    pub active_beliefs: i64,
    pub mean_confidence: Option<f64>,
    pub open_contradictions: i64,
    pub settled_contradictions: i64,
    pub beliefs_in_open_contradictions: i64,
    pub decisions_succeeded: i64,
    pub decisions_partial: i64,
    pub decisions_failed: i64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct McisHistoryQuery {
    pub user_id: Option<String>,
    #[param(minimum = 1, maximum = 365, default = 30)]
    pub limit: Option<i64>,
}

/// A saved score, newest first in the history.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct McisSnapshot {
    pub id: String,
    #[serde(default)]
    pub tenant_id: String,
    pub user_id: Option<String>,
    pub mcis: f64,
    pub grade: String,
    #[schema(value_type = Object)]
    pub sub_scores: Map<String, Value>,
    #[schema(value_type = Object)]
    pub inputs: Map<String, Value>,
    pub created_at: String,
}

impl db::FromRow for McisSnapshot {
    fn from_row(row: &impl db::Columns) -> rusqlite::Result<Self> {
        Ok(McisSnapshot {
            id: row.column("id")?,
            tenant_id: row.column("tenant_id")?,
            user_id: row.column("user_id")?,
            mcis: row.column("mcis")?,
            grade: row.column("grade")?,
            sub_scores: row.column::<db::Json<_>>("sub_scores")?.0,
            inputs: row.column::<db::Json<_>>("inputs")?.0,
            created_at: row.column("created_at")?,
        })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct McisHistory {
    pub user_id: Option<String>,
    pub count: usize,
    pub history: Vec<McisSnapshot>,
}

/// The scenarios the SDK documents.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Scenario {
    ContradictionStorm,
    TenetViolation,
    RetrievalAccuracy,
    Locomo,
    DeepMemoryRetrieval,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct BenchmarkRequest {
    #[schema(inline)]
    pub scenario: Scenario,
    pub user_id: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ScenarioInfo {
    pub name: &'static str,
    pub description: &'static str,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Scenarios {
    pub scenarios: Vec<ScenarioInfo>,
}

/// `POST /v1/benchmark/run`: one scenario over the tenant's stored memory (read only).
#[derive(Debug, Serialize, ToSchema)]
pub struct BenchmarkRun {
    #[schema(inline)]
    pub scenario: Scenario,
    pub status: &'static str,
    /// 0-100.
    pub score: f64,
    /// The score is at least 80.
    pub passed: bool,
    /// How many checks the score is over (0: nothing to check, score 100).
    pub cases: usize,
    pub passed_cases: usize,
    #[schema(value_type = Object)]
    pub metrics: Value,
    pub run_at: String,
}

/// `GET /v2/analytics`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Analytics {
    pub tenant_id: String,
    pub decisions: DecisionAnalytics,
    pub memory: MemoryAnalytics,
    pub graph: GraphAnalytics,
    pub contradictions: ContradictionAnalytics,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DecisionAnalytics {
    pub total: i64,
    /// SUCCESS, FAILURE, PARTIAL, UNKNOWN, REVERTED and PENDING (no outcome yet).
    #[schema(value_type = Object)]
    pub by_outcome: Map<String, Value>,
    /// Successes of the decisions with SUCCESS, FAILURE or PARTIAL (null when none).
    pub success_rate: Option<f64>,
    pub mean_confidence: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MemoryAnalytics {
    pub total_events: i64,
    pub total_episodes: i64,
    pub total_beliefs: i64,
    pub active_beliefs: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GraphAnalytics {
    pub entities: i64,
    pub relationships: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ContradictionAnalytics {
    pub open: i64,
    pub resolved: i64,
    pub dismissed: i64,
}
