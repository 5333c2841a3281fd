//! The post-incident report (issue 15 item 9), read in one transaction: declared → first
//! message → 90 % delivered → 90 % accounted for; who is safe, needs help, has not answered;
//! the needs still open (people needing help and those escalated, with their tickets); the
//! remedies offered and chosen; the costs entered with the refunds chosen; the team, the
//! checklist with who ticked what when, the first-report clock, the closing summary and the
//! timeline. A drill gives the same report, marked as one; [`App::drill_records`] lists the
//! drills with their key figures and counts them by year.

use super::team::checklist_rows;
use super::ChecklistRow;
use crate::page::Page;
use crate::{App, AppError, Principal};
use std::collections::{BTreeSet, HashMap};
use tripdesk_domain::desk::State as TicketState;
use tripdesk_domain::emergency::{PersonStatus, ReportFigures, TeamRole};
use tripdesk_domain::identity::Permission;
use tripdesk_store::{
    CostTotals, Incident, IncidentCost, IncidentCounts, IncidentEvent, IncidentPerson,
    PeopleFilter, RemedyCounts, Tx,
};
use uuid::Uuid;

/// People listed among the open needs, at most.
const NEEDS_LISTED: u32 = 200;
/// Cost lines and timeline entries in the report, at most.
const COSTS_LISTED: u32 = 500;
const EVENTS_LISTED: u32 = 500;

/// A person who needed help or was escalated, with the ticket made for them.
#[derive(Debug, Clone)]
pub struct OpenNeed {
    pub person: IncidentPerson,
    /// The escalation's ticket: its number and state.
    pub ticket: Option<(Uuid, String, TicketState)>,
}

impl OpenNeed {
    /// Still open: they need help, or their ticket is not resolved yet.
    pub fn open(&self) -> bool {
        self.person.status == PersonStatus::NeedsHelp
            || self.ticket.as_ref().is_some_and(|(_, _, s)| s.is_open())
    }
}

/// The post-incident report.
#[derive(Debug, Clone)]
pub struct Report {
    pub incident: Incident,
    pub counts: IncidentCounts,
    pub figures: ReportFigures,
    pub team: Vec<(TeamRole, Uuid)>,
    pub checklist: Vec<ChecklistRow>,
    /// The clocks of the reports to the authority: first, updates, closing summary.
    pub clocks: super::ReportClocks,
    /// People needing help, then those escalated (not known safe), by customer id; names
    /// are read only for those who may see customers (see [`Report::names`]).
    pub needs: Vec<OpenNeed>,
    /// More than [`NEEDS_LISTED`] of either kind: the list is cut.
    pub needs_more: bool,
    pub remedies: RemedyCounts,
    pub costs: Vec<IncidentCost>,
    pub totals: CostTotals,
    /// Oldest first.
    pub timeline: Vec<IncidentEvent>,
    /// Staff named in the report (team, ticks, timeline, costs): user id → display name.
    pub staff: HashMap<Uuid, String>,
    /// Whether the reader may see customers' names.
    pub names: bool,
}

impl Report {
    /// Everything the incident cost: the lines entered and the refunds chosen.
    pub fn total_fen(&self) -> i64 {
        self.totals.entered_fen + self.totals.refunds_fen
    }

    /// A staff member's name, empty when unknown.
    pub fn staff_name(&self, id: Option<Uuid>) -> &str {
        id.and_then(|u| self.staff.get(&u))
            .map(String::as_str)
            .unwrap_or("")
    }
}

/// A drill with its key figures.
#[derive(Debug, Clone)]
pub struct DrillRecord {
    pub incident: Incident,
    pub figures: ReportFigures,
}

/// How many drills a year saw (in the organisation's zone).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DrillYear {
    pub year: i16,
    pub drills: u64,
}

/// The report's headline figures, from the store.
pub(crate) async fn figures(
    tx: &mut dyn Tx,
    incident: &Incident,
) -> Result<ReportFigures, AppError> {
    let counts = tx.incident_counts(incident.id).await?;
    let (sent, answered) = tx.incident_instants(incident.id).await?;
    Ok(ReportFigures::compute(
        incident.declared_at,
        incident.first_message_at,
        counts.people as usize,
        sent,
        answered,
        counts.safe as usize,
        counts.needs_help as usize,
    ))
}

impl App {
    /// The post-incident report of an open or closed incident (needs `view_incidents`).
    pub async fn incident_report(&self, p: &Principal, id: Uuid) -> Result<Report, AppError> {
        p.require(Permission::ViewIncidents)?;
        let mut r = self.store.read().await?;
        let incident = r
            .get_incident(id)
            .await?
            .ok_or(AppError::NotFound("incident"))?;
        let counts = r.incident_counts(id).await?;
        let figures = figures(&mut *r, &incident).await?;
        let team = r.incident_team(id).await?;
        let ticks = r.incident_checklist(id).await?;
        let clocks = self.report_clocks(&mut *r, id).await?;
        let (needs, needs_more) = self.open_needs(&mut *r, id).await?;
        let names = p.can(Permission::ViewCustomers);
        let needs = needs
            .into_iter()
            .map(|mut n| {
                if !names {
                    n.person.customer_name.clear();
                }
                n
            })
            .collect();
        let remedies = r.remedy_counts(id).await?;
        let costs = r.list_incident_costs(id, COSTS_LISTED, 0).await?;
        let totals = r.incident_cost_totals(id).await?;
        let mut timeline = r.list_incident_events(id, EVENTS_LISTED, 0).await?;
        timeline.reverse();
        let ids: BTreeSet<Uuid> = team
            .iter()
            .map(|(_, u)| *u)
            .chain(ticks.iter().filter_map(|t| t.done_by))
            .chain(timeline.iter().filter_map(|e| e.actor_id))
            .chain(incident.declared_by)
            .collect();
        let mut staff = HashMap::with_capacity(ids.len());
        for user in ids {
            if let Some(u) = r.get_user(user).await? {
                staff.insert(user, u.display_name);
            }
        }
        Ok(Report {
            checklist: checklist_rows(&incident, ticks),
            incident,
            counts,
            figures,
            team,
            clocks,
            needs,
            needs_more,
            remedies,
            costs,
            totals,
            timeline,
            staff,
            names,
        })
    }

    /// The people needing help, then those escalated and not known safe, each with their
    /// ticket's number and state.
    async fn open_needs(
        &self,
        tx: &mut dyn Tx,
        id: Uuid,
    ) -> Result<(Vec<OpenNeed>, bool), AppError> {
        let help = self
            .people_with(tx, id, PersonStatus::NeedsHelp, NEEDS_LISTED + 1)
            .await?;
        let escalated = tx
            .list_incident_people(
                id,
                PeopleFilter {
                    status: None,
                    escalated: true,
                },
                NEEDS_LISTED + 1,
                0,
            )
            .await?;
        let more = help.len() > NEEDS_LISTED as usize || escalated.len() > NEEDS_LISTED as usize;
        let people = help.into_iter().take(NEEDS_LISTED as usize).chain(
            escalated
                .into_iter()
                .take(NEEDS_LISTED as usize)
                .filter(|x| x.status == PersonStatus::Pending),
        );
        let mut out = Vec::new();
        for person in people {
            let ticket = match person.escalated_ticket_id {
                Some(t) => tx.get_ticket(t).await?.map(|k| (t, k.number, k.state)),
                None => None,
            };
            out.push(OpenNeed { person, ticket });
        }
        Ok((out, more))
    }

    /// The drills, newest first, with their key figures, and how many each year saw from
    /// the first drill's year to this one, newest first (needs `view_incidents`).
    pub async fn drill_records(
        &self,
        p: &Principal,
        limit: u32,
        offset: u64,
    ) -> Result<(Page<DrillRecord>, Vec<DrillYear>), AppError> {
        p.require(Permission::ViewIncidents)?;
        let zone = tripdesk_domain::calendar::china_time_zone();
        let mut r = self.store.read().await?;
        let drills = r
            .list_drills(Page::<DrillRecord>::fetch_limit(limit), offset)
            .await?;
        let mut records = Vec::with_capacity(drills.len());
        for incident in drills {
            records.push(DrillRecord {
                figures: figures(&mut *r, &incident).await?,
                incident,
            });
        }
        let mut years = Vec::new();
        if let Some(first) = r.first_drill_at().await? {
            let first = first.to_zoned(zone.clone()).year();
            let this = self.today().year();
            let start = |y: i16| {
                jiff::civil::date(y, 1, 1)
                    .to_zoned(zone.clone())
                    .map(|z| z.timestamp())
                    .map_err(|e| AppError::Internal(e.to_string()))
            };
            for year in (first..=this.max(first)).rev() {
                let drills = r.count_drills(start(year)?, start(year + 1)?).await?;
                years.push(DrillYear { year, drills });
            }
        }
        Ok((Page::of(records, limit), years))
    }
}
