//! Phone numbers, parsed and checked against libphonenumber's metadata (the `phonenumber`
//! crate) and kept in E.164.
//!
//! A number without a country code is read as a mainland number (default region CN), so
//! `13800138000`, `138 0013 8000`, `+86 138-0013-8000` and `0086 13800138000` are one number,
//! `+8613800138000`. Numbers from elsewhere need their `+` and country code (`+852 …`).
//! Extensions are refused: they do not survive E.164 and a customer's own phone has none.

use std::fmt;

use phonenumber::{country::Id, Mode};

use super::{fold_input, mask::mask_phone, ValidationError};

/// Why a phone number was rejected. Messages never contain the number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("the phone number is empty")]
    Empty,
    #[error(
        "the phone number could not be read; give a mainland number or + and the country code"
    )]
    Unreadable,
    #[error("the phone number is not a number in use in its country or region")]
    Invalid,
    #[error("phone numbers with an extension are not accepted")]
    Extension,
}

impl ValidationError for PhoneError {
    fn code(&self) -> &'static str {
        match self {
            Self::Empty => "phone.empty",
            Self::Unreadable => "phone.unreadable",
            Self::Invalid => "phone.invalid",
            Self::Extension => "phone.extension",
        }
    }
}

/// A valid phone number in E.164 form.
///
/// `Debug` prints the masked form; there is deliberately no `Display`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Phone {
    e164: String,
    country_code: u16,
}

impl Phone {
    /// The calling code of mainland China.
    pub const MAINLAND_CODE: u16 = 86;

    pub fn parse(input: &str) -> Result<Self, PhoneError> {
        let folded = fold_input(input);
        if folded.is_empty() {
            return Err(PhoneError::Empty);
        }
        let number =
            phonenumber::parse(Some(Id::CN), &folded).map_err(|_| PhoneError::Unreadable)?;
        if number.extension().is_some() {
            return Err(PhoneError::Extension);
        }
        if !number.is_valid() {
            return Err(PhoneError::Invalid);
        }
        Ok(Self {
            e164: number.format().mode(Mode::E164).to_string(),
            country_code: number.code().value(),
        })
    }

    /// `+8613800138000`. Personal data: encrypt it, index it, do not log it.
    pub fn as_e164(&self) -> &str {
        &self.e164
    }

    /// The country calling code, 86 for the mainland.
    pub fn country_code(&self) -> u16 {
        self.country_code
    }

    pub fn is_mainland(&self) -> bool {
        self.country_code == Self::MAINLAND_CODE
    }

    /// The masked form, as [`mask_phone`] gives it.
    pub fn masked(&self) -> String {
        mask_phone(&self.e164)
    }
}

impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Phone").field(&self.masked()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn mainland_spellings_normalise_to_one_number() {
        for input in [
            "13800138000",
            "138 0013 8000",
            "+86 138-0013-8000",
            "0086 13800138000",
            "+86 (138) 0013 8000",
            "１３８００１３８０００",
            " 138-0013-8000 ",
        ] {
            let phone = Phone::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(phone.as_e164(), "+8613800138000", "{input}");
            assert!(phone.is_mainland());
        }
    }

    #[test]
    fn mainland_landlines() {
        let phone = Phone::parse("010-6552 9988").unwrap();
        assert_eq!(phone.as_e164(), "+861065529988");
        let phone = Phone::parse("(020) 8765 4321").unwrap();
        assert_eq!(phone.as_e164(), "+862087654321");
    }

    #[test]
    fn international_numbers_in_e164() {
        let cases = [
            ("+44 20 7946 0958", "+442079460958", 44),
            ("+852 9123 4567", "+85291234567", 852),
            ("+853 6612 3456", "+85366123456", 853),
            ("+886 912 345 678", "+886912345678", 886),
            ("+1 415 555 2671", "+14155552671", 1),
        ];
        for (input, e164, code) in cases {
            let phone = Phone::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(phone.as_e164(), e164);
            assert_eq!(phone.country_code(), code);
            assert!(!phone.is_mainland());
        }
    }

    #[test]
    fn bad_numbers_are_rejected_with_codes() {
        assert_eq!(Phone::parse("  "), Err(PhoneError::Empty));
        assert_eq!(Phone::parse("not a phone"), Err(PhoneError::Unreadable));
        for invalid in [
            "12345",
            "1380013800",
            "138001380001",
            "+86 000 0000 0000",
            "+999 1234 5678",
        ] {
            let err = Phone::parse(invalid).unwrap_err();
            assert!(
                matches!(err, PhoneError::Invalid | PhoneError::Unreadable),
                "{invalid}: {err:?}"
            );
        }
        assert_eq!(
            Phone::parse("+86 10 6552 9988 ext. 123"),
            Err(PhoneError::Extension)
        );
        assert_eq!(PhoneError::Invalid.code(), "phone.invalid");
    }

    #[test]
    fn debug_is_masked() {
        let phone = Phone::parse("13800138000").unwrap();
        assert_eq!(format!("{phone:?}"), "Phone(\"138****8000\")");
    }

    proptest! {
        #[test]
        fn error_messages_never_echo_the_input(input in "[+0-9 -]{5,20}") {
            if let Err(e) = Phone::parse(&input) {
                let digits: String = input.chars().filter(char::is_ascii_digit).collect();
                prop_assert!(input.trim().len() < 5 || !e.to_string().contains(input.trim()));
                prop_assert!(digits.len() < 3 || !e.to_string().contains(&digits));
            }
        }
    }
}
