//! The customer's conversation page (issue 17 item 6): every message of every channel — the
//! tickets' first messages, mails, WeChat and SMS messages, the agents' replies, web chats and
//! phone calls — newest first, each with its channel, who said it and the ticket it belongs
//! to; numbered pages of the one pager.

use super::super::pager::{Extent, Pager, PagerNav};
use super::super::session::UiUser;
use super::super::{error_page, local_time, render, Chrome};
use super::label;
use crate::i18n::Tr;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use tripdesk_app::conversation::{ConversationItem, Speaker, CONVERSATION_PAGE};
use uuid::Uuid;

/// One entry as the page shows it.
struct Line {
    at: String,
    /// `customer`, `agent` or `system` (a CSS class).
    speaker: &'static str,
    who: String,
    channel: String,
    text: String,
    ticket: Option<(Uuid, String)>,
}

#[derive(Template)]
#[template(path = "customers/conversation.html")]
struct ConversationPage {
    c: Chrome,
    id: Uuid,
    name: String,
    lines: Vec<Line>,
    pager: PagerNav,
}

/// A call in words: 来电 · 未接通 · 响铃 20 秒.
fn call_text(t: Tr, item: &ConversationItem) -> String {
    let mut parts = item.kind.splitn(3, ':').skip(1);
    let direction = parts.next().unwrap_or("");
    let disposition = parts.next().unwrap_or("");
    let mut text = vec![
        label(t, &format!("conversation.call.{direction}"), direction),
        label(t, &format!("conversation.call.{disposition}"), disposition),
    ];
    if let Some((ring, talk)) = item.call_secs {
        text.push(
            t.s("conversation.call.ring")
                .replace("{n}", &ring.to_string()),
        );
        if talk > 0 {
            text.push(
                t.s("conversation.call.talk")
                    .replace("{n}", &talk.to_string()),
            );
        }
    }
    text.join(" · ")
}

fn line_of(state: &AppState, t: Tr, name: &str, item: &ConversationItem) -> Line {
    let is_call = item.kind.starts_with("call:");
    let (speaker, who) = match item.speaker {
        Speaker::Customer => (
            "customer",
            item.actor.clone().unwrap_or_else(|| name.into()),
        ),
        Speaker::Agent => (
            "agent",
            item.actor
                .clone()
                .unwrap_or_else(|| t.s("conversation.agent").into()),
        ),
        Speaker::System if is_call => (
            "system",
            match &item.actor {
                Some(ext) => t.s("conversation.extension").replace("{n}", ext),
                None => String::new(),
            },
        ),
        Speaker::System => ("system", t.s("conversation.system").into()),
    };
    let channel = if item.speaker == Speaker::Agent && item.channel == "none" {
        t.s("conversation.not_sent").to_string()
    } else {
        label(t, &format!("channel.{}", item.channel), &item.channel)
    };
    Line {
        at: local_time(state, item.at),
        speaker,
        who,
        channel,
        text: if is_call {
            call_text(t, item)
        } else {
            item.text.clone()
        },
        ticket: item
            .ticket_id
            .map(|id| (id, item.ticket_number.clone().unwrap_or_default())),
    }
}

pub async fn show(
    State(state): State<AppState>,
    user: UiUser,
    pager: Pager,
    Path(id): Path<String>,
) -> Response {
    let t = Tr(user.lang);
    let Ok(id) = Uuid::parse_str(&id) else {
        return error_page(
            &state,
            &user,
            "customers",
            tripdesk_app::AppError::NotFound("customer"),
        );
    };
    let p = &user.principal;
    let customer = match state.app.get_customer(p, id).await {
        Ok(d) => d.customer,
        Err(e) => return error_page(&state, &user, "customers", e),
    };
    let found = match state
        .app
        .customer_conversation(
            p,
            id,
            None,
            pager.offset(CONVERSATION_PAGE),
            CONVERSATION_PAGE,
        )
        .await
    {
        Ok(f) => f,
        Err(e) => return error_page(&state, &user, "customers", e),
    };
    let lines = found
        .items
        .iter()
        .map(|item| line_of(&state, t, &customer.name, item))
        .collect();
    render(
        StatusCode::OK,
        &ConversationPage {
            c: Chrome::new(&state, &user, "customers"),
            id,
            name: customer.name.clone(),
            lines,
            pager: pager.nav(t, CONVERSATION_PAGE, Extent::more(found.more)),
        },
    )
}
