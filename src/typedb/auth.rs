//! TypeDB Cloud authentication (docs/spec/typedb.md §4): client credentials in a `Basic` header are
//! exchanged for an access token, which every other call sends as `Bearer`. A handler's signature
//! says what it needs: [`Authenticated`] (any valid token) or [`Authorized<L>`] (a level, in the
//! path's space).

use std::collections::HashMap;
use std::marker::PhantomData;

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use serde::{Deserialize, Serialize};

use super::error::ApiError;
use super::model::Access;
use super::store::{Scope, Store};
use crate::AppState;
use crate::auth::{jwt, random_token, sha256_hex};

/// The purpose name under which the session keeps TypeDB's JWT signing secret.
const SIGNING_KEY: &str = "typedb.jwt";

/// Claims of the access tokens `POST /api/v1/auth` issues (emulator choice,
/// docs/spec/typedb.md §4.1). `generation` ties the token to one generation of its API token (a
/// hash of the secret's hash), so revoking and re-creating a client id does not bring old access
/// tokens back.
#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub team: String,
    pub space: String,
    pub access: Access,
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
    #[serde(default)]
    pub generation: String,
}

impl jwt::Expiring for Claims {
    fn exp(&self) -> i64 {
        self.exp
    }
}

// ---- token exchange -----------------------------------------------------------------------------

/// Client id and secret from a `Basic` header, in either form (docs/spec/typedb.md §4.2): the
/// documented raw `Basic ID:SECRET`, or RFC 7617 base64 as curl -u, requests `auth=` and reqwest
/// send. Base64 never contains `:`, so a `:` means the raw form. The split is at the first `:`, as
/// the secret may contain colons but the id may not.
pub fn basic_credentials(headers: &HeaderMap) -> Result<(String, String), ApiError> {
    let value = headers
        .get(header::AUTHORIZATION)
        .ok_or(ApiError::InvalidAuthorizationHeader(
            "Missing Authorization header",
        ))?
        .to_str()
        .map_err(|_| ApiError::InvalidAuthorizationHeader("Malformed Authorization header"))?
        .trim();
    let (scheme, credentials) = value.split_once(|c: char| c.is_ascii_whitespace()).ok_or(
        ApiError::InvalidAuthorizationHeader(
            "Authorization header must be 'Basic CLIENT_ID:CLIENT_SECRET'",
        ),
    )?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(ApiError::InvalidAuthorizationHeader(
            "Authorization header must use the Basic scheme",
        ));
    }
    let credentials = credentials.trim();
    let plain = if credentials.contains(':') {
        credentials.to_owned()
    } else {
        decode_base64(credentials).ok_or(ApiError::InvalidAuthorizationHeader(
            "Authorization header must carry CLIENT_ID:CLIENT_SECRET",
        ))?
    };
    match plain.split_once(':') {
        Some((id, secret)) => Ok((id.to_owned(), secret.to_owned())),
        None => Err(ApiError::InvalidAuthorizationHeader(
            "Authorization header must carry CLIENT_ID:CLIENT_SECRET",
        )),
    }
}

fn decode_base64(s: &str) -> Option<String> {
    [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
        .iter()
        .find_map(|engine| engine.decode(s).ok())
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .filter(|plain| plain.contains(':'))
}

/// Checks the client credentials and signs an access token for them.
pub async fn exchange(
    store: &Store,
    client_id: &str,
    secret: &str,
    ttl_seconds: i64,
) -> Result<String, ApiError> {
    let token = store
        .api_token(client_id)
        .await?
        .ok_or(ApiError::InvalidClientId)?;
    if !constant_time_eq(sha256_hex(secret).as_bytes(), token.secret_hash.as_bytes()) {
        return Err(ApiError::InvalidClientSecret);
    }
    let access = Access::parse(&token.access)
        .ok_or_else(|| crate::error::Internal::msg("stored access level is unknown"))?;
    let now = store.session().clock().unix_seconds();
    let claims = Claims {
        sub: token.client_id.clone(),
        team: token.team_id.clone(),
        space: token.space_id.clone(),
        access,
        iat: now,
        exp: now.saturating_add(ttl_seconds),
        jti: random_token(12),
        generation: token.generation(),
    };
    let key = store.session().signing_key(SIGNING_KEY).await?;
    Ok(jwt::sign(&claims, &key)?)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

// ---- bearer tokens ------------------------------------------------------------------------------

/// Any caller with a valid access token, whatever its level (`GET /api/v1/cluster-versions`).
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub scope: Scope,
    pub access: Access,
}

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = ApiError;

    /// A missing or malformed header is 400, a bad or expired token 401 (docs/spec/typedb.md §4.3).
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(caller) = parts.extensions.get::<Authenticated>() {
            return Ok(caller.clone());
        }
        let token = bearer_token(&parts.headers)?.to_owned();
        let store = Store::from_request_parts(parts, state).await?;
        // Verified first for the signature alone, so that expiry can get its own answer.
        let claims = jwt::verify_in_session::<Claims>(store.session(), SIGNING_KEY, &token)
            .await?
            .ok_or(ApiError::InvalidToken)?;
        if claims.exp <= store.session().clock().unix_seconds() {
            return Err(ApiError::TokenExpired);
        }
        // The API token must still exist, in the generation the access token was issued for.
        let bearer = store
            .api_token_of_bearer(&claims.sub)
            .await?
            .filter(|b| b.generation == claims.generation)
            .ok_or(ApiError::InvalidToken)?;
        let api_token = &bearer.token;
        let access = Access::parse(&api_token.access).ok_or(ApiError::InvalidToken)?;
        let caller = Authenticated {
            scope: Scope {
                team: api_token.team_id.clone(),
                space: api_token.space_id.clone(),
            },
            access,
        };
        parts.extensions.insert(caller.clone());
        Ok(caller)
    }
}

fn bearer_token(headers: &HeaderMap) -> Result<&str, ApiError> {
    let value = headers
        .get(header::AUTHORIZATION)
        .ok_or(ApiError::InvalidAuthorizationHeader(
            "Missing Authorization header",
        ))?
        .to_str()
        .map_err(|_| ApiError::InvalidAuthorizationHeader("Malformed Authorization header"))?
        .trim();
    let (scheme, token) = value.split_once(|c: char| c.is_ascii_whitespace()).ok_or(
        ApiError::InvalidAuthorizationHeader("Authorization header must be 'Bearer ACCESS_TOKEN'"),
    )?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(ApiError::InvalidAuthorizationHeader(
            "Authorization header must be 'Bearer ACCESS_TOKEN'",
        ));
    }
    Ok(token)
}

/// A minimum access level, as a type.
pub trait Level {
    const ACCESS: Access;
}
pub struct Read;
pub struct Write;
pub struct Admin;
impl Level for Read {
    const ACCESS: Access = Access::Read;
}
impl Level for Write {
    const ACCESS: Access = Access::Write;
}
impl Level for Admin {
    const ACCESS: Access = Access::Admin;
}

/// A caller with at least level `L` in the team and space of the path, and the path's cluster id
/// when it has one. A token for another team or space gets 403 before anything is looked up, so
/// foreign ids are never revealed (emulator choice, docs/spec/typedb.md §4.4).
pub struct Authorized<L> {
    pub scope: Scope,
    pub cluster: Option<String>,
    level: PhantomData<L>,
}

impl<L: Level> FromRequestParts<AppState> for Authorized<L> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let caller = Authenticated::from_request_parts(parts, state).await?;
        let Path(params) = Path::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::NotFound("Not found".into()))?;
        let path_scope = Scope {
            team: params.get("team").cloned().unwrap_or_default(),
            space: params.get("space").cloned().unwrap_or_default(),
        };
        if path_scope != caller.scope {
            return Err(ApiError::PermissionDenied(format!(
                "The access token has no access to team '{}' space '{}'",
                path_scope.team, path_scope.space
            )));
        }
        if caller.access < L::ACCESS {
            return Err(ApiError::PermissionDenied(format!(
                "This action requires {} access; the access token has {} access",
                L::ACCESS.as_str(),
                caller.access.as_str()
            )));
        }
        Ok(Authorized {
            scope: caller.scope,
            cluster: params.get("cluster").cloned(),
            level: PhantomData,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn parse(value: &str) -> Result<(String, String), ApiError> {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        basic_credentials(&headers)
    }

    #[test]
    fn basic_credentials_come_raw_or_in_base64() {
        let both = ("my-client-id".to_owned(), "my:secret".to_owned());
        assert_eq!(parse("Basic my-client-id:my:secret").unwrap(), both);
        assert_eq!(
            parse("basic  bXktY2xpZW50LWlkOm15OnNlY3JldA== ").unwrap(),
            both
        );
        assert_eq!(parse("Basic bXktY2xpZW50LWlkOm15OnNlY3JldA").unwrap(), both);
        assert!(
            parse("Basic bm9jb2xvbg==").is_err(),
            "no colon once decoded"
        );
        assert!(parse("Basic !!!").is_err());
        assert!(parse("Bearer a:b").is_err());
        assert!(parse("Basic").is_err());
        assert!(basic_credentials(&HeaderMap::new()).is_err());
    }
}
