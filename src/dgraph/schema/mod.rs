//! Dgraph's GraphQL APIs as async-graphql schemas: Cerebro's (`cerebro.rs`, docs/spec/dgraph.md
//! §4), a backend's `/admin` (`admin.rs`, §5) and its `/admin/slash` (`slash.rs`, §6). They are
//! built once per process ([`Schemas`], kept in the registered `Dgraph`) and shared by every
//! listener, session and backend.

pub mod admin;
pub mod cerebro;
pub mod slash;

use std::any::Any;

use async_graphql::{Context, EmptySubscription, Schema};

use super::error::{ApiError, Result};
use super::model::Deployment;
use super::service::Cerebro;
use crate::error::Internal;

pub type CerebroSchema = Schema<cerebro::Query, cerebro::Mutation, EmptySubscription>;
pub type AdminSchema = Schema<admin::AdminQuery, admin::AdminMutation, EmptySubscription>;
pub type SlashSchema = Schema<slash::SlashQuery, slash::SlashMutation, EmptySubscription>;

pub struct Schemas {
    pub cerebro: CerebroSchema,
    pub admin: AdminSchema,
    pub slash: SlashSchema,
}

impl Schemas {
    pub fn build() -> Schemas {
        Schemas {
            cerebro: Schema::build(cerebro::Query, cerebro::Mutation, EmptySubscription).finish(),
            admin: Schema::build(admin::AdminQuery, admin::AdminMutation, EmptySubscription)
                .finish(),
            slash: Schema::build(slash::SlashQuery, slash::SlashMutation, EmptySubscription)
                .finish(),
        }
    }
}

/// What a data-plane resolver works on: the deployment, and where its export files are served.
pub struct DataPlane {
    pub cerebro: Cerebro,
    pub deployment: Deployment,
    /// `http://host[/prefix]`: the origin (and front-door prefix) the request came through.
    pub base_url: String,
    /// The Dgraph ACL token in `X-Dgraph-AccessToken`, if any (docs/spec/dgraph.md §3.1).
    pub access_token: Option<String>,
}

/// Data the HTTP handler put in the request; missing only by a bug of ours.
pub fn data<'a, T: Any + Send + Sync>(ctx: &'a Context<'_>) -> Result<&'a T> {
    ctx.data::<T>().map_err(|e| {
        ApiError::Internal(Internal::msg(format!(
            "GraphQL request data missing: {}",
            e.message
        )))
    })
}
