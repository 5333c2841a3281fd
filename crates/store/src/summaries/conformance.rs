//! Conformance of [`SummaryRepo`](super::SummaryRepo).

#[macro_export]
macro_rules! summaries_conformance_tests {
    ($make:expr) => {
        $crate::conformance_tests!(@each $make;
            summary_reads_the_period, summary_sent_once_per_period);
    };
}

use crate::conformance::sample_ticket;
use crate::*;
use jiff::Timestamp;
use tripdesk_domain::desk::{Level, State, TicketKind};
use uuid::Uuid;

fn t(s: &str) -> Timestamp {
    s.parse().expect("test instant")
}

fn task(ticket: Uuid, kind: &str, created: &str, done: Option<&str>) -> DeskTask {
    DeskTask {
        id: Uuid::now_v7(),
        ticket_id: ticket,
        kind: kind.into(),
        department_id: None,
        assignee_id: None,
        title: format!("{kind} task"),
        body: String::new(),
        created_at: t(created),
        due_at: Some(t("2026-11-20T00:00:00Z")),
        done_at: done.map(t),
    }
}

/// Complaints by creation instant (inquiries left out); tasks live in the period.
pub async fn summary_reads_the_period(store: &dyn Store) {
    let mut before = sample_ticket("TS1", Level::General, "2026-10-31T23:59:59Z");
    before.kind = TicketKind::Complaint;
    let mut first = sample_ticket("TS2", Level::Urgent, "2026-11-01T00:00:00Z");
    first.state = State::Closed;
    first.cause = Some("导游迟到".into());
    first.compensation_amount_fen = Some(30_000);
    let mut inquiry = sample_ticket("TS3", Level::General, "2026-11-02T00:00:00Z");
    inquiry.kind = TicketKind::Inquiry;
    let last = sample_ticket("TS4", Level::Important, "2026-11-30T23:59:59Z");
    let after = sample_ticket("TS5", Level::General, "2026-12-01T00:00:00Z");
    let mut tx = store.write().await.unwrap();
    for ticket in [&before, &first, &inquiry, &last, &after] {
        tx.insert_ticket(ticket).await.unwrap();
    }
    let done_before = task(
        before.id,
        "rectification",
        "2026-10-01T00:00:00Z",
        Some("2026-10-31T00:00:00Z"),
    );
    let done_in = task(
        before.id,
        "rectification",
        "2026-10-01T00:00:00Z",
        Some("2026-11-05T00:00:00Z"),
    );
    let open = task(first.id, "improvement", "2026-11-03T00:00:00Z", None);
    let follow_up = task(first.id, "follow_up", "2026-11-03T00:00:00Z", None);
    let later = task(last.id, "rectification", "2026-12-01T00:00:00Z", None);
    for x in [&done_before, &done_in, &open, &follow_up, &later] {
        tx.insert_desk_task(x).await.unwrap();
    }
    tx.commit().await.unwrap();

    let mut r = store.read().await.unwrap();
    let (from, until) = (t("2026-11-01T00:00:00Z"), t("2026-12-01T00:00:00Z"));
    let complaints = r.summary_complaints(from, until).await.unwrap();
    let numbers: Vec<_> = complaints.iter().map(|c| c.number.as_str()).collect();
    assert_eq!(numbers, ["TS2", "TS4"]);
    assert_eq!(complaints[0].level, Level::Urgent);
    assert_eq!(complaints[0].state, State::Closed);
    assert_eq!(complaints[0].cause.as_deref(), Some("导游迟到"));
    assert_eq!(complaints[0].compensation_amount_fen, Some(30_000));
    assert_eq!(complaints[0].created_at, from);
    let tasks = r.summary_tasks(from, until).await.unwrap();
    let ids: Vec<_> = tasks.iter().map(|x| x.id).collect();
    assert_eq!(ids, [done_in.id, open.id]);
    assert_eq!(tasks[0].ticket_number, "TS1");
    assert_eq!(tasks[1].kind, "improvement");
    assert_eq!(tasks[0].done_at, done_in.done_at);
    assert_eq!(tasks[1].due_at, open.due_at);
}

/// The sent record is held by the database: the second insert of a period loses.
pub async fn summary_sent_once_per_period(store: &dyn Store) {
    let nov = jiff::civil::date(2026, 11, 1);
    let at = t("2026-12-01T01:00:00Z");
    let mut tx = store.write().await.unwrap();
    assert_eq!(tx.summary_sent_at("month", nov).await.unwrap(), None);
    assert!(tx.record_summary_sent("month", nov, 2, at).await.unwrap());
    assert!(!tx.record_summary_sent("month", nov, 2, at).await.unwrap());
    assert!(tx.record_summary_sent("week", nov, 2, at).await.unwrap());
    tx.commit().await.unwrap();
    let mut tx = store.write().await.unwrap();
    assert!(!tx.record_summary_sent("month", nov, 3, at).await.unwrap());
    assert_eq!(tx.summary_sent_at("month", nov).await.unwrap(), Some(at));
}
