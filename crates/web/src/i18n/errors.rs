//! The one path by which a use case's refusal reaches a person: a field's error by its code
//! (`err.<code>`, with the label the form shows), any other `AppError` by its code
//! (`error.code.<code>`) or its kind — never the use case's English sentence in the Chinese
//! interface.

use super::{Lang, Tr};

/// The label of a form field (`field.<name>` without a trailing `_id`), or the name itself.
pub fn field_label(t: Tr, field: &str) -> String {
    let key = format!("field.{}", field.trim_end_matches("_id"));
    if Tr::has(&key) {
        t.s(&key).to_string()
    } else {
        field.to_string()
    }
}

/// A use case's field error as the staff interface shows it. In Chinese: the field's label and
/// the meaning of its stable code (`required`, `too_long`…). In English, and for a code
/// without a translation, the use case's own sentence, which already names the field.
pub fn field_error(t: Tr, f: &tripdesk_app::FieldError) -> String {
    field_error_as(t, f, &field_label(t, &f.field))
}

/// [`field_error`] naming the field by `label`: the label the form itself shows (a form
/// says 主题 where the shared label says 标题).
pub fn field_error_as(t: Tr, f: &tripdesk_app::FieldError, label: &str) -> String {
    let key = format!("err.{}", f.code);
    if t.0 == Lang::En || !Tr::has(&key) {
        return f.message.clone();
    }
    t.s(&key).replace("{label}", label)
}

/// A use case's refusal in the reader's language: its stable code's text when there is one,
/// else what its kind means (a field error's own translation, a generic conflict). The one
/// path by which a page or a form says why something was not done; the English sentence of
/// the use case only ever reaches the English interface, and only for a code without text.
pub fn app_error(t: Tr, e: &tripdesk_app::AppError) -> String {
    use tripdesk_app::AppError;
    let by_code = |code: &str, fallback: &str, message: &str| -> String {
        let key = format!("error.code.{code}");
        if Tr::has(&key) {
            t.s(&key).to_string()
        } else if t.0 == Lang::En && !message.is_empty() {
            message.to_string()
        } else {
            t.s(fallback).to_string()
        }
    };
    match e {
        AppError::Validation(fields) if !fields.is_empty() => field_errors(t, fields).join(" "),
        AppError::Validation(_) => t.s("error.invalid").to_string(),
        AppError::Unauthenticated(_) => t.s("error.unauthenticated").to_string(),
        AppError::Forbidden(_) => t.s("error.step_forbidden").to_string(),
        AppError::NotFound(_) => t.s("error.not_found").to_string(),
        AppError::Conflict { code, message, .. } => by_code(code, "error.conflict", message),
        AppError::SoldOut { message, .. } => by_code("sold_out", "error.conflict", message),
        AppError::InvalidTransition { allowed, .. } => {
            let mut text = t.s("error.invalid_transition").to_string();
            let steps: Vec<&str> = allowed
                .iter()
                .map(|s| {
                    let key = format!("desk.step.{s}");
                    if Tr::has(&key) {
                        t.s(&key)
                    } else {
                        s
                    }
                })
                .collect();
            if !steps.is_empty() {
                text.push(' ');
                text.push_str(
                    &t.s("error.allowed_steps")
                        .replace("{steps}", &t.list(&steps)),
                );
            }
            text
        }
        AppError::Throttled { retry_after_secs } => t
            .s("error.throttled")
            .replace("{n}", &retry_after_secs.to_string()),
        AppError::Unavailable(_) => t.s("error.unavailable").to_string(),
        AppError::Internal(_) => t.s("error.internal").to_string(),
    }
}

/// Every field error of a failed form, as [`field_error`] shows each.
pub fn field_errors(t: Tr, fields: &[tripdesk_app::FieldError]) -> Vec<String> {
    fields.iter().map(|f| field_error(t, f)).collect()
}
