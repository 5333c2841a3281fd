//! Blind indexes: keyed hashes that let the database find equal values it cannot read.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::KeyRing;

impl KeyRing {
    /// The blind index of a value: lower-case hex of
    /// `HMAC-SHA256(index_key, kind || 0x00 || normalised_value)`, 64 characters.
    ///
    /// Stored next to the sealed value in an indexed column, it answers "which customer has
    /// this phone number?" and "is this ID number already on file?" without decrypting
    /// anything. Equal inputs give equal indexes, so the caller must pass the canonical form
    /// (`tripdesk_domain::customer`: E.164 phones, upper-case IDs, lower-cased emails).
    ///
    /// `kind` (`"phone"`, `"resident_id"`, `"passport"`) separates the index spaces, so one
    /// string that is both a passport number and something else does not collide. It is a
    /// program constant and must not contain NUL.
    ///
    /// The key matters: ID numbers and phone numbers are few enough to enumerate, and a plain
    /// hash of them would be reversed by trying them all. Without the index key nobody can.
    /// Hex, not base64, because database collations that ignore case would make distinct
    /// base64 values equal. Not truncated, so a duplicate found is a real duplicate.
    pub fn blind_index(&self, kind: &str, normalised_value: &str) -> String {
        debug_assert!(
            !kind.contains('\0'),
            "blind-index kinds are constants without NUL"
        );
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.index_key.as_ref())
            .expect("HMAC takes keys of any length");
        mac.update(kind.as_bytes());
        mac.update(&[0]);
        mac.update(normalised_value.as_bytes());
        let digest = mac.finalize().into_bytes();
        let mut hex = String::with_capacity(64);
        for byte in digest {
            hex.push(char::from(b"0123456789abcdef"[usize::from(byte >> 4)]));
            hex.push(char::from(b"0123456789abcdef"[usize::from(byte & 0x0f)]));
        }
        hex
    }
}
