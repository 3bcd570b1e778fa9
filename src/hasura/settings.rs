//! Hasura's flags, flattened into the command line (`--hasura-*`, `OFFCLOUD_HASURA_*`).

use crate::flags::{PortSetting, Ttl};

/// This service's flags.
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
    /// (the real form of this field is not published).
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
    /// service appears to (inferred from Infisical).
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

    /// A project's `endpoint` (docs/spec/hasura.md §2.5).
    pub fn endpoint(&self, name: &str) -> String {
        self.endpoint.replace("{name}", name)
    }

    /// A tenant's `fqdn`: its slug under the app domain.
    pub fn fqdn(&self, slug: &str) -> String {
        format!("{slug}.{}", self.app_domain)
    }
}
