//! The hotline's pages (issue 17 item 3) in a real headless Chromium on `tripdesk demo` (its
//! day of calls): 李娜 opens 电话 from the navigation — the callback tasks with their clocks,
//! the calls — records a callback, turns an answered call into a ticket with notes (the
//! ticket shows the call on its timeline) and opens the caller's customer page with their
//! calls; 赵敏 reads the answer rate against 95 % and three rings; the administrator's CDR
//! upload refuses a bad file, naming its line, with the file kept as pasted. Screenshots
//! `docs/screenshots/calls*.png`, `customer-calls.png`.
//!
//! Needs `apt-get install chromium chromium-driver fonts-noto-cjk` (`scripts/test` does it).

#[path = "common/browser.rs"]
mod chromium;
mod common;

use anyhow::{ensure, Context};
use chromium::start_demo_in_chromium;
use fantoccini::Locator;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agents_work_the_calls_and_supervisors_read_the_answer_rate() -> anyhow::Result<()> {
    let session = start_demo_in_chromium().await?;
    let outcome = async {
        let b = session.browser();
        let c = b.c;
        b.sign_in_as("li.na").await?;
        b.click(Locator::Css("nav a[href='/calls']")).await?;
        b.heading("电话").await?;
        let tasks = c.find_all(Locator::Css("table.callbacks tbody tr")).await?;
        ensure!(
            tasks.len() == 2,
            "the demo's open callbacks: one caller three times, one once ({})",
            tasks.len()
        );
        let text = c
            .find(Locator::Css("table.callbacks"))
            .await?
            .text()
            .await?;
        ensure!(text.contains("计时中") || text.contains("已超时"), "{text}");
        b.shot("calls.png").await?;

        // Called back.
        c.find(Locator::Css(
            "table.callbacks tbody tr select[name=outcome]",
        ))
        .await?
        .select_by_value("reached")
        .await?;
        let note = c
            .find(Locator::Css("table.callbacks tbody tr input[name=note]"))
            .await?;
        note.send_keys("已回电，客人改约明天").await?;
        b.submit(Locator::Css("table.callbacks tbody tr button[type=submit]"))
            .await?;
        let flash = b
            .wait(Locator::Css("[role=status], .flash"))
            .await?
            .text()
            .await?;
        ensure!(flash.contains("已记录回拨"), "{flash}");
        let left = c.find_all(Locator::Css("table.callbacks tbody tr")).await?;
        ensure!(left.len() == 1, "one task left ({})", left.len());
        b.shot("calls-called-back.png").await?;

        // An answered call made a ticket; refused first, the notes kept.
        b.click(Locator::Css("tr.call-answered a[href$='/ticket']"))
            .await?;
        b.heading("由通话生成工单").await?;
        b.fill("notes", "客人询问黄山两日游老人能否参加，需要无障碍房。")
            .await?;
        b.submit(Locator::Css("form[action$='/ticket'] button[type=submit]"))
            .await?;
        let kept = c
            .find(Locator::Id("notes"))
            .await?
            .prop("value")
            .await?
            .unwrap_or_default();
        ensure!(kept.contains("无障碍房"), "the notes as typed: {kept:?}");
        b.wait(Locator::Css("#form-errors")).await?;
        b.shot("calls-ticket-refused.png").await?;
        b.fill("subject", "黄山两日游老人参团咨询").await?;
        b.submit(Locator::Css("form[action$='/ticket'] button[type=submit]"))
            .await?;
        b.wait(Locator::XPath("//*[contains(., '来电（由通话生成）')]"))
            .await
            .context("the call on the ticket's timeline")?;
        b.shot("calls-ticket-timeline.png").await?;

        // The caller's customer page lists their calls.
        c.goto(&format!("{}/calls", b.base)).await?;
        b.click(Locator::Css("table.calls a[href^='/customers/']"))
            .await?;
        let calls = b.wait(Locator::Css(".customer-calls")).await?;
        c.execute(
            "arguments[0].scrollIntoView();",
            vec![serde_json::to_value(&calls)?],
        )
        .await?;
        let text = calls.text().await?;
        ensure!(text.contains("呼入"), "{text}");
        b.shot("customer-calls.png").await?;

        // The answer rate, for a supervisor.
        b.sign_in_as("zhao.min").await?;
        b.click(Locator::Css("nav a[href='/calls/answer-rate']"))
            .await?;
        b.heading("接通率").await?;
        let text = c.find(Locator::Css("main")).await?.text().await?;
        ensure!(text.contains("95.0 %"), "the target is shown");
        ensure!(text.contains("86.1 %"), "31 of 36 answered: {text}");
        b.shot("calls-answer-rate.png").await?;

        // The CDR upload, for an administrator: a bad file refused, kept as pasted.
        b.sign_in_as("admin").await?;
        c.goto(&format!("{}/calls/answer-rate", b.base)).await?;
        b.fill("csv", "\"\",\"13800138000\",\"4008001234\"").await?;
        b.submit(Locator::Css(
            "form[action='/calls/cdr'] button[type=submit]",
        ))
        .await?;
        let errors = b.wait(Locator::Css("#form-errors")).await?.text().await?;
        ensure!(errors.contains("1"), "the line is named: {errors}");
        let kept = c
            .find(Locator::Id("csv"))
            .await?
            .prop("value")
            .await?
            .unwrap_or_default();
        ensure!(kept.contains("4008001234"), "the file as pasted");
        c.execute("document.getElementById('cdr-h').scrollIntoView();", vec![])
            .await?;
        b.shot("calls-cdr-refused.png").await?;
        Ok(())
    }
    .await;
    session.finish(outcome).await
}
