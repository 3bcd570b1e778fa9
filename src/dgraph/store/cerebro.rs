//! Cerebro's SQL: accounts, the CLI's device codes and refresh tokens, deployments as their
//! accounts see them, API keys, lambdas and organizations. Statements about deployments take the
//! calling account first (`?1`) and see only what it may: its own deployments, and those of the
//! organizations it belongs to.

use super::{Store, WriteError, deployment_columns};
use crate::db;
use crate::dgraph::model::{Account, ApiKeyRole, Deployment, Organization};
use crate::error::Internal;

/// Deployments the account `?1` sees: its own, and those of organizations it belongs to. Both
/// sides are indexed (owner, organization), so this is a search, not a scan. A macro, so that the
/// statements stay whole string literals.
macro_rules! visible {
    () => {
        "(owner = ?1 OR organization_uid IN \
         (SELECT organization_uid FROM dgraph_organization_members WHERE account_id = ?1))"
    };
}

pub(super) const INSERT_ACCOUNT: &str =
    "INSERT INTO dgraph_accounts (id, email, email_lower, name, password_hash, created_at)
     VALUES (?, ?, ?, ?, ?, ?)";
pub(super) const ACCOUNT_BY_EMAIL: &str =
    "SELECT id, email, name, password_hash FROM dgraph_accounts WHERE email_lower = ?";
pub(super) const ACCOUNT: &str = "SELECT id, email, name FROM dgraph_accounts WHERE id = ?";
pub(super) const FIRST_ACCOUNT: &str =
    "SELECT id, email, name FROM dgraph_accounts ORDER BY created_at, rowid LIMIT 1";

pub(super) const CLI_CODE: &str =
    "SELECT created_at, account_id FROM dgraph_cli_codes WHERE code_hash = ? AND kind = ?";
pub(super) const DELETE_CLI_CODE: &str = "DELETE FROM dgraph_cli_codes WHERE code_hash = ?";
pub(super) const DELETE_REFRESH_TOKENS: &str =
    "DELETE FROM dgraph_cli_codes WHERE account_id = ? AND kind = 'refresh'";

pub(super) const SUBDOMAIN_TAKEN: &str =
    "SELECT EXISTS (SELECT 1 FROM dgraph_deployments WHERE subdomain = ?)";
/// The columns a list may read (see [`visible_deployments_sql`]).
pub(super) const LIST_COLUMNS: &[&str] = &[
    "uid",
    "owner",
    "organization_uid",
    "name",
    "zone",
    "subdomain",
    "port",
    "deployment_mode",
    "deployment_type",
    "size",
    "lambda_script",
    "tenant_id",
    "created_at",
];

/// The list of the deployments the account sees, reading only the given columns, as one JSON
/// array of objects. One answer rather than a row each: SQLite writes the JSON the handler sends
/// on, rather than a value per column per row to decode. Column names come from
/// [`LIST_COLUMNS`], never from a request.
pub(super) fn visible_deployments_sql(columns: &[&str]) -> String {
    let fields: Vec<String> = columns
        .iter()
        .filter(|c| LIST_COLUMNS.contains(c))
        .map(|c| format!("'{c}', {c}"))
        .collect();
    format!(
        "SELECT json_group_array(json_object({}) ORDER BY created_at, rowid)
         FROM dgraph_deployments WHERE {}",
        fields.join(", "),
        visible!()
    )
}

pub(super) const VISIBLE_DEPLOYMENT: &str = concat!(
    "SELECT ",
    deployment_columns!(),
    " FROM dgraph_deployments WHERE uid = ?2 AND ",
    visible!()
);
pub(super) const UPDATE_DEPLOYMENT: &str = concat!(
    "UPDATE dgraph_deployments
     SET name = coalesce(?3, name),
         deployment_mode = coalesce(?4, deployment_mode),
         organization_uid = coalesce(?5, organization_uid)
     WHERE uid = ?2 AND ",
    visible!()
);
pub(super) const DELETE_DEPLOYMENT: &str = concat!(
    "DELETE FROM dgraph_deployments WHERE uid = ?2 AND ",
    visible!()
);
pub(super) const SET_LAMBDA: &str = concat!(
    "UPDATE dgraph_deployments SET lambda_script = ?3 WHERE uid = ?2 AND ",
    visible!()
);
/// A key for a deployment the account sees; no row when it sees none.
pub(super) const INSERT_API_KEY: &str = concat!(
    "INSERT INTO dgraph_api_keys (uid, deployment_uid, name, role, key_hash, created_at)
     SELECT ?3, uid, ?4, ?5, ?6, ?7 FROM dgraph_deployments WHERE uid = ?2 AND ",
    visible!()
);
pub(super) const SET_PORT: &str = "UPDATE dgraph_deployments SET port = ? WHERE uid = ?";

pub(super) const ORGANIZATIONS_OF: &str =
    "SELECT dgraph_organizations.uid, dgraph_organizations.name, dgraph_organizations.created_by
     FROM dgraph_organization_members
     JOIN dgraph_organizations
       ON dgraph_organizations.uid = dgraph_organization_members.organization_uid
     WHERE dgraph_organization_members.account_id = ?
     ORDER BY dgraph_organizations.created_at, dgraph_organizations.rowid";
pub(super) const ORGANIZATION_OF: &str =
    "SELECT dgraph_organizations.uid, dgraph_organizations.name, dgraph_organizations.created_by
     FROM dgraph_organization_members
     JOIN dgraph_organizations
       ON dgraph_organizations.uid = dgraph_organization_members.organization_uid
     WHERE dgraph_organization_members.account_id = ? AND dgraph_organizations.uid = ?";
pub(super) const MEMBERS: &str = "SELECT dgraph_organization_members.uid, dgraph_accounts.id,
            dgraph_accounts.email, dgraph_accounts.name
     FROM dgraph_organization_members
     JOIN dgraph_accounts ON dgraph_accounts.id = dgraph_organization_members.account_id
     WHERE dgraph_organization_members.organization_uid = ?
     ORDER BY dgraph_organization_members.rowid";
pub(super) const REMOVE_MEMBER: &str = "DELETE FROM dgraph_organization_members
     WHERE organization_uid = ? AND account_id = ?";

impl Store {
    // --- accounts ---

    pub async fn insert_account(
        &self,
        account: &Account,
        password_hash: &str,
        now: &str,
    ) -> Result<(), WriteError> {
        db::query(INSERT_ACCOUNT)
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
        let row: Option<(String, String, String, String)> = db::query_as(ACCOUNT_BY_EMAIL)
            .bind(email.to_lowercase())
            .fetch_optional(self.session.db())
            .await?;
        Ok(row.map(|(id, email, name, hash)| (Account { id, email, name }, hash)))
    }

    pub async fn account(&self, id: &str) -> Result<Option<Account>, Internal> {
        Ok(db::query_as(ACCOUNT)
            .bind(id)
            .fetch_optional(self.session.db())
            .await?)
    }

    /// The session's first account: who a device-code login signs in as.
    pub async fn first_account(&self) -> Result<Option<Account>, Internal> {
        Ok(db::query_as(FIRST_ACCOUNT)
            .fetch_optional(self.session.db())
            .await?)
    }

    // --- CLI device codes and refresh tokens ---

    pub async fn insert_cli_code(
        &self,
        account_id: Option<&str>,
        code_hash: &str,
        kind: &str,
        now: &str,
    ) -> Result<(), Internal> {
        db::query(
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
        Ok(db::query_as(CLI_CODE)
            .bind(code_hash)
            .bind(kind)
            .fetch_optional(self.session.db())
            .await?)
    }

    pub async fn delete_cli_code(&self, code_hash: &str) -> Result<bool, Internal> {
        let done = db::query(DELETE_CLI_CODE)
            .bind(code_hash)
            .execute(self.session.db())
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Revokes every refresh token of the account; returns how many there were.
    pub async fn delete_refresh_tokens(&self, account_id: &str) -> Result<u64, Internal> {
        let done = db::query(DELETE_REFRESH_TOKENS)
            .bind(account_id)
            .execute(self.session.db())
            .await?;
        Ok(done.rows_affected())
    }

    // --- deployments ---

    /// A new deployment of its owner's.
    pub async fn insert_deployment(&self, d: &Deployment) -> Result<(), WriteError> {
        let mut conn = self.session.db().acquire().await?;
        super::insert_deployment_on(&mut conn, d).await?;
        Ok(())
    }

    pub async fn subdomain_taken(&self, subdomain: &str) -> Result<bool, Internal> {
        Ok(db::query_scalar(SUBDOMAIN_TAKEN)
            .bind(subdomain)
            .fetch_one(self.session.db())
            .await?)
    }

    /// The deployments the account sees, oldest first, with those columns read (and `uid`); the
    /// other fields are left empty.
    pub async fn visible_deployments(
        &self,
        account_id: &str,
        columns: &[&'static str],
    ) -> Result<Vec<Deployment>, Internal> {
        let rows: String = db::query_scalar(&visible_deployments_sql(columns))
            .bind(account_id)
            .fetch_one(self.session.db())
            .await?;
        Ok(serde_json::from_str(&rows)?)
    }

    pub async fn visible_deployment(
        &self,
        account_id: &str,
        uid: &str,
    ) -> Result<Option<Deployment>, Internal> {
        Ok(db::query_as(VISIBLE_DEPLOYMENT)
            .bind(account_id)
            .bind(uid)
            .fetch_optional(self.session.db())
            .await?)
    }

    /// Changes the given fields (None leaves a field as it is) of a deployment the account sees.
    pub async fn update_deployment(
        &self,
        account_id: &str,
        uid: &str,
        name: Option<&str>,
        mode: Option<&str>,
        organization_uid: Option<&str>,
    ) -> Result<bool, Internal> {
        let done = db::query(UPDATE_DEPLOYMENT)
            .bind(account_id)
            .bind(uid)
            .bind(name)
            .bind(mode)
            .bind(organization_uid)
            .execute(self.session.db())
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Deletes a deployment the account sees, with its keys, data, logs, exports and restores.
    pub async fn delete_deployment(&self, account_id: &str, uid: &str) -> Result<bool, Internal> {
        let done = db::query(DELETE_DEPLOYMENT)
            .bind(account_id)
            .bind(uid)
            .execute(self.session.db())
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Stores the ports backends were given (or lost), in one transaction.
    pub async fn set_ports(&self, ports: &[(String, Option<i64>)]) -> Result<(), Internal> {
        let mut tx = self.begin().await?;
        for (uid, port) in ports {
            db::query(SET_PORT)
                .bind(port)
                .bind(uid)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    // --- lambdas ---

    /// Stores the script (base64, `""` for none) of a deployment the account sees, and the log
    /// lines the lambda server writes.
    pub async fn set_lambda(
        &self,
        account_id: &str,
        uid: &str,
        script: &str,
        logs: &[(String, String)],
    ) -> Result<bool, Internal> {
        let mut tx = self.begin().await?;
        let done = db::query(SET_LAMBDA)
            .bind(account_id)
            .bind(uid)
            .bind(script)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        for (at, line) in logs {
            db::query("INSERT INTO dgraph_lambda_logs (deployment_uid, at, line) VALUES (?, ?, ?)")
                .bind(uid)
                .bind(at)
                .bind(line)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    // --- API keys ---

    /// A key for a deployment the account sees, stored by its hash; false when it sees none.
    #[allow(clippy::too_many_arguments)]
    pub async fn insert_api_key(
        &self,
        account_id: &str,
        deployment_uid: &str,
        uid: &str,
        name: &str,
        role: ApiKeyRole,
        key_hash: &str,
        now: &str,
    ) -> Result<bool, Internal> {
        let done = db::query(INSERT_API_KEY)
            .bind(account_id)
            .bind(deployment_uid)
            .bind(uid)
            .bind(name)
            .bind(role.as_str())
            .bind(key_hash)
            .bind(now)
            .execute(self.session.db())
            .await?;
        Ok(done.rows_affected() > 0)
    }

    // --- organizations ---

    /// A new organization, created by the account, which is its first member.
    pub async fn create_organization(
        &self,
        account_id: &str,
        org_uid: &str,
        member_uid: &str,
        name: &str,
        now: &str,
    ) -> Result<(), Internal> {
        let mut tx = self.begin().await?;
        db::query(
            "INSERT INTO dgraph_organizations (uid, name, created_by, created_at) VALUES (?, ?, ?, ?)",
        )
        .bind(org_uid)
        .bind(name)
        .bind(account_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        db::query(
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
        Ok(db::query_as(ORGANIZATIONS_OF)
            .bind(account_id)
            .fetch_all(self.session.db())
            .await?)
    }

    pub async fn organization_of(
        &self,
        account_id: &str,
        org_uid: &str,
    ) -> Result<Option<Organization>, Internal> {
        Ok(db::query_as(ORGANIZATION_OF)
            .bind(account_id)
            .bind(org_uid)
            .fetch_optional(self.session.db())
            .await?)
    }

    /// Members of an organization: (member uid, account).
    pub async fn members(&self, org_uid: &str) -> Result<Vec<(String, Account)>, Internal> {
        let rows: Vec<(String, String, String, String)> = db::query_as(MEMBERS)
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
        db::query(
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
        let done = db::query(REMOVE_MEMBER)
            .bind(org_uid)
            .bind(account_id)
            .execute(self.session.db())
            .await?;
        Ok(done.rows_affected() > 0)
    }
}
