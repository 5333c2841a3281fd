//! `tripdesk feedback-classify` on the backend of this test run: complaint and feedback
//! tickets that came before classification (stored without a verdict, as an older version
//! left them) are classified; those classified already, and other kinds, are left.

mod common;

use common::BIN;
use std::process::{Command, Output};
use std::sync::Arc;
use tripdesk_app::desk::NewTicket;
use tripdesk_app::{App, AppSettings};
use tripdesk_domain::clock::SystemClock;
use tripdesk_domain::desk::{Channel, Level, TicketKind};
use tripdesk_domain::feedback::FeedbackSource;
use tripdesk_store::conformance::sample_ticket;
use tripdesk_store::FeedbackFilter;
use tripdesk_store_sql::testing::fresh_store;

fn classify(db: &[String]) -> Output {
    Command::new(BIN)
        .arg("feedback-classify")
        .args(db)
        .env("TRIPDESK_LOG_LEVEL", "warn")
        .output()
        .unwrap()
}

#[tokio::test]
async fn tickets_from_before_classification_are_classified_once() {
    let store = fresh_store().await;
    let app = App::new(
        store.store.clone(),
        Arc::new(SystemClock),
        AppSettings::default(),
    )
    .with_vault(Arc::new(tripdesk_vault::KeyRing::generate()));
    app.seed_demo_organisation().await.unwrap();

    // Classified at intake, through the use case.
    let agent = {
        let mut tx = app.store.read().await.unwrap();
        let u = tx.get_user_by_username("li.na").await.unwrap().unwrap();
        tripdesk_app::Principal {
            user_id: u.id,
            username: u.username,
            display_name: u.display_name,
            roles: u.roles,
            department_id: u.department_id,
            locale: u.locale,
            credential: tripdesk_app::auth::Credential::Console,
        }
    };
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
    let out = classify(&db);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8(out.stdout).unwrap();
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
    let out = classify(&db);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8(out.stdout).unwrap();
    assert!(said.starts_with("0 tickets classified"), "{said}");
    assert_eq!(verdict(old_complaint.id).await.unwrap(), old);
}
