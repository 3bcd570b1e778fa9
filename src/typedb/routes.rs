//! TypeDB Cloud's handlers (docs/spec/typedb.md §3–§7): thin; the rules are in `validation.rs`, the
//! SQL in `store.rs`. Every success is 200, mutations answer the cluster in its new state.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::auth::{self, Admin, Authenticated, Authorized, Read, Write, basic_credentials};
use super::error::ApiError;
use super::model::{self, Cluster, version_key};
use super::openapi;
use super::store::{self, ClusterRow, Durations, Scope, Store};
use super::validation::{self, Body};
use crate::AppState;
use crate::db;

/// `POST /api/v1/auth`: the body is the bare token as text, with no trailing newline (a newline
/// would end up inside the clients' `Bearer` header; docs/spec/typedb.md §4.1).
#[utoipa::path(
    post,
    path = "/api/v1/auth",
    tag = "auth",
    security(("basic" = [])),
    responses(
        (status = 200, description = "The access token, as bare text", body = String, content_type = "text/plain"),
        (status = 400, description = "No or a malformed Authorization header, or unknown credentials", body = openapi::Error),
    ),
)]
pub async fn exchange_token(
    State(state): State<AppState>,
    store: Store,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (client_id, secret) = basic_credentials(&headers)?;
    let ttl = i64::try_from(state.config.typedb.token_ttl.0.as_secs()).unwrap_or(i64::MAX);
    let token = auth::exchange(&store, &client_id, &secret, ttl).await?;
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], token).into_response())
}

/// `GET /api/v1/cluster-versions`: any valid token, no level (docs/spec/typedb.md §6.4).
#[utoipa::path(
    get,
    path = "/api/v1/cluster-versions",
    tag = "clusters",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The versions a cluster can run", body = openapi::ClusterVersions),
        openapi::Authed,
    ),
)]
pub async fn cluster_versions(
    State(state): State<AppState>,
    _caller: Authenticated,
) -> Json<Value> {
    let mut versions = state.config.typedb.versions.clone();
    versions.sort_by_key(|v| version_key(v));
    versions.dedup();
    Json(json!({ "availableVersions": versions }))
}

#[utoipa::path(
    get,
    path = "/api/v1/team/{team}/spaces/{space}/clusters",
    tag = "clusters",
    params(openapi::SpacePath),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The space's clusters", body = Vec<model::Cluster>),
        openapi::Authed,
    ),
)]
pub async fn list_clusters(
    State(state): State<AppState>,
    store: Store,
    caller: Authorized<Read>,
) -> Result<Json<Vec<Cluster>>, ApiError> {
    let settings = &state.config.typedb;
    let rows = store
        .clusters(&caller.scope, Durations::of(settings))
        .await?
        .ok_or_else(|| no_space(&caller.scope))?;
    Ok(Json(
        rows.into_iter().map(|row| row.wire(settings)).collect(),
    ))
}

#[utoipa::path(
    get,
    path = "/api/v1/team/{team}/spaces/{space}/clusters/{cluster}",
    tag = "clusters",
    params(openapi::ClusterPath),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The cluster", body = model::Cluster),
        openapi::Authed,
        openapi::OneCluster,
    ),
)]
pub async fn get_cluster(
    State(state): State<AppState>,
    store: Store,
    caller: Authorized<Read>,
) -> Result<Json<Cluster>, ApiError> {
    let id = caller.cluster.as_deref().unwrap_or_default();
    let row = store
        .cluster(&caller.scope, id, Durations::of(&state.config.typedb))
        .await?
        .ok_or_else(|| no_cluster(&caller.scope, id))?;
    Ok(wire(&state, row))
}

#[utoipa::path(
    post,
    path = "/api/v1/team/{team}/spaces/{space}/clusters/deploy",
    tag = "clusters",
    params(openapi::SpacePath),
    request_body = model::DeployRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The new cluster, starting", body = model::Cluster),
        openapi::Authed,
        (status = 409, description = "The id is taken in the space", body = openapi::Error),
    ),
)]
pub async fn deploy(
    State(state): State<AppState>,
    store: Store,
    caller: Authorized<Write>,
    Body(request): Body<model::DeployRequest>,
) -> Result<Json<Cluster>, ApiError> {
    let settings = &state.config.typedb;
    let d = validation::deploy(request, &settings.versions, settings.strict)?;
    let mut tx = begin_settled(&state, &store).await?;
    ensure_space(&mut tx, &caller.scope).await?;
    // A repeated deploy is a 409 before anything else: the tutorial's own example is a free
    // cluster, and deploying it twice must say that the id is taken (docs/spec/typedb.md §13.5).
    if store::cluster(&mut tx, &caller.scope, &d.id)
        .await?
        .is_some()
    {
        return Err(ApiError::AlreadyExists(format!(
            "A cluster with id '{}' already exists in space '{}'",
            d.id, caller.scope.space
        )));
    }
    store::may_add_cluster(&mut tx, &caller.scope.team, d.is_free).await?;
    let now = store.now_ms();
    let row = ClusterRow::new(&caller.scope, d, "starting", now);
    insert(&mut tx, &row).await?;
    tx.commit().await?;
    Ok(wire(&state, row))
}

/// `PATCH …/clusters/{id}` (docs/spec/typedb.md §7.4). A free cluster changing more than its id
/// needs a payment method.
#[utoipa::path(
    patch,
    path = "/api/v1/team/{team}/spaces/{space}/clusters/{cluster}",
    tag = "clusters",
    params(openapi::ClusterPath),
    request_body = model::UpdateRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The updated cluster", body = model::Cluster),
        openapi::Authed,
        openapi::OneCluster,
        (status = 409, description = "The new id is taken in the space", body = openapi::Error),
    ),
)]
pub async fn update_cluster(
    State(state): State<AppState>,
    store: Store,
    caller: Authorized<Write>,
    Body(request): Body<model::UpdateRequest>,
) -> Result<Json<Cluster>, ApiError> {
    let update = validation::update(request, &state.config.typedb.versions)?;
    let mut tx = begin_settled(&state, &store).await?;
    let current = find(&mut tx, &caller.scope, caller.cluster.as_deref()).await?;
    if current.status == "destroying" {
        return Err(cannot(&current, "update"));
    }
    if current.is_free && update.changes_more_than_id() {
        store::require_payment_method(&mut tx, &caller.scope.team).await?;
    }
    let next = validation::apply_update(update, &current, state.config.typedb.strict)?;
    if !store::update_cluster(&mut tx, &current.id, &next).await? {
        return Err(already_exists(&next));
    }
    tx.commit().await?;
    Ok(wire(&state, next))
}

#[utoipa::path(
    post,
    path = "/api/v1/team/{team}/spaces/{space}/clusters/{cluster}/suspend",
    tag = "clusters",
    params(openapi::ClusterPath),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The cluster, suspending", body = model::Cluster),
        openapi::Authed,
        openapi::OneCluster,
    ),
)]
pub async fn suspend_cluster(
    State(state): State<AppState>,
    store: Store,
    caller: Authorized<Write>,
) -> Result<Json<Cluster>, ApiError> {
    transition(
        &state,
        &store,
        &caller.scope,
        caller.cluster.as_deref(),
        Action::Suspend,
    )
    .await
}

#[utoipa::path(
    post,
    path = "/api/v1/team/{team}/spaces/{space}/clusters/{cluster}/resume",
    tag = "clusters",
    params(openapi::ClusterPath),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The cluster, resuming", body = model::Cluster),
        openapi::Authed,
        openapi::OneCluster,
    ),
)]
pub async fn resume_cluster(
    State(state): State<AppState>,
    store: Store,
    caller: Authorized<Write>,
) -> Result<Json<Cluster>, ApiError> {
    transition(
        &state,
        &store,
        &caller.scope,
        caller.cluster.as_deref(),
        Action::Resume,
    )
    .await
}

#[utoipa::path(
    delete,
    path = "/api/v1/team/{team}/spaces/{space}/clusters/{cluster}",
    tag = "clusters",
    params(openapi::ClusterPath),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The cluster, destroying", body = model::Cluster),
        openapi::Authed,
        openapi::OneCluster,
    ),
)]
pub async fn destroy_cluster(
    State(state): State<AppState>,
    store: Store,
    caller: Authorized<Admin>,
) -> Result<Json<Cluster>, ApiError> {
    transition(
        &state,
        &store,
        &caller.scope,
        caller.cluster.as_deref(),
        Action::Destroy,
    )
    .await
}

/// `POST …/clusters/{id}/clone`: a new cluster in the same space, with the source's settings,
/// `starting`. It copies `isFree` and skips the one-free-cluster check, as the docs' example
/// does (emulator choice, docs/spec/typedb.md §7.5); `--typedb-strict` refuses a second free
/// cluster.
#[utoipa::path(
    post,
    path = "/api/v1/team/{team}/spaces/{space}/clusters/{cluster}/clone",
    tag = "clusters",
    params(openapi::ClusterPath),
    request_body = model::CloneRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The new cluster, starting", body = model::Cluster),
        openapi::Authed,
        openapi::OneCluster,
        (status = 409, description = "The new id is taken in the space", body = openapi::Error),
    ),
)]
pub async fn clone_cluster(
    State(state): State<AppState>,
    store: Store,
    caller: Authorized<Write>,
    Body(request): Body<model::CloneRequest>,
) -> Result<Json<Cluster>, ApiError> {
    let new_id = validation::clone_id(request);
    let mut tx = begin_settled(&state, &store).await?;
    let source = find(&mut tx, &caller.scope, caller.cluster.as_deref()).await?;
    if source.status == "destroying" {
        return Err(cannot(&source, "clone"));
    }
    if source.is_free && state.config.typedb.strict {
        return Err(ApiError::invalid(format!(
            "Team '{}' already has a free cluster",
            caller.scope.team
        )));
    }
    let now = store.now_ms();
    let clone = ClusterRow {
        id: new_id,
        address_prefix: store::address_prefix(),
        created_at_ms: now,
        status: "starting".into(),
        status_since_ms: now,
        servers_down: false,
        ..source
    };
    insert(&mut tx, &clone).await?;
    tx.commit().await?;
    Ok(wire(&state, clone))
}

// ---- shared steps -------------------------------------------------------------------------------

#[derive(Clone, Copy)]
enum Action {
    Suspend,
    Resume,
    Destroy,
}

/// The state machine of docs/spec/typedb.md §7.3: suspend from `running`, resume from `suspended`,
/// destroy from anything but `destroying`; anything else is 400.
async fn transition(
    state: &AppState,
    store: &Store,
    scope: &Scope,
    id: Option<&str>,
    action: Action,
) -> Result<Json<Cluster>, ApiError> {
    let mut tx = begin_settled(state, store).await?;
    let mut row = find(&mut tx, scope, id).await?;
    let (allowed, next, verb) = match action {
        Action::Suspend => (row.status == "running", "suspending", "suspend"),
        Action::Resume => (row.status == "suspended", "resuming", "resume"),
        Action::Destroy => (row.status != "destroying", "destroying", "destroy"),
    };
    if !allowed {
        return Err(cannot(&row, verb));
    }
    row.servers_down = matches!(action, Action::Destroy) && row.status == "suspended";
    row.status = next.to_owned();
    row.status_since_ms = store.now_ms();
    let old_id = row.id.clone();
    store::update_cluster(&mut tx, &old_id, &row).await?;
    tx.commit().await?;
    Ok(wire(state, row))
}

/// A transaction in which every transition whose time is up has completed.
async fn begin_settled(state: &AppState, store: &Store) -> Result<crate::db::Tx, ApiError> {
    let mut tx = store.begin().await?;
    store::settle(&mut tx, Durations::of(&state.config.typedb), store.now_ms()).await?;
    Ok(tx)
}

async fn ensure_space(conn: &mut db::Connection, scope: &Scope) -> Result<(), ApiError> {
    if store::space_exists(conn, scope).await? {
        Ok(())
    } else {
        Err(no_space(scope))
    }
}

fn no_space(scope: &Scope) -> ApiError {
    ApiError::NotFound(format!(
        "Space '{}' of team '{}' not found",
        scope.space, scope.team
    ))
}

async fn find(
    conn: &mut db::Connection,
    scope: &Scope,
    id: Option<&str>,
) -> Result<ClusterRow, ApiError> {
    let id = id.unwrap_or_default();
    store::cluster(conn, scope, id)
        .await?
        .ok_or_else(|| no_cluster(scope, id))
}

fn no_cluster(scope: &Scope, id: &str) -> ApiError {
    ApiError::NotFound(format!(
        "Cluster '{id}' not found in space '{}' of team '{}'",
        scope.space, scope.team
    ))
}

async fn insert(conn: &mut db::Connection, row: &ClusterRow) -> Result<(), ApiError> {
    if store::insert_cluster(conn, row).await? {
        Ok(())
    } else {
        Err(already_exists(row))
    }
}

fn already_exists(row: &ClusterRow) -> ApiError {
    ApiError::AlreadyExists(format!(
        "A cluster with id '{}' already exists in space '{}'",
        row.id, row.space_id
    ))
}

fn cannot(row: &ClusterRow, verb: &str) -> ApiError {
    ApiError::FailedPrecondition(format!(
        "Cannot {verb} cluster '{}' while it is {}",
        row.id, row.status
    ))
}

fn wire(state: &AppState, row: ClusterRow) -> Json<Cluster> {
    Json(row.wire(&state.config.typedb))
}

pub async fn not_found() -> ApiError {
    ApiError::NotFound("Not found".into())
}

pub async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}
