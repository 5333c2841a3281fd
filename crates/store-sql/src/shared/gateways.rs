// Payment gateways and the notifications they post, shared by both backends: `include!`d
// where `Db` and `SqlTx` are bound.

use super::{Db, SqlTx};
use crate::convert::{err, id, ms, opt_id, ts};

use sqlx::Row;
use tripdesk_store::{GatewayRepo, PaymentGateway, PaymentNotification, StoreError};
use uuid::Uuid;

type DbRow = <Db as sqlx::Database>::Row;

const GATEWAY_COLUMNS: &str = "provider, secret, description, created_by, created_at";
const NOTIFICATION_COLUMNS: &str =
    "provider, notification_id, body_sha256, booking_id, payment_id, received_at";

fn gateway_from_row(row: &DbRow) -> Result<PaymentGateway, StoreError> {
    Ok(PaymentGateway {
        provider: row.try_get("provider").map_err(err)?,
        secret: row.try_get("secret").map_err(err)?,
        description: row.try_get("description").map_err(err)?,
        created_by: opt_id(row.try_get("created_by").map_err(err)?)?,
        created_at: ts(row.try_get("created_at").map_err(err)?)?,
    })
}

fn notification_from_row(row: &DbRow) -> Result<PaymentNotification, StoreError> {
    Ok(PaymentNotification {
        provider: row.try_get("provider").map_err(err)?,
        notification_id: row.try_get("notification_id").map_err(err)?,
        body_sha256: row.try_get("body_sha256").map_err(err)?,
        booking_id: id(&row.try_get::<String, _>("booking_id").map_err(err)?)?,
        payment_id: opt_id(row.try_get("payment_id").map_err(err)?)?,
        received_at: ts(row.try_get("received_at").map_err(err)?)?,
    })
}

#[async_trait::async_trait]
impl GatewayRepo for SqlTx {
    async fn insert_payment_gateway(&mut self, g: &PaymentGateway) -> Result<(), StoreError> {
        sqlx::query(&format!(
            "INSERT INTO payment_gateways ({GATEWAY_COLUMNS}) VALUES ($1, $2, $3, $4, $5)"
        ))
        .bind(&g.provider)
        .bind(&g.secret)
        .bind(&g.description)
        .bind(g.created_by.map(|u| u.to_string()))
        .bind(ms(g.created_at))
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        Ok(())
    }

    async fn get_payment_gateway(&mut self, provider: &str) -> Result<Option<PaymentGateway>, StoreError> {
        let row = sqlx::query(&format!("SELECT {GATEWAY_COLUMNS} FROM payment_gateways WHERE provider = $1"))
            .bind(provider)
            .fetch_optional(self.db().await?)
            .await
            .map_err(err)?;
        row.as_ref().map(gateway_from_row).transpose()
    }

    async fn list_payment_gateways(&mut self) -> Result<Vec<PaymentGateway>, StoreError> {
        let rows = sqlx::query(&format!("SELECT {GATEWAY_COLUMNS} FROM payment_gateways ORDER BY provider"))
            .fetch_all(self.db().await?)
            .await
            .map_err(err)?;
        rows.iter().map(gateway_from_row).collect()
    }

    async fn delete_payment_gateway(&mut self, provider: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM payment_gateways WHERE provider = $1")
            .bind(provider)
            .execute(self.db().await?)
            .await
            .map_err(err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn claim_payment_notification(&mut self, n: &PaymentNotification) -> Result<bool, StoreError> {
        let done = sqlx::query(&format!(
            "INSERT INTO payment_notifications ({NOTIFICATION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (provider, notification_id) DO NOTHING"
        ))
        .bind(&n.provider)
        .bind(&n.notification_id)
        .bind(&n.body_sha256)
        .bind(n.booking_id.to_string())
        .bind(n.payment_id.map(|p| p.to_string()))
        .bind(ms(n.received_at))
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn attach_notification_payment(
        &mut self,
        provider: &str,
        notification_id: &str,
        payment_id: Uuid,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE payment_notifications SET payment_id = $3 WHERE provider = $1 AND notification_id = $2",
        )
        .bind(provider)
        .bind(notification_id)
        .bind(payment_id.to_string())
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn get_payment_notification(
        &mut self,
        provider: &str,
        notification_id: &str,
    ) -> Result<Option<PaymentNotification>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {NOTIFICATION_COLUMNS} FROM payment_notifications WHERE provider = $1 AND notification_id = $2"
        ))
        .bind(provider)
        .bind(notification_id)
        .fetch_optional(self.db().await?)
        .await
        .map_err(err)?;
        row.as_ref().map(notification_from_row).transpose()
    }
}
