//! `tripdesk feedback-classify` on the backend of this test run: complaint and feedback
//! tickets that came before classification (stored without a verdict, as an older version
//! left them) are classified; those classified already, and other kinds, are left.

mod common;

use common::{app_and_agent, BIN};
use std::process::Command;
use tripdesk_app::desk::NewTicket;
use tripdesk_domain::desk::{Channel, Level, TicketKind};
use tripdesk_domain::feedback::FeedbackSource;
use tripdesk_store::conformance::sample_ticket;
use tripdesk_store::FeedbackFilter;

/// What `tripdesk feedback-classify` says on `db`, once it has succeeded.
fn classify(db: &[String]) -> String {
    let out = Command::new(BIN)
        .arg("feedback-classify")
        .args(db)
        .env("TRIPDESK_LOG_LEVEL", "warn")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test]
async fn tickets_from_before_classification_are_classified_once() {
    let (store, app, agent) = app_and_agent().await;
    // Classified at intake, through the use case.
    let current = app
        .create_ticket(
            &agent,
            NewTicket {
                kind: TicketKind::Complaint,
                channel: Channel::Phone,
                level: Some(Level::General),
                subject: "酒店房间发霉".into(),
                description: "房间墙角发霉，空调有异味，要求换房。".into(),
                customer_name: "王芳".into(),
                customer_phone: None,
                customer_email: None,
                customer_id: None,
                booking_ref: None,
                business_area: None,
                tags: vec![],
            },
        )
        .await
        .unwrap();
    // Stored as an older version left them: no verdict. More than one page of the command.
    let old: Vec<_> = (1..=600)
        .map(|i| {
            sample_ticket(
                &format!("TS9{i:06}"),
                Level::General,
                "2026-05-01T01:00:00Z",
            )
        })
        .collect();
    let old_complaint = old[0].clone();
    let mut old_inquiry = sample_ticket("TS8000001", Level::General, "2026-05-01T02:00:00Z");
    old_inquiry.kind = TicketKind::Inquiry;
    let mut tx = app.store.write().await.unwrap();
    tx.insert_tickets(&old).await.unwrap();
    tx.insert_ticket(&old_inquiry).await.unwrap();
    tx.commit().await.unwrap();
    let verdict = |id| {
        let app = app.clone();
        async move {
            let mut r = app.store.read().await.unwrap();
            r.get_feedback(FeedbackSource::Ticket, id).await.unwrap()
        }
    };
    let before = verdict(current.ticket.id)
        .await
        .expect("classified at intake");
    assert!(verdict(old_complaint.id).await.is_none());

    let db = store.location.command_line();
    let said = classify(&db);
    assert!(said.starts_with("600 tickets classified"), "{said}");
    let mut r = app.store.read().await.unwrap();
    let all = r.count_feedback(&FeedbackFilter::default()).await.unwrap();
    drop(r);
    assert_eq!(all, 601, "every old complaint and the current one");
    let old = verdict(old_complaint.id)
        .await
        .expect("classified by the command");
    // "导游迟到一小时 … 行程被压缩": a complaint about the guide.
    assert!(!old.categories.is_empty(), "{old:?}");
    assert!(
        verdict(old_inquiry.id).await.is_none(),
        "an inquiry is not classified"
    );
    assert_eq!(
        verdict(current.ticket.id).await.unwrap(),
        before,
        "left as it was"
    );

    // Nothing is left to classify: a second run changes nothing.
    let said = classify(&db);
    assert!(said.starts_with("0 tickets classified"), "{said}");
    assert_eq!(verdict(old_complaint.id).await.unwrap(), old);
}
