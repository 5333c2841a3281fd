//! Delivery through real components on loopback: a real SMTP server (aiosmtpd) for email, a
//! real HTTP listener (axum) for webhooks, the real store (SQLite, or PostgreSQL with
//! TRIPDESK_TEST_DATABASE_URL) for in-app notifications. Time is a manual clock, so retries
//! are tested by moving the clock, not by sleeping.

use axum::http::{HeaderMap, StatusCode};
use jiff::{SignedDuration, Timestamp};
use mail_parser::{MessageParser, MimeHeaders};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tripdesk_app::notify::{Notification, OneOffMessage, Recipient, WebhookInput};
use tripdesk_app::{App, AppSettings};
use tripdesk_delivery::dispatcher::run_until_idle;
use tripdesk_delivery::email::EmailChannel;
use tripdesk_delivery::inapp::InAppChannel;
use tripdesk_delivery::testing::AioSmtpd;
use tripdesk_delivery::webhook::{self, WebhookChannel};
use tripdesk_delivery::{Channel, Dispatcher, DispatcherConfig};
use tripdesk_domain::clock::ManualClock;
use tripdesk_store::{Attachment, MessageState};
use tripdesk_store_sql::testing::{fresh_store, TestStore};
use uuid::Uuid;

struct World {
    app: App,
    clock: Arc<ManualClock>,
    _store: TestStore,
}

async fn world() -> World {
    let store = fresh_store().await;
    let clock = Arc::new(ManualClock::new(Timestamp::now()));
    let mut settings = AppSettings::default();
    settings.notify.max_attempts = 3;
    let app = App::new(store.store.clone(), clock.clone(), settings);
    World {
        app,
        clock,
        _store: store,
    }
}

fn config() -> DispatcherConfig {
    DispatcherConfig {
        workers: 2,
        node: "test".into(),
        ..Default::default()
    }
}

const SUBJECT: &str = "预订确认：杭州西湖三日游（2026年3月）— 请于24小时内付款 ✈";
const BODY: &str = "张伟先生，您好！\n\n您的订单 SH-20260301-0001 已确认。\n祝旅途愉快！";
const HTML: &str = "<p>张伟先生，您好！</p><p>您的订单 <b>SH-20260301-0001</b> 已确认。</p>";

#[tokio::test]
async fn chinese_email_arrives_with_encoded_headers_and_decodes_to_the_same_text() {
    let w = world().await;
    let auth = Some(("tripdesk", "s3cret pass"));
    let smtp = AioSmtpd::start(auth, true);
    let email = EmailChannel::new(
        &smtp.url(Some(("tripdesk", "s3cret%20pass"))),
        "山海国际旅行社 <service@shanhai-travel.example>",
        2,
    )
    .unwrap();
    let console = App::console_principal();
    let queued = w
        .app
        .send_message(
            &console,
            OneOffMessage {
                channel: "email".into(),
                to: "zhang.wei@example.com".into(),
                subject: SUBJECT.into(),
                body: BODY.into(),
                html: Some(HTML.into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(queued.state, MessageState::Queued);

    let channels: Vec<Arc<dyn Channel>> = vec![Arc::new(email)];
    assert_eq!(run_until_idle(w.app.clone(), channels, config()).await, 1);

    let detail = w.app.get_message(&console, queued.id).await.unwrap();
    assert_eq!(
        detail.message.state,
        MessageState::Sent,
        "{:?}",
        detail.message.last_error
    );
    assert_eq!(detail.attempts.len(), 1);
    assert!(detail
        .message
        .receipt
        .as_deref()
        .unwrap()
        .starts_with("250"));

    let received = smtp.received();
    assert_eq!(received.len(), 1);
    assert_eq!(
        received[0].id.as_deref(),
        Some(queued.id.to_string().as_str())
    );
    assert_eq!(received[0].auth_user.as_deref(), Some("tripdesk"));
    assert_eq!(received[0].rcpt_tos, ["zhang.wei@example.com"]);
    assert_eq!(received[0].mail_from, "service@shanhai-travel.example");

    let raw = smtp.raw(1);
    let head_end = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = std::str::from_utf8(&raw[..head_end]).unwrap();
    assert!(head.is_ascii(), "headers are 7-bit: {head}");
    let subject_line = head
        .lines()
        .skip_while(|l| !l.starts_with("Subject:"))
        .take_while(|l| l.starts_with("Subject:") || l.starts_with(' ') || l.starts_with('\t'))
        .collect::<String>();
    assert!(
        subject_line.contains("=?utf-8?b?") || subject_line.contains("=?utf-8?q?"),
        "RFC 2047 encoded words: {subject_line}"
    );
    assert!(head.contains("MIME-Version: 1.0"));
    assert!(head.contains("multipart/alternative"));

    let parsed = MessageParser::default().parse(&raw).unwrap();
    assert_eq!(parsed.subject(), Some(SUBJECT));
    let from = parsed.from().unwrap().first().unwrap();
    assert_eq!(from.name(), Some("山海国际旅行社"));
    assert_eq!(from.address(), Some("service@shanhai-travel.example"));
    assert_eq!(
        parsed
            .body_text(0)
            .unwrap()
            .replace("\r\n", "\n")
            .trim_end(),
        BODY
    );
    assert_eq!(parsed.body_html(0).unwrap().trim_end(), HTML);
    assert_eq!(
        parsed.message_id(),
        Some(format!("{}@shanhai-travel.example", queued.id).as_str())
    );
}

#[tokio::test]
async fn attachments_and_wrong_credentials() {
    let w = world().await;
    let smtp = AioSmtpd::start(Some(("tripdesk", "right")), true);
    let pdf: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    let mut tx = w.app.store.write().await.unwrap();
    let mut m =
        tripdesk_store::conformance::sample_message("email", "li.na@example.com", w.app.now());
    m.subject = "出团通知书".into();
    m.attachments = vec![Attachment {
        filename: "电子合同.pdf".into(),
        content_type: "application/pdf".into(),
        content: pdf.clone(),
    }];
    tx.enqueue(std::slice::from_ref(&m)).await.unwrap();
    tx.commit().await.unwrap();

    // Wrong password: the server refuses (535), a permanent failure → dead at once.
    let wrong = EmailChannel::new(
        &smtp.url(Some(("tripdesk", "wrong"))),
        "service@shanhai-travel.example",
        1,
    )
    .unwrap();
    run_until_idle(w.app.clone(), vec![Arc::new(wrong)], config()).await;
    let console = App::console_principal();
    let dead = w.app.get_message(&console, m.id).await.unwrap();
    assert_eq!(dead.message.state, MessageState::Dead);
    assert!(smtp.received().is_empty());

    // The admin fixes the password and requeues it.
    w.app.retry_message(&console, m.id).await.unwrap();
    let right = EmailChannel::new(
        &smtp.url(Some(("tripdesk", "right"))),
        "service@shanhai-travel.example",
        1,
    )
    .unwrap();
    run_until_idle(w.app.clone(), vec![Arc::new(right)], config()).await;
    let sent = w.app.get_message(&console, m.id).await.unwrap();
    assert_eq!(sent.message.state, MessageState::Sent);
    let outcomes: Vec<_> = sent.attempts.iter().map(|a| a.outcome.as_str()).collect();
    assert_eq!(outcomes, ["dead", "requeued", "sent"]);

    let raw = smtp.raw(1);
    let parsed = MessageParser::default().parse(&raw).unwrap();
    assert_eq!(parsed.subject(), Some("出团通知书"));
    let attachment = parsed.attachment(0).expect("one attachment");
    assert_eq!(attachment.attachment_name(), Some("电子合同.pdf"));
    assert_eq!(attachment.contents(), pdf.as_slice());
}

#[tokio::test]
async fn temporary_failures_back_off_then_die() {
    let w = world().await;
    let smtp = AioSmtpd::start(None, false);
    let console = App::console_principal();
    let mut ids = Vec::new();
    for to in ["tempfail@example.com", "reject@example.com"] {
        ids.push(
            w.app
                .send_message(
                    &console,
                    OneOffMessage {
                        channel: "email".into(),
                        to: to.into(),
                        subject: "test".into(),
                        body: "test".into(),
                        ..Default::default()
                    },
                )
                .await
                .unwrap()
                .id,
        );
    }
    let channels = || -> Vec<Arc<dyn Channel>> {
        vec![Arc::new(
            EmailChannel::new(&smtp.url(None), "service@shanhai-travel.example", 1).unwrap(),
        )]
    };
    assert_eq!(run_until_idle(w.app.clone(), channels(), config()).await, 2);
    let temp = w.app.get_message(&console, ids[0]).await.unwrap().message;
    let reject = w.app.get_message(&console, ids[1]).await.unwrap().message;
    assert_eq!(reject.state, MessageState::Dead, "550 is permanent");
    assert_eq!(temp.state, MessageState::Retrying, "451 is temporary");
    assert_eq!(
        temp.due_at,
        Some(w.app.now() + SignedDuration::from_secs(30))
    );
    assert!(temp.last_error.as_deref().unwrap().contains("451"));

    // Not yet due: nothing happens.
    w.clock.advance(SignedDuration::from_secs(29));
    assert_eq!(run_until_idle(w.app.clone(), channels(), config()).await, 0);
    w.clock.advance(SignedDuration::from_secs(1));
    assert_eq!(run_until_idle(w.app.clone(), channels(), config()).await, 1);
    let temp = w.app.get_message(&console, ids[0]).await.unwrap().message;
    assert_eq!(temp.state, MessageState::Retrying);
    assert_eq!(
        temp.due_at,
        Some(w.app.now() + SignedDuration::from_secs(60)),
        "doubled"
    );
    w.clock.advance(SignedDuration::from_secs(60));
    assert_eq!(run_until_idle(w.app.clone(), channels(), config()).await, 1);
    let detail = w.app.get_message(&console, ids[0]).await.unwrap();
    assert_eq!(
        detail.message.state,
        MessageState::Dead,
        "after max_attempts = 3"
    );
    let outcomes: Vec<_> = detail.attempts.iter().map(|a| a.outcome.as_str()).collect();
    assert_eq!(outcomes, ["retry", "retry", "dead"]);
    assert!(smtp.received().is_empty());
}

#[derive(Default)]
struct Hook {
    calls: AtomicUsize,
    seen: Mutex<Vec<(HeaderMap, String)>>,
}

async fn start_hook_server(hook: Arc<Hook>) -> String {
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(
            |axum::extract::State(hook): axum::extract::State<Arc<Hook>>,
             headers: HeaderMap,
             body: String| async move {
                let n = hook.calls.fetch_add(1, Ordering::SeqCst);
                hook.seen.lock().unwrap().push((headers, body));
                if n == 0 {
                    StatusCode::SERVICE_UNAVAILABLE
                } else {
                    StatusCode::NO_CONTENT
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app.with_state(hook)).await.unwrap();
    });
    format!("http://{addr}/hook")
}

#[tokio::test]
async fn webhooks_are_signed_retried_and_verifiable() {
    let w = world().await;
    let hook = Arc::new(Hook::default());
    let url = start_hook_server(hook.clone()).await;
    let console = App::console_principal();
    let endpoint = w
        .app
        .create_webhook(
            &console,
            WebhookInput {
                url,
                events: vec!["ticket.created".into()],
                description: "CRM".into(),
                active: true,
            },
        )
        .await
        .unwrap();
    let other = w
        .app
        .create_webhook(
            &console,
            WebhookInput {
                url: "http://127.0.0.1:9/never".into(),
                events: vec!["ticket.step".into()],
                description: String::new(),
                active: true,
            },
        )
        .await
        .unwrap();
    let mut tx = w.app.store.write().await.unwrap();
    let ids = w
        .app
        .publish_event(
            &mut *tx,
            "ticket.created",
            &serde_json::json!({"booking_no": "SH-20260301-0001", "amount_fen": 358000}),
            Some(("booking".into(), "SH-20260301-0001".into())),
        )
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(ids.len(), 1, "only the subscribed endpoint");
    let channels = || -> Vec<Arc<dyn Channel>> { vec![Arc::new(WebhookChannel::new(&w.app))] };

    run_until_idle(w.app.clone(), channels(), config()).await;
    let m = w.app.get_message(&console, ids[0]).await.unwrap().message;
    assert_eq!(m.state, MessageState::Retrying, "503 is retried");
    assert_eq!(m.recipient, endpoint.id.to_string());
    w.clock.advance(SignedDuration::from_secs(30));
    run_until_idle(w.app.clone(), channels(), config()).await;
    let m = w.app.get_message(&console, ids[0]).await.unwrap().message;
    assert_eq!(m.state, MessageState::Sent);
    assert_eq!(m.receipt.as_deref(), Some("HTTP 204"));

    let seen = hook.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2);
    for (headers, body) in &seen {
        let signature = headers[webhook::SIGNATURE_HEADER].to_str().unwrap();
        let now = w.app.now().as_second();
        assert_eq!(
            webhook::verify(&endpoint.secret, signature, body.as_bytes(), now),
            Ok(())
        );
        assert_eq!(
            webhook::verify(&other.secret, signature, body.as_bytes(), now),
            Err(webhook::VerifyError::Mismatch)
        );
        assert_eq!(
            webhook::verify(&endpoint.secret, signature, body.as_bytes(), now + 301),
            Err(webhook::VerifyError::Stale),
            "an old request replayed later is refused"
        );
        assert_eq!(headers[webhook::EVENT_HEADER], "ticket.created");
        assert_eq!(
            headers[webhook::DELIVERY_HEADER],
            ids[0].to_string().as_str()
        );
        let payload: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(payload["event"], "ticket.created");
        assert_eq!(payload["data"]["booking_no"], "SH-20260301-0001");
        assert_eq!(payload["related"]["type"], "booking");
    }

    // A deleted endpoint's pending deliveries die instead of retrying forever.
    let mut tx = w.app.store.write().await.unwrap();
    let ids = w
        .app
        .publish_event(&mut *tx, "ticket.step", &serde_json::json!({}), None)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    w.app.delete_webhook(&console, other.id).await.unwrap();
    run_until_idle(w.app.clone(), channels(), config()).await;
    let m = w.app.get_message(&console, ids[0]).await.unwrap().message;
    assert_eq!(m.state, MessageState::Dead);
}

#[tokio::test]
async fn in_app_notifications_reach_the_bell_live_through_running_workers() {
    let w = world().await;
    w.app.install_default_templates().await.unwrap();
    let console = App::console_principal();
    let user = w
        .app
        .create_user(
            &console,
            tripdesk_app::identity::NewUser {
                username: "zhao.min".into(),
                display_name: "赵敏".into(),
                email: None,
                password: "a strong password".into(),
                department_id: None,
                roles: vec![tripdesk_domain::identity::Role::Supervisor],
                locale: Some("zh-CN".into()),
            },
        )
        .await
        .unwrap();
    let mut live = w
        .app
        .store
        .signals()
        .subscribe_keys(tripdesk_store::signal::Topic::Bell);
    let channels: Vec<Arc<dyn Channel>> = vec![Arc::new(InAppChannel::new(&w.app))];
    let dispatcher = Dispatcher::start(
        w.app.clone(),
        channels,
        DispatcherConfig {
            // Far longer than the test may take: only the commit's wake-up can deliver in time.
            idle_poll: Duration::from_secs(3600),
            ..config()
        },
    );
    tokio::task::yield_now().await;
    let mut tx = w.app.store.write().await.unwrap();
    let ids = w
        .app
        .enqueue_notifications(
            &mut *tx,
            &[Notification {
                template_key: "complaint.important".into(),
                recipient: Recipient {
                    preference_key: Some(format!("user:{}", user.id)),
                    user_id: Some(user.id),
                    ..Default::default()
                },
                vars: [
                    ("ticket_no", "TS-1"),
                    ("customer", "陈女士"),
                    ("summary", "行程被更改"),
                ]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
                related: Some(("ticket".into(), "TS-1".into())),
                emergency: false,
                attachments: Vec::new(),
            }],
        )
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let got = tokio::time::timeout(Duration::from_secs(20), live.recv())
        .await
        .expect("delivered without waiting for a poll")
        .unwrap();
    assert_eq!(got, tripdesk_store::signal::Key::One(user.id));
    dispatcher.shutdown().await;

    let principal = w
        .app
        .login("zhao.min", "a strong password", None)
        .await
        .unwrap()
        .principal;
    let (items, unread) = w.app.my_notifications(&principal, false, 10).await.unwrap();
    assert_eq!(unread, 1);
    assert_eq!(items[0].title, "重要投诉：TS-1");
    assert_eq!(items[0].message_id, ids[0]);
    let m = w.app.get_message(&principal, ids[0]).await.unwrap().message;
    assert_eq!(m.template_key.as_deref(), Some("complaint.important"));
    assert_eq!(m.template_version, Some(1));
    assert_eq!(
        w.app
            .mark_notifications_read(&principal, Some(items[0].id))
            .await
            .unwrap(),
        0
    );
    assert!(w
        .app
        .mark_notifications_read(&principal, Some(Uuid::now_v7()))
        .await
        .is_err());
}
