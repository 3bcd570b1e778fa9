//! Hasura Cloud's management API (GraphQL at `data.pro.hasura.io/v1/graphql`). Spec:
//! `shared/spec/hasura.md`. One endpoint, `POST /v1/graphql`, answered by a small Hasura-style
//! engine ([`engine`]) over the caller's visible rows ([`store::Store::world`]) and the business
//! actions ([`actions`]); every GraphQL-level error is HTTP 200 in Hasura's envelope ([`error`]).

pub(crate) mod actions;
mod engine;
mod error;
mod execute;
mod fixtures;
mod introspection;
mod registration;
mod routes;
mod schema;
pub(crate) mod seeds;
pub(crate) mod store;

use axum::Router;
use axum::routing::post;

use crate::AppState;
use crate::flags::{PortSetting, Ttl};

pub use registration::Hasura;

/// This service's flags, flattened into the command line (`--hasura-*`, `OFFCLOUD_HASURA_*`).
#[derive(Debug, Clone, clap::Args, serde::Serialize)]
#[group(id = "hasura_settings")]
pub struct Settings {
    /// Hasura Cloud listener, serving the Hasura API at the root (0 = any free port, `off` = disabled).
    #[arg(
        id = "hasura_port",
        long = "hasura-port",
        value_name = "HASURA_PORT",
        env = "OFFCLOUD_HASURA_PORT",
        default_value = "4603",
        global = true
    )]
    #[serde(skip)]
    pub port: PortSetting,

    /// Hasura: how a project's `endpoint` is formed; `{name}` is replaced by the project name
    /// (spec §2.5: the real form of this field is not published).
    #[arg(
        id = "hasura_endpoint",
        long = "hasura-endpoint",
        env = "OFFCLOUD_HASURA_ENDPOINT",
        default_value = "https://{name}.hasura.app/v1/graphql",
        global = true
    )]
    pub endpoint: String,

    /// Hasura: the domain under which each tenant gets its subdomain (`<slug>.<domain>`).
    #[arg(
        id = "hasura_app_domain",
        long = "hasura-app-domain",
        env = "OFFCLOUD_HASURA_APP_DOMAIN",
        default_value = "hasura.app",
        global = true
    )]
    pub app_domain: String,

    /// Hasura: how long a preview app's creation job runs before it succeeds (0 = at once).
    #[arg(
        id = "hasura_preview_app_creation_time",
        long = "hasura-preview-app-creation-time",
        env = "OFFCLOUD_HASURA_PREVIEW_APP_CREATION_TIME",
        default_value = "10s",
        global = true
    )]
    pub preview_app_creation_time: Ttl,

    /// Hasura: how long each task of a preview app's deployment job runs (0 = at once).
    #[arg(
        id = "hasura_preview_app_task_time",
        long = "hasura-preview-app-task-time",
        env = "OFFCLOUD_HASURA_PREVIEW_APP_TASK_TIME",
        default_value = "2s",
        global = true
    )]
    pub preview_app_task_time: Ttl,

    /// Hasura: answer an `updateTenantEnv` that changes nothing with an error, as the real
    /// service appears to (spec §6.6, inferred from Infisical).
    #[arg(
        id = "hasura_reject_unchanged_env",
        long = "hasura-reject-unchanged-env",
        env = "OFFCLOUD_HASURA_REJECT_UNCHANGED_ENV",
        global = true
    )]
    pub reject_unchanged_env: bool,
}

impl Settings {
    /// Durations `--lifecycle` sets, by argument id.
    pub fn lifecycle_durations(&mut self) -> Vec<(&'static str, &mut Ttl)> {
        vec![
            (
                "hasura_preview_app_creation_time",
                &mut self.preview_app_creation_time,
            ),
            (
                "hasura_preview_app_task_time",
                &mut self.preview_app_task_time,
            ),
        ]
    }

    pub fn endpoint(&self, name: &str) -> String {
        self.endpoint.replace("{name}", name)
    }

    pub fn fqdn(&self, slug: &str) -> String {
        format!("{slug}.{}", self.app_domain)
    }
}

/// The GraphQL schema the service answers, in SDL (`/_offcloud/schema/hasura.graphql`).
pub fn sdl() -> Option<String> {
    introspection::sdl()
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route(
            "/v1/graphql",
            post(routes::graphql).get(routes::graphql_get),
        )
        .fallback(routes::not_found)
        .method_not_allowed_fallback(routes::method_not_allowed)
        .with_state(state)
}

/// Provisioning routes under `/_offcloud/hasura` (SPEC.md, "The emulator's own control API").
pub fn control_router() -> Router<AppState> {
    Router::new()
        .route("/users", post(routes::create_user))
        .route("/preview-app-outcomes", post(routes::set_preview_outcome))
}
