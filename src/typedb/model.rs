//! TypeDB Cloud's wire types (docs/spec/typedb.md §5) and the static catalogue deploy is checked
//! against (docs/spec/typedb.md §6.3).

use serde::{Deserialize, Serialize};

/// An API token's access level; the levels nest: admin ⊇ write ⊇ read (docs/spec/typedb.md §4.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Access {
    Read,
    Write,
    Admin,
}

impl Access {
    pub fn as_str(self) -> &'static str {
        match self {
            Access::Read => "read",
            Access::Write => "write",
            Access::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Access> {
        match s {
            "read" => Some(Access::Read),
            "write" => Some(Access::Write),
            "admin" => Some(Access::Admin),
            _ => None,
        }
    }
}

/// A cluster, with its keys in the order of the docs' example (emulator choice,
/// docs/spec/typedb.md §5). `backupConfiguration` is accepted but, as in every documented
/// response, never shown.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Cluster {
    pub id: String,
    pub server_count: i64,
    #[serde(rename = "storageSizeGB")]
    pub storage_size_gb: i64,
    pub is_free: bool,
    pub status: String,
    pub created_at: i64,
    #[serde(rename = "teamID")]
    pub team_id: String,
    #[serde(rename = "spaceID")]
    pub space_id: String,
    pub version: String,
    pub provider: String,
    pub region: String,
    pub machine_type: String,
    pub storage_type: String,
    pub servers: Vec<Server>,
    /// Only with `--typedb-show-backup-configuration`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backup_configuration: Option<BackupConfiguration>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BackupConfiguration {
    pub frequency: String,
    pub retention_days: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Server {
    pub address: String,
    pub status: &'static str,
}

/// Every status a cluster can be in (docs/spec/typedb.md §7.3).
pub const STATUSES: &[&str] = &[
    "starting",
    "running",
    "suspending",
    "suspended",
    "resuming",
    "destroying",
];

/// Team and space ids become path segments: non-empty, at most 128 characters, no `/`.
pub fn check_name(name: &str) -> Result<(), &'static str> {
    if name.is_empty() || name.len() > 128 || name.contains('/') || name.trim() != name {
        Err("must be 1 to 128 characters, without '/' or surrounding spaces")
    } else {
        Ok(())
    }
}

/// A client id is what precedes the first ':' of the Basic credentials.
pub fn is_client_id(id: &str) -> bool {
    !id.is_empty() && !id.contains(':') && !id.contains(char::is_whitespace)
}

/// Which servers a cluster in `status` shows (docs/spec/typedb.md §7.3): pending while starting or
/// resuming, running while up, none while suspended or when destroyed from suspended.
pub fn server_status(status: &str, servers_down: bool) -> Option<&'static str> {
    match status {
        "starting" | "resuming" => Some("pending"),
        "suspended" => None,
        "destroying" if servers_down => None,
        _ => Some("running"),
    }
}

// ---- catalogue (docs/spec/typedb.md §6.3) -------------------------------------------------------

/// One machine type of a provider: where it runs and whether the free tier may use it.
pub struct MachineType {
    pub provider: &'static str,
    pub name: &'static str,
    pub free: bool,
    pub regions: &'static [&'static str],
}

const GCP_REGIONS: &[&str] = &["europe-west2", "europe-west3", "us-west4", "us-east1"];
const AWS_C7G_REGIONS: &[&str] = &["eu-west-2"];
const AWS_C8G_REGIONS: &[&str] = &["us-west-2", "us-east-1", "eu-central-1"];

/// The documented catalogue. No endpoint exposes it; it is kept here, as data, in one place.
pub const MACHINE_TYPES: &[MachineType] = &[
    gcp("c2d-highcpu-2", true),
    gcp("c2d-highcpu-4", false),
    gcp("c2d-highcpu-8", false),
    gcp("c2d-highcpu-16", false),
    aws("c7g.large", true, AWS_C7G_REGIONS),
    aws("c7g.xlarge", false, AWS_C7G_REGIONS),
    aws("c7g.2xlarge", false, AWS_C7G_REGIONS),
    aws("c7g.4xlarge", false, AWS_C7G_REGIONS),
    aws("c8g.large", true, AWS_C8G_REGIONS),
    aws("c8g.xlarge", false, AWS_C8G_REGIONS),
    aws("c8g.2xlarge", false, AWS_C8G_REGIONS),
    aws("c8g.4xlarge", false, AWS_C8G_REGIONS),
];

const fn gcp(name: &'static str, free: bool) -> MachineType {
    MachineType {
        provider: "gcp",
        name,
        free,
        regions: GCP_REGIONS,
    }
}

const fn aws(name: &'static str, free: bool, regions: &'static [&'static str]) -> MachineType {
    MachineType {
        provider: "aws",
        name,
        free,
        regions,
    }
}

pub const PROVIDERS: &[&str] = &["gcp", "aws"];

/// Storage types a provider accepts. AWS took `gp2` before 2025-07 and the docs' List example
/// still shows it, so both are accepted and the value sent is echoed back
/// (docs/spec/typedb.md §6.3).
pub fn storage_types(provider: &str) -> &'static [&'static str] {
    match provider {
        "gcp" => &["standard-rwo"],
        "aws" => &["gp2-csi", "gp2"],
        _ => &[],
    }
}

pub fn regions(provider: &str) -> Vec<&'static str> {
    let mut regions: Vec<&str> = MACHINE_TYPES
        .iter()
        .filter(|m| m.provider == provider)
        .flat_map(|m| m.regions.iter().copied())
        .collect();
    regions.sort_unstable();
    regions.dedup();
    regions
}

pub fn machine_type(provider: &str, name: &str) -> Option<&'static MachineType> {
    MACHINE_TYPES
        .iter()
        .find(|m| m.provider == provider && m.name == name)
}

/// Cluster ids: lowercase letters and digits, optionally separated by single underscores or
/// hyphens (one reading of the docs), at most 63 characters like a DNS label (emulator choice).
pub fn valid_cluster_id(id: &str) -> bool {
    let bytes = id.as_bytes();
    let alnum = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    !bytes.is_empty()
        && bytes.len() <= 63
        && bytes.first().is_some_and(alnum)
        && bytes.last().is_some_and(alnum)
        && bytes.windows(2).all(|w| alnum(&w[0]) || alnum(&w[1]))
        && bytes.iter().all(|b| alnum(b) || *b == b'-' || *b == b'_')
}

/// Versions compared number by number (`2.29.3` < `3.5.5` < `3.10.0`).
pub fn version_key(version: &str) -> Vec<u64> {
    version
        .split('.')
        .map(|part| part.parse().unwrap_or(0))
        .collect()
}

/// TypeDB 3.0 and later run a single server for now (docs/spec/typedb.md §6.2).
pub fn single_server_only(version: &str) -> bool {
    version_key(version)
        .first()
        .is_some_and(|major| *major >= 3)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_ids_follow_the_documented_rule() {
        for ok in ["api-cluster", "a", "my_cluster-2", "x1"] {
            assert!(valid_cluster_id(ok), "{ok}");
        }
        for bad in [
            "",
            "-a",
            "a-",
            "a--b",
            "a_-b",
            "Api",
            "a b",
            "a.b",
            &"a".repeat(64),
        ] {
            assert!(!valid_cluster_id(bad), "{bad}");
        }
    }

    #[test]
    fn versions_compare_numerically() {
        assert!(version_key("3.10.0") > version_key("3.5.5"));
        assert!(single_server_only("3.0.0"));
        assert!(!single_server_only("2.29.3"));
    }

    #[test]
    fn the_catalogue_knows_regions_per_provider() {
        assert_eq!(regions("aws").len(), 4);
        assert_eq!(
            regions("gcp"),
            vec!["europe-west2", "europe-west3", "us-east1", "us-west4"]
        );
        assert!(machine_type("aws", "c2d-highcpu-2").is_none());
    }
}
