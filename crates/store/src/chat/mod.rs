//! Records and repository of web chats (issue 17 item 2): a chat with its visitor's customer
//! record and its state, and its messages in order. Each message's text is sealed by the
//! vault for the message's id (a visitor types phone numbers, booking references, health
//! notes); erasure forgets the texts of a customer's chats and keeps their times for the
//! statistics. Messages are numbered per chat by a conditional update of the chat's
//! `last_seq` in the writing transaction, so two nodes writing to one chat never reuse a
//! number (the unique key `(chat_id, seq)` holds it too).

pub(crate) mod conformance;

use crate::StoreError;
use async_trait::async_trait;
use jiff::Timestamp;
use tripdesk_domain::chat::{Author, ChatState};
use uuid::Uuid;

/// The key announced on [`crate::signal::Topic::Chat`] when a chat starts or changes state:
/// the agents' queues reload. Every write to a chat also announces the chat's id.
pub const CHAT_QUEUE_KEY: Uuid = Uuid::nil();

/// A chat as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chat {
    pub id: Uuid,
    pub customer_id: Uuid,
    pub state: ChatState,
    /// The agent who answered first and holds it.
    pub agent_id: Option<Uuid>,
    /// The ticket it became when no one answered in time.
    pub ticket_id: Option<Uuid>,
    pub started_at: Timestamp,
    /// The first answer's deadline, as the clock set it at the start (for the queue).
    pub due_at: Option<Timestamp>,
    pub answered_at: Option<Timestamp>,
    pub ended_at: Option<Timestamp>,
    /// The number of its last message (0: none yet).
    pub last_seq: i64,
    pub last_at: Timestamp,
    pub version: i64,
}

/// A chat in a list, with its visitor's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatListed {
    pub chat: Chat,
    pub customer_name: String,
}

/// One message of a chat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatMessage {
    pub id: Uuid,
    pub chat_id: Uuid,
    /// 1, 2, … within the chat.
    pub seq: i64,
    pub author: Author,
    pub agent_id: Option<Uuid>,
    /// The text sealed for the message id; `None` once erased.
    pub body_sealed: Option<String>,
    pub at: Timestamp,
}

/// Which chats to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChatFilter {
    /// Any of these states (all when empty).
    pub states: Vec<ChatState>,
    pub agent_id: Option<Uuid>,
    pub customer_id: Option<Uuid>,
}

#[async_trait]
pub trait ChatRepo {
    async fn insert_chat(&mut self, chat: &Chat) -> Result<(), StoreError>;
    async fn get_chat(&mut self, id: Uuid) -> Result<Option<Chat>, StoreError>;
    /// Writes the chat's state, agent, ticket, deadline and times if its version is still `expected`
    /// (the stored version becomes `chat.version`); false when it was changed meanwhile.
    async fn update_chat(&mut self, chat: &Chat, expected: i64) -> Result<bool, StoreError>;
    /// Appends a message: numbers it after the chat's last (`id`'s `seq` is ignored) and
    /// returns its number; `None` when the chat does not exist.
    async fn append_chat_message(&mut self, m: &ChatMessage) -> Result<Option<i64>, StoreError>;
    /// Messages after `after_seq`, oldest first.
    async fn list_chat_messages(
        &mut self,
        chat_id: Uuid,
        after_seq: i64,
        limit: u32,
    ) -> Result<Vec<ChatMessage>, StoreError>;
    /// Oldest first by start (the longest waiting on top).
    async fn list_chats(
        &mut self,
        filter: &ChatFilter,
        limit: u32,
        offset: u64,
    ) -> Result<Vec<ChatListed>, StoreError>;
    async fn count_chats(&mut self, filter: &ChatFilter) -> Result<u64, StoreError>;
    /// Erasure: forgets the texts of the customer's chats; how many messages.
    async fn erase_chat_messages(&mut self, customer_id: Uuid) -> Result<u64, StoreError>;
}
