//! Memgraph's OpenAPI document (`/_offcloud/openapi/memgraph.json`): the operations are the
//! `#[utoipa::path]` annotations on the handlers; this file lists them and holds the request
//! bodies and query strings the handlers read field by field (to answer pydantic's 422s), written
//! out as types so the document can show them.

// The request and response types below exist to be described, never built or read.
#![allow(dead_code)]

use serde_json::{Map, Value};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoParams, IntoResponses, Modify, OpenApi, ToSchema};

use super::model;
use super::routes;

#[derive(OpenApi)]
#[openapi(
    paths(
        routes::health,
        routes::metrics,
        routes::onboard,
        routes::login,
        routes::me,
        routes::whoami,
        routes::list_api_keys,
        routes::create_api_key,
        routes::revoke_api_key,
        routes::list_users,
        routes::create_user,
        routes::get_user,
        routes::update_user,
        routes::delete_user,
        routes::get_tenant,
        routes::update_tenant,
        routes::stats,
        routes::export,
        routes::import,
        routes::list_events,
        routes::create_event,
        routes::get_event,
        routes::delete_event,
        routes::ingest,
        routes::list_episodes,
        routes::get_episode,
        routes::dreaming_health,
        routes::list_beliefs,
        routes::create_belief,
        routes::delete_beliefs,
        routes::create_beliefs,
        routes::get_belief,
        routes::update_belief,
        routes::delete_belief,
        routes::belief_history,
        routes::belief_timeline,
        routes::context_v2,
        routes::context_v1,
        routes::intelligence_health,
        routes::contradictions,
        routes::evaluate,
        routes::mcis,
        routes::mcis_history,
        routes::benchmark_run,
        routes::benchmark_scenarios,
        routes::analytics,
        routes::sidecar_pre_flight,
        routes::sidecar_post_flight,
        routes::sidecar_process,
        routes::create_entity,
        routes::list_entities,
        routes::get_entity,
        routes::search_entities,
        routes::delete_entity,
        routes::create_relationship,
        routes::list_relationships,
        routes::traverse_graph,
        routes::record_decision,
        routes::list_decisions,
        routes::get_decision,
        routes::delete_decision,
        routes::explain_decision,
        routes::record_outcome,
        routes::list_contradictions,
        routes::resolve_contradiction,
    ),
    components(schemas(
        HttpError,
        HttpValidationError,
        ValidationError,
        ImportMode,
        ConsolidationStatus
    )),
    modifiers(&Security),
    tags(
        (name = "public", description = "No credentials"),
        (name = "auth", description = "Onboarding, login and the caller's identity"),
        (name = "admin", description = "API keys, users, tenant, export and import"),
        (name = "memory", description = "Events, episodes, beliefs and context"),
        (name = "graph", description = "Entities, relationships and traversal (v2)"),
        (name = "decisions", description = "Decisions, outcomes and contradictions (v2)"),
        (name = "sidecar", description = "Recall before an LLM call, learning after it"),
        (name = "intelligence", description = "Memory scores, benchmarks and analytics"),
    )
)]
struct ApiDoc;

/// The document, with its `info`; the control API adds the `servers`.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.info = crate::apidocs::info(
        "Memgraph",
        "The Memgraph AI-memory platform's REST API (api.memgraph.ai), a FastAPI service.",
    );
    crate::apidocs::unique_operation_ids(&mut doc);
    doc
}

struct Security;

impl Modify for Security {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some("A dashboard user's token from `POST /v1/auth/login`"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-API-Key",
                "An API key (`mg_live_...`)",
            ))),
        );
    }
}

// ---- errors --------------------------------------------------------------------------------

/// FastAPI's error body.
#[derive(ToSchema)]
#[schema(as = HTTPError)]
pub struct HttpError {
    pub detail: String,
}

/// A 422: one pydantic error per problem.
#[derive(ToSchema)]
#[schema(as = HTTPValidationError)]
pub struct HttpValidationError {
    pub detail: Vec<ValidationError>,
}

/// One pydantic validation error.
#[derive(ToSchema)]
pub struct ValidationError {
    /// `missing`, `string_type`, `literal_error`...
    #[schema(rename = "type")]
    pub kind: String,
    /// Where: `["body", "email"]`, `["query", "limit"]`.
    #[schema(value_type = Vec<Value>)]
    pub loc: Vec<Value>,
    pub msg: String,
    #[schema(value_type = Value)]
    pub input: Value,
    #[schema(value_type = Option<Object>)]
    pub ctx: Option<Map<String, Value>>,
}

/// The errors of a route that needs credentials.
#[derive(IntoResponses)]
pub enum Authed {
    /// Not authenticated, or the credentials are invalid or expired
    #[response(status = 401)]
    Unauthorized(HttpError),
    /// The caller's role is too low
    #[response(status = 403)]
    Forbidden(HttpError),
    /// A query, path or body field is invalid
    #[response(status = 422)]
    Invalid(HttpValidationError),
    /// Too many requests for this API key (`--memgraph-rate-limit`)
    #[response(status = 429)]
    RateLimited(HttpError),
}

// ---- request bodies ------------------------------------------------------------------------

#[derive(ToSchema)]
pub struct OnboardRequest {
    #[schema(format = "email")]
    pub email: String,
    pub password: String,
    pub full_name: String,
    pub cluster_name: String,
    pub sector: String,
}

/// OAuth2's password flow form.
#[derive(ToSchema)]
pub struct LoginForm {
    /// The account's email.
    pub username: String,
    pub password: String,
    #[schema(pattern = "^password$")]
    pub grant_type: Option<String>,
    pub scope: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
}

#[derive(ToSchema)]
pub struct CreateApiKey {
    pub name: String,
}

#[derive(ToSchema)]
pub struct CreateUser {
    #[schema(format = "email")]
    pub email: String,
    pub password: String,
    pub full_name: Option<String>,
    /// `viewer` when left out.
    pub role: Option<model::Role>,
}

#[derive(ToSchema)]
pub struct UpdateUser {
    pub role: Option<model::Role>,
    pub full_name: Option<String>,
    pub is_active: Option<bool>,
    pub password: Option<String>,
}

#[derive(ToSchema)]
pub struct UpdateTenant {
    pub name: Option<String>,
    pub sector: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub settings: Option<Map<String, Value>>,
}

/// An export document (`GET /v1/admin/export`); only `version` is required.
#[derive(ToSchema)]
pub struct ImportRequest {
    /// Must be 1.
    pub version: i64,
    pub events: Option<Vec<model::Event>>,
    pub episodes: Option<Vec<model::Episode>>,
    pub beliefs: Option<Vec<model::Belief>>,
    pub entities: Option<Vec<model::graph::Entity>>,
    pub relationships: Option<Vec<model::graph::Relationship>>,
    pub decisions: Option<Vec<model::decisions::Decision>>,
    pub contradictions: Option<Vec<model::decisions::ContradictionRecord>>,
    pub mcis_history: Option<Vec<model::intelligence::McisSnapshot>>,
}

#[derive(ToSchema)]
pub struct CreateEvent {
    pub user_id: String,
    pub event_type: String,
    #[schema(value_type = Object)]
    pub content: Map<String, Value>,
    pub agent_id: Option<String>,
    pub thread_id: Option<String>,
    /// Accepted and ignored: the tenant is the caller's.
    pub tenant_id: Option<String>,
}

/// Text, a file, or both.
#[derive(ToSchema)]
pub struct IngestForm {
    pub user_id: String,
    pub text: Option<String>,
    #[schema(value_type = Option<String>, format = Binary)]
    pub file: Option<Vec<u8>>,
    pub agent_id: Option<String>,
    pub thread_id: Option<String>,
    /// Accepted and ignored: the tenant is the caller's.
    pub tenant_id: Option<String>,
}

#[derive(ToSchema)]
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
    pub tenant_id: Option<String>,
}

#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum BeliefType {
    Fact,
    Belief,
    Preference,
    Tenet,
}

#[derive(ToSchema)]
pub struct CreateBeliefs {
    /// At most 100, created all or none.
    #[schema(max_items = 100)]
    pub beliefs: Vec<CreateBelief>,
    pub tenant_id: Option<String>,
}

#[derive(ToSchema)]
pub struct UpdateBelief {
    pub value: Option<String>,
    #[schema(minimum = 0.0, maximum = 1.0)]
    pub confidence: Option<f64>,
    pub domain: Option<String>,
    pub belief_type: Option<BeliefType>,
}

#[derive(ToSchema)]
pub struct ContextRequest {
    /// `/v1/context` also takes it as `task`.
    pub query: String,
    pub user_id: Option<String>,
    #[schema(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    pub agent_id: Option<String>,
    pub tenant_id: Option<String>,
    /// `/v2/context` also reads these.
    #[serde(flatten)]
    pub graph: model::graph::ContextGraphOptions,
}

// ---- query strings -------------------------------------------------------------------------

#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// Comma-separated: `events`, `episodes`, `beliefs` (all by default).
    #[param(pattern = "^(events|episodes|beliefs)(,(events|episodes|beliefs))*$")]
    pub include: Option<String>,
}

/// How an import treats ids that exist.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum ImportMode {
    Skip,
    Replace,
}

/// Where an episode is in the dreaming worker's run.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum ConsolidationStatus {
    Pending,
    Processing,
    Consolidated,
}

#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// `skip` (default) keeps existing ids, `replace` overwrites them.
    #[param(value_type = Option<ImportMode>)]
    pub mode: Option<String>,
}

#[derive(IntoParams)]
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

#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EpisodeQuery {
    pub user_id: Option<String>,
    pub thread_id: Option<String>,
    #[param(value_type = Option<ConsolidationStatus>)]
    pub consolidation_status: Option<String>,
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<i64>,
    #[param(minimum = 0, default = 0)]
    pub offset: Option<i64>,
}

#[derive(IntoParams)]
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
    pub tenant_id: Option<String>,
}

#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BulkDeleteQuery {
    pub subject_id: String,
    pub domain: Option<String>,
    /// Deactivate instead of deleting.
    pub soft: Option<bool>,
}

#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    #[param(default = true)]
    pub include_inactive: Option<bool>,
    /// The versions as they stood at that time (ISO 8601).
    #[param(format = DateTime)]
    pub as_of: Option<String>,
}

#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TimelineQuery {
    pub domain: Option<String>,
    #[param(format = DateTime)]
    pub since: Option<String>,
    #[param(minimum = 1, maximum = 1000, default = 50)]
    pub limit: Option<i64>,
}

#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    pub user_id: Option<String>,
}

// ---- responses the handlers build as JSON values -------------------------------------------

#[derive(ToSchema)]
pub struct Health {
    pub status: String,
    pub database: String,
}

#[derive(ToSchema)]
pub struct Imported {
    pub status: String,
    pub imported: ImportCounts,
    pub skipped: ImportCounts,
}

#[derive(ToSchema)]
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

#[derive(ToSchema)]
pub struct ContextV2 {
    /// Ranked memories.
    #[schema(value_type = Vec<Object>)]
    pub memories: Vec<Value>,
    #[schema(value_type = Vec<Object>)]
    pub entities: Vec<Value>,
    #[schema(value_type = Vec<Object>)]
    pub relationships: Vec<Value>,
    #[schema(value_type = Vec<Object>)]
    pub decisions: Vec<Value>,
    #[schema(value_type = Option<Object>)]
    pub snapshot: Option<Value>,
    #[schema(value_type = Object)]
    pub debug: Value,
}

#[derive(ToSchema)]
pub struct ContextV1 {
    /// One system message listing the memories.
    #[schema(value_type = Vec<Object>)]
    pub messages: Vec<Value>,
    #[schema(value_type = Vec<Object>)]
    pub retrieved_items: Vec<Value>,
    #[schema(value_type = Object)]
    pub debug: Value,
}

#[derive(ToSchema)]
pub struct IntelligenceHealth {
    pub status: String,
    pub user_id: Option<String>,
    pub total_beliefs: i64,
    pub active_beliefs: i64,
    pub inactive_beliefs: i64,
    pub total_episodes: i64,
    pub total_events: i64,
    pub contradictions: i64,
}

#[derive(ToSchema)]
pub struct Contradictions {
    pub contradictions: Vec<Contradiction>,
    pub count: i64,
}

#[derive(ToSchema)]
pub struct Contradiction {
    pub subject_id: String,
    pub key: String,
    pub beliefs: Vec<model::Belief>,
}
