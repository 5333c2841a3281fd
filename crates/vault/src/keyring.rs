//! The key ring: data keys under rotation plus the fixed blind-index key, and its key file.

use std::{
    collections::BTreeMap,
    fmt,
    fs::{self, OpenOptions},
    io::Write,
    path::Path,
};

use base64::{
    alphabet,
    engine::{general_purpose::STANDARD, DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig},
    Engine,
};
use chacha20poly1305::aead::{rand_core::RngCore, OsRng};
use zeroize::Zeroizing;

use crate::{Secret, VaultError};

/// Length of every key: 256 bits.
pub const KEY_LEN: usize = 32;

/// Raw key bytes, wiped on drop.
pub(crate) type KeyBytes = Zeroizing<[u8; KEY_LEN]>;

/// The keys of one installation.
///
/// - **Data keys** encrypt field values. Each has a short id (`k1`, `k2`, …) that is written
///   into every sealed value, so the ring can hold several: new values are sealed under the
///   *active* key, old values stay readable under the key that sealed them, and a background
///   job moves them over ([`KeyRing::needs_rotation`], [`KeyRing::reencrypt`]) before the old
///   key is retired with [`KeyRing::remove_key`].
/// - **The index key** keys the HMAC of the [blind indexes](KeyRing::blind_index). It is *not*
///   rotated with the data keys: an index is only useful if every row's entry was computed
///   under the same key, so there is no "read with the old, write with the new" period. A new
///   index key means decrypting every value and recomputing every index in one maintenance
///   operation. Keeping it apart also means a leaked data key does not let anyone test
///   guesses against the indexes, and the other way round.
///
/// Keys are wiped from memory when the ring is dropped, and `Debug` shows only key ids. (The
/// wiping is best effort: the TOML parser's own buffers are beyond reach.)
/// Share one ring through an `Arc`.
///
/// ## Key file
///
/// ```toml
/// active = "k2"
/// index_key = "<base64 of 32 bytes>"
///
/// [keys]
/// k1 = "<base64 of 32 bytes>"
/// k2 = "<base64 of 32 bytes>"
/// ```
///
/// Base64 with or without padding, standard or URL-safe alphabet (`openssl rand -base64 32`
/// makes a key). Key ids are 1–16 letters, digits, `-` or `_`. Top-level entries must come
/// before `[keys]`: TOML puts anything after a table header inside that table.
pub struct KeyRing {
    pub(crate) keys: BTreeMap<String, KeyBytes>,
    pub(crate) active: String,
    pub(crate) index_key: KeyBytes,
}

impl KeyRing {
    /// A fresh ring with one data key, `k1`, and an index key, from the operating system's
    /// random source.
    pub fn generate() -> Self {
        let mut keys = BTreeMap::new();
        keys.insert("k1".to_owned(), random_key());
        Self {
            keys,
            active: "k1".to_owned(),
            index_key: random_key(),
        }
    }

    /// Parses the key file format (see the type's documentation).
    pub fn from_toml(text: &str) -> Result<Self, VaultError> {
        let mut table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1)
                .unwrap_or(0);
            VaultError::KeyFileSyntax { line }
        })?;

        let active = match table.remove("active") {
            Some(toml::Value::String(s)) => s,
            Some(_) => return Err(VaultError::bad_entry("active", "must be a string")),
            None => return Err(VaultError::bad_entry("active", "missing")),
        };
        let mut key_table = match table.remove("keys") {
            Some(toml::Value::Table(t)) => t,
            Some(_) => return Err(VaultError::bad_entry("keys", "must be a table")),
            None => return Err(VaultError::bad_entry("keys", "missing")),
        };
        if key_table.contains_key("index_key") {
            return Err(VaultError::bad_entry(
                "index_key",
                "must be at the top level, before [keys]",
            ));
        }
        let index_key = match table.remove("index_key") {
            Some(value) => decode_key("index_key", value)?,
            None => return Err(VaultError::bad_entry("index_key", "missing")),
        };
        if let Some((name, _)) = table.iter().next() {
            return Err(VaultError::bad_entry(entry_name(name), "unknown entry"));
        }

        let mut keys = BTreeMap::new();
        let ids: Vec<String> = key_table.keys().cloned().collect();
        for kid in ids {
            if !is_key_id(&kid) {
                return Err(VaultError::bad_entry(
                    "keys",
                    "key ids are 1 to 16 letters, digits, - or _",
                ));
            }
            let value = key_table.remove(&kid).expect("listed above");
            let key = decode_key(&format!("keys.{kid}"), value)?;
            if *key == *index_key {
                return Err(VaultError::bad_entry(
                    format!("keys.{kid}"),
                    "must differ from index_key",
                ));
            }
            keys.insert(kid, key);
        }
        if keys.is_empty() {
            return Err(VaultError::bad_entry("keys", "holds no key"));
        }
        if !keys.contains_key(&active) {
            return Err(VaultError::bad_entry("active", "names no key in [keys]"));
        }
        Ok(Self {
            keys,
            active,
            index_key,
        })
    }

    /// Reads a key file. Its permissions are the deployer's business (a container secret is
    /// often mounted read-only for all); [`KeyRing::write_key_file`] creates files as 0600.
    pub fn load_file(path: impl AsRef<Path>) -> Result<Self, VaultError> {
        let path = path.as_ref();
        let text =
            Zeroizing::new(
                fs::read_to_string(path).map_err(|source| VaultError::KeyFileIo {
                    path: path.to_owned(),
                    source,
                })?,
            );
        Self::from_toml(&text)
    }

    /// Reads the key file format from an environment variable (for deployments that inject
    /// secrets that way).
    pub fn from_env(name: &str) -> Result<Self, VaultError> {
        let text = Zeroizing::new(std::env::var(name).map_err(|_| VaultError::MissingEnv {
            name: name.to_owned(),
        })?);
        Self::from_toml(&text)
    }

    /// The key file for this ring. It holds every key: write it with
    /// [`KeyRing::write_key_file`] or keep it in a secret store.
    pub fn to_toml(&self) -> Secret<String> {
        let mut out = String::from(
            "# tripdesk vault keys. Keep this file secret and backed up: without it the\n\
             # encrypted customer data cannot be read.\n",
        );
        out.push_str(&format!("active = \"{}\"\n", self.active));
        out.push_str(
            "# HMAC key of the blind indexes. Changing it means rebuilding every index.\n",
        );
        out.push_str(&format!(
            "index_key = \"{}\"\n",
            encode_key(&self.index_key)
        ));
        out.push_str("\n[keys]\n");
        for (kid, key) in &self.keys {
            out.push_str(&format!("{kid} = \"{}\"\n", encode_key(key)));
        }
        Secret::new(out)
    }

    /// Writes the key file to a new file, readable and writable by the owner only (0600 on
    /// Unix). Refuses to overwrite an existing file: losing a key loses the data it sealed.
    pub fn write_key_file(&self, path: impl AsRef<Path>) -> Result<(), VaultError> {
        let path = path.as_ref();
        let io_err = |source| VaultError::KeyFileIo {
            path: path.to_owned(),
            source,
        };
        let mut file = private_options().open(path).map_err(io_err)?;
        file.write_all(self.to_toml().expose_secret().as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(io_err)
    }

    /// Replaces a key file atomically (after [`KeyRing::add_key_and_activate`] or
    /// [`KeyRing::remove_key`]): writes a 0600 sibling file, then renames it over `path`.
    pub fn replace_key_file(&self, path: impl AsRef<Path>) -> Result<(), VaultError> {
        let path = path.as_ref();
        let file_name = path.file_name().ok_or_else(|| VaultError::KeyFileIo {
            path: path.to_owned(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a file path"),
        })?;
        let mut tmp_name = std::ffi::OsString::from(".");
        tmp_name.push(file_name);
        tmp_name.push(format!(".tmp-{}", std::process::id()));
        let tmp = path.with_file_name(tmp_name);
        self.write_key_file(&tmp)?;
        fs::rename(&tmp, path).map_err(|source| {
            let _ = fs::remove_file(&tmp);
            VaultError::KeyFileIo {
                path: path.to_owned(),
                source,
            }
        })
    }

    /// Adds a fresh random data key under the next free id (`k3` after `k1`, `k2`) and makes
    /// it the active key. Returns the new id. Existing values stay readable.
    pub fn add_key_and_activate(&mut self) -> String {
        let next = self
            .keys
            .keys()
            .filter_map(|kid| kid.strip_prefix('k')?.parse::<u32>().ok())
            .max()
            .unwrap_or(0);
        let kid = (next.saturating_add(1)..)
            .map(|n| format!("k{n}"))
            .find(|kid| !self.keys.contains_key(kid))
            .expect("some id is free");
        self.keys.insert(kid.clone(), random_key());
        self.active = kid.clone();
        kid
    }

    /// Retires a data key once no sealed value uses it any more. The active key cannot be
    /// removed.
    pub fn remove_key(&mut self, kid: &str) -> Result<(), VaultError> {
        if kid == self.active {
            return Err(VaultError::KeyRing {
                reason: "the active key cannot be removed",
            });
        }
        match self.keys.remove(kid) {
            Some(_) => Ok(()),
            None => Err(VaultError::UnknownKeyId {
                kid: kid.to_owned(),
            }),
        }
    }

    /// The id of the key new values are sealed under.
    pub fn active_key_id(&self) -> &str {
        &self.active
    }

    /// All data key ids, sorted.
    pub fn key_ids(&self) -> impl Iterator<Item = &str> {
        self.keys.keys().map(String::as_str)
    }
}

impl fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyRing")
            .field("active", &self.active)
            .field("key_ids", &self.keys.keys().collect::<Vec<_>>())
            .field("index_key", &format_args!("[redacted]"))
            .finish()
    }
}

/// Key ids appear in every sealed value: short, and free of the `.` separator.
pub(crate) fn is_key_id(s: &str) -> bool {
    (1..=16).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Names an unknown entry in an error only when it looks like a name, not like pasted key
/// material.
fn entry_name(name: &str) -> String {
    if is_key_id(name) {
        name.to_owned()
    } else {
        "(unnamed)".to_owned()
    }
}

fn random_key() -> KeyBytes {
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    OsRng.fill_bytes(key.as_mut());
    key
}

fn encode_key(key: &KeyBytes) -> String {
    STANDARD.encode(key.as_ref())
}

const LENIENT: GeneralPurposeConfig =
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
const STANDARD_LENIENT: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, LENIENT);
const URL_SAFE_LENIENT: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, LENIENT);

/// Decodes one key entry, wiping the text and the decoded bytes it leaves behind.
fn decode_key(entry: &str, value: toml::Value) -> Result<KeyBytes, VaultError> {
    let toml::Value::String(text) = value else {
        return Err(VaultError::bad_entry(entry, "must be a base64 string"));
    };
    let text = Zeroizing::new(text);
    let trimmed = text.trim();
    let bytes = Zeroizing::new(
        STANDARD_LENIENT
            .decode(trimmed)
            .or_else(|_| URL_SAFE_LENIENT.decode(trimmed))
            .map_err(|_| VaultError::bad_entry(entry, "is not valid base64"))?,
    );
    if bytes.len() != KEY_LEN {
        return Err(VaultError::bad_entry(
            entry,
            "must decode to exactly 32 bytes (256 bits)",
        ));
    }
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    key.copy_from_slice(&bytes);
    Ok(key)
}

#[cfg(unix)]
fn private_options() -> OpenOptions {
    use std::os::unix::fs::OpenOptionsExt;
    let mut options = OpenOptions::new();
    options.write(true).create_new(true).mode(0o600);
    options
}

#[cfg(not(unix))]
fn private_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    options
}
