//! A tenant's custom domains (docs/spec/hasura.md §6.14), as the table mutations tf-cloud sends:
//! `insert_custom_domain_one` and `delete_custom_domain_by_pk`, with Hasura's own permission and
//! constraint errors.

use serde_json::Value;

use super::input::{field_str, input_object};
use super::{Args, Output, new_id};
use crate::hasura::auth::User;
use crate::hasura::engine::is_uuid;
use crate::hasura::error::ApiError;
use crate::hasura::store::{Store, WriteError};

pub(super) async fn insert(store: &Store, user: &User, args: &Args) -> Result<Output, ApiError> {
    let (object, path) = args.input("object");
    let object = input_object(
        &object,
        "custom_domain_insert_input",
        &["fqdn", "tenant_id"],
        &path,
    )?;
    let fqdn = field_str(object, "fqdn", &path)?;
    let tenant_id = field_str(object, "tenant_id", &path)?;
    if !is_uuid(&tenant_id) {
        return Err(ApiError::invalid_uuid(&tenant_id));
    }
    let access = match store.access(user, &tenant_id).await? {
        Some(access) if access.is_admin() => access,
        _ => {
            return Err(ApiError::Permission {
                path,
                message: "check constraint of an insert/update permission has failed".into(),
            });
        }
    };
    let id = new_id();
    match store.insert_custom_domain(&access, &id, &fqdn).await {
        Ok(()) => Ok(Output::Row(id)),
        Err(WriteError::NameTaken) => Err(ApiError::Constraint {
            path,
            message: "Uniqueness violation. duplicate key value violates unique constraint \"custom_domain_fqdn_key\"".into(),
        }),
        Err(WriteError::Internal(e)) => Err(ApiError::Internal(e)),
    }
}

/// Answers with the deleted row, or null when the caller cannot see or change it.
pub(super) async fn delete(store: &Store, user: &User, args: &Args) -> Result<Output, ApiError> {
    let id = args.uuid("id")?;
    let Some(domain) = store.visible_row(user, "custom_domain", &id).await? else {
        return Ok(Output::Null);
    };
    let tenant_id = domain
        .get("tenant_id")
        .and_then(Value::as_str)
        .unwrap_or_default();
    match store.access(user, tenant_id).await? {
        Some(access) if access.is_admin() => {
            store.delete_custom_domain(&access, &id).await?;
            Ok(Output::Object(domain))
        }
        _ => Ok(Output::Null),
    }
}
