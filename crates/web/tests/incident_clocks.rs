//! An incident's clocks toward the tourism authority (issue 15 item 7), through the API and
//! the board's forms on two nodes of one database (SQLite, or PostgreSQL with
//! `TRIPDESK_TEST_DATABASE_URL`), on a clock the test moves from Monday 2027-03-01 10:00
//! Beijing time: the first report within the hour (met), the update reports every 24 hours
//! (one late, one on time, counted), the end of handling that stops them and starts the
//! closing summary's five working days (due the next Tuesday, over the weekend), and closing
//! with the summary (met). What does not fit is refused by name; a 一般 incident's reports
//! run on no clock.

mod common;

use axum::http::{header, StatusCode};
use common::assert_problem;
use common::bookings::{nodes, Nodes};
use jiff::SignedDuration;
use serde_json::{json, Value};

async fn clocks(n: &Nodes, token: &str, incident: &str) -> Value {
    let r = n.get(&format!("/api/v1/incidents/{incident}"), token).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["clocks"].clone()
}

async fn declare(n: &Nodes, token: &str, level: &str) -> String {
    let declared = n
        .post(
            "/api/v1/incidents",
            token,
            json!({"kind": "safety", "level": level, "title": "大巴侧翻",
                   "scope": {"regions": ["丽江"], "from": "2027-03-01", "to": "2027-03-02"}}),
        )
        .await;
    assert_eq!(declared.status, StatusCode::CREATED, "{}", declared.text);
    declared.body["incident"]["id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn the_first_report_the_updates_and_the_closing_summary_each_run_on_their_clock() {
    let n = nodes().await;
    let boss = n.token("zhao.min").await;
    let incident = declare(&n, &boss, "large").await;
    let path = |what: &str| format!("/api/v1/incidents/{incident}/{what}");
    let path = &path;
    let c = clocks(&n, &boss, &incident).await;
    assert_eq!(c["first_report"]["state"], "running", "{c}");
    assert_eq!(c["first_report"]["due_at"], "2027-03-01T11:00:00+08:00");
    assert!(
        c["update_due"].is_null() && c["closing_summary"].is_null(),
        "{c}"
    );

    // No update before the first report.
    assert_problem(
        &n.post(&path("update-report"), &boss, json!({"note": "续报"}))
            .await,
        StatusCode::CONFLICT,
        "incident.not_reported",
    );
    n.clock.advance(SignedDuration::from_mins(30));
    let first = n
        .post(
            &path("report"),
            &boss,
            json!({"note": "已电话报告丽江市文旅局值班室"}),
        )
        .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    let c = clocks(&n, &boss, &incident).await;
    assert_eq!(c["first_report"]["state"], "met", "{c}");
    assert_eq!(c["update_due"]["state"], "running", "{c}");
    assert_eq!(c["update_due"]["due_at"], "2027-03-02T10:30:00+08:00");
    assert_eq!(c["updates_made"], 0);

    // A day and an hour later the update is late; made late, then the next on time.
    n.clock.advance(SignedDuration::from_hours(25));
    let boss = n.token("zhao.min").await; // a day later: signed in again
    assert_eq!(
        clocks(&n, &boss, &incident).await["update_due"]["state"],
        "breached"
    );
    let update = n
        .post(&path("update-report"), &boss, json!({"note": "伤者已转院"}))
        .await;
    assert_eq!(update.status, StatusCode::OK, "{}", update.text);
    n.clock.advance(SignedDuration::from_hours(2));
    let update = n
        .post(
            &path("update-report"),
            &boss,
            json!({"note": "伤者情况稳定"}),
        )
        .await;
    assert_eq!(update.status, StatusCode::OK, "{}", update.text);
    let c = clocks(&n, &boss, &incident).await;
    assert_eq!(
        (c["updates_made"].as_u64(), c["updates_late"].as_u64()),
        (Some(2), Some(1)),
        "{c}"
    );
    assert_eq!(c["update_due"]["due_at"], "2027-03-03T13:30:00+08:00");
    assert_problem(
        &n.post(&path("update-report"), &boss, json!({"note": ""}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );

    // Handling ends (a stale version refused): no more updates, the summary's clock runs
    // five working days — Wed, Thu, Fri, Mon, Tue.
    let version = update.body["version"].as_i64().unwrap();
    assert_problem(
        &n.post(
            &path("end-handling"),
            &boss,
            json!({"version": version - 1}),
        )
        .await,
        StatusCode::CONFLICT,
        "incident.changed",
    );
    let ended = n
        .post(&path("end-handling"), &boss, json!({"version": version}))
        .await;
    assert_eq!(ended.status, StatusCode::OK, "{}", ended.text);
    assert_eq!(ended.body["handling_ended_at"], "2027-03-02T13:30:00+08:00");
    let c = clocks(&n, &boss, &incident).await;
    assert!(c["update_due"].is_null(), "{c}");
    assert_eq!(c["closing_summary"]["state"], "running", "{c}");
    assert_eq!(c["closing_summary"]["due_at"], "2027-03-09T13:30:00+08:00");
    assert_problem(
        &n.post(&path("update-report"), &boss, json!({"note": "再报"}))
            .await,
        StatusCode::CONFLICT,
        "incident.handling_ended",
    );
    assert_problem(
        &n.post(
            &path("end-handling"),
            &boss,
            json!({"version": ended.body["version"]}),
        )
        .await,
        StatusCode::CONFLICT,
        "incident.handling_ended",
    );

    // The summary three days later, on time; the report shows all three.
    n.clock.advance(SignedDuration::from_hours(72));
    let boss = n.token("zhao.min").await;
    let closed = n
        .post(
            &path("close"),
            &boss,
            json!({"summary": "司机疲劳驾驶；已更换车队并加强行前检查。", "version": ended.body["version"]}),
        )
        .await;
    assert_eq!(closed.status, StatusCode::OK, "{}", closed.text);
    let report = n.get(&path("report"), &boss).await;
    let c = &report.body["clocks"];
    assert_eq!(c["first_report"]["state"], "met", "{c}");
    assert_eq!(
        (c["updates_made"].as_u64(), c["updates_late"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(c["closing_summary"]["state"], "met", "{c}");
    let (cookie, _) = n.session("zhao.min").await;
    let page = n
        .page(&format!("/incidents/{incident}/report"), &cookie)
        .await;
    for line in [
        "已于 2027-03-01 10:30 首报",
        "共续报 2 次，其中超时 1 次",
        "截止 2027-03-09 13:30：按时",
    ] {
        assert!(page.text.contains(line), "{line}: {}", page.text);
    }
}

/// The board's forms: the first report refused without a note comes back as typed (422),
/// then made; an update report; the end of handling; the summary — each back to the board
/// with its line. A 一般 incident's reports are recorded on no clock.
#[tokio::test]
async fn the_board_records_the_reports_and_a_general_incident_runs_no_clock() {
    let n = nodes().await;
    let boss = n.token("zhao.min").await;
    let incident = declare(&n, &boss, "large").await;
    let (cookie, csrf) = n.session("zhao.min").await;
    let board = format!("/incidents/{incident}");
    let page = n.page(&board, &cookie).await;
    assert!(page.text.contains("记录首报"), "{}", page.text);
    assert!(
        page.text.contains("截止 2027-03-01 11:00，尚未首报"),
        "{}",
        page.text
    );

    let refused = n
        .form(
            &format!("{board}/first-report"),
            &cookie,
            &[("_csrf", &csrf), ("back", &board), ("note", "   ")],
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.text
    );
    assert!(
        refused.text.contains("aria-invalid=\"true\""),
        "{}",
        refused.text
    );
    let post = |what: &'static str, fields: Vec<(&'static str, String)>| {
        let (n, cookie, uri) = (&n, cookie.clone(), format!("{board}/{what}"));
        let mut all = vec![("_csrf", csrf.clone()), ("back", board.clone())];
        all.extend(fields);
        async move {
            let f: Vec<(&str, &str)> = all.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let r = n.form(&uri, &cookie, &f).await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{what}: {}", r.text);
            n.page(r.headers[header::LOCATION].to_str().unwrap(), &cookie)
                .await
        }
    };
    let back = post("first-report", vec![("note", "已报丽江市文旅局".into())]).await;
    assert!(back.text.contains("已记录首报"), "{}", back.text);
    assert!(back.text.contains("记录续报"), "{}", back.text);
    let back = post("update-report", vec![("note", "伤者已送医".into())]).await;
    assert!(
        back.text
            .contains("已续报 1 次，下次续报截止 2027-03-02 10:00"),
        "{}",
        back.text
    );
    let version = n
        .get(&format!("/api/v1/incidents/{incident}"), &boss)
        .await
        .body["incident"]["version"]
        .to_string();
    let back = post("end-handling", vec![("version", version.clone())]).await;
    assert!(
        back.text.contains("总结报告截止 2027-03-08 10:00"),
        "{}",
        back.text
    );
    assert!(!back.text.contains("记录续报"), "{}", back.text);
    let version = (version.parse::<i64>().unwrap() + 1).to_string();
    let back = post(
        "close",
        vec![("summary", "处置完毕。".into()), ("version", version)],
    )
    .await;
    assert!(back.text.contains("事件已关闭"), "{}", back.text);

    // 一般: recorded, no clock at all.
    let general = declare(&n, &boss, "general").await;
    let r = n
        .post(
            &format!("/api/v1/incidents/{general}/report"),
            &boss,
            json!({"note": "已报"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = n
        .post(
            &format!("/api/v1/incidents/{general}/update-report"),
            &boss,
            json!({"note": "续报"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let c = clocks(&n, &boss, &general).await;
    assert!(
        c["first_report"].is_null() && c["update_due"].is_null(),
        "{c}"
    );
    assert_eq!(c["updates_made"], 1, "{c}");
}
