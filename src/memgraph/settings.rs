//! Memgraph's flags, flattened into the command line (`--memgraph-*`, `OFFCLOUD_MEMGRAPH_*`).

use clap::ValueEnum;

use crate::flags::{PortSetting, Ttl};

#[derive(Debug, Clone, clap::Args, serde::Serialize)]
#[group(id = "memgraph_settings")]
pub struct Settings {
    /// Memgraph listener, serving the Memgraph API at the root (0 = any free port, `off` = disabled).
    #[arg(
        id = "memgraph_port",
        long = "memgraph-port",
        value_name = "MEMGRAPH_PORT",
        env = "OFFCLOUD_MEMGRAPH_PORT",
        default_value = "4601",
        global = true
    )]
    #[serde(skip)]
    pub port: PortSetting,

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

    /// Memgraph: the quiet time after which a user's next event (in the same thread) starts a new
    /// episode (e.g. 30m; 0 puts every event in an episode of its own).
    #[arg(
        id = "memgraph_episode_gap",
        long = "memgraph-episode-gap",
        env = "OFFCLOUD_MEMGRAPH_EPISODE_GAP",
        default_value = "30m",
        global = true
    )]
    pub episode_gap: Ttl,

    /// Memgraph: how long a closed episode stays `processing` before it is `consolidated`
    /// (the dreaming worker's run; e.g. 10s, 0 for at once).
    #[arg(
        id = "memgraph_consolidation_time",
        long = "memgraph-consolidation-time",
        env = "OFFCLOUD_MEMGRAPH_CONSOLIDATION_TIME",
        default_value = "10s",
        global = true
    )]
    pub consolidation_time: Ttl,

    /// Memgraph: limit the requests of each API key, as the real service does (429 with
    /// `Retry-After`). Off by default.
    #[arg(
        id = "memgraph_rate_limit",
        long = "memgraph-rate-limit",
        env = "OFFCLOUD_MEMGRAPH_RATE_LIMIT",
        global = true
    )]
    pub rate_limit: bool,

    /// Memgraph: requests a minute each API key may make when the rate limit is on.
    #[arg(
        id = "memgraph_rate_limit_per_minute",
        long = "memgraph-rate-limit-per-minute",
        env = "OFFCLOUD_MEMGRAPH_RATE_LIMIT_PER_MINUTE",
        default_value_t = 120,
        value_parser = clap::value_parser!(u32).range(1..),
        global = true
    )]
    pub rate_limit_per_minute: u32,
}

impl Settings {
    /// Durations `--lifecycle` sets, by argument id.
    pub fn lifecycle_durations(&mut self) -> Vec<(&'static str, &mut Ttl)> {
        vec![("memgraph_consolidation_time", &mut self.consolidation_time)]
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ApiKeyRole {
    Editor,
    Admin,
}
