//! Email by IMAP (issue 17 item 1) against a real Dovecot on loopback, on the backend of this
//! run: a customer's mail delivered to the agency's mailbox opens an email ticket (customer
//! found or created through the vault, the first-response clock running) when the poll job
//! runs; the agent's reply leaves by SMTP with In-Reply-To / References naming the
//! customer's mail and the ticket number in its subject, and — delivered into the customer's
//! own mailbox — reads back threaded there; the customer's answer to that reply threads into
//! the same ticket; an auto-reply (`Auto-Submitted: auto-replied`) is recorded on the ticket
//! and sends nothing; a bounce answering nothing of ours opens no ticket; a second poll
//! takes nothing again; a wrong password is shown as the mailbox's last error.

mod common;

use axum::http::{Method, StatusCode};
use common::dovecot::Dovecot;
use common::harness;
use serde_json::{json, Value};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tripdesk_app::jobs::{drain, standard_registry};
use tripdesk_delivery::email::EmailChannel;
use tripdesk_delivery::smtp_sink::SmtpSink;
use tripdesk_delivery::{Channel, DispatcherConfig};
use uuid::Uuid;

const SUPPORT: (&str, &str) = ("support@agency.test", "support-pw-1");
const CUSTOMER: (&str, &str) = ("customer@example.test", "customer-pw-2");

fn header<'a>(mail: &'a mail_parser::Message<'a>, name: &str) -> String {
    mail.header_raw(name).unwrap_or_default().trim().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn email_round_trip_through_dovecot() {
    let dovecot = Dovecot::start(&[SUPPORT, CUSTOMER]);
    let h = harness().await;
    let admin = h.token("admin").await;
    let agent = h.token("li.na").await;
    let registry = standard_registry().unwrap();
    let sink = SmtpSink::start().await.unwrap();
    sink.stats.keep.store(true, Ordering::Relaxed);
    let email: Arc<dyn Channel> =
        Arc::new(EmailChannel::new(&sink.url(), "山海旅行客服 <support@agency.test>", 1).unwrap());
    let send = || {
        tripdesk_delivery::dispatcher::run_until_idle(
            h.app.clone(),
            vec![email.clone()],
            DispatcherConfig::default(),
        )
    };

    // The administrator adds the agency's mailbox (plain IMAP: loopback).
    let r = h
        .api(
            Method::POST,
            "/api/v1/mailboxes",
            &admin,
            json!({"name": "客服信箱", "host": "127.0.0.1", "port": dovecot.port, "tls": false,
                   "username": SUPPORT.0, "password": SUPPORT.1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert!(!r.text.contains(SUPPORT.1), "the password is never shown");
    let mailbox = r.body["id"].as_str().unwrap().to_string();
    // Only administrators manage mailboxes.
    let r = h.get("/api/v1/mailboxes", &agent).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let poll = || async {
        let r = h
            .api(
                Method::POST,
                &format!("/api/v1/mailboxes/{mailbox}/poll"),
                &admin,
                json!({}),
            )
            .await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
        drain(&h.app, &registry).await.unwrap();
    };
    let tickets = || async {
        let r = h.get("/api/v1/tickets?limit=100", &agent).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        r.body["items"].as_array().unwrap().clone()
    };
    assert!(tickets().await.is_empty());

    // 1. The customer writes to support.
    let first = "From: =?UTF-8?B?5byg5LiJ?= <customer@example.test>\r\n\
        To: support@agency.test\r\n\
        Subject: =?UTF-8?B?5ZKo6K+i77ya5LiJ5Lqa5LqU5pel5ri45Lu35qC8?=\r\n\
        Message-ID: <first-7731@example.test>\r\n\
        Date: Sun, 06 Dec 2026 09:00:00 +0800\r\n\
        MIME-Version: 1.0\r\n\
        Content-Type: text/html; charset=utf-8\r\n\
        Content-Transfer-Encoding: 8bit\r\n\r\n\
        <p>你好，请问三亚五日游<b>十二月</b>还有位置吗？</p><script>alert(1)</script>\r\n";
    dovecot
        .deliver(SUPPORT.0, SUPPORT.1, first.as_bytes())
        .await;
    poll().await;
    let list = tickets().await;
    assert_eq!(list.len(), 1, "one ticket: {list:?}");
    let ticket = &list[0];
    let ticket_id = ticket["id"].as_str().unwrap().to_string();
    let number = ticket["number"].as_str().unwrap().to_string();
    assert_eq!(ticket["channel"], "email");
    assert_eq!(ticket["subject"], "咨询：三亚五日游价格");
    let detail = h.get(&format!("/api/v1/tickets/{ticket_id}"), &agent).await;
    assert_eq!(detail.status, StatusCode::OK);
    let description = detail.body["description"].as_str().unwrap();
    assert!(description.contains("三亚五日游"), "{description}");
    assert!(
        !description.contains("<script>") && !description.contains("alert"),
        "{description}"
    );
    assert!(
        detail.text.contains("first_response.email"),
        "the email first-response clock runs: {}",
        detail.text
    );
    // The sender became a customer, found again by the blind index.
    let customer_id = detail.body["customer_id"].as_str().unwrap().to_string();
    let r = h.get("/api/v1/mailboxes", &admin).await;
    assert_eq!(r.body["items"][0]["taken_total"], 1, "{}", r.text);
    assert_eq!(r.body["items"][0]["last_error"], Value::Null);

    // 2. The agent answers; the reply leaves by SMTP and reaches the customer's mailbox.
    let r = h
        .api(
            Method::POST,
            &format!("/api/v1/tickets/{ticket_id}/messages"),
            &agent,
            json!({"kind": "reply", "body": "张先生您好，十二月还有位置，价格 3880 元/人。"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(send().await, 1);
    let sent = sink.stats.kept.lock().unwrap().clone();
    assert_eq!(sent.len(), 1);
    dovecot.deliver(CUSTOMER.0, CUSTOMER.1, &sent[0]).await;
    let inbox = dovecot.inbox(CUSTOMER.0, CUSTOMER.1).await;
    assert_eq!(inbox.len(), 1);
    let reply = mail_parser::MessageParser::default()
        .parse(&inbox[0])
        .unwrap();
    assert_eq!(header(&reply, "In-Reply-To"), "<first-7731@example.test>");
    assert!(header(&reply, "References").contains("<first-7731@example.test>"));
    assert!(
        reply.subject().unwrap().contains(&format!("[{number}]")),
        "{:?}",
        reply.subject()
    );
    assert!(reply.body_text(0).unwrap().contains("3880"));
    let reply_id = format!("<{}>", reply.message_id().unwrap());

    // 3. The customer answers the reply: the same ticket, no new one.
    let answer = format!(
        "From: =?UTF-8?B?5byg5LiJ?= <customer@example.test>\r\n\
         To: support@agency.test\r\n\
         Subject: Re: {}\r\n\
         Message-ID: <second-8812@example.test>\r\n\
         In-Reply-To: {reply_id}\r\n\
         References: <first-7731@example.test> {reply_id}\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\
         Content-Transfer-Encoding: 8bit\r\n\r\n\
         好的，我们两个人，请帮我预订。\r\n",
        header(&reply, "Subject")
    );
    dovecot
        .deliver(SUPPORT.0, SUPPORT.1, answer.as_bytes())
        .await;
    poll().await;
    assert_eq!(
        tickets().await.len(),
        1,
        "the answer threads into the ticket"
    );
    let timeline = h
        .get(&format!("/api/v1/tickets/{ticket_id}/timeline"), &agent)
        .await;
    let answered =
        timeline.body["items"].as_array().unwrap().iter().any(|i| {
            i["kind"] == "customer_email" && i["body"].as_str().unwrap().contains("两个人")
        });
    assert!(answered, "{}", timeline.text);

    // 4. The customer's auto-responder answers the agent's next reply: recorded, not answered.
    let r = h
        .api(
            Method::POST,
            &format!("/api/v1/tickets/{ticket_id}/messages"),
            &agent,
            json!({"kind": "reply", "body": "已为您预留两个位置。"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(send().await, 1);
    let second_reply = {
        let kept = sink.stats.kept.lock().unwrap().clone();
        assert_eq!(kept.len(), 2);
        let m = mail_parser::MessageParser::default()
            .parse(&kept[1])
            .unwrap();
        assert_eq!(header(&m, "In-Reply-To"), "<second-8812@example.test>");
        format!("<{}>", m.message_id().unwrap())
    };
    let auto = format!(
        "From: customer@example.test\r\n\
         To: support@agency.test\r\n\
         Subject: =?UTF-8?B?6Ieq5Yqo5Zue5aSN77ya5oiR5q2j5Zyo5bqm5YGH?=\r\n\
         Message-ID: <auto-9901@example.test>\r\n\
         In-Reply-To: {second_reply}\r\n\
         Auto-Submitted: auto-replied\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\
         Content-Transfer-Encoding: 8bit\r\n\r\n\
         我正在度假，12 月 20 日回来。\r\n"
    );
    let bounce = "From: MAILER-DAEMON@mx.example.test\r\n\
        To: support@agency.test\r\n\
        Subject: Undelivered Mail Returned to Sender\r\n\
        Message-ID: <bounce-1@mx.example.test>\r\n\
        Content-Type: multipart/report; report-type=delivery-status; boundary=b1\r\n\r\n\
        --b1\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n--b1--\r\n";
    dovecot.deliver(SUPPORT.0, SUPPORT.1, auto.as_bytes()).await;
    dovecot
        .deliver(SUPPORT.0, SUPPORT.1, bounce.as_bytes())
        .await;
    poll().await;
    assert_eq!(tickets().await.len(), 1, "automatic mail opens no ticket");
    let mails = {
        let mut tx = h.app.store.read().await.unwrap();
        tx.ticket_email_messages(Uuid::parse_str(&ticket_id).unwrap())
            .await
            .unwrap()
    };
    let autos: Vec<_> = mails.iter().filter_map(|m| m.auto_kind.clone()).collect();
    assert_eq!(autos, ["ours", "ours", "auto_reply"], "{mails:?}");
    assert!(mails
        .iter()
        .all(|m| m.customer_id.map(|c| c.to_string()) == Some(customer_id.clone())));
    // Nothing leaves for it, now or a little later.
    assert_eq!(send().await, 0);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(send().await, 0);
    assert_eq!(sink.stats.messages.load(Ordering::Relaxed), 2);

    // 5. A second poll takes nothing again; the mark is the last UID.
    poll().await;
    let r = h.get(&format!("/api/v1/mailboxes/{mailbox}"), &admin).await;
    assert_eq!(r.body["last_uid"], 4, "{}", r.text);
    assert_eq!(r.body["taken_total"], 3, "{}", r.text);
    assert_eq!(tickets().await.len(), 1);

    // 6. A wrong password is shown as the mailbox's last error; turned off, it is not polled.
    let r = h
        .api(
            Method::POST,
            "/api/v1/mailboxes",
            &admin,
            json!({"name": "错误密码", "host": "127.0.0.1", "port": dovecot.port, "tls": false,
                   "username": SUPPORT.0, "password": "wrong"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let bad = r.body["id"].as_str().unwrap().to_string();
    let r = h
        .api(
            Method::POST,
            &format!("/api/v1/mailboxes/{bad}/poll"),
            &admin,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    drain(&h.app, &registry).await.unwrap();
    let r = h.get(&format!("/api/v1/mailboxes/{bad}"), &admin).await;
    let error = r.body["last_error"].as_str().unwrap_or_default();
    assert!(error.starts_with("login"), "{}", r.text);
    assert!(!error.contains("wrong"));
    let r = h
        .api(
            Method::PUT,
            &format!("/api/v1/mailboxes/{bad}/enabled"),
            &admin,
            json!({"enabled": false}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["enabled"], false);
}

/// IDLE (Dovecot offers it): with the node's watcher running, a mail delivered to the
/// agency's mailbox is a ticket within seconds — the sweep, due only a minute later, plays no
/// part (its first run is drained before the mail comes); turning the mailbox off ends its
/// watcher.
#[tokio::test]
async fn idle_brings_a_mail_in_without_waiting_for_the_sweep() {
    let dovecot = Dovecot::start(&[SUPPORT]);
    let h = harness().await;
    let admin = h.token("admin").await;
    let registry = standard_registry().unwrap();
    let r = h
        .api(
            Method::POST,
            "/api/v1/mailboxes",
            &admin,
            json!({"name": "客服信箱", "host": "127.0.0.1", "port": dovecot.port, "tls": false,
                   "username": SUPPORT.0, "password": SUPPORT.1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let watcher = tripdesk_app::email_in::idle::MailboxWatcher::spawn(h.app.clone());
    // Whatever is due now (the first sweep, the watcher's poll on connecting) runs first.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    drain(&h.app, &registry).await.unwrap();
    let count = || async {
        let r = h.get("/api/v1/tickets?limit=10", &admin).await;
        r.body["items"].as_array().map(Vec::len).unwrap_or(0)
    };
    assert_eq!(count().await, 0);

    let mail = "From: customer@example.test\r\nTo: support@agency.test\r\n\
        Subject: =?UTF-8?B?6K+36Zeu5LiJ5Lqa?=\r\nMessage-ID: <idle-1@example.test>\r\n\
        Content-Type: text/plain; charset=utf-8\r\n\r\nhello\r\n";
    let sent = std::time::Instant::now();
    dovecot.deliver(SUPPORT.0, SUPPORT.1, mail.as_bytes()).await;
    let mut arrived = None;
    for _ in 0..60 {
        drain(&h.app, &registry).await.unwrap();
        if count().await == 1 {
            arrived = Some(sent.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let arrived = arrived.unwrap_or_else(|| panic!("no ticket within 15 s: {}", dovecot.log()));
    assert!(arrived < Duration::from_secs(15), "{arrived:?}");
    watcher.shutdown().await;
}
