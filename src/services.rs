//! The registry: the one place that lists the emulated services. Everything else in the core
//! (routing, the control API, the configuration, the server) loops over [`all`] and names none.
//!
//! A service is a folder, `src/<service>/`, whose `registration.rs` implements
//! [`crate::service::Service`]: its name, real host names, listener port, router, error shape for
//! a bare status, provisioning routes under `/_offcloud/<service>`, API descriptions, settings
//! (as `/_offcloud/info` shows them, and its `--lifecycle` durations), fixture section, and the
//! hooks it needs when a session is reset, dropped or imported. What its sessions share lives in
//! its value here. Adding one takes a line in [`all`] and its flags' line in [`Settings`].

use std::sync::Arc;

use crate::service::Services;

/// Every service's flags, flattened into the command line (`--<service>-*`,
/// `OFFCLOUD_<SERVICE>_*`).
#[derive(Debug, Clone, clap::Args)]
pub struct Settings {
    #[command(flatten)]
    pub memgraph: crate::memgraph::Settings,

    #[command(flatten)]
    pub typedb: crate::typedb::Settings,

    #[command(flatten)]
    pub hasura: crate::hasura::Settings,

    #[command(flatten)]
    pub dgraph: crate::dgraph::Settings,
}

/// The services, fresh (with nothing shared yet), in the order everything lists them.
pub fn all() -> Services {
    Services::new(vec![
        Arc::new(crate::memgraph::Memgraph::default()),
        Arc::new(crate::typedb::Typedb),
        Arc::new(crate::hasura::Hasura),
        Arc::new(crate::dgraph::Dgraph::default()),
    ])
}
