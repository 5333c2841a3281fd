// Idempotency keys, shared by both backends: `include!`d where `Db` and `SqlTx` are bound.

use super::SqlTx;
use crate::convert::{err, ms};
use sqlx::Row;
use tripdesk_store::{IdempotencyRepo, KeptResponse, KeyClaim, StoreError};

#[async_trait::async_trait]
impl IdempotencyRepo for SqlTx {
    async fn claim_idempotency_key(
        &mut self,
        principal: &str,
        key: &str,
        digest: &str,
        now: jiff::Timestamp,
        expires_at: jiff::Timestamp,
    ) -> Result<KeyClaim, StoreError> {
        // Lazy purge: only this principal's expired keys, found by the index.
        sqlx::query("DELETE FROM idempotency_keys WHERE principal = $1 AND expires_at <= $2")
            .bind(principal)
            .bind(ms(now))
            .execute(self.db().await?)
            .await
            .map_err(err)?;
        let inserted = sqlx::query(
            "INSERT INTO idempotency_keys (id, principal, idem_key, digest, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (principal, idem_key) DO NOTHING \
             RETURNING id",
        )
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(principal)
        .bind(key)
        .bind(digest)
        .bind(ms(now))
        .bind(ms(expires_at))
        .fetch_optional(self.db().await?)
        .await
        .map_err(err)?;
        if inserted.is_some() {
            return Ok(KeyClaim::Fresh);
        }
        let row = sqlx::query(
            "SELECT digest, status, response_body FROM idempotency_keys \
             WHERE principal = $1 AND idem_key = $2",
        )
        .bind(principal)
        .bind(key)
        .fetch_one(self.db().await?)
        .await
        .map_err(err)?;
        let status: Option<i64> = row.try_get("status").map_err(err)?;
        let body: Option<String> = row.try_get("response_body").map_err(err)?;
        let response = match (status, body) {
            (Some(status), Some(body)) => Some(KeptResponse {
                status: u16::try_from(status)
                    .map_err(|_| StoreError::Corrupt("kept status out of range".into()))?,
                body,
            }),
            _ => None,
        };
        Ok(KeyClaim::Used {
            digest: row.try_get("digest").map_err(err)?,
            response,
        })
    }

    async fn keep_idempotent_response(
        &mut self,
        principal: &str,
        key: &str,
        response: &KeptResponse,
    ) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE idempotency_keys SET status = $3, response_body = $4 \
             WHERE principal = $1 AND idem_key = $2",
        )
        .bind(principal)
        .bind(key)
        .bind(i64::from(response.status))
        .bind(&response.body)
        .execute(self.db().await?)
        .await
        .map_err(err)?
        .rows_affected();
        if done != 1 {
            return Err(StoreError::Other(
                "keeping a response for an idempotency key this transaction did not claim".into(),
            ));
        }
        Ok(())
    }
}
