use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use proptest::prelude::*;
use tripdesk_vault::{KeyRing, Sealed, VaultError};

const FIELD: &str = "customer.resident_id";
const RECORD: &str = "0192f1c4-0000-7000-8000-000000000001";
const ID: &str = "11010519491231002X";

/// Index key bytes 0..32, data key k1 bytes 100..132.
const FIXED: &str = r#"
active = "k1"
index_key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

[keys]
k1 = "ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1+f4CBgoM="
"#;

fn fixed() -> KeyRing {
    KeyRing::from_toml(FIXED).unwrap()
}

fn open(ring: &KeyRing, field: &str, record: &str, sealed: &str) -> Result<String, VaultError> {
    ring.decrypt(field, record, sealed)
        .map(|s| s.expose_secret().clone())
}

#[test]
fn round_trip() {
    let ring = KeyRing::generate();
    for plaintext in [
        ID,
        "",
        "张伟",
        "对花生过敏; allergic to peanuts",
        &"x".repeat(10_000),
    ] {
        let sealed = ring.encrypt(FIELD, RECORD, plaintext);
        assert!(sealed.as_str().starts_with("v1.k1."));
        assert_eq!(sealed.key_id(), "k1");
        assert_eq!(
            open(&ring, FIELD, RECORD, sealed.as_str()).unwrap(),
            plaintext
        );
        assert_eq!(Sealed::parse(sealed.as_str()).unwrap(), sealed);
    }
}

#[test]
fn each_seal_uses_a_fresh_nonce() {
    let ring = KeyRing::generate();
    let a = ring.encrypt(FIELD, RECORD, ID);
    let b = ring.encrypt(FIELD, RECORD, ID);
    assert_ne!(a, b);
}

/// An envelope made outside this crate (Python `cryptography`, HChaCha20 by hand) with the
/// documented construction: pins the format so stored data stays readable.
#[test]
fn known_answer_envelope_opens() {
    let sealed =
        "v1.k1.yMnKy8zNzs_Q0dLT1NXW19jZ2tvc3d7fgPpKO58N6afZIAfWuJBZZR4sELoS5664vswGkDtvAhiprA";
    assert_eq!(open(&fixed(), FIELD, RECORD, sealed).unwrap(), ID);
}

#[test]
fn tampering_with_any_byte_fails() {
    let ring = KeyRing::generate();
    let sealed = ring.encrypt(FIELD, RECORD, ID);
    let payload = sealed.as_str().strip_prefix("v1.k1.").unwrap();
    let blob = URL_SAFE_NO_PAD.decode(payload).unwrap();
    for i in 0..blob.len() {
        let mut altered = blob.clone();
        altered[i] ^= 0x01;
        let forged = format!("v1.k1.{}", URL_SAFE_NO_PAD.encode(&altered));
        assert!(
            matches!(
                ring.decrypt(FIELD, RECORD, &forged),
                Err(VaultError::AuthenticationFailed)
            ),
            "byte {i}"
        );
    }
    let truncated = format!("v1.k1.{}", URL_SAFE_NO_PAD.encode(&blob[..blob.len() - 1]));
    assert!(ring.decrypt(FIELD, RECORD, &truncated).is_err());
}

#[test]
fn moving_a_value_to_another_record_or_field_fails() {
    let ring = KeyRing::generate();
    let sealed = ring.encrypt(FIELD, RECORD, ID);
    for (field, record) in [
        (FIELD, "0192f1c4-0000-7000-8000-000000000002"),
        ("customer.passport", RECORD),
        ("customer.resident_i", &format!("d{RECORD}")),
        ("", ""),
    ] {
        assert!(matches!(
            ring.decrypt(field, record, sealed.as_str()),
            Err(VaultError::AuthenticationFailed)
        ));
    }
}

#[test]
fn relabelling_the_key_id_fails() {
    let mut ring = KeyRing::generate();
    let sealed = ring.encrypt(FIELD, RECORD, ID);
    ring.add_key_and_activate();
    let relabelled = sealed.as_str().replacen("v1.k1.", "v1.k2.", 1);
    assert!(matches!(
        ring.decrypt(FIELD, RECORD, &relabelled),
        Err(VaultError::AuthenticationFailed)
    ));
    let unknown = sealed.as_str().replacen("v1.k1.", "v1.k9.", 1);
    assert!(matches!(
        ring.decrypt(FIELD, RECORD, &unknown),
        Err(VaultError::UnknownKeyId { kid }) if kid == "k9"
    ));
}

#[test]
fn malformed_envelopes_are_named_as_such() {
    let ring = KeyRing::generate();
    for bad in [
        "",
        "v1",
        "v1.k1",
        "v2.k1.AAAA",
        "v1..AAAA",
        "v1.k 1.AAAA",
        "v1.k1.not base64!",
        "v1.k1.AAAA",
        "11010519491231002X",
    ] {
        assert!(
            matches!(
                ring.decrypt(FIELD, RECORD, bad),
                Err(VaultError::MalformedEnvelope { .. })
            ),
            "{bad:?}"
        );
        assert!(Sealed::parse(bad).is_err());
        assert!(!ring.needs_rotation(bad));
    }
}

#[test]
fn rotation_keeps_old_values_readable_and_seals_new_ones_under_the_new_key() {
    let mut ring = KeyRing::generate();
    let old = ring.encrypt(FIELD, RECORD, ID);
    assert!(!ring.needs_rotation(old.as_str()));

    assert_eq!(ring.add_key_and_activate(), "k2");
    assert_eq!(ring.active_key_id(), "k2");
    assert_eq!(ring.key_ids().collect::<Vec<_>>(), ["k1", "k2"]);
    assert_eq!(open(&ring, FIELD, RECORD, old.as_str()).unwrap(), ID);
    assert!(ring.needs_rotation(old.as_str()));

    let new = ring.encrypt(FIELD, RECORD, ID);
    assert_eq!(new.key_id(), "k2");
    assert!(!ring.needs_rotation(new.as_str()));

    let moved = ring.reencrypt(FIELD, RECORD, old.as_str()).unwrap();
    assert_eq!(moved.key_id(), "k2");
    assert_eq!(open(&ring, FIELD, RECORD, moved.as_str()).unwrap(), ID);

    // The active key stays; a retired one is gone for good.
    assert!(matches!(
        ring.remove_key("k2"),
        Err(VaultError::KeyRing { .. })
    ));
    ring.remove_key("k1").unwrap();
    assert!(matches!(
        ring.decrypt(FIELD, RECORD, old.as_str()),
        Err(VaultError::UnknownKeyId { .. })
    ));
    assert_eq!(open(&ring, FIELD, RECORD, moved.as_str()).unwrap(), ID);
    assert!(matches!(
        ring.remove_key("k1"),
        Err(VaultError::UnknownKeyId { .. })
    ));
    assert_eq!(ring.add_key_and_activate(), "k3");
}

#[test]
fn blind_index_is_deterministic_and_separated_by_kind_and_key() {
    let ring = fixed();
    let a = ring.blind_index("phone", "+8613800138000");
    // HMAC-SHA256 computed independently (Python hmac) for the fixed index key.
    assert_eq!(
        a,
        "015e2e107471877ceb31f0ab92a0f2b79b6d7ae24c366f838fa3f671d16d153b"
    );
    assert_eq!(ring.blind_index("phone", "+8613800138000"), a);
    assert_ne!(ring.blind_index("passport", "+8613800138000"), a);
    assert_ne!(ring.blind_index("phone", "+8613800138001"), a);
    // Kind and value cannot trade characters.
    assert_ne!(ring.blind_index("ab", "c"), ring.blind_index("a", "bc"));
    // Another installation's index key gives unrelated indexes.
    assert_ne!(
        KeyRing::generate().blind_index("phone", "+8613800138000"),
        a
    );
}

#[test]
fn blind_index_survives_data_key_rotation() {
    let mut ring = fixed();
    let before = ring.blind_index("resident_id", ID);
    ring.add_key_and_activate();
    ring.remove_key("k1").unwrap();
    assert_eq!(ring.blind_index("resident_id", ID), before);
}

#[test]
fn key_file_round_trip() {
    let mut ring = KeyRing::generate();
    ring.add_key_and_activate();
    let old = ring.encrypt(FIELD, RECORD, ID);
    let text = ring.to_toml();
    let loaded = KeyRing::from_toml(text.expose_secret()).unwrap();
    assert_eq!(loaded.active_key_id(), "k2");
    assert_eq!(open(&loaded, FIELD, RECORD, old.as_str()).unwrap(), ID);
    assert_eq!(
        loaded.blind_index("phone", "+8613800138000"),
        ring.blind_index("phone", "+8613800138000")
    );
}

#[test]
fn key_file_accepts_unpadded_and_url_safe_base64() {
    let text = FIXED
        .replace("HB8=", "HB8")
        .replace("fH1+f4CBgoM=", "fH1-f4CBgoM");
    let ring = KeyRing::from_toml(&text).unwrap();
    assert_eq!(
        ring.blind_index("phone", "+8613800138000"),
        fixed().blind_index("phone", "+8613800138000")
    );
}

fn key_file_error(text: &str) -> String {
    let err = KeyRing::from_toml(text).unwrap_err();
    let shown = format!("{err} / {err:?}");
    for secret in ["ZGVmZ2hpamtsbW5v", "AAECAwQFBgcICQoL", "c2hvcnQ"] {
        assert!(!shown.contains(secret), "{shown}");
    }
    err.to_string()
}

#[test]
fn key_file_errors_name_the_entry_but_not_the_key() {
    let k1 = "ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1+f4CBgoM=";
    let ix = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    let cases = [
        (
            format!("index_key = \"{ix}\"\n[keys]\nk1 = \"{k1}\""),
            "`active`: missing",
        ),
        (
            format!("active = \"k2\"\nindex_key = \"{ix}\"\n[keys]\nk1 = \"{k1}\""),
            "`active`: names no key",
        ),
        (
            format!("active = \"k1\"\nindex_key = \"{ix}\"\n[keys]\nk1 = \"c2hvcnQ=\""),
            "`keys.k1`: must decode to exactly 32 bytes",
        ),
        (
            format!(
                "active = \"k1\"\nindex_key = \"{ix}\"\n[keys]\nk1 = \"{k1}\"\nk2 = \"ZGVm*2hp\""
            ),
            "`keys.k2`: is not valid base64",
        ),
        (
            format!("active = \"k1\"\nindex_key = \"{ix}\"\n[keys]\nk1 = 5"),
            "`keys.k1`: must be a base64 string",
        ),
        (
            format!("active = \"k1\"\n[keys]\nk1 = \"{k1}\"\nindex_key = \"{ix}\""),
            "`index_key`: must be at the top level",
        ),
        (
            format!("active = \"k1\"\nindex_key = \"{ix}\"\n[keys]\nk1 = \"{k1}\"\nindex_key = \"{ix}\""),
            "`index_key`: must be at the top level",
        ),
        (
            format!("active = \"k1\"\nindex_key = \"{ix}\"\n[keys]\nk1 = \"{ix}\""),
            "`keys.k1`: must differ from index_key",
        ),
        (
            format!("active = \"k1\"\nindex_key = \"{ix}\"\nextra = 1\n[keys]\nk1 = \"{k1}\""),
            "`extra`: unknown entry",
        ),
        (
            format!("active = \"k1\"\nindex_key = \"{ix}\"\n[keys]\n\"k.1\" = \"{k1}\""),
            "`keys`: key ids are",
        ),
        (
            format!("active = \"k1\"\nindex_key = \"{ix}\""),
            "`keys`: missing",
        ),
        (
            format!("active = \"k1\"\nindex_key = \"{ix}\"\n{k1}\n[keys]"),
            "not valid TOML (line 3)",
        ),
    ];
    for (text, expected) in cases {
        let message = key_file_error(&text);
        assert!(message.contains(expected), "{message:?} lacks {expected:?}");
    }
}

#[test]
fn nothing_secret_in_debug_output() {
    let ring = fixed();
    let shown = format!("{ring:?} {ring:#?}");
    assert!(shown.contains("k1"), "{shown}");
    assert!(shown.contains("[redacted]"));
    // Neither the base64 of the keys nor their bytes as a Debug array.
    for needle in ["ZGVmZ2hp", "AAECAwQF", "100, 101", "0, 1, 2"] {
        assert!(!shown.contains(needle), "{needle} in {shown}");
    }
    let secret = ring.decrypt(FIELD, RECORD, ring.encrypt(FIELD, RECORD, ID).as_str());
    let shown = format!("{secret:?}");
    assert_eq!(shown, "Ok([redacted])");
    let err = ring
        .decrypt("other", RECORD, ring.encrypt(FIELD, RECORD, ID).as_str())
        .unwrap_err();
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains(ID) && !shown.contains("v1.k1"), "{shown}");
    assert_eq!(format!("{}", ring.to_toml()), "[redacted]");
}

#[test]
fn key_file_is_written_private_and_never_clobbered() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.toml");
    let mut ring = KeyRing::generate();
    ring.write_key_file(&path).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    assert!(matches!(
        ring.write_key_file(&path),
        Err(VaultError::KeyFileIo { .. })
    ));

    let sealed = ring.encrypt(FIELD, RECORD, ID);
    ring.add_key_and_activate();
    ring.replace_key_file(&path).unwrap();
    let loaded = KeyRing::load_file(&path).unwrap();
    assert_eq!(loaded.active_key_id(), "k2");
    assert_eq!(open(&loaded, FIELD, RECORD, sealed.as_str()).unwrap(), ID);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);

    let missing = KeyRing::load_file(dir.path().join("absent.toml")).unwrap_err();
    assert_eq!(missing.code(), "vault.key_file_io");
}

#[test]
fn key_ring_from_environment() {
    let name = "TRIPDESK_VAULT_TEST_KEYS_7f3a";
    // Edition 2021: set_var is safe; the name is unique to this test.
    std::env::set_var(name, FIXED);
    let ring = KeyRing::from_env(name).unwrap();
    assert_eq!(
        ring.blind_index("phone", "+8613800138000"),
        fixed().blind_index("phone", "+8613800138000")
    );
    std::env::remove_var(name);
    assert!(matches!(
        KeyRing::from_env(name),
        Err(VaultError::MissingEnv { .. })
    ));
}

proptest! {
    #[test]
    fn any_text_round_trips(plaintext in "\\PC{0,200}", record in "[0-9a-f-]{1,36}") {
        let ring = fixed();
        let sealed = ring.encrypt(FIELD, &record, &plaintext);
        prop_assert_eq!(open(&ring, FIELD, &record, sealed.as_str()).unwrap(), plaintext);
    }
}
