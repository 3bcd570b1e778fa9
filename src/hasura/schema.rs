//! The schema the emulator serves (docs/spec/hasura.md §4, §5.1): Hasura-generated table types, the
//! action output types, and the root fields of `query_root` and `mutation_root`. Types are plain
//! data here; [`super::engine`] validates documents against them, and the store's read model
//! (`store::read`) gives each table type its rows in SQL.

/// Column types. Only what changes behaviour matters: `uuid` values are checked as Postgres
/// would (docs/spec/hasura.md §3.3), `jsonb` columns take a `path` argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scalar {
    Uuid,
    Text,
    Int,
    Bigint,
    Bool,
    Timestamptz,
    Jsonb,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Card {
    Object,
    Array,
}

#[derive(Debug)]
pub struct Relation {
    pub name: &'static str,
    pub target: &'static str,
    pub card: Card,
    /// `row[local] == related[remote]`.
    pub local: &'static str,
    pub remote: &'static str,
}

pub struct TypeDef {
    pub name: &'static str,
    pub columns: &'static [(&'static str, Scalar)],
    pub relations: &'static [Relation],
    /// Primary-key columns; empty for action output types.
    pub pk: &'static [&'static str],
}

impl TypeDef {
    pub fn column(&self, name: &str) -> Option<Scalar> {
        self.columns
            .iter()
            .find(|(c, _)| *c == name)
            .map(|(_, t)| *t)
    }

    pub fn relation(&self, name: &str) -> Option<&'static Relation> {
        self.relations.iter().find(|r| r.name == name)
    }
}

use Card::{Array, Object};
use Scalar::*;

const fn rel(
    name: &'static str,
    target: &'static str,
    card: Card,
    local: &'static str,
    remote: &'static str,
) -> Relation {
    Relation {
        name,
        target,
        card,
        local,
        remote,
    }
}

/// Tables: each is a root list field, `<table>_by_pk` and `<table>_aggregate`.
pub const TABLES: &[TypeDef] = &[
    TypeDef {
        name: "projects",
        columns: &[
            ("assigned_at", Timestamptz),
            ("billing_manager_id", Uuid),
            ("billing_plan_name", Text),
            ("console_oauth_id", Text),
            ("created_at", Timestamptz),
            ("endpoint", Text),
            ("id", Uuid),
            ("invoice_attempt_count", Int),
            ("invoice_status", Text),
            ("name", Text),
            ("owner_id", Uuid),
            ("plan_name", Text),
            ("server_oauth_id", Text),
            ("updated_at", Timestamptz),
        ],
        relations: &[
            rel(
                "collaborators",
                "project_collaborators",
                Array,
                "id",
                "project_id",
            ),
            rel(
                "invitations",
                "project_collaborator_invitations",
                Array,
                "id",
                "project_id",
            ),
            rel("jobs", "jobs", Array, "id", "project_id"),
            rel("owner", "users_public", Object, "owner_id", "id"),
            rel("tenant", "tenant", Object, "id", "project_id"),
        ],
        pk: &["id"],
    },
    TypeDef {
        name: "tenant",
        columns: &[
            ("active", Bool),
            ("active_status_reason", Text),
            ("alias", Text),
            ("cloud", Text),
            ("cloudflare_proxy_enabled", Bool),
            ("created_at", Timestamptz),
            ("dedicated_vpc_id", Uuid),
            ("fqdn", Text),
            ("health_status", Jsonb),
            ("id", Uuid),
            ("maintenance_mode", Bool),
            ("major_version", Int),
            ("project_id", Uuid),
            ("region", Text),
            ("slug", Text),
            ("updated_at", Timestamptz),
        ],
        relations: &[
            rel("config", "config", Object, "id", "tenant_id"),
            rel("custom_domains", "custom_domain", Array, "id", "tenant_id"),
            rel("project", "projects", Object, "project_id", "id"),
            rel("region_info", "region", Object, "region", "name"),
            rel("status", "tenant_status", Array, "id", "tenant_id"),
            rel(
                "tenant_public_status",
                "tenant_public_status",
                Array,
                "id",
                "tenant_id",
            ),
        ],
        pk: &["id"],
    },
    TypeDef {
        name: "config",
        columns: &[
            ("hash", Text),
            ("tenant_id", Uuid),
            ("updated_at", Timestamptz),
            ("vault_path", Text),
        ],
        relations: &[
            rel("status", "config_status", Array, "tenant_id", "tenant_id"),
            rel("tenant", "tenant", Object, "tenant_id", "id"),
        ],
        pk: &["tenant_id"],
    },
    TypeDef {
        name: "config_status",
        columns: &[
            ("hash", Text),
            ("is_active", Bool),
            ("message", Text),
            ("tenant_id", Uuid),
            ("updated_at", Timestamptz),
            ("worker_id", Uuid),
        ],
        relations: &[],
        pk: &["tenant_id", "worker_id"],
    },
    TypeDef {
        name: "custom_domain",
        columns: &[
            ("cert", Text),
            ("cloudflare_origin_dns_record", Text),
            ("created_at", Timestamptz),
            ("dns_validation", Text),
            ("fqdn", Text),
            ("id", Uuid),
            ("ssl_message", Text),
            ("ssl_status", Text),
            ("tenant_id", Uuid),
            ("updated_at", Timestamptz),
        ],
        relations: &[rel("tenant", "tenant", Object, "tenant_id", "id")],
        pk: &["id"],
    },
    TypeDef {
        name: "jobs",
        columns: &[
            ("created_at", Timestamptz),
            ("id", Uuid),
            ("input", Jsonb),
            ("job_type", Text),
            ("project_id", Uuid),
            ("project_name", Text),
            ("status", Text),
            ("updated_at", Timestamptz),
            ("user_id", Uuid),
        ],
        relations: &[
            rel("project", "projects", Object, "project_id", "id"),
            rel("tasks", "tasks", Array, "id", "job_id"),
        ],
        pk: &["id"],
    },
    TypeDef {
        name: "tasks",
        columns: &[
            ("cloud", Text),
            ("created_at", Timestamptz),
            ("id", Uuid),
            ("job_id", Uuid),
            ("max_retry", Int),
            ("name", Text),
            ("payload", Jsonb),
            ("region", Text),
            ("updated_at", Timestamptz),
        ],
        relations: &[
            rel("job", "jobs", Object, "job_id", "id"),
            rel("task_events", "task_event", Array, "id", "task_id"),
        ],
        pk: &["id"],
    },
    TypeDef {
        name: "task_event",
        columns: &[
            ("created_at", Timestamptz),
            ("error", Text),
            ("event_data", Jsonb),
            ("event_type", Text),
            ("github_detail", Text),
            ("id", Uuid),
            ("public_event_data", Jsonb),
            ("task_id", Uuid),
            ("updated_at", Timestamptz),
        ],
        relations: &[rel("task", "tasks", Object, "task_id", "id")],
        pk: &["id"],
    },
    TypeDef {
        name: "region",
        columns: &[
            ("cloud", Text),
            ("is_active", Bool),
            ("metrics_fqdn", Text),
            ("name", Text),
            ("nat_ip", Text),
            ("nat_ips", Jsonb),
        ],
        relations: &[],
        pk: &["cloud", "name"],
    },
    TypeDef {
        name: "plans",
        columns: &[
            ("alloc_limit", Int),
            ("allow_list_enabled", Bool),
            ("api_limits_enabled", Bool),
            ("autoscaling_enabled", Bool),
            ("bucket_capacity", Bigint),
            ("bucket_rate", Bigint),
            ("caching_enabled", Bool),
            ("collaborators_enabled", Bool),
            ("created_at", Timestamptz),
            ("description", Text),
            ("high_availability_enabled", Bool),
            ("log_retention", Int),
            ("max_api_limit_roles", Int),
            ("max_cache_size", Bigint),
            ("max_cache_ttl", Bigint),
            ("max_collaborators", Int),
            ("max_data_usage", Bigint),
            ("max_read_replicas", Int),
            ("max_reqs_per_min", Int),
            ("metrics_enabled", Bool),
            ("name", Text),
            ("operation_retention", Bigint),
            ("read_replicas_enabled", Bool),
            ("regression_tests_enabled", Bool),
            ("request_time_limit", Int),
            ("tracing_enabled", Bool),
            ("updated_at", Timestamptz),
            ("vpc_peering_enabled", Bool),
        ],
        relations: &[],
        pk: &["name"],
    },
    TypeDef {
        name: "privileges",
        columns: &[
            ("description", Text),
            ("display_order", Int),
            ("name", Text),
            ("slug", Text),
        ],
        relations: &[],
        pk: &["slug"],
    },
    TypeDef {
        name: "users",
        columns: &[("created_at", Timestamptz), ("email", Text), ("id", Uuid)],
        relations: &[],
        pk: &["id"],
    },
    TypeDef {
        name: "user_personal_access_tokens",
        columns: &[
            ("created_at", Timestamptz),
            ("description", Text),
            ("id", Uuid),
            ("user_id", Uuid),
        ],
        relations: &[],
        pk: &["id"],
    },
    TypeDef {
        name: "project_collaborators",
        columns: &[
            ("collaborator_id", Uuid),
            ("created_at", Timestamptz),
            ("id", Uuid),
            ("project_id", Uuid),
        ],
        relations: &[
            rel(
                "collaborator",
                "users_public",
                Object,
                "collaborator_id",
                "id",
            ),
            rel("project", "projects", Object, "project_id", "id"),
            rel(
                "project_collaborator_privileges",
                "project_collaborator_privileges",
                Array,
                "id",
                "project_collaborator_id",
            ),
        ],
        pk: &["id"],
    },
    TypeDef {
        name: "project_collaborator_invitations",
        columns: &[
            ("accepted_at", Timestamptz),
            ("collaborator_email", Text),
            ("declined_at", Timestamptz),
            ("id", Uuid),
            ("invited_at", Timestamptz),
            ("invited_by", Uuid),
            ("privileges", Jsonb),
            ("project_id", Uuid),
        ],
        relations: &[rel("project", "projects", Object, "project_id", "id")],
        pk: &["id"],
    },
    TypeDef {
        name: "project_collaborator_privileges",
        columns: &[("privilege_slug", Text), ("project_collaborator_id", Uuid)],
        relations: &[],
        pk: &["privilege_slug", "project_collaborator_id"],
    },
    TypeDef {
        name: "users_public",
        columns: &[("email", Text), ("id", Uuid)],
        relations: &[],
        pk: &["id"],
    },
    TypeDef {
        name: "tenant_status",
        columns: &[
            ("has_inconsistent_metadata", Bool),
            ("is_active", Bool),
            ("message", Text),
            ("tenant_id", Uuid),
            ("updated_at", Timestamptz),
            ("worker_id", Uuid),
        ],
        relations: &[],
        pk: &["tenant_id", "worker_id"],
    },
    TypeDef {
        name: "tenant_public_status",
        columns: &[
            ("endpoint", Text),
            ("is_active", Bool),
            ("message", Text),
            ("tenant_id", Uuid),
            ("type", Text),
            ("updated_at", Timestamptz),
        ],
        relations: &[],
        pk: &["tenant_id", "type"],
    },
];

/// Action output types (docs/spec/hasura.md §5.1). Their fields are filled by the action; relations
/// reach the tables.
pub const ACTION_TYPES: &[TypeDef] = &[
    TypeDef {
        name: "CreateTenantResponse",
        columns: &[("id", Uuid), ("name", Text)],
        relations: &[rel("tenant", "tenant", Object, "id", "id")],
        pk: &[],
    },
    TypeDef {
        name: "TenantDeleteResponse",
        columns: &[("status", Text)],
        relations: &[],
        pk: &[],
    },
    TypeDef {
        name: "TenantEnv",
        columns: &[("envVars", Jsonb), ("hash", Text)],
        relations: &[],
        pk: &[],
    },
    TypeDef {
        name: "TenantEnvConfigInfo",
        columns: &[
            ("hash", Text),
            ("isAdminSecretSet", Bool),
            ("isMetadataAPIEnabled", Bool),
            ("userRole", Text),
        ],
        relations: &[],
        pk: &[],
    },
    TypeDef {
        name: "UpdateTenantNameResponse",
        columns: &[("tenant_id", Uuid)],
        relations: &[rel("tenant", "tenant", Object, "tenant_id", "id")],
        pk: &[],
    },
    TypeDef {
        name: "PreviewAppResponse",
        columns: &[("githubPreviewAppJobID", Uuid)],
        relations: &[rel(
            "github_preview_app_job",
            "jobs",
            Object,
            "githubPreviewAppJobID",
            "id",
        )],
        pk: &[],
    },
    TypeDef {
        name: "ProjectCollaboratorInvitation",
        columns: &[
            ("collaborator_email", Text),
            ("id", Uuid),
            ("invited_at", Text),
            ("invited_by", Uuid),
            ("key", Text),
            ("privileges", Jsonb),
            ("project_id", Uuid),
        ],
        relations: &[],
        pk: &[],
    },
    TypeDef {
        name: "MoveProjectRegionResponse",
        columns: &[("projectId", Uuid)],
        relations: &[rel("project", "projects", Object, "projectId", "id")],
        pk: &[],
    },
    TypeDef {
        name: "ProjectOwnershipTransferInvitation",
        columns: &[
            ("id", Uuid),
            ("invited_at", Text),
            ("invited_by", Uuid),
            ("invitee_email", Text),
            ("key", Text),
            ("project_id", Uuid),
        ],
        relations: &[],
        pk: &[],
    },
    TypeDef {
        name: "PersonalAccessToken",
        columns: &[
            ("created_at", Timestamptz),
            ("description", Text),
            ("id", Uuid),
            ("token", Text),
        ],
        relations: &[],
        pk: &[],
    },
];

pub fn type_def(name: &str) -> Option<&'static TypeDef> {
    TABLES
        .iter()
        .chain(ACTION_TYPES.iter())
        .find(|t| t.name == name)
}

/// Whether a table can be queried from the root (some tables only appear through relations).
pub fn is_root_table(name: &str) -> bool {
    !matches!(
        name,
        "users_public"
            | "project_collaborator_privileges"
            | "tenant_status"
            | "tenant_public_status"
            | "config_status"
            | "project_collaborator_invitations"
    )
}

/// What a root field returns.
#[derive(Debug, Clone, Copy)]
pub enum RootField {
    List(&'static TypeDef),
    ByPk(&'static TypeDef),
    Aggregate(&'static TypeDef),
    /// An action or a custom mutation, with its declared arguments (name, GraphQL type).
    Action(&'static Action),
}

#[derive(Debug)]
pub struct Action {
    pub name: &'static str,
    pub args: &'static [(&'static str, &'static str)],
    pub output: &'static str,
}

impl std::fmt::Debug for TypeDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

pub const QUERY_ACTIONS: &[Action] = &[
    Action {
        name: "getTenantEnv",
        args: &[("tenantId", "uuid!")],
        output: "TenantEnv",
    },
    Action {
        name: "getTenantEnvConfigInfo",
        args: &[("tenantId", "uuid!")],
        output: "TenantEnvConfigInfo",
    },
];

pub const MUTATIONS: &[Action] = &[
    Action {
        name: "createTenant",
        args: &[
            ("cloud", "String!"),
            ("dedicatedVPCID", "String"),
            ("envs", "[UpdateEnvsObject]"),
            ("name", "String"),
            ("plan", "String"),
            ("projectMetadata", "ProjectMiscMetadata"),
            ("region", "String!"),
        ],
        output: "CreateTenantResponse",
    },
    Action {
        name: "deleteTenant",
        args: &[("tenantId", "uuid!")],
        output: "TenantDeleteResponse",
    },
    Action {
        name: "updateTenantEnv",
        args: &[
            ("currentHash", "String!"),
            ("envs", "[UpdateEnvObject!]!"),
            ("tenantId", "uuid!"),
        ],
        output: "TenantEnv",
    },
    Action {
        name: "deleteTenantEnv",
        args: &[
            ("currentHash", "String!"),
            ("deleteEnvs", "[String!]!"),
            ("tenantId", "uuid!"),
        ],
        output: "TenantEnv",
    },
    Action {
        name: "updateTenantName",
        args: &[("name", "String!"), ("tenantId", "uuid!")],
        output: "UpdateTenantNameResponse",
    },
    Action {
        name: "createGitHubPreviewApp",
        args: &[("payload", "CreateGithubPreviewAppInputPayload")],
        output: "PreviewAppResponse",
    },
    Action {
        name: "update_projects_by_pk",
        args: &[
            ("_set", "projects_set_input"),
            ("pk_columns", "projects_pk_columns_input!"),
        ],
        output: "projects",
    },
    Action {
        name: "insert_custom_domain_one",
        args: &[
            ("object", "custom_domain_insert_input!"),
            ("on_conflict", "custom_domain_on_conflict"),
        ],
        output: "custom_domain",
    },
    Action {
        name: "delete_custom_domain_by_pk",
        args: &[("id", "uuid!")],
        output: "custom_domain",
    },
    Action {
        name: "moveProjectRegion",
        args: &[
            ("cloud", "String"),
            ("projectId", "uuid!"),
            ("region", "String"),
            ("tenantGroupId", "uuid"),
        ],
        output: "MoveProjectRegionResponse",
    },
    Action {
        name: "inviteCollaborator",
        args: &[("invite", "InviteColloboratorRequest!")],
        output: "ProjectCollaboratorInvitation",
    },
    Action {
        name: "acceptInvite",
        args: &[("inviteKey", "String!")],
        output: "ProjectCollaboratorInvitation",
    },
    Action {
        name: "declineInvite",
        args: &[("inviteKey", "String!")],
        output: "ProjectCollaboratorInvitation",
    },
    Action {
        name: "transferOwnershipInvite",
        args: &[("input", "TransferOwnershipRequest!")],
        output: "ProjectOwnershipTransferInvitation",
    },
    Action {
        name: "acceptTransferOwnershipInvite",
        args: &[("inviteKey", "String!")],
        output: "ProjectOwnershipTransferInvitation",
    },
    Action {
        name: "declineTransferOwnershipInvite",
        args: &[("inviteKey", "String!")],
        output: "ProjectOwnershipTransferInvitation",
    },
    Action {
        name: "delete_project_collaborators_by_pk",
        args: &[("id", "uuid!")],
        output: "project_collaborators",
    },
    Action {
        name: "delete_user_personal_access_tokens_by_pk",
        args: &[("id", "uuid!")],
        output: "user_personal_access_tokens",
    },
    Action {
        name: "createPersonalAccessToken",
        args: &[("token", "PersonalAccessTokenInput!")],
        output: "PersonalAccessToken",
    },
];

/// A root field of `query_root`.
pub fn query_field(name: &str) -> Option<RootField> {
    if let Some(action) = QUERY_ACTIONS.iter().find(|a| a.name == name) {
        return Some(RootField::Action(action));
    }
    let table = |n: &str| TABLES.iter().find(|t| t.name == n && is_root_table(t.name));
    if let Some(t) = table(name) {
        return Some(RootField::List(t));
    }
    if let Some(t) = name.strip_suffix("_by_pk").and_then(table) {
        return Some(RootField::ByPk(t));
    }
    if let Some(t) = name.strip_suffix("_aggregate").and_then(table) {
        return Some(RootField::Aggregate(t));
    }
    None
}

/// A root field of `mutation_root`.
pub fn mutation_field(name: &str) -> Option<&'static Action> {
    MUTATIONS.iter().find(|a| a.name == name)
}
