//! The hotline's calls (issue 17 item 3): the PBX's call-detail records imported — Asterisk's
//! `Master.csv`, read and refused whole by `domain::phone::cdr` — each call stored once with
//! the customer's number sealed and matched to a customer by the blind index of their phone;
//! the calls listed; and the answer rate by day, line and agent against the published 95 %
//! and three rings (`domain::phone::AnswerCounts`).

pub mod callbacks;
pub mod cti;
mod demo;
pub mod ticket;

use crate::page::Page;
use crate::{App, AppError, FieldError, Principal};
use jiff::tz::TimeZone;
use jiff::Timestamp;
use serde::Serialize;
use serde_json::json;
use std::collections::BTreeMap;
use tripdesk_domain::audit::AuditAction;
use tripdesk_domain::customer::Phone;
use tripdesk_domain::identity::Permission;
use tripdesk_domain::phone::cdr;
use tripdesk_domain::phone::{AnswerCounts, Direction};
use tripdesk_store::{CallFilter, CallRecord};
use uuid::Uuid;

/// The sealed field of a call's number (the vault's associated data with the call id).
pub(crate) const NUMBER_FIELD: &str = "call.number";
/// The blind-index kind of a call's key built from numbers (the PBX logs no uniqueid).
const CALL_KEY_KIND: &str = "call_key";
/// Most calls an answer-rate report reads.
pub const MAX_REPORT_CALLS: u32 = 200_000;

/// How to read a call-detail file.
#[derive(Debug, Clone)]
pub struct CdrImport {
    /// The dialplan contexts the hotline's calls arrive in (`from-trunk`, …).
    pub inbound_contexts: Vec<String>,
    /// The PBX's time zone (IANA), its records' times being local.
    pub zone: String,
}

/// What an import did.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CdrImported {
    /// Lines read.
    pub lines: u64,
    /// Calls they make (legs of one call joined).
    pub calls: u64,
    /// Calls not stored before.
    pub new: u64,
    /// Of the new calls, those matched to a customer by their phone.
    pub matched: u64,
}

/// The answer rate over a window, whole and by day, line and agent.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AnswerReport {
    pub total: AnswerCounts,
    pub by_day: Vec<(String, AnswerCounts)>,
    pub by_line: Vec<(String, AnswerCounts)>,
    /// Answered calls by the extension that answered (unanswered calls have no agent).
    pub by_agent: Vec<(String, AnswerCounts)>,
}

fn line_error(e: &cdr::CdrError) -> FieldError {
    let what = match e.code {
        "too_few" => "has fewer than the 16 columns of Master.csv",
        "not_a_time" => "is not a time YYYY-MM-DD HH:MM:SS",
        "not_a_number" => "is not a number of seconds",
        "unknown" => "is not ANSWERED, NO ANSWER, BUSY, FAILED or CONGESTION",
        "before_start" => "is before the call's start (or the answer after its end)",
        "empty" => "holds no call",
        "too_many_lines" => "has more lines than one import takes (200,000)",
        "not_utf8" => "is not UTF-8 text",
        _ => "cannot be read",
    };
    let field = if e.line == 0 {
        "file".to_string()
    } else {
        format!("line {}.{}", e.line, e.field)
    };
    FieldError::new(&field, e.code, format!("{field} {what}"))
}

impl App {
    /// Imports a call-detail file (needs `manage_settings`): all its calls or — when any line
    /// cannot be read — none, each bad line named. A call already imported is skipped.
    pub async fn import_cdr(
        &self,
        p: &Principal,
        file: &[u8],
        how: CdrImport,
    ) -> Result<CdrImported, AppError> {
        p.require(Permission::ManageSettings)?;
        let zone = crate::calendar::parse_zone("zone", &how.zone)?;
        let contexts: Vec<String> = how
            .inbound_contexts
            .iter()
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty())
            .collect();
        if contexts.is_empty() {
            return Err(AppError::field(
                "inbound_contexts",
                "required",
                "name at least one dialplan context the hotline's calls arrive in",
            ));
        }
        let lines = cdr::parse(file)
            .map_err(|errors| AppError::Validation(errors.iter().map(line_error).collect()))?;
        let facts = cdr::calls(&lines, &contexts);
        let keys = self.vault()?;
        let now = self.now();
        let by = Some(p.user_id).filter(|u| !u.is_nil());
        let mut tx = self.store.write().await?;
        let mut records = Vec::with_capacity(facts.len());
        let mut numbers = Vec::with_capacity(facts.len());
        let mut matched_ids = Vec::new();
        for f in &facts {
            let id = Uuid::now_v7();
            let number = f.customer_number.trim();
            let index = Phone::parse(number)
                .ok()
                .map(|phone| keys.blind_index("phone", phone.as_e164()));
            let customer_id = match &index {
                Some(i) => tx
                    .find_customers_by_identifier("phone", i)
                    .await?
                    .into_iter()
                    .next(),
                None => None,
            };
            if customer_id.is_some() {
                matched_ids.push(id);
            }
            numbers.push(number);
            records.push(CallRecord {
                id,
                source: "cdr".into(),
                call_key: keys.blind_index(CALL_KEY_KIND, &f.key),
                direction: f.direction,
                line: f.line.chars().take(80).collect(),
                agent: f.agent.clone(),
                customer_id,
                number_sealed: (!number.is_empty()).then(|| {
                    keys.encrypt(NUMBER_FIELD, &id.to_string(), number)
                        .into_string()
                }),
                number_index: index,
                started_at: local(&zone, f.started),
                answered_at: f.answered.map(|a| local(&zone, a)),
                ended_at: local(&zone, f.ended),
                ring_secs: f.ring_secs,
                talk_secs: f.talk_secs,
                disposition: f.disposition,
                imported_at: now,
                imported_by: by,
                callback_task_id: None,
                ticket_id: None,
            });
        }
        let new = tx.insert_calls(&records).await?;
        // Missed calls and callbacks among the new calls move the callback tasks (a call
        // imported before keeps the id it was stored with, so `get_call` misses it).
        let mut by_time: Vec<usize> = (0..records.len()).collect();
        by_time.sort_by_key(|&i| records[i].started_at);
        for i in by_time {
            let r = &records[i];
            let moves = r.number_index.is_some()
                && (r.answered_at.is_none() == (r.direction == Direction::Inbound));
            if moves && tx.get_call(r.id).await?.is_some() {
                let mut call = r.clone();
                self.after_call(&mut *tx, &mut call, Some(numbers[i]))
                    .await?;
            }
        }
        let outcome = CdrImported {
            lines: lines.len() as u64,
            calls: facts.len() as u64,
            new,
            matched: matched_ids.len() as u64,
        };
        self.audit(
            &mut *tx,
            p,
            AuditAction::CallsImport,
            "calls",
            None,
            json!({ "lines": outcome.lines, "calls": outcome.calls, "new": outcome.new,
                    "matched": outcome.matched, "zone": how.zone.trim() }),
        )
        .await?;
        tx.commit().await?;
        Ok(outcome)
    }

    /// Calls, newest first (needs `view_desk`: agents work them; a customer's calls need
    /// `view_customers`). No number is in a call as listed.
    pub async fn list_calls(
        &self,
        p: &Principal,
        filter: CallFilter,
        limit: u32,
        offset: u64,
    ) -> Result<Page<CallRecord>, AppError> {
        p.require(Permission::ViewDesk)?;
        if filter.customer_id.is_some() {
            p.require(Permission::ViewCustomers)?;
        }
        let mut r = self.store.read().await?;
        let rows = r
            .list_calls(&filter, Page::<CallRecord>::fetch_limit(limit), offset)
            .await?;
        Ok(Page::of(rows, limit))
    }

    /// One call (needs `view_desk`).
    pub async fn get_call(&self, p: &Principal, id: Uuid) -> Result<CallRecord, AppError> {
        p.require(Permission::ViewDesk)?;
        let mut r = self.store.read().await?;
        r.get_call(id).await?.ok_or(AppError::NotFound("call"))
    }

    /// The answer rate of the inbound calls started in `[from, to)` (needs `view_reports`),
    /// days counted in `zone`.
    pub async fn answer_rate(
        &self,
        p: &Principal,
        from: Timestamp,
        to: Timestamp,
        zone: &TimeZone,
    ) -> Result<AnswerReport, AppError> {
        p.require(Permission::ViewReports)?;
        let filter = CallFilter {
            direction: Some(Direction::Inbound),
            from: Some(from),
            to: Some(to),
            ..CallFilter::default()
        };
        let mut r = self.store.read().await?;
        let calls = r.list_calls(&filter, MAX_REPORT_CALLS, 0).await?;
        let mut total = AnswerCounts::default();
        let (mut by_day, mut by_line, mut by_agent) =
            (BTreeMap::new(), BTreeMap::new(), BTreeMap::new());
        for c in &calls {
            let answered = c.answered_at.is_some();
            total.add(answered, c.ring_secs);
            let day = c.started_at.to_zoned(zone.clone()).date().to_string();
            by_day
                .entry(day)
                .or_insert_with(AnswerCounts::default)
                .add(answered, c.ring_secs);
            by_line
                .entry(c.line.clone())
                .or_insert_with(AnswerCounts::default)
                .add(answered, c.ring_secs);
            if let (true, Some(agent)) = (answered, &c.agent) {
                by_agent
                    .entry(agent.clone())
                    .or_insert_with(AnswerCounts::default)
                    .add(true, c.ring_secs);
            }
        }
        Ok(AnswerReport {
            total,
            by_day: by_day.into_iter().collect(),
            by_line: by_line.into_iter().collect(),
            by_agent: by_agent.into_iter().collect(),
        })
    }

    /// A call's number, opened (the PIPL copy; never logged).
    pub(crate) fn open_call_number(&self, c: &CallRecord) -> Result<Option<String>, AppError> {
        let Some(sealed) = &c.number_sealed else {
            return Ok(None);
        };
        let opened = crate::customers::open_sealed(self.vault()?, NUMBER_FIELD, c.id, sealed)?;
        Ok(Some(opened.expose_secret().clone()))
    }
}

/// A PBX-local time as an instant (an ambiguous or skipped local time resolves as jiff's
/// `compatible` does: the earlier offset).
fn local(zone: &TimeZone, t: jiff::civil::DateTime) -> Timestamp {
    zone.to_ambiguous_zoned(t)
        .compatible()
        .map(|z| z.timestamp())
        .unwrap_or_else(|_| {
            t.to_zoned(TimeZone::UTC)
                .map(|z| z.timestamp())
                .unwrap_or_default()
        })
}
