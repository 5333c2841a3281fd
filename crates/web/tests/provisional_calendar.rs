//! Intake never stops at a year without the State Council's holiday arrangement: with the
//! clock in 2027 (the shipped data ends with 2026), email and complaint tickets are taken,
//! their working-day deadlines computed on the provisional calendar (weekends plus the
//! statutory holidays) and marked provisional in the API and the pages; importing the year's
//! arrangement recomputes the running clocks, clears the mark and is audited.

mod common;

use axum::http::{Method, StatusCode};
use common::{harness_with_clock, Harness};
use jiff::Timestamp;
use serde_json::{json, Value};
use std::sync::Arc;
use tripdesk_domain::clock::ManualClock;

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn clock_named<'a>(ticket: &'a Value, name: &str) -> &'a Value {
    ticket["sla_clocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no clock {name} in {ticket}"))
}

async fn take(h: &Harness, agent: &str, body: Value) -> Value {
    let r = h
        .json(Method::POST, "/api/v1/tickets", Some(agent), body)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body
}

async fn ticket(h: &Harness, token: &str, id: &str) -> Value {
    let r = h.get(&format!("/api/v1/tickets/{id}"), token).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body
}

async fn import_toml(h: &Harness, admin: &str, toml: &str) -> Vec<Value> {
    let r = h
        .api(
            Method::POST,
            "/api/v1/calendars/cn-mainland/import",
            admin,
            json!({"format": "toml", "text": toml}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let audit = h
        .get(
            "/api/v1/audit?action=calendar.holidays_imported&limit=10",
            admin,
        )
        .await;
    assert_eq!(audit.status, StatusCode::OK, "{}", audit.text);
    audit.body["items"].as_array().unwrap().clone()
}

fn summary(entry: &Value) -> Value {
    match &entry["summary"] {
        Value::String(s) => serde_json::from_str(s).unwrap(),
        other => other.clone(),
    }
}

/// A hypothetical 2027 arrangement in the shipped format: National Day 1–7 October with two
/// make-up Saturdays, New Year's Day 1–3 January.
const ARRANGEMENT_2027: &str = r#"
format = 1
[[year]]
year = 2027
notice = "国务院办公厅关于2027年部分节假日安排的通知（测试）"
[[year.festival]]
zh = "元旦"
en = "New Year's Day"
off = ["2027-01-01..2027-01-03"]
[[year.festival]]
zh = "国庆节、中秋节"
en = "National Day, Mid-Autumn Festival"
off = ["2027-10-01..2027-10-07"]
work = ["2027-09-25", "2027-10-09"]
"#;

const ARRANGEMENT_2028: &str = r#"
format = 1
[[year]]
year = 2028
[[year.festival]]
zh = "元旦"
en = "New Year's Day"
off = ["2028-01-01..2028-01-03"]
work = ["2028-01-08"]
"#;

#[tokio::test]
async fn tickets_taken_in_2027_are_due_on_the_provisional_calendar_until_the_arrangement_is_imported(
) {
    // Thursday 30 September 2027, 09:00 in Beijing; no holiday data for 2027.
    let clock = Arc::new(ManualClock::new(at("2027-09-30T01:00:00Z")));
    let h = harness_with_clock(clock.clone()).await;
    let admin = h.token("admin").await;
    let agent = h.token("li.na").await;

    let email = take(&h, &agent, json!({"kind": "inquiry", "channel": "email", "subject": "国庆线路", "description": "国庆有无空位？", "customer": {"name": "赵敏", "email": "zhao.min@example.com"}})).await;
    let complaint = take(&h, &agent, json!({"kind": "complaint", "channel": "email", "level": "general", "subject": "酒店早餐品种少", "description": "早餐只有粥和馒头", "customer": {"name": "陈静", "email": "chen.jing@example.com"}})).await;

    // One working day on the provisional calendar: 1–3 October are National Day, the
    // weekend days among them (2, 3 October) are given back on Monday 4 and Tuesday 5.
    for t in [&email, &complaint] {
        let c = clock_named(t, "first_response.email");
        assert_eq!(c["due_at"], "2027-10-06T09:00:00+08:00", "{t}");
        assert_eq!(c["provisional"], true, "{t}");
    }
    // Wall-clock targets on the always-open hotline are never provisional.
    let id = complaint["id"].as_str().unwrap().to_string();
    let email_id = email["id"].as_str().unwrap().to_string();

    // The inbox badge and the SLA clock API say so too.
    let inbox = h.get("/api/v1/desk/inbox?limit=50", &agent).await;
    assert_eq!(inbox.status, StatusCode::OK, "{}", inbox.text);
    let item = inbox.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id.as_str())
        .unwrap_or_else(|| panic!("{}", inbox.text));
    assert_eq!(item["sla"]["provisional"], true, "{item}");
    let clock_id = clock_named(&complaint, "first_response.email")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let c = h
        .get(&format!("/api/v1/sla/clocks/{clock_id}"), &admin)
        .await;
    assert_eq!(c.status, StatusCode::OK, "{}", c.text);
    assert_eq!(c.body["provisional"], true);
    // The pages mark it.
    let page = h.ui_get(&format!("/desk/tickets/{id}"), "li.na").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text.contains("暂定（待国务院放假安排）"),
        "{}",
        page.text
    );
    let page = h.ui_get("/desk", "li.na").await;
    assert!(page.text.contains("class=\"provisional\""), "{}", page.text);
    // Administrators see the missing year on the dashboard and the calendar pages.
    for uri in ["/", "/calendars", "/calendars/cn-mainland"] {
        let page = h.ui_get(uri, "admin").await;
        assert_eq!(page.status, StatusCode::OK, "{uri}");
        assert!(
            page.text.contains("缺少 2027 年的国务院节假日安排"),
            "{uri}: {}",
            page.text
        );
        // Next year's is only asked for from 1 October.
        assert!(!page.text.contains("2028 年的国务院节假日安排"), "{uri}");
    }
    let page = h.ui_get("/", "li.na").await;
    assert!(
        !page.text.contains("国务院节假日安排"),
        "agents are not told"
    );
    // The calendar API marks provisional results.
    let r = h
        .api(
            Method::POST,
            "/api/v1/calendars/cn-mainland/add",
            &agent,
            json!({"from": "2027-09-30T09:00:00+08:00", "working_days": 1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["due"], "2027-10-06T09:00:00+08:00");
    assert_eq!(r.body["provisional"], true);
    assert_eq!(r.body["provisional_years"], json!([2027]));

    // The arrangement is imported: 1–7 October off, so the first working day is Friday
    // 8 October; the clocks are recomputed and no longer provisional.
    let audit = import_toml(&h, &admin, ARRANGEMENT_2027).await;
    assert_eq!(audit.len(), 1);
    let s = summary(&audit[0]);
    assert_eq!(s["years"], json!([2027]));
    assert_eq!(s["clocks_recomputed"], 2, "{s}");
    assert_eq!(s["clocks_still_provisional"], 0, "{s}");
    for tid in [&email_id, &id] {
        let t = ticket(&h, &agent, tid).await;
        let c = clock_named(&t, "first_response.email");
        assert_eq!(c["due_at"], "2027-10-08T09:00:00+08:00", "{t}");
        assert_eq!(c["provisional"], false, "{t}");
    }
    let c = h
        .get(&format!("/api/v1/sla/clocks/{clock_id}"), &admin)
        .await;
    assert_eq!(c.body["provisional"], false);
    assert_eq!(c.body["due_at"], "2027-10-08T09:00:00+08:00");
    // The engine looks at it when its warning or due instant comes.
    let next = c.body["next_due_at"].as_str().unwrap();
    let expected = c.body["warn_at"]
        .as_str()
        .unwrap_or(c.body["due_at"].as_str().unwrap());
    assert_eq!(next, expected, "{}", c.text);
    let page = h.ui_get(&format!("/desk/tickets/{id}"), "li.na").await;
    assert!(!page.text.contains("暂定（待国务院放假安排）"));
    // 2027 is no longer missing; from 1 October 2028's is asked for.
    let page = h.ui_get("/", "admin").await;
    assert!(!page.text.contains("国务院节假日安排"));
    clock.set(at("2027-09-30T16:00:00Z"));
    let page = h.ui_get("/", "admin").await;
    assert!(!page.text.contains("缺少 2027 年"));
    assert!(page.text.contains("尚无 2028 年的国务院节假日安排"));
}

#[tokio::test]
async fn an_email_taken_on_new_years_eve_is_recomputed_once_both_years_are_imported() {
    // Friday 31 December 2027, 10:00 in Beijing; neither 2027 nor 2028 has data.
    let clock = Arc::new(ManualClock::new(at("2027-12-31T02:00:00Z")));
    let h = harness_with_clock(clock.clone()).await;
    let admin = h.token("admin").await;
    let agent = h.token("li.na").await;
    let email = take(&h, &agent, json!({"kind": "inquiry", "channel": "email", "subject": "春节线路", "description": "春节有无亲子线路？", "customer": {"name": "孙悦", "email": "sun.yue@example.com"}})).await;
    let complaint = take(&h, &agent, json!({"kind": "complaint", "channel": "email", "level": "general", "subject": "导游迟到", "description": "导游迟到一小时", "customer": {"name": "刘芳", "email": "liu.fang@example.com"}})).await;
    // 1 January 2028 is a Saturday, given back on Monday 3 January: due Tuesday 4 January.
    for t in [&email, &complaint] {
        let c = clock_named(t, "first_response.email");
        assert_eq!(c["due_at"], "2028-01-04T10:00:00+08:00", "{t}");
        assert_eq!(c["provisional"], true);
    }
    // 2028 alone: the clocks started in 2027 still count a provisional year.
    let audit = import_toml(&h, &admin, ARRANGEMENT_2028).await;
    let s = summary(&audit[0]);
    assert_eq!(s["clocks_still_provisional"], 2, "{s}");
    let id = complaint["id"].as_str().unwrap();
    let t = ticket(&h, &agent, id).await;
    assert_eq!(clock_named(&t, "first_response.email")["provisional"], true);
    assert_eq!(
        clock_named(&t, "first_response.email")["due_at"],
        "2028-01-04T10:00:00+08:00"
    );
    // 2027 too: nothing provisional is left.
    let audit = import_toml(&h, &admin, ARRANGEMENT_2027).await;
    assert_eq!(audit.len(), 2);
    let s = summary(&audit[0]);
    assert_eq!(s["years"], json!([2027]));
    assert_eq!(s["clocks_recomputed"], 2, "{s}");
    assert_eq!(s["clocks_still_provisional"], 0, "{s}");
    for t in [&email, &complaint] {
        let t = ticket(&h, &agent, t["id"].as_str().unwrap()).await;
        let c = clock_named(&t, "first_response.email");
        assert_eq!(c["provisional"], false, "{t}");
        assert_eq!(c["due_at"], "2028-01-04T10:00:00+08:00", "{t}");
    }
}
