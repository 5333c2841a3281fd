//! The manual-handling list (issue 15 item 3) in a real headless Chromium on `tripdesk demo`:
//! the leader 赵敏 opens it from the bookings list, sees today's arrivals, departures and
//! pending bookings with names and phones, moves a day on and back, and the page's print
//! rules hide the navigation and repeat the tables' header. Screenshot
//! `docs/screenshots/manual-list.png`.
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
async fn the_manual_handling_list_of_the_demo_in_headless_chromium() -> anyhow::Result<()> {
    let mut env = Vec::new();
    let _database = chromium::demo_database(&mut env).await;
    let session = start_demo_in_chromium_with(&env).await?;
    let outcome = session.browser().manual_list().await;
    session.finish(outcome).await
}

impl Browser<'_> {
    async fn manual_list(&self) -> anyhow::Result<()> {
        let c = self.c;
        c.set_window_size(1280, 1000).await?;
        self.sign_in_as("zhao.min").await?;
        c.goto(&format!("{}/bookings", self.base)).await?;
        self.click(Locator::Css("a[href='/bookings/manual-list']"))
            .await?;
        self.heading("人工处理名单").await?;
        let doc = self
            .wait(Locator::Css("article.trip-doc"))
            .await?
            .text()
            .await?;
        for want in [
            "到达（入住、出发）",
            "离开（退房、返程）",
            "待处理（待确认、待付款）",
            "确认号",
            "电话",
            "应收",
        ] {
            ensure!(doc.contains(want), "{want} missing from the list: {doc}");
        }
        let rows = c
            .find_all(Locator::Css("article.trip-doc table.doc-table tbody tr"))
            .await?;
        ensure!(!rows.is_empty(), "the demo's day has bookings: {doc}");
        // The supervisor may reveal: full mobiles, no masks.
        ensure!(
            !doc.contains("****"),
            "phones in full for the supervisor: {doc}"
        );
        // The print rules: no navigation, the header a table-header-group.
        let printed: String = c
            .execute(
                "const css = [...document.styleSheets].flatMap(s => [...s.cssRules]);
                 const print = css.filter(r => r.media && [...r.media].includes('print')).map(r => r.cssText).join(' ');
                 const page = css.filter(r => r.type === 6).map(r => r.cssText).join(' ');
                 return print + ' ' + page;",
                vec![],
            )
            .await?
            .as_str()
            .unwrap_or_default()
            .to_lowercase();
        for want in [
            ".sidebar",
            "table-header-group",
            "break-inside: avoid",
            "size: a4",
        ] {
            ensure!(
                printed.contains(want),
                "{want} missing from the print rules: {printed}"
            );
        }
        let day = self
            .wait(Locator::Id("date"))
            .await?
            .prop("value")
            .await?
            .unwrap_or_default();
        self.click(Locator::XPath(
            "//a[contains(@href,'/bookings/manual-list?date=') and contains(., '后一天')]",
        ))
        .await?;
        let next = self
            .wait(Locator::Id("date"))
            .await?
            .prop("value")
            .await?
            .unwrap_or_default();
        ensure!(next > day, "the next day: {day} → {next}");
        self.click(Locator::XPath(
            "//a[contains(@href,'/bookings/manual-list?date=') and contains(., '前一天')]",
        ))
        .await?;
        let back = self
            .wait(Locator::Id("date"))
            .await?
            .prop("value")
            .await?
            .unwrap_or_default();
        ensure!(back == day, "back to {day}: {back}");
        c.set_window_size(1280, 1400).await?;
        c.execute("window.scrollTo(0, 0);", vec![]).await?;
        self.shot("manual-list.png").await
    }
}
