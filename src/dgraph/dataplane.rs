//! A backend's data plane (spec §5-§7): `/admin`, `/admin/slash`, `/graphql`, `/query`,
//! `/mutate`, `/commit`, `/alter`, `/prometheus`, and the export files its signed URLs name.
//! Which backend a request is for comes with it as a [`BackendRef`]: from its own port, its Host
//! header, or a `/backends/<subdomain>` path (see `mod.rs`).

use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequestParts, OriginalUri, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::admin::{AdminSchema, DataPlane, SlashSchema, admin_schema, slash_schema};
use super::export;
use super::graphql::{request_from, top_level_fields};
use super::model::{ApiKeyRole, Deployment, DeploymentClaims, ExportUrlClaims, parse_iso};
use super::service::{Cerebro, DEPLOYMENT_KEY, EXPORT_KEY};
use super::store::Store;
use crate::AppState;
use crate::auth::{jwt, sha256_hex};
use crate::error::Internal;
use crate::session::SessionName;

/// Which backend a data-plane request is for.
#[derive(Debug, Clone)]
pub enum BackendRef {
    Uid(String),
    Subdomain(String),
}

#[derive(Clone)]
struct Schemas {
    admin: AdminSchema,
    slash: SlashSchema,
}

/// The label of the data plane's routes for the contract checks (see `Dgraph::graphql_endpoints`).
pub const ROUTES: &str = "dgraph-backend";

pub fn router(state: AppState) -> Router {
    let schemas = Arc::new(Schemas {
        admin: admin_schema(),
        slash: slash_schema(),
    });
    let router = Router::new()
        .route("/admin", post(admin))
        .route("/admin/slash", post(slash))
        .route("/graphql", post(user_graphql).options(ready_probe))
        .route("/query", post(query))
        .route("/mutate", post(mutate))
        .route("/commit", post(commit))
        .route("/alter", post(alter))
        .route("/prometheus", get(prometheus))
        .route("/exports/{token}/{file}", get(export_file))
        .fallback(|| async { error(StatusCode::NOT_FOUND, "Not Found") });
    crate::contract::routes(router, ROUTES)
        .layer(axum::Extension(schemas))
        .layer(axum::middleware::map_response(method_not_allowed))
        .with_state(state)
}

/// Dgraph's error body, `{"errors":[{"message": ...}]}`, with that status.
pub fn error(status: StatusCode, message: &str) -> Response {
    (
        status,
        axum::Json(json!({"errors": [{"message": message}]})),
    )
        .into_response()
}

fn internal(e: Internal) -> Response {
    e.log();
    error(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
}

/// The backend a request is for, once it exists and is ready.
pub struct Backend {
    cerebro: Cerebro,
    deployment: Deployment,
}

impl FromRequestParts<AppState> for Backend {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let session_name = SessionName::of(&parts.extensions);
        let session = state.sessions.get(&session_name).await.map_err(internal)?;
        let store = Store::new(session);
        let found = match parts.extensions.get::<BackendRef>() {
            Some(BackendRef::Uid(uid)) => store.deployment(uid).await,
            Some(BackendRef::Subdomain(sub)) => store.deployment_by_subdomain(sub).await,
            None => Ok(None),
        }
        .map_err(internal)?;
        let Some(deployment) = found else {
            return Err(error(StatusCode::NOT_FOUND, "backend not found"));
        };
        let cerebro = Cerebro {
            store,
            state: state.clone(),
            session: session_name,
        };
        let now = cerebro.now();
        // Creation takes --dgraph-deployment-creation (spec §9.3); until then nothing answers.
        if parse_iso(&deployment.ready_at).is_some_and(|ready| now < ready) {
            return Err(error(
                StatusCode::SERVICE_UNAVAILABLE,
                "backend is being created: not ready yet",
            ));
        }
        Ok(Backend {
            cerebro,
            deployment,
        })
    }
}

/// A backend and the role its caller proved (spec §3): the deployment's `jwtToken` or an admin
/// key act as admin, a client key as client.
pub struct Authed {
    backend: Backend,
    role: ApiKeyRole,
}

impl FromRequestParts<AppState> for Authed {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let backend = Backend::from_request_parts(parts, state).await?;
        let candidates = credentials(&parts.headers);
        if candidates.is_empty() {
            return Err(error(
                StatusCode::UNAUTHORIZED,
                "no credentials: send the backend's JWT or an API key in X-Auth-Token, Dg-Auth or Authorization",
            ));
        }
        for token in candidates {
            if let Some(role) = role_of(&backend, &token).await.map_err(internal)? {
                return Ok(Authed { backend, role });
            }
        }
        Err(error(
            StatusCode::UNAUTHORIZED,
            "invalid credentials for this backend",
        ))
    }
}

impl Authed {
    /// The answer for a client key on an admin path; `None` when the caller is an admin.
    fn refuse_unless_admin(&self) -> Option<Response> {
        match self.role {
            ApiKeyRole::Admin => None,
            ApiKeyRole::Client => Some(error(
                StatusCode::UNAUTHORIZED,
                "this endpoint needs an admin API key or the backend's JWT",
            )),
        }
    }
}

/// Tokens in `X-Auth-Token`, `Dg-Auth` (any case) and `Authorization` (raw, as the CLI sends it,
/// or `Bearer <t>`), spec §3.4.
fn credentials(headers: &HeaderMap) -> Vec<String> {
    let mut out = Vec::new();
    for name in ["x-auth-token", "dg-auth", "authorization"] {
        for value in headers.get_all(name) {
            let Ok(v) = value.to_str() else { continue };
            let v = v.trim();
            let v = match v.get(..7) {
                Some(p) if p.eq_ignore_ascii_case("bearer ") => v[7..].trim(),
                _ => v,
            };
            if !v.is_empty() {
                out.push(v.to_owned());
            }
        }
    }
    out
}

async fn role_of(backend: &Backend, token: &str) -> Result<Option<ApiKeyRole>, Internal> {
    let session = backend.cerebro.store.session();
    let key = session.signing_key(DEPLOYMENT_KEY).await?;
    let now = session.clock().unix_seconds();
    if let Some(claims) = jwt::verify::<DeploymentClaims>(token, &key, now) {
        return Ok((claims.deployment == backend.deployment.uid).then_some(ApiKeyRole::Admin));
    }
    backend
        .cerebro
        .store
        .api_key_role(&backend.deployment.uid, &sha256_hex(token))
        .await
}

/// `http://host[/prefix]`: where this request came in, so export URLs lead back the same way
/// (front-door prefixes such as `/_session/NAME` or `/dgraph/backends/<sub>` included).
fn base_url(headers: &HeaderMap, original: &OriginalUri, routed_path: &str) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let original = original.0.path();
    let prefix = original.strip_suffix(routed_path).unwrap_or("");
    format!("http://{host}{prefix}")
}

async fn run_graphql<Q, M>(
    schema: &async_graphql::Schema<Q, M, async_graphql::EmptySubscription>,
    authed: Authed,
    headers: &HeaderMap,
    original: &OriginalUri,
    routed_path: &str,
    body: &Bytes,
) -> Response
where
    Q: async_graphql::ObjectType + 'static,
    M: async_graphql::ObjectType + 'static,
{
    if let Some(refused) = authed.refuse_unless_admin() {
        return refused;
    }
    let request = match request_from(headers, body) {
        Ok(r) => r,
        Err(why) => return error(StatusCode::BAD_REQUEST, &why),
    };
    let plane = DataPlane {
        cerebro: authed.backend.cerebro,
        deployment: authed.backend.deployment,
        base_url: base_url(headers, original, routed_path),
        access_token: headers
            .get("x-dgraph-accesstoken")
            .and_then(|v| v.to_str().ok())
            .map(|v| v.trim().to_owned()),
    };
    let response = super::graphql::execute(schema, request.data(plane)).await;
    axum::Json(response).into_response()
}

async fn admin(
    axum::Extension(schemas): axum::Extension<Arc<Schemas>>,
    original: OriginalUri,
    headers: HeaderMap,
    authed: Authed,
    body: Bytes,
) -> Response {
    run_graphql(&schemas.admin, authed, &headers, &original, "/admin", &body).await
}

async fn slash(
    axum::Extension(schemas): axum::Extension<Arc<Schemas>>,
    original: OriginalUri,
    headers: HeaderMap,
    authed: Authed,
    body: Bytes,
) -> Response {
    run_graphql(
        &schemas.slash,
        authed,
        &headers,
        &original,
        "/admin/slash",
        &body,
    )
    .await
}

/// The CLI's readiness probe (spec §7): 200 once the backend is ready.
async fn ready_probe(_backend: Backend) -> StatusCode {
    StatusCode::OK
}

/// The user's GraphQL API. Without a schema, Dgraph's own error (spec §9.1); with one, the small
/// part of the generated API that `userapi.rs` emulates.
async fn user_graphql(authed: Authed, headers: HeaderMap, body: Bytes) -> Response {
    let request = match request_from(&headers, &body) {
        Ok(r) => r,
        Err(why) => return error(StatusCode::BAD_REQUEST, &why),
    };
    let d = &authed.backend.deployment;
    let Some(sdl) = d.gql_schema.as_deref() else {
        let field = top_level_fields(&request)
            .into_iter()
            .next()
            .unwrap_or_default();
        let message = format!(
            "Not resolving {field}. There's no GraphQL schema in Dgraph.  Use the /admin API to add a GraphQL schema"
        );
        return axum::Json(json!({"errors": [{"message": message}], "data": null})).into_response();
    };
    let read_only = d.deployment_mode == "readonly";
    match super::userapi::execute(
        &authed.backend.cerebro.store,
        &d.uid,
        sdl,
        read_only,
        &request,
    )
    .await
    {
        Ok(body) => axum::Json(body).into_response(),
        Err(e) => internal(e),
    }
}

/// The DQL text of a `/query` body: JSON `{"query": ...}` or the raw text.
fn dql_text(body: &Bytes) -> String {
    if let Ok(v) = serde_json::from_slice::<Value>(body)
        && let Some(q) = v.get("query").and_then(Value::as_str)
    {
        return q.to_owned();
    }
    String::from_utf8_lossy(body).into_owned()
}

/// DQL queries: `schema {}` answers the predicates and types (what the CLI's `drop -l` reads,
/// spec §7); other DQL is not emulated.
async fn query(authed: Authed, body: Bytes) -> Response {
    let text = dql_text(&body);
    if text.trim_start().starts_with("schema") {
        let d = &authed.backend.deployment;
        let nodes = match authed.backend.cerebro.store.nodes(&d.uid).await {
            Ok(n) => n,
            Err(e) => return internal(e),
        };
        return axum::Json(export::schema_response(d.gql_schema.as_deref(), &nodes))
            .into_response();
    }
    error(
        StatusCode::BAD_REQUEST,
        "offcloud answers only `schema {}` DQL queries",
    )
}

/// JSON mutations: `{"set": object | [objects]}` stores the objects as the backend's data.
async fn mutate(authed: Authed, body: Bytes) -> Response {
    let d = &authed.backend.deployment;
    if d.deployment_mode == "readonly" {
        return error(
            StatusCode::BAD_REQUEST,
            "mutations are not allowed: the backend is in read-only mode",
        );
    }
    let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(&body) else {
        return error(
            StatusCode::BAD_REQUEST,
            "the body must be a JSON object with `set`",
        );
    };
    let objects = match body.get("set") {
        Some(Value::Array(items)) => items.clone(),
        Some(Value::Object(o)) => vec![Value::Object(o.clone())],
        _ => {
            return error(
                StatusCode::BAD_REQUEST,
                "the body must be a JSON object with `set`",
            );
        }
    };
    if objects.iter().any(|o| !o.is_object()) {
        return error(StatusCode::BAD_REQUEST, "`set` must hold JSON objects");
    }
    let nodes: Vec<String> = objects.iter().map(Value::to_string).collect();
    if let Err(e) = authed
        .backend
        .cerebro
        .store
        .insert_nodes(&d.uid, &nodes)
        .await
    {
        return internal(e);
    }
    axum::Json(json!({"data": {"code": "Success", "message": "Done", "queries": null, "uids": {}}}))
        .into_response()
}

async fn commit(_authed: Authed) -> Response {
    axum::Json(json!({"data": {"code": "Success", "message": "Done"}})).into_response()
}

/// `/alter` (admin): `{"drop_all": true}` and `{"drop_op": "DATA"}`; a DQL schema change only in
/// flexible mode, where the GraphQL schema does not own the DQL schema (spec §5.2).
async fn alter(authed: Authed, body: Bytes) -> Response {
    if let Some(refused) = authed.refuse_unless_admin() {
        return refused;
    }
    let store = &authed.backend.cerebro.store;
    let d = &authed.backend.deployment;
    let op = serde_json::from_slice::<Value>(&body).ok();
    let drop_all = op.as_ref().and_then(|v| v.get("drop_all")) == Some(&Value::Bool(true));
    let drop_data = op
        .as_ref()
        .and_then(|v| v.get("drop_op"))
        .and_then(Value::as_str)
        == Some("DATA");
    let done = if drop_all || drop_data {
        store.drop_all(&d.uid, drop_all).await
    } else if d.deployment_mode != "flexible" {
        return error(
            StatusCode::BAD_REQUEST,
            "schema alterations through /alter are only allowed in flexible mode",
        );
    } else {
        Ok(())
    };
    match done {
        Ok(()) => {
            axum::Json(json!({"data": {"code": "Success", "message": "Done"}})).into_response()
        }
        Err(e) => internal(e),
    }
}

/// Metrics of dedicated backends, admin key in `X-Auth-Token` (spec §3.2).
async fn prometheus(authed: Authed) -> Response {
    if let Some(refused) = authed.refuse_unless_admin() {
        return refused;
    }
    let d = &authed.backend.deployment;
    if !d.is_dedicated() {
        return error(
            StatusCode::NOT_FOUND,
            "metrics are only available on dedicated backends",
        );
    }
    let nodes = match authed.backend.cerebro.store.nodes(&d.uid).await {
        Ok(n) => n.len(),
        Err(e) => return internal(e),
    };
    let body = format!(
        "# HELP dgraph_num_nodes Objects stored in the backend.\n# TYPE dgraph_num_nodes gauge\ndgraph_num_nodes {nodes}\n"
    );
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response()
}

/// An export file through its signed URL: no auth, the token is the permission (spec §6.2).
async fn export_file(
    State(state): State<AppState>,
    Path((token, file)): Path<(String, String)>,
    axum::Extension(session): axum::Extension<SessionName>,
) -> Response {
    let session = match state.sessions.get(&session).await {
        Ok(s) => s,
        Err(e) => return internal(e),
    };
    let key = match session.signing_key(EXPORT_KEY).await {
        Ok(k) => k,
        Err(e) => return internal(e),
    };
    let now = session.clock().unix_seconds();
    let Some(claims) = jwt::verify::<ExportUrlClaims>(&token, &key, now) else {
        return error(
            StatusCode::FORBIDDEN,
            "the signed URL is invalid or expired",
        );
    };
    match Store::new(session).export_file(&claims.task, &file).await {
        Ok(Some(content)) => (
            [
                (header::CONTENT_TYPE, "application/gzip".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{file}\""),
                ),
            ],
            Body::from(content),
        )
            .into_response(),
        Ok(None) => error(StatusCode::NOT_FOUND, "no such export file"),
        Err(e) => internal(e),
    }
}

/// A wrong method gets Dgraph's error shape rather than axum's empty 405.
async fn method_not_allowed(response: Response) -> Response {
    if response.status() != StatusCode::METHOD_NOT_ALLOWED
        || response.headers().contains_key(header::CONTENT_TYPE)
    {
        return response;
    }
    let (parts, _) = response.into_parts();
    let mut answer = error(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed");
    if let Some(allow) = parts.headers.get(header::ALLOW) {
        answer.headers_mut().insert(header::ALLOW, allow.clone());
    }
    answer
}
