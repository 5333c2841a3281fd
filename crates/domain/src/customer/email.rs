//! Email addresses.
//!
//! Syntax is checked by the `email_address` crate (RFC 5322 addr-spec, RFC 6531 for non-ASCII),
//! narrowed to what a customer's mailbox looks like: no display name (`Wei <w@x.cn>`), no IP
//! literal domain, at least one dot in the domain, at most 254 characters.
//!
//! Normal form: trimmed, full-width characters folded, domain lower-cased. The local part
//! keeps its case because RFC 5321 lets a server tell `Wei` from `wei`; no real server does,
//! so duplicate detection uses [`Email::lookup_key`], the whole address lower-cased.

use std::fmt;

use email_address::{EmailAddress, Options};

use super::{fold_input, mask::mask_email, ValidationError};

/// Longest address that fits in an SMTP path (RFC 5321 §4.5.3.1.3 less the angle brackets).
const MAX_LEN: usize = 254;

/// Why an email address was rejected. Messages never contain the address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("the email address is empty")]
    Empty,
    #[error("the email address is longer than 254 characters")]
    TooLong,
    #[error("the email address is not of the form name@example.com")]
    Invalid,
}

impl ValidationError for EmailError {
    fn code(&self) -> &'static str {
        match self {
            Self::Empty => "email.empty",
            Self::TooLong => "email.too_long",
            Self::Invalid => "email.invalid",
        }
    }
}

/// A syntactically valid email address in normal form.
///
/// `Debug` prints the masked form; there is deliberately no `Display`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Email {
    value: String,
}

impl Email {
    pub fn parse(input: &str) -> Result<Self, EmailError> {
        let folded = fold_input(input);
        if folded.is_empty() {
            return Err(EmailError::Empty);
        }
        if folded.chars().count() > MAX_LEN {
            return Err(EmailError::TooLong);
        }
        let options = Options {
            minimum_sub_domains: 2,
            allow_domain_literal: false,
            allow_display_text: false,
        };
        let parsed =
            EmailAddress::parse_with_options(&folded, options).map_err(|_| EmailError::Invalid)?;
        let value = format!("{}@{}", parsed.local_part(), parsed.domain().to_lowercase());
        Ok(Self { value })
    }

    /// The address in normal form. Personal data: encrypt it, do not log it.
    pub fn as_str(&self) -> &str {
        &self.value
    }

    /// The whole address lower-cased: the input for duplicate detection and the blind index.
    pub fn lookup_key(&self) -> String {
        self.value.to_lowercase()
    }

    /// The masked form, as [`mask_email`] gives it.
    pub fn masked(&self) -> String {
        mask_email(&self.value)
    }
}

impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Email").field(&self.masked()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_domain_but_not_local_part() {
        let email = Email::parse("  ZhangWei@Example.COM ").unwrap();
        assert_eq!(email.as_str(), "ZhangWei@example.com");
        assert_eq!(email.lookup_key(), "zhangwei@example.com");
        let email = Email::parse("ｚｈａｎｇ＠ｅｘａｍｐｌｅ．ｃｎ").unwrap();
        assert_eq!(email.as_str(), "zhang@example.cn");
        let email = Email::parse("wei.zhang+trips@mail.example.com.cn").unwrap();
        assert_eq!(email.as_str(), "wei.zhang+trips@mail.example.com.cn");
        let email = Email::parse("张伟@例子.中国").unwrap();
        assert_eq!(email.as_str(), "张伟@例子.中国");
    }

    #[test]
    fn rejects_what_is_not_a_mailbox() {
        assert_eq!(Email::parse(""), Err(EmailError::Empty));
        for bad in [
            "zhangwei",
            "zhangwei@",
            "@example.com",
            "zhang wei@example.com",
            "zhangwei@localhost",
            "zhangwei@[127.0.0.1]",
            "Zhang Wei <zhangwei@example.com>",
            "zhang@@example.com",
        ] {
            assert_eq!(Email::parse(bad), Err(EmailError::Invalid), "{bad}");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert_eq!(Email::parse(&long), Err(EmailError::TooLong));
        assert_eq!(EmailError::Invalid.code(), "email.invalid");
    }

    #[test]
    fn debug_is_masked() {
        let email = Email::parse("zhangwei@example.com").unwrap();
        assert_eq!(format!("{email:?}"), "Email(\"z*******@example.com\")");
    }
}
