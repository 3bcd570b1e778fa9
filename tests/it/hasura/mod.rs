//! Integration tests of hasura: one submodule per area.

mod auth;
mod client;
mod collaborators;
mod env;
mod errors;
mod gql_client;
mod hostile;
mod preview_apps;
mod projects;
mod replays;
mod schema;
