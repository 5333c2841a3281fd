//! Feedback classification and staff assessment (issue 18 items 2 and 4) in a real headless
//! Chromium on `tripdesk demo`: 赵敏 (supervisor) opens 员工考核 — last month closed with its
//! results per department and agent, rewards and corrections, trainings — then 反馈分析, the
//! classified complaints and survey comments, and corrects one (the flash says the classifier
//! learned), and sees the classification on a ticket's page; 李娜 (agent) rates herself in
//! this month's open assessment. Screenshots `docs/screenshots/assessment.png`,
//! `assessment-rate.png`, `feedback.png`, `feedback-ticket.png`.
//!
//! Needs `apt-get install chromium chromium-driver fonts-noto-cjk` (`scripts/test` does it).

#[path = "common/browser.rs"]
mod chromium;
mod common;

use anyhow::{ensure, Context};
use chromium::start_demo_in_chromium;
use fantoccini::Locator;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn supervisors_read_the_assessment_and_correct_feedback() -> anyhow::Result<()> {
    let session = start_demo_in_chromium().await?;
    let outcome = async {
        let b = session.browser();
        let c = b.c;
        b.sign_in_as("zhao.min").await?;
        b.click(Locator::Css("nav a[href='/assessment']")).await?;
        b.heading("员工月度考核").await?;
        let months = c
            .find_all(Locator::Css("table.assessment-months tbody tr"))
            .await?;
        ensure!(
            months.len() == 2,
            "last month and this one ({})",
            months.len()
        );
        // Newest first: this month (open), then last month (closed).
        b.click(Locator::Css(
            "table.assessment-months tbody tr:nth-child(2) a",
        ))
        .await?;
        let state = b
            .wait(Locator::Css("[data-cycle-state]"))
            .await?
            .text()
            .await?;
        ensure!(state.contains("已结束"), "last month is closed: {state}");
        let agents = c
            .find_all(Locator::Css("table.assessment-agents tbody tr"))
            .await?;
        ensure!(agents.len() == 10, "ten assessed staff ({})", agents.len());
        let mut scores = Vec::new();
        for row in &agents {
            let score = row.find(Locator::Css("[data-score]")).await?.text().await?;
            scores.push(score.parse::<f64>().context("every agent is scored")?);
        }
        ensure!(
            scores.windows(2).all(|w| w[0] >= w[1]),
            "the best first: {scores:?}"
        );
        let page = c.find(Locator::Css("main")).await?.text().await?;
        for expected in [
            "客服部",
            "月度服务之星",
            "餐饮投诉整改",
            "投诉处理与情绪安抚",
        ] {
            ensure!(page.contains(expected), "{expected} on the page");
        }
        b.shot("assessment.png").await?;

        // The classified feedback; one corrected.
        b.click(Locator::Css("nav a[href='/feedback']")).await?;
        b.heading("反馈分类").await?;
        let rows = c.find_all(Locator::Css("table.feedback tbody tr")).await?;
        ensure!(!rows.is_empty(), "classified feedback listed");
        b.shot("feedback.png").await?;
        c.find(Locator::Css(
            "table.feedback tbody tr:first-child details.feedback-correct summary",
        ))
        .await?
        .click()
        .await?;
        let safety = c
            .find(Locator::Css(
                "table.feedback tbody tr:first-child input[name=categories][value=safety]",
            ))
            .await?;
        if !safety.is_selected().await? {
            safety.click().await?;
        }
        b.submit(Locator::Css(
            "table.feedback tbody tr:first-child form[data-feedback-correct] button[type=submit]",
        ))
        .await?;
        let flash = b
            .wait(Locator::Css("[role=status], .flash"))
            .await?
            .text()
            .await?;
        ensure!(flash.contains("分类已更正"), "{flash}");
        let row = c
            .find(Locator::Css("table.feedback tbody tr:first-child"))
            .await?
            .text()
            .await?;
        ensure!(row.contains("安全") && row.contains("已更正"), "{row}");

        // The ticket's page shows its classification with the same control.
        b.click(Locator::Css(
            "table.feedback tbody tr:first-child a[href^='/desk/tickets/']",
        ))
        .await?;
        let panel = b
            .wait(Locator::Css("[data-feedback-panel]"))
            .await
            .context("the classification on the ticket page")?;
        c.execute(
            "arguments[0].scrollIntoView({block: 'center'});",
            vec![serde_json::to_value(&panel)?],
        )
        .await?;
        ensure!(panel.text().await?.contains("安全"));
        b.shot("feedback-ticket.png").await?;

        // An agent rates herself in this month's open assessment.
        b.sign_in_as("li.na").await?;
        b.click(Locator::Css("nav a[href='/assessment']")).await?;
        b.click(Locator::Css(
            "table.assessment-months tbody tr:first-child a",
        ))
        .await?;
        let form = b.wait(Locator::Css("form[data-rate-form]")).await?;
        let me = c
            .find(Locator::XPath(
                "//select[@id='ratee_id']/option[contains(., '李娜')]",
            ))
            .await?
            .attr("value")
            .await?
            .unwrap_or_default();
        c.find(Locator::Id("ratee_id"))
            .await?
            .select_by_value(&me)
            .await?;
        c.find(Locator::Id("kind"))
            .await?
            .select_by_value("self")
            .await?;
        for criterion in [
            "satisfaction",
            "response_time",
            "problem_solving",
            "product_knowledge",
            "communication",
        ] {
            c.find(Locator::Css(&format!("select[name={criterion}]")))
                .await?
                .select_by_value("4")
                .await?;
        }
        b.fill("comment", "本月加强了产品知识学习").await?;
        c.execute(
            "arguments[0].scrollIntoView();",
            vec![serde_json::to_value(&form)?],
        )
        .await?;
        b.submit(Locator::Css("form[data-rate-form] button[type=submit]"))
            .await?;
        let flash = b
            .wait(Locator::Css("[role=status], .flash"))
            .await?
            .text()
            .await?;
        ensure!(flash.contains("评分已保存"), "{flash}");
        let mine = c.find(Locator::Css("main")).await?.text().await?;
        ensure!(mine.contains("4 / 4 / 4 / 4 / 4"), "my rating listed");
        ensure!(
            c.find_all(Locator::Css("table.assessment-agents"))
                .await?
                .is_empty(),
            "an agent does not see the results"
        );
        b.shot("assessment-rate.png").await?;
        Ok(())
    }
    .await;
    session.finish(outcome).await
}
