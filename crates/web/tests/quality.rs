//! The service-quality dashboard (issue 18 item 1), must-show: every figure on the dashboard
//! equals a figure computed independently from the raw records. The test writes a few
//! hundred records straight into the store — customers, tickets and their SLA clocks of
//! every state, inbound and outbound calls, bookings confirmed and not, surveys, heartbeats
//! with gaps — spread pseudo-randomly over three months; then, for the API's figures of March
//! with its trend (January, February) unfiltered and under channel, department and agent
//! filters, recounts every figure by a plain scan of those records here and compares counts
//! and values. SQLite by default, PostgreSQL with `TRIPDESK_TEST_DATABASE_URL`. Also: the
//! answer rate equals the hotline's own report (`/api/v1/calls/answer-rate`); the page
//! renders every figure with its chart; the public figures are chosen by administrators
//! only; the public commitments page shows what is published.

mod common;

use axum::http::{Method, StatusCode};
use common::{assert_problem, harness_with_clock, Harness};
use jiff::civil::{date, Date};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use tripdesk_domain::clock::ManualClock;
use tripdesk_domain::desk::{Channel, Level, TicketKind};
use tripdesk_domain::phone::{Direction, Disposition};
use tripdesk_domain::sla::ClockState;
use tripdesk_store::conformance::{sample_customer, sample_ticket, sample_ticket_clock};
use tripdesk_store::{
    Booking, CallRecord, Customer, CustomerFilter, SlaClockRecord, Survey, SurveyAnswers, Ticket,
    UserFilter,
};
use uuid::Uuid;

/// A small deterministic generator (the records must be the same on every run).
struct Lcg(u64);
impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len() as u64) as usize]
    }
}

const NOW: &str = "2026-03-20T04:00:00Z";
const CLOCK_KEYS: &[&str] = &[
    "first_response.phone",
    "first_response.chat",
    "first_response.social",
    "first_response.email",
    "booking.confirmation",
    "complaint.contact",
    "complaint.result_report",
    "complaint.follow_up",
    "complaint.follow_up.important",
];

/// Everything the test wrote.
#[derive(Default)]
struct Records {
    customers: Vec<Customer>,
    tickets: Vec<Ticket>,
    clocks: Vec<SlaClockRecord>,
    calls: Vec<CallRecord>,
    bookings: Vec<Booking>,
    surveys: Vec<Survey>,
    beats: Vec<Timestamp>,
}

fn start() -> Timestamp {
    "2026-01-01T00:00:00+08:00".parse().unwrap()
}

/// An instant somewhere between 3 weeks before January and NOW.
fn when(rng: &mut Lcg) -> Timestamp {
    let span = NOW.parse::<Timestamp>().unwrap().as_second() - start().as_second() + 21 * 86_400;
    Timestamp::from_second(start().as_second() - 21 * 86_400 + rng.below(span as u64) as i64)
        .unwrap()
}

/// The customers the demo organisation already holds (its sample records).
async fn existing_customers(h: &Harness) -> Vec<Customer> {
    let mut tx = h.store.store.read().await.unwrap();
    tx.list_customers(&CustomerFilter {
        include_inactive: true,
        limit: 10_000,
        ..Default::default()
    })
    .await
    .unwrap()
}

async fn seed(h: &Harness) -> (Records, Vec<Uuid>, Vec<Uuid>) {
    let mut rng = Lcg(18);
    let now: Timestamp = NOW.parse().unwrap();
    let mut r = Records::default();
    let existing = existing_customers(h).await;
    let mut tx = h.store.store.write().await.unwrap();
    let groups: Vec<Uuid> = tx
        .list_departments()
        .await
        .unwrap()
        .iter()
        .map(|d| d.id)
        .collect();
    let agents: Vec<Uuid> = tx
        .list_users(&UserFilter {
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap()
        .iter()
        .map(|u| u.id)
        .collect();
    assert!(groups.len() >= 2 && agents.len() >= 2);
    for i in 0..60 {
        let mut c = sample_customer(&format!("客户{i}"));
        c.created_at = when(&mut rng);
        c.updated_at = c.created_at;
        c.source_channel = rng
            .pick(&[
                Some("referral"),
                Some("phone"),
                Some("web"),
                Some("ota"),
                None,
            ])
            .map(str::to_string);
        tx.insert_customer(&c).await.unwrap();
        r.customers.push(c);
    }
    // A merged duplicate is not a new customer.
    let mut merged = sample_customer("重复客户");
    merged.created_at = "2026-03-05T02:00:00Z".parse().unwrap();
    merged.source_channel = Some("referral".into());
    merged.merged_into = Some(r.customers[0].id);
    tx.insert_customer(&merged).await.unwrap();
    r.customers.push(merged);
    for i in 0..160 {
        let at = when(&mut rng);
        let mut t = sample_ticket(&format!("Q-{i}"), *rng.pick(&Level::ALL), &at.to_string());
        t.kind = *rng.pick(&TicketKind::ALL);
        t.channel = *rng.pick(&Channel::ALL);
        t.group_id = Some(*rng.pick(&groups)).filter(|_| rng.below(5) > 0);
        t.assignee_id = Some(*rng.pick(&agents)).filter(|_| rng.below(5) > 0);
        t.customer_id = Some(rng.pick(&r.customers[..60]).id);
        tx.insert_ticket(&t).await.unwrap();
        // Up to three clocks of distinct targets (one running clock per target and subject).
        let first = rng.below(CLOCK_KEYS.len() as u64) as usize;
        for j in 0..=rng.below(3) as usize {
            let key = CLOCK_KEYS[(first + 3 * j) % CLOCK_KEYS.len()];
            let started = at + SignedDuration::from_mins(rng.below(600) as i64);
            let due = started + SignedDuration::from_mins(1 + rng.below(3000) as i64);
            let state = *rng.pick(&[
                ClockState::Met,
                ClockState::Met,
                ClockState::Breached,
                ClockState::Running,
                ClockState::Paused,
                ClockState::Cancelled,
            ]);
            let stopped = matches!(
                state,
                ClockState::Met | ClockState::Breached | ClockState::Cancelled
            )
            .then(|| started + SignedDuration::from_mins(rng.below(4000) as i64));
            let mut c = sample_ticket_clock(&t, key, state, started, None, due, stopped);
            c.channel = Some(t.channel.as_str().to_string()).filter(|_| rng.below(8) > 0);
            c.department_id = t.group_id;
            c.agent_id = t.assignee_id;
            tx.insert_sla_clock(&c).await.unwrap();
            r.clocks.push(c);
        }
        if rng.below(3) == 0 {
            let sent = at + SignedDuration::from_hours(30);
            let answered = rng.below(4) > 0;
            let s = Survey {
                id: Uuid::now_v7(),
                ticket_id: t.id,
                token_hash: format!("{:064x}", rng.below(u64::MAX)),
                agent_id: *rng.pick(&agents),
                created_at: sent,
                expires_at: sent + SignedDuration::from_hours(24 * 14),
                emailed: false,
                used_at: answered
                    .then(|| sent + SignedDuration::from_hours(rng.below(24 * 20) as i64)),
                answers: answered.then(|| SurveyAnswers {
                    satisfaction: 1 + rng.below(5) as u8,
                    overall_rating: 4,
                    suggestions: None,
                    reason: Some("原因".into()),
                }),
            };
            tx.insert_survey(&s).await.unwrap();
            r.surveys.push(s);
        }
        r.tickets.push(t);
    }
    for i in 0..120 {
        let at = when(&mut rng);
        let answered = rng.below(10) > 0;
        let ring = rng.below(40) as i64;
        let direction = if rng.below(6) == 0 {
            Direction::Outbound
        } else {
            Direction::Inbound
        };
        r.calls.push(CallRecord {
            id: Uuid::now_v7(),
            source: "cdr".into(),
            call_key: format!("k{i}"),
            direction,
            line: "4008001234".into(),
            agent: answered.then(|| "8001".into()),
            customer_id: None,
            number_sealed: None,
            number_index: None,
            started_at: at,
            answered_at: answered.then(|| at + SignedDuration::from_secs(ring)),
            ended_at: at + SignedDuration::from_secs(ring + 60),
            ring_secs: ring,
            talk_secs: if answered { 60 } else { 0 },
            disposition: if answered {
                Disposition::Answered
            } else {
                Disposition::NoAnswer
            },
            imported_at: now,
            imported_by: None,
            callback_task_id: None,
            ticket_id: None,
        });
    }
    tx.insert_calls(&r.calls).await.unwrap();
    for i in 0..140 {
        let customer = r.customers[rng.below(if i % 2 == 0 { 12 } else { 60 }) as usize].id;
        let at = when(&mut rng);
        let mut b = tripdesk_store::conformance::sample_booking(customer, Vec::new(), at);
        b.starts_on = date(2026, 5, 1);
        b.ends_on = date(2026, 5, 3);
        if rng.below(5) > 0 {
            b.state = tripdesk_domain::bookings::BookingState::Confirmed;
            b.hold_kind = None;
            b.hold_expires_at = None;
            b.confirmation_no = Some(format!("C{i:05}"));
            b.confirmed_at = Some(at + SignedDuration::from_mins(20));
        }
        tx.insert_booking(&b).await.unwrap();
        r.bookings.push(b);
    }
    // Heartbeats from 10 January, with gaps of every length.
    let first: Timestamp = "2026-01-10T03:17:00Z".parse().unwrap();
    let mut m = first;
    while m < now + SignedDuration::from_hours(1) {
        if rng.below(50) > 0 {
            r.beats.push(m);
        }
        let step = if rng.below(400) == 0 {
            1 + rng.below(300)
        } else {
            1
        };
        m += SignedDuration::from_mins(step as i64);
    }
    tx.record_heartbeats("node-a", &r.beats).await.unwrap();
    // A second node's minutes overlap the first's: a minute counts once.
    tx.record_heartbeats("node-b", &r.beats[..r.beats.len() / 3])
        .await
        .unwrap();
    tx.commit().await.unwrap();
    r.customers.extend(existing);
    (r, groups, agents)
}

/// The filters of one request.
#[derive(Clone, Default)]
struct Filter {
    channel: Option<&'static str>,
    group: Option<Uuid>,
    agent: Option<Uuid>,
}

/// Counts computed here, by scanning the records: (num, den) per figure and period, `None`
/// where the figure does not exist under the filter.
fn expected(
    r: &Records,
    f: &Filter,
    from: Timestamp,
    to: Timestamp,
    kpi: &str,
) -> Option<(u64, u64)> {
    let now: Timestamp = NOW.parse().unwrap();
    let inside = |t: Timestamp| from <= t && t < to;
    let keys: &[&str] = match kpi {
        "first_response_phone" => &["first_response.phone"],
        "first_response_chat" => &["first_response.chat"],
        "first_response_social" => &["first_response.social"],
        "first_response_email" => &["first_response.email"],
        "booking_confirmation" => &["booking.confirmation"],
        "complaint_contact" => &["complaint.contact"],
        "complaint_result" => &["complaint.result_report"],
        "complaint_follow_up" => &["complaint.follow_up", "complaint.follow_up.important"],
        _ => &[],
    };
    let filtered = f.channel.is_some() || f.group.is_some() || f.agent.is_some();
    if !keys.is_empty() {
        let (mut met, mut late) = (0, 0);
        for c in &r.clocks {
            if !keys.contains(&c.clock.target_key())
                || !inside(c.clock.started_at())
                || f.channel.is_some_and(|ch| c.channel.as_deref() != Some(ch))
                || f.group.is_some_and(|g| c.department_id != Some(g))
                || f.agent.is_some_and(|a| c.agent_id != Some(a))
            {
                continue;
            }
            match c.clock.state() {
                ClockState::Met => met += 1,
                ClockState::Breached => late += 1,
                ClockState::Running if c.clock.due_at() <= now => late += 1,
                _ => {}
            }
        }
        return Some((met, met + late));
    }
    match kpi {
        "answer_rate" => {
            if f.group.is_some() || f.agent.is_some() || f.channel.is_some_and(|c| c != "phone") {
                return None;
            }
            let inbound: Vec<_> = r
                .calls
                .iter()
                .filter(|c| c.direction == Direction::Inbound && inside(c.started_at))
                .collect();
            let answered = inbound.iter().filter(|c| c.answered_at.is_some()).count();
            Some((answered as u64, inbound.len() as u64))
        }
        "satisfaction" => {
            let tickets: HashMap<Uuid, &Ticket> = r.tickets.iter().map(|t| (t.id, t)).collect();
            let (mut yes, mut all) = (0, 0);
            for s in &r.surveys {
                let (Some(used), Some(a)) = (s.used_at, &s.answers) else {
                    continue;
                };
                let t = tickets[&s.ticket_id];
                if !inside(used)
                    || f.channel.is_some_and(|ch| t.channel.as_str() != ch)
                    || f.group.is_some_and(|g| t.group_id != Some(g))
                    || f.agent.is_some_and(|x| s.agent_id != x)
                {
                    continue;
                }
                all += 1;
                if a.satisfaction >= 4 {
                    yes += 1;
                }
            }
            Some((yes, all))
        }
        _ if filtered => None,
        "uptime" => {
            let Some(first) = r.beats.iter().min().copied() else {
                return Some((0, 0));
            };
            let floor = |t: Timestamp| t.as_second() / 60 * 60;
            let s = floor(from.max(first));
            let e = floor(to.min(now));
            if e <= s {
                return Some((0, 0));
            }
            let up: BTreeSet<i64> = r
                .beats
                .iter()
                .map(|b| b.as_second())
                .filter(|b| *b >= s && *b < e)
                .collect();
            Some((up.len() as u64, ((e - s) / 60) as u64))
        }
        "complaint_rate" => {
            let complaints = r
                .tickets
                .iter()
                .filter(|t| t.kind == TicketKind::Complaint && inside(t.created_at))
                .count();
            let bookings = r
                .bookings
                .iter()
                .filter(|b| b.confirmed_at.is_some() && inside(b.created_at))
                .count();
            Some((complaints as u64, bookings as u64))
        }
        "repurchase_rate" => {
            let who: BTreeSet<Uuid> = r
                .bookings
                .iter()
                .filter(|b| b.confirmed_at.is_some() && inside(b.created_at))
                .map(|b| b.customer_id)
                .collect();
            let returning = who
                .iter()
                .filter(|c| {
                    r.bookings
                        .iter()
                        .filter(|b| {
                            b.customer_id == **c && b.confirmed_at.is_some() && b.created_at < to
                        })
                        .count()
                        >= 2
                })
                .count();
            Some((returning as u64, who.len() as u64))
        }
        "word_of_mouth" => {
            let new: Vec<_> = r
                .customers
                .iter()
                .filter(|c| c.merged_into.is_none() && inside(c.created_at))
                .collect();
            let wom = new
                .iter()
                .filter(|c| c.source_channel.as_deref() == Some("referral"))
                .count();
            Some((wom as u64, new.len() as u64))
        }
        other => panic!("a figure the test does not know: {other}"),
    }
}

fn bounds(from: &str, to: &str) -> (Timestamp, Timestamp) {
    let zone = TimeZone::get("Asia/Shanghai").unwrap();
    let a: Date = from.parse().unwrap();
    let b: Date = to.parse().unwrap();
    (
        a.to_zoned(zone.clone()).unwrap().timestamp(),
        b.tomorrow().unwrap().to_zoned(zone).unwrap().timestamp(),
    )
}

/// The value of counts as the dashboard shows it, computed here.
fn value_of(unit: &str, num: u64, den: u64) -> Option<f64> {
    match unit {
        "count" => Some(num as f64),
        _ if den == 0 => None,
        "share" => Some(num as f64 / den as f64),
        "per100" => Some(num as f64 * 100.0 / den as f64),
        u => panic!("unit {u}"),
    }
}

fn check(r: &Records, f: &Filter, report: &Value) -> usize {
    let items = report["items"].as_array().unwrap();
    assert_eq!(items.len(), 14, "every commitment is on the dashboard");
    let mut compared = 0;
    for item in items {
        let kpi = item["kpi"].as_str().unwrap();
        let trend = item["trend"].as_array().unwrap();
        assert_eq!(trend.len(), 3);
        for p in trend {
            let (from, to) = bounds(p["from"].as_str().unwrap(), p["to"].as_str().unwrap());
            let want = expected(r, f, from, to, kpi);
            match want {
                None => {
                    assert_eq!(item["applies"], false, "{kpi} applies under the filter");
                    assert!(p["value"].is_null(), "{kpi}: a value where none applies");
                }
                Some((num, den)) => {
                    assert_eq!(item["applies"], true, "{kpi}");
                    let got = (
                        p["ratio"]["num"].as_u64().unwrap(),
                        p["ratio"]["den"].as_u64().unwrap(),
                    );
                    assert_eq!(got, (num, den), "{kpi} {} counts", p["from"]);
                    let v = value_of(item["unit"].as_str().unwrap(), num, den);
                    match (v, p["value"].as_f64()) {
                        (None, None) => {}
                        (Some(a), Some(b)) => assert!((a - b).abs() < 1e-9, "{kpi}: {a} ≠ {b}"),
                        (a, b) => panic!("{kpi} {}: {a:?} ≠ {b:?}", p["from"]),
                    }
                    compared += 1;
                }
            }
        }
        // The headline is the last point.
        assert_eq!(item["value"], trend[2]["value"], "{kpi}");
        assert_eq!(item["ratio"], trend[2]["ratio"], "{kpi}");
    }
    compared
}

#[tokio::test]
async fn every_figure_equals_an_independent_count_of_the_records() {
    let now: Timestamp = NOW.parse().unwrap();
    let h = harness_with_clock(Arc::new(ManualClock::new(now))).await;
    let boss = h.token("zhao.min").await;
    let url = "/api/v1/quality/kpis?from=2026-03-01&to=2026-03-31&trend=3";
    // Before the records are written the store holds only the demo organisation's sample
    // customers: the figures are theirs.
    let empty = h.api(Method::GET, url, &boss, Value::Null).await;
    assert_eq!(empty.status, StatusCode::OK, "{}", empty.text);
    let before = Records {
        customers: existing_customers(&h).await,
        ..Default::default()
    };
    check(&before, &Filter::default(), &empty.body);
    let (r, groups, agents) = seed(&h).await;
    let mut filters = vec![
        Filter::default(),
        Filter {
            channel: Some("phone"),
            ..Default::default()
        },
        Filter {
            channel: Some("email"),
            ..Default::default()
        },
    ];
    for g in &groups[..2] {
        filters.push(Filter {
            group: Some(*g),
            ..Default::default()
        });
    }
    for a in &agents[..3] {
        filters.push(Filter {
            agent: Some(*a),
            ..Default::default()
        });
    }
    filters.push(Filter {
        channel: Some("chat"),
        group: Some(groups[0]),
        agent: None,
    });
    let mut compared = 0;
    for f in &filters {
        let mut uri = url.to_string();
        if let Some(c) = f.channel {
            uri.push_str(&format!("&channel={c}"));
        }
        if let Some(g) = f.group {
            uri.push_str(&format!("&group={g}"));
        }
        if let Some(a) = f.agent {
            uri.push_str(&format!("&agent={a}"));
        }
        let got = h.api(Method::GET, &uri, &boss, Value::Null).await;
        assert_eq!(got.status, StatusCode::OK, "{}", got.text);
        compared += check(&r, f, &got.body);
    }
    assert!(compared > 150, "only {compared} figures compared");
    // The unfiltered figures are not all empty (the records reach every figure).
    let all = h.api(Method::GET, url, &boss, Value::Null).await;
    for item in all.body["items"].as_array().unwrap() {
        assert!(
            item["trend"][1]["ratio"]["den"].as_u64().unwrap() > 0
                || item["kpi"] == "word_of_mouth",
            "{item}"
        );
    }
    // The answer rate is the hotline report's.
    let rate = h
        .api(
            Method::GET,
            "/api/v1/calls/answer-rate?from=2026-02-01&to=2026-02-28",
            &boss,
            Value::Null,
        )
        .await;
    let ours = all.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["kpi"] == "answer_rate")
        .unwrap();
    assert_eq!(
        ours["trend"][1]["ratio"]["num"],
        rate.body["total"]["answered"]
    );
    assert_eq!(
        ours["trend"][1]["ratio"]["den"],
        rate.body["total"]["offered"]
    );

    // The clocks behind a figure: breached first, each one counted above.
    let cases = h
        .api(
            Method::GET,
            "/api/v1/quality/cases?kpi=first_response_email&from=2026-03-01&to=2026-03-31&limit=200",
            &boss,
            Value::Null,
        )
        .await;
    assert_eq!(cases.status, StatusCode::OK, "{}", cases.text);
    let (from, to) = bounds("2026-03-01", "2026-03-31");
    let (met, decided) =
        expected(&r, &Filter::default(), from, to, "first_response_email").unwrap();
    let listed = cases.body["items"].as_array().unwrap();
    assert_eq!(listed.len() as u64, decided);
    let late = listed.iter().filter(|c| c["outcome"] == "breached").count() as u64;
    assert_eq!(late, decided - met);
    assert!(listed[..late as usize]
        .iter()
        .all(|c| c["outcome"] == "breached"));

    // The page: a card per figure with its chart, in Chinese.
    let page = h
        .ui_get("/quality?from=2026-03-01&to=2026-03-31", "zhao.min")
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.text.matches("class=\"panel kpi-card\"").count(), 14);
    assert_eq!(page.text.matches("<svg class=\"chart\"").count(), 14);
    assert!(page.text.contains("电话接通率") && page.text.contains("预订系统可用率"));
    let cases_page = h
        .ui_get(
            "/quality/cases?kpi=first_response_email&from=2026-03-01&to=2026-03-31",
            "zhao.min",
        )
        .await;
    assert_eq!(cases_page.status, StatusCode::OK);
    assert!(cases_page.text.contains("/desk/tickets/"));
}

#[tokio::test]
async fn bad_periods_and_filters_are_named_and_publishing_is_for_administrators() {
    let h = harness_with_clock(Arc::new(ManualClock::new(NOW.parse().unwrap()))).await;
    let (admin, boss) = (h.token("admin").await, h.token("zhao.min").await);
    let get = |uri: &'static str| {
        let (h, boss) = (&h, boss.clone());
        async move { h.api(Method::GET, uri, &boss, Value::Null).await }
    };
    let r = get("/api/v1/quality/kpis?from=2026-03-31&to=2026-03-01").await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(common::field_of(&r), "to");
    let r = get("/api/v1/quality/kpis?from=2026-03-01&to=2026-03-31&channel=fax").await;
    assert_eq!(common::field_of(&r), "channel");
    let r = get("/api/v1/quality/kpis?from=2025-01-01&to=2026-03-31").await;
    assert_eq!(common::field_of(&r), "to");
    let r = get("/api/v1/quality/kpis?from=2026-03-01&to=2026-03-31&trend=13").await;
    assert_eq!(common::field_of(&r), "trend");
    let r = get("/api/v1/quality/cases?kpi=uptime&from=2026-03-01&to=2026-03-31").await;
    assert_eq!(common::field_of(&r), "kpi");

    let body = json!({"kpis": ["uptime", "answer_rate", "uptime"]});
    let r = h
        .api(Method::PUT, "/api/v1/quality/public", &boss, body.clone())
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    let r = h
        .api(Method::PUT, "/api/v1/quality/public", &admin, body)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["kpis"], json!(["answer_rate", "uptime"]));
    let r = h
        .api(
            Method::PUT,
            "/api/v1/quality/public",
            &admin,
            json!({"kpis": ["nope"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let r = get("/api/v1/quality/public").await;
    assert_eq!(r.body["kpis"], json!(["answer_rate", "uptime"]));
}
