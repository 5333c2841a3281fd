// Service quality's counts, shared by both backends: `include!`d where `Db` and `SqlTx` are
// bound. Every count is `COUNT` (a bigint on both backends; PostgreSQL's `SUM` of a bigint
// is a numeric, so sums are cast) over one index range (migration 0052). The large ones —
// clock outcomes, complaints, minutes up — read the hourly rollup the triggers of migration
// 0060 keep for whole hours, and count the partial hours at a period's edges from the
// records (any time zone's day boundaries).

use super::{Db, SqlTx};
use crate::convert::{err, id, ms, opt_ts, ts};
use jiff::Timestamp;
use sqlx::{QueryBuilder, Row};
use std::collections::BTreeMap;
use tripdesk_store::{BookingCounts, ClockCase, ClockCounts, QualityRepo, QualityScope, StoreError};

/// The rollup's bucket: an hour, in milliseconds (`hour = instant / HOUR_MS`).
const HOUR_MS: i64 = 3_600_000;

/// A count read back as the unsigned number it is.
fn count(row: &<Db as sqlx::Database>::Row, col: &str) -> Result<u64, StoreError> {
    let n: i64 = row.try_get(col).map_err(err)?;
    Ok(n.max(0) as u64)
}

/// `[from, to)` (milliseconds) cut at whole hours: the whole hours inside it (as hour
/// numbers `[first, end)`, when there is one) and the partial ranges around them, counted
/// from the records; without a whole hour, the range itself is the one partial range.
#[derive(Debug, Clone, PartialEq, Eq)]
struct HourCut {
    whole: Option<(i64, i64)>,
    partial: Vec<(i64, i64)>,
}

impl HourCut {
    fn of(from: i64, to: i64) -> Self {
        let first = from.div_euclid(HOUR_MS) + i64::from(from.rem_euclid(HOUR_MS) != 0);
        let end = to.div_euclid(HOUR_MS);
        if first >= end {
            return Self {
                whole: None,
                partial: if from < to { vec![(from, to)] } else { Vec::new() },
            };
        }
        let partial = [(from, first * HOUR_MS), (end * HOUR_MS, to)]
            .into_iter()
            .filter(|(a, b)| a < b)
            .collect();
        Self {
            whole: Some((first, end)),
            partial,
        }
    }
}

/// The rollup row set a scope reads: everything, or its one dimension. `None` when it has
/// two or more (those are counted from the records).
fn rollup_dimension(scope: &QualityScope) -> Option<(&'static str, String)> {
    match (&scope.channel, scope.group, scope.agent) {
        (None, None, None) => Some(("", String::new())),
        (Some(ch), None, None) => Some(("channel", ch.clone())),
        (None, Some(g), None) => Some(("group", g.to_string())),
        (None, None, Some(a)) => Some(("agent", a.to_string())),
        _ => None,
    }
}

/// `target_key IN (…) AND started_at` in `[from, to)`, with the scope's channel, group and
/// agent.
fn push_clock_scope<'a>(
    qb: &mut QueryBuilder<'a, Db>,
    scope: &'a QualityScope,
    targets: &[&str],
    (from, to): (i64, i64),
) {
    qb.push(" c.target_key IN (");
    let mut keys = qb.separated(", ");
    for k in targets {
        keys.push_bind(k.to_string());
    }
    keys.push_unseparated(")");
    qb.push(" AND c.started_at >= ")
        .push_bind(from)
        .push(" AND c.started_at < ")
        .push_bind(to);
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

/// Met and breached clocks per target, added up from several reads.
type ClockSums = BTreeMap<String, (u64, u64)>;

impl SqlTx {
    /// Met and breached (as of `now`) clocks per target started in `range`, from the
    /// clocks themselves.
    async fn clock_counts_of_records(
        &mut self,
        scope: &QualityScope,
        targets: &[&str],
        now: Timestamp,
        range: (i64, i64),
        sums: &mut ClockSums,
    ) -> Result<(), StoreError> {
        let mut qb: QueryBuilder<'_, Db> = QueryBuilder::new(
            "SELECT c.target_key AS target_key, \
             COUNT(CASE WHEN c.state = 'met' THEN 1 END) AS met, COUNT(CASE WHEN ",
        );
        breached(&mut qb, now);
        qb.push(" THEN 1 END) AS breached FROM sla_clocks c WHERE");
        push_clock_scope(&mut qb, scope, targets, range);
        qb.push(" GROUP BY c.target_key");
        for r in qb.build().fetch_all(self.db().await?).await.map_err(err)? {
            let sum = sums.entry(r.try_get("target_key").map_err(err)?).or_default();
            sum.0 += count(&r, "met")?;
            sum.1 += count(&r, "breached")?;
        }
        Ok(())
    }

    /// Met and breached clocks per target started in the whole hours `[first, end)`: the
    /// stored outcomes from the rollup, and the clocks still running past their deadline
    /// at `now` from the records (through the index of running clocks).
    async fn clock_counts_of_hours(
        &mut self,
        scope: &QualityScope,
        (dim, val): (&'static str, String),
        targets: &[&str],
        now: Timestamp,
        (first, end): (i64, i64),
        sums: &mut ClockSums,
    ) -> Result<(), StoreError> {
        let mut qb: QueryBuilder<'_, Db> = QueryBuilder::new(
            "SELECT metric, target, CAST(SUM(n) AS BIGINT) AS n FROM quality_hours \
             WHERE metric IN ('met', 'breached') AND target IN (",
        );
        let mut keys = qb.separated(", ");
        for k in targets {
            keys.push_bind(k.to_string());
        }
        keys.push_unseparated(")");
        qb.push(" AND dim = ")
            .push_bind(dim)
            .push(" AND val = ")
            .push_bind(val)
            .push(" AND hour >= ")
            .push_bind(first)
            .push(" AND hour < ")
            .push_bind(end)
            .push(" GROUP BY metric, target");
        for r in qb.build().fetch_all(self.db().await?).await.map_err(err)? {
            let metric: String = r.try_get("metric").map_err(err)?;
            let sum = sums.entry(r.try_get("target").map_err(err)?).or_default();
            let n = count(&r, "n")?;
            if metric == "met" {
                sum.0 += n;
            } else {
                sum.1 += n;
            }
        }
        let mut qb: QueryBuilder<'_, Db> = QueryBuilder::new(
            "SELECT c.target_key AS target_key, COUNT(*) AS n FROM sla_clocks c \
             WHERE c.state = 'running' AND c.due_at <= ",
        );
        qb.push_bind(ms(now)).push(" AND");
        push_clock_scope(&mut qb, scope, targets, (first * HOUR_MS, end * HOUR_MS));
        qb.push(" GROUP BY c.target_key");
        for r in qb.build().fetch_all(self.db().await?).await.map_err(err)? {
            let sum = sums.entry(r.try_get("target_key").map_err(err)?).or_default();
            sum.1 += count(&r, "n")?;
        }
        Ok(())
    }

    /// The rollup's total of `metric` (everything, no dimension) over the whole hours
    /// `[first, end)`.
    async fn rolled_up(&mut self, metric: &str, (first, end): (i64, i64)) -> Result<u64, StoreError> {
        let r = sqlx::query(
            "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) AS n FROM quality_hours \
             WHERE metric = $1 AND target = '' AND dim = '' AND val = '' \
             AND hour >= $2 AND hour < $3",
        )
        .bind(metric)
        .bind(first)
        .bind(end)
        .fetch_one(self.db().await?)
        .await
        .map_err(err)?;
        count(&r, "n")
    }

    /// A `SELECT COUNT(*) AS n … WHERE … >= $1 AND … < $2` over each partial range, added up.
    async fn count_partial(&mut self, sql: &str, cut: &HourCut) -> Result<u64, StoreError> {
        let mut n = 0;
        for (from, to) in &cut.partial {
            let r = sqlx::query(sql)
                .bind(from)
                .bind(to)
                .fetch_one(self.db().await?)
                .await
                .map_err(err)?;
            n += count(&r, "n")?;
        }
        Ok(n)
    }
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
        let mut sums = ClockSums::new();
        let cut = HourCut::of(ms(scope.from), ms(scope.to));
        match (cut.whole, rollup_dimension(scope)) {
            (Some(hours), Some(dim)) => {
                for range in &cut.partial {
                    self.clock_counts_of_records(scope, targets, now, *range, &mut sums)
                        .await?;
                }
                self.clock_counts_of_hours(scope, dim, targets, now, hours, &mut sums)
                    .await?;
            }
            _ => {
                let range = (ms(scope.from), ms(scope.to));
                self.clock_counts_of_records(scope, targets, now, range, &mut sums)
                    .await?;
            }
        }
        Ok(sums
            .into_iter()
            .filter(|(_, (met, breached))| met + breached > 0)
            .map(|(target_key, (met, breached))| ClockCounts {
                target_key,
                met,
                breached,
            })
            .collect())
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
        push_clock_scope(&mut qb, scope, targets, (ms(scope.from), ms(scope.to)));
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
        let cut = HourCut::of(ms(from), ms(to));
        let mut n = self
            .count_partial(
                "SELECT COUNT(*) AS n FROM tickets \
                 WHERE kind = 'complaint' AND created_at >= $1 AND created_at < $2",
                &cut,
            )
            .await?;
        if let Some(hours) = cut.whole {
            n += self.rolled_up("complaint", hours).await?;
        }
        Ok(n)
    }

    async fn quality_bookings(
        &mut self,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<BookingCounts, StoreError> {
        // Per customer of the period: their bookings in it, and whether they are returning —
        // two in the period, or one confirmed before it (together: two created before its
        // end). One seek per customer on the covering index of migration 0061.
        let r = sqlx::query(
            "SELECT CAST(COALESCE(SUM(g.n), 0) AS BIGINT) AS bookings, COUNT(*) AS customers, \
             COUNT(CASE WHEN g.n >= 2 OR EXISTS (SELECT 1 FROM bookings p \
               WHERE p.customer_id = g.customer_id AND p.confirmed_at IS NOT NULL \
               AND p.created_at < $1) THEN 1 END) AS repeat_customers \
             FROM (SELECT b.customer_id AS customer_id, COUNT(*) AS n FROM bookings b \
               WHERE b.created_at >= $1 AND b.created_at < $2 AND b.confirmed_at IS NOT NULL \
               GROUP BY b.customer_id) g",
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
        let cut = HourCut::of(ms(from), ms(to));
        let mut n = self
            .count_partial(
                "SELECT COUNT(*) AS n FROM uptime_minutes WHERE minute >= $1 AND minute < $2",
                &cut,
            )
            .await?;
        if let Some(hours) = cut.whole {
            n += self.rolled_up("uptime", hours).await?;
        }
        Ok(n)
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

#[cfg(test)]
mod hour_cut_tests {
    use super::{HourCut, HOUR_MS};

    #[test]
    fn a_range_is_cut_into_whole_hours_and_the_partial_ones_around_them() {
        let h = HOUR_MS;
        // China's day: 16:00 UTC to 16:00 UTC, whole hours only.
        assert_eq!(
            HourCut::of(16 * h, 40 * h),
            HourCut { whole: Some((16, 40)), partial: vec![] }
        );
        // Half-hour zones and heartbeat minutes: partial edges on both sides.
        assert_eq!(
            HourCut::of(16 * h + 1_800_000, 40 * h + 60_000),
            HourCut {
                whole: Some((17, 40)),
                partial: vec![(16 * h + 1_800_000, 17 * h), (40 * h, 40 * h + 60_000)]
            }
        );
        // Less than a whole hour, or across one boundary without a whole hour between.
        assert_eq!(
            HourCut::of(h + 5, 2 * h + 5),
            HourCut { whole: None, partial: vec![(h + 5, 2 * h + 5)] }
        );
        assert_eq!(HourCut::of(5, 5), HourCut { whole: None, partial: vec![] });
        // Before 1970 the hours still floor.
        assert_eq!(
            HourCut::of(-h - 1, h),
            HourCut { whole: Some((-1, 1)), partial: vec![(-h - 1, -h)] }
        );
    }
}
