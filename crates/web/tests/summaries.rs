//! The periodic summaries over HTTP: the JSON of a month and of a week, its PDF and XLSX
//! downloads (the PDF read back with pdftotext, the workbook with calamine), the list and
//! summary pages in Chinese and English, and the refusals — an agent may not read them, a
//! `from` that starts no period and an unknown cadence are named.

mod common;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use common::*;
use http_body_util::BodyExt;
use std::io::Write;
use tower::ServiceExt;

/// A download's status, content type and bytes.
async fn download(h: &Harness, uri: &str, token: &str) -> (StatusCode, String, Vec<u8>) {
    let req = Request::builder()
        .method(Method::GET)
        .uri(uri)
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let res = h.router.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let ct = res
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let bytes = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    (status, ct, bytes)
}

fn pdf_text(pdf: &[u8]) -> String {
    let mut child = std::process::Command::new("pdftotext")
        .args(["-", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("pdftotext (poppler-utils) is installed by scripts/test");
    child.stdin.take().unwrap().write_all(pdf).unwrap();
    String::from_utf8(child.wait_with_output().unwrap().stdout).unwrap()
}

#[tokio::test]
async fn summaries_as_json_pdf_xlsx_and_pages() {
    let h = harness().await;
    h.app.seed_demo_tickets(60).await.unwrap();
    let boss = h.token("zhao.min").await;
    let today = h.app.today();
    let month = tripdesk_domain::summaries::SummaryPeriod::last_ended(
        tripdesk_domain::summaries::Cadence::Month,
        today,
    );

    // JSON: the last ended month by default; its parts add up.
    let r = h.get("/api/v1/quality/summaries/month", &boss).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["from"], month.from.to_string());
    assert_eq!(r.body["to"], month.last_day().to_string());
    assert_eq!(r.body["complete"], true);
    let c = &r.body["complaints"];
    let total = c["total"].as_u64().unwrap();
    let sum = |key: &str| -> u64 {
        c[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["count"].as_u64().unwrap())
            .sum()
    };
    assert_eq!(sum("by_level"), total);
    assert_eq!(sum("by_state"), total);
    // A complaint in two feedback categories counts under both.
    assert!(sum("causes") >= total);
    assert_eq!(r.body["kpis"].as_array().unwrap().len(), 14);
    assert!(c["resolved"].as_u64().unwrap() <= total);

    // This week, named by its Monday.
    let week = tripdesk_domain::summaries::SummaryPeriod::containing(
        tripdesk_domain::summaries::Cadence::Week,
        today,
    );
    let uri = format!("/api/v1/quality/summaries/weekly?from={}", week.from);
    let r = h.get(&uri, &boss).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["cadence"], "week");
    assert_eq!(r.body["complete"], false);

    // The downloads.
    let q = format!("?from={}", month.from);
    let (status, ct, pdf) = download(
        &h,
        &format!("/api/v1/quality/summaries/month/summary.pdf{q}"),
        &boss,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ct, "application/pdf");
    let text = pdf_text(&pdf);
    for heading in [
        "服务质量月报",
        "投诉按级别",
        "主要投诉原因",
        "整改任务",
        "应急演练",
    ] {
        assert!(text.contains(heading), "{heading} missing");
    }
    let (status, ct, xlsx) = download(
        &h,
        &format!("/api/v1/quality/summaries/month/summary.xlsx{q}"),
        &boss,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(ct.contains("spreadsheetml"));
    let book = tripdesk_sheets::read_workbook(&xlsx).unwrap();
    let levels = &book.iter().find(|(n, _)| n == "投诉按级别").unwrap().1;
    let totals = levels.last().unwrap();
    assert_eq!(totals[0], tripdesk_sheets::Cell::text("合计"));
    assert_eq!(totals[1], tripdesk_sheets::Cell::Number(total as f64));

    // Refusals.
    let agent = h.token("li.na").await;
    let r = h.get("/api/v1/quality/summaries/month", &agent).await;
    assert_problem(&r, StatusCode::FORBIDDEN, "forbidden");
    let r = h
        .get("/api/v1/quality/summaries/week?from=2026-12-01", &boss)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(field_of(&r), "from");
    let r = h.get("/api/v1/quality/summaries/year", &boss).await;
    assert!(r.status.is_client_error());

    // The pages: the list links to the summaries, a summary links to its files.
    let list = h.ui_get("/reports", "zhao.min").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.text.contains("周报与月报"));
    let href = format!("/reports/month/{}", month.from);
    assert!(list.text.contains(&href));
    assert!(list.text.contains(&format!("/reports/week/{}", week.from)));
    let page = h.ui_get(&href, "zhao.min").await;
    assert_eq!(page.status, StatusCode::OK);
    for text in [
        "投诉按级别",
        "主要投诉原因",
        "整改任务",
        "改进措施",
        "应急演练",
        "summary.pdf",
        "summary.xlsx",
    ] {
        assert!(page.text.contains(text), "{text} missing from the page");
    }
    // Every figure's counts in words, no placeholder left unfilled.
    for placeholder in ["{num}", "{den}", "{share}"] {
        assert!(
            !page.text.contains(placeholder),
            "{placeholder} on the page"
        );
    }
    let refused = h.ui_get(&href, "li.na").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(!h
        .ui_get("/", "li.na")
        .await
        .text
        .contains("href=\"/reports\""));
    let wrong = h.ui_get("/reports/week/2026-12-01", "zhao.min").await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.text.contains("周一"));
}
