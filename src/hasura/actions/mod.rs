//! The business operations (Hasura Actions on the real service, docs/spec/hasura.md §6) and the few
//! table mutations clients send, one module per resource. Each checks its arguments and the
//! caller's access before writing; errors are action-style (docs/spec/hasura.md §8.5) unless Hasura
//! itself would have answered (permissions, constraints, uuid syntax).

mod collaborators;
mod domains;
mod env;
mod input;
mod preview_apps;
mod tenants;
mod tokens;

use rand::Rng;
use rand::distr::Alphanumeric;
use serde_json::{Map, Value};
use uuid::Uuid;

use super::Settings;
use super::auth::User;
use super::error::ApiError;
use super::model::Row;
use super::store::{Store, WriteError};

pub use env::env_hash;

/// What an action hands back to be resolved against its output type.
pub enum Output {
    Null,
    /// The output object itself (action types, or a row captured before it was deleted).
    Object(Row),
    /// A table row to look up, after the write, by its `id`.
    Row(String),
}

/// Arguments of one root field, variables bound, with the field's path for error messages.
pub struct Args {
    pub path: String,
    pub map: Map<String, Value>,
}

/// A `query_root` action.
pub async fn query(
    store: &Store,
    user: &User,
    name: &str,
    args: &Args,
) -> Result<Output, ApiError> {
    match name {
        "getTenantEnv" => env::get(store, user, args).await,
        "getTenantEnvConfigInfo" => env::config_info(store, user, args).await,
        _ => Ok(Output::Null),
    }
}

/// A `mutation_root` field.
pub async fn mutate(
    store: &Store,
    settings: &Settings,
    user: &User,
    name: &str,
    args: &Args,
) -> Result<Output, ApiError> {
    match name {
        "createTenant" => tenants::create(store, settings, user, args).await,
        "deleteTenant" => tenants::delete(store, user, args).await,
        "updateTenantName" => tenants::rename(store, settings, user, args).await,
        "update_projects_by_pk" => tenants::update_project(store, settings, user, args).await,
        "moveProjectRegion" => tenants::move_region(store, user, args).await,
        "updateTenantEnv" => env::update(store, settings, user, args).await,
        "deleteTenantEnv" => env::delete(store, user, args).await,
        "createGitHubPreviewApp" => preview_apps::create(store, settings, user, args).await,
        "insert_custom_domain_one" => domains::insert(store, user, args).await,
        "delete_custom_domain_by_pk" => domains::delete(store, user, args).await,
        "inviteCollaborator" => {
            collaborators::invite(store, user, args, &collaborators::INVITE).await
        }
        "transferOwnershipInvite" => {
            collaborators::invite(store, user, args, &collaborators::TRANSFER).await
        }
        "acceptInvite" => {
            collaborators::answer(store, user, args, &collaborators::INVITE, true).await
        }
        "declineInvite" => {
            collaborators::answer(store, user, args, &collaborators::INVITE, false).await
        }
        "acceptTransferOwnershipInvite" => {
            collaborators::answer(store, user, args, &collaborators::TRANSFER, true).await
        }
        "declineTransferOwnershipInvite" => {
            collaborators::answer(store, user, args, &collaborators::TRANSFER, false).await
        }
        "delete_project_collaborators_by_pk" => collaborators::remove(store, user, args).await,
        "createPersonalAccessToken" => tokens::create(store, user, args).await,
        "delete_user_personal_access_tokens_by_pk" => tokens::delete(store, user, args).await,
        _ => Ok(Output::Null),
    }
}

/// 64 random alphanumeric characters: PATs and admin secrets (docs/spec/hasura.md §2.2, §6.5).
pub fn random_alphanumeric() -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(64)
        .map(char::from)
        .collect()
}

fn new_id() -> String {
    Uuid::new_v4().to_string()
}

/// An output object from JSON built in place.
fn object(value: Value) -> Output {
    match value {
        Value::Object(map) => Output::Object(map),
        _ => Output::Null,
    }
}

// ---- emulator choices for messages the real service does not publish (docs/spec/hasura.md §11)
// -------------------

fn tenant_not_found() -> ApiError {
    ApiError::action("tenant not found")
}

fn project_not_found() -> ApiError {
    ApiError::action("project not found")
}

fn not_allowed() -> ApiError {
    ApiError::action("you do not have the privilege to perform this operation on the project")
}

fn name_taken(name: &str) -> ApiError {
    ApiError::action(format!("a project with the name \"{name}\" already exists"))
}

fn write_error(e: WriteError, name: &str) -> ApiError {
    match e {
        WriteError::NameTaken => name_taken(name),
        WriteError::Internal(e) => ApiError::Internal(e),
    }
}
