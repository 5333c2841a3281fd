// What an incident cost (the lines staff enter, the refunds of its remedies) and the drill
// records. Shared by both backends: `include!`d where `Db` and `SqlTx` are bound.

use super::shared_emergency::{incident_from_row, INCIDENT_COLUMNS};
use super::{Db, SqlTx};
use crate::convert::{err, id, ms, opt_id, ts};

use jiff::Timestamp;
use sqlx::Row;
use tripdesk_store::{CostTotals, Incident, IncidentCost, IncidentCostRepo, StoreError};
use uuid::Uuid;

type DbRow = <Db as sqlx::Database>::Row;

fn cost_from_row(row: &DbRow) -> Result<IncidentCost, StoreError> {
    Ok(IncidentCost {
        id: id(&row.try_get::<String, _>("id").map_err(err)?)?,
        incident_id: id(&row.try_get::<String, _>("incident_id").map_err(err)?)?,
        what: row.try_get("what").map_err(err)?,
        amount_fen: row.try_get("amount_fen").map_err(err)?,
        entered_by: opt_id(row.try_get("entered_by").map_err(err)?)?,
        entered_at: ts(row.try_get("entered_at").map_err(err)?)?,
        entered_by_name: row.try_get("entered_by_name").map_err(err)?,
    })
}

#[async_trait::async_trait]
impl IncidentCostRepo for SqlTx {
    async fn insert_incident_cost(&mut self, cost: &IncidentCost) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO incident_costs (id, incident_id, what, amount_fen, entered_by, \
             entered_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(cost.id.to_string())
        .bind(cost.incident_id.to_string())
        .bind(&cost.what)
        .bind(cost.amount_fen)
        .bind(cost.entered_by.map(|u| u.to_string()))
        .bind(ms(cost.entered_at))
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        Ok(())
    }

    async fn list_incident_costs(
        &mut self,
        incident_id: Uuid,
        limit: u32,
        offset: u64,
    ) -> Result<Vec<IncidentCost>, StoreError> {
        let rows = sqlx::query(
            "SELECT c.id, c.incident_id, c.what, c.amount_fen, c.entered_by, c.entered_at, \
             COALESCE(u.display_name, '') AS entered_by_name \
             FROM incident_costs c LEFT JOIN users u ON u.id = c.entered_by \
             WHERE c.incident_id = $1 ORDER BY c.entered_at, c.id LIMIT $2 OFFSET $3",
        )
        .bind(incident_id.to_string())
        .bind(i64::from(limit))
        .bind(offset as i64)
        .fetch_all(self.db().await?)
        .await
        .map_err(err)?;
        rows.iter().map(cost_from_row).collect()
    }

    async fn incident_cost_totals(&mut self, incident_id: Uuid) -> Result<CostTotals, StoreError> {
        // SUM of a BIGINT is NUMERIC on PostgreSQL: cast back.
        let row = sqlx::query(
            "SELECT \
             (SELECT COUNT(*) FROM incident_costs WHERE incident_id = $1) AS lines, \
             (SELECT CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) FROM incident_costs \
              WHERE incident_id = $1) AS entered_fen, \
             (SELECT COUNT(*) FROM incident_remedies WHERE incident_id = $1 \
              AND state = 'refund') AS refunds, \
             (SELECT CAST(COALESCE(SUM(refund_fen), 0) AS BIGINT) FROM incident_remedies \
              WHERE incident_id = $1 AND state = 'refund') AS refunds_fen, \
             (SELECT CAST(COALESCE(SUM(refund_fen), 0) AS BIGINT) FROM incident_remedies \
              WHERE incident_id = $1 AND state = 'offered') AS offered_fen",
        )
        .bind(incident_id.to_string())
        .fetch_one(self.db().await?)
        .await
        .map_err(err)?;
        let n = |col: &str| row.try_get::<i64, _>(col).map_err(err);
        Ok(CostTotals {
            lines: n("lines")? as u64,
            entered_fen: n("entered_fen")?,
            refunds: n("refunds")? as u64,
            refunds_fen: n("refunds_fen")?,
            offered_refunds_fen: n("offered_fen")?,
        })
    }

    async fn list_drills(&mut self, limit: u32, offset: u64) -> Result<Vec<Incident>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {INCIDENT_COLUMNS} FROM incidents WHERE drill = 1 \
             ORDER BY declared_at DESC, id DESC LIMIT $1 OFFSET $2"
        ))
        .bind(i64::from(limit))
        .bind(offset as i64)
        .fetch_all(self.db().await?)
        .await
        .map_err(err)?;
        rows.iter().map(incident_from_row).collect()
    }

    async fn count_drills(&mut self, from: Timestamp, to: Timestamp) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM incidents WHERE drill = 1 AND declared_at >= $1 \
             AND declared_at < $2",
        )
        .bind(ms(from))
        .bind(ms(to))
        .fetch_one(self.db().await?)
        .await
        .map_err(err)?;
        Ok(n as u64)
    }

    async fn first_drill_at(&mut self) -> Result<Option<Timestamp>, StoreError> {
        let at: Option<i64> =
            sqlx::query_scalar("SELECT MIN(declared_at) FROM incidents WHERE drill = 1")
                .fetch_one(self.db().await?)
                .await
                .map_err(err)?;
        at.map(ts).transpose()
    }
}
