//! HS256 JSON Web Tokens. Expiry is checked against the session's [`Clock`](crate::clock::Clock),
//! never the system time, so moving virtual time expires tokens.

use std::sync::Arc;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::Internal;
use crate::session::Session;

/// Claims that carry an expiry (`exp`, Unix seconds).
pub trait Expiring {
    fn exp(&self) -> i64;
}

/// A signed token, also remembered by the request's session (the request journal never shows it).
pub fn sign<C: Serialize>(claims: &C, key: &[u8]) -> Result<String, Internal> {
    let token = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(key),
    )
    .map_err(|e| Internal::msg(format!("jwt signing: {e}")))?;
    crate::secrets::remember(&token);
    Ok(token)
}

/// The token's claims when its signature is ours and `exp` is still ahead of `now` (Unix
/// seconds); `None` for anything else, from garbage to a token signed with another key. The
/// token presented is remembered by the request's session (a token of a previous run of a
/// persistent database was not issued in this one), so the request journal never shows it.
pub fn verify<C: DeserializeOwned + Expiring>(token: &str, key: &[u8], now: i64) -> Option<C> {
    signed::<C>(token, key).filter(|claims| claims.exp() > now)
}

/// The claims of a token the session signed with its key for `purpose`, whatever their `exp`
/// (the caller compares it with the session's clock), as [`verify`] finds them; the session
/// keeps them, so a bearer token presented at every request has its signature checked once.
pub async fn verify_in_session<C>(
    session: &Session,
    purpose: &str,
    token: &str,
) -> Result<Option<Arc<C>>, Internal>
where
    C: DeserializeOwned + Expiring + Send + Sync + 'static,
{
    if let Some(claims) = session.checked_token::<C>(purpose, token) {
        return Ok(Some(claims));
    }
    let version = session.principals_version();
    let key = session.signing_key(purpose).await?;
    let Some(claims) = signed::<C>(token, &key) else {
        return Ok(None);
    };
    let claims = Arc::new(claims);
    session.keep_checked_token(version, purpose, token, claims.clone());
    Ok(Some(claims))
}

/// The claims of a token signed with `key`, whatever their `exp`.
fn signed<C: DeserializeOwned + Expiring>(token: &str, key: &[u8]) -> Option<C> {
    crate::secrets::remember(token);
    let mut validation = Validation::new(Algorithm::HS256);
    validation.validate_exp = false; // the callers check it against the virtual clock
    validation.validate_aud = false;
    validation.set_required_spec_claims(&["exp"]);
    let data =
        jsonwebtoken::decode::<C>(token, &DecodingKey::from_secret(key), &validation).ok()?;
    Some(data.claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize, serde::Deserialize, Debug, PartialEq)]
    struct Claims {
        sub: String,
        exp: i64,
    }

    impl Expiring for Claims {
        fn exp(&self) -> i64 {
            self.exp
        }
    }

    #[test]
    fn tokens_verify_until_they_expire() {
        let claims = Claims {
            sub: "u1".into(),
            exp: 1_000,
        };
        let token = sign(&claims, b"key").unwrap();
        assert_eq!(verify::<Claims>(&token, b"key", 999), Some(claims));
        assert_eq!(verify::<Claims>(&token, b"key", 1_000), None);
        assert_eq!(verify::<Claims>(&token, b"other", 999), None);
        assert_eq!(verify::<Claims>("garbage", b"key", 999), None);
    }

    #[tokio::test]
    async fn a_session_keeps_the_tokens_it_checked_within_bounds_and_forgets_them_on_reset() {
        let session = Session::scratch().await.unwrap();
        let key = session.signing_key("test").await.unwrap();
        let token = |sub: &str| {
            let claims = Claims {
                sub: sub.into(),
                exp: 1_000,
            };
            sign(&claims, &key).unwrap()
        };
        let checked = |t: &str| session.checked_token::<Claims>("test", t).is_some();

        let first = token("u1");
        let claims = verify_in_session::<Claims>(&session, "test", &first).await;
        assert_eq!(
            claims.unwrap().unwrap().sub,
            "u1",
            "expired or not, the claims"
        );
        assert!(checked(&first));
        // Only what the key signed, and only under its purpose.
        let foreign = sign(
            &Claims {
                sub: "x".into(),
                exp: 1_000,
            },
            b"other",
        )
        .unwrap();
        let refused = verify_in_session::<Claims>(&session, "test", &foreign).await;
        assert!(refused.unwrap().is_none());
        assert!(!checked(&foreign));
        assert!(session.checked_token::<Claims>("other", &first).is_none());
        let elsewhere = verify_in_session::<Claims>(&session, "other", &first).await;
        assert!(
            elsewhere.unwrap().is_none(),
            "another purpose has another key"
        );

        // However many tokens come, a bounded number is kept.
        let many: Vec<String> = (0..600).map(|i| token(&format!("u{i}"))).collect();
        for t in &many {
            verify_in_session::<Claims>(&session, "test", t)
                .await
                .unwrap()
                .unwrap();
        }
        let kept = many.iter().filter(|t| checked(t)).count();
        assert!(kept > 0 && kept <= 256, "{kept}");

        // A reset replaces the key: what the old one signed is checked (and refused) again.
        let last = many.last().unwrap();
        assert!(checked(last));
        session.reset().await.unwrap();
        assert!(!checked(last));
        let after = verify_in_session::<Claims>(&session, "test", last).await;
        assert!(after.unwrap().is_none());
    }
}
