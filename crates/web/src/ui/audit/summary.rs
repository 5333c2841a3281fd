//! An audit entry's summary as a person reads it: the JSON the use case recorded (hashed into
//! the chain as it is) shown as labelled values in the reader's language — states, steps,
//! levels, channels, roles and a step's effects by their names, not their codes.

use crate::i18n::Tr;
use serde_json::Value;
use std::collections::HashMap;

/// `label：value` pairs of a summary, in the order recorded; a summary that is not a JSON
/// object shows as it is.
pub(super) fn readable(t: Tr, targets: &HashMap<String, String>, summary: &str) -> Vec<String> {
    let Ok(Value::Object(fields)) = serde_json::from_str::<Value>(summary) else {
        return if summary.trim().is_empty() || summary == "{}" {
            Vec::new()
        } else {
            vec![summary.to_string()]
        };
    };
    fields
        .iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| t.pair(&key_label(t, k), &value_text(t, targets, k, v)))
        .collect()
}

fn key_label(t: Tr, key: &str) -> String {
    let k = format!("audit.key.{key}");
    if Tr::has(&k) {
        t.s(&k).to_string()
    } else {
        key.to_string()
    }
}

/// A code under its family's labels (`state.resolved` → 已解决), else the code itself.
fn coded(t: Tr, family: &str, code: &str) -> String {
    let k = format!("{family}.{code}");
    if Tr::has(&k) {
        t.s(&k).to_string()
    } else {
        code.to_string()
    }
}

fn value_text(t: Tr, targets: &HashMap<String, String>, key: &str, v: &Value) -> String {
    let one = |s: &str| -> String {
        match key {
            "from" | "to" | "state" => coded(t, "state", s),
            "step" => coded(t, "step", s),
            "level" | "from_level" | "to_level" => coded(t, "level", s),
            "kind" => coded(t, "kind", s),
            "channel" | "source_channel" => coded(t, "channel", s),
            "roles" | "role" => coded(t, "role", s),
            "effects" => crate::ui::desk::timeline::effect_label(t, targets, s),
            _ => s.to_string(),
        }
    };
    match v {
        Value::String(s) => one(s),
        Value::Bool(b) => t.s(if *b { "audit.yes" } else { "audit.no" }).to_string(),
        Value::Number(n) => n.to_string(),
        Value::Array(items) => {
            let parts: Vec<String> = items
                .iter()
                .map(|i| match i {
                    Value::String(s) => one(s),
                    other => other.to_string(),
                })
                .collect();
            t.list(&parts.iter().map(String::as_str).collect::<Vec<_>>())
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    #[test]
    fn a_step_reads_as_words_in_both_languages() {
        let targets = HashMap::from([("complaint.contact".to_string(), "联系客户".to_string())]);
        let s = r#"{"effects":["start_clock:complaint.contact","notify:supervisors"],"from":"triaged","number":"TS0000037","step":"assign","to":"assigned","ok":true}"#;
        let zh = readable(Tr(Lang::ZhCn), &targets, s);
        assert_eq!(zh[0], "触发：开始计时：联系客户、通知：主管");
        assert!(zh.contains(&"工单号：TS0000037".to_string()), "{zh:?}");
        assert!(zh.contains(&"步骤：分派处理小组".to_string()), "{zh:?}");
        assert!(
            zh.contains(&"ok：是".to_string()),
            "an unknown key keeps its name: {zh:?}"
        );
        let en = readable(Tr(Lang::En), &targets, s);
        assert!(en.contains(&"Step: Assign".to_string()), "{en:?}");
        assert_eq!(
            readable(Tr(Lang::ZhCn), &targets, "{}"),
            Vec::<String>::new()
        );
        assert_eq!(
            readable(Tr(Lang::ZhCn), &targets, "not json"),
            vec!["not json"]
        );
    }
}
