//! The data Hasura's operations carry: the GraphQL-over-HTTP request, rows as they are put on the
//! wire, a tenant's env, what a write inserts (projects, preview-app jobs, invitations), and the
//! bodies of the control routes.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value};

/// A GraphQL-over-HTTP request body (docs/spec/hasura.md §2.1).
#[derive(Debug, Deserialize)]
pub struct GraphqlRequest {
    pub query: Option<String>,
    #[serde(default)]
    pub variables: Option<Value>,
    #[serde(default, rename = "operationName")]
    pub operation_name: Option<String>,
}

/// One row (or action output object) by field name, as it goes on the wire.
pub type Row = Map<String, Value>;

/// A tenant's env vars, kept sorted so their hash is stable (docs/spec/hasura.md §6.5, §8.3).
pub type Env = BTreeMap<String, String>;

/// A project with its tenant and env config, as `createTenant`, a preview app or a fixture
/// creates it.
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

/// A preview-app job with its tasks and their events, all written when the job is queued.
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
    pub events: Vec<NewEvent>,
}

/// An event of a task, shown once the session clock reaches `happens_at`.
pub struct NewEvent {
    pub id: String,
    pub event_type: String,
    pub public_event_data: Option<Value>,
    pub error: Option<String>,
    pub github_detail: Option<String>,
    pub happens_at: String,
}

/// The two kinds of invitation: to collaborate on a project, and to take it over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvitationKind {
    Collaborator,
    Ownership,
}

impl InvitationKind {
    /// As stored in `hasura_invitations.kind`.
    pub fn as_str(self) -> &'static str {
        match self {
            InvitationKind::Collaborator => "collaborator",
            InvitationKind::Ownership => "ownership",
        }
    }
}

pub struct NewInvitation<'a> {
    pub kind: InvitationKind,
    pub id: &'a str,
    pub email: &'a str,
    pub privileges: &'a [String],
    pub key_hash: &'a str,
}

/// An open invitation.
pub struct Invitation {
    pub id: String,
    pub project_id: String,
    pub collaborator_email: String,
    pub privileges: Vec<String>,
    pub invited_by: String,
    pub invited_at: String,
}

/// `POST /_offcloud/hasura/users`.
#[derive(Deserialize)]
pub struct NewUser {
    pub email: String,
}

/// `POST /_offcloud/hasura/preview-app-outcomes`.
#[derive(Deserialize)]
pub struct PreviewOutcome {
    pub name: String,
    pub outcome: String,
    #[serde(default)]
    pub error: Option<String>,
}
