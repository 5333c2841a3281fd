//! PIPL erasure leaves the customer identifiable nowhere: after `POST
//! /api/v1/customers/{id}/erase`, a scan of the database's files (SQLite: the database file and
//! its WAL; PostgreSQL: `pg_dump` of the test's schema) finds none of the customer's name,
//! phone, ID number or email — written by the customer (the public form, a survey), by agents
//! (tickets, replies, notes, messages) or copied by the system (emails in the outbox, staff
//! alerts) — while their tickets keep kind, level, states and timings.

mod common;

use axum::http::{Method, StatusCode};
use common::{database_bytes, harness, post_form, visit, Harness};
use serde_json::{json, Value};

const NAME: &str = "欧阳娜娜";
const PHONE: &str = "13912345678";
const RESIDENT_ID: &str = "11010519491231002X";
const EMAIL: &str = "ouyang.nana@example.com";

/// Every spelling of the customer's values the scan looks for.
fn spellings() -> Vec<String> {
    let mut out = vec![
        NAME.to_string(),
        PHONE.to_string(),
        "139 1234 5678".into(),
        "139-1234-5678".into(),
        RESIDENT_ID.into(),
        RESIDENT_ID.to_lowercase(),
        EMAIL.into(),
        EMAIL.to_uppercase(),
        "ouyang.nana".into(),
    ];
    // The name as JSON escapes it when asked to write ASCII only.
    out.push(
        NAME.chars()
            .map(|c| format!("\\u{:04x}", c as u32))
            .collect(),
    );
    out
}

/// The bytes an intruder with a copy of the database would read: the SQLite file and its
/// WAL, or a dump of the PostgreSQL schema.
fn found(bytes: &[u8]) -> Vec<String> {
    let lower = bytes.to_ascii_lowercase();
    spellings()
        .into_iter()
        .filter(|s| {
            let s = s.to_ascii_lowercase();
            lower.windows(s.len()).any(|w| w == s.as_bytes())
        })
        .collect()
}

async fn id_of(h: &Harness, token: &str, path: &str, key: &str, value: &str) -> String {
    let r = h.get(path, token).await;
    r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d[key] == value)
        .unwrap_or_else(|| panic!("{value} not in {path}"))["id"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn step(h: &Harness, token: &str, id: &str, body: Value) {
    let r = h
        .api(
            Method::POST,
            &format!("/api/v1/tickets/{id}/steps"),
            token,
            body.clone(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{body} → {}", r.text);
}

async fn ticket(h: &Harness, token: &str, body: Value) -> String {
    let r = h.api(Method::POST, "/api/v1/tickets", token, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body["id"].as_str().unwrap().to_string()
}

/// What statistics keep of a ticket.
fn statistics(t: &Value) -> Value {
    json!([
        t["number"],
        t["kind"],
        t["channel"],
        t["level"],
        t["state"],
        t["created_at"],
        t["updated_at"],
        t["resolved_at"],
        t["closed_at"],
        t["last_satisfaction"],
        t["events"].as_array().map(|e| e
            .iter()
            .map(|e| json!([
                e["kind"],
                e["step"],
                e["from_state"],
                e["to_state"],
                e["at"]
            ]))
            .collect::<Vec<_>>()),
    ])
}

#[tokio::test]
async fn after_erasure_no_value_of_the_customer_is_readable_in_the_database_files() {
    let h = harness().await;
    let admin = h.token("admin").await;
    let agent = h.token("li.na").await;
    let handler = h.token("zhou.jie").await;
    let follow_up = h.token("wang.fang").await;
    let sup = h.token("zhao.min").await;
    let guide = id_of(
        &h,
        &admin,
        "/api/v1/departments",
        "code",
        "guide_management",
    )
    .await;
    let zhou = id_of(
        &h,
        &admin,
        "/api/v1/users?q=zhou.jie",
        "username",
        "zhou.jie",
    )
    .await;
    let wang = id_of(
        &h,
        &admin,
        "/api/v1/users?q=wang.fang",
        "username",
        "wang.fang",
    )
    .await;

    // The customer, with every kind of value.
    let r = h
        .api(
            Method::POST,
            "/api/v1/customers",
            &agent,
            json!({"name": NAME, "phone": PHONE, "resident_id": RESIDENT_ID, "email": EMAIL,
                   "notes": format!("常客，身份证 {RESIDENT_ID}")}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let customer = r.body["id"].as_str().unwrap().to_string();

    // A complaint taken by an agent whose text quotes the values, walked to a survey.
    let complaint = ticket(
        &h,
        &agent,
        json!({"kind": "complaint", "channel": "phone", "level": "general",
               "subject": format!("{NAME}投诉导游迟到"),
               "description": format!("客户{NAME}（电话 139 1234 5678，邮箱 {}，身份证 {RESIDENT_ID}）说导游迟到一小时。", EMAIL.to_uppercase()),
               "customer": {"name": NAME, "id": customer}}),
    )
    .await;
    step(
        &h,
        &agent,
        &complaint,
        json!({"step": "triage", "level": "general"}),
    )
    .await;
    step(
        &h,
        &agent,
        &complaint,
        json!({"step": "assign", "group_id": guide, "assignee_id": zhou}),
    )
    .await;
    step(&h, &handler, &complaint, json!({"step": "record_contact"})).await;
    let messages = format!("/api/v1/tickets/{complaint}/messages");
    // A reply (emailed to the customer through the outbox) and a note, both quoting values.
    let r = h
        .api(Method::POST, &messages, &handler,
            json!({"kind": "reply", "body": format!("{NAME}您好，我们已收到您的投诉，会致电 {PHONE} 与您联系。")}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert!(r.body["message_id"].is_string(), "emailed: {}", r.text);
    let r = h
        .api(Method::POST, &messages, &handler,
            json!({"kind": "note", "body": format!("已核对证件 {RESIDENT_ID}，联系人 139-1234-5678")}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    // A staff message about the ticket (the bell) quoting the phone.
    let r = h
        .api(Method::POST, "/api/v1/messages", &handler,
            json!({"channel": "in_app", "to": "zhao.min", "subject": format!("请回电{NAME}"),
                   "body": format!("电话 +86 139 1234 5678"), "related_type": "ticket", "related_id": complaint}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    step(
        &h,
        &handler,
        &complaint,
        json!({"step": "start_investigation"}),
    )
    .await;
    step(&h, &handler, &complaint, json!({"step": "propose_solution", "compensation": {"kind": "voucher", "amount_fen": 20000}})).await;
    step(&h, &handler, &complaint, json!({"step": "resolve"})).await;
    step(
        &h,
        &handler,
        &complaint,
        json!({"step": "report_result", "cause": "导游迟到", "responsible_department_id": guide}),
    )
    .await;
    step(
        &h,
        &agent,
        &complaint,
        json!({"step": "schedule_follow_up", "assignee_id": wang}),
    )
    .await;
    let r = h
        .api(
            Method::POST,
            &format!("/api/v1/tickets/{complaint}/surveys"),
            &follow_up,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["emailed"], true);
    let url = r.body["url"].as_str().unwrap();
    let survey = url[url.find("/survey/").unwrap()..].to_string();
    let (_, v) = visit(&h, &survey, None).await;
    let r = post_form(
        &h,
        &survey,
        &v,
        &[
            ("satisfaction", "2"),
            ("overall_rating", "2"),
            ("reason", &format!("我是{NAME}，代金券没收到，请打 {PHONE}")),
            ("suggestions", "导游应当守时"),
        ],
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    // The customer writes in through the public form (found again by phone).
    let (_, v) = visit(&h, "/contact", None).await;
    let r = post_form(
        &h,
        "/contact",
        &v,
        &[
            ("kind", "inquiry"),
            ("name", NAME),
            ("phone", "+86 139-1234-5678"),
            ("email", EMAIL),
            ("booking_ref", ""),
            ("subject", &format!("{NAME}的发票")),
            (
                "description",
                &format!("请把发票寄给我，身份证 {RESIDENT_ID}，邮箱 {EMAIL}"),
            ),
        ],
        Some("203.0.113.9"),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let all = h.get("/api/v1/tickets?limit=200", &sup).await;
    let mine: Vec<String> = all.body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("{}", all.text))
        .iter()
        .filter(|t| t["customer_id"] == customer.as_str())
        .map(|t| t["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(mine.len(), 2, "the form's ticket is the same customer's");

    // Someone else's ticket that mentions her: only her values go.
    let other = ticket(
        &h,
        &agent,
        json!({"kind": "inquiry", "channel": "phone",
               "subject": "同行人改签",
               "description": format!("同行人{NAME}（{PHONE}）也要改签到周五。"),
               "customer": {"name": "陈晓", "phone": "13698765432"}}),
    )
    .await;

    let before: Vec<Value> = {
        let mut out = Vec::new();
        for id in &mine {
            out.push(statistics(
                &h.get(&format!("/api/v1/tickets/{id}"), &sup).await.body,
            ));
        }
        out
    };
    // The scan sees them before the erasure (so it can fail).
    let present = found(&database_bytes(&h.store.location));
    for v in [
        NAME,
        PHONE,
        "139 1234 5678",
        "139-1234-5678",
        RESIDENT_ID,
        EMAIL,
    ] {
        assert!(
            present.iter().any(|p| p == v),
            "{v} not seen before: {present:?}"
        );
    }

    let r = h
        .api(
            Method::POST,
            &format!("/api/v1/customers/{customer}/erase"),
            &sup,
            json!({"reason": "PIPL 删除申请 #2026-077"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    // Nothing of her is readable in the files any more.
    let left = found(&database_bytes(&h.store.location));
    assert!(left.is_empty(), "still in the database files: {left:?}");

    // Her tickets stay for statistics, with their text gone.
    for (id, stats) in mine.iter().zip(&before) {
        let t = h.get(&format!("/api/v1/tickets/{id}"), &sup).await;
        assert_eq!(
            &statistics(&t.body),
            stats,
            "kind, level, states and timings kept"
        );
        assert_eq!(t.body["customer_name"], "[已删除]");
        assert_eq!(t.body["subject"], "[已删除]");
        assert_eq!(t.body["description"], "[已删除]");
    }
    let t = h.get(&format!("/api/v1/tickets/{complaint}"), &sup).await;
    assert_eq!(t.body["last_satisfaction"], 2);
    assert!(t.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["body"].as_str())
        .all(|b| b == "[已删除]"));
    let page = h
        .ui_get(&format!("/desk/tickets/{complaint}"), "zhao.min")
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.text.contains(NAME) && page.text.contains("[已删除]"));
    // The other customer's ticket keeps its own words.
    let t = h.get(&format!("/api/v1/tickets/{other}"), &sup).await;
    assert_eq!(t.body["subject"], "同行人改签");
    assert_eq!(
        t.body["description"],
        "同行人[已删除]（[已删除]）也要改签到周五。"
    );
    assert_eq!(t.body["customer_name"], "陈晓");
    // Her emails (the reply, the survey link), still queued, are never sent; the staff
    // alert about the ticket still goes, without her name.
    let m = h
        .get(
            &format!("/api/v1/messages?related_type=ticket&related_id={complaint}&limit=100"),
            &sup,
        )
        .await;
    let items = m.body["items"].as_array().unwrap();
    let hers: Vec<&Value> = items.iter().filter(|m| m["to"] == "[已删除]").collect();
    assert!(hers.len() >= 2, "{}", m.text);
    for e in hers {
        assert_eq!(
            (e["state"].as_str(), e["channel"].as_str()),
            (Some("dead"), Some("email")),
            "{e}"
        );
        assert_eq!(e["subject"], "[已删除]");
    }
    assert!(
        items
            .iter()
            .any(|m| m["to"] == "zhao.min@shanhai-travel.example" && m["state"] == "queued"),
        "{}",
        m.text
    );
    // Erased once.
    let r = h
        .api(
            Method::POST,
            &format!("/api/v1/customers/{customer}/erase"),
            &sup,
            json!({"reason": "PIPL 删除申请 #2026-077"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn a_namesake_keeps_their_name_and_their_tickets() {
    let h = harness().await;
    let agent = h.token("li.na").await;
    let sup = h.token("zhao.min").await;
    let erased = ticket(
        &h,
        &agent,
        json!({"kind": "inquiry", "channel": "phone", "subject": "改签", "description": "改到周五",
               "customer": {"name": NAME, "phone": PHONE}}),
    )
    .await;
    let namesake = ticket(
        &h,
        &agent,
        json!({"kind": "inquiry", "channel": "phone", "subject": "退票", "description": "行程取消",
               "customer": {"name": NAME, "phone": "13698765432"}}),
    )
    .await;
    let customer_of = |t: &Value| t["customer_id"].as_str().unwrap().to_string();
    let mine = customer_of(&h.get(&format!("/api/v1/tickets/{erased}"), &sup).await.body);
    let theirs = customer_of(
        &h.get(&format!("/api/v1/tickets/{namesake}"), &sup)
            .await
            .body,
    );
    assert_ne!(mine, theirs);
    let r = h
        .api(
            Method::POST,
            &format!("/api/v1/customers/{mine}/erase"),
            &sup,
            json!({"reason": "PIPL 删除申请 #2026-078"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let t = h.get(&format!("/api/v1/tickets/{erased}"), &sup).await;
    assert_eq!(t.body["customer_name"], "[已删除]");
    let t = h.get(&format!("/api/v1/tickets/{namesake}"), &sup).await;
    assert_eq!(
        (t.body["customer_name"].as_str(), t.body["subject"].as_str()),
        (Some(NAME), Some("退票"))
    );
    let c = h.get(&format!("/api/v1/customers/{theirs}"), &sup).await;
    assert_eq!(c.body["name"], NAME, "{}", c.text);
}
