//! The shape of an `Idempotency-Key`: what a client may send to make a create request safe
//! to retry.

/// The longest key accepted.
pub const MAX_KEY_LEN: usize = 255;

/// How long a key answers replays after its first use.
pub const KEY_LIFETIME: jiff::SignedDuration = jiff::SignedDuration::from_hours(24);

/// Why a key was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyError {
    Empty,
    TooLong,
    /// A character outside visible ASCII (`!` to `~`): spaces, controls, non-ASCII.
    NotVisibleAscii,
}

impl KeyError {
    pub fn code(self) -> &'static str {
        match self {
            KeyError::Empty => "empty",
            KeyError::TooLong => "too_long",
            KeyError::NotVisibleAscii => "invalid",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            KeyError::Empty => "the Idempotency-Key header is empty",
            KeyError::TooLong => "the Idempotency-Key header is longer than 255 characters",
            KeyError::NotVisibleAscii => {
                "the Idempotency-Key header may hold only visible ASCII characters (! to ~)"
            }
        }
    }
}

/// A key is 1 to 255 visible ASCII characters (a UUID fits; spaces do not).
pub fn check_key(key: &[u8]) -> Result<&str, KeyError> {
    if key.is_empty() {
        return Err(KeyError::Empty);
    }
    if key.len() > MAX_KEY_LEN {
        return Err(KeyError::TooLong);
    }
    if !key.iter().all(|b| (b'!'..=b'~').contains(b)) {
        return Err(KeyError::NotVisibleAscii);
    }
    std::str::from_utf8(key).map_err(|_| KeyError::NotVisibleAscii)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn edges() {
        assert_eq!(check_key(b""), Err(KeyError::Empty));
        assert_eq!(check_key(b"a"), Ok("a"));
        assert_eq!(check_key(&[b'k'; 255]).map(str::len), Ok(255));
        assert_eq!(check_key(&[b'k'; 256]), Err(KeyError::TooLong));
        assert_eq!(check_key(b"a b"), Err(KeyError::NotVisibleAscii));
        assert_eq!(check_key(b"a\tb"), Err(KeyError::NotVisibleAscii));
        assert_eq!(check_key(b"\x7f"), Err(KeyError::NotVisibleAscii));
        assert_eq!(check_key("键".as_bytes()), Err(KeyError::NotVisibleAscii));
        assert_eq!(
            check_key(b"0190c8a2-6f1e-7a3b-9c4d-1e2f3a4b5c6d"),
            Ok("0190c8a2-6f1e-7a3b-9c4d-1e2f3a4b5c6d")
        );
    }

    proptest! {
        /// Accepted exactly when 1–255 bytes, each from `!` to `~`; an accepted key is
        /// returned unchanged.
        #[test]
        fn accepts_exactly_visible_ascii(key in proptest::collection::vec(any::<u8>(), 0..300)) {
            let visible = key.iter().all(|b| (0x21..=0x7e).contains(b));
            let ok = !key.is_empty() && key.len() <= MAX_KEY_LEN && visible;
            match check_key(&key) {
                Ok(s) => { prop_assert!(ok); prop_assert_eq!(s.as_bytes(), &key[..]); }
                Err(_) => prop_assert!(!ok),
            }
        }
    }
}
