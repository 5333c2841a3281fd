// Ticket attachments, shared by both backends: `include!`d where `Db` and `SqlTx` are bound.

use super::{Db, SqlTx};
use crate::convert::{err, id, ms, opt_id, ts};
use sqlx::Row;
use tripdesk_store::{AttachmentRepo, SealedAttachment, StoreError, TicketAttachment};
use uuid::Uuid;

const COLUMNS: &str = "id, ticket_id, file_name_sealed, content_type, size_bytes, sha256, \
                       uploaded_by, uploaded_by_name, created_at";

fn attachment_from_row(row: &<Db as sqlx::Database>::Row) -> Result<TicketAttachment, StoreError> {
    Ok(TicketAttachment {
        id: id(&row.try_get::<String, _>("id").map_err(err)?)?,
        ticket_id: id(&row.try_get::<String, _>("ticket_id").map_err(err)?)?,
        file_name_sealed: row.try_get("file_name_sealed").map_err(err)?,
        content_type: row.try_get("content_type").map_err(err)?,
        size_bytes: row.try_get("size_bytes").map_err(err)?,
        sha256: row.try_get("sha256").map_err(err)?,
        uploaded_by: opt_id(row.try_get("uploaded_by").map_err(err)?)?,
        uploaded_by_name: row.try_get("uploaded_by_name").map_err(err)?,
        created_at: ts(row.try_get("created_at").map_err(err)?)?,
    })
}

#[async_trait::async_trait]
impl AttachmentRepo for SqlTx {
    async fn insert_ticket_attachment(&mut self, a: &TicketAttachment, content_sealed: &str) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO ticket_attachments (id, ticket_id, file_name_sealed, content_type, size_bytes, \
             sha256, content_sealed, uploaded_by, uploaded_by_name, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(a.id.to_string())
        .bind(a.ticket_id.to_string())
        .bind(&a.file_name_sealed)
        .bind(&a.content_type)
        .bind(a.size_bytes)
        .bind(&a.sha256)
        .bind(content_sealed)
        .bind(a.uploaded_by.map(|u| u.to_string()))
        .bind(&a.uploaded_by_name)
        .bind(ms(a.created_at))
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        Ok(())
    }

    async fn list_ticket_attachments(&mut self, ticket_id: Uuid) -> Result<Vec<TicketAttachment>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM ticket_attachments WHERE ticket_id = $1 ORDER BY created_at, id"
        ))
        .bind(ticket_id.to_string())
        .fetch_all(self.db().await?)
        .await
        .map_err(err)?;
        rows.iter().map(attachment_from_row).collect()
    }

    async fn get_ticket_attachment(&mut self, aid: Uuid) -> Result<Option<TicketAttachment>, StoreError> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM ticket_attachments WHERE id = $1"))
            .bind(aid.to_string())
            .fetch_optional(self.db().await?)
            .await
            .map_err(err)?;
        row.as_ref().map(attachment_from_row).transpose()
    }

    async fn ticket_attachment_content(&mut self, aid: Uuid) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT content_sealed FROM ticket_attachments WHERE id = $1")
            .bind(aid.to_string())
            .fetch_optional(self.db().await?)
            .await
            .map_err(err)?;
        row.map(|r| r.try_get("content_sealed").map_err(err)).transpose()
    }

    async fn ticket_attachments_to_reseal(&mut self, prefix: &str, limit: u32) -> Result<Vec<SealedAttachment>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, file_name_sealed, content_sealed FROM ticket_attachments \
             WHERE substr(file_name_sealed, 1, $1) <> $2 OR substr(content_sealed, 1, $1) <> $2 \
             ORDER BY id LIMIT $3",
        )
        .bind(prefix.chars().count() as i32)
        .bind(prefix)
        .bind(i64::from(limit.max(1)))
        .fetch_all(self.db().await?)
        .await
        .map_err(err)?;
        rows.iter()
            .map(|r| {
                Ok(SealedAttachment {
                    id: id(&r.try_get::<String, _>("id").map_err(err)?)?,
                    file_name_sealed: r.try_get("file_name_sealed").map_err(err)?,
                    content_sealed: r.try_get("content_sealed").map_err(err)?,
                })
            })
            .collect()
    }

    async fn update_ticket_attachment_sealed(&mut self, s: &SealedAttachment) -> Result<(), StoreError> {
        sqlx::query("UPDATE ticket_attachments SET file_name_sealed = $1, content_sealed = $2 WHERE id = $3")
            .bind(&s.file_name_sealed)
            .bind(&s.content_sealed)
            .bind(s.id.to_string())
            .execute(self.db().await?)
            .await
            .map_err(err)?;
        Ok(())
    }
}
