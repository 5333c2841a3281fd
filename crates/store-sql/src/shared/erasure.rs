// Erasure repository, shared by both backends: `include!`d where `Db` and `SqlTx` are bound.
// Table, column and expression names come only from the capabilities' declared fields
// (`tripdesk_store::TextColumn` constants), never from input.

use super::{Db, SqlTx};
use crate::convert::{err, id, ms};
use sqlx::{QueryBuilder, Row};
use std::collections::HashMap;
use tripdesk_store::{
    CustomerTicketTexts, ErasedMessages, ErasedTickets, ErasureRepo, StoreError, TextColumn,
};
use uuid::Uuid;

/// Rows per `IN (…)` list.
const CHUNK: usize = 500;

/// The customer's tickets, as a subquery.
const CUSTOMER_TICKETS: &str = "SELECT id FROM tickets WHERE customer_id = $1";

const PENDING: &str = "state IN ('queued', 'sending', 'retrying')";

fn push_in_list<'a>(qb: &mut QueryBuilder<'a, Db>, values: &'a [String]) {
    qb.push(" (");
    let mut sep = qb.separated(", ");
    for v in values {
        sep.push_bind(v.as_str());
    }
    sep.push_unseparated(")");
}

#[async_trait::async_trait]
impl ErasureRepo for SqlTx {
    async fn customer_ticket_texts(
        &mut self,
        customer_id: Uuid,
    ) -> Result<Vec<CustomerTicketTexts>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, customer_name, subject, description FROM tickets WHERE customer_id = $1 \
             ORDER BY id",
        )
        .bind(customer_id.to_string())
        .fetch_all(self.db().await?)
        .await
        .map_err(err)?;
        let mut out = Vec::with_capacity(rows.len());
        let mut at = HashMap::new();
        for row in &rows {
            let ticket = id(&row.try_get::<String, _>("id").map_err(err)?)?;
            at.insert(ticket, out.len());
            out.push(CustomerTicketTexts {
                id: ticket,
                customer_name: row.try_get("customer_name").map_err(err)?,
                subject: row.try_get("subject").map_err(err)?,
                description: row.try_get("description").map_err(err)?,
                survey_texts: Vec::new(),
            });
        }
        let surveys = sqlx::query(&format!(
            "SELECT ticket_id, suggestions, reason FROM surveys WHERE ticket_id IN ({CUSTOMER_TICKETS})"
        ))
        .bind(customer_id.to_string())
        .fetch_all(self.db().await?)
        .await
        .map_err(err)?;
        for row in &surveys {
            let ticket = id(&row.try_get::<String, _>("ticket_id").map_err(err)?)?;
            if let Some(&i) = at.get(&ticket) {
                for name in ["suggestions", "reason"] {
                    if let Some(text) = row.try_get::<Option<String>, _>(name).map_err(err)? {
                        out[i].survey_texts.push(text);
                    }
                }
            }
        }
        Ok(out)
    }

    async fn find_erasable_texts(
        &mut self,
        c: &TextColumn,
        patterns: &[String],
        tickets: Option<&[Uuid]>,
    ) -> Result<Vec<String>, StoreError> {
        if patterns.is_empty() {
            return Ok(Vec::new());
        }
        let ticket_ids: Vec<String> = tickets
            .unwrap_or_default()
            .iter()
            .map(Uuid::to_string)
            .collect();
        let chunks: Vec<Option<&[String]>> = match (tickets, c.ticket_of) {
            (None, _) => vec![None],
            (Some(_), None) => return Ok(Vec::new()),
            (Some(_), Some(_)) => ticket_ids.chunks(CHUNK).map(Some).collect(),
        };
        let mut keys = Vec::new();
        for chunk in chunks {
            let mut qb = QueryBuilder::<Db>::new(format!(
                "SELECT {key} AS k FROM {table} WHERE {column} IS NOT NULL AND (",
                key = c.key,
                table = c.table,
                column = c.column
            ));
            for (i, p) in patterns.iter().enumerate() {
                if i > 0 {
                    qb.push(" OR ");
                }
                qb.push(format!("LOWER({}) LIKE ", c.column))
                    .push_bind(p.as_str())
                    .push(" ESCAPE '\\'");
            }
            qb.push(")");
            if let (Some(chunk), Some(ticket_of)) = (chunk, c.ticket_of) {
                qb.push(format!(" AND ({ticket_of}) IN"));
                push_in_list(&mut qb, chunk);
            }
            let rows = qb.build().fetch_all(self.db().await?).await.map_err(err)?;
            for row in &rows {
                keys.push(row.try_get::<String, _>("k").map_err(err)?);
            }
        }
        Ok(keys)
    }

    async fn erasable_text(
        &mut self,
        c: &TextColumn,
        key: &str,
    ) -> Result<Option<String>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {column} AS t FROM {table} WHERE {key} = $1",
            column = c.column,
            table = c.table,
            key = c.key
        ))
        .bind(key)
        .fetch_optional(self.db().await?)
        .await
        .map_err(err)?;
        match row {
            Some(r) => r.try_get::<Option<String>, _>("t").map_err(err),
            None => Ok(None),
        }
    }

    async fn set_erasable_text(
        &mut self,
        c: &TextColumn,
        key: &str,
        text: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(&format!(
            "UPDATE {table} SET {column} = $2 WHERE {key} = $1",
            column = c.column,
            table = c.table,
            key = c.key
        ))
        .bind(key)
        .bind(text)
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        Ok(())
    }

    async fn erase_customer_tickets(
        &mut self,
        customer_id: Uuid,
        placeholder: &str,
    ) -> Result<ErasedTickets, StoreError> {
        let customer = customer_id.to_string();
        let timeline_entries = sqlx::query(&format!(
            "UPDATE ticket_events SET body = $2 WHERE body IS NOT NULL AND body <> $2 \
             AND ticket_id IN ({CUSTOMER_TICKETS})"
        ))
        .bind(&customer)
        .bind(placeholder)
        .execute(self.db().await?)
        .await
        .map_err(err)?
        .rows_affected();
        let attachments = sqlx::query(&format!(
            "DELETE FROM ticket_attachments WHERE ticket_id IN ({CUSTOMER_TICKETS})"
        ))
        .bind(&customer)
        .execute(self.db().await?)
        .await
        .map_err(err)?
        .rows_affected();
        // The version moves, so an edit begun before the erasure cannot write the old texts
        // back; `updated_at` stays: it is one of the timings statistics keep.
        let tickets = sqlx::query(
            "UPDATE tickets SET customer_name = $2, subject = $2, description = $2, \
             version = version + 1 WHERE customer_id = $1",
        )
        .bind(&customer)
        .bind(placeholder)
        .execute(self.db().await?)
        .await
        .map_err(err)?
        .rows_affected();
        Ok(ErasedTickets {
            tickets,
            timeline_entries,
            attachments,
        })
    }

    async fn erase_customer_surveys(&mut self, customer_id: Uuid) -> Result<u64, StoreError> {
        Ok(sqlx::query(&format!(
            "UPDATE surveys SET suggestions = NULL, reason = NULL \
             WHERE (suggestions IS NOT NULL OR reason IS NOT NULL) \
             AND ticket_id IN ({CUSTOMER_TICKETS})"
        ))
        .bind(customer_id.to_string())
        .execute(self.db().await?)
        .await
        .map_err(err)?
        .rows_affected())
    }

    async fn customer_rows(
        &mut self,
        c: &TextColumn,
        customer_id: Uuid,
    ) -> Result<Vec<(String, Option<String>)>, StoreError> {
        let Some(customer_of) = c.customer_of else {
            return Ok(Vec::new());
        };
        let rows = sqlx::query(&format!(
            "SELECT {key} AS k, {column} AS t FROM {table} WHERE ({customer_of}) = $1 ORDER BY {key}",
            key = c.key,
            column = c.column,
            table = c.table,
        ))
        .bind(customer_id.to_string())
        .fetch_all(self.db().await?)
        .await
        .map_err(err)?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get::<String, _>("k").map_err(err)?,
                    r.try_get::<Option<String>, _>("t").map_err(err)?,
                ))
            })
            .collect()
    }

    async fn erase_customer_rows(
        &mut self,
        c: &TextColumn,
        customer_id: Uuid,
        placeholder: &str,
    ) -> Result<u64, StoreError> {
        let Some(customer_of) = c.customer_of else {
            return Ok(0);
        };
        Ok(sqlx::query(&format!(
            "UPDATE {table} SET {column} = $2 WHERE ({customer_of}) = $1 \
             AND {column} IS NOT NULL AND {column} <> $2",
            column = c.column,
            table = c.table,
        ))
        .bind(customer_id.to_string())
        .bind(placeholder)
        .execute(self.db().await?)
        .await
        .map_err(err)?
        .rows_affected())
    }

    async fn sealed_values(
        &mut self,
        c: &TextColumn,
        active_prefix: &str,
        limit: u32,
    ) -> Result<Vec<(String, String)>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {key} AS k, {column} AS t FROM {table} \
             WHERE substr({column}, 1, 3) = 'v1.' AND substr({column}, 1, $1) <> $2 \
             ORDER BY {key} LIMIT $3",
            key = c.key,
            column = c.column,
            table = c.table,
        ))
        .bind(active_prefix.chars().count() as i32)
        .bind(active_prefix)
        .bind(i64::from(limit.max(1)))
        .fetch_all(self.db().await?)
        .await
        .map_err(err)?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get::<String, _>("k").map_err(err)?,
                    r.try_get::<String, _>("t").map_err(err)?,
                ))
            })
            .collect()
    }

    async fn replace_sealed(
        &mut self,
        c: &TextColumn,
        key: &str,
        old: &str,
        new: &str,
    ) -> Result<bool, StoreError> {
        Ok(sqlx::query(&format!(
            "UPDATE {table} SET {column} = $3 WHERE {key} = $1 AND {column} = $2",
            key = c.key,
            column = c.column,
            table = c.table,
        ))
        .bind(key)
        .bind(old)
        .bind(new)
        .execute(self.db().await?)
        .await
        .map_err(err)?
        .rows_affected()
            > 0)
    }

    async fn erase_customer_messages(
        &mut self,
        customer_id: Uuid,
        emails: &[String],
        placeholder: &str,
        reason: &str,
        now: jiff::Timestamp,
    ) -> Result<ErasedMessages, StoreError> {
        let customer = customer_id.to_string();
        let mut qb = QueryBuilder::<Db>::new("SELECT id FROM outbox_messages WHERE customer_id = ");
        qb.push_bind(customer.as_str());
        if !emails.is_empty() {
            qb.push(" OR (channel = 'email' AND LOWER(recipient) IN");
            push_in_list(&mut qb, emails);
            qb.push(")");
        }
        let ids: Vec<String> = qb
            .build()
            .fetch_all(self.db().await?)
            .await
            .map_err(err)?
            .iter()
            .map(|r| r.try_get::<String, _>("id").map_err(err))
            .collect::<Result<_, _>>()?;
        let mut erased = ErasedMessages::default();
        for chunk in ids.chunks(CHUNK) {
            let mut qb = QueryBuilder::<Db>::new("UPDATE outbox_messages SET state = 'dead', due_at = NULL, locked_by = NULL, updated_at = ");
            qb.push_bind(ms(now))
                .push(format!(" WHERE {PENDING} AND id IN"));
            push_in_list(&mut qb, chunk);
            erased.cancelled += qb
                .build()
                .execute(self.db().await?)
                .await
                .map_err(err)?
                .rows_affected();
            let mut qb = QueryBuilder::<Db>::new("UPDATE outbox_messages SET recipient = ");
            qb.push_bind(placeholder)
                .push(", subject = ")
                .push_bind(placeholder)
                .push(", body_text = ")
                .push_bind(placeholder)
                .push(", body_html = NULL, receipt = NULL, last_error = CASE WHEN state = 'dead' AND sent_at IS NULL THEN ")
                .push_bind(reason)
                .push(" ELSE NULL END WHERE id IN");
            push_in_list(&mut qb, chunk);
            erased.messages += qb
                .build()
                .execute(self.db().await?)
                .await
                .map_err(err)?
                .rows_affected();
            let mut qb = QueryBuilder::<Db>::new("DELETE FROM outbox_attachments WHERE message_id IN");
            push_in_list(&mut qb, chunk);
            qb.build().execute(self.db().await?).await.map_err(err)?;
            let mut qb = QueryBuilder::<Db>::new(
                "UPDATE outbox_attempts SET error = NULL, receipt = NULL WHERE message_id IN",
            );
            push_in_list(&mut qb, chunk);
            qb.build().execute(self.db().await?).await.map_err(err)?;
        }
        sqlx::query("DELETE FROM notification_preferences WHERE recipient_key = $1")
            .bind(format!("customer:{customer_id}"))
            .execute(self.db().await?)
            .await
            .map_err(err)?;
        Ok(erased)
    }
}
