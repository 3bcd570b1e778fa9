//! Where each GraphQL table's rows come from in SQL, and who may see them
//! (docs/spec/hasura.md §8.2): the FROM clause, each column's expression, the visibility of a
//! row, and the order rows come in when the query gives none (creation order). Templates name
//! the row's alias `@` (a second table of the same row `@x`), the caller's id `{u}` and the
//! session clock's now `{now}`; the builder fills them in.
//!
//! A row is visible through its project (owned, or shared with the caller as a collaborator),
//! or because it is the caller's own. Visibility has two forms: a predicate on one row, for
//! rows reached by key (a primary key, a relationship), and for root lists the same set as
//! index-driven branches (owned projects through `owner_id`, shared ones through the caller's
//! collaborations), so that listing costs what the caller may see, not what the session holds.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde_json::Value;

use crate::hasura::model::Row;
use crate::hasura::schema::{Scalar, TABLES, TypeDef};
use crate::hasura::seeds;

pub(super) struct Source {
    /// FROM clause.
    pub from: String,
    /// Each column's expression, by column name.
    pub columns: HashMap<&'static str, String>,
    /// Whether a row found by key may be seen.
    pub visible: String,
    /// For root lists: predicates whose union is the visible rows, each served by an index
    /// (empty: every row is visible).
    pub branches: Vec<String>,
    /// The rows' own order (each expression ascending).
    pub order: Vec<String>,
}

impl Source {
    pub fn column(&self, name: &str) -> Option<&str> {
        self.columns.get(name).map(String::as_str)
    }
}

/// The source of a table type; `None` for action output types (they have no rows).
pub(super) fn source(table: &str) -> Option<&'static Source> {
    static SOURCES: OnceLock<HashMap<&'static str, Source>> = OnceLock::new();
    SOURCES.get_or_init(build).get(table)
}

/// Is the project `x` (an SQL expression) the caller's or shared with them?
fn project_visible(x: &str) -> String {
    format!(
        "(EXISTS (SELECT 1 FROM hasura_projects vp WHERE vp.id = {x} AND vp.owner_id = {{u}}) \
         OR EXISTS (SELECT 1 FROM hasura_collaborators vc WHERE vc.project_id = {x} AND vc.user_id = {{u}}))"
    )
}

const OWNED_PROJECTS: &str = "SELECT id FROM hasura_projects WHERE owner_id = {u}";
const SHARED_PROJECTS: &str = "SELECT project_id FROM hasura_collaborators WHERE user_id = {u}";

/// Visibility of rows that name their project in `column`.
fn by_project(column: &str) -> (String, Vec<String>) {
    (
        project_visible(column),
        vec![
            format!("{column} IN ({OWNED_PROJECTS})"),
            format!("{column} IN ({SHARED_PROJECTS})"),
        ],
    )
}

/// Visibility of rows that name their tenant in `column`.
fn by_tenant(column: &str) -> (String, Vec<String>) {
    (
        project_visible(&format!(
            "(SELECT vt.project_id FROM hasura_tenants vt WHERE vt.id = {column})"
        )),
        vec![
            format!(
                "{column} IN (SELECT vt.id FROM hasura_tenants vt WHERE vt.project_id IN ({OWNED_PROJECTS}))"
            ),
            format!(
                "{column} IN (SELECT vt.id FROM hasura_tenants vt WHERE vt.project_id IN ({SHARED_PROJECTS}))"
            ),
        ],
    )
}

/// Visibility of the caller's own rows, whose user id is in `column`.
fn by_user(column: &str) -> (String, Vec<String>) {
    let own = format!("{column} = {{u}}");
    (own.clone(), vec![own])
}

fn columns(pairs: &[(&'static str, &str)]) -> HashMap<&'static str, String> {
    pairs.iter().map(|(c, e)| (*c, (*e).to_owned())).collect()
}

fn order(exprs: &[&str]) -> Vec<String> {
    exprs.iter().map(|e| (*e).to_owned()).collect()
}

fn source_of(
    from: &str,
    pairs: &[(&'static str, &str)],
    (visible, branches): (String, Vec<String>),
    order_by: &[&str],
) -> Source {
    Source {
        from: from.to_owned(),
        columns: columns(pairs),
        visible,
        branches,
        order: order(order_by),
    }
}

/// The project of the row's tenant.
const TENANT_PROJECT: &str =
    "(SELECT vt.project_id FROM hasura_tenants vt WHERE vt.id = @.tenant_id)";

/// When the task's last event that has happened happened, or null.
const LAST_EVENT_TIME: &str = "(SELECT MAX(e.happens_at) FROM hasura_task_events e WHERE e.task_id = @.id AND e.happens_at <= {now})";

/// A job's status follows from its tasks' last events (docs/spec/hasura.md §8.6): `failed` or
/// `skipped` as soon as one task is, `success` when every task succeeded, `running` once
/// anything happened, else `created`.
const JOB_STATUS: &str = "(SELECT CASE
        WHEN SUM(k = 'failed') > 0 THEN 'failed'
        WHEN SUM(k = 'skipped') > 0 THEN 'skipped'
        WHEN COUNT(*) > 0 AND SUM(k = 'success') = COUNT(*) THEN 'success'
        WHEN SUM(k <> 'none') > 0 THEN 'running'
        ELSE 'created' END
    FROM (SELECT COALESCE((SELECT e.event_type FROM hasura_task_events e
                           WHERE e.task_id = jt.id AND e.happens_at <= {now}
                           ORDER BY e.happens_at DESC, e.rowid DESC LIMIT 1), 'none') AS k
          FROM hasura_tasks jt WHERE jt.job_id = @.id))";

const JOB_UPDATED_AT: &str = "COALESCE((SELECT MAX(e.happens_at) FROM hasura_tasks jt
    JOIN hasura_task_events e ON e.task_id = jt.id
    WHERE jt.job_id = @.id AND e.happens_at <= {now}), @.created_at)";

fn build() -> HashMap<&'static str, Source> {
    let mut sources = HashMap::new();
    let task_updated_at = format!("COALESCE({LAST_EVENT_TIME}, @.created_at)");
    let user_visible = format!(
        "(@.id = {{u}} \
         OR EXISTS (SELECT 1 FROM hasura_projects up WHERE up.owner_id = @.id AND {}) \
         OR EXISTS (SELECT 1 FROM hasura_collaborators uc WHERE uc.user_id = @.id AND {}))",
        project_visible("up.id"),
        project_visible("uc.project_id")
    );
    let (invitation_visible, invitation_branches) = by_project("@.project_id");
    sources.insert(
        "users",
        source_of(
            "hasura_users @",
            &[
                ("id", "@.id"),
                ("email", "@.email"),
                ("created_at", "@.created_at"),
            ],
            by_user("@.id"),
            &["@.rowid"],
        ),
    );
    sources.insert(
        "user_personal_access_tokens",
        source_of(
            "hasura_pats @",
            &[
                ("id", "@.id"),
                ("user_id", "@.user_id"),
                ("description", "@.description"),
                ("created_at", "@.created_at"),
            ],
            by_user("@.user_id"),
            &["@.created_at", "@.id"],
        ),
    );
    sources.insert(
        "users_public",
        source_of(
            "hasura_users @",
            &[("id", "@.id"), ("email", "@.email")],
            (user_visible.clone(), Vec::new()),
            &["@.rowid"],
        ),
    );
    sources.insert(
        "projects",
        source_of(
            "hasura_projects @",
            &[
                ("id", "@.id"),
                ("name", "@.name"),
                ("owner_id", "@.owner_id"),
                ("billing_manager_id", "@.owner_id"),
                ("plan_name", "@.plan_name"),
                ("billing_plan_name", "@.plan_name"),
                ("endpoint", "@.endpoint"),
                ("created_at", "@.created_at"),
                ("updated_at", "@.updated_at"),
                ("assigned_at", "@.created_at"),
                ("console_oauth_id", "'console-' || @.id"),
                ("server_oauth_id", "'server-' || @.id"),
                ("invoice_attempt_count", "NULL"),
                ("invoice_status", "NULL"),
            ],
            (
                project_visible("@.id"),
                vec![
                    // The owner's projects come in creation order from their index, so a
                    // first page stops after its rows.
                    "@.owner_id = {u}".to_owned(),
                    format!("@.id IN ({SHARED_PROJECTS})"),
                ],
            ),
            &["@.created_at", "@.id"],
        ),
    );
    sources.insert(
        "tenant",
        source_of(
            "hasura_tenants @",
            &[
                ("id", "@.id"),
                ("project_id", "@.project_id"),
                ("slug", "@.slug"),
                ("fqdn", "@.fqdn"),
                ("cloud", "@.cloud"),
                ("region", "@.region"),
                ("active", "1"),
                ("active_status_reason", "NULL"),
                ("alias", "NULL"),
                ("cloudflare_proxy_enabled", "0"),
                ("dedicated_vpc_id", "NULL"),
                ("health_status", "NULL"),
                ("maintenance_mode", "0"),
                ("major_version", "2"),
                ("created_at", "@.created_at"),
                ("updated_at", "@.updated_at"),
            ],
            by_project("@.project_id"),
            &["@.created_at", "@.id"],
        ),
    );
    sources.insert(
        "tenant_public_status",
        source_of(
            "hasura_tenants @",
            &[
                ("tenant_id", "@.id"),
                (
                    "endpoint",
                    "(SELECT sp.endpoint FROM hasura_projects sp WHERE sp.id = @.project_id)",
                ),
                ("is_active", "1"),
                ("message", "NULL"),
                ("type", "'graphql'"),
                ("updated_at", "@.updated_at"),
            ],
            by_project("@.project_id"),
            &["@.rowid"],
        ),
    );
    sources.insert(
        "tenant_status",
        source_of(
            "hasura_tenants @",
            &[
                ("tenant_id", "@.id"),
                ("worker_id", "@.project_id"),
                ("is_active", "1"),
                ("has_inconsistent_metadata", "0"),
                ("message", "NULL"),
                ("updated_at", "@.updated_at"),
            ],
            by_project("@.project_id"),
            &["@.rowid"],
        ),
    );
    sources.insert(
        "config",
        source_of(
            "hasura_configs @",
            &[
                ("tenant_id", "@.tenant_id"),
                ("hash", "@.hash"),
                ("updated_at", "@.updated_at"),
                ("vault_path", "'secret/tenants/' || @.tenant_id"),
            ],
            by_tenant("@.tenant_id"),
            &["@.rowid"],
        ),
    );
    sources.insert(
        "config_status",
        source_of(
            "hasura_configs @",
            &[
                ("tenant_id", "@.tenant_id"),
                ("hash", "@.hash"),
                ("worker_id", TENANT_PROJECT),
                ("is_active", "1"),
                ("message", "NULL"),
                ("updated_at", "@.updated_at"),
            ],
            by_tenant("@.tenant_id"),
            &["@.rowid"],
        ),
    );
    sources.insert(
        "custom_domain",
        source_of(
            "hasura_custom_domains @",
            &[
                ("id", "@.id"),
                ("tenant_id", "@.tenant_id"),
                ("fqdn", "@.fqdn"),
                ("cert", "'letsencrypt'"),
                ("dns_validation", "'succeeded'"),
                ("ssl_status", "'succeeded'"),
                ("ssl_message", "NULL"),
                ("cloudflare_origin_dns_record", "NULL"),
                ("created_at", "@.created_at"),
                ("updated_at", "@.updated_at"),
            ],
            by_tenant("@.tenant_id"),
            &["@.created_at", "@.id"],
        ),
    );
    sources.insert(
        "jobs",
        source_of(
            "hasura_jobs @",
            &[
                ("id", "@.id"),
                ("job_type", "@.job_type"),
                ("input", "@.input"),
                ("project_id", "@.project_id"),
                ("project_name", "@.project_name"),
                ("user_id", "@.user_id"),
                ("created_at", "@.created_at"),
                ("status", JOB_STATUS),
                ("updated_at", JOB_UPDATED_AT),
            ],
            by_user("@.user_id"),
            &["@.created_at", "@.id"],
        ),
    );
    let own_job = (
        "EXISTS (SELECT 1 FROM hasura_jobs sj WHERE sj.id = @.job_id AND sj.user_id = {u})"
            .to_owned(),
        vec!["@.job_id IN (SELECT id FROM hasura_jobs WHERE user_id = {u})".to_owned()],
    );
    sources.insert(
        "tasks",
        source_of(
            "hasura_tasks @",
            &[
                ("id", "@.id"),
                ("job_id", "@.job_id"),
                ("name", "@.name"),
                ("cloud", "@.cloud"),
                ("region", "@.region"),
                ("payload", "@.payload"),
                ("max_retry", "0"),
                ("created_at", "@.created_at"),
                ("updated_at", &task_updated_at),
            ],
            own_job,
            &["@.rowid"],
        ),
    );
    // Events show once the session clock reaches them, so jobs progress with it.
    let own_event = (
        "@.happens_at <= {now} AND EXISTS (SELECT 1 FROM hasura_tasks et \
         JOIN hasura_jobs ej ON ej.id = et.job_id WHERE et.id = @.task_id AND ej.user_id = {u})"
            .to_owned(),
        vec![
            "@.happens_at <= {now} AND @.task_id IN (SELECT et.id FROM hasura_tasks et \
             JOIN hasura_jobs ej ON ej.id = et.job_id WHERE ej.user_id = {u})"
                .to_owned(),
        ],
    );
    sources.insert(
        "task_event",
        source_of(
            "hasura_task_events @",
            &[
                ("id", "@.id"),
                ("task_id", "@.task_id"),
                ("event_type", "@.event_type"),
                ("public_event_data", "@.public_event_data"),
                ("event_data", "NULL"),
                ("error", "@.error"),
                ("github_detail", "@.github_detail"),
                ("created_at", "@.happens_at"),
                ("updated_at", "@.happens_at"),
            ],
            own_event,
            &["@.happens_at", "@.rowid"],
        ),
    );
    sources.insert(
        "project_collaborators",
        source_of(
            "hasura_collaborators @",
            &[
                ("id", "@.id"),
                ("project_id", "@.project_id"),
                ("collaborator_id", "@.user_id"),
                ("created_at", "@.created_at"),
            ],
            by_project("@.project_id"),
            &["@.created_at", "@.id"],
        ),
    );
    sources.insert(
        "project_collaborator_privileges",
        source_of(
            "hasura_collaborators @ JOIN json_each(@.privileges) @p",
            &[
                ("project_collaborator_id", "@.id"),
                ("privilege_slug", "@p.value"),
            ],
            (project_visible("@.project_id"), Vec::new()),
            &["@.rowid", "@p.key"],
        ),
    );
    sources.insert(
        "project_collaborator_invitations",
        source_of(
            "hasura_invitations @",
            &[
                ("id", "@.id"),
                ("project_id", "@.project_id"),
                ("collaborator_email", "@.collaborator_email"),
                ("privileges", "@.privileges"),
                ("invited_by", "@.invited_by"),
                ("invited_at", "@.invited_at"),
                ("accepted_at", "@.accepted_at"),
                ("declined_at", "@.declined_at"),
            ],
            (
                format!("@.kind = 'collaborator' AND {invitation_visible}"),
                invitation_branches
                    .into_iter()
                    .map(|b| format!("@.kind = 'collaborator' AND {b}"))
                    .collect(),
            ),
            &["@.invited_at", "@.id"],
        ),
    );
    for (table, rows) in [
        ("region", seeds::regions()),
        ("plans", seeds::plans()),
        ("privileges", seeds::privileges()),
    ] {
        if let Some(ty) = TABLES.iter().find(|t| t.name == table) {
            sources.insert(table, static_source(ty, &rows));
        }
    }
    sources
}

/// A static list (regions, plans, privileges) as a `VALUES` table every caller sees: the first
/// value is the row's place in the list, then one per column.
fn static_source(ty: &TypeDef, rows: &[Row]) -> Source {
    let values: Vec<String> = rows
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let mut literals = vec![i.to_string()];
            for (column, scalar) in ty.columns {
                literals.push(literal(*scalar, row.get(*column).unwrap_or(&Value::Null)));
            }
            format!("({})", literals.join(", "))
        })
        .collect();
    let columns = ty
        .columns
        .iter()
        .enumerate()
        .map(|(i, (column, _))| (*column, format!("@.column{}", i + 2)))
        .collect();
    Source {
        from: format!("(VALUES {}) @", values.join(", ")),
        columns,
        visible: "1".to_owned(),
        branches: Vec::new(),
        order: vec!["@.column1".to_owned()],
    }
}

/// A seed value as an SQL literal: text quoted, booleans 0/1, jsonb as its JSON text.
fn literal(scalar: Scalar, value: &Value) -> String {
    let quoted = |text: &str| format!("'{}'", text.replace('\'', "''"));
    match (scalar, value) {
        (_, Value::Null) => "NULL".to_owned(),
        (Scalar::Jsonb, v) => quoted(&v.to_string()),
        (_, Value::Bool(b)) => i32::from(*b).to_string(),
        (_, Value::Number(n)) => n.to_string(),
        (_, Value::String(s)) => quoted(s),
        (_, other) => quoted(&other.to_string()),
    }
}
