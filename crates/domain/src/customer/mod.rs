//! Customer personal data: validation, normalisation and masking.
//!
//! Everything a customer record holds that China's PIPL calls personal (or sensitive personal)
//! information enters the system through one of the parsers here, which check it and bring it to
//! one canonical form:
//!
//! | type | canonical form | blind-index input |
//! | --- | --- | --- |
//! | [`ResidentId`] | 18 characters, check character upper-case `X` | [`ResidentId::as_str`] |
//! | [`IdDocument`] | upper-case, no spaces | [`IdDocument::number`] |
//! | [`Phone`] | E.164, `+8613800138000` | [`Phone::as_e164`] |
//! | [`Email`] | trimmed, domain lower-case | [`Email::lookup_key`] (all lower-case) |
//!
//! The canonical form is what gets encrypted and what feeds the vault's blind index, so two
//! spellings of one number ("138 0013 8000", "+86 138-0013-8000") are found as duplicates.
//!
//! Rules that keep personal data out of logs:
//! - No type here implements `Display`; `Debug` prints the masked form. Reading the value takes
//!   an explicit call (`as_str`, `as_e164`).
//! - Error messages never repeat the input, nor anything derived from it (such as the expected
//!   check character): they go to API answers and log lines.
//! - Every error has a stable snake_case [`ValidationError::code`] (`"resident_id.check_character"`),
//!   so the API layer answers `{field, code, message}` without knowing each type.
//!
//! Input typed with a Chinese input method often carries full-width characters (`１３８`, `＠`):
//! every parser folds them to their ASCII forms first.
//!
//! Masking ([`mask`]) turns a value into what an agent sees on a list or a printed document.

mod document;
mod email;
pub mod erasure;
pub mod mask;
mod phone;
mod resident_id;

pub use document::{IdDocument, IdDocumentError, IdDocumentKind, UnknownIdDocumentKind};
pub use email::{Email, EmailError};
pub use mask::{mask_document_number, mask_email, mask_name, mask_phone, mask_resident_id};
pub use phone::{Phone, PhoneError};
pub use resident_id::{ResidentId, ResidentIdError, ResidentIdKind, Sex};

/// An error in a single piece of customer data, shaped for a `{field, code, message}` answer.
///
/// The `Display` message is English, safe to show and to log: it never contains the input.
pub trait ValidationError: std::error::Error {
    /// Stable, snake_case, dotted code such as `"phone.invalid"`; clients may match on it.
    fn code(&self) -> &'static str;
}

/// Folds full-width forms (U+FF01..U+FF5E) to ASCII and the ideographic space to a space.
pub(crate) fn fold_width(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    }
}

/// Trims and width-folds user input.
fn fold_input(s: &str) -> String {
    s.chars()
        .map(fold_width)
        .collect::<String>()
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_width_input_is_folded() {
        assert_eq!(fold_input("\u{3000}１３８ ００１３＠ｘ "), "138 0013@x");
    }
}
