//! Dgraph Cloud's records and the small formats they use (uids, Go-style log times).

use crate::db;
use rand::Rng;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::auth::jwt;

#[derive(Debug, Clone)]
pub struct Account {
    pub id: String,
    pub email: String,
    pub name: String,
}

impl db::FromRow for Account {
    fn from_row(row: &impl db::Columns) -> rusqlite::Result<Self> {
        Ok(Account {
            id: row.column("id")?,
            email: row.column("email")?,
            name: row.column("name")?,
        })
    }
}

/// A deployment's row. A list reads only the columns it needs, as JSON: the others are empty.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Deployment {
    pub uid: String,
    pub owner: String,
    pub organization_uid: Option<String>,
    pub name: String,
    pub zone: String,
    pub subdomain: String,
    pub port: Option<i64>,
    pub deployment_mode: String,
    pub deployment_type: String,
    pub size: Option<String>,
    pub lambda_script: String,
    pub tenant_id: i64,
    pub gql_schema: Option<String>,
    pub created_at: String,
    pub ready_at: String,
}

impl db::FromRow for Deployment {
    fn from_row(row: &impl db::Columns) -> rusqlite::Result<Self> {
        Ok(Deployment {
            uid: row.column("uid")?,
            owner: row.column("owner")?,
            organization_uid: row.column("organization_uid")?,
            name: row.column("name")?,
            zone: row.column("zone")?,
            subdomain: row.column("subdomain")?,
            port: row.column("port")?,
            deployment_mode: row.column("deployment_mode")?,
            deployment_type: row.column("deployment_type")?,
            size: row.column("size")?,
            lambda_script: row.column("lambda_script")?,
            tenant_id: row.column("tenant_id")?,
            gql_schema: row.column("gql_schema")?,
            created_at: row.column("created_at")?,
            ready_at: row.column("ready_at")?,
        })
    }
}

/// The `port` of a deployment that should get its own port when its `url` is next read (a
/// fixture's): not a port, so it is never bound as one.
pub const PORT_WANTED: i64 = -1;

impl Deployment {
    /// The bare host (no scheme) clients reach the data plane at (docs/spec/dgraph.md §2, §11
    /// choice 20): its own port when it has one, otherwise the real host name, served by Host
    /// header.
    pub fn url(&self, public_host: &str) -> String {
        match self.port {
            Some(port) if port > 0 => format!("{public_host}:{port}"),
            _ => format!("{}.{}.aws.cloud.dgraph.io", self.subdomain, self.zone),
        }
    }

    pub fn is_dedicated(&self) -> bool {
        self.deployment_type == "dedicated"
    }
}

// The description below is published as written, in `/_offcloud/schema/dgraph.graphql` and
// `/_offcloud/openapi/dgraph.json` (docs/spec/dgraph.md §4.4).
/// A deployment as Cerebro lists it (docs/spec/dgraph.md §4.4).
#[derive(async_graphql::SimpleObject, Serialize, ToSchema)]
#[graphql(name = "Deployment")]
#[schema(as = Deployment)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentOut {
    pub uid: String,
    pub name: String,
    pub zone: String,
    pub subdomain: String,
    pub url: String,
    pub owner: String,
    pub jwt_token: String,
    pub deployment_mode: String,
    pub deployment_type: String,
    pub lambda_script: String,
    #[graphql(name = "tenantID")]
    #[serde(rename = "tenantID")]
    pub tenant_id: i64,
    pub size: Option<String>,
    #[graphql(name = "organizationUID")]
    #[serde(rename = "organizationUID")]
    pub organization_uid: Option<String>,
}

// An API key's role. `rename_all` names the values in the OpenAPI document; `try_from` reads
// them, refusing another in the words of the route that takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase", try_from = "String")]
#[schema(as = KeyRole)]
pub enum ApiKeyRole {
    Admin,
    Client,
}

impl TryFrom<String> for ApiKeyRole {
    type Error = String;

    fn try_from(role: String) -> Result<ApiKeyRole, String> {
        ApiKeyRole::parse(&role)
            .ok_or_else(|| format!("invalid role {role:?}: use admin or client"))
    }
}

impl ApiKeyRole {
    pub fn parse(role: &str) -> Option<ApiKeyRole> {
        match role {
            "admin" => Some(ApiKeyRole::Admin),
            "client" => Some(ApiKeyRole::Client),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ApiKeyRole::Admin => "admin",
            ApiKeyRole::Client => "client",
        }
    }
}

#[derive(Debug, Clone)]
pub struct ExportTask {
    pub task_id: String,
    pub export_id: String,
    pub format: String,
    pub created_at: String,
    pub ready_at: String,
}

impl db::FromRow for ExportTask {
    fn from_row(row: &impl db::Columns) -> rusqlite::Result<Self> {
        Ok(ExportTask {
            task_id: row.column("task_id")?,
            export_id: row.column("export_id")?,
            format: row.column("format")?,
            created_at: row.column("created_at")?,
            ready_at: row.column("ready_at")?,
        })
    }
}

#[derive(Debug, Clone)]
pub struct Restore {
    pub ready_at: String,
}

impl db::FromRow for Restore {
    fn from_row(row: &impl db::Columns) -> rusqlite::Result<Self> {
        Ok(Restore {
            ready_at: row.column("ready_at")?,
        })
    }
}

#[derive(Debug, Clone)]
pub struct Organization {
    pub uid: String,
    pub name: String,
    pub created_by: String,
}

impl db::FromRow for Organization {
    fn from_row(row: &impl db::Columns) -> rusqlite::Result<Self> {
        Ok(Organization {
            uid: row.column("uid")?,
            name: row.column("name")?,
            created_by: row.column("created_by")?,
        })
    }
}

pub const DEPLOYMENT_MODES: &[&str] = &["graphql", "readonly", "flexible"];
pub const DEPLOYMENT_TYPES: &[&str] = &["free", "shared", "dedicated"];
pub const SIZES: &[&str] = &["small", "medium", "large", "xlarge"];

/// A string field that holds one of `$values`, as the OpenAPI document names it. The field stays
/// a string: the service checks the value, after the checks that come before it, for the CLI
/// and for GraphQL alike.
macro_rules! string_enum {
    ($(#[$doc:meta])* $ty:ident, $values:expr) => {
        $(#[$doc])*
        pub enum $ty {}

        impl utoipa::PartialSchema for $ty {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some($values.iter().copied()))
                    .into()
            }
        }

        impl ToSchema for $ty {}
    };
}

string_enum!(
    /// `deploymentType`: [`DEPLOYMENT_TYPES`].
    DeploymentType,
    DEPLOYMENT_TYPES
);
string_enum!(
    /// `deploymentMode`: [`DEPLOYMENT_MODES`].
    DeploymentMode,
    DEPLOYMENT_MODES
);
string_enum!(
    /// `size`: [`SIZES`].
    Size,
    SIZES
);

// --- the bodies of the CLI's REST routes (docs/spec/dgraph.md §8.3, §8.6) ---
//
// Each is read by `extract::Json` (fields in the order declared here; a field that is null is as
// good as absent) and described in `/_offcloud/openapi/dgraph.json` from the same declaration:
// the `///` on their fields are published as written.

/// Any JSON object, not read (the CLI sends `{}`).
#[derive(Deserialize, ToSchema)]
pub struct Ignored {}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeviceCodeExchange {
    pub device_code: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RefreshToken {
    pub refresh_token: String,
}

// The fields of a new deployment, from the CLI's REST body (`CreateDeployment`) or GraphQL's
// `NewDeployment`. A missing or blank `name` is refused by the service, for both.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = CreateDeployment)]
pub struct NewDeployment {
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
    #[schema(value_type = Option<DeploymentType>)]
    pub deployment_type: Option<String>,
    /// `graphql` when left out; `readonly` and `flexible` are for dedicated backends only (a 403
    /// for the others).
    #[schema(value_type = Option<DeploymentMode>)]
    pub deployment_mode: Option<String>,
    /// An organization of the caller's; empty for none.
    #[serde(rename = "organizationId")]
    pub organization_uid: Option<String>,
    #[schema(value_type = Option<Size>)]
    pub size: Option<String>,
}

/// Only the fields to change.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = UpdateDeployment)]
pub struct DeploymentPatch {
    /// Not blank.
    #[schema(pattern = "\\S")]
    pub name: Option<String>,
    #[schema(value_type = Option<DeploymentMode>)]
    pub deployment_mode: Option<String>,
    #[serde(rename = "organizationId")]
    pub organization_uid: Option<String>,
    /// The script, base64 (standard alphabet, padded); blank removes it.
    #[schema(
        pattern = "^\\s*(([A-Za-z0-9+/]{4})*([A-Za-z0-9+/][AQgw]==|[A-Za-z0-9+/]{2}[AEIMQUYcgkosw048]=)?)\\s*$"
    )]
    pub lambda_script: Option<String>,
}

#[derive(Deserialize, ToSchema)]
pub struct CreateApiKey {
    /// `slash-graphql-cli` when left out.
    pub name: Option<String>,
    /// `client` when left out.
    pub role: Option<ApiKeyRole>,
}

/// `POST /_offcloud/dgraph/accounts`.
#[derive(Deserialize)]
pub struct NewAccount {
    pub email: Option<String>,
    pub password: Option<String>,
    pub name: Option<String>,
}

// --- what the CLI's REST routes answer ---

#[derive(Serialize, ToSchema)]
pub struct DeviceCode {
    pub device_code: String,
    pub user_code: String,
    pub verification_uri: String,
    pub verification_uri_complete: String,
    pub expires_in: i64,
    pub interval: i64,
}

#[derive(Serialize, ToSchema)]
pub struct Tokens {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: i64,
    /// `Bearer`.
    pub token_type: String,
    pub scope: String,
    /// When the token was issued, in epoch milliseconds.
    #[serde(rename = "apiTime")]
    pub api_time: i64,
}

#[derive(Serialize, ToSchema)]
pub struct Revoked {}

#[derive(Serialize, ToSchema)]
pub struct RevokedAll {
    pub tokens_count: i64,
}

#[derive(Serialize, ToSchema)]
pub struct Message {
    pub response: MessageText,
}

#[derive(Serialize, ToSchema)]
pub struct MessageText {
    pub message: String,
}

impl Message {
    pub fn new(message: &str) -> Message {
        Message {
            response: MessageText {
                message: message.to_owned(),
            },
        }
    }
}

/// The key is shown once.
#[derive(Serialize, ToSchema)]
pub struct ApiKeyCreated {
    pub uid: String,
    pub name: String,
    pub role: String,
    pub key: String,
}

/// A Dgraph uid: `0x` and lowercase hex (docs/spec/dgraph.md §9.2).
pub fn new_uid() -> String {
    format!("0x{:x}", rand::rng().random_range(0x1000u32..0x7fff_ffff))
}

/// Claims of the Cerebro token (`login`, the CLI's device login).
#[derive(Debug, Serialize, Deserialize)]
pub struct CerebroClaims {
    pub sub: String,
    pub email: String,
    pub iat: i64,
    pub exp: i64,
}

impl jwt::Expiring for CerebroClaims {
    fn exp(&self) -> i64 {
        self.exp
    }
}

/// Claims of a deployment's `jwtToken`, signed from the stored creation time so the same token
/// comes back on every read without storing it (the real API lists it every time).
#[derive(Debug, Serialize, Deserialize)]
pub struct DeploymentClaims {
    pub deployment: String,
    pub iat: i64,
    pub exp: i64,
}

impl jwt::Expiring for DeploymentClaims {
    fn exp(&self) -> i64 {
        self.exp
    }
}

/// Claims of an export file's signed URL token: 48 hours (docs/spec/dgraph.md §3.3).
#[derive(Debug, Serialize, Deserialize)]
pub struct ExportUrlClaims {
    pub task: String,
    pub exp: i64,
}

impl jwt::Expiring for ExportUrlClaims {
    fn exp(&self) -> i64 {
        self.exp
    }
}

/// Go's `time.Time.String()` in UTC, as lambda log lines start (docs/spec/dgraph.md §4.8):
/// `2021-04-16 19:03:54.009209524 +0000 UTC`, trailing zeros of the fraction dropped.
pub fn go_time(t: OffsetDateTime) -> String {
    let t = crate::clock::utc(t);
    let mut fraction = format!("{:09}", t.nanosecond());
    while fraction.ends_with('0') {
        fraction.pop();
    }
    let fraction = if fraction.is_empty() {
        String::new()
    } else {
        format!(".{fraction}")
    };
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}{fraction} +0000 UTC",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

pub fn parse_iso(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_times_drop_trailing_zeros() {
        let t = parse_iso("2021-04-16T19:03:54.009209524Z").unwrap();
        assert_eq!(go_time(t), "2021-04-16 19:03:54.009209524 +0000 UTC");
        let t = parse_iso("2021-04-16T19:03:54.5Z").unwrap();
        assert_eq!(go_time(t), "2021-04-16 19:03:54.5 +0000 UTC");
        let t = parse_iso("2021-04-16T19:03:54Z").unwrap();
        assert_eq!(go_time(t), "2021-04-16 19:03:54 +0000 UTC");
    }

    #[test]
    fn uids_are_hex() {
        let uid = new_uid();
        assert!(uid.starts_with("0x"));
        assert!(u64::from_str_radix(&uid[2..], 16).is_ok());
    }
}
