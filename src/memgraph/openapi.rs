//! Memgraph's OpenAPI document (`/_offcloud/openapi/memgraph.json`): the operations are the
//! `#[utoipa::path]` annotations on the handlers, and the bodies, query strings and responses the
//! types the handlers read and write (`model.rs`, `error.rs`); this file lists them.

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoResponses, Modify, OpenApi};

use super::error::{HttpError, HttpValidationError, ValidationError};
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
    components(schemas(HttpError, HttpValidationError, ValidationError)),
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

/// The errors of a route that needs credentials.
#[derive(IntoResponses)]
#[allow(dead_code)] // described, never built: `ApiError` writes these bodies
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
