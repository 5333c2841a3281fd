// The outbox repository (messages, claims, attempts, rate limits), shared by both backends:
// `include!`d where `Db`, `SqlTx`, `LOCK_SKIP` and `LOCK_ROW` are bound. The dialects differ
// only in row locking, which PostgreSQL needs (several nodes claim at once) and SQLite does not
// (its one writer runs claims one after another).

use super::{Db, SqlTx, LOCK_ROW, LOCK_SKIP};
use crate::convert::{err, id, ms, opt_id, opt_ts, ts};
use jiff::Timestamp;
use sqlx::{QueryBuilder, Row};
use tripdesk_store::{
    Attachment, AttemptOutcome, ClaimRequest, Claimed, DeliveryAttempt, FinishedAttempt,
    MessageFilter, MessageState, NewMessage, OutboxMessage, OutboxRepo, RateLimit, StateCounts,
    StoreError,
};
use uuid::Uuid;

const MESSAGE_COLUMNS: &str = "id, channel, recipient, customer_id, subject, body_text, \
    body_html, event, template_key, template_version, locale, related_type, related_id, \
    emergency, state, attempts, max_attempts, due_at, locked_by, last_error, receipt, \
    created_by, created_at, updated_at, sent_at, handset_state, handset_at, handset_error, \
    thread_references";

/// Rows per multi-row INSERT: 22 parameters each stays far below both engines' limits.
const ENQUEUE_CHUNK: usize = 500;

type DbRow = <Db as sqlx::Database>::Row;

fn message_from_row(row: &DbRow) -> Result<OutboxMessage, StoreError> {
    let state: String = row.try_get("state").map_err(err)?;
    Ok(OutboxMessage {
        id: id(&row.try_get::<String, _>("id").map_err(err)?)?,
        channel: row.try_get("channel").map_err(err)?,
        recipient: row.try_get("recipient").map_err(err)?,
        customer_id: opt_id(row.try_get("customer_id").map_err(err)?)?,
        subject: row.try_get("subject").map_err(err)?,
        body_text: row.try_get("body_text").map_err(err)?,
        body_html: row.try_get("body_html").map_err(err)?,
        event: row.try_get("event").map_err(err)?,
        template_key: row.try_get("template_key").map_err(err)?,
        template_version: row.try_get("template_version").map_err(err)?,
        locale: row.try_get("locale").map_err(err)?,
        related_type: row.try_get("related_type").map_err(err)?,
        related_id: row.try_get("related_id").map_err(err)?,
        emergency: row.try_get("emergency").map_err(err)?,
        state: MessageState::parse(&state)
            .ok_or_else(|| StoreError::Corrupt("unknown outbox state".into()))?,
        attempts: row.try_get("attempts").map_err(err)?,
        max_attempts: row.try_get("max_attempts").map_err(err)?,
        due_at: opt_ts(row.try_get("due_at").map_err(err)?)?,
        locked_by: row.try_get("locked_by").map_err(err)?,
        last_error: row.try_get("last_error").map_err(err)?,
        receipt: row.try_get("receipt").map_err(err)?,
        created_by: opt_id(row.try_get("created_by").map_err(err)?)?,
        created_at: ts(row.try_get("created_at").map_err(err)?)?,
        updated_at: ts(row.try_get("updated_at").map_err(err)?)?,
        sent_at: opt_ts(row.try_get("sent_at").map_err(err)?)?,
        handset_state: row
            .try_get::<Option<String>, _>("handset_state")
            .map_err(err)?
            .map(|s| {
                tripdesk_store::HandsetState::parse(&s)
                    .ok_or_else(|| StoreError::Corrupt("unknown handset state".into()))
            })
            .transpose()?,
        handset_at: opt_ts(row.try_get("handset_at").map_err(err)?)?,
        handset_error: row.try_get("handset_error").map_err(err)?,
        thread_references: row.try_get("thread_references").map_err(err)?,
    })
}

/// Whole tokens in a bucket after refilling it up to `now`, in thousandths.
fn refill(per_second: i64, burst: i64, tokens_milli: i64, refilled_at: i64, now: i64) -> i64 {
    let elapsed = (now - refilled_at).max(0);
    tokens_milli
        .saturating_add(elapsed.saturating_mul(per_second))
        .min(burst.saturating_mul(1000))
}

impl SqlTx {
    /// How many messages the channel's rate limit lets this claim take (`max` when none),
    /// and when the next token frees up if that is fewer than `max`.
    async fn rate_allowance(
        &mut self,
        channel: &str,
        now: i64,
        max: u32,
    ) -> Result<(u32, Option<(i64, i64, i64)>), StoreError> {
        let row = sqlx::query(&format!(
            "SELECT per_second, burst, tokens_milli, refilled_at FROM outbox_rate_limits \
             WHERE channel = $1{LOCK_ROW}"
        ))
        .bind(channel)
        .fetch_optional(self.db().await?)
        .await
        .map_err(err)?;
        let Some(row) = row else {
            return Ok((max, None));
        };
        let per_second: i64 = row.try_get("per_second").map_err(err)?;
        let burst: i64 = row.try_get("burst").map_err(err)?;
        let tokens = refill(
            per_second,
            burst,
            row.try_get("tokens_milli").map_err(err)?,
            row.try_get("refilled_at").map_err(err)?,
            now,
        );
        let whole = u32::try_from(tokens / 1000).unwrap_or(u32::MAX);
        Ok((whole.min(max), Some((per_second, burst, tokens))))
    }
}

#[async_trait::async_trait]
impl OutboxRepo for SqlTx {
    async fn enqueue(&mut self, messages: &[NewMessage]) -> Result<(), StoreError> {
        for chunk in messages.chunks(ENQUEUE_CHUNK) {
            let mut qb: QueryBuilder<'_, Db> = QueryBuilder::new(
                "INSERT INTO outbox_messages (id, channel, recipient, customer_id, subject, \
                 body_text, body_html, event, template_key, template_version, locale, \
                 related_type, related_id, emergency, state, attempts, max_attempts, due_at, \
                 created_by, created_at, updated_at, thread_references) ",
            );
            qb.push_values(chunk, |mut b, m| {
                b.push_bind(m.id.to_string())
                    .push_bind(m.channel.clone())
                    .push_bind(m.recipient.clone())
                    .push_bind(m.customer_id.map(|c| c.to_string()))
                    .push_bind(m.subject.clone())
                    .push_bind(m.body_text.clone())
                    .push_bind(m.body_html.clone())
                    .push_bind(m.event.clone())
                    .push_bind(m.template_key.clone())
                    .push_bind(m.template_version)
                    .push_bind(m.locale.clone())
                    .push_bind(m.related_type.clone())
                    .push_bind(m.related_id.clone())
                    .push_bind(m.emergency)
                    .push_bind("queued")
                    .push_bind(0_i64)
                    .push_bind(m.max_attempts)
                    .push_bind(ms(m.due_at))
                    .push_bind(m.created_by.map(|c| c.to_string()))
                    .push_bind(ms(m.created_at))
                    .push_bind(ms(m.created_at))
                    .push_bind(m.thread_references.clone());
            });
            qb.build().execute(self.db().await?).await.map_err(err)?;
        }
        for m in messages.iter().filter(|m| !m.attachments.is_empty()) {
            for (position, a) in m.attachments.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO outbox_attachments (id, message_id, position, filename, \
                     content_type, content) VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(Uuid::now_v7().to_string())
                .bind(m.id.to_string())
                .bind(position as i64)
                .bind(&a.filename)
                .bind(&a.content_type)
                .bind(&a.content)
                .execute(self.db().await?)
                .await
                .map_err(err)?;
            }
        }
        if !messages.is_empty() {
            self.note_signal(tripdesk_store::signal::Topic::Outbox, None);
        }
        Ok(())
    }

    async fn claim_due(&mut self, request: &ClaimRequest) -> Result<Claimed, StoreError> {
        let now = ms(request.now);
        let (allowed, bucket) = self
            .rate_allowance(&request.channel, now, request.max)
            .await?;
        let mut claimed = Claimed::default();
        if allowed > 0 {
            let rows = sqlx::query(&format!(
                "UPDATE outbox_messages SET state = 'sending', attempts = attempts + 1, \
                 due_at = $1, locked_by = $2, updated_at = $3 \
                 WHERE id IN (SELECT id FROM outbox_messages WHERE channel = $4 \
                 AND due_at <= $3 ORDER BY due_at, id LIMIT $5{LOCK_SKIP}) \
                 RETURNING {MESSAGE_COLUMNS}"
            ))
            .bind(ms(request.lease_until))
            .bind(&request.worker)
            .bind(now)
            .bind(&request.channel)
            .bind(i64::from(allowed))
            .fetch_all(self.db().await?)
            .await
            .map_err(err)?;
            claimed.messages = rows
                .iter()
                .map(message_from_row)
                .collect::<Result<_, _>>()?;
            claimed.messages.sort_by_key(|m| (m.due_at, m.id));
        }
        if let Some((per_second, _burst, tokens)) = bucket {
            let left = tokens - 1000 * claimed.messages.len() as i64;
            sqlx::query(
                "UPDATE outbox_rate_limits SET tokens_milli = $2, refilled_at = $3 \
                 WHERE channel = $1",
            )
            .bind(&request.channel)
            .bind(left)
            .bind(now)
            .execute(self.db().await?)
            .await
            .map_err(err)?;
            if allowed < request.max && left < 1000 && per_second > 0 {
                let wait_ms = (1000 - left + per_second - 1) / per_second;
                claimed.throttled_until = Some(ts(now + wait_ms.max(1))?);
            }
        }
        Ok(claimed)
    }

    async fn finish_attempt(&mut self, attempt: &FinishedAttempt) -> Result<bool, StoreError> {
        let now = ms(attempt.finished_at);
        let (state, due_at, error, receipt, sent_at) = match &attempt.outcome {
            AttemptOutcome::Sent { receipt } => ("sent", None, None, Some(receipt), Some(now)),
            AttemptOutcome::Retry { error, retry_at }
            | AttemptOutcome::Throttled { error, retry_at } => {
                ("retrying", Some(ms(*retry_at)), Some(error), None, None)
            }
            AttemptOutcome::Dead { error } => ("dead", None, Some(error), None, None),
        };
        // A throttled attempt gives its count back (as a released claim does).
        let uncounted = i64::from(matches!(attempt.outcome, AttemptOutcome::Throttled { .. }));
        let row = sqlx::query(
            "UPDATE outbox_messages SET state = $3, due_at = $4, locked_by = NULL, \
             last_error = COALESCE($5, last_error), receipt = $6, sent_at = $7, updated_at = $8, \
             attempts = attempts - $9 \
             WHERE id = $1 AND state = 'sending' AND locked_by = $2 RETURNING attempts",
        )
        .bind(attempt.message_id.to_string())
        .bind(&attempt.worker)
        .bind(state)
        .bind(due_at)
        .bind(error)
        .bind(receipt)
        .bind(sent_at)
        .bind(now)
        .bind(uncounted)
        .fetch_optional(self.db().await?)
        .await
        .map_err(err)?;
        let Some(row) = row else {
            return Ok(false);
        };
        let number: i64 = row.try_get::<i64, _>("attempts").map_err(err)? + uncounted;
        let outcome = match state {
            "retrying" => "retry",
            other => other,
        };
        sqlx::query(
            "INSERT INTO outbox_attempts (id, message_id, attempt, outcome, worker, error, \
             receipt, started_at, finished_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(Uuid::now_v7().to_string())
        .bind(attempt.message_id.to_string())
        .bind(number)
        .bind(outcome)
        .bind(&attempt.worker)
        .bind(error)
        .bind(receipt)
        .bind(ms(attempt.started_at))
        .bind(now)
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        Ok(true)
    }

    async fn release_claims(
        &mut self,
        worker: &str,
        ids: &[Uuid],
        now: Timestamp,
    ) -> Result<u64, StoreError> {
        if ids.is_empty() {
            return Ok(0);
        }
        let mut qb: QueryBuilder<'_, Db> = QueryBuilder::new(
            "UPDATE outbox_messages SET state = CASE WHEN attempts > 1 THEN 'retrying' \
             ELSE 'queued' END, attempts = attempts - 1, locked_by = NULL, due_at = ",
        );
        qb.push_bind(ms(now))
            .push(", updated_at = ")
            .push_bind(ms(now))
            .push(" WHERE state = 'sending' AND locked_by = ")
            .push_bind(worker.to_string())
            .push(" AND id IN (");
        let mut list = qb.separated(", ");
        for id in ids {
            list.push_bind(id.to_string());
        }
        qb.push(")");
        let done = qb.build().execute(self.db().await?).await.map_err(err)?;
        Ok(done.rows_affected())
    }

    async fn requeue_dead(
        &mut self,
        message_id: Uuid,
        more_attempts: i64,
        by: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let row = sqlx::query(
            "UPDATE outbox_messages SET state = 'queued', due_at = $2, \
             max_attempts = attempts + $3, updated_at = $2 \
             WHERE id = $1 AND state = 'dead' RETURNING attempts",
        )
        .bind(message_id.to_string())
        .bind(ms(now))
        .bind(more_attempts)
        .fetch_optional(self.db().await?)
        .await
        .map_err(err)?;
        let Some(row) = row else {
            return Ok(false);
        };
        let number: i64 = row.try_get("attempts").map_err(err)?;
        sqlx::query(
            "INSERT INTO outbox_attempts (id, message_id, attempt, outcome, worker, error, \
             receipt, started_at, finished_at) VALUES ($1, $2, $3, 'requeued', $4, NULL, NULL, $5, $5)",
        )
        .bind(Uuid::now_v7().to_string())
        .bind(message_id.to_string())
        .bind(number)
        .bind(by)
        .bind(ms(now))
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        self.note_signal(tripdesk_store::signal::Topic::Outbox, None);
        Ok(true)
    }

    async fn next_due_at(&mut self, channels: &[String]) -> Result<Option<Timestamp>, StoreError> {
        if channels.is_empty() {
            return Ok(None);
        }
        let mut qb: QueryBuilder<'_, Db> = QueryBuilder::new(
            "SELECT MIN(due_at) AS next_due FROM outbox_messages WHERE due_at IS NOT NULL AND channel IN (",
        );
        let mut list = qb.separated(", ");
        for c in channels {
            list.push_bind(c.clone());
        }
        qb.push(")");
        let row = qb.build().fetch_one(self.db().await?).await.map_err(err)?;
        opt_ts(row.try_get("next_due").map_err(err)?)
    }

    async fn get_message(&mut self, message_id: Uuid) -> Result<Option<OutboxMessage>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM outbox_messages WHERE id = $1"
        ))
        .bind(message_id.to_string())
        .fetch_optional(self.db().await?)
        .await
        .map_err(err)?;
        row.as_ref().map(message_from_row).transpose()
    }

    async fn list_messages(
        &mut self,
        filter: &MessageFilter,
    ) -> Result<Vec<OutboxMessage>, StoreError> {
        let mut qb: QueryBuilder<'_, Db> = QueryBuilder::new(format!(
            "SELECT {MESSAGE_COLUMNS} FROM outbox_messages WHERE 1=1"
        ));
        if let Some(state) = filter.state {
            qb.push(" AND state = ").push_bind(state.as_str());
        }
        if let Some(channel) = &filter.channel {
            qb.push(" AND channel = ").push_bind(channel.clone());
        }
        if let Some(recipient) = &filter.recipient {
            qb.push(" AND recipient = ").push_bind(recipient.clone());
        }
        if let Some(customer) = filter.customer_id {
            qb.push(" AND customer_id = ").push_bind(customer.to_string());
        }
        if let Some(related_type) = &filter.related_type {
            qb.push(" AND related_type = ").push_bind(related_type.clone());
        }
        if let Some(related_id) = &filter.related_id {
            qb.push(" AND related_id = ").push_bind(related_id.clone());
        }
        if let Some(by) = filter.created_by {
            qb.push(" AND created_by = ").push_bind(by.to_string());
        }
        if let Some(before) = filter.before {
            qb.push(" AND id < ").push_bind(before.to_string());
        }
        qb.push(" ORDER BY id DESC LIMIT ")
            .push_bind(i64::from(filter.limit.clamp(1, 1000)));
        let rows = qb.build().fetch_all(self.db().await?).await.map_err(err)?;
        rows.iter().map(message_from_row).collect()
    }

    async fn count_messages_by_state(&mut self) -> Result<StateCounts, StoreError> {
        let rows = sqlx::query("SELECT state, COUNT(*) AS n FROM outbox_messages GROUP BY state")
            .fetch_all(self.db().await?)
            .await
            .map_err(err)?;
        let mut counts = StateCounts::default();
        for row in rows {
            let state: String = row.try_get("state").map_err(err)?;
            let n: i64 = row.try_get("n").map_err(err)?;
            let n = n.max(0) as u64;
            match MessageState::parse(&state) {
                Some(MessageState::Queued) => counts.queued = n,
                Some(MessageState::Sending) => counts.sending = n,
                Some(MessageState::Retrying) => counts.retrying = n,
                Some(MessageState::Sent) => counts.sent = n,
                Some(MessageState::Dead) => counts.dead = n,
                None => return Err(StoreError::Corrupt("unknown outbox state".into())),
            }
        }
        Ok(counts)
    }

    async fn list_attempts(
        &mut self,
        message_id: Uuid,
    ) -> Result<Vec<DeliveryAttempt>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, message_id, attempt, outcome, worker, error, receipt, started_at, \
             finished_at FROM outbox_attempts WHERE message_id = $1 ORDER BY finished_at, id",
        )
        .bind(message_id.to_string())
        .fetch_all(self.db().await?)
        .await
        .map_err(err)?;
        rows.iter()
            .map(|row| {
                Ok(DeliveryAttempt {
                    id: id(&row.try_get::<String, _>("id").map_err(err)?)?,
                    message_id: id(&row.try_get::<String, _>("message_id").map_err(err)?)?,
                    attempt: row.try_get("attempt").map_err(err)?,
                    outcome: row.try_get("outcome").map_err(err)?,
                    worker: row.try_get("worker").map_err(err)?,
                    error: row.try_get("error").map_err(err)?,
                    receipt: row.try_get("receipt").map_err(err)?,
                    started_at: ts(row.try_get("started_at").map_err(err)?)?,
                    finished_at: ts(row.try_get("finished_at").map_err(err)?)?,
                })
            })
            .collect()
    }

    async fn list_attachments(&mut self, message_id: Uuid) -> Result<Vec<Attachment>, StoreError> {
        let rows = sqlx::query(
            "SELECT filename, content_type, content FROM outbox_attachments \
             WHERE message_id = $1 ORDER BY position",
        )
        .bind(message_id.to_string())
        .fetch_all(self.db().await?)
        .await
        .map_err(err)?;
        rows.iter()
            .map(|row| {
                Ok(Attachment {
                    filename: row.try_get("filename").map_err(err)?,
                    content_type: row.try_get("content_type").map_err(err)?,
                    content: row.try_get("content").map_err(err)?,
                })
            })
            .collect()
    }

    async fn set_rate_limit(&mut self, limit: &RateLimit, now: Timestamp) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO outbox_rate_limits (channel, per_second, burst, tokens_milli, refilled_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (channel) DO UPDATE SET \
             per_second = excluded.per_second, burst = excluded.burst, \
             tokens_milli = excluded.tokens_milli, refilled_at = excluded.refilled_at",
        )
        .bind(&limit.channel)
        .bind(limit.per_second)
        .bind(limit.burst)
        .bind(limit.burst.saturating_mul(1000))
        .bind(ms(now))
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        Ok(())
    }

    async fn remove_rate_limit(&mut self, channel: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM outbox_rate_limits WHERE channel = $1")
            .bind(channel)
            .execute(self.db().await?)
            .await
            .map_err(err)?;
        Ok(done.rows_affected() > 0)
    }

    async fn list_rate_limits(&mut self) -> Result<Vec<RateLimit>, StoreError> {
        let rows = sqlx::query(
            "SELECT channel, per_second, burst FROM outbox_rate_limits ORDER BY channel",
        )
        .fetch_all(self.db().await?)
        .await
        .map_err(err)?;
        rows.iter()
            .map(|row| {
                Ok(RateLimit {
                    channel: row.try_get("channel").map_err(err)?,
                    per_second: row.try_get("per_second").map_err(err)?,
                    burst: row.try_get("burst").map_err(err)?,
                })
            })
            .collect()
    }

}
