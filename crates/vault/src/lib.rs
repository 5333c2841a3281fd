//! Encryption at rest for customer personal data, and blind indexes to find it again.
//!
//! PIPL treats ID numbers, whereabouts and health data as sensitive; the product brief asks for
//! them to be encrypted at rest with access restricted. This crate is the pure cryptographic
//! part of that, with no database and no HTTP:
//!
//! - **Field encryption.** Each sensitive field value is sealed on its own with
//!   XChaCha20-Poly1305 under the active data key of a [`KeyRing`], into a compact text
//!   envelope, [`Sealed`]: `v1.<key id>.<base64url(nonce || ciphertext || tag)>`. The field
//!   name and record id are bound in as associated data, so a value moved to another column
//!   or row fails to open. The key id in the envelope makes rotation gradual: add a key,
//!   make it active, re-encrypt old values in the background, retire the old key.
//! - **Blind indexes.** [`KeyRing::blind_index`] is an HMAC-SHA256 of the normalised value
//!   under a separate index key, stored beside the sealed value for equality look-ups and
//!   duplicate detection.
//! - **Link signatures.** [`KeyRing::link_mac`] signs the links customers receive (ticket
//!   tracking, survey answers) under per-purpose keys derived from the index key.
//! - **Webhook signatures.** [`webhook::sign`] and [`webhook::verify`]: the one scheme of
//!   outgoing event webhooks and of the payment notifications gateways post to tripdesk.
//! - **Secrets never print.** Decrypted values come back as [`Secret`], whose `Debug` and
//!   `Display` show `[redacted]`; the key ring's `Debug` shows key ids only; errors
//!   ([`VaultError`]) never carry key material, plaintext or ciphertext. Keys and decrypted
//!   values are wiped from memory when dropped.
//!
//! Keys live in a small TOML key file or an environment variable holding the same text
//! (format in [`KeyRing`]). The key file is outside the database on purpose: a stolen
//! database dump without it reveals nothing but lengths and key ids.
//!
//! ```
//! use tripdesk_vault::KeyRing;
//!
//! let ring = KeyRing::generate();
//! let sealed = ring.encrypt("customer.phone", "0192f1c4-…", "+8613800138000");
//! let phone = ring.decrypt("customer.phone", "0192f1c4-…", sealed.as_str()).unwrap();
//! assert_eq!(phone.expose_secret(), "+8613800138000");
//! assert!(ring.decrypt("customer.phone", "another-record", sealed.as_str()).is_err());
//! assert_eq!(ring.blind_index("phone", "+8613800138000").len(), 64);
//! ```

mod blind;
mod error;
mod keyring;
mod link;
mod seal;
mod secret;
pub mod webhook;

pub use error::VaultError;
pub use keyring::{KeyRing, KEY_LEN};
pub use link::MIN_LINK_TAG;
pub use seal::Sealed;
pub use secret::Secret;
