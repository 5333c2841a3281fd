//! The customer-facing desk: the public contact form (validation naming the fields, CSRF,
//! rate limits), the signed progress link, and follow-up survey links (tampered, expired and
//! reused links refused; an unsatisfied answer reopening the complaint with a rectification
//! task; two answers at once recorded once).

mod common;

use axum::http::{header, Method, StatusCode};
use common::{
    assert_problem, attr_after, dept_id, harness, harness_configured, harness_with, post_form,
    post_form_via, visit, Harness, Reply, Visitor,
};
use jiff::{SignedDuration, Timestamp};
use serde_json::{json, Value};
use std::sync::Arc;
use tripdesk_app::public_desk::PublicDeskSettings;
use tripdesk_app::AppSettings;
use tripdesk_domain::clock::ManualClock;

const COMPLAINT: &[(&str, &str)] = &[
    ("kind", "complaint"),
    ("name", "陈晓"),
    ("phone", "139 1234 5678"),
    ("email", ""),
    ("booking_ref", "BK-2026-0612-008"),
    ("subject", "酒店房间与合同不符"),
    (
        "description",
        "合同写的是海景房，入住后安排的是朝向停车场的房间，前台说没有海景房了。",
    ),
];

fn with(
    fields: &[(&'static str, &'static str)],
    k: &'static str,
    v: &'static str,
) -> Vec<(&'static str, &'static str)> {
    let mut out: Vec<_> = fields.iter().filter(|(n, _)| *n != k).copied().collect();
    out.push((k, v));
    out
}

fn location(r: &Reply) -> String {
    r.headers[header::LOCATION].to_str().unwrap().to_string()
}

#[tokio::test]
async fn the_public_form_names_each_field_at_fault_and_keeps_what_was_typed() {
    let h = harness().await;
    let (page, v) = visit(&h, "/contact", None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("咨询、投诉与建议"), "Chinese by default");
    assert!(v.cookie.starts_with("tripdesk_form="), "{}", v.cookie);
    assert!(!v.csrf.is_empty());

    // Nothing filled in: name, contact, subject and description are each named.
    let r = post_form(
        &h,
        "/contact",
        &v,
        &[
            ("kind", "complaint"),
            ("name", ""),
            ("subject", ""),
            ("description", ""),
        ],
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    for id in [
        "name-error",
        "contact-error",
        "subject-error",
        "description-error",
    ] {
        assert!(r.text.contains(&format!("id=\"{id}\"")), "{id} missing");
    }
    assert!(r.text.contains("请至少留下电话或邮箱"));
    assert!(r.text.contains("aria-invalid=\"true\""));

    // A phone that is no phone and a broken email are named, in the visitor's language, and
    // what was typed stays in the form.
    let mut fields = with(COMPLAINT, "phone", "12345");
    fields = with(&fields, "email", "chen@");
    let r = post_form(&h, "/contact", &v, &fields, None).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("id=\"phone-error\"") && r.text.contains("id=\"email-error\""));
    assert!(!r.text.contains("id=\"name-error\""));
    assert!(
        r.text.contains("value=\"酒店房间与合同不符\""),
        "the subject is kept"
    );
    assert!(
        r.text.contains("合同写的是海景房"),
        "the description is kept"
    );

    let en = h
        .call(
            Method::GET,
            "/contact",
            &[("cookie", "tripdesk_lang=en")],
            None,
        )
        .await;
    assert!(en.text.contains("Questions, complaints and suggestions"));
    assert!(en.text.contains("lang=\"en\""));

    // Too long is too long.
    let long = "长".repeat(201);
    let r = post_form(
        &h,
        "/contact",
        &v,
        &[
            ("kind", "feedback"),
            ("name", "陈晓"),
            ("email", "chen.xiao@example.com"),
            ("subject", &long),
            ("description", "建议增加素食选择"),
        ],
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("id=\"subject-error\""));

    // Nothing was taken.
    let agent = h.token("li.na").await;
    let list = h.get("/api/v1/tickets?queue=all", &agent).await;
    let web: Vec<_> = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["channel"] == "web_form")
        .collect();
    assert!(web.is_empty(), "{web:?}");
}

#[tokio::test]
async fn the_public_form_needs_its_signed_csrf_token() {
    let h = harness().await;
    let (_, v) = visit(&h, "/contact", None).await;
    // No token, a token for another browser's cookie, and a token without cookie: 403.
    let no_token = Visitor {
        cookie: v.cookie.clone(),
        csrf: String::new(),
    };
    let r = post_form(&h, "/contact", &no_token, COMPLAINT, None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.text.contains("表单已过期"), "a friendly message");
    assert!(
        r.text.contains("value=\"酒店房间与合同不符\""),
        "the input is kept"
    );
    let (_, other) = visit(&h, "/contact", None).await;
    let crossed = Visitor {
        cookie: v.cookie.clone(),
        csrf: other.csrf.clone(),
    };
    assert_eq!(
        post_form(&h, "/contact", &crossed, COMPLAINT, None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let no_cookie = Visitor {
        cookie: String::new(),
        csrf: v.csrf.clone(),
    };
    assert_eq!(
        post_form(&h, "/contact", &no_cookie, COMPLAINT, None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // The right pair is accepted.
    let r = post_form(&h, "/contact", &v, COMPLAINT, None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
}

#[tokio::test]
async fn a_submission_gets_a_reference_and_a_signed_progress_link_that_shows_no_internals() {
    let h = harness().await;
    let (_, v) = visit(&h, "/contact", None).await;
    let r = post_form(&h, "/contact", &v, COMPLAINT, Some("203.0.113.7")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let to = location(&r);
    assert!(to.starts_with("/track/") && to.ends_with("?new=1"), "{to}");
    let token = to["/track/".len()..to.len() - "?new=1".len()].to_string();

    let page = h.call(Method::GET, &to, &[], None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("提交成功"));
    let number = page
        .text
        .split("id=\"reference\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .unwrap()
        .to_string();
    assert!(number.starts_with("TS"), "{number}");
    assert!(
        page.text.contains(&format!("/track/{token}")),
        "the link is shown to keep"
    );

    // The desk has it: web form, general, the customer found or created in the vault.
    let agent = h.token("li.na").await;
    let list = h.get("/api/v1/tickets?queue=all", &agent).await;
    let t = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["number"] == number.as_str())
        .unwrap()
        .clone();
    assert_eq!(t["channel"], "web_form");
    assert_eq!(t["kind"], "complaint");
    assert_eq!(t["level"], "general");
    assert_eq!(t["booking_ref"], "BK-2026-0612-008");
    assert!(t["customer_id"].is_string(), "a customer record: {t}");
    let id = t["id"].as_str().unwrap().to_string();
    let detail = h.get(&format!("/api/v1/tickets/{id}"), &agent).await;
    assert_eq!(detail.body["events"][0]["actor_name"], "网页表单");
    assert!(
        detail.body["sla_clocks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["name"] == "first_response.email"),
        "the web form answers like email: {}",
        detail.body["sla_clocks"]
    );
    // The agent's step form offers the handling groups and the people to assign, although
    // agents may not administer staff.
    let page = h.ui_get(&format!("/desk/tickets/{id}"), "li.na").await;
    assert!(page.text.contains("导游管理部"), "groups offered");
    assert!(page.text.contains("周杰 · 导游管理部") && page.text.contains("王芳 · 回访小组"));
    // An agent opens it from the inbox by the reference the customer quotes.
    let (cookie, _) = h.session("li.na").await;
    let quoted = number.to_lowercase().replace("ts", "ts%20");
    let r = h
        .call(
            Method::GET,
            &format!("/desk/find?number={quoted}"),
            &[("cookie", &cookie)],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert_eq!(location(&r), format!("/desk/tickets/{id}"));
    let r = h
        .call(
            Method::GET,
            "/desk/find?number=TS9999999",
            &[("cookie", &cookie)],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Staff get the same link from the API.
    let link = h
        .get(&format!("/api/v1/tickets/{id}/tracking-link"), &agent)
        .await;
    assert_eq!(link.status, StatusCode::OK, "{}", link.text);
    assert_eq!(link.body["token"], token.as_str());

    // The agent works on it with an internal note; the customer's page shows the new state
    // in customer words, never the note or the agent's name.
    let r = h
        .json(
            Method::POST,
            &format!("/api/v1/tickets/{id}/steps"),
            Some(&agent),
            json!({"step": "triage", "level": "important", "note": "内部：客户情绪激动，前台经理孙某处理不当"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let page = h
        .call(Method::GET, &format!("/track/{token}"), &[], None)
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("已受理") && page.text.contains("已收到"));
    assert!(
        !page.text.contains("提交成功"),
        "the banner is only shown once"
    );
    for secret in ["内部", "孙某", "李娜", "li.na", "important", "重要", "139"] {
        assert!(!page.text.contains(secret), "the page shows {secret:?}");
    }
    let en = h
        .call(
            Method::GET,
            &format!("/track/{token}"),
            &[("cookie", "tripdesk_lang=en")],
            None,
        )
        .await;
    assert!(en.text.contains("Accepted") && en.text.contains("Progress"));

    // A tampered link, a truncated one and a made-up one are refused with a friendly 404.
    let mut tampered = token.clone().into_bytes();
    tampered[20] = if tampered[20] == b'a' { b'b' } else { b'a' };
    let tampered = String::from_utf8(tampered).unwrap();
    for bad in [tampered.as_str(), &token[..40], "TS0000001", "x"] {
        let r = h
            .call(Method::GET, &format!("/track/{bad}"), &[], None)
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{bad}");
        assert!(r.text.contains("链接无效"), "{bad}: {}", r.text);
        assert!(
            !r.text.contains("酒店房间"),
            "nothing of the ticket is shown"
        );
    }
}

#[tokio::test]
async fn too_many_submissions_answer_429_per_address_and_in_total() {
    let h = harness_with(
        Arc::new(tripdesk_domain::clock::SystemClock),
        AppSettings {
            public_desk: PublicDeskSettings {
                per_ip: 2,
                total: 3,
                window: SignedDuration::from_hours(1),
            },
            ..AppSettings::default()
        },
    )
    .await;
    let (_, v) = visit(&h, "/contact", None).await;
    // An invalid submission does not count.
    let r = post_form(
        &h,
        "/contact",
        &v,
        &with(COMPLAINT, "subject", ""),
        Some("198.51.100.1"),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    for _ in 0..2 {
        let r = post_form(&h, "/contact", &v, COMPLAINT, Some("198.51.100.1")).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    }
    let r = post_form(&h, "/contact", &v, COMPLAINT, Some("198.51.100.1")).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.headers[header::RETRY_AFTER], "3600");
    assert!(r.text.contains("提交次数过多"), "{}", r.text);
    assert!(
        r.text.contains("value=\"酒店房间与合同不符\""),
        "the input is kept"
    );
    // Another address still gets through, until the total is reached.
    let r = post_form(&h, "/contact", &v, COMPLAINT, Some("198.51.100.2")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = post_form(&h, "/contact", &v, COMPLAINT, Some("198.51.100.3")).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "the total limit");
    // Refused submissions took nothing; the addresses are not stored in clear.
    let agent = h.token("li.na").await;
    let list = h.get("/api/v1/tickets?queue=all&limit=200", &agent).await;
    let web = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["channel"] == "web_form")
        .count();
    assert_eq!(web, 3);
    if let tripdesk_store_sql::Location::SqliteDir(dir) = &h.store.location {
        for file in ["tripdesk.db", "tripdesk.db-wal"] {
            let bytes = std::fs::read(dir.join(file)).unwrap_or_default();
            let text = String::from_utf8_lossy(&bytes);
            assert!(
                !text.contains("198.51.100."),
                "client addresses are hashed ({file})"
            );
        }
    }
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_limit_is_per_forwarded_client() {
    let limits = AppSettings {
        public_desk: PublicDeskSettings {
            per_ip: 1,
            total: 100,
            window: SignedDuration::from_hours(1),
        },
        ..AppSettings::default()
    };
    let h = harness_configured(
        Arc::new(tripdesk_domain::clock::SystemClock),
        limits.clone(),
        tripdesk_web::WebConfig {
            trust_forwarded_for: true,
            ..Default::default()
        },
    )
    .await;
    let (_, v) = visit(&h, "/contact", None).await;
    let proxy = Some("10.0.0.1");
    let post = |xff: &'static str| post_form_via(&h, "/contact", &v, COMPLAINT, proxy, Some(xff));
    assert_eq!(post("203.0.113.1").await.status, StatusCode::SEE_OTHER);
    assert_eq!(
        post("198.51.100.9, 203.0.113.2").await.status,
        StatusCode::SEE_OTHER
    );
    // What the client put before the proxy's entry does not make it someone else.
    assert_eq!(
        post("192.0.2.77, 203.0.113.1").await.status,
        StatusCode::TOO_MANY_REQUESTS
    );

    // Without the setting the header is ignored: everyone behind the proxy is one client.
    let h = harness_with(Arc::new(tripdesk_domain::clock::SystemClock), limits).await;
    let (_, v) = visit(&h, "/contact", None).await;
    let post = |xff: &'static str| post_form_via(&h, "/contact", &v, COMPLAINT, proxy, Some(xff));
    assert_eq!(post("203.0.113.1").await.status, StatusCode::SEE_OTHER);
    assert_eq!(
        post("203.0.113.2").await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
}

// ---- surveys ----

async fn user_id(h: &Harness, token: &str, username: &str) -> String {
    let r = h.get(&format!("/api/v1/users?q={username}"), token).await;
    r.body["items"][0]["id"].as_str().unwrap().to_string()
}

async fn ok_step(h: &Harness, token: &str, id: &str, body: Value) -> Value {
    let r = h
        .json(
            Method::POST,
            &format!("/api/v1/tickets/{id}/steps"),
            Some(token),
            body.clone(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{body} → {}", r.text);
    r.body
}

/// A complaint taken through the API up to a scheduled follow-up with wang.fang.
async fn complaint_awaiting_follow_up(h: &Harness, email: Option<&str>) -> String {
    let admin = h.token("admin").await;
    let agent = h.token("li.na").await;
    let handler = h.token("zhou.jie").await;
    let guide = dept_id(h, &admin, "guide_management").await;
    let zhou = user_id(h, &admin, "zhou.jie").await;
    let wang = user_id(h, &admin, "wang.fang").await;
    let mut customer = json!({"name": "张伟", "phone": "13800138000"});
    if let Some(e) = email {
        customer["email"] = json!(e);
    }
    let r = h
        .json(
            Method::POST,
            "/api/v1/tickets",
            Some(&agent),
            json!({"kind": "complaint", "channel": "phone", "level": "general",
                   "subject": "导游迟到一小时", "description": "行程被压缩。", "customer": customer}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.body["id"].as_str().unwrap().to_string();
    ok_step(
        h,
        &agent,
        &id,
        json!({"step": "triage", "level": "general"}),
    )
    .await;
    ok_step(
        h,
        &agent,
        &id,
        json!({"step": "assign", "group_id": guide, "assignee_id": zhou}),
    )
    .await;
    ok_step(h, &handler, &id, json!({"step": "record_contact"})).await;
    ok_step(h, &handler, &id, json!({"step": "start_investigation"})).await;
    ok_step(h, &handler, &id, json!({"step": "propose_solution", "compensation": {"kind": "voucher", "amount_fen": 20000}})).await;
    ok_step(h, &handler, &id, json!({"step": "resolve"})).await;
    ok_step(
        h,
        &handler,
        &id,
        json!({"step": "report_result", "cause": "导游迟到", "responsible_department_id": guide}),
    )
    .await;
    ok_step(
        h,
        &agent,
        &id,
        json!({"step": "schedule_follow_up", "assignee_id": wang}),
    )
    .await;
    id
}

async fn send_survey(h: &Harness, token: &str, id: &str) -> Reply {
    h.json(
        Method::POST,
        &format!("/api/v1/tickets/{id}/surveys"),
        Some(token),
        json!({}),
    )
    .await
}

fn survey_path(url: &str) -> String {
    url[url.find("/survey/").unwrap()..].to_string()
}

#[tokio::test]
async fn a_survey_is_sent_by_the_follow_up_team_only_when_due_and_emailed_through_the_outbox() {
    let h = harness().await;
    let follow_up = h.token("wang.fang").await;
    let handler = h.token("zhou.jie").await;
    let id = complaint_awaiting_follow_up(&h, Some("zhang.wei@example.com")).await;

    // A handler may not; nor a follow-up agent of the handling group.
    assert_problem(
        &send_survey(&h, &handler, &id).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let admin = h.token("admin").await;
    let guide = dept_id(&h, &admin, "guide_management").await;
    let r = h
        .json(Method::POST, "/api/v1/users", Some(&admin), json!({"username": "guide.fu", "display_name": "导游部回访", "password": "a long password", "roles": ["follow_up"], "department_id": guide}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let guide_fu = h.login_with("guide.fu", "a long password").await["token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_problem(
        &send_survey(&h, &guide_fu, &id).await,
        StatusCode::CONFLICT,
        "separation_of_duties",
    );

    let r = send_survey(&h, &follow_up, &id).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["emailed"], true);
    let url = r.body["url"].as_str().unwrap();
    assert!(
        url.starts_with("http://") && url.contains("/survey/"),
        "{url}"
    );
    let expires: Timestamp = r.body["expires_at"].as_str().unwrap().parse().unwrap();
    let days = expires.duration_since(Timestamp::now()).as_hours() / 24;
    assert!((13..=14).contains(&days), "{days} days");

    // The email is in the outbox, in Chinese, with the link.
    let supervisor = h.token("zhao.min").await;
    let m = h
        .get(
            &format!("/api/v1/messages?related_type=ticket&related_id={id}&limit=100"),
            &supervisor,
        )
        .await;
    let mail = m.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["template_key"] == "complaint.survey")
        .unwrap_or_else(|| panic!("no survey email: {}", m.text))
        .clone();
    assert_eq!(mail["channel"], "email");
    assert_eq!(mail["to"], "zhang.wei@example.com");
    assert!(
        mail["subject"].as_str().unwrap().contains("请评价"),
        "{mail}"
    );
    let full = h
        .get(
            &format!("/api/v1/messages/{}", mail["id"].as_str().unwrap()),
            &supervisor,
        )
        .await;
    assert!(
        full.body["body_text"].as_str().unwrap().contains(url),
        "{}",
        full.text
    );

    // Listed with its state; the timeline says it was sent.
    let list = h
        .get(&format!("/api/v1/tickets/{id}/surveys"), &follow_up)
        .await;
    assert_eq!(list.body["items"][0]["state"], "pending");
    assert!(
        list.body["items"][0].get("token").is_none(),
        "the token is shown once"
    );
    let t = h.get(&format!("/api/v1/tickets/{id}"), &follow_up).await;
    assert!(t.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["kind"] == "survey_sent"));

    // Not for a complaint whose follow-up is not scheduled.
    let agent = h.token("li.na").await;
    let other = h
        .json(Method::POST, "/api/v1/tickets", Some(&agent), json!({"kind": "complaint", "channel": "phone", "subject": "噪音", "description": "隔壁很吵", "customer": {"name": "王五"}}))
        .await;
    let other_id = other.body["id"].as_str().unwrap();
    assert_problem(
        &send_survey(&h, &follow_up, other_id).await,
        StatusCode::CONFLICT,
        "survey_not_due",
    );
}

#[tokio::test]
async fn an_unsatisfied_survey_answer_reopens_with_a_rectification_task_and_the_link_works_once() {
    let h = harness().await;
    let follow_up = h.token("wang.fang").await;
    // No email on file: the link is for the agent to send by SMS.
    let id = complaint_awaiting_follow_up(&h, None).await;
    let r = send_survey(&h, &follow_up, &id).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["emailed"], false);
    let path = survey_path(r.body["url"].as_str().unwrap());

    let (page, v) = visit(&h, &path, None).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(page.text.contains("服务回访问卷") && page.text.contains("导游迟到一小时"));

    // Tampered and made-up links: 404, friendly.
    let mut bad = path.clone().into_bytes();
    let i = bad.len() - 5;
    bad[i] = if bad[i] == b'a' { b'b' } else { b'a' };
    let bad = String::from_utf8(bad).unwrap();
    let r = h.call(Method::GET, &bad, &[], None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.text.contains("问卷链接无效"));
    assert_eq!(
        post_form(
            &h,
            &bad,
            &v,
            &[("satisfaction", "5"), ("overall_rating", "5")],
            None
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );

    // Unsatisfied without a reason: the field is named, and the link stays usable.
    let r = post_form(
        &h,
        &path,
        &v,
        &[
            ("satisfaction", "1"),
            ("overall_rating", "2"),
            ("reason", ""),
            ("suggestions", "希望更守时"),
        ],
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.text.contains("id=\"reason-error\""));
    assert!(r.text.contains("希望更守时"), "kept");
    let r = post_form(&h, &path, &v, &[("satisfaction", "9")], None).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text.contains("id=\"satisfaction-error\"")
            && r.text.contains("id=\"overall_rating-error\"")
    );

    let r = post_form(
        &h,
        &path,
        &v,
        &[
            ("satisfaction", "1"),
            ("overall_rating", "2"),
            ("reason", "代金券至今没有收到"),
            ("suggestions", "希望更守时"),
        ],
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.text.contains("感谢您的评价") && r.text.contains("很抱歉"));

    // Recorded through the workflow on behalf of wang.fang: reopened, rectification task for
    // the responsible department, supervisors told.
    let t = h.get(&format!("/api/v1/tickets/{id}"), &follow_up).await;
    assert_eq!(t.body["state"], "reopened");
    assert_eq!(t.body["last_satisfaction"], 1);
    let rect = t.body["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kind"] == "rectification")
        .expect("a rectification task");
    assert!(rect["body"]
        .as_str()
        .unwrap()
        .contains("代金券至今没有收到"));
    let ev = t.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["step"] == "record_follow_up")
        .unwrap();
    assert_eq!(ev["actor_name"], "王芳（客户问卷）");
    assert!(ev["effects"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e == "rectification_task"));
    assert!(ev["body"].as_str().unwrap().contains("问卷"));
    let list = h
        .get(&format!("/api/v1/tickets/{id}/surveys"), &follow_up)
        .await;
    let s = &list.body["items"][0];
    assert_eq!(
        (s["state"].as_str(), s["satisfaction"].as_u64()),
        (Some("answered"), Some(1))
    );
    assert_eq!(s["reason"], "代金券至今没有收到");

    // Used: refused, on the page and on another post.
    let r = h.call(Method::GET, &path, &[], None).await;
    assert_eq!(r.status, StatusCode::GONE);
    assert!(r.text.contains("问卷已提交"));
    let r = post_form(
        &h,
        &path,
        &v,
        &[("satisfaction", "5"), ("overall_rating", "5")],
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::GONE);
}

#[tokio::test]
async fn two_answers_at_once_are_recorded_once() {
    let h = harness().await;
    let follow_up = h.token("wang.fang").await;
    let id = complaint_awaiting_follow_up(&h, None).await;
    let r = send_survey(&h, &follow_up, &id).await;
    let path = survey_path(r.body["url"].as_str().unwrap());
    let (_, v) = visit(&h, &path, None).await;
    let fields = [("satisfaction", "4"), ("overall_rating", "5")];
    let (a, b) = tokio::join!(
        post_form(&h, &path, &v, &fields, None),
        post_form(&h, &path, &v, &fields, None)
    );
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::OK, StatusCode::GONE],
        "{} / {}",
        a.text,
        b.text
    );
    let t = h.get(&format!("/api/v1/tickets/{id}"), &follow_up).await;
    assert_eq!(t.body["state"], "followed_up");
    let recorded = t.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["step"] == "record_follow_up")
        .count();
    assert_eq!(recorded, 1);
}

#[tokio::test]
async fn an_expired_survey_link_is_refused() {
    let clock = Arc::new(ManualClock::new(Timestamp::now()));
    let h = harness_with(clock.clone(), AppSettings::default()).await;
    let follow_up = h.token("wang.fang").await;
    let id = complaint_awaiting_follow_up(&h, None).await;
    let r = send_survey(&h, &follow_up, &id).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let path = survey_path(r.body["url"].as_str().unwrap());
    let (page, v) = visit(&h, &path, None).await;
    assert_eq!(page.status, StatusCode::OK);

    clock.advance(SignedDuration::from_hours(24 * 14 + 1));
    let r = h.call(Method::GET, &path, &[], None).await;
    assert_eq!(r.status, StatusCode::GONE);
    assert!(r.text.contains("问卷链接已过期"));
    let r = post_form(
        &h,
        &path,
        &v,
        &[("satisfaction", "5"), ("overall_rating", "5")],
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::GONE);
    // (Two weeks later the sign-in has lapsed too.)
    let follow_up = h.token("wang.fang").await;
    let list = h
        .get(&format!("/api/v1/tickets/{id}/surveys"), &follow_up)
        .await;
    assert_eq!(list.body["items"][0]["state"], "expired");
    let t = h.get(&format!("/api/v1/tickets/{id}"), &follow_up).await;
    assert_eq!(
        t.body["state"], "follow_up_scheduled",
        "nothing was recorded"
    );
}

#[tokio::test]
async fn the_follow_up_agent_sends_a_survey_from_the_ticket_page() {
    let h = harness().await;
    let id = complaint_awaiting_follow_up(&h, None).await;
    // The ticket page links to the customer links page.
    let page = h.ui_get(&format!("/desk/tickets/{id}"), "wang.fang").await;
    assert!(page.text.contains(&format!("/desk/tickets/{id}/customer")));
    let (cookie, csrf) = h.session("wang.fang").await;
    let links = h
        .call(
            Method::GET,
            &format!("/desk/tickets/{id}/customer"),
            &[("cookie", &cookie), ("host", "desk.example.com")],
            None,
        )
        .await;
    assert_eq!(links.status, StatusCode::OK);
    assert!(
        links.text.contains("http://desk.example.com/track/"),
        "{}",
        links.text
    );
    assert!(links.text.contains("发送问卷链接"));
    // Without the CSRF field: refused.
    let r = h
        .call(
            Method::POST,
            &format!("/desk/tickets/{id}/surveys"),
            &[
                ("cookie", &cookie),
                ("content-type", "application/x-www-form-urlencoded"),
            ],
            Some(String::new()),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = h
        .call(
            Method::POST,
            &format!("/desk/tickets/{id}/surveys"),
            &[
                ("cookie", &cookie),
                ("content-type", "application/x-www-form-urlencoded"),
                ("host", "desk.example.com"),
            ],
            Some(format!("_csrf={csrf}")),
        )
        .await;
    // Post/redirect/get: the links page shows the new link once, carried by the flash.
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let to = r.headers["location"].to_str().unwrap().to_string();
    assert!(
        to.starts_with(&format!("/desk/tickets/{id}/customer?flash=")),
        "{to}"
    );
    let r = h.call(Method::GET, &to, &[("cookie", &cookie)], None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.text.contains("问卷链接已生成"));
    // A reload shows the page without it and sends nothing again.
    let again = h.call(Method::GET, &to, &[("cookie", &cookie)], None).await;
    assert_eq!(again.status, StatusCode::OK);
    assert!(!again.text.contains("id=\"survey-url\""));
    assert!(r.text.contains("客户没有留邮箱"));
    let url = attr_after(&r.text, "id=\"survey-url\" readonly value=\"").unwrap();
    assert!(url.starts_with("http://desk.example.com/survey/"), "{url}");
    assert!(r.text.contains("待作答"));
}
