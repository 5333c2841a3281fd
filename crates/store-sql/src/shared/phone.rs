// Phone calls, shared by both backends: `include!`d where `Db` and `SqlTx` are bound.

use super::{Db, SqlTx};
use crate::convert::{err, id, ms, opt_id, opt_ms, opt_ts, ts};
use sqlx::{QueryBuilder, Row};
use tripdesk_domain::phone::{Direction, Disposition};
use tripdesk_domain::phone::cti::EventKind;
use tripdesk_store::{
    CallEventRecord, CallFilter, CallRecord, CallRepo, CallbackFilter, CallbackTask, StoreError,
};
use uuid::Uuid;

type DbRow = <Db as sqlx::Database>::Row;

const CALL_COLUMNS: &str = "id, source, call_key, direction, line, agent, customer_id, \
     number_sealed, number_index, started_at, answered_at, ended_at, ring_secs, talk_secs, \
     disposition, imported_at, imported_by, callback_task_id, ticket_id";

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
        callback_task_id: opt_id(row.try_get("callback_task_id").map_err(err)?)?,
        ticket_id: opt_id(row.try_get("ticket_id").map_err(err)?)?,
    })
}

#[async_trait::async_trait]
impl CallRepo for SqlTx {
    async fn insert_calls(&mut self, calls: &[CallRecord]) -> Result<u64, StoreError> {
        let mut inserted = 0;
        // 19 binds a row: 500 rows stay under every driver's limit of bound values.
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
                    .push_bind(c.imported_by.map(|u| u.to_string()))
                    .push_bind(c.callback_task_id.map(|u| u.to_string()))
                    .push_bind(c.ticket_id.map(|u| u.to_string()));
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
        if filter.missed {
            qb.push(" AND answered_at IS NULL");
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
        if !number_indexes.is_empty() {
            let mut q = QueryBuilder::<Db>::new(
                "UPDATE call_events SET number_sealed = NULL, number_index = NULL \
                 WHERE number_index IN (",
            );
            let mut list = q.separated(", ");
            for i in number_indexes {
                list.push_bind(i.clone());
            }
            q.push(")");
            q.build()
                .execute(self.db().await?)
                .await
                .map_err(err)?;
        }
        Ok(done.rows_affected())
    }

    async fn get_call(&mut self, call: Uuid) -> Result<Option<CallRecord>, StoreError> {
        sqlx::query(&format!("SELECT {CALL_COLUMNS} FROM calls WHERE id = $1"))
            .bind(call.to_string())
            .fetch_optional(self.db().await?)
            .await
            .map_err(err)?
            .as_ref()
            .map(call_from_row)
            .transpose()
    }

    async fn get_call_by_key(
        &mut self,
        source: &str,
        call_key: &str,
    ) -> Result<Option<CallRecord>, StoreError> {
        sqlx::query(&format!(
            "SELECT {CALL_COLUMNS} FROM calls WHERE source = $1 AND call_key = $2"
        ))
        .bind(source)
        .bind(call_key)
        .fetch_optional(self.db().await?)
        .await
        .map_err(err)?
        .as_ref()
        .map(call_from_row)
        .transpose()
    }

    async fn update_call(&mut self, c: &CallRecord) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE calls SET direction = $2, line = $3, agent = $4, customer_id = $5, \
             number_sealed = $6, number_index = $7, started_at = $8, answered_at = $9, \
             ended_at = $10, ring_secs = $11, talk_secs = $12, disposition = $13, \
             callback_task_id = $14, ticket_id = $15 WHERE id = $1",
        )
        .bind(c.id.to_string())
        .bind(c.direction.as_str())
        .bind(c.line.clone())
        .bind(c.agent.clone())
        .bind(c.customer_id.map(|u| u.to_string()))
        .bind(c.number_sealed.clone())
        .bind(c.number_index.clone())
        .bind(ms(c.started_at))
        .bind(opt_ms(c.answered_at))
        .bind(ms(c.ended_at))
        .bind(c.ring_secs)
        .bind(c.talk_secs)
        .bind(c.disposition.as_str())
        .bind(c.callback_task_id.map(|u| u.to_string()))
        .bind(c.ticket_id.map(|u| u.to_string()))
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        Ok(())
    }

    async fn insert_call_event(&mut self, e: &CallEventRecord) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO call_events (call_key, kind, at, direction, line, agent, \
             number_sealed, number_index, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (call_key, kind) DO NOTHING",
        )
        .bind(e.call_key.clone())
        .bind(e.kind.as_str())
        .bind(ms(e.at))
        .bind(e.direction.as_str())
        .bind(e.line.clone())
        .bind(e.agent.clone())
        .bind(e.number_sealed.clone())
        .bind(e.number_index.clone())
        .bind(ms(e.received_at))
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn call_events(&mut self, call_key: &str) -> Result<Vec<CallEventRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT call_key, kind, at, direction, line, agent, number_sealed, number_index, \
             received_at FROM call_events WHERE call_key = $1",
        )
        .bind(call_key)
        .fetch_all(self.db().await?)
        .await
        .map_err(err)?;
        let bad = |what: &str| StoreError::Corrupt(format!("unknown call event {what}"));
        let mut events = rows
            .iter()
            .map(|row| {
                let text = |c: &str| row.try_get::<String, _>(c).map_err(err);
                Ok(CallEventRecord {
                    call_key: text("call_key")?,
                    kind: EventKind::parse(&text("kind")?).ok_or_else(|| bad("kind"))?,
                    at: ts(row.try_get("at").map_err(err)?)?,
                    direction: Direction::parse(&text("direction")?)
                        .ok_or_else(|| bad("direction"))?,
                    line: text("line")?,
                    agent: row.try_get("agent").map_err(err)?,
                    number_sealed: row.try_get("number_sealed").map_err(err)?,
                    number_index: row.try_get("number_index").map_err(err)?,
                    received_at: ts(row.try_get("received_at").map_err(err)?)?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        events.sort_by_key(|e| e.kind);
        Ok(events)
    }

    async fn open_callback_task(
        &mut self,
        number_index: &str,
    ) -> Result<Option<CallbackTask>, StoreError> {
        sqlx::query(&format!(
            "SELECT {TASK_COLUMNS} FROM callback_tasks \
             WHERE number_index = $1 AND done_at IS NULL"
        ))
        .bind(number_index)
        .fetch_optional(self.db().await?)
        .await
        .map_err(err)?
        .as_ref()
        .map(task_from_row)
        .transpose()
    }

    async fn get_callback_task(&mut self, task: Uuid) -> Result<Option<CallbackTask>, StoreError> {
        sqlx::query(&format!(
            "SELECT {TASK_COLUMNS} FROM callback_tasks WHERE id = $1"
        ))
        .bind(task.to_string())
        .fetch_optional(self.db().await?)
        .await
        .map_err(err)?
        .as_ref()
        .map(task_from_row)
        .transpose()
    }

    async fn insert_callback_task(&mut self, k: &CallbackTask) -> Result<(), StoreError> {
        sqlx::query(&format!(
            "INSERT INTO callback_tasks ({TASK_COLUMNS}) VALUES \
             ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
        ))
        .bind(k.id.to_string())
        .bind(k.number_index.clone())
        .bind(k.number_sealed.clone())
        .bind(k.customer_id.map(|u| u.to_string()))
        .bind(k.line.clone())
        .bind(k.missed_count)
        .bind(ms(k.first_missed_at))
        .bind(ms(k.last_missed_at))
        .bind(ms(k.created_at))
        .bind(opt_ms(k.done_at))
        .bind(k.done_by.map(|u| u.to_string()))
        .bind(k.outcome.clone())
        .bind(k.note_sealed.clone())
        .bind(k.callback_call_id.map(|u| u.to_string()))
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        Ok(())
    }

    async fn update_callback_task(&mut self, k: &CallbackTask) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE callback_tasks SET customer_id = $2, line = $3, missed_count = $4, \
             first_missed_at = $5, last_missed_at = $6, done_at = $7, done_by = $8, \
             outcome = $9, note_sealed = $10, callback_call_id = $11 WHERE id = $1",
        )
        .bind(k.id.to_string())
        .bind(k.customer_id.map(|u| u.to_string()))
        .bind(k.line.clone())
        .bind(k.missed_count)
        .bind(ms(k.first_missed_at))
        .bind(ms(k.last_missed_at))
        .bind(opt_ms(k.done_at))
        .bind(k.done_by.map(|u| u.to_string()))
        .bind(k.outcome.clone())
        .bind(k.note_sealed.clone())
        .bind(k.callback_call_id.map(|u| u.to_string()))
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        Ok(())
    }

    async fn list_callback_tasks(
        &mut self,
        filter: &CallbackFilter,
        limit: u32,
        offset: u64,
    ) -> Result<Vec<CallbackTask>, StoreError> {
        let mut qb: QueryBuilder<'_, Db> = QueryBuilder::new(format!(
            "SELECT {TASK_COLUMNS} FROM callback_tasks WHERE 1 = 1"
        ));
        if let Some(c) = filter.customer_id {
            qb.push(" AND customer_id = ").push_bind(c.to_string());
        }
        if filter.open {
            qb.push(" AND done_at IS NULL ORDER BY created_at, id");
        } else {
            qb.push(" ORDER BY created_at DESC, id DESC");
        }
        qb.push(" LIMIT ")
            .push_bind(i64::from(limit))
            .push(" OFFSET ")
            .push_bind(offset as i64);
        qb.build()
            .fetch_all(self.db().await?)
            .await
            .map_err(err)?
            .iter()
            .map(task_from_row)
            .collect()
    }

    async fn erase_callback_tasks(
        &mut self,
        customer_id: Uuid,
        number_indexes: &[String],
    ) -> Result<u64, StoreError> {
        let ids: Vec<String> = {
            let mut q = QueryBuilder::<Db>::new("SELECT id FROM callback_tasks WHERE customer_id = ");
            q.push_bind(customer_id.to_string());
            if !number_indexes.is_empty() {
                q.push(" OR number_index IN (");
                let mut list = q.separated(", ");
                for i in number_indexes {
                    list.push_bind(i.clone());
                }
                q.push(")");
            }
            q.build()
                .fetch_all(self.db().await?)
                .await
                .map_err(err)?
                .iter()
                .map(|r| r.try_get::<String, _>("id").map_err(err))
                .collect::<Result<_, _>>()?
        };
        let mut n = 0;
        for task in &ids {
            sqlx::query("UPDATE calls SET callback_task_id = NULL WHERE callback_task_id = $1")
                .bind(task.clone())
                .execute(self.db().await?)
                .await
                .map_err(err)?;
            n += sqlx::query("DELETE FROM callback_tasks WHERE id = $1")
                .bind(task.clone())
                .execute(self.db().await?)
                .await
                .map_err(err)?
                .rows_affected();
        }
        Ok(n)
    }
}

const TASK_COLUMNS: &str = "id, number_index, number_sealed, customer_id, line, missed_count, \
     first_missed_at, last_missed_at, created_at, done_at, done_by, outcome, note_sealed, \
     callback_call_id";

fn task_from_row(row: &DbRow) -> Result<CallbackTask, StoreError> {
    Ok(CallbackTask {
        id: id(&row.try_get::<String, _>("id").map_err(err)?)?,
        number_index: row.try_get("number_index").map_err(err)?,
        number_sealed: row.try_get("number_sealed").map_err(err)?,
        customer_id: opt_id(row.try_get("customer_id").map_err(err)?)?,
        line: row.try_get("line").map_err(err)?,
        missed_count: row.try_get("missed_count").map_err(err)?,
        first_missed_at: ts(row.try_get("first_missed_at").map_err(err)?)?,
        last_missed_at: ts(row.try_get("last_missed_at").map_err(err)?)?,
        created_at: ts(row.try_get("created_at").map_err(err)?)?,
        done_at: opt_ts(row.try_get("done_at").map_err(err)?)?,
        done_by: opt_id(row.try_get("done_by").map_err(err)?)?,
        outcome: row.try_get("outcome").map_err(err)?,
        note_sealed: row.try_get("note_sealed").map_err(err)?,
        callback_call_id: opt_id(row.try_get("callback_call_id").map_err(err)?)?,
    })
}
