//! Who may call what, as extractors: a handler's signature says it. On the control plane, the
//! Cerebro token in `Authorization: Bearer` ([`Signed`] requires one, [`GraphqlCaller`] takes
//! one when there is one); on a backend's data plane, the backend itself ([`Backend`]: it exists
//! and is ready) and the role its caller proved ([`Client`]: any key or the backend's JWT;
//! [`Admin`]: an admin key or the JWT), docs/spec/dgraph.md §3.
//!
//! Where secrets are issued and verified (for the core's journal redaction): Cerebro passwords
//! are verified in `schema/cerebro.rs` (`login`, inline or in a variable) and hashed in
//! `routes/control.rs`; Cerebro tokens are issued in `service.rs` (`issue_token`, for `login` and
//! the CLI) and verified here; CLI device codes and refresh tokens are issued and verified in
//! `routes/cli.rs`; API keys are issued there too (`create_api_key`, in its answer) and verified
//! here, as is the deployment's `jwtToken`, signed in `service.rs`; ACL tokens and the ACL
//! password in `schema/admin.rs`; export URL tokens are signed in `schema/slash.rs` and verified
//! in `routes/dataplane.rs`.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};

use super::BackendRef;
use super::error::{ApiError, BackendError, CerebroError, RestError};
use super::model::{Account, ApiKeyRole, Deployment, DeploymentClaims, parse_iso};
use super::service::{Cerebro, DEPLOYMENT_KEY};
use crate::AppState;
use crate::auth::{jwt, sha256_hex};
use crate::error::Internal;
use crate::session::SessionName;

/// The request's view of Dgraph, for routes anyone may call.
impl FromRequestParts<AppState> for Cerebro {
    type Rejection = RestError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, RestError> {
        Ok(Cerebro::open(state, SessionName::of(&parts.extensions)).await?)
    }
}

/// The token in `Authorization: Bearer <token>`, if any.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
        .filter(|t| !t.is_empty())
}

async fn account_of(cerebro: &Cerebro, headers: &HeaderMap) -> Result<Option<Account>, Internal> {
    match bearer(headers) {
        Some(token) => cerebro.account_of_token(token).await,
        None => Ok(None),
    }
}

/// A caller of a REST route that needs a Cerebro token: 401 without a valid one.
pub struct Signed {
    pub cerebro: Cerebro,
    pub account: Account,
}

impl FromRequestParts<AppState> for Signed {
    type Rejection = RestError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, RestError> {
        let cerebro = Cerebro::from_request_parts(parts, state).await?;
        match account_of(&cerebro, &parts.headers).await? {
            Some(account) => Ok(Signed { cerebro, account }),
            None => Err(ApiError::Unauthorized.into()),
        }
    }
}

/// A caller of Cerebro's `/graphql`: anyone (`login` needs no token); the account when the
/// bearer token is valid. The resolvers that need one refuse without it.
pub struct GraphqlCaller {
    pub cerebro: Cerebro,
    pub account: Option<Account>,
}

impl FromRequestParts<AppState> for GraphqlCaller {
    type Rejection = CerebroError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, CerebroError> {
        let cerebro = Cerebro::open(state, SessionName::of(&parts.extensions)).await?;
        let account = account_of(&cerebro, &parts.headers).await?;
        Ok(GraphqlCaller { cerebro, account })
    }
}

/// The backend a data-plane request is for, once it exists and is ready. No credentials needed:
/// the readiness probe answers anyone.
pub struct Backend {
    pub cerebro: Cerebro,
    pub deployment: Deployment,
}

impl FromRequestParts<AppState> for Backend {
    type Rejection = BackendError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, BackendError> {
        let cerebro = Cerebro::open(state, SessionName::of(&parts.extensions)).await?;
        let found = match parts.extensions.get::<BackendRef>() {
            Some(BackendRef::Uid(uid)) => cerebro.store.deployment(uid).await?,
            Some(BackendRef::Subdomain(sub)) => cerebro.store.deployment_by_subdomain(sub).await?,
            None => None,
        };
        let deployment = found.ok_or(ApiError::BackendNotFound)?;
        // Creation takes --dgraph-deployment-creation (docs/spec/dgraph.md §9.3); until then
        // nothing answers.
        if parse_iso(&deployment.ready_at).is_some_and(|ready| cerebro.now() < ready) {
            return Err(ApiError::NotReady.into());
        }
        Ok(Backend {
            cerebro,
            deployment,
        })
    }
}

/// A backend and a caller with any of its credentials: a client key, an admin key or its JWT
/// (`/graphql`, `/query`, `/mutate`, `/commit`).
pub struct Client(pub Backend);

/// A backend and a caller with an admin key or its JWT (`/admin`, `/admin/slash`, `/alter`,
/// `/prometheus`); a client key is refused.
pub struct Admin(pub Backend);

impl FromRequestParts<AppState> for Client {
    type Rejection = BackendError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, BackendError> {
        let (backend, _) = authenticate(parts, state).await?;
        Ok(Client(backend))
    }
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = BackendError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, BackendError> {
        match authenticate(parts, state).await? {
            (backend, ApiKeyRole::Admin) => Ok(Admin(backend)),
            (_, ApiKeyRole::Client) => Err(ApiError::AdminOnly.into()),
        }
    }
}

/// The backend, and the role of the first credential of the request that opens it.
async fn authenticate(
    parts: &mut Parts,
    state: &AppState,
) -> Result<(Backend, ApiKeyRole), BackendError> {
    let backend = Backend::from_request_parts(parts, state).await?;
    let candidates = credentials(&parts.headers);
    if candidates.is_empty() {
        return Err(ApiError::NoCredentials.into());
    }
    for token in candidates {
        if let Some(role) = role_of(&backend, token).await? {
            return Ok((backend, role));
        }
    }
    Err(ApiError::InvalidCredentials.into())
}

/// Tokens in `X-Auth-Token`, `Dg-Auth` (any case) and `Authorization` (raw, as the CLI sends it,
/// or `Bearer <t>`), docs/spec/dgraph.md §3.4.
fn credentials(headers: &HeaderMap) -> Vec<&str> {
    let mut out = Vec::new();
    for name in ["x-auth-token", "dg-auth", "authorization"] {
        for value in headers.get_all(name) {
            let Ok(v) = value.to_str() else { continue };
            let v = v.trim();
            let v = match v.get(..7) {
                Some(p) if p.eq_ignore_ascii_case("bearer ") => v[7..].trim(),
                _ => v,
            };
            if !v.is_empty() {
                out.push(v);
            }
        }
    }
    out
}

/// The role a token gives on the backend: its JWT acts as admin, an API key as its role.
async fn role_of(backend: &Backend, token: &str) -> Result<Option<ApiKeyRole>, Internal> {
    let session = backend.cerebro.store.session();
    let now = session.clock().unix_seconds();
    let claims = jwt::verify_in_session::<DeploymentClaims>(session, DEPLOYMENT_KEY, token)
        .await?
        .filter(|claims| claims.exp > now);
    if let Some(claims) = claims {
        return Ok((claims.deployment == backend.deployment.uid).then_some(ApiKeyRole::Admin));
    }
    backend
        .cerebro
        .store
        .api_key_role(&backend.deployment.uid, &sha256_hex(token))
        .await
}
