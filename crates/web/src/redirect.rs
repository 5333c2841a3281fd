//! Where a redirect may go. Every `Location` the UI sends passes through [`local_or_root`]
//! (via `ui::see_other`), so a `next`, `back` or any other target taken from a request can
//! only lead to a path of this server; anything else goes to `/`.

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, CONTROLS};

/// Bytes percent-encoded in a target we pass on: controls are refused before, so this is
/// space and everything outside ASCII.
const ENCODE: &AsciiSet = &CONTROLS.add(b' ');

/// Whether `s` starts like a path of this server: one `/`, not followed by `/` or `\`
/// (browsers read `//host` and `/\host` as another host).
fn starts_as_local_path(s: &str) -> bool {
    let b = s.as_bytes();
    b.first() == Some(&b'/') && !matches!(b.get(1), Some(b'/' | b'\\'))
}

/// `target` as a same-origin path (with query and fragment) safe to put in `Location`, or
/// `None`. Refused: anything not starting with a single `/` (absolute URLs, `//host`,
/// `/\host`), control characters (tab, CR, LF, …) and backslashes anywhere — in the text or
/// once percent-decoded (`/%09/evil.example`, `/%5Cevil.example`) —, and what does not parse
/// as a path and query. Spaces and non-ASCII text are percent-encoded.
pub fn same_origin_path(target: &str) -> Option<String> {
    if target
        .chars()
        .any(|c| c.is_control() || c == '\\' || tripdesk_domain::text::is_bidi_control(c))
    {
        return None;
    }
    let encoded = utf8_percent_encode(target, ENCODE).to_string();
    let decoded = percent_decode_str(&encoded).decode_utf8_lossy();
    if decoded.chars().any(|c| c.is_control() || c == '\\') {
        return None;
    }
    if !starts_as_local_path(&encoded) || !starts_as_local_path(&decoded) {
        return None;
    }
    let path_and_query = encoded.split('#').next().unwrap_or_default();
    path_and_query
        .parse::<axum::http::uri::PathAndQuery>()
        .ok()?;
    axum::http::HeaderValue::from_str(&encoded).ok()?;
    Some(encoded)
}

/// [`same_origin_path`], or `/` when `target` is not one.
pub fn local_or_root(target: &str) -> String {
    same_origin_path(target).unwrap_or_else(|| "/".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn local_paths_are_kept() {
        for ok in [
            "/",
            "/admin/users?q=1",
            "/desk/tickets/0190?x=1#timeline",
            "/desk?q=%E7%8E%8B",
            "/notify/messages?state=dead",
        ] {
            assert_eq!(same_origin_path(ok).as_deref(), Some(ok), "{ok}");
        }
        assert_eq!(
            local_or_root("/desk?q=王 芳"),
            "/desk?q=%E7%8E%8B%20%E8%8A%B3"
        );
    }

    #[test]
    fn everything_else_goes_home() {
        for bad in [
            "",
            "desk",
            "//evil.example",
            "///evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "/\t/evil.example",
            "/%09/evil.example",
            "/%0d%0aSet-Cookie:x=1",
            "/\r\nSet-Cookie: x=1",
            "/%2F/evil.example",
            "/%2f%2fevil.example",
            "/%5Cevil.example",
            "/%5cevil.example",
            "/a%5Cb",
            "https://evil.example",
            "http:/evil.example",
            "javascript:alert(1)",
            " /x",
            "/x\u{202E}",
            "/%00",
            "/%7F",
        ] {
            assert_eq!(local_or_root(bad), "/", "{bad:?}");
        }
    }

    /// What a browser would do with the result: it always stays on this origin.
    fn resolves_here(location: &str) -> bool {
        let b = location.as_bytes();
        b.first() == Some(&b'/')
            && !matches!(b.get(1), Some(b'/' | b'\\'))
            && !location
                .bytes()
                .any(|c| c.is_ascii_control() || c == b'\\' || c >= 0x80)
    }

    proptest! {
        #[test]
        fn never_leaves_the_origin(s in "[/\\\\%0-9a-fA-F:.\t\r\n ?#=@a-z\u{3000}王]{0,16}") {
            let out = local_or_root(&s);
            prop_assert!(resolves_here(&out), "{:?} -> {:?}", s, out);
            let decoded = percent_decode_str(&out).decode_utf8_lossy().to_string();
            prop_assert!(!decoded.chars().any(|c| c.is_control() || c == '\\'));
            prop_assert!(axum::http::HeaderValue::from_str(&out).is_ok());
        }
    }
}
