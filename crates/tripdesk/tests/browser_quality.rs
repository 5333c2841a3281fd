//! The service-quality dashboard and the public commitments page (issue 18 items 1 and 5) in
//! a real headless Chromium on `tripdesk demo`: 赵敏 opens 服务质量 from the navigation — a
//! card per commitment with its target, this month's figure, the verdict and the trend
//! drawn as SVG with Chinese labels — opens the clocks behind the email figure, and filters
//! by channel (figures without that dimension say so); the administrator changes the four
//! figures the demo publishes to three; a visitor without an account reads /commitments with the deadlines, the refund
//! tiers, the complaint channels, the consumer-rights notice and the published figures.
//! Screenshots `docs/screenshots/quality-dashboard.png`, `quality-cases.png`,
//! `commitments.png`.
//!
//! Needs `apt-get install chromium chromium-driver fonts-noto-cjk` (`scripts/test` does it).

#[path = "common/browser.rs"]
mod chromium;
mod common;

use anyhow::{ensure, Context};
use chromium::start_demo_in_chromium;
use fantoccini::Locator;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn supervisors_read_the_dashboard_and_visitors_the_commitments() -> anyhow::Result<()> {
    let session = start_demo_in_chromium().await?;
    let outcome = async {
        let b = session.browser();
        let c = b.c;
        b.sign_in_as("zhao.min").await?;
        b.click(Locator::Css("nav a[href='/quality']")).await?;
        b.heading("服务质量看板").await?;
        let cards = c.find_all(Locator::Css(".kpi-card")).await?;
        ensure!(cards.len() == 14, "a card per commitment ({})", cards.len());
        let charts = c.find_all(Locator::Css(".kpi-card svg.chart")).await?;
        ensure!(
            charts.len() == 14,
            "a chart per commitment ({})",
            charts.len()
        );
        let text = c.find(Locator::Css("main")).await?.text().await?;
        for label in [
            "电话接通率",
            "预订系统可用率",
            "投诉率（每百单）",
            "≥ 95%",
            "较上期下降 20%",
        ] {
            ensure!(text.contains(label), "{label} on the dashboard");
        }
        let uptime = c
            .find(Locator::Css("#kpi-uptime .kpi-value"))
            .await?
            .text()
            .await?;
        ensure!(
            uptime.ends_with('%') && uptime != "—",
            "uptime measured: {uptime}"
        );
        c.set_window_size(1366, 2000).await?;
        b.shot("quality-dashboard.png").await?;
        c.set_window_size(1366, 900).await?;

        // The clocks behind the email figure.
        b.click(Locator::Css("#kpi-first_response_email .kpi-link a"))
            .await?;
        b.wait(Locator::XPath("//h1[contains(., '明细')]"))
            .await
            .context("the cases page")?;
        b.shot("quality-cases.png").await?;

        // By channel: the booking figures have no channel.
        c.goto(&format!("{}/quality?channel=email", b.base)).await?;
        let note = c
            .find(Locator::Css("#kpi-complaint_rate"))
            .await?
            .text()
            .await?;
        ensure!(note.contains("筛选维度"), "not applicable said: {note}");

        // The administrator publishes three figures.
        b.sign_in_as("admin").await?;
        c.goto(&format!("{}/quality", b.base)).await?;
        ensure!(
            c.find_all(Locator::Css("#publish input:checked"))
                .await?
                .len()
                == 4,
            "the demo publishes four figures"
        );
        c.execute(
            "document.querySelectorAll('#publish input[name=kpi]').forEach(i => { \
             i.checked = ['answer_rate', 'uptime', 'satisfaction'].includes(i.value); });",
            vec![],
        )
        .await?;
        b.submit(Locator::Css(
            "form[action='/quality/public'] button[type=submit]",
        ))
        .await?;
        let flash = b
            .wait(Locator::Css("[role=status], .flash"))
            .await?
            .text()
            .await?;
        ensure!(flash.contains("已更新公开指标"), "{flash}");

        // A visitor without an account.
        b.sign_out().await?;
        c.goto(&format!("{}/commitments", b.base)).await?;
        b.heading("服务承诺").await?;
        let text = c.find(Locator::Css("main")).await?.text().await?;
        for part in [
            "电话首次响应",
            "邮件首次回复",
            "旅游者与旅游经营者发生纠纷",
            "消费者权益保护法",
            "12301",
            "出发当日",
            "电话接通率",
            "预订系统可用率",
        ] {
            ensure!(text.contains(part), "{part} on the commitments page");
        }
        // The agency's own duties are not promises to travelers.
        for internal in ["处理结果反馈受理部门", "入住登记", "突发事件首报主管部门"]
        {
            ensure!(
                !text.contains(internal),
                "{internal} on the commitments page"
            );
        }
        let figures = c.find_all(Locator::Css(".commit-figure")).await?;
        ensure!(
            figures.len() == 3,
            "the three published ({})",
            figures.len()
        );
        c.set_window_size(1366, 2600).await?;
        b.shot("commitments.png").await?;
        c.set_window_size(1366, 900).await?;
        Ok(())
    }
    .await;
    session.finish(outcome).await
}
