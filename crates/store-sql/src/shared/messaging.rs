// The messaging channels' conversations (WeChat followers and pushes, SMS threads, the
// channel a customer last wrote on), shared by both backends: `include!`d where `Db` and
// `SqlTx` are bound.

use super::{Db, SqlTx};
use crate::convert::{err, id, ms, opt_id, ts};
use sqlx::Row;
use tripdesk_store::{MessagingRepo, LastInbound, StoreError, WechatMessage, WechatUser};
use uuid::Uuid;

type DbRow = <Db as sqlx::Database>::Row;

const USER_COLUMNS: &str =
    "id, openid_key, openid_sealed, customer_id, subscribed, created_at, updated_at";

const MESSAGE_COLUMNS: &str = "id, dedupe_key, user_id, customer_id, ticket_id, event_id, \
    msg_type, detail, sealed_body, sent_at, received_at";

fn user_from_row(row: &DbRow) -> Result<WechatUser, StoreError> {
    Ok(WechatUser {
        id: id(&row.try_get::<String, _>("id").map_err(err)?)?,
        openid_key: row.try_get("openid_key").map_err(err)?,
        openid_sealed: row.try_get("openid_sealed").map_err(err)?,
        customer_id: id(&row.try_get::<String, _>("customer_id").map_err(err)?)?,
        subscribed: row.try_get("subscribed").map_err(err)?,
        created_at: ts(row.try_get("created_at").map_err(err)?)?,
        updated_at: ts(row.try_get("updated_at").map_err(err)?)?,
    })
}

fn message_from_row(row: &DbRow) -> Result<WechatMessage, StoreError> {
    Ok(WechatMessage {
        id: id(&row.try_get::<String, _>("id").map_err(err)?)?,
        dedupe_key: row.try_get("dedupe_key").map_err(err)?,
        user_id: id(&row.try_get::<String, _>("user_id").map_err(err)?)?,
        customer_id: id(&row.try_get::<String, _>("customer_id").map_err(err)?)?,
        ticket_id: opt_id(row.try_get("ticket_id").map_err(err)?)?,
        event_id: opt_id(row.try_get("event_id").map_err(err)?)?,
        msg_type: row.try_get("msg_type").map_err(err)?,
        detail: row.try_get("detail").map_err(err)?,
        sealed_body: row.try_get("sealed_body").map_err(err)?,
        sent_at: ts(row.try_get("sent_at").map_err(err)?)?,
        received_at: ts(row.try_get("received_at").map_err(err)?)?,
    })
}

#[async_trait::async_trait]
impl MessagingRepo for SqlTx {
    async fn insert_wechat_user(&mut self, u: &WechatUser) -> Result<bool, StoreError> {
        let done = sqlx::query(&format!(
            "INSERT INTO wechat_users ({USER_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (openid_key) DO NOTHING"
        ))
        .bind(u.id.to_string())
        .bind(&u.openid_key)
        .bind(&u.openid_sealed)
        .bind(u.customer_id.to_string())
        .bind(u.subscribed)
        .bind(ms(u.created_at))
        .bind(ms(u.updated_at))
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn find_wechat_user(
        &mut self,
        openid_key: &str,
    ) -> Result<Option<WechatUser>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM wechat_users WHERE openid_key = $1"
        ))
        .bind(openid_key)
        .fetch_optional(self.db().await?)
        .await
        .map_err(err)?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn get_wechat_user(&mut self, user: Uuid) -> Result<Option<WechatUser>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM wechat_users WHERE id = $1"
        ))
        .bind(user.to_string())
        .fetch_optional(self.db().await?)
        .await
        .map_err(err)?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn set_wechat_subscribed(
        &mut self,
        user: Uuid,
        subscribed: bool,
        at: jiff::Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE wechat_users SET subscribed = $2, updated_at = $3 WHERE id = $1")
            .bind(user.to_string())
            .bind(subscribed)
            .bind(ms(at))
            .execute(self.db().await?)
            .await
            .map_err(err)?;
        Ok(())
    }

    async fn insert_wechat_message(&mut self, m: &WechatMessage) -> Result<bool, StoreError> {
        let done = sqlx::query(&format!(
            "INSERT INTO wechat_messages ({MESSAGE_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
             ON CONFLICT (dedupe_key) DO NOTHING"
        ))
        .bind(m.id.to_string())
        .bind(&m.dedupe_key)
        .bind(m.user_id.to_string())
        .bind(m.customer_id.to_string())
        .bind(m.ticket_id.map(|v| v.to_string()))
        .bind(m.event_id.map(|v| v.to_string()))
        .bind(&m.msg_type)
        .bind(m.detail.as_deref())
        .bind(m.sealed_body.as_deref())
        .bind(ms(m.sent_at))
        .bind(ms(m.received_at))
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn wechat_message_exists(&mut self, dedupe_key: &str) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT 1 AS one FROM wechat_messages WHERE dedupe_key = $1")
            .bind(dedupe_key)
            .fetch_optional(self.db().await?)
            .await
            .map_err(err)?;
        Ok(row.is_some())
    }

    async fn last_wechat_message(
        &mut self,
        customer_id: Uuid,
    ) -> Result<Option<WechatMessage>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM wechat_messages WHERE customer_id = $1 \
             AND (detail IS NULL OR detail <> 'unsubscribe') \
             ORDER BY received_at DESC, id DESC LIMIT 1"
        ))
        .bind(customer_id.to_string())
        .fetch_optional(self.db().await?)
        .await
        .map_err(err)?;
        row.as_ref().map(message_from_row).transpose()
    }

    async fn open_wechat_ticket(
        &mut self,
        customer_id: Uuid,
    ) -> Result<Option<Uuid>, StoreError> {
        let row = sqlx::query(
            "SELECT t.id FROM tickets t WHERE t.customer_id = $1 AND t.state <> 'closed' \
             AND EXISTS (SELECT 1 FROM wechat_messages m WHERE m.ticket_id = t.id) \
             ORDER BY t.created_at DESC, t.id DESC LIMIT 1",
        )
        .bind(customer_id.to_string())
        .fetch_optional(self.db().await?)
        .await
        .map_err(err)?;
        row.map(|r| id(&r.try_get::<String, _>("id").map_err(err)?))
            .transpose()
    }

    async fn customer_wechat(
        &mut self,
        customer_id: Uuid,
    ) -> Result<(Vec<WechatUser>, Vec<WechatMessage>), StoreError> {
        let users = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM wechat_users WHERE customer_id = $1 \
             ORDER BY created_at, id"
        ))
        .bind(customer_id.to_string())
        .fetch_all(self.db().await?)
        .await
        .map_err(err)?;
        let messages = sqlx::query(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM wechat_messages WHERE customer_id = $1 \
             ORDER BY sent_at, id"
        ))
        .bind(customer_id.to_string())
        .fetch_all(self.db().await?)
        .await
        .map_err(err)?;
        Ok((
            users.iter().map(user_from_row).collect::<Result<_, _>>()?,
            messages
                .iter()
                .map(message_from_row)
                .collect::<Result<_, _>>()?,
        ))
    }

    async fn move_wechat_users(&mut self, from: Uuid, to: Uuid) -> Result<u64, StoreError> {
        let mut n = 0;
        for table in ["wechat_messages", "wechat_users"] {
            let done = sqlx::query(&format!(
                "UPDATE {table} SET customer_id = $2 WHERE customer_id = $1"
            ))
            .bind(from.to_string())
            .bind(to.to_string())
            .execute(self.db().await?)
            .await
            .map_err(err)?;
            n += done.rows_affected();
        }
        Ok(n)
    }

    async fn delete_customer_wechat(&mut self, customer_id: Uuid) -> Result<u64, StoreError> {
        let messages = sqlx::query(
            "DELETE FROM wechat_messages WHERE customer_id = $1 \
             OR user_id IN (SELECT id FROM wechat_users WHERE customer_id = $1)",
        )
        .bind(customer_id.to_string())
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        let users = sqlx::query("DELETE FROM wechat_users WHERE customer_id = $1")
            .bind(customer_id.to_string())
            .execute(self.db().await?)
            .await
            .map_err(err)?;
        Ok(messages.rows_affected() + users.rows_affected())
    }

    async fn set_sms_reply_thread(
        &mut self,
        reply_id: Uuid,
        ticket_id: Uuid,
        event_id: Option<Uuid>,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE sms_replies SET ticket_id = $2, event_id = $3 WHERE id = $1")
            .bind(reply_id.to_string())
            .bind(ticket_id.to_string())
            .bind(event_id.map(|v| v.to_string()))
            .execute(self.db().await?)
            .await
            .map_err(err)?;
        Ok(())
    }

    async fn newest_open_ticket(
        &mut self,
        customer_id: Uuid,
    ) -> Result<Option<Uuid>, StoreError> {
        let row = sqlx::query(
            "SELECT id FROM tickets WHERE customer_id = $1 AND state <> 'closed' \
             ORDER BY created_at DESC, id DESC LIMIT 1",
        )
        .bind(customer_id.to_string())
        .fetch_optional(self.db().await?)
        .await
        .map_err(err)?;
        row.map(|r| id(&r.try_get::<String, _>("id").map_err(err)?))
            .transpose()
    }

    async fn ticket_last_inbound(
        &mut self,
        ticket_id: Uuid,
    ) -> Result<Option<LastInbound>, StoreError> {
        let row = sqlx::query(
            "SELECT channel, at FROM ( \
               SELECT 'email' AS channel, at FROM email_messages \
                 WHERE ticket_id = $1 AND direction = 'in' AND auto_kind IS NULL \
               UNION ALL \
               SELECT 'sms' AS channel, received_at AS at FROM sms_replies WHERE ticket_id = $1 \
               UNION ALL \
               SELECT 'wechat' AS channel, received_at AS at FROM wechat_messages \
                 WHERE ticket_id = $1 \
             ) inbound ORDER BY at DESC LIMIT 1",
        )
        .bind(ticket_id.to_string())
        .fetch_optional(self.db().await?)
        .await
        .map_err(err)?;
        row.map(|r| {
            Ok(LastInbound {
                channel: r.try_get("channel").map_err(err)?,
                at: ts(r.try_get("at").map_err(err)?)?,
            })
        })
        .transpose()
    }
}
