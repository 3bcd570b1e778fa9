//! Password hashing with argon2id (the crate's defaults, OWASP's recommended parameters). Hashing
//! takes tens of milliseconds on purpose, so it runs on the blocking pool.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

use super::Secret;
use crate::error::Internal;

/// The PHC string (`$argon2id$v=19$...`) to store.
pub async fn hash(password: &Secret) -> Result<String, Internal> {
    let password = password.clone();
    tokio::task::spawn_blocking(move || {
        let mut salt_bytes = [0u8; 16];
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut salt_bytes);
        let salt = SaltString::encode_b64(&salt_bytes)
            .map_err(|e| Internal::msg(format!("argon2 salt: {e}")))?;
        Argon2::default()
            .hash_password(password.expose().as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| Internal::msg(format!("argon2: {e}")))
    })
    .await?
}

/// Whether `password` matches a stored PHC string. A malformed stored hash never matches.
pub async fn verify(password: &Secret, stored: &str) -> Result<bool, Internal> {
    let password = password.clone();
    let stored = stored.to_owned();
    Ok(tokio::task::spawn_blocking(move || {
        PasswordHash::new(&stored)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.expose().as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let pw = Secret::new("YourSecurePassword123!".into());
        let stored = hash(&pw).await.unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify(&pw, &stored).await.unwrap());
        assert!(!verify(&Secret::new("nope".into()), &stored).await.unwrap());
        assert!(!verify(&pw, "not a hash").await.unwrap());
    }
}
