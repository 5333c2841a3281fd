//! Cancellation policies as dated data (issue 14 item 6) in a real headless Chromium on
//! `tripdesk demo`: a supervisor opens a tour package from the departures calendar, sees the
//! 2014 model contract in force (no version of its own yet), adds a version with its own
//! tiers from today, and the page shows it in force tier by tier and in the versions; on the
//! homestay's page, opened from the room-status grid, a room type gets a preset of its own.
//! Screenshots `docs/screenshots/policies-{package,package-added,property}.png`: the form
//! filled, the version in force among the versions, the room types with their policies.
//!
//! Needs `apt-get install chromium chromium-driver fonts-noto-cjk` (`scripts/test` does it).

#[path = "common/browser.rs"]
mod chromium;
mod common;

use anyhow::{ensure, Context};
use chromium::start_demo_in_chromium;
use fantoccini::Locator;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_packages_policy_version_added_from_its_page_in_headless_chromium() -> anyhow::Result<()>
{
    let session = start_demo_in_chromium().await?;
    let outcome = async {
        let b = session.browser();
        let c = b.c;
        b.sign_in_as("zhao.min").await?;
        // The demo's departures are in the coming months: next month's calendar.
        let month = jiff::Zoned::now()
            .checked_add(jiff::Span::new().days(31))?
            .strftime("%Y-%m")
            .to_string();
        c.goto(&format!("{}/bookings/departures?month={month}", b.base))
            .await?;
        b.click(Locator::Css(
            "table.departures a[href^='/bookings/packages/']",
        ))
        .await
        .context("a departure links to its package")?;
        b.wait(Locator::Css("[data-policy-in-force]")).await?;
        let in_force = c
            .find(Locator::Css("[data-policy-in-force]"))
            .await?
            .text()
            .await?;
        // A domestic package follows the model contract; the demo's outbound ones have a
        // version of their own.
        ensure!(
            (in_force.contains("默认规则") && in_force.contains("GF-2014-24"))
                || (in_force.contains("出境团退改规则") && in_force.contains("本产品自有规则")),
            "the model contract, or the demo's outbound version, applies: {in_force:?}"
        );
        b.fill("name", "本线路 2027 春季退改规则").await?;
        for (row, days, percent) in [
            (0, "15", "0"),
            (1, "7", "20"),
            (2, "3", "40"),
            (3, "0", "70"),
        ] {
            b.fill(&format!("tiers_{row}_days_before"), days).await?;
            b.fill(&format!("tiers_{row}_percent"), percent).await?;
        }
        c.execute(
            "document.getElementById('policy-form').scrollIntoView({block: 'start'});",
            vec![],
        )
        .await?;
        b.shot("policies-package.png").await?;
        b.click(Locator::Css("form.policy-form button[type=submit]"))
            .await?;
        let flash = b.wait(Locator::Css(".flash")).await?.text().await?;
        ensure!(flash.contains("已新增退改规则版本"), "flash: {flash:?}");
        let in_force = c
            .find(Locator::Css("[data-policy-in-force]"))
            .await?
            .text()
            .await?;
        ensure!(
            in_force.contains("本线路 2027 春季退改规则")
                && in_force.contains("本产品自有规则")
                && in_force.contains("出发前 6 日至 3 日"),
            "the version is in force from today: {in_force:?}"
        );
        ensure!(
            c.find(Locator::Css("table.policy-history tr[data-state=in_force]"))
                .await
                .is_ok(),
            "the versions mark it in force"
        );
        c.execute(
            "document.querySelector('section.policy-in-force').scrollIntoView({block: 'start'});",
            vec![],
        )
        .await?;
        b.shot("policies-package-added.png").await?;

        // The homestay's page from the room-status grid.
        c.goto(&format!("{}/bookings/rooms", b.base)).await?;
        b.click(Locator::Css("a[href^='/bookings/properties/']"))
            .await
            .context("the grid links to the property's policy")?;
        b.wait(Locator::Css("table.policy-room-types")).await?;
        let preset = c.find(Locator::Css(".policy-preset")).await?.text().await?;
        ensure!(preset.contains("免费"), "the lodging preset: {preset:?}");
        // The first room type gets a preset of its own: non-refundable.
        let room_type = c
            .find(Locator::Css("#applies_to option:nth-child(2)"))
            .await?;
        let name = room_type.text().await?;
        room_type.click().await?;
        b.fill("name", "节假日不可退").await?;
        c.find(Locator::Css("#lodging_kind option[value=non_refundable]"))
            .await?
            .click()
            .await?;
        b.click(Locator::Css("form.policy-form button[type=submit]"))
            .await?;
        let flash = b.wait(Locator::Css(".flash")).await?.text().await?;
        ensure!(flash.contains("已新增退改规则版本"), "flash: {flash:?}");
        let types = c
            .find(Locator::Css("table.policy-room-types"))
            .await?
            .text()
            .await?;
        let row = types
            .lines()
            .find(|l| l.contains(&name))
            .unwrap_or_default()
            .to_string();
        ensure!(
            row.contains("节假日不可退") && row.contains("本产品自有规则"),
            "the room type has its own preset: {types:?}"
        );
        c.execute(
            "document.querySelector('table.policy-room-types').scrollIntoView({block: 'center'});",
            vec![],
        )
        .await?;
        b.shot("policies-property.png").await
    }
    .await;
    session.finish(outcome).await
}
