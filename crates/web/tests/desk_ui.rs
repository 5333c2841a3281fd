//! The desk an agent lives in and a supervisor runs: routing rules, reply templates, replies
//! and notes, inquiry → complaint, the inbox queues with SLA badges, the merged timeline and
//! the complaint board — through the API and the pages.

mod common;

use axum::http::{Method, StatusCode};
use common::{assert_problem, dept_id, field_of, harness, Harness};
use jiff::{SignedDuration, Timestamp};
use serde_json::{json, Value};
use tripdesk_domain::sla::{ClockKind, ClockState, SlaClock, SlaClockParts};
use tripdesk_store::SlaClockRecord;
use uuid::Uuid;

async fn new_ticket(h: &Harness, token: &str, body: Value) -> Value {
    let mut full = json!({
        "kind": "complaint", "channel": "phone", "level": "general",
        "subject": "导游迟到", "description": "导游迟到一小时。", "customer": {"name": "张伟"}
    });
    for (k, v) in body.as_object().unwrap() {
        full[k] = v.clone();
    }
    let r = h.api(Method::POST, "/api/v1/tickets", token, full).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body
}

/// Puts a clock on a ticket straight into the store, `due_in` from now (negative: overdue).
async fn clock_on(h: &Harness, ticket_id: &str, key: &str, warn_in: i64, due_in: i64) {
    let now = Timestamp::now();
    let start = now - SignedDuration::from_hours(1);
    let rec = SlaClockRecord {
        id: Uuid::now_v7(),
        subject_type: "ticket".into(),
        subject_id: ticket_id.into(),
        channel: Some("phone".into()),
        department_id: None,
        agent_id: None,
        clock: SlaClock::from_parts(SlaClockParts {
            target_key: key.into(),
            kind: ClockKind::CalendarHours,
            calendar: "hotline".into(),
            state: ClockState::Running,
            started_at: start,
            due_at: now + SignedDuration::from_mins(due_in),
            warn_at: Some(now + SignedDuration::from_mins(warn_in)),
            opens_at: None,
            paused_at: None,
            paused_total: SignedDuration::ZERO,
            warned: false,
            breached_at: None,
            stopped_at: None,
            last_change_at: start,
            provisional: false,
        }),
        version: 1,
        created_at: start,
    };
    let mut tx = h.store.store.write().await.unwrap();
    tx.insert_sla_clock(&rec).await.unwrap();
    tx.commit().await.unwrap();
}

/// The ticket's first-response clock, started through the API unless intake already did.
async fn first_response(h: &Harness, token: &str, t: &Value) {
    let id = t["id"].as_str().unwrap();
    let r = h
        .get(
            &format!("/api/v1/sla/clocks?subject_type=ticket&subject_id={id}"),
            token,
        )
        .await;
    let key = format!(
        "first_response.{}",
        match t["channel"].as_str().unwrap() {
            "web_form" => "email",
            c => c,
        }
    );
    if !r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["target_key"] == key.as_str())
    {
        let r = h
            .api(
                Method::POST,
                "/api/v1/sla/clocks",
                token,
                json!({"target_key": key, "subject_type": "ticket", "subject_id": id}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    }
}

async fn form_post(h: &Harness, session: &str, uri: &str, body: &str) -> common::Reply {
    h.call(
        Method::POST,
        uri,
        &[
            ("cookie", session),
            ("content-type", "application/x-www-form-urlencoded"),
        ],
        Some(body.into()),
    )
    .await
}

fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn routing_rules_are_managed_and_suggest_the_group() {
    let h = harness().await;
    let agent = h.token("li.na").await;
    let supervisor = h.token("zhao.min").await;
    let guide = dept_id(&h, &supervisor, "guide_management").await;
    let logistics = dept_id(&h, &supervisor, "logistics").await;
    let route = dept_id(&h, &supervisor, "route_planning").await;

    // The demo organisation's rules, in matching order.
    let r = h.get("/api/v1/routing-rules", &agent).await;
    assert_eq!(r.status, StatusCode::OK);
    let names: Vec<&str> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 10);
    assert_eq!(names[9], "其他：客服部");

    // Agents read rules but may not change them.
    let rule = json!({"name": "WeChat 投诉先到后勤", "priority": 1, "keywords": ["空调", " 大巴 "], "channel": "social", "group_id": logistics});
    let r = h
        .api(Method::POST, "/api/v1/routing-rules", &agent, rule.clone())
        .await;
    assert_problem(&r, StatusCode::FORBIDDEN, "forbidden");
    let r = h
        .api(Method::POST, "/api/v1/routing-rules", &supervisor, rule)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["keywords"], json!(["空调", "大巴"]));
    let rule_id = r.body["id"].as_str().unwrap().to_string();

    // Bad input names the field.
    let r = h
        .api(
            Method::POST,
            "/api/v1/routing-rules",
            &supervisor,
            json!({"name": "x", "group_id": Uuid::now_v7()}),
        )
        .await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(field_of(&r), "group_id");
    let r = h
        .api(
            Method::POST,
            "/api/v1/routing-rules",
            &supervisor,
            json!({"name": "x", "group_id": guide, "priority": -3, "business_area": "导游"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["priority", "business_area"]);

    // Complaints only get a suggestion; the new rule wins over the demo's keyword rules.
    let t = new_ticket(
        &h,
        &agent,
        json!({"channel": "social", "subject": "大巴空调坏了", "description": "车里太热。", "business_area": null}),
    )
    .await;
    assert_eq!(t["group_id"], Value::Null);
    let s = h
        .get(
            &format!("/api/v1/tickets/{}/routing", t["id"].as_str().unwrap()),
            &agent,
        )
        .await;
    assert_eq!(s.body["group_id"], logistics.as_str());
    assert_eq!(s.body["rule_id"], rule_id.as_str());

    // Edited to another group, then disabled: the suggestion follows.
    let r = h
        .api(
            Method::PUT,
            &format!("/api/v1/routing-rules/{rule_id}"),
            &supervisor,
            json!({"name": "WeChat 投诉先到线路", "priority": 1, "keywords": ["空调"], "group_id": route}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["channel"], Value::Null);
    let s = h
        .get(
            &format!("/api/v1/tickets/{}/routing", t["id"].as_str().unwrap()),
            &agent,
        )
        .await;
    assert_eq!(s.body["group_id"], route.as_str());
    let r = h
        .api(
            Method::DELETE,
            &format!("/api/v1/routing-rules/{rule_id}"),
            &supervisor,
            json!(null),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = h
        .get(&format!("/api/v1/routing-rules/{rule_id}"), &supervisor)
        .await;
    assert_problem(&r, StatusCode::NOT_FOUND, "not_found");
    let s = h
        .get(
            &format!("/api/v1/tickets/{}/routing", t["id"].as_str().unwrap()),
            &agent,
        )
        .await;
    assert_eq!(s.body["rule_name"], "关键词：车辆与住宿");

    // Inquiries go to the routed group at intake.
    let q = new_ticket(&h, &agent, json!({"kind": "inquiry", "channel": "chat", "business_area": "guide", "subject": "能换导游吗"})).await;
    assert_eq!(q["group_id"], guide.as_str());

    // The routes are in the OpenAPI document.
    let doc = h.get("/api/v1/openapi.json", &agent).await;
    for path in [
        "/api/v1/routing-rules",
        "/api/v1/routing-rules/{id}",
        "/api/v1/tickets/{id}/routing",
        "/api/v1/tickets/{id}/messages",
        "/api/v1/tickets/{id}/convert",
        "/api/v1/tickets/{id}/timeline",
        "/api/v1/reply-templates",
        "/api/v1/reply-templates/{id}",
        "/api/v1/desk/inbox",
        "/api/v1/desk/board",
    ] {
        assert!(doc.body["paths"][path].is_object(), "{path} missing");
    }
}

#[tokio::test]
async fn the_rules_page_lists_and_saves_rules() {
    let h = harness().await;
    let (session, csrf) = h.session("zhao.min").await;
    let page = h
        .call(Method::GET, "/desk/rules", &[("cookie", &session)], None)
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("导游服务") && page.text.contains("导游管理部"));
    assert!(page.text.contains("添加规则"), "the form for a supervisor");
    let token = h.token("zhao.min").await;
    let food = dept_id(&h, &token, "food_beverage").await;
    let bad = form_post(
        &h,
        &session,
        "/desk/rules",
        &format!("_csrf={csrf}&name=&priority=5&group_id={food}"),
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text.contains("请填写名称。"), "{}", bad.text);
    let ok = form_post(
        &h,
        &session,
        "/desk/rules",
        &format!(
            "_csrf={csrf}&name={}&priority=5&business_area=&keywords={}&channel=on_site&group_id={food}&enabled=true",
            enc("现场餐饮"),
            enc("午餐, 晚餐")
        ),
    )
    .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text);
    // Post/redirect/get: the rules page with the one flash.
    let to = ok.headers["location"].to_str().unwrap().to_string();
    assert!(to.starts_with("/desk/rules?flash="), "{to}");
    let page = h
        .call(Method::GET, &to, &[("cookie", &session)], None)
        .await;
    assert!(
        page.text.contains("现场餐饮")
            && page.text.contains("午餐、晚餐")
            && page.text.contains("已保存")
    );
    // Agents see the rules, without the form; the navigation offers them to supervisors only.
    let agent_page = h.ui_get("/desk/rules", "li.na").await;
    assert_eq!(agent_page.status, StatusCode::OK);
    assert!(!agent_page.text.contains("添加规则"));
    assert!(!agent_page.text.contains("href=\"/desk/rules\""));
    assert!(
        page.text.contains("href=\"/desk/rules\"") && page.text.contains("href=\"/desk/board\"")
    );
}

#[tokio::test]
async fn reply_templates_are_seeded_in_both_languages_and_editable() {
    let h = harness().await;
    let agent = h.token("li.na").await;
    let supervisor = h.token("zhao.min").await;
    let r = h.get("/api/v1/reply-templates", &agent).await;
    let items = r.body["items"].as_array().unwrap();
    for locale in ["zh-CN", "en"] {
        for key in ["greet", "close", "refund", "received"] {
            assert!(
                items
                    .iter()
                    .any(|t| t["key"] == key && t["locale"] == locale),
                "{key}/{locale}"
            );
        }
    }
    let body = json!({"key": "visa", "locale": "zh-CN", "category": "answer", "title": "签证", "body": "{{ customer }}您好，签证请提前 20 个工作日办理。"});
    let r = h
        .api(
            Method::POST,
            "/api/v1/reply-templates",
            &agent,
            body.clone(),
        )
        .await;
    assert_problem(&r, StatusCode::FORBIDDEN, "forbidden");
    let r = h
        .api(
            Method::POST,
            "/api/v1/reply-templates",
            &supervisor,
            body.clone(),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.body["id"].as_str().unwrap().to_string();
    let r = h
        .api(Method::POST, "/api/v1/reply-templates", &supervisor, body)
        .await;
    assert_problem(&r, StatusCode::CONFLICT, "duplicate");
    assert_eq!(r.body["errors"][0]["field"], "key");
    let r = h
        .api(
            Method::POST,
            "/api/v1/reply-templates",
            &supervisor,
            json!({"key": "Bad Key", "locale": "fr", "category": "answer", "title": "x", "body": "y"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_of(&r), "key");
    assert_eq!(r.body["errors"][1]["field"], "locale");
    let r = h
        .api(
            Method::PUT,
            &format!("/api/v1/reply-templates/{id}"),
            &supervisor,
            json!({"key": "visa", "locale": "en", "category": "answer", "title": "Visa", "body": "Apply 20 working days ahead.", "position": 5}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["locale"], "en");
    let r = h
        .api(
            Method::DELETE,
            &format!("/api/v1/reply-templates/{id}"),
            &supervisor,
            json!(null),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);

    // The settings page lists both languages and saves through a form.
    let (session, csrf) = h.session("zhao.min").await;
    let page = h
        .call(Method::GET, "/desk/replies", &[("cookie", &session)], None)
        .await;
    assert!(
        page.text.contains(";greet") && page.text.contains("中文") && page.text.contains("英文")
    );
    let ok = form_post(
        &h,
        &session,
        "/desk/replies",
        &format!(
            "_csrf={csrf}&key=wifi&locale=zh-CN&category=answer&title={}&body={}&position=20",
            enc("无线网络"),
            enc("房间无线网络密码见房卡背面。")
        ),
    )
    .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text);
    let bad = form_post(
        &h,
        &session,
        "/desk/replies",
        &format!("_csrf={csrf}&key=wifi&locale=zh-CN&category=answer&title=x&body=y&position=1"),
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn replies_notes_and_conversion_through_the_api() {
    let h = harness().await;
    let agent = h.token("li.na").await;
    let follow_up = h.token("wang.fang").await;
    let t = new_ticket(
        &h,
        &agent,
        json!({"kind": "inquiry", "channel": "email", "subject": "发票怎么开"}),
    )
    .await;
    let id = t["id"].as_str().unwrap();
    first_response(&h, &agent, &t).await;

    let uri = format!("/api/v1/tickets/{id}/messages");
    let r = h
        .api(
            Method::POST,
            &uri,
            &agent,
            json!({"kind": "reply", "body": "您好，发票会在出行后 3 个工作日内寄出。"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(
        r.body["stopped_clock"]["target_key"],
        "first_response.email"
    );
    assert_eq!(r.body["stopped_clock"]["result"], "met");
    assert_eq!(r.body["message_id"], Value::Null, "no email on file");
    let r = h
        .api(
            Method::POST,
            &uri,
            &follow_up,
            json!({"kind": "note", "body": "回访时确认发票已收到"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.body["stopped_clock"], Value::Null);
    let r = h
        .api(
            Method::POST,
            &uri,
            &follow_up,
            json!({"kind": "reply", "body": "您好"}),
        )
        .await;
    assert_problem(&r, StatusCode::FORBIDDEN, "forbidden");
    let r = h
        .api(
            Method::POST,
            &uri,
            &agent,
            json!({"kind": "reply", "body": " "}),
        )
        .await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(field_of(&r), "body");
    let r = h
        .api(
            Method::POST,
            &uri,
            &agent,
            json!({"kind": "shout", "body": "x"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_of(&r), "kind");

    // A notification sent about the ticket shows on its timeline.
    let r = h
        .api(
            Method::POST,
            "/api/v1/messages",
            &agent,
            json!({"channel": "in_app", "to": "zhou.jie", "subject": "请协助核实发票", "body": "见工单", "related_type": "ticket", "related_id": id}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);

    let tl = h
        .get(&format!("/api/v1/tickets/{id}/timeline"), &agent)
        .await;
    assert_eq!(tl.status, StatusCode::OK);
    let items = tl.body["items"].as_array().unwrap();
    let seq: Vec<String> = items
        .iter()
        .map(|i| {
            format!(
                "{}:{}",
                i["source"].as_str().unwrap(),
                i["kind"].as_str().unwrap()
            )
        })
        .collect();
    for want in [
        "ticket:created",
        "sla:started",
        "ticket:reply",
        "sla:met",
        "ticket:note",
        "notification:queued",
    ] {
        assert!(seq.contains(&want.to_string()), "{want} in {seq:?}");
    }
    let pos = |s: &str| seq.iter().position(|x| x == s).unwrap();
    assert!(
        pos("ticket:created") < pos("ticket:reply") && pos("ticket:reply") < pos("ticket:note")
    );
    let note = items.iter().find(|i| i["kind"] == "note").unwrap();
    assert_eq!(note["body"], "回访时确认发票已收到");
    let n = items
        .iter()
        .find(|i| i["source"] == "notification")
        .unwrap();
    assert_eq!(n["subject"], "请协助核实发票");
    assert_eq!(n["channel"], "in_app");

    // The inquiry becomes a complaint and keeps its number and history.
    let r = h
        .api(
            Method::POST,
            &format!("/api/v1/tickets/{id}/convert"),
            &agent,
            json!({"reason": "客户投诉发票迟迟未到"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["kind"], "complaint");
    assert_eq!(r.body["number"], t["number"]);
    assert_eq!(r.body["state"], "received");
    let d = h.get(&format!("/api/v1/tickets/{id}"), &agent).await;
    assert!(d.body["next_steps"]
        .as_array()
        .unwrap()
        .contains(&json!("triage")));
    let r = h
        .api(
            Method::POST,
            &format!("/api/v1/tickets/{id}/convert"),
            &agent,
            json!({}),
        )
        .await;
    assert_problem(&r, StatusCode::CONFLICT, "not_an_inquiry");
    let tl = h
        .get(&format!("/api/v1/tickets/{id}/timeline"), &agent)
        .await;
    assert!(tl.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["kind"] == "converted" && i["body"] == "客户投诉发票迟迟未到"));
    let r = h
        .get(
            &format!("/api/v1/tickets/{}/timeline", Uuid::now_v7()),
            &agent,
        )
        .await;
    assert_problem(&r, StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn the_ticket_page_shows_the_timeline_reply_box_and_conversion() {
    let h = harness().await;
    let agent = h.token("li.na").await;
    let t = new_ticket(&h, &agent, json!({"kind": "inquiry", "channel": "chat", "business_area": "guide", "subject": "可以指定导游吗"})).await;
    let id = t["id"].as_str().unwrap();
    first_response(&h, &agent, &t).await;
    let (session, csrf) = h.session("li.na").await;
    let page = h
        .call(
            Method::GET,
            &format!("/desk/tickets/{id}"),
            &[("cookie", &session)],
            None,
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    // Templates are offered with the placeholders filled, the shortcut keys and the hint.
    assert!(page.text.contains("data-reply-box") && page.text.contains("data-reply-picker"));
    assert!(page
        .text
        .contains("data-key=\"greet\" data-locale=\"zh-CN\""));
    assert!(
        page.text.contains("张伟您好！我是山海国际旅行社的客服李娜"),
        "filled greeting"
    );
    assert!(page.text.contains("Dear 张伟"), "the English ones too");
    assert!(page.text.contains("导游管理部"), "the routed group");
    assert!(
        page.text.contains("开始计时") && page.text.contains("data-due="),
        "clock and badge"
    );
    assert!(page.text.contains("转为投诉"));

    let r = form_post(
        &h,
        &session,
        &format!("/desk/tickets/{id}/messages"),
        &format!(
            "_csrf={csrf}&kind=reply&body={}",
            enc("您好，可以指定导游，需加收服务费。")
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let r = form_post(
        &h,
        &session,
        &format!("/desk/tickets/{id}/messages"),
        &format!("_csrf={csrf}&kind=note&body={}", enc("客户偏好女导游")),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = form_post(
        &h,
        &session,
        &format!("/desk/tickets/{id}/messages"),
        &format!("_csrf={csrf}&kind=reply&body="),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("请填写回复与备注。"), "{}", r.text);
    let page = h
        .call(
            Method::GET,
            &format!("/desk/tickets/{id}"),
            &[("cookie", &session)],
            None,
        )
        .await;
    assert!(page
        .text
        .contains("class=\"bubble\">您好，可以指定导游，需加收服务费。"));
    assert!(page.text.contains("class=\"src-ticket ev-note\""));
    assert!(page.text.contains("按时完成") && page.text.contains("首次响应按时完成"));
    assert!(page.text.contains("客户没有邮箱，未发送邮件"));

    // Converting asks for a confirmation first (works without JavaScript): without it the
    // page comes back with the reason as typed and nothing converted.
    let r = form_post(
        &h,
        &session,
        &format!("/desk/tickets/{id}/convert"),
        &format!("_csrf={csrf}&reason={}", enc("客户不满意")),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("请勾选确认后再转为投诉") && r.text.contains("value=\"客户不满意\""));
    assert!(r.text.contains("data-convert"), "not converted");
    let r = form_post(
        &h,
        &session,
        &format!("/desk/tickets/{id}/convert"),
        &format!("_csrf={csrf}&reason={}&confirm=yes", enc("客户不满意")),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = h
        .call(
            Method::GET,
            &format!("/desk/tickets/{id}"),
            &[("cookie", &session)],
            None,
        )
        .await;
    assert!(page.text.contains("咨询转为投诉") && page.text.contains("客户不满意"));
    assert!(
        !page.text.contains("data-convert"),
        "a complaint is not converted again"
    );
    // The suggestion is pre-selected in the assign form.
    let guide = dept_id(&h, &h.token("zhao.min").await, "guide_management").await;
    assert!(
        page.text
            .contains(&format!("<option value=\"{guide}\" selected>")),
        "pre-filled group"
    );
    // Without the CSRF token nothing is posted.
    let r = form_post(
        &h,
        &session,
        &format!("/desk/tickets/{id}/messages"),
        "kind=note&body=x",
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn inbox_queues_filters_and_sla_badges() {
    let h = harness().await;
    let agent = h.token("li.na").await;
    let breached = new_ticket(
        &h,
        &agent,
        json!({"subject": "大巴抛锚无人处理", "level": "important"}),
    )
    .await;
    let at_risk = new_ticket(
        &h,
        &agent,
        json!({"kind": "inquiry", "channel": "email", "subject": "签证材料", "description": "请问需要哪些材料。"}),
    )
    .await;
    let calm = new_ticket(
        &h,
        &agent,
        json!({"kind": "feedback", "channel": "chat", "subject": "表扬导游"}),
    )
    .await;
    let bid = breached["id"].as_str().unwrap();
    let rid = at_risk["id"].as_str().unwrap();
    let cid = calm["id"].as_str().unwrap();
    clock_on(&h, bid, "complaint.contact", -50, -5).await;
    clock_on(&h, rid, "first_response.manual", -2, 30).await;
    clock_on(&h, cid, "first_response.manual", 90, 120).await;

    let r = h.get("/api/v1/desk/inbox?queue=breaching", &agent).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let ids: Vec<&str> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [bid, rid],
        "important first; the calm one is not at risk"
    );
    assert_eq!(r.body["items"][0]["sla"]["risk"], "breached");
    assert_eq!(r.body["items"][0]["sla"]["target_key"], "complaint.contact");
    assert_eq!(r.body["items"][1]["sla"]["risk"], "at_risk");
    assert!(r.body["items"][1]["sla"]["due_at"]
        .as_str()
        .unwrap()
        .ends_with("+08:00"));
    let count = |q: &str| {
        r.body["queues"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["queue"] == q)
            .unwrap()["count"]
            .as_u64()
            .unwrap()
    };
    assert_eq!(count("breaching"), 2);
    assert!(count("open") >= 3);

    // Filters narrow every queue.
    let r = h
        .get("/api/v1/desk/inbox?queue=open&kind=inquiry", &agent)
        .await;
    assert!(r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["kind"] == "inquiry"));
    let r = h
        .get("/api/v1/desk/inbox?channel=chat&kind=feedback", &agent)
        .await;
    assert_eq!(r.body["total"], 1);
    assert_eq!(r.body["items"][0]["sla"]["risk"], "on_track");
    let r = h
        .get("/api/v1/desk/inbox?level=important&state=received", &agent)
        .await;
    assert_eq!(r.body["items"][0]["id"], bid);
    let guide = dept_id(&h, &h.token("zhao.min").await, "guide_management").await;
    let r = h
        .get(&format!("/api/v1/desk/inbox?group_id={guide}"), &agent)
        .await;
    assert_eq!(
        r.body["items"][0]["id"], cid,
        "feedback routed by keyword 导游"
    );
    let r = h
        .get("/api/v1/desk/inbox?queue=unassigned&state=closed", &agent)
        .await;
    assert_eq!(r.body["total"], 0);
    let r = h.get("/api/v1/desk/inbox?queue=everything", &agent).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = h.get("/api/v1/desk/inbox?state=lost", &agent).await;
    assert_problem(&r, StatusCode::BAD_REQUEST, "bad_request");
    let r = h.get("/api/v1/desk/inbox?limit=0", &agent).await;
    assert_problem(&r, StatusCode::BAD_REQUEST, "bad_query");

    // The page: tabs with counts, the badge counting down from the server's due instant.
    let page = h.ui_get("/desk?queue=breaching", "li.na").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text
            .contains("即将超时<span class=\"desk-tab-count\">2</span>"),
        "{}",
        page.text
    );
    assert!(page.text.contains("sla sla-breached") && page.text.contains("超时 "));
    assert!(page.text.contains("sla sla-at_risk") && page.text.contains("剩余 "));
    assert!(page.text.contains("data-sla-text data-now="));
    assert!(!page.text.contains("表扬导游"));
    let page = h
        .ui_get("/desk?queue=open&kind=feedback&channel=chat", "li.na")
        .await;
    assert!(page.text.contains("表扬导游") && !page.text.contains("签证材料"));
    assert!(page.text.contains("<option value=\"feedback\" selected>"));
    assert!(
        page.text
            .contains("href=\"/desk?queue=breaching&#38;kind=feedback&#38;channel=chat\""),
        "tabs keep the filters: {}",
        page.text
            .split("desk-tabs")
            .nth(1)
            .unwrap_or("")
            .chars()
            .take(400)
            .collect::<String>()
    );
}

#[tokio::test]
async fn the_supervisor_board_counts_open_complaints_by_state_and_risk() {
    let h = harness().await;
    let agent = h.token("li.na").await;
    let supervisor = h.token("zhao.min").await;
    let a = new_ticket(&h, &agent, json!({"subject": "酒店卫生差"})).await;
    let b = new_ticket(
        &h,
        &agent,
        json!({"subject": "餐食变质", "level": "urgent"}),
    )
    .await;
    let c = new_ticket(&h, &agent, json!({"subject": "行程缩水"})).await;
    new_ticket(
        &h,
        &agent,
        json!({"kind": "inquiry", "subject": "不是投诉"}),
    )
    .await;
    clock_on(&h, b["id"].as_str().unwrap(), "complaint.contact", -30, -1).await;
    clock_on(&h, c["id"].as_str().unwrap(), "complaint.contact", -1, 20).await;
    let r = h
        .api(
            Method::POST,
            &format!("/api/v1/tickets/{}/steps", a["id"].as_str().unwrap()),
            &agent,
            json!({"step": "triage", "level": "general"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    let r = h.get("/api/v1/desk/board", &agent).await;
    assert_problem(&r, StatusCode::FORBIDDEN, "forbidden");
    let r = h.get("/api/v1/desk/board?per_state=5", &supervisor).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let col = |s: &str| {
        r.body["columns"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["state"] == s)
            .unwrap()
            .clone()
    };
    let received = col("received");
    assert_eq!(received["total"], 2);
    assert_eq!(received["breached"], 1);
    assert_eq!(received["at_risk"], 1);
    assert_eq!(received["tickets"][0]["id"], b["id"], "riskiest first");
    assert_eq!(received["tickets"][0]["risk"], "breached");
    assert_eq!(col("triaged")["on_track"], 1);
    assert_eq!(col("assigned")["total"], 0);
    assert!(r.body["columns"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["state"] != "closed"));
    assert_eq!(r.body["breached"], 1);
    assert_eq!(r.body["at_risk"], 1);
    assert_eq!(r.body["on_track"], 1);
    let r = h.get("/api/v1/desk/board?per_state=0", &supervisor).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);

    let page = h.ui_get("/desk/board", "zhao.min").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("投诉看板") && page.text.contains("餐食变质"));
    assert!(page.text.contains("board-card breached") && page.text.contains("board-card at_risk"));
    assert!(page.text.contains("data-risk-total=\"breached\">1<"));
    assert!(!page.text.contains("不是投诉"));
    let page = h.ui_get("/desk/board", "li.na").await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    let home = h.ui_get("/", "li.na").await;
    // The dashboard offers an agent only what they may open: the desk as a live module, no
    // staff figures (they would read 0) and no shortcut to the staff pages.
    assert!(
        home.text.contains(r#"<a href="/desk">"#),
        "the desk card links to the desk"
    );
    assert!(
        !home.text.contains("在职员工"),
        "no staff figure for an agent"
    );
    assert!(
        !home.text.contains("g 然后 u 员工"),
        "no shortcut to a page that answers 403"
    );
    let admin_home = h.ui_get("/", "admin").await;
    assert!(admin_home.text.contains("在职员工") && admin_home.text.contains("g 然后 u 员工"));
    assert!(
        !home.text.contains("href=\"/desk/board\""),
        "not in an agent's navigation"
    );
}

#[tokio::test]
async fn the_desk_pages_speak_english_too() {
    let h = harness().await;
    let agent = h.token("li.na").await;
    let t = new_ticket(&h, &agent, json!({"subject": "Bus broke down"})).await;
    clock_on(&h, t["id"].as_str().unwrap(), "complaint.contact", -30, -2).await;
    let en = |user: &'static str, uri: &'static str| {
        let h = &h;
        async move {
            let token = h.token(user).await;
            let cookie = format!("tripdesk_session={token}; tripdesk_lang=en");
            h.call(Method::GET, uri, &[("cookie", &cookie)], None).await
        }
    };
    let inbox = en("li.na", "/desk?queue=breaching").await;
    assert!(inbox.text.contains("Breaching soon") && inbox.text.contains(" overdue"));
    assert!(inbox.text.contains("data-over=\"{t} overdue\""));
    assert!(inbox.text.contains("Any channel") && inbox.text.contains("Tickets: 1"));
    let page = h
        .call(
            Method::GET,
            &format!("/desk/tickets/{}", t["id"].as_str().unwrap()),
            &[(
                "cookie",
                &format!("tripdesk_session={agent}; tripdesk_lang=en"),
            )],
            None,
        )
        .await;
    assert!(
        page.text.contains("Reply to customer") && page.text.contains("Insert a reply template")
    );
    assert!(
        page.text.contains("<optgroup label=\"English\">"),
        "the page's language first"
    );
    let board = en("zhao.min", "/desk/board").await;
    assert!(board.text.contains("Complaint board") && board.text.contains("Breached"));
    let rules = en("zhao.min", "/desk/rules").await;
    assert!(rules.text.contains("Routing rules") && rules.text.contains("Add rule"));
    let replies = en("zhao.min", "/desk/replies").await;
    assert!(replies.text.contains("Reply templates") && replies.text.contains("Common answer"));
}
