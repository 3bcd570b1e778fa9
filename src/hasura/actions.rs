//! The business operations (Hasura Actions on the real service, spec §6) and the few table
//! mutations clients send. Each checks its arguments and the caller's access before writing;
//! errors are action-style (spec §8.5) unless Hasura itself would have answered (permissions,
//! constraints, uuid syntax).

use rand::Rng;
use rand::distr::Alphanumeric;
use serde_json::{Map, Value, json};
use sha1::{Digest, Sha1};
use uuid::Uuid;

use super::Settings;
use super::engine::{Row, World, is_uuid};
use super::error::GqlError;
use super::seeds;
use super::store::{
    Env, Invitation, NewEvent, NewInvitation, NewJob, NewProject, NewTask, Store, WriteError,
};
use crate::auth::sha256_hex;

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

impl Args {
    fn value(&self, name: &str) -> Option<&Value> {
        self.map.get(name).filter(|v| !v.is_null())
    }

    fn opt_str(&self, name: &str) -> Result<Option<String>, GqlError> {
        opt_string(self.value(name), &format!("{}.args.{name}", self.path))
    }

    fn str(&self, name: &str) -> Result<String, GqlError> {
        required(
            self.opt_str(name)?,
            &format!("{}.args.{name}", self.path),
            name,
        )
    }
}

fn opt_string(value: Option<&Value>, path: &str) -> Result<Option<String>, GqlError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(GqlError::validation(
            path,
            format!(
                "expected a string for type 'String', but found {}",
                kind_of(other)
            ),
        )),
    }
}

fn required<T>(value: Option<T>, path: &str, name: &str) -> Result<T, GqlError> {
    value.ok_or_else(|| {
        GqlError::validation(
            path,
            format!(
                "missing required field '{}'",
                name.rsplit('.').next().unwrap_or(name)
            ),
        )
    })
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// An input object's fields, refusing unknown ones the way Hasura does.
fn input_object<'v>(
    value: &'v Value,
    type_name: &str,
    allowed: &[&str],
    path: &str,
) -> Result<&'v Map<String, Value>, GqlError> {
    let Value::Object(map) = value else {
        return Err(GqlError::validation(
            path,
            format!(
                "expected an object for type '{type_name}', but found {}",
                kind_of(value)
            ),
        ));
    };
    for key in map.keys() {
        if !allowed.contains(&key.as_str()) {
            return Err(GqlError::field_not_found(
                key,
                type_name,
                &format!("{path}.{key}"),
            ));
        }
    }
    Ok(map)
}

fn field_str(map: &Map<String, Value>, name: &str, path: &str) -> Result<String, GqlError> {
    let path = format!("{path}.{name}");
    required(opt_string(map.get(name), &path)?, &path, name)
}

/// `[UpdateEnvObject!]` / `[UpdateEnvsObject]`: a list (or one object) of `{key, value}`.
fn env_list(
    value: Option<&Value>,
    type_name: &str,
    path: &str,
) -> Result<Vec<(String, String)>, GqlError> {
    let items = match value {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items.clone(),
        Some(one) => vec![one.clone()],
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        if item.is_null() {
            continue;
        }
        let item_path = format!("{path}[{i}]");
        let map = input_object(item, type_name, &["key", "value"], &item_path)?;
        let key = field_str(map, "key", &item_path)?;
        let value = field_str(map, "value", &item_path)?;
        crate::secrets::remember(&value);
        out.push((key, value));
    }
    Ok(out)
}

/// The env hash (spec §8.3, emulator choice): SHA-1 of the env as JSON, keys sorted, no spaces.
pub fn env_hash(env: &Env) -> String {
    let canonical = serde_json::to_string(env).unwrap_or_default();
    Sha1::digest(canonical.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn env_output(env: &Env, hash: &str) -> Output {
    env.values()
        .for_each(|value| crate::secrets::remember(value));
    Output::Object(row(json!({"hash": hash, "envVars": {"environment": env}})))
}

fn row(value: Value) -> Row {
    match value {
        Value::Object(map) => map,
        _ => Row::new(),
    }
}

/// 64 random alphanumeric characters: PATs and admin secrets (spec §2.2, §6.5).
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

// ---- emulator choices for messages the real service does not publish (spec §11) --------------

fn tenant_not_found() -> GqlError {
    GqlError::action("tenant not found")
}

fn project_not_found() -> GqlError {
    GqlError::action("project not found")
}

fn not_allowed() -> GqlError {
    GqlError::action("you do not have the privilege to perform this operation on the project")
}

/// Spec §8.4, emulator choice (invented text).
fn hash_mismatch() -> GqlError {
    GqlError::action("hash mismatch: the env vars were modified; fetch the current hash and retry")
}

fn name_taken(name: &str) -> GqlError {
    GqlError::action(format!("a project with the name \"{name}\" already exists"))
}

fn write_error(e: WriteError, name: &str) -> GqlError {
    match e {
        WriteError::NameTaken => name_taken(name),
        WriteError::Internal(e) => GqlError::internal(e),
    }
}

/// Project names become subdomains: lowercase letters, digits, hyphens (and the underscore of
/// the documented example `my-app_name`), 1 to 63 characters, starting alphanumeric.
fn check_name(name: &str) -> Result<(), GqlError> {
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
        Err(GqlError::action(format!(
            "invalid project name \"{name}\": use lowercase letters, digits and hyphens"
        )))
    }
}

fn check_placement(cloud: &str, region: &str, plan: &str) -> Result<(), GqlError> {
    if !matches!(cloud, "aws" | "gcp" | "azure") {
        return Err(GqlError::action(format!("invalid cloud \"{cloud}\"")));
    }
    if !seeds::region_exists(cloud, region) {
        return Err(GqlError::action(format!(
            "region \"{region}\" is not available on cloud \"{cloud}\""
        )));
    }
    if !seeds::PLANS.contains(&plan) {
        return Err(GqlError::action(format!("invalid plan \"{plan}\"")));
    }
    Ok(())
}

/// Spec §6.1, emulator choice: `<adjective>-<animal>-<2 digits>`.
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

fn new_project(
    settings: &Settings,
    owner_id: &str,
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
        owner_id: owner_id.to_owned(),
        plan: plan.to_owned(),
        cloud: cloud.to_owned(),
        region: region.to_owned(),
        fqdn: settings.fqdn(name),
        endpoint: settings.endpoint(name),
        env,
        hash,
    }
}

// ---- query_root actions -----------------------------------------------------------------------

pub async fn query(
    store: &Store,
    user_id: &str,
    name: &str,
    args: &Args,
) -> Result<Output, GqlError> {
    match name {
        "getTenantEnv" => {
            let tenant_id = args.str("tenantId")?;
            let access = store
                .access(user_id, &tenant_id)
                .await?
                .ok_or_else(tenant_not_found)?;
            let (env, hash) = store
                .env(&access.tenant_id)
                .await?
                .ok_or_else(tenant_not_found)?;
            Ok(env_output(&env, &hash))
        }
        "getTenantEnvConfigInfo" => {
            let tenant_id = args.str("tenantId")?;
            let access = store
                .access(user_id, &tenant_id)
                .await?
                .ok_or_else(tenant_not_found)?;
            let (env, hash) = store
                .env(&access.tenant_id)
                .await?
                .ok_or_else(tenant_not_found)?;
            Ok(Output::Object(row(json!({
                "hash": hash,
                "isAdminSecretSet": env.contains_key("HASURA_GRAPHQL_ADMIN_SECRET"),
                "isMetadataAPIEnabled": true,
                "userRole": if access.admin { "admin" } else { "user" },
            }))))
        }
        _ => Ok(Output::Null),
    }
}

// ---- mutation_root ------------------------------------------------------------------------------

pub async fn mutate(
    store: &Store,
    settings: &Settings,
    user_id: &str,
    world: &World,
    name: &str,
    args: &Args,
) -> Result<Output, GqlError> {
    match name {
        "createTenant" => create_tenant(store, settings, user_id, args).await,
        "deleteTenant" => {
            let tenant_id = args.str("tenantId")?;
            let access = store
                .access(user_id, &tenant_id)
                .await?
                .ok_or_else(tenant_not_found)?;
            if !access.owner {
                return Err(not_allowed());
            }
            store.delete_project(&access.project_id).await?;
            // Spec §6.4, emulator choice: the value of `status` is not published.
            Ok(Output::Object(row(json!({"status": "deleted"}))))
        }
        "updateTenantEnv" | "deleteTenantEnv" => {
            change_env(store, settings, user_id, name, args).await
        }
        "updateTenantName" => {
            let tenant_id = args.str("tenantId")?;
            let new_name = args.str("name")?;
            let access = store
                .access(user_id, &tenant_id)
                .await?
                .ok_or_else(tenant_not_found)?;
            if !access.admin {
                return Err(not_allowed());
            }
            check_name(&new_name)?;
            store
                .rename(
                    &access.project_id,
                    &new_name,
                    &settings.fqdn(&new_name),
                    &settings.endpoint(&new_name),
                )
                .await
                .map_err(|e| write_error(e, &new_name))?;
            Ok(Output::Object(row(json!({"tenant_id": access.tenant_id}))))
        }
        "update_projects_by_pk" => update_project(store, settings, user_id, args).await,
        "createGitHubPreviewApp" => create_preview_app(store, settings, user_id, args).await,
        "insert_custom_domain_one" => insert_custom_domain(store, user_id, args).await,
        "delete_custom_domain_by_pk" => {
            let id = args.str("id")?;
            if !is_uuid(&id) {
                return Err(GqlError::invalid_uuid(&id));
            }
            let Some(domain) = find(world, "custom_domain", &id) else {
                return Ok(Output::Null);
            };
            let tenant_id = domain
                .get("tenant_id")
                .and_then(Value::as_str)
                .unwrap_or_default();
            match store.access(user_id, tenant_id).await? {
                Some(access) if access.admin => {
                    store.delete_custom_domain(&id).await?;
                    Ok(Output::Object(domain.clone()))
                }
                _ => Ok(Output::Null),
            }
        }
        "moveProjectRegion" => {
            let project_id = args.str("projectId")?;
            let access = if is_uuid(&project_id) {
                store.tenant_of_project(user_id, &project_id).await?
            } else {
                None
            };
            let access = access.ok_or_else(project_not_found)?;
            if !access.admin {
                return Err(not_allowed());
            }
            let tenant = find(world, "tenant", &access.tenant_id);
            let current = |column: &str| {
                tenant
                    .and_then(|t| t.get(column))
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned()
            };
            let cloud = args.opt_str("cloud")?.unwrap_or_else(|| current("cloud"));
            let region = args.opt_str("region")?.unwrap_or_else(|| current("region"));
            check_placement(&cloud, &region, "cloud_free")?;
            // Emulator choice: the move is instant (the docs warn of brief unavailability).
            store.move_region(&project_id, &cloud, &region).await?;
            Ok(Output::Object(row(json!({"projectId": project_id}))))
        }
        "inviteCollaborator" => invite(store, user_id, args).await,
        "transferOwnershipInvite" => transfer_invite(store, user_id, args).await,
        "acceptTransferOwnershipInvite" | "declineTransferOwnershipInvite" => {
            answer_transfer(
                store,
                user_id,
                name == "acceptTransferOwnershipInvite",
                args,
            )
            .await
        }
        "acceptInvite" | "declineInvite" => {
            answer_invite(store, user_id, name == "acceptInvite", args).await
        }
        "delete_project_collaborators_by_pk" => {
            let id = args.str("id")?;
            if !is_uuid(&id) {
                return Err(GqlError::invalid_uuid(&id));
            }
            let Some(collaborator) = find(world, "project_collaborators", &id) else {
                return Ok(Output::Null);
            };
            if !store.owns_collaboration(user_id, &id).await? {
                return Ok(Output::Null);
            }
            store.delete_collaborator(&id).await?;
            Ok(Output::Object(collaborator.clone()))
        }
        "delete_user_personal_access_tokens_by_pk" => {
            let id = args.str("id")?;
            if !is_uuid(&id) {
                return Err(GqlError::invalid_uuid(&id));
            }
            let Some(token) = find(world, "user_personal_access_tokens", &id) else {
                return Ok(Output::Null);
            };
            if !store.delete_pat(user_id, &id).await? {
                return Ok(Output::Null);
            }
            Ok(Output::Object(token.clone()))
        }
        "createPersonalAccessToken" => {
            let path = format!("{}.args.token", args.path);
            let input = args.value("token").cloned().unwrap_or(Value::Null);
            let map = input_object(&input, "PersonalAccessTokenInput", &["description"], &path)?;
            let description = opt_string(map.get("description"), &format!("{path}.description"))?;
            let token = random_alphanumeric();
            let id = new_id();
            let created_at = store
                .insert_pat(&id, user_id, &sha256_hex(&token), description.as_deref())
                .await?;
            Ok(Output::Object(row(json!({
                "id": id, "token": token, "description": description, "created_at": created_at,
            }))))
        }
        _ => Ok(Output::Null),
    }
}

fn find<'w>(world: &'w World, table: &str, id: &str) -> Option<&'w Row> {
    world
        .rows(table)
        .iter()
        .find(|r| r.get("id").and_then(Value::as_str) == Some(id))
}

async fn create_tenant(
    store: &Store,
    settings: &Settings,
    user_id: &str,
    args: &Args,
) -> Result<Output, GqlError> {
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
        let project = new_project(
            settings,
            user_id,
            &name,
            &cloud,
            &region,
            &plan,
            envs.clone(),
        );
        match store.create_project(&project).await {
            Ok(()) => {
                return Ok(Output::Object(row(
                    json!({"id": project.tenant_id, "name": name}),
                )));
            }
            Err(WriteError::NameTaken) if given.is_none() => continue,
            Err(e) => return Err(write_error(e, &name)),
        }
    }
    Err(GqlError::action(
        "could not generate a free project name; pass a name",
    ))
}

async fn change_env(
    store: &Store,
    settings: &Settings,
    user_id: &str,
    name: &str,
    args: &Args,
) -> Result<Output, GqlError> {
    let tenant_id = args.str("tenantId")?;
    let current_hash = args.str("currentHash")?;
    let update = name == "updateTenantEnv";
    let changes = if update {
        env_list(
            args.value("envs"),
            "UpdateEnvObject",
            &format!("{}.args.envs", args.path),
        )?
    } else {
        let path = format!("{}.args.deleteEnvs", args.path);
        let keys = match args.value("deleteEnvs") {
            Some(Value::Array(items)) => items.clone(),
            Some(one) => vec![one.clone()],
            None => Vec::new(),
        };
        keys.iter()
            .enumerate()
            .map(|(i, k)| {
                let p = format!("{path}[{i}]");
                required(opt_string(Some(k), &p)?, &p, "deleteEnvs").map(|k| (k, String::new()))
            })
            .collect::<Result<Vec<_>, _>>()?
    };
    let access = store
        .access(user_id, &tenant_id)
        .await?
        .ok_or_else(tenant_not_found)?;
    if !access.admin {
        return Err(not_allowed());
    }
    let (mut env, hash) = store
        .env(&access.tenant_id)
        .await?
        .ok_or_else(tenant_not_found)?;
    if hash != current_hash {
        return Err(hash_mismatch());
    }
    let before = env.clone();
    for (key, value) in changes {
        // Keys are kept verbatim, spaces included (spec §8.4, emulator choice).
        if update {
            env.insert(key, value);
        } else {
            env.remove(&key);
        }
    }
    if update && env == before && settings.reject_unchanged_env {
        return Err(GqlError::action("no changes in the env vars"));
    }
    let new_hash = env_hash(&env);
    if !store
        .swap_env(&access.tenant_id, &current_hash, &env, &new_hash)
        .await?
    {
        return Err(hash_mismatch());
    }
    Ok(env_output(&env, &new_hash))
}

async fn update_project(
    store: &Store,
    settings: &Settings,
    user_id: &str,
    args: &Args,
) -> Result<Output, GqlError> {
    let pk_path = format!("{}.args.pk_columns", args.path);
    let pk = args.value("pk_columns").cloned().unwrap_or(Value::Null);
    let pk = input_object(&pk, "projects_pk_columns_input", &["id"], &pk_path)?;
    let id = field_str(pk, "id", &pk_path)?;
    if !is_uuid(&id) {
        return Err(GqlError::invalid_uuid(&id));
    }
    let set_path = format!("{}.args._set", args.path);
    let set = args.value("_set").cloned().unwrap_or(json!({}));
    // The PAT role may set the name (spec §6.11, node-lib) and the plan.
    let set = input_object(
        &set,
        "projects_set_input",
        &["name", "plan_name"],
        &set_path,
    )?;
    let Some(access) = store.tenant_of_project(user_id, &id).await? else {
        return Ok(Output::Null);
    };
    if !access.admin {
        return Ok(Output::Null);
    }
    if let Some(name) = opt_string(set.get("name"), &format!("{set_path}.name"))? {
        check_name(&name)?;
        // Emulator choice: the slug follows the name, as with updateTenantName (spec §6.11).
        store
            .rename(&id, &name, &settings.fqdn(&name), &settings.endpoint(&name))
            .await
            .map_err(|e| write_error(e, &name))?;
    }
    if let Some(plan) = opt_string(set.get("plan_name"), &format!("{set_path}.plan_name"))? {
        if !seeds::PLANS.contains(&plan.as_str()) {
            return Err(GqlError::action(format!("invalid plan \"{plan}\"")));
        }
        store.set_plan(&id, &plan).await?;
    }
    Ok(Output::Row(id))
}

async fn create_preview_app(
    store: &Store,
    settings: &Settings,
    user_id: &str,
    args: &Args,
) -> Result<Output, GqlError> {
    let path = format!("{}.args.payload", args.path);
    let payload = args
        .value("payload")
        .cloned()
        .ok_or_else(|| GqlError::action("payload is required"))?;
    let payload = input_object(
        &payload,
        "CreateGithubPreviewAppInputPayload",
        &[
            "githubPersonalAccessToken",
            "githubRepoDetails",
            "projectOptions",
        ],
        &path,
    )?;
    // The GitHub token is required but never stored.
    field_str(payload, "githubPersonalAccessToken", &path)?;
    let repo_path = format!("{path}.githubRepoDetails");
    let repo = payload
        .get("githubRepoDetails")
        .cloned()
        .unwrap_or(Value::Null);
    let repo = input_object(
        &repo,
        "GithubRepoDetails",
        &["branch", "directory", "owner", "repo"],
        &repo_path,
    )?;
    let branch = field_str(repo, "branch", &repo_path)?;
    let directory = field_str(repo, "directory", &repo_path)?;
    let owner = field_str(repo, "owner", &repo_path)?;
    let repo_name = field_str(repo, "repo", &repo_path)?;
    let options_path = format!("{path}.projectOptions");
    let options = payload
        .get("projectOptions")
        .cloned()
        .unwrap_or(Value::Null);
    let options = input_object(
        &options,
        "ProjectOptions",
        &["cloud", "envVars", "name", "plan", "region"],
        &options_path,
    )?;
    let cloud = field_str(options, "cloud", &options_path)?;
    let name = field_str(options, "name", &options_path)?;
    let region = field_str(options, "region", &options_path)?;
    let plan = opt_string(options.get("plan"), &format!("{options_path}.plan"))?
        .unwrap_or_else(|| "cloud_free".into());
    let envs = env_list(
        options.get("envVars"),
        "UpdateEnvsObject",
        &format!("{options_path}.envVars"),
    )?;
    check_placement(&cloud, &region, &plan)?;
    check_name(&name)?;

    let project = new_project(
        settings,
        user_id,
        &name,
        &cloud,
        &region,
        &plan,
        envs.clone(),
    );
    let now = store.session().clock().now();
    let at = |offset: std::time::Duration| crate::clock::iso(now + offset);
    let created = settings.preview_app_creation_time.0;
    let step = settings.preview_app_task_time.0;
    let creation_job = new_id();
    let deployment_job = new_id();
    let repo_details =
        json!({"branch": branch, "directory": directory, "owner": owner, "repo": repo_name});
    let input = json!({
        "githubRepoDetails": repo_details,
        "projectOptions": {"cloud": cloud, "region": region, "plan": plan, "name": name,
                           "envVars": envs.iter().map(|(k, v)| json!({"key": k, "value": v})).collect::<Vec<_>>()},
    });
    let event = |event_type: &str, data: Option<Value>, when: std::time::Duration| NewEvent {
        id: new_id(),
        event_type: event_type.into(),
        public_event_data: data,
        error: None,
        github_detail: None,
        happens_at: at(when),
    };
    // An injected outcome (control API) ends the creation job instead of success: no project,
    // no deployment job.
    let injected = store.take_preview_outcome(&name).await?;
    let last_event = match &injected {
        None => event(
            "success",
            Some(json!({"projectId": project.project_id, "githubDeploymentJobID": deployment_job})),
            created,
        ),
        Some((outcome, error)) => NewEvent {
            error: (outcome == "failed").then(|| {
                error.clone().unwrap_or_else(|| {
                    "error creating tenant: there was an internal error while serving your request"
                        .into()
                })
            }),
            ..event(outcome, None, created)
        },
    };
    // Spec §8.6: the creation job's one task, then the deployment job's six, one after another.
    let creation = NewJob {
        id: creation_job.clone(),
        job_type: "github_preview_app_creation".into(),
        input: input.clone(),
        project_id: injected.is_none().then(|| project.project_id.clone()),
        project_name: Some(name.clone()),
        tasks: vec![NewTask {
            id: new_id(),
            name: "create-preview-app".into(),
            cloud: cloud.clone(),
            region: region.clone(),
            payload: json!({"projectName": name}),
            events: vec![
                event("created", None, std::time::Duration::ZERO),
                last_event,
            ],
        }],
    };
    if injected.is_some() {
        store
            .create_preview_app(user_id, None, &[creation])
            .await
            .map_err(|e| write_error(e, &name))?;
        return Ok(Output::Object(row(
            json!({"githubPreviewAppJobID": creation_job}),
        )));
    }
    const DEPLOYMENT_TASKS: &[&str] = &[
        "gh-validation",
        "parse-metadata-migration",
        "apply-migration",
        "apply-metadata",
        "reload-metadata",
        "check-healthz",
    ];
    let deployment = NewJob {
        id: deployment_job.clone(),
        job_type: "github_deployment".into(),
        input: json!({"githubRepoDetails": repo_details, "projectId": project.project_id}),
        project_id: Some(project.project_id.clone()),
        project_name: Some(name.clone()),
        tasks: DEPLOYMENT_TASKS
            .iter()
            .enumerate()
            .map(|(i, task)| {
                let start = created + step * u32::try_from(i).unwrap_or(0);
                NewTask {
                    id: new_id(),
                    name: (*task).into(),
                    cloud: cloud.clone(),
                    region: region.clone(),
                    payload: json!({}),
                    events: vec![
                        event("created", None, start),
                        event("success", None, start + step),
                    ],
                }
            })
            .collect(),
    };
    store
        .create_preview_app(user_id, Some(&project), &[creation, deployment])
        .await
        .map_err(|e| write_error(e, &name))?;
    Ok(Output::Object(row(
        json!({"githubPreviewAppJobID": creation_job}),
    )))
}

async fn insert_custom_domain(
    store: &Store,
    user_id: &str,
    args: &Args,
) -> Result<Output, GqlError> {
    let path = format!("{}.args.object", args.path);
    let object = args.value("object").cloned().unwrap_or(Value::Null);
    let object = input_object(
        &object,
        "custom_domain_insert_input",
        &["fqdn", "tenant_id"],
        &path,
    )?;
    let fqdn = field_str(object, "fqdn", &path)?;
    let tenant_id = field_str(object, "tenant_id", &path)?;
    if !is_uuid(&tenant_id) {
        return Err(GqlError::invalid_uuid(&tenant_id));
    }
    match store.access(user_id, &tenant_id).await? {
        Some(access) if access.admin => {}
        _ => {
            return Err(GqlError::new(
                "permission-error",
                &path,
                "check constraint of an insert/update permission has failed",
            ));
        }
    }
    let id = new_id();
    match store.insert_custom_domain(&id, &tenant_id, &fqdn).await {
        Ok(()) => Ok(Output::Row(id)),
        Err(WriteError::NameTaken) => Err(GqlError::new(
            "constraint-violation",
            &path,
            "Uniqueness violation. duplicate key value violates unique constraint \"custom_domain_fqdn_key\"",
        )),
        Err(WriteError::Internal(e)) => Err(GqlError::internal(e)),
    }
}

async fn invite(store: &Store, user_id: &str, args: &Args) -> Result<Output, GqlError> {
    let path = format!("{}.args.invite", args.path);
    let invite = args.value("invite").cloned().unwrap_or(Value::Null);
    let invite = input_object(
        &invite,
        "InviteColloboratorRequest",
        &["collaborator_email", "privileges", "project_id"],
        &path,
    )?;
    let email = field_str(invite, "collaborator_email", &path)?;
    let project_id = field_str(invite, "project_id", &path)?;
    let privileges: Vec<String> = match invite.get("privileges") {
        Some(Value::Array(items)) => items
            .iter()
            .map(|p| p.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| {
                GqlError::validation(&format!("{path}.privileges"), "expected a list of strings")
            })?,
        Some(Value::String(one)) => vec![one.clone()],
        _ => {
            return Err(GqlError::validation(
                &format!("{path}.privileges"),
                "missing required field 'privileges'",
            ));
        }
    };
    if !email.contains('@') {
        return Err(GqlError::action(format!("invalid email \"{email}\"")));
    }
    for p in &privileges {
        if !seeds::PRIVILEGES.iter().any(|(slug, _, _)| slug == p) {
            return Err(GqlError::action(format!("invalid privilege \"{p}\"")));
        }
    }
    let access = if is_uuid(&project_id) {
        store.tenant_of_project(user_id, &project_id).await?
    } else {
        None
    };
    let access = access.ok_or_else(project_not_found)?;
    if !access.admin {
        return Err(not_allowed());
    }
    let key = crate::auth::random_token(24);
    let id = new_id();
    let invited_at = store
        .insert_invitation(&NewInvitation {
            kind: "collaborator",
            id: &id,
            project_id: &project_id,
            email: &email,
            privileges: &privileges,
            invited_by: user_id,
            key_hash: &sha256_hex(&key),
        })
        .await?;
    Ok(Output::Object(row(json!({
        "id": id, "collaborator_email": email, "invited_at": invited_at, "invited_by": user_id,
        "key": key, "privileges": privileges, "project_id": project_id,
    }))))
}

/// The invitation of that kind behind `key`, if it was sent to this user: only the invited user
/// may answer it; to anyone else it does not exist.
async fn invitation_for(
    store: &Store,
    user_id: &str,
    kind: &str,
    key: &str,
) -> Result<Invitation, GqlError> {
    let not_found = || GqlError::action("invitation not found");
    let invitation = store
        .invitation(kind, &sha256_hex(key))
        .await?
        .ok_or_else(not_found)?;
    let email = store.user_email(user_id).await?.unwrap_or_default();
    if !email.eq_ignore_ascii_case(&invitation.collaborator_email) {
        return Err(not_found());
    }
    Ok(invitation)
}

async fn answer_invite(
    store: &Store,
    user_id: &str,
    accept: bool,
    args: &Args,
) -> Result<Output, GqlError> {
    let key = args.str("inviteKey")?;
    let invitation = invitation_for(store, user_id, "collaborator", &key).await?;
    if accept {
        store
            .accept_invitation(&invitation, &new_id(), user_id)
            .await?;
    } else {
        store.decline_invitation(&invitation.id).await?;
    }
    Ok(Output::Object(row(json!({
        "id": invitation.id, "collaborator_email": invitation.collaborator_email,
        "invited_at": invitation.invited_at, "invited_by": invitation.invited_by,
        "key": key, "privileges": invitation.privileges, "project_id": invitation.project_id,
    }))))
}

async fn transfer_invite(store: &Store, user_id: &str, args: &Args) -> Result<Output, GqlError> {
    let path = format!("{}.args.input", args.path);
    let input = args.value("input").cloned().unwrap_or(Value::Null);
    let input = input_object(
        &input,
        "TransferOwnershipRequest",
        &["invitee_email", "project_id"],
        &path,
    )?;
    let email = field_str(input, "invitee_email", &path)?;
    let project_id = field_str(input, "project_id", &path)?;
    if !email.contains('@') {
        return Err(GqlError::action(format!("invalid email \"{email}\"")));
    }
    let access = if is_uuid(&project_id) {
        store.tenant_of_project(user_id, &project_id).await?
    } else {
        None
    };
    let access = access.ok_or_else(project_not_found)?;
    if !access.owner {
        return Err(not_allowed());
    }
    let key = crate::auth::random_token(24);
    let id = new_id();
    let invited_at = store
        .insert_invitation(&NewInvitation {
            kind: "ownership",
            id: &id,
            project_id: &project_id,
            email: &email,
            privileges: &[],
            invited_by: user_id,
            key_hash: &sha256_hex(&key),
        })
        .await?;
    Ok(Output::Object(row(json!({
        "id": id, "invitee_email": email, "invited_at": invited_at, "invited_by": user_id,
        "key": key, "project_id": project_id,
    }))))
}

async fn answer_transfer(
    store: &Store,
    user_id: &str,
    accept: bool,
    args: &Args,
) -> Result<Output, GqlError> {
    let key = args.str("inviteKey")?;
    let invitation = invitation_for(store, user_id, "ownership", &key).await?;
    if accept {
        store
            .accept_ownership(&invitation, &new_id(), user_id)
            .await?;
    } else {
        store.decline_invitation(&invitation.id).await?;
    }
    Ok(Output::Object(row(json!({
        "id": invitation.id, "invitee_email": invitation.collaborator_email,
        "invited_at": invitation.invited_at, "invited_by": invitation.invited_by,
        "key": key, "project_id": invitation.project_id,
    }))))
}
