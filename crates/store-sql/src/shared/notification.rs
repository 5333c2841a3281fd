// The notification repository (templates, recipient preferences, the bell's in-app
// notifications, webhook endpoints), shared by both backends: `include!`d where `Db` and
// `SqlTx` are bound. The outbox itself is in `notify.rs`.

use super::{Db, SqlTx};
use crate::convert::{err, id, ms, opt_id, opt_ms, opt_ts, ts};
use jiff::Timestamp;
use sqlx::{QueryBuilder, Row};
use tripdesk_store::{
    InAppNotification, NotificationRepo, Preference, StoreError, Template, WebhookEndpoint,
};
use uuid::Uuid;

const TEMPLATE_COLUMNS: &str = "id, key, locale, version, description, subject, body_text, \
    body_html, created_by, created_at";

const INAPP_COLUMNS: &str = "id, message_id, user_id, title, body, link, created_at, read_at";

const WEBHOOK_COLUMNS: &str =
    "id, url, secret, events, description, active, created_at, updated_at";

type DbRow = <Db as sqlx::Database>::Row;

fn template_from_row(row: &DbRow) -> Result<Template, StoreError> {
    Ok(Template {
        id: id(&row.try_get::<String, _>("id").map_err(err)?)?,
        key: row.try_get("key").map_err(err)?,
        locale: row.try_get("locale").map_err(err)?,
        version: row.try_get("version").map_err(err)?,
        description: row.try_get("description").map_err(err)?,
        subject: row.try_get("subject").map_err(err)?,
        body_text: row.try_get("body_text").map_err(err)?,
        body_html: row.try_get("body_html").map_err(err)?,
        created_by: opt_id(row.try_get("created_by").map_err(err)?)?,
        created_at: ts(row.try_get("created_at").map_err(err)?)?,
    })
}

fn inapp_from_row(row: &DbRow) -> Result<InAppNotification, StoreError> {
    Ok(InAppNotification {
        id: id(&row.try_get::<String, _>("id").map_err(err)?)?,
        message_id: id(&row.try_get::<String, _>("message_id").map_err(err)?)?,
        user_id: id(&row.try_get::<String, _>("user_id").map_err(err)?)?,
        title: row.try_get("title").map_err(err)?,
        body: row.try_get("body").map_err(err)?,
        link: row.try_get("link").map_err(err)?,
        created_at: ts(row.try_get("created_at").map_err(err)?)?,
        read_at: opt_ts(row.try_get("read_at").map_err(err)?)?,
    })
}

fn webhook_from_row(row: &DbRow) -> Result<WebhookEndpoint, StoreError> {
    let events: String = row.try_get("events").map_err(err)?;
    Ok(WebhookEndpoint {
        id: id(&row.try_get::<String, _>("id").map_err(err)?)?,
        url: row.try_get("url").map_err(err)?,
        secret: row.try_get("secret").map_err(err)?,
        events: events.split_whitespace().map(str::to_string).collect(),
        description: row.try_get("description").map_err(err)?,
        active: row.try_get("active").map_err(err)?,
        created_at: ts(row.try_get("created_at").map_err(err)?)?,
        updated_at: ts(row.try_get("updated_at").map_err(err)?)?,
    })
}

#[async_trait::async_trait]
impl NotificationRepo for SqlTx {
    async fn insert_template(&mut self, t: &Template) -> Result<(), StoreError> {
        sqlx::query(&format!(
            "INSERT INTO notification_templates ({TEMPLATE_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        ))
        .bind(t.id.to_string())
        .bind(&t.key)
        .bind(&t.locale)
        .bind(t.version)
        .bind(&t.description)
        .bind(&t.subject)
        .bind(&t.body_text)
        .bind(&t.body_html)
        .bind(t.created_by.map(|c| c.to_string()))
        .bind(ms(t.created_at))
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        Ok(())
    }

    async fn latest_template(
        &mut self,
        key: &str,
        locale: &str,
    ) -> Result<Option<Template>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {TEMPLATE_COLUMNS} FROM notification_templates \
             WHERE key = $1 AND locale = $2 ORDER BY version DESC LIMIT 1"
        ))
        .bind(key)
        .bind(locale)
        .fetch_optional(self.db().await?)
        .await
        .map_err(err)?;
        row.as_ref().map(template_from_row).transpose()
    }

    async fn get_template_version(
        &mut self,
        key: &str,
        locale: &str,
        version: i64,
    ) -> Result<Option<Template>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {TEMPLATE_COLUMNS} FROM notification_templates \
             WHERE key = $1 AND locale = $2 AND version = $3"
        ))
        .bind(key)
        .bind(locale)
        .bind(version)
        .fetch_optional(self.db().await?)
        .await
        .map_err(err)?;
        row.as_ref().map(template_from_row).transpose()
    }

    async fn list_latest_templates(&mut self) -> Result<Vec<Template>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {TEMPLATE_COLUMNS} FROM notification_templates t \
             WHERE version = (SELECT MAX(version) FROM notification_templates l \
             WHERE l.key = t.key AND l.locale = t.locale) ORDER BY key, locale"
        ))
        .fetch_all(self.db().await?)
        .await
        .map_err(err)?;
        rows.iter().map(template_from_row).collect()
    }

    async fn list_template_versions(
        &mut self,
        key: &str,
        locale: &str,
    ) -> Result<Vec<Template>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {TEMPLATE_COLUMNS} FROM notification_templates \
             WHERE key = $1 AND locale = $2 ORDER BY version DESC"
        ))
        .bind(key)
        .bind(locale)
        .fetch_all(self.db().await?)
        .await
        .map_err(err)?;
        rows.iter().map(template_from_row).collect()
    }

    async fn delete_template(&mut self, key: &str, locale: &str) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM notification_templates WHERE key = $1 AND locale = $2")
            .bind(key)
            .bind(locale)
            .execute(self.db().await?)
            .await
            .map_err(err)?;
        Ok(done.rows_affected())
    }

    async fn get_preference(
        &mut self,
        recipient_key: &str,
    ) -> Result<Option<Preference>, StoreError> {
        let row = sqlx::query(
            "SELECT recipient_key, channel, locale, quiet_start, quiet_end, timezone, updated_at \
             FROM notification_preferences WHERE recipient_key = $1",
        )
        .bind(recipient_key)
        .fetch_optional(self.db().await?)
        .await
        .map_err(err)?;
        row.map(|row| {
            Ok(Preference {
                recipient_key: row.try_get("recipient_key").map_err(err)?,
                channel: row.try_get("channel").map_err(err)?,
                locale: row.try_get("locale").map_err(err)?,
                quiet_start: row.try_get("quiet_start").map_err(err)?,
                quiet_end: row.try_get("quiet_end").map_err(err)?,
                timezone: row.try_get("timezone").map_err(err)?,
                updated_at: ts(row.try_get("updated_at").map_err(err)?)?,
            })
        })
        .transpose()
    }

    async fn upsert_preference(&mut self, p: &Preference) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO notification_preferences (recipient_key, channel, locale, quiet_start, \
             quiet_end, timezone, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (recipient_key) DO UPDATE SET channel = excluded.channel, \
             locale = excluded.locale, quiet_start = excluded.quiet_start, \
             quiet_end = excluded.quiet_end, timezone = excluded.timezone, \
             updated_at = excluded.updated_at",
        )
        .bind(&p.recipient_key)
        .bind(&p.channel)
        .bind(&p.locale)
        .bind(p.quiet_start)
        .bind(p.quiet_end)
        .bind(&p.timezone)
        .bind(ms(p.updated_at))
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        Ok(())
    }

    async fn insert_inapp(&mut self, n: &InAppNotification) -> Result<bool, StoreError> {
        let done = sqlx::query(&format!(
            "INSERT INTO inapp_notifications ({INAPP_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (message_id) DO NOTHING"
        ))
        .bind(n.id.to_string())
        .bind(n.message_id.to_string())
        .bind(n.user_id.to_string())
        .bind(&n.title)
        .bind(&n.body)
        .bind(&n.link)
        .bind(ms(n.created_at))
        .bind(opt_ms(n.read_at))
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        let fresh = done.rows_affected() == 1;
        if fresh {
            self.note_signal_key(tripdesk_store::signal::Topic::Bell, n.user_id);
        }
        Ok(fresh)
    }

    async fn list_inapp(
        &mut self,
        user_id: Uuid,
        unread_only: bool,
        limit: u32,
    ) -> Result<Vec<InAppNotification>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {INAPP_COLUMNS} FROM inapp_notifications WHERE user_id = $1 {} \
             ORDER BY id DESC LIMIT $2",
            if unread_only { "AND read_at IS NULL" } else { "" }
        ))
        .bind(user_id.to_string())
        .bind(i64::from(limit.clamp(1, 500)))
        .fetch_all(self.db().await?)
        .await
        .map_err(err)?;
        rows.iter().map(inapp_from_row).collect()
    }

    async fn count_unread_inapp(&mut self, user_id: Uuid) -> Result<u64, StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM inapp_notifications WHERE user_id = $1 AND read_at IS NULL",
        )
        .bind(user_id.to_string())
        .fetch_one(self.db().await?)
        .await
        .map_err(err)?;
        let n: i64 = row.try_get("n").map_err(err)?;
        Ok(n.max(0) as u64)
    }

    async fn mark_inapp_read(
        &mut self,
        user_id: Uuid,
        notification: Option<Uuid>,
        at: Timestamp,
    ) -> Result<u64, StoreError> {
        let mut qb: QueryBuilder<'_, Db> =
            QueryBuilder::new("UPDATE inapp_notifications SET read_at = ");
        qb.push_bind(ms(at))
            .push(" WHERE read_at IS NULL AND user_id = ")
            .push_bind(user_id.to_string());
        if let Some(n) = notification {
            qb.push(" AND id = ").push_bind(n.to_string());
        }
        let done = qb.build().execute(self.db().await?).await.map_err(err)?;
        if done.rows_affected() > 0 {
            self.note_signal_key(tripdesk_store::signal::Topic::Bell, user_id);
        }
        Ok(done.rows_affected())
    }

    async fn insert_webhook(&mut self, w: &WebhookEndpoint) -> Result<(), StoreError> {
        sqlx::query(&format!(
            "INSERT INTO webhook_endpoints ({WEBHOOK_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        ))
        .bind(w.id.to_string())
        .bind(&w.url)
        .bind(&w.secret)
        .bind(w.events.join(" "))
        .bind(&w.description)
        .bind(w.active)
        .bind(ms(w.created_at))
        .bind(ms(w.updated_at))
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        Ok(())
    }

    async fn update_webhook(&mut self, w: &WebhookEndpoint) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE webhook_endpoints SET url = $2, secret = $3, events = $4, description = $5, \
             active = $6, updated_at = $7 WHERE id = $1",
        )
        .bind(w.id.to_string())
        .bind(&w.url)
        .bind(&w.secret)
        .bind(w.events.join(" "))
        .bind(&w.description)
        .bind(w.active)
        .bind(ms(w.updated_at))
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn delete_webhook(&mut self, webhook: Uuid) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM webhook_endpoints WHERE id = $1")
            .bind(webhook.to_string())
            .execute(self.db().await?)
            .await
            .map_err(err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn get_webhook(&mut self, webhook: Uuid) -> Result<Option<WebhookEndpoint>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {WEBHOOK_COLUMNS} FROM webhook_endpoints WHERE id = $1"
        ))
        .bind(webhook.to_string())
        .fetch_optional(self.db().await?)
        .await
        .map_err(err)?;
        row.as_ref().map(webhook_from_row).transpose()
    }

    async fn list_webhooks(&mut self) -> Result<Vec<WebhookEndpoint>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {WEBHOOK_COLUMNS} FROM webhook_endpoints ORDER BY id"
        ))
        .fetch_all(self.db().await?)
        .await
        .map_err(err)?;
        rows.iter().map(webhook_from_row).collect()
    }
}
