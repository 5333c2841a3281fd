//! One customer's conversation (issue 17 item 6): every message of every channel — a
//! ticket's first message, the customer's mails, WeChat and SMS messages on it, the agents'
//! replies, web-chat messages and phone calls — in time order with its channel, newest first,
//! a page at a time (`tripdesk_store::ConversationRepo`). Chat texts are opened from the
//! vault here; the ticket scope of the viewer applies (an agent sees the tickets of their
//! groups), as on the desk.

use crate::customers::open_sealed;
use crate::page::Page;
use crate::{App, AppError, Principal};
use jiff::Timestamp;
use tripdesk_domain::identity::Permission;
use tripdesk_store::{ConversationEntry, ConversationQuery, ConversationSource};
use uuid::Uuid;

/// Where a page of the conversation continues: the last entry shown (its time, id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub at: Timestamp,
    pub id: Uuid,
}

impl Cursor {
    /// As it travels in an address: `<milliseconds>_<id>`.
    pub fn encode(&self) -> String {
        format!("{}_{}", self.at.as_millisecond(), self.id)
    }

    /// `None` for anything else than what [`Cursor::encode`] writes.
    pub fn decode(s: &str) -> Option<Self> {
        let (ms, id) = s.split_once('_')?;
        Some(Cursor {
            at: Timestamp::from_millisecond(ms.parse().ok()?).ok()?,
            id: Uuid::parse_str(id).ok()?,
        })
    }
}

/// Who said something in the conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Speaker {
    Customer,
    Agent,
    /// The system (a chat's notice), or a call (no one "said" it).
    System,
}

/// One entry as a reader sees it.
#[derive(Debug, Clone)]
pub struct ConversationItem {
    pub at: Timestamp,
    pub id: Uuid,
    /// `email`, `web_form`, `phone`, `chat`, `social` (WeChat), `sms`, `on_site`…: the
    /// channel the message went by (a reply: the one it was delivered by; `none` when it
    /// was not sent anywhere).
    pub channel: String,
    pub speaker: Speaker,
    /// `message` for a text; `call:<direction>:<disposition>` for a call.
    pub kind: String,
    /// The agent's or customer's name as recorded; a call's extension.
    pub actor: Option<String>,
    pub text: String,
    pub ticket_id: Option<Uuid>,
    pub ticket_number: Option<String>,
    /// A call's ring and talk seconds.
    pub call_secs: Option<(i64, i64)>,
}

/// Entries a page.
pub const CONVERSATION_PAGE: u32 = 50;

impl App {
    /// A page of the customer's conversation, newest first, after `before` and `offset`
    /// more (needs `view_customers` and `view_desk`).
    pub async fn customer_conversation(
        &self,
        p: &Principal,
        customer_id: Uuid,
        before: Option<Cursor>,
        offset: u32,
        limit: u32,
    ) -> Result<Page<ConversationItem>, AppError> {
        p.require(Permission::ViewCustomers)?;
        p.require(Permission::ViewDesk)?;
        let mut filter = tripdesk_store::TicketFilter::default();
        p.scope_tickets(&mut filter);
        let mut tx = self.store.read().await?;
        tx.get_customer(customer_id)
            .await?
            .ok_or(AppError::NotFound("customer"))?;
        let rows = tx
            .customer_conversation(&ConversationQuery {
                customer_id,
                before: before.map(|c| (c.at, c.id)),
                groups: filter.groups,
                limit: Page::<ConversationItem>::fetch_limit(limit),
                offset,
            })
            .await?;
        drop(tx);
        let mut items = Vec::with_capacity(rows.len());
        for row in rows {
            items.push(self.conversation_item(row)?);
        }
        Ok(Page::of(items, limit))
    }

    fn conversation_item(&self, e: ConversationEntry) -> Result<ConversationItem, AppError> {
        let data = e
            .data
            .as_deref()
            .and_then(|d| serde_json::from_str::<serde_json::Value>(d).ok())
            .unwrap_or_default();
        let mut item = ConversationItem {
            at: e.at,
            id: e.id,
            channel: e.channel.clone(),
            speaker: Speaker::Customer,
            kind: "message".into(),
            actor: e.actor.clone(),
            text: e.body.clone().unwrap_or_default(),
            ticket_id: e.ticket_id,
            ticket_number: e.ticket_number.clone(),
            call_secs: None,
        };
        match e.source {
            ConversationSource::Ticket => match e.kind.as_str() {
                "reply" => {
                    item.speaker = Speaker::Agent;
                    item.channel = data["delivery"].as_str().unwrap_or("none").to_string();
                }
                // A customer's message names its channel (`customer_email` → `email`).
                kind => {
                    if let Some(channel) = data["channel"]
                        .as_str()
                        .or_else(|| kind.strip_prefix("customer_"))
                    {
                        item.channel = channel.to_string();
                    }
                }
            },
            ConversationSource::Chat => {
                item.speaker = match e.kind.as_str() {
                    "visitor" => Speaker::Customer,
                    "agent" => Speaker::Agent,
                    _ => Speaker::System,
                };
                item.text = match &e.body_sealed {
                    Some(sealed) => {
                        open_sealed(self.vault()?, crate::chat::MESSAGE_FIELD, e.id, sealed)?
                            .expose_secret()
                            .clone()
                    }
                    None => String::new(),
                };
            }
            ConversationSource::Call => {
                item.speaker = Speaker::System;
                item.kind = format!("call:{}", e.kind);
                item.call_secs = e.data.as_deref().and_then(|d| {
                    let (ring, talk) = d.split_once(',')?;
                    Some((ring.parse().ok()?, talk.parse().ok()?))
                });
            }
        }
        Ok(item)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_reads_back_what_it_wrote_and_nothing_else() {
        let c = Cursor {
            at: Timestamp::from_millisecond(1_790_000_000_123).unwrap(),
            id: Uuid::now_v7(),
        };
        assert_eq!(Cursor::decode(&c.encode()), Some(c));
        for bad in [
            "",
            "12",
            "x_y",
            "12_not-a-uuid",
            "_0190",
            "99999999999999999999_x",
        ] {
            assert_eq!(Cursor::decode(bad), None, "{bad}");
        }
    }
}
