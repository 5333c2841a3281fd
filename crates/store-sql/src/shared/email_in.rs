// Inbound email's mailboxes and mails, shared by both backends: `include!`d where `Db` and
// `SqlTx` are bound.

use super::{Db, SqlTx};
use crate::convert::{err, id, ms, opt_id, opt_ms, opt_ts, ts};
use sqlx::{QueryBuilder, Row};
use tripdesk_store::{EmailInRepo, EmailMailbox, EmailMessageRecord, MailboxPoll, StoreError};
use uuid::Uuid;

type DbRow = <Db as sqlx::Database>::Row;

const MAILBOX_COLUMNS: &str = "id, name, host, port, tls, username, password_sealed, folder, \
    enabled, uid_validity, last_uid, last_poll_at, last_error, taken_total, created_at, \
    updated_at";

const MESSAGE_COLUMNS: &str = "id, direction, mailbox_id, message_key, message_sealed, \
    ticket_id, customer_id, event_id, outbox_id, auto_kind, at";

fn mailbox_from_row(row: &DbRow) -> Result<EmailMailbox, StoreError> {
    let port: i64 = row.try_get("port").map_err(err)?;
    let validity: Option<i64> = row.try_get("uid_validity").map_err(err)?;
    let last_uid: i64 = row.try_get("last_uid").map_err(err)?;
    Ok(EmailMailbox {
        id: id(&row.try_get::<String, _>("id").map_err(err)?)?,
        name: row.try_get("name").map_err(err)?,
        host: row.try_get("host").map_err(err)?,
        port: u16::try_from(port).map_err(|_| StoreError::Corrupt("mailbox port".into()))?,
        tls: row.try_get("tls").map_err(err)?,
        username: row.try_get("username").map_err(err)?,
        password_sealed: row.try_get("password_sealed").map_err(err)?,
        folder: row.try_get("folder").map_err(err)?,
        enabled: row.try_get("enabled").map_err(err)?,
        uid_validity: validity.and_then(|v| u32::try_from(v).ok()),
        last_uid: u32::try_from(last_uid).unwrap_or(0),
        last_poll_at: opt_ts(row.try_get("last_poll_at").map_err(err)?)?,
        last_error: row.try_get("last_error").map_err(err)?,
        taken_total: row.try_get("taken_total").map_err(err)?,
        created_at: ts(row.try_get("created_at").map_err(err)?)?,
        updated_at: ts(row.try_get("updated_at").map_err(err)?)?,
    })
}

fn message_from_row(row: &DbRow) -> Result<EmailMessageRecord, StoreError> {
    Ok(EmailMessageRecord {
        id: id(&row.try_get::<String, _>("id").map_err(err)?)?,
        direction: row.try_get("direction").map_err(err)?,
        mailbox_id: opt_id(row.try_get("mailbox_id").map_err(err)?)?,
        message_key: row.try_get("message_key").map_err(err)?,
        message_sealed: row.try_get("message_sealed").map_err(err)?,
        ticket_id: id(&row.try_get::<String, _>("ticket_id").map_err(err)?)?,
        customer_id: opt_id(row.try_get("customer_id").map_err(err)?)?,
        event_id: opt_id(row.try_get("event_id").map_err(err)?)?,
        outbox_id: opt_id(row.try_get("outbox_id").map_err(err)?)?,
        auto_kind: row.try_get("auto_kind").map_err(err)?,
        at: ts(row.try_get("at").map_err(err)?)?,
    })
}

#[async_trait::async_trait]
impl EmailInRepo for SqlTx {
    async fn insert_mailbox(&mut self, m: &EmailMailbox) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO email_mailboxes (id, name, host, port, tls, username, password_sealed, \
             folder, enabled, uid_validity, last_uid, last_poll_at, last_error, taken_total, \
             created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
        )
        .bind(m.id.to_string())
        .bind(&m.name)
        .bind(&m.host)
        .bind(i64::from(m.port))
        .bind(m.tls)
        .bind(&m.username)
        .bind(&m.password_sealed)
        .bind(&m.folder)
        .bind(m.enabled)
        .bind(m.uid_validity.map(i64::from))
        .bind(i64::from(m.last_uid))
        .bind(opt_ms(m.last_poll_at))
        .bind(m.last_error.as_deref())
        .bind(m.taken_total)
        .bind(ms(m.created_at))
        .bind(ms(m.updated_at))
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        Ok(())
    }

    async fn get_mailbox(&mut self, mailbox: Uuid) -> Result<Option<EmailMailbox>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {MAILBOX_COLUMNS} FROM email_mailboxes WHERE id = $1"
        ))
        .bind(mailbox.to_string())
        .fetch_optional(self.db().await?)
        .await
        .map_err(err)?;
        row.as_ref().map(mailbox_from_row).transpose()
    }

    async fn list_mailboxes(
        &mut self,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<EmailMailbox>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {MAILBOX_COLUMNS} FROM email_mailboxes ORDER BY name, id LIMIT $1 OFFSET $2"
        ))
        .bind(i64::from(limit))
        .bind(i64::from(offset))
        .fetch_all(self.db().await?)
        .await
        .map_err(err)?;
        rows.iter().map(mailbox_from_row).collect()
    }

    async fn enabled_mailboxes(&mut self) -> Result<Vec<Uuid>, StoreError> {
        let rows = sqlx::query("SELECT id FROM email_mailboxes WHERE enabled ORDER BY id")
            .fetch_all(self.db().await?)
            .await
            .map_err(err)?;
        rows.iter()
            .map(|r| id(&r.try_get::<String, _>("id").map_err(err)?))
            .collect()
    }

    async fn set_mailbox_enabled(
        &mut self,
        mailbox: Uuid,
        enabled: bool,
        at: jiff::Timestamp,
    ) -> Result<bool, StoreError> {
        let done =
            sqlx::query("UPDATE email_mailboxes SET enabled = $2, updated_at = $3 WHERE id = $1")
                .bind(mailbox.to_string())
                .bind(enabled)
                .bind(ms(at))
                .execute(self.db().await?)
                .await
                .map_err(err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn record_mailbox_poll(
        &mut self,
        mailbox: Uuid,
        poll: &MailboxPoll,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE email_mailboxes SET last_poll_at = $2, uid_validity = $3, last_uid = $4, \
             last_error = $5, taken_total = taken_total + $6 WHERE id = $1",
        )
        .bind(mailbox.to_string())
        .bind(ms(poll.at))
        .bind(poll.uid_validity.map(i64::from))
        .bind(i64::from(poll.last_uid))
        .bind(poll.error.as_deref())
        .bind(poll.taken)
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        Ok(())
    }

    async fn insert_email_message(&mut self, m: &EmailMessageRecord) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO email_messages (id, direction, mailbox_id, message_key, \
             message_sealed, ticket_id, customer_id, event_id, outbox_id, auto_kind, at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
             ON CONFLICT (message_key) DO NOTHING",
        )
        .bind(m.id.to_string())
        .bind(&m.direction)
        .bind(m.mailbox_id.map(|v| v.to_string()))
        .bind(&m.message_key)
        .bind(&m.message_sealed)
        .bind(m.ticket_id.to_string())
        .bind(m.customer_id.map(|v| v.to_string()))
        .bind(m.event_id.map(|v| v.to_string()))
        .bind(m.outbox_id.map(|v| v.to_string()))
        .bind(m.auto_kind.as_deref())
        .bind(ms(m.at))
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn find_email_messages(
        &mut self,
        message_keys: &[String],
        outbox_ids: &[Uuid],
    ) -> Result<Vec<EmailMessageRecord>, StoreError> {
        if message_keys.is_empty() && outbox_ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut q: QueryBuilder<'_, Db> = QueryBuilder::new(format!(
            "SELECT {MESSAGE_COLUMNS} FROM email_messages WHERE 1 = 0"
        ));
        for chunk in message_keys.chunks(200) {
            q.push(" OR message_key IN (");
            let mut list = q.separated(", ");
            for k in chunk {
                list.push_bind(k.clone());
            }
            q.push(")");
        }
        for chunk in outbox_ids.chunks(200) {
            q.push(" OR outbox_id IN (");
            let mut list = q.separated(", ");
            for k in chunk {
                list.push_bind(k.to_string());
            }
            q.push(")");
        }
        q.push(" ORDER BY at, id");
        let rows = q
            .build()
            .fetch_all(self.db().await?)
            .await
            .map_err(err)?;
        rows.iter().map(message_from_row).collect()
    }

    async fn ticket_email_messages(
        &mut self,
        ticket: Uuid,
    ) -> Result<Vec<EmailMessageRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM email_messages WHERE ticket_id = $1 ORDER BY at, id"
        ))
        .bind(ticket.to_string())
        .fetch_all(self.db().await?)
        .await
        .map_err(err)?;
        rows.iter().map(message_from_row).collect()
    }

    async fn customer_email_messages(
        &mut self,
        customer: Uuid,
    ) -> Result<Vec<EmailMessageRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM email_messages WHERE customer_id = $1 ORDER BY at, id"
        ))
        .bind(customer.to_string())
        .fetch_all(self.db().await?)
        .await
        .map_err(err)?;
        rows.iter().map(message_from_row).collect()
    }

    async fn delete_email_messages(
        &mut self,
        customer: Uuid,
        ticket_ids: &[Uuid],
    ) -> Result<u64, StoreError> {
        let mut q: QueryBuilder<'_, Db> =
            QueryBuilder::new("DELETE FROM email_messages WHERE customer_id = ");
        q.push_bind(customer.to_string());
        for chunk in ticket_ids.chunks(200) {
            q.push(" OR ticket_id IN (");
            let mut list = q.separated(", ");
            for t in chunk {
                list.push_bind(t.to_string());
            }
            q.push(")");
        }
        let done = q
            .build()
            .execute(self.db().await?)
            .await
            .map_err(err)?;
        Ok(done.rows_affected())
    }
}
