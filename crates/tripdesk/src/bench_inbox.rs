//! `tripdesk bench inbox`: the agent inbox (`GET /desk`, the queue an agent lands on) with a
//! million tickets in the store. Seeds the tickets in bulk (multi-row inserts, 50,000 per
//! transaction: 90 days of inquiries, complaints and feedback in every level, state, group
//! and assignee, most of them closed), each with its SLA clock (closed tickets' met; open
//! ones on track, warned or breached, `--at-risk` percent of them at risk, none falling due
//! within the hour so the engine stays idle), settles the store (planner statistics), signs
//! agents in through the login form, and fetches the page with 1, 8… agents at once on the
//! real server.

use crate::bench_http::{self, Client, Server};
use anyhow::{bail, Context};
use bytes::Bytes;
use hyper::{Method, StatusCode};
use jiff::{SignedDuration, Timestamp};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;
use tripdesk_app::identity::NewUser;
use tripdesk_app::{App, AppError};
use tripdesk_domain::desk::{Channel, CompensationKind, Level, State, TicketKind};
use tripdesk_domain::identity::Role;
use tripdesk_domain::sla::{ClockKind, ClockState, SlaClock, SlaClockParts};
use tripdesk_store::{SlaClockRecord, Ticket, TicketFilter, UserFilter};
use uuid::Uuid;

/// Tickets per write transaction while seeding.
const SEED_TX: usize = 50_000;

pub async fn run(
    db: crate::DbArgs,
    tickets: usize,
    agents: Vec<usize>,
    pages: usize,
    at_risk: u8,
) -> anyhow::Result<()> {
    if at_risk > 100 {
        bail!("--at-risk is a percentage of the open tickets: 0 to 100");
    }
    let mut config = crate::load_config(&db, None)?;
    config.log_level = "warn".into();
    crate::telemetry::init(&config);
    let temp = crate::tempfile_dir_unless(&db)?;
    if let Some(dir) = &temp {
        config.data_dir = dir.clone();
    }
    let result = inbox(&config, tickets, &agents, pages, at_risk).await;
    if let Some(dir) = temp {
        let _ = std::fs::remove_dir_all(dir);
    }
    result
}

async fn inbox(
    config: &crate::config::Config,
    tickets: usize,
    agents: &[usize],
    pages: usize,
    at_risk: u8,
) -> anyhow::Result<()> {
    let app = crate::bench_tickets::bench_app(config).await?;
    println!(
        "tripdesk bench inbox: GET /desk on {}; {}",
        config.location()?.describe(),
        bench_http::machine()
    );
    let most = agents.iter().copied().max().unwrap_or(1);
    let names = ensure_agents(&app, most).await?;
    seed(&app, tickets, &names, at_risk).await?;

    let server = Server::start(config, app.clone()).await?;
    let mut cookies = Vec::new();
    {
        let mut client = Client::connect(server.addr).await?;
        for name in &names {
            cookies.push(ui_login(&mut client, name).await?);
        }
    }
    let cookies = Arc::new(cookies);
    println!("{}", bench_http::header("pages/s"));
    for &n in agents {
        let cookies = cookies.clone();
        let run = bench_http::drive(server.addr, n, pages, move |mut client, worker, _| {
            let cookie = cookies[worker % cookies.len()].clone();
            async move {
                let reply = client
                    .send(Method::GET, "/desk", &[("cookie", cookie.as_str())], None)
                    .await?;
                if reply.status != StatusCode::OK
                    || !reply.body.windows(14).any(|w| w == b"/desk/tickets/")
                {
                    bail!(
                        "GET /desk answered {} without ticket rows: {}",
                        reply.status,
                        String::from_utf8_lossy(&reply.body[..reply.body.len().min(400)])
                    );
                }
                Ok(client)
            }
        })
        .await?;
        println!("{}", run.row(n));
    }
    server.stop().await?;
    Ok(())
}

/// The bench agents `bench.agent01`… (customer service), created once; returns their names.
async fn ensure_agents(app: &App, n: usize) -> anyhow::Result<Vec<String>> {
    let console = App::console_principal();
    let depts = app.list_departments(&console).await?;
    let cs = depts
        .iter()
        .find(|(d, _)| d.code == "customer_service")
        .map(|(d, _)| d.id)
        .context("the demo organisation has no customer_service department")?;
    let mut names = Vec::new();
    for i in 1..=n {
        let username = format!("bench.agent{i:02}");
        let made = app
            .create_user(
                &console,
                NewUser {
                    username: username.clone(),
                    display_name: format!("压测坐席{i:02}"),
                    email: None,
                    password: tripdesk_app::demo::DEMO_PASSWORD.into(),
                    department_id: Some(cs),
                    roles: vec![Role::Agent],
                    locale: Some("zh-CN".into()),
                },
            )
            .await;
        match made {
            Ok(_) | Err(AppError::Conflict { .. }) => names.push(username),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(names)
}

/// Signs in through the login form; returns the `Cookie` header value.
pub(crate) async fn ui_login(client: &mut Client, username: &str) -> anyhow::Result<String> {
    let body = format!(
        "username={username}&password={}&next=%2Fdesk",
        tripdesk_app::demo::DEMO_PASSWORD
    );
    let reply = client
        .send(
            Method::POST,
            "/login",
            &[("content-type", "application/x-www-form-urlencoded")],
            Some(Bytes::from(body)),
        )
        .await?;
    let cookie = reply
        .headers
        .get_all(hyper::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(tripdesk_web::extract::SESSION_COOKIE))
        .and_then(|v| v.split(';').next())
        .map(str::to_string);
    match cookie {
        Some(c) if reply.status == StatusCode::SEE_OTHER => Ok(c),
        _ => bail!(
            "signing in as {username} through /login answered {}",
            reply.status
        ),
    }
}

/// A small deterministic generator (SplitMix64): the same seed gives the same tickets.
pub(crate) struct Mix(pub(crate) u64);

impl Mix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// 0..n
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Who tickets can be routed and assigned to: handling groups with their members, and the
/// customer-service agents who take inquiries.
pub(crate) struct Staff {
    pub(crate) groups: Vec<(Uuid, Vec<Uuid>)>,
    pub(crate) service: (Uuid, Vec<Uuid>),
}

pub(crate) async fn staff(app: &App, agents: &[String]) -> anyhow::Result<Staff> {
    let console = App::console_principal();
    let depts = app.list_departments(&console).await?;
    let users = app
        .list_users(
            &console,
            &UserFilter {
                limit: 500,
                ..Default::default()
            },
        )
        .await?
        .users;
    let mut members: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for u in &users {
        if let Some(d) = u.department_id {
            if u.roles.contains(&Role::Handler) || agents.contains(&u.username) {
                members.entry(d).or_default().push(u.id);
            }
        }
    }
    let mut groups = Vec::new();
    let mut service = None;
    for (d, _) in depts {
        let people = members.remove(&d.id).unwrap_or_default();
        if d.code == "customer_service" {
            service = Some((d.id, people));
        } else if !people.is_empty() {
            groups.push((d.id, people));
        }
    }
    Ok(Staff {
        groups,
        service: service.context("no customer_service department")?,
    })
}

const SURNAMES: [&str; 12] = [
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙",
];
const SUBJECTS: [&str; 8] = [
    "导游擅自更改行程，取消了西湖游船",
    "酒店房间与预订不符",
    "咨询黄山三日游的出发日期",
    "民宿早餐时间能否提前",
    "接机司机迟到一小时",
    "Refund for the cancelled Guilin tour",
    "表扬导游小李的细心安排",
    "行李在大巴上遗失",
];
const OPEN_COMPLAINT: [State; 11] = [
    State::Received,
    State::Triaged,
    State::Assigned,
    State::Contacted,
    State::Investigating,
    State::SolutionProposed,
    State::Resolved,
    State::ResultReported,
    State::FollowUpScheduled,
    State::FollowedUp,
    State::Reopened,
];

/// Ticket `i` of `n`, created between 90 days ago and now (oldest first). Tickets older than
/// two weeks are closed but for 1 in 100; of the last two weeks' a quarter is still open.
fn seeded_ticket(
    rng: &mut Mix,
    staff: &Staff,
    tag: &str,
    i: usize,
    n: usize,
    now: Timestamp,
) -> Ticket {
    let span_ms = 90 * 24 * 3600 * 1000i64;
    let created = now - SignedDuration::from_millis(span_ms - span_ms * i as i64 / n.max(1) as i64);
    let recent = now.duration_since(created) < SignedDuration::from_hours(24 * 14);
    let kind = match rng.below(100) {
        0..50 => TicketKind::Inquiry,
        50..85 => TicketKind::Complaint,
        _ => TicketKind::Feedback,
    };
    let level = match rng.below(100) {
        0..80 => Level::General,
        80..95 => Level::Important,
        _ => Level::Urgent,
    };
    let open = rng.below(100) < if recent { 25 } else { 1 };
    let state = match (open, kind) {
        (false, _) => State::Closed,
        (true, TicketKind::Complaint) => *rng.pick(&OPEN_COMPLAINT),
        (true, _) => State::Received,
    };
    // Complaints past triage belong to a handling group; inquiries to customer service.
    let (group, people) = if kind == TicketKind::Complaint {
        let (g, p) = rng.pick(&staff.groups);
        (*g, p.as_slice())
    } else {
        (staff.service.0, staff.service.1.as_slice())
    };
    let routed = !matches!(state, State::Received | State::Triaged);
    let assignee = (routed && !people.is_empty() && rng.below(10) > 0).then(|| *rng.pick(people));
    let closed = state == State::Closed;
    let updated = created + SignedDuration::from_mins(rng.below(3 * 24 * 60) as i64);
    let updated = updated.min(now);
    let complaint_closed = closed && kind == TicketKind::Complaint;
    Ticket {
        id: Uuid::now_v7(),
        number: format!("{tag}{i:07}"),
        kind,
        channel: *rng.pick(&[
            Channel::Phone,
            Channel::Phone,
            Channel::Email,
            Channel::WebForm,
            Channel::Chat,
            Channel::OnSite,
            Channel::Social,
        ]),
        level,
        state,
        subject: rng.pick(&SUBJECTS).to_string(),
        description: "客人反映的情况已记录，详见通话记录与附件。".into(),
        customer_id: None,
        customer_name: format!(
            "{}{}",
            rng.pick(&SURNAMES),
            if rng.below(2) == 0 {
                "先生"
            } else {
                "女士"
            }
        ),
        booking_ref: (rng.below(3) == 0).then(|| format!("BK-{}", 100_000 + rng.below(900_000))),
        business_area: None,
        tags: Vec::new(),
        group_id: routed.then_some(group),
        assignee_id: assignee,
        compensation_kind: complaint_closed.then_some(CompensationKind::Apology),
        compensation_amount_fen: complaint_closed.then_some(0),
        compensation_approved_by: None,
        compensation_approved_at: None,
        cause: None,
        responsible_department_id: None,
        responsible_person: None,
        last_satisfaction: complaint_closed.then(|| 1 + rng.below(5) as u8),
        created_by: None,
        created_at: created,
        updated_at: updated,
        resolved_at: closed.then_some(updated),
        closed_at: closed.then_some(updated),
        version: 1,
    }
}

/// The SLA clock of a seeded ticket, as the engine would have left it at `now`: a closed
/// ticket's met; an open one's breached (half of `at_risk` percent), past its warning (the
/// other half) or on track. No running clock warns or falls due within the hour, so the
/// server's SLA engine has nothing to fire while the pages are fetched.
fn seeded_clock(rng: &mut Mix, t: &Ticket, at_risk: u8, now: Timestamp) -> SlaClockRecord {
    let hour = SignedDuration::from_hours(1);
    let mins = |rng: &mut Mix, most: usize| SignedDuration::from_mins(1 + rng.below(most) as i64);
    let target_key = if t.kind == TicketKind::Complaint {
        "complaint.contact".to_string()
    } else {
        format!("first_response.{}", t.channel.as_str())
    };
    let started = t.created_at;
    let risk = rng.below(200);
    let (state, warn_at, due_at, warned, breached_at, stopped_at) =
        if let Some(closed) = t.closed_at {
            let due = started + SignedDuration::from_hours(24);
            (
                ClockState::Met,
                Some(due - hour),
                due,
                false,
                None,
                Some(closed.min(due)),
            )
        } else if risk < usize::from(at_risk) {
            // Breached an hour to a day ago (never before it started), still open.
            let due = (now - hour - mins(rng, 23 * 60)).max(started);
            (
                ClockState::Breached,
                Some(due - hour),
                due,
                true,
                Some(due),
                None,
            )
        } else if risk < 2 * usize::from(at_risk) {
            // Warned in the last two hours, due in one hour to two days.
            let warn = (now - mins(rng, 120)).max(started);
            let due = now + hour + mins(rng, 47 * 60);
            (ClockState::Running, Some(warn), due, true, None, None)
        } else {
            // Warns in one hour to two days, due an hour after.
            let warn = now + hour + mins(rng, 47 * 60);
            (
                ClockState::Running,
                Some(warn),
                warn + hour,
                false,
                None,
                None,
            )
        };
    let last_change_at = stopped_at.or(breached_at).unwrap_or(started);
    SlaClockRecord {
        id: Uuid::now_v7(),
        subject_type: "ticket".into(),
        subject_id: t.id.to_string(),
        channel: Some(t.channel.as_str().into()),
        department_id: t.group_id,
        agent_id: t.assignee_id,
        clock: SlaClock::from_parts(SlaClockParts {
            target_key,
            kind: ClockKind::CalendarHours,
            calendar: "hotline".into(),
            state,
            started_at: started,
            due_at,
            warn_at,
            opens_at: None,
            paused_at: None,
            paused_total: SignedDuration::ZERO,
            warned,
            breached_at,
            stopped_at,
            last_change_at,
            provisional: false,
        }),
        version: 1,
        created_at: started,
    }
}

/// Adds tickets, each with its SLA clock, until the store holds `target`; then settles the
/// store (planner statistics) as an operator would after a bulk load.
async fn seed(app: &App, target: usize, agents: &[String], at_risk: u8) -> anyhow::Result<()> {
    let have = {
        let mut tx = app.store.read().await?;
        tx.count_tickets(&TicketFilter::default()).await? as usize
    };
    if have >= target {
        println!("the store already holds {have} tickets; none seeded");
        return Ok(());
    }
    let staff = staff(app, agents).await?;
    let n = target - have;
    // Numbers `B<run>-0000001`: never clash with intake's `TS…` nor an earlier seeding.
    let tag = format!("B{}-", Timestamp::now().as_second() % 100_000);
    let mut rng = Mix(target as u64);
    let now = app.now();
    let started = Instant::now();
    let mut done = 0;
    while done < n {
        let batch: Vec<Ticket> = (done..(done + SEED_TX).min(n))
            .map(|i| seeded_ticket(&mut rng, &staff, &tag, i, n, now))
            .collect();
        let clocks: Vec<SlaClockRecord> = batch
            .iter()
            .map(|t| seeded_clock(&mut rng, t, at_risk, now))
            .collect();
        let mut tx = app.store.write().await?;
        tx.insert_tickets(&batch).await?;
        tx.insert_sla_clocks(&clocks).await?;
        tx.commit().await?;
        done += batch.len();
    }
    let secs = started.elapsed().as_secs_f64();
    let mut tx = app.store.read().await?;
    let open = tx
        .count_tickets(&TicketFilter {
            open_only: true,
            ..Default::default()
        })
        .await?;
    let at_risk_now = tx
        .count_tickets(&TicketFilter {
            open_only: true,
            sla_risk_at: Some(now),
            ..Default::default()
        })
        .await?;
    drop(tx);
    println!(
        "seeded {n} tickets with their SLA clocks in {secs:.1} s ({:.0}/s); {} in the store, \
         {open} open, {at_risk_now} of them at SLA risk (--at-risk {at_risk})",
        n as f64 / secs,
        have + n
    );
    let started = Instant::now();
    let estimates = app.store.settle_after_bulk_load().await?;
    let tickets_estimate = estimates
        .iter()
        .find(|e| e.table == "tickets")
        .and_then(|e| e.rows)
        .map_or("none".to_string(), |n| n.to_string());
    println!(
        "settled the store in {:.1} s (planner's estimate of tickets: {tickets_estimate})",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
