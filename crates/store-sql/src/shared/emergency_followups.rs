// A traveler's channels in order: the incident's messages and call tasks of some people, and
// the follow-ups sent after a step failed (one per broadcast message and channel). Shared by
// both backends: `include!`d where `Db` and `SqlTx` are bound.

use super::shared_emergency_response::call_from_row;
use super::{Db, SqlTx};
use crate::convert::{err, id, ms, ts};

use sqlx::{QueryBuilder, Row};
use tripdesk_domain::emergency::ContactStep;
use tripdesk_store::{
    CallTask, ContactMessage, HandsetState, IncidentFollowup, IncidentFollowupRepo, MessageState,
    StoreError,
};
use uuid::Uuid;

type DbRow = <Db as sqlx::Database>::Row;

fn bad(what: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("unknown {what} `{value}` in the database"))
}

fn uuid_col(row: &DbRow, col: &str) -> Result<Uuid, StoreError> {
    id(&row.try_get::<String, _>(col).map_err(err)?)
}

fn step_col(row: &DbRow, col: &str) -> Result<ContactStep, StoreError> {
    let s: String = row.try_get(col).map_err(err)?;
    ContactStep::parse(&s).ok_or_else(|| bad("contact step", &s))
}

/// `<sql> (<ids>)<tail>` with the customers bound.
fn with_customers<'a>(sql: &str, incident_id: Uuid, customers: &'a [Uuid], tail: &str) -> QueryBuilder<'a, Db> {
    let mut qb = QueryBuilder::<Db>::new(sql);
    qb.push_bind(incident_id.to_string());
    qb.push(" AND x.customer_id IN (");
    let mut sep = qb.separated(", ");
    for c in customers {
        sep.push_bind(c.to_string());
    }
    qb.push(")");
    qb.push(tail);
    qb
}

#[async_trait::async_trait]
impl IncidentFollowupRepo for SqlTx {
    async fn insert_followup(&mut self, f: &IncidentFollowup) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO incident_followups (after_message_id, channel, incident_id, \
             customer_id, message_id, after_step, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (after_message_id, channel) DO NOTHING",
        )
        .bind(f.after_message_id.to_string())
        .bind(f.channel.as_str())
        .bind(f.incident_id.to_string())
        .bind(f.customer_id.to_string())
        .bind(f.message_id.to_string())
        .bind(f.after_step.as_str())
        .bind(ms(f.created_at))
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn followups_of(
        &mut self,
        incident_id: Uuid,
        customers: &[Uuid],
    ) -> Result<Vec<IncidentFollowup>, StoreError> {
        if customers.is_empty() {
            return Ok(Vec::new());
        }
        let mut qb = with_customers(
            "SELECT x.after_message_id, x.channel, x.incident_id, x.customer_id, x.message_id, \
             x.after_step, x.created_at FROM incident_followups x WHERE x.incident_id = ",
            incident_id,
            customers,
            " ORDER BY x.created_at, x.message_id",
        );
        let rows = qb
            .build()
            .fetch_all(self.db().await?)
            .await
            .map_err(err)?;
        rows.iter()
            .map(|row| {
                Ok(IncidentFollowup {
                    after_message_id: uuid_col(row, "after_message_id")?,
                    channel: step_col(row, "channel")?,
                    incident_id: uuid_col(row, "incident_id")?,
                    customer_id: uuid_col(row, "customer_id")?,
                    message_id: uuid_col(row, "message_id")?,
                    after_step: step_col(row, "after_step")?,
                    created_at: ts(row.try_get("created_at").map_err(err)?)?,
                })
            })
            .collect()
    }

    async fn contact_messages(
        &mut self,
        incident_id: Uuid,
        customers: &[Uuid],
    ) -> Result<Vec<ContactMessage>, StoreError> {
        if customers.is_empty() {
            return Ok(Vec::new());
        }
        // By the customers' index — a person has few messages, an incident may have 100,000:
        // the subject is compared through COALESCE so that neither planner takes the
        // subject's index instead.
        let mut qb = with_customers(
            "SELECT x.id, x.customer_id, x.channel, x.event, x.state, x.handset_state, \
             x.created_at FROM outbox_messages x \
             WHERE COALESCE(x.related_type, '') = 'incident' \
             AND COALESCE(x.related_id, '') = ",
            incident_id,
            customers,
            " ORDER BY x.created_at, x.id",
        );
        let rows = qb
            .build()
            .fetch_all(self.db().await?)
            .await
            .map_err(err)?;
        rows.iter()
            .map(|row| {
                let state: String = row.try_get("state").map_err(err)?;
                let handset: Option<String> = row.try_get("handset_state").map_err(err)?;
                Ok(ContactMessage {
                    id: uuid_col(row, "id")?,
                    customer_id: uuid_col(row, "customer_id")?,
                    channel: row.try_get("channel").map_err(err)?,
                    event: row.try_get("event").map_err(err)?,
                    state: MessageState::parse(&state)
                        .ok_or_else(|| bad("message state", &state))?,
                    handset: handset
                        .map(|h| HandsetState::parse(&h).ok_or_else(|| bad("handset state", &h)))
                        .transpose()?,
                    created_at: ts(row.try_get("created_at").map_err(err)?)?,
                })
            })
            .collect()
    }

    async fn call_tasks_of(
        &mut self,
        incident_id: Uuid,
        customers: &[Uuid],
    ) -> Result<Vec<CallTask>, StoreError> {
        if customers.is_empty() {
            return Ok(Vec::new());
        }
        let mut qb = with_customers(
            "SELECT x.incident_id, x.customer_id, x.reason, x.created_at, x.outcome, \
             x.called_by, x.called_at, c.name AS customer_name \
             FROM incident_calls x JOIN customers c ON c.id = x.customer_id \
             WHERE x.incident_id = ",
            incident_id,
            customers,
            " ORDER BY x.customer_id",
        );
        let rows = qb
            .build()
            .fetch_all(self.db().await?)
            .await
            .map_err(err)?;
        rows.iter().map(call_from_row).collect()
    }
}
