//! offcloud's integration tests: one binary (it links once), one module per area.

mod binary;
mod caches;
mod control_apidocs;
mod control_clock;
mod control_faults;
mod control_fixtures;
mod control_journal;
mod control_reset;
mod control_sessions;
mod control_state;
mod dgraph;
mod docker;
mod error_shapes;
mod hasura;
mod layering;
mod memgraph_accounts;
mod memgraph_errors;
mod memgraph_memory;
mod memgraph_roles;
mod memgraph_sdk;
mod persistence;
mod sessions;
mod state_property;
mod support;
mod tls;
mod typedb;
