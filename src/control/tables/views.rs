//! What the dashboard shows of each table, and what it leaves out: the one place where that is
//! decided. Each [`View`] names the columns it shows (some computed, like a cluster's lifecycle
//! status as of the session's clock) and the columns of its table it leaves out, with the
//! reason; tables with nothing fit to show are in [`NOT_SHOWN`]. The tests below check that every
//! table and every column of the schema is decided one way or the other, so a column added by a
//! later migration fails them until someone decides, and that nothing named like a credential
//! is shown.
//!
//! Never shown: password hashes, key and token hashes, signing secrets, env var values (Hasura's
//! env holds the admin secret). JSON columns are shown with the values of secret-looking keys
//! redacted by the journal's own rules (`control::redact`).
//!
//! Computed columns may use `ctx.now_iso`, `ctx.now_ms` (the session's virtual time),
//! `ctx.dgraph_host` and `ctx.typedb_<transition>` (milliseconds), bound by `super::CONTEXT`.

#[cfg(test)]
use crate::session::Session;

/// How a column's values are read and shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// An identifier (UUID, uid, client id).
    Id,
    Text,
    /// Text that may run long (a belief's value, a log line).
    Long,
    /// ISO 8601 UTC.
    Time,
    Number,
    /// SQLite's 0/1, shown as a JSON boolean.
    Bool,
    /// A lifecycle status or role: a short word.
    Status,
    /// A JSON document, shown with secret-looking keys redacted.
    Json,
    /// A secret: never read, always shown as [`MASK`].
    Masked,
}

impl Kind {
    /// Whether `q`, `eq.` and `sort` may use the column: never for what is redacted or masked.
    pub(super) fn searchable(self) -> bool {
        !matches!(self, Kind::Json | Kind::Masked)
    }
}

/// What a masked value reads as.
pub const MASK: &str = "••••••";

pub struct Col {
    /// The name in the output (and in `sort`, `eq.`).
    pub name: &'static str,
    pub kind: Kind,
    /// The SQL expression; `None` is the table's column of that name (`t.name`).
    sql: Option<&'static str>,
    /// The table's columns this one shows (all or part of).
    #[cfg_attr(not(test), allow(dead_code))]
    from: &'static [&'static str],
}

const fn col(name: &'static str, kind: Kind) -> Col {
    Col {
        name,
        kind,
        sql: None,
        from: &[],
    }
}

/// A column computed in SQL from the row (`t`), other tables, and the context (`ctx`, see
/// [`CONTEXT`]).
const fn computed(
    name: &'static str,
    kind: Kind,
    sql: &'static str,
    from: &'static [&'static str],
) -> Col {
    Col {
        name,
        kind,
        sql: Some(sql),
        from,
    }
}

impl Col {
    pub(super) fn expr(&self) -> String {
        match self.sql {
            Some(sql) => format!("({sql})"),
            None => format!("t.\"{}\"", self.name),
        }
    }

    /// The table's columns this one shows (for the schema test).
    #[cfg(test)]
    pub fn shows(&self) -> Vec<&'static str> {
        match self.sql {
            None => vec![self.name],
            Some(_) => self.from.to_vec(),
        }
    }
}

/// One table as the dashboard shows it.
pub struct View {
    pub service: &'static str,
    /// In the URL: `/_offcloud/tables/memgraph/api_keys`.
    pub name: &'static str,
    pub title: &'static str,
    /// The table the rows come from, as `t`.
    pub table: &'static str,
    /// Joins after `t` (`JOIN json_each(t.env) e` for Hasura's env vars).
    pub(super) joins: &'static str,
    pub columns: &'static [Col],
    /// Columns of `table` left out, with the reason.
    pub hidden: &'static [(&'static str, &'static str)],
    /// The default order: newest first.
    pub(super) order: &'static str,
}

impl View {
    const fn of(
        service: &'static str,
        name: &'static str,
        title: &'static str,
        table: &'static str,
        columns: &'static [Col],
        hidden: &'static [(&'static str, &'static str)],
    ) -> View {
        View {
            service,
            name,
            title,
            table,
            joins: "",
            columns,
            hidden,
            order: "t.rowid DESC",
        }
    }
}

/// Epoch milliseconds (TypeDB's times) as ISO 8601.
macro_rules! ms_iso {
    ($column:literal) => {
        concat!(
            "strftime('%Y-%m-%dT%H:%M:%fZ', t.",
            $column,
            " / 1000.0, 'unixepoch')"
        )
    };
}

/// A TypeDB cluster's status as the API would answer now: transitions whose time is up have
/// ended (what `typedb::store::settle` writes at the next request). `destroyed`: gone at the
/// next request.
const TYPEDB_STATUS: &str = "CASE
      WHEN t.status = 'starting' AND t.status_since_ms + ctx.typedb_starting <= ctx.now_ms THEN 'running'
      WHEN t.status = 'resuming' AND t.status_since_ms + ctx.typedb_resuming <= ctx.now_ms THEN 'running'
      WHEN t.status = 'suspending' AND t.status_since_ms + ctx.typedb_suspending <= ctx.now_ms THEN 'suspended'
      WHEN t.status = 'destroying' AND t.status_since_ms + ctx.typedb_destroying <= ctx.now_ms THEN 'destroyed'
      ELSE t.status END";

const TYPEDB_STATUS_SINCE: &str = "strftime('%Y-%m-%dT%H:%M:%fZ', (t.status_since_ms + CASE
      WHEN t.status = 'starting' AND t.status_since_ms + ctx.typedb_starting <= ctx.now_ms THEN ctx.typedb_starting
      WHEN t.status = 'resuming' AND t.status_since_ms + ctx.typedb_resuming <= ctx.now_ms THEN ctx.typedb_resuming
      WHEN t.status = 'suspending' AND t.status_since_ms + ctx.typedb_suspending <= ctx.now_ms THEN ctx.typedb_suspending
      WHEN t.status = 'destroying' AND t.status_since_ms + ctx.typedb_destroying <= ctx.now_ms THEN ctx.typedb_destroying
      ELSE 0 END) / 1000.0, 'unixepoch')";

/// A Dgraph deployment's data-plane address, as Cerebro gives it (`dgraph::model::Deployment::url`).
const DGRAPH_URL: &str = "CASE WHEN t.port IS NOT NULL THEN ctx.dgraph_host || ':' || t.port
      ELSE t.subdomain || '.' || t.zone || '.aws.cloud.dgraph.io' END";

/// Creating until its creation time is up, then ready; frozen once frozen.
const DGRAPH_STATE: &str = "CASE WHEN t.frozen_at IS NOT NULL THEN 'frozen'
      WHEN t.ready_at > ctx.now_iso THEN 'creating' ELSE 'ready' END";

/// The last event whose time has come of the task `k`.
macro_rules! hasura_task_state {
    () => {
        "(SELECT e.event_type FROM hasura_task_events e WHERE e.task_id = k.id
           AND e.happens_at <= ctx.now_iso ORDER BY e.happens_at DESC, e.rowid DESC LIMIT 1)"
    };
}

/// A Hasura job's status as the API derives it from its tasks' events
/// (`hasura::store::derive_job_progress`): failed or skipped as soon as one task is, success when
/// every task succeeded, running once anything happened, else created.
const HASURA_JOB_STATUS: &str = concat!(
    "CASE WHEN EXISTS (SELECT 1 FROM hasura_tasks k WHERE k.job_id = t.id AND ",
    hasura_task_state!(),
    " = 'failed') THEN 'failed'
      WHEN EXISTS (SELECT 1 FROM hasura_tasks k WHERE k.job_id = t.id AND ",
    hasura_task_state!(),
    " = 'skipped') THEN 'skipped'
      WHEN EXISTS (SELECT 1 FROM hasura_tasks k WHERE k.job_id = t.id)
       AND NOT EXISTS (SELECT 1 FROM hasura_tasks k WHERE k.job_id = t.id AND ",
    hasura_task_state!(),
    " IS NOT 'success') THEN 'success'
      WHEN EXISTS (SELECT 1 FROM hasura_tasks k WHERE k.job_id = t.id AND ",
    hasura_task_state!(),
    " IS NOT NULL) THEN 'running'
      ELSE 'created' END"
);

use Kind::*;

/// Every table the dashboard shows, by service, in the order of its tabs.
pub static VIEWS: &[View] = &[
    // ---- Memgraph ----
    View::of(
        "memgraph",
        "tenants",
        "Tenants",
        "memgraph_tenants",
        &[
            col("id", Id),
            col("name", Text),
            col("sector", Text),
            col("settings", Json),
            col("created_at", Time),
        ],
        &[(
            "number",
            "the tenant's number, which names it in the tables that grow with its beliefs",
        )],
    ),
    View::of(
        "memgraph",
        "users",
        "Users",
        "memgraph_users",
        &[
            col("id", Id),
            col("tenant_id", Id),
            col("email", Text),
            col("full_name", Text),
            col("role", Status),
            col("is_active", Bool),
            col("created_at", Time),
            col("updated_at", Time),
        ],
        &[
            ("email_lower", "the email again, lowercased for logins"),
            ("password_hash", "the argon2id hash of the password"),
        ],
    ),
    View::of(
        "memgraph",
        "api_keys",
        "API keys",
        "memgraph_api_keys",
        &[
            col("id", Id),
            col("tenant_id", Id),
            col("name", Text),
            col("key_prefix", Text),
            computed(
                "state",
                Status,
                "CASE WHEN t.revoked_at IS NULL THEN 'active' ELSE 'revoked' END",
                &["revoked_at"],
            ),
            col("created_by", Id),
            col("created_at", Time),
            col("last_used_at", Time),
            col("revoked_at", Time),
        ],
        &[("key_hash", "the SHA-256 of the key")],
    ),
    View::of(
        "memgraph",
        "beliefs",
        "Beliefs",
        "memgraph_beliefs",
        &[
            col("id", Id),
            col("tenant_id", Id),
            col("subject_id", Text),
            col("key", Text),
            col("value", Long),
            col("version", Number),
            col("is_active", Bool),
            col("supersedes_id", Id),
            col("confidence", Number),
            col("belief_type", Status),
            col("domain", Text),
            col("epistemic_status", Status),
            col("source", Text),
            col("created_at", Time),
            col("updated_at", Time),
        ],
        &[
            (
                "search_bag",
                "the belief's words as search ranks them, derived from key and value",
            ),
            ("tenant_number", "the tenant's number, beside its id"),
        ],
    ),
    View::of(
        "memgraph",
        "events",
        "Events",
        "memgraph_events",
        &[
            col("id", Id),
            col("tenant_id", Id),
            col("user_id", Text),
            col("agent_id", Text),
            col("thread_id", Text),
            col("event_type", Status),
            col("content_payload", Json),
            col("episode_id", Id),
            col("timestamp", Time),
        ],
        &[(
            "search_bag",
            "the event's words as search ranks them, derived from its type and text",
        )],
    ),
    View::of(
        "memgraph",
        "episodes",
        "Episodes",
        "memgraph_episodes",
        &[
            col("id", Id),
            col("tenant_id", Id),
            col("user_id", Text),
            col("agent_id", Text),
            col("thread_id", Text),
            // As last written: an episode moves on when the tenant's stats or episodes are read.
            col("consolidation_status", Status),
            col("summary", Long),
            col("tags", Json),
            col("outcome", Text),
            col("start_time", Time),
            col("end_time", Time),
            col("created_at", Time),
        ],
        &[],
    ),
    View::of(
        "memgraph",
        "entities",
        "Entities",
        "memgraph_entities",
        &[
            col("id", Id),
            col("tenant_id", Id),
            col("entity_type", Status),
            col("name", Text),
            col("aliases", Json),
            col("properties", Json),
            col("created_at", Time),
            col("updated_at", Time),
        ],
        &[(
            "name_key",
            "the name lower-cased, for entity resolution: `name` shows it",
        )],
    ),
    View::of(
        "memgraph",
        "relationships",
        "Relationships",
        "memgraph_relationships",
        &[
            col("id", Id),
            col("tenant_id", Id),
            col("source_entity_id", Id),
            col("relation_type", Status),
            col("target_entity_id", Id),
            col("confidence", Number),
            col("valid_from", Time),
            col("valid_to", Time),
            col("evidence_sources", Json),
            col("created_at", Time),
        ],
        &[],
    ),
    View::of(
        "memgraph",
        "decisions",
        "Decisions",
        "memgraph_decisions",
        &[
            col("id", Id),
            col("tenant_id", Id),
            col("goal", Long),
            col("reasoning_steps", Json),
            col("tools_used", Json),
            col("beliefs_used", Json),
            col("confidence", Number),
            col("outcome", Status),
            col("outcome_assessment", Long),
            col("feedback", Long),
            col("agent_id", Text),
            col("user_id", Text),
            col("episode_id", Id),
            col("context_snapshot", Json),
            col("created_at", Time),
            col("updated_at", Time),
            col("outcome_recorded_at", Time),
        ],
        &[],
    ),
    View::of(
        "memgraph",
        "contradictions",
        "Contradictions",
        "memgraph_contradictions",
        &[
            col("id", Id),
            col("tenant_id", Id),
            col("subject_id", Text),
            col("key", Text),
            col("belief_a_id", Id),
            col("belief_b_id", Id),
            col("status", Status),
            col("resolved_by", Text),
            col("resolved_at", Time),
            col("detected_at", Time),
        ],
        &[],
    ),
    View::of(
        "memgraph",
        "mcis_snapshots",
        "MCIS snapshots",
        "memgraph_mcis_snapshots",
        &[
            col("id", Id),
            col("tenant_id", Id),
            col("user_id", Text),
            col("mcis", Number),
            col("grade", Status),
            col("sub_scores", Json),
            col("inputs", Json),
            col("created_at", Time),
        ],
        &[],
    ),
    // ---- TypeDB ----
    View::of(
        "typedb",
        "teams",
        "Teams",
        "typedb_teams",
        &[
            col("id", Id),
            col("has_payment_method", Bool),
            computed(
                "created_at",
                Time,
                ms_iso!("created_at_ms"),
                &["created_at_ms"],
            ),
        ],
        &[],
    ),
    View::of(
        "typedb",
        "spaces",
        "Spaces",
        "typedb_spaces",
        &[col("team_id", Id), col("id", Id)],
        &[],
    ),
    View::of(
        "typedb",
        "tokens",
        "API tokens",
        "typedb_api_tokens",
        &[
            col("client_id", Id),
            col("name", Text),
            col("team_id", Id),
            col("space_id", Id),
            col("access", Status),
            computed(
                "created_at",
                Time,
                ms_iso!("created_at_ms"),
                &["created_at_ms"],
            ),
        ],
        &[("secret_hash", "the SHA-256 of the client secret")],
    ),
    View::of(
        "typedb",
        "clusters",
        "Clusters",
        "typedb_clusters",
        &[
            col("id", Id),
            col("team_id", Id),
            col("space_id", Id),
            computed("status", Status, TYPEDB_STATUS, &["status"]),
            computed(
                "status_since",
                Time,
                TYPEDB_STATUS_SINCE,
                &["status_since_ms"],
            ),
            col("version", Text),
            col("server_count", Number),
            col("servers_down", Bool),
            col("storage_size_gb", Number),
            col("is_free", Bool),
            col("provider", Text),
            col("region", Text),
            col("machine_type", Text),
            col("storage_type", Text),
            col("backup_frequency", Text),
            col("backup_retention", Number),
            col("address_prefix", Text),
            computed(
                "created_at",
                Time,
                ms_iso!("created_at_ms"),
                &["created_at_ms"],
            ),
        ],
        &[],
    ),
    // ---- Hasura ----
    View::of(
        "hasura",
        "users",
        "Users",
        "hasura_users",
        &[col("id", Id), col("email", Text), col("created_at", Time)],
        &[("email_lower", "the email again, lowercased for lookups")],
    ),
    View::of(
        "hasura",
        "pats",
        "Access tokens",
        "hasura_pats",
        &[
            col("id", Id),
            col("user_id", Id),
            col("description", Text),
            col("created_at", Time),
        ],
        &[("token_hash", "the SHA-256 of the token")],
    ),
    View::of(
        "hasura",
        "projects",
        "Projects",
        "hasura_projects",
        &[
            col("id", Id),
            col("name", Text),
            col("owner_id", Id),
            col("plan_name", Status),
            col("endpoint", Text),
            col("created_at", Time),
            col("updated_at", Time),
        ],
        &[],
    ),
    View::of(
        "hasura",
        "tenants",
        "Tenants",
        "hasura_tenants",
        &[
            col("id", Id),
            col("project_id", Id),
            col("slug", Text),
            col("fqdn", Text),
            col("cloud", Status),
            col("region", Text),
            col("created_at", Time),
            col("updated_at", Time),
        ],
        &[],
    ),
    View {
        service: "hasura",
        name: "env_vars",
        title: "Env vars",
        table: "hasura_configs",
        // A config that is not a JSON object lists no variables rather than failing the page.
        joins: "JOIN json_each(CASE WHEN json_valid(t.env) AND json_type(t.env) = 'object'
                     THEN t.env ELSE '{}' END) e
                LEFT JOIN hasura_tenants n ON n.id = t.tenant_id
                LEFT JOIN hasura_projects p ON p.id = n.project_id",
        columns: &[
            col("tenant_id", Id),
            computed("project", Text, "p.name", &[]),
            computed("name", Text, "e.key", &["env"]),
            // Values are secrets (the admin secret among them): never read.
            computed("value", Masked, "NULL", &["env"]),
            col("updated_at", Time),
        ],
        hidden: &[(
            "hash",
            "a digest of the env, secret values included (for compare-and-swap)",
        )],
        order: "t.rowid DESC, e.key",
    },
    View::of(
        "hasura",
        "collaborators",
        "Collaborators",
        "hasura_collaborators",
        &[
            col("id", Id),
            col("project_id", Id),
            col("user_id", Id),
            col("privileges", Json),
            col("created_at", Time),
        ],
        &[],
    ),
    View::of(
        "hasura",
        "invitations",
        "Invitations",
        "hasura_invitations",
        &[
            col("id", Id),
            col("kind", Status),
            col("project_id", Id),
            col("collaborator_email", Text),
            col("privileges", Json),
            col("invited_by", Text),
            col("invited_at", Time),
            col("accepted_at", Time),
            col("declined_at", Time),
        ],
        &[("key_hash", "the SHA-256 of the invitation key")],
    ),
    View::of(
        "hasura",
        "custom_domains",
        "Custom domains",
        "hasura_custom_domains",
        &[
            col("id", Id),
            col("tenant_id", Id),
            col("fqdn", Text),
            col("created_at", Time),
            col("updated_at", Time),
        ],
        &[],
    ),
    View::of(
        "hasura",
        "jobs",
        "Preview-app jobs",
        "hasura_jobs",
        &[
            col("id", Id),
            col("job_type", Status),
            computed("status", Status, HASURA_JOB_STATUS, &[]),
            col("project_name", Text),
            col("project_id", Id),
            col("user_id", Id),
            // The input's repository only: its project options carry the env var values.
            computed(
                "repo",
                Json,
                "json_extract(t.input, '$.githubRepoDetails')",
                &["input"],
            ),
            col("created_at", Time),
        ],
        &[],
    ),
    View::of(
        "hasura",
        "preview_outcomes",
        "Injected outcomes",
        "hasura_preview_app_outcomes",
        &[
            col("name", Text),
            col("outcome", Status),
            col("error", Long),
            col("created_at", Time),
        ],
        &[],
    ),
    // ---- Dgraph ----
    View::of(
        "dgraph",
        "accounts",
        "Accounts",
        "dgraph_accounts",
        &[
            col("id", Id),
            col("email", Text),
            col("name", Text),
            col("created_at", Time),
        ],
        &[
            ("email_lower", "the email again, lowercased for logins"),
            ("password_hash", "the argon2id hash of the password"),
        ],
    ),
    View::of(
        "dgraph",
        "organizations",
        "Organizations",
        "dgraph_organizations",
        &[
            col("uid", Id),
            col("name", Text),
            col("created_by", Id),
            col("created_at", Time),
        ],
        &[],
    ),
    View::of(
        "dgraph",
        "members",
        "Members",
        "dgraph_organization_members",
        &[
            col("organization_uid", Id),
            col("account_id", Id),
            col("uid", Id),
        ],
        &[],
    ),
    View::of(
        "dgraph",
        "deployments",
        "Deployments",
        "dgraph_deployments",
        &[
            col("uid", Id),
            col("name", Text),
            computed("state", Status, DGRAPH_STATE, &["ready_at", "frozen_at"]),
            computed("url", Text, DGRAPH_URL, &["port", "subdomain", "zone"]),
            col("owner", Id),
            col("organization_uid", Id),
            col("zone", Text),
            col("subdomain", Text),
            col("port", Number),
            col("deployment_mode", Status),
            col("deployment_type", Status),
            col("size", Text),
            col("tenant_id", Number),
            col("created_at", Time),
            col("ready_at", Time),
            col("frozen_at", Time),
        ],
        &[
            (
                "lambda_script",
                "the backend's lambda code: read it through its /admin/slash",
            ),
            (
                "gql_schema",
                "the backend's GraphQL schema: read it through its /admin",
            ),
        ],
    ),
    View::of(
        "dgraph",
        "api_keys",
        "API keys",
        "dgraph_api_keys",
        &[
            col("uid", Id),
            col("deployment_uid", Id),
            col("name", Text),
            col("role", Status),
            col("created_at", Time),
        ],
        &[("key_hash", "the SHA-256 of the key")],
    ),
    View::of(
        "dgraph",
        "nodes",
        "Data",
        "dgraph_nodes",
        &[
            col("id", Number),
            col("deployment_uid", Id),
            col("body", Json),
        ],
        &[],
    ),
    View::of(
        "dgraph",
        "lambda_logs",
        "Lambda logs",
        "dgraph_lambda_logs",
        &[
            col("id", Number),
            col("deployment_uid", Id),
            col("at", Time),
            col("line", Long),
        ],
        &[],
    ),
    View::of(
        "dgraph",
        "exports",
        "Exports",
        "dgraph_exports",
        &[
            col("task_id", Id),
            col("export_id", Id),
            col("deployment_uid", Id),
            col("format", Status),
            col("created_at", Time),
            col("ready_at", Time),
        ],
        &[],
    ),
    View::of(
        "dgraph",
        "restores",
        "Restores",
        "dgraph_restores",
        &[
            col("id", Number),
            col("deployment_uid", Id),
            col("source_uid", Id),
            col("created_at", Time),
            col("ready_at", Time),
        ],
        &[],
    ),
];

/// Tables the dashboard leaves out whole, and why. (Tables derived by triggers,
/// `Service::derived_tables`, are left out too: they count rows shown elsewhere.)
pub static NOT_SHOWN: &[(&str, &str)] = &[
    (
        "memgraph_entity_terms",
        "the words of entity names and aliases, a search index: the entities table shows them",
    ),
    (
        "memgraph_belief_batches",
        "a mark held while a batch of beliefs is written, never a row outside that transaction",
    ),
    (
        "offcloud_secrets",
        "the session's signing keys: whoever reads them can forge tokens",
    ),
    (
        "hasura_tasks",
        "a job's steps, whose payloads may repeat its env var values: the job's status sums them up",
    ),
    ("hasura_task_events", "the events behind a job's status"),
    (
        "dgraph_cli_codes",
        "the CLI's login codes and refresh tokens, stored as hashes only",
    ),
    (
        "dgraph_export_files",
        "gzip files, fetched through the export's signed URL",
    ),
];

pub(super) fn view(service: &str, name: &str) -> Option<&'static View> {
    VIEWS
        .iter()
        .find(|v| v.service == service && v.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db;

    /// The table's columns a view shows or hides.
    fn decided_columns(view: &View) -> Vec<&'static str> {
        let mut decided: Vec<&'static str> = view.columns.iter().flat_map(Col::shows).collect();
        decided.extend(view.hidden.iter().map(|(c, _)| *c));
        decided
    }

    /// Every table of the schema is shown or left out on purpose, and every column of a shown
    /// table too: a migration that adds one makes this fail until it is decided.
    #[tokio::test]
    async fn every_table_and_column_of_the_schema_is_decided() {
        let session = Session::scratch().await.expect("scratch session");
        let mut conn = session.db().acquire().await.expect("connection");
        let tables: Vec<String> = db::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table'
               AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx_%' ORDER BY name",
        )
        .fetch_all(&mut *conn)
        .await
        .expect("tables");
        for table in &tables {
            let views: Vec<&View> = VIEWS.iter().filter(|v| v.table == table).collect();
            let left_out = NOT_SHOWN.iter().any(|(t, _)| t == table)
                || crate::service::is_derived_table(table);
            assert!(
                !views.is_empty() || left_out,
                "table {table} is neither in VIEWS nor in NOT_SHOWN"
            );
            assert!(
                views.is_empty() || !left_out,
                "table {table} is both shown and not"
            );
            let columns: Vec<String> =
                db::query_scalar("SELECT name FROM pragma_table_info(?) ORDER BY cid")
                    .bind(table)
                    .fetch_all(&mut *conn)
                    .await
                    .expect("columns");
            for view in views {
                let decided = decided_columns(view);
                for column in &columns {
                    assert!(
                        decided.contains(&column.as_str()),
                        "{table}.{column} is neither shown nor hidden by view {}/{}",
                        view.service,
                        view.name
                    );
                }
                for named in &decided {
                    assert!(
                        columns.iter().any(|c| c == named),
                        "view {}/{} names {named}, which {table} does not have",
                        view.service,
                        view.name
                    );
                }
            }
        }
        for (table, _) in NOT_SHOWN {
            assert!(tables.iter().any(|t| t == table), "{table} does not exist");
        }
    }

    /// A second line of defence: no shown column is named like a credential.
    #[test]
    fn no_column_named_like_a_secret_is_shown_plain() {
        for view in VIEWS {
            for column in view.columns.iter().filter(|c| c.kind != Kind::Masked) {
                for source in column.shows().into_iter().chain([column.name]) {
                    let lower = source.to_ascii_lowercase();
                    assert!(
                        !["hash", "secret", "password", "token"]
                            .iter()
                            .any(|word| lower.contains(word)),
                        "{}/{} shows {source}",
                        view.service,
                        view.name
                    );
                }
            }
        }
    }

    #[test]
    fn view_names_are_unique_per_service() {
        for (i, a) in VIEWS.iter().enumerate() {
            for b in &VIEWS[i + 1..] {
                assert!(
                    !(a.service == b.service && a.name == b.name),
                    "{}/{} twice",
                    a.service,
                    a.name
                );
            }
        }
    }
}
