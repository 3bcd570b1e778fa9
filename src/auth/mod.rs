//! Authentication primitives shared by every emulated service: secrets that never print, password
//! hashing (argon2id), API-key generation and hashing (SHA-256), and HS256 JWTs checked against the
//! session's clock.

pub mod jwt;
pub mod password;
mod secret;

pub use secret::Secret;

use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// `n` random bytes from the OS generator, as URL-safe base64 without padding
/// (24 bytes give 32 characters).
pub fn random_token(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A new API key: `prefix` followed by 32 URL-safe random characters.
pub fn new_api_key(prefix: &str) -> Secret {
    Secret::new(format!("{prefix}{}", random_token(24)))
}

/// How API keys and secrets are stored: the SHA-256 of the plaintext, in lowercase hex. Every
/// secret issued or checked passes here, so the plaintext is also remembered by the request's
/// session: the request journal never shows it.
pub fn sha256_hex(plaintext: &str) -> String {
    crate::secrets::remember(plaintext);
    digest_hex(plaintext)
}

/// The SHA-256 of text that is not a secret (an id derived from content), in lowercase hex: the
/// journal keeps showing the text.
pub fn digest_hex(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    let mut hex = String::with_capacity(64);
    for byte in digest {
        hex.push(char::from_digit(u32::from(byte >> 4), 16).unwrap_or('0'));
        hex.push(char::from_digit(u32::from(byte & 0xf), 16).unwrap_or('0'));
    }
    hex
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_keys_have_prefix_and_32_url_safe_characters() {
        let key = new_api_key("mg_live_");
        let rest = key.expose().strip_prefix("mg_live_").unwrap();
        assert_eq!(rest.len(), 32);
        assert!(
            rest.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        assert_ne!(new_api_key("mg_live_").expose(), key.expose());
    }

    #[test]
    fn sha256_hex_matches_the_standard_digest() {
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
