//! The web chat in two real headless Chromium browsers on `tripdesk demo` (issue 17 item 2):
//! a visitor on the agency's page (`/chat`, the widget embedded with one script tag) and
//! 李娜 at the desk (`/desk/chats`), each in a browser profile of their own. The visitor's
//! start with a wrong phone comes back with the field named and what was typed kept; the
//! chat then waits in 李娜's queue with its clock; she answers with a reply template, the
//! visitor sees it and answers back, she sees that. Screenshots `chat-visitor-refused.png`,
//! `chat-agent.png` and `chat-visitor.png` (390 px wide, as on a phone).
//!
//! Needs `apt-get install chromium chromium-driver fonts-noto-cjk` (`scripts/test` does it).

#[path = "common/browser.rs"]
mod chromium;
mod common;

use anyhow::{ensure, Context};
use chromium::{chromium_client, start_demo_in_chromium, Browser};
use fantoccini::Locator;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visitor_and_an_agent_chat_in_two_browsers() -> anyhow::Result<()> {
    let session = start_demo_in_chromium().await?;
    let profile = tempfile::tempdir()?;
    let agent_client = chromium_client(&session.driver_url, profile.path()).await?;
    let outcome = async {
        let visitor = session.browser();
        let agent = Browser {
            c: &agent_client,
            base: &session.base,
            shots: &session.shots,
        };
        walk(&visitor, &agent).await
    }
    .await;
    let closed = agent_client.close().await;
    session.finish(outcome).await?;
    closed?;
    Ok(())
}

async fn text_of(b: &Browser<'_>, css: &str) -> anyhow::Result<String> {
    Ok(b.wait(Locator::Css(css)).await?.text().await?)
}

/// Waits until the `n`th element matching `css` exists.
async fn wait_count(b: &Browser<'_>, css: &str, n: usize) -> anyhow::Result<()> {
    for _ in 0..150 {
        if b.c.find_all(Locator::Css(css)).await?.len() >= n {
            return Ok(());
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    anyhow::bail!("{n} × {css} did not appear")
}

async fn walk(visitor: &Browser<'_>, agent: &Browser<'_>) -> anyhow::Result<()> {
    visitor.c.set_window_size(390, 844).await?;
    visitor.c.goto(&format!("{}/chat", visitor.base)).await?;
    visitor.click(Locator::Css(".tdc-open")).await?;
    visitor.wait(Locator::Id("tdc-name")).await?;
    visitor.fill("tdc-name", "林小雨").await?;
    visitor.fill("tdc-phone", "12345").await?;
    visitor
        .fill(
            "tdc-message",
            "请问五一大理双廊还有海景房吗？两个大人一个小孩。",
        )
        .await?;
    visitor
        .click(Locator::Css(".tdc-form button[type=submit]"))
        .await?;
    let refused = text_of(visitor, "#tdc-phone-error:not(:empty)").await?;
    ensure!(
        refused.contains("手机") || refused.contains("电话"),
        "{refused}"
    );
    let kept = visitor
        .c
        .find(Locator::Id("tdc-message"))
        .await?
        .prop("value")
        .await?
        .unwrap_or_default();
    ensure!(kept.contains("海景房"), "the message is kept: {kept}");
    visitor.shot("chat-visitor-refused.png").await?;
    visitor.fill("tdc-phone", "13912345678").await?;
    visitor
        .click(Locator::Css(".tdc-form button[type=submit]"))
        .await?;
    visitor.wait(Locator::Css(".tdc-log .tdc-visitor")).await?;

    // 李娜 sees the chat waiting with its clock, answers with a template.
    agent.sign_in_as("li.na").await?;
    agent.c.goto(&format!("{}/desk/chats", agent.base)).await?;
    agent.wait(Locator::Css("#chat-live.on")).await?;
    // The demo's own visitors wait too: 林小雨's is the newest, last of the queue.
    let mine = "//ul[@id='chat-waiting']/li[contains(., '林小雨')]";
    let waiting = agent.wait(Locator::XPath(mine)).await?.text().await?;
    ensure!(waiting.contains("剩余"), "{waiting}");
    agent
        .click(Locator::XPath(&format!("{mine}//button")))
        .await?;
    agent
        .wait(Locator::Css(".chat-panel .chat-line.visitor"))
        .await?;
    let pick = agent
        .wait(Locator::Css(".chat-panel select.chat-template"))
        .await?;
    pick.select_by_index(1).await?;
    let reply = agent
        .c
        .find(Locator::Css(".chat-panel .chat-reply textarea"))
        .await?;
    let templated = reply.prop("value").await?.unwrap_or_default();
    ensure!(
        !templated.is_empty() && !templated.contains("{{"),
        "the template is in the reply box, its names filled in: {templated}"
    );
    reply
        .send_keys(" 五一还有两间海景房，需要帮您预留吗？")
        .await?;
    agent
        .click(Locator::Css(".chat-panel .chat-reply button[type=submit]"))
        .await?;

    // The visitor sees the answer and answers back; 李娜 sees that.
    let answer = text_of(visitor, ".tdc-log .tdc-agent .tdc-text").await?;
    ensure!(answer.contains("海景房"), "{answer}");
    visitor.fill("tdc-say", "好的，帮我留一间，谢谢！").await?;
    visitor
        .click(Locator::Css(".tdc-say button[type=submit]"))
        .await?;
    wait_count(agent, ".chat-panel .chat-line.visitor", 2).await?;
    let last = agent
        .c
        .find_all(Locator::Css(".chat-panel .chat-line.visitor .chat-text"))
        .await?
        .pop()
        .context("the visitor's answer")?
        .text()
        .await?;
    ensure!(last.contains("帮我留一间"), "{last}");
    agent.shot("chat-agent.png").await?;
    wait_count(visitor, ".tdc-log .tdc-visitor", 2).await?;
    visitor.shot("chat-visitor.png").await?;
    Ok(())
}
