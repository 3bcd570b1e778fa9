//! Request bodies and the deploy/update rules (docs/spec/typedb.md §6.1–6.2, §7.4). Bodies are
//! parsed as JSON whatever their Content-Type, and read as their request type (`model.rs`) by
//! `de.rs`; every failure is a 400 `{"code","message"}` naming the field, never axum's plain-text
//! 415/422 (the official bash script reads `.message`). The rules between fields, and those that
//! need the configuration or the stored state, are here.

mod de;

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::error::ApiError;
use super::model::{
    BackupSettings, CloneRequest, DeployRequest, MachineType, UpdateRequest, machine_type, quoted,
    regions, single_server_only, storage_types, version_key,
};
use super::store::ClusterRow;
use crate::contract::ParsedJson;

/// A request body, read as the request `T`.
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(mut req: Request, state: &S) -> Result<Self, ApiError> {
        // The contract check parsed these very bytes already, the way they are parsed below.
        let parsed = match req.extensions_mut().remove::<ParsedJson>() {
            Some(ParsedJson(value)) => value,
            None => {
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
                serde_json::from_slice::<Value>(&bytes).map_err(|e| {
                    ApiError::invalid(format!("Request body is not valid JSON: {e}"))
                })?
            }
        };
        match parsed {
            body @ Value::Object(_) => read(&body).map(Body),
            _ => Err(ApiError::invalid("Request body must be a JSON object")),
        }
    }
}

/// Reads a JSON object as the request `T`.
pub fn read<T: DeserializeOwned>(body: &Value) -> Result<T, ApiError> {
    de::read(body).map_err(|e| ApiError::invalid(e.0))
}

/// The backup settings of a cluster (docs/spec/typedb.md §6.2): `disabled`, `hourly` or `daily`; 7
/// or 30 days.
#[derive(Debug, Clone, Default)]
pub struct BackupPatch {
    pub frequency: Option<String>,
    pub retention_days: Option<i64>,
}

impl From<BackupSettings> for BackupPatch {
    fn from(settings: BackupSettings) -> Self {
        BackupPatch {
            frequency: settings.frequency.map(|f| f.0.to_owned()),
            retention_days: settings.retention_days.map(|d| d.0),
        }
    }
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
    request: DeployRequest,
    versions: &[String],
    strict: bool,
) -> Result<Deploy, ApiError> {
    let server_count = request.server_count.0;
    let storage_size_gb = request.storage_size_gb.0;
    let provider = request.provider.0;
    let region = request.region.as_str();
    if !regions(provider).contains(&region) {
        return Err(ApiError::invalid(format!(
            "Invalid region {} for provider '{provider}'",
            quoted(region)
        )));
    }
    let machine = machine_in_region(provider, region, &request.machine_type)?;
    let storage_type = request.storage_type.as_str();
    if !storage_types(provider).contains(&storage_type) {
        return Err(ApiError::invalid(format!(
            "Invalid storageType {} for provider '{provider}'",
            quoted(storage_type)
        )));
    }
    let is_free = request.is_free;
    let version = resolve_version(&request.version, versions)?;
    if single_server_only(&version) && server_count != 1 {
        return Err(ApiError::invalid(format!(
            "Field 'serverCount' must be 1 for version {version}: TypeDB 3.x runs a single server"
        )));
    }
    let backup = match request.backup_configuration.map(BackupPatch::from) {
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
        id: request.id.0,
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

pub fn update(request: UpdateRequest, versions: &[String]) -> Result<Update, ApiError> {
    let update = Update {
        id: request.id.map(|id| id.0),
        storage_size_gb: request.storage_size_gb.map(|gb| gb.0),
        machine_type: request.machine_type,
        backup: request.backup_configuration.map(BackupPatch::from),
        version: request
            .version
            .map(|v| resolve_version(&v, versions))
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
pub fn clone_id(request: CloneRequest) -> String {
    request.id.0
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
