//! SMS as operators run it: `tripdesk serve` configured with `sms_*` options delivers queued
//! SMS to the loopback provider (`tripdesk_delivery::sms_sink`) under the configured rate
//! limit, and accepts the provider's signed receipts and replies. On the backend of the test
//! run (SQLite, or PostgreSQL with TRIPDESK_TEST_DATABASE_URL).

mod common;

use common::{serve_command, test_keys, Node};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tripdesk_app::auth::Credential;
use tripdesk_app::customers::{Labeled, NewCustomer};
use tripdesk_app::notify::NotifySettings;
use tripdesk_app::sms::{sms_recipient_of, wire};
use tripdesk_app::{App, AppSettings, Principal};
use tripdesk_delivery::sms_sink::SmsSink;
use tripdesk_domain::clock::SystemClock;
use tripdesk_domain::identity::Role;
use tripdesk_store_sql::testing::fresh_store;
use uuid::Uuid;

const KEY_ID: &str = "LTAI-serve-test";
const KEY_SECRET: &str = "serve-access-key-s3cret";
const HOOK_SECRET: &str = "serve-sms-hook-s3cret-0123";
const MESSAGES: usize = 12;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_sends_configured_sms_and_takes_the_providers_receipts_and_replies() {
    let store = fresh_store().await;
    let keys = Arc::new(tripdesk_vault::KeyRing::from_toml(test_keys()).unwrap());
    let app = App::new(
        store.store.clone(),
        Arc::new(SystemClock),
        AppSettings {
            notify: NotifySettings {
                sms: true,
                ..Default::default()
            },
            ..Default::default()
        },
    )
    .with_vault(keys);
    let supervisor = Principal {
        user_id: Uuid::now_v7(),
        username: "zhao.min".into(),
        display_name: "赵敏".into(),
        roles: vec![Role::Supervisor],
        department_id: None,
        locale: "zh-CN".into(),
        credential: Credential::Console,
    };
    let traveler = app
        .create_customer(
            &supervisor,
            NewCustomer {
                name: "林小雨".into(),
                phones: vec![Labeled::new("phone", "13912345678")],
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .detail
        .customer
        .id;
    let mut tx = app.store.write().await.unwrap();
    let phone = tx.list_identifiers(traveler).await.unwrap();
    let to = sms_recipient_of(&phone[0]).unwrap();
    let messages: Vec<_> = (0..MESSAGES)
        .map(|i| {
            app.sms_message(
                traveler,
                to.clone(),
                &format!("【台风预警】第{i}次提醒：请回复1报平安"),
                Some(("incident".into(), "typhoon-9".into())),
                true,
            )
            .unwrap()
        })
        .collect();
    tx.enqueue(&messages).await.unwrap();
    tx.commit().await.unwrap();

    let sink = SmsSink::start(KEY_ID, KEY_SECRET).await.unwrap();
    let mut cmd = serve_command(&store.location.command_line());
    cmd.env("TRIPDESK_SMS_BASE_URL", sink.url())
        .env("TRIPDESK_SMS_ACCESS_KEY_ID", KEY_ID)
        .env("TRIPDESK_SMS_ACCESS_KEY_SECRET", KEY_SECRET)
        .env("TRIPDESK_SMS_SIGN_NAME", "【云途旅行】")
        .env("TRIPDESK_SMS_TEMPLATE_CODE", "SMS_276150001")
        .env("TRIPDESK_SMS_RATE_PER_SEC", "5")
        .env("TRIPDESK_SMS_WEBHOOK_SECRET", HOOK_SECRET);
    let node = Node::start(cmd).await;

    let deadline = Instant::now() + Duration::from_secs(60);
    while sink.messages().len() < MESSAGES {
        assert!(
            Instant::now() < deadline,
            "only {} of {MESSAGES} SMS arrived",
            sink.messages().len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let got = sink.messages();
    assert!(got
        .iter()
        .all(|m| m.request.phone_numbers == "+8613912345678"
            && m.request.sign_name == "云途旅行"
            && m.request.template_code == "SMS_276150001"));
    let mut out_ids: Vec<_> = got.iter().map(|m| m.request.out_id.clone()).collect();
    out_ids.sort();
    let mut want: Vec<_> = messages.iter().map(|m| m.id.to_string()).collect();
    want.sort();
    assert_eq!(out_ids, want);
    // The configured rate is the channel's limit in the database (shared by every node), with
    // a burst of a twentieth of a second's worth (at least one).
    {
        let mut tx = store.store.read().await.unwrap();
        let limits = tx.list_rate_limits().await.unwrap();
        assert!(
            limits
                .iter()
                .any(|l| l.channel == "sms" && l.per_second == 5 && l.burst == 1),
            "{limits:?}"
        );
    }

    let receipts: Vec<wire::Receipt> = got
        .iter()
        .map(|m| wire::Receipt {
            out_id: m.request.out_id.clone(),
            phone_number: Some("5678".into()),
            success: true,
            err_code: Some("DELIVERED".into()),
            report_time: "2027-07-20 10:00:30".into(),
        })
        .collect();
    let (status, body) = sink
        .post_receipts(&node.base, HOOK_SECRET, &receipts)
        .await
        .unwrap();
    assert_eq!(status, 200, "{body}");
    assert!(body.contains(&format!("\"recorded\":{MESSAGES}")), "{body}");
    let (status, body) = sink
        .post_receipts(&node.base, "not-the-hook-secret-0000", &receipts)
        .await
        .unwrap();
    assert_eq!(status, 401, "{body}");
    let (status, body) = sink
        .post_replies(
            &node.base,
            HOOK_SECRET,
            &[wire::Reply {
                phone_number: "13912345678".into(),
                content: "1".into(),
                send_time: None,
                sequence_id: "77001".into(),
            }],
        )
        .await
        .unwrap();
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"recorded\":1"), "{body}");
    drop(node);

    let mut tx = store.store.read().await.unwrap();
    let progress = tx
        .delivery_progress("sms", "incident", &["typhoon-9".into()])
        .await
        .unwrap();
    assert_eq!(progress[0].delivered, MESSAGES as u64, "{progress:?}");
    let replies = tx.list_sms_replies(Some(traveler), &[]).await.unwrap();
    assert_eq!(replies.len(), 1);
}
