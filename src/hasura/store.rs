//! All of Hasura's SQL. A [`Store`] is the request's session database. Reads go through
//! [`Store::world`], which loads only what one user may see (spec §8.2); writes take the acting
//! user and check access themselves, so another user's project is simply not found.

use std::collections::{BTreeMap, HashMap};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde_json::{Value, json};
use sqlx::SqliteConnection;

use super::engine::{Row, World};
use super::error::GqlError;
use super::seeds;
use crate::AppState;
use crate::clock::iso;
use crate::error::{Internal, is_unique_violation};
use crate::session::Session;

pub struct Store {
    session: Session,
}

impl FromRequestParts<AppState> for Store {
    type Rejection = GqlError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, GqlError> {
        let session = state.sessions.of(&parts.extensions).await?;
        Ok(Store { session })
    }
}

/// A tenant's env: its variables and the compare-and-swap hash (spec §6.5, §8.3).
pub type Env = BTreeMap<String, String>;

/// What the acting user may do with one tenant.
pub struct Access {
    pub tenant_id: String,
    pub project_id: String,
    pub owner: bool,
    /// Collaborator privileges (`admin`, `graphql_admin`, `view_metrics`); the owner has all.
    pub admin: bool,
}

pub struct NewProject {
    pub project_id: String,
    pub tenant_id: String,
    pub name: String,
    pub owner_id: String,
    pub plan: String,
    pub cloud: String,
    pub region: String,
    pub fqdn: String,
    pub endpoint: String,
    pub env: Env,
    pub hash: String,
}

pub struct NewJob {
    pub id: String,
    pub job_type: String,
    pub input: Value,
    pub project_id: Option<String>,
    pub project_name: Option<String>,
    pub tasks: Vec<NewTask>,
}

pub struct NewTask {
    pub id: String,
    pub name: String,
    pub cloud: String,
    pub region: String,
    pub payload: Value,
    /// (id, event_type, public_event_data, error, happens_at)
    pub events: Vec<NewEvent>,
}

pub struct NewEvent {
    pub id: String,
    pub event_type: String,
    pub public_event_data: Option<Value>,
    pub error: Option<String>,
    pub github_detail: Option<String>,
    pub happens_at: String,
}

/// Why a write was refused.
#[derive(Debug)]
pub enum WriteError {
    /// The project name (= tenant slug, a subdomain) is taken.
    NameTaken,
    Internal(Internal),
}

impl From<sqlx::Error> for WriteError {
    fn from(e: sqlx::Error) -> Self {
        if is_unique_violation(&e) {
            WriteError::NameTaken
        } else {
            WriteError::Internal(e.into())
        }
    }
}

impl From<serde_json::Error> for WriteError {
    fn from(e: serde_json::Error) -> Self {
        WriteError::Internal(e.into())
    }
}

/// Projects the user owns or collaborates on, as a CTE over `?1` = the user id.
const VISIBLE: &str = "WITH visible(id) AS (
    SELECT id FROM hasura_projects WHERE owner_id = ?1
    UNION SELECT project_id FROM hasura_collaborators WHERE user_id = ?1)";

impl Store {
    pub fn new(session: Session) -> Store {
        Store { session }
    }

    pub fn session(&self) -> &Session {
        &self.session
    }

    pub fn now(&self) -> String {
        iso(self.session.clock().now())
    }

    // ---- users and tokens ----------------------------------------------------------------

    /// The user with this email, created if new; returns its id and whether it was created.
    pub async fn ensure_user(&self, id: &str, email: &str) -> Result<(String, bool), Internal> {
        let inserted = sqlx::query(
            "INSERT OR IGNORE INTO hasura_users (id, email, email_lower, created_at) VALUES (?, ?, ?, ?)",
        )
        .bind(id)
        .bind(email)
        .bind(email.to_lowercase())
        .bind(self.now())
        .execute(self.session.db())
        .await?
        .rows_affected()
            == 1;
        let (existing,): (String,) =
            sqlx::query_as("SELECT id FROM hasura_users WHERE email_lower = ?")
                .bind(email.to_lowercase())
                .fetch_one(self.session.db())
                .await?;
        Ok((existing, inserted))
    }

    pub async fn insert_pat(
        &self,
        id: &str,
        user_id: &str,
        token_hash: &str,
        description: Option<&str>,
    ) -> Result<String, Internal> {
        let now = self.now();
        sqlx::query(
            "INSERT INTO hasura_pats (id, user_id, token_hash, description, created_at) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(id)
        .bind(user_id)
        .bind(token_hash)
        .bind(description)
        .bind(&now)
        .execute(self.session.db())
        .await?;
        Ok(now)
    }

    /// The user a token belongs to.
    pub async fn user_by_pat(&self, token_hash: &str) -> Result<Option<String>, Internal> {
        Ok(
            sqlx::query_as::<_, (String,)>("SELECT user_id FROM hasura_pats WHERE token_hash = ?")
                .bind(token_hash)
                .fetch_optional(self.session.db())
                .await?
                .map(|(id,)| id),
        )
    }

    /// Deletes one of the user's PATs; it stops working at once.
    pub async fn delete_pat(&self, user_id: &str, id: &str) -> Result<bool, Internal> {
        Ok(
            sqlx::query("DELETE FROM hasura_pats WHERE id = ? AND user_id = ?")
                .bind(id)
                .bind(user_id)
                .execute(self.session.db())
                .await?
                .rows_affected()
                == 1,
        )
    }

    pub async fn user_email(&self, user_id: &str) -> Result<Option<String>, Internal> {
        Ok(
            sqlx::query_as::<_, (String,)>("SELECT email FROM hasura_users WHERE id = ?")
                .bind(user_id)
                .fetch_optional(self.session.db())
                .await?
                .map(|(e,)| e),
        )
    }

    // ---- reads ---------------------------------------------------------------------------

    /// Everything `user_id` may see, as rows of the schema's types.
    pub async fn world(&self, user_id: &str) -> Result<World, Internal> {
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

    /// The user's access to a tenant; `None` when it does not exist or is not theirs to see.
    pub async fn access(&self, user_id: &str, tenant_id: &str) -> Result<Option<Access>, Internal> {
        let row: Option<(String, String, String, Option<String>)> = sqlx::query_as(
            "SELECT t.id, p.id, p.owner_id, c.privileges FROM hasura_tenants t
             JOIN hasura_projects p ON p.id = t.project_id
             LEFT JOIN hasura_collaborators c ON c.project_id = p.id AND c.user_id = ?1
             WHERE t.id = ?2 AND (p.owner_id = ?1 OR c.id IS NOT NULL)",
        )
        .bind(user_id)
        .bind(tenant_id)
        .fetch_optional(self.session.db())
        .await?;
        Ok(row.map(|(tenant_id, project_id, owner_id, privileges)| {
            let owner = owner_id == user_id;
            let privileges: Vec<String> = privileges
                .and_then(|p| serde_json::from_str(&p).ok())
                .unwrap_or_default();
            Access {
                tenant_id,
                project_id,
                owner,
                admin: owner || privileges.iter().any(|p| p == "admin"),
            }
        }))
    }

    /// The tenant of a project the user may see.
    pub async fn tenant_of_project(
        &self,
        user_id: &str,
        project_id: &str,
    ) -> Result<Option<Access>, Internal> {
        let tenant: Option<(String,)> =
            sqlx::query_as("SELECT id FROM hasura_tenants WHERE project_id = ?")
                .bind(project_id)
                .fetch_optional(self.session.db())
                .await?;
        match tenant {
            Some((tenant_id,)) => self.access(user_id, &tenant_id).await,
            None => Ok(None),
        }
    }

    pub async fn env(&self, tenant_id: &str) -> Result<Option<(Env, String)>, Internal> {
        let row: Option<(String, String)> =
            sqlx::query_as("SELECT env, hash FROM hasura_configs WHERE tenant_id = ?")
                .bind(tenant_id)
                .fetch_optional(self.session.db())
                .await?;
        match row {
            Some((env, hash)) => Ok(Some((serde_json::from_str(&env)?, hash))),
            None => Ok(None),
        }
    }

    // ---- writes --------------------------------------------------------------------------

    pub async fn create_project(&self, project: &NewProject) -> Result<(), WriteError> {
        let mut tx = self.session.db().begin().await?;
        insert_project(&mut tx, project, &self.now()).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn delete_project(&self, project_id: &str) -> Result<(), Internal> {
        sqlx::query("DELETE FROM hasura_projects WHERE id = ?")
            .bind(project_id)
            .execute(self.session.db())
            .await?;
        Ok(())
    }

    /// Replaces the env only if its hash is still `current_hash`: one statement, so of two
    /// concurrent updates with the same hash exactly one wins.
    pub async fn swap_env(
        &self,
        tenant_id: &str,
        current_hash: &str,
        env: &Env,
        hash: &str,
    ) -> Result<bool, Internal> {
        let swapped = sqlx::query(
            "UPDATE hasura_configs SET env = ?, hash = ?, updated_at = ? WHERE tenant_id = ? AND hash = ?",
        )
        .bind(serde_json::to_string(env)?)
        .bind(hash)
        .bind(self.now())
        .bind(tenant_id)
        .bind(current_hash)
        .execute(self.session.db())
        .await?
        .rows_affected();
        Ok(swapped == 1)
    }

    /// Renames a project: its name, its tenant's slug and fqdn, its endpoint move together.
    pub async fn rename(
        &self,
        project_id: &str,
        name: &str,
        fqdn: &str,
        endpoint: &str,
    ) -> Result<(), WriteError> {
        let now = self.now();
        let mut tx = self.session.db().begin().await?;
        sqlx::query(
            "UPDATE hasura_projects SET name = ?, endpoint = ?, updated_at = ? WHERE id = ?",
        )
        .bind(name)
        .bind(endpoint)
        .bind(&now)
        .bind(project_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE hasura_tenants SET slug = ?, fqdn = ?, updated_at = ? WHERE project_id = ?",
        )
        .bind(name)
        .bind(fqdn)
        .bind(&now)
        .bind(project_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn move_region(
        &self,
        project_id: &str,
        cloud: &str,
        region: &str,
    ) -> Result<(), Internal> {
        sqlx::query(
            "UPDATE hasura_tenants SET cloud = ?, region = ?, updated_at = ? WHERE project_id = ?",
        )
        .bind(cloud)
        .bind(region)
        .bind(self.now())
        .bind(project_id)
        .execute(self.session.db())
        .await?;
        Ok(())
    }

    pub async fn set_plan(&self, project_id: &str, plan: &str) -> Result<(), Internal> {
        sqlx::query("UPDATE hasura_projects SET plan_name = ?, updated_at = ? WHERE id = ?")
            .bind(plan)
            .bind(self.now())
            .bind(project_id)
            .execute(self.session.db())
            .await?;
        Ok(())
    }

    /// A preview app in one transaction: the same-named project of this user goes, the new
    /// project (none when the creation is to fail) and its jobs come.
    pub async fn create_preview_app(
        &self,
        user_id: &str,
        project: Option<&NewProject>,
        jobs: &[NewJob],
    ) -> Result<(), WriteError> {
        let now = self.now();
        let mut tx = self.session.db().begin().await?;
        if let Some(project) = project {
            sqlx::query("DELETE FROM hasura_projects WHERE owner_id = ? AND name = ?")
                .bind(user_id)
                .bind(&project.name)
                .execute(&mut *tx)
                .await?;
            insert_project(&mut tx, project, &now).await?;
        }
        for job in jobs {
            insert_job(&mut tx, user_id, job, &now).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Sets the outcome of the next preview app named `name`.
    pub async fn set_preview_outcome(
        &self,
        name: &str,
        outcome: &str,
        error: Option<&str>,
    ) -> Result<(), Internal> {
        sqlx::query(
            "INSERT INTO hasura_preview_app_outcomes (name, outcome, error, created_at) VALUES (?, ?, ?, ?)
             ON CONFLICT (name) DO UPDATE SET outcome = excluded.outcome, error = excluded.error",
        )
        .bind(name)
        .bind(outcome)
        .bind(error)
        .bind(self.now())
        .execute(self.session.db())
        .await?;
        Ok(())
    }

    /// The injected outcome for a preview app named `name`, used up by this call.
    pub async fn take_preview_outcome(
        &self,
        name: &str,
    ) -> Result<Option<(String, Option<String>)>, Internal> {
        Ok(sqlx::query_as(
            "DELETE FROM hasura_preview_app_outcomes WHERE name = ? RETURNING outcome, error",
        )
        .bind(name)
        .fetch_optional(self.session.db())
        .await?)
    }

    pub async fn insert_custom_domain(
        &self,
        id: &str,
        tenant_id: &str,
        fqdn: &str,
    ) -> Result<(), WriteError> {
        let now = self.now();
        sqlx::query(
            "INSERT INTO hasura_custom_domains (id, tenant_id, fqdn, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(id)
        .bind(tenant_id)
        .bind(fqdn)
        .bind(&now)
        .bind(&now)
        .execute(self.session.db())
        .await?;
        Ok(())
    }

    pub async fn delete_custom_domain(&self, id: &str) -> Result<(), Internal> {
        sqlx::query("DELETE FROM hasura_custom_domains WHERE id = ?")
            .bind(id)
            .execute(self.session.db())
            .await?;
        Ok(())
    }

    pub async fn delete_collaborator(&self, id: &str) -> Result<(), Internal> {
        sqlx::query("DELETE FROM hasura_collaborators WHERE id = ?")
            .bind(id)
            .execute(self.session.db())
            .await?;
        Ok(())
    }

    /// Stores an invitation; returns when it was made.
    pub async fn insert_invitation(&self, inv: &NewInvitation<'_>) -> Result<String, Internal> {
        let now = self.now();
        sqlx::query(
            "INSERT INTO hasura_invitations (kind, id, project_id, collaborator_email, privileges, invited_by, key_hash, invited_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(inv.kind)
        .bind(inv.id)
        .bind(inv.project_id)
        .bind(inv.email)
        .bind(serde_json::to_string(inv.privileges)?)
        .bind(inv.invited_by)
        .bind(inv.key_hash)
        .bind(&now)
        .execute(self.session.db())
        .await?;
        Ok(now)
    }

    /// An open invitation by its key's hash.
    pub async fn invitation(
        &self,
        kind: &str,
        key_hash: &str,
    ) -> Result<Option<Invitation>, Internal> {
        let row: Option<(String, String, String, String, String, String)> = sqlx::query_as(
            "SELECT id, project_id, collaborator_email, privileges, invited_by, invited_at
             FROM hasura_invitations
             WHERE kind = ? AND key_hash = ? AND accepted_at IS NULL AND declined_at IS NULL",
        )
        .bind(kind)
        .bind(key_hash)
        .fetch_optional(self.session.db())
        .await?;
        Ok(row.map(
            |(id, project_id, collaborator_email, privileges, invited_by, invited_at)| Invitation {
                id,
                project_id,
                collaborator_email,
                privileges: serde_json::from_str(&privileges).unwrap_or_default(),
                invited_by,
                invited_at,
            },
        ))
    }

    /// Accepting makes the user a collaborator (or updates their privileges), in one transaction.
    pub async fn accept_invitation(
        &self,
        invitation: &Invitation,
        collaborator_id: &str,
        user_id: &str,
    ) -> Result<(), Internal> {
        let now = self.now();
        let mut tx = self.session.db().begin().await?;
        sqlx::query("UPDATE hasura_invitations SET accepted_at = ? WHERE id = ?")
            .bind(&now)
            .bind(&invitation.id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO hasura_collaborators (id, project_id, user_id, privileges, created_at)
             VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (project_id, user_id) DO UPDATE SET privileges = excluded.privileges",
        )
        .bind(collaborator_id)
        .bind(&invitation.project_id)
        .bind(user_id)
        .bind(serde_json::to_string(&invitation.privileges)?)
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Accepting a transfer makes the user the owner; the previous owner stays on as an admin
    /// collaborator (emulator choice: the real outcome for the previous owner is not published).
    pub async fn accept_ownership(
        &self,
        invitation: &Invitation,
        collaborator_id: &str,
        user_id: &str,
    ) -> Result<(), Internal> {
        let now = self.now();
        let mut tx = self.session.db().begin().await?;
        sqlx::query("UPDATE hasura_invitations SET accepted_at = ? WHERE id = ?")
            .bind(&now)
            .bind(&invitation.id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO hasura_collaborators (id, project_id, user_id, privileges, created_at)
             SELECT ?, id, owner_id, ?, ? FROM hasura_projects WHERE id = ?
             ON CONFLICT (project_id, user_id) DO UPDATE SET privileges = excluded.privileges",
        )
        .bind(collaborator_id)
        .bind(r#"["admin","graphql_admin","view_metrics"]"#)
        .bind(&now)
        .bind(&invitation.project_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM hasura_collaborators WHERE project_id = ? AND user_id = ?")
            .bind(&invitation.project_id)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE hasura_projects SET owner_id = ?, updated_at = ? WHERE id = ?")
            .bind(user_id)
            .bind(&now)
            .bind(&invitation.project_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn decline_invitation(&self, id: &str) -> Result<(), Internal> {
        sqlx::query("UPDATE hasura_invitations SET declined_at = ? WHERE id = ?")
            .bind(self.now())
            .bind(id)
            .execute(self.session.db())
            .await?;
        Ok(())
    }

    /// Whether the user owns the project a collaborator row belongs to.
    pub async fn owns_collaboration(&self, user_id: &str, id: &str) -> Result<bool, Internal> {
        let row: Option<(i64,)> = sqlx::query_as(
            "SELECT 1 FROM hasura_collaborators c JOIN hasura_projects p ON p.id = c.project_id
             WHERE c.id = ? AND p.owner_id = ?",
        )
        .bind(id)
        .bind(user_id)
        .fetch_optional(self.session.db())
        .await?;
        Ok(row.is_some())
    }
}

pub struct NewInvitation<'a> {
    /// `collaborator` or `ownership`.
    pub kind: &'a str,
    pub id: &'a str,
    pub project_id: &'a str,
    pub email: &'a str,
    pub privileges: &'a [String],
    pub invited_by: &'a str,
    pub key_hash: &'a str,
}

pub struct Invitation {
    pub id: String,
    pub project_id: String,
    pub collaborator_email: String,
    pub privileges: Vec<String>,
    pub invited_by: String,
    pub invited_at: String,
}

pub(crate) async fn insert_project(
    conn: &mut SqliteConnection,
    p: &NewProject,
    now: &str,
) -> Result<(), WriteError> {
    sqlx::query(
        "INSERT INTO hasura_projects (id, name, owner_id, plan_name, endpoint, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&p.project_id)
    .bind(&p.name)
    .bind(&p.owner_id)
    .bind(&p.plan)
    .bind(&p.endpoint)
    .bind(now)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO hasura_tenants (id, project_id, slug, fqdn, cloud, region, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&p.tenant_id)
    .bind(&p.project_id)
    .bind(&p.name)
    .bind(&p.fqdn)
    .bind(&p.cloud)
    .bind(&p.region)
    .bind(now)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO hasura_configs (tenant_id, env, hash, updated_at) VALUES (?, ?, ?, ?)",
    )
    .bind(&p.tenant_id)
    .bind(serde_json::to_string(&p.env)?)
    .bind(&p.hash)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn insert_job(
    conn: &mut SqliteConnection,
    user_id: &str,
    job: &NewJob,
    now: &str,
) -> Result<(), WriteError> {
    sqlx::query(
        "INSERT INTO hasura_jobs (id, user_id, job_type, input, project_id, project_name, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&job.id)
    .bind(user_id)
    .bind(&job.job_type)
    .bind(job.input.to_string())
    .bind(&job.project_id)
    .bind(&job.project_name)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    for task in &job.tasks {
        sqlx::query(
            "INSERT INTO hasura_tasks (id, job_id, name, cloud, region, payload, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&task.id)
        .bind(&job.id)
        .bind(&task.name)
        .bind(&task.cloud)
        .bind(&task.region)
        .bind(task.payload.to_string())
        .bind(now)
        .execute(&mut *conn)
        .await?;
        for e in &task.events {
            sqlx::query(
                "INSERT INTO hasura_task_events (id, task_id, event_type, public_event_data, error, github_detail, happens_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(&e.id)
            .bind(&task.id)
            .bind(&e.event_type)
            .bind(e.public_event_data.as_ref().map(Value::to_string))
            .bind(&e.error)
            .bind(&e.github_detail)
            .bind(&e.happens_at)
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}

/// Stored times are `…Z` (they sort); Hasura prints timestamptz as Postgres does, `…+00:00`.
fn postgres_timestamps(table: &str, rows: &mut [Row]) {
    let Some(ty) = super::schema::type_def(table) else {
        return;
    };
    for row in rows {
        for (column, scalar) in ty.columns {
            if *scalar != super::schema::Scalar::Timestamptz {
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

/// Jobs and tasks progress with the clock (spec §8.6): their status and `updated_at` follow from
/// the events whose time has come. A job is `failed` or `skipped` as soon as one of its tasks
/// is, `success` when every task has succeeded, `running` once anything happened, else
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

// ---- fixtures: plain inserts on an open transaction ----------------------------------------------

/// A user with a pinned id (fixtures); a taken id or email is a unique violation.
pub async fn insert_user(
    conn: &mut SqliteConnection,
    id: &str,
    email: &str,
    now: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO hasura_users (id, email, email_lower, created_at) VALUES (?, ?, ?, ?)",
    )
    .bind(id)
    .bind(email)
    .bind(email.to_lowercase())
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A personal access token, by the hash of its known value (fixtures).
pub async fn insert_pat_row(
    conn: &mut SqliteConnection,
    id: &str,
    user_id: &str,
    token_hash: &str,
    now: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO hasura_pats (id, user_id, token_hash, description, created_at) VALUES (?, ?, ?, NULL, ?)",
    )
    .bind(id)
    .bind(user_id)
    .bind(token_hash)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
