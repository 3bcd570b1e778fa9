//! TypeDB Cloud's OpenAPI document (`/_offcloud/openapi/typedb.json`): the operations are the
//! `#[utoipa::path]` annotations on the handlers, written for the canonical
//! `/api/v1/team/{team}/spaces/{space}` paths; the aliases the router also serves (`/api`, the
//! org/projects era) are added here from the same tables, marked deprecated.

// The request and response types below exist to be described, never built or read.
#![allow(dead_code)]

use utoipa::openapi::schema::Type;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Object, ObjectBuilder};
use utoipa::openapi::{OpenApi as Document, PathItem};
use utoipa::{IntoParams, IntoResponses, Modify, OpenApi, ToSchema};

use super::model::{MACHINE_TYPES, PROVIDERS, regions, storage_types};
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
    // "Give at least one of ..." (`validation::update`): a rule the derive cannot state.
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

// Optional fields are `required = false` rather than `Option`: the API refuses `null` for each
// (`validation.rs`), so the document must not offer it.

/// The rules that depend on one another are the API's own checks, not the schema's: the region and
/// machine type must be the provider's (and the machine type run in the region), a free cluster
/// has a free machine type, 1 server, at most 10 GB and no backups, and TypeDB 3 runs 1 server.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct DeployRequest {
    /// Lowercase letters and digits, separated by `_` or `-`; unique in the space.
    #[schema(pattern = "^[a-z0-9]+(?:[_-][a-z0-9]+)*$", max_length = 63)]
    pub id: String,
    /// 1, 3, 5, 7 or 9; 1 for TypeDB 3.
    #[schema(schema_with = server_count)]
    pub server_count: i64,
    #[schema(rename = "storageSizeGB", minimum = 10, maximum = 1000)]
    pub storage_size_gb: i64,
    #[schema(schema_with = provider)]
    pub provider: String,
    #[schema(schema_with = region)]
    pub region: String,
    pub is_free: bool,
    #[schema(schema_with = machine_type)]
    pub machine_type: String,
    #[schema(schema_with = storage_type)]
    pub storage_type: String,
    /// A version from `GET /api/v1/cluster-versions`, or `latest`.
    pub version: String,
    #[schema(required = false)]
    pub backup_configuration: BackupSettings,
}

#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct BackupSettings {
    #[schema(required = false, schema_with = backup_frequency)]
    pub frequency: String,
    #[schema(required = false, schema_with = retention_days)]
    pub retention_days: i64,
}

/// At least one field.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct UpdateRequest {
    /// The cluster's new id.
    #[schema(
        required = false,
        pattern = "^[a-z0-9]+(?:[_-][a-z0-9]+)*$",
        max_length = 63
    )]
    pub id: String,
    #[schema(
        rename = "storageSizeGB",
        required = false,
        minimum = 10,
        maximum = 1000
    )]
    pub storage_size_gb: i64,
    /// A machine type of the cluster's provider that runs in its region.
    #[schema(required = false, schema_with = machine_type)]
    pub machine_type: String,
    #[schema(required = false)]
    pub backup_configuration: BackupSettings,
    /// A version from `GET /api/v1/cluster-versions`, or `latest`.
    #[schema(required = false)]
    pub version: String,
}

#[derive(ToSchema)]
pub struct CloneRequest {
    /// The new cluster's id.
    #[schema(pattern = "^[a-z0-9]+(?:[_-][a-z0-9]+)*$", max_length = 63)]
    pub id: String,
}

/// The odd server counts a cluster can have.
fn server_count() -> Object {
    one_of_integers("1, 3, 5, 7 or 9; 1 for TypeDB 3.", [1, 3, 5, 7, 9])
}

fn provider() -> Object {
    one_of_strings("The cloud provider.", PROVIDERS.iter().copied())
}

/// Every region of the catalogue, of either provider.
fn region() -> Object {
    let mut regions: Vec<&str> = PROVIDERS.iter().flat_map(|p| regions(p)).collect();
    regions.dedup();
    one_of_strings("A region of the provider.", regions)
}

/// Every machine type of the catalogue, of either provider.
fn machine_type() -> Object {
    one_of_strings(
        "A machine type of the provider that runs in the region; a free cluster needs a free one.",
        MACHINE_TYPES.iter().map(|m| m.name),
    )
}

fn storage_type() -> Object {
    let mut types: Vec<&str> = PROVIDERS
        .iter()
        .flat_map(|p| storage_types(p))
        .copied()
        .collect();
    types.dedup();
    one_of_strings("A storage type of the provider.", types)
}

fn backup_frequency() -> Object {
    one_of_strings(
        "How often the cluster is backed up; `disabled` for a free cluster.",
        ["disabled", "hourly", "daily"],
    )
}

fn retention_days() -> Object {
    one_of_integers("How many days backups are kept.", [7, 30])
}

fn one_of_strings<'a>(description: &str, values: impl IntoIterator<Item = &'a str>) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
        .enum_values(Some(values))
        .build()
}

fn one_of_integers<const N: usize>(description: &str, values: [i64; N]) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .description(Some(description))
        .enum_values(Some(values))
        .build()
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
