//! Request bodies and the deploy/update rules (docs/spec/typedb.md §6.1–6.2, §7.4). Bodies are
//! parsed as JSON whatever their Content-Type, and every failure is a 400 `{"code","message"}`
//! naming the field, never axum's plain-text 415/422 (the official bash script reads `.message`).

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use serde_json::{Map, Value};

use super::error::ApiError;
use super::model::{
    MachineType, PROVIDERS, machine_type, regions, single_server_only, storage_types,
    valid_cluster_id, version_key,
};
use super::store::ClusterRow;

/// A request body that must be a JSON object.
pub struct JsonObject(pub Map<String, Value>);

impl<S: Send + Sync> FromRequest<S> for JsonObject {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge
            } else {
                ApiError::invalid("Could not read the request body")
            }
        })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError::invalid("Request body must be a JSON object"));
        }
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(Value::Object(map)) => Ok(JsonObject(map)),
            Ok(_) => Err(ApiError::invalid("Request body must be a JSON object")),
            Err(e) => Err(ApiError::invalid(format!(
                "Request body is not valid JSON: {e}"
            ))),
        }
    }
}

/// The backup settings of a cluster (docs/spec/typedb.md §6.2): `disabled`, `hourly` or `daily`; 7
/// or 30 days.
#[derive(Debug, Clone, Default)]
pub struct BackupPatch {
    pub frequency: Option<String>,
    pub retention_days: Option<i64>,
}

/// A deploy request that passed every rule that does not need stored state.
#[derive(Debug)]
pub struct Deploy {
    pub id: String,
    pub server_count: i64,
    pub storage_size_gb: i64,
    pub provider: String,
    pub region: String,
    pub is_free: bool,
    pub machine_type: String,
    pub storage_type: String,
    pub version: String,
    pub backup_frequency: String,
    pub backup_retention: i64,
}

/// Retention when none is given (docs/spec/typedb.md §6.2).
const DEFAULT_RETENTION_DAYS: i64 = 7;

/// `strict`: paid clusters must give `backupConfiguration` (one reading of "optional for free
/// clusters", docs/spec/typedb.md §6.2).
pub fn deploy(
    body: &Map<String, Value>,
    versions: &[String],
    strict: bool,
) -> Result<Deploy, ApiError> {
    let id = cluster_id(body)?;
    let server_count = required_int(body, "serverCount")?;
    if !matches!(server_count, 1 | 3 | 5 | 7 | 9) {
        return Err(ApiError::invalid(
            "Field 'serverCount' must be an odd number from 1 to 9",
        ));
    }
    let storage_size_gb = storage_size(required_int(body, "storageSizeGB")?)?;
    let provider = required_str(body, "provider")?;
    if !PROVIDERS.contains(&provider) {
        return Err(ApiError::invalid(format!(
            "Invalid provider {}: must be one of gcp, aws",
            quoted(provider)
        )));
    }
    let region = required_str(body, "region")?;
    if !regions(provider).contains(&region) {
        return Err(ApiError::invalid(format!(
            "Invalid region {} for provider '{provider}'",
            quoted(region)
        )));
    }
    let machine = machine_in_region(provider, region, required_str(body, "machineType")?)?;
    let storage_type = required_str(body, "storageType")?;
    if !storage_types(provider).contains(&storage_type) {
        return Err(ApiError::invalid(format!(
            "Invalid storageType {} for provider '{provider}'",
            quoted(storage_type)
        )));
    }
    let is_free = match body.get("isFree") {
        None => return Err(missing("isFree")),
        Some(v) => v
            .as_bool()
            .ok_or_else(|| wrong_type("isFree", "a boolean"))?,
    };
    let version = resolve_version(required_str(body, "version")?, versions)?;
    if single_server_only(&version) && server_count != 1 {
        return Err(ApiError::invalid(format!(
            "Field 'serverCount' must be 1 for version {version}: TypeDB 3.x runs a single server"
        )));
    }
    let backup = match backup(body)? {
        None if strict && !is_free => {
            return Err(ApiError::invalid(
                "Missing required field 'backupConfiguration' for a paid cluster",
            ));
        }
        backup => backup.unwrap_or_default(),
    };
    // Paid clusters back up daily unless told otherwise (the real default is unknown,
    // docs/spec/typedb.md §14).
    let default_frequency = if is_free { "disabled" } else { "daily" };
    let backup_frequency = backup
        .frequency
        .unwrap_or_else(|| default_frequency.to_owned());
    if is_free {
        free_tier_rules(machine, server_count, storage_size_gb, &backup_frequency)?;
    }
    Ok(Deploy {
        id: id.to_owned(),
        server_count,
        storage_size_gb,
        provider: provider.to_owned(),
        region: region.to_owned(),
        is_free,
        machine_type: machine.name.to_owned(),
        storage_type: storage_type.to_owned(),
        version,
        backup_frequency,
        backup_retention: backup.retention_days.unwrap_or(DEFAULT_RETENTION_DAYS),
    })
}

/// What the free tier allows (docs/spec/typedb.md §6.2): a free machine type, one server, 10 GB, no
/// backups.
pub fn free_tier_rules(
    machine: &MachineType,
    server_count: i64,
    storage_size_gb: i64,
    backup_frequency: &str,
) -> Result<(), ApiError> {
    if !machine.free {
        return Err(ApiError::invalid(format!(
            "Machine type '{}' is not available for free clusters",
            machine.name
        )));
    }
    if server_count > 1 {
        return Err(ApiError::invalid("Free clusters have exactly 1 server"));
    }
    if storage_size_gb > 10 {
        return Err(ApiError::invalid(
            "Free clusters have at most 10 GB of storage",
        ));
    }
    if backup_frequency != "disabled" {
        return Err(ApiError::invalid(
            "Backups must be 'disabled' for free clusters",
        ));
    }
    Ok(())
}

/// A PATCH body: every field optional, at least one given (docs/spec/typedb.md §7.4).
#[derive(Debug)]
pub struct Update {
    pub id: Option<String>,
    pub storage_size_gb: Option<i64>,
    pub machine_type: Option<String>,
    pub backup: Option<BackupPatch>,
    pub version: Option<String>,
}

impl Update {
    /// Whether anything other than the id changes.
    pub fn changes_more_than_id(&self) -> bool {
        self.storage_size_gb.is_some()
            || self.machine_type.is_some()
            || self.backup.is_some()
            || self.version.is_some()
    }
}

pub fn update(body: &Map<String, Value>, versions: &[String]) -> Result<Update, ApiError> {
    let update = Update {
        id: body
            .contains_key("id")
            .then(|| cluster_id(body).map(str::to_owned))
            .transpose()?,
        storage_size_gb: body
            .contains_key("storageSizeGB")
            .then(|| required_int(body, "storageSizeGB").and_then(storage_size))
            .transpose()?,
        machine_type: body
            .contains_key("machineType")
            .then(|| required_str(body, "machineType").map(str::to_owned))
            .transpose()?,
        backup: backup(body)?,
        version: body
            .contains_key("version")
            .then(|| required_str(body, "version").and_then(|v| resolve_version(v, versions)))
            .transpose()?,
    };
    if update.id.is_none() && !update.changes_more_than_id() {
        return Err(ApiError::invalid(
            "Give at least one of id, storageSizeGB, machineType, backupConfiguration, version",
        ));
    }
    Ok(update)
}

/// The cluster as an update leaves it. A free cluster whose new settings leave the free tier's
/// limits becomes a paid one (emulator choice: the docs only say such changes need a payment
/// method, which the caller checks).
/// `strict`: storage never shrinks.
pub fn apply_update(
    update: Update,
    current: &ClusterRow,
    strict: bool,
) -> Result<ClusterRow, ApiError> {
    let mut next = current.clone();
    if let Some(id) = update.id {
        next.id = id;
    }
    if let Some(gb) = update.storage_size_gb {
        if strict && gb < current.storage_size_gb {
            return Err(ApiError::invalid(format!(
                "Field 'storageSizeGB' cannot shrink below {} GB",
                current.storage_size_gb
            )));
        }
        next.storage_size_gb = gb;
    }
    let machine = machine_in_region(
        &next.provider,
        &next.region,
        update
            .machine_type
            .as_deref()
            .unwrap_or(&current.machine_type),
    )?;
    next.machine_type = machine.name.to_owned();
    if let Some(backup) = update.backup {
        if let Some(frequency) = backup.frequency {
            next.backup_frequency = frequency;
        }
        if let Some(days) = backup.retention_days {
            next.backup_retention = days;
        }
    }
    if let Some(version) = update.version {
        if single_server_only(&version) && next.server_count != 1 {
            return Err(ApiError::invalid(format!(
                "Version {version} runs a single server; this cluster has {}",
                next.server_count
            )));
        }
        next.version = version;
    }
    if next.is_free {
        next.is_free = free_tier_rules(
            machine,
            next.server_count,
            next.storage_size_gb,
            &next.backup_frequency,
        )
        .is_ok();
    }
    Ok(next)
}

/// The `id` of a clone request.
pub fn clone_id(body: &Map<String, Value>) -> Result<String, ApiError> {
    cluster_id(body).map(str::to_owned)
}

/// A machine type of the provider that runs in the region.
pub fn machine_in_region(
    provider: &str,
    region: &str,
    name: &str,
) -> Result<&'static MachineType, ApiError> {
    let machine = machine_type(provider, name).ok_or_else(|| {
        ApiError::invalid(format!(
            "Invalid machineType {} for provider '{provider}'",
            quoted(name)
        ))
    })?;
    if !machine.regions.contains(&region) {
        return Err(ApiError::invalid(format!(
            "Machine type '{name}' is not available in region '{region}'"
        )));
    }
    Ok(machine)
}

/// A listed version, or `latest`: the highest listed (inferred, docs/spec/typedb.md §6.2).
fn resolve_version(version: &str, versions: &[String]) -> Result<String, ApiError> {
    let found = if version == "latest" {
        versions.iter().max_by_key(|v| version_key(v))
    } else {
        versions.iter().find(|v| *v == version)
    };
    found.cloned().ok_or_else(|| {
        ApiError::invalid(format!(
            "Invalid version {}: must be one of {} or 'latest'",
            quoted(version),
            versions.join(", ")
        ))
    })
}

fn cluster_id(body: &Map<String, Value>) -> Result<&str, ApiError> {
    let id = required_str(body, "id")?;
    if !valid_cluster_id(id) {
        return Err(ApiError::invalid(format!(
            "Invalid id {}: use lowercase letters and digits, optionally separated by '-' or '_' (at most 63 characters)",
            quoted(id)
        )));
    }
    // `…/clusters/deploy` is a route of its own, so a cluster could never be reached under
    // that id (emulator choice, docs/spec/typedb.md §3).
    if id == "deploy" {
        return Err(ApiError::invalid("The id 'deploy' is reserved"));
    }
    Ok(id)
}

fn storage_size(gb: i64) -> Result<i64, ApiError> {
    if (10..=1000).contains(&gb) {
        Ok(gb)
    } else {
        Err(ApiError::invalid(
            "Field 'storageSizeGB' must be from 10 to 1000",
        ))
    }
}

/// `backupConfiguration`, when given; its sub-fields may be partial (the docs' update example
/// sends only `frequency`).
fn backup(body: &Map<String, Value>) -> Result<Option<BackupPatch>, ApiError> {
    let Some(value) = body.get("backupConfiguration") else {
        return Ok(None);
    };
    let config = value
        .as_object()
        .ok_or_else(|| wrong_type("backupConfiguration", "an object"))?;
    let frequency = match config.get("frequency") {
        None => None,
        Some(v) => {
            let f = v
                .as_str()
                .ok_or_else(|| wrong_type("backupConfiguration.frequency", "a string"))?;
            if !matches!(f, "disabled" | "hourly" | "daily") {
                return Err(ApiError::invalid(format!(
                    "Invalid backupConfiguration.frequency {}: must be one of disabled, hourly, daily",
                    quoted(f)
                )));
            }
            Some(f.to_owned())
        }
    };
    let retention_days = match config.get("retentionDays") {
        None => None,
        Some(v) => {
            let days = v
                .as_i64()
                .ok_or_else(|| wrong_type("backupConfiguration.retentionDays", "an integer"))?;
            if days != 7 && days != 30 {
                return Err(ApiError::invalid(
                    "Field 'backupConfiguration.retentionDays' must be 7 or 30",
                ));
            }
            Some(days)
        }
    };
    Ok(Some(BackupPatch {
        frequency,
        retention_days,
    }))
}

fn required_str<'a>(body: &'a Map<String, Value>, field: &str) -> Result<&'a str, ApiError> {
    match body.get(field) {
        None => Err(missing(field)),
        Some(v) => v.as_str().ok_or_else(|| wrong_type(field, "a string")),
    }
}

fn required_int(body: &Map<String, Value>, field: &str) -> Result<i64, ApiError> {
    match body.get(field) {
        None => Err(missing(field)),
        Some(v) => v.as_i64().ok_or_else(|| wrong_type(field, "an integer")),
    }
}

/// A value as a message quotes it: whole when short, else its start and its length, so that a
/// megabyte sent is not a megabyte sent back.
fn quoted(value: &str) -> String {
    const SHOWN: usize = 64;
    match value.char_indices().nth(SHOWN) {
        None => format!("'{value}'"),
        Some((end, _)) => format!("'{}…' ({} bytes)", &value[..end], value.len()),
    }
}

fn missing(field: &str) -> ApiError {
    ApiError::invalid(format!("Missing required field '{field}'"))
}

fn wrong_type(field: &str, what: &str) -> ApiError {
    ApiError::invalid(format!("Field '{field}' must be {what}"))
}
