//! What agents and supervisors look at: the inbox's queues with each ticket's SLA badge, the
//! ticket's whole timeline (its own entries, SLA events and the notifications sent for it,
//! merged in time order), and the supervisor board of open complaints by state and SLA risk.
//!
//! The inbox reads the clocks of a whole page of tickets in one query (no query per row): it
//! is benchmarked at 1,000,000 tickets.

use crate::role_queues::{narrow_tickets, role_queue, role_queues_for};
use crate::{App, AppError, Principal};
use jiff::Timestamp;
use std::collections::HashMap;
use tripdesk_domain::desk::{Channel, Level, State, TicketKind};
use tripdesk_domain::identity::Permission;
use tripdesk_domain::sla::ClockState;
use tripdesk_store::{
    BoardCount, BoardTicket, Department, MessageFilter, OutboxMessage, SlaClockRecord,
    SlaEventRecord, SlaRisk, Ticket, TicketEvent, TicketFilter, TicketOrder,
};
use uuid::Uuid;

/// Queue counts stop at this many tickets (the badge shows "999+"), so that no page scans a
/// million tickets.
pub const QUEUE_COUNT_CAP: u64 = 1000;

/// A badge: the count, or `999+` at the cap.
pub fn badge(count: u64) -> String {
    if count >= QUEUE_COUNT_CAP {
        format!("{}+", QUEUE_COUNT_CAP - 1)
    } else {
        count.to_string()
    }
}

/// How long the "breaching soon" badge count (the same for every agent, and the one badge
/// that reads the SLA clocks) is reused: a badge may lag the clocks by this much.
pub const BREACHING_COUNT_TTL: jiff::SignedDuration = jiff::SignedDuration::from_secs(2);

/// The inbox's queues every desk user has, in tab order (after the role queues the user
/// holds: [`queues_for`]).
pub const QUEUES: [&str; 7] = [
    "open",
    "mine",
    "my_group",
    "unassigned",
    "urgent",
    "breaching",
    "all",
];

/// Filters on top of a queue.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct InboxFilters {
    pub kind: Option<TicketKind>,
    pub level: Option<Level>,
    pub state: Option<State>,
    pub channel: Option<Channel>,
    pub group_id: Option<Uuid>,
}

/// A page of a queue.
#[derive(Debug, Clone)]
pub struct InboxRequest {
    pub queue: String,
    pub filters: InboxFilters,
    pub limit: u32,
    pub offset: u32,
    /// Count every queue's tickets too (the tabs).
    pub with_counts: bool,
}

/// The clock a ticket's badge shows: its most pressing open clock.
#[derive(Debug, Clone, PartialEq)]
pub struct SlaBadge {
    pub target_key: String,
    pub state: ClockState,
    pub risk: SlaRisk,
    pub due_at: Timestamp,
    pub warn_at: Option<Timestamp>,
    /// The due instant was computed on a provisional calendar year (no State Council
    /// arrangement yet) and may move when it is imported.
    pub provisional: bool,
}

#[derive(Debug, Clone)]
pub struct InboxTicket {
    pub ticket: Ticket,
    /// Every clock of the ticket, oldest first.
    pub clocks: Vec<SlaClockRecord>,
    pub badge: Option<SlaBadge>,
}

#[derive(Debug, Clone)]
pub struct InboxPage {
    pub queue: &'static str,
    pub tickets: Vec<InboxTicket>,
    pub total: u64,
    /// (queue, count) for every queue, with the same filters, when asked for.
    pub counts: Vec<(&'static str, u64)>,
    /// The instant the page was computed at (badges count down from it).
    pub now: Timestamp,
}

/// One entry of a ticket's merged timeline.
#[derive(Debug, Clone)]
pub enum TimelineEntry {
    /// Created, steps, replies, notes, conversions…
    Ticket(TicketEvent),
    /// An SLA clock started, paused, resumed, warned, breached, met or was cancelled.
    Sla(SlaEventRecord),
    /// A notification sent (or queued) for this ticket.
    Message(Box<OutboxMessage>),
}

impl TimelineEntry {
    pub fn at(&self) -> Timestamp {
        match self {
            TimelineEntry::Ticket(e) => e.at,
            TimelineEntry::Sla(e) => e.at,
            TimelineEntry::Message(m) => m.created_at,
        }
    }

    /// At the same instant: the ticket's own entry, then its clocks, then its messages.
    fn rank(&self) -> u8 {
        match self {
            TimelineEntry::Ticket(_) => 0,
            TimelineEntry::Sla(_) => 1,
            TimelineEntry::Message(_) => 2,
        }
    }
}

/// The supervisor board.
#[derive(Debug, Clone)]
pub struct Board {
    /// Open complaint states, in workflow order, each with its counts and riskiest tickets.
    pub columns: Vec<BoardColumn>,
    pub totals: HashMap<SlaRisk, u64>,
    pub now: Timestamp,
}

#[derive(Debug, Clone)]
pub struct BoardColumn {
    pub state: State,
    pub counts: HashMap<SlaRisk, u64>,
    pub total: u64,
    pub tickets: Vec<BoardTicket>,
}

/// The risk of one clock at `now`, `None` when it is finished.
pub fn clock_risk(clock: &SlaClockRecord, now: Timestamp) -> Option<SlaRisk> {
    let c = &clock.clock;
    match c.state() {
        ClockState::Breached if c.stopped_at().is_none() => Some(SlaRisk::Breached),
        ClockState::Running if c.due_at() <= now => Some(SlaRisk::Breached),
        ClockState::Running if c.warn_at().is_some_and(|w| w <= now) => Some(SlaRisk::AtRisk),
        ClockState::Running | ClockState::Paused => Some(SlaRisk::OnTrack),
        _ => None,
    }
}

/// The badge of a ticket: the riskiest open clock, running before paused, earliest due first.
pub fn badge_of(clocks: &[SlaClockRecord], now: Timestamp) -> Option<SlaBadge> {
    clocks
        .iter()
        .filter_map(|c| clock_risk(c, now).map(|r| (r, c)))
        .max_by(|(ra, a), (rb, b)| {
            ra.cmp(rb)
                .then(
                    (a.clock.state() != ClockState::Paused)
                        .cmp(&(b.clock.state() != ClockState::Paused)),
                )
                .then(b.clock.due_at().cmp(&a.clock.due_at()))
        })
        .map(|(risk, c)| SlaBadge {
            target_key: c.clock.target_key().to_string(),
            state: c.clock.state(),
            risk,
            due_at: c.clock.due_at(),
            warn_at: c.clock.warn_at(),
            provisional: c.clock.provisional(),
        })
}

/// The inbox's queues of `p`: the desk's role queues they hold (what waits for them), then
/// [`QUEUES`].
pub fn queues_for(p: &Principal) -> Vec<&'static str> {
    role_queues_for(p)
        .into_iter()
        .filter(|q| q.capability == "desk")
        .map(|q| q.key)
        .chain(QUEUES)
        .collect()
}

/// Whether `queue` names an inbox queue (anyone's).
pub fn is_queue(queue: &str) -> bool {
    QUEUES.contains(&queue) || role_queue(queue).is_some_and(|q| q.capability == "desk")
}

fn queue_filter(queue: &str, p: &Principal, f: &InboxFilters, now: Timestamp) -> TicketFilter {
    let mut filter = TicketFilter {
        kind: f.kind,
        level: f.level,
        states: f.state.into_iter().collect(),
        open_only: true,
        group_id: f.group_id,
        channel: f.channel,
        ..Default::default()
    };
    match queue {
        // The default queue never hides new work: it is the feed of arrivals, newest first, so
        // a ticket created now (a web-form complaint, a general enquiry) is the first row of
        // page 1 whatever its level. Ordered by level then age, a general ticket sank below
        // every older urgent and important one, past the first page. Urgency is not lost:
        // each row carries its level, and the 紧急 and 即将超时 tabs (with their counts) keep
        // level-then-oldest order, as do "mine", "my group" and "unassigned" (pickup queues:
        // first come, first served).
        "open" => filter.order = TicketOrder::Newest,
        // Assigned to me, or mine to do on it (a follow-up visit).
        "mine" => filter.mine = Some(p.user_id),
        // No department: a nil id matches nothing, so the queue is empty.
        "my_group" => filter.group_id = Some(p.department_id.unwrap_or(Uuid::nil())),
        "unassigned" => filter.unassigned = true,
        "urgent" => filter.level = Some(Level::Urgent),
        "breaching" => filter.sla_risk_at = Some(now),
        "all" => filter.open_only = false,
        other => {
            if let Some(q) = role_queue(other) {
                narrow_tickets(&q, p, &mut filter);
            }
        }
    }
    // A state filter on a closed state makes sense only if closed tickets are shown.
    if f.state == Some(State::Closed) {
        filter.open_only = false;
    }
    p.scope_tickets(&mut filter);
    filter
}

impl App {
    /// Departments that can be handling groups, for the desk's forms and labels (anyone who
    /// sees the desk may read their names).
    pub async fn desk_groups(&self, p: &Principal) -> Result<Vec<Department>, AppError> {
        p.require(Permission::ViewDesk)?;
        let mut tx = self.store.read().await?;
        Ok(tx.list_departments().await?)
    }

    /// A page of an inbox queue with SLA badges (and the tab counts when asked).
    pub async fn desk_inbox(
        &self,
        p: &Principal,
        req: &InboxRequest,
    ) -> Result<InboxPage, AppError> {
        p.require(Permission::ViewDesk)?;
        let mine = queues_for(p);
        let queue = match mine.iter().find(|q| **q == req.queue) {
            Some(q) => *q,
            // Another role's queue: named by the permission that makes it someone's.
            None => match role_queue(&req.queue) {
                Some(q) if q.capability == "desk" => {
                    return Err(AppError::Forbidden(q.permission.as_str()))
                }
                _ => {
                    return Err(AppError::field(
                        "queue",
                        "unknown",
                        format!("queue must be one of {}", mine.join(", ")),
                    ))
                }
            },
        };
        if !(1..=200).contains(&req.limit) {
            return Err(AppError::field(
                "limit",
                "range",
                "limit must be between 1 and 200",
            ));
        }
        let now = self.now();
        let mut tx = self.store.read().await?;
        let mut filter = queue_filter(queue, p, &req.filters, now);
        filter.limit = req.limit;
        filter.offset = req.offset;
        let tickets = tx.list_tickets(&filter).await?;
        let mut counts = Vec::new();
        if req.with_counts {
            // Every tab's badge in one statement. The "breaching soon" one is the same for
            // every agent and reads the clocks: reused for BREACHING_COUNT_TTL.
            // The count is the same for everyone with the same filters and ticket scope.
            let key = (req.filters.clone(), p.ticket_scope());
            let mut breaching = self.breaching_counts.get(&key, now);
            // When it has expired, one request counts it while the others wait for its count
            // (eight agents recounting at once stall each other; see docs/PERFORMANCE.md).
            let _counting = match breaching {
                Some(_) => None,
                None => {
                    let guard = self.breaching_counting.lock().await;
                    breaching = self.breaching_counts.get(&key, now);
                    breaching.is_none().then_some(guard)
                }
            };
            let generation = self.breaching_counts.generation();
            let counted: Vec<&'static str> = mine
                .iter()
                .copied()
                .filter(|q| *q != "breaching" || breaching.is_none())
                .collect();
            let filters: Vec<_> = counted
                .iter()
                .map(|q| queue_filter(q, p, &req.filters, now))
                .collect();
            let n = tx.count_tickets_capped(&filters, QUEUE_COUNT_CAP).await?;
            let mut found: HashMap<&'static str, u64> = counted.into_iter().zip(n).collect();
            match breaching {
                Some(n) => {
                    found.insert("breaching", n);
                }
                None => {
                    let n = found.get("breaching").copied().unwrap_or(0);
                    self.breaching_counts
                        .put(key, n, generation, now + BREACHING_COUNT_TTL);
                }
            }
            counts = mine
                .iter()
                .map(|q| (*q, found.get(q).copied().unwrap_or(0)))
                .collect();
        }
        // Counts stop at QUEUE_COUNT_CAP ("999+"): no page scans a million tickets. The
        // queue shown is counted once: a short page that holds tickets (or the first page)
        // ends the queue and is its own count; else the tabs' count serves when there is one.
        // A capped count is a lower bound, so a page beyond the cap reports what it has shown;
        // an uncapped count is exact, also for an offset past the end (an empty page).
        let shown = u64::from(req.offset) + tickets.len() as u64;
        let total =
            if (tickets.len() as u32) < req.limit && (req.offset == 0 || !tickets.is_empty()) {
                shown
            } else {
                let n = match counts.iter().find(|(q, _)| *q == queue) {
                    Some((_, n)) => *n,
                    None => tx
                        .count_tickets_capped(std::slice::from_ref(&filter), QUEUE_COUNT_CAP)
                        .await?
                        .first()
                        .copied()
                        .unwrap_or(0),
                };
                if n >= QUEUE_COUNT_CAP {
                    n.max(shown)
                } else {
                    n
                }
            };
        let ids: Vec<Uuid> = tickets.iter().map(|t| t.id).collect();
        let mut by_ticket: HashMap<String, Vec<SlaClockRecord>> = HashMap::new();
        for c in tx.ticket_sla_clocks(&ids).await? {
            by_ticket.entry(c.subject_id.clone()).or_default().push(c);
        }
        let tickets = tickets
            .into_iter()
            .map(|ticket| {
                let clocks = by_ticket.remove(&ticket.id.to_string()).unwrap_or_default();
                let badge = badge_of(&clocks, now);
                InboxTicket {
                    ticket,
                    clocks,
                    badge,
                }
            })
            .collect();
        Ok(InboxPage {
            queue,
            tickets,
            total,
            counts,
            now,
        })
    }

    /// A ticket's whole timeline: its entries, its clocks' SLA events and the notifications
    /// sent for it, in time order.
    pub async fn ticket_timeline(
        &self,
        p: &Principal,
        ticket_id: Uuid,
    ) -> Result<Vec<TimelineEntry>, AppError> {
        p.require(Permission::ViewDesk)?;
        let mut tx = self.store.read().await?;
        let ticket = self.ticket_for(&mut *tx, p, ticket_id).await?;
        let mut entries: Vec<TimelineEntry> = tx
            .list_ticket_events(ticket_id)
            .await?
            .into_iter()
            .map(TimelineEntry::Ticket)
            .collect();
        entries.extend(
            tx.ticket_sla_events(ticket_id)
                .await?
                .into_iter()
                .map(TimelineEntry::Sla),
        );
        // Notifications name the ticket by id; a few older ones by its number.
        let mut seen = std::collections::HashSet::new();
        for related in [ticket.id.to_string(), ticket.number.clone()] {
            let messages = tx
                .list_messages(&MessageFilter {
                    related_type: Some("ticket".into()),
                    related_id: Some(related),
                    limit: 200,
                    ..Default::default()
                })
                .await?;
            for m in messages {
                if seen.insert(m.id) {
                    entries.push(TimelineEntry::Message(Box::new(m)));
                }
            }
        }
        entries.sort_by(|a, b| a.at().cmp(&b.at()).then(a.rank().cmp(&b.rank())));
        Ok(entries)
    }

    /// Open complaints by state and SLA risk, with the riskiest few of each state
    /// (`view_reports`: supervisors and administrators).
    pub async fn complaint_board(&self, p: &Principal, per_state: u32) -> Result<Board, AppError> {
        p.require(Permission::ViewReports)?;
        let now = self.now();
        let mut tx = self.store.read().await?;
        let counts: Vec<BoardCount> = tx.complaint_board_counts(now).await?;
        let cards = tx
            .complaint_board_tickets(now, per_state.clamp(1, 50))
            .await?;
        let mut totals: HashMap<SlaRisk, u64> = SlaRisk::ALL.iter().map(|r| (*r, 0)).collect();
        let columns = State::ALL
            .into_iter()
            .filter(|s| s.is_open())
            .map(|state| {
                let mut cell: HashMap<SlaRisk, u64> =
                    SlaRisk::ALL.iter().map(|r| (*r, 0)).collect();
                for c in counts.iter().filter(|c| c.state == state.as_str()) {
                    *cell.entry(c.risk).or_default() += c.count;
                    *totals.entry(c.risk).or_default() += c.count;
                }
                BoardColumn {
                    state,
                    total: cell.values().sum(),
                    counts: cell,
                    tickets: cards
                        .iter()
                        .filter(|b| b.ticket.state == state)
                        .cloned()
                        .collect(),
                }
            })
            .collect();
        Ok(Board {
            columns,
            totals,
            now,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::SignedDuration;
    use tripdesk_domain::sla::{ClockKind, SlaClock, SlaClockParts};

    fn rec(
        state: ClockState,
        warn: Option<Timestamp>,
        due: Timestamp,
        stopped: Option<Timestamp>,
    ) -> SlaClockRecord {
        let start: Timestamp = "2026-06-01T00:00:00Z".parse().unwrap();
        SlaClockRecord {
            id: Uuid::now_v7(),
            subject_type: "ticket".into(),
            subject_id: "t".into(),
            channel: None,
            department_id: None,
            agent_id: None,
            clock: SlaClock::from_parts(SlaClockParts {
                target_key: format!("k{}", due.as_second()),
                kind: ClockKind::CalendarHours,
                calendar: "hotline".into(),
                state,
                started_at: start,
                due_at: due,
                warn_at: warn,
                opens_at: None,
                paused_at: None,
                paused_total: SignedDuration::ZERO,
                warned: false,
                breached_at: None,
                stopped_at: stopped,
                last_change_at: start,
                provisional: false,
            }),
            version: 1,
            created_at: start,
        }
    }

    #[test]
    fn the_badge_shows_the_riskiest_open_clock() {
        let now: Timestamp = "2026-06-01T10:00:00Z".parse().unwrap();
        let h = SignedDuration::from_hours;
        let on_track = rec(ClockState::Running, Some(now + h(1)), now + h(2), None);
        let sooner = rec(ClockState::Running, Some(now + h(1) / 2), now + h(1), None);
        let warned = rec(ClockState::Running, Some(now - h(1)), now + h(3), None);
        let late = rec(ClockState::Running, None, now - h(1), None);
        let done = rec(ClockState::Met, None, now - h(2), Some(now - h(3)));
        let stopped_breach = rec(ClockState::Breached, None, now - h(5), Some(now - h(4)));
        let paused = rec(ClockState::Paused, None, now + h(1) / 4, None);
        assert_eq!(badge_of(&[], now), None);
        assert_eq!(badge_of(&[done.clone(), stopped_breach.clone()], now), None);
        let b = badge_of(&[on_track.clone(), sooner.clone(), paused.clone()], now).unwrap();
        assert_eq!(
            (b.risk, b.due_at),
            (SlaRisk::OnTrack, now + h(1)),
            "running before paused, earliest due"
        );
        let b = badge_of(&[on_track.clone(), warned.clone()], now).unwrap();
        assert_eq!(b.risk, SlaRisk::AtRisk);
        let b = badge_of(&[warned, late, on_track, done], now).unwrap();
        assert_eq!((b.risk, b.due_at), (SlaRisk::Breached, now - h(1)));
        assert_eq!(badge_of(&[paused], now).unwrap().state, ClockState::Paused);
    }
}
