//! Memgraph's wire types (spec §6) and the rows they are read from. Fields the spec marks
//! [inferred] are here because a client of the real service would plausibly read them.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// Roles and their levels (spec §5.2): a check passes when the caller's level is at least the
/// required one, which the derived ordering gives.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    sqlx::Type,
    utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
#[sqlx(rename_all = "lowercase")]
pub enum Role {
    Viewer = 1,
    Editor = 2,
    Admin = 3,
}

impl Role {
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "viewer" => Some(Role::Viewer),
            "editor" => Some(Role::Editor),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// Tenant settings before any PATCH (spec §6.8, emulator choice). The episode gap starts as
/// `--memgraph-episode-gap`; the memory API then follows the tenant's own value.
pub fn default_tenant_settings(episode_gap: std::time::Duration) -> Value {
    let secs = episode_gap.as_secs();
    let gap_minutes = if secs.is_multiple_of(60) {
        json!(secs / 60)
    } else {
        json!(episode_gap.as_secs_f64() / 60.0)
    };
    json!({
        "belief_confidence_threshold": 0.5,
        "episode_gap_minutes": gap_minutes,
        "dreaming_enabled": true,
        "retention_days": null,
    })
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Tenant {
    pub id: String,
    pub name: String,
    pub sector: Option<String>,
    pub created_at: String,
    #[sqlx(json)]
    pub settings: Map<String, Value>,
}

/// A dashboard account. The password hash is read for login and never serialised.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct User {
    pub id: String,
    pub email: String,
    pub full_name: Option<String>,
    pub role: Role,
    pub tenant_id: String,
    pub is_active: bool,
    pub created_at: String,
    #[serde(skip)]
    pub password_hash: String,
}

/// `GET /v1/api-keys` items: never the hash, never the plaintext.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct ApiKey {
    pub id: String,
    pub name: String,
    pub key_prefix: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub is_active: bool,
}

/// `POST /v1/api-keys`: the one response that carries the plaintext.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiKeyCreated {
    pub id: String,
    pub name: String,
    pub api_key: String,
    pub key_prefix: String,
    pub created_at: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Onboarded {
    pub tenant_id: String,
    pub api_key: String,
    pub user_id: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Me {
    pub id: String,
    pub user_id: String,
    pub email: String,
    pub full_name: Option<String>,
    pub role: Role,
    pub tenant_id: String,
    pub tenant_name: String,
    pub created_at: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Whoami {
    pub tenant_id: String,
    pub tenant_name: String,
    pub auth_type: &'static str,
    pub role: Role,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

#[derive(Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Stats {
    pub tenant_id: String,
    pub total_events: i64,
    pub total_episodes: i64,
    pub total_beliefs: i64,
    pub active_beliefs: i64,
    pub pending_episodes: i64,
    pub total_users: i64,
    pub total_entities: i64,
    pub total_relationships: i64,
    pub total_decisions: i64,
    pub open_contradictions: i64,
}

/// `{"status": "...", "id": "..."}`, what deletions and revocations answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StatusId {
    pub status: &'static str,
    pub id: String,
}

/// The export document (spec §6.9), which `POST /v1/admin/import` reads back.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Export {
    pub version: u32,
    pub exported_at: String,
    pub tenant: ExportTenant,
    /// Left out when `?include=` does not name them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<Event>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub episodes: Option<Vec<Episode>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub beliefs: Option<Vec<Belief>>,
    /// Entities, relationships, decisions, contradictions, saved MCIS scores.
    #[serde(flatten)]
    pub v2: graph::GraphExport,
    pub users: Vec<ExportUser>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ExportTenant {
    pub id: String,
    pub name: String,
    pub sector: Option<String>,
    pub settings: Map<String, Value>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ExportUser {
    pub id: String,
    pub email: String,
    pub full_name: Option<String>,
    pub role: Role,
}

// ---- memory ----------------------------------------------------------------------------------

/// An event (spec §6.3). The request field is `content`; the stored and returned one is
/// `content_payload`, the only name a client of the real service is seen reading.
#[derive(Debug, Clone, Serialize, Deserialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Event {
    pub id: String,
    /// Rewritten to the importing tenant, so an import need not carry it.
    #[serde(default)]
    pub tenant_id: String,
    pub user_id: String,
    pub agent_id: Option<String>,
    pub thread_id: Option<String>,
    pub event_type: String,
    #[sqlx(json)]
    pub content_payload: Value,
    pub episode_id: Option<String>,
    pub timestamp: String,
}

/// An episode (spec §6.4): derived from events, never written by clients.
#[derive(Debug, Clone, Serialize, Deserialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Episode {
    pub id: String,
    #[serde(default)]
    pub tenant_id: String,
    pub user_id: String,
    pub agent_id: Option<String>,
    pub thread_id: Option<String>,
    pub summary: Option<String>,
    #[sqlx(json)]
    pub tags: Value,
    pub outcome: Option<String>,
    /// Counted from the events, not stored.
    #[serde(default)]
    pub event_count: i64,
    pub start_time: String,
    pub end_time: String,
    pub consolidation_status: String,
    pub created_at: String,
}

/// `GET /v1/episodes/{id}`: the episode with its events, oldest first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EpisodeDetail {
    #[serde(flatten)]
    pub episode: Episode,
    pub events: Vec<Event>,
}

/// A belief version (spec §6.5).
#[derive(Debug, Clone, Serialize, Deserialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Belief {
    pub id: String,
    #[serde(default)]
    pub tenant_id: String,
    pub subject_id: String,
    pub key: String,
    pub value: String,
    pub confidence: f64,
    pub belief_type: String,
    pub domain: String,
    pub epistemic_status: String,
    pub is_active: bool,
    pub version: i64,
    pub source: String,
    pub supersedes_id: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// `POST /v1/ingest` (spec §6.3): `event_id` is what the SDK's tests read.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Ingested {
    pub event_id: String,
    pub status: &'static str,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BeliefPage {
    pub items: Vec<Belief>,
    pub next_cursor: Option<String>,
    /// How many beliefs match the filters, over all pages.
    pub count: i64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BatchCreated {
    pub created: usize,
    pub items: Vec<Belief>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BulkDeleted {
    pub status: &'static str,
    pub deleted: u64,
    pub domain: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Timeline {
    pub subject_id: String,
    pub count: usize,
    pub timeline: Vec<TimelineItem>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TimelineItem {
    pub id: String,
    pub key: String,
    pub value: String,
    /// `created`, `superseded` or `deleted` (soft-deleted).
    pub change: &'static str,
    pub timestamp: String,
    pub version: i64,
    pub confidence: f64,
    pub domain: String,
    pub belief_type: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DreamingHealth {
    pub status: &'static str,
    /// True while some episode is being consolidated.
    pub worker_running: bool,
    /// When the most recent consolidation finished.
    pub last_cycle: Option<String>,
    pub pending_episodes: i64,
    pub processing_episodes: i64,
    pub consolidated_episodes: i64,
}

// ---- v2: knowledge graph, decisions, sidecar, intelligence -------------------------------------

pub mod decisions;
pub mod graph;
pub mod intelligence;
pub mod sidecar;
