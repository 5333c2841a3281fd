//! Chinese search (issue 16) in a real headless Chromium on `tripdesk demo`: an agent types a
//! word in traditional script (導遊) into the search box every staff page carries and presses
//! Enter; the results page finds the demo's tickets written in simplified script (导游) and
//! marks the words in them; a refused query (too long) comes back with the message beside
//! the box and the text as typed. Screenshot `docs/screenshots/search-results.png`.
//!
//! Needs `apt-get install chromium chromium-driver fonts-noto-cjk` (`scripts/test` does it).

#[path = "common/browser.rs"]
mod chromium;
mod common;

use anyhow::{ensure, Context};
use chromium::start_demo_in_chromium;
use fantoccini::key::Key;
use fantoccini::Locator;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_traditional_word_finds_simplified_tickets_from_the_header_box() -> anyhow::Result<()> {
    let session = start_demo_in_chromium().await?;
    let outcome = async {
        let b = session.browser();
        let c = b.c;
        b.sign_in_as("li.na").await?;
        c.goto(&format!("{}/desk", b.base)).await?;
        b.fill("topsearch-q", "導遊").await?;
        c.execute("document.documentElement.dataset.left = '1';", vec![])
            .await?;
        c.find(Locator::Id("topsearch-q"))
            .await?
            .send_keys(&Key::Enter.to_string())
            .await?;
        b.wait(Locator::Css("html:not([data-left]) #search-results"))
            .await
            .context("Enter in the header box opens the search page")?;
        let marks: Vec<String> = {
            let mut out = Vec::new();
            for m in c.find_all(Locator::Css(".search-hits mark")).await? {
                out.push(m.text().await?);
            }
            out
        };
        ensure!(
            !marks.is_empty(),
            "導遊 finds the demo's tickets about 导游"
        );
        ensure!(
            marks.iter().all(|m| m == "导游" || m == "導遊"),
            "the marks are the word as written: {marks:?}"
        );
        let value = c
            .find(Locator::Id("q"))
            .await?
            .prop("value")
            .await?
            .unwrap_or_default();
        ensure!(value == "導遊", "the box keeps what was typed: {value:?}");
        b.shot("search-results.png").await?;

        // Too long: refused beside the box, the text kept as typed.
        let long = "退款".repeat(60);
        c.goto(&format!("{}/search?q={long}", b.base)).await?;
        let error = b.wait(Locator::Css("#q-error")).await?.text().await?;
        ensure!(!error.is_empty(), "a message names what is wrong");
        ensure!(
            !error.chars().any(|ch| ch.is_ascii_alphabetic()),
            "the message is in Chinese: {error:?}"
        );
        Ok(())
    }
    .await;
    session.finish(outcome).await
}
