//! A ticket's SLA clocks escalate: when the handling group has not contacted the customer as
//! the hour runs out, the warning and then the breach reach the supervisors and the assignee
//! through the outbox, exactly once each, and both are in the audit log.

use jiff::{SignedDuration, Timestamp};

use std::sync::Arc;
use tripdesk_app::desk::{NewTicket, StepRequest};
use tripdesk_app::{App, AppSettings};
use tripdesk_domain::clock::ManualClock;
use tripdesk_domain::desk::{Channel, Level, Step, TicketKind};
use tripdesk_store::{AuditFilter, MessageFilter, Store};
use tripdesk_store_sql::testing::fresh_store;

async fn alerts(store: &dyn Store, ticket: &str, template: &str) -> Vec<String> {
    let mut r = store.read().await.unwrap();
    r.list_messages(&MessageFilter {
        related_type: Some("ticket".into()),
        related_id: Some(ticket.into()),
        limit: 500,
        ..Default::default()
    })
    .await
    .unwrap()
    .into_iter()
    .filter(|m| m.template_key.as_deref() == Some(template))
    .map(|m| m.recipient)
    .collect()
}

#[tokio::test]
async fn an_unanswered_complaint_warns_then_escalates_its_breach_once() {
    let store = fresh_store().await;
    // Thursday 15 October 2026, 14:00 in Beijing.
    let clock = Arc::new(ManualClock::new("2026-10-15T06:00:00Z".parse().unwrap()));
    let app = App::new(store.store.clone(), clock.clone(), AppSettings::default())
        .with_vault(Arc::new(tripdesk_vault::KeyRing::generate()));
    app.seed_demo_organisation().await.unwrap();
    let agent = app.login("li.na", "tripdesk-demo", None).await.unwrap();
    let dir = app.login("zhao.min", "tripdesk-demo", None).await.unwrap();
    let guide = app
        .list_departments(&dir.principal)
        .await
        .unwrap()
        .into_iter()
        .map(|(d, _)| d)
        .find(|d| d.code == "guide_management")
        .unwrap();
    let ticket = app
        .create_ticket(
            &agent.principal,
            NewTicket {
                kind: TicketKind::Complaint,
                channel: Channel::Phone,
                level: Some(Level::General),
                subject: "接送车辆迟到".into(),
                description: "机场接机车辆迟到四十分钟".into(),
                customer_name: "刘芳".into(),
                customer_phone: None,
                customer_email: None,
                customer_id: None,
                booking_ref: None,
                business_area: None,
                tags: vec![],
            },
        )
        .await
        .unwrap()
        .ticket;
    let id = ticket.id.to_string();
    for (step, req) in [
        (
            Step::Triage,
            StepRequest {
                level: Some(Level::General),
                ..Default::default()
            },
        ),
        (
            Step::Assign,
            StepRequest {
                group_id: Some(guide.id),
                ..Default::default()
            },
        ),
    ] {
        app.apply_step(&agent.principal, ticket.id, step, req)
            .await
            .unwrap();
    }
    assert_eq!(app.fire_due_sla_clocks(100).await.unwrap().fired, 0);
    assert!(alerts(store.store.as_ref(), &id, "sla.warning")
        .await
        .is_empty());

    // 80 % of the hour: the warning.
    clock.advance(SignedDuration::from_mins(49));
    assert_eq!(app.fire_due_sla_clocks(100).await.unwrap().fired, 1);
    let warned = alerts(store.store.as_ref(), &id, "sla.warning").await;
    assert!(
        warned.iter().any(|r| r.starts_with("zhao.min")),
        "supervisors are warned: {warned:?}"
    );
    // The hour is up: the breach, once however often the engine passes.
    clock.advance(SignedDuration::from_mins(12));
    assert_eq!(app.fire_due_sla_clocks(100).await.unwrap().fired, 1);
    assert_eq!(app.fire_due_sla_clocks(100).await.unwrap().fired, 0);
    let breached = alerts(store.store.as_ref(), &id, "sla.breach").await;
    assert_eq!(breached.len(), warned.len(), "{breached:?}");
    let mut r = store.store.read().await.unwrap();
    let audited = r
        .list_audit(&AuditFilter {
            action: Some("sla.".into()),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    let actions: Vec<_> = audited.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["sla.breach", "sla.warning"], "newest first");
    let _: Timestamp = audited[0].at;
}
