//! Memgraph's wire types (spec §6) and the rows they are read from. Fields the spec marks
//! [inferred] are here because a client of the real service would plausibly read them.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// Roles and their levels (spec §5.2): a check passes when the caller's level is at least the
/// required one, which the derived ordering gives.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, sqlx::Type,
)]
#[serde(rename_all = "lowercase")]
#[sqlx(rename_all = "lowercase")]
pub enum Role {
    Viewer = 1,
    Editor = 2,
    Admin = 3,
}

impl Role {
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "viewer" => Some(Role::Viewer),
            "editor" => Some(Role::Editor),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// Tenant settings before any PATCH (spec §6.8, emulator choice).
pub fn default_tenant_settings() -> Value {
    json!({
        "belief_confidence_threshold": 0.5,
        "episode_gap_minutes": 30,
        "dreaming_enabled": true,
        "retention_days": null,
    })
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Tenant {
    pub id: String,
    pub name: String,
    pub sector: Option<String>,
    pub created_at: String,
    #[sqlx(json)]
    pub settings: Map<String, Value>,
}

/// A dashboard account. The password hash is read for login and never serialised.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
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

/// `GET /v1/api-keys` items: never the hash, never the plaintext.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ApiKey {
    pub id: String,
    pub name: String,
    pub key_prefix: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub is_active: bool,
}

/// `POST /v1/api-keys`: the one response that carries the plaintext.
#[derive(Debug, Serialize)]
pub struct ApiKeyCreated {
    pub id: String,
    pub name: String,
    pub api_key: String,
    pub key_prefix: String,
    pub created_at: String,
}

#[derive(Debug, Serialize)]
pub struct Onboarded {
    pub tenant_id: String,
    pub api_key: String,
    pub user_id: String,
}

#[derive(Debug, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
}

#[derive(Debug, Serialize)]
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

#[derive(Debug, Serialize)]
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

#[derive(Debug, Serialize, sqlx::FromRow)]
pub struct Stats {
    pub tenant_id: String,
    pub total_events: i64,
    pub total_episodes: i64,
    pub total_beliefs: i64,
    pub active_beliefs: i64,
    pub pending_episodes: i64,
    pub total_users: i64,
}

/// `{"status": "...", "id": "..."}`, what deletions and revocations answer.
#[derive(Debug, Serialize)]
pub struct StatusId {
    pub status: &'static str,
    pub id: String,
}

/// The export document (spec §6.9). Events, episodes and beliefs join it with the memory API.
#[derive(Debug, Serialize)]
pub struct Export {
    pub version: u32,
    pub exported_at: String,
    pub tenant: ExportTenant,
    pub users: Vec<ExportUser>,
}

#[derive(Debug, Serialize)]
pub struct ExportTenant {
    pub id: String,
    pub name: String,
    pub sector: Option<String>,
    pub settings: Map<String, Value>,
}

#[derive(Debug, Serialize)]
pub struct ExportUser {
    pub id: String,
    pub email: String,
    pub full_name: Option<String>,
    pub role: Role,
}
