//! The periodic summaries (issue 18 item 3) in a real headless Chromium on `tripdesk demo`:
//! the supervisor 赵敏 opens 周报与月报 from the navigation, picks last month, and reads its
//! figures, causes, rectification tasks and the week's drill on this week's summary; the
//! PDF and Excel links are there. Screenshot `docs/screenshots/summaries.png`.
//!
//! The demo runs on SQLite, or on a fresh PostgreSQL database with `TRIPDESK_TEST_DATABASE_URL`.
//! Needs `apt-get install chromium chromium-driver fonts-noto-cjk` (`scripts/test` does it).

#[path = "common/browser.rs"]
mod chromium;
mod common;

use anyhow::ensure;
use chromium::{start_demo_in_chromium_with, Browser};
use fantoccini::Locator;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demos_weekly_and_monthly_summaries_in_headless_chromium() -> anyhow::Result<()> {
    let mut env = Vec::new();
    let _database = chromium::demo_database(&mut env).await;
    let session = start_demo_in_chromium_with(&env).await?;
    let outcome = session.browser().summaries().await;
    session.finish(outcome).await
}

impl Browser<'_> {
    async fn summaries(&self) -> anyhow::Result<()> {
        let c = self.c;
        c.set_window_size(1280, 1000).await?;
        self.sign_in_as("zhao.min").await?;
        self.click(Locator::Css("nav a[href='/reports']")).await?;
        self.heading("周报与月报").await?;
        // Last month: the second entry of the monthly list (the first is this month).
        self.click(Locator::XPath(
            "(//section[@aria-labelledby='months-h']//ul/li/a)[2]",
        ))
        .await?;
        let page = self.wait(Locator::Css("main")).await?.text().await?;
        for want in [
            "投诉按级别",
            "主要投诉原因",
            "整改任务",
            "改进措施",
            "下载 PDF",
            "下载 Excel",
        ] {
            ensure!(page.contains(want), "{want} missing from the month: {page}");
        }
        // This week: the demo's drill is in it.
        c.goto(&format!("{}/reports", self.base)).await?;
        self.click(Locator::XPath(
            "(//section[@aria-labelledby='weeks-h']//ul/li/a)[1]",
        ))
        .await?;
        let page = self.wait(Locator::Css("main")).await?.text().await?;
        ensure!(
            page.contains(tripdesk_app::demo::DEMO_DRILL_TITLE) && page.contains("本期尚未结束"),
            "this week's drill and its provisional note: {page}"
        );
        c.set_window_size(1280, 1900).await?;
        c.execute("window.scrollTo(0, 0);", vec![]).await?;
        self.shot("summaries.png").await
    }
}
