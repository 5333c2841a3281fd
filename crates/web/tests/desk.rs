//! The desk through the API: a complaint's whole life, and every refused transition.

mod common;

use axum::http::{Method, StatusCode};
use common::{assert_problem, harness, Harness};
use serde_json::{json, Value};

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

async fn dept_id(h: &Harness, token: &str, code: &str) -> String {
    let r = h.get("/api/v1/departments", token).await;
    r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == code)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
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
                "customer": {"name": "张伟"},
                "booking_ref": "BK-2026-1003-017", "business_area": "guide", "tags": ["导游", "迟到"]
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body
}

#[tokio::test]
async fn a_complaint_from_intake_to_an_unsatisfied_follow_up() {
    let h = harness().await;
    let admin = h.token("admin").await;
    let agent = h.token("li.na").await;
    let handler = h.token("zhou.jie").await;
    let supervisor = h.token("zhao.min").await;
    let follow_up = h.token("wang.fang").await;
    let guide_dept = dept_id(&h, &admin, "guide_management").await;
    let zhou = user_id(&h, &admin, "zhou.jie").await;
    let wang = user_id(&h, &admin, "wang.fang").await;
    // A follow-up agent who sits in the handling group: separation of duties must stop them.
    let r = h
        .json(Method::POST, "/api/v1/users", Some(&admin), json!({"username": "guide.fu", "display_name": "导游部回访", "password": "a long password", "roles": ["follow_up"], "department_id": guide_dept}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let guide_fu_id = r.body["id"].as_str().unwrap().to_string();
    let guide_fu = h.login_with("guide.fu", "a long password").await["token"]
        .as_str()
        .unwrap()
        .to_string();

    let t = new_complaint(&h, &agent).await;
    let id = t["id"].as_str().unwrap().to_string();
    assert!(t["number"].as_str().unwrap().starts_with("TS"));
    assert_eq!(t["state"], "received");
    let created = &t["events"][0];
    assert!(
        created["effects"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e == "notify:supervisors"),
        "important complaints alert the supervisors: {created}"
    );

    let t = ok_step(
        &h,
        &agent,
        &id,
        json!({"step": "triage", "level": "important"}),
    )
    .await;
    assert_eq!(t["state"], "triaged");
    let t = ok_step(
        &h,
        &agent,
        &id,
        json!({"step": "assign", "group_id": guide_dept, "assignee_id": zhou}),
    )
    .await;
    assert_eq!(t["state"], "assigned");
    assert!(t["events"].as_array().unwrap().last().unwrap()["effects"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e == "start_clock:complaint.contact"));
    // Agents cannot do the handling group's work.
    assert_problem(
        &step(&h, &agent, &id, json!({"step": "record_contact"})).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    ok_step(
        &h,
        &handler,
        &id,
        json!({"step": "record_contact", "note": "已致电张先生致歉，说明将调查"}),
    )
    .await;
    ok_step(
        &h,
        &handler,
        &id,
        json!({"step": "start_investigation", "note": "调取导游签到记录"}),
    )
    .await;
    let t = ok_step(&h, &handler, &id, json!({"step": "propose_solution", "compensation": {"kind": "refund", "amount_fen": 80000}})).await;
    assert_eq!(t["compensation_approved"], false);
    // 800 元 is above the 500 元 threshold: approval first.
    assert_problem(
        &step(&h, &handler, &id, json!({"step": "resolve"})).await,
        StatusCode::CONFLICT,
        "approval_required",
    );
    assert_problem(
        &step(&h, &handler, &id, json!({"step": "approve_compensation"})).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let t = ok_step(
        &h,
        &supervisor,
        &id,
        json!({"step": "approve_compensation"}),
    )
    .await;
    assert_eq!(t["compensation_approved"], true);
    let t = ok_step(
        &h,
        &handler,
        &id,
        json!({"step": "resolve", "note": "客户同意退款800元"}),
    )
    .await;
    assert!(t["resolved_at"].is_string());
    let t = ok_step(&h, &handler, &id, json!({"step": "report_result", "cause": "导游睡过头", "responsible_department_id": guide_dept, "responsible_person": "导游 陈某"})).await;
    assert_eq!(t["state"], "result_reported");

    // The follow-up goes to someone outside the handling group.
    let r = step(
        &h,
        &agent,
        &id,
        json!({"step": "schedule_follow_up", "assignee_id": guide_fu_id}),
    )
    .await;
    assert_problem(&r, StatusCode::CONFLICT, "separation_of_duties");
    let t = ok_step(
        &h,
        &agent,
        &id,
        json!({"step": "schedule_follow_up", "assignee_id": wang}),
    )
    .await;
    assert_eq!(t["state"], "follow_up_scheduled");
    assert!(t["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .any(|task| task["kind"] == "follow_up"));

    // Neither a handler nor a member of the handling group may perform the follow-up.
    assert_problem(
        &step(
            &h,
            &handler,
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
            &guide_fu,
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
        &follow_up,
        &id,
        json!({"step": "record_follow_up", "satisfaction": 2, "overall_rating": 3}),
    )
    .await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(r.body["errors"][0]["field"], "reason");
    let t = ok_step(
        &h,
        &follow_up,
        &id,
        json!({"step": "record_follow_up", "satisfaction": 2, "overall_rating": 3, "reason": "退款十天仍未到账", "suggestions": "加快退款", "reopen": true}),
    )
    .await;
    assert_eq!(
        t["state"], "reopened",
        "an unsatisfied follow-up reopens the complaint"
    );
    assert_eq!(t["last_satisfaction"], 2);
    let rect = t["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|task| task["kind"] == "rectification")
        .expect("rectification task");
    assert_eq!(
        rect["department_id"],
        guide_dept.as_str(),
        "goes to the responsible department"
    );
    assert_eq!(t["next_steps"], json!(["assign"]));
    // The whole story is on the timeline.
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
    assert!(bad.text.contains("subject is required"), "{}", bad.text);
    let ok = post(format!(
        "_csrf={csrf}&kind=complaint&channel=phone&level=urgent&customer_name=%E5%BC%A0%E4%BC%9F&subject=%E5%A4%A7%E5%B7%B4%E6%8A%9B%E9%94%9A&description=%E9%AB%98%E9%80%9F%E4%B8%8A%E6%8A%9B%E9%94%9A"
    ))
    .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text);
    let location = ok.headers["location"].to_str().unwrap().to_string();
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
    assert!(
        ticket.text.contains("notify:supervisors")
            && ticket.text.contains("notify:emergency_leader")
    );
}
