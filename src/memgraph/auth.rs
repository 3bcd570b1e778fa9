//! Who is calling, and may they (docs/spec/memgraph.md §5). A handler's signature says who may call
//! it: [`Caller`] for anyone authenticated, [`Authorized<R>`] for a minimum role, [`Dashboard<R>`]
//! for routes that API keys may not use (key management, users, tenant settings, export).

use std::marker::PhantomData;

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use serde::{Deserialize, Serialize};

use super::error::ApiError;
use super::model::Role;
use super::settings::ApiKeyRole;
use super::store::{DEV_TENANT_ID, Store};
use crate::AppState;
use crate::auth::{jwt, sha256_hex};
use crate::error::Internal;

/// The purpose name under which the session keeps Memgraph's JWT signing secret.
const SIGNING_KEY: &str = "memgraph.jwt";

#[derive(Debug, Clone)]
pub struct Caller {
    pub tenant_id: String,
    pub role: Role,
    pub via: Via,
}

#[derive(Debug, Clone)]
pub enum Via {
    /// A dashboard user with a bearer token.
    User { user_id: String },
    /// An `X-API-KEY`.
    ApiKey { key_id: String },
    /// Nobody, let in by development mode.
    Anonymous,
}

/// Claims of the tokens `/v1/auth/login` issues (docs/spec/memgraph.md §5.4).
#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub tenant_id: String,
    pub role: Role,
    pub email: String,
    pub iat: i64,
    pub exp: i64,
}

impl jwt::Expiring for Claims {
    fn exp(&self) -> i64 {
        self.exp
    }
}

pub async fn issue_token(store: &Store, claims: &Claims) -> Result<String, Internal> {
    let key = store.session().signing_key(SIGNING_KEY).await?;
    jwt::sign(claims, &key)
}

/// The emulator's choice for the role of an API key (docs/spec/memgraph.md §5.6): one switch,
/// `--memgraph-api-key-role`.
fn api_key_role(setting: ApiKeyRole) -> Role {
    match setting {
        ApiKeyRole::Editor => Role::Editor,
        ApiKeyRole::Admin => Role::Admin,
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    /// JWT first, then `X-API-KEY`, then development mode, else 401 (docs/spec/memgraph.md §5.3).
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(caller) = parts.extensions.get::<Caller>() {
            return Ok(caller.clone());
        }
        let store = Store::from_request_parts(parts, state).await?;
        let mut bad_token = false;
        if let Some(token) = bearer_token(parts) {
            match user_for_token(&store, token).await? {
                Some(caller) => return Ok(remember(parts, caller)),
                None => bad_token = true,
            }
        }
        if let Some(key) = parts.headers.get("x-api-key").and_then(|v| v.to_str().ok())
            && let Some(owner) = store.use_api_key(&sha256_hex(key.trim())).await?
        {
            if state.config.memgraph.rate_limit {
                let per_minute = state.config.memgraph.rate_limit_per_minute;
                let key = format!("{}\0{}", store.session().name(), owner.key_id);
                let now = store.session().clock().now();
                if let Err(retry_after) = super::Memgraph::of(state)
                    .rate_limits
                    .take(&key, per_minute, now)
                {
                    return Err(ApiError::RateLimited { retry_after });
                }
            }
            let caller = Caller {
                tenant_id: owner.tenant_id,
                role: api_key_role(state.config.memgraph.api_key_role),
                via: Via::ApiKey {
                    key_id: owner.key_id,
                },
            };
            return Ok(remember(parts, caller));
        }
        if state.config.memgraph.dev_mode {
            store.ensure_dev_tenant().await?;
            let caller = Caller {
                tenant_id: DEV_TENANT_ID.to_owned(),
                role: Role::Admin,
                via: Via::Anonymous,
            };
            return Ok(remember(parts, caller));
        }
        Err(if bad_token {
            ApiError::InvalidToken
        } else {
            ApiError::NotAuthenticated
        })
    }
}

fn remember(parts: &mut Parts, caller: Caller) -> Caller {
    parts.extensions.insert(caller.clone());
    caller
}

fn bearer_token(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// The user a token names, if it is ours, unexpired, and the user still exists and is active.
/// The role comes from the user record, so a role change applies at once: the session caches
/// the user, and every change to users forgets the cache.
async fn user_for_token(store: &Store, token: &str) -> Result<Option<Caller>, Internal> {
    let session = store.session();
    let now = session.clock().unix_seconds();
    let Some(claims) = jwt::verify_in_session::<Claims>(session, SIGNING_KEY, token)
        .await?
        .filter(|claims| claims.exp > now)
    else {
        return Ok(None);
    };
    let cache_key = format!("memgraph.user:{}\0{}", claims.tenant_id, claims.sub);
    if let Some(caller) = session.cached_principal::<Caller>(&cache_key) {
        return Ok(Some(Caller::clone(&caller)));
    }
    let version = session.principals_version();
    let user = store.user(&claims.tenant_id, &claims.sub).await?;
    let caller = user.filter(|u| u.is_active).map(|u| Caller {
        tenant_id: u.tenant_id,
        role: u.role,
        via: Via::User { user_id: u.id },
    });
    if let Some(caller) = &caller {
        session.cache_principal(version, cache_key, caller.clone());
    }
    Ok(caller)
}

/// A minimum role, as a type.
pub trait MinRole {
    const ROLE: Role;
}
pub struct Viewer;
pub struct Editor;
pub struct Admin;
impl MinRole for Viewer {
    const ROLE: Role = Role::Viewer;
}
impl MinRole for Editor {
    const ROLE: Role = Role::Editor;
}
impl MinRole for Admin {
    const ROLE: Role = Role::Admin;
}

/// Any authenticated caller whose role is at least `R`.
pub struct Authorized<R> {
    pub caller: Caller,
    role: PhantomData<R>,
}

impl<R: MinRole> FromRequestParts<AppState> for Authorized<R> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let caller = Caller::from_request_parts(parts, state).await?;
        if caller.role < R::ROLE {
            return Err(ApiError::Forbidden);
        }
        Ok(Authorized {
            caller,
            role: PhantomData,
        })
    }
}

/// A caller who is not an API key (a dashboard user, or anonymous in development mode) with at
/// least role `R`. API keys get the same 401 as no credentials at all (docs/spec/memgraph.md §5.6).
pub struct Dashboard<R> {
    pub caller: Caller,
    role: PhantomData<R>,
}

impl<R: MinRole> FromRequestParts<AppState> for Dashboard<R> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let caller = Caller::from_request_parts(parts, state).await?;
        if let Via::ApiKey { .. } = caller.via {
            return Err(ApiError::NotAuthenticated);
        }
        if caller.role < R::ROLE {
            return Err(ApiError::Forbidden);
        }
        Ok(Dashboard {
            caller,
            role: PhantomData,
        })
    }
}
