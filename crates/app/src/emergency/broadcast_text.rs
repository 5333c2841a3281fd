//! A broadcast's text per incident kind and language (issue 15 item 5): stored as message
//! templates (`notify::templates`, the one template store, keys `incident.broadcast.<kind>`
//! in `zh-CN` and `en`, installed from `notify::DEFAULT_TEMPLATES` and edited by
//! administrators there, audited by `save_template`), with the placeholders of a broadcast
//! only — `{{ title }}`, `{{ region }}`, `{{ link }}` (the traveler's check-in link, required),
//! `{{ keywords }}` (the SMS reply keywords in the template's language) and `{{ drill }}` —
//! and rendered per traveler in the language of their customer record (`zh-CN` when none).

use crate::notify::DEFAULT_TEMPLATES;
use crate::{App, AppError, FieldError, Principal};
use std::collections::BTreeMap;
use tripdesk_domain::emergency::IncidentKind;
use tripdesk_domain::identity::Permission;
use tripdesk_domain::notify::template::{self, Escape};
use tripdesk_store::{Incident, Tx};

/// The template keys of broadcasts: this prefix and the incident kind.
pub const BROADCAST_TEMPLATE_PREFIX: &str = "incident.broadcast.";

/// What a broadcast's text may name.
pub const BROADCAST_PLACEHOLDERS: [&str; 5] = ["title", "region", "link", "keywords", "drill"];

/// The languages a broadcast is written in, the first the fallback.
pub const BROADCAST_LOCALES: [&str; 2] = ["zh-CN", "en"];

/// The template key of an incident kind's broadcast.
pub fn broadcast_template_key(kind: IncidentKind) -> String {
    format!("{BROADCAST_TEMPLATE_PREFIX}{}", kind.as_str())
}

/// The broadcast language of a customer's preferred language (a free BCP 47 tag): English
/// for `en`, `en-GB`, …, else Chinese.
pub fn broadcast_locale(preferred: Option<&str>) -> &'static str {
    match preferred.map(str::trim) {
        Some(l) if l.eq_ignore_ascii_case("en") || l.to_ascii_lowercase().starts_with("en-") => {
            "en"
        }
        _ => "zh-CN",
    }
}

/// The SMS reply keywords in a language; `domain::emergency::parse_reply` reads the digits
/// first, then the words (安全 / 需要帮助, safe / help).
pub fn reply_keywords(locale: &str) -> &'static str {
    if locale == "en" {
        "Reply 1 SAFE if you are safe, 2 HELP if you need help"
    } else {
        "请回复 1 安全 报平安，回复 2 需要帮助 求助"
    }
}

/// Checks a broadcast text (a template's, or one staff edited before sending): placeholders
/// of a broadcast only, and — when `needs_link` — the check-in link. Errors name `field`.
pub fn check_broadcast_text(
    field: &str,
    text: &str,
    needs_link: bool,
    fields: &mut Vec<FieldError>,
) {
    let names = match template::variables(text) {
        Ok(n) => n,
        Err(e) => {
            fields.push(FieldError::new(field, "template", e.to_string()));
            return;
        }
    };
    if let Some(unknown) = names
        .iter()
        .find(|n| !BROADCAST_PLACEHOLDERS.contains(&n.as_str()))
    {
        fields.push(FieldError::new(
            field,
            "unknown_placeholder",
            format!(
                "{{{{ {unknown} }}}} is not a placeholder of a broadcast: use {}",
                BROADCAST_PLACEHOLDERS
                    .map(|p| format!("{{{{ {p} }}}}"))
                    .join(", ")
            ),
        ));
    }
    if needs_link && !names.iter().any(|n| n == "link") && !text.contains("{link}") {
        fields.push(FieldError::new(
            field,
            "missing_link",
            "the text must carry the check-in link {{ link }}",
        ));
    }
}

/// The extra checks of a broadcast template saved through the template store: a key naming
/// an incident kind, and its subject and text as [`check_broadcast_text`] wants them.
pub(crate) fn check_broadcast_template(
    key: &str,
    subject: &str,
    body_text: &str,
    fields: &mut Vec<FieldError>,
) {
    let Some(kind) = key.strip_prefix(BROADCAST_TEMPLATE_PREFIX) else {
        return;
    };
    if IncidentKind::parse(kind).is_none() {
        fields.push(FieldError::new(
            "key",
            "unknown",
            format!(
                "a broadcast template is {BROADCAST_TEMPLATE_PREFIX}<kind>, the kind one of {}",
                IncidentKind::ALL.map(IncidentKind::as_str).join(", ")
            ),
        ));
    }
    check_broadcast_text("subject", subject, false, fields);
    check_broadcast_text("body_text", body_text, true, fields);
}

/// The built-in text of a kind's broadcast in a language.
fn built_in(key: &str, locale: &str) -> String {
    DEFAULT_TEMPLATES
        .iter()
        .find(|(k, l, ..)| *k == key && *l == locale)
        .map(|(.., body)| body.to_string())
        .unwrap_or_default()
}

/// The values of a broadcast's placeholders for one traveler.
pub(crate) fn broadcast_vars(
    incident: &Incident,
    locale: &str,
    link: &str,
) -> BTreeMap<String, String> {
    let en = locale == "en";
    let region = if incident.scope.regions.is_empty() {
        if en { "your area" } else { "您所在地区" }.to_string()
    } else {
        incident.scope.regions.join(if en { ", " } else { "、" })
    };
    let drill = match (incident.drill, en) {
        (false, _) => "",
        (true, false) => "【演练】",
        (true, true) => "[DRILL] ",
    };
    [
        ("title", incident.title.clone()),
        ("region", region),
        ("link", link.to_string()),
        ("keywords", reply_keywords(locale).to_string()),
        ("drill", drill.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// A broadcast text rendered for one traveler: the placeholders filled; a `{link}` typed
/// by hand (the form's older spelling) filled too; the keywords and link added at the end
/// when the text carries no link and the check-in is asked for.
pub(crate) fn render_broadcast(
    text: &str,
    vars: &BTreeMap<String, String>,
    ask_checkin: bool,
    locale: &str,
) -> Result<String, AppError> {
    let link = vars.get("link").map(String::as_str).unwrap_or_default();
    let rendered = template::render(text, vars, Escape::None)
        .map_err(|e| AppError::field("body", "template", e.to_string()))?;
    let rendered = rendered.replace("{link}", link);
    Ok(if ask_checkin && !rendered.contains(link) {
        let sep = if locale == "en" { ": " } else { "：" };
        format!("{rendered} {}{sep}{link}", reply_keywords(locale))
    } else {
        rendered
    })
}

/// A broadcast's text in one language, and the template version it came from (none for
/// the built-in text or one staff typed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BroadcastText {
    pub locale: &'static str,
    pub text: String,
    pub template_version: Option<i64>,
}

impl App {
    /// The texts of an incident's kind, per language, as the template store holds them
    /// (else the built-in ones): what the broadcast form shows for staff to edit.
    pub async fn broadcast_texts(
        &self,
        p: &Principal,
        incident: &Incident,
    ) -> Result<Vec<BroadcastText>, AppError> {
        p.require(Permission::ViewIncidents)?;
        let mut tx = self.store.read().await?;
        self.broadcast_templates(&mut *tx, incident.kind).await
    }

    pub(crate) async fn broadcast_templates(
        &self,
        tx: &mut dyn Tx,
        kind: IncidentKind,
    ) -> Result<Vec<BroadcastText>, AppError> {
        let key = broadcast_template_key(kind);
        let mut out = Vec::with_capacity(BROADCAST_LOCALES.len());
        for locale in BROADCAST_LOCALES {
            out.push(match tx.latest_template(&key, locale).await? {
                Some(t) => BroadcastText {
                    locale,
                    text: t.body_text,
                    template_version: Some(t.version),
                },
                None => BroadcastText {
                    locale,
                    text: built_in(&key, locale),
                    template_version: None,
                },
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_valid_built_in_text_in_each_language() {
        for kind in IncidentKind::ALL {
            for locale in BROADCAST_LOCALES {
                let key = broadcast_template_key(kind);
                let text = built_in(&key, locale);
                assert!(!text.is_empty(), "{key} {locale}");
                let mut fields = Vec::new();
                check_broadcast_template(&key, "{{ title }}", &text, &mut fields);
                assert!(fields.is_empty(), "{key} {locale}: {fields:?}");
            }
        }
    }

    #[test]
    fn unknown_placeholder_and_missing_link_are_named() {
        let mut fields = Vec::new();
        check_broadcast_template(
            "incident.broadcast.safety",
            "{{ title }}",
            "{{ name }} 请注意安全",
            &mut fields,
        );
        let codes: Vec<_> = fields
            .iter()
            .map(|f| (f.field.as_str(), f.code.as_str()))
            .collect();
        assert_eq!(
            codes,
            [
                ("body_text", "unknown_placeholder"),
                ("body_text", "missing_link")
            ]
        );
        assert!(fields[0].message.contains("{{ name }}"), "{fields:?}");
        let mut fields = Vec::new();
        check_broadcast_template("incident.broadcast.flood", "x", "{{ link }}", &mut fields);
        assert_eq!(fields.len(), 1);
        assert_eq!(fields[0].field, "key");
    }

    #[test]
    fn languages_of_records() {
        assert_eq!(broadcast_locale(Some("en")), "en");
        assert_eq!(broadcast_locale(Some("en-GB")), "en");
        assert_eq!(broadcast_locale(Some("zh-CN")), "zh-CN");
        assert_eq!(broadcast_locale(Some("fr")), "zh-CN");
        assert_eq!(broadcast_locale(None), "zh-CN");
    }
}
