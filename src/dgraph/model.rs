//! Dgraph Cloud's records and the small formats they use (uids, Go-style log times).

use rand::Rng;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::auth::jwt;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Account {
    pub id: String,
    pub email: String,
    pub name: String,
}

/// A deployment's row. A list reads only the columns it needs, as JSON: the others are empty.
#[derive(Debug, Clone, Default, sqlx::FromRow, Deserialize)]
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
#[derive(async_graphql::SimpleObject, Serialize, utoipa::ToSchema)]
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiKeyRole {
    Admin,
    Client,
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

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ExportTask {
    pub task_id: String,
    pub export_id: String,
    pub format: String,
    pub created_at: String,
    pub ready_at: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Restore {
    pub ready_at: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Organization {
    pub uid: String,
    pub name: String,
    pub created_by: String,
}

pub const DEPLOYMENT_MODES: &[&str] = &["graphql", "readonly", "flexible"];
pub const DEPLOYMENT_TYPES: &[&str] = &["free", "shared", "dedicated"];
pub const SIZES: &[&str] = &["small", "medium", "large", "xlarge"];

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
