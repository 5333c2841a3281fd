//! Pre-trip documents (issue 14 item 8) in a real headless Chromium on `tripdesk demo`: a
//! traveler with an email books seats on one of the demo's departures in the coming weeks (the
//! demo has assigned its guide); the agent opens the booking, presses 发送行前资料 and sees it
//! sent by email; the traveler's link shows the document — meeting time and place highlighted,
//! the guide, the itinerary by day — and its 确认收到 button records the receipt, which the
//! booking's page then shows. Screenshots `docs/screenshots/trip-documents.png` (the traveler's
//! page) and `trip-documents-booking.png` (the agent's panel).
//!
//! Needs `apt-get install chromium chromium-driver fonts-noto-cjk` (`scripts/test` does it).

#[path = "common/browser.rs"]
mod chromium;
mod common;

use std::time::Duration;

use anyhow::{ensure, Context};
use chromium::{start_demo_in_chromium, Browser};
use fantoccini::Locator;
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trip_documents_sent_opened_and_received_in_headless_chromium() -> anyhow::Result<()> {
    let session = start_demo_in_chromium().await?;
    let outcome = async {
        let booking = book_a_tour(&session.base).await?;
        session.browser().documents(&booking).await
    }
    .await;
    session.finish(outcome).await
}

/// Books two adults (张晓梅 with her email and ID card, and 王建国) on the first demo departure
/// 3 to 30 days ahead with seats left, confirmed; returns the booking's id.
async fn book_a_tour(base: &str) -> anyhow::Result<String> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()?;
    let login: Value = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": "li.na", "password": "tripdesk-demo"}))
        .send()
        .await?
        .json()
        .await?;
    let token = login["token"].as_str().context("token")?.to_string();
    let today = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai")?)
        .date();
    let day = |n: i64| today.checked_add(jiff::Span::new().days(n));
    let departures: Value = http
        .get(format!(
            "{base}/api/v1/departures?from={}&until={}&min_seats_left=2&limit=1",
            day(3)?,
            day(30)?
        ))
        .bearer_auth(&token)
        .send()
        .await?
        .json()
        .await?;
    let departure = departures["items"][0]["id"]
        .as_str()
        .with_context(|| format!("a demo departure with seats: {departures}"))?;
    let res = http
        .post(format!("{base}/api/v1/bookings"))
        .bearer_auth(&token)
        .json(&json!({
            "customer": {"name": "张晓梅", "phone": "13812340000", "email": "zhang.xm@example.com"},
            "lines": [{"departure_id": departure, "travelers": {"adults": 2, "children": 0, "seniors": 0}}],
            "travelers": [
                {"name": "张晓梅", "document_kind": "resident_id", "document_number": "11010519491231002X", "category": "adult"},
                {"name": "王建国", "phone": "13912345678", "category": "adult"}],
            "confirm": true}))
        .send()
        .await?;
    let status = res.status();
    let body: Value = res.json().await?;
    ensure!(status.is_success(), "booking: {status} {body}");
    Ok(body["id"].as_str().context("booking id")?.to_string())
}

impl Browser<'_> {
    async fn documents(&self, booking: &str) -> anyhow::Result<()> {
        let c = self.c;
        c.set_window_size(1366, 900).await?;
        self.sign_in_as("li.na").await?;
        let booking_url = format!("{}/bookings/{booking}", self.base);
        c.goto(&booking_url).await?;
        self.wait(Locator::Css("section.docs-panel")).await?;
        let status = c.find(Locator::Css(".docs-sent")).await?.text().await?;
        ensure!(status.contains("尚未发送"), "not sent yet: {status:?}");

        // 发送行前资料: by email, the link shown for handing over another way.
        self.click(Locator::Css(
            "form[action$='/documents/send'] button[type=submit]",
        ))
        .await?;
        let flash = self.wait(Locator::Css(".flash")).await?.text().await?;
        ensure!(flash.contains("行前资料已发送"), "flash: {flash:?}");
        let sent = c.find(Locator::Css(".docs-sent")).await?.text().await?;
        ensure!(sent.contains("电子邮件"), "sent by email: {sent:?}");
        let fresh = c
            .find(Locator::Css(".docs-freshness"))
            .await?
            .text()
            .await?;
        ensure!(fresh.contains("没有变化"), "current: {fresh:?}");
        let link = c
            .find(Locator::Id("docs-link"))
            .await?
            .prop("value")
            .await?
            .context("the traveler's link")?;
        ensure!(link.contains("/trip/"), "link: {link}");
        c.execute(
            "document.querySelector('.docs-panel').scrollIntoView({block: 'center'});",
            vec![],
        )
        .await?;
        self.shot("trip-documents-booking.png").await?;

        // The traveler's page (no account): the document, the meeting facts highlighted.
        self.sign_out().await?;
        c.set_window_size(900, 1600).await?;
        c.goto(&link).await?;
        self.heading("行前资料").await?;
        let doc = c
            .find(Locator::Css("article.trip-doc"))
            .await?
            .text()
            .await?;
        for expected in [
            "出团通知书",
            "张晓梅（成人）",
            "王建国（成人）",
            "集合时间",
            "集合地点",
            "导游 / 领队",
            "行程安排",
            "第 1 天",
            "电子合同摘要",
            "紧急联系",
        ] {
            ensure!(
                doc.contains(expected),
                "{expected} missing from the document"
            );
        }
        ensure!(
            !doc.contains("11010519491231002X"),
            "no ID number in full on the traveler's page"
        );
        let highlights = c.find_all(Locator::Css(".doc-highlight")).await?;
        ensure!(highlights.len() >= 2, "meeting time and place highlighted");
        self.shot("trip-documents.png").await?;

        // 确认收到: a button, recorded once, thanked.
        self.click(Locator::Css(
            "form[action$='/received'] button[type=submit]",
        ))
        .await?;
        let done = self
            .wait(Locator::Css(".receipt-done"))
            .await?
            .text()
            .await?;
        ensure!(done.contains("谢谢"), "thanked: {done:?}");
        ensure!(
            c.find(Locator::Css("form[action$='/received']"))
                .await
                .is_err(),
            "no second button"
        );

        // The agent sees it received.
        c.set_window_size(1366, 900).await?;
        self.sign_in_as("li.na").await?;
        c.goto(&booking_url).await?;
        let received = self
            .wait(Locator::Css(".docs-received.ok"))
            .await?
            .text()
            .await?;
        ensure!(received.contains("客户已确认收到"), "{received:?}");
        Ok(())
    }
}
