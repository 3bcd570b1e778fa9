//! TypeDB Cloud's flags, flattened into the command line (`--typedb-*`, `OFFCLOUD_TYPEDB_*`).

use crate::flags::{PortSetting, Ttl};

#[derive(Debug, Clone, clap::Args, serde::Serialize)]
#[group(id = "typedb_settings")]
pub struct Settings {
    /// TypeDB Cloud listener, serving the TypeDB API at the root (0 = any free port, `off` = disabled).
    #[arg(
        id = "typedb_port",
        long = "typedb-port",
        value_name = "TYPEDB_PORT",
        env = "OFFCLOUD_TYPEDB_PORT",
        default_value = "4602",
        global = true
    )]
    #[serde(skip)]
    pub port: PortSetting,

    /// TypeDB: lifetime of the access tokens POST /api/v1/auth issues (the real service: 1 hour).
    #[arg(
        id = "typedb_token_ttl",
        long = "typedb-token-ttl",
        env = "OFFCLOUD_TYPEDB_TOKEN_TTL",
        default_value = "1h",
        global = true
    )]
    pub token_ttl: Ttl,

    /// TypeDB: how long a deployed or cloned cluster stays `starting` before it is `running`
    /// (e.g. 3s, 2m; 0 = at the next read).
    #[arg(
        id = "typedb_starting",
        long = "typedb-starting",
        env = "OFFCLOUD_TYPEDB_STARTING",
        default_value = "3s",
        global = true
    )]
    pub starting: Ttl,

    /// TypeDB: how long a cluster stays `suspending` before it is `suspended`.
    #[arg(
        id = "typedb_suspending",
        long = "typedb-suspending",
        env = "OFFCLOUD_TYPEDB_SUSPENDING",
        default_value = "3s",
        global = true
    )]
    pub suspending: Ttl,

    /// TypeDB: how long a cluster stays `resuming` before it is `running` again.
    #[arg(
        id = "typedb_resuming",
        long = "typedb-resuming",
        env = "OFFCLOUD_TYPEDB_RESUMING",
        default_value = "3s",
        global = true
    )]
    pub resuming: Ttl,

    /// TypeDB: how long a cluster stays `destroying` before it is gone.
    #[arg(
        id = "typedb_destroying",
        long = "typedb-destroying",
        env = "OFFCLOUD_TYPEDB_DESTROYING",
        default_value = "3s",
        global = true
    )]
    pub destroying: Ttl,

    /// TypeDB: the versions GET /api/v1/cluster-versions lists and deploy accepts (comma-separated;
    /// `latest` picks the highest).
    #[arg(
        id = "typedb_versions",
        long = "typedb-versions",
        env = "OFFCLOUD_TYPEDB_VERSIONS",
        value_delimiter = ',',
        default_value = "2.29.3,3.5.5",
        global = true
    )]
    pub versions: Vec<String>,

    /// TypeDB: the domain of cluster server addresses (`{hex}-{index}.{domain}:80`).
    #[arg(
        id = "typedb_server_domain",
        long = "typedb-server-domain",
        env = "OFFCLOUD_TYPEDB_SERVER_DOMAIN",
        default_value = "cluster.typedb.com",
        global = true
    )]
    pub server_domain: String,

    /// TypeDB: show `backupConfiguration` in cluster responses (no documented response has it).
    #[arg(
        id = "typedb_show_backup_configuration",
        long = "typedb-show-backup-configuration",
        env = "OFFCLOUD_TYPEDB_SHOW_BACKUP_CONFIGURATION",
        global = true
    )]
    pub show_backup_configuration: bool,

    /// TypeDB: the stricter readings of what the docs leave open: paid clusters must give
    /// `backupConfiguration`, storage never shrinks, and a clone of a free cluster counts
    /// against the team's one free cluster.
    #[arg(
        id = "typedb_strict",
        long = "typedb-strict",
        env = "OFFCLOUD_TYPEDB_STRICT",
        global = true
    )]
    pub strict: bool,
}

impl Settings {
    /// Durations `--lifecycle` sets, by argument id.
    pub fn lifecycle_durations(&mut self) -> Vec<(&'static str, &mut Ttl)> {
        vec![
            ("typedb_starting", &mut self.starting),
            ("typedb_suspending", &mut self.suspending),
            ("typedb_resuming", &mut self.resuming),
            ("typedb_destroying", &mut self.destroying),
        ]
    }
}
