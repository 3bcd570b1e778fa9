//! Projects and their tenants (docs/spec/hasura.md §6.1–§6.4, §6.11, §6.12):
//! `createTenant`, `deleteTenant`, `updateTenantName`, `update_projects_by_pk` and
//! `moveProjectRegion`.

use rand::Rng;
use serde_json::json;

use super::input::{env_list, field_str, input_object, opt_string};
use super::{
    Args, Output, new_id, not_allowed, object, project_not_found, random_alphanumeric,
    tenant_not_found, write_error,
};
use crate::hasura::Settings;
use crate::hasura::actions::env::env_hash;
use crate::hasura::auth::User;
use crate::hasura::engine::is_uuid;
use crate::hasura::error::ApiError;
use crate::hasura::model::{Env, NewProject};
use crate::hasura::seeds;
use crate::hasura::store::{Store, WriteError};

pub(super) async fn create(
    store: &Store,
    settings: &Settings,
    user: &User,
    args: &Args,
) -> Result<Output, ApiError> {
    let cloud = args.str("cloud")?;
    let region = args.str("region")?;
    let plan = args.opt_str("plan")?.unwrap_or_else(|| "cloud_free".into());
    let envs = env_list(
        args.value("envs"),
        "UpdateEnvsObject",
        &format!("{}.args.envs", args.path),
    )?;
    check_placement(&cloud, &region, &plan)?;
    let given = args.opt_str("name")?;
    if let Some(name) = &given {
        check_name(name)?;
    }
    // A generated name may collide; try a few before giving up.
    for _ in 0..8 {
        let name = given.clone().unwrap_or_else(generated_name);
        let project = new_project(settings, user, &name, &cloud, &region, &plan, envs.clone());
        match store.create_project(user, &project).await {
            Ok(()) => return Ok(object(json!({"id": project.tenant_id, "name": name}))),
            Err(WriteError::NameTaken) if given.is_none() => continue,
            Err(e) => return Err(write_error(e, &name)),
        }
    }
    Err(ApiError::action(
        "could not generate a free project name; pass a name",
    ))
}

pub(super) async fn delete(store: &Store, user: &User, args: &Args) -> Result<Output, ApiError> {
    let tenant_id = args.str("tenantId")?;
    let access = store
        .access(user, &tenant_id)
        .await?
        .ok_or_else(tenant_not_found)?;
    if !access.is_owner() {
        return Err(not_allowed());
    }
    store.delete_project(&access).await?;
    // docs/spec/hasura.md §6.4, emulator choice: the value of `status` is not published.
    Ok(object(json!({"status": "deleted"})))
}

pub(super) async fn rename(
    store: &Store,
    settings: &Settings,
    user: &User,
    args: &Args,
) -> Result<Output, ApiError> {
    let tenant_id = args.str("tenantId")?;
    let new_name = args.str("name")?;
    let access = store
        .access(user, &tenant_id)
        .await?
        .ok_or_else(tenant_not_found)?;
    if !access.is_admin() {
        return Err(not_allowed());
    }
    check_name(&new_name)?;
    store
        .rename(
            &access,
            &new_name,
            &settings.fqdn(&new_name),
            &settings.endpoint(&new_name),
        )
        .await
        .map_err(|e| write_error(e, &new_name))?;
    Ok(object(json!({"tenant_id": access.tenant_id()})))
}

/// node-lib's `update_projects_by_pk`: the PAT role may set the name (docs/spec/hasura.md §6.11)
/// and the plan. Another user's project answers null, as a table permission would.
pub(super) async fn update_project(
    store: &Store,
    settings: &Settings,
    user: &User,
    args: &Args,
) -> Result<Output, ApiError> {
    let (pk, pk_path) = args.input("pk_columns");
    let pk = input_object(&pk, "projects_pk_columns_input", &["id"], &pk_path)?;
    let id = field_str(pk, "id", &pk_path)?;
    if !is_uuid(&id) {
        return Err(ApiError::invalid_uuid(&id));
    }
    let set_path = format!("{}.args._set", args.path);
    let set = args.value("_set").cloned().unwrap_or(json!({}));
    let set = input_object(
        &set,
        "projects_set_input",
        &["name", "plan_name"],
        &set_path,
    )?;
    let Some(access) = store.access_to_project(user, &id).await? else {
        return Ok(Output::Null);
    };
    if !access.is_admin() {
        return Ok(Output::Null);
    }
    if let Some(name) = opt_string(set.get("name"), &format!("{set_path}.name"))? {
        check_name(&name)?;
        // Emulator choice: the slug follows the name, as with updateTenantName (docs/spec/hasura.md
        // §6.11).
        store
            .rename(
                &access,
                &name,
                &settings.fqdn(&name),
                &settings.endpoint(&name),
            )
            .await
            .map_err(|e| write_error(e, &name))?;
    }
    if let Some(plan) = opt_string(set.get("plan_name"), &format!("{set_path}.plan_name"))? {
        if !seeds::PLANS.contains(&plan.as_str()) {
            return Err(ApiError::action(format!("invalid plan \"{plan}\"")));
        }
        store.set_plan(&access, &plan).await?;
    }
    Ok(Output::Row(id))
}

pub(super) async fn move_region(
    store: &Store,
    user: &User,
    args: &Args,
) -> Result<Output, ApiError> {
    let project_id = args.str("projectId")?;
    let access = if is_uuid(&project_id) {
        store.access_to_project(user, &project_id).await?
    } else {
        None
    };
    let access = access.ok_or_else(project_not_found)?;
    if !access.is_admin() {
        return Err(not_allowed());
    }
    let (current_cloud, current_region) = store.placement(&access).await?.unwrap_or_default();
    let cloud = args.opt_str("cloud")?.unwrap_or(current_cloud);
    let region = args.opt_str("region")?.unwrap_or(current_region);
    check_placement(&cloud, &region, "cloud_free")?;
    // Emulator choice: the move is instant (the docs warn of brief unavailability).
    store.move_region(&access, &cloud, &region).await?;
    Ok(object(json!({"projectId": project_id})))
}

/// Project names become subdomains: lowercase letters, digits, hyphens (and the underscore of
/// the documented example `my-app_name`), 1 to 63 characters, starting alphanumeric.
pub(super) fn check_name(name: &str) -> Result<(), ApiError> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric());
    if ok {
        Ok(())
    } else {
        Err(ApiError::action(format!(
            "invalid project name \"{name}\": use lowercase letters, digits and hyphens"
        )))
    }
}

pub(super) fn check_placement(cloud: &str, region: &str, plan: &str) -> Result<(), ApiError> {
    if !matches!(cloud, "aws" | "gcp" | "azure") {
        return Err(ApiError::action(format!("invalid cloud \"{cloud}\"")));
    }
    if !seeds::region_exists(cloud, region) {
        return Err(ApiError::action(format!(
            "region \"{region}\" is not available on cloud \"{cloud}\""
        )));
    }
    if !seeds::PLANS.contains(&plan) {
        return Err(ApiError::action(format!("invalid plan \"{plan}\"")));
    }
    Ok(())
}

/// docs/spec/hasura.md §6.1, emulator choice: `<adjective>-<animal>-<2 digits>`.
fn generated_name() -> String {
    const ADJECTIVES: &[&str] = &[
        "sweeping", "brave", "calm", "eager", "gentle", "happy", "lively", "proud", "quick",
        "silent", "witty", "bold", "fancy", "jolly", "noble", "sunny",
    ];
    const ANIMALS: &[&str] = &[
        "oyster", "otter", "falcon", "badger", "lemur", "heron", "panda", "gecko", "bison",
        "koala", "marmot", "puffin", "walrus", "ibex", "lynx", "quokka",
    ];
    let mut rng = rand::rng();
    format!(
        "{}-{}-{:02}",
        ADJECTIVES[rng.random_range(0..ADJECTIVES.len())],
        ANIMALS[rng.random_range(0..ANIMALS.len())],
        rng.random_range(0..100)
    )
}

/// A new project of `owner`: a fresh admin secret in its env, then the given variables
/// (docs/spec/hasura.md §6.5).
pub(super) fn new_project(
    settings: &Settings,
    owner: &User,
    name: &str,
    cloud: &str,
    region: &str,
    plan: &str,
    envs: Vec<(String, String)>,
) -> NewProject {
    let mut env = Env::new();
    env.insert("HASURA_GRAPHQL_ADMIN_SECRET".into(), random_alphanumeric());
    env.extend(envs);
    let hash = env_hash(&env);
    NewProject {
        project_id: new_id(),
        tenant_id: new_id(),
        name: name.to_owned(),
        owner_id: owner.id().to_owned(),
        plan: plan.to_owned(),
        cloud: cloud.to_owned(),
        region: region.to_owned(),
        fqdn: settings.fqdn(name),
        endpoint: settings.endpoint(name),
        env,
        hash,
    }
}
