//! Who is calling (docs/spec/hasura.md §2.2, §2.3): `Authorization: pat <token>`, exactly so —
//! lowercase `pat`, one space, the token. A missing, malformed or unknown token is not refused:
//! the request runs as the anonymous role, which has no root field but `__typename`.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};

use super::error::ApiError;
use super::store::Store;
use crate::AppState;
use crate::auth::sha256_hex;

/// The caller of one request.
#[derive(Debug, Clone)]
pub enum Caller {
    Anonymous,
    User(User),
}

/// A user a PAT names. Only the store makes one, from a token it found, so a store function that
/// takes a `&User` acts for someone who authenticated.
#[derive(Debug, Clone)]
pub struct User {
    id: String,
}

impl User {
    pub(super) fn new(id: String) -> User {
        User { id }
    }

    pub fn id(&self) -> &str {
        &self.id
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Caller, ApiError> {
        let Some(token) = pat(&parts.headers) else {
            return Ok(Caller::Anonymous);
        };
        let token_hash = sha256_hex(token);
        let store = Store::from_request_parts(parts, state).await?;
        Ok(match store.user_by_pat(&token_hash).await? {
            Some(user) => Caller::User(user),
            None => Caller::Anonymous,
        })
    }
}

/// The token of `Authorization: pat <token>`, if the header has that form.
fn pat(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    value.strip_prefix("pat ").filter(|token| !token.is_empty())
}
