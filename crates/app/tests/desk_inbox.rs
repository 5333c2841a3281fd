//! The inbox's "breaching soon" badge is the same for every agent and is the one badge that
//! reads the SLA clocks: it is counted once per `BREACHING_COUNT_TTL` per set of filters and
//! reused, while the page itself and the other badges are read afresh.

use jiff::{SignedDuration, Timestamp};
use std::sync::Arc;
use tripdesk_app::desk_board::{InboxFilters, InboxPage, InboxRequest, BREACHING_COUNT_TTL};
use tripdesk_app::{App, AppSettings, Principal};
use tripdesk_domain::clock::ManualClock;
use tripdesk_domain::desk::{Level, TicketKind};
use tripdesk_domain::sla::ClockState;
use tripdesk_store::conformance::{sample_ticket, sample_ticket_clock};
use tripdesk_store::Store;
use tripdesk_store_sql::testing::fresh_store;

async fn add_at_risk(store: &dyn Store, number: &str, now: Timestamp) {
    let ticket = sample_ticket(number, Level::General, "2026-10-15T01:00:00Z");
    let mut tx = store.write().await.unwrap();
    tx.insert_ticket(&ticket).await.unwrap();
    // Running, past its warning an hour ago, due in a day.
    let clock = sample_ticket_clock(
        &ticket,
        "complaint.contact",
        ClockState::Running,
        now - SignedDuration::from_hours(2),
        Some(now - SignedDuration::from_hours(1)),
        now + SignedDuration::from_hours(24),
        None,
    );
    tx.insert_sla_clock(&clock).await.unwrap();
    tx.commit().await.unwrap();
}

async fn inbox(app: &App, p: &Principal, queue: &str, filters: InboxFilters) -> InboxPage {
    app.desk_inbox(
        p,
        &InboxRequest {
            queue: queue.into(),
            filters,
            limit: 50,
            offset: 0,
            with_counts: true,
        },
    )
    .await
    .unwrap()
}

fn count(page: &InboxPage, queue: &str) -> u64 {
    page.counts
        .iter()
        .find(|(q, _)| *q == queue)
        .map(|(_, n)| *n)
        .unwrap_or_else(|| panic!("no count for {queue}"))
}

#[tokio::test]
async fn the_breaching_count_is_reused_for_two_seconds() {
    let store = fresh_store().await;
    let t0: Timestamp = "2026-10-15T06:00:00Z".parse().unwrap();
    let clock = Arc::new(ManualClock::new(t0));
    let app = App::new(store.store.clone(), clock.clone(), AppSettings::default())
        .with_vault(Arc::new(tripdesk_vault::KeyRing::generate()));
    app.seed_demo_organisation().await.unwrap();
    let agent = app.login("li.na", "tripdesk-demo", None).await.unwrap();
    let p = &agent.principal;

    add_at_risk(&*store.store, "R-1", t0).await;
    let first = inbox(&app, p, "open", InboxFilters::default()).await;
    assert_eq!(count(&first, "breaching"), 1);
    let open_before = count(&first, "open");

    // A second ticket turns risky: the page and the other badges see it at once, the
    // breaching badge only when its count has expired.
    add_at_risk(&*store.store, "R-2", t0).await;
    clock.advance(BREACHING_COUNT_TTL - SignedDuration::from_millis(1));
    let reused = inbox(&app, p, "breaching", InboxFilters::default()).await;
    assert_eq!(count(&reused, "breaching"), 1, "reused within the TTL");
    assert_eq!(
        count(&reused, "open"),
        open_before + 1,
        "others read afresh"
    );
    assert_eq!(reused.tickets.len(), 2, "the queue's page is read afresh");
    assert_eq!(reused.total, 2, "a short first page counts itself");

    // Other filters have a count of their own.
    let complaints = InboxFilters {
        kind: Some(TicketKind::Complaint),
        ..Default::default()
    };
    assert_eq!(
        count(
            &inbox(&app, p, "open", complaints.clone()).await,
            "breaching"
        ),
        2
    );
    let feedback = InboxFilters {
        kind: Some(TicketKind::Feedback),
        ..Default::default()
    };
    assert_eq!(
        count(&inbox(&app, p, "open", feedback).await, "breaching"),
        0
    );

    clock.advance(SignedDuration::from_millis(1));
    let expired = inbox(&app, p, "open", InboxFilters::default()).await;
    assert_eq!(
        count(&expired, "breaching"),
        2,
        "counted again once expired"
    );
    add_at_risk(&*store.store, "R-3", t0).await;
    assert_eq!(
        count(
            &inbox(&app, p, "open", InboxFilters::default()).await,
            "breaching"
        ),
        2,
        "the new count is reused in turn"
    );
    assert_eq!(
        count(&inbox(&app, p, "open", complaints).await, "breaching"),
        2,
        "the complaints' count, taken 1 ms before the expiry above, is still reused"
    );
}
