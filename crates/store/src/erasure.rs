//! PIPL erasure: the places where a customer's personal data can land, declared per
//! capability, and the repository that reads and scrubs them.
//!
//! Each capability that stores personal data declares its fields as [`TextColumn`]s (the
//! constants below, one per capability; a new capability declares its own) and registers them
//! with the application's personal-data registry (`tripdesk_app::personal_data`). The text
//! columns erasure searches are the union of the registered declarations: each is searched
//! for the customer's values and the rows found rewritten; the customer's own rows are
//! handled whole by the capability (e.g. [`ErasureRepo::erase_customer_tickets`],
//! [`ErasureRepo::erase_customer_messages`], or, for a field declared with
//! [`TextColumn::customer_of`], [`ErasureRepo::erase_customer_rows`]). A new table or column
//! that can hold free text belongs in its capability's declaration.
//!
//! Not declared, and why: other customers' names (`customers.name`: a namesake is another
//! person; the erased customer's own record is blanked), `audit_log` (summaries name fields
//! and reasons, never values; its rows are hash-chained and never rewritten),
//! `login_throttle` (client addresses only as a keyed hash), `sessions`/`api_tokens`/`users`
//! (staff), settings tables (written by staff, not about one customer).

use crate::StoreError;
use async_trait::async_trait;
use jiff::Timestamp;
use uuid::Uuid;

/// What a declared field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataKind {
    /// Free text anyone may write or copy (a subject, a reply, an email body): searched for
    /// the customer's values.
    Text,
    /// A person's name: searched where it is about the customer (see
    /// [`TextColumn::every_row`]).
    Name,
    /// An address to reach someone (an email recipient): searched.
    Contact,
    /// Sealed by the vault (ciphertext): never searched; the capability deletes or clears
    /// the customer's rows.
    Sealed,
    /// A reference naming the customer (a preference keyed by them): the capability deletes
    /// the rows.
    Link,
    /// Made from other declared fields (the search index's tokens): never searched; the
    /// capability remakes it from the rewritten texts after they are rewritten.
    Derived,
}

impl DataKind {
    /// Whether erasure searches the column's text for the customer's values.
    pub fn searchable(self) -> bool {
        matches!(self, DataKind::Text | DataKind::Name | DataKind::Contact)
    }
}

/// A column that may hold personal data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextColumn {
    pub table: &'static str,
    /// The row's key (text).
    pub key: &'static str,
    pub column: &'static str,
    pub kind: DataKind,
    /// An SQL expression giving the ticket the row is about, when there is one: texts about
    /// the erased customer's tickets are also searched for the customer's own words.
    pub ticket_of: Option<&'static str>,
    /// Whether every row is searched for the customer's values. False for a column that
    /// holds another person's name (`tickets.customer_name` of someone else's ticket): a
    /// namesake keeps their name; only rows about the erased customer's tickets are searched.
    pub every_row: bool,
    /// An SQL expression giving the customer (id, text) a row belongs to, when the row is the
    /// customer's own: such a field is exported and replaced whole by
    /// [`ErasureRepo::customer_rows`] and [`ErasureRepo::erase_customer_rows`].
    pub customer_of: Option<&'static str>,
}

impl TextColumn {
    /// Whether erasure searches this column (the union of these is what it scans).
    pub fn searched(&self) -> bool {
        self.kind.searchable() && (self.every_row || self.ticket_of.is_some())
    }
}

/// A free-text column keyed by `id`, searched in every row.
pub const fn text(
    table: &'static str,
    column: &'static str,
    ticket_of: Option<&'static str>,
) -> TextColumn {
    TextColumn {
        table,
        key: "id",
        column,
        kind: DataKind::Text,
        ticket_of,
        every_row: true,
        customer_of: None,
    }
}

/// A column of another kind, keyed by `id`, not searched.
pub const fn held(table: &'static str, column: &'static str, kind: DataKind) -> TextColumn {
    TextColumn {
        kind,
        every_row: false,
        ..text(table, column, None)
    }
}

const OUTBOX_TICKET: &str = "CASE WHEN related_type = 'ticket' THEN related_id END";
const VIA_MESSAGE: &str = "(SELECT m.related_id FROM outbox_messages m WHERE m.id = message_id \
     AND m.related_type = 'ticket')";

/// The customers capability: the record (name, sealed fields, notes, tags) and its
/// identifiers (sealed, with blind indexes).
pub const CUSTOMER_FIELDS: &[TextColumn] = &[
    text("customers", "notes", None),
    text("customers", "tags", None),
    held("customers", "name", DataKind::Name),
    held("customers", "birth_date_sealed", DataKind::Sealed),
    held("customers", "diet_sealed", DataKind::Sealed),
    held("customers", "allergies_sealed", DataKind::Sealed),
    held("customers", "accessibility_sealed", DataKind::Sealed),
    held("customer_identifiers", "sealed", DataKind::Sealed),
];

/// The desk: tickets (the public form's submissions are tickets too), their timeline
/// (replies, notes, steps), tasks and evidence attachments.
pub const DESK_FIELDS: &[TextColumn] = &[
    TextColumn {
        kind: DataKind::Name,
        every_row: false,
        ..text("tickets", "customer_name", Some("id"))
    },
    text("tickets", "subject", Some("id")),
    text("tickets", "description", Some("id")),
    text("tickets", "booking_ref", Some("id")),
    text("tickets", "cause", Some("id")),
    text("tickets", "responsible_person", Some("id")),
    text("tickets", "tags", Some("id")),
    text("ticket_events", "body", Some("ticket_id")),
    text("ticket_events", "data", Some("ticket_id")),
    text("desk_tasks", "title", Some("ticket_id")),
    text("desk_tasks", "body", Some("ticket_id")),
    held("ticket_attachments", "file_name_sealed", DataKind::Sealed),
    held("ticket_attachments", "content_sealed", DataKind::Sealed),
];

/// Surveys: the customer's answers to a follow-up visit.
pub const SURVEY_FIELDS: &[TextColumn] = &[
    text("surveys", "suggestions", Some("ticket_id")),
    text("surveys", "reason", Some("ticket_id")),
];

/// Notifications: the outbox (emails, SMS, webhooks, staff alerts), its attempts and
/// attachments, the bell's in-app notifications, and preferences keyed by the customer.
pub const NOTIFY_FIELDS: &[TextColumn] = &[
    TextColumn {
        kind: DataKind::Contact,
        customer_of: Some("customer_id"),
        ..text("outbox_messages", "recipient", Some(OUTBOX_TICKET))
    },
    TextColumn {
        customer_of: Some("customer_id"),
        ..text("outbox_messages", "subject", Some(OUTBOX_TICKET))
    },
    TextColumn {
        customer_of: Some("customer_id"),
        ..text("outbox_messages", "body_text", Some(OUTBOX_TICKET))
    },
    text("outbox_messages", "body_html", Some(OUTBOX_TICKET)),
    text("outbox_messages", "last_error", Some(OUTBOX_TICKET)),
    text("outbox_messages", "receipt", Some(OUTBOX_TICKET)),
    text("outbox_attempts", "error", Some(VIA_MESSAGE)),
    text("outbox_attempts", "receipt", Some(VIA_MESSAGE)),
    text("outbox_attachments", "filename", Some(VIA_MESSAGE)),
    text("inapp_notifications", "title", Some(VIA_MESSAGE)),
    text("inapp_notifications", "body", Some(VIA_MESSAGE)),
    TextColumn {
        key: "recipient_key",
        ..held("notification_preferences", "recipient_key", DataKind::Link)
    },
];

/// SMS replies: the texts customers send (sealed), keyed to their phone's blind index and,
/// when matched, to the customer; erasure deletes the rows (`SmsRepo::delete_sms_replies`).
pub const SMS_FIELDS: &[TextColumn] = &[
    TextColumn {
        customer_of: Some("customer_id"),
        ..held("sms_replies", "sealed_text", DataKind::Sealed)
    },
    held("sms_replies", "blind_index", DataKind::Link),
];

/// Phone calls: the customer's number sealed, and its blind index; erasure clears both and
/// unlinks the call (`CallRepo::erase_calls`), keeping its times for the answer rate.
pub const CALL_FIELDS: &[TextColumn] = &[
    TextColumn {
        customer_of: Some("customer_id"),
        ..held("calls", "number_sealed", DataKind::Sealed)
    },
    held("calls", "number_index", DataKind::Link),
    TextColumn {
        key: "call_key",
        ..held("call_events", "number_sealed", DataKind::Sealed)
    },
    TextColumn {
        key: "call_key",
        ..held("call_events", "number_index", DataKind::Link)
    },
    held("callback_tasks", "number_sealed", DataKind::Sealed),
    held("callback_tasks", "number_index", DataKind::Link),
    held("callback_tasks", "note_sealed", DataKind::Sealed),
];

/// Web chats: each message's text sealed for its id; erasure forgets the texts of the
/// customer's chats (`ChatRepo::erase_chat_messages`), keeping their times.
pub const CHAT_FIELDS: &[TextColumn] = &[TextColumn {
    customer_of: Some("(SELECT ch.customer_id FROM chats ch WHERE ch.id = chat_id)"),
    ..held("chat_messages", "body_sealed", DataKind::Sealed)
}];
/// Email threads: the Message-IDs of a customer's mails and of the replies to them, sealed
/// and as keyed hashes; erasure deletes the rows (`EmailInRepo::delete_email_messages`).
pub const EMAIL_IN_FIELDS: &[TextColumn] = &[
    TextColumn {
        customer_of: Some("customer_id"),
        ..held("email_messages", "message_sealed", DataKind::Sealed)
    },
    held("email_messages", "message_key", DataKind::Link),
];

/// WeChat: each follower's OpenID sealed and as a keyed hash, their messages' texts and
/// MediaIds sealed; erasure deletes the rows (`MessagingRepo::delete_customer_wechat`).
pub const WECHAT_FIELDS: &[TextColumn] = &[
    TextColumn {
        customer_of: Some("customer_id"),
        ..held("wechat_users", "openid_sealed", DataKind::Sealed)
    },
    held("wechat_users", "openid_key", DataKind::Link),
    TextColumn {
        customer_of: Some("customer_id"),
        ..held("wechat_messages", "sealed_body", DataKind::Sealed)
    },
];

/// Idempotency keys: the first response to a create request, kept 24 h, may quote the
/// customer (the ticket as created).
pub const IDEMPOTENCY_FIELDS: &[TextColumn] = &[text("idempotency_keys", "response_body", None)];

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
    /// entry's text too (its kind, step, states and time stay), and evidence attachments are
    /// deleted.
    async fn erase_customer_tickets(
        &mut self,
        customer_id: Uuid,
        placeholder: &str,
    ) -> Result<ErasedTickets, StoreError>;

    /// The surveys of the customer's tickets keep their ratings and lose their suggestions
    /// and reasons; returns how many changed.
    async fn erase_customer_surveys(&mut self, customer_id: Uuid) -> Result<u64, StoreError>;

    /// The rows of a field declared with [`TextColumn::customer_of`] that belong to the
    /// customer: (key, text), in key order.
    async fn customer_rows(
        &mut self,
        column: &TextColumn,
        customer_id: Uuid,
    ) -> Result<Vec<(String, Option<String>)>, StoreError>;

    /// Replaces the text of the customer's rows of a field declared with
    /// [`TextColumn::customer_of`] by `placeholder`; returns how many rows changed.
    async fn erase_customer_rows(
        &mut self,
        column: &TextColumn,
        customer_id: Uuid,
        placeholder: &str,
    ) -> Result<u64, StoreError>;

    /// Vault envelopes (`v1.…`) of a sealed column not under the active key (not starting
    /// with `active_prefix`, `v1.<key id>.`): (row key, value), `limit` at a time in key
    /// order. Erased placeholders are not envelopes and are never returned. Re-encryption
    /// takes a batch, replaces each value ([`ErasureRepo::replace_sealed`]) and asks again
    /// until none is left.
    async fn sealed_values(
        &mut self,
        column: &TextColumn,
        active_prefix: &str,
        limit: u32,
    ) -> Result<Vec<(String, String)>, StoreError>;

    /// Replaces a sealed value by `new` in the rows of `key` where it is still `old`; false
    /// when none held it any more (the row changed meanwhile).
    async fn replace_sealed(
        &mut self,
        column: &TextColumn,
        key: &str,
        old: &str,
        new: &str,
    ) -> Result<bool, StoreError>;

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
