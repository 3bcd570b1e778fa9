//! Memgraph's accounts and access routes: public endpoints, identity, API keys, users, tenant,
//! stats, export and import (spec §6.1, 6.2, 6.6–6.9). Handlers are thin: validate, call the
//! store, shape. The memory routes are in `routes/memory.rs`.

mod contradictions;
mod decisions;
mod graph;
mod intelligence;
mod memory;
mod sidecar;

pub use contradictions::*;
pub use decisions::*;
pub use graph::*;
pub use intelligence::*;
pub use memory::*;
pub use sidecar::*;

use crate::memgraph::{model, openapi};
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use uuid::Uuid;

use super::auth::{Admin, Authorized, Caller, Claims, Dashboard, Via, Viewer, issue_token};
use super::error::ApiError;
use super::model::{
    ApiKey, ApiKeyCreated, Export, ExportTenant, ExportUser, Me, Onboarded, Role, Stats, StatusId,
    Tenant, TokenResponse, User, Whoami,
};
use super::store::{Import, NewApiKey, NewUser, Store, UserPatch, V2Import};
use super::validation::{self, Fields, FormFields, JsonObject, PathParam, QueryParams};
use crate::AppState;
use crate::auth::{Secret, new_api_key, password, sha256_hex};
use crate::error::Internal;

/// Keys look like the documented `mg_live_abc123...` (spec §5.5).
const API_KEY_PREFIX: &str = "mg_live_";
/// How much of a key listings show.
const KEY_PREFIX_LEN: usize = 12;

type Result<T> = std::result::Result<T, ApiError>;

// ---- public ------------------------------------------------------------------------------

#[utoipa::path(
    get,
    path = "/health",
    tag = "public",
    responses(
        (status = 200, description = "The database answers", body = openapi::Health),
        (status = 503, description = "The database does not answer", body = openapi::Health),
    ),
)]
pub async fn health(store: Store) -> Response {
    if crate::db::ping(store.session().db()).await {
        Json(serde_json::json!({"status": "healthy", "database": "connected"})).into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(serde_json::json!({"status": "unhealthy", "database": "disconnected"})),
        )
            .into_response()
    }
}

#[utoipa::path(
    get,
    path = "/metrics",
    tag = "public",
    responses(
        (status = 200, description = "Prometheus text exposition", body = String, content_type = "text/plain; version=0.0.4; charset=utf-8"),
    ),
)]
pub async fn metrics(State(state): State<AppState>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        super::Memgraph::of(&state).metrics.render(),
    )
        .into_response()
}

/// Creates a tenant, its admin and a first API key (spec §6.1).
#[utoipa::path(
    post,
    path = "/v1/auth/onboard",
    tag = "auth",
    request_body = openapi::OnboardRequest,
    responses(
        (status = 200, description = "The tenant, its admin and a first API key", body = model::Onboarded),
        (status = 400, description = "Email already registered", body = openapi::HttpError),
        (status = 422, description = "A field is missing or invalid", body = openapi::HttpValidationError),
    ),
)]
pub async fn onboard(store: Store, body: JsonObject) -> Result<Json<Onboarded>> {
    let mut f = Fields::new(&body);
    let email = f.email("email");
    let password = Secret::new(f.string("password"));
    let full_name = f.string("full_name");
    let cluster_name = f.string("cluster_name");
    let sector = f.string("sector");
    f.finish()?;

    // Checked before the (deliberately slow) hashing; the unique index settles races.
    if store.user_by_email(&email).await?.is_some() {
        return Err(ApiError::BadRequest("Email already registered"));
    }
    let admin = NewUser {
        id: new_id(),
        email,
        full_name: Some(full_name),
        password_hash: password::hash(&password).await?,
        role: Role::Admin,
    };
    let (key, plaintext) = new_key("default", None);
    let tenant_id = new_id();
    store
        .onboard(&tenant_id, &cluster_name, &sector, &admin, &key)
        .await?;
    Ok(Json(Onboarded {
        tenant_id,
        api_key: plaintext.expose().to_owned(),
        user_id: admin.id,
    }))
}

/// OAuth2 password flow: form fields `username` (the email) and `password` (spec §6.1, §4.5).
#[utoipa::path(
    post,
    path = "/v1/auth/login",
    tag = "auth",
    request_body(content = openapi::LoginForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "A bearer token", body = model::TokenResponse),
        (status = 400, description = "Inactive user", body = openapi::HttpError),
        (status = 401, description = "Incorrect email or password", body = openapi::HttpError),
        (status = 422, description = "A form field is missing or invalid", body = openapi::HttpValidationError),
    ),
)]
pub async fn login(
    State(state): State<AppState>,
    store: Store,
    form: FormFields,
) -> Result<Json<TokenResponse>> {
    let mut errors = Vec::new();
    for field in ["username", "password"] {
        if form.get(field).is_none() {
            errors.push(validation::missing(
                serde_json::json!(["body", field]),
                serde_json::Value::Null,
            ));
        }
    }
    if let Some(grant_type) = form.get("grant_type").filter(|g| *g != "password") {
        errors.push(validation::error(
            "string_pattern_mismatch",
            serde_json::json!(["body", "grant_type"]),
            "String should match pattern '^password$'",
            serde_json::json!(grant_type),
            Some(serde_json::json!({"pattern": "^password$"})),
        ));
    }
    let (Some(username), Some(given), true) = (
        form.get("username"),
        form.get("password"),
        errors.is_empty(),
    ) else {
        return Err(ApiError::Validation(errors));
    };

    let user = store.user_by_email(username).await?;
    let given = Secret::new(given.to_owned());
    let Some(user) = user else {
        return Err(ApiError::IncorrectLogin);
    };
    if !password::verify(&given, &user.password_hash).await? {
        return Err(ApiError::IncorrectLogin);
    }
    if !user.is_active {
        return Err(ApiError::BadRequest("Inactive user"));
    }
    let now = store.session().clock().unix_seconds();
    let ttl = i64::try_from(state.config.memgraph.jwt_ttl.0.as_secs()).unwrap_or(i64::MAX);
    let claims = Claims {
        sub: user.id,
        tenant_id: user.tenant_id,
        role: user.role,
        email: user.email,
        iat: now,
        exp: now.saturating_add(ttl),
    };
    Ok(Json(TokenResponse {
        access_token: issue_token(&store, &claims).await?,
        token_type: "bearer",
    }))
}

// ---- identity ----------------------------------------------------------------------------

#[utoipa::path(
    get,
    path = "/v1/auth/me",
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The signed-in user", body = model::Me),
        openapi::Authed,
    ),
)]
pub async fn me(caller: Caller, store: Store) -> Result<Json<Me>> {
    let Via::User { user_id } = &caller.via else {
        return Err(ApiError::NotAuthenticated);
    };
    let user = store
        .user(&caller.tenant_id, user_id)
        .await?
        .ok_or(ApiError::NotAuthenticated)?;
    let tenant = tenant_of(&store, &caller).await?;
    Ok(Json(Me {
        id: user.id.clone(),
        user_id: user.id,
        email: user.email,
        full_name: user.full_name,
        role: user.role,
        tenant_id: tenant.id,
        tenant_name: tenant.name,
        created_at: user.created_at,
    }))
}

#[utoipa::path(
    get,
    path = "/v1/auth/whoami",
    tag = "auth",
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "Who the credentials are", body = model::Whoami),
        openapi::Authed,
    ),
)]
pub async fn whoami(caller: Caller, store: Store) -> Result<Json<Whoami>> {
    let tenant = tenant_of(&store, &caller).await?;
    let (auth_type, key_id, user_id, email) = match caller.via {
        Via::ApiKey { key_id } => ("api_key", Some(key_id), None, None),
        Via::User { user_id } => {
            let email = store.user(&tenant.id, &user_id).await?.map(|u| u.email);
            ("jwt", None, Some(user_id), email)
        }
        Via::Anonymous => ("anonymous", None, None, None),
    };
    Ok(Json(Whoami {
        tenant_id: tenant.id,
        tenant_name: tenant.name,
        auth_type,
        role: caller.role,
        key_id,
        user_id,
        email,
    }))
}

// ---- API keys ----------------------------------------------------------------------------

#[utoipa::path(
    post,
    path = "/v1/api-keys",
    tag = "admin",
    request_body = openapi::CreateApiKey,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The key, with its plaintext shown once", body = model::ApiKeyCreated),
        openapi::Authed,
    ),
)]
pub async fn create_api_key(
    auth: Dashboard<Admin>,
    store: Store,
    body: JsonObject,
) -> Result<Response> {
    let mut f = Fields::new(&body);
    let name = f.string("name");
    f.finish()?;
    let created_by = match &auth.caller.via {
        Via::User { user_id } => Some(user_id.clone()),
        _ => None,
    };
    let (key, plaintext) = new_key(&name, created_by);
    let created_at = store.create_api_key(&auth.caller.tenant_id, &key).await?;
    let created = ApiKeyCreated {
        id: key.id,
        name: key.name,
        api_key: plaintext.expose().to_owned(),
        key_prefix: key.key_prefix,
        created_at,
    };
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

#[utoipa::path(
    get,
    path = "/v1/api-keys",
    tag = "admin",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The tenant's API keys", body = Vec<model::ApiKey>),
        openapi::Authed,
    ),
)]
pub async fn list_api_keys(auth: Dashboard<Admin>, store: Store) -> Result<Json<Vec<ApiKey>>> {
    Ok(Json(store.api_keys(&auth.caller.tenant_id).await?))
}

#[utoipa::path(
    delete,
    path = "/v1/api-keys/{key_id}",
    tag = "admin",
    params(("key_id" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Revoked", body = model::StatusId),
        (status = 404, description = "API key not found", body = openapi::HttpError),
        openapi::Authed,
    ),
)]
pub async fn revoke_api_key(
    auth: Dashboard<Admin>,
    store: Store,
    PathParam(key_id): PathParam,
) -> Result<Json<StatusId>> {
    if !store
        .revoke_api_key(&auth.caller.tenant_id, &key_id)
        .await?
    {
        return Err(ApiError::NotFound("API key not found"));
    }
    Ok(Json(StatusId {
        status: "revoked",
        id: key_id,
    }))
}

// ---- users -------------------------------------------------------------------------------

#[utoipa::path(
    get,
    path = "/v1/users",
    tag = "admin",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The tenant's users", body = Vec<model::User>),
        openapi::Authed,
    ),
)]
pub async fn list_users(auth: Dashboard<Admin>, store: Store) -> Result<Json<Vec<User>>> {
    Ok(Json(store.users(&auth.caller.tenant_id).await?))
}

#[utoipa::path(
    post,
    path = "/v1/users",
    tag = "admin",
    request_body = openapi::CreateUser,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The new user", body = model::User),
        (status = 400, description = "Email already registered", body = openapi::HttpError),
        openapi::Authed,
    ),
)]
pub async fn create_user(
    auth: Dashboard<Admin>,
    store: Store,
    body: JsonObject,
) -> Result<Response> {
    let mut f = Fields::new(&body);
    let email = f.email("email");
    let password = Secret::new(f.string("password"));
    let full_name = f.opt_string("full_name");
    let role = f.opt_role("role").unwrap_or(Role::Viewer);
    f.finish()?;
    if store.user_by_email(&email).await?.is_some() {
        return Err(ApiError::BadRequest("Email already registered"));
    }
    let user = NewUser {
        id: new_id(),
        email,
        full_name,
        password_hash: password::hash(&password).await?,
        role,
    };
    let user = store.create_user(&auth.caller.tenant_id, &user).await?;
    Ok((StatusCode::CREATED, Json(user)).into_response())
}

#[utoipa::path(
    get,
    path = "/v1/users/{user_id}",
    tag = "admin",
    params(("user_id" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The user", body = model::User),
        (status = 404, description = "User not found", body = openapi::HttpError),
        openapi::Authed,
    ),
)]
pub async fn get_user(
    auth: Dashboard<Admin>,
    store: Store,
    PathParam(user_id): PathParam,
) -> Result<Json<User>> {
    let user = store.user(&auth.caller.tenant_id, &user_id).await?;
    Ok(Json(user.ok_or(ApiError::NotFound("User not found"))?))
}

#[utoipa::path(
    patch,
    path = "/v1/users/{user_id}",
    tag = "admin",
    params(("user_id" = String, Path)),
    request_body = openapi::UpdateUser,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The updated user", body = model::User),
        (status = 400, description = "Cannot remove the last admin", body = openapi::HttpError),
        (status = 404, description = "User not found", body = openapi::HttpError),
        openapi::Authed,
    ),
)]
pub async fn update_user(
    auth: Dashboard<Admin>,
    store: Store,
    PathParam(user_id): PathParam,
    body: JsonObject,
) -> Result<Json<User>> {
    let mut f = Fields::new(&body);
    let role = f.opt_role("role");
    let full_name = f.opt_string("full_name");
    let is_active = f.opt_bool("is_active");
    let new_password = f.opt_string("password").map(Secret::new);
    f.finish()?;
    let password_hash = match new_password {
        Some(p) => Some(password::hash(&p).await?),
        None => None,
    };
    let patch = UserPatch {
        role,
        full_name,
        is_active,
        password_hash,
    };
    let user = store
        .update_user(&auth.caller.tenant_id, &user_id, &patch)
        .await?;
    Ok(Json(user.ok_or(ApiError::NotFound("User not found"))?))
}

#[utoipa::path(
    delete,
    path = "/v1/users/{user_id}",
    tag = "admin",
    params(("user_id" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Deleted", body = model::StatusId),
        (status = 400, description = "Cannot delete yourself", body = openapi::HttpError),
        (status = 404, description = "User not found", body = openapi::HttpError),
        openapi::Authed,
    ),
)]
pub async fn delete_user(
    auth: Dashboard<Admin>,
    store: Store,
    PathParam(user_id): PathParam,
) -> Result<Json<StatusId>> {
    if matches!(&auth.caller.via, Via::User { user_id: me } if *me == user_id) {
        return Err(ApiError::BadRequest("Cannot delete yourself"));
    }
    if !store.delete_user(&auth.caller.tenant_id, &user_id).await? {
        return Err(ApiError::NotFound("User not found"));
    }
    Ok(Json(StatusId {
        status: "deleted",
        id: user_id,
    }))
}

// ---- tenant, stats, export ---------------------------------------------------------------

/// Readable with an API key too: the emulator's choice beside `--memgraph-api-key-role` (spec §6.8).
#[utoipa::path(
    get,
    path = "/v1/tenant",
    tag = "admin",
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "The caller's tenant", body = model::Tenant),
        openapi::Authed,
    ),
)]
pub async fn get_tenant(auth: Authorized<Viewer>, store: Store) -> Result<Json<Tenant>> {
    Ok(Json(tenant_of(&store, &auth.caller).await?))
}

#[utoipa::path(
    patch,
    path = "/v1/tenant",
    tag = "admin",
    request_body = openapi::UpdateTenant,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The updated tenant", body = model::Tenant),
        openapi::Authed,
    ),
)]
pub async fn update_tenant(
    auth: Dashboard<Admin>,
    store: Store,
    body: JsonObject,
) -> Result<Json<Tenant>> {
    let mut f = Fields::new(&body);
    let name = f.opt_string("name");
    let sector = f.opt_string("sector");
    let settings = f.opt_object("settings");
    f.finish()?;
    let tenant = store
        .update_tenant(
            &auth.caller.tenant_id,
            name.as_deref(),
            sector.as_deref(),
            settings.as_ref(),
        )
        .await?;
    Ok(Json(
        tenant.ok_or_else(|| Internal::msg("caller's tenant is gone"))?,
    ))
}

#[utoipa::path(
    get,
    path = "/v1/stats",
    tag = "admin",
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "Counts of the tenant's data", body = model::Stats),
        openapi::Authed,
    ),
)]
pub async fn stats(auth: Authorized<Viewer>, store: Store) -> Result<Json<Stats>> {
    Ok(Json(store.stats(&auth.caller.tenant_id).await?))
}

/// The memory parts `?include=` may name (spec §6.9); all of them by default.
const EXPORT_PARTS: [&str; 8] = [
    "events",
    "episodes",
    "beliefs",
    "entities",
    "relationships",
    "decisions",
    "contradictions",
    "mcis_history",
];

#[utoipa::path(
    method(get, post),
    path = "/v1/admin/export",
    tag = "admin",
    params(openapi::ExportQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The export document", body = model::Export),
        openapi::Authed,
    ),
)]
pub async fn export(
    auth: Dashboard<Admin>,
    store: Store,
    query: QueryParams,
) -> Result<Json<Export>> {
    let mut q = query.read();
    let include = q.opt_string("include");
    q.finish()?;
    let included: Vec<&str> = match &include {
        Some(list) => list.split(',').map(str::trim).collect(),
        None => EXPORT_PARTS.to_vec(),
    };
    if let Some(unknown) = included.iter().find(|p| !EXPORT_PARTS.contains(p)) {
        let expected = "'events', 'episodes', 'beliefs', 'entities', 'relationships', 'decisions', \
                        'contradictions' or 'mcis_history'";
        return Err(ApiError::validation(validation::error(
            "literal_error",
            serde_json::json!(["query", "include"]),
            &format!("Input should be {expected}"),
            serde_json::json!(unknown),
            Some(serde_json::json!({ "expected": expected })),
        )));
    }
    let wanted = |part: &str| included.contains(&part);
    let tenant = tenant_of(&store, &auth.caller).await?;
    let users = store.users(&tenant.id).await?;
    let (events, episodes, beliefs) = store.memory_export(&tenant.id).await?;
    let mut v2 = store.v2_export(&tenant.id).await?;
    v2.entities = v2.entities.filter(|_| wanted("entities"));
    v2.relationships = v2.relationships.filter(|_| wanted("relationships"));
    v2.decisions = v2.decisions.filter(|_| wanted("decisions"));
    v2.contradictions = v2.contradictions.filter(|_| wanted("contradictions"));
    v2.mcis_history = v2.mcis_history.filter(|_| wanted("mcis_history"));
    Ok(Json(Export {
        version: 1,
        exported_at: store.now(),
        tenant: ExportTenant {
            id: tenant.id,
            name: tenant.name,
            sector: tenant.sector,
            settings: tenant.settings,
        },
        events: wanted("events").then_some(events),
        episodes: wanted("episodes").then_some(episodes),
        beliefs: wanted("beliefs").then_some(beliefs),
        v2,
        users: users
            .into_iter()
            .map(|u| ExportUser {
                id: u.id,
                email: u.email,
                full_name: u.full_name,
                role: u.role,
            })
            .collect(),
    }))
}

/// The export document's format; import refuses others.
const EXPORT_VERSION: i64 = 1;

/// Loads an export document's events, episodes and beliefs into the caller's tenant, keeping
/// their ids (spec §6.9). Existing ids are skipped, or overwritten with `?mode=replace`. The
/// tenant's settings and its users are not imported: users have passwords an export never holds.
#[utoipa::path(
    post,
    path = "/v1/admin/import",
    tag = "admin",
    params(openapi::ImportQuery),
    request_body = openapi::ImportRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "How many records were imported and skipped", body = openapi::Imported),
        (status = 400, description = "Unsupported export version", body = openapi::HttpError),
        openapi::Authed,
    ),
)]
pub async fn import(
    auth: Dashboard<Admin>,
    store: Store,
    query: QueryParams,
    body: JsonObject,
) -> Result<Json<serde_json::Value>> {
    let mut q = query.read();
    let mode = q.opt_string("mode");
    q.finish()?;
    let replace = match mode.as_deref() {
        None | Some("skip") => false,
        Some("replace") => true,
        Some(other) => {
            let expected = "'skip' or 'replace'";
            return Err(ApiError::validation(validation::error(
                "literal_error",
                serde_json::json!(["query", "mode"]),
                &format!("Input should be {expected}"),
                serde_json::json!(other),
                Some(serde_json::json!({ "expected": expected })),
            )));
        }
    };
    let mut f = Fields::new(&body);
    if !f.has("version") {
        f.reject(
            "version",
            "missing",
            "Field required",
            serde_json::Value::Object(body.0.clone()),
            None,
        );
    }
    let version = f.opt_int_in("version", i64::MIN, i64::MAX);
    let events = records(&mut f, &body, "events");
    let episodes = records(&mut f, &body, "episodes");
    let beliefs = records(&mut f, &body, "beliefs");
    let v2 = V2Import {
        entities: records(&mut f, &body, "entities"),
        relationships: records(&mut f, &body, "relationships"),
        decisions: records(&mut f, &body, "decisions"),
        contradictions: records(&mut f, &body, "contradictions"),
        mcis_history: records(&mut f, &body, "mcis_history"),
    };
    f.finish()?;
    if version != Some(EXPORT_VERSION) {
        return Err(ApiError::BadRequest("Unsupported export version"));
    }
    let data = Import {
        events,
        episodes,
        beliefs,
        replace,
        v2,
    };
    let (imported, skipped) = store.import(&auth.caller.tenant_id, data).await?;
    Ok(Json(serde_json::json!({
        "status": "imported",
        "imported": imported,
        "skipped": skipped,
    })))
}

/// One list of an export document (absent = empty), each record read as the export wrote it.
fn records<T: serde::de::DeserializeOwned>(
    f: &mut Fields,
    body: &JsonObject,
    name: &str,
) -> Vec<T> {
    let Some(value) = body.0.get(name).filter(|v| !v.is_null()) else {
        return Vec::new();
    };
    let Some(items) = value.as_array() else {
        f.reject(
            name,
            "list_type",
            "Input should be a valid list",
            value.clone(),
            None,
        );
        return Vec::new();
    };
    let mut records = Vec::with_capacity(items.len());
    let mut errors = Vec::new();
    for (i, item) in items.iter().enumerate() {
        match serde_json::from_value::<T>(item.clone()) {
            Ok(record) => records.push(record),
            Err(e) => errors.push(validation::error(
                "value_error",
                serde_json::json!(["body", name, i]),
                &format!("Value error, {e}"),
                item.clone(),
                Some(serde_json::json!({ "error": e.to_string() })),
            )),
        }
    }
    f.extend(errors);
    records
}

// ---- helpers -----------------------------------------------------------------------------

fn new_id() -> String {
    Uuid::new_v4().to_string()
}

/// A fresh key: what to store, and the plaintext to show once.
fn new_key(name: &str, created_by: Option<String>) -> (NewApiKey, Secret) {
    let plaintext = new_api_key(API_KEY_PREFIX);
    let key = NewApiKey {
        id: new_id(),
        name: name.to_owned(),
        key_prefix: plaintext.expose().chars().take(KEY_PREFIX_LEN).collect(),
        key_hash: sha256_hex(plaintext.expose()),
        created_by,
    };
    (key, plaintext)
}

/// The caller's own tenant; it exists as long as the caller does.
async fn tenant_of(store: &Store, caller: &Caller) -> Result<Tenant> {
    Ok(store
        .tenant(&caller.tenant_id)
        .await?
        .ok_or_else(|| Internal::msg("caller's tenant is gone"))?)
}
