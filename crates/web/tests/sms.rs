//! SMS (issue 15 item 4) on the backend of this run: an SMS queued through the API reaches
//! the loopback provider (`tripdesk_delivery::sms_sink`) signed, with the agency's signature,
//! template code, text and the message id as OutId, while the database never holds the
//! number; a throttled answer retries and an illegal number goes dead; the handset's receipts
//! are recorded once and shown on the message; bad, missing and stale signatures are 401;
//! replies are stored once, matched to the customer holding the phone exactly or unmatched;
//! erasing the customer removes their replies; without `sms_base_url` an SMS is refused.

mod common;

use axum::http::{Method, StatusCode};
use common::{assert_problem, field_of, harness_with, Harness};
use jiff::SignedDuration;
use serde_json::{json, Value};
use std::sync::Arc;
use tripdesk_app::auth::Credential;
use tripdesk_app::customers::{Labeled, NewCustomer};
use tripdesk_app::notify::NotifySettings;
use tripdesk_app::sms::{wire, SIGNATURE_HEADER};
use tripdesk_app::{App, AppSettings, Principal};
use tripdesk_delivery::sms::{SmsChannel, SmsConfig};
use tripdesk_delivery::sms_sink::SmsSink;
use tripdesk_delivery::{Channel, DispatcherConfig};
use tripdesk_domain::clock::{Clock, ManualClock};
use tripdesk_domain::identity::Role;
use tripdesk_store::MessageFilter;
use tripdesk_store_sql::Location;
use tripdesk_vault::webhook::sign;
use uuid::Uuid;

const KEY_ID: &str = "LTAI-tripdesk-test";
const KEY_SECRET: &str = "access-key-s3cret";
const HOOK_SECRET: &str = "sms-hook-s3cret-0123456789";
const PHONE: &str = "13912345678";
const E164: &str = "+8613912345678";

struct Setup {
    h: Harness,
    clock: Arc<ManualClock>,
    sink: SmsSink,
    channel: Arc<dyn Channel>,
    agent: String,
}

async fn setup() -> Setup {
    let clock = Arc::new(ManualClock::new("2027-07-20T02:00:00Z".parse().unwrap()));
    let settings = AppSettings {
        notify: NotifySettings {
            sms: true,
            sms_webhook_secret: Some(tripdesk_vault::Secret::new(HOOK_SECRET.to_string())),
            ..Default::default()
        },
        ..Default::default()
    };
    let h = harness_with(clock.clone(), settings).await;
    let sink = SmsSink::start_with_clock(KEY_ID, KEY_SECRET, clock.clone())
        .await
        .unwrap();
    let channel: Arc<dyn Channel> = Arc::new(
        SmsChannel::new(
            &h.app,
            SmsConfig {
                base_url: sink.url(),
                access_key_id: KEY_ID.into(),
                access_key_secret: tripdesk_vault::Secret::new(KEY_SECRET.to_string()),
                sign_name: "【云途旅行】".into(),
                template_code: "SMS_276150001".into(),
                timeout: std::time::Duration::from_secs(5),
            },
        )
        .unwrap(),
    );
    let agent = h.token("li.na").await;
    Setup {
        h,
        clock,
        sink,
        channel,
        agent,
    }
}

/// A supervisor (customers are created and erased by one).
fn supervisor() -> Principal {
    Principal {
        user_id: Uuid::now_v7(),
        username: "zhao.min".into(),
        display_name: "赵敏".into(),
        roles: vec![Role::Supervisor],
        department_id: None,
        locale: "zh-CN".into(),
        credential: Credential::Console,
    }
}

async fn customer(app: &App, name: &str, phone: &str) -> Uuid {
    app.create_customer(
        &supervisor(),
        NewCustomer {
            name: name.into(),
            phones: vec![Labeled::new("phone", phone)],
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .detail
    .customer
    .id
}

async fn drain(s: &Setup) -> usize {
    tripdesk_delivery::dispatcher::run_until_idle(
        s.h.app.clone(),
        vec![s.channel.clone()],
        DispatcherConfig::default(),
    )
    .await
}

async fn queue_sms(s: &Setup, customer: Uuid, text: &str) -> Value {
    let r =
        s.h.api(
            Method::POST,
            "/api/v1/messages",
            &s.agent,
            json!({"channel": "sms", "to": customer, "subject": "台风预警", "body": text,
                   "related_type": "incident", "related_id": "typhoon-7"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body
}

async fn signed_post(s: &Setup, path: &str, body: &Value, secret: &str, at: i64) -> common::Reply {
    let bytes = serde_json::to_vec(body).unwrap();
    let signature = sign(secret, at, &bytes);
    s.h.call_raw(
        Method::POST,
        path,
        &[
            ("content-type", "application/json"),
            (SIGNATURE_HEADER, &signature),
        ],
        Some(bytes),
    )
    .await
}

/// No file of the SQLite database holds the digits; on either backend, no outbox row does.
async fn assert_no_plaintext_phone(h: &Harness) {
    if let Location::SqliteDir(dir) = &h.store.location {
        for name in ["tripdesk.db", "tripdesk.db-wal"] {
            let Ok(bytes) = std::fs::read(dir.join(name)) else {
                continue;
            };
            assert!(
                !bytes.windows(PHONE.len()).any(|w| w == PHONE.as_bytes()),
                "{name} holds the phone number in plaintext"
            );
        }
    }
    let mut tx = h.store.store.read().await.unwrap();
    for m in tx
        .list_messages(&MessageFilter {
            limit: 1000,
            ..Default::default()
        })
        .await
        .unwrap()
    {
        assert!(!m.recipient.contains(PHONE), "{}", m.recipient);
        assert!(!m.body_text.contains(PHONE));
    }
}

#[tokio::test]
async fn an_sms_reaches_the_provider_signed_and_the_database_never_holds_the_number() {
    let s = setup().await;
    let traveler = customer(&s.h.app, "林小雨", PHONE).await;
    let text = "【台风预警】您所在的涠洲岛今晚有12级大风，请留在酒店，回复1报平安，回复2求助。";
    let queued = queue_sms(&s, traveler, text).await;
    let id = queued["id"].as_str().unwrap().to_string();
    // The history names the identifier, never the number.
    assert!(!queued["to"].as_str().unwrap().contains(PHONE));
    assert!(
        Uuid::parse_str(queued["to"].as_str().unwrap()).is_ok(),
        "{queued}"
    );
    assert_eq!(queued["customer_id"], json!(traveler));

    assert_eq!(drain(&s).await, 1);
    let got = s.sink.messages();
    assert_eq!(got.len(), 1, "{got:?}");
    let m = &got[0];
    assert_eq!(m.request.phone_numbers, E164);
    assert_eq!(m.request.sign_name, "云途旅行");
    assert_eq!(m.request.template_code, "SMS_276150001");
    assert_eq!(m.request.access_key_id, KEY_ID);
    assert_eq!(m.request.out_id, id);
    assert_eq!(m.text, text);
    assert_eq!(s.sink.refused_signatures(), 0);

    let view =
        s.h.get(&format!("/api/v1/messages/{id}"), &s.h.token("admin").await)
            .await;
    assert_eq!(view.body["state"], "sent", "{}", view.text);
    assert!(
        view.body["receipt"].as_str().unwrap().contains(&m.biz_id),
        "{}",
        view.text
    );
    assert_no_plaintext_phone(&s.h).await;

    // A channel signing with another secret is refused by the provider (401): the message
    // is dead until an administrator fixes the key and requeues it.
    let wrong: Arc<dyn Channel> = Arc::new(
        SmsChannel::new(
            &s.h.app,
            SmsConfig {
                base_url: s.sink.url(),
                access_key_id: KEY_ID.into(),
                access_key_secret: tripdesk_vault::Secret::new("not-the-secret".to_string()),
                sign_name: "云途旅行".into(),
                template_code: "SMS_276150001".into(),
                timeout: std::time::Duration::from_secs(5),
            },
        )
        .unwrap(),
    );
    let second = queue_sms(&s, traveler, "第二条").await;
    tripdesk_delivery::dispatcher::run_until_idle(
        s.h.app.clone(),
        vec![wrong],
        DispatcherConfig::default(),
    )
    .await;
    assert_eq!(s.sink.refused_signatures(), 1);
    assert_eq!(s.sink.messages().len(), 1);
    let mut tx = s.h.store.store.read().await.unwrap();
    let m = tx
        .get_message(second["id"].as_str().unwrap().parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(m.last_error.as_deref(), Some("HTTP 401"));
    assert_eq!(m.state.as_str(), "dead");
}

#[tokio::test]
async fn a_throttled_send_retries_and_an_illegal_number_goes_dead() {
    let s = setup().await;
    let traveler = customer(&s.h.app, "林小雨", PHONE).await;
    let other = customer(&s.h.app, "周大山", "13700001111").await;
    s.sink.answer_next(wire::BUSINESS_LIMIT_CONTROL);
    s.sink
        .refuse_number("+8613700001111", wire::MOBILE_NUMBER_ILLEGAL);
    let a = queue_sms(&s, traveler, "请报平安").await;
    let b = queue_sms(&s, other, "请报平安").await;
    drain(&s).await;
    let read = |id: &Value| {
        let id: Uuid = id["id"].as_str().unwrap().parse().unwrap();
        let store = s.h.store.store.clone();
        async move {
            let mut tx = store.read().await.unwrap();
            tx.get_message(id).await.unwrap().unwrap()
        }
    };
    let first = read(&a).await;
    assert_eq!(first.state.as_str(), "retrying");
    assert_eq!(
        first.last_error.as_deref(),
        Some(wire::BUSINESS_LIMIT_CONTROL)
    );
    let dead = read(&b).await;
    assert_eq!(dead.state.as_str(), "dead");
    assert_eq!(
        dead.last_error.as_deref(),
        Some(wire::MOBILE_NUMBER_ILLEGAL)
    );
    assert_eq!(dead.attempts, 1, "a bad number is not tried again");

    s.clock.advance(SignedDuration::from_secs(61));
    drain(&s).await;
    let sent = read(&a).await;
    assert_eq!(sent.state.as_str(), "sent");
    assert_eq!(sent.attempts, 2);
    assert_eq!(s.sink.messages().len(), 1);
    assert_eq!(s.sink.messages()[0].request.out_id, sent.id.to_string());
}

#[tokio::test]
async fn receipts_are_recorded_once_and_bad_signatures_are_refused() {
    let s = setup().await;
    let a = customer(&s.h.app, "林小雨", PHONE).await;
    let b = customer(&s.h.app, "周大山", "13700001111").await;
    let c = customer(&s.h.app, "王芳", "13600002222").await;
    let ids: Vec<String> = [
        queue_sms(&s, a, "请报平安").await,
        queue_sms(&s, b, "请报平安").await,
        queue_sms(&s, c, "请报平安").await,
    ]
    .iter()
    .map(|m| m["id"].as_str().unwrap().to_string())
    .collect();
    drain(&s).await;
    let now = s.clock.now().as_second();
    let receipts = json!([
        {"out_id": ids[0], "phone_number": "5678", "success": true, "err_code": "DELIVERED",
         "report_time": "2027-07-20 10:00:05"},
        {"out_id": ids[1], "success": false, "err_code": "MN:0001",
         "report_time": "2027-07-20T02:00:09Z"},
        {"out_id": Uuid::now_v7(), "success": true, "report_time": "2027-07-20 10:00:05"},
    ]);

    // Wrong secret, missing, stale or malformed signature: 401, nothing recorded.
    let wrong = signed_post(&s, "/api/v1/sms/receipts", &receipts, "another-secret", now).await;
    assert_problem(&wrong, StatusCode::UNAUTHORIZED, "unauthenticated");
    let stale = signed_post(
        &s,
        "/api/v1/sms/receipts",
        &receipts,
        HOOK_SECRET,
        now - 600,
    )
    .await;
    assert_problem(&stale, StatusCode::UNAUTHORIZED, "unauthenticated");
    let missing =
        s.h.call(
            Method::POST,
            "/api/v1/sms/receipts",
            &[("content-type", "application/json")],
            Some(receipts.to_string()),
        )
        .await;
    assert_problem(&missing, StatusCode::UNAUTHORIZED, "unauthenticated");
    let malformed =
        s.h.call(
            Method::POST,
            "/api/v1/sms/receipts",
            &[
                ("content-type", "application/json"),
                (SIGNATURE_HEADER, "v1=zz"),
            ],
            Some(receipts.to_string()),
        )
        .await;
    assert_problem(&malformed, StatusCode::UNAUTHORIZED, "unauthenticated");
    let progress =
        s.h.app
            .sms_delivery_progress(&App::console_principal(), "incident", &["typhoon-7".into()])
            .await
            .unwrap();
    assert_eq!(progress[0].pending, 3, "{progress:?}");

    let ok = signed_post(&s, "/api/v1/sms/receipts", &receipts, HOOK_SECRET, now).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
    assert_eq!(
        ok.body,
        json!({"code": 0, "msg": "OK", "recorded": 2, "repeated": 0, "unknown": 1})
    );
    // Redelivered, and a contradicting receipt for the first: nothing changes.
    let again = signed_post(&s, "/api/v1/sms/receipts", &receipts, HOOK_SECRET, now).await;
    assert_eq!(again.body["recorded"], 0, "{}", again.text);
    assert_eq!(again.body["repeated"], 2, "{}", again.text);
    let flip = json!([{"out_id": ids[0], "success": false, "err_code": "MK:0004",
                       "report_time": "2027-07-20 10:01:00"}]);
    let flipped = signed_post(&s, "/api/v1/sms/receipts", &flip, HOOK_SECRET, now).await;
    assert_eq!(flipped.body["repeated"], 1, "{}", flipped.text);

    let admin = s.h.token("admin").await;
    let first =
        s.h.get(&format!("/api/v1/messages/{}", ids[0]), &admin)
            .await;
    assert_eq!(first.body["handset_state"], "delivered", "{}", first.text);
    assert_eq!(
        first.body["handset_at"], "2027-07-20T10:00:05+08:00",
        "{}",
        first.text
    );
    assert_eq!(first.body["handset_error"], Value::Null);
    let second =
        s.h.get(&format!("/api/v1/messages/{}", ids[1]), &admin)
            .await;
    assert_eq!(second.body["handset_state"], "failed");
    assert_eq!(second.body["handset_error"], "MN:0001");
    // The delivery page shows it.
    let page =
        s.h.ui_get(&format!("/notify/messages/{}", ids[0]), "admin")
            .await;
    assert!(page.text.contains("已送达手机"), "{}", page.text);

    // The board's figures: one statement for any number of related ids.
    let progress =
        s.h.app
            .sms_delivery_progress(
                &App::console_principal(),
                "incident",
                &["typhoon-7".into(), "nothing-here".into()],
            )
            .await
            .unwrap();
    assert_eq!(progress.len(), 1);
    let p = &progress[0];
    assert_eq!((p.messages, p.delivered, p.failed, p.pending), (3, 1, 1, 1));
}

#[tokio::test]
async fn replies_are_stored_once_matched_by_blind_index_and_erased_with_the_customer() {
    let s = setup().await;
    let known = customer(&s.h.app, "林小雨", PHONE).await;
    let now = s.clock.now().as_second();
    let replies = json!([
        {"phone_number": PHONE, "content": "1 安全", "send_time": "2027-07-20 10:02:00",
         "sequence_id": "seq-1001"},
        {"phone_number": "+86 137 0000 9999", "content": "2 需要帮助 我在码头",
         "sequence_id": "seq-1002"},
    ]);
    let bad = signed_post(&s, "/api/v1/sms/replies", &replies, "wrong-secret", now).await;
    assert_problem(&bad, StatusCode::UNAUTHORIZED, "unauthenticated");

    let r = signed_post(&s, "/api/v1/sms/replies", &replies, HOOK_SECRET, now).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["recorded"], 2, "{}", r.text);
    let again = signed_post(&s, "/api/v1/sms/replies", &replies, HOOK_SECRET, now).await;
    assert_eq!(again.body["recorded"], 0, "{}", again.text);
    assert_eq!(again.body["repeated"], 2, "{}", again.text);

    // The use case hands back what it stored now (for the check-in, in its transaction).
    let verified =
        s.h.app
            .verify_sms_webhook(Some(&sign(HOOK_SECRET, now, b"x")), b"x");
    let (_, stored) =
        s.h.app
            .receive_sms_replies(
                verified.unwrap(),
                &[wire::Reply {
                    phone_number: PHONE.into(),
                    content: "1".into(),
                    send_time: None,
                    sequence_id: "seq-1003".into(),
                }],
            )
            .await
            .unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].customer_ids, vec![known]);
    assert_eq!(stored[0].text.expose_secret(), "1");

    let mut tx = s.h.store.store.read().await.unwrap();
    let all = tx.list_sms_replies(None, &[]).await.unwrap();
    assert!(all.is_empty(), "no customer and no index selects nothing");
    let vault = s.h.app.vault().unwrap();
    let unknown_index = vault.blind_index("phone", "+8613700009999");
    let known_index = vault.blind_index("phone", E164);
    let mine = tx.list_sms_replies(Some(known), &[]).await.unwrap();
    assert_eq!(mine.len(), 2, "{mine:?}");
    assert!(mine.iter().all(|r| r.blind_index == known_index));
    assert_eq!(
        s.h.app.open_sms_reply(&mine[0]).unwrap().expose_secret(),
        "1 安全"
    );
    assert!(!mine[0].sealed_text.contains("安全"));
    let stranger = tx
        .list_sms_replies(None, std::slice::from_ref(&unknown_index))
        .await
        .unwrap();
    assert_eq!(stranger.len(), 1);
    assert_eq!(
        stranger[0].customer_id, None,
        "an unknown phone stays unmatched"
    );
    drop(tx);

    // An SMS to the customer waiting in the outbox (no provider answers in this test).
    let waiting = queue_sms(&s, known, "请报平安").await;
    let waiting: Uuid = waiting["id"].as_str().unwrap().parse().unwrap();

    // The PIPL copy opens them; erasure deletes them, the stranger's stays, and the SMS
    // loses its recipient (the sealed number) and is cancelled.
    let sup = supervisor();
    let copy = s.h.app.export_customer_data(&sup, known).await.unwrap();
    assert_eq!(
        copy["sections"]["sms_replies"]["replies"][0]["text"], "1 安全",
        "{copy}"
    );
    s.h.app
        .erase_customer(&sup, known, "PIPL 删除请求 #15")
        .await
        .unwrap();
    let mut tx = s.h.store.store.read().await.unwrap();
    assert!(tx
        .list_sms_replies(Some(known), std::slice::from_ref(&known_index))
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        tx.list_sms_replies(None, std::slice::from_ref(&unknown_index))
            .await
            .unwrap()
            .len(),
        1
    );
    let cancelled = tx.get_message(waiting).await.unwrap().unwrap();
    assert_eq!(cancelled.state.as_str(), "dead");
    assert!(
        tripdesk_app::sms::sms_recipient_identifier(&cancelled.recipient).is_none(),
        "{}",
        cancelled.recipient
    );
}

#[tokio::test]
async fn without_an_sms_provider_an_sms_is_refused_when_queued() {
    let clock = Arc::new(ManualClock::new("2027-07-20T02:00:00Z".parse().unwrap()));
    let h = harness_with(clock, AppSettings::default()).await;
    let traveler = customer(&h.app, "林小雨", PHONE).await;
    let r = h
        .api(
            Method::POST,
            "/api/v1/messages",
            &h.token("li.na").await,
            json!({"channel": "sms", "to": traveler, "subject": "台风预警", "body": "请报平安"}),
        )
        .await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(field_of(&r), "channel", "{}", r.text);
    assert!(r.text.contains("sms_not_configured"), "{}", r.text);
    let e = h
        .app
        .sms_message(
            traveler,
            format!("{}:x", Uuid::now_v7()),
            "请报平安",
            None,
            true,
        )
        .unwrap_err();
    match e {
        tripdesk_app::AppError::Validation(fields) => {
            assert_eq!(fields[0].field, "channel");
            assert_eq!(fields[0].code, "sms_not_configured");
        }
        other => panic!("{other:?}"),
    }
    // And receipts are refused while no webhook secret is configured.
    let body = b"[]".to_vec();
    let signature = sign(HOOK_SECRET, h.app.now().as_second(), &body);
    let refused = h
        .call_raw(
            Method::POST,
            "/api/v1/sms/receipts",
            &[
                ("content-type", "application/json"),
                (SIGNATURE_HEADER, &signature),
            ],
            Some(body),
        )
        .await;
    assert_problem(&refused, StatusCode::UNAUTHORIZED, "unauthenticated");
}

/// The broadcast path: recipients made from identifier rows already read (no query per
/// traveler), queued in one transaction; the loopback provider delivers them at its rate and
/// posts its receipts and a reply over a real socket to the server, signed.
#[tokio::test]
async fn a_broadcast_is_queued_from_identifier_rows_and_the_provider_posts_receipts_over_http() {
    let s = setup().await;
    let phones = ["13912345678", "13700001111", "13600002222", "13500003333"];
    let mut travelers = Vec::new();
    for (i, p) in phones.iter().enumerate() {
        travelers.push(customer(&s.h.app, &format!("旅客{i}"), p).await);
    }
    // The configured rate is the outbox's token bucket, written once.
    s.h.app.configure_sms_rate(2).await.unwrap();
    s.h.app.configure_sms_rate(2).await.unwrap();
    {
        let mut tx = s.h.store.store.read().await.unwrap();
        let limits = tx.list_rate_limits().await.unwrap();
        assert_eq!(limits.len(), 1);
        assert_eq!(
            (limits[0].channel.as_str(), limits[0].per_second),
            ("sms", 2)
        );
    }
    let mut tx = s.h.store.store.write().await.unwrap();
    let rows = tx.list_identifiers_of(&travelers).await.unwrap();
    let messages: Vec<_> = rows
        .iter()
        .filter_map(|i| {
            let to = tripdesk_app::sms::sms_recipient_of(i)?;
            Some(
                s.h.app
                    .sms_message(
                        i.customer_id,
                        to,
                        "【台风预警】请回复1报平安",
                        Some(("incident".into(), "typhoon-8".into())),
                        true,
                    )
                    .unwrap(),
            )
        })
        .collect();
    assert_eq!(messages.len(), 4);
    tx.enqueue(&messages).await.unwrap();
    tx.commit().await.unwrap();

    // A burst of one token (a twentieth of a second's worth, at least one): one now, then
    // one each half second as the bucket refills at two a second — never two at once.
    drain(&s).await;
    assert_eq!(s.sink.messages().len(), 1);
    for sent in [2, 3, 4] {
        s.clock.advance(SignedDuration::from_millis(500));
        drain(&s).await;
        assert_eq!(s.sink.messages().len(), sent);
    }
    let got = s.sink.messages();
    assert_eq!(got.len(), 4);
    let mut numbers: Vec<_> = got
        .iter()
        .map(|m| m.request.phone_numbers.clone())
        .collect();
    numbers.sort();
    let mut want: Vec<_> = phones.iter().map(|p| format!("+86{p}")).collect();
    want.sort();
    assert_eq!(numbers, want);

    // The provider's receipts and a reply, over HTTP.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = s.h.router.clone();
    let server = tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .unwrap();
    });
    let receipts: Vec<wire::Receipt> = got
        .iter()
        .enumerate()
        .map(|(i, m)| wire::Receipt {
            out_id: m.request.out_id.clone(),
            phone_number: Some(m.request.phone_numbers[m.request.phone_numbers.len() - 4..].into()),
            success: i != 3,
            err_code: Some(if i != 3 { "DELIVERED" } else { "MN:0001" }.into()),
            report_time: "2027-07-20 10:00:30".into(),
        })
        .collect();
    let (status, body) = s
        .sink
        .post_receipts(&base, HOOK_SECRET, &receipts)
        .await
        .unwrap();
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"recorded\":4"), "{body}");
    let (status, body) = s
        .sink
        .post_receipts(&base, "wrong-secret-0123456789", &receipts)
        .await
        .unwrap();
    assert_eq!(status, 401, "{body}");
    let (status, body) = s
        .sink
        .post_replies(
            &base,
            HOOK_SECRET,
            &[wire::Reply {
                phone_number: "13700001111".into(),
                content: "2".into(),
                send_time: Some("2027-07-20 10:01:00".into()),
                sequence_id: "9001".into(),
            }],
        )
        .await
        .unwrap();
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"recorded\":1"), "{body}");
    server.abort();

    let progress =
        s.h.app
            .sms_delivery_progress(&App::console_principal(), "incident", &["typhoon-8".into()])
            .await
            .unwrap();
    let p = &progress[0];
    assert_eq!((p.messages, p.delivered, p.failed, p.pending), (4, 3, 1, 0));
    assert_no_plaintext_phone(&s.h).await;
}

/// A traveler's SMS reply through the signed webhook is their safety check-in in every open
/// incident they are in: "2" records "needs help" and escalates them to one urgent ticket; the
/// same reply delivered again and a later "1" change nothing.
#[tokio::test]
async fn a_reply_through_the_webhook_is_a_safety_check_in() {
    let s = setup().await;
    let traveler = customer(&s.h.app, "林小雨", PHONE).await;
    let boss = s.h.token("zhao.min").await;
    let declared =
        s.h.api(
            Method::POST,
            "/api/v1/incidents",
            &boss,
            json!({"kind": "natural_disaster", "level": "general", "title": "台风“杜鹃”",
                   "scope": {"regions": ["厦门"], "from": "2027-07-20", "to": "2027-07-21"}}),
        )
        .await;
    assert_eq!(declared.status, StatusCode::CREATED, "{}", declared.text);
    let incident = declared.body["incident"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let added =
        s.h.api(
            Method::POST,
            &format!("/api/v1/incidents/{incident}/people"),
            &boss,
            json!({"customer_id": traveler}),
        )
        .await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.text);
    assert_eq!(added.body["status"], "pending");

    let now = s.clock.now().as_second();
    let help = json!([{"phone_number": PHONE, "content": "2 需要帮助", "sequence_id": "seq-2001"}]);
    for _ in 0..2 {
        let r = signed_post(&s, "/api/v1/sms/replies", &help, HOOK_SECRET, now).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }
    let safe = json!([{"phone_number": PHONE, "content": "1", "sequence_id": "seq-2002"}]);
    let r = signed_post(&s, "/api/v1/sms/replies", &safe, HOOK_SECRET, now).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    let people =
        s.h.get(&format!("/api/v1/incidents/{incident}/people"), &boss)
            .await;
    let person = &people.body["items"][0];
    assert_eq!(person["status"], "needs_help", "{}", people.text);
    assert_eq!(person["answered_via"], "sms");
    assert!(person["escalated_ticket_id"].is_string(), "{}", people.text);
    let board =
        s.h.get(&format!("/api/v1/incidents/{incident}"), &boss)
            .await;
    assert_eq!(
        board.body["escalated"], 1,
        "one ticket, not one per delivery"
    );
}

/// The provider's API flow control (`Throttling.User`) only says "too fast": the message is
/// tried again a second later and the refused attempt is not counted, so a broadcast held
/// at the provider's rate never uses up a traveler's attempts.
#[tokio::test]
async fn a_send_over_the_providers_rate_is_tried_again_at_once_uncounted() {
    let s = setup().await;
    let traveler = customer(&s.h.app, "林小雨", PHONE).await;
    for _ in 0..3 {
        s.sink.answer_next(wire::THROTTLING);
    }
    let queued = queue_sms(&s, traveler, "请报平安").await;
    let id: Uuid = queued["id"].as_str().unwrap().parse().unwrap();
    let read = || {
        let store = s.h.store.store.clone();
        async move {
            let mut tx = store.read().await.unwrap();
            tx.get_message(id).await.unwrap().unwrap()
        }
    };
    for refused in 1..=3 {
        drain(&s).await;
        let m = read().await;
        assert_eq!(m.state.as_str(), "retrying", "refusal {refused}");
        assert_eq!(m.attempts, 0, "a throttled attempt is given back");
        assert_eq!(m.last_error.as_deref(), Some(wire::THROTTLING));
        s.clock.advance(SignedDuration::from_secs(1));
    }
    drain(&s).await;
    let sent = read().await;
    assert_eq!(sent.state.as_str(), "sent");
    assert_eq!(sent.attempts, 1);
    assert_eq!(s.sink.messages().len(), 1);
    assert_eq!(s.sink.throttled(), 3);
}
