//! HS256 JSON Web Tokens. Expiry is checked against the session's [`Clock`](crate::clock::Clock),
//! never the system time, so moving virtual time expires tokens.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::Internal;

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
    crate::secrets::remember(token);
    let mut validation = Validation::new(Algorithm::HS256);
    validation.validate_exp = false; // checked below against the virtual clock
    validation.validate_aud = false;
    validation.set_required_spec_claims(&["exp"]);
    let data =
        jsonwebtoken::decode::<C>(token, &DecodingKey::from_secret(key), &validation).ok()?;
    (data.claims.exp() > now).then_some(data.claims)
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
}
