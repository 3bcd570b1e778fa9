//! Memgraph's flags, flattened into the command line (`--memgraph-*`, `OFFCLOUD_MEMGRAPH_*`).

use clap::ValueEnum;

use crate::config::Ttl;

#[derive(Debug, Clone, clap::Args)]
#[group(id = "memgraph_settings")]
pub struct Settings {
    /// Memgraph: let requests without credentials in, as an admin of a development tenant
    /// (the real service's development mode).
    #[arg(
        id = "memgraph_dev_mode",
        long = "memgraph-dev-mode",
        env = "OFFCLOUD_MEMGRAPH_DEV_MODE",
        global = true
    )]
    pub dev_mode: bool,

    /// Memgraph: lifetime of the JWTs issued by /v1/auth/login (e.g. 7d, 12h, 30m, 90s).
    #[arg(
        id = "memgraph_jwt_ttl",
        long = "memgraph-jwt-ttl",
        env = "OFFCLOUD_MEMGRAPH_JWT_TTL",
        default_value = "7d",
        global = true
    )]
    pub jwt_ttl: Ttl,

    /// Memgraph: the role a request authenticated by an API key acts with (the real service does
    /// not document it).
    #[arg(
        id = "memgraph_api_key_role",
        long = "memgraph-api-key-role",
        env = "OFFCLOUD_MEMGRAPH_API_KEY_ROLE",
        value_enum,
        default_value_t = ApiKeyRole::Editor,
        global = true
    )]
    pub api_key_role: ApiKeyRole,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ApiKeyRole {
    Editor,
    Admin,
}
