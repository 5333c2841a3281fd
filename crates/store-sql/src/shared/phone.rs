// Phone calls, shared by both backends: `include!`d where `Db` and `SqlTx` are bound.

use super::{Db, SqlTx};
use crate::convert::{err, id, ms, opt_id, opt_ms, opt_ts, ts};
use sqlx::{QueryBuilder, Row};
use tripdesk_domain::phone::{Direction, Disposition};
use tripdesk_store::{CallFilter, CallRecord, CallRepo, StoreError};
use uuid::Uuid;

type DbRow = <Db as sqlx::Database>::Row;

const CALL_COLUMNS: &str = "id, source, call_key, direction, line, agent, customer_id, \
     number_sealed, number_index, started_at, answered_at, ended_at, ring_secs, talk_secs, \
     disposition, imported_at, imported_by";

fn call_from_row(row: &DbRow) -> Result<CallRecord, StoreError> {
    let text = |c: &str| row.try_get::<String, _>(c).map_err(err);
    let bad = |what: &str| StoreError::Corrupt(format!("unknown call {what}"));
    Ok(CallRecord {
        id: id(&text("id")?)?,
        source: text("source")?,
        call_key: text("call_key")?,
        direction: Direction::parse(&text("direction")?).ok_or_else(|| bad("direction"))?,
        line: text("line")?,
        agent: row.try_get("agent").map_err(err)?,
        customer_id: opt_id(row.try_get("customer_id").map_err(err)?)?,
        number_sealed: row.try_get("number_sealed").map_err(err)?,
        number_index: row.try_get("number_index").map_err(err)?,
        started_at: ts(row.try_get("started_at").map_err(err)?)?,
        answered_at: opt_ts(row.try_get("answered_at").map_err(err)?)?,
        ended_at: ts(row.try_get("ended_at").map_err(err)?)?,
        ring_secs: row.try_get("ring_secs").map_err(err)?,
        talk_secs: row.try_get("talk_secs").map_err(err)?,
        disposition: Disposition::parse(&text("disposition")?)
            .ok_or_else(|| bad("disposition"))?,
        imported_at: ts(row.try_get("imported_at").map_err(err)?)?,
        imported_by: opt_id(row.try_get("imported_by").map_err(err)?)?,
    })
}

#[async_trait::async_trait]
impl CallRepo for SqlTx {
    async fn insert_calls(&mut self, calls: &[CallRecord]) -> Result<u64, StoreError> {
        let mut inserted = 0;
        // 17 binds a row: 500 rows stay under every driver's limit of bound values.
        for chunk in calls.chunks(500) {
            let mut qb: QueryBuilder<'_, Db> =
                QueryBuilder::new(format!("INSERT INTO calls ({CALL_COLUMNS}) "));
            qb.push_values(chunk, |mut b, c| {
                b.push_bind(c.id.to_string())
                    .push_bind(c.source.clone())
                    .push_bind(c.call_key.clone())
                    .push_bind(c.direction.as_str())
                    .push_bind(c.line.clone())
                    .push_bind(c.agent.clone())
                    .push_bind(c.customer_id.map(|u| u.to_string()))
                    .push_bind(c.number_sealed.clone())
                    .push_bind(c.number_index.clone())
                    .push_bind(ms(c.started_at))
                    .push_bind(opt_ms(c.answered_at))
                    .push_bind(ms(c.ended_at))
                    .push_bind(c.ring_secs)
                    .push_bind(c.talk_secs)
                    .push_bind(c.disposition.as_str())
                    .push_bind(ms(c.imported_at))
                    .push_bind(c.imported_by.map(|u| u.to_string()));
            });
            qb.push(" ON CONFLICT (source, call_key) DO NOTHING");
            inserted += qb
                .build()
                .execute(self.db().await?)
                .await
                .map_err(err)?
                .rows_affected();
        }
        Ok(inserted)
    }

    async fn list_calls(
        &mut self,
        filter: &CallFilter,
        limit: u32,
        offset: u64,
    ) -> Result<Vec<CallRecord>, StoreError> {
        let mut qb: QueryBuilder<'_, Db> =
            QueryBuilder::new(format!("SELECT {CALL_COLUMNS} FROM calls WHERE 1 = 1"));
        if let Some(c) = filter.customer_id {
            qb.push(" AND customer_id = ").push_bind(c.to_string());
        }
        if let Some(d) = filter.direction {
            qb.push(" AND direction = ").push_bind(d.as_str());
        }
        if let Some(from) = filter.from {
            qb.push(" AND started_at >= ").push_bind(ms(from));
        }
        if let Some(to) = filter.to {
            qb.push(" AND started_at < ").push_bind(ms(to));
        }
        qb.push(" ORDER BY started_at DESC, id DESC LIMIT ")
            .push_bind(i64::from(limit))
            .push(" OFFSET ")
            .push_bind(offset as i64);
        qb.build()
            .fetch_all(self.db().await?)
            .await
            .map_err(err)?
            .iter()
            .map(call_from_row)
            .collect()
    }

    async fn erase_calls(
        &mut self,
        customer_id: Uuid,
        number_indexes: &[String],
    ) -> Result<u64, StoreError> {
        let mut q = QueryBuilder::<Db>::new(
            "UPDATE calls SET number_sealed = NULL, number_index = NULL, customer_id = NULL \
             WHERE customer_id = ",
        );
        q.push_bind(customer_id.to_string());
        if !number_indexes.is_empty() {
            q.push(" OR number_index IN (");
            let mut list = q.separated(", ");
            for i in number_indexes {
                list.push_bind(i.clone());
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
