//! All of Dgraph's SQL. A [`Store`] is the request's session database. Control-plane reads take
//! the calling account first, so another account's deployment is simply not found.

use sqlx::{Sqlite, SqliteConnection, Transaction};

use super::model::{Account, ApiKeyRole, Deployment, ExportTask, Organization, Restore};
use crate::error::{Internal, is_unique_violation};
use crate::session::Session;

#[derive(Clone)]
pub struct Store {
    session: Session,
}

/// Writes that can be refused for a reason the client should hear about.
#[derive(Debug)]
pub enum WriteError {
    /// A UNIQUE column (email, subdomain) already holds that value.
    Taken,
    Internal(Internal),
}

impl From<sqlx::Error> for WriteError {
    fn from(e: sqlx::Error) -> Self {
        if is_unique_violation(&e) {
            WriteError::Taken
        } else {
            WriteError::Internal(e.into())
        }
    }
}

const DEPLOYMENT_COLUMNS: &str = "uid, owner, organization_uid, name, zone, subdomain, port, \
     deployment_mode, deployment_type, size, lambda_script, tenant_id, gql_schema, created_at, \
     ready_at";

/// Deployments an account sees: its own, and those of organizations it belongs to.
const VISIBLE: &str = "(owner = ?1 OR organization_uid IN \
     (SELECT organization_uid FROM dgraph_organization_members WHERE account_id = ?1))";

impl Store {
    pub fn new(session: Session) -> Store {
        Store { session }
    }

    pub fn session(&self) -> &Session {
        &self.session
    }

    async fn begin(&self) -> Result<Transaction<'static, Sqlite>, sqlx::Error> {
        self.session.db().begin().await
    }

    // --- accounts ---

    pub async fn insert_account(
        &self,
        account: &Account,
        password_hash: &str,
        now: &str,
    ) -> Result<(), WriteError> {
        sqlx::query(
            "INSERT INTO dgraph_accounts (id, email, email_lower, name, password_hash, created_at)
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(&account.id)
        .bind(&account.email)
        .bind(account.email.to_lowercase())
        .bind(&account.name)
        .bind(password_hash)
        .bind(now)
        .execute(self.session.db())
        .await?;
        Ok(())
    }

    /// The account with that email and its password hash.
    pub async fn account_by_email(
        &self,
        email: &str,
    ) -> Result<Option<(Account, String)>, Internal> {
        let row: Option<(String, String, String, String)> = sqlx::query_as(
            "SELECT id, email, name, password_hash FROM dgraph_accounts WHERE email_lower = ?",
        )
        .bind(email.to_lowercase())
        .fetch_optional(self.session.db())
        .await?;
        Ok(row.map(|(id, email, name, hash)| (Account { id, email, name }, hash)))
    }

    pub async fn account(&self, id: &str) -> Result<Option<Account>, Internal> {
        Ok(
            sqlx::query_as("SELECT id, email, name FROM dgraph_accounts WHERE id = ?")
                .bind(id)
                .fetch_optional(self.session.db())
                .await?,
        )
    }

    /// The session's first account: who a device-code login signs in as.
    pub async fn first_account(&self) -> Result<Option<Account>, Internal> {
        Ok(sqlx::query_as(
            "SELECT id, email, name FROM dgraph_accounts ORDER BY created_at, rowid LIMIT 1",
        )
        .fetch_optional(self.session.db())
        .await?)
    }

    // --- CLI device codes and refresh tokens ---

    pub async fn insert_cli_code(
        &self,
        code_hash: &str,
        kind: &str,
        account_id: Option<&str>,
        now: &str,
    ) -> Result<(), Internal> {
        sqlx::query(
            "INSERT INTO dgraph_cli_codes (code_hash, kind, account_id, created_at) VALUES (?, ?, ?, ?)",
        )
        .bind(code_hash)
        .bind(kind)
        .bind(account_id)
        .bind(now)
        .execute(self.session.db())
        .await?;
        Ok(())
    }

    /// The code's creation time and account, when it exists with that kind.
    pub async fn cli_code(
        &self,
        code_hash: &str,
        kind: &str,
    ) -> Result<Option<(String, Option<String>)>, Internal> {
        Ok(sqlx::query_as(
            "SELECT created_at, account_id FROM dgraph_cli_codes WHERE code_hash = ? AND kind = ?",
        )
        .bind(code_hash)
        .bind(kind)
        .fetch_optional(self.session.db())
        .await?)
    }

    pub async fn delete_cli_code(&self, code_hash: &str) -> Result<bool, Internal> {
        let done = sqlx::query("DELETE FROM dgraph_cli_codes WHERE code_hash = ?")
            .bind(code_hash)
            .execute(self.session.db())
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Revokes every refresh token of the account; returns how many there were.
    pub async fn delete_refresh_tokens(&self, account_id: &str) -> Result<u64, Internal> {
        let done =
            sqlx::query("DELETE FROM dgraph_cli_codes WHERE kind = 'refresh' AND account_id = ?")
                .bind(account_id)
                .execute(self.session.db())
                .await?;
        Ok(done.rows_affected())
    }

    // --- deployments ---

    pub async fn insert_deployment(&self, d: &Deployment) -> Result<(), WriteError> {
        let mut conn = self.session.db().acquire().await?;
        insert_deployment_on(&mut conn, d).await?;
        Ok(())
    }

    pub async fn set_port(&self, uid: &str, port: Option<u16>) -> Result<(), Internal> {
        sqlx::query("UPDATE dgraph_deployments SET port = ? WHERE uid = ?")
            .bind(port)
            .bind(uid)
            .execute(self.session.db())
            .await?;
        Ok(())
    }

    pub async fn subdomain_taken(&self, subdomain: &str) -> Result<bool, Internal> {
        let n: i64 =
            sqlx::query_scalar("SELECT count(*) FROM dgraph_deployments WHERE subdomain = ?")
                .bind(subdomain)
                .fetch_one(self.session.db())
                .await?;
        Ok(n > 0)
    }

    pub async fn visible_deployments(&self, account_id: &str) -> Result<Vec<Deployment>, Internal> {
        Ok(sqlx::query_as(&format!(
            "SELECT {DEPLOYMENT_COLUMNS} FROM dgraph_deployments WHERE {VISIBLE}
             ORDER BY created_at, rowid"
        ))
        .bind(account_id)
        .fetch_all(self.session.db())
        .await?)
    }

    pub async fn visible_deployment(
        &self,
        account_id: &str,
        uid: &str,
    ) -> Result<Option<Deployment>, Internal> {
        Ok(sqlx::query_as(&format!(
            "SELECT {DEPLOYMENT_COLUMNS} FROM dgraph_deployments WHERE {VISIBLE} AND uid = ?2"
        ))
        .bind(account_id)
        .bind(uid)
        .fetch_optional(self.session.db())
        .await?)
    }

    /// A deployment by uid, for the data plane (whose callers prove themselves with its tokens).
    pub async fn deployment(&self, uid: &str) -> Result<Option<Deployment>, Internal> {
        Ok(sqlx::query_as(&format!(
            "SELECT {DEPLOYMENT_COLUMNS} FROM dgraph_deployments WHERE uid = ?"
        ))
        .bind(uid)
        .fetch_optional(self.session.db())
        .await?)
    }

    pub async fn deployment_by_subdomain(
        &self,
        subdomain: &str,
    ) -> Result<Option<Deployment>, Internal> {
        Ok(sqlx::query_as(&format!(
            "SELECT {DEPLOYMENT_COLUMNS} FROM dgraph_deployments WHERE subdomain = ?"
        ))
        .bind(subdomain)
        .fetch_optional(self.session.db())
        .await?)
    }

    /// Changes the given fields (None leaves a field as it is).
    pub async fn update_deployment(
        &self,
        uid: &str,
        name: Option<&str>,
        mode: Option<&str>,
        organization_uid: Option<&str>,
    ) -> Result<(), Internal> {
        sqlx::query(
            "UPDATE dgraph_deployments SET name = coalesce(?, name),
                    deployment_mode = coalesce(?, deployment_mode),
                    organization_uid = coalesce(?, organization_uid)
             WHERE uid = ?",
        )
        .bind(name)
        .bind(mode)
        .bind(organization_uid)
        .bind(uid)
        .execute(self.session.db())
        .await?;
        Ok(())
    }

    pub async fn delete_deployment(&self, uid: &str) -> Result<bool, Internal> {
        let done = sqlx::query("DELETE FROM dgraph_deployments WHERE uid = ?")
            .bind(uid)
            .execute(self.session.db())
            .await?;
        Ok(done.rows_affected() > 0)
    }

    pub async fn set_frozen(&self, uid: &str, at: &str) -> Result<(), Internal> {
        sqlx::query("UPDATE dgraph_deployments SET frozen_at = ? WHERE uid = ?")
            .bind(at)
            .bind(uid)
            .execute(self.session.db())
            .await?;
        Ok(())
    }

    // --- lambdas ---

    /// Stores the script (base64, `""` for none) and the log lines the lambda server writes.
    pub async fn set_lambda(
        &self,
        uid: &str,
        script: &str,
        logs: &[(String, String)],
    ) -> Result<(), Internal> {
        let mut tx = self.begin().await?;
        sqlx::query("UPDATE dgraph_deployments SET lambda_script = ? WHERE uid = ?")
            .bind(script)
            .bind(uid)
            .execute(&mut *tx)
            .await?;
        for (at, line) in logs {
            sqlx::query(
                "INSERT INTO dgraph_lambda_logs (deployment_uid, at, line) VALUES (?, ?, ?)",
            )
            .bind(uid)
            .bind(at)
            .bind(line)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Log lines written at or after `start` and before `end` (ISO times), oldest first.
    pub async fn lambda_logs(
        &self,
        uid: &str,
        start: &str,
        end: &str,
    ) -> Result<Vec<String>, Internal> {
        Ok(sqlx::query_scalar(
            "SELECT line FROM dgraph_lambda_logs
             WHERE deployment_uid = ? AND at >= ? AND at < ? ORDER BY at, id",
        )
        .bind(uid)
        .bind(start)
        .bind(end)
        .fetch_all(self.session.db())
        .await?)
    }

    // --- API keys ---

    pub async fn insert_api_key(
        &self,
        uid: &str,
        deployment_uid: &str,
        name: &str,
        role: ApiKeyRole,
        key_hash: &str,
        now: &str,
    ) -> Result<(), Internal> {
        sqlx::query(
            "INSERT INTO dgraph_api_keys (uid, deployment_uid, name, role, key_hash, created_at)
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(uid)
        .bind(deployment_uid)
        .bind(name)
        .bind(role.as_str())
        .bind(key_hash)
        .bind(now)
        .execute(self.session.db())
        .await?;
        Ok(())
    }

    /// The role of the key with that hash, when it belongs to the deployment.
    pub async fn api_key_role(
        &self,
        deployment_uid: &str,
        key_hash: &str,
    ) -> Result<Option<ApiKeyRole>, Internal> {
        let role: Option<String> = sqlx::query_scalar(
            "SELECT role FROM dgraph_api_keys WHERE deployment_uid = ? AND key_hash = ?",
        )
        .bind(deployment_uid)
        .bind(key_hash)
        .fetch_optional(self.session.db())
        .await?;
        Ok(role.map(|r| {
            if r == "admin" {
                ApiKeyRole::Admin
            } else {
                ApiKeyRole::Client
            }
        }))
    }

    // --- schema and data ---

    pub async fn set_schema(&self, uid: &str, schema: Option<&str>) -> Result<(), Internal> {
        sqlx::query("UPDATE dgraph_deployments SET gql_schema = ? WHERE uid = ?")
            .bind(schema)
            .bind(uid)
            .execute(self.session.db())
            .await?;
        Ok(())
    }

    pub async fn insert_nodes(&self, uid: &str, nodes: &[String]) -> Result<(), Internal> {
        let mut tx = self.begin().await?;
        for body in nodes {
            sqlx::query("INSERT INTO dgraph_nodes (deployment_uid, body) VALUES (?, ?)")
                .bind(uid)
                .bind(body)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn nodes(&self, uid: &str) -> Result<Vec<(i64, String)>, Internal> {
        Ok(
            sqlx::query_as(
                "SELECT id, body FROM dgraph_nodes WHERE deployment_uid = ? ORDER BY id",
            )
            .bind(uid)
            .fetch_all(self.session.db())
            .await?,
        )
    }

    /// Replaces the bodies of the given nodes and deletes others, in one transaction.
    pub async fn rewrite_nodes(
        &self,
        uid: &str,
        updated: &[(i64, String)],
        deleted: &[i64],
    ) -> Result<(), Internal> {
        let mut tx = self.begin().await?;
        for (id, body) in updated {
            sqlx::query("UPDATE dgraph_nodes SET body = ? WHERE id = ? AND deployment_uid = ?")
                .bind(body)
                .bind(id)
                .bind(uid)
                .execute(&mut *tx)
                .await?;
        }
        for id in deleted {
            sqlx::query("DELETE FROM dgraph_nodes WHERE id = ? AND deployment_uid = ?")
                .bind(id)
                .bind(uid)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Drops all data, and the schema too when asked.
    pub async fn drop_all(&self, uid: &str, and_schema: bool) -> Result<(), Internal> {
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM dgraph_nodes WHERE deployment_uid = ?")
            .bind(uid)
            .execute(&mut *tx)
            .await?;
        if and_schema {
            sqlx::query("UPDATE dgraph_deployments SET gql_schema = NULL WHERE uid = ?")
                .bind(uid)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    // --- exports ---

    pub async fn insert_export(
        &self,
        task: &ExportTask,
        deployment_uid: &str,
        files: &[(&str, Vec<u8>)],
    ) -> Result<(), Internal> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO dgraph_exports (task_id, export_id, deployment_uid, format, created_at, ready_at)
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(&task.task_id)
        .bind(&task.export_id)
        .bind(deployment_uid)
        .bind(&task.format)
        .bind(&task.created_at)
        .bind(&task.ready_at)
        .execute(&mut *tx)
        .await?;
        for (name, content) in files {
            sqlx::query(
                "INSERT INTO dgraph_export_files (task_id, name, content) VALUES (?, ?, ?)",
            )
            .bind(&task.task_id)
            .bind(name)
            .bind(content)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn export_task(
        &self,
        deployment_uid: &str,
        task_id: &str,
    ) -> Result<Option<ExportTask>, Internal> {
        Ok(sqlx::query_as(
            "SELECT task_id, export_id, format, created_at, ready_at FROM dgraph_exports
             WHERE deployment_uid = ? AND task_id = ?",
        )
        .bind(deployment_uid)
        .bind(task_id)
        .fetch_optional(self.session.db())
        .await?)
    }

    pub async fn export_file_names(&self, task_id: &str) -> Result<Vec<String>, Internal> {
        Ok(sqlx::query_scalar(
            "SELECT name FROM dgraph_export_files WHERE task_id = ? ORDER BY name",
        )
        .bind(task_id)
        .fetch_all(self.session.db())
        .await?)
    }

    pub async fn export_file(
        &self,
        task_id: &str,
        name: &str,
    ) -> Result<Option<Vec<u8>>, Internal> {
        Ok(sqlx::query_scalar(
            "SELECT content FROM dgraph_export_files WHERE task_id = ? AND name = ?",
        )
        .bind(task_id)
        .bind(name)
        .fetch_optional(self.session.db())
        .await?)
    }

    // --- restores ---

    /// Replaces the target's schema and data with the source's and records the restore.
    pub async fn restore_from(
        &self,
        target: &str,
        source: &Deployment,
        now: &str,
        ready_at: &str,
    ) -> Result<i64, Internal> {
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM dgraph_nodes WHERE deployment_uid = ?")
            .bind(target)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO dgraph_nodes (deployment_uid, body)
             SELECT ?, body FROM dgraph_nodes WHERE deployment_uid = ? ORDER BY id",
        )
        .bind(target)
        .bind(&source.uid)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE dgraph_deployments SET gql_schema = ? WHERE uid = ?")
            .bind(&source.gql_schema)
            .bind(target)
            .execute(&mut *tx)
            .await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO dgraph_restores (deployment_uid, source_uid, created_at, ready_at)
             VALUES (?, ?, ?, ?) RETURNING id",
        )
        .bind(target)
        .bind(&source.uid)
        .bind(now)
        .bind(ready_at)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn restore(
        &self,
        deployment_uid: &str,
        id: i64,
    ) -> Result<Option<Restore>, Internal> {
        Ok(sqlx::query_as(
            "SELECT ready_at FROM dgraph_restores WHERE deployment_uid = ? AND id = ?",
        )
        .bind(deployment_uid)
        .bind(id)
        .fetch_optional(self.session.db())
        .await?)
    }

    // --- organizations ---

    pub async fn create_organization(
        &self,
        org_uid: &str,
        member_uid: &str,
        name: &str,
        account_id: &str,
        now: &str,
    ) -> Result<(), Internal> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO dgraph_organizations (uid, name, created_by, created_at) VALUES (?, ?, ?, ?)",
        )
        .bind(org_uid)
        .bind(name)
        .bind(account_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO dgraph_organization_members (organization_uid, account_id, uid) VALUES (?, ?, ?)",
        )
        .bind(org_uid)
        .bind(account_id)
        .bind(member_uid)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Organizations the account belongs to.
    pub async fn organizations_of(&self, account_id: &str) -> Result<Vec<Organization>, Internal> {
        Ok(sqlx::query_as(
            "SELECT o.uid, o.name, o.created_by FROM dgraph_organizations o
             JOIN dgraph_organization_members m ON m.organization_uid = o.uid
             WHERE m.account_id = ? ORDER BY o.created_at, o.rowid",
        )
        .bind(account_id)
        .fetch_all(self.session.db())
        .await?)
    }

    pub async fn organization_of(
        &self,
        account_id: &str,
        org_uid: &str,
    ) -> Result<Option<Organization>, Internal> {
        Ok(sqlx::query_as(
            "SELECT o.uid, o.name, o.created_by FROM dgraph_organizations o
             JOIN dgraph_organization_members m ON m.organization_uid = o.uid
             WHERE m.account_id = ? AND o.uid = ?",
        )
        .bind(account_id)
        .bind(org_uid)
        .fetch_optional(self.session.db())
        .await?)
    }

    /// Members of an organization: (member uid, account).
    pub async fn members(&self, org_uid: &str) -> Result<Vec<(String, Account)>, Internal> {
        let rows: Vec<(String, String, String, String)> = sqlx::query_as(
            "SELECT m.uid, a.id, a.email, a.name FROM dgraph_organization_members m
             JOIN dgraph_accounts a ON a.id = m.account_id
             WHERE m.organization_uid = ? ORDER BY m.rowid",
        )
        .bind(org_uid)
        .fetch_all(self.session.db())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(uid, id, email, name)| (uid, Account { id, email, name }))
            .collect())
    }

    pub async fn add_member(
        &self,
        org_uid: &str,
        account_id: &str,
        member_uid: &str,
    ) -> Result<(), Internal> {
        sqlx::query(
            "INSERT OR IGNORE INTO dgraph_organization_members (organization_uid, account_id, uid)
             VALUES (?, ?, ?)",
        )
        .bind(org_uid)
        .bind(account_id)
        .bind(member_uid)
        .execute(self.session.db())
        .await?;
        Ok(())
    }

    pub async fn remove_member(&self, org_uid: &str, account_id: &str) -> Result<bool, Internal> {
        let done = sqlx::query(
            "DELETE FROM dgraph_organization_members WHERE organization_uid = ? AND account_id = ?",
        )
        .bind(org_uid)
        .bind(account_id)
        .execute(self.session.db())
        .await?;
        Ok(done.rows_affected() > 0)
    }
}

// ---- fixtures: plain inserts on an open transaction ----------------------------------------------

/// An account with a pinned id (fixtures); a taken id or email is a unique violation.
pub async fn insert_fixture_account(
    conn: &mut SqliteConnection,
    account: &Account,
    password_hash: &str,
    now: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO dgraph_accounts (id, email, email_lower, name, password_hash, created_at)
         VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(&account.id)
    .bind(&account.email)
    .bind(account.email.to_lowercase())
    .bind(&account.name)
    .bind(password_hash)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A deployment row (a create, or a fixture); a taken uid or subdomain is a unique violation.
pub async fn insert_deployment_on(
    conn: &mut SqliteConnection,
    d: &Deployment,
) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "INSERT INTO dgraph_deployments ({DEPLOYMENT_COLUMNS})
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    ))
    .bind(&d.uid)
    .bind(&d.owner)
    .bind(&d.organization_uid)
    .bind(&d.name)
    .bind(&d.zone)
    .bind(&d.subdomain)
    .bind(d.port)
    .bind(&d.deployment_mode)
    .bind(&d.deployment_type)
    .bind(&d.size)
    .bind(&d.lambda_script)
    .bind(d.tenant_id)
    .bind(&d.gql_schema)
    .bind(&d.created_at)
    .bind(&d.ready_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A deployment's API key, by the hash of its known value (fixtures).
pub async fn insert_fixture_api_key(
    conn: &mut SqliteConnection,
    uid: &str,
    deployment_uid: &str,
    name: &str,
    role: ApiKeyRole,
    key_hash: &str,
    now: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO dgraph_api_keys (uid, deployment_uid, name, role, key_hash, created_at)
         VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(uid)
    .bind(deployment_uid)
    .bind(name)
    .bind(role.as_str())
    .bind(key_hash)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
