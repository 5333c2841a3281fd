//! Text that people type, one set of rules for all of it.
//!
//! - **Single-line text** — names, subjects, titles, file names, tags: no control character at
//!   all (so no CR/LF that could split a header or a CSV row, no tab), no line or paragraph
//!   separator.
//! - **Multi-line text** — descriptions, replies, notes, bodies: LF and CRLF and tabs are kept,
//!   every other control character is refused.
//! - **Both** refuse the bidirectional embedding, override and isolate controls (U+202A–U+202E,
//!   U+2066–U+2069, U+061C): U+202E turns `invoice<U+202E>fdp.exe` into what reads as `invoiceexe.pdf`,
//!   and a name or subject can be made to read backwards on a colleague's screen. Text that is
//!   empty once whitespace and invisible format characters (Unicode category Cf: zero-width
//!   space and joiners, U+FEFF, soft hyphen, …) are left out counts as empty, so a name made
//!   only of zero-width characters is "required", not accepted. Format characters inside
//!   visible text are kept (a zero-width joiner belongs in some names and emoji).
//!
//! The value is trimmed of surrounding whitespace (and of surrounding U+FEFF, which editors
//! put at the start of pasted text); length is counted in characters after trimming.

use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

/// Why a text was refused; [`TextError::code`] is the stable code clients see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("is required (it has no visible characters)")]
    Empty,
    #[error("must be at most {max} characters")]
    TooLong { max: usize },
    #[error("must be on one line (no line breaks)")]
    LineBreak,
    #[error("must not contain control characters")]
    ControlCharacter,
    #[error("must not contain bidirectional control characters (U+202A–U+202E, U+2066–U+2069)")]
    BidiControl,
}

impl TextError {
    /// Stable code: `required`, `too_long`, `line_break`, `control_character`, `bidi_control`.
    pub fn code(&self) -> &'static str {
        match self {
            TextError::Empty => "required",
            TextError::TooLong { .. } => "too_long",
            TextError::LineBreak => "line_break",
            TextError::ControlCharacter => "control_character",
            TextError::BidiControl => "bidi_control",
        }
    }
}

/// Whether `c` is a bidirectional embedding, override or isolate control (or the Arabic
/// letter mark, which acts as one).
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{061C}')
}

/// Whether `c` shows nothing on its own: whitespace or a format character (category Cf).
pub fn is_invisible(c: char) -> bool {
    c.is_whitespace() || c.general_category() == GeneralCategory::Format
}

fn is_line_break(c: char) -> bool {
    matches!(
        c,
        '\n' | '\r' | '\u{0B}' | '\u{0C}' | '\u{85}' | '\u{2028}' | '\u{2029}'
    )
}

fn trim(value: &str) -> &str {
    value.trim_matches(|c: char| c.is_whitespace() || c == '\u{FEFF}')
}

fn check(value: &str, max: usize, multi_line: bool) -> Result<String, TextError> {
    let value = trim(value);
    for c in value.chars() {
        if is_bidi_control(c) {
            return Err(TextError::BidiControl);
        }
        if multi_line {
            if c.is_control() && !matches!(c, '\n' | '\r' | '\t') {
                return Err(TextError::ControlCharacter);
            }
            if matches!(c, '\u{2028}' | '\u{2029}') {
                return Err(TextError::ControlCharacter);
            }
        } else if is_line_break(c) {
            return Err(TextError::LineBreak);
        } else if c.is_control() {
            return Err(TextError::ControlCharacter);
        }
    }
    if multi_line && value.replace("\r\n", "").contains('\r') {
        // A lone CR is a line break only to old Macs; it hides text in most viewers.
        return Err(TextError::ControlCharacter);
    }
    if value.chars().all(is_invisible) {
        return Err(TextError::Empty);
    }
    if value.chars().count() > max {
        return Err(TextError::TooLong { max });
    }
    Ok(value.to_string())
}

/// A single-line text of 1 to `max` characters, trimmed (see the module's rules).
pub fn single_line(value: &str, max: usize) -> Result<String, TextError> {
    check(value, max, false)
}

/// A multi-line text of 1 to `max` characters, trimmed; LF, CRLF and tabs are kept.
pub fn multi_line(value: &str, max: usize) -> Result<String, TextError> {
    check(value, max, true)
}

/// Like [`single_line`], but empty (after trimming) is `None` rather than an error.
pub fn optional_single_line(value: &str, max: usize) -> Result<Option<String>, TextError> {
    match single_line(value, max) {
        Err(TextError::Empty) if trim(value).is_empty() => Ok(None),
        other => other.map(Some),
    }
}

/// Like [`multi_line`], but empty (after trimming) is `None` rather than an error.
pub fn optional_multi_line(value: &str, max: usize) -> Result<Option<String>, TextError> {
    match multi_line(value, max) {
        Err(TextError::Empty) if trim(value).is_empty() => Ok(None),
        other => other.map(Some),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn names_and_subjects() {
        assert_eq!(single_line("  王芳 ", 10).unwrap(), "王芳");
        assert_eq!(single_line("\u{FEFF}王芳", 10).unwrap(), "王芳");
        assert_eq!(single_line("", 10), Err(TextError::Empty));
        assert_eq!(
            single_line("\u{200B}\u{200C}\u{FEFF}", 10),
            Err(TextError::Empty)
        );
        assert_eq!(single_line(" \u{2060}\u{00AD} ", 10), Err(TextError::Empty));
        assert_eq!(single_line("a\r\nb", 10), Err(TextError::LineBreak));
        assert_eq!(single_line("a\nb", 10), Err(TextError::LineBreak));
        assert_eq!(single_line("a\u{2028}b", 10), Err(TextError::LineBreak));
        assert_eq!(single_line("a\tb", 10), Err(TextError::ControlCharacter));
        assert_eq!(single_line("a\u{7F}", 10), Err(TextError::ControlCharacter));
        assert_eq!(
            single_line("invoice\u{202E}fdp.exe", 40),
            Err(TextError::BidiControl)
        );
        assert_eq!(single_line("a\u{2066}b", 10), Err(TextError::BidiControl));
        assert_eq!(single_line("一二三", 2), Err(TextError::TooLong { max: 2 }));
        // A joiner inside visible text stays.
        assert_eq!(single_line("👩\u{200D}💻", 10).unwrap(), "👩\u{200D}💻");
        assert_eq!(optional_single_line("  ", 10), Ok(None));
        assert_eq!(optional_single_line("\u{200B}", 10), Err(TextError::Empty));
    }

    #[test]
    fn descriptions_keep_their_lines() {
        assert_eq!(multi_line("a\r\nb\n\tc", 20).unwrap(), "a\r\nb\n\tc");
        assert_eq!(multi_line("a\rb", 20), Err(TextError::ControlCharacter));
        assert_eq!(
            multi_line("a\u{1B}[31m", 20),
            Err(TextError::ControlCharacter)
        );
        assert_eq!(multi_line("a\u{202D}b", 20), Err(TextError::BidiControl));
        assert_eq!(multi_line("\n\u{200B}\n", 20), Err(TextError::Empty));
    }

    proptest! {
        /// Whatever single_line accepts is one trimmed, visible line of at most `max`
        /// characters without controls; whatever it refuses has a reason.
        #[test]
        fn accepted_single_lines_are_clean(s in "\\PC{0,12}|[\\x00-\\x1f\u{200B}\u{202E}\u{FEFF} a]{0,8}") {
            match single_line(&s, 10) {
                Ok(v) => {
                    prop_assert!(v.chars().count() <= 10);
                    prop_assert!(!v.chars().any(|c| c.is_control() || is_bidi_control(c)));
                    prop_assert!(!v.chars().all(is_invisible));
                    prop_assert_eq!(v.trim(), v.as_str());
                }
                Err(TextError::Empty) => prop_assert!(s.chars().all(is_invisible)),
                Err(TextError::TooLong { .. }) => prop_assert!(s.chars().count() > 10),
                Err(TextError::LineBreak) => prop_assert!(s.chars().any(is_line_break)),
                Err(TextError::ControlCharacter) => prop_assert!(s.chars().any(char::is_control)),
                Err(TextError::BidiControl) => prop_assert!(s.chars().any(is_bidi_control)),
            }
        }

        /// A multi-line text accepted never holds a control other than LF, CR before LF, tab.
        #[test]
        fn accepted_multi_lines_are_clean(s in "[\\x00-\\x1f\u{202E}a-c\u{4E00}]{0,12}") {
            if let Ok(v) = multi_line(&s, 20) {
                prop_assert!(v.chars().all(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t')));
                prop_assert!(!v.replace("\r\n", "").contains('\r'));
            }
        }
    }
}
