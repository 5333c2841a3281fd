// The response to an incident — voice-call tasks, the team, the checklist's ticks, the
// timeline — shared by both backends: `include!`d where `Db` and `SqlTx` are bound.

use super::{Db, SqlTx};
use crate::convert::{err, id, ms, opt_id, opt_ms, opt_ts, ts};

use jiff::Timestamp;
use sqlx::{QueryBuilder, Row};
use tripdesk_domain::emergency::{CallOutcome, CallReason, TeamRole};
use tripdesk_store::{CallTask, ChecklistTick, IncidentEvent, IncidentResponseRepo, StoreError};
use uuid::Uuid;

type DbRow = <Db as sqlx::Database>::Row;

const CALL_COLUMNS: &str =
    "incident_id, customer_id, reason, created_at, outcome, called_by, called_at";

fn bad(what: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("unknown {what} `{value}` in the database"))
}

fn uuid_col(row: &DbRow, col: &str) -> Result<Uuid, StoreError> {
    id(&row.try_get::<String, _>(col).map_err(err)?)
}

pub(super) fn call_from_row(row: &DbRow) -> Result<CallTask, StoreError> {
    Ok(CallTask {
        incident_id: uuid_col(row, "incident_id")?,
        customer_id: uuid_col(row, "customer_id")?,
        reason: {
            let r: String = row.try_get("reason").map_err(err)?;
            CallReason::parse(&r).ok_or_else(|| bad("call reason", &r))?
        },
        created_at: ts(row.try_get("created_at").map_err(err)?)?,
        outcome: row
            .try_get::<Option<String>, _>("outcome")
            .map_err(err)?
            .map(|o| CallOutcome::parse(&o).ok_or_else(|| bad("call outcome", &o)))
            .transpose()?,
        called_by: opt_id(row.try_get("called_by").map_err(err)?)?,
        called_at: opt_ts(row.try_get("called_at").map_err(err)?)?,
        customer_name: row.try_get("customer_name").map_err(err)?,
    })
}

#[async_trait::async_trait]
impl IncidentResponseRepo for SqlTx {
    async fn insert_call_task(&mut self, t: &CallTask) -> Result<bool, StoreError> {
        let done = sqlx::query(&format!(
            "INSERT INTO incident_calls ({CALL_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (incident_id, customer_id) DO NOTHING"
        ))
        .bind(t.incident_id.to_string())
        .bind(t.customer_id.to_string())
        .bind(t.reason.as_str())
        .bind(ms(t.created_at))
        .bind(t.outcome.map(|o| o.as_str()))
        .bind(t.called_by.map(|u| u.to_string()))
        .bind(opt_ms(t.called_at))
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn record_call(
        &mut self,
        incident_id: Uuid,
        customer_id: Uuid,
        outcome: CallOutcome,
        by: Uuid,
        at: Timestamp,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE incident_calls SET outcome = $3, called_by = $4, called_at = $5 \
             WHERE incident_id = $1 AND customer_id = $2",
        )
        .bind(incident_id.to_string())
        .bind(customer_id.to_string())
        .bind(outcome.as_str())
        .bind(by.to_string())
        .bind(ms(at))
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn list_call_tasks(
        &mut self,
        incident_id: Uuid,
        open_only: bool,
        limit: u32,
        offset: u64,
    ) -> Result<Vec<CallTask>, StoreError> {
        // A call still to make: not made, and its person not known to be safe (an answer
        // by the link or a text makes the call unnecessary).
        let open = if open_only {
            " AND k.called_at IS NULL AND ip.status <> 'safe' AND ip.in_scope = 1"
        } else {
            ""
        };
        let rows = sqlx::query(&format!(
            "SELECT k.incident_id, k.customer_id, k.reason, k.created_at, k.outcome, k.called_by, \
             k.called_at, c.name AS customer_name \
             FROM incident_calls k JOIN customers c ON c.id = k.customer_id \
             JOIN incident_people ip \
             ON ip.incident_id = k.incident_id AND ip.customer_id = k.customer_id \
             WHERE k.incident_id = $1{open} \
             ORDER BY CASE WHEN k.called_at IS NULL THEN 0 ELSE 1 END, k.created_at, k.customer_id \
             LIMIT $2 OFFSET $3"
        ))
        .bind(incident_id.to_string())
        .bind(i64::from(limit))
        .bind(offset as i64)
        .fetch_all(self.db().await?)
        .await
        .map_err(err)?;
        rows.iter().map(call_from_row).collect()
    }

    async fn set_team_member(
        &mut self,
        incident_id: Uuid,
        role: TeamRole,
        user_id: Option<Uuid>,
    ) -> Result<(), StoreError> {
        match user_id {
            Some(user) => sqlx::query(
                "INSERT INTO incident_team (incident_id, role, user_id) VALUES ($1, $2, $3) \
                 ON CONFLICT (incident_id, role) DO UPDATE SET user_id = excluded.user_id",
            )
            .bind(incident_id.to_string())
            .bind(role.as_str())
            .bind(user.to_string()),
            None => sqlx::query("DELETE FROM incident_team WHERE incident_id = $1 AND role = $2")
                .bind(incident_id.to_string())
                .bind(role.as_str()),
        }
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        Ok(())
    }

    async fn incident_team(
        &mut self,
        incident_id: Uuid,
    ) -> Result<Vec<(TeamRole, Uuid)>, StoreError> {
        let rows = sqlx::query("SELECT role, user_id FROM incident_team WHERE incident_id = $1")
            .bind(incident_id.to_string())
            .fetch_all(self.db().await?)
            .await
            .map_err(err)?;
        let mut team = rows
            .iter()
            .map(|row| {
                let role: String = row.try_get("role").map_err(err)?;
                Ok((
                    TeamRole::parse(&role).ok_or_else(|| bad("team role", &role))?,
                    uuid_col(row, "user_id")?,
                ))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        team.sort();
        Ok(team)
    }

    async fn tick_checklist(
        &mut self,
        incident_id: Uuid,
        item_key: &str,
        by: Uuid,
        at: Timestamp,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO incident_checklist (incident_id, item_key, done_by, done_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (incident_id, item_key) DO NOTHING",
        )
        .bind(incident_id.to_string())
        .bind(item_key)
        .bind(by.to_string())
        .bind(ms(at))
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn untick_checklist(
        &mut self,
        incident_id: Uuid,
        item_key: &str,
    ) -> Result<bool, StoreError> {
        let done =
            sqlx::query("DELETE FROM incident_checklist WHERE incident_id = $1 AND item_key = $2")
                .bind(incident_id.to_string())
                .bind(item_key)
                .execute(self.db().await?)
                .await
                .map_err(err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn incident_checklist(
        &mut self,
        incident_id: Uuid,
    ) -> Result<Vec<ChecklistTick>, StoreError> {
        let rows = sqlx::query(
            "SELECT item_key, done_by, done_at FROM incident_checklist WHERE incident_id = $1 \
             ORDER BY done_at, item_key",
        )
        .bind(incident_id.to_string())
        .fetch_all(self.db().await?)
        .await
        .map_err(err)?;
        rows.iter()
            .map(|row| {
                Ok(ChecklistTick {
                    item_key: row.try_get("item_key").map_err(err)?,
                    done_by: opt_id(row.try_get("done_by").map_err(err)?)?,
                    done_at: ts(row.try_get("done_at").map_err(err)?)?,
                })
            })
            .collect()
    }

    async fn insert_incident_events(&mut self, events: &[IncidentEvent]) -> Result<(), StoreError> {
        for chunk in events.chunks(500) {
            let mut qb: QueryBuilder<'_, Db> = QueryBuilder::new(
                "INSERT INTO incident_events (id, incident_id, at, kind, actor_id, customer_id, detail) ",
            );
            qb.push_values(chunk, |mut b, e| {
                b.push_bind(e.id.to_string())
                    .push_bind(e.incident_id.to_string())
                    .push_bind(ms(e.at))
                    .push_bind(e.kind.clone())
                    .push_bind(e.actor_id.map(|u| u.to_string()))
                    .push_bind(e.customer_id.map(|u| u.to_string()))
                    .push_bind(e.detail.clone());
            });
            qb.build()
                .execute(self.db().await?)
                .await
                .map_err(err)?;
        }
        Ok(())
    }

    async fn list_incident_events(
        &mut self,
        incident_id: Uuid,
        limit: u32,
        offset: u64,
    ) -> Result<Vec<IncidentEvent>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, incident_id, at, kind, actor_id, customer_id, detail FROM incident_events \
             WHERE incident_id = $1 ORDER BY at DESC, id DESC LIMIT $2 OFFSET $3",
        )
        .bind(incident_id.to_string())
        .bind(i64::from(limit))
        .bind(offset as i64)
        .fetch_all(self.db().await?)
        .await
        .map_err(err)?;
        rows.iter()
            .map(|row| {
                Ok(IncidentEvent {
                    id: uuid_col(row, "id")?,
                    incident_id: uuid_col(row, "incident_id")?,
                    at: ts(row.try_get("at").map_err(err)?)?,
                    kind: row.try_get("kind").map_err(err)?,
                    actor_id: opt_id(row.try_get("actor_id").map_err(err)?)?,
                    customer_id: opt_id(row.try_get("customer_id").map_err(err)?)?,
                    detail: row.try_get("detail").map_err(err)?,
                })
            })
            .collect()
    }
}
