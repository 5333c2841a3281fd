//! Records and repository of the notification capability: the transactional outbox (messages,
//! their attachments and delivery attempts), versioned templates, recipient preferences,
//! per-channel rate limits, in-app notifications and webhook endpoints.
//!
//! A message is written with [`OutboxRepo::enqueue`] inside the caller's transaction, so it
//! exists exactly when the change that caused it is committed. Workers take due messages with
//! [`OutboxRepo::claim_due`] (a lease: PostgreSQL `FOR UPDATE SKIP LOCKED`, SQLite its single
//! writer) and record each outcome with [`OutboxRepo::finish_attempt`], which only succeeds
//! while the worker still holds the claim.

pub(crate) mod conformance;

use crate::StoreError;
use async_trait::async_trait;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Where a message is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = StateName))]
pub enum MessageState {
    /// Waiting for its first attempt (possibly until quiet hours end).
    Queued,
    /// Claimed by a worker that is sending it now (until its lease ends).
    Sending,
    /// An attempt failed; the next one is due at `due_at`.
    Retrying,
    /// Delivered (the channel accepted it).
    Sent,
    /// Given up after its last attempt or a permanent failure; an admin may requeue it.
    Dead,
}

impl MessageState {
    pub const ALL: [MessageState; 5] = [
        MessageState::Queued,
        MessageState::Sending,
        MessageState::Retrying,
        MessageState::Sent,
        MessageState::Dead,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MessageState::Queued => "queued",
            MessageState::Sending => "sending",
            MessageState::Retrying => "retrying",
            MessageState::Sent => "sent",
            MessageState::Dead => "dead",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

/// A file sent with a message (an e-contract, an itinerary).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub filename: String,
    pub content_type: String,
    pub content: Vec<u8>,
}

/// A message as the caller enqueues it: already rendered, addressed to one recipient.
#[derive(Debug, Clone, PartialEq)]
pub struct NewMessage {
    pub id: Uuid,
    /// `email`, `in_app`, `webhook`, … (the channel that will deliver it).
    pub channel: String,
    /// The address on that channel: an email address, a user id, a webhook endpoint id.
    pub recipient: String,
    pub customer_id: Option<Uuid>,
    pub subject: String,
    pub body_text: String,
    pub body_html: Option<String>,
    /// The event that caused it, e.g. `booking.confirmed` (webhooks send it as the type).
    pub event: Option<String>,
    pub template_key: Option<String>,
    pub template_version: Option<i64>,
    pub locale: String,
    /// What it is about, e.g. (`ticket`, id) or (`booking`, id).
    pub related_type: Option<String>,
    pub related_id: Option<String>,
    /// Emergencies ignore quiet hours.
    pub emergency: bool,
    pub max_attempts: i64,
    /// When the first attempt may start (later than `created_at` inside quiet hours).
    pub due_at: Timestamp,
    pub created_by: Option<Uuid>,
    pub created_at: Timestamp,
    pub attachments: Vec<Attachment>,
    /// Email: the Message-IDs this message answers (the References header, oldest first;
    /// the last one is its In-Reply-To), space-separated with their angle brackets.
    pub thread_references: Option<String>,
}

/// A message of the outbox as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxMessage {
    pub id: Uuid,
    pub channel: String,
    pub recipient: String,
    pub customer_id: Option<Uuid>,
    pub subject: String,
    pub body_text: String,
    pub body_html: Option<String>,
    pub event: Option<String>,
    pub template_key: Option<String>,
    pub template_version: Option<i64>,
    pub locale: String,
    pub related_type: Option<String>,
    pub related_id: Option<String>,
    pub emergency: bool,
    pub state: MessageState,
    /// Attempts started so far (a claim starts one).
    pub attempts: i64,
    pub max_attempts: i64,
    /// Pending: next attempt, or end of the current claim's lease. `None` once sent or dead.
    pub due_at: Option<Timestamp>,
    /// The worker holding the claim while `Sending`.
    pub locked_by: Option<String>,
    pub last_error: Option<String>,
    /// What the channel answered on success (an SMTP reply, an HTTP status).
    pub receipt: Option<String>,
    pub created_by: Option<Uuid>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub sent_at: Option<Timestamp>,
    /// SMS: what the handset reported after the provider accepted it (a signed delivery
    /// receipt), when, and the provider's error code if it failed.
    pub handset_state: Option<crate::HandsetState>,
    pub handset_at: Option<Timestamp>,
    pub handset_error: Option<String>,
    /// Email: see [`NewMessage::thread_references`].
    pub thread_references: Option<String>,
}

/// One delivery attempt (or an admin's requeue) in a message's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeliveryAttempt {
    pub id: Uuid,
    pub message_id: Uuid,
    pub attempt: i64,
    /// `sent`, `retry`, `dead` or `requeued`.
    pub outcome: String,
    pub worker: String,
    pub error: Option<String>,
    pub receipt: Option<String>,
    pub started_at: Timestamp,
    pub finished_at: Timestamp,
}

/// What a worker asks for when it claims work.
#[derive(Debug, Clone)]
pub struct ClaimRequest {
    pub channel: String,
    pub worker: String,
    pub now: Timestamp,
    /// The claim lapses at this instant; another worker may then take the message again.
    pub lease_until: Timestamp,
    pub max: u32,
}

/// Messages claimed, and whether the channel's rate limit held some back.
#[derive(Debug, Clone, Default)]
pub struct Claimed {
    pub messages: Vec<OutboxMessage>,
    /// Set when the rate limit allowed fewer than asked: the next instant a token is free.
    pub throttled_until: Option<Timestamp>,
}

/// How an attempt ended, as the worker reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptOutcome {
    Sent {
        receipt: String,
    },
    /// Try again at `retry_at`.
    Retry {
        error: String,
        retry_at: Timestamp,
    },
    /// The channel answered "over its rate" (the provider's flow control): try again at
    /// `retry_at`, the attempt not counted against `max_attempts` (the message was not
    /// looked at; the channel's own rate limit bounds how often this can happen). Recorded
    /// in the history as a retry.
    Throttled {
        error: String,
        retry_at: Timestamp,
    },
    /// Give up (last attempt, or a permanent failure such as a rejected address).
    Dead {
        error: String,
    },
}

/// The report of one attempt.
#[derive(Debug, Clone)]
pub struct FinishedAttempt {
    pub message_id: Uuid,
    pub worker: String,
    pub started_at: Timestamp,
    pub finished_at: Timestamp,
    pub outcome: AttemptOutcome,
}

/// Filters for delivery history. Lists are newest first; `before` pages by id.
#[derive(Debug, Clone, Default)]
pub struct MessageFilter {
    pub state: Option<MessageState>,
    pub channel: Option<String>,
    pub recipient: Option<String>,
    pub customer_id: Option<Uuid>,
    pub related_type: Option<String>,
    pub related_id: Option<String>,
    pub created_by: Option<Uuid>,
    /// Only messages with an id below this one (ids are UUIDv7: older).
    pub before: Option<Uuid>,
    pub limit: u32,
}

/// A version of a message template for one event and language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Template {
    pub id: Uuid,
    /// The event, e.g. `booking.confirmed`.
    pub key: String,
    /// `zh-CN` or `en`.
    pub locale: String,
    /// 1, 2, …: editing adds a version; messages keep the version they were rendered with.
    pub version: i64,
    pub description: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: Option<String>,
    pub created_by: Option<Uuid>,
    pub created_at: Timestamp,
}

/// How a recipient wants to be reached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Preference {
    /// `customer:<id>` or `user:<id>`.
    pub recipient_key: String,
    pub channel: Option<String>,
    pub locale: Option<String>,
    /// Quiet hours in minutes after local midnight (may wrap past midnight).
    pub quiet_start: Option<i64>,
    pub quiet_end: Option<i64>,
    /// IANA zone the quiet hours are in.
    pub timezone: String,
    pub updated_at: Timestamp,
}

/// A channel's send rate, enforced across every node by a token bucket in the database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RateLimit {
    pub channel: String,
    pub per_second: i64,
    pub burst: i64,
}

/// A notification in a staff member's bell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InAppNotification {
    pub id: Uuid,
    pub message_id: Uuid,
    pub user_id: Uuid,
    pub title: String,
    pub body: String,
    pub link: Option<String>,
    pub created_at: Timestamp,
    pub read_at: Option<Timestamp>,
}

/// An integrator's URL that receives signed event POSTs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookEndpoint {
    pub id: Uuid,
    pub url: String,
    /// The HMAC key. Shown once when created; never logged.
    pub secret: String,
    /// Event keys, or `*` for all.
    pub events: Vec<String>,
    pub description: String,
    pub active: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl WebhookEndpoint {
    pub fn wants(&self, event: &str) -> bool {
        self.active && self.events.iter().any(|e| e == "*" || e == event)
    }
}

/// Message counts per state (for the history page and metrics).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct StateCounts {
    pub queued: u64,
    pub sending: u64,
    pub retrying: u64,
    pub sent: u64,
    pub dead: u64,
}

#[async_trait]
pub trait OutboxRepo: Send {
    /// Writes messages (with attachments) in this transaction. Batches are written with
    /// multi-row inserts, so enqueueing thousands at once is cheap.
    async fn enqueue(&mut self, messages: &[NewMessage]) -> Result<(), StoreError>;

    /// Claims up to `max` due messages of a channel for a worker: each becomes `Sending`,
    /// its attempts go up by one and it is leased until `lease_until`. A message whose lease
    /// lapsed (its worker died) is due again. No message is claimed by two workers at once.
    /// When the channel has a rate limit, takes tokens for what it claims.
    async fn claim_due(&mut self, request: &ClaimRequest) -> Result<Claimed, StoreError>;

    /// Records an attempt and moves the message on — only if `worker` still holds its claim.
    /// Returns false (and changes nothing) when the claim was lost (lease lapsed and taken).
    async fn finish_attempt(&mut self, attempt: &FinishedAttempt) -> Result<bool, StoreError>;

    /// Hands claimed messages back (due now), e.g. on shutdown. Returns how many.
    async fn release_claims(
        &mut self,
        worker: &str,
        ids: &[Uuid],
        now: Timestamp,
    ) -> Result<u64, StoreError>;

    /// Requeues a dead message for `more_attempts` further attempts. False if not dead.
    async fn requeue_dead(
        &mut self,
        id: Uuid,
        more_attempts: i64,
        by: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError>;

    /// The earliest instant any pending message of these channels is due (or its lease ends).
    async fn next_due_at(&mut self, channels: &[String]) -> Result<Option<Timestamp>, StoreError>;

    async fn get_message(&mut self, id: Uuid) -> Result<Option<OutboxMessage>, StoreError>;
    async fn list_messages(
        &mut self,
        filter: &MessageFilter,
    ) -> Result<Vec<OutboxMessage>, StoreError>;
    async fn count_messages_by_state(&mut self) -> Result<StateCounts, StoreError>;
    async fn list_attempts(&mut self, message_id: Uuid)
        -> Result<Vec<DeliveryAttempt>, StoreError>;
    async fn list_attachments(&mut self, message_id: Uuid) -> Result<Vec<Attachment>, StoreError>;

    /// Sets a channel's rate limit (the bucket starts full).
    async fn set_rate_limit(&mut self, limit: &RateLimit, now: Timestamp)
        -> Result<(), StoreError>;
    async fn remove_rate_limit(&mut self, channel: &str) -> Result<bool, StoreError>;
    async fn list_rate_limits(&mut self) -> Result<Vec<RateLimit>, StoreError>;
}

/// What the outbox's messages are made from and where they land: versioned templates,
/// recipient preferences, the in-app notifications of the bell, and webhook endpoints.
#[async_trait]
pub trait NotificationRepo: Send {
    async fn insert_template(&mut self, template: &Template) -> Result<(), StoreError>;
    /// The newest version of (key, locale).
    async fn latest_template(
        &mut self,
        key: &str,
        locale: &str,
    ) -> Result<Option<Template>, StoreError>;
    async fn get_template_version(
        &mut self,
        key: &str,
        locale: &str,
        version: i64,
    ) -> Result<Option<Template>, StoreError>;
    /// The newest version of every (key, locale), ordered by key then locale.
    async fn list_latest_templates(&mut self) -> Result<Vec<Template>, StoreError>;
    /// Every version of (key, locale), newest first.
    async fn list_template_versions(
        &mut self,
        key: &str,
        locale: &str,
    ) -> Result<Vec<Template>, StoreError>;
    /// Deletes every version of (key, locale); sent messages keep their rendered text.
    async fn delete_template(&mut self, key: &str, locale: &str) -> Result<u64, StoreError>;

    async fn get_preference(
        &mut self,
        recipient_key: &str,
    ) -> Result<Option<Preference>, StoreError>;
    async fn upsert_preference(&mut self, preference: &Preference) -> Result<(), StoreError>;

    /// Adds a notification to a user's bell; a second delivery of the same message is ignored
    /// (returns false), so the in-app channel is idempotent.
    async fn insert_inapp(&mut self, notification: &InAppNotification) -> Result<bool, StoreError>;
    async fn list_inapp(
        &mut self,
        user_id: Uuid,
        unread_only: bool,
        limit: u32,
    ) -> Result<Vec<InAppNotification>, StoreError>;
    async fn count_unread_inapp(&mut self, user_id: Uuid) -> Result<u64, StoreError>;
    /// Marks one (`Some(id)`) or all of a user's notifications read; returns how many changed.
    async fn mark_inapp_read(
        &mut self,
        user_id: Uuid,
        id: Option<Uuid>,
        at: Timestamp,
    ) -> Result<u64, StoreError>;

    async fn insert_webhook(&mut self, endpoint: &WebhookEndpoint) -> Result<(), StoreError>;
    async fn update_webhook(&mut self, endpoint: &WebhookEndpoint) -> Result<bool, StoreError>;
    async fn delete_webhook(&mut self, id: Uuid) -> Result<bool, StoreError>;
    async fn get_webhook(&mut self, id: Uuid) -> Result<Option<WebhookEndpoint>, StoreError>;
    async fn list_webhooks(&mut self) -> Result<Vec<WebhookEndpoint>, StoreError>;
}
