//! Password hashing with argon2id: the crate's defaults (OWASP's recommended parameters) for every
//! password a client sets, and a cheap variant for passwords that are published anyway (fixtures).
//!
//! A strong hash takes tens of milliseconds and 19 MiB on purpose, so it runs on the blocking pool
//! and waits its turn: at most one per core at a time, whatever arrives at once (a hundred logins,
//! a hundred `login` aliases in one GraphQL document). Memory is bounded by that queue, and given
//! back to the system after each hash by the allocator settings in `main.rs`.

use std::sync::{Arc, LazyLock};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

use super::Secret;
use crate::error::Internal;

/// One strong hash or check at a time per core: more would only share the cores while holding
/// 19 MiB each.
static QUEUE: LazyLock<Arc<Semaphore>> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    Arc::new(Semaphore::new(cores))
});

/// The costliest parameters a stored hash may ask for: offcloud's own. Every stored hash was
/// written by offcloud (or comes back in a state document it exported), and a forged one asking
/// for gigabytes or hours must not get them: it never matches instead.
const MAX_M_COST_KIB: u32 = Params::DEFAULT_M_COST;
const MAX_T_COST: u32 = 4;
const MAX_P_COST: u32 = 4;

/// Hashes this cheap are checked in place rather than queued: the published ones, at argon2's
/// minimum of 8 KiB and one pass, take microseconds.
const IN_PLACE_KIB_PASSES: u64 = 64;

/// The PHC string (`$argon2id$v=19$...`) to store.
pub async fn hash(password: &Secret) -> Result<String, Internal> {
    let password = password.clone();
    queued(move || hash_with(&Argon2::default(), &password)).await?
}

/// A hash for a password that is published anyway (a fixture's test password): argon2id at its
/// minimum cost (8 KiB, one pass), so loading fixtures costs microseconds and no memory. Still a
/// PHC string that [`verify`] checks like any other; never use it for a password a client chose.
pub async fn hash_published(password: &Secret) -> Result<String, Internal> {
    let params = Params::new(Params::MIN_M_COST, Params::MIN_T_COST, 1, None)
        .map_err(|e| Internal::msg(format!("argon2 parameters: {e}")))?;
    hash_with(
        &Argon2::new(Algorithm::Argon2id, Version::V0x13, params),
        password,
    )
}

/// Whether `password` matches a stored PHC string. A malformed stored hash, or one asking for
/// more than offcloud's own parameters, never matches.
pub async fn verify(password: &Secret, stored: &str) -> Result<bool, Internal> {
    let Some(cost) = PasswordHash::new(stored)
        .ok()
        .and_then(|parsed| Params::try_from(&parsed).ok())
        .filter(|p| {
            p.m_cost() <= MAX_M_COST_KIB && p.t_cost() <= MAX_T_COST && p.p_cost() <= MAX_P_COST
        })
        .map(|p| u64::from(p.m_cost()) * u64::from(p.t_cost()))
    else {
        return Ok(false);
    };
    if cost <= IN_PLACE_KIB_PASSES {
        return Ok(matches(password, stored));
    }
    let password = password.clone();
    let stored = stored.to_owned();
    queued(move || matches(&password, &stored)).await
}

fn hash_with(argon2: &Argon2<'_>, password: &Secret) -> Result<String, Internal> {
    let mut salt_bytes = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut salt_bytes);
    let salt = SaltString::encode_b64(&salt_bytes)
        .map_err(|e| Internal::msg(format!("argon2 salt: {e}")))?;
    argon2
        .hash_password(password.expose().as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Internal::msg(format!("argon2: {e}")))
}

/// The check itself, with the parameters the stored hash names.
fn matches(password: &Secret, stored: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.expose().as_bytes(), &parsed)
            .is_ok()
    })
}

/// Runs `work` on the blocking pool once a place in the queue is free. The place is held by the
/// work itself, not by the caller: a client that hangs up does not let another hash start while
/// its own still runs.
async fn queued<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Internal> {
    let place = QUEUE
        .clone()
        .acquire_owned()
        .await
        .map_err(|e| Internal::msg(format!("password queue: {e}")))?;
    Ok(tokio::task::spawn_blocking(move || {
        let _place = place;
        work()
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
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify(&pw, &stored).await.unwrap());
        assert!(!verify(&Secret::new("nope".into()), &stored).await.unwrap());
        assert!(!verify(&pw, "not a hash").await.unwrap());
    }

    #[tokio::test]
    async fn a_published_password_hash_is_cheap_and_verifies_like_any_other() {
        let pw = Secret::new("fixture-password".into());
        let stored = hash_published(&pw).await.unwrap();
        assert!(
            stored.starts_with("$argon2id$v=19$m=8,t=1,p=1$"),
            "{stored}"
        );
        assert!(verify(&pw, &stored).await.unwrap());
        assert!(!verify(&Secret::new("other".into()), &stored).await.unwrap());
    }

    #[tokio::test]
    async fn a_stored_hash_asking_for_more_than_offclouds_parameters_never_matches() {
        let pw = Secret::new("pw".into());
        let params = Params::new(MAX_M_COST_KIB, MAX_T_COST + 1, 1, None).unwrap();
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let costly = hash_with(&argon2, &pw).unwrap();
        assert!(!verify(&pw, &costly).await.unwrap());
        // 4 GiB: refused before any memory is taken.
        let forged = costly.replace("m=19456,t=5", "m=4194304,t=1");
        assert!(forged.contains("m=4194304"));
        assert!(!verify(&pw, &forged).await.unwrap());
    }
}
