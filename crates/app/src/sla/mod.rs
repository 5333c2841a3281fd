//! The SLA engine's use cases: policies (targets as configured), clocks started, paused,
//! resumed, stopped and cancelled inside the caller's transaction, firing what is due
//! exactly once, and compliance figures.
//!
//! Other capabilities (the desk, bookings) call [`App::start_sla_clock`] and the other
//! transitions with the `Tx` of their own use case, so a ticket and its clock commit together.
//! The [`engine`] runs on every node and fires warnings and breaches.

mod compliance;

pub mod engine;
mod hooks;

use crate::ttl_cache::CONFIG_CACHE_TTL;
use crate::{App, AppError, FieldError, OnDuplicate, Principal};
use jiff::{SignedDuration, Timestamp};
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use tripdesk_domain::audit::AuditAction;
use tripdesk_domain::calendar::{Calendar, MAX_RANGE_YEARS};
use tripdesk_domain::identity::{Permission, Role};
use tripdesk_domain::sla::{
    compliance, ClockKind, ClockState, Compliance, SlaClock, SlaClockParts, SlaError, SlaEvent,
    SlaTarget, DEFAULT_TARGETS,
};
use tripdesk_store::{
    SlaClockFilter, SlaClockRecord, SlaEventFilter, SlaEventKind, SlaEventRecord, SlaPolicy, Tx,
};
use uuid::Uuid;

/// What to start a clock for.
#[derive(Debug, Clone, Default)]
pub struct StartClock {
    /// `ticket`, `booking`, `call`… (a–z, 0–9, `_`).
    pub subject_type: String,
    pub subject_id: String,
    /// The policy key, e.g. `first_response.email`.
    pub target_key: String,
    pub channel: Option<String>,
    pub department_id: Option<Uuid>,
    pub agent_id: Option<Uuid>,
}

/// A clock transition requested by a use case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = ActionName))]
pub enum ClockAction {
    Pause,
    Resume,
    Stop,
    Cancel,
}

impl ClockAction {
    pub const ALL: [ClockAction; 4] = [
        ClockAction::Pause,
        ClockAction::Resume,
        ClockAction::Stop,
        ClockAction::Cancel,
    ];
}

/// An SLA policy as submitted by an administrator.
#[derive(Debug, Clone)]
pub struct PolicyInput {
    pub name_zh: String,
    pub name_en: String,
    pub kind: ClockKind,
    pub amount: u32,
    pub earliest: Option<u32>,
    pub calendar: String,
    pub warn_at_percent: u8,
    pub pause_when: Vec<String>,
    pub notify_warning: Vec<Role>,
    pub notify_breach: Vec<Role>,
    pub enabled: bool,
}

/// Compliance broken down by one dimension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Breakdown {
    Channel,
    Department,
    Agent,
}

impl Breakdown {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "channel" => Some(Breakdown::Channel),
            "department" => Some(Breakdown::Department),
            "agent" => Some(Breakdown::Agent),
            _ => None,
        }
    }
}

/// Which clocks a compliance report covers: those started in `[from, to)`.
#[derive(Debug, Clone)]
pub struct ComplianceQuery {
    pub from: Timestamp,
    pub to: Timestamp,
    pub by: Option<Breakdown>,
    pub target_key: Option<String>,
}

/// Figures for one target (and one value of the breakdown).
#[derive(Debug, Clone)]
pub struct ComplianceRow {
    pub target_key: String,
    pub name_zh: String,
    pub name_en: String,
    pub kind: ClockKind,
    /// The breakdown value: channel name, department or agent id; `None` when not recorded
    /// (or when there is no breakdown).
    pub group: Option<String>,
    pub figures: Compliance,
}

/// What one firing pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FireOutcome {
    /// Clocks claimed as due.
    pub claimed: usize,
    /// Warnings and breaches recorded.
    pub fired: usize,
}

/// A clock with its events, newest first.
#[derive(Debug, Clone)]
pub struct ClockDetail {
    pub clock: SlaClockRecord,
    pub events: Vec<SlaEventRecord>,
}

fn code_ok(s: &str, max: usize) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// What the audit log records of a policy: its figures and names, old against new.
fn policy_figures(p: &SlaPolicy) -> serde_json::Value {
    serde_json::json!({
        "name_zh": p.target.name_zh,
        "name_en": p.target.name_en,
        "kind": p.target.kind,
        "amount": p.target.amount,
        "earliest": p.target.earliest,
        "calendar": p.target.calendar,
        "warn_at_percent": p.target.warn_at_percent,
        "pause_when": p.pause_when,
        "notify_warning": p.notify_warning,
        "notify_breach": p.notify_breach,
        "enabled": p.enabled,
    })
}

/// `SlaError` as an `AppError`: state conflicts are 409 with the domain's code, calendar and
/// target problems are field errors.
pub fn sla_error(field: &str, e: SlaError) -> AppError {
    match &e {
        SlaError::InvalidTransition { .. }
        | SlaError::Finished { .. }
        | SlaError::TimeWentBackwards { .. } => AppError::Conflict {
            code: e.code(),
            message: e.to_string(),
            field: None,
        },
        SlaError::CalendarMismatch { .. } => AppError::Internal(e.to_string()),
        SlaError::BadTarget { .. } | SlaError::Calendar(_) => {
            AppError::Validation(vec![FieldError::new(field, e.code(), e.to_string())])
        }
    }
}

/// Instants at the millisecond the store keeps, so a clock equals itself after a reload.
fn at_store_precision(clock: SlaClock) -> SlaClock {
    let ms = |t: Timestamp| Timestamp::from_millisecond(t.as_millisecond()).unwrap_or(t);
    let p = clock.to_parts();
    SlaClock::from_parts(SlaClockParts {
        started_at: ms(p.started_at),
        due_at: ms(p.due_at),
        warn_at: p.warn_at.map(ms),
        opens_at: p.opens_at.map(ms),
        paused_at: p.paused_at.map(ms),
        paused_total: SignedDuration::from_millis(p.paused_total.as_millis() as i64),
        breached_at: p.breached_at.map(ms),
        stopped_at: p.stopped_at.map(ms),
        last_change_at: ms(p.last_change_at),
        ..p
    })
}

/// The default policy of a built-in target: supervisors hear of warnings and breaches;
/// first replies and contact pause while the customer is awaited.
fn default_policy(t: &SlaTarget, now: Timestamp) -> SlaPolicy {
    let pause_when = match t.key.as_ref() {
        "first_response.email" | "complaint.contact" => vec!["waiting_customer".to_string()],
        _ => Vec::new(),
    };
    SlaPolicy {
        target: t.clone(),
        pause_when,
        notify_warning: vec![Role::Supervisor],
        notify_breach: vec![Role::Supervisor],
        enabled: true,
        updated_at: now,
    }
}

fn event_kind(e: &SlaEvent) -> (SlaEventKind, Timestamp) {
    match e {
        SlaEvent::Warning { warn_at, .. } => (SlaEventKind::Warning, *warn_at),
        SlaEvent::Breach { due_at, .. } => (SlaEventKind::Breach, *due_at),
    }
}

impl App {
    /// Inserts [`DEFAULT_TARGETS`] as policies where missing (called by
    /// [`App::ensure_builtin_calendars`]).
    pub(crate) async fn ensure_default_policies(
        &self,
        tx: &mut dyn Tx,
        now: Timestamp,
    ) -> Result<(), AppError> {
        for t in DEFAULT_TARGETS {
            tx.insert_sla_policy_if_absent(&default_policy(t, now))
                .await?;
        }
        Ok(())
    }

    /// A policy by key as stored, reused for [`CONFIG_CACHE_TTL`] (every intake and clock
    /// action reads one).
    pub(crate) async fn sla_policy(
        &self,
        tx: &mut dyn Tx,
        key: &str,
    ) -> Result<Option<SlaPolicy>, AppError> {
        let cache = &self.config.policies;
        let now = self.now();
        let key = key.to_string();
        if let Some(policy) = cache.get(&key, now) {
            return Ok(policy);
        }
        let generation = cache.generation();
        let policy = tx.get_sla_policy(&key).await?;
        cache.put(key, policy.clone(), generation, now + CONFIG_CACHE_TTL);
        Ok(policy)
    }

    pub async fn list_sla_policies(
        &self,
        principal: &Principal,
    ) -> Result<Vec<SlaPolicy>, AppError> {
        principal.require(Permission::ViewDesk)?;
        let mut tx = self.store.read().await?;
        Ok(tx.list_sla_policies().await?)
    }

    pub async fn get_sla_policy(
        &self,
        principal: &Principal,
        key: &str,
    ) -> Result<SlaPolicy, AppError> {
        principal.require(Permission::ViewDesk)?;
        let mut tx = self.store.read().await?;
        tx.get_sla_policy(key)
            .await?
            .ok_or(AppError::NotFound("SLA policy"))
    }

    /// Changes a policy. Running clocks keep the deadlines they started with; new clocks use
    /// the new figures.
    pub async fn update_sla_policy(
        &self,
        principal: &Principal,
        key: &str,
        input: PolicyInput,
    ) -> Result<SlaPolicy, AppError> {
        principal.require(Permission::ManageSettings)?;
        let mut fields = Vec::new();
        for (field, value) in [("name_zh", &input.name_zh), ("name_en", &input.name_en)] {
            let n = value.trim().chars().count();
            if n == 0 || n > 80 {
                fields.push(FieldError::new(
                    field,
                    "length",
                    format!("{field} must be 1 to 80 characters"),
                ));
            }
        }
        for (i, cond) in input.pause_when.iter().enumerate() {
            if !code_ok(cond, 40) {
                fields.push(FieldError::new(
                    &format!("pause_when[{i}]"),
                    "invalid",
                    "a pause condition is a status code of a-z, 0-9 and _",
                ));
            }
        }
        let target = SlaTarget {
            key: Cow::Owned(key.to_string()),
            name_zh: Cow::Owned(input.name_zh.trim().to_string()),
            name_en: Cow::Owned(input.name_en.trim().to_string()),
            kind: input.kind,
            amount: input.amount,
            earliest: input.earliest,
            calendar: Cow::Owned(input.calendar.trim().to_string()),
            warn_at_percent: input.warn_at_percent,
        };
        if let Err(SlaError::BadTarget { reason, .. }) = target.validate() {
            let field = match reason {
                r if r.contains("window") => "earliest",
                r if r.contains("warning") => "warn_at_percent",
                _ => "amount",
            };
            fields.push(FieldError::new(field, "sla.bad_target", reason));
        }
        if !fields.is_empty() {
            return Err(AppError::Validation(fields));
        }
        let mut tx = self.store.write().await?;
        let mut policy = tx
            .get_sla_policy(key)
            .await?
            .ok_or(AppError::NotFound("SLA policy"))?;
        if tx.get_calendar_by_name(&target.calendar).await?.is_none() {
            return Err(AppError::field(
                "calendar",
                "unknown",
                "no calendar has this name",
            ));
        }
        let dedup = |mut roles: Vec<Role>| {
            roles.sort();
            roles.dedup();
            roles
        };
        let before = policy_figures(&policy);
        policy.target = target;
        policy.pause_when = input.pause_when;
        policy.notify_warning = dedup(input.notify_warning);
        policy.notify_breach = dedup(input.notify_breach);
        policy.enabled = input.enabled;
        policy.updated_at = self.now();
        tx.update_sla_policy(&policy).await?;
        self.audit(
            &mut *tx,
            principal,
            AuditAction::SlaPolicyUpdate,
            "sla_policy",
            Some(key.to_string()),
            serde_json::json!({ "changed": crate::audit::changes(&before, &policy_figures(&policy)) }),
        )
        .await?;
        tx.commit().await?;
        self.config.invalidate();
        Ok(policy)
    }

    /// Starts the clock of a policy for a subject, in the caller's transaction. A clock of the
    /// same target still running or paused on the subject is a conflict.
    pub async fn start_sla_clock(
        &self,
        tx: &mut dyn Tx,
        req: StartClock,
    ) -> Result<SlaClockRecord, AppError> {
        let mut fields = Vec::new();
        if !code_ok(&req.subject_type, 40) {
            fields.push(FieldError::new(
                "subject_type",
                "invalid",
                "subject type must be 1 to 40 characters of a-z, 0-9 and _",
            ));
        }
        let sid = req.subject_id.trim();
        if sid.is_empty() || sid.len() > 200 {
            fields.push(FieldError::new(
                "subject_id",
                "length",
                "subject id must be 1 to 200 characters",
            ));
        }
        if let Some(ch) = &req.channel {
            if !code_ok(ch, 40) {
                fields.push(FieldError::new(
                    "channel",
                    "invalid",
                    "channel must be 1 to 40 characters of a-z, 0-9 and _",
                ));
            }
        }
        if !fields.is_empty() {
            return Err(AppError::Validation(fields));
        }
        let policy = tx.get_sla_policy(&req.target_key).await?.ok_or_else(|| {
            AppError::field("target_key", "unknown", "no SLA policy has this key")
        })?;
        if !policy.enabled {
            return Err(AppError::field(
                "target_key",
                "disabled",
                "this SLA policy is disabled",
            ));
        }
        let req = StartClock {
            subject_id: sid.to_string(),
            ..req
        };
        self.start_clock_of(tx, req, &policy, false).await
    }

    /// Starts the clock of an enabled `policy` (the caller checked the request). With
    /// `met_at_start` the response was made as the clock started — a phone call answered by
    /// the agent who logs it — and the clock is stored already met: one row, its `started`
    /// and `met` events, instead of a start and a stop.
    /// Ends a clock that no longer applies: cancelled if it can be, else (already late)
    /// stopped, so a missed deadline stays on record.
    pub(crate) async fn end_clock(
        &self,
        tx: &mut dyn Tx,
        clock: &SlaClockRecord,
    ) -> Result<(), AppError> {
        if clock.clock.stopped_at().is_some() {
            return Ok(());
        }
        match self
            .sla_clock_action(&mut *tx, clock.id, ClockAction::Cancel)
            .await
        {
            Ok(_) => Ok(()),
            Err(_) => self
                .sla_clock_action(&mut *tx, clock.id, ClockAction::Stop)
                .await
                .map(drop),
        }
    }

    pub(crate) async fn start_clock_of(
        &self,
        tx: &mut dyn Tx,
        req: StartClock,
        policy: &SlaPolicy,
        met_at_start: bool,
    ) -> Result<SlaClockRecord, AppError> {
        let calendar = self.load_calendar(tx, &policy.target.calendar).await?;
        let now = self.now();
        let mut clock = SlaClock::start(&policy.target, &calendar, now)
            .map_err(|e| sla_error("target_key", e))?;
        let owed = if met_at_start {
            clock.stop(now).map_err(|e| sla_error("target_key", e))?
        } else {
            Vec::new()
        };
        let rec = SlaClockRecord {
            id: Uuid::now_v7(),
            subject_type: req.subject_type,
            subject_id: req.subject_id,
            channel: req.channel,
            department_id: req.department_id,
            agent_id: req.agent_id,
            clock: at_store_precision(clock),
            version: 1,
            created_at: now,
        };
        tx.insert_sla_clock(&rec).await.on_duplicate(
            "sla_clock_running",
            Some("target_key"),
            "a clock of this target is already running for this subject",
        )?;
        self.on_sla_event(tx, &rec, SlaEventKind::Started, now, Some(policy))
            .await?;
        for e in &owed {
            let (kind, at) = event_kind(e);
            self.on_sla_event(tx, &rec, kind, at, Some(policy)).await?;
        }
        if met_at_start && rec.clock.state() == ClockState::Met {
            self.on_sla_event(tx, &rec, SlaEventKind::Met, now, Some(policy))
                .await?;
        }
        Ok(rec)
    }

    /// The running or paused clock of a target on a subject.
    pub async fn active_sla_clock(
        &self,
        tx: &mut dyn Tx,
        subject_type: &str,
        subject_id: &str,
        target_key: &str,
    ) -> Result<Option<SlaClockRecord>, AppError> {
        Ok(tx
            .active_sla_clock(subject_type, subject_id, target_key)
            .await?)
    }

    /// Pauses, resumes, stops or cancels a clock in the caller's transaction. Events the
    /// clock owed (a warning or breach not yet fired) are recorded first.
    pub async fn sla_clock_action(
        &self,
        tx: &mut dyn Tx,
        id: Uuid,
        action: ClockAction,
    ) -> Result<SlaClockRecord, AppError> {
        // The engine may fire the clock between our read and our write; the versioned update
        // notices, and we apply the action again to what it left.
        for _ in 0..5 {
            let mut rec = tx
                .get_sla_clock(id)
                .await?
                .ok_or(AppError::NotFound("SLA clock"))?;
            let now = self.now().max(rec.clock.last_change_at_or_start());
            let owed = match action {
                ClockAction::Pause => rec.clock.pause(now).map_err(|e| sla_error("id", e))?,
                ClockAction::Resume => {
                    let cal = self.load_calendar(tx, rec.clock.calendar()).await?;
                    rec.clock
                        .resume(now, &cal)
                        .map_err(|e| sla_error("id", e))?;
                    Vec::new()
                }
                ClockAction::Stop => rec.clock.stop(now).map_err(|e| sla_error("id", e))?,
                ClockAction::Cancel => {
                    rec.clock.cancel(now).map_err(|e| sla_error("id", e))?;
                    Vec::new()
                }
            };
            rec.clock = at_store_precision(rec.clock);
            if !tx.update_sla_clock(&rec).await? {
                continue;
            }
            rec.version += 1;
            let policy = self.sla_policy(tx, rec.clock.target_key()).await?;
            for e in &owed {
                let (kind, at) = event_kind(e);
                self.on_sla_event(tx, &rec, kind, at, policy.as_ref())
                    .await?;
            }
            let kind = match action {
                ClockAction::Pause => Some(SlaEventKind::Paused),
                ClockAction::Resume => Some(SlaEventKind::Resumed),
                ClockAction::Stop if rec.clock.state() == ClockState::Met => {
                    Some(SlaEventKind::Met)
                }
                ClockAction::Stop => None,
                ClockAction::Cancel => Some(SlaEventKind::Cancelled),
            };
            if let Some(kind) = kind {
                self.on_sla_event(tx, &rec, kind, now, policy.as_ref())
                    .await?;
            }
            return Ok(rec);
        }
        Err(AppError::Conflict {
            code: "sla_clock_busy",
            message: "the clock kept changing; try again".into(),
            field: None,
        })
    }

    /// Starts a clock on behalf of a user or an integration (its own transaction).
    pub async fn start_sla_clock_for(
        &self,
        principal: &Principal,
        req: StartClock,
    ) -> Result<SlaClockRecord, AppError> {
        principal.require(Permission::WorkTickets)?;
        let mut tx = self.store.write().await?;
        if req.subject_type == "ticket" {
            if let Ok(ticket_id) = Uuid::parse_str(&req.subject_id) {
                self.ticket_for(&mut *tx, principal, ticket_id).await?;
            }
        }
        let rec = self.start_sla_clock(&mut *tx, req).await?;
        // Started by hand (the desk's own clocks are in its steps' entries).
        self.audit_clock(&mut *tx, principal, AuditAction::SlaClockStart, &rec)
            .await?;
        tx.commit().await?;
        Ok(rec)
    }

    /// An entry for a clock changed by hand: which clock of which subject, never more.
    async fn audit_clock(
        &self,
        tx: &mut dyn Tx,
        principal: &Principal,
        action: AuditAction,
        rec: &SlaClockRecord,
    ) -> Result<(), AppError> {
        self.audit(
            tx,
            principal,
            action,
            "sla_clock",
            Some(rec.id.to_string()),
            serde_json::json!({
                "target_key": rec.clock.target_key(),
                "subject_type": rec.subject_type,
                "subject_id": rec.subject_id,
            }),
        )
        .await
    }

    /// A clock transition on behalf of a user or an integration (its own transaction).
    pub async fn sla_clock_action_for(
        &self,
        principal: &Principal,
        id: Uuid,
        action: ClockAction,
    ) -> Result<SlaClockRecord, AppError> {
        principal.require(Permission::WorkTickets)?;
        let mut tx = self.store.write().await?;
        self.clock_in_scope(&mut *tx, principal, id).await?;
        let rec = self.sla_clock_action(&mut *tx, id, action).await?;
        let audited = match action {
            ClockAction::Pause => AuditAction::SlaClockPause,
            ClockAction::Resume => AuditAction::SlaClockResume,
            ClockAction::Stop => AuditAction::SlaClockStop,
            ClockAction::Cancel => AuditAction::SlaClockCancel,
        };
        self.audit_clock(&mut *tx, principal, audited, &rec).await?;
        tx.commit().await?;
        Ok(rec)
    }

    /// A clock, "not found" when it times a ticket outside the principal's scope.
    async fn clock_in_scope(
        &self,
        tx: &mut dyn Tx,
        principal: &Principal,
        id: Uuid,
    ) -> Result<SlaClockRecord, AppError> {
        let clock = tx
            .get_sla_clock(id)
            .await?
            .ok_or(AppError::NotFound("SLA clock"))?;
        if clock.subject_type == "ticket" {
            if let Ok(ticket_id) = Uuid::parse_str(&clock.subject_id) {
                self.ticket_for(tx, principal, ticket_id)
                    .await
                    .map_err(|e| match e {
                        AppError::NotFound(_) => AppError::NotFound("SLA clock"),
                        e => e,
                    })?;
            }
        }
        Ok(clock)
    }

    /// A clock and its events.
    pub async fn sla_clock(
        &self,
        principal: &Principal,
        id: Uuid,
    ) -> Result<ClockDetail, AppError> {
        principal.require(Permission::ViewDesk)?;
        let mut tx = self.store.read().await?;
        let clock = self.clock_in_scope(&mut *tx, principal, id).await?;
        let events = tx
            .list_sla_events(&SlaEventFilter {
                clock_id: Some(id),
                ..Default::default()
            })
            .await?;
        Ok(ClockDetail { clock, events })
    }

    /// The clocks of a subject, oldest first.
    pub async fn sla_clocks_of(
        &self,
        principal: &Principal,
        subject_type: &str,
        subject_id: &str,
    ) -> Result<Vec<SlaClockRecord>, AppError> {
        principal.require(Permission::ViewDesk)?;
        let mut tx = self.store.read().await?;
        if subject_type == "ticket" {
            if let Ok(ticket_id) = Uuid::parse_str(subject_id) {
                self.ticket_for(&mut *tx, principal, ticket_id).await?;
            }
        }
        Ok(tx
            .list_sla_clocks(&SlaClockFilter {
                subject_type: Some(subject_type.to_string()),
                subject_id: Some(subject_id.to_string()),
                limit: 500,
                ..Default::default()
            })
            .await?)
    }

    /// Fires what is due now on up to `limit` clocks, in one transaction: each warning and
    /// breach is recorded once, whatever the number of nodes doing the same (rows are claimed
    /// with `SKIP LOCKED` on PostgreSQL, the write transaction is exclusive on SQLite, every
    /// update names the version it read, and a unique index refuses a second firing).
    pub async fn fire_due_sla_clocks(&self, limit: u32) -> Result<FireOutcome, AppError> {
        let mut tx = self.store.write().await?;
        let now = self.now();
        let due = tx.claim_due_sla_clocks(now, limit).await?;
        if due.is_empty() {
            return Ok(FireOutcome::default());
        }
        let policies: HashMap<String, SlaPolicy> = tx
            .list_sla_policies()
            .await?
            .into_iter()
            .map(|p| (p.target.key.to_string(), p))
            .collect();
        let mut out = FireOutcome {
            claimed: due.len(),
            fired: 0,
        };
        for mut rec in due {
            let events = rec.clock.fire(now);
            if !tx.update_sla_clock(&rec).await? {
                continue;
            }
            rec.version += 1;
            let policy = policies.get(rec.clock.target_key());
            for e in &events {
                let (kind, at) = event_kind(e);
                if self.on_sla_event(&mut *tx, &rec, kind, at, policy).await? {
                    out.fired += 1;
                }
            }
        }
        tx.commit().await?;
        Ok(out)
    }

    /// The earliest instant any clock needs the engine.
    pub async fn earliest_sla_due(&self) -> Result<Option<Timestamp>, AppError> {
        let mut tx = self.store.read().await?;
        Ok(tx.earliest_sla_due().await?)
    }
}

/// The last instant a clock changed, so a transition is never dated before it (the node's
/// clock may lag another node's by a little).
trait LastChange {
    fn last_change_at_or_start(&self) -> Timestamp;
}

impl LastChange for SlaClock {
    fn last_change_at_or_start(&self) -> Timestamp {
        self.to_parts().last_change_at
    }
}
