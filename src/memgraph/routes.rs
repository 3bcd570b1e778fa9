//! Memgraph's accounts and access routes: public endpoints, identity, API keys, users, tenant,
//! stats, export and import (docs/spec/memgraph.md §6.1, 6.2, 6.6–6.9). Handlers are thin: read,
//! call the store, shape. The memory routes are in `routes/memory.rs`.

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

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use uuid::Uuid;

use super::auth::{Admin, Authorized, Caller, Claims, Dashboard, Via, Viewer, issue_token};
use super::error::{ApiError, HttpError, HttpValidationError};
use super::model::{
    ApiKey, ApiKeyCreated, CreateApiKey, CreateUser, Export, ExportPart, ExportQuery, ExportTenant,
    ExportUser, Health, ImportMode, ImportQuery, ImportRequest, Imported, LoginForm, Me,
    OnboardRequest, Onboarded, Role, Stats, StatusId, Tenant, TokenResponse, UpdateTenant,
    UpdateUser, User, Whoami, key_prefix,
};
use super::openapi::Authed;
use super::store::{Import, NewApiKey, NewUser, Store, UserPatch, V2Import};
use super::validation::{self, Body, Form, PathParam, Query};
use crate::AppState;
use crate::auth::{Secret, new_api_key, password, sha256_hex};
use crate::error::Internal;

/// Keys look like the documented `mg_live_abc123...` (docs/spec/memgraph.md §5.5).
const API_KEY_PREFIX: &str = "mg_live_";

type Result<T> = std::result::Result<T, ApiError>;

// ---- public ------------------------------------------------------------------------------

#[utoipa::path(get, path = "/health", tag = "public",
    responses(
        (status = 200, description = "The database answers", body = Health),
        (status = 503, description = "The database does not answer", body = Health),
    ))]
pub async fn health(store: Store) -> Response {
    if crate::db::ping(store.session().db()).await {
        let health = Health {
            status: "healthy",
            database: "connected",
        };
        Json(health).into_response()
    } else {
        let health = Health {
            status: "unhealthy",
            database: "disconnected",
        };
        (StatusCode::SERVICE_UNAVAILABLE, Json(health)).into_response()
    }
}

#[utoipa::path(get, path = "/metrics", tag = "public",
    responses((status = 200, description = "Prometheus text exposition", body = String,
        content_type = "text/plain; version=0.0.4; charset=utf-8")))]
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

/// Creates a tenant, its admin and a first API key.
// docs/spec/memgraph.md §6.1
#[utoipa::path(post, path = "/v1/auth/onboard", tag = "auth", request_body = OnboardRequest,
    responses(
        (status = 200, description = "The tenant, its admin and a first API key", body = Onboarded),
        (status = 400, description = "Email already registered", body = HttpError),
        (status = 422, description = "A field is missing or invalid", body = HttpValidationError),
    ))]
pub async fn onboard(store: Store, Body(body): Body<OnboardRequest>) -> Result<Json<Onboarded>> {
    let OnboardRequest {
        email,
        password,
        full_name,
        cluster_name,
        sector,
    } = body;
    let password = Secret::new(password);

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

/// OAuth2 password flow: form fields `username` (the email) and `password`.
// docs/spec/memgraph.md §6.1, §4.5
#[utoipa::path(post, path = "/v1/auth/login", tag = "auth",
    request_body(content = LoginForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "A bearer token", body = TokenResponse),
        (status = 400, description = "Inactive user", body = HttpError),
        (status = 401, description = "Incorrect email or password", body = HttpError),
        (status = 422, description = "A form field is missing or invalid",
            body = HttpValidationError),
    ))]
pub async fn login(
    State(state): State<AppState>,
    store: Store,
    Form(form): Form<LoginForm>,
) -> Result<Json<TokenResponse>> {
    let user = store.user_by_email(&form.username).await?;
    let given = Secret::new(form.password);
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

#[utoipa::path(get, path = "/v1/auth/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, description = "The signed-in user", body = Me), Authed))]
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

#[utoipa::path(get, path = "/v1/auth/whoami", tag = "auth",
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, description = "Who the credentials are", body = Whoami), Authed))]
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

#[utoipa::path(post, path = "/v1/api-keys", tag = "admin", request_body = CreateApiKey,
    security(("bearer" = [])),
    responses((status = 201, description = "The key, with its plaintext shown once",
        body = ApiKeyCreated), Authed))]
pub async fn create_api_key(
    auth: Dashboard<Admin>,
    store: Store,
    Body(CreateApiKey { name }): Body<CreateApiKey>,
) -> Result<Response> {
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

#[utoipa::path(get, path = "/v1/api-keys", tag = "admin", security(("bearer" = [])),
    responses((status = 200, description = "The tenant's API keys", body = Vec<ApiKey>), Authed))]
pub async fn list_api_keys(auth: Dashboard<Admin>, store: Store) -> Result<Json<Vec<ApiKey>>> {
    Ok(Json(store.api_keys(&auth.caller.tenant_id).await?))
}

#[utoipa::path(delete, path = "/v1/api-keys/{key_id}", tag = "admin",
    params(("key_id" = String, Path)), security(("bearer" = [])),
    responses(
        (status = 200, description = "Revoked", body = StatusId),
        (status = 404, description = "API key not found", body = HttpError),
        Authed,
    ))]
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

#[utoipa::path(get, path = "/v1/users", tag = "admin", security(("bearer" = [])),
    responses((status = 200, description = "The tenant's users", body = Vec<User>), Authed))]
pub async fn list_users(auth: Dashboard<Admin>, store: Store) -> Result<Json<Vec<User>>> {
    Ok(Json(store.users(&auth.caller.tenant_id).await?))
}

#[utoipa::path(post, path = "/v1/users", tag = "admin", request_body = CreateUser,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The new user", body = User),
        (status = 400, description = "Email already registered", body = HttpError),
        Authed,
    ))]
pub async fn create_user(
    auth: Dashboard<Admin>,
    store: Store,
    Body(body): Body<CreateUser>,
) -> Result<Response> {
    if store.user_by_email(&body.email).await?.is_some() {
        return Err(ApiError::BadRequest("Email already registered"));
    }
    let password = Secret::new(body.password);
    let user = NewUser {
        id: new_id(),
        email: body.email,
        full_name: body.full_name,
        password_hash: password::hash(&password).await?,
        role: body.role.unwrap_or(Role::Viewer),
    };
    let user = store.create_user(&auth.caller.tenant_id, &user).await?;
    Ok((StatusCode::CREATED, Json(user)).into_response())
}

#[utoipa::path(get, path = "/v1/users/{user_id}", tag = "admin",
    params(("user_id" = String, Path)), security(("bearer" = [])),
    responses(
        (status = 200, description = "The user", body = User),
        (status = 404, description = "User not found", body = HttpError),
        Authed,
    ))]
pub async fn get_user(
    auth: Dashboard<Admin>,
    store: Store,
    PathParam(user_id): PathParam,
) -> Result<Json<User>> {
    let user = store.user(&auth.caller.tenant_id, &user_id).await?;
    Ok(Json(user.ok_or(ApiError::NotFound("User not found"))?))
}

#[utoipa::path(patch, path = "/v1/users/{user_id}", tag = "admin",
    params(("user_id" = String, Path)), request_body = UpdateUser, security(("bearer" = [])),
    responses(
        (status = 200, description = "The updated user", body = User),
        (status = 400, description = "Cannot remove the last admin", body = HttpError),
        (status = 404, description = "User not found", body = HttpError),
        Authed,
    ))]
pub async fn update_user(
    auth: Dashboard<Admin>,
    store: Store,
    PathParam(user_id): PathParam,
    Body(body): Body<UpdateUser>,
) -> Result<Json<User>> {
    let password_hash = match body.password.map(Secret::new) {
        Some(p) => Some(password::hash(&p).await?),
        None => None,
    };
    let patch = UserPatch {
        role: body.role,
        full_name: body.full_name,
        is_active: body.is_active,
        password_hash,
    };
    let user = store
        .update_user(&auth.caller.tenant_id, &user_id, &patch)
        .await?;
    Ok(Json(user.ok_or(ApiError::NotFound("User not found"))?))
}

#[utoipa::path(delete, path = "/v1/users/{user_id}", tag = "admin",
    params(("user_id" = String, Path)), security(("bearer" = [])),
    responses(
        (status = 200, description = "Deleted", body = StatusId),
        (status = 400, description = "Cannot delete yourself", body = HttpError),
        (status = 404, description = "User not found", body = HttpError),
        Authed,
    ))]
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

/// Readable with an API key too: the emulator's choice beside `--memgraph-api-key-role`.
// docs/spec/memgraph.md §6.8
#[utoipa::path(get, path = "/v1/tenant", tag = "admin", security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, description = "The caller's tenant", body = Tenant), Authed))]
pub async fn get_tenant(auth: Authorized<Viewer>, store: Store) -> Result<Json<Tenant>> {
    Ok(Json(tenant_of(&store, &auth.caller).await?))
}

#[utoipa::path(patch, path = "/v1/tenant", tag = "admin", request_body = UpdateTenant,
    security(("bearer" = [])),
    responses((status = 200, description = "The updated tenant", body = Tenant), Authed))]
pub async fn update_tenant(
    auth: Dashboard<Admin>,
    store: Store,
    Body(body): Body<UpdateTenant>,
) -> Result<Json<Tenant>> {
    let tenant = store
        .update_tenant(
            &auth.caller.tenant_id,
            body.name.as_deref(),
            body.sector.as_deref(),
            body.settings.as_ref(),
        )
        .await?;
    Ok(Json(
        tenant.ok_or_else(|| Internal::msg("caller's tenant is gone"))?,
    ))
}

#[utoipa::path(get, path = "/v1/stats", tag = "admin", security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, description = "Counts of the tenant's data", body = Stats), Authed))]
pub async fn stats(auth: Authorized<Viewer>, store: Store) -> Result<Json<Stats>> {
    Ok(Json(store.stats(&auth.caller.tenant_id).await?))
}

#[utoipa::path(method(get, post), path = "/v1/admin/export", tag = "admin", params(ExportQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "The export document", body = Export), Authed))]
pub async fn export(
    auth: Dashboard<Admin>,
    store: Store,
    Query(ExportQuery { include }): Query<ExportQuery>,
) -> Result<Json<Export>> {
    let included: Vec<ExportPart> = match &include {
        Some(list) => list
            .split(',')
            .map(|name| ExportPart::parse(name).ok_or(name))
            .collect::<std::result::Result<_, _>>()
            .map_err(|unknown| {
                let names: Vec<&str> = ExportPart::ALL.iter().map(|p| p.as_str()).collect();
                let expected = validation::one_of(&names);
                ApiError::validation(validation::error(
                    "literal_error",
                    serde_json::json!(["query", "include"]),
                    &format!("Input should be {expected}"),
                    serde_json::json!(unknown),
                    Some(serde_json::json!({ "expected": expected })),
                ))
            })?,
        None => ExportPart::ALL.to_vec(),
    };
    let wanted = |part: ExportPart| included.contains(&part);
    let tenant = tenant_of(&store, &auth.caller).await?;
    let users = store.users(&tenant.id).await?;
    let (events, episodes, beliefs) = crate::db::long(store.memory_export(&tenant.id)).await?;
    let mut v2 = crate::db::long(store.v2_export(&tenant.id)).await?;
    v2.entities = v2.entities.filter(|_| wanted(ExportPart::Entities));
    v2.relationships = v2
        .relationships
        .filter(|_| wanted(ExportPart::Relationships));
    v2.decisions = v2.decisions.filter(|_| wanted(ExportPart::Decisions));
    v2.contradictions = v2
        .contradictions
        .filter(|_| wanted(ExportPart::Contradictions));
    v2.mcis_history = v2.mcis_history.filter(|_| wanted(ExportPart::McisHistory));
    Ok(Json(Export {
        version: 1,
        exported_at: store.now(),
        tenant: ExportTenant {
            id: tenant.id,
            name: tenant.name,
            sector: tenant.sector,
            settings: tenant.settings,
        },
        events: wanted(ExportPart::Events).then_some(events),
        episodes: wanted(ExportPart::Episodes).then_some(episodes),
        beliefs: wanted(ExportPart::Beliefs).then_some(beliefs),
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
/// their ids. Existing ids are skipped, or overwritten with `?mode=replace`. The
/// tenant's settings and its users are not imported: users have passwords an export never holds.
// docs/spec/memgraph.md §6.9
#[utoipa::path(post, path = "/v1/admin/import", tag = "admin", params(ImportQuery),
    request_body = ImportRequest, security(("bearer" = [])),
    responses(
        (status = 200, description = "How many records were imported and skipped", body = Imported),
        (status = 400, description = "Unsupported export version", body = HttpError),
        Authed,
    ))]
pub async fn import(
    auth: Dashboard<Admin>,
    store: Store,
    Query(ImportQuery { mode }): Query<ImportQuery>,
    body: std::result::Result<Body<ImportRequest>, ApiError>,
) -> Result<Json<Imported>> {
    let replace = mode == Some(ImportMode::Replace);
    let Body(body) = body?;
    if body.version != EXPORT_VERSION {
        return Err(ApiError::BadRequest("Unsupported export version"));
    }
    let data = Import {
        events: body.events.map(|r| r.0).unwrap_or_default(),
        episodes: body.episodes.map(|r| r.0).unwrap_or_default(),
        beliefs: body.beliefs.map(|r| r.0).unwrap_or_default(),
        replace,
        v2: V2Import {
            entities: body.entities.map(|r| r.0).unwrap_or_default(),
            relationships: body.relationships.map(|r| r.0).unwrap_or_default(),
            decisions: body.decisions.map(|r| r.0).unwrap_or_default(),
            contradictions: body.contradictions.map(|r| r.0).unwrap_or_default(),
            mcis_history: body.mcis_history.map(|r| r.0).unwrap_or_default(),
        },
    };
    let (imported, skipped) = crate::db::long(store.import(&auth.caller.tenant_id, data)).await?;
    Ok(Json(Imported {
        status: "imported",
        imported,
        skipped,
    }))
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
        key_prefix: key_prefix(plaintext.expose()),
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
