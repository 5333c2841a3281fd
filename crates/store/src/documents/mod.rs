//! Records and repository of pre-trip documents sent (issue 14 item 8): each sending of a
//! booking's documents — channel, the content's hash at that moment, the outbox message — and
//! the traveler's confirmation of receipt, recorded once.
//!
//! The documents themselves are not stored: they are built from the booking as it stands, so
//! the link always shows what is true now, and the hash kept here tells whether what was sent
//! still is.

pub(crate) mod conformance;

use crate::StoreError;
use async_trait::async_trait;
use jiff::Timestamp;
use uuid::Uuid;

/// One sending of a booking's pre-trip documents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentSend {
    pub id: Uuid,
    pub booking_id: Uuid,
    pub sent_at: Timestamp,
    /// Staff who sent it (`None` for a token or a job without a user).
    pub sent_by: Option<Uuid>,
    /// The channel it went on (`email`).
    pub channel: String,
    /// The customer's preferred channel when they named one (`wechat`, `sms`, …).
    pub preferred: Option<String>,
    /// Why it did not go on the preferred channel (`not_deliverable`, `no_address`).
    pub fallback: Option<String>,
    /// SHA-256 (hex) of the document's content as sent.
    pub content_hash: String,
    /// The outbox message that carries it.
    pub message_id: Option<Uuid>,
    /// When the traveler confirmed receiving it (once).
    pub received_at: Option<Timestamp>,
}

#[async_trait]
pub trait DocumentRepo: Send {
    async fn insert_document_send(&mut self, send: &DocumentSend) -> Result<(), StoreError>;
    async fn get_document_send(&mut self, id: Uuid) -> Result<Option<DocumentSend>, StoreError>;
    /// A booking's sendings, newest first, at most `limit`.
    async fn list_document_sends(
        &mut self,
        booking_id: Uuid,
        limit: u32,
    ) -> Result<Vec<DocumentSend>, StoreError>;
    /// Records the traveler's confirmation at `at` if none was recorded: true for the request
    /// that recorded it, false for every later one (on any node: one conditional `UPDATE`).
    async fn mark_documents_received(
        &mut self,
        id: Uuid,
        at: Timestamp,
    ) -> Result<bool, StoreError>;
}
