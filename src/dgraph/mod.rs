//! Dgraph Cloud: the Cerebro control plane and each deployment's data plane. Spec:
//! `shared/spec/dgraph.md`.
//!
//! One origin serves Cerebro's GraphQL (`/graphql`) and the CLI's REST routes (spec §11, choice 1).
//! A request is for a backend's data plane instead when it comes to the backend's own port
//! (`backends.rs`), carries a backend host name (`<subdomain>.<zone>.aws.cloud.dgraph.io`,
//! `<subdomain>.dgraph.localhost`), or a `/backends/<subdomain>/` path prefix.

mod admin;
mod backends;
mod cerebro;
mod dataplane;
mod export;
mod fixtures;
mod graphql;
pub(crate) mod model;
mod openapi;
mod registration;
mod rest;
pub(crate) mod service;
mod settings;
mod slash;
pub(crate) mod store;
mod userapi;

use std::convert::Infallible;
use std::sync::Arc;

use axum::Router;
use axum::extract::Request;
use axum::http::uri::PathAndQuery;
use axum::http::{Uri, header};
use axum::routing::{MethodRouter, patch, post};
use tower::ServiceExt;

use crate::AppState;
use dataplane::BackendRef;

pub use registration::Dgraph;
use registration::NAME;
pub use settings::{PortRange, Settings};

/// Dgraph's GraphQL APIs: Cerebro, and a deployment's `/admin` and `/admin/slash`.
#[derive(Debug, Clone, Copy)]
pub enum GraphqlApi {
    Cerebro,
    Admin,
    Slash,
}

/// The schema of one of them in SDL (`/_offcloud/schema/dgraph*.graphql`).
pub fn sdl(api: GraphqlApi) -> String {
    match api {
        GraphqlApi::Cerebro => cerebro::schema().sdl(),
        GraphqlApi::Admin => admin::admin_schema().sdl(),
        GraphqlApi::Slash => admin::slash_schema().sdl(),
    }
}

/// The path prefix that reaches a backend's data plane on the Dgraph listener or under `/dgraph`
/// on the main port: `/backends/<subdomain>/admin` (an emulator choice; the real service has one
/// host per backend).
const BACKEND_PATH_PREFIX: &str = "/backends/";

/// The control plane's routes, in one table: the router is built from it, and the OpenAPI
/// coverage test reads its paths.
fn rest_routes() -> Vec<(&'static str, MethodRouter<AppState>)> {
    vec![
        ("/graphql", post(rest::graphql)),
        ("/command-line/device-code", post(rest::device_code)),
        ("/command-line/access-token", post(rest::access_token)),
        ("/command-line/access-token/refresh", post(rest::refresh)),
        ("/command-line/access-token/revoke", post(rest::revoke)),
        (
            "/command-line/access-token/revoke-all",
            post(rest::revoke_all),
        ),
        ("/deployments/create", post(rest::create_deployment)),
        (
            "/deployment/{uid}",
            patch(rest::update_deployment).delete(rest::delete_deployment),
        ),
        ("/deployments/{uid}/api-keys", post(rest::create_api_key)),
    ]
}

/// The control plane's paths, as templates (`/deployment/{uid}`).
pub fn rest_route_templates() -> Vec<&'static str> {
    rest_routes().into_iter().map(|(path, _)| path).collect()
}

/// The OpenAPI document of the control plane's routes (`/_offcloud/openapi/dgraph.json`).
pub fn openapi() -> utoipa::openapi::OpenApi {
    openapi::document()
}

pub fn router(state: AppState) -> Router {
    let schema = Arc::new(cerebro::schema());
    let mut control_plane = Router::new();
    for (path, methods) in rest_routes() {
        control_plane = control_plane.route(path, methods);
    }
    let control_plane = control_plane.fallback(rest::not_found);
    // Checked against the descriptions here, where the routes are: the front door's layer sees
    // only the dispatch below.
    let control_plane = crate::contract::routes(control_plane, NAME)
        .layer(axum::Extension(schema))
        .layer(axum::middleware::map_response(rest::method_not_allowed))
        .with_state(state.clone());
    let data_plane = dataplane::router(state);
    Router::new().fallback_service(tower::service_fn(move |req: Request| {
        let control_plane = control_plane.clone();
        let data_plane = data_plane.clone();
        async move { Ok::<_, Infallible>(dispatch(control_plane, data_plane, req).await) }
    }))
}

async fn dispatch(
    control_plane: Router,
    data_plane: Router,
    mut req: Request,
) -> axum::response::Response {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(|h| h.split(':').next().unwrap_or(h).to_ascii_lowercase());
    if let Some(sub) = host.as_deref().and_then(backend_of_host) {
        req.extensions_mut()
            .insert(BackendRef::Subdomain(sub.to_owned()));
        return serve(data_plane, req).await;
    }
    if let Some(after) = req.uri().path().strip_prefix(BACKEND_PATH_PREFIX) {
        let (sub, rest) = after.split_at(after.find('/').unwrap_or(after.len()));
        let rest = if rest.is_empty() { "/" } else { rest };
        let new_uri = match req.uri().query() {
            Some(q) => format!("{rest}?{q}"),
            None => rest.to_owned(),
        };
        let backend = BackendRef::Subdomain(sub.to_owned());
        if let Ok(pq) = PathAndQuery::try_from(new_uri) {
            *req.uri_mut() = Uri::from(pq);
            req.extensions_mut().insert(backend);
            return serve(data_plane, req).await;
        }
    }
    serve(control_plane, req).await
}

async fn serve(router: Router, req: Request) -> axum::response::Response {
    match router.oneshot(req).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

/// The subdomain in a backend host name: `<sub>.<zone>.aws.cloud.dgraph.io` (spec §9.2) or
/// `<sub>.dgraph.localhost`.
fn backend_of_host(host: &str) -> Option<&str> {
    let host = host.trim_end_matches('.');
    if let Some(rest) = host.strip_suffix(".aws.cloud.dgraph.io") {
        let (sub, zone) = rest.split_once('.')?;
        return (!sub.is_empty() && !zone.is_empty() && !zone.contains('.')).then_some(sub);
    }
    let sub = host.strip_suffix(".dgraph.localhost")?;
    (!sub.is_empty() && !sub.contains('.')).then_some(sub)
}

/// Provisioning routes under `/_offcloud/dgraph` (SPEC.md, "The emulator's own control API").
pub fn control_router() -> Router<AppState> {
    Router::new().route("/accounts", post(rest::create_account))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_hosts_name_their_subdomain() {
        assert_eq!(
            backend_of_host("polished-violet.us-east-1.aws.cloud.dgraph.io"),
            Some("polished-violet")
        );
        assert_eq!(backend_of_host("lively.dgraph.localhost"), Some("lively"));
        assert_eq!(backend_of_host("cerebro.cloud.dgraph.io"), None);
        assert_eq!(backend_of_host("dgraph.localhost"), None);
        assert_eq!(backend_of_host("localhost"), None);
    }
}
