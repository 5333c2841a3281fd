//! Files attached to tickets: complaint evidence (photos, guide reports, itineraries,
//! customer statements). Both the file name and the content are sealed by the vault before
//! they reach the store; the store never sees either in plaintext.

pub(crate) mod conformance;

use crate::StoreError;
use async_trait::async_trait;
use jiff::Timestamp;
use uuid::Uuid;

/// An attachment's description (without its content).
#[derive(Debug, Clone, PartialEq)]
pub struct TicketAttachment {
    pub id: Uuid,
    pub ticket_id: Uuid,
    /// The original file name, sealed (it may name a person or hold an ID number).
    pub file_name_sealed: String,
    pub content_type: String,
    pub size_bytes: i64,
    /// SHA-256 of the plaintext content, hex: evidence can be shown unaltered.
    pub sha256: String,
    pub uploaded_by: Option<Uuid>,
    pub uploaded_by_name: String,
    pub created_at: Timestamp,
}

/// A sealed attachment as key rotation re-encrypts it.
#[derive(Debug, Clone, PartialEq)]
pub struct SealedAttachment {
    pub id: Uuid,
    pub file_name_sealed: String,
    pub content_sealed: String,
}

#[async_trait]
pub trait AttachmentRepo: Send {
    async fn insert_ticket_attachment(
        &mut self,
        attachment: &TicketAttachment,
        content_sealed: &str,
    ) -> Result<(), StoreError>;
    /// A ticket's attachments, oldest first.
    async fn list_ticket_attachments(
        &mut self,
        ticket_id: Uuid,
    ) -> Result<Vec<TicketAttachment>, StoreError>;
    async fn get_ticket_attachment(
        &mut self,
        id: Uuid,
    ) -> Result<Option<TicketAttachment>, StoreError>;
    /// The sealed content of an attachment.
    async fn ticket_attachment_content(&mut self, id: Uuid) -> Result<Option<String>, StoreError>;
    /// Up to `limit` attachments whose name or content is not sealed under `prefix`
    /// (`v1.<active key id>.`).
    async fn ticket_attachments_to_reseal(
        &mut self,
        prefix: &str,
        limit: u32,
    ) -> Result<Vec<SealedAttachment>, StoreError>;
    async fn update_ticket_attachment_sealed(
        &mut self,
        sealed: &SealedAttachment,
    ) -> Result<(), StoreError>;
}
