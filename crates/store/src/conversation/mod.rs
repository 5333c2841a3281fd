//! One customer's conversation across channels (issue 17 item 6): what they said and what
//! was said to them on every ticket (the first message, mails, WeChat and SMS messages, the
//! agents' replies), in web chats and on the phone, newest first, read in one query so a
//! page of it is one keyset step back in time (or a numbered page) on every backend.

pub(crate) mod conformance;

use crate::StoreError;
use async_trait::async_trait;
use jiff::Timestamp;
use uuid::Uuid;

/// Where an entry of the conversation is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConversationSource {
    /// A ticket's timeline event: `created` (the ticket's first message, its description),
    /// `reply` (an agent to the customer) or `customer_<channel>` (the customer, by mail,
    /// WeChat, SMS…).
    Ticket,
    /// A web chat's message (`kind` is its author: `visitor`, `agent`, `system`).
    Chat,
    /// A phone call (`kind` is `<direction>:<disposition>`).
    Call,
}

impl ConversationSource {
    pub fn as_str(self) -> &'static str {
        match self {
            ConversationSource::Ticket => "ticket",
            ConversationSource::Chat => "chat",
            ConversationSource::Call => "call",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "ticket" => Some(ConversationSource::Ticket),
            "chat" => Some(ConversationSource::Chat),
            "call" => Some(ConversationSource::Call),
            _ => None,
        }
    }
}

/// One entry of a customer's conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversationEntry {
    pub source: ConversationSource,
    /// The event's, message's or call's id.
    pub id: Uuid,
    pub at: Timestamp,
    /// The ticket it belongs to (a chat's when it became one).
    pub ticket_id: Option<Uuid>,
    pub ticket_number: Option<String>,
    /// The ticket's channel (`email`, `social`…), `chat` or `phone`.
    pub channel: String,
    /// See [`ConversationSource`].
    pub kind: String,
    /// Who wrote it (an agent's name, the customer's), or the extension of a call.
    pub actor: Option<String>,
    /// A ticket entry's text.
    pub body: Option<String>,
    /// A chat message's text, sealed for the message's id (`None` once erased).
    pub body_sealed: Option<String>,
    /// A ticket event's data (JSON: `channel`, `delivery`…); a call's `ring_secs,talk_secs`.
    pub data: Option<String>,
}

/// A page of a customer's conversation: the entries before `before` (at, id), newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversationQuery {
    pub customer_id: Uuid,
    /// The entry to continue after (its time and id), `None` for the newest.
    pub before: Option<(Timestamp, Uuid)>,
    /// The viewer's scope of tickets (`None`: every ticket; `Some(groups)`: the tickets of
    /// these handling groups only). Chats and calls are not scoped by group.
    pub groups: Option<Vec<Uuid>>,
    pub limit: u32,
    /// Entries skipped after `before` (a numbered page of the staff page).
    pub offset: u32,
}

#[async_trait]
pub trait ConversationRepo {
    /// The customer's conversation, newest first (see [`ConversationQuery`]).
    async fn customer_conversation(
        &mut self,
        q: &ConversationQuery,
    ) -> Result<Vec<ConversationEntry>, StoreError>;
}
