//! Personal access tokens (docs/spec/hasura.md §2.2): `createPersonalAccessToken` shows the
//! token once; `delete_user_personal_access_tokens_by_pk` stops it at once.

use serde_json::json;

use super::input::{input_object, opt_string};
use super::{Args, Output, new_id, object, random_alphanumeric};
use crate::auth::sha256_hex;
use crate::hasura::auth::User;
use crate::hasura::error::ApiError;
use crate::hasura::store::Store;

pub(super) async fn create(store: &Store, user: &User, args: &Args) -> Result<Output, ApiError> {
    let (input, path) = args.input("token");
    let map = input_object(&input, "PersonalAccessTokenInput", &["description"], &path)?;
    let description = opt_string(map.get("description"), &format!("{path}.description"))?;
    let token = random_alphanumeric();
    let id = new_id();
    let created_at = store
        .insert_pat(user, &id, &sha256_hex(&token), description.as_deref())
        .await?;
    Ok(object(json!({
        "id": id, "token": token, "description": description, "created_at": created_at,
    })))
}

/// Answers with the deleted token's row, or null when it is not the caller's.
pub(super) async fn delete(store: &Store, user: &User, args: &Args) -> Result<Output, ApiError> {
    let id = args.uuid("id")?;
    let Some(token) = store
        .visible_row(user, "user_personal_access_tokens", &id)
        .await?
    else {
        return Ok(Output::Null);
    };
    if !store.delete_pat(user, &id).await? {
        return Ok(Output::Null);
    }
    Ok(Output::Object(token))
}
