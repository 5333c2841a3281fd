// SMS receipts, delivery progress and replies, shared by both backends: `include!`d where
// `Db`, `SqlTx` and `json_text_array` (the rows of a JSON array of text bound as a parameter)
// are bound.

use super::{json_text_array, Db, SqlTx};
use crate::convert::{err, id, ms, opt_id, opt_ms, opt_ts, ts};
use sqlx::{QueryBuilder, Row};
use tripdesk_store::{DeliveryProgress, HandsetReceipt, SmsRepo, SmsReply, StoreError};
use uuid::Uuid;

type DbRow = <Db as sqlx::Database>::Row;

const REPLY_COLUMNS: &str =
    "id, sequence_id, blind_index, customer_id, sealed_text, sent_at, received_at";

fn reply_from_row(row: &DbRow) -> Result<SmsReply, StoreError> {
    Ok(SmsReply {
        id: id(&row.try_get::<String, _>("id").map_err(err)?)?,
        sequence_id: row.try_get("sequence_id").map_err(err)?,
        blind_index: row.try_get("blind_index").map_err(err)?,
        customer_id: opt_id(row.try_get("customer_id").map_err(err)?)?,
        sealed_text: row.try_get("sealed_text").map_err(err)?,
        sent_at: opt_ts(row.try_get("sent_at").map_err(err)?)?,
        received_at: ts(row.try_get("received_at").map_err(err)?)?,
    })
}

/// `customer_id = $1 OR blind_index IN (…)`, the indexes bound from `$2` on.
fn by_customer_or_phone<'a>(
    q: &mut QueryBuilder<'a, Db>,
    customer_id: Option<Uuid>,
    blind_indexes: &'a [String],
) {
    q.push(" WHERE (");
    match customer_id {
        Some(c) => {
            q.push("customer_id = ").push_bind(c.to_string());
        }
        None => {
            q.push("1 = 0");
        }
    }
    if !blind_indexes.is_empty() {
        q.push(" OR blind_index IN (");
        let mut list = q.separated(", ");
        for b in blind_indexes {
            list.push_bind(b.as_str());
        }
        q.push(")");
    }
    q.push(")");
}

#[async_trait::async_trait]
impl SmsRepo for SqlTx {
    async fn record_handset_receipt(&mut self, r: &HandsetReceipt) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE outbox_messages SET handset_state = $2, handset_at = $3, handset_error = $4 \
             WHERE id = $1 AND channel = 'sms' AND handset_state IS NULL",
        )
        .bind(r.message_id.to_string())
        .bind(r.state.as_str())
        .bind(ms(r.at))
        .bind(r.error.as_deref())
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn delivery_progress(
        &mut self,
        channel: &str,
        related_type: &str,
        related_ids: &[String],
    ) -> Result<Vec<DeliveryProgress>, StoreError> {
        if related_ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids = serde_json::to_string(related_ids).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let rows = sqlx::query(&format!(
            "SELECT related_id, COUNT(*) AS messages, \
             SUM(CASE WHEN handset_state = 'delivered' THEN 1 ELSE 0 END) AS delivered, \
             SUM(CASE WHEN handset_state = 'failed' OR (state = 'dead' AND handset_state IS NULL) \
                 THEN 1 ELSE 0 END) AS failed \
             FROM outbox_messages WHERE channel = $1 AND related_type = $2 \
             AND related_id IN ({}) GROUP BY related_id ORDER BY related_id",
            json_text_array(3)
        ))
        .bind(channel)
        .bind(related_type)
        .bind(ids)
        .fetch_all(self.db().await?)
        .await
        .map_err(err)?;
        rows.iter()
            .map(|row| {
                let messages: i64 = row.try_get("messages").map_err(err)?;
                let delivered: i64 = row.try_get("delivered").map_err(err)?;
                let failed: i64 = row.try_get("failed").map_err(err)?;
                Ok(DeliveryProgress {
                    related_id: row.try_get("related_id").map_err(err)?,
                    messages: messages as u64,
                    delivered: delivered as u64,
                    failed: failed as u64,
                    pending: (messages - delivered - failed).max(0) as u64,
                })
            })
            .collect()
    }

    async fn insert_sms_reply(&mut self, r: &SmsReply) -> Result<bool, StoreError> {
        let done = sqlx::query(&format!(
            "INSERT INTO sms_replies ({REPLY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (sequence_id) DO NOTHING"
        ))
        .bind(r.id.to_string())
        .bind(&r.sequence_id)
        .bind(&r.blind_index)
        .bind(r.customer_id.map(|c| c.to_string()))
        .bind(&r.sealed_text)
        .bind(opt_ms(r.sent_at))
        .bind(ms(r.received_at))
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn list_sms_replies(
        &mut self,
        customer_id: Option<Uuid>,
        blind_indexes: &[String],
    ) -> Result<Vec<SmsReply>, StoreError> {
        let mut q = QueryBuilder::<Db>::new(format!("SELECT {REPLY_COLUMNS} FROM sms_replies"));
        by_customer_or_phone(&mut q, customer_id, blind_indexes);
        q.push(" ORDER BY received_at, id");
        let rows = q
            .build()
            .fetch_all(self.db().await?)
            .await
            .map_err(err)?;
        rows.iter().map(reply_from_row).collect()
    }

    async fn delete_sms_replies(
        &mut self,
        customer_id: Uuid,
        blind_indexes: &[String],
    ) -> Result<u64, StoreError> {
        let mut q = QueryBuilder::<Db>::new("DELETE FROM sms_replies");
        by_customer_or_phone(&mut q, Some(customer_id), blind_indexes);
        let done = q
            .build()
            .execute(self.db().await?)
            .await
            .map_err(err)?;
        Ok(done.rows_affected())
    }
}
