// SLA repository, shared by both backends: `include!`d where `Db`, `SqlTx` and
// `CLAIM_LOCK` (the row-locking clause for claiming due clocks) are bound.
// (This file is not a module of its own; see the crate documentation.)

use super::{Db, SqlTx, CLAIM_LOCK};
use super::shared_rows::Insert;
use tripdesk_store::signal::Topic;
use crate::convert::{err, id, ms, opt_id, opt_ms, opt_ts, ts};
use jiff::{SignedDuration, Timestamp};
use sqlx::{QueryBuilder, Row};
use std::borrow::Cow;
use tripdesk_domain::identity::Role;
use tripdesk_domain::sla::{ClockKind, ClockState, SlaClock, SlaClockParts, SlaTarget};
use tripdesk_store::{
    SlaClockFilter, SlaClockRecord, SlaEventFilter, SlaEventKind, SlaEventRecord, SlaPolicy,
    SlaRepo, StoreError,
};
use uuid::Uuid;

const POLICY_COLUMNS: &str = "key, name_zh, name_en, kind, amount, earliest, calendar, \
    warn_at_percent, pause_when, notify_warning, notify_breach, enabled, updated_at";

pub(super) const CLOCK_COLUMNS: &str = "id, target_key, subject_type, subject_id, channel, department_id, \
    agent_id, kind, calendar, state, started_at, due_at, warn_at, opens_at, paused_at, \
    paused_total_ms, warned, breached_at, stopped_at, last_change_at, next_due_at, version, \
    created_at, provisional";

pub(super) const EVENT_COLUMNS: &str =
    "id, clock_id, kind, at, recorded_at, node, target_key, subject_type, subject_id";

fn list_text(items: impl IntoIterator<Item = impl AsRef<str>>) -> String {
    items
        .into_iter()
        .map(|s| s.as_ref().to_string())
        .collect::<Vec<_>>()
        .join(",")
}

fn text_list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

fn roles(text: &str) -> Result<Vec<Role>, StoreError> {
    text_list(text)
        .iter()
        .map(|r| {
            r.parse()
                .map_err(|_| StoreError::Corrupt("unknown role in an SLA policy".into()))
        })
        .collect()
}

fn kind(text: &str) -> Result<ClockKind, StoreError> {
    ClockKind::parse(text).ok_or_else(|| StoreError::Corrupt("unknown SLA clock kind".into()))
}

fn policy_from_row(row: &<Db as sqlx::Database>::Row) -> Result<SlaPolicy, StoreError> {
    let amount: i64 = row.try_get("amount").map_err(err)?;
    let earliest: Option<i64> = row.try_get("earliest").map_err(err)?;
    let warn: i64 = row.try_get("warn_at_percent").map_err(err)?;
    let enabled: i64 = row.try_get("enabled").map_err(err)?;
    let bad = |_| StoreError::Corrupt("SLA policy figure out of range".into());
    Ok(SlaPolicy {
        target: SlaTarget {
            key: Cow::Owned(row.try_get("key").map_err(err)?),
            name_zh: Cow::Owned(row.try_get("name_zh").map_err(err)?),
            name_en: Cow::Owned(row.try_get("name_en").map_err(err)?),
            kind: kind(&row.try_get::<String, _>("kind").map_err(err)?)?,
            amount: u32::try_from(amount).map_err(bad)?,
            earliest: earliest.map(u32::try_from).transpose().map_err(bad)?,
            calendar: Cow::Owned(row.try_get("calendar").map_err(err)?),
            warn_at_percent: u8::try_from(warn).map_err(bad)?,
        },
        pause_when: text_list(&row.try_get::<String, _>("pause_when").map_err(err)?),
        notify_warning: roles(&row.try_get::<String, _>("notify_warning").map_err(err)?)?,
        notify_breach: roles(&row.try_get::<String, _>("notify_breach").map_err(err)?)?,
        enabled: enabled != 0,
        updated_at: ts(row.try_get("updated_at").map_err(err)?)?,
    })
}

pub(super) fn clock_from_row(row: &<Db as sqlx::Database>::Row) -> Result<SlaClockRecord, StoreError> {
    let state: String = row.try_get("state").map_err(err)?;
    let warned: i64 = row.try_get("warned").map_err(err)?;
    let paused_ms: i64 = row.try_get("paused_total_ms").map_err(err)?;
    let parts = SlaClockParts {
        target_key: row.try_get("target_key").map_err(err)?,
        kind: kind(&row.try_get::<String, _>("kind").map_err(err)?)?,
        calendar: row.try_get("calendar").map_err(err)?,
        state: ClockState::parse(&state)
            .ok_or_else(|| StoreError::Corrupt("unknown SLA clock state".into()))?,
        started_at: ts(row.try_get("started_at").map_err(err)?)?,
        due_at: ts(row.try_get("due_at").map_err(err)?)?,
        warn_at: opt_ts(row.try_get("warn_at").map_err(err)?)?,
        opens_at: opt_ts(row.try_get("opens_at").map_err(err)?)?,
        paused_at: opt_ts(row.try_get("paused_at").map_err(err)?)?,
        paused_total: SignedDuration::from_millis(paused_ms),
        warned: warned != 0,
        breached_at: opt_ts(row.try_get("breached_at").map_err(err)?)?,
        stopped_at: opt_ts(row.try_get("stopped_at").map_err(err)?)?,
        last_change_at: ts(row.try_get("last_change_at").map_err(err)?)?,
        provisional: row.try_get::<i64, _>("provisional").map_err(err)? != 0,
    };
    Ok(SlaClockRecord {
        id: id(&row.try_get::<String, _>("id").map_err(err)?)?,
        subject_type: row.try_get("subject_type").map_err(err)?,
        subject_id: row.try_get("subject_id").map_err(err)?,
        channel: row.try_get("channel").map_err(err)?,
        department_id: opt_id(row.try_get("department_id").map_err(err)?)?,
        agent_id: opt_id(row.try_get("agent_id").map_err(err)?)?,
        clock: SlaClock::from_parts(parts),
        version: row.try_get("version").map_err(err)?,
        created_at: ts(row.try_get("created_at").map_err(err)?)?,
    })
}

pub(super) fn event_from_row(row: &<Db as sqlx::Database>::Row) -> Result<SlaEventRecord, StoreError> {
    let kind: String = row.try_get("kind").map_err(err)?;
    Ok(SlaEventRecord {
        id: id(&row.try_get::<String, _>("id").map_err(err)?)?,
        clock_id: id(&row.try_get::<String, _>("clock_id").map_err(err)?)?,
        kind: SlaEventKind::parse(&kind)
            .ok_or_else(|| StoreError::Corrupt("unknown SLA event kind".into()))?,
        at: ts(row.try_get("at").map_err(err)?)?,
        recorded_at: ts(row.try_get("recorded_at").map_err(err)?)?,
        node: row.try_get("node").map_err(err)?,
        target_key: row.try_get("target_key").map_err(err)?,
        subject_type: row.try_get("subject_type").map_err(err)?,
        subject_id: row.try_get("subject_id").map_err(err)?,
    })
}

/// A clock as the values of its columns, in `CLOCK_COLUMNS` order.
struct ClockValues {
    id: String,
    target_key: String,
    subject_type: String,
    subject_id: String,
    channel: Option<String>,
    department_id: Option<String>,
    agent_id: Option<String>,
    kind: &'static str,
    calendar: String,
    state: &'static str,
    started_at: i64,
    due_at: i64,
    warn_at: Option<i64>,
    opens_at: Option<i64>,
    paused_at: Option<i64>,
    paused_total_ms: i64,
    warned: i64,
    breached_at: Option<i64>,
    stopped_at: Option<i64>,
    last_change_at: i64,
    next_due_at: Option<i64>,
    version: i64,
    created_at: i64,
    provisional: i64,
}

impl ClockValues {
    fn of(r: &SlaClockRecord) -> Self {
        let c = r.clock.to_parts();
        Self {
            id: r.id.to_string(),
            target_key: c.target_key,
            subject_type: r.subject_type.clone(),
            subject_id: r.subject_id.clone(),
            channel: r.channel.clone(),
            department_id: r.department_id.map(|d| d.to_string()),
            agent_id: r.agent_id.map(|a| a.to_string()),
            kind: c.kind.as_str(),
            calendar: c.calendar,
            state: c.state.as_str(),
            started_at: ms(c.started_at),
            due_at: ms(c.due_at),
            warn_at: opt_ms(c.warn_at),
            opens_at: opt_ms(c.opens_at),
            paused_at: opt_ms(c.paused_at),
            paused_total_ms: i64::try_from(c.paused_total.as_millis()).unwrap_or(i64::MAX),
            warned: i64::from(c.warned),
            breached_at: opt_ms(c.breached_at),
            stopped_at: opt_ms(c.stopped_at),
            last_change_at: ms(c.last_change_at),
            next_due_at: opt_ms(r.next_due_at()),
            version: r.version,
            created_at: ms(r.created_at),
            provisional: i64::from(c.provisional),
        }
    }
}

impl ClockValues {
    /// The values as a row of `CLOCK_COLUMNS`, in their order.
    fn row(self) -> Insert {
        let v = self;
        Insert::new("sla_clocks", CLOCK_COLUMNS)
            .val(v.id)
            .val(v.target_key)
            .val(v.subject_type)
            .val(v.subject_id)
            .val(v.channel)
            .val(v.department_id)
            .val(v.agent_id)
            .val(v.kind)
            .val(v.calendar)
            .val(v.state)
            .val(v.started_at)
            .val(v.due_at)
            .val(v.warn_at)
            .val(v.opens_at)
            .val(v.paused_at)
            .val(v.paused_total_ms)
            .val(v.warned)
            .val(v.breached_at)
            .val(v.stopped_at)
            .val(v.last_change_at)
            .val(v.next_due_at)
            .val(v.version)
            .val(v.created_at)
            .val(v.provisional)
    }
}

/// Binds a clock's values to a `$1…$24` statement in `CLOCK_COLUMNS` order.
macro_rules! bind_clock {
    ($q:expr, $v:expr) => {
        super::shared_rows::bind_row($q, $v.row())
    };
}

/// Rows per multi-row insert: 24 parameters each stays well under both backends' limits.
const CLOCKS_PER_INSERT: usize = 1000;

#[async_trait::async_trait]
impl SlaRepo for SqlTx {
    async fn list_sla_policies(&mut self) -> Result<Vec<SlaPolicy>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {POLICY_COLUMNS} FROM sla_policies ORDER BY key"
        ))
        .fetch_all(self.db().await?)
        .await
        .map_err(err)?;
        rows.iter().map(policy_from_row).collect()
    }

    async fn get_sla_policy(&mut self, key: &str) -> Result<Option<SlaPolicy>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {POLICY_COLUMNS} FROM sla_policies WHERE key = $1"
        ))
        .bind(key)
        .fetch_optional(self.db().await?)
        .await
        .map_err(err)?;
        row.as_ref().map(policy_from_row).transpose()
    }

    async fn insert_sla_policy_if_absent(
        &mut self,
        p: &SlaPolicy,
    ) -> Result<bool, StoreError> {
        let sql = format!(
            "INSERT INTO sla_policies ({POLICY_COLUMNS}) VALUES \
             ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
             ON CONFLICT (key) DO NOTHING"
        );
        Ok(self.write_policy(p, &sql).await? == 1)
    }

    async fn update_sla_policy(&mut self, p: &SlaPolicy) -> Result<bool, StoreError> {
        let sql = "UPDATE sla_policies SET name_zh = $2, name_en = $3, kind = $4, amount = $5, \
             earliest = $6, calendar = $7, warn_at_percent = $8, pause_when = $9, \
             notify_warning = $10, notify_breach = $11, enabled = $12, updated_at = $13 \
             WHERE key = $1";
        Ok(self.write_policy(p, sql).await? == 1)
    }

    async fn insert_sla_clock(&mut self, clock: &SlaClockRecord) -> Result<(), StoreError> {
        let v = ClockValues::of(clock);
        let due = v.next_due_at;
        // Sent now: the partial unique key (one running clock per target and subject) is a
        // rule the use case turns into `sla_clock_running`.
        self.insert_row_now(v.row()).await?;
        self.note_due(due);
        Ok(())
    }

    async fn insert_sla_clocks(&mut self, clocks: &[SlaClockRecord]) -> Result<(), StoreError> {
        for chunk in clocks.chunks(CLOCKS_PER_INSERT) {
            let mut qb: QueryBuilder<'_, Db> =
                QueryBuilder::new(format!("INSERT INTO sla_clocks ({CLOCK_COLUMNS}) "));
            let values: Vec<ClockValues> = chunk.iter().map(ClockValues::of).collect();
            let earliest = values.iter().filter_map(|v| v.next_due_at).min();
            qb.push_values(values, |mut b, v| {
                b.push_bind(v.id)
                    .push_bind(v.target_key)
                    .push_bind(v.subject_type)
                    .push_bind(v.subject_id)
                    .push_bind(v.channel)
                    .push_bind(v.department_id)
                    .push_bind(v.agent_id)
                    .push_bind(v.kind)
                    .push_bind(v.calendar)
                    .push_bind(v.state)
                    .push_bind(v.started_at)
                    .push_bind(v.due_at)
                    .push_bind(v.warn_at)
                    .push_bind(v.opens_at)
                    .push_bind(v.paused_at)
                    .push_bind(v.paused_total_ms)
                    .push_bind(v.warned)
                    .push_bind(v.breached_at)
                    .push_bind(v.stopped_at)
                    .push_bind(v.last_change_at)
                    .push_bind(v.next_due_at)
                    .push_bind(v.version)
                    .push_bind(v.created_at)
                    .push_bind(v.provisional);
            });
            qb.build().execute(self.db().await?).await.map_err(err)?;
            self.note_due(earliest);
        }
        Ok(())
    }

    async fn update_sla_clock(&mut self, clock: &SlaClockRecord) -> Result<bool, StoreError> {
        let v = ClockValues::of(clock);
        let due = v.next_due_at;
        // Identity columns ($1–$4, $9, $23) never change; they are bound to keep one binder
        // and checked so a clock cannot be moved to another subject by an update.
        let sql = "UPDATE sla_clocks SET channel = $5, department_id = $6, agent_id = $7, \
             kind = $8, state = $10, started_at = $11, due_at = $12, warn_at = $13, \
             opens_at = $14, paused_at = $15, paused_total_ms = $16, warned = $17, \
             breached_at = $18, stopped_at = $19, last_change_at = $20, next_due_at = $21, \
             provisional = $24, version = version + 1 \
             WHERE id = $1 AND version = $22 AND target_key = $2 AND subject_type = $3 \
             AND subject_id = $4 AND calendar = $9 AND created_at = $23";
        let done = bind_clock!(sqlx::query(sql), v)
            .execute(self.db().await?)
            .await
            .map_err(err)?;
        let updated = done.rows_affected() == 1;
        if updated {
            self.note_due(due);
        }
        Ok(updated)
    }

    async fn get_sla_clock(&mut self, id: Uuid) -> Result<Option<SlaClockRecord>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {CLOCK_COLUMNS} FROM sla_clocks WHERE id = $1"
        ))
        .bind(id.to_string())
        .fetch_optional(self.db().await?)
        .await
        .map_err(err)?;
        row.as_ref().map(clock_from_row).transpose()
    }

    async fn active_sla_clock(
        &mut self,
        subject_type: &str,
        subject_id: &str,
        target_key: &str,
    ) -> Result<Option<SlaClockRecord>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {CLOCK_COLUMNS} FROM sla_clocks WHERE subject_type = $1 AND subject_id = $2 \
             AND target_key = $3 AND state IN ('running', 'paused')"
        ))
        .bind(subject_type)
        .bind(subject_id)
        .bind(target_key)
        .fetch_optional(self.db().await?)
        .await
        .map_err(err)?;
        row.as_ref().map(clock_from_row).transpose()
    }

    async fn list_sla_clocks(
        &mut self,
        f: &SlaClockFilter,
    ) -> Result<Vec<SlaClockRecord>, StoreError> {
        let mut qb: QueryBuilder<'_, Db> = QueryBuilder::new(format!(
            "SELECT {CLOCK_COLUMNS} FROM sla_clocks WHERE 1=1"
        ));
        if let Some(k) = &f.target_key {
            qb.push(" AND target_key = ").push_bind(k.clone());
        }
        if let Some(t) = &f.subject_type {
            qb.push(" AND subject_type = ").push_bind(t.clone());
        }
        if let Some(s) = &f.subject_id {
            qb.push(" AND subject_id = ").push_bind(s.clone());
        }
        if !f.subject_ids.is_empty() {
            qb.push(" AND subject_id IN (");
            let mut ids = qb.separated(", ");
            for s in &f.subject_ids {
                ids.push_bind(s.clone());
            }
            qb.push(")");
        }
        if let Some(from) = f.started_from {
            qb.push(" AND started_at >= ").push_bind(ms(from));
        }
        if let Some(before) = f.started_before {
            qb.push(" AND started_at < ").push_bind(ms(before));
        }
        qb.push(" ORDER BY started_at, id");
        if f.limit > 0 {
            qb.push(" LIMIT ").push_bind(i64::from(f.limit));
        }
        let rows = qb.build().fetch_all(self.db().await?).await.map_err(err)?;
        rows.iter().map(clock_from_row).collect()
    }

    async fn provisional_sla_clocks(
        &mut self,
        calendar: &str,
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<SlaClockRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {CLOCK_COLUMNS} FROM sla_clocks WHERE calendar = $1 AND provisional = 1 \
             AND stopped_at IS NULL AND id > $2 ORDER BY id LIMIT $3"
        ))
        .bind(calendar)
        .bind(after.map(|a| a.to_string()).unwrap_or_default())
        .bind(i64::from(limit.max(1)))
        .fetch_all(self.db().await?)
        .await
        .map_err(err)?;
        rows.iter().map(clock_from_row).collect()
    }

    async fn earliest_sla_due(&mut self) -> Result<Option<Timestamp>, StoreError> {
        let row = sqlx::query(
            "SELECT next_due_at FROM sla_clocks WHERE next_due_at IS NOT NULL \
             ORDER BY next_due_at LIMIT 1",
        )
        .fetch_optional(self.db().await?)
        .await
        .map_err(err)?;
        match row {
            None => Ok(None),
            Some(r) => Ok(Some(ts(r.try_get("next_due_at").map_err(err)?)?)),
        }
    }

    async fn claim_due_sla_clocks(
        &mut self,
        now: Timestamp,
        limit: u32,
    ) -> Result<Vec<SlaClockRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {CLOCK_COLUMNS} FROM sla_clocks WHERE next_due_at IS NOT NULL \
             AND next_due_at <= $1 ORDER BY next_due_at LIMIT $2{CLAIM_LOCK}"
        ))
        .bind(ms(now))
        .bind(i64::from(limit))
        .fetch_all(self.db().await?)
        .await
        .map_err(err)?;
        rows.iter().map(clock_from_row).collect()
    }

    async fn insert_sla_event(&mut self, e: &SlaEventRecord) -> Result<bool, StoreError> {
        if !matches!(e.kind, SlaEventKind::Warning | SlaEventKind::Breach) {
            // Only warnings and breaches are unique per clock (the ON CONFLICT below): any
            // other event is always inserted, with the transaction's next statement.
            let row = Insert::new("sla_events", EVENT_COLUMNS)
                .val(e.id.to_string())
                .val(e.clock_id.to_string())
                .val(e.kind.as_str())
                .val(ms(e.at))
                .val(ms(e.recorded_at))
                .val(&e.node)
                .val(&e.target_key)
                .val(&e.subject_type)
                .val(&e.subject_id);
            self.insert_row(row).await?;
            return Ok(true);
        }
        let done = sqlx::query(&format!(
            "INSERT INTO sla_events ({EVENT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (clock_id, kind) WHERE kind IN ('warning', 'breach') DO NOTHING"
        ))
        .bind(e.id.to_string())
        .bind(e.clock_id.to_string())
        .bind(e.kind.as_str())
        .bind(ms(e.at))
        .bind(ms(e.recorded_at))
        .bind(&e.node)
        .bind(&e.target_key)
        .bind(&e.subject_type)
        .bind(&e.subject_id)
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn list_sla_events(
        &mut self,
        f: &SlaEventFilter,
    ) -> Result<Vec<SlaEventRecord>, StoreError> {
        let mut qb: QueryBuilder<'_, Db> =
            QueryBuilder::new(format!("SELECT {EVENT_COLUMNS} FROM sla_events WHERE 1=1"));
        if let Some(c) = f.clock_id {
            qb.push(" AND clock_id = ").push_bind(c.to_string());
        }
        if let Some(k) = f.kind {
            qb.push(" AND kind = ").push_bind(k.as_str());
        }
        qb.push(" ORDER BY recorded_at DESC, id DESC");
        if f.limit > 0 {
            qb.push(" LIMIT ").push_bind(i64::from(f.limit));
        }
        let rows = qb.build().fetch_all(self.db().await?).await.map_err(err)?;
        rows.iter().map(event_from_row).collect()
    }
}

impl SqlTx {
    async fn write_policy(&mut self, p: &SlaPolicy, sql: &str) -> Result<u64, StoreError> {
        let t = &p.target;
        let done = sqlx::query(sql)
            .bind(t.key.as_ref())
            .bind(t.name_zh.as_ref())
            .bind(t.name_en.as_ref())
            .bind(t.kind.as_str())
            .bind(i64::from(t.amount))
            .bind(t.earliest.map(i64::from))
            .bind(t.calendar.as_ref())
            .bind(i64::from(t.warn_at_percent))
            .bind(list_text(&p.pause_when))
            .bind(list_text(p.notify_warning.iter().map(|r| r.as_str())))
            .bind(list_text(p.notify_breach.iter().map(|r| r.as_str())))
            .bind(i64::from(p.enabled))
            .bind(ms(p.updated_at))
            .execute(self.db().await?)
            .await
            .map_err(err)?;
        self.note_signal(Topic::Config, None);
        Ok(done.rows_affected())
    }
}
