//! Bulk seeding through the store ports, for the benchmarks that measure at a store size:
//! closed tickets spread over the year before now, each with its SLA clock, written with
//! multi-row inserts in transactions of [`SEED_TX`] tickets (`bench quality`); optionally with
//! what intake also leaves behind — customers with a sealed phone and its blind index, the
//! timeline's `created` entry and the search document (`bench tickets --prefill`), so that
//! every table and index an intake writes to has the size it would have in a store that took
//! that many tickets.

use crate::bench_inbox::{Mix, Staff};
use jiff::{SignedDuration, Timestamp};
use std::time::{Duration, Instant};
use tripdesk_app::App;
use tripdesk_domain::desk::{Channel, Level, State, TicketKind};
use tripdesk_domain::search::SearchKind;
use tripdesk_domain::sla::{ClockKind, ClockState, SlaClock, SlaClockParts};
use tripdesk_store::{
    Customer, CustomerIdentifier, SearchDoc, SlaClockRecord, Ticket, TicketEvent,
};
use uuid::Uuid;

/// Tickets per write transaction while seeding. Not more: the cost of ending each write
/// statement inside a transaction (`sqlite3BtreeSavepoint`, releasing its statement
/// savepoint) grows with the transaction — as we read SQLite's source, the in-memory
/// statement journal (`temp_store = memory`) is a list of 1 KiB chunks walked from its start.
/// With 50,000 per transaction and a statement per search document that took 90 % of the
/// seeding (622 tickets/s to 300,000); with 5,000, 1,289/s to 1,000,000; with the documents
/// also written 1,000 per statement, 11,624/s. docs/PERFORMANCE.md, issue 19.
pub(crate) const SEED_TX: usize = 5_000;
/// The span of the records: a year before now.
pub(crate) const SPAN_DAYS: i64 = 365;

/// What is seeded beside each ticket and its clock.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Extras {
    /// One customer (with a sealed phone and its blind index) per this many tickets, the
    /// tickets naming it; 0: none.
    pub(crate) tickets_per_customer: usize,
    /// The timeline's `created` entry and the search document of each ticket.
    pub(crate) timeline_and_search: bool,
}

/// An instant `i` of `n` spread evenly over the year before `now`, with a little noise.
pub(crate) fn spread(rng: &mut Mix, i: usize, n: usize, now: Timestamp) -> Timestamp {
    let span = SPAN_DAYS * 86_400_000;
    let at = now - SignedDuration::from_millis(span - span * i as i64 / n.max(1) as i64);
    (at - SignedDuration::from_mins(rng.below(600) as i64)).min(now)
}

pub(crate) fn ticket(rng: &mut Mix, staff: &Staff, tag: &str, i: usize, at: Timestamp) -> Ticket {
    let kind = match rng.below(100) {
        0..55 => TicketKind::Inquiry,
        55..80 => TicketKind::Complaint,
        _ => TicketKind::Feedback,
    };
    let (group, people) = if kind == TicketKind::Complaint {
        let (g, p) = rng.pick(&staff.groups);
        (*g, p.as_slice())
    } else {
        (staff.service.0, staff.service.1.as_slice())
    };
    let assignee = (!people.is_empty() && rng.below(10) > 0).then(|| *rng.pick(people));
    let closed = at + SignedDuration::from_hours(1 + rng.below(72) as i64);
    Ticket {
        id: Uuid::now_v7(),
        number: format!("{tag}{i:07}"),
        kind,
        channel: *rng.pick(&Channel::ALL),
        level: Level::General,
        state: State::Closed,
        subject: "咨询线路安排".into(),
        description: "客人来电咨询，已答复。".into(),
        customer_id: None,
        customer_name: "王先生".into(),
        booking_ref: None,
        business_area: None,
        tags: Vec::new(),
        group_id: Some(group),
        assignee_id: assignee,
        compensation_kind: None,
        compensation_amount_fen: None,
        compensation_approved_by: None,
        compensation_approved_at: None,
        cause: None,
        responsible_department_id: None,
        responsible_person: None,
        last_satisfaction: None,
        created_by: None,
        created_at: at,
        updated_at: closed,
        resolved_at: Some(closed),
        closed_at: Some(closed),
        version: 1,
    }
}

/// The ticket's first-response (or, for a complaint, contact) clock: met 93 % of the time.
pub(crate) fn clock(rng: &mut Mix, t: &Ticket) -> SlaClockRecord {
    let key = if t.kind == TicketKind::Complaint {
        "complaint.contact".to_string()
    } else {
        format!("first_response.{}", t.channel.as_str())
    };
    let due = t.created_at + SignedDuration::from_mins(60);
    let met = rng.below(100) < 93;
    let stopped = if met {
        t.created_at + SignedDuration::from_mins(1 + rng.below(59) as i64)
    } else {
        due + SignedDuration::from_mins(1 + rng.below(120) as i64)
    };
    SlaClockRecord {
        id: Uuid::now_v7(),
        subject_type: "ticket".into(),
        subject_id: t.id.to_string(),
        channel: Some(t.channel.as_str().into()),
        department_id: t.group_id,
        agent_id: t.assignee_id,
        clock: SlaClock::from_parts(SlaClockParts {
            target_key: key,
            kind: ClockKind::CalendarHours,
            calendar: "hotline".into(),
            state: if met {
                ClockState::Met
            } else {
                ClockState::Breached
            },
            started_at: t.created_at,
            due_at: due,
            warn_at: None,
            opens_at: None,
            paused_at: None,
            paused_total: SignedDuration::ZERO,
            warned: false,
            breached_at: (!met).then_some(due),
            stopped_at: Some(stopped),
            last_change_at: stopped,
            provisional: false,
        }),
        version: 1,
        created_at: t.created_at,
    }
}

pub(crate) fn customer(rng: &mut Mix, at: Timestamp) -> Customer {
    Customer {
        id: Uuid::now_v7(),
        name: "李女士".into(),
        birth_date_sealed: None,
        diet_sealed: None,
        allergies_sealed: None,
        accessibility_sealed: None,
        preferred_language: Some("zh-CN".into()),
        preferred_channel: None,
        source_channel: Some(
            rng.pick(&["referral", "web", "ota", "phone", "walk_in"])
                .to_string(),
        ),
        tags: Vec::new(),
        notes: None,
        created_by: None,
        updated_by: None,
        created_at: at,
        updated_at: at,
        erased_at: None,
        merged_into: None,
    }
}

/// A seeded customer's phone (`137…`: never one of `bench tickets`' callers), sealed by the
/// vault as intake seals it, with its blind index.
fn phone(app: &App, customer: &Customer, k: usize) -> anyhow::Result<CustomerIdentifier> {
    let vault = app.vault()?;
    let id = Uuid::now_v7();
    let number = format!("137{:08}", k % 100_000_000);
    Ok(CustomerIdentifier {
        id,
        customer_id: customer.id,
        kind: "phone".into(),
        blind_index: vault.blind_index("phone", &format!("+86{number}")),
        sealed: vault
            .encrypt("customer_identifier.phone", &id.to_string(), &number)
            .into_string(),
        masked: format!("{}****{}", &number[..3], &number[7..]),
        is_primary: true,
        created_at: customer.created_at,
    })
}

/// Time spent in each step of the seeding's transactions.
#[derive(Debug, Default)]
struct Phases {
    customers: Duration,
    tickets: Duration,
    timeline: Duration,
    search: Duration,
    commit: Duration,
}

impl std::fmt::Display for Phases {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "customers {:.1} s, tickets and clocks {:.1} s, timeline {:.1} s, search {:.1} s, commits {:.1} s",
            self.customers.as_secs_f64(),
            self.tickets.as_secs_f64(),
            self.timeline.as_secs_f64(),
            self.search.as_secs_f64(),
            self.commit.as_secs_f64()
        )
    }
}

/// Seeds `n` closed tickets (numbers `{tag}{i:07}`) spread over the year before now with
/// their clocks and `extras`, [`SEED_TX`] tickets per transaction. Returns the time taken.
pub(crate) async fn seed_closed_tickets(
    app: &App,
    staff: &Staff,
    rng: &mut Mix,
    n: usize,
    tag: &str,
    extras: Extras,
) -> anyhow::Result<Duration> {
    let now = app.now();
    let started = Instant::now();
    // The search document's words: the same short text for every seeded ticket (segmented
    // once), plus the ticket's number.
    let words = app
        .analyzer()
        .index_tokens_of(&["咨询线路安排", "客人来电咨询，已答复。"]);
    let mut done = 0;
    // Where the seeding's time goes, by step, printed with each progress line.
    let mut spent = Phases::default();
    while done < n {
        let mut batch: Vec<Ticket> = (done..(done + SEED_TX).min(n))
            .map(|i| {
                let at = spread(rng, i, n, now);
                ticket(rng, staff, tag, i, at)
            })
            .collect();
        let mut customers = Vec::new();
        let mut phones = Vec::new();
        if extras.tickets_per_customer > 0 {
            for (j, t) in batch.iter_mut().enumerate() {
                let k = done + j;
                if k % extras.tickets_per_customer == 0 {
                    let c = customer(rng, t.created_at);
                    phones.push(phone(app, &c, k)?);
                    customers.push(c);
                }
                t.customer_id = customers.last().map(|c| c.id);
            }
        }
        let clocks: Vec<SlaClockRecord> = batch.iter().map(|t| clock(rng, t)).collect();
        let mut lap = Instant::now();
        let mut tx = app.store.write().await?;
        for (c, p) in customers.iter().zip(&phones) {
            tx.insert_customer(c).await?;
            tx.insert_identifier(p).await?;
        }
        spent.customers += lap.elapsed();
        lap = Instant::now();
        tx.insert_tickets(&batch).await?;
        tx.insert_sla_clocks(&clocks).await?;
        spent.tickets += lap.elapsed();
        lap = Instant::now();
        if extras.timeline_and_search {
            for t in &batch {
                tx.insert_ticket_event(&TicketEvent {
                    id: Uuid::now_v7(),
                    ticket_id: t.id,
                    at: t.created_at,
                    actor_id: None,
                    actor_name: "seed".into(),
                    kind: "created".into(),
                    step: None,
                    from_state: None,
                    to_state: Some(State::Received.as_str().into()),
                    body: None,
                    data: None,
                })
                .await?;
            }
            spent.timeline += lap.elapsed();
            lap = Instant::now();
            let docs: Vec<SearchDoc> = batch
                .iter()
                .map(|t| {
                    let mut tokens = app.analyzer().index_tokens(&t.number);
                    tokens.extend(words.iter().cloned());
                    SearchDoc {
                        kind: SearchKind::Ticket,
                        id: t.id,
                        ticket_id: Some(t.id),
                        at: t.created_at,
                        tokens,
                    }
                })
                .collect();
            tx.index_search_docs(&docs).await?;
            spent.search += lap.elapsed();
            lap = Instant::now();
        }
        tx.commit().await?;
        spent.commit += lap.elapsed();
        done += batch.len();
        if done % 250_000 < SEED_TX && done < n {
            eprintln!(
                "  {done} of {n} tickets seeded ({:.0} s; {spent})",
                started.elapsed().as_secs_f64()
            );
        }
    }
    Ok(started.elapsed())
}
