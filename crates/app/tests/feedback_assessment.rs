//! Feedback classification and staff assessment through the use cases, on the backend of
//! this test run, with a manual clock.

use jiff::{SignedDuration, Timestamp};
use std::sync::Arc;
use tripdesk_app::assessment::{ActionInput, RatingInput, TrainingInput};
use tripdesk_app::auth::Credential;
use tripdesk_app::desk::NewTicket;
use tripdesk_app::feedback::FeedbackCorrection;
use tripdesk_app::{App, AppError, AppSettings, Principal};
use tripdesk_domain::assessment::{ActionKind, RaterKind, Subject};
use tripdesk_domain::clock::ManualClock;
use tripdesk_domain::desk::{Channel, Level, TicketKind};
use tripdesk_domain::feedback::{Category, FeedbackSource, Sentiment};
use tripdesk_store::{AuditFilter, FeedbackFilter, Survey, SurveyAnswers};
use tripdesk_store_sql::testing::{fresh_store, TestStore};
use tripdesk_vault::KeyRing;
use uuid::Uuid;

struct Fixture {
    app: App,
    _store: TestStore,
}

async fn fixture() -> Fixture {
    let store = fresh_store().await;
    // A Tuesday in November, Shanghai.
    let clock = Arc::new(ManualClock::new(
        "2026-11-10T02:00:00Z".parse::<Timestamp>().unwrap(),
    ));
    let app = App::new(store.store.clone(), clock, AppSettings::default())
        .with_vault(Arc::new(KeyRing::generate()));
    app.seed_demo_organisation().await.unwrap();
    Fixture { app, _store: store }
}

async fn staff(app: &App, username: &str) -> Principal {
    let mut tx = app.store.read().await.unwrap();
    let u = tx.get_user_by_username(username).await.unwrap().unwrap();
    Principal::of(&u, Credential::Console)
}

fn ticket(kind: TicketKind, subject: &str, description: &str) -> NewTicket {
    NewTicket {
        kind,
        channel: Channel::Phone,
        level: Some(Level::General),
        subject: subject.into(),
        description: description.into(),
        customer_name: "张伟".into(),
        customer_phone: None,
        customer_email: None,
        customer_id: None,
        booking_ref: None,
        business_area: None,
        tags: vec![],
    }
}

#[tokio::test]
async fn complaints_are_classified_at_intake_and_inquiries_are_not() {
    let f = fixture().await;
    let agent = staff(&f.app, "li.na").await;
    let boss = staff(&f.app, "zhao.min").await;
    let complaint = f
        .app
        .create_ticket(
            &agent,
            ticket(
                TicketKind::Complaint,
                "导游强迫购物",
                "导游强制我们进购物店，不买就甩脸色，态度非常恶劣，太失望了。",
            ),
        )
        .await
        .unwrap()
        .ticket;
    let items = f.app.ticket_feedback(&agent, complaint.id).await.unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].source, FeedbackSource::Ticket);
    assert_eq!(items[0].categories[0], Category::Guide);
    assert_eq!(items[0].sentiment, Sentiment::Negative);
    assert!(items[0].score < 500);
    let praise = f
        .app
        .create_ticket(
            &agent,
            ticket(
                TicketKind::Feedback,
                "表扬民宿",
                "房间干净整洁，老板很热情，早餐也很丰盛，下次还来。",
            ),
        )
        .await
        .unwrap()
        .ticket;
    let items = f.app.ticket_feedback(&agent, praise.id).await.unwrap();
    assert_eq!(items[0].sentiment, Sentiment::Positive, "{items:?}");
    let inquiry = f
        .app
        .create_ticket(
            &agent,
            ticket(
                TicketKind::Inquiry,
                "咨询线路",
                "请问千岛湖三日游还有位置吗？",
            ),
        )
        .await
        .unwrap()
        .ticket;
    assert!(f
        .app
        .ticket_feedback(&agent, inquiry.id)
        .await
        .unwrap()
        .is_empty());
    // Turned into a complaint, it is classified then.
    f.app
        .convert_to_complaint(&agent, inquiry.id, None)
        .await
        .unwrap();
    assert_eq!(
        f.app
            .ticket_feedback(&agent, inquiry.id)
            .await
            .unwrap()
            .len(),
        1
    );
    // The list: supervisors and managers only, filtered.
    assert!(matches!(
        f.app
            .list_feedback(&agent, &FeedbackFilter::default(), 10, 0)
            .await,
        Err(AppError::Forbidden(_))
    ));
    let (page, total) = f
        .app
        .list_feedback(
            &boss,
            &FeedbackFilter {
                sentiment: Some(Sentiment::Positive),
                ..Default::default()
            },
            10,
            0,
        )
        .await
        .unwrap();
    assert_eq!(total, page.items.len() as u64);
    let listed = page
        .items
        .iter()
        .find(|e| e.ticket_number == praise.number)
        .expect("the praise is listed as positive");
    assert_eq!(listed.text, "表扬民宿");
    assert!(page
        .items
        .iter()
        .all(|e| e.item.sentiment == Sentiment::Positive));
}

/// Staff correct a classification; it is stored, audited, and the classifier learns: the
/// same kind of text arriving again is classified as staff said within a few corrections.
#[tokio::test]
async fn corrections_are_stored_audited_and_teach_the_classifier() {
    let f = fixture().await;
    let agent = staff(&f.app, "li.na").await;
    let admin = staff(&f.app, "admin").await;
    let text = "集合地点的指示牌写错了，我们在停车场转了半小时";
    let mut taught = None;
    for round in 1..=6 {
        let t = f
            .app
            .create_ticket(&agent, ticket(TicketKind::Complaint, "集合地点", text))
            .await
            .unwrap()
            .ticket;
        let item = f.app.ticket_feedback(&agent, t.id).await.unwrap().remove(0);
        if item.categories[0] == Category::Itinerary && round > 1 {
            taught = Some(round);
            break;
        }
        let corrected = f
            .app
            .correct_feedback(
                &agent,
                FeedbackSource::Ticket,
                t.id,
                &FeedbackCorrection {
                    categories: vec![Category::Itinerary, Category::Itinerary],
                    sentiment: Sentiment::Negative,
                },
            )
            .await
            .unwrap();
        assert_eq!(
            corrected.categories,
            vec![Category::Itinerary],
            "deduplicated"
        );
        assert_eq!(corrected.corrected_by, Some(agent.user_id));
        assert_eq!(
            f.app.ticket_feedback(&agent, t.id).await.unwrap()[0],
            corrected
        );
    }
    assert!(taught.is_some(), "six corrections did not teach it");
    let mut tx = f.app.store.read().await.unwrap();
    let audited = tx
        .list_audit(&AuditFilter {
            action: Some("feedback.correct".into()),
            limit: 50,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(!audited.is_empty());
    drop(tx);
    let t = f
        .app
        .create_ticket(&agent, ticket(TicketKind::Complaint, "房间", "房间很脏"))
        .await
        .unwrap()
        .ticket;
    let none = FeedbackCorrection {
        categories: vec![],
        sentiment: Sentiment::Negative,
    };
    assert!(matches!(
        f.app
            .correct_feedback(&agent, FeedbackSource::Ticket, t.id, &none)
            .await,
        Err(AppError::Validation(_))
    ));
    let fine = FeedbackCorrection {
        categories: vec![Category::Lodging],
        sentiment: Sentiment::Negative,
    };
    assert!(matches!(
        f.app
            .correct_feedback(&admin, FeedbackSource::Ticket, t.id, &fine)
            .await,
        Err(AppError::Forbidden(_))
    ));
}

fn all(m: u8) -> [Option<u8>; 5] {
    [Some(m); 5]
}

/// A month from open to close: who may rate what, the weighted result against a figure
/// worked by hand, customers' survey answers counted, trainings, rewards and corrections.
#[tokio::test]
async fn a_month_of_assessment() {
    let f = fixture().await;
    let boss = staff(&f.app, "zhao.min").await;
    let li = staff(&f.app, "li.na").await;
    let chen = staff(&f.app, "chen.jing").await;
    let month = "2026-10";
    assert!(matches!(
        f.app.open_assessment(&li, month).await,
        Err(AppError::Forbidden(_))
    ));
    assert!(matches!(
        f.app.open_assessment(&boss, "2026-12").await,
        Err(AppError::Validation(_))
    ));
    f.app.open_assessment(&boss, month).await.unwrap();
    assert!(matches!(
        f.app.open_assessment(&boss, month).await,
        Err(AppError::Conflict {
            code: "assessment_exists",
            ..
        })
    ));
    let rate = |kind, ratee: Uuid, marks| RatingInput {
        ratee_id: ratee,
        kind,
        marks,
        comment: None,
    };
    // Agents rate themselves and peers, not as supervisor; a peer rating is not about oneself.
    f.app
        .rate_staff(&li, month, &rate(RaterKind::SelfRating, li.user_id, all(3)))
        .await
        .unwrap();
    f.app
        .rate_staff(&chen, month, &rate(RaterKind::Peer, li.user_id, all(5)))
        .await
        .unwrap();
    assert!(matches!(
        f.app
            .rate_staff(
                &li,
                month,
                &rate(RaterKind::Supervisor, chen.user_id, all(5))
            )
            .await,
        Err(AppError::Forbidden(_))
    ));
    assert!(matches!(
        f.app
            .rate_staff(&li, month, &rate(RaterKind::Peer, li.user_id, all(5)))
            .await,
        Err(AppError::Validation(_))
    ));
    // Rated twice by the supervisor: the second replaces the first.
    f.app
        .rate_staff(
            &boss,
            month,
            &rate(RaterKind::Supervisor, li.user_id, all(2)),
        )
        .await
        .unwrap();
    f.app
        .rate_staff(
            &boss,
            month,
            &rate(RaterKind::Supervisor, li.user_id, all(4)),
        )
        .await
        .unwrap();
    // A customer's survey answered in the month on a ticket li.na took in (unassigned).
    let t = f
        .app
        .create_ticket(
            &li,
            ticket(TicketKind::Complaint, "退款慢", "退款拖了两周还没到账"),
        )
        .await
        .unwrap()
        .ticket;
    let answered: Timestamp = "2026-10-20T02:00:00Z".parse().unwrap();
    let mut tx = f.app.store.write().await.unwrap();
    let survey = Survey {
        id: Uuid::now_v7(),
        ticket_id: t.id,
        token_hash: "a".repeat(64),
        agent_id: staff(&f.app, "wang.fang").await.user_id,
        created_at: answered - SignedDuration::from_hours(2),
        expires_at: answered + SignedDuration::from_hours(48),
        emailed: false,
        used_at: None,
        answers: None,
    };
    tx.insert_survey(&survey).await.unwrap();
    tx.use_survey(
        survey.id,
        answered,
        &SurveyAnswers {
            satisfaction: 5,
            overall_rating: 5,
            suggestions: None,
            reason: None,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    f.app
        .record_training(
            &boss,
            &TrainingInput {
                user_id: li.user_id,
                title: "投诉处理与情绪安抚".into(),
                on_date: jiff::civil::date(2026, 10, 8),
                hours_tenths: 20,
            },
        )
        .await
        .unwrap();
    f.app
        .record_assessment_action(
            &boss,
            month,
            &ActionInput {
                subject: Subject::Agent,
                subject_id: li.user_id,
                kind: ActionKind::Reward,
                note: "月度服务之星".into(),
            },
        )
        .await
        .unwrap();
    // Results are for managers.
    assert!(matches!(
        f.app.assessment_results(&li, month).await,
        Err(AppError::Forbidden(_))
    ));
    let r = f.app.assessment_results(&boss, month).await.unwrap();
    let mine = r.agents.iter().find(|a| a.user_id == li.user_id).unwrap();
    // Customer 5 (40), supervisor 4 (30), peer 5 (15), self 3 (15):
    // 0.40·5 + 0.30·4 + 0.15·5 + 0.15·3 = 4.4 → (4.4 − 1) / 4 · 100 = 85.
    assert!(
        (mine.score.weighted.unwrap() - 85.0).abs() < 1e-9,
        "{mine:?}"
    );
    assert_eq!(mine.score.counts, [1, 1, 1, 1]);
    assert_eq!((mine.trainings, mine.training_hours_tenths), (1, 20));
    assert_eq!(r.actions.len(), 1);
    // The department: the mean of its scored agents (only li.na is scored here).
    let dept = r
        .departments
        .iter()
        .find(|d| d.id == li.department_id)
        .unwrap();
    assert!((dept.score.unwrap() - 85.0).abs() < 1e-9);
    assert_eq!(r.agents[0].user_id, li.user_id, "best first");
    // Closed: final.
    f.app.close_assessment(&boss, month).await.unwrap();
    assert!(matches!(
        f.app
            .rate_staff(&li, month, &rate(RaterKind::SelfRating, li.user_id, all(5)))
            .await,
        Err(AppError::Conflict {
            code: "assessment_closed",
            ..
        })
    ));
    let mut tx = f.app.store.read().await.unwrap();
    let audited = tx
        .list_audit(&AuditFilter {
            action: Some("assessment.".into()),
            limit: 50,
            ..Default::default()
        })
        .await
        .unwrap();
    // open, 4 ratings, action, close.
    assert_eq!(audited.len(), 7, "{audited:?}");
}

/// What corrections of a customer's texts taught the classifier leaves with the customer:
/// erasure takes back the corrections of their own complaint and of another complaint naming
/// them; no learned count keeps their name as a word, and the items keep staff's labels.
#[tokio::test]
async fn erasure_takes_back_what_the_customers_texts_taught() {
    let f = fixture().await;
    let agent = staff(&f.app, "li.na").await;
    let boss = staff(&f.app, "zhao.min").await;
    let mut own = ticket(
        TicketKind::Complaint,
        "导游迟到",
        "我是欧阳娜娜，导游迟到了一个小时，电话13812345678",
    );
    own.customer_name = "欧阳娜娜".into();
    own.customer_phone = Some("13812345678".into());
    let own = f.app.create_ticket(&agent, own).await.unwrap().ticket;
    let other = f
        .app
        .create_ticket(
            &agent,
            ticket(
                TicketKind::Complaint,
                "同团客人投诉",
                "和欧阳娜娜同一个团，导游迟到",
            ),
        )
        .await
        .unwrap()
        .ticket;
    let fix = FeedbackCorrection {
        categories: vec![Category::Guide],
        sentiment: Sentiment::Negative,
    };
    for t in [&own, &other] {
        f.app
            .correct_feedback(&agent, FeedbackSource::Ticket, t.id, &fix)
            .await
            .unwrap();
    }
    let words = || {
        vec![
            "娜娜".to_string(),
            "欧阳".to_string(),
            "13812345678".to_string(),
        ]
    };
    let learned = |app: &App| {
        let app = app.clone();
        async move {
            let mut r = app.store.read().await.unwrap();
            let mut terms = words();
            terms.push("导游".into());
            r.learned_counts(&terms).await.unwrap()
        }
    };
    assert!(learned(&f.app).await.iter().any(|c| c.term == "娜娜"));

    f.app
        .erase_customer(&boss, own.customer_id.unwrap(), "PIPL 删除请求")
        .await
        .unwrap();
    let after = learned(&f.app).await;
    assert!(
        after.iter().all(|c| !words().contains(&c.term)),
        "{after:?}"
    );
    // Both corrections taken back, and they were the only ones: nothing learned is left.
    assert!(after.is_empty(), "{after:?}");
    for t in [&own, &other] {
        let item = f.app.ticket_feedback(&boss, t.id).await.unwrap().remove(0);
        assert_eq!(item.categories, vec![Category::Guide]);
        assert_eq!(item.trained, None);
    }
    let mut r = f.app.store.read().await.unwrap();
    let erased = r
        .list_audit(&AuditFilter {
            action: Some("customer.erase".into()),
            limit: 1,
            ..Default::default()
        })
        .await
        .unwrap();
    let summary: serde_json::Value = serde_json::from_str(&erased[0].summary).unwrap();
    assert_eq!(summary["feedback_model"]["corrections_taken_back"], 2);
}
