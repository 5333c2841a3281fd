//! Sealing field values: XChaCha20-Poly1305 envelopes bound to their field and record.

use std::{fmt, str::FromStr};

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use chacha20poly1305::{
    aead::{Aead, AeadCore, KeyInit, OsRng, Payload},
    Key, XChaCha20Poly1305, XNonce,
};

use crate::{keyring::is_key_id, KeyRing, Secret, VaultError};

/// Version tag of the envelope format.
const VERSION: &str = "v1";
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;
/// Domain separation of the associated data.
const AAD_CONTEXT: &[u8] = b"tripdesk-vault/v1";

/// An encrypted field value: `v1.<kid>.<base64url(nonce || ciphertext || tag)>`.
///
/// Text, so it fits a `TEXT` column on every backend and survives JSON. It reveals the key id
/// and, roughly, the length of the plaintext; nothing else. Safe to log (though there is
/// rarely a reason to).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Sealed(String);

impl Sealed {
    /// Checks the shape (version, key id, encoding, minimum length) without any key.
    pub fn parse(s: &str) -> Result<Self, VaultError> {
        Envelope::parse(s)?;
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }

    /// The id of the data key that sealed it.
    pub fn key_id(&self) -> &str {
        self.0.split('.').nth(1).unwrap_or_default()
    }
}

impl fmt::Display for Sealed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Sealed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Sealed").field(&self.0).finish()
    }
}

impl AsRef<str> for Sealed {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl FromStr for Sealed {
    type Err = VaultError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl From<Sealed> for String {
    fn from(sealed: Sealed) -> Self {
        sealed.0
    }
}

/// A parsed envelope.
struct Envelope<'a> {
    kid: &'a str,
    /// nonce || ciphertext || tag
    blob: Vec<u8>,
}

impl<'a> Envelope<'a> {
    fn parse(s: &'a str) -> Result<Self, VaultError> {
        let malformed = |reason| VaultError::MalformedEnvelope { reason };
        let mut parts = s.splitn(3, '.');
        let (Some(version), Some(kid), Some(payload)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(malformed("expected v1.<key id>.<data>"));
        };
        if version != VERSION {
            return Err(malformed("unknown version"));
        }
        if !is_key_id(kid) {
            return Err(malformed("invalid key id"));
        }
        let blob = URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| malformed("data is not base64url"))?;
        if blob.len() < NONCE_LEN + TAG_LEN {
            return Err(malformed("data too short"));
        }
        Ok(Self { kid, blob })
    }
}

/// The associated data: context, key id, field and record, each length-prefixed so no two
/// different triples produce the same bytes.
fn associated_data(kid: &str, field: &str, record_id: &str) -> Vec<u8> {
    let mut aad =
        Vec::with_capacity(AAD_CONTEXT.len() + 12 + kid.len() + field.len() + record_id.len());
    aad.extend_from_slice(AAD_CONTEXT);
    for part in [kid, field, record_id] {
        let len = u32::try_from(part.len()).expect("field names and ids are short");
        aad.extend_from_slice(&len.to_be_bytes());
        aad.extend_from_slice(part.as_bytes());
    }
    aad
}

impl KeyRing {
    /// Seals `plaintext` under the active key for one `field` (`"customer.phone"`) of one
    /// record (its UUID as text).
    ///
    /// The nonce is 24 random bytes, which is safe for any number of values under one key.
    /// The field and record id are authenticated, not stored: decrypting needs the same pair,
    /// so a sealed value copied into another row or column is refused instead of silently
    /// showing one customer's ID number on another's record.
    pub fn encrypt(&self, field: &str, record_id: &str, plaintext: &str) -> Sealed {
        self.encrypt_bytes(field, record_id, plaintext.as_bytes())
    }

    /// [`KeyRing::encrypt`] for binary content (files such as complaint evidence).
    pub fn encrypt_bytes(&self, field: &str, record_id: &str, plaintext: &[u8]) -> Sealed {
        let kid = self.active.as_str();
        let key = &self.keys[kid];
        let cipher = XChaCha20Poly1305::new(Key::from_slice(key.as_ref()));
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let aad = associated_data(kid, field, record_id);
        let ciphertext = cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext,
                    aad: &aad,
                },
            )
            .expect("XChaCha20-Poly1305 encrypts any message shorter than 256 GiB");
        let mut blob = Vec::with_capacity(NONCE_LEN + ciphertext.len());
        blob.extend_from_slice(&nonce);
        blob.extend_from_slice(&ciphertext);
        Sealed(format!("{VERSION}.{kid}.{}", URL_SAFE_NO_PAD.encode(blob)))
    }

    /// Opens a sealed value of `field` of `record_id`, whichever ring key sealed it.
    pub fn decrypt(
        &self,
        field: &str,
        record_id: &str,
        sealed: &str,
    ) -> Result<Secret<String>, VaultError> {
        let opened = self.decrypt_bytes(field, record_id, sealed)?;
        let plaintext = opened.expose_secret().clone();
        String::from_utf8(plaintext).map(Secret::new).map_err(|e| {
            let mut bytes = e.into_bytes();
            zeroize::Zeroize::zeroize(&mut bytes);
            VaultError::MalformedEnvelope {
                reason: "plaintext is not UTF-8",
            }
        })
    }

    /// [`KeyRing::decrypt`] for binary content.
    pub fn decrypt_bytes(
        &self,
        field: &str,
        record_id: &str,
        sealed: &str,
    ) -> Result<Secret<Vec<u8>>, VaultError> {
        let envelope = Envelope::parse(sealed)?;
        let key = self
            .keys
            .get(envelope.kid)
            .ok_or_else(|| VaultError::UnknownKeyId {
                kid: envelope.kid.to_owned(),
            })?;
        let cipher = XChaCha20Poly1305::new(Key::from_slice(key.as_ref()));
        let (nonce, ciphertext) = envelope.blob.split_at(NONCE_LEN);
        let aad = associated_data(envelope.kid, field, record_id);
        let plaintext = cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: &aad,
                },
            )
            .map_err(|_| VaultError::AuthenticationFailed)?;
        Ok(Secret::new(plaintext))
    }

    /// Whether a sealed value was sealed under a key other than the active one. A value that
    /// is not a well-formed envelope answers `false`: re-encryption could not read it either,
    /// and [`KeyRing::decrypt`] reports what is wrong with it.
    pub fn needs_rotation(&self, sealed: &str) -> bool {
        Envelope::parse(sealed).is_ok_and(|e| e.kid != self.active)
    }

    /// Opens a value and seals it again under the active key, for the same field and record.
    pub fn reencrypt(
        &self,
        field: &str,
        record_id: &str,
        sealed: &str,
    ) -> Result<Sealed, VaultError> {
        let plaintext = self.decrypt(field, record_id, sealed)?;
        Ok(self.encrypt(field, record_id, plaintext.expose_secret()))
    }
}
