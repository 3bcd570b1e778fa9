//! A backend's Cloud-only admin API at `/admin/slash` (docs/spec/dgraph.md §6): `dropData`,
//! `export`, `exportStatus`, `listBackups`, `restore`, `restoreStatus`, `freeze`. The
//! descriptions (`///` on the GraphQL items) are published in
//! `/_offcloud/schema/dgraph-slash.graphql` as they are written.

use async_graphql::{Context, Object, SimpleObject};
use serde_json::Value;
use time::OffsetDateTime;

use super::admin::acl_claims;
use super::{DataPlane, data};
use crate::auth::jwt;
use crate::clock::iso;
use crate::dgraph::error::{ApiError, Result};
use crate::dgraph::export;
use crate::dgraph::model::{Deployment, ExportTask, ExportUrlClaims, new_uid, parse_iso};
use crate::dgraph::service::EXPORT_KEY;

/// Export signed URLs expire after 48 hours (docs/spec/dgraph.md §3.3).
const EXPORT_URL_SECS: i64 = 48 * 3600;

#[derive(SimpleObject)]
pub struct SlashResponse {
    code: String,
    message: String,
}

fn success(message: impl Into<String>) -> SlashResponse {
    SlashResponse {
        code: "Success".into(),
        message: message.into(),
    }
}

#[derive(SimpleObject)]
pub struct DropDataPayload {
    response: SlashResponse,
}

#[derive(SimpleObject)]
pub struct ExportPayload {
    response: SlashResponse,
    export_id: String,
    task_id: String,
    signed_urls: Vec<String>,
}

#[derive(SimpleObject)]
pub struct ExportStatus {
    kind: String,
    last_updated: String,
    signed_urls: Vec<String>,
    status: String,
}

#[derive(SimpleObject)]
pub struct SlashError {
    message: String,
}

#[derive(SimpleObject, Clone)]
pub struct Backup {
    r#type: String,
    backup_num: i64,
    folder: String,
    timestamp: String,
}

#[derive(SimpleObject)]
pub struct ListBackupsPayload {
    response: Option<Vec<Vec<Backup>>>,
    errors: Vec<SlashError>,
}

#[derive(SimpleObject)]
pub struct RestoreResponse {
    code: String,
    message: String,
    restore_id: i64,
}

#[derive(SimpleObject)]
pub struct RestorePayload {
    response: Option<RestoreResponse>,
    /// `null` on success, never `[]`: the CLI tests it for truthiness (docs/spec/dgraph.md §6.5,
    /// §8.7).
    errors: Option<Vec<SlashError>>,
}

#[derive(SimpleObject)]
pub struct RestoreStatusResponse {
    status: String,
    errors: Vec<String>,
}

#[derive(SimpleObject)]
pub struct RestoreStatusPayload {
    response: RestoreStatusResponse,
}

fn refused(message: &str) -> Option<Vec<SlashError>> {
    Some(vec![SlashError {
        message: message.to_owned(),
    }])
}

pub struct SlashQuery;

#[Object]
impl SlashQuery {
    /// Queued, then Running, then Success with its files (docs/spec/dgraph.md §6.3; §11,
    /// choice 11).
    async fn export_status(
        &self,
        ctx: &Context<'_>,
        export_id: Option<String>,
        task_id: String,
    ) -> Result<ExportStatus> {
        let p = data::<DataPlane>(ctx)?;
        let task = p
            .cerebro
            .store
            .export_task(&p.deployment.uid, &task_id)
            .await?
            .filter(|t| {
                export_id
                    .as_deref()
                    .is_none_or(|e| e.is_empty() || e == t.export_id)
            })
            .ok_or_else(|| ApiError::invalid(format!("export task {task_id} not found")))?;
        let now = p.cerebro.now();
        let created = parse_iso(&task.created_at).unwrap_or(now);
        let ready = parse_iso(&task.ready_at).unwrap_or(now);
        let (status, last_updated) = if now >= ready {
            ("Success", ready)
        } else if now >= created + (ready - created) / 2 {
            ("Running", created + (ready - created) / 2)
        } else {
            ("Queued", created)
        };
        let signed_urls = if status == "Success" {
            signed_urls(p, &task.task_id, created).await?
        } else {
            Vec::new()
        };
        Ok(ExportStatus {
            kind: "Export".into(),
            last_updated: iso(last_updated),
            signed_urls,
            status: status.into(),
        })
    }

    /// Dedicated backends only (docs/spec/dgraph.md §6.4). The schedule is the default one: a full
    /// backup every week and an incremental one every 4 hours, derived from the backend's creation
    /// time.
    async fn list_backups(&self, ctx: &Context<'_>) -> Result<ListBackupsPayload> {
        let p = data::<DataPlane>(ctx)?;
        if !p.deployment.is_dedicated() {
            return Ok(ListBackupsPayload {
                response: None,
                errors: refused(NOT_DEDICATED_BACKUPS).unwrap_or_default(),
            });
        }
        Ok(ListBackupsPayload {
            response: Some(backups(&p.deployment, p.cerebro.now())),
            errors: Vec::new(),
        })
    }

    /// `restoreId` arrives as a string from the CLI; variables declared Int are coerced before
    /// execution (docs/spec/dgraph.md §6.6; §11, choice 6).
    async fn restore_status(
        &self,
        ctx: &Context<'_>,
        restore_id: i64,
    ) -> Result<RestoreStatusPayload> {
        let p = data::<DataPlane>(ctx)?;
        let restore = p
            .cerebro
            .store
            .restore(&p.deployment.uid, restore_id)
            .await?;
        let status = match restore {
            // Dgraph OSS answers UNKNOWN for an id it does not know.
            None => "UNKNOWN",
            Some(r)
                if p.cerebro.now()
                    < parse_iso(&r.ready_at).unwrap_or(OffsetDateTime::UNIX_EPOCH) =>
            {
                "IN_PROGRESS"
            }
            Some(_) => "OK",
        };
        Ok(RestoreStatusPayload {
            response: RestoreStatusResponse {
                status: status.into(),
                errors: Vec::new(),
            },
        })
    }
}

const NOT_DEDICATED_BACKUPS: &str = "backups are only available on dedicated backends";

/// How many weekly series `listBackups` shows: the newest ones.
const SERIES_SHOWN: i64 = 4;

/// Backups made since the backend was created, one list per weekly series, newest series last,
/// the last [`SERIES_SHOWN`] only: after a long jump of the virtual clock there would be
/// thousands. The schedule says where each series starts, so the weeks before those shown are
/// skipped, not walked: at most 4 × 42 entries, whatever the clock says.
fn backups(d: &Deployment, now: OffsetDateTime) -> Vec<Vec<Backup>> {
    let Some(created) = parse_iso(&d.created_at) else {
        return Vec::new();
    };
    if now < created {
        return Vec::new();
    }
    let week = time::Duration::weeks(1);
    let every = time::Duration::hours(4);
    let last = (now - created).whole_weeks();
    let first = (last - (SERIES_SHOWN - 1)).max(0);
    (first..=last)
        .map(|series| {
            let full = created + time::Duration::weeks(series);
            let folder = format!("{}-{}", full.year(), full.iso_week());
            let mut list = Vec::new();
            let mut at = full;
            let mut num = 1;
            while at <= now && at < full + week {
                list.push(Backup {
                    r#type: if num == 1 { "full" } else { "incremental" }.into(),
                    backup_num: num,
                    folder: folder.clone(),
                    timestamp: backup_time(at),
                });
                num += 1;
                at += every;
            }
            list
        })
        .collect()
}

/// `2021-04-15T18:00:58+0000`: no colon in the offset (docs/spec/dgraph.md §6.4).
fn backup_time(t: OffsetDateTime) -> String {
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}+0000",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

async fn signed_urls(p: &DataPlane, task_id: &str, created: OffsetDateTime) -> Result<Vec<String>> {
    let names = p.cerebro.store.export_file_names(task_id).await?;
    let claims = ExportUrlClaims {
        task: task_id.to_owned(),
        exp: created.unix_timestamp() + EXPORT_URL_SECS,
    };
    let key = p.cerebro.store.session().signing_key(EXPORT_KEY).await?;
    let token = jwt::sign(&claims, &key)?;
    Ok(names
        .iter()
        .map(|name| format!("{}/exports/{token}/{name}", p.base_url))
        .collect())
}

pub struct SlashMutation;

#[Object]
impl SlashMutation {
    /// The four forms of docs/spec/dgraph.md §6.1.
    async fn drop_data(
        &self,
        ctx: &Context<'_>,
        all_data: Option<bool>,
        all_data_and_schema: Option<bool>,
        types: Option<Vec<String>>,
        fields: Option<Vec<String>>,
    ) -> Result<DropDataPayload> {
        let p = data::<DataPlane>(ctx)?;
        let store = &p.cerebro.store;
        let uid = &p.deployment.uid;
        if all_data_and_schema == Some(true) {
            store.drop_all(uid, true).await?;
        } else if all_data == Some(true) {
            store.drop_all(uid, false).await?;
        } else if types.is_some() || fields.is_some() {
            let types = types.unwrap_or_default();
            let fields = fields.unwrap_or_default();
            let mut updated = Vec::new();
            let mut deleted = Vec::new();
            for (id, body) in store.nodes(uid).await? {
                let Ok(Value::Object(mut node)) = serde_json::from_str::<Value>(&body) else {
                    continue;
                };
                if node_has_type(&node, &types) {
                    deleted.push(id);
                    continue;
                }
                let before = node.len();
                node.retain(|k, _| !fields.contains(k));
                if node.len() != before {
                    updated.push((id, Value::Object(node).to_string()));
                }
            }
            store.rewrite_nodes(uid, &updated, &deleted).await?;
        } else {
            return Err(ApiError::invalid(
                "dropData needs one of allData, allDataAndSchema, types or fields",
            ));
        }
        Ok(DropDataPayload {
            response: success("Done"),
        })
    }

    /// Without `format`, the files are ready at once and their URLs come back (docs/spec/dgraph.md
    /// §6.2); with it, the export is queued and `exportStatus` follows it (docs/spec/dgraph.md
    /// §6.3).
    async fn export(
        &self,
        ctx: &Context<'_>,
        format: Option<String>,
        namespace: Option<i64>,
    ) -> Result<ExportPayload> {
        let p = data::<DataPlane>(ctx)?;
        if let Some(ns) = namespace {
            if !p.deployment.is_dedicated() {
                return Err(ApiError::invalid(
                    "namespaces are only available on dedicated backends",
                ));
            }
            // A namespace export needs the ACL token of a guardian of that namespace; the whole
            // cluster (-1) needs the guardian of the galaxy, namespace 0 (docs/spec/dgraph.md
            // §6.3).
            let claims = match &p.access_token {
                Some(t) => acl_claims(p, t).await?.filter(|c| !c.refresh),
                None => None,
            };
            let allowed = claims.is_some_and(|c| c.namespace == 0 || c.namespace == ns);
            if !allowed {
                return Err(ApiError::invalid(
                    "unauthorized: a valid X-Dgraph-AccessToken for this namespace is required",
                ));
            }
        }
        let fmt = match format.as_deref().map(str::to_ascii_lowercase).as_deref() {
            None | Some("json") => "json",
            Some("rdf") => "rdf",
            Some(other) => {
                return Err(ApiError::invalid(format!(
                    "invalid export format {other:?}: use json or rdf"
                )));
            }
        };
        let store = &p.cerebro.store;
        let nodes = store.nodes(&p.deployment.uid).await?;
        let sdl = p.deployment.gql_schema.as_deref();
        let data = if fmt == "rdf" {
            export::rdf_text(&nodes)
        } else {
            export::json_text(&nodes)
        };
        let files = vec![
            (
                "g01.gql_schema.gz",
                export::gzip(sdl.unwrap_or("").as_bytes()),
            ),
            (
                if fmt == "rdf" {
                    "g01.rdf.gz"
                } else {
                    "g01.json.gz"
                },
                export::gzip(data.as_bytes()),
            ),
            (
                "g01.schema.gz",
                export::gzip(export::dql_schema_text(sdl).as_bytes()),
            ),
        ];
        let now = p.cerebro.now();
        let ready = if format.is_some() {
            now + p.cerebro.state.config.dgraph.export_duration.0
        } else {
            now
        };
        let task_id = new_uid();
        let task = ExportTask {
            task_id: task_id.clone(),
            export_id: format!(
                "exports/{}/{}-{}",
                iso(now).get(..10).unwrap_or_default(),
                new_uid(),
                now.unix_timestamp()
            ),
            format: fmt.into(),
            created_at: iso(now),
            ready_at: iso(ready),
        };
        store
            .insert_export(&p.deployment.uid, &task, &files)
            .await?;
        let signed_urls = if now >= ready {
            signed_urls(p, &task_id, now).await?
        } else {
            Vec::new()
        };
        Ok(ExportPayload {
            response: success(format!("Export queued with ID {task_id}")),
            export_id: task.export_id,
            task_id,
            signed_urls,
        })
    }

    /// Replaces this backend's schema and data with those of a source backend of the same owner
    /// (docs/spec/dgraph.md §6.5). Backups are views of the source's current state.
    async fn restore(
        &self,
        ctx: &Context<'_>,
        uid: String,
        backup_folder: Option<String>,
        backup_num: Option<i64>,
    ) -> Result<RestorePayload> {
        let p = data::<DataPlane>(ctx)?;
        let fail = |m: &str| {
            Ok(RestorePayload {
                response: None,
                errors: refused(m),
            })
        };
        if !p.deployment.is_dedicated() {
            return fail("restore is only available on dedicated backends");
        }
        let store = &p.cerebro.store;
        let source = store
            .deployment(&uid)
            .await?
            .filter(|s| s.owner == p.deployment.owner);
        let Some(source) = source else {
            return fail(&format!("backend {uid} not found"));
        };
        if !source.is_dedicated() {
            return fail(NOT_DEDICATED_BACKUPS);
        }
        let now = p.cerebro.now();
        let all: Vec<Backup> = backups(&source, now).into_iter().flatten().collect();
        let folder = backup_folder.filter(|f| !f.is_empty());
        let num = backup_num.filter(|n| *n != 0);
        let exists = all.iter().any(|b| {
            folder.as_deref().is_none_or(|f| f == b.folder) && num.is_none_or(|n| n == b.backup_num)
        });
        if !exists {
            return fail("no backup matches backupFolder and backupNum");
        }
        let ready = now + p.cerebro.state.config.dgraph.restore_duration.0;
        let id = store
            .restore_from(&p.deployment.uid, &source, &iso(now), &iso(ready))
            .await?;
        Ok(RestorePayload {
            response: Some(RestoreResponse {
                code: "Success".into(),
                message: "Restore operation started.".into(),
                restore_id: id,
            }),
            errors: None,
        })
    }

    /// Hidden CLI command (docs/spec/dgraph.md §6.7): the backend unfreezes on its next request.
    async fn freeze(
        &self,
        ctx: &Context<'_>,
        deep_freeze: Option<bool>,
        backup: Option<bool>,
    ) -> Result<String> {
        let _ = (deep_freeze, backup);
        let p = data::<DataPlane>(ctx)?;
        p.cerebro
            .store
            .set_frozen(&p.deployment.uid, &iso(p.cerebro.now()))
            .await?;
        Ok("Backend frozen".into())
    }
}

fn node_has_type(node: &serde_json::Map<String, Value>, types: &[String]) -> bool {
    match node.get("dgraph.type") {
        Some(Value::String(t)) => types.contains(t),
        Some(Value::Array(ts)) => ts
            .iter()
            .any(|t| t.as_str().is_some_and(|t| types.iter().any(|x| x == t))),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn created_at(at: OffsetDateTime) -> Deployment {
        Deployment {
            created_at: iso(at),
            ..Deployment::default()
        }
    }

    #[test]
    fn backups_follow_the_schedule_a_full_one_weekly_and_one_every_four_hours() {
        let created = OffsetDateTime::UNIX_EPOCH + time::Duration::days(20_000);
        let now = created + time::Duration::weeks(2) + time::Duration::hours(5);
        let series = backups(&created_at(created), now);
        let sizes: Vec<usize> = series.iter().map(Vec::len).collect();
        assert_eq!(sizes, [42, 42, 2]);
        assert_eq!(series[2][0].r#type, "full");
        assert_eq!(series[2][1].r#type, "incremental");
        assert_eq!(series[2][1].backup_num, 2);
        assert_eq!(
            series[2][1].timestamp,
            backup_time(now - time::Duration::hours(1))
        );
    }

    #[test]
    fn backups_after_a_long_jump_of_the_clock_are_the_last_four_series() {
        let created = OffsetDateTime::UNIX_EPOCH;
        let now = created + time::Duration::weeks(300_000);
        let series = backups(&created_at(created), now);
        assert_eq!(series.len(), 4);
        let newest = created + time::Duration::weeks(300_000);
        assert_eq!(series[3][0].timestamp, backup_time(newest));
        assert_eq!(series[3].len(), 1);
        assert_eq!(series[0].len(), 42);
    }

    #[test]
    fn a_backend_created_after_now_has_no_backups() {
        let now = OffsetDateTime::UNIX_EPOCH + time::Duration::days(1);
        let created = now + time::Duration::hours(1);
        assert!(backups(&created_at(created), now).is_empty());
    }
}
