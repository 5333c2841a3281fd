//! What PIPL erasure looks for in free text: the values that identify one customer, in the
//! spellings people type them, and the rule that replaces them with [`ERASED`].
//!
//! A ticket's subject, a reply, a note, an email body or a staff alert may quote the
//! customer's name, phone, email or ID number. Erasure collects these values as [`Needles`]
//! and scrubs every text that contains one; the store finds candidate rows with the SQL
//! `LIKE` patterns of [`Needles::like_patterns`] (a superset of what [`Needles::scrub`]
//! replaces), the app rewrites them with [`Needles::scrub`].
//!
//! Matching ignores ASCII case (emails, the `x` of an ID number). A needle that begins (or
//! ends) with an ASCII letter only matches where the text has no ASCII letter just before
//! (after) it, and likewise for digits, so the name `Li` does not cut `Lijiang` and a phone
//! number is not found inside a longer number; a name in Chinese characters matches anywhere.

use phonenumber::{country::Id, Mode};

/// What an erased value becomes.
pub const ERASED: &str = "[已删除]";

/// The shortest needle kept, in characters: one character would erase too much.
const MIN_CHARS: usize = 2;

/// The values to erase from free text, lower-cased (ASCII), longest first.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Needles {
    values: Vec<String>,
}

/// Never prints the values.
impl std::fmt::Debug for Needles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Needles({} values)", self.values.len())
    }
}

fn full_width(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '!'..='~' => char::from_u32(c as u32 + 0xFEE0).unwrap_or(c),
            ' ' => '\u{3000}',
            _ => c,
        })
        .collect()
}

impl Needles {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one value as it is written (trimmed; ignored when shorter than two characters),
    /// and its full-width form when it holds ASCII (`１３８…`, typed with a Chinese input method).
    pub fn add_text(&mut self, value: &str) {
        let v = value.trim();
        if v.chars().count() < MIN_CHARS || v == ERASED {
            return;
        }
        let fw = full_width(&v.to_ascii_lowercase());
        for s in [v.to_ascii_lowercase(), fw] {
            if !self.values.contains(&s) {
                self.values.push(s);
            }
        }
        // Longest first: a long value that contains a shorter one is replaced whole.
        self.values
            .sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    }

    /// A phone number in E.164 (`+8613800138000`) and the spellings people write it in:
    /// the national number alone (`13800138000`), grouped as the national format groups it
    /// with spaces, hyphens or nothing (`138 0013 8000`, `138-0013-8000`, `010-12345678`).
    /// `+86 …`, `0086 …` and `86…` contain one of these.
    pub fn add_phone(&mut self, e164: &str) {
        self.add_text(e164);
        let Ok(number) = phonenumber::parse(Some(Id::CN), e164) else {
            return;
        };
        self.add_text(&number.national().value().to_string());
        let national = number.format().mode(Mode::National).to_string();
        let groups: Vec<&str> = national
            .split(|c: char| !c.is_ascii_digit())
            .filter(|g| !g.is_empty())
            .collect();
        for sep in [" ", "-", ""] {
            self.add_text(&groups.join(sep));
        }
        if let Some((first, rest)) = groups.split_first() {
            if !rest.is_empty() {
                self.add_text(&format!("{first}-{}", rest.concat()));
                self.add_text(&format!("{first} {}", rest.concat()));
                self.add_text(&format!("({first}){}", rest.concat()));
            }
        }
        let international = number.format().mode(Mode::International).to_string();
        self.add_text(&international);
    }

    /// An ID number (`11010519491231002X`), also in the 6-8-4 groups some people write.
    pub fn add_id_number(&mut self, number: &str) {
        self.add_text(number);
        let n = number.trim();
        if n.len() == 18 && n.is_ascii() {
            for sep in [" ", "-"] {
                self.add_text(&format!("{}{sep}{}{sep}{}", &n[..6], &n[6..14], &n[14..]));
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Another set's values added to these.
    pub fn extend(&mut self, other: &Needles) {
        for v in &other.values {
            if !self.values.contains(v) {
                self.values.push(v.clone());
            }
        }
        self.values
            .sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    }

    /// SQL `LIKE` patterns (escape character `\`) that find every text [`Needles::scrub`]
    /// would change, to be compared with the lower-cased column: `LOWER(col) LIKE p ESCAPE '\'`.
    pub fn like_patterns(&self) -> Vec<String> {
        self.values
            .iter()
            .map(|v| {
                let mut p = String::with_capacity(v.len() + 2);
                p.push('%');
                for c in v.chars() {
                    if matches!(c, '%' | '_' | '\\') {
                        p.push('\\');
                    }
                    p.push(c);
                }
                p.push('%');
                p
            })
            .collect()
    }

    /// `text` with every occurrence of a needle replaced by [`ERASED`]; `None` when nothing
    /// was found.
    pub fn scrub(&self, text: &str) -> Option<String> {
        let lower = text.to_ascii_lowercase();
        // Same byte offsets: ASCII lower-casing keeps every character's length.
        let mut out = String::with_capacity(text.len());
        let mut i = 0;
        let mut changed = false;
        'outer: while i < text.len() {
            for v in &self.values {
                if lower[i..].starts_with(v.as_str()) && bounded(&lower, i, i + v.len(), v) {
                    out.push_str(ERASED);
                    i += v.len();
                    changed = true;
                    continue 'outer;
                }
            }
            let c = text[i..].chars().next().expect("i is on a char boundary");
            out.push(c);
            i += c.len_utf8();
        }
        changed.then_some(out)
    }

    /// Whether any needle occurs in `text` as [`Needles::scrub`] would find it.
    pub fn found_in(&self, text: &str) -> bool {
        self.scrub(text).is_some()
    }
}

/// The class a boundary is checked against: ASCII letters and ASCII digits.
fn class(c: char) -> u8 {
    if c.is_ascii_alphabetic() {
        1
    } else if c.is_ascii_digit() {
        2
    } else {
        0
    }
}

/// Whether the match `lower[start..end]` of `needle` does not continue a word or a number.
fn bounded(lower: &str, start: usize, end: usize, needle: &str) -> bool {
    let first = needle.chars().next().map_or(0, class);
    let last = needle.chars().next_back().map_or(0, class);
    let before = lower[..start].chars().next_back().map_or(0, class);
    let after = lower[end..].chars().next().map_or(0, class);
    (first == 0 || before != first) && (last == 0 || after != last)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample() -> Needles {
        let mut n = Needles::new();
        n.add_text("李伟");
        n.add_phone("+8613800138000");
        n.add_text("Li.Wei@Example.com");
        n.add_id_number("11010519491231002X");
        n
    }

    #[test]
    fn every_spelling_of_a_mobile_number_is_found() {
        let n = sample();
        for text in [
            "请回电13800138000",
            "电话 138 0013 8000 谢谢",
            "tel: 138-0013-8000",
            "+86 138 0013 8000",
            "+8613800138000",
            "0086 13800138000",
            "８６１３８００１３８０００",
        ] {
            let out = n
                .scrub(text)
                .unwrap_or_else(|| panic!("not found in {text}"));
            assert!(!out.contains("0013"), "{out}");
            assert!(out.contains(ERASED));
        }
    }

    #[test]
    fn landline_spellings_are_found() {
        let mut n = Needles::new();
        n.add_phone("+861012345678");
        for text in [
            "010-12345678",
            "(010)12345678",
            "010 1234 5678",
            "01012345678",
        ] {
            assert_eq!(n.scrub(text).as_deref(), Some(ERASED), "{text}");
        }
    }

    #[test]
    fn names_emails_and_id_numbers_are_replaced_ignoring_ascii_case() {
        let n = sample();
        assert_eq!(
            n.scrub("李伟说：写信到 LI.WEI@example.COM，身份证 11010519491231002x")
                .unwrap(),
            format!("{ERASED}说：写信到 {ERASED}，身份证 {ERASED}")
        );
        assert_eq!(n.scrub("110105 19491231 002X").as_deref(), Some(ERASED));
        assert_eq!(n.scrub("与此无关"), None);
    }

    #[test]
    fn latin_needles_respect_word_and_number_boundaries() {
        let mut n = Needles::new();
        n.add_text("Li");
        n.add_phone("+8613800138000");
        assert_eq!(n.scrub("Lijiang trip"), None);
        assert_eq!(
            n.scrub("Mr Li called").as_deref(),
            Some("Mr [已删除] called")
        );
        assert_eq!(n.scrub("李Li先生").as_deref(), Some("李[已删除]先生"));
        assert_eq!(n.scrub("order 9138001380001"), None);
        assert!(
            n.scrub("tel13800138000").is_some(),
            "a letter before digits is a boundary"
        );
    }

    #[test]
    fn like_patterns_escape_wildcards() {
        let mut n = Needles::new();
        n.add_text("a_b%c\\d");
        assert!(n.like_patterns().contains(&"%a\\_b\\%c\\\\d%".to_string()));
        assert!(
            format!("{n:?}").starts_with("Needles(2"),
            "values never print"
        );
    }

    #[test]
    fn one_character_values_are_ignored() {
        let mut n = Needles::new();
        n.add_text(" 李 ");
        assert!(n.is_empty());
    }

    proptest! {
        /// Whatever surrounds it, a needle written between non-word characters is gone after a
        /// scrub, and scrubbing again changes nothing.
        #[test]
        fn scrubbed_text_holds_no_needle(
            before in "[ -~\u{4e00}-\u{4e10}]{0,12}",
            after in "[ -~\u{4e00}-\u{4e10}]{0,12}",
            which in 0usize..4,
        ) {
            let n = sample();
            let value = ["李伟", "138 0013 8000", "li.wei@example.com", "11010519491231002X"][which];
            let text = format!("{before} {value} {after}");
            let out = n.scrub(&text).expect("the value is found");
            prop_assert!(!out.contains(value));
            prop_assert!(!out.to_ascii_lowercase().contains(&value.to_ascii_lowercase()));
            prop_assert_eq!(n.scrub(&out), None);
        }
    }
}
