//! All of Dgraph's SQL. A [`Store`] is the request's session database. Cerebro's statements
//! (`cerebro.rs`) take the calling account first and scope to what it sees, so another account's
//! deployment is simply not found; a backend's (`backend.rs`) take the deployment first, whose
//! callers proved themselves with its tokens. Every statement a request runs is listed in
//! `request_path` (tests only), whose query plans a test checks: no full scan of a table that
//! grows.

mod backend;
mod cerebro;

use super::model::{Account, ApiKeyRole, Deployment};
use crate::db;
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

impl From<db::Error> for WriteError {
    fn from(e: db::Error) -> Self {
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

    async fn begin(&self) -> Result<crate::db::Tx, db::Error> {
        self.session.db().begin().await
    }
}

/// Every statement a request can run whose cost could follow the size of the session, by name:
/// each must find its rows through an index (see the test below).
#[cfg(test)]
fn request_path() -> Vec<(&'static str, String)> {
    let mut statements: Vec<(&str, String)> = STATEMENTS
        .iter()
        .map(|(name, sql)| (*name, (*sql).to_owned()))
        .collect();
    statements.push((
        "visible_deployments",
        cerebro::visible_deployments_sql(cerebro::LIST_COLUMNS),
    ));
    statements
}

#[cfg(test)]
const STATEMENTS: &[(&str, &str)] = &[
    ("account_by_email", cerebro::ACCOUNT_BY_EMAIL),
    ("account", cerebro::ACCOUNT),
    ("first_account", cerebro::FIRST_ACCOUNT),
    ("cli_code", cerebro::CLI_CODE),
    ("delete_cli_code", cerebro::DELETE_CLI_CODE),
    ("delete_refresh_tokens", cerebro::DELETE_REFRESH_TOKENS),
    ("subdomain_taken", cerebro::SUBDOMAIN_TAKEN),
    ("visible_deployment", cerebro::VISIBLE_DEPLOYMENT),
    ("update_deployment", cerebro::UPDATE_DEPLOYMENT),
    ("delete_deployment", cerebro::DELETE_DEPLOYMENT),
    ("set_lambda", cerebro::SET_LAMBDA),
    ("insert_api_key", cerebro::INSERT_API_KEY),
    ("set_port", cerebro::SET_PORT),
    ("organizations_of", cerebro::ORGANIZATIONS_OF),
    ("organization_of", cerebro::ORGANIZATION_OF),
    ("members", cerebro::MEMBERS),
    ("remove_member", cerebro::REMOVE_MEMBER),
    ("lambda_logs", backend::LAMBDA_LOGS),
    ("deployment", backend::DEPLOYMENT),
    ("deployment_by_subdomain", backend::DEPLOYMENT_BY_SUBDOMAIN),
    ("api_key_role", backend::API_KEY_ROLE),
    ("nodes", backend::NODES),
    ("nodes_of_type", backend::NODES_OF_TYPE),
    ("node", backend::NODE),
    ("node_count", backend::NODE_COUNT),
    ("export_task", backend::EXPORT_TASK),
    ("export_file_names", backend::EXPORT_FILE_NAMES),
    ("export_file", backend::EXPORT_FILE),
    ("restore", backend::RESTORE),
];

// ---- fixtures: plain inserts on an open transaction ----------------------------------------------

/// An account with a pinned id (fixtures); a taken id or email is a unique violation.
pub async fn insert_fixture_account(
    conn: &mut db::Connection,
    account: &Account,
    password_hash: &str,
    now: &str,
) -> Result<(), db::Error> {
    db::query(cerebro::INSERT_ACCOUNT)
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
    conn: &mut db::Connection,
    d: &Deployment,
) -> Result<(), db::Error> {
    db::query(concat!(
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
    conn: &mut db::Connection,
    uid: &str,
    deployment_uid: &str,
    name: &str,
    role: ApiKeyRole,
    key_hash: &str,
    now: &str,
) -> Result<(), db::Error> {
    db::query(
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn no_request_path_statement_scans_a_growing_table() {
        let session = Session::scratch().await.unwrap();
        let mut scans = Vec::new();
        for (name, sql) in request_path() {
            let plan: Vec<(i64, i64, i64, String)> =
                db::query_as(&format!("EXPLAIN QUERY PLAN {sql}"))
                    .fetch_all(session.db())
                    .await
                    .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(!plan.is_empty(), "{name} has no plan");
            for (_, _, _, detail) in plan {
                // `SCAN t` reads a whole table (every table here grows with use), `SCAN t USING
                // [COVERING] INDEX i` a whole index; `SEARCH` finds rows through an index. Two
                // scans read one row: a constant one, and the first entry of an index in order.
                // A `json_each` reads one row's own value.
                let first_entry = sql.ends_with("LIMIT 1") && detail.contains(" USING INDEX ");
                let one_value = detail.starts_with("SCAN json_each VIRTUAL TABLE");
                if detail.starts_with("SCAN ")
                    && detail != "SCAN CONSTANT ROW"
                    && !first_entry
                    && !one_value
                {
                    scans.push(format!("{name}: {detail}"));
                }
            }
        }
        assert!(scans.is_empty(), "full scans on a request path: {scans:#?}");
    }
}
