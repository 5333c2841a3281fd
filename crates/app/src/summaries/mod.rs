//! Periodic summaries (issue 18 item 3): a week (Monday–Sunday) or a month of service
//! quality for supervisors and managers — every commitment's figure against its target
//! (the dashboard's, `App::quality_kpis`' arithmetic), the complaints of the period (by
//! level, by state, resolved, compensation paid), their top causes (the feedback
//! categories; a complaint not classified counts under its recorded cause), the
//! rectification tasks and improvement actions live in it (with their due and done
//! instants), and the drills held.
//!
//! - [`App::period_summary`]: one summary, read from the records (needs `view_reports`);
//! - [`document`]: the same summary as a Chinese PDF document and an XLSX workbook (one sheet
//!   per section, each with a totals row);
//! - [`job`]: the recurring job that e-mails each ended week and month to the managers
//!   through the outbox, PDF and XLSX attached, once per period (held by `summaries_sent`).

pub mod document;
pub mod job;

use crate::{App, AppError, Principal};
use jiff::civil::Date;
use jiff::Timestamp;
use std::collections::HashMap;
use tripdesk_domain::emergency::ReportFigures;
use tripdesk_domain::feedback::{Category, FeedbackSource};
use tripdesk_domain::identity::Permission;
use tripdesk_domain::quality::{Kpi, Period};
use tripdesk_domain::summaries::{
    Cadence, ComplaintFacts, ComplaintTally, SummaryPeriod, TaskStanding,
};
use tripdesk_store::{FeedbackFilter, Incident, SummaryComplaint, SummaryTask, Tx};

pub use crate::quality::KpiFigure;

/// How far back the list of summaries goes: five years of weeks or months.
pub fn periods_kept(cadence: Cadence) -> usize {
    match cadence {
        Cadence::Week => 5 * 53,
        Cadence::Month => 5 * 12,
    }
}

/// How many causes a summary names (the rest are counted together).
pub const TOP_CAUSES: usize = 10;

/// A task as a summary lists it: the record, its department's name and its standing at the
/// end of the period.
#[derive(Debug, Clone)]
pub struct SummaryTaskLine {
    pub task: SummaryTask,
    pub department: Option<String>,
    pub standing: TaskStanding,
}

/// A complaint with the causes it counts under: its feedback categories (codes such as
/// `guide`), else its recorded cause or business area, else none.
#[derive(Debug, Clone)]
pub struct SummaryComplaintLine {
    pub complaint: SummaryComplaint,
    pub causes: Vec<String>,
}

/// A drill held in the period, with its key figures.
#[derive(Debug, Clone)]
pub struct SummaryDrill {
    pub incident: Incident,
    pub figures: ReportFigures,
}

/// One week's or month's summary.
#[derive(Debug, Clone)]
pub struct Summary {
    pub period: SummaryPeriod,
    /// The period's instants in the organisation's zone: `[from, until)`.
    pub from: Timestamp,
    pub until: Timestamp,
    /// Whether the period has ended (a summary of the running period is provisional).
    pub complete: bool,
    pub generated_at: Timestamp,
    /// Every commitment's figure over the period, with the period before for the trend.
    pub kpis: Vec<KpiFigure>,
    pub complaints: Vec<SummaryComplaintLine>,
    pub tally: ComplaintTally,
    /// Rectification tasks, then improvement actions, each oldest first.
    pub tasks: Vec<SummaryTaskLine>,
    pub drills: Vec<SummaryDrill>,
}

impl Summary {
    /// The tasks of one kind (`rectification` / `improvement`).
    pub fn tasks_of<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a SummaryTaskLine> {
        self.tasks.iter().filter(move |t| t.task.kind == kind)
    }

    /// How many tasks of `kind` stand so.
    pub fn count_tasks(&self, kind: &str, standing: TaskStanding) -> usize {
        self.tasks_of(kind)
            .filter(|t| t.standing == standing)
            .count()
    }
}

/// The causes a complaint is counted under: its feedback categories when it was
/// classified, else its recorded cause, else its business area.
pub fn complaint_causes(c: &SummaryComplaint, categories: Option<&[Category]>) -> Vec<String> {
    if let Some(cats) = categories.filter(|c| !c.is_empty()) {
        return cats.iter().map(|c| c.as_str().to_string()).collect();
    }
    c.cause
        .as_deref()
        .or(c.business_area.as_deref())
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| vec![s.to_string()])
        .unwrap_or_default()
}

/// The feedback categories of the complaints, by ticket: the items of the period's tickets
/// in one paged read, then each complaint not found there (classified under another instant).
async fn categories_of(
    tx: &mut dyn Tx,
    complaints: &[SummaryComplaint],
    from: Timestamp,
    until: Timestamp,
) -> Result<HashMap<uuid::Uuid, Vec<Category>>, AppError> {
    const PAGE: u32 = 1000;
    let filter = FeedbackFilter {
        source: Some(FeedbackSource::Ticket),
        from: Some(from),
        until: Some(until),
        ..Default::default()
    };
    let mut out = HashMap::new();
    let mut offset = 0;
    loop {
        let page = tx.list_feedback(&filter, PAGE, offset).await?;
        let n = page.len();
        for item in page {
            out.insert(item.ticket_id, item.categories);
        }
        if n < PAGE as usize {
            break;
        }
        offset += PAGE;
    }
    for c in complaints {
        if let std::collections::hash_map::Entry::Vacant(slot) = out.entry(c.id) {
            if let Some(item) = tx.get_feedback(FeedbackSource::Ticket, c.id).await? {
                slot.insert(item.categories);
            }
        }
    }
    Ok(out)
}

impl App {
    /// The summary of the `cadence` period starting `from` (a Monday; the first of a month),
    /// or of the last ended period when `from` is `None` (needs `view_reports`).
    pub async fn period_summary(
        &self,
        p: &Principal,
        cadence: Cadence,
        from: Option<Date>,
    ) -> Result<Summary, AppError> {
        p.require(Permission::ViewReports)?;
        let period = match from {
            Some(d) => SummaryPeriod::starting(cadence, d).ok_or_else(|| {
                AppError::field(
                    "from",
                    "summaries.not_period_start",
                    match cadence {
                        Cadence::Week => "a weekly summary starts on a Monday",
                        Cadence::Month => "a monthly summary starts on the first of a month",
                    },
                )
            })?,
            None => SummaryPeriod::last_ended(cadence, self.today()),
        };
        if period.from > self.today() {
            return Err(AppError::field(
                "from",
                "summaries.future",
                "the period has not started yet",
            ));
        }
        self.build_summary(period).await
    }

    /// A page of the periods the list of summaries offers: this week / month and the ones
    /// before it, newest first, back [`periods_kept`]; and whether more follow (needs
    /// `view_reports`).
    pub fn summary_periods(
        &self,
        p: &Principal,
        cadence: Cadence,
        limit: usize,
        offset: usize,
    ) -> Result<(Vec<SummaryPeriod>, bool), AppError> {
        p.require(Permission::ViewReports)?;
        let kept = periods_kept(cadence);
        let end = offset.saturating_add(limit).min(kept);
        let all = SummaryPeriod::recent(cadence, self.today(), end);
        Ok((all.into_iter().skip(offset).collect(), end < kept))
    }

    /// Reads one period's summary (no permission check: the scheduled job calls it too).
    pub(crate) async fn build_summary(&self, period: SummaryPeriod) -> Result<Summary, AppError> {
        let zone = tripdesk_domain::calendar::china_time_zone();
        let instant = |d: Date| {
            d.to_zoned(zone.clone())
                .map(|z| z.timestamp())
                .map_err(|e| AppError::Internal(e.to_string()))
        };
        let (from, until) = (instant(period.from)?, instant(period.until)?);
        let mut r = self.store.read().await?;
        let complaints = r.summary_complaints(from, until).await?;
        let categories = categories_of(&mut *r, &complaints, from, until).await?;
        let complaints: Vec<SummaryComplaintLine> = complaints
            .into_iter()
            .map(|c| SummaryComplaintLine {
                causes: complaint_causes(&c, categories.get(&c.id).map(Vec::as_slice)),
                complaint: c,
            })
            .collect();
        let facts: Vec<ComplaintFacts> = complaints
            .iter()
            .map(|l| ComplaintFacts {
                level: l.complaint.level,
                state: l.complaint.state,
                compensation_fen: l.complaint.compensation_amount_fen,
                causes: l.causes.clone(),
            })
            .collect();
        let tally = ComplaintTally::of(&facts);
        let end = until.min(self.now()).as_millisecond();
        let departments: HashMap<_, _> = r
            .list_departments()
            .await?
            .into_iter()
            .map(|d| (d.id, d.name_zh))
            .collect();
        let mut tasks: Vec<SummaryTaskLine> = r
            .summary_tasks(from, until)
            .await?
            .into_iter()
            .map(|task| SummaryTaskLine {
                department: task
                    .department_id
                    .and_then(|d| departments.get(&d).cloned()),
                standing: TaskStanding::at(
                    end,
                    task.due_at.map(|t| t.as_millisecond()),
                    task.done_at.map(|t| t.as_millisecond()),
                ),
                task,
            })
            .collect();
        // Rectification first, then improvement; each oldest first (the store's order).
        tasks.sort_by_key(|t| t.task.kind != "rectification");
        let drills = drills_between(&mut *r, from, until).await?;
        let kpi_period = Period::new(period.from, period.last_day())
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let query = crate::quality::KpiQuery {
            period: kpi_period,
            trend: 2,
            channel: None,
            group: None,
            agent: None,
        };
        let kpis = self.figures(&mut *r, &query, &zone, &Kpi::ALL).await?;
        Ok(Summary {
            period,
            from,
            until,
            complete: period.ended(self.today()),
            generated_at: self.now(),
            kpis,
            complaints,
            tally,
            tasks,
            drills,
        })
    }
}

/// The drills declared in `[from, until)`, oldest first: the drills newest first, paged
/// until one is older than the period.
async fn drills_between(
    tx: &mut dyn Tx,
    from: Timestamp,
    until: Timestamp,
) -> Result<Vec<SummaryDrill>, AppError> {
    const PAGE: u32 = 50;
    let mut out = Vec::new();
    let mut offset = 0u64;
    'pages: loop {
        let page = tx.list_drills(PAGE, offset).await?;
        let n = page.len();
        for incident in page {
            if incident.declared_at < from {
                break 'pages;
            }
            if incident.declared_at < until {
                let figures = crate::emergency::report::figures(tx, &incident).await?;
                out.push(SummaryDrill { incident, figures });
            }
        }
        if n < PAGE as usize {
            break;
        }
        offset += n as u64;
    }
    out.reverse();
    Ok(out)
}
