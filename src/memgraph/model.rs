//! Memgraph's wire types (docs/spec/memgraph.md §6): the request bodies and query strings, each
//! read by its handler and described in the OpenAPI document from the same type, and the
//! responses with the rows they are read from. Fields the spec marks [inferred] are here because
//! a client of the real service would plausibly read them.

use crate::db;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use utoipa::{IntoParams, ToSchema};

use super::validation::{Records, Upload};

/// Roles and their levels: a check passes when the caller's level is at least the
/// required one, which the derived ordering gives.
// docs/spec/memgraph.md §5.2. The derived ordering follows the levels, not the declaration, which
// is the service's own order: its 422 messages list `'admin', 'editor' or 'viewer'`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin = 3,
    Editor = 2,
    Viewer = 1,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Editor => "editor",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "viewer" => Some(Role::Viewer),
            "editor" => Some(Role::Editor),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// Stored as its name, as on the wire.
impl rusqlite::types::ToSql for Role {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        Ok(self.as_str().into())
    }
}

impl rusqlite::types::FromSql for Role {
    fn column_result(value: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
        Role::parse(value.as_str()?).ok_or(rusqlite::types::FromSqlError::InvalidType)
    }
}

/// Tenant settings before any PATCH (docs/spec/memgraph.md §6.8, emulator choice). The episode
/// gap starts as `--memgraph-episode-gap`; the memory API then follows the tenant's own value.
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

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Tenant {
    pub id: String,
    pub name: String,
    pub sector: Option<String>,
    pub created_at: String,
    pub settings: Map<String, Value>,
}

impl db::FromRow for Tenant {
    fn from_row(row: &impl db::Columns) -> rusqlite::Result<Self> {
        Ok(Tenant {
            id: row.column("id")?,
            name: row.column("name")?,
            sector: row.column("sector")?,
            created_at: row.column("created_at")?,
            settings: row.column::<db::Json<_>>("settings")?.0,
        })
    }
}

/// A dashboard account. The password hash is read for login and never serialised.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
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

impl db::FromRow for User {
    fn from_row(row: &impl db::Columns) -> rusqlite::Result<Self> {
        Ok(User {
            id: row.column("id")?,
            email: row.column("email")?,
            full_name: row.column("full_name")?,
            role: row.column("role")?,
            tenant_id: row.column("tenant_id")?,
            is_active: row.column("is_active")?,
            created_at: row.column("created_at")?,
            password_hash: row.column("password_hash")?,
        })
    }
}

/// `GET /v1/api-keys` items: never the hash, never the plaintext.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ApiKey {
    pub id: String,
    pub name: String,
    pub key_prefix: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub is_active: bool,
}

impl db::FromRow for ApiKey {
    fn from_row(row: &impl db::Columns) -> rusqlite::Result<Self> {
        Ok(ApiKey {
            id: row.column("id")?,
            name: row.column("name")?,
            key_prefix: row.column("key_prefix")?,
            created_at: row.column("created_at")?,
            last_used_at: row.column("last_used_at")?,
            is_active: row.column("is_active")?,
        })
    }
}

/// What listings show of a key (`key_prefix`): its first characters.
pub fn key_prefix(plaintext: &str) -> String {
    const SHOWN: usize = 12;
    plaintext.chars().take(SHOWN).collect()
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

#[derive(Debug, Serialize, utoipa::ToSchema)]
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

impl db::FromRow for Stats {
    fn from_row(row: &impl db::Columns) -> rusqlite::Result<Self> {
        Ok(Stats {
            tenant_id: row.column("tenant_id")?,
            total_events: row.column("total_events")?,
            total_episodes: row.column("total_episodes")?,
            total_beliefs: row.column("total_beliefs")?,
            active_beliefs: row.column("active_beliefs")?,
            pending_episodes: row.column("pending_episodes")?,
            total_users: row.column("total_users")?,
            total_entities: row.column("total_entities")?,
            total_relationships: row.column("total_relationships")?,
            total_decisions: row.column("total_decisions")?,
            open_contradictions: row.column("open_contradictions")?,
        })
    }
}

/// `{"status": "...", "id": "..."}`, what deletions and revocations answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StatusId {
    pub status: &'static str,
    pub id: String,
}

/// The export document, which `POST /v1/admin/import` reads back.
// docs/spec/memgraph.md §6.9
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

/// An event. The request field is `content`; the stored and returned one is
/// `content_payload`, the only name a client of the real service is seen reading.
// docs/spec/memgraph.md §6.3
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Event {
    pub id: String,
    /// Rewritten to the importing tenant, so an import need not carry it.
    #[serde(default)]
    pub tenant_id: String,
    pub user_id: String,
    pub agent_id: Option<String>,
    pub thread_id: Option<String>,
    pub event_type: String,
    pub content_payload: Value,
    pub episode_id: Option<String>,
    pub timestamp: String,
}

impl db::FromRow for Event {
    fn from_row(row: &impl db::Columns) -> rusqlite::Result<Self> {
        Ok(Event {
            id: row.column("id")?,
            tenant_id: row.column("tenant_id")?,
            user_id: row.column("user_id")?,
            agent_id: row.column("agent_id")?,
            thread_id: row.column("thread_id")?,
            event_type: row.column("event_type")?,
            content_payload: row.column::<db::Json<_>>("content_payload")?.0,
            episode_id: row.column("episode_id")?,
            timestamp: row.column("timestamp")?,
        })
    }
}

/// An episode: derived from events, never written by clients.
// docs/spec/memgraph.md §6.4
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Episode {
    pub id: String,
    #[serde(default)]
    pub tenant_id: String,
    pub user_id: String,
    pub agent_id: Option<String>,
    pub thread_id: Option<String>,
    pub summary: Option<String>,
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

impl db::FromRow for Episode {
    fn from_row(row: &impl db::Columns) -> rusqlite::Result<Self> {
        Ok(Episode {
            id: row.column("id")?,
            tenant_id: row.column("tenant_id")?,
            user_id: row.column("user_id")?,
            agent_id: row.column("agent_id")?,
            thread_id: row.column("thread_id")?,
            summary: row.column("summary")?,
            tags: row.column::<db::Json<_>>("tags")?.0,
            outcome: row.column("outcome")?,
            event_count: row.column("event_count")?,
            start_time: row.column("start_time")?,
            end_time: row.column("end_time")?,
            consolidation_status: row.column("consolidation_status")?,
            created_at: row.column("created_at")?,
        })
    }
}

/// `GET /v1/episodes/{id}`: the episode with its events, oldest first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EpisodeDetail {
    #[serde(flatten)]
    pub episode: Episode,
    pub events: Vec<Event>,
}

/// A belief version.
// docs/spec/memgraph.md §6.5
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
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

impl db::FromRow for Belief {
    fn from_row(row: &impl db::Columns) -> rusqlite::Result<Self> {
        Ok(Belief {
            id: row.column("id")?,
            tenant_id: row.column("tenant_id")?,
            subject_id: row.column("subject_id")?,
            key: row.column("key")?,
            value: row.column("value")?,
            confidence: row.column("confidence")?,
            belief_type: row.column("belief_type")?,
            domain: row.column("domain")?,
            epistemic_status: row.column("epistemic_status")?,
            is_active: row.column("is_active")?,
            version: row.column("version")?,
            source: row.column("source")?,
            supersedes_id: row.column("supersedes_id")?,
            created_at: row.column("created_at")?,
            updated_at: row.column("updated_at")?,
        })
    }
}

/// `POST /v1/ingest`: `event_id` is what the SDK's tests read.
// docs/spec/memgraph.md §6.3
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

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    pub status: &'static str,
    pub database: &'static str,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Imported {
    pub status: &'static str,
    pub imported: ImportCounts,
    pub skipped: ImportCounts,
}

#[derive(Debug, Default, Serialize, ToSchema)]
pub struct ImportCounts {
    pub events: i64,
    pub episodes: i64,
    pub beliefs: i64,
    pub entities: i64,
    pub relationships: i64,
    pub decisions: i64,
    pub contradictions: i64,
    pub mcis_history: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ContextV2 {
    /// Ranked memories.
    #[schema(value_type = Vec<Object>)]
    pub memories: Vec<Value>,
    /// The caller's entities named in the query, and those reached from them.
    pub entities: Vec<graph::Reached>,
    pub relationships: Vec<graph::Relationship>,
    /// Decisions whose goals are most like the query, each with its `score`.
    #[schema(value_type = Vec<Object>)]
    pub decisions: Vec<Value>,
    /// With `create_snapshot`.
    pub snapshot: Option<graph::ContextSnapshot>,
    #[schema(value_type = Object)]
    pub debug: Value,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ContextV1 {
    /// One system message listing the memories.
    #[schema(value_type = Vec<Object>)]
    pub messages: Vec<Value>,
    #[schema(value_type = Vec<Object>)]
    pub retrieved_items: Vec<Value>,
    #[schema(value_type = Object)]
    pub debug: Value,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IntelligenceHealth {
    pub status: &'static str,
    pub user_id: Option<String>,
    pub total_beliefs: i64,
    pub active_beliefs: i64,
    pub inactive_beliefs: i64,
    pub total_episodes: i64,
    pub total_events: i64,
    pub contradictions: i64,
}

// ---- request bodies ------------------------------------------------------------------------
// Read field by field in this order, as pydantic reads the service's models (`validation.rs`);
// the `#[schema]` bounds and formats are what the request is held to.

#[derive(Deserialize, ToSchema)]
pub struct OnboardRequest {
    #[schema(format = "email")]
    pub email: String,
    pub password: String,
    pub full_name: String,
    pub cluster_name: String,
    pub sector: String,
}

/// OAuth2's password flow form. (A form field is there or not: none is `null`.)
#[derive(Deserialize, ToSchema)]
#[allow(dead_code)] // OAuth2's fields beside the credentials are checked, then ignored
pub struct LoginForm {
    /// The account's email. (An empty form field is no field, to FastAPI.)
    #[schema(min_length = 1)]
    pub username: String,
    #[schema(min_length = 1)]
    pub password: String,
    #[schema(pattern = "^password$", nullable = false)]
    pub grant_type: Option<String>,
    #[schema(nullable = false)]
    pub scope: Option<String>,
    #[schema(nullable = false)]
    pub client_id: Option<String>,
    #[schema(nullable = false)]
    pub client_secret: Option<String>,
}

#[derive(Deserialize, ToSchema)]
pub struct CreateApiKey {
    pub name: String,
}

#[derive(Deserialize, ToSchema)]
pub struct CreateUser {
    #[schema(format = "email")]
    pub email: String,
    pub password: String,
    pub full_name: Option<String>,
    /// `viewer` when left out.
    pub role: Option<Role>,
}

#[derive(Deserialize, ToSchema)]
pub struct UpdateUser {
    pub role: Option<Role>,
    pub full_name: Option<String>,
    pub is_active: Option<bool>,
    pub password: Option<String>,
}

#[derive(Deserialize, ToSchema)]
pub struct UpdateTenant {
    pub name: Option<String>,
    pub sector: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub settings: Option<Map<String, Value>>,
}

/// The export format there is: an import of another version is a 400 (the handler says so).
fn export_version() -> utoipa::openapi::schema::Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::Integer)
        .enum_values(Some([1]))
        .description(Some("Must be 1."))
        .build()
}

/// An export document (`GET /v1/admin/export`); only `version` is required.
#[derive(Deserialize, ToSchema)]
pub struct ImportRequest {
    #[schema(schema_with = export_version)]
    pub version: i64,
    #[schema(value_type = Option<Vec<Event>>)]
    pub events: Option<Records<Event>>,
    #[schema(value_type = Option<Vec<Episode>>)]
    pub episodes: Option<Records<Episode>>,
    #[schema(value_type = Option<Vec<Belief>>)]
    pub beliefs: Option<Records<Belief>>,
    #[schema(value_type = Option<Vec<graph::Entity>>)]
    pub entities: Option<Records<graph::Entity>>,
    #[schema(value_type = Option<Vec<graph::Relationship>>)]
    pub relationships: Option<Records<graph::Relationship>>,
    #[schema(value_type = Option<Vec<decisions::Decision>>)]
    pub decisions: Option<Records<decisions::Decision>>,
    #[schema(value_type = Option<Vec<decisions::ContradictionRecord>>)]
    pub contradictions: Option<Records<decisions::ContradictionRecord>>,
    #[schema(value_type = Option<Vec<intelligence::McisSnapshot>>)]
    pub mcis_history: Option<Records<intelligence::McisSnapshot>>,
}

#[derive(Deserialize, ToSchema)]
pub struct CreateEvent {
    pub user_id: String,
    pub event_type: String,
    #[schema(value_type = Object)]
    pub content: Map<String, Value>,
    pub agent_id: Option<String>,
    pub thread_id: Option<String>,
    /// Accepted and ignored: the tenant is the caller's.
    #[allow(dead_code)]
    pub tenant_id: Option<String>,
}

/// Text, a file, or both (a 400 without either). (A form field is there or not: none is
/// `null`.)
#[derive(Deserialize, ToSchema)]
pub struct IngestForm {
    pub user_id: String,
    #[schema(nullable = false)]
    pub text: Option<String>,
    /// A file part of a multipart body.
    #[schema(value_type = Option<String>, format = Binary, nullable = false)]
    pub file: Option<Upload>,
    #[schema(nullable = false)]
    pub agent_id: Option<String>,
    #[schema(nullable = false)]
    pub thread_id: Option<String>,
    /// Accepted and ignored: the tenant is the caller's.
    #[allow(dead_code)]
    #[schema(nullable = false)]
    pub tenant_id: Option<String>,
}

#[derive(Deserialize, ToSchema)]
pub struct CreateBelief {
    pub subject_id: String,
    pub key: String,
    pub value: String,
    /// 0..=1, 0.9 when left out.
    #[schema(minimum = 0.0, maximum = 1.0)]
    pub confidence: Option<f64>,
    /// `belief` when left out.
    pub belief_type: Option<BeliefType>,
    /// `general` when left out.
    pub domain: Option<String>,
    #[allow(dead_code)] // accepted and ignored: the tenant is the caller's
    pub tenant_id: Option<String>,
}

/// What a belief written without them is (docs/spec/memgraph.md §6.5): the API's and the
/// fixtures' default.
pub const DEFAULT_CONFIDENCE: f64 = 0.9;
pub const DEFAULT_BELIEF_TYPE: BeliefType = BeliefType::Belief;
pub const DEFAULT_DOMAIN: &str = "general";

// docs/spec/memgraph.md §3.3
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum BeliefType {
    Fact,
    Belief,
    Preference,
    Tenet,
}

impl BeliefType {
    pub const ALL: [BeliefType; 4] = [
        BeliefType::Fact,
        BeliefType::Belief,
        BeliefType::Preference,
        BeliefType::Tenet,
    ];

    pub fn parse(name: &str) -> Option<BeliefType> {
        BeliefType::ALL.into_iter().find(|t| t.as_str() == name)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            BeliefType::Fact => "fact",
            BeliefType::Belief => "belief",
            BeliefType::Preference => "preference",
            BeliefType::Tenet => "tenet",
        }
    }
}

#[derive(Deserialize, ToSchema)]
pub struct CreateBeliefs {
    /// At most 100, created all or none.
    #[schema(max_items = 100)]
    pub beliefs: Vec<CreateBelief>,
    #[allow(dead_code)] // accepted and ignored: the tenant is the caller's
    pub tenant_id: Option<String>,
}

#[derive(Deserialize, ToSchema)]
pub struct UpdateBelief {
    pub value: Option<String>,
    #[schema(minimum = 0.0, maximum = 1.0)]
    pub confidence: Option<f64>,
    /// The old clients' name for `confidence`.
    #[schema(minimum = 0.0, maximum = 1.0, deprecated)]
    pub confidence_score: Option<f64>,
    pub domain: Option<String>,
    pub belief_type: Option<BeliefType>,
}

#[derive(Deserialize, ToSchema)]
pub struct ContextRequest {
    /// `/v1/context` also takes it as `task`.
    pub query: String,
    pub user_id: Option<String>,
    #[schema(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    #[allow(dead_code)] // accepted and ignored: memories are the tenant's, not an agent's
    pub agent_id: Option<String>,
    #[allow(dead_code)] // accepted and ignored: the tenant is the caller's
    pub tenant_id: Option<String>,
    // What `/v2/context` reads besides the query (`get_context_graph`'s parameters);
    // `/v1/context` accepts and ignores them.
    /// Similar past decisions (true by default).
    pub include_decisions: Option<bool>,
    /// Entities named in the query and their relationships (true by default).
    pub include_graph: Option<bool>,
    /// Answer with a snapshot of what was retrieved.
    pub create_snapshot: Option<bool>,
    /// How far relationships are followed from the entities found (1 by default).
    #[schema(minimum = 1, maximum = 3, default = 1)]
    pub max_depth: Option<i64>,
}

// ---- query strings ---------------------------------------------------------------------------

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// The parts to export, comma-separated (all by default). Read by the handler, which names
    /// a part it does not know as pydantic names a bad `Literal`.
    #[param(value_type = Option<Vec<ExportPart>>, inline, style = Form, explode = false, min_items = 1)]
    pub include: Option<String>,
}

/// What `?include=` may name: the memory records and the v2 ones (docs/spec/memgraph.md §6.9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum ExportPart {
    Events,
    Episodes,
    Beliefs,
    Entities,
    Relationships,
    Decisions,
    Contradictions,
    McisHistory,
}

impl ExportPart {
    pub const ALL: [ExportPart; 8] = [
        ExportPart::Events,
        ExportPart::Episodes,
        ExportPart::Beliefs,
        ExportPart::Entities,
        ExportPart::Relationships,
        ExportPart::Decisions,
        ExportPart::Contradictions,
        ExportPart::McisHistory,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ExportPart::Events => "events",
            ExportPart::Episodes => "episodes",
            ExportPart::Beliefs => "beliefs",
            ExportPart::Entities => "entities",
            ExportPart::Relationships => "relationships",
            ExportPart::Decisions => "decisions",
            ExportPart::Contradictions => "contradictions",
            ExportPart::McisHistory => "mcis_history",
        }
    }

    pub fn parse(name: &str) -> Option<ExportPart> {
        ExportPart::ALL.into_iter().find(|p| p.as_str() == name)
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// `skip` (default) keeps existing ids, `replace` overwrites them.
    #[param(inline)]
    pub mode: Option<ImportMode>,
}

/// How an import treats ids that exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ImportMode {
    Skip,
    Replace,
}

/// Where an episode is in the dreaming worker's run (docs/spec/memgraph.md §6.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ConsolidationStatus {
    Pending,
    Processing,
    Consolidated,
}

impl ConsolidationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ConsolidationStatus::Pending => "pending",
            ConsolidationStatus::Processing => "processing",
            ConsolidationStatus::Consolidated => "consolidated",
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventQuery {
    pub user_id: Option<String>,
    pub thread_id: Option<String>,
    pub event_type: Option<String>,
    pub episode_id: Option<String>,
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<i64>,
    #[param(minimum = 0, default = 0)]
    pub offset: Option<i64>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EpisodeQuery {
    pub user_id: Option<String>,
    pub thread_id: Option<String>,
    #[param(inline)]
    pub consolidation_status: Option<ConsolidationStatus>,
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<i64>,
    #[param(minimum = 0, default = 0)]
    pub offset: Option<i64>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BeliefQuery {
    /// Also read as `user_id`.
    pub subject_id: Option<String>,
    pub user_id: Option<String>,
    pub domain: Option<String>,
    pub belief_type: Option<String>,
    pub include_inactive: Option<bool>,
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Accepted and ignored: the tenant is the caller's.
    #[allow(dead_code)]
    pub tenant_id: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BulkDeleteQuery {
    pub subject_id: String,
    pub domain: Option<String>,
    /// Deactivate instead of deleting.
    pub soft: Option<bool>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    #[param(default = true)]
    pub include_inactive: Option<bool>,
    /// The versions as they stood at that time (ISO 8601).
    #[param(format = DateTime)]
    pub as_of: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TimelineQuery {
    pub domain: Option<String>,
    #[param(format = DateTime)]
    pub since: Option<String>,
    #[param(minimum = 1, maximum = 1000, default = 50)]
    pub limit: Option<i64>,
}

/// An optional end user (subject) to narrow a report to.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    pub user_id: Option<String>,
}

// ---- v2: knowledge graph, decisions, sidecar, intelligence -------------------------------------

pub mod decisions;
pub mod graph;
pub mod intelligence;
pub mod sidecar;
