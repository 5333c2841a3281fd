//! Conformance checks of the quality counts (re-exported by [`crate::conformance`]). The
//! figures against independent scans of many records are checked end to end by
//! `crates/web/tests/quality.rs`; these pin the edges of each count.

/// This repository's checks as tests (run by [`conformance_tests!`](crate::conformance_tests)).
#[macro_export]
macro_rules! quality_conformance_tests {
    ($make:expr) => {
        $crate::conformance_tests!(@each $make;
            heartbeats_count_each_minute_once_across_nodes,
            clock_counts_take_running_clocks_past_due_as_breached,
            counts_follow_every_change_whatever_the_period_edges,
            published_figures_are_replaced_whole);
    };
}

use crate::conformance::{sample_ticket, sample_ticket_clock};
use crate::*;
use jiff::{SignedDuration, Timestamp};
use tripdesk_domain::desk::{Level, TicketKind};
use tripdesk_domain::sla::ClockState;
use uuid::Uuid;

fn t(s: &str) -> Timestamp {
    s.parse().expect("test instant")
}

/// Two nodes in one minute are one minute up; the same node twice is recorded once; the
/// period's bounds include its start and exclude its end; the first heartbeat is the oldest.
pub async fn heartbeats_count_each_minute_once_across_nodes(store: &dyn Store) {
    let mut tx = store.write().await.unwrap();
    assert_eq!(tx.first_heartbeat().await.unwrap(), None);
    let m0 = t("2026-05-01T00:00:00Z");
    let m = |i: i64| m0 + SignedDuration::from_mins(i);
    assert!(tx.record_heartbeat("a", m(0)).await.unwrap());
    assert!(!tx.record_heartbeat("a", m(0)).await.unwrap());
    assert!(tx.record_heartbeat("b", m(0)).await.unwrap());
    assert!(tx.record_heartbeat("a", m(1)).await.unwrap());
    assert!(tx.record_heartbeat("b", m(3)).await.unwrap());
    tx.commit().await.unwrap();
    let mut r = store.read().await.unwrap();
    assert_eq!(r.heartbeat_minutes(m(0), m(4)).await.unwrap(), 3);
    assert_eq!(r.heartbeat_minutes(m(1), m(3)).await.unwrap(), 1);
    assert_eq!(r.heartbeat_minutes(m(4), m(9)).await.unwrap(), 0);
    assert_eq!(r.first_heartbeat().await.unwrap(), Some(m(0)));
    drop(r);

    // Many at once (a history written in one statement): node a every minute of three
    // hours, node b every other minute of the middle one and on into a fourth, one statement
    // holding a minute twice; whole hours are read from the rollup, so its count must be the
    // distinct minutes whatever wrote them.
    let h0 = t("2026-05-02T00:00:00Z");
    let at = |i: i64| h0 + SignedDuration::from_mins(i);
    let a: Vec<Timestamp> = (0..180).map(at).collect();
    let mut b: Vec<Timestamp> = (60..240).step_by(2).map(at).collect();
    b.push(at(60));
    let mut tx = store.write().await.unwrap();
    assert_eq!(tx.record_heartbeats("a", &a).await.unwrap(), 180);
    assert_eq!(tx.record_heartbeats("b", &b).await.unwrap(), 90);
    tx.commit().await.unwrap();
    let mut r = store.read().await.unwrap();
    let whole = |i: i64| h0 + SignedDuration::from_hours(i);
    assert_eq!(
        r.heartbeat_minutes(whole(0), whole(4)).await.unwrap(),
        180 + 30
    );
    assert_eq!(r.heartbeat_minutes(whole(1), whole(2)).await.unwrap(), 60);
    assert_eq!(r.heartbeat_minutes(whole(3), whole(4)).await.unwrap(), 30);
    assert_eq!(
        r.heartbeat_minutes(at(30), at(210)).await.unwrap(),
        150 + 15
    );
}

/// Met clocks count as met; breached ones, and running ones past their deadline, as
/// breached; cancelled, paused and running-in-time ones nowhere; the channel filter and the
/// period (by start) apply; the cases list the breached first.
pub async fn clock_counts_take_running_clocks_past_due_as_breached(store: &dyn Store) {
    let now = t("2026-06-01T10:00:00Z");
    let h = SignedDuration::from_hours;
    let tk = sample_ticket("QC1", Level::General, "2026-06-01T01:00:00Z");
    let key = "first_response.phone";
    let clock = |state, started: Timestamp, due: Timestamp, stopped| {
        sample_ticket_clock(&tk, key, state, started, None, due, stopped)
    };
    let s = t("2026-06-01T02:00:00Z");
    let met = clock(ClockState::Met, s, s + h(1), Some(s + h(0)));
    let breached = clock(ClockState::Breached, s, s + h(1), Some(s + h(2)));
    let late = clock(ClockState::Running, s, s + h(1), None);
    // One running clock per subject and target: the one in time is another ticket's.
    let tk2 = sample_ticket("QC2", Level::General, "2026-06-01T01:00:00Z");
    let mut in_time = clock(ClockState::Running, s, now + h(1), None);
    in_time.subject_id = tk2.id.to_string();
    let cancelled = clock(ClockState::Cancelled, s, s + h(1), Some(s));
    let before = clock(ClockState::Met, s - h(48), s - h(47), Some(s - h(47)));
    let mut email = clock(ClockState::Met, s, s + h(1), Some(s));
    email.channel = Some("email".into());
    let mut tx = store.write().await.unwrap();
    tx.insert_ticket(&tk).await.unwrap();
    tx.insert_ticket(&tk2).await.unwrap();
    for c in [
        &met, &breached, &late, &in_time, &cancelled, &before, &email,
    ] {
        tx.insert_sla_clock(c).await.unwrap();
    }
    tx.commit().await.unwrap();
    let mut r = store.read().await.unwrap();
    let scope = QualityScope::period(t("2026-06-01T00:00:00Z"), t("2026-06-02T00:00:00Z"));
    let counts = r.quality_clock_counts(&scope, &[key], now).await.unwrap();
    assert_eq!(
        counts,
        vec![ClockCounts {
            target_key: key.into(),
            met: 2,
            breached: 2
        }]
    );
    let phone = QualityScope {
        channel: Some("phone".into()),
        ..scope.clone()
    };
    let counts = r.quality_clock_counts(&phone, &[key], now).await.unwrap();
    assert_eq!((counts[0].met, counts[0].breached), (1, 2));
    let cases = r
        .quality_clock_cases(&phone, &[key], now, 10, 0)
        .await
        .unwrap();
    let outcomes: Vec<_> = cases.iter().map(|c| c.outcome.as_str()).collect();
    assert_eq!(outcomes, ["breached", "breached", "met"]);
    assert!(cases.iter().all(|c| c.label.as_deref() == Some("QC1")));
    assert!(r
        .quality_clock_counts(&scope, &[], now)
        .await
        .unwrap()
        .is_empty());
}

/// The published figures are whatever was set last, sorted.
pub async fn published_figures_are_replaced_whole(store: &dyn Store) {
    let at = t("2026-06-01T10:00:00Z");
    let mut tx = store.write().await.unwrap();
    assert!(tx.public_kpis().await.unwrap().is_empty());
    tx.set_public_kpis(&["uptime".into(), "answer_rate".into()], at)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut tx = store.write().await.unwrap();
    assert_eq!(tx.public_kpis().await.unwrap(), ["answer_rate", "uptime"]);
    tx.set_public_kpis(&["satisfaction".into()], at)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut r = store.read().await.unwrap();
    assert_eq!(r.public_kpis().await.unwrap(), ["satisfaction"]);
}

/// What a scope's clock counts must be, scanned from the records as they now stand.
fn expected_clocks(clocks: &[SlaClockRecord], scope: &QualityScope, now: Timestamp) -> (u64, u64) {
    let inside = |c: &&SlaClockRecord| {
        let s = c.clock.started_at();
        s >= scope.from
            && s < scope.to
            && scope
                .channel
                .as_ref()
                .is_none_or(|ch| c.channel.as_ref() == Some(ch))
            && scope.group.is_none_or(|g| c.department_id == Some(g))
            && scope.agent.is_none_or(|a| c.agent_id == Some(a))
    };
    let of = |c: &&SlaClockRecord| match c.clock.state() {
        ClockState::Met => (1, 0),
        ClockState::Breached => (0, 1),
        ClockState::Running if c.clock.due_at() <= now => (0, 1),
        _ => (0, 0),
    };
    clocks
        .iter()
        .filter(inside)
        .map(|c| of(&c))
        .fold((0, 0), |(m, b), (x, y)| (m + x, b + y))
}

/// The counts the dashboard reads — clock outcomes, complaints, minutes up — equal scans of
/// the records after inserts and after changes of state, channel, department, agent and
/// kind; over periods on whole hours, on half hours (a zone such as India's) and shorter
/// than an hour; for everything, each one filter, and two filters at once.
pub async fn counts_follow_every_change_whatever_the_period_edges(store: &dyn Store) {
    let now = t("2026-06-03T12:00:00Z");
    let key = "first_response.phone";
    let base = t("2026-06-01T00:00:00Z");
    let at = |mins: i64| base + SignedDuration::from_mins(mins);
    let (g1, g2, a1) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    let states = [
        ClockState::Met,
        ClockState::Breached,
        ClockState::Running,
        ClockState::Met,
        ClockState::Cancelled,
        ClockState::Running,
        ClockState::Met,
    ];
    let mut tickets = Vec::new();
    let mut clocks = Vec::new();
    for i in 0..states.len() * 4 {
        // Every 97 minutes: some hours hold a record, some none; across two days.
        let started = at(i as i64 * 97 + 10);
        let mut tk = sample_ticket(&format!("QR{i}"), Level::General, "2026-06-01T00:00:00Z");
        tk.created_at = started;
        tk.updated_at = started;
        if i % 3 == 1 {
            tk.kind = TicketKind::Inquiry;
        }
        let state = states[i % states.len()];
        let due = if i % 2 == 0 {
            started + SignedDuration::from_hours(1)
        } else {
            now + SignedDuration::from_hours(1)
        };
        let stopped = (state != ClockState::Running).then_some(started);
        let mut c = sample_ticket_clock(&tk, key, state, started, None, due, stopped);
        c.channel = Some(["phone", "email"][i % 2].into());
        c.department_id = [Some(g1), Some(g2), None][i % 3];
        c.agent_id = (i % 4 == 0).then_some(a1);
        tickets.push(tk);
        clocks.push(c);
    }
    let mut tx = store.write().await.unwrap();
    tx.insert_tickets(&tickets[..10]).await.unwrap();
    for tk in &tickets[10..] {
        tx.insert_ticket(tk).await.unwrap();
    }
    tx.insert_sla_clocks(&clocks[..10]).await.unwrap();
    for c in &clocks[10..] {
        tx.insert_sla_clock(c).await.unwrap();
    }
    tx.commit().await.unwrap();

    // Changes: a running clock met, a met one breached, a breached one cancelled, a met
    // one moved to another channel, department and agent; an inquiry turned complaint and a
    // complaint turned inquiry.
    let mut tx = store.write().await.unwrap();
    let change = |c: &SlaClockRecord, state: ClockState| {
        let mut next = sample_ticket_clock(
            &tickets[0],
            key,
            state,
            c.clock.started_at(),
            None,
            c.clock.due_at(),
            Some(c.clock.started_at()),
        );
        next.id = c.id;
        next.subject_id = c.subject_id.clone();
        next.channel = c.channel.clone();
        next.department_id = c.department_id;
        next.agent_id = c.agent_id;
        next.version = c.version;
        next
    };
    let edits = [
        (2, ClockState::Met),
        (3, ClockState::Breached),
        (8, ClockState::Cancelled),
        (0, ClockState::Met),
    ];
    for (i, state) in edits {
        let mut next = change(&clocks[i], state);
        if i == 0 {
            next.channel = Some("email".into());
            next.department_id = Some(g2);
            next.agent_id = None;
        }
        assert!(tx.update_sla_clock(&next).await.unwrap(), "clock {i}");
        next.version += 1;
        clocks[i] = next;
    }
    for i in [1, 3] {
        let mut tk = tickets[i].clone();
        tk.kind = if tk.kind == TicketKind::Complaint {
            TicketKind::Inquiry
        } else {
            TicketKind::Complaint
        };
        tk.version += 1;
        assert!(tx.update_ticket(&tk).await.unwrap(), "ticket {i}");
        tickets[i] = tk;
    }
    // Heartbeats: two nodes over three hours with gaps, some minutes from both.
    for m in (0..180).filter(|m| m % 7 != 3) {
        let node = if m % 2 == 0 { "a" } else { "b" };
        tx.record_heartbeat(node, at(m)).await.unwrap();
        if m % 5 == 0 {
            tx.record_heartbeat("c", at(m)).await.unwrap();
        }
    }
    tx.commit().await.unwrap();

    let periods = [
        (at(0), at(2 * 24 * 60)),
        (at(30), at(2 * 24 * 60 - 15)),
        (at(0), at(150)),
        (at(35), at(110)),
        (at(61), at(119)),
        (at(600), at(600)),
    ];
    let mut r = store.read().await.unwrap();
    for (from, to) in periods {
        let all = QualityScope::period(from, to);
        let scopes = [
            all.clone(),
            QualityScope {
                channel: Some("email".into()),
                ..all.clone()
            },
            QualityScope {
                group: Some(g2),
                ..all.clone()
            },
            QualityScope {
                agent: Some(a1),
                ..all.clone()
            },
            QualityScope {
                channel: Some("phone".into()),
                group: Some(g1),
                ..all.clone()
            },
        ];
        for scope in &scopes {
            let got = r.quality_clock_counts(scope, &[key], now).await.unwrap();
            let got = got.first().map_or((0, 0), |c| (c.met, c.breached));
            assert_eq!(got, expected_clocks(&clocks, scope, now), "{scope:?}");
        }
        let complaints = tickets
            .iter()
            .filter(|tk| tk.kind == TicketKind::Complaint)
            .filter(|tk| tk.created_at >= from && tk.created_at < to)
            .count() as u64;
        assert_eq!(
            r.quality_complaints(from, to).await.unwrap(),
            complaints,
            "{from}..{to}"
        );
        let up = (0..180)
            .filter(|m| m % 7 != 3)
            .filter(|m| at(*m) >= from && at(*m) < to)
            .count() as u64;
        assert_eq!(
            r.heartbeat_minutes(from, to).await.unwrap(),
            up,
            "{from}..{to}"
        );
    }
}
