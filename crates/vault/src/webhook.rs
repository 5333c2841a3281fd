//! The one webhook signature scheme, both ways: outgoing event webhooks are signed with
//! [`sign`] (`tripdesk_delivery::webhook`), and payment gateways sign the notifications they
//! post to tripdesk the same way, checked with [`verify`] (`tripdesk_app::bookings::gateway`),
//! so integrators implement one scheme.
//!
//! `X-Tripdesk-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`: the
//! HMAC covers the timestamp, a `.`, and the exact bytes of the body. A receiver recomputes it
//! over the bytes received, compares in constant time, and rejects a timestamp more than
//! [`TOLERANCE_SECS`] from its clock (replay protection). Several `v1=` tags may be given
//! (during a secret's rotation); one matching is enough.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The header carrying the signature.
pub const SIGNATURE_HEADER: &str = "X-Tripdesk-Signature";
/// How far a signature's timestamp may be from the receiver's clock, either way.
pub const TOLERANCE_SECS: i64 = 300;

fn mac(secret: &str, timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The signature header value for `body` sent at `timestamp` (unix seconds).
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let tag = mac(secret, timestamp, body).finalize().into_bytes();
    format!("t={timestamp},v1={}", hex::encode(tag))
}

/// Why a signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("the signature header is malformed")]
    Malformed,
    #[error("the timestamp is too far from now (replay?)")]
    Stale,
    #[error("the signature does not match")]
    Mismatch,
}

/// Checks a received webhook: `header` is the `X-Tripdesk-Signature` value, `body` the exact
/// bytes received, `now` the receiver's unix time.
pub fn verify(secret: &str, header: &str, body: &[u8], now: i64) -> Result<(), VerifyError> {
    let mut timestamp = None;
    let mut tags = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => timestamp = v.parse::<i64>().ok(),
            Some(("v1", v)) => tags.push(hex::decode(v).map_err(|_| VerifyError::Malformed)?),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(VerifyError::Malformed)?;
    if tags.is_empty() {
        return Err(VerifyError::Malformed);
    }
    if now
        .checked_sub(timestamp)
        .is_none_or(|d| d.abs() > TOLERANCE_SECS)
    {
        return Err(VerifyError::Stale);
    }
    let expected = mac(secret, timestamp, body);
    if tags
        .iter()
        .any(|t| expected.clone().verify_slice(t).is_ok())
    {
        Ok(())
    } else {
        Err(VerifyError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_verify_and_expire() {
        let body = br#"{"event":"booking.confirmed"}"#;
        let header = sign("whsec_k", 1_770_000_000, body);
        assert!(header.starts_with("t=1770000000,v1="));
        assert_eq!(verify("whsec_k", &header, body, 1_770_000_100), Ok(()));
        assert_eq!(verify("whsec_k", &header, body, 1_769_999_900), Ok(()));
        assert_eq!(
            verify("whsec_k", &header, body, 1_770_000_000 + TOLERANCE_SECS + 1),
            Err(VerifyError::Stale)
        );
        assert_eq!(
            verify("whsec_k", &header, body, 1_770_000_000 - TOLERANCE_SECS - 1),
            Err(VerifyError::Stale)
        );
        assert_eq!(
            verify("whsec_other", &header, body, 1_770_000_000),
            Err(VerifyError::Mismatch)
        );
        assert_eq!(
            verify("whsec_k", &header, b"{}", 1_770_000_000),
            Err(VerifyError::Mismatch)
        );
        assert_eq!(
            verify("whsec_k", "v1=00", body, 1_770_000_000),
            Err(VerifyError::Malformed)
        );
        assert_eq!(
            verify("whsec_k", "t=1770000000,v1=zz", body, 1_770_000_000),
            Err(VerifyError::Malformed)
        );
        // A timestamp at the end of i64 is stale, not an overflow.
        assert_eq!(
            verify(
                "whsec_k",
                &format!("t={},v1=00", i64::MIN),
                body,
                1_770_000_000
            ),
            Err(VerifyError::Stale)
        );
        // The documented construction: hex(HMAC-SHA256(secret, "t.body")).
        let mut mac = Hmac::<Sha256>::new_from_slice(b"whsec_k").unwrap();
        mac.update(b"1770000000.");
        mac.update(body);
        let expected = hex::encode(mac.finalize().into_bytes());
        assert_eq!(header, format!("t=1770000000,v1={expected}"));
    }

    /// The worked example of docs/PAYMENT-NOTIFICATIONS.md: the same bytes as the openssl
    /// one-liner there (`printf '%s.%s' "$T" "$BODY" | openssl dgst -sha256 -hmac "$SECRET"`).
    #[test]
    fn the_documented_example_signs_as_openssl_does() {
        let body = br#"{"notification_id":"wx-20270301-0001","confirmation_no":"TD270301ABCD2345","amount_fen":96000,"method":"wechat_pay","transaction_id":"4200001234202703010001"}"#;
        assert_eq!(
            sign("whsec_example", 1_803_780_000, body),
            "t=1803780000,v1=54ce821696776b6facd4fc75054c48a7e8de853b7e2911f1703a17be6a2c52f9"
        );
    }
}
