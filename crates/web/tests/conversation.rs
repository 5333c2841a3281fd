//! One conversation per customer (issue 17 item 6): a customer who writes by mail, is
//! answered by mail, writes again, opens a web chat with their phone and called the hotline
//! the day before has all of it on one list, newest first, each entry with its channel and
//! ticket; the API pages it by cursor, the staff page by number; the chat's texts are opened
//! from the vault (never stored in plaintext); a bad cursor is refused by name.

mod common;

use axum::http::{Method, StatusCode};
use common::{assert_problem, database_bytes, harness};
use serde_json::{json, Value};
use tripdesk_app::chat::StartChat;

const PHONE: &str = "13800138000";

fn mail(subject: &str, id: &str, body: &str) -> Vec<u8> {
    format!(
        "From: =?UTF-8?B?5p6X5bCP6Zuo?= <lin.xiaoyu@example.test>\r\nTo: support@agency.test\r\n\
         Subject: {subject}\r\nMessage-ID: <{id}@example.test>\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

/// One answered and one missed call from the customer's phone, the day before.
fn cdr() -> String {
    let line = |start: &str, answer: &str, end: &str, disposition: &str, uid: &str| {
        format!(
            "\"\",\"{PHONE}\",\"4008001234\",\"from-trunk\",\"\"\"客人\"\" <{PHONE}>\",\
             \"SIP/trunk-1\",\"SIP/8001-1\",\"Dial\",\"SIP/8001,30\",\"{start}\",\"{answer}\",\
             \"{end}\",0,0,\"{disposition}\",\"DOCUMENTATION\",\"{uid}\",\"\"\n"
        )
    };
    line(
        "2026-11-02 09:00:00",
        "",
        "2026-11-02 09:00:25",
        "NO ANSWER",
        "1762045200.1",
    ) + &line(
        "2026-11-02 09:05:00",
        "2026-11-02 09:05:06",
        "2026-11-02 09:08:06",
        "ANSWERED",
        "1762045500.2",
    )
}

#[tokio::test]
async fn every_channel_of_a_customer_on_one_conversation() {
    let h = harness().await;
    let (admin, boss) = (h.token("admin").await, h.token("zhao.min").await);
    let customer = h
        .api(
            Method::POST,
            "/api/v1/customers",
            &boss,
            json!({"name": "林小雨", "phones": [PHONE], "emails": ["lin.xiaoyu@example.test"]}),
        )
        .await;
    assert_eq!(customer.status, StatusCode::CREATED, "{}", customer.text);
    let customer_id = customer.body["id"].as_str().unwrap().to_string();

    // The hotline's calls of the day before.
    let r = h
        .api(
            Method::POST,
            "/api/v1/calls/cdr",
            &admin,
            json!({"csv": cdr(), "inbound_contexts": ["from-trunk"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    // A mail opens a ticket on her record; the agent answers by mail; she writes again.
    let opened = h
        .app
        .take_emails(
            None,
            &[mail(
                "西海大峡谷行程咨询",
                "first",
                "请问西海大峡谷的行程几天？",
            )],
        )
        .await
        .unwrap();
    let ticket_id = opened[0].ticket_id().expect("a ticket");
    let ticket = h.get(&format!("/api/v1/tickets/{ticket_id}"), &boss).await;
    assert_eq!(
        ticket.body["customer_id"],
        customer_id.as_str(),
        "her record"
    );
    let number = ticket.body["number"].as_str().unwrap().to_string();
    let r = h
        .api(
            Method::POST,
            &format!("/api/v1/tickets/{ticket_id}/messages"),
            &boss,
            json!({"kind": "reply", "body": "您好，西海大峡谷一日游，含午餐。"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let r = h
        .api(
            Method::POST,
            &format!("/api/v1/tickets/{ticket_id}/messages"),
            &boss,
            json!({"kind": "note", "body": "内部：客人预算有限"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let again = h
        .app
        .take_emails(
            None,
            &[mail(
                &format!("Re: [{number}] 西海大峡谷行程咨询"),
                "second",
                "谢谢，可以带老人吗？",
            )],
        )
        .await
        .unwrap();
    assert_eq!(again[0].ticket_id(), Some(ticket_id), "threaded");

    // A web chat from her phone.
    let chat = h
        .app
        .start_chat(
            StartChat {
                name: "林小雨".into(),
                phone: PHONE.into(),
                message: "在吗？想改一下出发日期".into(),
            },
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        chat.chat.customer_id.to_string(),
        customer_id,
        "found by phone"
    );
    h.app
        .visitor_says(&chat.token, "订单号 BK-1001")
        .await
        .unwrap();

    let uri = format!("/api/v1/customers/{customer_id}/conversation");
    let all = h.get(&uri, &boss).await;
    assert_eq!(all.status, StatusCode::OK, "{}", all.text);
    let items = all.body["items"].as_array().unwrap();
    let brief: Vec<(String, String, String)> = items
        .iter()
        .map(|i| {
            (
                i["channel"].as_str().unwrap().to_string(),
                i["speaker"].as_str().unwrap().to_string(),
                if i["kind"] == "message" {
                    i["text"].as_str().unwrap().to_string()
                } else {
                    i["kind"].as_str().unwrap().to_string()
                },
            )
        })
        .collect();
    let expected: Vec<(String, String, String)> = [
        ("chat", "customer", "订单号 BK-1001"),
        ("chat", "customer", "在吗？想改一下出发日期"),
        ("email", "customer", "谢谢，可以带老人吗？"),
        ("email", "agent", "您好，西海大峡谷一日游，含午餐。"),
        ("email", "customer", "请问西海大峡谷的行程几天？"),
        ("phone", "system", "call:inbound:answered"),
        ("phone", "system", "call:inbound:no_answer"),
    ]
    .iter()
    .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
    .collect();
    assert_eq!(brief, expected, "newest first, the note left out");
    assert_eq!(items[2]["ticket_number"], number.as_str());
    assert_eq!(items[5]["ring_secs"], 6);
    assert_eq!(items[5]["talk_secs"], 180);
    assert!(all.body["next"].is_null(), "one page");

    // Pages of three by cursor give the same list.
    let mut seen: Vec<Value> = Vec::new();
    let mut next: Option<String> = None;
    for _ in 0..5 {
        let page_uri = match &next {
            Some(c) => format!("{uri}?limit=3&before={c}"),
            None => format!("{uri}?limit=3"),
        };
        let page = h.get(&page_uri, &boss).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        seen.extend(page.body["items"].as_array().unwrap().iter().cloned());
        next = page.body["next"].as_str().map(str::to_string);
        if next.is_none() {
            break;
        }
    }
    assert_eq!(&seen, items);
    assert_problem(
        &h.get(&format!("{uri}?before=yesterday"), &boss).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_problem(
        &h.get(
            &format!("/api/v1/customers/{}/conversation", uuid::Uuid::now_v7()),
            &boss,
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );

    // The staff page, in Chinese, with the channels named and the ticket linked.
    let page = h
        .ui_get(
            &format!("/customers/{customer_id}/conversation"),
            "zhao.min",
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    for text in [
        "沟通记录",
        "在线客服",
        "邮件",
        "来电 · 已接通 · 响铃 6 秒 · 通话 180 秒",
        "来电 · 未接通 · 响铃 25 秒",
        "订单号 BK-1001",
        "您好，西海大峡谷一日游，含午餐。",
    ] {
        assert!(page.text.contains(text), "{text}");
    }
    assert!(page.text.contains(&format!("/desk/tickets/{ticket_id}")));
    assert!(
        !page.text.contains("客人预算有限"),
        "internal notes stay on the ticket"
    );
    let profile = h
        .ui_get(&format!("/customers/{customer_id}"), "zhao.min")
        .await;
    assert!(profile
        .text
        .contains(&format!("/customers/{customer_id}/conversation")));

    // The chat's words are sealed in the database.
    let bytes = database_bytes(&h.store.location);
    for plain in ["想改一下出发日期", "订单号 BK-1001"] {
        assert!(
            !bytes.windows(plain.len()).any(|w| w == plain.as_bytes()),
            "{plain} in plaintext"
        );
    }
}

/// A customer who answers a mail thread whose ticket was closed meanwhile gets a new ticket
/// that names the closed one (a closed ticket is on no queue: the message would wait unseen);
/// an out-of-office reply about it opens nothing.
#[tokio::test]
async fn an_answer_to_a_closed_ticket_opens_a_new_one_naming_it() {
    let h = harness().await;
    let agent = h.token("li.na").await;
    let first = h
        .app
        .take_emails(None, &[mail("行李丢失", "lost-1", "我的行李在机场丢了。")])
        .await
        .unwrap();
    let closed_id = first[0].ticket_id().unwrap();
    let closed = h.get(&format!("/api/v1/tickets/{closed_id}"), &agent).await;
    let number = closed.body["number"].as_str().unwrap().to_string();
    let r = h
        .api(
            Method::POST,
            &format!("/api/v1/tickets/{closed_id}/steps"),
            &agent,
            json!({"step": "close"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    let out_of_office = format!(
        "From: lin.xiaoyu@example.test\r\nSubject: Auto: Re: [{number}] 行李丢失\r\n\
         Message-ID: <ooo-1@example.test>\r\nIn-Reply-To: <lost-1@example.test>\r\n\
         Auto-Submitted: auto-replied\r\n\r\n我正在休假。\r\n"
    );
    let answer = format!(
        "From: lin.xiaoyu@example.test\r\nSubject: Re: [{number}] 行李丢失\r\n\
         Message-ID: <lost-2@example.test>\r\nIn-Reply-To: <lost-1@example.test>\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\n行李还是没找到，请再帮忙查一下。\r\n"
    );
    let out = h
        .app
        .take_emails(None, &[out_of_office.into_bytes(), answer.into_bytes()])
        .await
        .unwrap();
    assert_eq!(
        out[0],
        tripdesk_app::email_in::MailOutcome::Ignored("automatic"),
        "no ticket for an auto-reply"
    );
    let new_id = out[1].ticket_id().expect("a new ticket");
    assert_ne!(new_id, closed_id);
    let new = h.get(&format!("/api/v1/tickets/{new_id}"), &agent).await;
    assert_eq!(new.body["state"], "received", "{}", new.text);
    let description = new.body["description"].as_str().unwrap();
    assert!(
        description.contains(&format!("已关闭的工单 {number}"))
            && description.contains("行李还是没找到"),
        "{description}"
    );
    assert_eq!(new.body["customer_id"], closed.body["customer_id"]);
    let still = h.get(&format!("/api/v1/tickets/{closed_id}"), &agent).await;
    assert_eq!(still.body["state"], "closed");
}
