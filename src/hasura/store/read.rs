//! The read model: every row a user may see (docs/spec/hasura.md §8.2), as rows of the
//! schema's types.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::Store;
use crate::error::Internal;
use crate::hasura::auth::User;
use crate::hasura::engine::World;
use crate::hasura::model::Row;
use crate::hasura::seeds;

/// Projects the user owns or collaborates on, as a CTE over `?1` = the user id.
const VISIBLE: &str = "WITH visible(id) AS (
    SELECT id FROM hasura_projects WHERE owner_id = ?1
    UNION SELECT project_id FROM hasura_collaborators WHERE user_id = ?1)";

impl Store {
    /// Everything `user_id` may see, as rows of the schema's types.
    pub async fn world(&self, user: &User) -> Result<World, Internal> {
        let user_id = user.id();
        let now = self.now();
        let mut conn = self.session.db().acquire().await?;
        let conn = &mut *conn;
        let mut world = World::default();
        let queries: &[(&'static str, String)] = &[
            (
                "users",
                "SELECT json_object('id', id, 'email', email, 'created_at', created_at)
                 FROM hasura_users WHERE id = ?1"
                    .into(),
            ),
            (
                "user_personal_access_tokens",
                "SELECT json_object('id', id, 'user_id', user_id, 'description', description,
                    'created_at', created_at)
                 FROM hasura_pats WHERE user_id = ?1 ORDER BY created_at, id"
                    .into(),
            ),
            (
                "users_public",
                format!(
                    "{VISIBLE} SELECT json_object('id', u.id, 'email', u.email) FROM hasura_users u
                     WHERE u.id = ?1
                        OR u.id IN (SELECT owner_id FROM hasura_projects WHERE id IN visible)
                        OR u.id IN (SELECT user_id FROM hasura_collaborators WHERE project_id IN visible)"
                ),
            ),
            (
                "projects",
                format!(
                    "{VISIBLE} SELECT json_object('id', id, 'name', name, 'owner_id', owner_id,
                        'billing_manager_id', owner_id, 'plan_name', plan_name,
                        'billing_plan_name', plan_name, 'endpoint', endpoint,
                        'created_at', created_at, 'updated_at', updated_at, 'assigned_at', created_at,
                        'console_oauth_id', 'console-' || id, 'server_oauth_id', 'server-' || id,
                        'invoice_attempt_count', NULL, 'invoice_status', NULL)
                     FROM hasura_projects WHERE id IN visible ORDER BY created_at, id"
                ),
            ),
            (
                "tenant",
                format!(
                    "{VISIBLE} SELECT json_object('id', id, 'project_id', project_id, 'slug', slug,
                        'fqdn', fqdn, 'cloud', cloud, 'region', region, 'active', json('true'),
                        'active_status_reason', NULL, 'alias', NULL,
                        'cloudflare_proxy_enabled', json('false'), 'dedicated_vpc_id', NULL,
                        'health_status', NULL, 'maintenance_mode', json('false'), 'major_version', 2,
                        'created_at', created_at, 'updated_at', updated_at)
                     FROM hasura_tenants WHERE project_id IN visible ORDER BY created_at, id"
                ),
            ),
            (
                "tenant_public_status",
                format!(
                    "{VISIBLE} SELECT json_object('tenant_id', t.id, 'endpoint', p.endpoint,
                        'is_active', json('true'), 'message', NULL, 'type', 'graphql',
                        'updated_at', t.updated_at)
                     FROM hasura_tenants t JOIN hasura_projects p ON p.id = t.project_id
                     WHERE t.project_id IN visible"
                ),
            ),
            (
                "tenant_status",
                format!(
                    "{VISIBLE} SELECT json_object('tenant_id', id, 'worker_id', project_id,
                        'is_active', json('true'), 'has_inconsistent_metadata', json('false'),
                        'message', NULL, 'updated_at', updated_at)
                     FROM hasura_tenants WHERE project_id IN visible"
                ),
            ),
            (
                "config",
                format!(
                    "{VISIBLE} SELECT json_object('tenant_id', c.tenant_id, 'hash', c.hash,
                        'updated_at', c.updated_at, 'vault_path', 'secret/tenants/' || c.tenant_id)
                     FROM hasura_configs c JOIN hasura_tenants t ON t.id = c.tenant_id
                     WHERE t.project_id IN visible"
                ),
            ),
            (
                "config_status",
                format!(
                    "{VISIBLE} SELECT json_object('tenant_id', c.tenant_id, 'hash', c.hash,
                        'worker_id', t.project_id, 'is_active', json('true'), 'message', NULL,
                        'updated_at', c.updated_at)
                     FROM hasura_configs c JOIN hasura_tenants t ON t.id = c.tenant_id
                     WHERE t.project_id IN visible"
                ),
            ),
            (
                "project_collaborators",
                format!(
                    "{VISIBLE} SELECT json_object('id', id, 'project_id', project_id,
                        'collaborator_id', user_id, 'created_at', created_at)
                     FROM hasura_collaborators WHERE project_id IN visible ORDER BY created_at, id"
                ),
            ),
            (
                "project_collaborator_privileges",
                format!(
                    "{VISIBLE} SELECT json_object('project_collaborator_id', c.id,
                        'privilege_slug', p.value)
                     FROM hasura_collaborators c, json_each(c.privileges) p
                     WHERE c.project_id IN visible"
                ),
            ),
            (
                "project_collaborator_invitations",
                format!(
                    "{VISIBLE} SELECT json_object('id', id, 'project_id', project_id,
                        'collaborator_email', collaborator_email, 'privileges', json(privileges),
                        'invited_by', invited_by, 'invited_at', invited_at,
                        'accepted_at', accepted_at, 'declined_at', declined_at)
                     FROM hasura_invitations
                     WHERE project_id IN visible AND kind = 'collaborator' ORDER BY invited_at, id"
                ),
            ),
            (
                "custom_domain",
                format!(
                    "{VISIBLE} SELECT json_object('id', d.id, 'tenant_id', d.tenant_id, 'fqdn', d.fqdn,
                        'cert', 'letsencrypt', 'dns_validation', 'succeeded',
                        'ssl_status', 'succeeded', 'ssl_message', NULL,
                        'cloudflare_origin_dns_record', NULL,
                        'created_at', d.created_at, 'updated_at', d.updated_at)
                     FROM hasura_custom_domains d JOIN hasura_tenants t ON t.id = d.tenant_id
                     WHERE t.project_id IN visible ORDER BY d.created_at, d.id"
                ),
            ),
            (
                "jobs",
                "SELECT json_object('id', id, 'job_type', job_type, 'input', json(input),
                    'project_id', project_id, 'project_name', project_name, 'user_id', user_id,
                    'created_at', created_at)
                 FROM hasura_jobs WHERE user_id = ?1 ORDER BY created_at, id"
                    .into(),
            ),
            (
                "tasks",
                "SELECT json_object('id', t.id, 'job_id', t.job_id, 'name', t.name,
                    'cloud', t.cloud, 'region', t.region, 'payload', json(t.payload),
                    'max_retry', 0, 'created_at', t.created_at)
                 FROM hasura_tasks t JOIN hasura_jobs j ON j.id = t.job_id
                 WHERE j.user_id = ?1 ORDER BY t.rowid"
                    .into(),
            ),
            (
                "task_event",
                "SELECT json_object('id', e.id, 'task_id', e.task_id, 'event_type', e.event_type,
                    'public_event_data', json(e.public_event_data), 'event_data', NULL,
                    'error', e.error, 'github_detail', e.github_detail,
                    'created_at', e.happens_at, 'updated_at', e.happens_at)
                 FROM hasura_task_events e JOIN hasura_tasks t ON t.id = e.task_id
                 JOIN hasura_jobs j ON j.id = t.job_id
                 WHERE j.user_id = ?1 AND e.happens_at <= ?2 ORDER BY e.happens_at, e.rowid"
                    .into(),
            ),
        ];
        for (table, sql) in queries {
            let rows: Vec<(String,)> = sqlx::query_as(sql)
                .bind(user_id)
                .bind(&now)
                .fetch_all(&mut *conn)
                .await?;
            let rows = rows
                .into_iter()
                .map(|(json,)| serde_json::from_str::<Row>(&json))
                .collect::<Result<Vec<_>, _>>()?;
            world.tables.insert(table, rows);
        }
        derive_job_progress(&mut world);
        for (table, rows) in world.tables.iter_mut() {
            postgres_timestamps(table, rows);
        }
        world.tables.insert("region", seeds::regions());
        world.tables.insert("plans", seeds::plans());
        world.tables.insert("privileges", seeds::privileges());
        Ok(world)
    }
}

/// Stored times are `…Z` (they sort); Hasura prints timestamptz as Postgres does, `…+00:00`.
fn postgres_timestamps(table: &str, rows: &mut [Row]) {
    let Some(ty) = crate::hasura::schema::type_def(table) else {
        return;
    };
    for row in rows {
        for (column, scalar) in ty.columns {
            if *scalar != crate::hasura::schema::Scalar::Timestamptz {
                continue;
            }
            if let Some(Value::String(t)) = row.get_mut(*column)
                && let Some(stripped) = t.strip_suffix('Z')
            {
                *t = format!("{stripped}+00:00");
            }
        }
    }
}

/// Jobs and tasks progress with the clock (docs/spec/hasura.md §8.6): their status and `updated_at`
/// follow from the events whose time has come. A job is `failed` or `skipped` as soon as one of its
/// tasks is, `success` when every task has succeeded, `running` once anything happened, else
/// `created`.
fn derive_job_progress(world: &mut World) {
    let mut task_state: HashMap<String, (String, Option<String>)> = HashMap::new();
    for event in world.rows("task_event") {
        let (Some(task), Some(kind), Some(at)) = (
            event.get("task_id").and_then(Value::as_str),
            event.get("event_type").and_then(Value::as_str),
            event.get("updated_at").and_then(Value::as_str),
        ) else {
            continue;
        };
        // Events arrive in time order, so the last one wins.
        task_state.insert(task.to_owned(), (kind.to_owned(), Some(at.to_owned())));
    }
    let mut job_tasks: HashMap<String, Vec<(String, Option<String>)>> = HashMap::new();
    if let Some(tasks) = world.tables.get_mut("tasks") {
        for task in tasks.iter_mut() {
            let id = task.get("id").and_then(Value::as_str).unwrap_or_default();
            let job = task
                .get("job_id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let created = task.get("created_at").cloned().unwrap_or(Value::Null);
            let state = task_state.get(id).cloned().unwrap_or(("none".into(), None));
            task.insert(
                "updated_at".into(),
                state.1.clone().map(Value::String).unwrap_or(created),
            );
            job_tasks.entry(job).or_default().push(state);
        }
    }
    if let Some(jobs) = world.tables.get_mut("jobs") {
        for job in jobs.iter_mut() {
            let id = job.get("id").and_then(Value::as_str).unwrap_or_default();
            let states = job_tasks.get(id).cloned().unwrap_or_default();
            let has = |kind: &str| states.iter().any(|(k, _)| k == kind);
            let status = if has("failed") {
                "failed"
            } else if has("skipped") {
                "skipped"
            } else if !states.is_empty() && states.iter().all(|(k, _)| k == "success") {
                "success"
            } else if states.iter().any(|(k, _)| k != "none") {
                "running"
            } else {
                "created"
            };
            let latest = states.iter().filter_map(|(_, at)| at.clone()).max();
            let created = job.get("created_at").cloned().unwrap_or(Value::Null);
            job.insert("status".into(), json!(status));
            job.insert(
                "updated_at".into(),
                latest.map(Value::String).unwrap_or(created),
            );
        }
    }
}
