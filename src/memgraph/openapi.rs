//! Memgraph's OpenAPI document (`/_offcloud/openapi/memgraph.json`): the operations are the
//! `#[utoipa::path]` annotations on the handlers, and the bodies, query strings and responses the
//! types the handlers read and write (`model.rs`, `error.rs`); this file lists them.

use utoipa::openapi::path::Operation;
use utoipa::openapi::schema::{ArrayItems, KnownFormat, Schema, SchemaFormat};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
use utoipa::{IntoResponses, Modify, OpenApi, ToSchema};

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
    modifiers(&Security, &DateTimes, &UnparsableBodies),
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

/// The text a date-time field is read from (`validation.rs`, pydantic's `datetime`): a date and a
/// time with an optional fraction and offset, or a date alone. The document states it as this
/// pattern instead of `format: date-time`, which would leave out the date alone.
pub const DATE_TIME_PATTERN: &str = "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])\
     (T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]+)?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?)?$";

struct DateTimes;

impl Modify for DateTimes {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        fn visit(schema: &mut RefOr<Schema>) {
            match schema {
                RefOr::T(Schema::Object(o)) => {
                    if o.format == Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)) {
                        o.format = None;
                        o.pattern = Some(DATE_TIME_PATTERN.to_owned());
                    }
                    o.properties.values_mut().for_each(visit);
                }
                RefOr::T(Schema::Array(a)) => {
                    if let ArrayItems::RefOrSchema(items) = &mut a.items {
                        visit(items);
                    }
                }
                RefOr::T(Schema::OneOf(o)) => o.items.iter_mut().for_each(visit),
                RefOr::T(Schema::AllOf(o)) => o.items.iter_mut().for_each(visit),
                RefOr::T(Schema::AnyOf(o)) => o.items.iter_mut().for_each(visit),
                _ => {}
            }
        }
        if let Some(components) = &mut doc.components {
            components.schemas.values_mut().for_each(visit);
        }
        for op in operations(doc) {
            for param in op.parameters.iter_mut().flatten() {
                param.schema.iter_mut().for_each(visit);
            }
            for content in op
                .request_body
                .iter_mut()
                .flat_map(|b| b.content.values_mut())
            {
                content.schema.iter_mut().for_each(visit);
            }
        }
    }
}

/// FastAPI's 400 for a JSON body that is not UTF-8 or nests deeper than Python's parser goes
/// (`validation::JsonBody`), on every operation that reads one; beside an operation's own 400.
struct UnparsableBodies;

impl Modify for UnparsableBodies {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        const WHY: &str = "The body is not UTF-8, or nests too deep to parse";
        for op in operations(doc) {
            let reads_json = op
                .request_body
                .as_ref()
                .is_some_and(|b| b.content.contains_key("application/json"));
            if !reads_json {
                continue;
            }
            match op.responses.responses.get_mut("400") {
                Some(RefOr::T(own)) => own.description = format!("{}; or: {WHY}", own.description),
                _ => {
                    let response = ResponseBuilder::new()
                        .description(WHY)
                        .content(
                            "application/json",
                            ContentBuilder::new()
                                .schema(Some(Ref::from_schema_name(HttpError::name())))
                                .build(),
                        )
                        .build();
                    op.responses
                        .responses
                        .insert("400".to_owned(), RefOr::T(response));
                }
            }
        }
    }
}

fn operations(doc: &mut utoipa::openapi::OpenApi) -> impl Iterator<Item = &mut Operation> {
    doc.paths.paths.values_mut().flat_map(|item| {
        [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.options,
            &mut item.head,
            &mut item.patch,
            &mut item.trace,
        ]
        .into_iter()
        .flatten()
    })
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
