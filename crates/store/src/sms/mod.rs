//! Records and repository of SMS (issue 15 item 4): the handset's delivery receipts recorded
//! on outbox messages, the delivery progress of a group of messages (a broadcast board), and
//! the text messages customers send back. Sending is the outbox's ([`crate::OutboxRepo`]).

use crate::StoreError;
use async_trait::async_trait;
use jiff::Timestamp;
use uuid::Uuid;

/// What the handset did with a message the provider accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HandsetState {
    Delivered,
    Failed,
}

impl HandsetState {
    pub fn as_str(self) -> &'static str {
        match self {
            HandsetState::Delivered => "delivered",
            HandsetState::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "delivered" => Some(HandsetState::Delivered),
            "failed" => Some(HandsetState::Failed),
            _ => None,
        }
    }
}

/// A delivery receipt as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandsetReceipt {
    /// The outbox message (the provider's OutId).
    pub message_id: Uuid,
    pub state: HandsetState,
    /// When the handset reported (the provider's report time).
    pub at: Timestamp,
    /// The provider's error code when it failed (e.g. `MN:0001`).
    pub error: Option<String>,
}

/// How the messages about one related id are doing (a broadcast board's row).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeliveryProgress {
    pub related_id: String,
    pub messages: u64,
    /// Confirmed on the handset.
    pub delivered: u64,
    /// Dead in the outbox, or reported failed by the handset.
    pub failed: u64,
    /// Neither yet (queued, sending, retrying, or accepted without a receipt so far).
    pub pending: u64,
}

/// A text message a customer sent, as stored: the phone only as its blind index, the text
/// sealed by the vault for `id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsReply {
    pub id: Uuid,
    /// The provider's id of the reply (unique: a redelivered reply is stored once).
    pub sequence_id: String,
    /// The phone's blind index (`KeyRing::blind_index("phone", e164)`, as customers').
    pub blind_index: String,
    /// The customer whose phone it is, when exactly one customer has it.
    pub customer_id: Option<Uuid>,
    pub sealed_text: String,
    /// When the customer sent it (the provider's send time), when given.
    pub sent_at: Option<Timestamp>,
    pub received_at: Timestamp,
}

#[async_trait]
pub trait SmsRepo: Send {
    /// Records the handset's receipt on an `sms` message — once: false (and nothing changes)
    /// when the message is unknown, not an SMS, or already has a receipt.
    async fn record_handset_receipt(
        &mut self,
        receipt: &HandsetReceipt,
    ) -> Result<bool, StoreError>;

    /// Delivery progress of the messages on `channel` about (`related_type`, each of
    /// `related_ids`): one statement; ids without messages are left out.
    async fn delivery_progress(
        &mut self,
        channel: &str,
        related_type: &str,
        related_ids: &[String],
    ) -> Result<Vec<DeliveryProgress>, StoreError>;

    /// Stores a reply unless one with its sequence id is stored already (returns false).
    async fn insert_sms_reply(&mut self, reply: &SmsReply) -> Result<bool, StoreError>;

    /// The replies from these phones' blind indexes or matched to `customer_id`, oldest first.
    async fn list_sms_replies(
        &mut self,
        customer_id: Option<Uuid>,
        blind_indexes: &[String],
    ) -> Result<Vec<SmsReply>, StoreError>;

    /// Deletes the replies matched to the customer or sent from these blind indexes (erasure).
    async fn delete_sms_replies(
        &mut self,
        customer_id: Uuid,
        blind_indexes: &[String],
    ) -> Result<u64, StoreError>;
}
