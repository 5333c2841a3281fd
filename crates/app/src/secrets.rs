//! Passwords and bearer tokens. Passwords are hashed with argon2id (OWASP parameters:
//! 19 MiB, 2 passes); tokens are 256 random bits shown once and stored only as SHA-256.

use crate::AppError;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Prefix of browser/login session tokens.
pub const SESSION_PREFIX: &str = "tds_";
/// Prefix of long-lived integration tokens.
pub const API_TOKEN_PREFIX: &str = "tdk_";

/// A new random token with the given prefix (43 base64url characters after it).
pub fn new_token(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// The value stored for a token: hex SHA-256. Tokens have 256 bits of entropy, so a fast
/// hash is enough (no dictionary to guess from).
pub fn token_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Hashes a password with argon2id off the async threads.
pub async fn hash_password(password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || {
        let mut salt = [0u8; 16];
        rand::rng().fill_bytes(&mut salt);
        let salt = SaltString::encode_b64(&salt).map_err(|e| AppError::Internal(e.to_string()))?;
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| AppError::Internal(format!("hashing password: {e}")))
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?
}

/// A hash of a password nobody knows, verified when the username does not exist so that a
/// wrong username takes as long as a wrong password.
pub const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$AAAAAAAAAAAAAAAAAAAAAA$3T1Z2ZmMDKsS2SnyMGJP5iShMTTsVcFdlk9w8y4VRfE";

/// Checks a password against a stored PHC hash off the async threads.
pub async fn verify_password(password: String, hash: String) -> Result<bool, AppError> {
    tokio::task::spawn_blocking(move || {
        let parsed = PasswordHash::new(&hash)
            .map_err(|_| AppError::Internal("a stored password hash is malformed".into()))?;
        Ok(Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok())
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn password_round_trip() {
        let h = hash_password("长城 is long enough".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("长城 is long enough".into(), h.clone())
            .await
            .unwrap());
        assert!(!verify_password("wrong password".into(), h).await.unwrap());
        assert!(!verify_password("x".into(), DUMMY_HASH.into())
            .await
            .unwrap());
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let a = new_token(API_TOKEN_PREFIX);
        let b = new_token(API_TOKEN_PREFIX);
        assert_ne!(a, b);
        assert!(a.starts_with("tdk_") && a.len() == 4 + 43);
        assert_eq!(token_hash(&a).len(), 64);
        assert_eq!(token_hash(&a), token_hash(&a));
    }
}
