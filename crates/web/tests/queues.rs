//! Role queues, staff alerts in the bell, and the steps a page offers — in process: what
//! waits for a supervisor (compensation to approve) and a follow-up specialist (visits to
//! make, also in "mine"); staff alerts on the in-app channel with or without email; the ticket
//! page's step list per role, and a refused step explained in Chinese.

mod common;

use axum::http::{Method, StatusCode};
use common::{assert_problem, dept_id, harness, harness_with, Harness};
use serde_json::{json, Value};
use std::sync::Arc;
use tripdesk_app::AppSettings;
use tripdesk_domain::clock::SystemClock;

async fn ok(h: &Harness, token: &str, id: &str, step: Value) -> Value {
    let r = h
        .api(
            Method::POST,
            &format!("/api/v1/tickets/{id}/steps"),
            token,
            step.clone(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{step}: {}", r.text);
    r.body
}

/// A complaint at "solution proposed" with an 800-yuan refund (above the 500-yuan threshold).
async fn awaiting_approval(h: &Harness) -> (String, String) {
    let agent = h.token("li.na").await;
    let handler = h.token("zhou.jie").await;
    let admin = h.token("admin").await;
    let guide = dept_id(h, &admin, "guide_management").await;
    let r = h
        .api(
            Method::POST,
            "/api/v1/tickets",
            &agent,
            json!({"kind": "complaint", "channel": "phone", "level": "general", "subject": "游船被取消", "description": "导游取消了西湖游船。", "customer": {"name": "周晓梅", "phone": "+86 139 5555 0102"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.body["id"].as_str().unwrap().to_string();
    ok(
        h,
        &agent,
        &id,
        json!({"step": "triage", "level": "general"}),
    )
    .await;
    ok(h, &agent, &id, json!({"step": "assign", "group_id": guide})).await;
    ok(h, &handler, &id, json!({"step": "record_contact"})).await;
    ok(h, &handler, &id, json!({"step": "start_investigation"})).await;
    ok(
        h,
        &handler,
        &id,
        json!({"step": "propose_solution", "compensation": {"kind": "refund", "amount_fen": 80000}}),
    )
    .await;
    (id, r.body["number"].as_str().unwrap().to_string())
}

fn queue_ids(r: &common::Reply) -> Vec<String> {
    r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_string())
        .collect()
}

fn count_of(r: &common::Reply, queue: &str) -> u64 {
    r.body["queues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["queue"] == queue)
        .and_then(|q| q["count"].as_u64())
        .unwrap_or_else(|| panic!("no {queue} count: {}", r.text))
}

#[tokio::test]
async fn compensation_to_approve_waits_in_the_supervisors_queue_only() {
    let h = harness().await;
    let (id, number) = awaiting_approval(&h).await;
    let sup = h.token("zhao.min").await;
    let r = h.get("/api/v1/desk/inbox?queue=to_approve", &sup).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(queue_ids(&r), std::slice::from_ref(&id));
    assert_eq!(count_of(&r, "to_approve"), 1);
    // Another role's queue is refused, naming the permission; its tabs do not show it.
    let agent = h.token("li.na").await;
    let r = h.get("/api/v1/desk/inbox?queue=to_approve", &agent).await;
    assert_problem(&r, StatusCode::FORBIDDEN, "forbidden");
    let r = h.get("/api/v1/desk/inbox", &agent).await;
    assert!(!r.text.contains("\"to_approve\""), "{}", r.text);
    // The supervisor's home page and inbox tabs show it.
    let home = h.ui_get("/", "zhao.min").await;
    assert!(
        home.text.contains("data-queue=\"to_approve\"")
            && home.text.contains("href=\"/desk?queue=to_approve\""),
        "{}",
        home.text
    );
    let page = h.ui_get("/desk?queue=to_approve", "zhao.min").await;
    assert!(page.text.contains(&number), "{}", page.text);
    // Approved, it leaves the queue.
    ok(&h, &sup, &id, json!({"step": "approve_compensation"})).await;
    let r = h.get("/api/v1/desk/inbox?queue=to_approve", &sup).await;
    assert!(queue_ids(&r).is_empty(), "{}", r.text);
}

#[tokio::test]
async fn a_follow_up_specialist_schedules_and_finds_her_visits_in_mine() {
    let h = harness().await;
    let (id, _) = awaiting_approval(&h).await;
    let sup = h.token("zhao.min").await;
    let handler = h.token("zhou.jie").await;
    ok(&h, &sup, &id, json!({"step": "approve_compensation"})).await;
    ok(&h, &handler, &id, json!({"step": "resolve"})).await;
    ok(
        &h,
        &handler,
        &id,
        json!({"step": "report_result", "cause": "导游未报备"}),
    )
    .await;
    let fu = h.token("wang.fang").await;
    let r = h.get("/api/v1/desk/inbox?queue=to_schedule", &fu).await;
    assert_eq!(queue_ids(&r), std::slice::from_ref(&id), "{}", r.text);
    let me = h.get("/api/v1/auth/me", &fu).await;
    let me = me.body["user"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{}", me.text))
        .to_string();
    // The follow-up team schedules its own visits (seed 001); the handler may not.
    let r = h
        .api(
            Method::POST,
            &format!("/api/v1/tickets/{id}/steps"),
            &handler,
            json!({"step": "schedule_follow_up", "assignee_id": me}),
        )
        .await;
    assert_problem(&r, StatusCode::FORBIDDEN, "forbidden");
    ok(
        &h,
        &fu,
        &id,
        json!({"step": "schedule_follow_up", "assignee_id": me}),
    )
    .await;
    for queue in ["to_follow_up", "mine"] {
        let r = h
            .get(&format!("/api/v1/desk/inbox?queue={queue}"), &fu)
            .await;
        assert_eq!(
            queue_ids(&r),
            std::slice::from_ref(&id),
            "{queue}: {}",
            r.text
        );
        assert_eq!(count_of(&r, queue), 1, "{queue}");
    }
    // Her bell has the assignment.
    let messages = h
        .get(
            &format!("/api/v1/messages?related_type=ticket&related_id={id}&limit=500"),
            &h.token("admin").await,
        )
        .await;
    assert!(
        messages.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["template_key"] == "complaint.follow_up_assigned"
                && m["channel"] == "in_app"
                && m["to"] == me.as_str()),
        "{}",
        messages.text
    );
}

/// Staff alerts: the bell always; email as well only when email goes out.
#[tokio::test]
async fn staff_alerts_reach_the_bell_and_email_only_when_configured() {
    for email in [true, false] {
        let mut settings = AppSettings::default();
        settings.notify.email = email;
        let h = harness_with(Arc::new(SystemClock), settings).await;
        let (id, _) = awaiting_approval(&h).await;
        let admin = h.token("admin").await;
        let r = h
            .get(
                &format!("/api/v1/messages?related_type=ticket&related_id={id}&limit=500"),
                &admin,
            )
            .await;
        let approval: Vec<&Value> = r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["template_key"] == "complaint.approval_needed")
            .collect();
        let channels = |c: &str| approval.iter().filter(|m| m["channel"] == c).count();
        // The demo has two supervisors.
        assert_eq!(channels("in_app"), 2, "email {email}: {approval:?}");
        assert_eq!(
            channels("email"),
            if email { 2 } else { 0 },
            "email {email}: {approval:?}"
        );
    }
}

#[tokio::test]
async fn the_ticket_page_offers_only_the_users_steps_and_explains_a_refusal() {
    let h = harness().await;
    let (id, _) = awaiting_approval(&h).await;
    let uri = format!("/desk/tickets/{id}");
    let offered = |text: &str| -> Vec<String> {
        let Some(start) = text.find("<select id=\"step\"") else {
            return Vec::new();
        };
        let end = start + text[start..].find("</select>").unwrap();
        text[start..end]
            .split("<option value=\"")
            .skip(1)
            .map(|o| o.split('"').next().unwrap().to_string())
            .collect()
    };
    // Solution proposed, approval pending: the agent may only reassign; the handler may
    // revise the proposal or reassign (resolving waits for the approval); the supervisor
    // approves.
    let page = h.ui_get(&uri, "li.na").await;
    assert_eq!(offered(&page.text), ["reassign"]);
    let page = h.ui_get(&uri, "zhou.jie").await;
    assert_eq!(offered(&page.text), ["reassign", "propose_solution"]);
    let page = h.ui_get(&uri, "zhao.min").await;
    assert!(
        offered(&page.text).contains(&"approve_compensation".to_string()),
        "{:?}",
        offered(&page.text)
    );
    // The page names the handler and links the customer.
    let page = h.ui_get(&uri, "li.na").await;
    assert!(page.text.contains("data-handlers>周杰<"), "{}", page.text);
    assert!(page
        .text
        .contains("<dd data-customer><a href=\"/customers/"));
    // A step not offered, posted anyway, is refused in Chinese.
    let (cookie, csrf) = h.session("li.na").await;
    let r = h
        .call(
            Method::POST,
            &format!("/desk/tickets/{id}/step"),
            &[
                ("cookie", cookie.as_str()),
                ("content-type", "application/x-www-form-urlencoded"),
            ],
            Some(format!("_csrf={csrf}&step=resolve")),
        )
        .await;
    assert!(
        r.text
            .contains("您不能执行这一步：需要「处理投诉（投诉处理小组、主管）」的权限。")
            && !r.text.contains("handle_complaints"),
        "{}",
        r.text
    );
}
