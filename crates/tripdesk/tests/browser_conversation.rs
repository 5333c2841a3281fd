//! One conversation per customer and the mailboxes page (issue 17) in a real headless Chromium
//! on `tripdesk demo`: the supervisor 赵敏 finds 周婷 — a returning customer of the demo desk
//! who is waiting in a web chat — opens her conversation from her page and sees her tickets'
//! messages and her chat on one list with their channels; the administrator adds a mailbox
//! whose server does not answer, polls it and sees the error in the server's words.
//! Screenshots `docs/screenshots/conversation.png` and `docs/screenshots/mailboxes.png`.
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
async fn a_customers_conversation_and_the_mailboxes_in_headless_chromium() -> anyhow::Result<()> {
    let mut env = Vec::new();
    let _database = chromium::demo_database(&mut env).await;
    let session = start_demo_in_chromium_with(&env).await?;
    let outcome = async {
        session.browser().conversation().await?;
        session.browser().mailboxes().await
    }
    .await;
    session.finish(outcome).await
}

impl Browser<'_> {
    async fn conversation(&self) -> anyhow::Result<()> {
        let c = self.c;
        c.set_window_size(1280, 1100).await?;
        self.sign_in_as("zhao.min").await?;
        c.goto(&format!("{}/customers?q=%E5%91%A8%E5%A9%B7", self.base))
            .await?;
        self.click(Locator::LinkText("周婷")).await?;
        self.heading("周婷").await?;
        self.click(Locator::Css("a[data-conversation-link]"))
            .await?;
        let list = self
            .wait(Locator::Css("ol[data-conversation]"))
            .await?
            .text()
            .await?;
        ensure!(
            list.contains("三亚五日亲子游可以带一岁的宝宝吗"),
            "her chat's first message: {list}"
        );
        ensure!(
            list.contains("在线客服"),
            "the chat's channel named: {list}"
        );
        let tickets = c
            .find_all(Locator::Css(
                "ol[data-conversation] a[href^='/desk/tickets/']",
            ))
            .await?;
        ensure!(
            !tickets.is_empty(),
            "her demo tickets' messages are on the same list: {list}"
        );
        c.execute("window.scrollTo(0, 0);", vec![]).await?;
        self.shot("conversation.png").await?;
        self.sign_out().await
    }

    async fn mailboxes(&self) -> anyhow::Result<()> {
        let c = self.c;
        self.sign_in_as("admin").await?;
        c.goto(&format!("{}/", self.base)).await?;
        self.click(Locator::Css("nav a[href='/channels/mailboxes']"))
            .await?;
        self.heading("收件邮箱（IMAP）").await?;
        // A server on loopback that does not answer (port 9: discard, closed here).
        self.fill("name", "客服信箱").await?;
        self.fill("host", "127.0.0.1").await?;
        self.fill("port", "9").await?;
        c.find(Locator::Id("tls")).await?.click().await?;
        self.fill("username", "support@agency.test").await?;
        self.fill("password", "imap-secret").await?;
        self.submit(Locator::Css(
            "form[action='/channels/mailboxes'] button[type=submit]",
        ))
        .await?;
        let table = self
            .wait(Locator::Css("table[data-mailboxes]"))
            .await?
            .text()
            .await?;
        ensure!(
            table.contains("客服信箱") && table.contains("127.0.0.1:9"),
            "the mailbox listed: {table}"
        );
        self.submit(Locator::XPath(
            "//table[@data-mailboxes]//button[contains(., '立即读取')]",
        ))
        .await?;
        // The poll is a job: reload until it has run and recorded why it failed.
        let mut error = String::new();
        for _ in 0..40 {
            c.goto(&format!("{}/channels/mailboxes", self.base)).await?;
            if let Ok(e) = c.find(Locator::Css("[data-mailbox-error]")).await {
                error = e.text().await?;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        }
        ensure!(
            error.contains("connect"),
            "the poll's error in the server's words: {error:?}"
        );
        self.shot("mailboxes.png").await
    }
}
