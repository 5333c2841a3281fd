use serde::Serialize;
use tripdesk_store::StoreError;

/// A field of the input at fault, with a stable code and a human message. Messages never
/// repeat the submitted value (it may be personal data).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// Dotted path of the field, e.g. `username` or `customer.phone`.
    pub field: String,
    /// Stable machine code, e.g. `too_short`, `taken`, `unknown`.
    pub code: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &str, code: &str, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            code: code.into(),
            message: message.into(),
        }
    }
}

/// How many lines a typed text may have (the rules are `tripdesk_domain::text`'s).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lines {
    /// Names, subjects, titles, file names, tags: no line breaks, no control characters.
    One,
    /// Descriptions, replies, notes, bodies: LF/CRLF and tabs kept.
    Many,
}

impl FieldError {
    /// The field error for a text refused by `tripdesk_domain::text`.
    pub fn text(field: &str, e: tripdesk_domain::text::TextError) -> Self {
        FieldError::new(field, e.code(), format!("{field} {e}"))
    }
}

/// The one check of every text a person types into tripdesk: trimmed, 1 to `max` visible
/// characters, no control or bidirectional control characters (line breaks only in
/// [`Lines::Many`]). A refusal is pushed to `fields`; the trimmed text is returned either way.
pub fn check_text(
    fields: &mut Vec<FieldError>,
    field: &str,
    value: &str,
    max: usize,
    lines: Lines,
) -> String {
    use tripdesk_domain::text;
    let checked = match lines {
        Lines::One => text::single_line(value, max),
        Lines::Many => text::multi_line(value, max),
    };
    checked.unwrap_or_else(|e| {
        fields.push(FieldError::text(field, e));
        value.trim().to_string()
    })
}

/// [`check_text`] for an optional text: blank is `None`, not an error.
pub fn check_optional_text(
    fields: &mut Vec<FieldError>,
    field: &str,
    value: Option<&str>,
    max: usize,
    lines: Lines,
) -> Option<String> {
    use tripdesk_domain::text;
    let value = value?;
    let checked = match lines {
        Lines::One => text::optional_single_line(value, max),
        Lines::Many => text::optional_multi_line(value, max),
    };
    checked.unwrap_or_else(|e| {
        fields.push(FieldError::text(field, e));
        Some(value.trim().to_string())
    })
}

/// Every way a use case can fail; `tripdesk-web` maps each variant to one HTTP status.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The input is invalid; each field says why (422).
    #[error("the request has invalid fields")]
    Validation(Vec<FieldError>),
    /// No credentials, or they are wrong or expired (401).
    #[error("{0}")]
    Unauthenticated(&'static str),
    /// The principal lacks a permission (403).
    #[error("this needs the permission `{0}`")]
    Forbidden(&'static str),
    /// The thing does not exist (or is not visible to the principal) (404).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The request conflicts with the current state (409), e.g. a taken username.
    #[error("{message}")]
    Conflict {
        code: &'static str,
        message: String,
        field: Option<String>,
    },
    /// A workflow step that is not allowed in the current state (409), with the steps that are.
    #[error("{message}")]
    InvalidTransition {
        message: String,
        allowed: Vec<&'static str>,
    },
    /// A booking line's inventory is gone (409 `sold_out`): line `line` of the request, and
    /// what could be booked instead.
    #[error("{message}")]
    SoldOut {
        line: usize,
        message: String,
        alternatives: Vec<crate::bookings::Alternative>,
    },
    /// Too many attempts; try again after this many seconds (429).
    #[error("too many attempts; try again in {retry_after_secs} s")]
    Throttled { retry_after_secs: u64 },
    /// The database (or another dependency) is unavailable (503).
    #[error("service temporarily unavailable")]
    Unavailable(String),
    /// A bug or a corrupt store (500). The detail is logged, not shown.
    #[error("internal error")]
    Internal(String),
}

impl AppError {
    pub fn field(field: &str, code: &str, message: impl Into<String>) -> Self {
        AppError::Validation(vec![FieldError::new(field, code, message)])
    }

    /// What a form shows beside its fields: the field errors of a validation failure, or a
    /// conflict (a taken name, code or year) as the error of the field it names —
    /// `default_field` when it names none. Any other error is given back.
    pub fn into_field_errors(self, default_field: &str) -> Result<Vec<FieldError>, AppError> {
        match self {
            AppError::Validation(fields) => Ok(fields),
            AppError::Conflict {
                code,
                message,
                field,
            } => Ok(vec![FieldError::new(
                field.as_deref().unwrap_or(default_field),
                code,
                message,
            )]),
            other => Err(other),
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Duplicate { constraint } => AppError::Conflict {
                code: "duplicate",
                message: format!(
                    "a record with the same {} already exists",
                    constraint_field(&constraint)
                ),
                field: Some(constraint_field(&constraint)),
            },
            StoreError::BrokenReference => AppError::Conflict {
                code: "broken_reference",
                message: "a referenced record does not exist or is still in use".into(),
                field: None,
            },
            StoreError::InvalidText => AppError::field(
                "body",
                "nul_character",
                "text may not contain the NUL character (U+0000)",
            ),
            StoreError::Unavailable(detail) => AppError::Unavailable(detail),
            // The web layer serves the request again; only when that keeps failing does the
            // client get this 503 (with Retry-After).
            StoreError::Contention(detail) => {
                AppError::Unavailable(format!("database contention: {detail}"))
            }
            other => AppError::Internal(other.to_string()),
        }
    }
}

/// The one way a use case names a unique key its write found taken: the store's
/// `Duplicate` becomes [`AppError::Conflict`] with the use case's own `code` (409, at
/// `field`); any other store error converts as [`From<StoreError>`] does (where a generic
/// `duplicate` conflict names the constraint's field).
pub(crate) trait OnDuplicate<T> {
    fn on_duplicate(
        self,
        code: &'static str,
        field: Option<&str>,
        message: &str,
    ) -> Result<T, AppError>;
}

impl<T> OnDuplicate<T> for Result<T, StoreError> {
    fn on_duplicate(
        self,
        code: &'static str,
        field: Option<&str>,
        message: &str,
    ) -> Result<T, AppError> {
        self.map_err(|e| match e {
            StoreError::Duplicate { .. } => AppError::Conflict {
                code,
                message: message.into(),
                field: field.map(Into::into),
            },
            other => other.into(),
        })
    }
}

/// `users_username_key` / `users.username` → `username`.
fn constraint_field(constraint: &str) -> String {
    // Unique indexes are named `<table>_<columns>_key` on both backends.
    const TABLES: [&str; 5] = [
        "api_tokens",
        "business_units",
        "departments",
        "sessions",
        "users",
    ];
    let c = constraint.trim_end_matches("_key");
    if let Some((_, col)) = c.rsplit_once('.') {
        return col.to_string();
    }
    TABLES
        .iter()
        .find_map(|t| c.strip_prefix(t).and_then(|rest| rest.strip_prefix('_')))
        .unwrap_or(c)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_taken_key_gets_the_use_case_code_and_other_errors_convert_as_usual() {
        let taken: Result<(), StoreError> = Err(StoreError::Duplicate {
            constraint: "users_username_key".into(),
        });
        match taken.on_duplicate("username_taken", Some("username"), "taken") {
            Err(AppError::Conflict {
                code: "username_taken",
                field: Some(f),
                message,
            }) => assert_eq!((f.as_str(), message.as_str()), ("username", "taken")),
            other => panic!("{other:?}"),
        }
        let gone: Result<(), StoreError> = Err(StoreError::BrokenReference);
        assert!(matches!(
            gone.on_duplicate("username_taken", None, "taken"),
            Err(AppError::Conflict {
                code: "broken_reference",
                ..
            })
        ));
        assert_eq!(
            Ok::<_, StoreError>(7).on_duplicate("x", None, "y").unwrap(),
            7
        );
    }

    #[test]
    fn constraint_names_become_fields() {
        assert_eq!(constraint_field("users_username_key"), "username");
        assert_eq!(constraint_field("users.username"), "username");
        assert_eq!(constraint_field("departments_code_key"), "code");
        assert_eq!(constraint_field("api_tokens_token_hash_key"), "token_hash");
    }
}
