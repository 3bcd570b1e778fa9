//! The OpenAPI document of Dgraph Cloud's REST routes (`/_offcloud/openapi/dgraph.json`): the
//! Cerebro origin's `/graphql` and the routes the slash-graphql CLI calls beside it. The
//! operations are the `#[utoipa::path]` annotations on the handlers in `routes/cerebro.rs` and
//! `routes/cli.rs`; the bodies they read field by field are written out here as types so the
//! document can show them. Each deployment's data plane (`/admin`, `/graphql`, `/query`...) is not
//! part of it.

// The request and response types below exist to be described, never built or read.
#![allow(dead_code)]

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
pub struct RestError {
    pub error: String,
}

/// The errors of a route that needs a Cerebro token.
#[derive(IntoResponses)]
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
pub enum OneDeployment {
    /// No such deployment of the caller's, or no such organization
    #[response(status = 404)]
    NotFound(RestError),
}

/// The refusals of a deployment mode the backend's tier does not offer.
#[derive(IntoResponses)]
pub enum ModeOfTier {
    /// "deploymentMode … is only available on dedicated backends"
    #[response(status = 403)]
    Forbidden(RestError),
}

/// The errors of a route that names an organization.
#[derive(IntoResponses)]
pub enum OrganizationNamed {
    /// "organization … not found": no such organization of the caller's
    #[response(status = 404)]
    NotFound(RestError),
}

/// A GraphQL request, as JSON; `application/graphql` bodies hold the query alone.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct GraphqlRequest {
    pub query: String,
    #[schema(value_type = Option<Object>)]
    pub variables: Option<Map<String, Value>>,
    pub operation_name: Option<String>,
}

#[derive(ToSchema)]
pub struct GraphqlResponse {
    #[schema(value_type = Option<Object>)]
    pub data: Option<Value>,
    #[schema(value_type = Option<Vec<Object>>)]
    pub errors: Option<Vec<Value>>,
}

#[derive(ToSchema)]
pub struct DeviceCode {
    pub device_code: String,
    pub user_code: String,
    pub verification_uri: String,
    pub verification_uri_complete: String,
    pub expires_in: i64,
    pub interval: i64,
}

#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct DeviceCodeExchange {
    pub device_code: String,
}

#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct RefreshToken {
    pub refresh_token: String,
}

#[derive(ToSchema)]
pub struct Tokens {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: i64,
    /// `Bearer`.
    pub token_type: String,
    pub scope: String,
    /// When the token was issued, in epoch milliseconds.
    #[schema(rename = "apiTime")]
    pub api_time: i64,
}

#[derive(ToSchema)]
pub struct Revoked {}

/// Any JSON object, not read (the CLI sends `{}`).
#[derive(ToSchema)]
pub struct Ignored {}

#[derive(ToSchema)]
pub struct RevokedAll {
    pub tokens_count: i64,
}

#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct CreateDeployment {
    /// Not blank.
    #[schema(pattern = "\\S")]
    pub name: String,
    /// `us-west-2` when left out or blank.
    #[schema(pattern = "^(\\s*|[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)$")]
    pub zone: Option<String>,
    /// The name, slugified, when left out or empty; taken is a 409.
    #[schema(pattern = "^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)?$")]
    pub subdomain: Option<String>,
    /// `free` when left out.
    pub deployment_type: Option<DeploymentType>,
    /// `graphql` when left out; `readonly` and `flexible` are for dedicated backends only (a 403
    /// for the others).
    pub deployment_mode: Option<DeploymentMode>,
    /// An organization of the caller's; empty for none.
    pub organization_id: Option<String>,
    pub size: Option<Size>,
}

#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum DeploymentType {
    Free,
    Shared,
    Dedicated,
}

#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum DeploymentMode {
    Graphql,
    Readonly,
    Flexible,
}

#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum Size {
    Small,
    Medium,
    Large,
    Xlarge,
}

#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum KeyRole {
    Admin,
    Client,
}

/// Only the fields to change.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct UpdateDeployment {
    /// Not blank.
    #[schema(pattern = "\\S")]
    pub name: Option<String>,
    pub deployment_mode: Option<DeploymentMode>,
    pub organization_id: Option<String>,
    /// The script, base64 (standard alphabet, padded); blank removes it.
    #[schema(
        pattern = "^\\s*(([A-Za-z0-9+/]{4})*([A-Za-z0-9+/][AQgw]==|[A-Za-z0-9+/]{2}[AEIMQUYcgkosw048]=)?)\\s*$"
    )]
    pub lambda_script: Option<String>,
}

#[derive(ToSchema)]
pub struct Message {
    pub response: MessageText,
}

#[derive(ToSchema)]
pub struct MessageText {
    pub message: String,
}

#[derive(ToSchema)]
pub struct CreateApiKey {
    /// `slash-graphql-cli` when left out.
    pub name: Option<String>,
    /// `client` when left out.
    pub role: Option<KeyRole>,
}

/// The key is shown once.
#[derive(ToSchema)]
pub struct ApiKeyCreated {
    pub uid: String,
    pub name: String,
    pub role: String,
    pub key: String,
}
