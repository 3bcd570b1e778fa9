//! TypeDB Cloud's OpenAPI document (`/_offcloud/openapi/typedb.json`): the operations are the
//! `#[utoipa::path]` annotations on the handlers, written for the canonical
//! `/api/v1/team/{team}/spaces/{space}` paths; the aliases the router also serves (`/api`, the
//! org/projects era) are added here from the same tables, marked deprecated.

// The response types below exist to be described, never built or read; the requests are
// `model.rs`'s, read and described from the same types.
#![allow(dead_code)]

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{OpenApi as Document, PathItem};
use utoipa::{IntoParams, IntoResponses, Modify, OpenApi, ToSchema};

use super::{BASES, SCOPES, routes};

#[derive(OpenApi)]
#[openapi(
    paths(
        routes::exchange_token,
        routes::cluster_versions,
        routes::list_clusters,
        routes::deploy,
        routes::get_cluster,
        routes::update_cluster,
        routes::destroy_cluster,
        routes::suspend_cluster,
        routes::resume_cluster,
        routes::clone_cluster,
    ),
    components(schemas(Error)),
    modifiers(&Security),
    tags(
        (name = "auth", description = "Exchanging an API token's client credentials for an access token"),
        (name = "clusters", description = "The clusters of the space the access token is scoped to"),
    )
)]
struct ApiDoc;

/// The canonical base and scope the handlers are annotated with.
const CANONICAL_BASE: &str = "/api/v1";
const CANONICAL_SCOPE: &str = "/team/{team}/spaces/{space}";

/// The document, with its `info` and the alias paths; the control API adds the `servers`.
pub fn document() -> Document {
    let mut doc = ApiDoc::openapi();
    doc.info = crate::apidocs::info(
        "TypeDB Cloud",
        "TypeDB Cloud's administration API (cloud.typedb.com/api/v1).",
    );
    // "Give at least one of ..." (`validation::update`). utoipa's `#[schema(min_properties)]`
    // writes `maxProperties` (utoipa-gen 5.5), so it is set here.
    if let Some(components) = doc.components.as_mut()
        && let Some(utoipa::openapi::RefOr::T(utoipa::openapi::schema::Schema::Object(update))) =
            components.schemas.get_mut("UpdateRequest")
    {
        update.min_properties = Some(1);
    }
    let canonical: Vec<(String, PathItem)> = doc
        .paths
        .paths
        .iter()
        .map(|(path, item)| (path.clone(), item.clone()))
        .collect();
    for (path, item) in canonical {
        let Some(rest) = path.strip_prefix(CANONICAL_BASE) else {
            continue;
        };
        for (b, base) in BASES.iter().enumerate() {
            for (s, scope) in SCOPES.iter().enumerate() {
                let alias = format!("{base}{}", rest.replacen(CANONICAL_SCOPE, scope, 1));
                if alias == path || doc.paths.paths.contains_key(&alias) {
                    continue;
                }
                let suffix = format!(
                    "{}{}",
                    if b > 0 { "_api" } else { "" },
                    if s > 0 { "_org" } else { "" }
                );
                doc.paths.paths.insert(alias, deprecated(&item, &suffix));
            }
        }
    }
    doc
}

/// An alias of a canonical path: the same operations, deprecated, with their own ids.
fn deprecated(item: &PathItem, suffix: &str) -> PathItem {
    let mut item = item.clone();
    for operation in [
        &mut item.get,
        &mut item.post,
        &mut item.patch,
        &mut item.delete,
        &mut item.put,
    ]
    .into_iter()
    .flatten()
    {
        operation.deprecated = Some(utoipa::openapi::Deprecated::True);
        operation.operation_id = operation
            .operation_id
            .take()
            .map(|id| format!("{id}{suffix}"));
    }
    item
}

struct Security;

impl Modify for Security {
    fn modify(&self, doc: &mut Document) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "basic",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Basic)
                    .description(Some(
                        "An API token's `CLIENT_ID:CLIENT_SECRET`, base64-encoded or raw as the docs write it",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some("An access token from `POST /api/v1/auth`"))
                    .build(),
            ),
        );
    }
}

/// TypeDB Cloud's error body, on every 4xx and 5xx.
#[derive(ToSchema)]
pub struct Error {
    /// `INVALID_ARGUMENT`, `NOT_FOUND`, `PERMISSION_DENIED`, `INVALID_TOKEN`...
    pub code: String,
    pub message: String,
}

/// The errors of a route that needs an access token.
#[derive(IntoResponses)]
pub enum Authed {
    /// A missing or malformed `Authorization` header, an invalid argument (`INVALID_ARGUMENT`), or
    /// an action the cluster's status does not allow (`FAILED_PRECONDITION`)
    #[response(status = 400)]
    BadRequest(Error),
    /// The token is invalid or expired
    #[response(status = 401)]
    Unauthorized(Error),
    /// The token lacks the access level, or is scoped to another team or space
    #[response(status = 403)]
    Forbidden(Error),
}

/// The errors of a route about one cluster.
#[derive(IntoResponses)]
pub enum OneCluster {
    /// No such cluster in the space
    #[response(status = 404)]
    NotFound(Error),
}

#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct ClusterVersions {
    pub available_versions: Vec<String>,
}

/// The path parameters of a space's routes.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)] // Read by utoipa only: the handlers take the path through their extractor.
pub struct SpacePath {
    /// The team id
    team: String,
    /// The space id
    space: String,
}

/// The path parameters of one cluster's routes.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)] // Read by utoipa only: the handlers take the path through their extractor.
pub struct ClusterPath {
    /// The team id
    team: String,
    /// The space id
    space: String,
    /// The cluster id
    cluster: String,
}
