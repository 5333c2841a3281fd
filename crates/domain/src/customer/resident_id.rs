//! Resident identity card numbers (居民身份证号码, GB 11643-1999) and the cards that share
//! their format.
//!
//! Layout of the 18 characters:
//!
//! | characters | meaning |
//! | --- | --- |
//! | 1–6 | administrative region of registration; first two digits the province |
//! | 7–14 | birth date `YYYYMMDD` |
//! | 15–17 | sequence; the 17th digit is odd for men, even for women |
//! | 18 | check character, ISO 7064 MOD 11-2 over the first 17 digits (`0`–`9` or `X`) |
//!
//! Three kinds of card use it, and all three are accepted:
//! - the mainland resident ID card: first two digits a province-level code;
//! - the residence permit for Hong Kong, Macao and Taiwan residents (港澳台居民居住证, 2018):
//!   region `810000`, `820000` or `830000`;
//! - the foreign permanent-resident ID card (外国人永久居留身份证, 2023): first digit `9`, digits
//!   2–3 the province where it was issued, 4–6 the nationality; dates and check as above. Many
//!   validators still reject it, which locks these customers out of booking.
//!
//! The 15-digit first-generation numbers stopped being valid in 2013 and are rejected.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::fmt;

use super::{fold_input, mask::mask_resident_id, ValidationError};

/// Weights of ISO 7064 MOD 11-2 for positions 1..=17.
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// Check character for each remainder of the weighted sum modulo 11.
const CHECK_CHARS: [u8; 11] = *b"10X98765432";

/// Which card a number belongs to; see the module documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResidentIdKind {
    /// Mainland resident identity card (居民身份证).
    Mainland,
    /// Residence permit for Hong Kong, Macao and Taiwan residents (港澳台居民居住证).
    HkMacaoTaiwanPermit,
    /// Foreign permanent-resident ID card (外国人永久居留身份证), 2023 format.
    ForeignPermanentResident,
}

/// Sex as encoded in the 17th digit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Male,
    Female,
}

/// Why a resident ID number was rejected. Messages never contain the number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ResidentIdError {
    #[error("the resident ID number is empty")]
    Empty,
    #[error("a resident ID number has exactly 18 characters")]
    WrongLength,
    #[error("a resident ID number has 17 digits followed by a digit or X")]
    InvalidCharacter,
    #[error("the resident ID number does not start with a known region code")]
    UnknownRegion,
    #[error("the birth date in the resident ID number (characters 7 to 14) is not a real date from 1900 on")]
    ImpossibleBirthDate,
    #[error("the birth date in the resident ID number (characters 7 to 14) is in the future")]
    BirthDateInFuture,
    #[error(
        "the check character of the resident ID number does not match; it probably has a typo"
    )]
    BadCheckCharacter,
}

impl ValidationError for ResidentIdError {
    fn code(&self) -> &'static str {
        match self {
            Self::Empty => "resident_id.empty",
            Self::WrongLength => "resident_id.length",
            Self::InvalidCharacter => "resident_id.character",
            Self::UnknownRegion => "resident_id.region",
            Self::ImpossibleBirthDate => "resident_id.birth_date",
            Self::BirthDateInFuture => "resident_id.birth_date_future",
            Self::BadCheckCharacter => "resident_id.check_character",
        }
    }
}

/// A validated resident ID number in canonical form (upper-case `X`).
///
/// `Debug` prints the masked form; there is deliberately no `Display`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ResidentId {
    value: String,
    kind: ResidentIdKind,
    birth_date: Date,
}

impl ResidentId {
    /// Validates `input` as of `today` (the caller's civil date; the clock is never read here).
    ///
    /// Surrounding whitespace is trimmed, full-width characters folded and `x` upper-cased.
    /// Checks run from the coarsest to the finest so the error names the most useful fault:
    /// length, characters, region, birth date, check character.
    pub fn parse(input: &str, today: Date) -> Result<Self, ResidentIdError> {
        let value = fold_input(input).to_ascii_uppercase();
        if value.is_empty() {
            return Err(ResidentIdError::Empty);
        }
        if value.chars().count() != 18 {
            return Err(ResidentIdError::WrongLength);
        }
        let bytes = value.as_bytes();
        let (body, check) = bytes.split_at(17);
        if !body.iter().all(u8::is_ascii_digit) || !(check[0].is_ascii_digit() || check[0] == b'X')
        {
            return Err(ResidentIdError::InvalidCharacter);
        }
        let kind = kind_of(body).ok_or(ResidentIdError::UnknownRegion)?;
        let birth_date = birth_date_of(body).ok_or(ResidentIdError::ImpossibleBirthDate)?;
        if birth_date > today {
            return Err(ResidentIdError::BirthDateInFuture);
        }
        if check_character(body) != check[0] {
            return Err(ResidentIdError::BadCheckCharacter);
        }
        Ok(Self {
            value,
            kind,
            birth_date,
        })
    }

    /// The canonical 18 characters. Personal data: encrypt it, index it, do not log it.
    pub fn as_str(&self) -> &str {
        &self.value
    }

    pub fn kind(&self) -> ResidentIdKind {
        self.kind
    }

    pub fn birth_date(&self) -> Date {
        self.birth_date
    }

    /// Odd 17th digit: male; even: female.
    pub fn sex(&self) -> Sex {
        if (self.value.as_bytes()[16] - b'0') % 2 == 1 {
            Sex::Male
        } else {
            Sex::Female
        }
    }

    /// The masked form, as [`mask_resident_id`] gives it.
    pub fn masked(&self) -> String {
        mask_resident_id(&self.value)
    }

    /// Appends the check character to 17 digits (for demo and test data generators);
    /// `None` unless `body` is exactly 17 ASCII digits. The result still has to pass
    /// [`ResidentId::parse`] (region and date are not checked here).
    pub fn complete(body: &str) -> Option<String> {
        (body.len() == 17 && body.bytes().all(|b| b.is_ascii_digit()))
            .then(|| format!("{body}{}", check_character(body.as_bytes()) as char))
    }
}

impl fmt::Debug for ResidentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ResidentId").field(&self.masked()).finish()
    }
}

/// The ISO 7064 MOD 11-2 check character for 17 ASCII digits.
///
/// Public within the crate so tests (and demo-data generators) build valid numbers.
pub(crate) fn check_character(body: &[u8]) -> u8 {
    debug_assert_eq!(body.len(), 17);
    let sum: u32 = body
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    CHECK_CHARS[(sum % 11) as usize]
}

/// Province-level codes: 11–15, 21–23, 31–37, 41–46, 50–54, 61–65, 71.
pub(crate) fn is_province(code: u8) -> bool {
    matches!(code, 11..=15 | 21..=23 | 31..=37 | 41..=46 | 50..=54 | 61..=65 | 71)
}

fn two_digits(d: &[u8]) -> u8 {
    (d[0] - b'0') * 10 + (d[1] - b'0')
}

fn kind_of(body: &[u8]) -> Option<ResidentIdKind> {
    if body[0] == b'9' {
        return is_province(two_digits(&body[1..3]))
            .then_some(ResidentIdKind::ForeignPermanentResident);
    }
    match &body[..6] {
        b"810000" | b"820000" | b"830000" => Some(ResidentIdKind::HkMacaoTaiwanPermit),
        _ => is_province(two_digits(&body[..2])).then_some(ResidentIdKind::Mainland),
    }
}

fn birth_date_of(body: &[u8]) -> Option<Date> {
    let num = |d: &[u8]| d.iter().fold(0i16, |n, b| n * 10 + i16::from(b - b'0'));
    let (year, month, day) = (num(&body[6..10]), num(&body[10..12]), num(&body[12..14]));
    if year < 1900 {
        return None;
    }
    Date::new(year, i8::try_from(month).ok()?, i8::try_from(day).ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    const TODAY: Date = date(2025, 6, 1);

    /// Completes 17 digits with their check character.
    fn complete(body: &str) -> String {
        assert_eq!(body.len(), 17);
        format!("{body}{}", check_character(body.as_bytes()) as char)
    }

    #[test]
    fn standard_example_is_valid() {
        let id = ResidentId::parse("11010519491231002X", TODAY).unwrap();
        assert_eq!(id.as_str(), "11010519491231002X");
        assert_eq!(id.kind(), ResidentIdKind::Mainland);
        assert_eq!(id.birth_date(), date(1949, 12, 31));
        assert_eq!(id.sex(), Sex::Female);
    }

    #[test]
    fn lower_case_x_whitespace_and_full_width_are_normalised() {
        for input in [
            "11010519491231002x",
            "  11010519491231002X\n",
            "１１０１０５１９４９１２３１００２ｘ",
        ] {
            let id = ResidentId::parse(input, TODAY).unwrap();
            assert_eq!(id.as_str(), "11010519491231002X");
        }
    }

    #[test]
    fn odd_seventeenth_digit_is_male() {
        let id = ResidentId::parse(&complete("44030419900101001"), TODAY).unwrap();
        assert_eq!(id.sex(), Sex::Male);
        assert_eq!(id.birth_date(), date(1990, 1, 1));
    }

    #[test]
    fn hong_kong_macao_taiwan_residence_permits_are_accepted() {
        for region in ["810000", "820000", "830000"] {
            let id = ResidentId::parse(&complete(&format!("{region}19850315123")), TODAY).unwrap();
            assert_eq!(id.kind(), ResidentIdKind::HkMacaoTaiwanPermit);
        }
        // 81xxxx other than 810000 is no region.
        assert_eq!(
            ResidentId::parse(&complete("81010119850315123"), TODAY),
            Err(ResidentIdError::UnknownRegion)
        );
    }

    #[test]
    fn foreign_permanent_resident_card_2023_is_accepted() {
        // 9 + Shanghai (31) + nationality 840 + birth date + sequence.
        let id = ResidentId::parse(&complete("93184019800229005"), TODAY).unwrap();
        assert_eq!(id.kind(), ResidentIdKind::ForeignPermanentResident);
        assert_eq!(id.birth_date(), date(1980, 2, 29));
        assert_eq!(id.sex(), Sex::Male);
        // The issuing place must be a province.
        assert_eq!(
            ResidentId::parse(&complete("99984019800229005"), TODAY),
            Err(ResidentIdError::UnknownRegion)
        );
    }

    #[test]
    fn each_fault_has_its_own_error() {
        use ResidentIdError::*;
        let cases = [
            ("", Empty),
            ("   ", Empty),
            ("11010519491231002", WrongLength),
            ("11010519491231002XX", WrongLength),
            ("110105194912310020X", WrongLength),
            ("1101051949123100AX", InvalidCharacter),
            ("11010519491231002Y", InvalidCharacter),
            ("X10105194912310020", InvalidCharacter),
            ("1101051949一231002X", InvalidCharacter),
        ];
        for (input, expected) in cases {
            assert_eq!(ResidentId::parse(input, TODAY), Err(expected), "{input:?}");
        }
        let built = [
            ("16010519491231002", UnknownRegion),
            ("00010519491231002", UnknownRegion),
            ("11010518991231002", ImpossibleBirthDate),
            ("11010519490229002", ImpossibleBirthDate),
            ("11010519491301002", ImpossibleBirthDate),
            ("11010519490100002", ImpossibleBirthDate),
            ("11010520250602002", BirthDateInFuture),
        ];
        for (body, expected) in built {
            assert_eq!(
                ResidentId::parse(&complete(body), TODAY),
                Err(expected),
                "{body}"
            );
        }
        assert!(ResidentId::parse(&complete("11010520250601002"), TODAY).is_ok());
        assert_eq!(
            ResidentId::parse("110105194912310021", TODAY),
            Err(BadCheckCharacter)
        );
    }

    #[test]
    fn codes_are_distinct_and_messages_carry_no_digits() {
        use ResidentIdError::*;
        let all = [
            Empty,
            WrongLength,
            InvalidCharacter,
            UnknownRegion,
            ImpossibleBirthDate,
            BirthDateInFuture,
            BadCheckCharacter,
        ];
        let codes: std::collections::HashSet<_> = all.iter().map(|e| e.code()).collect();
        assert_eq!(codes.len(), all.len());
        for e in all {
            assert!(e.code().starts_with("resident_id."));
            // Only the fixed facts of the format may appear: no input, no expected character.
            let digits: String = e.to_string().chars().filter(char::is_ascii_digit).collect();
            assert!(
                ["", "18", "17", "714", "7141900"].contains(&digits.as_str()),
                "{e}"
            );
        }
    }

    #[test]
    fn debug_is_masked() {
        let id = ResidentId::parse("11010519491231002X", TODAY).unwrap();
        let shown = format!("{id:?}");
        assert_eq!(shown, "ResidentId(\"110105********002X\")");
    }

    fn body_strategy() -> impl Strategy<Value = String> {
        let region = prop_oneof![
            (11u8..=65)
                .prop_filter("province", |p| is_province(*p))
                .prop_map(|p| format!("{p}0101")),
            Just("810000".to_owned()),
            (11u8..=65)
                .prop_filter("province", |p| is_province(*p))
                .prop_map(|p| format!("9{p}156")),
        ];
        let birth = (1900i16..=2024, 1i8..=12, 1i8..=28)
            .prop_map(|(y, m, d)| format!("{y:04}{m:02}{d:02}"));
        (region, birth, 0u16..1000).prop_map(|(r, b, s)| format!("{r}{b}{s:03}"))
    }

    proptest! {
        #[test]
        fn generated_numbers_parse(body in body_strategy()) {
            let id = ResidentId::parse(&complete(&body), TODAY).unwrap();
            prop_assert_eq!(&id.as_str()[..17], body.as_str());
        }

        /// MOD 11-2 catches every single-digit substitution.
        #[test]
        fn any_single_digit_typo_is_rejected(body in body_strategy(), pos in 0usize..17, delta in 1u8..10) {
            let mut typo = complete(&body).into_bytes();
            typo[pos] = b'0' + (typo[pos] - b'0' + delta) % 10;
            let typo = String::from_utf8(typo).unwrap();
            prop_assert!(ResidentId::parse(&typo, TODAY).is_err());
        }

        /// ... and every swap of two different neighbouring digits.
        #[test]
        fn any_adjacent_transposition_is_rejected(body in body_strategy(), pos in 0usize..16) {
            let mut swapped = complete(&body).into_bytes();
            prop_assume!(swapped[pos] != swapped[pos + 1]);
            swapped.swap(pos, pos + 1);
            let swapped = String::from_utf8(swapped).unwrap();
            prop_assert!(ResidentId::parse(&swapped, TODAY).is_err());
        }

        #[test]
        fn error_messages_never_echo_the_input(input in "[0-9Xx]{6,20}") {
            if let Err(e) = ResidentId::parse(&input, TODAY) {
                prop_assert!(!e.to_string().contains(&input));
            }
        }
    }
}
