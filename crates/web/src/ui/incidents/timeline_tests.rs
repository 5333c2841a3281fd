//! Every kind of line the app writes to an incident's timeline reads as a sentence in both
//! languages, on the board and in the report (both render it through `event_text`): the
//! kinds come from the app's one list, `EventKind::ALL`, so a kind added there without its
//! text fails here.

use super::board::event_text;
use crate::i18n::{Lang, Tr};
use serde_json::json;
use tripdesk_domain::emergency::{EventKind, IncidentKind};

/// A detail holding every field any kind writes, with values as the app writes them.
fn detail() -> String {
    json!({
        "people": 3, "sms": 2, "email": 1, "calls": 1, "offered": 4, "customers": 3,
        "no_contact": 1, "status": "needs_help", "via": "link", "reason": "sms_failed",
        "channel": "email", "failed": "sms", "outcome": "wrong_number", "role": "cs_manager",
        "ticket": "T-1001", "item": "report_authority", "done": false, "choice": "postpone",
        "what": "转移游客包车 2 辆", "amount_fen": 360050, "audience": "all",
        "booking_id": "0192f5b8-0000-7000-8000-000000000001", "refund_fen": 128000,
    })
    .to_string()
}

#[test]
fn every_kind_the_app_writes_has_its_text_in_both_languages() {
    let detail = detail();
    for kind in EventKind::ALL {
        let kind = kind.as_str();
        for lang in [Lang::ZhCn, Lang::En] {
            let text = event_text(Tr(lang), IncidentKind::NaturalDisaster, kind, &detail);
            let shown = format!("{kind} in {lang:?}: {text:?}");
            assert!(!text.is_empty() && text != kind, "raw key for {shown}");
            assert!(
                !text.contains("??") && !text.contains("incidents."),
                "missing text: {shown}"
            );
            // Every placeholder filled, every stored value (`sms_failed`, …) a word.
            assert!(
                !text.contains('{') && !text.contains('_'),
                "unfilled: {shown}"
            );
            let chinese = text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
            match lang {
                Lang::ZhCn => assert!(chinese, "not Chinese: {shown}"),
                // Only the cost's item, typed in Chinese by staff, may be Chinese in English.
                Lang::En if kind != "cost" => assert!(!chinese, "not English: {shown}"),
                Lang::En => {}
            }
        }
    }
}

#[test]
fn a_cost_line_names_its_item_and_amount() {
    let detail = json!({ "cost_id": "c", "what": "转移游客包车 {2} 辆", "amount_fen": 360050 });
    let zh = event_text(
        Tr(Lang::ZhCn),
        IncidentKind::Safety,
        "cost",
        &detail.to_string(),
    );
    assert_eq!(zh, "登记费用：转移游客包车 {2} 辆 ¥3,600.50");
    let en = event_text(
        Tr(Lang::En),
        IncidentKind::Safety,
        "cost",
        &detail.to_string(),
    );
    assert_eq!(en, "Cost entered: 转移游客包车 {2} 辆 ¥3,600.50");
}

#[test]
fn remedy_lines_say_what_was_offered_and_chosen() {
    let offered = json!({ "offered": 4, "customers": 3, "sms": 2, "email": 1, "no_contact": 0,
                          "skipped": [] });
    let text = event_text(
        Tr(Lang::ZhCn),
        IncidentKind::NaturalDisaster,
        "remedies_offered",
        &offered.to_string(),
    );
    assert_eq!(
        text,
        "提供退款或延期：4 个订单，3 位客户（短信 2，邮件 1，需致电 0）"
    );
    let chosen = json!({ "choice": "refund", "via": "staff", "refund_fen": 128000 });
    let text = event_text(
        Tr(Lang::En),
        IncidentKind::NaturalDisaster,
        "remedy_chosen",
        &chosen.to_string(),
    );
    assert_eq!(text, "The customer chose a full refund (staff)");
}
