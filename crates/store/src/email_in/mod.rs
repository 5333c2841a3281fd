//! Records and repository of inbound email (issue 17 item 1): the IMAP mailboxes an
//! administrator configured, where each one's poll stopped, and every mail of an email
//! ticket (in and out) by its Message-ID's keyed hash, for threading and for taking each
//! mail once.

use crate::StoreError;
use async_trait::async_trait;
use jiff::Timestamp;
use uuid::Uuid;

/// An IMAP mailbox as stored (the password sealed by the vault for `id`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailMailbox {
    pub id: Uuid,
    pub name: String,
    pub host: String,
    pub port: u16,
    /// TLS from the first byte (IMAPS, port 993); false only for a trusted network.
    pub tls: bool,
    pub username: String,
    pub password_sealed: String,
    pub folder: String,
    pub enabled: bool,
    /// The folder's UIDVALIDITY when `last_uid` was taken.
    pub uid_validity: Option<u32>,
    /// The highest UID taken so far (0: none).
    pub last_uid: u32,
    pub last_poll_at: Option<Timestamp>,
    /// Why the last poll failed (no personal data: a code and the server's words).
    pub last_error: Option<String>,
    /// Mails taken from this mailbox so far.
    pub taken_total: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// One mail of an email ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailMessageRecord {
    pub id: Uuid,
    /// `in` (a customer's mail) or `out` (a reply tripdesk sent).
    pub direction: String,
    pub mailbox_id: Option<Uuid>,
    /// The Message-ID's blind index (`KeyRing::blind_index("email_message_id", id)`).
    pub message_key: String,
    /// The Message-ID sealed for `id`.
    pub message_sealed: String,
    pub ticket_id: Uuid,
    pub customer_id: Option<Uuid>,
    /// The timeline entry holding its text.
    pub event_id: Option<Uuid>,
    /// The outbox message that carried a reply.
    pub outbox_id: Option<Uuid>,
    /// Why it is never answered: `auto_reply`, `bounce`, `bulk`.
    pub auto_kind: Option<String>,
    pub at: Timestamp,
}

/// What one poll of a mailbox ended with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailboxPoll {
    pub at: Timestamp,
    pub uid_validity: Option<u32>,
    pub last_uid: u32,
    pub taken: i64,
    pub error: Option<String>,
}

#[async_trait]
pub trait EmailInRepo: Send {
    async fn insert_mailbox(&mut self, m: &EmailMailbox) -> Result<(), StoreError>;

    async fn get_mailbox(&mut self, id: Uuid) -> Result<Option<EmailMailbox>, StoreError>;

    /// Mailboxes by name, a page at a time.
    async fn list_mailboxes(
        &mut self,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<EmailMailbox>, StoreError>;

    /// The enabled mailboxes' ids (what the sweep polls).
    async fn enabled_mailboxes(&mut self) -> Result<Vec<Uuid>, StoreError>;

    /// Turns polling on or off; false when the mailbox does not exist.
    async fn set_mailbox_enabled(
        &mut self,
        id: Uuid,
        enabled: bool,
        at: Timestamp,
    ) -> Result<bool, StoreError>;

    /// Records where a poll stopped (and adds `taken` to the total).
    async fn record_mailbox_poll(&mut self, id: Uuid, poll: &MailboxPoll)
        -> Result<(), StoreError>;

    /// Stores a mail unless its Message-ID is stored already (returns false).
    async fn insert_email_message(&mut self, m: &EmailMessageRecord) -> Result<bool, StoreError>;

    /// The mails with these Message-ID keys or carried by these outbox messages, oldest first.
    async fn find_email_messages(
        &mut self,
        message_keys: &[String],
        outbox_ids: &[Uuid],
    ) -> Result<Vec<EmailMessageRecord>, StoreError>;

    /// The ticket's mails, oldest first.
    async fn ticket_email_messages(
        &mut self,
        ticket_id: Uuid,
    ) -> Result<Vec<EmailMessageRecord>, StoreError>;

    /// The mails matched to the customer, oldest first (the PIPL copy).
    async fn customer_email_messages(
        &mut self,
        customer_id: Uuid,
    ) -> Result<Vec<EmailMessageRecord>, StoreError>;

    /// Deletes the mails of these tickets or matched to the customer (erasure).
    async fn delete_email_messages(
        &mut self,
        customer_id: Uuid,
        ticket_ids: &[Uuid],
    ) -> Result<u64, StoreError>;
}
