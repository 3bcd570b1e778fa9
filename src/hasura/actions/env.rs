//! A tenant's env vars (docs/spec/hasura.md §6.5–§6.7, §8.3, §8.4):
//! `getTenantEnv`, `getTenantEnvConfigInfo`, and the compare-and-swap writes `updateTenantEnv`
//! (merge) and `deleteTenantEnv`, which need the current hash and return the new one.

use serde_json::{Value, json};
use sha1::{Digest, Sha1};

use super::input::{env_list, opt_string, required};
use super::{Args, Output, not_allowed, object, tenant_not_found};
use crate::hasura::Settings;
use crate::hasura::auth::User;
use crate::hasura::error::ApiError;
use crate::hasura::model::Env;
use crate::hasura::store::Store;

/// The env hash (docs/spec/hasura.md §8.3, emulator choice): SHA-1 of the env as JSON, keys sorted,
/// no spaces.
pub fn env_hash(env: &Env) -> String {
    let canonical = serde_json::to_string(env).unwrap_or_default();
    Sha1::digest(canonical.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn env_output(env: &Env, hash: &str) -> Output {
    // Values set before (by another request, a fixture, the admin secret generated with the
    // tenant) are secrets too.
    env.values()
        .for_each(|value| crate::secrets::remember(value));
    object(json!({"hash": hash, "envVars": {"environment": env}}))
}

/// docs/spec/hasura.md §8.4, emulator choice (invented text).
fn hash_mismatch() -> ApiError {
    ApiError::action("hash mismatch: the env vars were modified; fetch the current hash and retry")
}

pub(super) async fn get(store: &Store, user: &User, args: &Args) -> Result<Output, ApiError> {
    let tenant_id = args.str("tenantId")?;
    let access = store
        .access(user, &tenant_id)
        .await?
        .ok_or_else(tenant_not_found)?;
    let (env, hash) = store.env(&access).await?.ok_or_else(tenant_not_found)?;
    Ok(env_output(&env, &hash))
}

pub(super) async fn config_info(
    store: &Store,
    user: &User,
    args: &Args,
) -> Result<Output, ApiError> {
    let tenant_id = args.str("tenantId")?;
    let access = store
        .access(user, &tenant_id)
        .await?
        .ok_or_else(tenant_not_found)?;
    let (env, hash) = store.env(&access).await?.ok_or_else(tenant_not_found)?;
    Ok(object(json!({
        "hash": hash,
        "isAdminSecretSet": env.contains_key("HASURA_GRAPHQL_ADMIN_SECRET"),
        "isMetadataAPIEnabled": true,
        "userRole": if access.is_admin() { "admin" } else { "user" },
    })))
}

/// `updateTenantEnv`: merges `envs` into the env.
pub(super) async fn update(
    store: &Store,
    settings: &Settings,
    user: &User,
    args: &Args,
) -> Result<Output, ApiError> {
    let tenant_id = args.str("tenantId")?;
    let current_hash = args.str("currentHash")?;
    let changes = env_list(
        args.value("envs"),
        "UpdateEnvObject",
        &format!("{}.args.envs", args.path),
    )?;
    swap(store, user, &tenant_id, &current_hash, |env| {
        let before = env.clone();
        // Keys are kept verbatim, spaces included (docs/spec/hasura.md §8.4, emulator choice).
        env.extend(changes);
        if *env == before && settings.reject_unchanged_env {
            return Err(ApiError::action("no changes in the env vars"));
        }
        Ok(())
    })
    .await
}

/// `deleteTenantEnv`: removes the keys of `deleteEnvs`.
pub(super) async fn delete(store: &Store, user: &User, args: &Args) -> Result<Output, ApiError> {
    let tenant_id = args.str("tenantId")?;
    let current_hash = args.str("currentHash")?;
    let path = format!("{}.args.deleteEnvs", args.path);
    let keys: &[Value] = match args.value("deleteEnvs") {
        Some(Value::Array(items)) => items,
        Some(one) => std::slice::from_ref(one),
        None => &[],
    };
    let keys = keys
        .iter()
        .enumerate()
        .map(|(i, k)| {
            let p = format!("{path}[{i}]");
            required(opt_string(Some(k), &p)?, &p, "deleteEnvs")
        })
        .collect::<Result<Vec<_>, _>>()?;
    swap(store, user, &tenant_id, &current_hash, |env| {
        for key in &keys {
            env.remove(key);
        }
        Ok(())
    })
    .await
}

/// Reads the env, checks the caller's hash, applies `change`, and swaps the result in only if
/// nobody changed the env meanwhile.
async fn swap(
    store: &Store,
    user: &User,
    tenant_id: &str,
    current_hash: &str,
    change: impl FnOnce(&mut Env) -> Result<(), ApiError>,
) -> Result<Output, ApiError> {
    let access = store
        .access(user, tenant_id)
        .await?
        .ok_or_else(tenant_not_found)?;
    if !access.is_admin() {
        return Err(not_allowed());
    }
    let (mut env, hash) = store.env(&access).await?.ok_or_else(tenant_not_found)?;
    if hash != current_hash {
        return Err(hash_mismatch());
    }
    change(&mut env)?;
    let new_hash = env_hash(&env);
    if !store
        .swap_env(&access, current_hash, &env, &new_hash)
        .await?
    {
        return Err(hash_mismatch());
    }
    Ok(env_output(&env, &new_hash))
}
