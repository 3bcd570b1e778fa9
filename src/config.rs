//! Command line and environment configuration: one clap struct, every flag with an `OFFCLOUD_*` variable.

use std::net::IpAddr;
use std::ops::{Deref, DerefMut};
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

pub use crate::flags::{PortSetting, Ttl};

#[derive(Debug, Parser)]
#[command(
    name = "offcloud",
    version,
    about = "Offline emulator of the Memgraph, TypeDB Cloud, Hasura Cloud and Dgraph Cloud control-plane APIs"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub config: Config,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (the default).
    Serve,
    /// Exit 0 when the server on the configured port answers healthy, 1 otherwise.
    Healthcheck,
}

#[derive(Debug, Clone, clap::Args)]
pub struct Config {
    /// Address every listener binds to. Loopback by default: only this machine can reach
    /// offcloud (the Docker image sets 0.0.0.0). Anyone who can reach the main listener can use
    /// the control API (state export included) unless --control-token is set.
    #[arg(
        long,
        env = "OFFCLOUD_BIND",
        default_value = "127.0.0.1",
        global = true
    )]
    pub bind: IpAddr,

    /// Bearer token the control API (everything under /_offcloud but /_offcloud/health and the
    /// dashboard's page, which asks for the token) requires: `Authorization: Bearer TOKEN`.
    /// Unset: the control API is open to whoever reaches the main listener. Either way, a web
    /// page of another origin cannot change state through it.
    #[arg(
        long,
        env = "OFFCLOUD_CONTROL_TOKEN",
        hide_env_values = true,
        global = true
    )]
    pub control_token: Option<String>,

    /// Main listener: every service under a prefix (/memgraph, ...) and the control API under /_offcloud.
    /// A number, 0 for any free port, or `off`.
    #[arg(long, env = "OFFCLOUD_PORT", default_value = "4600", global = true)]
    pub port: PortSetting,

    /// HTTPS listener serving everything the main listener serves (every service by prefix and
    /// Host, the control API). A number, 0 for any free port, or `off`.
    #[arg(long, env = "OFFCLOUD_TLS_PORT", default_value = "off", global = true)]
    pub tls_port: PortSetting,

    /// PEM certificate chain for the HTTPS listener, with --tls-key. Without them a certificate
    /// is generated at start, signed by offcloud's own CA (see --tls-ca).
    #[arg(long, env = "OFFCLOUD_TLS_CERT", global = true)]
    pub tls_cert: Option<PathBuf>,

    /// PEM private key of --tls-cert.
    #[arg(long, env = "OFFCLOUD_TLS_KEY", global = true)]
    pub tls_key: Option<PathBuf>,

    /// Where the generated CA's certificate is written, for clients to trust (its key is kept
    /// beside it, as .key, so the CA outlives restarts). Default: offcloud-ca.pem beside the
    /// database, or in the working directory when state is in memory.
    #[arg(long, env = "OFFCLOUD_TLS_CA", global = true)]
    pub tls_ca: Option<PathBuf>,

    /// Database: `sqlite::memory:` (default: a clean slate at every start) or `sqlite://PATH` to
    /// persist. Sessions other than `default` get their own file beside PATH.
    #[arg(long, env = "OFFCLOUD_DATABASE_URL", global = true)]
    pub database_url: Option<String>,

    /// Persist state in this folder (as `offcloud.db` and one file per extra session).
    /// Ignored when --database-url is given.
    #[arg(long, env = "OFFCLOUD_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,

    /// Log format.
    #[arg(long, env = "OFFCLOUD_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,

    /// Requests kept in the request journal (`GET /_offcloud/requests`), oldest dropped first; 0
    /// turns the journal off.
    #[arg(
        long,
        env = "OFFCLOUD_JOURNAL_SIZE",
        default_value_t = 1000,
        global = true
    )]
    pub journal_size: usize,

    /// Largest request body accepted, in bytes.
    #[arg(long, env = "OFFCLOUD_BODY_LIMIT", default_value_t = 10 * 1024 * 1024, global = true)]
    pub body_limit: usize,

    /// Secret used to sign every token the emulated services issue. By default one is generated
    /// per session and kept in its database, so tokens survive a restart of a persistent database;
    /// set it to make tokens fully deterministic.
    #[arg(
        long,
        env = "OFFCLOUD_SIGNING_SECRET",
        hide_env_values = true,
        global = true
    )]
    pub signing_secret: Option<String>,

    /// Duration of every asynchronous transition of every service (a TypeDB cluster starting, a
    /// Dgraph deployment being created, a Hasura preview-app job, an export, a Memgraph episode
    /// consolidating...) that its own flag does not set; 0 makes them all instant.
    #[arg(long, env = "OFFCLOUD_LIFECYCLE", global = true)]
    pub lifecycle: Option<Ttl>,

    /// A state document (as `GET /_offcloud/state` exports) loaded at start when the file exists;
    /// its sessions replace whatever fixtures would have put in them. It holds the sessions'
    /// signing keys and password hashes: keep it private.
    #[arg(long, env = "OFFCLOUD_STATE_FILE", global = true)]
    pub state_file: Option<PathBuf>,

    /// Also write the state to --state-file at graceful shutdown (SIGTERM, Ctrl-C), atomically.
    #[arg(long, env = "OFFCLOUD_STATE_FILE_SAVE", global = true)]
    pub state_file_save: bool,
    /// Fixture file, or folder of `*.yaml|*.yml|*.json` files (applied in name order): tenants,
    /// users, keys, tokens, clusters, projects and deployments with known credentials and ids,
    /// created in every session and again after a reset.
    #[arg(long, env = "OFFCLOUD_FIXTURES", global = true)]
    pub fixtures: Option<PathBuf>,

    /// Most sessions open at once (parked ones included); a request that would open one more is
    /// answered 503 in its service's error shape. 0 for no limit.
    #[arg(
        long,
        env = "OFFCLOUD_MAX_SESSIONS",
        default_value_t = 4096,
        global = true
    )]
    pub max_sessions: usize,

    /// Most sessions live at once, their database open (a SQLite connection and its pages,
    /// about 1 MiB each); beyond it, the least recently used idle ones are parked at once rather
    /// than after --session-park-after. 0 for no limit.
    #[arg(
        long,
        env = "OFFCLOUD_MAX_LIVE_SESSIONS",
        default_value_t = 64,
        global = true
    )]
    pub max_live_sessions: usize,

    /// Park a session no request has used for this long (e.g. 10s, 5m, or `off`): its in-memory
    /// database is kept as a compact image (a few KiB) and its connection closed; a
    /// file's connection is closed. Its next request reopens it in a few milliseconds, state
    /// intact.
    #[arg(
        long,
        env = "OFFCLOUD_SESSION_PARK_AFTER",
        default_value = "10s",
        global = true
    )]
    pub session_park_after: After,

    /// Drop an in-memory session other than `default` that no request has used for this long
    /// (e.g. 30m, 12h, or `off`): its state is gone, as with `DELETE /_offcloud/sessions/NAME`,
    /// and the name starts afresh on next use. Sessions kept in files are never evicted.
    #[arg(
        long,
        env = "OFFCLOUD_SESSION_EVICT_AFTER",
        default_value = "off",
        global = true
    )]
    pub session_evict_after: After,

    /// Every service's own flags (`--memgraph-*`, `--typedb-*`, ...), read as `config.memgraph`
    /// and so on through `Deref`.
    #[command(flatten)]
    pub services: crate::services::Settings,

    /// Bounds on GraphQL documents, for every GraphQL service.
    #[command(flatten)]
    pub graphql: crate::graphql_limits::GraphqlLimits,

    /// Contract testing: `--strict`, `--provider-states`.
    #[command(flatten)]
    pub contract: crate::contract::Settings,
}

/// A service's settings read as `config.<service>`, as if they were fields of `Config`: the
/// registry's `Settings` holds them, so that this file names no service.
impl Deref for Config {
    type Target = crate::services::Settings;

    fn deref(&self) -> &Self::Target {
        &self.services
    }
}

impl DerefMut for Config {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.services
    }
}

impl Cli {
    /// Parses the process's arguments and environment; exits with clap's message on bad input.
    pub fn parse_resolved() -> Cli {
        Cli::resolve(Cli::command().get_matches()).unwrap_or_else(|e| e.exit())
    }

    /// Parses the given arguments (and the environment), as `offcloud ARGS...` would.
    pub fn try_parse_resolved<I, T>(args: I) -> Result<Cli, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        Cli::resolve(Cli::command().try_get_matches_from(args)?)
    }

    /// Builds the command line from clap's matches, then fills every lifecycle duration left at
    /// its default from `--lifecycle` (which needs to know which values were given: only the
    /// matches know).
    fn resolve(matches: clap::ArgMatches) -> Result<Cli, clap::Error> {
        let mut cli = Cli::from_arg_matches(&matches)?;
        if let Some(all) = cli.config.lifecycle {
            for service in crate::services::all().iter() {
                for (id, duration) in service.lifecycle_durations(&mut cli.config) {
                    if matches.value_source(id) == Some(clap::parser::ValueSource::DefaultValue) {
                        *duration = all;
                    }
                }
            }
        }
        Ok(cli)
    }
}

impl Config {
    /// The configuration used when nothing is given: what `offcloud` alone runs with.
    pub fn defaults() -> Config {
        Cli::parse_from(["offcloud"]).config
    }

    /// Every service's asynchronous-transition durations, by clap argument id (what
    /// `--lifecycle` sets).
    pub fn lifecycle_durations(&mut self) -> Vec<(&'static str, Ttl)> {
        let mut all = Vec::new();
        for service in crate::services::all().iter() {
            let durations = service.lifecycle_durations(self);
            all.extend(durations.into_iter().map(|(id, duration)| (id, *duration)));
        }
        all
    }

    /// Where state lives, from --database-url or --data-dir.
    pub fn storage(&self) -> Result<Storage, String> {
        if let Some(url) = &self.database_url {
            return Storage::from_url(url);
        }
        if let Some(dir) = &self.data_dir {
            return Ok(Storage::File(dir.join("offcloud.db")));
        }
        Ok(Storage::Memory)
    }
}

/// Where session databases live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Storage {
    Memory,
    /// The default session's file; other sessions live beside it.
    File(PathBuf),
}

impl Storage {
    fn from_url(url: &str) -> Result<Storage, String> {
        let rest = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .ok_or_else(|| format!("--database-url must start with sqlite:// (got {url:?})"))?;
        // Connection options in the URL are ours to choose (WAL, busy timeout), so drop them.
        let path = rest.split('?').next().unwrap_or_default();
        match path {
            ":memory:" | "" => Ok(Storage::Memory),
            path => Ok(Storage::File(PathBuf::from(path))),
        }
    }
}

/// A delay that can be turned off: a duration (`90s`, `30m`, `12h`, `7d`, `0`) or `off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct After(pub Option<Duration>);

impl FromStr for After {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "off" | "OFF" | "never" => Ok(After(None)),
            other => other.parse::<Ttl>().map(|ttl| After(Some(ttl.0))),
        }
    }
}

impl serde::Serialize for After {
    /// Whole seconds, or null when off.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Some(d) => serializer.serialize_u64(d.as_secs()),
            None => serializer.serialize_none(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn lifecycle_sets_every_transition_its_own_flag_leaves_unset() {
        let cli =
            Cli::try_parse_resolved(["offcloud", "--lifecycle", "0", "--typedb-resuming", "5s"])
                .unwrap();
        let mut config = cli.config;
        let zero = Ttl(Duration::ZERO);
        assert_eq!(config.typedb.starting, zero);
        assert_eq!(config.typedb.resuming, Ttl(Duration::from_secs(5)));
        assert_eq!(config.dgraph.deployment_creation, zero);
        assert_eq!(config.hasura.preview_app_task_time, zero);
        assert_eq!(config.memgraph.consolidation_time, zero);
        // Token lifetimes are not transitions.
        assert_eq!(config.typedb.token_ttl, Config::defaults().typedb.token_ttl);
        let durations = config.lifecycle_durations();
        assert_eq!(durations.iter().filter(|(_, d)| *d != zero).count(), 1);

        let without = Cli::try_parse_resolved(["offcloud"]).unwrap().config;
        assert_eq!(without.typedb.starting, Ttl(Duration::from_secs(3)));
    }

    #[test]
    fn delays_take_units_or_off() {
        assert_eq!("off".parse(), Ok(After(None)));
        assert_eq!("10s".parse(), Ok(After(Some(Duration::from_secs(10)))));
        assert_eq!("0".parse(), Ok(After(Some(Duration::ZERO))));
        assert!("soon".parse::<After>().is_err());
        let defaults = Config::defaults();
        assert_eq!(defaults.bind, IpAddr::from([127, 0, 0, 1]));
        assert_eq!(defaults.session_evict_after, After(None));
    }

    #[test]
    fn database_urls_map_to_storage() {
        assert_eq!(Storage::from_url("sqlite::memory:"), Ok(Storage::Memory));
        assert_eq!(
            Storage::from_url("sqlite:///var/lib/offcloud.db?mode=rwc"),
            Ok(Storage::File("/var/lib/offcloud.db".into()))
        );
        assert_eq!(
            Storage::from_url("sqlite://data/x.db"),
            Ok(Storage::File("data/x.db".into()))
        );
        assert!(Storage::from_url("postgres://x").is_err());
    }
}
