//! Replies, notes, routing at intake, inquiry → complaint and the merged timeline, through
//! the use cases on the backend of this test run, with a manual clock.

use jiff::{SignedDuration, Timestamp};
use std::sync::Arc;
use tripdesk_app::auth::Credential;
use tripdesk_app::customers::{Labeled, NewCustomer};
use tripdesk_app::desk::NewTicket;
use tripdesk_app::desk_board::TimelineEntry;
use tripdesk_app::desk_replies::MessageKind;
use tripdesk_app::sla::StartClock;
use tripdesk_app::{App, AppError, AppSettings, Principal};
use tripdesk_domain::clock::ManualClock;
use tripdesk_domain::desk::{Channel, Level, State, TicketKind};
use tripdesk_domain::sla::ClockState;
use tripdesk_store::{SlaEventKind, Ticket};
use tripdesk_store_sql::testing::{fresh_store, TestStore};
use tripdesk_vault::KeyRing;
use uuid::Uuid;

struct Fixture {
    app: App,
    clock: Arc<ManualClock>,
    _store: TestStore,
}

async fn fixture() -> Fixture {
    let store = fresh_store().await;
    // A Tuesday morning in Shanghai, far from any holiday.
    let clock = Arc::new(ManualClock::new(
        "2026-03-10T01:00:00Z".parse::<Timestamp>().unwrap(),
    ));
    let app = App::new(store.store.clone(), clock.clone(), AppSettings::default())
        .with_vault(Arc::new(KeyRing::generate()));
    app.seed_demo_organisation().await.unwrap();
    Fixture {
        app,
        clock,
        _store: store,
    }
}

/// A demo user as a principal.
async fn staff(app: &App, username: &str) -> Principal {
    let mut tx = app.store.read().await.unwrap();
    let u = tx.get_user_by_username(username).await.unwrap().unwrap();
    Principal::of(&u, Credential::Console)
}

async fn dept(app: &App, code: &str) -> Uuid {
    let mut tx = app.store.read().await.unwrap();
    tx.list_departments()
        .await
        .unwrap()
        .into_iter()
        .find(|d| d.code == code)
        .unwrap()
        .id
}

fn ticket(kind: TicketKind, channel: Channel, area: Option<&str>, subject: &str) -> NewTicket {
    NewTicket {
        kind,
        channel,
        level: Some(Level::General),
        subject: subject.into(),
        description: "客户来信询问。".into(),
        customer_name: "张伟".into(),
        customer_phone: None,
        customer_email: None,
        customer_id: None,
        booking_ref: None,
        business_area: area.map(str::to_string),
        tags: vec![],
    }
}

/// The ticket's first-response clock, started here unless intake already did.
async fn first_response_clock(app: &App, p: &Principal, t: &Ticket) {
    let key = t.channel.first_response_target().unwrap();
    let clocks = app
        .sla_clocks_of(p, "ticket", &t.id.to_string())
        .await
        .unwrap();
    if !clocks.iter().any(|c| c.clock.target_key() == key) {
        app.start_sla_clock_for(
            p,
            StartClock {
                subject_type: "ticket".into(),
                subject_id: t.id.to_string(),
                target_key: key.into(),
                channel: Some(t.channel.as_str().into()),
                department_id: None,
                agent_id: None,
            },
        )
        .await
        .unwrap();
    }
}

#[tokio::test]
async fn a_reply_meets_the_first_response_clock_and_emails_the_customer() {
    let f = fixture().await;
    let agent = staff(&f.app, "li.na").await;
    let customer = f
        .app
        .create_customer(
            &agent,
            NewCustomer {
                name: "张伟".into(),
                phones: vec![Labeled::new("phone", "13800138000")],
                emails: vec![Labeled::new("email", "zhang.wei@example.com")],
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .detail
        .customer
        .id;
    let mut input = ticket(
        TicketKind::Inquiry,
        Channel::Email,
        None,
        "国庆黄山三日游还有位置吗",
    );
    input.customer_id = Some(customer);
    let t = f.app.create_ticket(&agent, input).await.unwrap().ticket;
    first_response_clock(&f.app, &agent, &t).await;

    f.clock.advance(SignedDuration::from_mins(20));
    let posted = f
        .app
        .post_ticket_message(
            &agent,
            t.id,
            MessageKind::Reply,
            "  张伟您好，国庆还有 6 个位置。  ",
        )
        .await
        .unwrap();
    assert_eq!(
        posted.stopped_clock,
        Some(("first_response.email".to_string(), "met".to_string()))
    );
    let message_id = posted.message_id.expect("emailed");
    {
        let mut tx = f.app.store.read().await.unwrap();
        let m = tx.get_message(message_id).await.unwrap().unwrap();
        assert_eq!(m.channel, "email");
        assert_eq!(m.recipient, "zhang.wei@example.com");
        assert_eq!(m.body_text, "张伟您好，国庆还有 6 个位置。");
        assert_eq!(m.related_type.as_deref(), Some("ticket"));
        assert_eq!(m.related_id, Some(t.id.to_string()));
        assert_eq!(m.customer_id, Some(customer));
        assert!(m.subject.contains(&t.number), "{}", m.subject);
    }
    let clocks = f
        .app
        .sla_clocks_of(&agent, "ticket", &t.id.to_string())
        .await
        .unwrap();
    assert_eq!(clocks[0].clock.state(), ClockState::Met);

    // A second reply has no clock left to stop but still reaches the customer; a note stays
    // inside.
    f.clock.advance(SignedDuration::from_mins(5));
    let again = f
        .app
        .post_ticket_message(&agent, t.id, MessageKind::Reply, "附上行程单。")
        .await
        .unwrap();
    assert_eq!(again.stopped_clock, None);
    assert!(again.message_id.is_some());
    f.clock.advance(SignedDuration::from_mins(1));
    let note = f
        .app
        .post_ticket_message(&agent, t.id, MessageKind::Note, "客户对价格敏感")
        .await
        .unwrap();
    assert_eq!(note.message_id, None);
    assert_eq!(note.event.kind, "note");

    // The whole timeline, in time order: created, clock started, reply, clock met, the email,
    // the second reply and its email, the note.
    let timeline = f.app.ticket_timeline(&agent, t.id).await.unwrap();
    let kinds: Vec<String> = timeline
        .iter()
        .map(|e| match e {
            TimelineEntry::Ticket(ev) => ev.kind.clone(),
            TimelineEntry::Sla(ev) => format!("sla:{}", ev.kind.as_str()),
            TimelineEntry::Message(m) => format!("message:{}", m.channel),
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "created",
            "sla:started",
            "reply",
            "sla:met",
            "message:email",
            "reply",
            "message:email",
            "note"
        ],
        "{kinds:?}"
    );
    let ats: Vec<Timestamp> = timeline.iter().map(|e| e.at()).collect();
    assert!(ats.windows(2).all(|w| w[0] <= w[1]));
}

#[tokio::test]
async fn a_late_reply_records_the_breach_and_closed_tickets_take_no_replies() {
    let f = fixture().await;
    let agent = staff(&f.app, "li.na").await;
    let t = f
        .app
        .create_ticket(
            &agent,
            ticket(TicketKind::Inquiry, Channel::Chat, None, "在线咨询签证"),
        )
        .await
        .unwrap()
        .ticket;
    first_response_clock(&f.app, &agent, &t).await;
    // A second ticket whose clock the engine has already marked breached.
    let fired = f
        .app
        .create_ticket(
            &agent,
            ticket(TicketKind::Inquiry, Channel::Chat, None, "在线咨询护照"),
        )
        .await
        .unwrap()
        .ticket;
    first_response_clock(&f.app, &agent, &fired).await;
    f.clock.advance(SignedDuration::from_hours(2));
    f.app.fire_due_sla_clocks(100).await.unwrap();
    let before = f
        .app
        .sla_clocks_of(&agent, "ticket", &fired.id.to_string())
        .await
        .unwrap();
    assert_eq!(before[0].clock.state(), ClockState::Breached);
    assert_eq!(before[0].clock.stopped_at(), None);
    let late = f
        .app
        .post_ticket_message(
            &agent,
            fired.id,
            MessageKind::Reply,
            "您好，护照需本人办理。",
        )
        .await
        .unwrap();
    assert_eq!(
        late.stopped_clock,
        Some(("first_response.chat".to_string(), "breached".to_string()))
    );
    let after = f
        .app
        .sla_clocks_of(&agent, "ticket", &fired.id.to_string())
        .await
        .unwrap();
    assert!(
        after[0].clock.stopped_at().is_some(),
        "the late reply stops it"
    );

    let posted = f
        .app
        .post_ticket_message(
            &agent,
            t.id,
            MessageKind::Reply,
            "您好，签证需提前 20 个工作日办理。",
        )
        .await
        .unwrap();
    assert_eq!(
        posted.stopped_clock,
        Some(("first_response.chat".to_string(), "breached".to_string()))
    );
    assert_eq!(posted.message_id, None, "no customer, no email");
    let timeline = f.app.ticket_timeline(&agent, t.id).await.unwrap();
    assert!(timeline
        .iter()
        .any(|e| matches!(e, TimelineEntry::Sla(ev) if ev.kind == SlaEventKind::Breach)));

    // Empty bodies are refused with the field named.
    match f
        .app
        .post_ticket_message(&agent, t.id, MessageKind::Note, "   ")
        .await
    {
        Err(AppError::Validation(fields)) => assert_eq!(fields[0].field, "body"),
        other => panic!("{other:?}"),
    }
    // A follow-up agent may write notes but not reply.
    let follow_up = staff(&f.app, "wang.fang").await;
    f.app
        .post_ticket_message(&follow_up, t.id, MessageKind::Note, "回访前先看记录")
        .await
        .unwrap();
    assert!(matches!(
        f.app
            .post_ticket_message(&follow_up, t.id, MessageKind::Reply, "您好")
            .await,
        Err(AppError::Forbidden(_))
    ));

    f.app
        .apply_step(
            &agent,
            t.id,
            tripdesk_domain::desk::Step::Close,
            Default::default(),
        )
        .await
        .unwrap();
    assert!(matches!(
        f.app
            .post_ticket_message(&agent, t.id, MessageKind::Reply, "还有问题吗？")
            .await,
        Err(AppError::Conflict {
            code: "ticket_closed",
            ..
        })
    ));
}

#[tokio::test]
async fn routing_at_intake_and_an_inquiry_that_becomes_a_complaint() {
    let f = fixture().await;
    let agent = staff(&f.app, "li.na").await;
    let guide = dept(&f.app, "guide_management").await;
    let route = dept(&f.app, "route_planning").await;
    let food = dept(&f.app, "food_beverage").await;

    // Inquiries and feedback get the routed group at intake.
    let inquiry = f
        .app
        .create_ticket(
            &agent,
            ticket(
                TicketKind::Inquiry,
                Channel::Chat,
                Some("route"),
                "行程可以加一天吗",
            ),
        )
        .await
        .unwrap()
        .ticket;
    assert_eq!(inquiry.group_id, Some(route));
    let feedback = f
        .app
        .create_ticket(
            &agent,
            ticket(TicketKind::Feedback, Channel::OnSite, None, "早餐很丰盛"),
        )
        .await
        .unwrap()
        .ticket;
    assert_eq!(feedback.group_id, Some(food), "by keyword");
    // Complaints are triaged first: only a suggestion.
    let complaint = f
        .app
        .create_ticket(
            &agent,
            ticket(
                TicketKind::Complaint,
                Channel::Phone,
                Some("guide"),
                "领队态度差",
            ),
        )
        .await
        .unwrap()
        .ticket;
    assert_eq!(complaint.group_id, None);
    let s = f
        .app
        .suggested_group(&agent, complaint.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(s.group_id, guide);
    assert_eq!(s.rule_name, "导游服务");

    // The inquiry turns into a complaint: same number, back to received, group cleared.
    let converted = f
        .app
        .convert_to_complaint(&agent, inquiry.id, Some("客户要求赔偿"))
        .await
        .unwrap();
    assert_eq!(converted.kind, TicketKind::Complaint);
    assert_eq!(converted.number, inquiry.number);
    assert_eq!(converted.state, State::Received);
    assert_eq!(converted.group_id, None);
    let detail = f.app.get_ticket(&agent, inquiry.id).await.unwrap();
    assert_eq!(detail.ticket.kind, TicketKind::Complaint);
    assert!(detail
        .next_steps
        .contains(&tripdesk_domain::desk::Step::Triage));
    let kinds: Vec<_> = detail.events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["created", "converted"]);
    assert_eq!(detail.events[1].body.as_deref(), Some("客户要求赔偿"));
    assert!(matches!(
        f.app.convert_to_complaint(&agent, inquiry.id, None).await,
        Err(AppError::Conflict {
            code: "not_an_inquiry",
            ..
        })
    ));
    assert!(matches!(
        f.app.convert_to_complaint(&agent, feedback.id, None).await,
        Err(AppError::Conflict {
            code: "not_an_inquiry",
            ..
        })
    ));
    let follow_up = staff(&f.app, "wang.fang").await;
    let other = f
        .app
        .create_ticket(
            &agent,
            ticket(TicketKind::Inquiry, Channel::Email, None, "发票"),
        )
        .await
        .unwrap()
        .ticket;
    assert!(matches!(
        f.app.convert_to_complaint(&follow_up, other.id, None).await,
        Err(AppError::Forbidden(_))
    ));
}
