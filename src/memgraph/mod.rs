//! Memgraph, the AI-memory platform at `api.memgraph.ai` (not the graph database): a FastAPI
//! service. Spec: `docs/spec/memgraph.md`. This module holds the accounts and access part
//! (onboarding, login, API keys, users, tenant, stats, export/import), the memory API (events,
//! episodes, beliefs, context; `routes/memory.rs`) and FastAPI's router behaviour: 404
//! `{"detail":"Not Found"}`, 405 with `Allow`, 307 to drop a trailing slash (docs/spec/memgraph.md
//! §4.2).

mod auth;
mod error;
mod extract;
mod fixtures;
mod metrics;
pub(crate) mod model;
mod openapi;
mod rate_limit;
mod registration;
mod routes;
mod search;
mod settings;
pub(crate) mod store;
mod validation;

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{OriginalUri, Request};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
use serde_json::json;

use crate::AppState;
use error::detail_response;

pub use metrics::Metrics;
pub use registration::Memgraph;
pub use settings::{ApiKeyRole, Settings};

/// Every route, in one table: the router is built from it, and the trailing-slash redirect
/// consults it.
fn routes() -> Vec<(&'static str, MethodRouter<AppState>)> {
    use routes::*;
    vec![
        ("/health", get(health)),
        ("/metrics", get(metrics)),
        ("/v1/auth/onboard", post(onboard)),
        ("/v1/auth/login", post(login)),
        ("/v1/auth/me", get(me)),
        ("/v1/auth/whoami", get(whoami)),
        ("/v1/api-keys", get(list_api_keys).post(create_api_key)),
        (
            "/v1/api-keys/{key_id}",
            axum::routing::delete(revoke_api_key),
        ),
        ("/v1/users", get(list_users).post(create_user)),
        (
            "/v1/users/{user_id}",
            get(get_user).patch(update_user).delete(delete_user),
        ),
        ("/v1/tenant", get(get_tenant).patch(update_tenant)),
        ("/v1/stats", get(stats)),
        // The real method is unknown; POST is served too (docs/spec/memgraph.md §6.9, emulator
        // choice).
        ("/v1/admin/export", get(export).post(export)),
        ("/v1/admin/import", post(import)),
        // Memory (docs/spec/memgraph.md §6.3–6.6, 6.10).
        ("/v1/events", get(list_events).post(create_event)),
        ("/v1/events/{event_id}", get(get_event).delete(delete_event)),
        ("/v1/ingest", post(ingest)),
        ("/v1/episodes", get(list_episodes)),
        ("/v1/episodes/{episode_id}", get(get_episode)),
        ("/v1/dreaming/health", get(dreaming_health)),
        (
            "/v1/beliefs",
            get(list_beliefs).post(create_belief).delete(delete_beliefs),
        ),
        ("/v1/beliefs/batch", post(create_beliefs)),
        (
            "/v1/beliefs/{belief_id}",
            get(get_belief).patch(update_belief).delete(delete_belief),
        ),
        (
            "/v1/beliefs/history/{subject_id}/{key}",
            get(belief_history),
        ),
        ("/v1/beliefs/timeline/{subject_id}", get(belief_timeline)),
        ("/v2/context", post(context_v2)),
        ("/v1/context", post(context_v1)),
        ("/v1/intelligence/health", get(intelligence_health)),
        ("/v1/intelligence/contradictions", get(contradictions)),
        // Intelligence, benchmarks, sidecar, knowledge graph, decisions
        // (docs/spec/memgraph.md §7.3).
        ("/v1/intelligence/evaluate", post(evaluate)),
        ("/v1/intelligence/mcis", get(mcis)),
        ("/v1/intelligence/mcis/history", get(mcis_history)),
        ("/v1/benchmark/run", post(benchmark_run)),
        ("/v1/benchmark/scenarios", get(benchmark_scenarios)),
        ("/v1/sidecar/pre-flight", post(sidecar_pre_flight)),
        ("/v1/sidecar/post-flight", post(sidecar_post_flight)),
        ("/v1/sidecar/process", post(sidecar_process)),
        ("/v2/entities", get(list_entities).post(create_entity)),
        ("/v2/entities/search", post(search_entities)),
        (
            "/v2/entities/{entity_id}",
            get(get_entity).delete(delete_entity),
        ),
        (
            "/v2/relationships",
            get(list_relationships).post(create_relationship),
        ),
        ("/v2/graph/traverse", post(traverse_graph)),
        ("/v2/decisions", get(list_decisions).post(record_decision)),
        (
            "/v2/decisions/{decision_id}",
            get(get_decision).delete(delete_decision),
        ),
        ("/v2/decisions/{decision_id}/explain", get(explain_decision)),
        ("/v2/outcomes/record", post(record_outcome)),
        ("/v2/contradictions", get(list_contradictions)),
        (
            "/v2/contradictions/{contradiction_id}",
            axum::routing::patch(resolve_contradiction),
        ),
        ("/v2/analytics", get(analytics)),
    ]
}

/// The paths the router serves, as templates (`/v1/users/{user_id}`).
pub fn route_templates() -> Vec<&'static str> {
    routes().into_iter().map(|(path, _)| path).collect()
}

/// The OpenAPI document of the routes (`/_offcloud/openapi/memgraph.json`).
pub fn openapi() -> utoipa::openapi::OpenApi {
    openapi::document()
}

pub fn router(state: AppState) -> Router {
    let table = routes();
    let templates: Arc<[&'static str]> = table.iter().map(|(path, _)| *path).collect();
    let mut router = Router::new();
    for (path, methods) in table {
        router = router.route(path, no_implicit_head(methods, &state));
    }
    let router = router.fallback(move |req: Request| not_found(templates.clone(), req));
    // Checked against the OpenAPI document here, where the routes are (the front door's layer
    // sees only the wrapper below), inside the metrics: the two stacked as one layer, since each
    // `Router::layer` wraps every route in one more boxed route, copied at every request.
    let layers = tower::ServiceBuilder::new()
        .layer(middleware::from_fn_with_state(
            Memgraph::of(&state).metrics.clone(),
            metrics::track,
        ))
        .layer(crate::contract::check_layer("memgraph"));
    let router = router.layer(layers).with_state(state);
    // axum adds `Allow` to a 405 after the route's own layers, so the rewrite wraps the router
    // (as one service: a `Router::layer` would add a route copied at every request).
    Router::new().fallback_service(
        tower::ServiceBuilder::new()
            .layer(middleware::map_response(method_not_allowed))
            .service(router),
    )
}

/// FastAPI's `redirect_slashes`: `/v1/stats/` answers 307 to `/v1/stats` when that route
/// exists; anything else unknown is 404 `{"detail":"Not Found"}`.
async fn not_found(templates: Arc<[&'static str]>, req: Request) -> Response {
    let path = req.uri().path();
    let trimmed = path.trim_end_matches('/');
    if path.ends_with('/')
        && !trimmed.is_empty()
        && templates.iter().any(|t| matches_template(t, trimmed))
    {
        // The Location keeps whatever prefix the client used (/memgraph, /_session/NAME).
        let original = req
            .extensions()
            .get::<OriginalUri>()
            .map_or_else(|| req.uri().clone(), |o| o.0.clone());
        let original_path = original.path().trim_end_matches('/');
        let host = req
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("localhost");
        let query = original
            .query()
            .map(|q| format!("?{q}"))
            .unwrap_or_default();
        let location = format!("http://{host}{original_path}{query}");
        if let Ok(location) = HeaderValue::from_str(&location) {
            return (
                StatusCode::TEMPORARY_REDIRECT,
                [(header::LOCATION, location)],
                Body::empty(),
            )
                .into_response();
        }
    }
    detail_response(StatusCode::NOT_FOUND, json!("Not Found"))
}

/// Whether a concrete path fits a route template such as `/v1/users/{user_id}`.
fn matches_template(template: &str, path: &str) -> bool {
    let mut want = template.split('/');
    let mut have = path.split('/');
    loop {
        match (want.next(), have.next()) {
            (None, None) => return true,
            (Some(w), Some(h)) if w.starts_with('{') && !h.is_empty() => continue,
            (Some(w), Some(h)) if w == h => continue,
            _ => return false,
        }
    }
}

/// axum answers HEAD wherever there is a GET; FastAPI routes do not, so HEAD is a wrong method:
/// the route hands it to itself under a method no route has, which axum answers with its 405
/// and the route's `Allow`. (A route's own layers run after axum has picked the method, so
/// renaming the method in one would be too late.)
fn no_implicit_head(methods: MethodRouter<AppState>, state: &AppState) -> MethodRouter<AppState> {
    let unrouted = methods.clone().with_state(state.clone());
    let renamed = tower::ServiceBuilder::new()
        .map_request(|mut req: Request| {
            *req.method_mut() = Method::from_bytes(b"X-HEAD").unwrap_or(Method::TRACE);
            req
        })
        .service(unrouted);
    methods.head_service(renamed)
}

/// axum answers a wrong method with an empty 405 and an `Allow` header; FastAPI adds a body, and
/// its `Allow` never lists HEAD.
async fn method_not_allowed(response: Response) -> Response {
    if response.status() != StatusCode::METHOD_NOT_ALLOWED
        || response.headers().contains_key(header::CONTENT_TYPE)
    {
        return response;
    }
    let (parts, _) = response.into_parts();
    let mut fastapi = detail_response(StatusCode::METHOD_NOT_ALLOWED, json!("Method Not Allowed"));
    // What the route's layers found (the contract check) goes on with the answer.
    fastapi.extensions_mut().extend(parts.extensions);
    let allow = parts
        .headers
        .get(header::ALLOW)
        .and_then(|a| a.to_str().ok())
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|m| !m.is_empty() && *m != "HEAD")
        .collect::<Vec<_>>()
        .join(", ");
    if let Ok(allow) = HeaderValue::from_str(&allow) {
        fastapi.headers_mut().insert(header::ALLOW, allow);
    }
    fastapi
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_match_whole_segments() {
        assert!(matches_template("/v1/users/{user_id}", "/v1/users/abc"));
        assert!(!matches_template("/v1/users/{user_id}", "/v1/users"));
        assert!(!matches_template("/v1/users/{user_id}", "/v1/users/abc/x"));
        assert!(matches_template("/v1/stats", "/v1/stats"));
        assert!(!matches_template("/v1/stats", "/v1/statsx"));
    }
}
