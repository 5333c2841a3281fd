// Periodic summaries' reads and sent records, shared by both backends: `include!`d where `Db`
// and `SqlTx` are bound.

use super::SqlTx;
use crate::convert::{day, err, id, ms, opt_id, opt_ts, ts};
use sqlx::Row;
use tripdesk_domain::desk::{Level, State};
use tripdesk_store::{StoreError, SummaryComplaint, SummaryRepo, SummaryTask};

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("summaries: bad {what}"))
}

#[async_trait::async_trait]
impl SummaryRepo for SqlTx {
    async fn summary_complaints(
        &mut self,
        from: jiff::Timestamp,
        until: jiff::Timestamp,
    ) -> Result<Vec<SummaryComplaint>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, number, level, state, business_area, cause, compensation_amount_fen, \
             created_at FROM tickets WHERE kind = 'complaint' AND created_at >= $1 \
             AND created_at < $2 ORDER BY created_at, id",
        )
        .bind(ms(from))
        .bind(ms(until))
        .fetch_all(self.db().await?)
        .await
        .map_err(err)?;
        rows.iter()
            .map(|row| {
                let text = |c: &str| row.try_get::<String, _>(c).map_err(err);
                Ok(SummaryComplaint {
                    id: id(&text("id")?)?,
                    number: text("number")?,
                    level: Level::parse(&text("level")?).ok_or_else(|| corrupt("level"))?,
                    state: State::parse(&text("state")?).ok_or_else(|| corrupt("state"))?,
                    business_area: row.try_get("business_area").map_err(err)?,
                    cause: row.try_get("cause").map_err(err)?,
                    compensation_amount_fen: row
                        .try_get("compensation_amount_fen")
                        .map_err(err)?,
                    created_at: ts(row.try_get("created_at").map_err(err)?)?,
                })
            })
            .collect()
    }

    async fn summary_tasks(
        &mut self,
        from: jiff::Timestamp,
        until: jiff::Timestamp,
    ) -> Result<Vec<SummaryTask>, StoreError> {
        let rows = sqlx::query(
            "SELECT k.id, k.ticket_id, t.number, k.kind, k.department_id, k.assignee_id, \
             k.title, k.created_at, k.due_at, k.done_at FROM desk_tasks k \
             JOIN tickets t ON t.id = k.ticket_id \
             WHERE k.kind IN ('rectification', 'improvement') AND k.created_at < $2 \
             AND (k.done_at IS NULL OR k.done_at >= $1) ORDER BY k.created_at, k.id",
        )
        .bind(ms(from))
        .bind(ms(until))
        .fetch_all(self.db().await?)
        .await
        .map_err(err)?;
        rows.iter()
            .map(|row| {
                let text = |c: &str| row.try_get::<String, _>(c).map_err(err);
                Ok(SummaryTask {
                    id: id(&text("id")?)?,
                    ticket_id: id(&text("ticket_id")?)?,
                    ticket_number: text("number")?,
                    kind: text("kind")?,
                    department_id: opt_id(row.try_get("department_id").map_err(err)?)?,
                    assignee_id: opt_id(row.try_get("assignee_id").map_err(err)?)?,
                    title: text("title")?,
                    created_at: ts(row.try_get("created_at").map_err(err)?)?,
                    due_at: opt_ts(row.try_get("due_at").map_err(err)?)?,
                    done_at: opt_ts(row.try_get("done_at").map_err(err)?)?,
                })
            })
            .collect()
    }

    async fn record_summary_sent(
        &mut self,
        cadence: &str,
        period_from: jiff::civil::Date,
        recipients: i64,
        at: jiff::Timestamp,
    ) -> Result<bool, StoreError> {
        let inserted = sqlx::query(
            "INSERT INTO summaries_sent (cadence, period_from, recipients, sent_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (cadence, period_from) DO NOTHING",
        )
        .bind(cadence)
        .bind(day(period_from))
        .bind(recipients)
        .bind(ms(at))
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        Ok(inserted.rows_affected() == 1)
    }

    async fn summary_sent_at(
        &mut self,
        cadence: &str,
        period_from: jiff::civil::Date,
    ) -> Result<Option<jiff::Timestamp>, StoreError> {
        let at: Option<i64> = sqlx::query_scalar(
            "SELECT sent_at FROM summaries_sent WHERE cadence = $1 AND period_from = $2",
        )
        .bind(cadence)
        .bind(day(period_from))
        .fetch_optional(self.db().await?)
        .await
        .map_err(err)?;
        at.map(ts).transpose()
    }
}
