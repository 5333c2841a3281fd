//! Evidence and other files on tickets: guide reports, itinerary records, photos, customer
//! statements, call recordings. Name and content are sealed by the vault (they may show a
//! person, an ID card or a health note); the SHA-256 of the content is kept in clear so a
//! file can be shown unaltered. Uploading is a timeline entry; every download is audited.

use crate::{App, AppError, FieldError, Principal};
use sha2::{Digest, Sha256};
use tripdesk_domain::audit::AuditAction;
use tripdesk_domain::identity::Permission;
use tripdesk_store::{Ticket, TicketAttachment, Tx};
use tripdesk_vault::Secret;
use uuid::Uuid;

/// AEAD field names (the attachment id is the record).
pub const ATTACHMENT_NAME_FIELD: &str = "ticket_attachment.file_name";
pub const ATTACHMENT_CONTENT_FIELD: &str = "ticket_attachment.content";
/// The largest file accepted: a phone photo or a few minutes of a call recording.
pub const MAX_ATTACHMENT_BYTES: usize = 10 * 1024 * 1024;
/// What may be attached: pictures, PDF and office documents, plain text, recordings.
pub const ATTACHMENT_TYPES: [&str; 15] = [
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/webp",
    "image/heic",
    "application/pdf",
    "text/plain",
    "text/csv",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/msword",
    "audio/mpeg",
    "audio/mp4",
    "audio/amr",
    "audio/wav",
];

/// A file as uploaded.
pub struct NewAttachment {
    pub file_name: String,
    pub content_type: String,
    pub content: Vec<u8>,
}

/// An attachment with its name opened.
#[derive(Debug, Clone)]
pub struct AttachmentInfo {
    pub id: Uuid,
    pub ticket_id: Uuid,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub uploaded_by_name: String,
    pub created_at: jiff::Timestamp,
}

/// The file name without any directory part, checked.
fn clean_file_name(name: &str) -> Result<String, FieldError> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    // One line, no control or bidirectional characters (U+202E would show `fdp.exe` as
    // `exe.pdf`), visible, at most 200 characters.
    let base = tripdesk_domain::text::single_line(base, 200)
        .map_err(|e| FieldError::text("file_name", e))?;
    if base == "." || base == ".." {
        return Err(FieldError::new(
            "file_name",
            "invalid",
            "file_name must name a file",
        ));
    }
    Ok(base)
}

impl App {
    fn open_attachment(&self, a: &TicketAttachment) -> Result<AttachmentInfo, AppError> {
        let name = self
            .vault()?
            .decrypt(
                ATTACHMENT_NAME_FIELD,
                &a.id.to_string(),
                &a.file_name_sealed,
            )
            .map_err(|e| AppError::Internal(format!("cannot open attachment {}: {e}", a.id)))?;
        Ok(AttachmentInfo {
            id: a.id,
            ticket_id: a.ticket_id,
            file_name: name.expose_secret().clone(),
            content_type: a.content_type.clone(),
            size_bytes: a.size_bytes,
            sha256: a.sha256.clone(),
            uploaded_by_name: a.uploaded_by_name.clone(),
            created_at: a.created_at,
        })
    }

    /// Attaches a file to a ticket (needs `work_tickets`).
    pub async fn add_ticket_attachment(
        &self,
        p: &Principal,
        ticket_id: Uuid,
        input: NewAttachment,
    ) -> Result<AttachmentInfo, AppError> {
        p.require(Permission::WorkTickets)?;
        self.vault()?;
        let mut fields = Vec::new();
        let file_name = clean_file_name(&input.file_name).map_err(|e| fields.push(e));
        let content_type = input
            .content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        if !ATTACHMENT_TYPES.contains(&content_type.as_str()) {
            fields.push(FieldError::new(
                "content_type",
                "unsupported",
                format!(
                    "files of type {content_type:?} cannot be attached; use one of {}",
                    ATTACHMENT_TYPES.join(", ")
                ),
            ));
        }
        if input.content.is_empty() || input.content.len() > MAX_ATTACHMENT_BYTES {
            fields.push(FieldError::new(
                "file",
                "size",
                format!(
                    "a file must be 1 byte to {} MiB",
                    MAX_ATTACHMENT_BYTES / 1024 / 1024
                ),
            ));
        }
        let Ok(file_name) = file_name else {
            return Err(AppError::Validation(fields));
        };
        if !fields.is_empty() {
            return Err(AppError::Validation(fields));
        }
        let mut tx = self.store.write().await?;
        let ticket = self.ticket_for(&mut *tx, p, ticket_id).await?;
        let attachment = self
            .insert_attachment_in(
                &mut *tx,
                p,
                &ticket,
                &file_name,
                content_type,
                &input.content,
            )
            .await?;
        tx.commit().await?;
        let mut info = self.open_attachment(&attachment)?;
        info.file_name = file_name;
        Ok(info)
    }

    /// Seals and stores a checked file on `ticket` in the caller's transaction, with its
    /// timeline entry (the desk's upload and a mail's files).
    pub(crate) async fn insert_attachment_in(
        &self,
        tx: &mut dyn Tx,
        p: &Principal,
        ticket: &Ticket,
        file_name: &str,
        content_type: String,
        content: &[u8],
    ) -> Result<TicketAttachment, AppError> {
        let vault = self.vault()?;
        let id = Uuid::now_v7();
        let record = id.to_string();
        let attachment = TicketAttachment {
            id,
            ticket_id: ticket.id,
            file_name_sealed: vault
                .encrypt(ATTACHMENT_NAME_FIELD, &record, file_name)
                .into_string(),
            content_type,
            size_bytes: content.len() as i64,
            sha256: Sha256::digest(content)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect(),
            uploaded_by: Some(p.user_id).filter(|u| !u.is_nil()),
            uploaded_by_name: p.display_name.clone(),
            created_at: self.now(),
        };
        let sealed = vault
            .encrypt_bytes(ATTACHMENT_CONTENT_FIELD, &record, content)
            .into_string();
        tx.insert_ticket_attachment(&attachment, &sealed).await?;
        self.record_event(
            tx,
            p,
            ticket,
            "attachment",
            None,
            None,
            None,
            None,
            &[format!("attachment:{id}")],
        )
        .await?;
        Ok(attachment)
    }

    /// Keeps a mail's file on its ticket when the desk takes its type and size (others are
    /// left out, as an upload of them would be refused).
    pub(crate) async fn attach_mail_file(
        &self,
        tx: &mut dyn Tx,
        p: &Principal,
        ticket: &Ticket,
        file: &crate::email_in::parse::MailFile,
    ) -> Result<bool, AppError> {
        let content_type = file.content_type.to_ascii_lowercase();
        let Ok(name) = clean_file_name(&file.name) else {
            return Ok(false);
        };
        if !ATTACHMENT_TYPES.contains(&content_type.as_str())
            || file.content.is_empty()
            || file.content.len() > MAX_ATTACHMENT_BYTES
        {
            return Ok(false);
        }
        self.insert_attachment_in(tx, p, ticket, &name, content_type, &file.content)
            .await?;
        Ok(true)
    }

    /// A ticket's attachments with their names (needs `view_desk`).
    pub async fn list_ticket_attachments(
        &self,
        p: &Principal,
        ticket_id: Uuid,
    ) -> Result<Vec<AttachmentInfo>, AppError> {
        p.require(Permission::ViewDesk)?;
        let mut tx = self.store.read().await?;
        self.ticket_for(&mut *tx, p, ticket_id).await?;
        self.attachments_of(&mut *tx, ticket_id).await
    }

    pub(crate) async fn attachments_of(
        &self,
        tx: &mut dyn Tx,
        ticket_id: Uuid,
    ) -> Result<Vec<AttachmentInfo>, AppError> {
        if self.vault.is_none() {
            return Ok(Vec::new());
        }
        tx.list_ticket_attachments(ticket_id)
            .await?
            .iter()
            .map(|a| self.open_attachment(a))
            .collect()
    }

    /// Opens an attachment's content for download (needs `view_desk`); the download is in
    /// the audit log before the content is returned.
    pub async fn open_ticket_attachment(
        &self,
        p: &Principal,
        ticket_id: Uuid,
        attachment_id: Uuid,
    ) -> Result<(AttachmentInfo, Secret<Vec<u8>>), AppError> {
        p.require(Permission::ViewDesk)?;
        let vault = self.vault()?;
        let mut tx = self.store.write().await?;
        self.ticket_for(&mut *tx, p, ticket_id).await?;
        let a = tx
            .get_ticket_attachment(attachment_id)
            .await?
            .filter(|a| a.ticket_id == ticket_id)
            .ok_or(AppError::NotFound("attachment"))?;
        let sealed = tx
            .ticket_attachment_content(attachment_id)
            .await?
            .ok_or(AppError::NotFound("attachment"))?;
        let content = vault
            .decrypt_bytes(
                ATTACHMENT_CONTENT_FIELD,
                &attachment_id.to_string(),
                &sealed,
            )
            .map_err(|e| {
                AppError::Internal(format!("cannot open attachment {attachment_id}: {e}"))
            })?;
        self.audit(
            &mut *tx,
            p,
            AuditAction::TicketAttachmentDownload,
            "ticket",
            Some(ticket_id.to_string()),
            serde_json::json!({ "attachment_id": attachment_id, "sha256": a.sha256 }),
        )
        .await?;
        tx.commit().await?;
        Ok((self.open_attachment(&a)?, content))
    }
}
