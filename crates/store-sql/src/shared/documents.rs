// Pre-trip documents repository, shared by both backends: `include!`d where `Db` and `SqlTx`
// are bound.

use super::{Db, SqlTx};
use crate::convert::{err, id, ms, opt_id, opt_ts, ts};
use sqlx::Row;
use tripdesk_store::{DocumentRepo, DocumentSend, StoreError};
use uuid::Uuid;

const SEND_COLUMNS: &str = "id, booking_id, sent_at, sent_by, channel, preferred, fallback, \
    content_hash, message_id, received_at";

fn send_from_row(row: &<Db as sqlx::Database>::Row) -> Result<DocumentSend, StoreError> {
    let text = |name: &str| -> Result<String, StoreError> { row.try_get(name).map_err(err) };
    let opt = |name: &str| -> Result<Option<String>, StoreError> { row.try_get(name).map_err(err) };
    Ok(DocumentSend {
        id: id(&text("id")?)?,
        booking_id: id(&text("booking_id")?)?,
        sent_at: ts(row.try_get("sent_at").map_err(err)?)?,
        sent_by: opt_id(opt("sent_by")?)?,
        channel: text("channel")?,
        preferred: opt("preferred")?,
        fallback: opt("fallback")?,
        content_hash: text("content_hash")?,
        message_id: opt_id(opt("message_id")?)?,
        received_at: opt_ts(row.try_get("received_at").map_err(err)?)?,
    })
}

#[async_trait::async_trait]
impl DocumentRepo for SqlTx {
    async fn insert_document_send(&mut self, s: &DocumentSend) -> Result<(), StoreError> {
        sqlx::query(&format!(
            "INSERT INTO booking_document_sends ({SEND_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        ))
        .bind(s.id.to_string())
        .bind(s.booking_id.to_string())
        .bind(ms(s.sent_at))
        .bind(s.sent_by.map(|u| u.to_string()))
        .bind(&s.channel)
        .bind(&s.preferred)
        .bind(&s.fallback)
        .bind(&s.content_hash)
        .bind(s.message_id.map(|m| m.to_string()))
        .bind(s.received_at.map(ms))
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        Ok(())
    }

    async fn get_document_send(&mut self, send_id: Uuid) -> Result<Option<DocumentSend>, StoreError> {
        let row = sqlx::query(&format!("SELECT {SEND_COLUMNS} FROM booking_document_sends WHERE id = $1"))
            .bind(send_id.to_string())
            .fetch_optional(self.db().await?)
            .await
            .map_err(err)?;
        row.as_ref().map(send_from_row).transpose()
    }

    async fn list_document_sends(&mut self, booking_id: Uuid, limit: u32) -> Result<Vec<DocumentSend>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {SEND_COLUMNS} FROM booking_document_sends WHERE booking_id = $1 \
             ORDER BY sent_at DESC, id DESC LIMIT $2"
        ))
        .bind(booking_id.to_string())
        .bind(i64::from(limit))
        .fetch_all(self.db().await?)
        .await
        .map_err(err)?;
        rows.iter().map(send_from_row).collect()
    }

    async fn mark_documents_received(&mut self, send_id: Uuid, at: jiff::Timestamp) -> Result<bool, StoreError> {
        // One conditional statement: of several confirmations (on any node) only the first to
        // update the row finds `received_at` still NULL; PostgreSQL re-checks the condition
        // after waiting for the row lock of a concurrent winner.
        let done = sqlx::query(
            "UPDATE booking_document_sends SET received_at = $2 WHERE id = $1 AND received_at IS NULL",
        )
        .bind(send_id.to_string())
        .bind(ms(at))
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        Ok(done.rows_affected() == 1)
    }
}
