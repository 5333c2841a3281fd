//! Key rotation over everything the demo seals: after `reseal_all`, every vault envelope in
//! every sealed column — the customers', the attachments' and every other capability's (chats,
//! calls, callback tasks, SMS replies, email threads, WeChat, mailbox passwords) — is under the
//! new key and opens with a key ring that no longer holds the old one, through the vault field
//! the re-encryption named for it. A sealed column declared without a vault field fails here.

use std::collections::BTreeMap;
use std::sync::Arc;
use tripdesk_app::auth::Credential;
use tripdesk_app::email_in::MailboxInput;
use tripdesk_app::keys::vault_field;
use tripdesk_app::sms::wire::Reply;
use tripdesk_app::{App, AppSettings, Principal};
use tripdesk_domain::clock::SystemClock;
use tripdesk_domain::identity::Role;
use tripdesk_store::{CallbackFilter, TextColumn};
use tripdesk_store_sql::testing::fresh_store;
use tripdesk_vault::{webhook, KeyRing, Secret};
use tripdesk_wechat::message::{Inbound, InboundKind, OpenId};

const SMS_SECRET: &str = "reseal-test-sms-secret";

/// Every envelope of a column (none of them starts with `\u{1}`): (row key, value).
async fn envelopes(app: &App, c: &TextColumn) -> Vec<(String, String)> {
    let mut tx = app.store.read().await.unwrap();
    tx.sealed_values(c, "\u{1}", 1_000_000).await.unwrap()
}

#[tokio::test]
async fn rotation_reseals_every_sealed_column_and_the_old_key_can_go() {
    let store = fresh_store().await;
    let old = KeyRing::generate();
    let mut settings = AppSettings::default();
    settings.notify.sms_webhook_secret = Some(Secret::new(SMS_SECRET.into()));
    let app = App::new(store.store.clone(), Arc::new(SystemClock), settings).with_vault(Arc::new(
        KeyRing::from_toml(old.to_toml().expose_secret()).unwrap(),
    ));
    assert!(app.seed_demo().await.unwrap());
    // A mailbox's password is sealed too (a secret, not personal data).
    let admin = App::console_principal();
    app.create_mailbox(
        &admin,
        MailboxInput {
            name: "客服邮箱".into(),
            host: "127.0.0.1".into(),
            port: 993,
            tls: true,
            username: "kefu@example.cn".into(),
            password: "邮箱密码-123".into(),
            folder: "INBOX".into(),
        },
    )
    .await
    .unwrap();

    // A mail, an SMS reply and a WeChat message from customers, a callback's note: the
    // demo's day has none of them.
    let mail = "From: 王芳 <wangfang@example.cn>\r\nTo: kefu@example.cn\r\n\
        Subject: =?UTF-8?B?6YCA5qy+?=\r\nMessage-ID: <reseal-1@example.cn>\r\n\
        Date: Sun, 6 Dec 2026 10:00:00 +0800\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
        我想咨询退款进度。\r\n";
    app.take_emails(None, &[mail.as_bytes().to_vec()])
        .await
        .unwrap();
    let replies = vec![Reply {
        phone_number: "13812345678".into(),
        content: "请问明天几点集合？".into(),
        send_time: None,
        sequence_id: "reseal-1".into(),
    }];
    let body = serde_json::to_vec(&serde_json::json!({ "replies": &replies })).unwrap();
    let now = jiff::Timestamp::now().as_second();
    let verified = app
        .verify_sms_webhook(Some(&webhook::sign(SMS_SECRET, now, &body)), &body)
        .unwrap();
    app.receive_sms_replies(verified, &replies).await.unwrap();
    app.take_wechat_push(&Inbound {
        account: "gh_0123456789ab".into(),
        from: OpenId::new("oReseal0123456789abcdefghijk"),
        created_at: now,
        kind: InboundKind::Text {
            msg_id: 7_000_001,
            content: "房间可以加床吗？".into(),
        },
    })
    .await
    .unwrap();
    let user = app
        .store
        .read()
        .await
        .unwrap()
        .get_user_by_username("li.na")
        .await
        .unwrap()
        .unwrap();
    let agent = Principal {
        user_id: user.id,
        username: user.username.clone(),
        display_name: user.display_name.clone(),
        roles: vec![Role::Agent],
        department_id: None,
        locale: "zh-CN".into(),
        credential: Credential::Console,
    };
    let open = app
        .list_callbacks(
            &agent,
            CallbackFilter {
                open: true,
                customer_id: None,
            },
            10,
            0,
        )
        .await
        .unwrap();
    let task = open
        .items
        .first()
        .expect("the demo has missed calls")
        .task
        .id;
    app.record_callback(&agent, task, "reached", Some("客人说明天再来电"))
        .await
        .unwrap();

    let columns = app
        .sealed_columns()
        .expect("every sealed column has a vault field");
    let mut before: BTreeMap<String, usize> = BTreeMap::new();
    for c in &columns {
        before.insert(
            format!("{}.{}", c.table, c.column),
            envelopes(&app, c).await.len(),
        );
    }
    eprintln!("sealed values in the demo: {before:?}");
    for (column, n) in &before {
        assert!(*n > 0, "nothing sealed in {column}: {before:?}");
    }

    let mut ring = KeyRing::from_toml(old.to_toml().expose_secret()).unwrap();
    let old_kid = ring.active_key_id().to_string();
    let new_kid = ring.add_key_and_activate();
    let new_ring = ring.to_toml();
    let rotated = app.clone().with_vault(Arc::new(ring));
    let report = rotated.reseal_all(50, |_| {}).await.unwrap();
    for (column, n) in &before {
        assert_eq!(
            report.others.get(column).copied().unwrap_or(0) as usize,
            *n,
            "{column} re-encrypted: {report:?}"
        );
    }
    let again = rotated.reseal_all(50, |_| {}).await.unwrap();
    assert_eq!(again.others_total(), 0, "nothing left: {again:?}");

    // The old key retired: every value still opens, through the field named for it.
    let mut retired = KeyRing::from_toml(new_ring.expose_secret()).unwrap();
    retired.remove_key(&old_kid).unwrap();
    let vault = &retired;
    let prefix = format!("v1.{new_kid}.");
    for c in &columns {
        let field = vault_field(c).unwrap();
        for (key, sealed) in envelopes(&rotated, c).await {
            assert!(
                sealed.starts_with(&prefix),
                "{}.{} {key} under the old key",
                c.table,
                c.column
            );
            vault.decrypt(field, &key, &sealed).unwrap_or_else(|e| {
                panic!("{}.{} {key} does not open: {}", c.table, c.column, e.code())
            });
        }
    }
    let retired_app = app.clone().with_vault(Arc::new(retired));
    assert!(retired_app.check_vault_keys().await.is_ok());
}
