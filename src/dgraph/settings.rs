//! Dgraph's flags, flattened into the command line (`--dgraph-*`, `OFFCLOUD_DGRAPH_*`).

use std::fmt;
use std::str::FromStr;

use crate::flags::{PortSetting, Ttl};

#[derive(Debug, Clone, clap::Args, serde::Serialize)]
#[group(id = "dgraph_settings")]
pub struct Settings {
    /// Dgraph Cloud listener, serving Cerebro and the Dgraph REST routes at the root (the
    /// slash-graphql CLI's `--environment dev` address; 0 = any free port, `off` = disabled).
    #[arg(
        id = "dgraph_port",
        long = "dgraph-port",
        value_name = "DGRAPH_PORT",
        env = "OFFCLOUD_DGRAPH_PORT",
        default_value = "8070",
        global = true
    )]
    #[serde(skip)]
    pub port: PortSetting,

    /// Dgraph: lifetime of the Cerebro tokens issued by `login` and the CLI's device login
    /// (the CLI's help says a login lasts 24 hours).
    #[arg(
        id = "dgraph_token_ttl",
        long = "dgraph-token-ttl",
        env = "OFFCLOUD_DGRAPH_TOKEN_TTL",
        default_value = "24h",
        global = true
    )]
    pub token_ttl: Ttl,

    /// Dgraph: how long a new backend takes to become ready (`OPTIONS /graphql` answers 200).
    #[arg(
        id = "dgraph_deployment_creation",
        long = "dgraph-deployment-creation",
        env = "OFFCLOUD_DGRAPH_DEPLOYMENT_CREATION",
        default_value = "30s",
        global = true
    )]
    pub deployment_creation: Ttl,

    /// Dgraph: how long an `export(format:)` stays queued and running before its files are ready.
    #[arg(
        id = "dgraph_export_duration",
        long = "dgraph-export-duration",
        env = "OFFCLOUD_DGRAPH_EXPORT_DURATION",
        default_value = "10s",
        global = true
    )]
    pub export_duration: Ttl,

    /// Dgraph: how long a `restore` stays in progress.
    #[arg(
        id = "dgraph_restore_duration",
        long = "dgraph-restore-duration",
        env = "OFFCLOUD_DGRAPH_RESTORE_DURATION",
        default_value = "10s",
        global = true
    )]
    pub restore_duration: Ttl,

    /// Dgraph: ports for the backends' own data-plane listeners, one per backend, bound on create
    /// and released on delete (`18070-18169`), `0` for any free port, or `off` (backends are then
    /// reached by Host header or `/backends/<subdomain>` only).
    #[arg(
        id = "dgraph_backend_ports",
        long = "dgraph-backend-ports",
        env = "OFFCLOUD_DGRAPH_BACKEND_PORTS",
        default_value = "18070-18169",
        global = true
    )]
    pub backend_ports: PortRange,

    /// Dgraph: most backend ports one session holds at once, so that no session can take the
    /// whole --dgraph-backend-ports range from the others. A create past it is refused; a backend
    /// listed past it (a fixture's, or after a restart) is reached by Host header or
    /// `/backends/<subdomain>` instead, its `url` the real host name.
    #[arg(
        id = "dgraph_backend_ports_per_session",
        long = "dgraph-backend-ports-per-session",
        env = "OFFCLOUD_DGRAPH_BACKEND_PORTS_PER_SESSION",
        default_value_t = 10,
        global = true
    )]
    pub backend_ports_per_session: usize,

    /// Dgraph: the host name put in a backend's `url` when it has its own port (inside docker,
    /// the name other containers reach offcloud by).
    #[arg(
        id = "dgraph_public_host",
        long = "dgraph-public-host",
        env = "OFFCLOUD_DGRAPH_PUBLIC_HOST",
        default_value = "localhost",
        global = true
    )]
    pub public_host: String,
}

impl Settings {
    /// Durations `--lifecycle` sets, by argument id.
    pub fn lifecycle_durations(&mut self) -> Vec<(&'static str, &mut Ttl)> {
        vec![
            ("dgraph_deployment_creation", &mut self.deployment_creation),
            ("dgraph_export_duration", &mut self.export_duration),
            ("dgraph_restore_duration", &mut self.restore_duration),
        ]
    }
}

/// Which ports backends listen on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortRange {
    Off,
    /// Any free port the system picks.
    Any,
    Range(u16, u16),
}

impl FromStr for PortRange {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        match s {
            "off" | "OFF" | "none" | "disabled" => return Ok(PortRange::Off),
            "0" | "any" => return Ok(PortRange::Any),
            _ => {}
        }
        let bad = || format!("expected a port range such as 18070-18169, 0 or `off`, got {s:?}");
        let (low, high) = s.split_once('-').ok_or_else(bad)?;
        let low: u16 = low.trim().parse().map_err(|_| bad())?;
        let high: u16 = high.trim().parse().map_err(|_| bad())?;
        if low == 0 || high < low {
            return Err(bad());
        }
        Ok(PortRange::Range(low, high))
    }
}

impl fmt::Display for PortRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PortRange::Off => f.write_str("off"),
            PortRange::Any => f.write_str("0"),
            PortRange::Range(low, high) => write!(f, "{low}-{high}"),
        }
    }
}

/// Shown in `/_offcloud/info` as written on the command line.
impl serde::Serialize for PortRange {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_ranges_parse() {
        assert_eq!("18070-18169".parse(), Ok(PortRange::Range(18070, 18169)));
        assert_eq!("0".parse(), Ok(PortRange::Any));
        assert_eq!("off".parse(), Ok(PortRange::Off));
        assert!("9-1".parse::<PortRange>().is_err());
        assert!("x".parse::<PortRange>().is_err());
    }
}
