// Service quality's counts, shared by both backends: `include!`d where `Db` and `SqlTx` are
// bound. Every count is `COUNT` (a bigint on both backends; PostgreSQL's `SUM` of a bigint
// is a numeric) over one index range (migration 0052).

use super::{Db, SqlTx};
use crate::convert::{err, id, ms, opt_ts, ts};
use jiff::Timestamp;
use sqlx::{QueryBuilder, Row};
use tripdesk_store::{BookingCounts, ClockCase, ClockCounts, QualityRepo, QualityScope, StoreError};

/// A count read back as the unsigned number it is.
fn count(row: &<Db as sqlx::Database>::Row, col: &str) -> Result<u64, StoreError> {
    let n: i64 = row.try_get(col).map_err(err)?;
    Ok(n.max(0) as u64)
}

/// `target_key IN (…) AND started_at` in the scope, with its channel, group and agent.
fn push_clock_scope<'a>(
    qb: &mut QueryBuilder<'a, Db>,
    scope: &'a QualityScope,
    targets: &[&str],
) {
    qb.push(" c.target_key IN (");
    let mut keys = qb.separated(", ");
    for k in targets {
        keys.push_bind(k.to_string());
    }
    keys.push_unseparated(")");
    qb.push(" AND c.started_at >= ")
        .push_bind(ms(scope.from))
        .push(" AND c.started_at < ")
        .push_bind(ms(scope.to));
    if let Some(ch) = &scope.channel {
        qb.push(" AND c.channel = ").push_bind(ch.clone());
    }
    if let Some(g) = scope.group {
        qb.push(" AND c.department_id = ").push_bind(g.to_string());
    }
    if let Some(a) = scope.agent {
        qb.push(" AND c.agent_id = ").push_bind(a.to_string());
    }
}

/// Breached as of `$now`: stored so, or running past its deadline.
fn breached(qb: &mut QueryBuilder<'_, Db>, now: Timestamp) {
    qb.push("(c.state = 'breached' OR (c.state = 'running' AND c.due_at <= ")
        .push_bind(ms(now))
        .push("))");
}

#[async_trait::async_trait]
impl QualityRepo for SqlTx {
    async fn quality_clock_counts(
        &mut self,
        scope: &QualityScope,
        targets: &[&str],
        now: Timestamp,
    ) -> Result<Vec<ClockCounts>, StoreError> {
        if targets.is_empty() {
            return Ok(Vec::new());
        }
        let mut qb: QueryBuilder<'_, Db> = QueryBuilder::new(
            "SELECT c.target_key AS target_key, \
             COUNT(CASE WHEN c.state = 'met' THEN 1 END) AS met, COUNT(CASE WHEN ",
        );
        breached(&mut qb, now);
        qb.push(" THEN 1 END) AS breached FROM sla_clocks c WHERE");
        push_clock_scope(&mut qb, scope, targets);
        qb.push(" GROUP BY c.target_key ORDER BY c.target_key");
        let rows = qb
            .build()
            .fetch_all(self.db().await?)
            .await
            .map_err(err)?;
        rows.iter()
            .map(|r| {
                Ok(ClockCounts {
                    target_key: r.try_get("target_key").map_err(err)?,
                    met: count(r, "met")?,
                    breached: count(r, "breached")?,
                })
            })
            .collect()
    }

    async fn quality_clock_cases(
        &mut self,
        scope: &QualityScope,
        targets: &[&str],
        now: Timestamp,
        limit: u32,
        offset: u64,
    ) -> Result<Vec<ClockCase>, StoreError> {
        if targets.is_empty() {
            return Ok(Vec::new());
        }
        let mut qb: QueryBuilder<'_, Db> = QueryBuilder::new(
            "SELECT c.id AS id, c.target_key AS target_key, c.subject_type AS subject_type, \
             c.subject_id AS subject_id, c.channel AS channel, c.started_at AS started_at, \
             c.due_at AS due_at, c.stopped_at AS stopped_at, \
             (SELECT t.number FROM tickets t WHERE c.subject_type = 'ticket' \
              AND t.id = c.subject_id) AS label, CASE WHEN ",
        );
        breached(&mut qb, now);
        qb.push(" THEN 'breached' ELSE 'met' END AS outcome FROM sla_clocks c WHERE");
        push_clock_scope(&mut qb, scope, targets);
        qb.push(" AND (c.state = 'met' OR ");
        breached(&mut qb, now);
        qb.push(") ORDER BY outcome, c.started_at DESC, c.id DESC LIMIT ")
            .push_bind(i64::from(limit))
            .push(" OFFSET ")
            .push_bind(i64::try_from(offset).unwrap_or(i64::MAX));
        let rows = qb
            .build()
            .fetch_all(self.db().await?)
            .await
            .map_err(err)?;
        rows.iter()
            .map(|r| {
                Ok(ClockCase {
                    id: id(&r.try_get::<String, _>("id").map_err(err)?)?,
                    target_key: r.try_get("target_key").map_err(err)?,
                    subject_type: r.try_get("subject_type").map_err(err)?,
                    subject_id: r.try_get("subject_id").map_err(err)?,
                    label: r.try_get("label").map_err(err)?,
                    channel: r.try_get("channel").map_err(err)?,
                    started_at: ts(r.try_get("started_at").map_err(err)?)?,
                    due_at: ts(r.try_get("due_at").map_err(err)?)?,
                    stopped_at: opt_ts(r.try_get("stopped_at").map_err(err)?)?,
                    outcome: r.try_get("outcome").map_err(err)?,
                })
            })
            .collect()
    }

    async fn quality_call_counts(
        &mut self,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<(u64, u64), StoreError> {
        let r = sqlx::query(
            "SELECT COUNT(*) AS offered, COUNT(answered_at) AS answered FROM calls \
             WHERE direction = 'inbound' AND started_at >= $1 AND started_at < $2",
        )
        .bind(ms(from))
        .bind(ms(to))
        .fetch_one(self.db().await?)
        .await
        .map_err(err)?;
        Ok((count(&r, "offered")?, count(&r, "answered")?))
    }

    async fn quality_complaints(
        &mut self,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<u64, StoreError> {
        let r = sqlx::query(
            "SELECT COUNT(*) AS n FROM tickets \
             WHERE kind = 'complaint' AND created_at >= $1 AND created_at < $2",
        )
        .bind(ms(from))
        .bind(ms(to))
        .fetch_one(self.db().await?)
        .await
        .map_err(err)?;
        count(&r, "n")
    }

    async fn quality_bookings(
        &mut self,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<BookingCounts, StoreError> {
        let r = sqlx::query(
            "SELECT COUNT(*) AS bookings, COUNT(DISTINCT b.customer_id) AS customers, \
             COUNT(DISTINCT CASE WHEN (SELECT COUNT(*) FROM bookings p \
               WHERE p.customer_id = b.customer_id AND p.confirmed_at IS NOT NULL \
               AND p.created_at < $2) >= 2 THEN b.customer_id END) AS repeat_customers \
             FROM bookings b \
             WHERE b.created_at >= $1 AND b.created_at < $2 AND b.confirmed_at IS NOT NULL",
        )
        .bind(ms(from))
        .bind(ms(to))
        .fetch_one(self.db().await?)
        .await
        .map_err(err)?;
        Ok(BookingCounts {
            bookings: count(&r, "bookings")?,
            customers: count(&r, "customers")?,
            returning: count(&r, "repeat_customers")?,
        })
    }

    async fn quality_new_customers(
        &mut self,
        from: Timestamp,
        to: Timestamp,
        source: &str,
    ) -> Result<(u64, u64), StoreError> {
        let r = sqlx::query(
            "SELECT COUNT(*) AS created, \
             COUNT(CASE WHEN source_channel = $3 THEN 1 END) AS by_source FROM customers \
             WHERE created_at >= $1 AND created_at < $2 AND merged_into IS NULL",
        )
        .bind(ms(from))
        .bind(ms(to))
        .bind(source)
        .fetch_one(self.db().await?)
        .await
        .map_err(err)?;
        Ok((count(&r, "created")?, count(&r, "by_source")?))
    }

    async fn quality_surveys(
        &mut self,
        scope: &QualityScope,
        satisfied_at: i64,
    ) -> Result<(u64, u64), StoreError> {
        let mut qb: QueryBuilder<'_, Db> = QueryBuilder::new(
            "SELECT COUNT(*) AS answered, COUNT(CASE WHEN s.satisfaction >= ",
        );
        qb.push_bind(satisfied_at)
            .push(" THEN 1 END) AS satisfied FROM surveys s")
            .push(if scope.channel.is_some() || scope.group.is_some() {
                " JOIN tickets t ON t.id = s.ticket_id"
            } else {
                ""
            })
            .push(" WHERE s.used_at IS NOT NULL AND s.satisfaction IS NOT NULL AND s.used_at >= ")
            .push_bind(ms(scope.from))
            .push(" AND s.used_at < ")
            .push_bind(ms(scope.to));
        if let Some(ch) = &scope.channel {
            qb.push(" AND t.channel = ").push_bind(ch.clone());
        }
        if let Some(g) = scope.group {
            qb.push(" AND t.group_id = ").push_bind(g.to_string());
        }
        if let Some(a) = scope.agent {
            qb.push(" AND s.agent_id = ").push_bind(a.to_string());
        }
        let r = qb
            .build()
            .fetch_one(self.db().await?)
            .await
            .map_err(err)?;
        Ok((count(&r, "answered")?, count(&r, "satisfied")?))
    }

    async fn record_heartbeat(
        &mut self,
        node: &str,
        minute: Timestamp,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO heartbeats (minute, node) VALUES ($1, $2) \
             ON CONFLICT (minute, node) DO NOTHING",
        )
        .bind(ms(minute))
        .bind(node)
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn record_heartbeats(
        &mut self,
        node: &str,
        minutes: &[Timestamp],
    ) -> Result<u64, StoreError> {
        let mut written = 0;
        for chunk in minutes.chunks(1000) {
            let mut qb: QueryBuilder<'_, Db> =
                QueryBuilder::new("INSERT INTO heartbeats (minute, node) ");
            qb.push_values(chunk, |mut b, m| {
                b.push_bind(ms(*m)).push_bind(node.to_string());
            });
            qb.push(" ON CONFLICT (minute, node) DO NOTHING");
            written += qb
                .build()
                .execute(self.db().await?)
                .await
                .map_err(err)?
                .rows_affected();
        }
        Ok(written)
    }

    async fn heartbeat_minutes(
        &mut self,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<u64, StoreError> {
        let r = sqlx::query(
            "SELECT COUNT(DISTINCT minute) AS n FROM heartbeats WHERE minute >= $1 AND minute < $2",
        )
        .bind(ms(from))
        .bind(ms(to))
        .fetch_one(self.db().await?)
        .await
        .map_err(err)?;
        count(&r, "n")
    }

    async fn first_heartbeat(&mut self) -> Result<Option<Timestamp>, StoreError> {
        let r = sqlx::query("SELECT MIN(minute) AS first FROM heartbeats")
            .fetch_one(self.db().await?)
            .await
            .map_err(err)?;
        opt_ts(r.try_get("first").map_err(err)?)
    }

    async fn public_kpis(&mut self) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query("SELECT kpi FROM quality_public_kpis ORDER BY kpi")
            .fetch_all(self.db().await?)
            .await
            .map_err(err)?;
        rows.iter()
            .map(|r| r.try_get("kpi").map_err(err))
            .collect()
    }

    async fn set_public_kpis(&mut self, keys: &[String], at: Timestamp) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM quality_public_kpis")
            .execute(self.db().await?)
            .await
            .map_err(err)?;
        for k in keys {
            sqlx::query(
                "INSERT INTO quality_public_kpis (kpi, updated_at) VALUES ($1, $2) \
                 ON CONFLICT (kpi) DO NOTHING",
            )
            .bind(k)
            .bind(ms(at))
            .execute(self.db().await?)
            .await
            .map_err(err)?;
        }
        Ok(())
    }
}
