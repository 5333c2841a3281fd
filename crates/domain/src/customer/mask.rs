//! Masking: what an agent sees of personal data on lists, tickets and printouts.
//!
//! Every mask replaces characters one for one with `*`, so the masked text has the length of
//! the original (phones: of the national number, see [`mask_phone`]): the shape stays
//! recognisable ("an 11-digit mobile") and the length never depends on the hidden content.
//! The functions take any string and never panic; input that does not have the expected shape
//! falls back to a stricter generic rule rather than showing more.
//!
//! | value | rule | example |
//! | --- | --- | --- |
//! | mainland phone | national number, digits 4–7 hidden | `+8613800138000` → `138****8000` |
//! | other phone | country code and last 4 digits | `+442079460958` → `+44 ******0958` |
//! | resident ID | region (6) and last 4 kept, birth date hidden | `110105********002X` |
//! | other document | first 2 and last 2 kept | `E1*****78` |
//! | email | first character of the local part, domain kept | `z*******@example.com` |
//! | name | first character of each word | `张*`, `欧***`, `W** Z****` |
//!
//! Short values keep less (see each function): a mask must always hide most of a value.

use phonenumber::country::Id;

/// Keeps `start` leading and `end` trailing characters and stars the rest.
fn keep_ends(chars: &[char], start: usize, end: usize) -> String {
    let n = chars.len();
    let start = start.min(n);
    let end = end.min(n - start);
    let mut out = String::with_capacity(n + 8);
    out.extend(&chars[..start]);
    out.extend(std::iter::repeat_n('*', n - start - end));
    out.extend(&chars[n - end..]);
    out
}

/// Stars everything but the last 2 characters (all of it when shorter than 4).
fn generic(chars: &[char]) -> String {
    keep_ends(chars, 0, if chars.len() >= 4 { 2 } else { 0 })
}

/// Masks a phone number given in E.164 (as [`super::Phone::as_e164`] stores it).
///
/// - Mainland (`+86`): the national number with its 4th to 7th digits hidden,
///   `+8613800138000` → `138****8000`, `+861065529988` → `106****988`. (National numbers
///   shorter than 8 digits keep only their last 2.)
/// - Elsewhere: `+`, the country code, a space, and the national number with all but its last
///   4 digits hidden: `+442079460958` → `+44 ******0958` (last 2 when it has fewer than 8
///   digits, none when fewer than 4).
/// - Digits without `+` are read as a mainland national number; anything else keeps its
///   last 2 characters.
pub fn mask_phone(e164: &str) -> String {
    let s = e164.trim();
    let digits_only = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    if let Some(national) = s.strip_prefix("+86").filter(|n| digits_only(n)) {
        return mask_mainland_national(national);
    }
    if digits_only(s) {
        return mask_mainland_national(s);
    }
    if let Some(rest) = s.strip_prefix('+').filter(|r| digits_only(r)) {
        if let Ok(number) = phonenumber::parse(None::<Id>, s) {
            let code = number.code().value().to_string();
            if let Some(national) = rest.strip_prefix(code.as_str()) {
                return mask_foreign(&code, national);
            }
        }
    }
    generic(&s.chars().collect::<Vec<_>>())
}

fn mask_mainland_national(national: &str) -> String {
    let chars: Vec<char> = national.chars().collect();
    if chars.len() >= 8 {
        let shown_tail = chars.len() - 7;
        keep_ends(&chars, 3, shown_tail)
    } else {
        generic(&chars)
    }
}

fn mask_foreign(code: &str, national: &str) -> String {
    let chars: Vec<char> = national.chars().collect();
    let keep = match chars.len() {
        8.. => 4,
        4..=7 => 2,
        _ => 0,
    };
    format!("+{code} {}", keep_ends(&chars, 0, keep))
}

/// Masks a resident ID number: the 6-digit region and the last 4 characters stay, the birth
/// date and the rest are hidden, `11010519491231002X` → `110105********002X`. Anything that
/// is not 18 characters is masked as a [document number](mask_document_number).
pub fn mask_resident_id(id: &str) -> String {
    let chars: Vec<char> = id.trim().chars().collect();
    if chars.len() == 18 {
        keep_ends(&chars, 6, 4)
    } else {
        mask_document_number(id)
    }
}

/// Masks any other document number: first 2 and last 2 characters stay (`E12345678` →
/// `E1*****78`); numbers shorter than 8 keep 1 and 1, shorter than 4 nothing.
pub fn mask_document_number(number: &str) -> String {
    let chars: Vec<char> = number.trim().chars().collect();
    let keep = match chars.len() {
        8.. => 2,
        4..=7 => 1,
        _ => 0,
    };
    keep_ends(&chars, keep, keep)
}

/// Masks an email address: the first character of the local part and the whole domain stay,
/// `zhangwei@example.com` → `z*******@example.com`; a one-character local part is hidden
/// entirely. Without an `@` the last 2 characters stay.
pub fn mask_email(email: &str) -> String {
    let email = email.trim();
    match email.rsplit_once('@') {
        Some((local, domain)) => {
            let chars: Vec<char> = local.chars().collect();
            let keep = usize::from(chars.len() >= 2);
            format!("{}@{domain}", keep_ends(&chars, keep, 0))
        }
        None => generic(&email.chars().collect::<Vec<_>>()),
    }
}

/// Characters that separate the words of a name and stay visible: whitespace and the
/// interpuncts used in transliterated names (`阿卜杜拉·买买提`).
fn is_name_separator(c: char) -> bool {
    c.is_whitespace() || matches!(c, '·' | '•' | '・' | '‧' | '-')
}

/// Masks a personal name: each word keeps its first character, the rest is starred
/// (`张伟` → `张*`, `欧阳娜娜` → `欧***`, `Wei Zhang` → `W** Z****`, `阿卜杜拉·买买提` →
/// `阿***·买**`). Chinese names are one word, so only the first character of the surname shows.
/// A word of one character is starred entirely (`伟` → `*`), so a mask always hides something.
pub fn mask_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut word: Vec<char> = Vec::new();
    let flush = |word: &mut Vec<char>, out: &mut String| {
        let keep = usize::from(word.len() >= 2);
        out.push_str(&keep_ends(word, keep, 0));
        word.clear();
    };
    for c in name.trim().chars() {
        if is_name_separator(c) {
            flush(&mut word, &mut out);
            out.push(c);
        } else {
            word.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn examples_from_the_table() {
        assert_eq!(mask_phone("+8613800138000"), "138****8000");
        assert_eq!(mask_phone("+861065529988"), "106****988");
        assert_eq!(mask_phone("+442079460958"), "+44 ******0958");
        assert_eq!(mask_phone("+85291234567"), "+852 ****4567");
        assert_eq!(mask_phone("+14155552671"), "+1 ******2671");
        assert_eq!(mask_resident_id("11010519491231002X"), "110105********002X");
        assert_eq!(mask_document_number("E12345678"), "E1*****78");
        assert_eq!(mask_document_number("H1234567801"), "H1*******01");
        assert_eq!(mask_email("zhangwei@example.com"), "z*******@example.com");
        assert_eq!(mask_name("张伟"), "张*");
        assert_eq!(mask_name("欧阳娜娜"), "欧***");
        assert_eq!(mask_name("Wei Zhang"), "W** Z****");
        assert_eq!(mask_name("阿卜杜拉·买买提"), "阿***·买**");
    }

    #[test]
    fn short_and_odd_inputs_hide_more() {
        assert_eq!(mask_name("伟"), "*");
        assert_eq!(mask_name(""), "");
        assert_eq!(mask_name("  Li  Na "), "L*  N*");
        assert_eq!(mask_email("a@example.com"), "*@example.com");
        assert_eq!(mask_email("not-an-email"), "**********il");
        assert_eq!(mask_document_number("X1234"), "X***4");
        assert_eq!(mask_document_number("AB1"), "***");
        assert_eq!(mask_resident_id("110105"), "1****5");
        assert_eq!(mask_phone("13800138000"), "138****8000");
        assert_eq!(mask_phone("garbage"), "*****ge");
        assert_eq!(mask_phone(""), "");
        assert_eq!(mask_phone("+86"), "***");
    }

    /// Positions `[start, n - end)` of `masked` are stars and it has `n` characters.
    fn hides(masked: &str, input: &str, start: usize, end: usize) -> bool {
        let m: Vec<char> = masked.chars().collect();
        let i: Vec<char> = input.chars().collect();
        m.len() == i.len()
            && m[..start] == i[..start]
            && m[i.len() - end..] == i[i.len() - end..]
            && m[start..i.len() - end].iter().all(|c| *c == '*')
    }

    proptest! {
        #[test]
        fn mainland_mobile_hides_digits_4_to_7(national in "1[3-9][0-9]{9}") {
            let masked = mask_phone(&format!("+86{national}"));
            prop_assert!(hides(&masked, &national, 3, 4), "{}", masked);
        }

        #[test]
        fn foreign_phone_keeps_country_code_and_last_4(national in "20[0-9]{8}") {
            let masked = mask_phone(&format!("+44{national}"));
            let shown = masked.strip_prefix("+44 ").unwrap();
            prop_assert!(hides(shown, &national, 0, 4), "{}", masked);
        }

        #[test]
        fn resident_id_hides_birth_date_and_sequence(id in "[0-9]{17}[0-9X]") {
            prop_assert!(hides(&mask_resident_id(&id), &id, 6, 4));
        }

        #[test]
        fn document_hides_all_but_two_and_two(number in "[A-Z0-9]{8,20}") {
            prop_assert!(hides(&mask_document_number(&number), &number, 2, 2));
        }

        #[test]
        fn short_documents_hide_at_least_half(number in "[A-Z0-9]{1,7}") {
            let masked = mask_document_number(&number);
            let stars = masked.chars().filter(|c| *c == '*').count();
            prop_assert_eq!(masked.chars().count(), number.chars().count());
            prop_assert!(stars * 2 >= number.len());
        }

        #[test]
        fn email_hides_the_local_part_but_its_first_character(
            local in "[a-z0-9._]{2,30}", domain in "[a-z]{1,10}\\.(com|cn)"
        ) {
            let masked = mask_email(&format!("{local}@{domain}"));
            let (masked_local, masked_domain) = masked.split_once('@').unwrap();
            prop_assert!(hides(masked_local, &local, 1, 0));
            prop_assert_eq!(masked_domain, domain);
        }

        #[test]
        fn name_words_keep_one_character(words in proptest::collection::vec("[\\p{Han}a-zA-Z]{1,6}", 1..4)) {
            let name = words.join(" ");
            let masked = mask_name(&name);
            prop_assert_eq!(masked.chars().count(), name.chars().count());
            for (w, m) in words.iter().zip(masked.split(' ')) {
                let keep = usize::from(w.chars().count() >= 2);
                prop_assert!(hides(m, w, keep, 0), "{} -> {}", w, m);
            }
        }

        /// Whatever comes in, no mask is longer than its input plus the phone's space, and
        /// none panics.
        #[test]
        fn masks_never_panic_and_never_grow(s in "\\PC{0,40}") {
            let n = s.trim().chars().count();
            prop_assert!(mask_phone(&s).chars().count() <= n + 1);
            prop_assert_eq!(mask_resident_id(&s).chars().count(), n);
            prop_assert_eq!(mask_document_number(&s).chars().count(), n);
            prop_assert_eq!(mask_email(&s).chars().count(), n);
            prop_assert!(mask_name(&s).chars().count() <= n);
        }
    }
}
