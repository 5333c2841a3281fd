use std::{io, path::PathBuf};

/// Everything the vault can refuse.
///
/// No variant carries key material, plaintext or ciphertext: these errors end up in logs.
/// Key ids and key-file entry names are not secret and are named to help the operator.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VaultError {
    /// The sealed value names a key the ring does not hold (a key retired too early, or a
    /// key file from another installation).
    #[error("the key ring has no key with id {kid:?}")]
    UnknownKeyId { kid: String },

    /// Not of the form `v1.<kid>.<base64url>`.
    #[error("malformed sealed value: {reason}")]
    MalformedEnvelope { reason: &'static str },

    /// The ciphertext was altered, or it was sealed for another field or another record.
    #[error("sealed value failed authentication: altered, or sealed for another field or record")]
    AuthenticationFailed,

    /// The key file is not TOML at all.
    #[error("the key file is not valid TOML (line {line})")]
    KeyFileSyntax { line: usize },

    /// One entry of the key file is missing or wrong; `entry` names it (`keys.k2`, `active`).
    #[error("key file entry `{entry}`: {reason}")]
    BadKeyFile { entry: String, reason: &'static str },

    #[error("key file {}: {source}", path.display())]
    KeyFileIo {
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    #[error("environment variable {name} is not set or not valid UTF-8")]
    MissingEnv { name: String },

    /// Rotation misuse: the active key cannot be removed, nor an id added twice.
    #[error("key ring operation refused: {reason}")]
    KeyRing { reason: &'static str },
}

impl VaultError {
    /// Stable snake_case code for logs and metrics.
    pub fn code(&self) -> &'static str {
        match self {
            Self::UnknownKeyId { .. } => "vault.unknown_key_id",
            Self::MalformedEnvelope { .. } => "vault.malformed_envelope",
            Self::AuthenticationFailed => "vault.authentication_failed",
            Self::KeyFileSyntax { .. } => "vault.key_file_syntax",
            Self::BadKeyFile { .. } => "vault.bad_key_file",
            Self::KeyFileIo { .. } => "vault.key_file_io",
            Self::MissingEnv { .. } => "vault.missing_env",
            Self::KeyRing { .. } => "vault.key_ring",
        }
    }

    pub(crate) fn bad_entry(entry: impl Into<String>, reason: &'static str) -> Self {
        Self::BadKeyFile {
            entry: entry.into(),
            reason,
        }
    }
}
