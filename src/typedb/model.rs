//! TypeDB Cloud's wire types (docs/spec/typedb.md §5) and the static catalogue deploy is checked
//! against (docs/spec/typedb.md §6.3).

use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::{KnownFormat, SchemaFormat, Type};
use utoipa::openapi::{Object, ObjectBuilder};

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
        && bytes.len() <= MAX_ID_LENGTH
        && bytes.first().is_some_and(alnum)
        && bytes.last().is_some_and(alnum)
        && bytes.windows(2).all(|w| alnum(&w[0]) || alnum(&w[1]))
        && bytes.iter().all(|b| alnum(b) || *b == b'-' || *b == b'_')
}

pub const MAX_ID_LENGTH: usize = 63;

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

// ---- requests (docs/spec/typedb.md §6.1–6.2, §7.4, §7.5) ---------------------------------------
//
// Each request is read by `validation/de.rs` and described in the OpenAPI document from the same
// type. The API checks its fields in their declared order; a field's own type refuses a value out
// of its range. Optional fields are `Option`s described without `null`: the API refuses
// `null` for each. The rules between fields, and those that need the configuration or the
// stored state, are `validation.rs`'s.

/// The rules that depend on one another are the API's own checks, not the schema's: the region and
/// machine type must be the provider's (and the machine type run in the region), a free cluster
/// has a free machine type, 1 server, at most 10 GB and no backups, and TypeDB 3 runs 1 server.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeployRequest {
    #[schema(schema_with = deploy_id)]
    pub id: ClusterId,
    #[schema(schema_with = server_count)]
    pub server_count: ServerCount,
    #[serde(rename = "storageSizeGB")]
    #[schema(schema_with = storage_size)]
    pub storage_size_gb: StorageSize,
    #[schema(schema_with = provider)]
    pub provider: Provider,
    #[schema(schema_with = region)]
    pub region: String,
    pub is_free: bool,
    #[schema(schema_with = machine_type_name)]
    pub machine_type: String,
    #[schema(schema_with = storage_type)]
    pub storage_type: String,
    /// A version from `GET /api/v1/cluster-versions`, or `latest`.
    pub version: String,
    #[schema(value_type = BackupSettings, required = false)]
    pub backup_configuration: Option<BackupSettings>,
}

// Backup settings; either field may be left out (the docs' update example sends only
// `frequency`).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BackupSettings {
    #[schema(schema_with = backup_frequency)]
    pub frequency: Option<Frequency>,
    #[schema(schema_with = retention_days)]
    pub retention_days: Option<RetentionDays>,
}

/// At least one field.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UpdateRequest {
    #[schema(schema_with = new_id)]
    pub id: Option<ClusterId>,
    #[serde(rename = "storageSizeGB")]
    #[schema(schema_with = storage_size)]
    pub storage_size_gb: Option<StorageSize>,
    #[schema(schema_with = machine_type_name)]
    pub machine_type: Option<String>,
    #[schema(value_type = BackupSettings, required = false)]
    pub backup_configuration: Option<BackupSettings>,
    /// A version from `GET /api/v1/cluster-versions`, or `latest`.
    #[schema(value_type = String, required = false)]
    pub version: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct CloneRequest {
    #[schema(schema_with = clone_id)]
    pub id: ClusterId,
}

/// A cluster id the API accepts: [`valid_cluster_id`], and not `deploy`.
#[derive(Debug, Clone)]
pub struct ClusterId(pub String);

impl<'de> Deserialize<'de> for ClusterId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let id = String::deserialize(deserializer)?;
        if !valid_cluster_id(&id) {
            return Err(serde::de::Error::custom(format!(
                "Invalid id {}: use lowercase letters and digits, optionally separated by '-' or '_' (at most {MAX_ID_LENGTH} characters)",
                quoted(&id)
            )));
        }
        // `…/clusters/deploy` is a route of its own, so a cluster could never be reached under
        // that id (emulator choice, docs/spec/typedb.md §3).
        if id == "deploy" {
            return Err(serde::de::Error::custom("The id 'deploy' is reserved"));
        }
        Ok(ClusterId(id))
    }
}

/// The odd server counts a cluster can have.
pub const SERVER_COUNTS: [i64; 5] = [1, 3, 5, 7, 9];

#[derive(Debug, Clone, Copy)]
pub struct ServerCount(pub i64);

impl<'de> Deserialize<'de> for ServerCount {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        integer(
            deserializer,
            |n| SERVER_COUNTS.contains(&n),
            || "Field 'serverCount' must be an odd number from 1 to 9".to_owned(),
        )
        .map(ServerCount)
    }
}

/// Storage sizes, in GB.
pub const STORAGE_SIZES: std::ops::RangeInclusive<i64> = 10..=1000;

#[derive(Debug, Clone, Copy)]
pub struct StorageSize(pub i64);

impl<'de> Deserialize<'de> for StorageSize {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        integer(
            deserializer,
            |gb| STORAGE_SIZES.contains(&gb),
            || {
                format!(
                    "Field 'storageSizeGB' must be from {} to {}",
                    STORAGE_SIZES.start(),
                    STORAGE_SIZES.end()
                )
            },
        )
        .map(StorageSize)
    }
}

/// One of [`PROVIDERS`].
#[derive(Debug, Clone)]
pub struct Provider(pub &'static str);

impl<'de> Deserialize<'de> for Provider {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        one_of(deserializer, PROVIDERS, "provider").map(Provider)
    }
}

pub const BACKUP_FREQUENCIES: &[&str] = &["disabled", "hourly", "daily"];

/// One of [`BACKUP_FREQUENCIES`].
#[derive(Debug, Clone)]
pub struct Frequency(pub &'static str);

impl<'de> Deserialize<'de> for Frequency {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        one_of(
            deserializer,
            BACKUP_FREQUENCIES,
            "backupConfiguration.frequency",
        )
        .map(Frequency)
    }
}

/// How many days backups can be kept.
pub const RETENTION_DAYS: [i64; 2] = [7, 30];

#[derive(Debug, Clone, Copy)]
pub struct RetentionDays(pub i64);

impl<'de> Deserialize<'de> for RetentionDays {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        integer(
            deserializer,
            |days| RETENTION_DAYS.contains(&days),
            || "Field 'backupConfiguration.retentionDays' must be 7 or 30".to_owned(),
        )
        .map(RetentionDays)
    }
}

/// An integer that `allowed` accepts, else the API's `refusal`.
fn integer<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
    allowed: impl Fn(i64) -> bool,
    refusal: impl FnOnce() -> String,
) -> Result<i64, D::Error> {
    let n = i64::deserialize(deserializer)?;
    if allowed(n) {
        Ok(n)
    } else {
        Err(serde::de::Error::custom(refusal()))
    }
}

/// One of `names`, else "Invalid `field` 'x': must be one of …".
fn one_of<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
    names: &[&'static str],
    field: &str,
) -> Result<&'static str, D::Error> {
    let name = String::deserialize(deserializer)?;
    names.iter().find(|n| **n == name).copied().ok_or_else(|| {
        serde::de::Error::custom(format!(
            "Invalid {field} {}: must be one of {}",
            quoted(&name),
            names.join(", ")
        ))
    })
}

/// A value as a message quotes it: whole when short, else its start and its length, so that a
/// megabyte sent is not a megabyte sent back.
pub fn quoted(value: &str) -> String {
    const SHOWN: usize = 64;
    match value.char_indices().nth(SHOWN) {
        None => format!("'{value}'"),
        Some((end, _)) => format!("'{}…' ({} bytes)", &value[..end], value.len()),
    }
}

// ---- how the requests' fields are described -----------------------------------------------------

/// [`valid_cluster_id`] as a pattern, for the document.
pub const CLUSTER_ID_PATTERN: &str = "^[a-z0-9]+(?:[_-][a-z0-9]+)*$";

fn cluster_id(description: &str) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
        .max_length(Some(MAX_ID_LENGTH))
        .pattern(Some(CLUSTER_ID_PATTERN))
        .build()
}

fn deploy_id() -> Object {
    cluster_id("Lowercase letters and digits, separated by `_` or `-`; unique in the space.")
}

fn new_id() -> Object {
    cluster_id("The cluster's new id.")
}

fn clone_id() -> Object {
    cluster_id("The new cluster's id.")
}

fn server_count() -> Object {
    one_of_integers("1, 3, 5, 7 or 9; 1 for TypeDB 3.", SERVER_COUNTS)
}

fn storage_size() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
        .minimum(Some(*STORAGE_SIZES.start()))
        .maximum(Some(*STORAGE_SIZES.end()))
        .build()
}

fn provider() -> Object {
    one_of_strings("The cloud provider.", PROVIDERS.iter().copied())
}

/// Every region of the catalogue, of either provider.
fn region() -> Object {
    let mut regions: Vec<&str> = PROVIDERS.iter().flat_map(|p| regions(p)).collect();
    regions.dedup();
    one_of_strings("A region of the provider.", regions)
}

/// Every machine type of the catalogue, of either provider.
fn machine_type_name() -> Object {
    one_of_strings(
        "A machine type of the provider that runs in the region; a free cluster needs a free one.",
        MACHINE_TYPES.iter().map(|m| m.name),
    )
}

fn storage_type() -> Object {
    let mut types: Vec<&str> = PROVIDERS
        .iter()
        .flat_map(|p| storage_types(p))
        .copied()
        .collect();
    types.dedup();
    one_of_strings("A storage type of the provider.", types)
}

fn backup_frequency() -> Object {
    one_of_strings(
        "How often the cluster is backed up; `disabled` for a free cluster.",
        BACKUP_FREQUENCIES.iter().copied(),
    )
}

fn retention_days() -> Object {
    one_of_integers("How many days backups are kept.", RETENTION_DAYS)
}

fn one_of_strings<'a>(description: &str, values: impl IntoIterator<Item = &'a str>) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
        .enum_values(Some(values))
        .build()
}

fn one_of_integers<const N: usize>(description: &str, values: [i64; N]) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .description(Some(description))
        .enum_values(Some(values))
        .build()
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

    /// The document states ids as a pattern; the API checks them with `valid_cluster_id`. They
    /// agree.
    #[test]
    fn the_id_pattern_is_the_rule_the_api_checks() {
        let pattern = regex::Regex::new(CLUSTER_ID_PATTERN).unwrap();
        for id in [
            "api-cluster",
            "a",
            "my_cluster-2",
            "x1",
            "",
            "-a",
            "a-",
            "a--b",
            "a_-b",
            "Api",
            "a b",
            "a.b",
            "é",
        ] {
            assert_eq!(pattern.is_match(id), valid_cluster_id(id), "{id}");
        }
        let longest = "a".repeat(MAX_ID_LENGTH);
        assert!(valid_cluster_id(&longest));
        assert!(!valid_cluster_id(&format!("{longest}a")));
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
