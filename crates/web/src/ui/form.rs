//! The one way a staff form is filled and re-rendered: a [`FormState`] holds the values the
//! form shows (its defaults, or what was typed) and the errors beside its fields. A failed
//! post re-renders the form from what was typed, with status 422 and each message naming
//! the label the form itself shows; a successful post redirects (see [`super::flash`]).
//! Templates show the errors with `templates/form_errors.html`.

use super::session::FormData;
use crate::i18n::{self, Tr};
use axum::http::StatusCode;

/// A field's error as a form shows it beside the field.
pub struct FormError {
    pub field: String,
    pub message: String,
}

impl FormError {
    /// The id of the field's input: the field's name with `.` as `_` (`customer.phone` is
    /// the input `customer_phone`).
    pub fn anchor(&self) -> String {
        self.field.replace('.', "_")
    }
}

/// What a form shows: its values and its errors.
#[derive(Default)]
pub struct FormState {
    values: Vec<(String, String)>,
    pub errors: Vec<FormError>,
}

impl FormState {
    /// An empty form with these starting values (e.g. a select's default choice).
    pub fn with_defaults(defaults: &[(&str, &str)]) -> Self {
        Self {
            values: defaults
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            errors: Vec::new(),
        }
    }

    /// The values as typed (to this user only, never stored; the CSRF token left out).
    pub fn typed(form: &FormData) -> Self {
        Self {
            values: form
                .0
                .iter()
                .filter(|(k, _)| k != "_csrf")
                .cloned()
                .collect(),
            errors: Vec::new(),
        }
    }

    /// Adds a use case's field errors in the page's language. `labels` maps a field to the
    /// text key of the label this form shows for it; other fields use the shared label.
    pub fn refused(
        mut self,
        t: Tr,
        fields: &[tripdesk_app::FieldError],
        labels: &[(&str, &str)],
    ) -> Self {
        self.errors.extend(fields.iter().map(|f| {
            let message = match labels.iter().find(|(field, _)| *field == f.field) {
                Some((_, key)) => i18n::field_error_as(t, f, t.s(key)),
                None => i18n::field_error(t, f),
            };
            FormError {
                field: f.field.clone(),
                message,
            }
        }));
        self
    }

    /// Adds one error the page found itself (not a use case's).
    pub fn error(mut self, field: &str, message: impl Into<String>) -> Self {
        self.errors.push(FormError {
            field: field.into(),
            message: message.into(),
        });
        self
    }

    /// The value of `name` (empty when absent).
    pub fn get(&self, name: &str) -> &str {
        self.values
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    /// Whether `name` holds `value`: a chosen option, a checked box or radio.
    pub fn is(&self, name: &str, value: &str) -> bool {
        self.values.iter().any(|(k, v)| k == name && v == value)
    }

    /// The message beside `field`, if it has one.
    pub fn error_of(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }

    /// 200 for a fresh form, 422 for one that came back with errors.
    pub fn status(&self) -> StatusCode {
        if self.errors.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        }
    }
}

/// A use case's field errors in the page's language, one per field (for pages that show
/// errors without a [`FormState`]).
pub fn form_errors(t: Tr, fields: Vec<tripdesk_app::FieldError>) -> Vec<FormError> {
    fields
        .into_iter()
        .map(|f| FormError {
            message: i18n::field_error(t, &f),
            field: f.field,
        })
        .collect()
}

/// "12.5" yuan → 1250 fen; `None` when not a non-negative amount with at most two decimals.
pub fn yuan_to_fen(text: &str) -> Option<i64> {
    let text = text.trim();
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty()
        || frac.len() > 2
        || !whole.chars().all(|c| c.is_ascii_digit())
        || !frac.chars().all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let frac: i64 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<2}").parse().ok()?
    };
    whole.checked_mul(100)?.checked_add(frac)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;
    use axum::body::Bytes;
    use tripdesk_app::FieldError;

    #[test]
    fn typed_values_come_back_and_errors_name_the_forms_label() {
        let form =
            FormData::parse(&Bytes::from_static(b"_csrf=x&subject=S&kind=complaint")).unwrap();
        let zh = Tr(Lang::ZhCn);
        let f = FormState::typed(&form).refused(
            zh,
            &[
                FieldError::new("subject", "required", "subject is required"),
                FieldError::new("customer.phone", "phone.unreadable", "unreadable"),
            ],
            &[("subject", "desk.subject")],
        );
        assert_eq!(f.get("subject"), "S");
        assert_eq!(f.get("_csrf"), "");
        assert!(f.is("kind", "complaint") && !f.is("kind", "inquiry"));
        assert_eq!(f.error_of("subject"), Some("请填写主题。"));
        assert!(f
            .error_of("customer.phone")
            .unwrap()
            .starts_with("客户电话"));
        assert_eq!(f.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(FormState::default().status(), StatusCode::OK);
    }

    #[test]
    fn yuan_amounts() {
        assert_eq!(yuan_to_fen("800"), Some(80_000));
        assert_eq!(yuan_to_fen("12.5"), Some(1_250));
        assert_eq!(yuan_to_fen("0.05"), Some(5));
        assert_eq!(yuan_to_fen("1.234"), None);
        assert_eq!(yuan_to_fen("-1"), None);
        assert_eq!(yuan_to_fen(""), None);
        assert_eq!(yuan_to_fen("abc"), None);
    }
}
