//! A ticket's merged timeline as its page shows it: steps, replies and notes, SLA events and
//! the notifications sent, each in the reader's words (a step's effects by name, not code).

use crate::i18n::Tr;
use crate::ui::local_time;
use crate::AppState;
use std::collections::HashMap;
use tripdesk_app::desk_board::TimelineEntry;

use super::inbox::{label, target_name};

/// One entry of the merged timeline as the page shows it.
pub(super) struct EventRow {
    pub(super) at: String,
    /// `ticket`, `sla` or `notification` (a CSS class).
    pub(super) source: &'static str,
    /// `reply`, `note`, `step`, `breach`… (a CSS class).
    pub(super) kind: String,
    pub(super) actor: String,
    pub(super) what: String,
    /// A reply or note, shown as a message.
    pub(super) message: Option<String>,
    pub(super) body: Option<String>,
    pub(super) meta: String,
}

/// What a step did, as the timeline shows it: the effect codes the desk records
/// (`start_clock:complaint.contact`, `notify:supervisors`, `reopen`…) in the reader's words,
/// with the SLA target's name. A code this release does not know shows as itself.
pub(crate) fn effect_label(t: Tr, names: &HashMap<String, String>, code: &str) -> String {
    let (kind, arg) = code.split_once(':').unwrap_or((code, ""));
    let key = format!("desk.effect.{kind}");
    if !Tr::has(&key) {
        return code.to_string();
    }
    match kind {
        "start_clock" | "stop_clock" | "cancel_clock" => {
            t.pair(t.s(&key), &super::inbox::target_name(names, arg))
        }
        "notify" => {
            let audience = format!("desk.audience.{arg}");
            let who = if Tr::has(&audience) {
                t.s(&audience)
            } else {
                arg
            };
            t.pair(t.s(&key), who)
        }
        _ => t.s(&key).to_string(),
    }
}

pub(super) fn timeline_row(
    state: &AppState,
    t: Tr,
    names: &HashMap<String, String>,
    e: &TimelineEntry,
) -> EventRow {
    match e {
        TimelineEntry::Ticket(e) => {
            let data = e
                .data
                .as_deref()
                .and_then(|d| serde_json::from_str::<serde_json::Value>(d).ok())
                .unwrap_or_default();
            let mut meta: Vec<String> = data["effects"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect::<Vec<_>>()
                })
                .filter(|a| !a.is_empty())
                .map(|a| {
                    let labels: Vec<String> =
                        a.iter().map(|code| effect_label(t, names, code)).collect();
                    let labels: Vec<&str> = labels.iter().map(String::as_str).collect();
                    vec![t.pair(t.s("desk.effects"), &t.list(&labels))]
                })
                .unwrap_or_default();
            if e.kind == "reply" {
                meta.push(
                    t.s(match data["delivery"].as_str() {
                        Some("email") => "desk.reply.emailed",
                        Some("sms") => "desk.reply.sent_sms",
                        Some("wechat") => "desk.reply.sent_wechat",
                        _ => "desk.reply.not_emailed",
                    })
                    .to_string(),
                );
                match data["stopped_clock"]["result"].as_str() {
                    Some("met") => meta.push(t.s("desk.reply.clock_met").into()),
                    Some(_) => meta.push(t.s("desk.reply.clock_breached").into()),
                    None => {}
                }
            }
            if e.kind == "call" {
                let dir = data["direction"].as_str().unwrap_or("inbound");
                meta.push(format!(
                    "{} · {} · {} {} · {} {}s",
                    t.s(&format!("calls.direction.{dir}")),
                    data["line"].as_str().unwrap_or_default(),
                    t.s("calls.ring"),
                    data["ring_secs"].as_i64().unwrap_or(0),
                    t.s("calls.talk"),
                    data["talk_secs"].as_i64().unwrap_or(0),
                ));
            }
            // A customer's message says which channel it came by.
            if let Some(channel) = data["channel"]
                .as_str()
                .filter(|_| e.kind.starts_with("customer_"))
            {
                meta.push(
                    t.s("desk.tl.via")
                        .replace("{channel}", t.s(&format!("channel.{channel}"))),
                );
            }
            if e.kind == "customer_email" {
                if let Some(kind) = data["auto"].as_str() {
                    meta.push(format!("{} ({kind})", t.s("desk.tl.customer_email_auto")));
                }
            }
            let what = match (e.kind.as_str(), &e.step, &e.to_state) {
                ("reply", _, _) => t.s("desk.tl.reply").to_string(),
                ("customer_email", _, _) => t.s("desk.tl.customer_email").to_string(),
                ("customer_wechat", _, _) => t.s("desk.tl.customer_wechat").to_string(),
                ("customer_sms", _, _) => t.s("desk.tl.customer_sms").to_string(),
                ("note", _, _) => t.s("desk.tl.note").to_string(),
                ("converted", _, _) => t.s("desk.tl.converted").to_string(),
                ("call", _, _) => t.s("desk.tl.call").to_string(),
                ("created", _, _) => t.s("desk.tl.created").to_string(),
                (_, Some(step), Some(to)) => {
                    format!("{} → {}", label(t, "step", step), label(t, "state", to))
                }
                (_, _, Some(to)) => label(t, "state", to),
                (kind, _, _) => kind.to_string(),
            };
            let is_message = matches!(
                e.kind.as_str(),
                "reply" | "note" | "customer_email" | "customer_wechat" | "customer_sms"
            );
            EventRow {
                at: local_time(state, e.at),
                source: "ticket",
                kind: e.kind.clone(),
                actor: e.actor_name.clone(),
                what,
                message: is_message.then(|| e.body.clone()).flatten(),
                body: (!is_message).then(|| e.body.clone()).flatten(),
                meta: meta.join(" · "),
            }
        }
        TimelineEntry::Sla(ev) => EventRow {
            at: local_time(state, ev.at),
            source: "sla",
            kind: ev.kind.as_str().into(),
            actor: t.s("desk.tl.system").into(),
            what: format!(
                "{} · {}",
                target_name(names, &ev.target_key),
                label(t, "desk.tl", ev.kind.as_str())
            ),
            message: None,
            body: None,
            meta: String::new(),
        },
        TimelineEntry::Message(m) => EventRow {
            at: local_time(state, m.created_at),
            source: "notification",
            kind: m.state.as_str().into(),
            actor: t.s("desk.tl.notification").into(),
            what: format!(
                "{} · {} · {}",
                label(t, "channel", &m.channel),
                m.subject,
                label(t, "state", m.state.as_str())
            ),
            message: None,
            body: None,
            meta: String::new(),
        },
    }
}
