//! PIPL erasure: the one list of places where a customer's personal data can land, and the
//! repository that scrubs them.
//!
//! [`ERASABLE_TEXTS`] names every text column that free text typed by anyone (a customer on
//! the public form, an agent in a reply, note or task, a template filled with the customer's
//! name) or a copy of it (an email body, a staff alert, a webhook payload) can reach. Erasure
//! (`App::erase_customer`) searches each for the customer's values and rewrites the rows it
//! finds; the customer's own rows are handled whole by [`ErasureRepo::erase_customer_tickets`]
//! and [`ErasureRepo::erase_customer_messages`]. A new table or column that can hold free
//! text belongs in this list.
//!
//! Not listed, and why: other customers' names (`customers.name`: a namesake is another
//! person; the erased customer's own record is blanked), `customer_identifiers` (deleted by erasure), sealed columns
//! (`ticket_attachments`, the customer's sealed fields: ciphertext; the erased customer's
//! attachments are deleted), `audit_log` (summaries name fields and reasons, never values; its
//! rows are hash-chained and never rewritten), `login_throttle` (client addresses only as a
//! keyed hash), `sessions`/`api_tokens`/`users` (staff), settings tables (written by staff,
//! not about one customer).

use crate::StoreError;
use async_trait::async_trait;
use jiff::Timestamp;
use uuid::Uuid;

/// A text column that may hold personal data typed or copied by anyone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextColumn {
    pub table: &'static str,
    /// The row's key (text).
    pub key: &'static str,
    pub column: &'static str,
    /// An SQL expression giving the ticket the row is about, when there is one: texts about
    /// the erased customer's tickets are also searched for the customer's own words.
    pub ticket_of: Option<&'static str>,
    /// Whether every row is searched for the customer's values. False for a column that
    /// holds another person's name (`tickets.customer_name` of someone else's ticket): a
    /// namesake keeps their name; only rows about the erased customer's tickets are searched.
    pub every_row: bool,
}

const fn col(
    table: &'static str,
    column: &'static str,
    ticket_of: Option<&'static str>,
) -> TextColumn {
    TextColumn {
        table,
        key: "id",
        column,
        ticket_of,
        every_row: true,
    }
}

const OUTBOX_TICKET: &str = "CASE WHEN related_type = 'ticket' THEN related_id END";
const VIA_MESSAGE: &str = "(SELECT m.related_id FROM outbox_messages m WHERE m.id = message_id \
     AND m.related_type = 'ticket')";

/// Every text column erasure searches.
pub const ERASABLE_TEXTS: &[TextColumn] = &[
    TextColumn {
        every_row: false,
        ..col("tickets", "customer_name", Some("id"))
    },
    col("tickets", "subject", Some("id")),
    col("tickets", "description", Some("id")),
    col("tickets", "booking_ref", Some("id")),
    col("tickets", "cause", Some("id")),
    col("tickets", "responsible_person", Some("id")),
    col("tickets", "tags", Some("id")),
    col("ticket_events", "body", Some("ticket_id")),
    col("ticket_events", "data", Some("ticket_id")),
    col("desk_tasks", "title", Some("ticket_id")),
    col("desk_tasks", "body", Some("ticket_id")),
    col("surveys", "suggestions", Some("ticket_id")),
    col("surveys", "reason", Some("ticket_id")),
    col("outbox_messages", "recipient", Some(OUTBOX_TICKET)),
    col("outbox_messages", "subject", Some(OUTBOX_TICKET)),
    col("outbox_messages", "body_text", Some(OUTBOX_TICKET)),
    col("outbox_messages", "body_html", Some(OUTBOX_TICKET)),
    col("outbox_messages", "last_error", Some(OUTBOX_TICKET)),
    col("outbox_messages", "receipt", Some(OUTBOX_TICKET)),
    col("outbox_attempts", "error", Some(VIA_MESSAGE)),
    col("outbox_attempts", "receipt", Some(VIA_MESSAGE)),
    col("outbox_attachments", "filename", Some(VIA_MESSAGE)),
    col("inapp_notifications", "title", Some(VIA_MESSAGE)),
    col("inapp_notifications", "body", Some(VIA_MESSAGE)),
    col("customers", "notes", None),
    col("customers", "tags", None),
];

/// The erased customer's tickets as they were, before their texts are replaced.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerTicketTexts {
    pub id: Uuid,
    pub customer_name: String,
    pub subject: String,
    pub description: String,
    /// The suggestions and reasons of the ticket's answered surveys.
    pub survey_texts: Vec<String>,
}

/// What [`ErasureRepo::erase_customer_tickets`] changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ErasedTickets {
    pub tickets: u64,
    pub timeline_entries: u64,
    pub surveys: u64,
    pub attachments: u64,
}

/// What [`ErasureRepo::erase_customer_messages`] changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ErasedMessages {
    pub messages: u64,
    /// Of those, still waiting to be sent: now dead, never sent.
    pub cancelled: u64,
}

#[async_trait]
pub trait ErasureRepo: Send {
    /// The customer's tickets with their texts, and their surveys' answers.
    async fn customer_ticket_texts(
        &mut self,
        customer_id: Uuid,
    ) -> Result<Vec<CustomerTicketTexts>, StoreError>;

    /// Keys of the rows whose `column` contains one of `patterns` (SQL `LIKE` patterns with
    /// `\` as escape, matched against the lower-cased text), limited to rows about one of
    /// `tickets` when given (through [`TextColumn::ticket_of`]).
    async fn find_erasable_texts(
        &mut self,
        column: &TextColumn,
        patterns: &[String],
        tickets: Option<&[Uuid]>,
    ) -> Result<Vec<String>, StoreError>;

    /// The text of one row's column (`None` when the row is gone or the column is NULL).
    async fn erasable_text(
        &mut self,
        column: &TextColumn,
        key: &str,
    ) -> Result<Option<String>, StoreError>;

    async fn set_erasable_text(
        &mut self,
        column: &TextColumn,
        key: &str,
        text: &str,
    ) -> Result<(), StoreError>;

    /// The customer's own tickets keep kind, level, states, timings, numbers, clocks and
    /// handlers; their name, subject and description become `placeholder`, every timeline
    /// entry's text too (its kind, step, states and time stay), surveys keep their ratings
    /// and lose their suggestions and reasons, and evidence attachments are deleted.
    async fn erase_customer_tickets(
        &mut self,
        customer_id: Uuid,
        placeholder: &str,
    ) -> Result<ErasedTickets, StoreError>;

    /// Messages to or about the customer (`customer_id`, or an email to one of `emails`,
    /// lower-case): recipient, subject and bodies become `placeholder`, attachments are
    /// deleted; those not yet sent become dead with `reason` and are never sent. The
    /// customer's notification preferences are deleted.
    async fn erase_customer_messages(
        &mut self,
        customer_id: Uuid,
        emails: &[String],
        placeholder: &str,
        reason: &str,
        now: Timestamp,
    ) -> Result<ErasedMessages, StoreError>;
}
