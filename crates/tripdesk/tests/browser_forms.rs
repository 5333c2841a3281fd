//! The staff forms in a real headless Chromium: a refused `/desk/new` comes back with every
//! field as typed and a Chinese message naming the form's own label; after each action
//! (a ticket created, a level changed, a note posted, a customer field revealed) the browser
//! is on a page that is safe to reload, with one flash message that a reload does not repeat
//! (nor the action: no second note, no second audited reveal); an action's address opened
//! by hand shows its page, not "405". Screenshots: `docs/screenshots/forms-*.png`.
//!
//! Needs `apt-get install chromium chromium-driver fonts-noto-cjk` (`scripts/test` does it).

mod common;

use std::path::Path;
use std::time::Duration;

use anyhow::{ensure, Context};
use common::chromium::*;
use fantoccini::{Client, Locator};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forms_keep_what_was_typed_and_actions_redirect_in_headless_chromium() -> anyhow::Result<()>
{
    let session = start_demo_in_chromium().await?;
    let b = B {
        c: &session.client,
        base: &session.base,
        shots: &session.shots,
    };
    let outcome = async {
        b.desk_new_keeps_what_was_typed().await?;
        b.reveal_is_not_repeated_on_reload().await
    }
    .await;
    session.finish(outcome).await
}

struct B<'a> {
    c: &'a Client,
    base: &'a str,
    shots: &'a Path,
}

impl B<'_> {
    async fn desk_new_keeps_what_was_typed(&self) -> anyhow::Result<()> {
        let c = self.c;
        self.sign_in_as("li.na").await?;
        c.goto(&format!("{}/desk/new", self.base)).await?;
        self.heading("新建工单").await?;
        let typed = [
            ("customer_name", "钱多多"),
            ("customer_phone", "abc"),
            ("subject", "酒店未按约定升级房型"),
            (
                "description",
                "客户来电：入住时酒店称无升级记录。已记录订单号与前台姓名，等待回电。",
            ),
            ("booking_ref", "BK-2026-0412"),
        ];
        for (id, value) in typed {
            self.fill(id, value).await?;
        }
        c.find(Locator::Id("kind"))
            .await?
            .select_by_label("投诉")
            .await?;
        c.find(Locator::Id("level"))
            .await?
            .select_by_label("紧急")
            .await?;
        self.submit("form[action='/desk/tickets']").await?;
        let errors = self.wait(Locator::Id("form-errors")).await?.text().await?;
        ensure!(
            errors.contains("客户电话") && errors.contains("无法识别"),
            "the phone's error names the form's label in Chinese: {errors:?}"
        );
        ensure!(
            !errors.is_ascii() && !errors.contains("phone number"),
            "no English sentence: {errors:?}"
        );
        for (id, value) in typed {
            let now = self.value(id).await?;
            ensure!(now == value, "{id} came back as {now:?}, typed {value:?}");
        }
        ensure!(
            self.value("kind").await? == "complaint",
            "the kind was reset"
        );
        ensure!(
            self.value("level").await? == "urgent",
            "the level was reset"
        );
        let beside = self
            .wait(Locator::Css("#customer_phone + .field-error"))
            .await?
            .text()
            .await?;
        ensure!(
            beside.contains("客户电话"),
            "message beside the field: {beside:?}"
        );
        self.shot("forms-desk-new-kept.png").await?;

        // Corrected, it is created; the browser is on the ticket with one message.
        self.fill("customer_phone", "13812345678").await?;
        self.submit("form[action='/desk/tickets']").await?;
        self.heading("酒店未按约定升级房型").await?;
        let ticket = self.path().await?;
        ensure!(
            ticket.starts_with("/desk/tickets/") && ticket.matches('/').count() == 3,
            "after creating: {ticket}"
        );
        ensure!(
            self.flash().await?.as_deref() == Some("工单已创建。"),
            "no creation message"
        );
        self.reload_same(&ticket).await?;
        ensure!(
            self.flash().await?.is_none(),
            "the message came again on reload"
        );

        // A level change: its message, then a reload that changes nothing.
        self.fill("level-reason", "客户情绪激动，升级处理").await?;
        c.find(Locator::Id("new-level"))
            .await?
            .select_by_label("重要")
            .await?;
        self.submit("form[data-level-change]").await?;
        self.wait(Locator::Css("[data-flash=done]")).await?;
        ensure!(self.path().await? == ticket, "after the level change");
        let events = self.timeline_len().await?;
        self.shot("forms-level-flash.png").await?;
        self.reload_same(&ticket).await?;
        ensure!(
            self.timeline_len().await? == events,
            "the reload repeated the change"
        );

        // An internal note: posted once, whatever the reloads.
        c.find(Locator::Css("input[name=kind][value=note]"))
            .await?
            .click()
            .await?;
        self.fill("reply-body", "已致电酒店前台，等待经理回电。")
            .await?;
        self.submit("form.reply-box").await?;
        self.wait(Locator::Css("[data-flash=done]")).await?;
        ensure!(self.path().await? == ticket, "after the note");
        let events = self.timeline_len().await?;
        self.reload_same(&ticket).await?;
        self.reload_same(&ticket).await?;
        ensure!(
            self.timeline_len().await? == events,
            "the reload posted the note again"
        );

        // A step (triage, with a level): its message names it; a reload takes it again never.
        c.find(Locator::Id("step"))
            .await?
            .select_by_label("初步评估")
            .await?;
        c.find(Locator::Id("level"))
            .await?
            .select_by_label("紧急")
            .await?;
        self.submit("form[action$='/step']").await?;
        let done = self
            .wait(Locator::Css("[data-flash=done]"))
            .await?
            .text()
            .await?;
        ensure!(done.contains("初步评估"), "the step's message: {done:?}");
        ensure!(self.path().await? == ticket, "after the step");
        let events = self.timeline_len().await?;
        self.reload_same(&ticket).await?;
        ensure!(
            self.timeline_len().await? == events,
            "the reload took the step again"
        );
        ensure!(
            self.flash().await?.is_none(),
            "the step's message came again"
        );

        // An action's address opened by hand (or from history) shows the ticket, not 405.
        for action in ["step", "messages", "level", "convert", "surveys"] {
            c.goto(&format!("{}{ticket}/{action}", self.base)).await?;
            self.heading("酒店未按约定升级房型").await?;
            ensure!(self.path().await? == ticket, "GET {action}");
        }
        Ok(())
    }

    async fn reveal_is_not_repeated_on_reload(&self) -> anyhow::Result<()> {
        let c = self.c;
        self.sign_in_as("zhao.min").await?;
        let before = self.reveals_in_audit().await?;
        c.goto(&format!("{}/customers?q=13905711234", self.base))
            .await?;
        c.find(Locator::LinkText("王建国")).await?.click().await?;
        self.heading("王建国").await?;
        let page = self.path().await?;
        c.find(Locator::Css("td[data-kind=phone] + td input[name=reason]"))
            .await?
            .send_keys("核对回访号码")
            .await?;
        self.submit("td[data-kind=phone] + td form").await?;
        let shown = self
            .wait(Locator::Css("strong.revealed"))
            .await?
            .text()
            .await?;
        ensure!(shown == "+8613905711234", "revealed {shown:?}");
        let url = c.current_url().await?;
        ensure!(url.path() == page, "after the reveal: {url}");
        ensure!(
            !url.as_str().contains("13905711234") && !url.as_str().contains("reveal"),
            "no personal data nor the action in the address: {url}"
        );
        self.shot("forms-reveal-once.png").await?;
        self.reload_same(&page).await?;
        ensure!(
            c.find(Locator::Css("strong.revealed")).await.is_err(),
            "the reload showed the value again"
        );
        ensure!(
            c.find(Locator::Css("[role=alert]")).await.is_err(),
            "the reload shows an error"
        );
        let body = c.find(Locator::Css("main")).await?.text().await?;
        ensure!(
            body.contains("139****1234"),
            "masked again after the reload"
        );
        self.shot("forms-reveal-reloaded.png").await?;
        let after = self.reveals_in_audit().await?;
        ensure!(
            after == before + 1,
            "one audited reveal, whatever the reloads: {before} then {after}"
        );
        Ok(())
    }

    /// The rows of the audit log that are reveals (`customer.reveal`).
    async fn reveals_in_audit(&self) -> anyhow::Result<usize> {
        self.c
            .goto(&format!("{}/audit?action=customer.reveal", self.base))
            .await?;
        self.heading("审计日志").await?;
        let table = self.wait(Locator::Id("audit-table")).await?;
        Ok(table.find_all(Locator::Css("tbody tr")).await?.len())
    }

    async fn timeline_len(&self) -> anyhow::Result<usize> {
        Ok(self
            .c
            .find_all(Locator::Css("ol.timeline > li"))
            .await?
            .len())
    }

    /// Reloads and checks the page came back at the same path (no 405, no resubmission).
    async fn reload_same(&self, path: &str) -> anyhow::Result<()> {
        self.c.refresh().await?;
        self.wait(Locator::Css("main h1")).await?;
        let now = self.path().await?;
        ensure!(now == path, "reloaded to {now}, expected {path}");
        let body = self.c.find(Locator::Css("body")).await?.text().await?;
        ensure!(!body.contains("405"), "the reload shows 405");
        Ok(())
    }

    async fn flash(&self) -> anyhow::Result<Option<String>> {
        match self.c.find(Locator::Css("[data-flash]")).await {
            Ok(e) => Ok(Some(e.text().await?)),
            Err(_) => Ok(None),
        }
    }

    async fn path(&self) -> anyhow::Result<String> {
        Ok(self.c.current_url().await?.path().to_string())
    }

    async fn value(&self, id: &str) -> anyhow::Result<String> {
        Ok(self
            .c
            .find(Locator::Id(id))
            .await?
            .prop("value")
            .await?
            .unwrap_or_default())
    }

    async fn submit(&self, form: &str) -> anyhow::Result<()> {
        let before = self.c.find(Locator::Css("html")).await?;
        self.c
            .find(Locator::Css(&format!("{form} button[type=submit]")))
            .await?
            .click()
            .await?;
        // The next page has arrived when the old document is gone (bounded polling).
        let deadline = std::time::Instant::now() + STEP;
        while before.tag_name().await.is_ok() {
            ensure!(std::time::Instant::now() < deadline, "{form}: no new page");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(())
    }

    async fn sign_in_as(&self, username: &str) -> anyhow::Result<()> {
        let c = self.c;
        c.goto(&format!("{}/", self.base)).await?;
        if let Ok(out) = c.find(Locator::Css("form[action='/logout'] button")).await {
            out.click().await?;
        }
        self.wait(Locator::Id("username")).await?;
        self.fill("username", username).await?;
        self.fill("password", "tripdesk-demo").await?;
        self.submit("form").await?;
        self.heading("欢迎回来").await
    }

    async fn wait(&self, what: Locator<'_>) -> anyhow::Result<fantoccini::elements::Element> {
        let found = self.c.wait().at_most(STEP).for_element(what).await;
        let url = self.c.current_url().await.map(|u| u.to_string());
        found.with_context(|| format!("waiting for {what:?} on {url:?}"))
    }

    async fn heading(&self, text: &str) -> anyhow::Result<()> {
        self.wait(Locator::XPath(&format!("//h1[contains(., '{text}')]")))
            .await
            .map(drop)
    }

    async fn fill(&self, id: &str, value: &str) -> anyhow::Result<()> {
        let field = self.c.find(Locator::Id(id)).await?;
        field.clear().await?;
        field.send_keys(value).await?;
        Ok(())
    }

    async fn shot(&self, name: &str) -> anyhow::Result<()> {
        let png = self.c.screenshot().await?;
        std::fs::write(self.shots.join(name), png).with_context(|| format!("write {name}"))?;
        let violations = csp_violations(self.c).await?;
        ensure!(
            violations.is_empty(),
            "Content-Security-Policy violations up to {name}: {violations:#?}"
        );
        Ok(())
    }
}
