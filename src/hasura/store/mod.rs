//! All of Hasura's SQL. A [`Store`] is the request's session database. Writes take the acting
//! [`User`], or the [`Access`] the store granted that user to one project, first: another user's
//! project cannot be named, it is simply not found. Reads of the GraphQL tables are the read
//! model ([`read`]), apart from the writes.

mod collaborators;
mod jobs;
mod projects;
pub(crate) mod read;
mod users;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use super::error::ApiError;
use crate::AppState;
use crate::clock::iso;
use crate::db;
use crate::error::{Internal, is_unique_violation};
use crate::session::Session;

pub use super::model::{Env, NewProject};
pub use projects::insert_project;
pub use users::{insert_pat_row, insert_user};

pub struct Store {
    session: Session,
}

impl FromRequestParts<AppState> for Store {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let session = state.sessions.of(&parts.extensions).await?;
        Ok(Store { session })
    }
}

impl Store {
    pub fn new(session: Session) -> Store {
        Store { session }
    }

    pub fn session(&self) -> &Session {
        &self.session
    }

    /// The session clock's now, as stored: ISO 8601 UTC of fixed width, so times sort.
    pub fn now(&self) -> String {
        iso(self.session.clock().now())
    }
}

/// What a user may do with one project and its tenant. Only the store makes one, after finding
/// that the user owns the project or collaborates on it; writes to a project take it.
#[derive(Debug)]
pub struct Access {
    tenant_id: String,
    project_id: String,
    owner: bool,
    admin: bool,
}

impl Access {
    pub fn tenant_id(&self) -> &str {
        &self.tenant_id
    }

    pub fn project_id(&self) -> &str {
        &self.project_id
    }

    pub fn is_owner(&self) -> bool {
        self.owner
    }

    /// The owner, or a collaborator with the `admin` privilege (`graphql_admin` and
    /// `view_metrics` only read).
    pub fn is_admin(&self) -> bool {
        self.admin
    }
}

/// Why a write was refused.
#[derive(Debug)]
pub enum WriteError {
    /// A unique key is taken: the project name (= tenant slug, a subdomain), or a custom
    /// domain's fqdn.
    NameTaken,
    Internal(Internal),
}

impl From<db::Error> for WriteError {
    fn from(e: db::Error) -> Self {
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
