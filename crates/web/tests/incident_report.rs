//! The post-incident report (issue 15 item 9) on the backend of this test run (SQLite, or
//! PostgreSQL with `TRIPDESK_TEST_DATABASE_URL`), on a clock the test moves: a typhoon drill
//! over 大理 declared at 10:00, its first message at 10:01, two of three guests' emails
//! handed over at 10:03 (90 % delivered is not reached), answers at 10:05, 10:06 (needs
//! help: an urgent ticket) and 10:09 (90 % accounted for at +09:00); costs entered through
//! the API and the report page's form — refused for who may not and for what does not fit,
//! audited — and added up with nothing refunded; the report as JSON, as a page in Chinese
//! and English (the drill marked), as a PDF read back with pdftotext (演练 in every page's
//! footer, the figures, the total); then the drill records, which list the drill and not
//! the real incident, and count it in its year.

mod common;

use axum::http::{header, Method, StatusCode};
use common::assert_problem;
use common::bookings::{call, dali_guests, nodes, Nodes};
use http_body_util::BodyExt;
use serde_json::json;
use tower::ServiceExt;
use uuid::Uuid;

fn minutes(n: &Nodes, m: i64) {
    n.clock.advance(jiff::SignedDuration::from_mins(m));
}

/// The emails queued so far handed to their channel now (as the delivery worker would).
async fn deliver_emails(n: &Nodes) {
    let now = n.app.now();
    let mut tx = n.app.store.write().await.unwrap();
    let claimed = tx
        .claim_due(&tripdesk_store::ClaimRequest {
            channel: "email".into(),
            worker: "w".into(),
            now,
            lease_until: now + jiff::SignedDuration::from_secs(60),
            max: 100,
        })
        .await
        .unwrap();
    let broadcast = claimed
        .messages
        .iter()
        .filter(|m| m.related_type.as_deref() == Some("incident"))
        .count();
    assert_eq!(
        broadcast, 2,
        "the two guests with an email (and the bookings' confirmations)"
    );
    for m in &claimed.messages {
        let sent = tripdesk_store::FinishedAttempt {
            message_id: m.id,
            worker: "w".into(),
            started_at: now,
            finished_at: now,
            outcome: tripdesk_store::AttemptOutcome::Sent {
                receipt: "250 ok".into(),
            },
        };
        assert!(tx.finish_attempt(&sent).await.unwrap());
    }
    tx.commit().await.unwrap();
}

/// A document's bytes as the browser with `cookie` gets them: (content type, body).
async fn bytes(n: &Nodes, uri: &str, cookie: &str) -> (String, Vec<u8>) {
    let req = axum::http::Request::builder()
        .uri(uri)
        .header("cookie", cookie)
        .body(axum::body::Body::empty())
        .unwrap();
    let res = n.a.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let ct = res.headers()[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .to_string();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (ct, body.to_vec())
}

fn pdf_text(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args([path.to_str().unwrap(), "-"])
        .output()
        .expect("pdftotext (poppler-utils) is installed by scripts/test");
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test]
async fn a_drills_report_with_its_costs_as_a_page_a_pdf_and_in_the_drill_records() {
    let n = nodes().await;
    let (boss, agent) = (n.token("zhao.min").await, n.token("li.na").await);
    let [a, b, c] = dali_guests(&n, &boss, &agent)
        .await
        .map(|id| id.parse::<Uuid>().unwrap());

    // 10:00 declared; 10:01 the broadcast; 10:03 the two emails handed over.
    let declared = n
        .post(
            "/api/v1/incidents",
            &boss,
            json!({"kind": "natural_disaster", "level": "large", "title": "台风“海燕”影响大理",
                   "warning_colour": "red", "drill": true,
                   "scope": {"regions": ["大理"], "from": "2027-03-11", "to": "2027-03-12"}}),
        )
        .await;
    assert_eq!(declared.status, StatusCode::CREATED, "{}", declared.text);
    let id = declared.body["incident"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    // A real incident elsewhere: not in the drill records.
    let real = n
        .post(
            "/api/v1/incidents",
            &boss,
            json!({"kind": "system_failure", "level": "general", "title": "预订系统短时故障",
                   "scope": {"regions": ["杭州"], "from": "2027-03-01", "to": "2027-03-01"}}),
        )
        .await;
    assert_eq!(real.status, StatusCode::CREATED, "{}", real.text);
    minutes(&n, 1);
    let sent = n
        .post(
            &format!("/api/v1/incidents/{id}/broadcasts"),
            &boss,
            json!({}),
        )
        .await;
    assert_eq!(sent.status, StatusCode::CREATED, "{}", sent.text);
    minutes(&n, 2);
    deliver_emails(&n).await;
    // 10:05 A safe by SMS, 10:06 B needs help by SMS, 10:09 C safe as staff heard it.
    for (m, who, text) in [(2, a, "1"), (1, b, "2 需要帮助")] {
        minutes(&n, m);
        let mut tx = n.app.store.write().await.unwrap();
        n.app.checkin_by_sms(&mut *tx, &[who], text).await.unwrap();
        tx.commit().await.unwrap();
    }
    minutes(&n, 3);
    let r = call(
        &n.a,
        Method::PUT,
        &format!("/api/v1/incidents/{id}/people/{c}/answer"),
        &agent,
        Some(json!({"status": "safe"})),
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    minutes(&n, 11);
    let r = n
        .post(
            &format!("/api/v1/incidents/{id}/report"),
            &boss,
            json!({"note": "已电话报告大理州文化和旅游局值班室"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    // Costs through the API: an agent may not; nothing empty or out of range; two lines.
    let costs = format!("/api/v1/incidents/{id}/costs");
    let line = json!({"what": "转移游客包车 2 辆", "amount_fen": 360050});
    assert_problem(
        &n.post(&costs, &agent, line.clone()).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let bad = n
        .post(&costs, &boss, json!({"what": " ", "amount_fen": 0}))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);
    assert!(
        bad.text.contains("\"what\"") && bad.text.contains("\"amount_fen\""),
        "both fields named: {}",
        bad.text
    );
    let huge = n
        .post(
            &costs,
            &boss,
            json!({"what": "x".repeat(201), "amount_fen": 10_000_000_001_i64}),
        )
        .await;
    assert_eq!(
        huge.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        huge.text
    );
    assert!(huge.text.contains("out_of_range"), "{}", huge.text);
    let added = n.post(&costs, &boss, line).await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.text);
    assert_eq!(added.body["entered_by_name"], "赵敏");
    let missing = n
        .post(
            &format!("/api/v1/incidents/{}/costs", Uuid::now_v7()),
            &boss,
            json!({"what": "x", "amount_fen": 1}),
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND, "{}", missing.text);

    // The report page's form: refused as typed, then entered (post/redirect/get).
    let (cookie, csrf) = n.session("zhao.min").await;
    let form = format!("/incidents/{id}/costs");
    let refused = n
        .form(
            &form,
            &cookie,
            &[
                ("_csrf", &csrf),
                ("what", "临时安置酒店 6 间"),
                ("amount", "540.125"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    for want in [
        "value=\"临时安置酒店 6 间\"",
        "value=\"540.125\"",
        "金额应在 0.01 元到 1 亿元之间，最多两位小数。",
        "aria-invalid=\"true\"",
    ] {
        assert!(
            refused.text.contains(want),
            "{want} missing: {}",
            refused.text
        );
    }
    let entered = n
        .form(
            &form,
            &cookie,
            &[
                ("_csrf", &csrf),
                ("what", "临时安置酒店 6 间"),
                ("amount", "540"),
            ],
        )
        .await;
    assert_eq!(entered.status, StatusCode::SEE_OTHER, "{}", entered.text);
    let listed = n.get(&costs, &agent).await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.text);
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 2);
    assert_eq!(
        listed.body["totals"],
        json!({"lines": 2, "entered_fen": 414050, "refunds": 0, "refunds_fen": 0,
               "total_fen": 414050, "offered_refunds_fen": 0})
    );
    let audit = n
        .get(
            &format!("/api/v1/audit?action=incident.cost&entity_id={id}"),
            &n.token("admin").await,
        )
        .await;
    assert_eq!(audit.status, StatusCode::OK, "{}", audit.text);
    assert_eq!(
        audit.body["items"].as_array().unwrap().len(),
        2,
        "{}",
        audit.text
    );

    // The report as JSON.
    let report = n
        .get(&format!("/api/v1/incidents/{id}/report"), &boss)
        .await;
    assert_eq!(report.status, StatusCode::OK, "{}", report.text);
    let body = &report.body;
    assert_eq!(
        (
            body["first_message_secs"].as_i64(),
            body["delivered_90_secs"].as_i64(),
            body["accounted_90_secs"].as_i64(),
            body["delivered"].as_u64(),
            body["open_needs"].as_u64(),
            body["costs"]["total_fen"].as_i64(),
        ),
        (Some(60), None, Some(540), Some(2), Some(1), Some(414050)),
        "{}",
        report.text
    );

    // The page, in Chinese: the drill marked, the figures, the open need by name with its
    // ticket, the costs and their total, the first report on time, who ticked what.
    let page = n.page(&format!("/incidents/{id}/report"), &cookie).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    for want in [
        "【演练】台风“海燕”影响大理 · 事件报告",
        "演练：按真实事件处理与统计，不是真实事件。",
        "+01:00（2027-03-01 10:01:00）",
        "未达到（2 / 3 人）",
        "+09:00（2027-03-01 10:09:00）",
        "李雷",
        "未解决",
        "转移游客包车 2 辆",
        "¥3,600.50",
        "¥4,140.50",
        "按时",
        "演练不发出退改方案",
        "事件尚未关闭",
        "登记费用：临时安置酒店 6 间 ¥540",
        "action=\"/incidents/",
        "/report.pdf",
    ] {
        assert!(
            page.text.contains(want),
            "{want} missing from the report page"
        );
    }
    let board = n.page(&format!("/incidents/{id}"), &cookie).await;
    assert!(board
        .text
        .contains(&format!("href=\"/incidents/{id}/report\"")));
    // The board's timeline names the cost's item and amount, as the report does.
    assert!(
        board.text.contains("登记费用：临时安置酒店 6 间 ¥540"),
        "the cost line on the board's timeline"
    );
    // An agent reads it without the costs form; in English it says the same.
    let (agent_cookie, _) = n.session("li.na").await;
    let seen = n
        .page(&format!("/incidents/{id}/report"), &agent_cookie)
        .await;
    assert_eq!(seen.status, StatusCode::OK);
    assert!(!seen
        .text
        .contains(&format!("action=\"/incidents/{id}/costs\"")));
    let en = n
        .page(
            &format!("/incidents/{id}/report"),
            &format!("{cookie}; tripdesk_lang=en"),
        )
        .await;
    for want in [
        "[DRILL] 台风“海燕”影响大理 · Incident report",
        "90 % accounted for",
        "+09:00 (2027-03-01 10:09:00)",
        "Total cost",
        "Cost entered: 临时安置酒店 6 间 ¥540",
        "lang=\"en\"",
    ] {
        assert!(
            en.text.contains(want),
            "{want} missing from the English page"
        );
    }

    // The PDF, in Chinese: 演练 in the title and every page's footer, the figures, the total.
    let (ct, pdf) = bytes(&n, &format!("/incidents/{id}/report.pdf"), &cookie).await;
    assert_eq!(ct, "application/pdf");
    let text = pdf_text(&pdf);
    for want in [
        "【演练】",
        "90% 送达",
        "90% 确认去向",
        "+09:00（2027-03-01 10:09:00）",
        "未达到（2 / 3 人）",
        "¥4,140.50",
        "转移游客包车 2 辆",
    ] {
        assert!(text.contains(want), "{want} missing from the PDF:\n{text}");
    }
    let footers = text.matches("演练 · 非真实事件").count();
    assert!(
        footers >= 1 && text.replace(' ', "").contains(&format!("共{footers}页")),
        "演练 on every page's footer ({footers} footers):\n{text}"
    );

    // Closed, the report still reads, with the summary; costs may still come in.
    let version = r.body["version"].clone();
    let closed = n
        .post(
            &format!("/api/v1/incidents/{id}/close"),
            &boss,
            json!({"summary": "演练结束：3 人全部确认，1 人需要帮助已处理。", "version": version}),
        )
        .await;
    assert_eq!(closed.status, StatusCode::OK, "{}", closed.text);
    let late = n
        .post(
            &costs,
            &boss,
            json!({"what": "演练总结会茶歇", "amount_fen": 15000}),
        )
        .await;
    assert_eq!(late.status, StatusCode::CREATED, "{}", late.text);
    let page = n.page(&format!("/incidents/{id}/report"), &cookie).await;
    assert!(page.text.contains("演练结束：3 人全部确认"));
    assert!(page.text.contains("¥4,290.50"));

    // The drill records: the drill with its figures and report, not the real incident.
    let drills = n.page("/incidents/drills", &cookie).await;
    assert_eq!(drills.status, StatusCode::OK, "{}", drills.text);
    for want in [
        "台风“海燕”影响大理",
        "2027 年：1 次",
        "09:00",
        "未达到",
        "/report.pdf",
    ] {
        assert!(
            drills.text.contains(want),
            "{want} missing from the drill records"
        );
    }
    assert!(!drills.text.contains("预订系统短时故障"));
    let list = n.page("/incidents", &cookie).await;
    assert!(list.text.contains("href=\"/incidents/drills\""));
    let api = n.get("/api/v1/drills", &agent).await;
    assert_eq!(api.status, StatusCode::OK, "{}", api.text);
    assert_eq!(
        api.body["items"].as_array().unwrap().len(),
        1,
        "{}",
        api.text
    );
    assert_eq!(api.body["items"][0]["incident"]["id"], id);
    assert_eq!(api.body["items"][0]["accounted_90_secs"], 540);
    assert_eq!(api.body["years"], json!([{"year": 2027, "drills": 1}]));
    n.second.close().await;
}
