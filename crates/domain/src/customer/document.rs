//! Identity documents a traveller books with.
//!
//! Format rules, chosen to reject typing slips without rejecting real documents:
//!
//! | kind | accepted (after trimming, removing spaces, upper-casing) |
//! | --- | --- |
//! | resident ID | [`ResidentId`] rules (includes the HK/Macao/Taiwan residence permit and the foreign permanent-resident card) |
//! | passport | 5–20 letters A–Z or digits. Chinese passports are `E` + 8 digits or `E` + letter + 7 digits, but foreign passports vary too much for a tighter rule. |
//! | HK/Macao permit (港澳居民来往内地通行证) | `H` (Hong Kong) or `M` (Macao) + 8 digits (card since 2012) or + 10 digits (older booklet with a 2-digit issue count) |
//! | Taiwan permit (台湾居民来往大陆通行证) | 8 digits (card since 2015) or 10 digits (older booklet: 8 digits + 2-digit issue count) |

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::{fmt, str::FromStr};

use super::{fold_input, mask::mask_document_number, ResidentId, ResidentIdError, ValidationError};

/// The kinds of identity document a customer record can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdDocumentKind {
    /// 居民身份证 (and the cards sharing its format).
    ResidentId,
    /// 护照, any country.
    Passport,
    /// 港澳居民来往内地通行证 ("home return permit").
    HkMacaoPermit,
    /// 台湾居民来往大陆通行证.
    TaiwanPermit,
}

impl IdDocumentKind {
    pub const ALL: [Self; 4] = [
        Self::ResidentId,
        Self::Passport,
        Self::HkMacaoPermit,
        Self::TaiwanPermit,
    ];

    /// Stable snake_case name; also the `kind` to give the vault's blind index.
    pub fn code(self) -> &'static str {
        match self {
            Self::ResidentId => "resident_id",
            Self::Passport => "passport",
            Self::HkMacaoPermit => "hk_macao_permit",
            Self::TaiwanPermit => "taiwan_permit",
        }
    }

    /// The name agents see in the Chinese UI.
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::ResidentId => "居民身份证",
            Self::Passport => "护照",
            Self::HkMacaoPermit => "港澳居民来往内地通行证",
            Self::TaiwanPermit => "台湾居民来往大陆通行证",
        }
    }
}

impl fmt::Display for IdDocumentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A document kind name that is not one of [`IdDocumentKind::code`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("unknown identity document kind")]
pub struct UnknownIdDocumentKind;

impl ValidationError for UnknownIdDocumentKind {
    fn code(&self) -> &'static str {
        "id_document.kind"
    }
}

impl FromStr for IdDocumentKind {
    type Err = UnknownIdDocumentKind;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|k| k.code() == s)
            .ok_or(UnknownIdDocumentKind)
    }
}

/// Why a document number was rejected. Messages never contain the number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IdDocumentError {
    #[error("the document number is empty")]
    Empty,
    #[error(transparent)]
    ResidentId(ResidentIdError),
    #[error("a passport number has 5 to 20 letters or digits")]
    Passport,
    #[error("a Hong Kong/Macao permit number is H or M followed by 8 or 10 digits")]
    HkMacaoPermit,
    #[error("a Taiwan permit number has 8 or 10 digits")]
    TaiwanPermit,
}

impl From<ResidentIdError> for IdDocumentError {
    fn from(e: ResidentIdError) -> Self {
        match e {
            ResidentIdError::Empty => Self::Empty,
            other => Self::ResidentId(other),
        }
    }
}

impl ValidationError for IdDocumentError {
    fn code(&self) -> &'static str {
        match self {
            Self::Empty => "id_document.empty",
            Self::ResidentId(e) => e.code(),
            Self::Passport => "passport.format",
            Self::HkMacaoPermit => "hk_macao_permit.format",
            Self::TaiwanPermit => "taiwan_permit.format",
        }
    }
}

/// A validated identity document number in canonical form.
///
/// `Debug` prints the masked form; there is deliberately no `Display`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct IdDocument {
    kind: IdDocumentKind,
    number: String,
    resident_id: Option<ResidentId>,
}

impl IdDocument {
    /// Validates `number` as a document of `kind`; `today` bounds resident-ID birth dates.
    pub fn parse(kind: IdDocumentKind, number: &str, today: Date) -> Result<Self, IdDocumentError> {
        if kind == IdDocumentKind::ResidentId {
            let id = ResidentId::parse(number, today)?;
            return Ok(Self {
                kind,
                number: id.as_str().to_owned(),
                resident_id: Some(id),
            });
        }
        let number: String = fold_input(number)
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_uppercase();
        if number.is_empty() {
            return Err(IdDocumentError::Empty);
        }
        let b = number.as_bytes();
        let digits = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
        let ok = match kind {
            IdDocumentKind::ResidentId => unreachable!("handled above"),
            IdDocumentKind::Passport => {
                (5..=20).contains(&b.len()) && b.iter().all(u8::is_ascii_alphanumeric)
            }
            IdDocumentKind::HkMacaoPermit => {
                matches!(b.len(), 9 | 11) && matches!(b[0], b'H' | b'M') && digits(&b[1..])
            }
            IdDocumentKind::TaiwanPermit => matches!(b.len(), 8 | 10) && digits(b),
        };
        if !ok {
            return Err(match kind {
                IdDocumentKind::ResidentId => unreachable!("handled above"),
                IdDocumentKind::Passport => IdDocumentError::Passport,
                IdDocumentKind::HkMacaoPermit => IdDocumentError::HkMacaoPermit,
                IdDocumentKind::TaiwanPermit => IdDocumentError::TaiwanPermit,
            });
        }
        Ok(Self {
            kind,
            number,
            resident_id: None,
        })
    }

    pub fn kind(&self) -> IdDocumentKind {
        self.kind
    }

    /// The canonical number. Personal data: encrypt it, index it, do not log it.
    pub fn number(&self) -> &str {
        &self.number
    }

    /// The parsed resident ID, for [`IdDocumentKind::ResidentId`] documents.
    pub fn resident_id(&self) -> Option<&ResidentId> {
        self.resident_id.as_ref()
    }

    /// The masked number: resident IDs hide the birth date, other documents keep 2 + 2
    /// characters (see [`mask_document_number`]).
    pub fn masked(&self) -> String {
        match &self.resident_id {
            Some(id) => id.masked(),
            None => mask_document_number(&self.number),
        }
    }
}

impl fmt::Debug for IdDocument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdDocument")
            .field("kind", &self.kind)
            .field("number", &self.masked())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    const TODAY: Date = date(2025, 6, 1);

    fn parse(kind: IdDocumentKind, s: &str) -> Result<String, IdDocumentError> {
        IdDocument::parse(kind, s, TODAY).map(|d| d.number().to_owned())
    }

    #[test]
    fn kinds_round_trip_through_their_codes() {
        for kind in IdDocumentKind::ALL {
            assert_eq!(kind.code().parse::<IdDocumentKind>(), Ok(kind));
            assert_eq!(
                serde_json::to_string(&kind).unwrap(),
                format!("\"{}\"", kind.code())
            );
        }
        assert_eq!("visa".parse::<IdDocumentKind>(), Err(UnknownIdDocumentKind));
    }

    #[test]
    fn resident_ids_delegate() {
        use IdDocumentKind::ResidentId as R;
        let doc = IdDocument::parse(R, "11010519491231002x", TODAY).unwrap();
        assert_eq!(doc.number(), "11010519491231002X");
        assert!(doc.resident_id().is_some());
        assert_eq!(doc.masked(), "110105********002X");
        assert_eq!(
            parse(R, "110105194912310021"),
            Err(IdDocumentError::ResidentId(
                ResidentIdError::BadCheckCharacter
            ))
        );
        assert_eq!(
            parse(R, "110105194912310021").unwrap_err().code(),
            "resident_id.check_character"
        );
        assert_eq!(parse(R, " "), Err(IdDocumentError::Empty));
    }

    #[test]
    fn passports() {
        use IdDocumentKind::Passport as P;
        assert_eq!(parse(P, "e12345678").as_deref(), Ok("E12345678"));
        assert_eq!(parse(P, "EA 1234567").as_deref(), Ok("EA1234567"));
        assert_eq!(parse(P, "５３３３８０００６").as_deref(), Ok("533380006"));
        assert_eq!(parse(P, "X1234").as_deref(), Ok("X1234"));
        for bad in ["E123", "E1234567890123456789X", "E1234-5678", "护照12345"] {
            assert_eq!(parse(P, bad), Err(IdDocumentError::Passport), "{bad}");
        }
        assert_eq!(parse(P, ""), Err(IdDocumentError::Empty));
    }

    #[test]
    fn hong_kong_macao_permits() {
        use IdDocumentKind::HkMacaoPermit as H;
        assert_eq!(parse(H, "h12345678").as_deref(), Ok("H12345678"));
        assert_eq!(parse(H, "M1234567801").as_deref(), Ok("M1234567801"));
        for bad in [
            "12345678",
            "H1234567",
            "H123456789",
            "C12345678",
            "H12345678012",
        ] {
            assert_eq!(parse(H, bad), Err(IdDocumentError::HkMacaoPermit), "{bad}");
        }
    }

    #[test]
    fn taiwan_permits() {
        use IdDocumentKind::TaiwanPermit as T;
        assert_eq!(parse(T, "12345678").as_deref(), Ok("12345678"));
        assert_eq!(parse(T, "1234 5678 01").as_deref(), Ok("1234567801"));
        for bad in ["1234567", "123456789", "T12345678", "12345678901"] {
            assert_eq!(parse(T, bad), Err(IdDocumentError::TaiwanPermit), "{bad}");
        }
    }

    #[test]
    fn debug_is_masked_and_errors_are_coded() {
        let doc = IdDocument::parse(IdDocumentKind::Passport, "E12345678", TODAY).unwrap();
        let shown = format!("{doc:?}");
        assert!(!shown.contains("E12345678"), "{shown}");
        assert!(shown.contains("E1*****78"), "{shown}");
        for e in [
            IdDocumentError::Empty,
            IdDocumentError::Passport,
            IdDocumentError::HkMacaoPermit,
            IdDocumentError::TaiwanPermit,
        ] {
            assert!(e.code().contains('.'));
            assert!(!e.to_string().is_empty());
        }
    }
}
