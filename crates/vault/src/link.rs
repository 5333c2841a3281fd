//! Message authentication for the links tripdesk hands to customers (tracking a ticket,
//! answering a survey) and for the anonymous CSRF token of public forms.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::{KeyRing, KEY_LEN};

type HmacSha256 = Hmac<Sha256>;

/// Shortest tag [`KeyRing::verify_link_mac`] accepts: 128 bits.
pub const MIN_LINK_TAG: usize = 16;

impl KeyRing {
    /// The key of one link purpose: `HMAC-SHA256(index_key, 0xFF || "tripdesk link key" ||
    /// 0x00 || purpose)`.
    ///
    /// Derived from the index key, so there is no new secret to keep, and it lives exactly as
    /// long as the index key — which is never rotated, so links handed out stay valid. The
    /// leading 0xFF cannot begin a blind-index input (those start with a kind, valid UTF-8),
    /// so no blind index stored in the database can equal a link key, and each purpose gets
    /// its own key: a tag made for one purpose does not verify for another.
    fn link_key(&self, purpose: &str) -> Zeroizing<[u8; KEY_LEN]> {
        let mut mac = <HmacSha256 as Mac>::new_from_slice(self.index_key.as_ref())
            .expect("HMAC takes keys of any length");
        mac.update(&[0xFF]);
        mac.update(b"tripdesk link key");
        mac.update(&[0]);
        mac.update(purpose.as_bytes());
        Zeroizing::new(mac.finalize().into_bytes().into())
    }

    fn link_hmac(&self, purpose: &str, message: &[u8]) -> HmacSha256 {
        let key = self.link_key(purpose);
        let mut mac =
            <HmacSha256 as Mac>::new_from_slice(key.as_ref()).expect("HMAC takes any key");
        mac.update(message);
        mac
    }

    /// `HMAC-SHA256(link_key(purpose), message)`, 32 bytes. Callers may send a prefix of it
    /// (at least [`MIN_LINK_TAG`] bytes) to keep links short.
    pub fn link_mac(&self, purpose: &str, message: &[u8]) -> [u8; 32] {
        self.link_hmac(purpose, message)
            .finalize()
            .into_bytes()
            .into()
    }

    /// Whether `tag` (the whole MAC or a prefix of at least [`MIN_LINK_TAG`] bytes) is the
    /// MAC of `message` for `purpose`. Compared in constant time.
    pub fn verify_link_mac(&self, purpose: &str, message: &[u8], tag: &[u8]) -> bool {
        if !(MIN_LINK_TAG..=32).contains(&tag.len()) {
            return false;
        }
        self.link_hmac(purpose, message)
            .verify_truncated_left(tag)
            .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_verify_only_for_their_purpose_message_and_keys() {
        let ring = KeyRing::generate();
        let tag = ring.link_mac("track", b"ticket-1");
        assert!(ring.verify_link_mac("track", b"ticket-1", &tag));
        assert!(ring.verify_link_mac("track", b"ticket-1", &tag[..16]));
        assert!(
            !ring.verify_link_mac("track", b"ticket-1", &tag[..15]),
            "too short"
        );
        assert!(!ring.verify_link_mac("track", b"ticket-2", &tag));
        assert!(!ring.verify_link_mac("survey", b"ticket-1", &tag));
        let mut bad = tag;
        bad[3] ^= 1;
        assert!(!ring.verify_link_mac("track", b"ticket-1", &bad));
        let other = KeyRing::generate();
        assert!(!other.verify_link_mac("track", b"ticket-1", &tag));
    }

    #[test]
    fn link_keys_survive_data_key_rotation_and_differ_from_blind_indexes() {
        let mut ring = KeyRing::generate();
        let tag = ring.link_mac("track", b"t");
        ring.add_key_and_activate();
        assert!(
            ring.verify_link_mac("track", b"t", &tag),
            "links outlive a rotation"
        );
        // A blind index of the same words is a different value (domain separation).
        let key = ring.link_key("track");
        let index = ring.blind_index("tripdesk link key", "track");
        let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
        assert_ne!(hex, index);
    }
}
