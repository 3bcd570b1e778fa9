//! The OpenAPI document of Dgraph Cloud's REST routes (`/_offcloud/openapi/dgraph.json`): the
//! Cerebro origin's `/graphql` and the routes the slash-graphql CLI calls beside it. The
//! operations are the `#[utoipa::path]` annotations on the handlers in `routes/cerebro.rs` and
//! `routes/cli.rs`, and the schemas of the bodies they read and answer are those types' own
//! (`model.rs`). Only what no type of ours is written here: the error bodies (`error.rs` writes
//! them) and GraphQL's request and response (async-graphql's types). Each deployment's data plane
//! (`/admin`, `/graphql`, `/query`...) is not part of it.

use serde_json::{Map, Value};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoResponses, Modify, OpenApi, ToSchema};

use super::routes::{cerebro, cli};

#[derive(OpenApi)]
#[openapi(
    paths(
        cerebro::graphql,
        cli::device_code,
        cli::access_token,
        cli::refresh,
        cli::revoke,
        cli::revoke_all,
        cli::create_deployment,
        cli::update_deployment,
        cli::delete_deployment,
        cli::create_api_key,
    ),
    components(schemas(RestError)),
    modifiers(&Security),
    tags(
        (name = "graphql", description = "Cerebro's GraphQL API (see /_offcloud/schema/dgraph.graphql)"),
        (name = "cli-auth", description = "The slash-graphql CLI's device login and tokens"),
        (name = "deployments", description = "Backends, as the CLI manages them"),
    )
)]
struct ApiDoc;

/// The document, with its `info`; the control API adds the `servers`.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.info = crate::apidocs::info(
        "Dgraph Cloud",
        "Dgraph Cloud's control plane (Cerebro): its GraphQL endpoint and the REST routes of the \
         slash-graphql CLI.",
    );
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
                    .description(Some(
                        "A Cerebro token: the `login` mutation's, or the CLI's `access_token`",
                    ))
                    .build(),
            ),
        );
    }
}

/// The REST routes' error body (emulator choice: the real bodies are not documented).
#[derive(ToSchema)]
#[allow(dead_code)] // described, never built: `error.rs` writes this body
pub struct RestError {
    pub error: String,
}

/// The errors of a route that needs a Cerebro token.
#[derive(IntoResponses)]
#[allow(dead_code)] // described, never built
pub enum Signed {
    /// The body is not a JSON object, or a field is invalid
    #[response(status = 400)]
    BadRequest(RestError),
    /// No or an unknown bearer token
    #[response(status = 401)]
    Unauthorized(RestError),
}

/// The errors of a route about one deployment.
#[derive(IntoResponses)]
#[allow(dead_code)] // described, never built
pub enum OneDeployment {
    /// No such deployment of the caller's, or no such organization
    #[response(status = 404)]
    NotFound(RestError),
}

/// The refusals of a deployment mode the backend's tier does not offer.
#[derive(IntoResponses)]
#[allow(dead_code)] // described, never built
pub enum ModeOfTier {
    /// "deploymentMode … is only available on dedicated backends"
    #[response(status = 403)]
    Forbidden(RestError),
}

/// The errors of a route that names an organization.
#[derive(IntoResponses)]
#[allow(dead_code)] // described, never built
pub enum OrganizationNamed {
    /// "organization … not found": no such organization of the caller's
    #[response(status = 404)]
    NotFound(RestError),
}

/// A GraphQL request, as JSON; `application/graphql` bodies hold the query alone.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)] // described, never built: `graphql.rs` reads async-graphql's own request
pub struct GraphqlRequest {
    pub query: String,
    #[schema(value_type = Option<Object>)]
    pub variables: Option<Map<String, Value>>,
    pub operation_name: Option<String>,
}

#[derive(ToSchema)]
#[allow(dead_code)] // described, never built: async-graphql writes its own response
pub struct GraphqlResponse {
    #[schema(value_type = Option<Object>)]
    pub data: Option<Value>,
    #[schema(value_type = Option<Vec<Object>>)]
    pub errors: Option<Vec<Value>>,
}
