//! A backend's data plane (docs/spec/dgraph.md §5–§7): `/admin`, `/admin/slash`, `/graphql`,
//! `/query`, `/mutate`, `/commit`, `/alter`, `/prometheus`, and the export files its signed URLs
//! name. Which backend a request is for comes with it (its own port, its Host header or a
//! `/backends/<subdomain>` path: see `mod.rs`); who may call is in the extractors (`auth.rs`).

use axum::Router;
use axum::body::Body as ResponseBody;
use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json};
use serde_json::{Value, json};

use crate::AppState;
use crate::auth::jwt;
use crate::dgraph::Dgraph;
use crate::dgraph::auth::{Admin, Backend, Client};
use crate::dgraph::error::{ApiError, BackendError, BackendShape};
use crate::dgraph::export;
use crate::dgraph::extract::{Body, ExportFile};
use crate::dgraph::graphql;
use crate::dgraph::model::ExportUrlClaims;
use crate::dgraph::schema::DataPlane;
use crate::dgraph::service::EXPORT_KEY;
use crate::dgraph::store::Store;
use crate::dgraph::userapi;
use crate::session::SessionName;

type Answer = Result<Json<Value>, BackendError>;

/// The label of the data plane's routes for the contract checks (see `Dgraph::graphql_endpoints`).
pub const ROUTES: &str = "dgraph-backend";

/// The data plane's routes; the backend comes with each request as a `BackendRef`.
pub fn router(state: AppState) -> Router {
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
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed);
    crate::contract::routes(router, ROUTES).with_state(state)
}

async fn not_found() -> BackendError {
    ApiError::NoRoute.into()
}

async fn method_not_allowed() -> BackendError {
    ApiError::MethodNotAllowed.into()
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

/// `/admin` or `/admin/slash`: the request, within the document limits, run on the backend.
async fn run_admin<Q, M>(
    state: &AppState,
    schema: &async_graphql::Schema<Q, M, async_graphql::EmptySubscription>,
    backend: Backend,
    headers: &HeaderMap,
    routed_path: &str,
    original: &OriginalUri,
    body: &Body<BackendShape>,
) -> Result<Json<async_graphql::Response>, BackendError>
where
    Q: async_graphql::ObjectType + 'static,
    M: async_graphql::ObjectType + 'static,
{
    let request = graphql::read(headers, &body.bytes, &state.config.graphql)?;
    let plane = DataPlane {
        cerebro: backend.cerebro,
        deployment: backend.deployment,
        base_url: base_url(headers, original, routed_path),
        access_token: headers
            .get("x-dgraph-accesstoken")
            .and_then(|v| v.to_str().ok())
            .map(|v| v.trim().to_owned()),
    };
    let request = request.data(plane).data(state.config.graphql.clone());
    Ok(Json(graphql::execute(schema, request).await))
}

async fn admin(
    State(state): State<AppState>,
    original: OriginalUri,
    headers: HeaderMap,
    Admin(backend): Admin,
    body: Body<BackendShape>,
) -> Result<Json<async_graphql::Response>, BackendError> {
    let schema = &Dgraph::of(&state).schemas().admin;
    run_admin(
        &state, schema, backend, &headers, "/admin", &original, &body,
    )
    .await
}

async fn slash(
    State(state): State<AppState>,
    original: OriginalUri,
    headers: HeaderMap,
    Admin(backend): Admin,
    body: Body<BackendShape>,
) -> Result<Json<async_graphql::Response>, BackendError> {
    let schema = &Dgraph::of(&state).schemas().slash;
    run_admin(
        &state,
        schema,
        backend,
        &headers,
        "/admin/slash",
        &original,
        &body,
    )
    .await
}

/// The CLI's readiness probe (docs/spec/dgraph.md §7): 200 once the backend is ready.
async fn ready_probe(_backend: Backend) -> StatusCode {
    StatusCode::OK
}

/// The user's GraphQL API. Without a schema, Dgraph's own error (docs/spec/dgraph.md §9.1); with
/// one, the small part of the generated API that `userapi.rs` emulates.
async fn user_graphql(
    State(state): State<AppState>,
    Client(backend): Client,
    headers: HeaderMap,
    body: Body<BackendShape>,
) -> Answer {
    let mut request = graphql::read(&headers, &body.bytes, &state.config.graphql)?;
    let d = &backend.deployment;
    let Some(sdl) = d.gql_schema.as_deref() else {
        let field = graphql::top_level_fields(&mut request)
            .into_iter()
            .next()
            .unwrap_or_default();
        let message = format!(
            "Not resolving {field}. There's no GraphQL schema in Dgraph.  Use the /admin API to add a GraphQL schema"
        );
        return Ok(Json(
            json!({"errors": [{"message": message}], "data": null}),
        ));
    };
    let read_only = d.deployment_mode == "readonly";
    let store = &backend.cerebro.store;
    Ok(Json(
        userapi::execute(store, &d.uid, sdl, read_only, &mut request).await?,
    ))
}

/// The DQL text of a `/query` body: JSON `{"query": ...}` or the raw text.
fn dql_text(body: &[u8]) -> String {
    if let Ok(v) = serde_json::from_slice::<Value>(body)
        && let Some(q) = v.get("query").and_then(Value::as_str)
    {
        return q.to_owned();
    }
    String::from_utf8_lossy(body).into_owned()
}

/// DQL queries: `schema {}` answers the predicates and types (what the CLI's `drop -l` reads,
/// docs/spec/dgraph.md §7); other DQL is not emulated.
async fn query(Client(backend): Client, body: Body<BackendShape>) -> Answer {
    let text = dql_text(&body.bytes);
    if !text.trim_start().starts_with("schema") {
        return Err(ApiError::invalid("offcloud answers only `schema {}` DQL queries").into());
    }
    let d = &backend.deployment;
    let nodes = backend.cerebro.store.nodes(&d.uid).await?;
    Ok(Json(export::schema_response(
        d.gql_schema.as_deref(),
        &nodes,
    )))
}

/// JSON mutations: `{"set": object | [objects]}` stores the objects as the backend's data.
async fn mutate(Client(backend): Client, body: Body<BackendShape>) -> Answer {
    let d = &backend.deployment;
    if d.deployment_mode == "readonly" {
        return Err(ApiError::invalid(
            "mutations are not allowed: the backend is in read-only mode",
        )
        .into());
    }
    let no_set = || ApiError::invalid("the body must be a JSON object with `set`");
    let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(&body.bytes) else {
        return Err(no_set().into());
    };
    let objects = match body.get("set") {
        Some(Value::Array(items)) => items.clone(),
        Some(Value::Object(o)) => vec![Value::Object(o.clone())],
        _ => return Err(no_set().into()),
    };
    if objects.iter().any(|o| !o.is_object()) {
        return Err(ApiError::invalid("`set` must hold JSON objects").into());
    }
    let nodes: Vec<String> = objects.iter().map(Value::to_string).collect();
    backend.cerebro.store.insert_nodes(&d.uid, &nodes).await?;
    Ok(Json(
        json!({"data": {"code": "Success", "message": "Done", "queries": null, "uids": {}}}),
    ))
}

async fn commit(_caller: Client) -> Json<Value> {
    Json(json!({"data": {"code": "Success", "message": "Done"}}))
}

/// `/alter` (admin): `{"drop_all": true}` and `{"drop_op": "DATA"}`; a DQL schema change only in
/// flexible mode, where the GraphQL schema does not own the DQL schema (docs/spec/dgraph.md §5.2).
async fn alter(Admin(backend): Admin, body: Body<BackendShape>) -> Answer {
    let d = &backend.deployment;
    let op = serde_json::from_slice::<Value>(&body.bytes).ok();
    let drop_all = op.as_ref().and_then(|v| v.get("drop_all")) == Some(&Value::Bool(true));
    let drop_data = op
        .as_ref()
        .and_then(|v| v.get("drop_op"))
        .and_then(Value::as_str)
        == Some("DATA");
    if drop_all || drop_data {
        backend.cerebro.store.drop_all(&d.uid, drop_all).await?;
    } else if d.deployment_mode != "flexible" {
        return Err(ApiError::invalid(
            "schema alterations through /alter are only allowed in flexible mode",
        )
        .into());
    }
    Ok(Json(
        json!({"data": {"code": "Success", "message": "Done"}}),
    ))
}

/// Metrics of dedicated backends, admin key in `X-Auth-Token` (docs/spec/dgraph.md §3.2).
async fn prometheus(Admin(backend): Admin) -> Result<Response, BackendError> {
    let d = &backend.deployment;
    if !d.is_dedicated() {
        return Err(ApiError::not_found("metrics are only available on dedicated backends").into());
    }
    let nodes = backend.cerebro.store.node_count(&d.uid).await?;
    let body = format!(
        "# HELP dgraph_num_nodes Objects stored in the backend.\n# TYPE dgraph_num_nodes gauge\ndgraph_num_nodes {nodes}\n"
    );
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response())
}

/// An export file through its signed URL: no auth, the token is the permission
/// (docs/spec/dgraph.md §6.2).
async fn export_file(
    State(state): State<AppState>,
    Extension(session): Extension<SessionName>,
    ExportFile { token, file }: ExportFile,
) -> Result<Response, BackendError> {
    let session = state.sessions.get(&session).await?;
    let key = session.signing_key(EXPORT_KEY).await?;
    let now = session.clock().unix_seconds();
    let claims = jwt::verify::<ExportUrlClaims>(&token, &key, now)
        .ok_or_else(|| ApiError::Forbidden("the signed URL is invalid or expired".into()))?;
    let content = Store::new(session)
        .export_file(&claims.task, &file)
        .await?
        .ok_or_else(|| ApiError::not_found("no such export file"))?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/gzip".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ),
        ],
        ResponseBody::from(content),
    )
        .into_response())
}
