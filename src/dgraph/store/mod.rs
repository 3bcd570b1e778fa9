//! All of Dgraph's SQL. A [`Store`] is the request's session database. Cerebro's statements
//! (`cerebro.rs`) take the calling account first and scope to what it sees, so another account's
//! deployment is simply not found; a backend's (`backend.rs`) take the deployment first, whose
//! callers proved themselves with its tokens.

mod backend;
mod cerebro;

use sqlx::{Sqlite, SqliteConnection, Transaction};

use super::model::{Account, ApiKeyRole, Deployment};
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

/// A deployment's columns, in the order of [`Deployment`]'s fields (a macro, so statements can be
/// whole string literals).
macro_rules! deployment_columns {
    () => {
        "uid, owner, organization_uid, name, zone, subdomain, port, deployment_mode, \
         deployment_type, size, lambda_script, tenant_id, gql_schema, created_at, ready_at"
    };
}
pub(crate) use deployment_columns;

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
}

// ---- fixtures: plain inserts on an open transaction ----------------------------------------------

/// An account with a pinned id (fixtures); a taken id or email is a unique violation.
pub async fn insert_fixture_account(
    conn: &mut SqliteConnection,
    account: &Account,
    password_hash: &str,
    now: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(cerebro::INSERT_ACCOUNT)
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
    sqlx::query(concat!(
        "INSERT INTO dgraph_deployments (",
        deployment_columns!(),
        ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
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
