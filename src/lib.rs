//! offcloud: one binary that plays four cloud control-plane APIs offline (see docs/design.md).
//!
//! [`Server::bind`] builds the application from a [`Config`]; `main.rs` only parses the command
//! line and waits for a signal, and the integration tests start the same server on free ports.

pub mod apidocs;
pub mod auth;
pub mod clip;
pub mod clock;
pub mod config;
pub mod contract;
pub mod control;
pub mod control_error;
pub mod db;
pub mod dgraph;
pub mod error;
pub mod fixture;
pub mod flags;
pub mod graphql_limits;
pub mod hasura;
pub mod healthcheck;
pub mod idle;
pub mod memgraph;
pub mod routing;
pub mod secrets;
pub mod server;
pub mod service;
pub mod services;
pub mod session;
pub mod snapshot;
pub mod tls;
pub mod typedb;

use std::net::SocketAddr;
use std::sync::Arc;

pub use config::Config;
pub use server::{ListenerInfo, Server};

/// What every handler can reach. Per-request state (the session) comes from the request.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub sessions: session::Sessions,
    pub listeners: Arc<Vec<ListenerInfo>>,
    /// The emulated services (`services::all`), with what each shares across sessions.
    pub services: service::Services,
    /// Every request to an emulated service, in memory (`/_offcloud/requests`).
    pub journal: Arc<control::journal::Journal>,
    /// Fault rules, per session (`/_offcloud/faults`).
    pub faults: Arc<control::faults::Faults>,
    /// The HTTPS listener's certificate and settings, when `--tls-port` is on (Dgraph backends'
    /// ports then answer HTTPS too).
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// Fixtures loaded at start and posted per session (`/_offcloud/fixtures`).
    pub fixtures: Arc<control::fixtures::Fixtures>,
    /// Per session: the operations called and the contract violations (`/_offcloud/coverage`,
    /// `/_offcloud/contract/violations`).
    pub contract: Arc<contract::Contracts>,
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("configuration: {0}")]
    Config(String),
    #[error("cannot listen on {0}: {1}")]
    Bind(SocketAddr, std::io::Error),
    #[error("invalid fixtures: {0}")]
    Fixtures(String),
    #[error("cannot open the database: {0}")]
    Database(error::Internal),
    #[error("cannot load the state file {0}: {1}")]
    StateFile(std::path::PathBuf, String),
}
