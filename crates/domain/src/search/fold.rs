//! Folding: the one form both the indexed text and the query are compared in.
//!
//! Each character folds to exactly one character, so a position in the folded text is the
//! same position in the original (highlighting marks the original's characters):
//! - full-width forms to ASCII and the ideographic space to a space (`ＡＢＣ１２３` → `abc123`);
//! - upper case to lower case (where the lower case is one character);
//! - traditional Chinese characters to simplified ones (`投訴` → `投诉`).
//!
//! The traditional → simplified table is the `fast2s` crate's (MIT, built into the binary,
//! nothing read at run time), applied **character by character**: `fast2s::convert` keeps a
//! few characters unconverted next to certain neighbours (`乾隆`, `回覆`), and a fold that
//! depends on the neighbours would fold a word differently in a query than in a sentence — a
//! missed document. Search compares folded forms on both sides, so a consistent fold matters
//! more than the best conversion of a phrase.

use std::collections::HashMap;
use std::sync::OnceLock;

/// Traditional → simplified, one character to one character (only the characters that change).
fn t2s_table() -> &'static HashMap<char, char> {
    static TABLE: OnceLock<HashMap<char, char>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table = HashMap::new();
        let mut buf = [0u8; 4];
        // fast2s converts characters of three UTF-8 bytes (the BMP's CJK blocks).
        for code in 0x2E80u32..=0xFFFF {
            let Some(c) = char::from_u32(code) else {
                continue;
            };
            let s = c.encode_utf8(&mut buf);
            let converted = fast2s::convert(s);
            let mut chars = converted.chars();
            if let (Some(to), None) = (chars.next(), chars.next()) {
                if to != c {
                    table.insert(c, to);
                }
            }
        }
        table
    })
}

/// Simplified → traditional: the inverse of the folding table (for each simplified character
/// the lowest traditional code point that folds to it). For tests that need text in
/// traditional script; search itself never converts this way.
pub fn simplified_to_traditional_table() -> HashMap<char, char> {
    let mut inverse: HashMap<char, char> = HashMap::new();
    for (&t, &s) in t2s_table() {
        inverse
            .entry(s)
            .and_modify(|cur| {
                if t < *cur {
                    *cur = t
                }
            })
            .or_insert(t);
    }
    inverse
}

/// Folds one character (see the module).
pub fn fold_char(c: char) -> char {
    let c = crate::customer::fold_width(c);
    if c.is_ascii() {
        return c.to_ascii_lowercase();
    }
    if c.is_uppercase() {
        let mut lower = c.to_lowercase();
        if let (Some(l), None) = (lower.next(), lower.next()) {
            return l;
        }
        return c;
    }
    t2s_table().get(&c).copied().unwrap_or(c)
}

/// Folds a text; the result has as many characters as `text`.
pub fn fold(text: &str) -> String {
    text.chars().map(fold_char).collect()
}

/// Whether `c` belongs to a script written without spaces between words (Han, kana, Hangul):
/// such runs are segmented and cut into character pairs; other letters and digits form words.
pub fn is_dense(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF      // Hiragana, Katakana
        | 0x3400..=0x4DBF    // CJK Extension A
        | 0x4E00..=0x9FFF    // CJK Unified Ideographs
        | 0xAC00..=0xD7AF    // Hangul syllables
        | 0xF900..=0xFAFF    // CJK Compatibility Ideographs
        | 0x20000..=0x3134F  // CJK Extensions B–G
    ) || c == '〇'
}

/// Whether `c` is part of a word (dense-script characters are too).
pub fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || is_dense(c)
}
