//! WeChat's signatures: the parameters sorted as byte strings, concatenated, hashed with SHA-1
//! and written as lowercase hex.
//!
//! - URL (and every push) signature, `signature`: token, timestamp, nonce;
//! - safe-mode message signature, `msg_signature`: token, timestamp, nonce and the encrypted
//!   text (the `Encrypt` field).

use sha1::{Digest, Sha1};
use subtle::ConstantTimeEq;

use crate::WechatError;

/// SHA-1 (lowercase hex) of the parts sorted and concatenated, as WeChat computes both of its
/// signatures.
pub fn sign(parts: &[&str]) -> String {
    let mut sorted = parts.to_vec();
    sorted.sort_unstable();
    let mut hasher = Sha1::new();
    for part in sorted {
        hasher.update(part.as_bytes());
    }
    hex::encode(hasher.finalize())
}

/// The signature WeChat sends with the URL verification and with every push.
pub fn url_signature(token: &str, timestamp: &str, nonce: &str) -> String {
    sign(&[token, timestamp, nonce])
}

/// The safe-mode signature over the encrypted text.
pub fn msg_signature(token: &str, timestamp: &str, nonce: &str, encrypted: &str) -> String {
    sign(&[token, timestamp, nonce, encrypted])
}

/// Compares a received signature with the expected one in constant time (the length is not
/// secret: both are 40 hex digits). Upper-case hex is accepted as the same signature.
pub fn check(expected: &str, received: &str) -> Result<(), WechatError> {
    let received = received.to_ascii_lowercase();
    if bool::from(expected.as_bytes().ct_eq(received.as_bytes())) {
        Ok(())
    } else {
        Err(WechatError::BadSignature)
    }
}

/// Checks the `signature` of a URL verification or a push.
pub fn verify_url(
    token: &str,
    timestamp: &str,
    nonce: &str,
    received: &str,
) -> Result<(), WechatError> {
    check(&url_signature(token, timestamp, nonce), received)
}

/// Checks the `msg_signature` of a safe-mode push.
pub fn verify_msg(
    token: &str,
    timestamp: &str,
    nonce: &str,
    encrypted: &str,
    received: &str,
) -> Result<(), WechatError> {
    check(&msg_signature(token, timestamp, nonce, encrypted), received)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_of_the_parts_does_not_matter() {
        assert_eq!(sign(&["b", "a", "c"]), sign(&["c", "b", "a"]));
        // SHA-1("abc"), FIPS 180-1's first example.
        assert_eq!(
            sign(&["c", "a", "b"]),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
    }

    #[test]
    fn a_different_or_short_signature_is_refused() {
        let good = url_signature("t", "1", "n");
        assert_eq!(check(&good, &good), Ok(()));
        assert_eq!(check(&good, &good.to_uppercase()), Ok(()));
        assert_eq!(check(&good, &good[..39]), Err(WechatError::BadSignature));
        assert_eq!(check(&good, ""), Err(WechatError::BadSignature));
        let mut flipped = good.clone().into_bytes();
        flipped[0] = if flipped[0] == b'0' { b'1' } else { b'0' };
        assert_eq!(
            check(&good, std::str::from_utf8(&flipped).unwrap()),
            Err(WechatError::BadSignature)
        );
    }
}
