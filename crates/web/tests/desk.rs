//! The desk through the API: a complaint's whole life, and every refused transition.

mod common;

use axum::http::{Method, StatusCode};
use common::{assert_problem, dept_id, harness, harness_with_clock, Harness};
use jiff::Timestamp;
use serde_json::{json, Value};
use std::sync::Arc;
use tripdesk_domain::clock::ManualClock;

async fn step(h: &Harness, token: &str, id: &str, body: Value) -> common::Reply {
    h.json(
        Method::POST,
        &format!("/api/v1/tickets/{id}/steps"),
        Some(token),
        body,
    )
    .await
}

async fn ok_step(h: &Harness, token: &str, id: &str, body: Value) -> Value {
    let r = step(h, token, id, body.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{body} → {}", r.text);
    r.body
}

async fn user_id(h: &Harness, token: &str, username: &str) -> String {
    let r = h.get(&format!("/api/v1/users?q={username}"), token).await;
    r.body["items"][0]["id"].as_str().unwrap().to_string()
}

async fn new_complaint(h: &Harness, token: &str) -> Value {
    let r = h
        .json(
            Method::POST,
            "/api/v1/tickets",
            Some(token),
            json!({
                "kind": "complaint", "channel": "phone", "level": "important",
                "subject": "导游迟到一小时，西湖一日游行程被压缩",
                "description": "10月3日早上导游迟到一小时，下午的灵隐寺被取消。",
                "customer": {"name": "张伟", "phone": "13912345678"},
                "booking_ref": "BK-2026-1003-017", "business_area": "guide", "tags": ["导游", "迟到"]
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body
}

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

/// The messages the outbox holds about a ticket (as the administrator sees them).
async fn messages_about(h: &Harness, admin: &str, ticket_id: &str) -> Vec<Value> {
    h.get(
        &format!("/api/v1/messages?related_type=ticket&related_id={ticket_id}&limit=500"),
        admin,
    )
    .await
    .body["items"]
        .as_array()
        .unwrap()
        .clone()
}

fn sla<'a>(t: &'a Value, list: &str, name: &str) -> &'a Value {
    t[list]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no {name} clock in {list}: {t}"))
}

/// Tokens for everyone in the story, fresh after the clock moved on.
struct Cast {
    admin: String,
    agent: String,
    handler: String,
    supervisor: String,
    follow_up: String,
    guide_fu: String,
}

async fn cast(h: &Harness) -> Cast {
    Cast {
        admin: h.token("admin").await,
        agent: h.token("li.na").await,
        handler: h.token("zhou.jie").await,
        supervisor: h.token("zhao.min").await,
        follow_up: h.token("wang.fang").await,
        guide_fu: h.login_with("guide.fu", "a long password").await["token"]
            .as_str()
            .unwrap()
            .to_string(),
    }
}

/// The whole complaint flow of seed 001 on the calendar of National Day 2026 (1–7 October off,
/// Saturday 10 October a make-up working day): intake with a new customer found again by
/// phone, the important-level alert, the one-hour contact clock met, compensation needing
/// approval, the follow-up planned inside its window across the holiday, separation of
/// duties, and an unsatisfied follow-up that creates a rectification task and reopens.
#[tokio::test]
async fn a_complaint_from_intake_to_an_unsatisfied_follow_up() {
    // Tuesday 29 September 2026, 09:00 in Beijing.
    let clock = Arc::new(ManualClock::new(at("2026-09-29T01:00:00Z")));
    let h = harness_with_clock(clock.clone()).await;
    let admin = h.token("admin").await;
    let guide_dept = dept_id(&h, &admin, "guide_management").await;
    let zhou = user_id(&h, &admin, "zhou.jie").await;
    let wang = user_id(&h, &admin, "wang.fang").await;
    // A follow-up agent who sits in the handling group: separation of duties must stop them.
    let r = h
        .json(Method::POST, "/api/v1/users", Some(&admin), json!({"username": "guide.fu", "display_name": "导游部回访", "password": "a long password", "roles": ["follow_up"], "department_id": guide_dept}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let guide_fu_id = r.body["id"].as_str().unwrap().to_string();
    let c = cast(&h).await;

    // Intake: an important complaint by phone from a customer new to us.
    let t = new_complaint(&h, &c.agent).await;
    let id = t["id"].as_str().unwrap().to_string();
    assert!(t["number"].as_str().unwrap().starts_with("TS"));
    assert_eq!(t["state"], "received");
    let customer_id = t["customer_id"]
        .as_str()
        .expect("customer created")
        .to_string();
    let cust = h
        .get(&format!("/api/v1/customers/{customer_id}"), &c.admin)
        .await;
    assert_eq!(cust.status, StatusCode::OK, "{}", cust.text);
    assert!(
        !cust.text.contains("13912345678"),
        "the phone is masked: {}",
        cust.text
    );
    // The phone call was the first response: its clock is met at once.
    assert_eq!(
        sla(&t, "sla_history", "first_response.phone")["state"],
        "met"
    );
    // Important: every supervisor hears of it at once, through the outbox.
    let created = &t["events"][0];
    assert!(
        created["effects"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e == "notify:supervisors"),
        "important complaints alert the supervisors: {created}"
    );
    let alerts: Vec<Value> = messages_about(&h, &c.admin, &id)
        .await
        .into_iter()
        .filter(|m| m["template_key"] == "complaint.important")
        .collect();
    assert!(
        alerts
            .iter()
            .any(|m| m["to"] == "zhao.min@shanhai-travel.example"),
        "the supervisor 赵敏 is alerted: {alerts:?}"
    );
    // The same caller again: the customer record is found through the blind index.
    let again = h
        .json(Method::POST, "/api/v1/tickets", Some(&c.agent), json!({"kind": "inquiry", "channel": "phone", "subject": "退款进度", "description": "想问退款进度", "customer": {"name": "张伟", "phone": "+86 139 1234 5678"}}))
        .await;
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.text);
    assert_eq!(again.body["customer_id"], customer_id.as_str());
    // The customer page's contact history lists both tickets, newest first, linked.
    let page = h
        .ui_get(&format!("/customers/{customer_id}"), "li.na")
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let (first, second) = (
        again.body["number"].as_str().unwrap(),
        t["number"].as_str().unwrap(),
    );
    let (at_first, at_second) = (page.text.find(first), page.text.find(second));
    assert!(
        at_first.is_some() && at_first < at_second,
        "both tickets listed, newest first"
    );
    assert!(page.text.contains(&format!(
        "/desk/tickets/{}",
        again.body["id"].as_str().unwrap()
    )));
    assert!(!page.text.contains("尚未实现"));

    let t = ok_step(
        &h,
        &c.agent,
        &id,
        json!({"step": "triage", "level": "important"}),
    )
    .await;
    assert_eq!(t["state"], "triaged");
    clock.set(at("2026-09-29T01:05:00Z"));
    let t = ok_step(
        &h,
        &c.agent,
        &id,
        json!({"step": "assign", "group_id": guide_dept, "assignee_id": zhou}),
    )
    .await;
    assert_eq!(t["state"], "assigned");
    // The group must contact the customer within one hour of assignment.
    let contact = sla(&t, "sla_clocks", "complaint.contact");
    assert_eq!(contact["state"], "running");
    assert_eq!(
        contact["due_at"], "2026-09-29T10:05:00+08:00",
        "one hour after assignment, RFC 3339 in Beijing time"
    );
    assert!(messages_about(&h, &c.admin, &id)
        .await
        .iter()
        .any(|m| m["template_key"] == "complaint.assigned"));
    // Agents cannot do the handling group's work.
    assert_problem(
        &step(&h, &c.agent, &id, json!({"step": "record_contact"})).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    clock.set(at("2026-09-29T01:40:00Z"));
    let t = ok_step(
        &h,
        &c.handler,
        &id,
        json!({"step": "record_contact", "note": "已致电张先生致歉，说明将调查"}),
    )
    .await;
    let contact = sla(&t, "sla_history", "complaint.contact");
    assert_eq!(contact["state"], "met", "contacted after 35 minutes");
    assert!(t["sla_clocks"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["name"] != "complaint.contact"));
    ok_step(
        &h,
        &c.handler,
        &id,
        json!({"step": "start_investigation", "note": "调取导游签到记录"}),
    )
    .await;
    let t = ok_step(&h, &c.handler, &id, json!({"step": "propose_solution", "compensation": {"kind": "refund", "amount_fen": 80000}, "improvements": ["导游出团前一晚电话确认集合时间"]})).await;
    assert_eq!(t["compensation_approved"], false);
    assert!(
        t["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|task| task["kind"] == "improvement"
                && task["department_id"] == guide_dept.as_str()),
        "the improvement action is a task for the handling group: {}",
        t["tasks"]
    );
    assert!(messages_about(&h, &c.admin, &id)
        .await
        .iter()
        .any(|m| m["template_key"] == "complaint.approval_needed"));
    // 800 元 is above the 500 元 threshold: approval first.
    assert_problem(
        &step(&h, &c.handler, &id, json!({"step": "resolve"})).await,
        StatusCode::CONFLICT,
        "approval_required",
    );
    assert_problem(
        &step(&h, &c.handler, &id, json!({"step": "approve_compensation"})).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let t = ok_step(
        &h,
        &c.supervisor,
        &id,
        json!({"step": "approve_compensation"}),
    )
    .await;
    assert_eq!(t["compensation_approved"], true);

    // Resolved on Wednesday 30 September at 10:00, the eve of the National Day holiday.
    clock.set(at("2026-09-30T02:00:00Z"));
    let c = cast(&h).await;
    let t = ok_step(
        &h,
        &c.handler,
        &id,
        json!({"step": "resolve", "note": "客户同意退款800元"}),
    )
    .await;
    assert!(t["resolved_at"].is_string());
    assert_eq!(
        sla(&t, "sla_clocks", "complaint.result_report")["due_at"],
        "2026-10-01T10:00:00+08:00",
        "the result is reported to intake within 24 hours"
    );
    // Important complaints are followed up sooner: 1–2 working days, and 1–7 October are
    // not working days.
    let fu = sla(&t, "sla_clocks", "complaint.follow_up.important");
    assert_eq!(fu["opens_at"], "2026-10-08T10:00:00+08:00");
    assert_eq!(fu["due_at"], "2026-10-09T10:00:00+08:00");
    let t = ok_step(&h, &c.handler, &id, json!({"step": "report_result", "cause": "导游睡过头", "responsible_department_id": guide_dept, "responsible_person": "导游 陈某"})).await;
    assert_eq!(t["state"], "result_reported");
    assert_eq!(
        sla(&t, "sla_history", "complaint.result_report")["state"],
        "met"
    );

    // The follow-up goes to someone outside the handling group…
    let r = step(
        &h,
        &c.agent,
        &id,
        json!({"step": "schedule_follow_up", "assignee_id": guide_fu_id}),
    )
    .await;
    assert_problem(&r, StatusCode::CONFLICT, "separation_of_duties");
    // …and inside the window: not during the holiday.
    let r = step(
        &h,
        &c.agent,
        &id,
        json!({"step": "schedule_follow_up", "assignee_id": wang, "scheduled_at": "2026-10-05T10:00:00+08:00"}),
    )
    .await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(r.body["errors"][0]["field"], "scheduled_at");
    assert_eq!(r.body["errors"][0]["code"], "outside_window");
    let t = ok_step(
        &h,
        &c.agent,
        &id,
        json!({"step": "schedule_follow_up", "assignee_id": wang}),
    )
    .await;
    assert_eq!(t["state"], "follow_up_scheduled");
    let task = t["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|task| task["kind"] == "follow_up")
        .expect("follow-up task");
    assert_eq!(
        task["due_at"], "2026-10-08T10:00:00+08:00",
        "planned for the first working day after the holiday"
    );
    assert!(task["done_at"].is_null(), "open until the visit is made");
    assert!(messages_about(&h, &c.admin, &id)
        .await
        .iter()
        .any(|m| m["template_key"] == "complaint.follow_up_assigned"));

    // Thursday 8 October: the follow-up call.
    clock.set(at("2026-10-08T03:00:00Z"));
    let c = cast(&h).await;
    // Neither a handler nor a member of the handling group may perform the follow-up.
    assert_problem(
        &step(
            &h,
            &c.handler,
            &id,
            json!({"step": "record_follow_up", "satisfaction": 5, "overall_rating": 5}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    assert_problem(
        &step(
            &h,
            &c.guide_fu,
            &id,
            json!({"step": "record_follow_up", "satisfaction": 5, "overall_rating": 5}),
        )
        .await,
        StatusCode::CONFLICT,
        "separation_of_duties",
    );
    // Unsatisfied without a reason is refused, naming the field.
    let r = step(
        &h,
        &c.follow_up,
        &id,
        json!({"step": "record_follow_up", "satisfaction": 2, "overall_rating": 3}),
    )
    .await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(r.body["errors"][0]["field"], "reason");
    let t = ok_step(
        &h,
        &c.follow_up,
        &id,
        json!({"step": "record_follow_up", "satisfaction": 2, "overall_rating": 3, "reason": "退款十天仍未到账", "suggestions": "加快退款", "reopen": true}),
    )
    .await;
    assert_eq!(
        t["state"], "reopened",
        "an unsatisfied follow-up reopens the complaint"
    );
    assert_eq!(t["last_satisfaction"], 2);
    assert_eq!(
        sla(&t, "sla_history", "complaint.follow_up.important")["state"],
        "met"
    );
    let rect = t["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|task| task["kind"] == "rectification")
        .expect("rectification task");
    assert!(rect["done_at"].is_null());
    let visit = t["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|task| task["kind"] == "follow_up")
        .expect("follow-up task");
    assert!(
        visit["done_at"].is_string(),
        "the follow-up visit is recorded, so its task is done: {visit}"
    );
    assert_eq!(
        rect["department_id"],
        guide_dept.as_str(),
        "goes to the responsible department"
    );
    assert!(messages_about(&h, &c.admin, &id)
        .await
        .iter()
        .any(|m| m["template_key"] == "complaint.unsatisfied"));
    assert_eq!(t["next_steps"], json!(["assign"]));
    // The whole story is on the timeline, and in the audit log.
    let steps: Vec<_> = t["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["step"].as_str())
        .collect();
    assert_eq!(
        steps,
        [
            "triage",
            "assign",
            "record_contact",
            "start_investigation",
            "propose_solution",
            "approve_compensation",
            "resolve",
            "report_result",
            "schedule_follow_up",
            "record_follow_up"
        ]
    );
    let audit = h
        .get("/api/v1/audit?entity_type=ticket&limit=100", &c.admin)
        .await;
    assert_eq!(audit.status, StatusCode::OK, "{}", audit.text);
    let audited = audit.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["entity_id"] == id.as_str())
        .count();
    assert_eq!(audited, 11, "intake and ten steps audited: {}", audit.text);
}

/// A general complaint resolved on the eve of National Day is followed up 3–5 China working
/// days later: from the make-up working Saturday 10 October to before Tuesday 13 October.
#[tokio::test]
async fn a_general_complaint_is_followed_up_three_to_five_working_days_after_the_holiday() {
    let clock = Arc::new(ManualClock::new(at("2026-09-30T01:00:00Z")));
    let h = harness_with_clock(clock.clone()).await;
    let admin = h.token("admin").await;
    let agent = h.token("li.na").await;
    let handler = h.token("zhou.jie").await;
    let guide_dept = dept_id(&h, &admin, "guide_management").await;
    let zhou = user_id(&h, &admin, "zhou.jie").await;
    let wang = user_id(&h, &admin, "wang.fang").await;
    let r = h
        .json(Method::POST, "/api/v1/tickets", Some(&agent), json!({"kind": "complaint", "channel": "email", "level": "general", "subject": "酒店早餐品种少", "description": "早餐只有粥和馒头", "customer": {"name": "陈静", "email": "chen.jing@example.com"}}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.body["id"].as_str().unwrap().to_string();
    // An email is answered within one working day: Thursday 8 October, after the holiday.
    assert_eq!(
        sla(&r.body, "sla_clocks", "first_response.email")["due_at"],
        "2026-10-08T09:00:00+08:00"
    );
    assert!(
        messages_about(&h, &admin, &id).await.is_empty(),
        "a general complaint alerts nobody at intake"
    );
    ok_step(
        &h,
        &agent,
        &id,
        json!({"step": "triage", "level": "general"}),
    )
    .await;
    ok_step(
        &h,
        &agent,
        &id,
        json!({"step": "assign", "group_id": guide_dept, "assignee_id": zhou}),
    )
    .await;
    let t = ok_step(&h, &handler, &id, json!({"step": "record_contact"})).await;
    assert_eq!(
        sla(&t, "sla_history", "first_response.email")["state"],
        "met"
    );
    ok_step(&h, &handler, &id, json!({"step": "start_investigation"})).await;
    ok_step(
        &h,
        &handler,
        &id,
        json!({"step": "propose_solution", "compensation": {"kind": "apology", "amount_fen": 0}}),
    )
    .await;
    clock.set(at("2026-09-30T02:00:00Z"));
    let t = ok_step(&h, &handler, &id, json!({"step": "resolve"})).await;
    let fu = sla(&t, "sla_clocks", "complaint.follow_up");
    assert_eq!(fu["opens_at"], "2026-10-10T10:00:00+08:00");
    assert_eq!(fu["due_at"], "2026-10-13T10:00:00+08:00");
    ok_step(&h, &handler, &id, json!({"step": "report_result"})).await;
    for outside in ["2026-10-09T15:00:00+08:00", "2026-10-13T10:00:00+08:00"] {
        let r = step(
            &h,
            &agent,
            &id,
            json!({"step": "schedule_follow_up", "assignee_id": wang, "scheduled_at": outside}),
        )
        .await;
        assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(r.body["errors"][0]["code"], "outside_window", "{outside}");
    }
    let t = ok_step(&h, &agent, &id, json!({"step": "schedule_follow_up", "assignee_id": wang, "scheduled_at": "2026-10-12T15:00:00+08:00"})).await;
    let task = t["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["kind"] == "follow_up")
        .unwrap();
    assert_eq!(task["due_at"], "2026-10-12T15:00:00+08:00");
}

const ALL_STEPS: [&str; 13] = [
    "triage",
    "assign",
    "reassign",
    "record_contact",
    "start_investigation",
    "propose_solution",
    "approve_compensation",
    "resolve",
    "report_result",
    "schedule_follow_up",
    "record_follow_up",
    "close",
    "reopen",
];

/// Walks a complaint through every state; in each, every step that is not allowed answers 409
/// with exactly the allowed next steps.
#[tokio::test]
async fn every_invalid_transition_is_a_409_with_the_allowed_steps() {
    let h = harness().await;
    let admin = h.token("admin").await;
    let sup = h.token("zhao.min").await; // supervisors hold every desk permission but follow-up
    let follow_up = h.token("wang.fang").await;
    let guide_dept = dept_id(&h, &admin, "guide_management").await;
    let wang = user_id(&h, &admin, "wang.fang").await;
    let t = new_complaint(&h, &sup).await;
    let id = t["id"].as_str().unwrap().to_string();

    let path: Vec<(&str, Value, &str)> = vec![
        (
            "received",
            json!({"step": "triage", "level": "general"}),
            "sup",
        ),
        (
            "triaged",
            json!({"step": "assign", "group_id": guide_dept}),
            "sup",
        ),
        ("assigned", json!({"step": "record_contact"}), "sup"),
        ("contacted", json!({"step": "start_investigation"}), "sup"),
        (
            "investigating",
            json!({"step": "propose_solution", "compensation": {"kind": "voucher", "amount_fen": 20000}}),
            "sup",
        ),
        ("solution_proposed", json!({"step": "resolve"}), "sup"),
        ("resolved", json!({"step": "report_result"}), "sup"),
        (
            "result_reported",
            json!({"step": "schedule_follow_up", "assignee_id": wang}),
            "sup",
        ),
        (
            "follow_up_scheduled",
            json!({"step": "record_follow_up", "satisfaction": 4, "overall_rating": 4}),
            "fu",
        ),
        ("followed_up", json!({"step": "close"}), "sup"),
        (
            "closed",
            json!({"step": "reopen", "reason": "客户再次来电"}),
            "sup",
        ),
        (
            "reopened",
            json!({"step": "assign", "group_id": guide_dept}),
            "sup",
        ),
    ];
    let mut refused = 0;
    for (state, next, who) in path {
        let detail = h.get(&format!("/api/v1/tickets/{id}"), &sup).await.body;
        assert_eq!(detail["state"], state);
        let allowed: Vec<String> = detail["next_steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_string())
            .collect();
        for s in ALL_STEPS {
            if allowed.iter().any(|a| a == s) {
                continue;
            }
            let r = step(&h, &sup, &id, json!({"step": s})).await;
            assert_problem(&r, StatusCode::CONFLICT, "invalid_transition");
            assert_eq!(
                r.body["allowed_next_steps"],
                json!(allowed),
                "{s} from {state}"
            );
            refused += 1;
        }
        let token = if who == "fu" { &follow_up } else { &sup };
        ok_step(&h, token, &id, next).await;
    }
    assert_eq!(
        refused,
        13 * 12 - 21,
        "12 states × 13 steps, less the 21 transitions of the table"
    );
}

#[tokio::test]
async fn intake_validates_and_queues_sort_by_urgency() {
    let h = harness().await;
    let agent = h.token("li.na").await;
    let r = h
        .json(Method::POST, "/api/v1/tickets", Some(&agent), json!({"kind": "complaint", "channel": "fax", "subject": "x", "description": "y", "customer": {"name": "李"}}))
        .await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(r.body["errors"][0]["field"], "channel");
    let r = h
        .json(Method::POST, "/api/v1/tickets", Some(&agent), json!({"kind": "inquiry", "channel": "chat", "subject": " ", "description": "有无亲子游", "customer": {"name": ""}}))
        .await;
    let fields: Vec<_> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["subject", "customer.name"]);
    for (level, subject) in [
        ("general", "一般"),
        ("urgent", "紧急"),
        ("important", "重要"),
    ] {
        let r = h
            .json(Method::POST, "/api/v1/tickets", Some(&agent), json!({"kind": "complaint", "channel": "phone", "level": level, "subject": subject, "description": "d", "customer": {"name": "王"}}))
            .await;
        assert_eq!(r.status, StatusCode::CREATED);
    }
    let list = h.get("/api/v1/tickets?queue=open", &agent).await.body;
    let subjects: Vec<_> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["subject"].as_str().unwrap())
        .collect();
    assert_eq!(subjects, ["紧急", "重要", "一般"]);
    assert_eq!(
        h.get("/api/v1/tickets?queue=urgent", &agent).await.body["total"],
        1
    );
    assert_eq!(
        h.get("/api/v1/tickets?queue=unassigned", &agent).await.body["total"],
        3
    );
    // An inquiry is simply closed.
    let r = h
        .json(Method::POST, "/api/v1/tickets", Some(&agent), json!({"kind": "inquiry", "channel": "email", "subject": "亲子游", "description": "暑假有无亲子线路？", "customer": {"name": "赵"}}))
        .await;
    let id = r.body["id"].as_str().unwrap().to_string();
    assert_eq!(
        r.body["events"][0]["effects"],
        json!(["start_clock:first_response.email"])
    );
    let r = step(
        &h,
        &agent,
        &id,
        json!({"step": "triage", "level": "general"}),
    )
    .await;
    assert_problem(&r, StatusCode::CONFLICT, "invalid_transition");
    assert_eq!(r.body["allowed_next_steps"], json!(["close"]));
    assert_eq!(
        ok_step(&h, &agent, &id, json!({"step": "close"})).await["state"],
        "closed"
    );
}

#[tokio::test]
async fn the_desk_pages_take_a_ticket_and_a_step() {
    let h = harness().await;
    let form = "username=li.na&password=tripdesk-demo&next=%2Fdesk";
    let r = h
        .call(
            Method::POST,
            "/login",
            &[("content-type", "application/x-www-form-urlencoded")],
            Some(form.into()),
        )
        .await;
    let session = r.headers["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let page = h
        .call(Method::GET, "/desk/new", &[("cookie", &session)], None)
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let csrf = page
        .text
        .split("name=\"_csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let post = |body: String| {
        let session = session.clone();
        let h = &h;
        async move {
            h.call(
                Method::POST,
                "/desk/tickets",
                &[
                    ("cookie", &session),
                    ("content-type", "application/x-www-form-urlencoded"),
                ],
                Some(body),
            )
            .await
        }
    };
    let bad = post(format!("_csrf={csrf}&kind=complaint&channel=phone&level=urgent&customer_name=&subject=&description=")).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    // The staff page speaks Chinese: each field at fault named by the label this form shows
    // (主题, not the shared 标题).
    for message in ["请填写主题。", "请填写详细描述。", "请填写客户姓名。"] {
        assert!(bad.text.contains(message), "{message}: {}", bad.text);
    }
    assert!(!bad.text.contains("is required"), "no English left");
    // What was typed comes back (the kind and level chosen, not reset).
    assert!(bad.text.contains("<option value=\"urgent\" selected>"));
    assert!(bad.text.contains("<option value=\"complaint\" selected>"));
    let ok = post(format!(
        "_csrf={csrf}&kind=complaint&channel=phone&level=urgent&customer_name=%E5%BC%A0%E4%BC%9F&subject=%E5%A4%A7%E5%B7%B4%E6%8A%9B%E9%94%9A&description=%E9%AB%98%E9%80%9F%E4%B8%8A%E6%8A%9B%E9%94%9A"
    ))
    .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text);
    // Post/redirect/get: the ticket's page with the one flash (its key only in the address).
    let location = ok.headers["location"].to_str().unwrap().to_string();
    let (location, flash) = location.split_once('?').unwrap();
    let location = location.to_string();
    assert!(flash.starts_with("flash="), "{flash}");
    let inbox = h
        .call(
            Method::GET,
            "/desk?queue=urgent",
            &[("cookie", &session)],
            None,
        )
        .await;
    assert!(
        inbox.text.contains("大巴抛锚") && inbox.text.contains("紧急"),
        "{}",
        inbox.text
    );
    let ticket = h
        .call(Method::GET, &location, &[("cookie", &session)], None)
        .await;
    assert!(ticket.text.contains("初步评估"), "next step offered");
    let r = h
        .call(
            Method::POST,
            &format!("{location}/step"),
            &[
                ("cookie", &session),
                ("content-type", "application/x-www-form-urlencoded"),
            ],
            Some(format!("_csrf={csrf}&step=triage&level=urgent")),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let ticket = h
        .call(Method::GET, &location, &[("cookie", &session)], None)
        .await;
    assert!(ticket.text.contains("已评估"), "state shown after the step");
    // The effects in the reader's words, not their codes.
    assert!(
        ticket.text.contains("通知：主管") && ticket.text.contains("通知：应急负责人"),
        "effects named in Chinese"
    );
    assert!(!ticket.text.contains("notify:supervisors"));
}

/// Evidence on a complaint: uploaded with a Chinese file name, listed on the ticket, downloaded
/// unchanged (and audited); wrong types, empty files and people without desk work refused.
#[tokio::test]
async fn evidence_files_are_attached_sealed_and_downloads_are_audited() {
    let h = harness().await;
    let admin = h.token("admin").await;
    let handler = h.token("zhou.jie").await;
    let follow_up = h.token("wang.fang").await;
    let agent = h.token("li.na").await;
    let t = new_complaint(&h, &agent).await;
    let id = t["id"].as_str().unwrap().to_string();
    // The guide-management group's complaint: its handler sees and works it.
    let guide = dept_id(&h, &admin, "guide_management").await;
    let zhou = user_id(&h, &admin, "zhou.jie").await;
    ok_step(
        &h,
        &agent,
        &id,
        json!({"step": "triage", "level": "important"}),
    )
    .await;
    ok_step(
        &h,
        &agent,
        &id,
        json!({"step": "assign", "group_id": guide, "assignee_id": zhou}),
    )
    .await;
    let upload = |token: String, name: &str, ctype: &str, body: Vec<u8>| {
        let uri = format!(
            "/api/v1/tickets/{id}/attachments?file_name={}",
            name.bytes()
                .map(|b| format!("%{b:02X}"))
                .collect::<String>()
        );
        let ctype = ctype.to_string();
        let h = &h;
        async move {
            let auth = format!("Bearer {token}");
            h.call_raw(
                Method::POST,
                &uri,
                &[("authorization", &auth), ("content-type", &ctype)],
                Some(body),
            )
            .await
        }
    };
    let statement = "导游陈某签到记录：10月3日 08:62 到达集合点（应为 07:30）。"
        .as_bytes()
        .to_vec();
    let r = upload(
        handler.clone(),
        "导游签到记录.txt",
        "text/plain; charset=utf-8",
        statement.clone(),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["file_name"], "导游签到记录.txt");
    assert_eq!(r.body["content_type"], "text/plain");
    assert_eq!(r.body["size_bytes"], statement.len());
    let href = r.body["href"].as_str().unwrap().to_string();

    let r = upload(
        handler.clone(),
        "病历.exe",
        "application/x-msdownload",
        vec![1, 2, 3],
    )
    .await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(r.body["errors"][0]["field"], "content_type");
    let r = upload(handler.clone(), "空.txt", "text/plain", Vec::new()).await;
    assert_eq!(r.body["errors"][0]["field"], "file", "{}", r.text);
    let r = upload(follow_up.clone(), "x.txt", "text/plain", b"x".to_vec()).await;
    assert_problem(&r, StatusCode::FORBIDDEN, "forbidden");

    let t = h.get(&format!("/api/v1/tickets/{id}"), &handler).await.body;
    assert_eq!(t["attachments"].as_array().unwrap().len(), 1);
    assert!(t["events"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["kind"] == "attachment"));
    let r = h.get(&href, &admin).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.text.as_bytes(), statement.as_slice());
    let disposition = r.headers["content-disposition"].to_str().unwrap();
    assert!(
        disposition.starts_with("attachment;")
            && disposition.contains("filename*=UTF-8''%E5%AF%BC"),
        "{disposition}"
    );
    let audit = h
        .get("/api/v1/audit?action=ticket.attachment_download", &admin)
        .await;
    assert_eq!(audit.body["total"], 1, "{}", audit.text);
    let page = h.ui_get(&format!("/desk/tickets/{id}"), "zhou.jie").await;
    assert!(page.text.contains("导游签到记录.txt") && page.text.contains("data-attach"));
    // Another ticket's path does not open it.
    let other = new_complaint(&h, &h.token("li.na").await).await;
    let wrong = href.replace(&id, other["id"].as_str().unwrap());
    assert_eq!(h.get(&wrong, &admin).await.status, StatusCode::NOT_FOUND);
}

/// The level can change while the ticket is open, with a reason; raising a complaint to
/// urgent alerts the supervisors and the emergency leader, and the change is audited.
#[tokio::test]
async fn the_level_changes_with_a_reason_and_urgent_alerts_the_emergency_leader() {
    let h = harness().await;
    let admin = h.token("admin").await;
    let agent = h.token("li.na").await;
    let r = h
        .json(Method::POST, "/api/v1/tickets", Some(&agent), json!({"kind": "complaint", "channel": "chat", "level": "general", "subject": "行程中游客走失", "description": "一名老人在景区走失，家属很着急", "customer": {"name": "孙悦"}}))
        .await;
    let id = r.body["id"].as_str().unwrap().to_string();
    let uri = format!("/api/v1/tickets/{id}/level");
    let r = h
        .json(
            Method::POST,
            &uri,
            Some(&agent),
            json!({"level": "urgent", "reason": " "}),
        )
        .await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(r.body["errors"][0]["field"], "reason");
    let r = h
        .json(
            Method::POST,
            &uri,
            Some(&agent),
            json!({"level": "urgent", "reason": "涉及游客人身安全"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["level"], "urgent");
    let urgent: Vec<Value> = messages_about(&h, &admin, &id)
        .await
        .into_iter()
        .filter(|m| m["template_key"] == "complaint.urgent")
        .collect();
    assert!(
        urgent
            .iter()
            .any(|m| m["to"] == "zhao.min@shanhai-travel.example")
            && urgent.iter().any(|m| m["emergency"] == true),
        "supervisors and the emergency leader, ignoring quiet hours: {urgent:?}"
    );
    let r = h
        .json(
            Method::POST,
            &uri,
            Some(&agent),
            json!({"level": "urgent", "reason": "再次"}),
        )
        .await;
    assert_eq!(r.body["errors"][0]["code"], "unchanged", "{}", r.text);
    let audit = h
        .get("/api/v1/audit?action=ticket.level_changed", &admin)
        .await;
    assert_eq!(audit.body["total"], 1, "{}", audit.text);
    // Urgent tickets head every queue.
    let list = h.get("/api/v1/tickets?queue=urgent", &agent).await;
    assert_eq!(list.body["items"][0]["id"], id.as_str());
}
