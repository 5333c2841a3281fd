//! End to end in a real headless Chromium: the demo binary, chromedriver and a browser walk
//! through sign-in, the staff list, creating a staff account, the language switch, and the
//! customer pages (masked for an agent, an audited reveal by a supervisor, the audit log);
//! and a complaint from the public contact form through the desk to the customer's survey
//! answer. Screenshots are kept in `docs/screenshots/`.
//!
//! Needs `apt-get install chromium chromium-driver fonts-noto-cjk` (`scripts/test` does it).

mod common;

use common::chromium::*;

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context};
use fantoccini::{Client, Locator};

impl Session {
    fn browser(&self) -> Browser<'_> {
        Browser {
            c: &self.client,
            base: &self.base,
            shots: &self.shots,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_admin_flow_in_headless_chromium() -> anyhow::Result<()> {
    let session = start_demo_in_chromium().await?;
    let outcome = session.browser().walk().await;
    session.finish(outcome).await
}

/// The must-show of the desk: a customer files a complaint on the public form and follows
/// it on the signed progress page; an agent triages and assigns it in /desk; the handler
/// contacts, investigates, proposes a voucher, resolves and reports; the follow-up is
/// scheduled; the follow-up agent sends the survey link, and the customer's answer records
/// the follow-up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn complaint_from_the_public_form_to_the_survey_follow_up_in_headless_chromium(
) -> anyhow::Result<()> {
    let session = start_demo_in_chromium().await?;
    let outcome = session.browser().complaint_flow().await;
    session.finish(outcome).await
}

struct Browser<'a> {
    c: &'a Client,
    base: &'a str,
    shots: &'a Path,
}

impl Browser<'_> {
    async fn walk(&self) -> anyhow::Result<()> {
        let c = self.c;

        // Sign-in page; a wrong password is refused with an alert.
        c.goto(&format!("{}/login", self.base)).await?;
        self.heading("tripdesk").await?;
        self.shot("login.png").await?;
        // The violation check can see a violation: a style attribute set by script is
        // refused by the policy and reported in the log the check reads.
        c.execute("document.body.setAttribute('style', 'outline: 0')", vec![])
            .await?;
        ensure!(
            !csp_violations(c).await?.is_empty(),
            "the browser log did not report a Content-Security-Policy violation"
        );
        self.fill("username", "admin").await?;
        self.fill("password", "not-the-password").await?;
        c.find(Locator::Css("button[type=submit]"))
            .await?
            .click()
            .await?;
        let alert = self.wait(Locator::Css("[role=alert]")).await?;
        let text = alert.text().await?;
        ensure!(text.contains("用户名或密码错误"), "login error: {text:?}");

        // Sign in for real: the dashboard.
        self.fill("username", "admin").await?;
        self.fill("password", "tripdesk-demo").await?;
        c.find(Locator::Css("button[type=submit]"))
            .await?
            .click()
            .await?;
        self.heading("欢迎回来").await?;
        ensure!(c.current_url().await?.path() == "/", "not on the dashboard");
        self.shot("dashboard.png").await?;
        // Every module the dashboard lists is built: each card leads to it.
        let modules = self.wait(Locator::Css(".cards")).await?.text().await?;
        ensure!(
            !modules.contains("即将上线"),
            "a module shown as coming soon: {modules:?}"
        );
        for href in ["/desk", "/customers", "/bookings", "/incidents", "/quality"] {
            c.find(Locator::Css(&format!(".cards a[href='{href}']")))
                .await
                .map_err(|e| anyhow::anyhow!("no card leads to {href}: {e}"))?;
        }

        // The staff list, through the sidebar.
        c.find(Locator::Css("#sidebar a[href='/admin/users']"))
            .await?
            .click()
            .await?;
        self.heading("员工账号").await?;
        let table = self.wait(Locator::Css("#user-table")).await?.text().await?;
        for name in ["王芳", "赵敏", "共 13 人"] {
            ensure!(table.contains(name), "{name} missing from the staff list");
        }
        self.shot("admin-users.png").await?;

        // A new account submitted empty lists every field at fault.
        c.find(Locator::LinkText("新建员工")).await?.click().await?;
        self.heading("新建员工").await?;
        c.find(Locator::Css("form.form-grid button[type=submit]"))
            .await?
            .click()
            .await?;
        let errors = self.wait(Locator::Css("#form-errors")).await?;
        let items = errors.find_all(Locator::Css("li")).await?;
        let text = errors.text().await?;
        ensure!(
            items.len() >= 3,
            "expected errors for username, name and password, got {text:?}"
        );
        for field in ["用户名", "姓名", "密码"] {
            ensure!(text.contains(field), "no error for {field}: {text:?}");
        }
        self.shot("admin-user-form-errors.png").await?;

        // Filled in properly, it is created and listed.
        self.fill("username", "xu.ming").await?;
        self.fill("display_name", "许明").await?;
        self.fill("email", "xu.ming@example.com").await?;
        self.fill("password", "Xu-ming-2025-long").await?;
        c.find(Locator::Id("department_id"))
            .await?
            .select_by_label("客服部")
            .await?;
        let handler = c
            .find(Locator::Css("input[name=roles][value=handler]"))
            .await?;
        if !handler.is_selected().await? {
            handler.click().await?;
        }
        c.find(Locator::Css("form.form-grid button[type=submit]"))
            .await?
            .click()
            .await?;
        self.heading("员工账号").await?;
        let table = self.wait(Locator::Css("#user-table")).await?.text().await?;
        for text in ["许明", "xu.ming", "共 14 人"] {
            ensure!(table.contains(text), "{text} missing after creating 许明");
        }
        let row = c
            .find(Locator::XPath("//tr[td[contains(., 'xu.ming')]]"))
            .await?
            .text()
            .await?;
        ensure!(
            row.contains("客服部") && row.contains("投诉处理"),
            "row of the new account: {row:?}"
        );

        // Departments, then the same page in English.
        c.find(Locator::Css("#sidebar a[href='/admin/departments']"))
            .await?
            .click()
            .await?;
        self.heading("部门与小组").await?;
        self.shot("admin-departments.png").await?;
        c.find(Locator::Css("a.lang")).await?.click().await?;
        self.heading("Departments & groups").await?;
        let lang = c.find(Locator::Css("html")).await?.attr("lang").await?;
        ensure!(lang.as_deref() == Some("en"), "html lang is {lang:?}");
        ensure!(
            c.current_url().await?.path() == "/admin/departments",
            "the language switch left the page"
        );
        let body = c.find(Locator::Css("body")).await?.text().await?;
        ensure!(
            body.contains("Customer Service") && body.contains("Sign out"),
            "English page lacks English text"
        );
        self.shot("admin-departments-en.png").await?;

        // Back to Chinese, and the staff list on a phone-sized window.
        c.find(Locator::Css("a.lang")).await?.click().await?;
        self.heading("部门与小组").await?;
        c.set_window_size(420, 860).await?;
        c.goto(&format!("{}/admin/users", self.base)).await?;
        self.heading("员工账号").await?;
        self.shot("admin-users-mobile.png").await?;
        c.set_window_size(1366, 900).await?;
        self.customers().await
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
        c.find(Locator::Css("button[type=submit]"))
            .await?
            .click()
            .await?;
        self.heading("欢迎回来").await
    }

    /// An agent finds a customer by phone and sees only masks; a supervisor reveals the phone
    /// with a reason, and the reveal is in the audit log.
    async fn customers(&self) -> anyhow::Result<()> {
        let c = self.c;
        self.sign_in_as("li.na").await?;
        c.find(Locator::Css("#sidebar a[href='/customers']"))
            .await?
            .click()
            .await?;
        self.heading("客户").await?;
        self.shot("customers.png").await?;
        self.fill("q", "139 0571 1234").await?;
        c.find(Locator::Css("form.filters button[type=submit]"))
            .await?
            .click()
            .await?;
        // The result page has arrived when the count says one customer.
        self.wait(Locator::XPath(
            "//p[@class='count' and contains(., '共 1 位客户')]",
        ))
        .await?;
        let table = self
            .wait(Locator::Css("#customer-table table"))
            .await?
            .text()
            .await?;
        ensure!(
            table.contains("王建国") && table.contains("139****1234"),
            "search by phone: {table:?}"
        );
        c.find(Locator::LinkText("王建国")).await?.click().await?;
        self.heading("王建国").await?;
        let profile = self.wait(Locator::Id("identifiers")).await?.text().await?;
        ensure!(profile.contains("139****1234"), "masked phone: {profile:?}");
        ensure!(
            profile.contains("330106********0318"),
            "masked ID: {profile:?}"
        );
        let body = c.find(Locator::Css("main")).await?.text().await?;
        ensure!(
            !body.contains("13905711234") && !body.contains("19680315"),
            "an agent sees no plaintext"
        );
        ensure!(body.contains("联系记录"), "contact history placeholder");
        ensure!(
            c.find(Locator::Css("form.reveal")).await.is_err(),
            "an agent gets no reveal button"
        );
        self.shot("customer-agent-masked.png").await?;

        self.sign_in_as("zhao.min").await?;
        c.goto(&format!("{}/customers?q=13905711234", self.base))
            .await?;
        c.find(Locator::LinkText("王建国")).await?.click().await?;
        self.heading("王建国").await?;
        let reason = c
            .find(Locator::Css("td[data-kind=phone] + td input[name=reason]"))
            .await?;
        reason.send_keys("回访前核对号码").await?;
        c.find(Locator::Css("td[data-kind=phone] + td button[type=submit]"))
            .await?
            .click()
            .await?;
        let shown = self
            .wait(Locator::Css("strong.revealed"))
            .await?
            .text()
            .await?;
        ensure!(shown == "+8613905711234", "revealed {shown:?}");
        self.shot("customer-supervisor-revealed.png").await?;
        c.find(Locator::Css("#sidebar a[href='/audit']"))
            .await?
            .click()
            .await?;
        self.heading("审计日志").await?;
        let log = self.wait(Locator::Id("audit-table")).await?.text().await?;
        ensure!(
            log.contains("查看敏感信息")
                && log.contains("zhao.min")
                && log.contains("回访前核对号码"),
            "the reveal is in the audit log"
        );
        ensure!(!log.contains("13905711234"), "the log holds no plaintext");
        self.shot("audit-log.png").await?;
        Ok(())
    }

    /// The complaint's whole life through the UI (see the test of the same purpose).
    async fn complaint_flow(&self) -> anyhow::Result<()> {
        let c = self.c;
        let base = self.base;

        // A customer, signed in nowhere, opens the contact form.
        c.goto(&format!("{base}/contact")).await?;
        self.heading("咨询、投诉与建议").await?;
        self.shot("public-contact.png").await?;
        c.find(Locator::Css("a.lang")).await?.click().await?;
        self.heading("Questions, complaints and suggestions")
            .await?;
        self.shot("public-contact-en.png").await?;
        c.find(Locator::Css("a.lang")).await?.click().await?;
        self.heading("咨询、投诉与建议").await?;

        // Sent without a way to reach them: the form says which fields are at fault.
        self.click(Locator::Css("input[name=kind][value=complaint]"))
            .await?;
        self.fill("name", "陈晓").await?;
        self.fill("subject", "导游迟到一小时，西湖一日游行程被压缩")
            .await?;
        self.fill(
            "description",
            "10月3日的西湖一日游，导游早上迟到了一个小时，下午原定的灵隐寺被取消，也没有任何解释。希望旅行社给个说法。",
        )
        .await?;
        self.fill("phone", "12345").await?;
        self.click(Locator::Css("form.public-form button[type=submit]"))
            .await?;
        let err = self.wait(Locator::Id("phone-error")).await?.text().await?;
        ensure!(err.contains("电话号码"), "phone error: {err:?}");
        self.shot("public-contact-errors.png").await?;

        // Corrected and sent: the reference and the progress link.
        self.fill("phone", "139 1234 5678").await?;
        self.fill("email", "chen.xiao@example.com").await?;
        self.fill("booking_ref", "BK-2026-1003-017").await?;
        self.click(Locator::Css("form.public-form button[type=submit]"))
            .await?;
        self.heading("提交成功").await?;
        let number = self.wait(Locator::Id("reference")).await?.text().await?;
        ensure!(number.starts_with("TS"), "reference {number:?}");
        let tracking = c
            .find(Locator::Id("tracking-url"))
            .await?
            .attr("value")
            .await?
            .context("tracking link")?;
        ensure!(tracking.contains("/track/"), "tracking link {tracking:?}");
        let status = c.find(Locator::Id("status")).await?.text().await?;
        ensure!(status == "已收到", "status {status:?}");
        self.shot("public-track-submitted.png").await?;

        // The agent finds it in the inbox, triages it as important and assigns it.
        self.sign_in_as("li.na").await?;
        c.find(Locator::Css("#sidebar a[href='/desk']"))
            .await?
            .click()
            .await?;
        // The customer quotes the reference: the agent opens it from the inbox.
        self.fill("find-number", &number.to_lowercase()).await?;
        self.click(Locator::Css("form.desk-find button")).await?;
        self.heading(&number).await?;
        let ticket_url = c.current_url().await?.to_string();
        let body = c.find(Locator::Css("main")).await?.text().await?;
        ensure!(
            body.contains("网页表单") && body.contains("陈晓"),
            "the ticket shows the web form intake"
        );
        self.step("triage", &[("level", "重要")], &[]).await?;
        self.expect_state("已评估").await?;
        self.step(
            "assign",
            &[
                ("group_id", "导游管理部"),
                ("assignee_id", "周杰 · 导游管理部"),
            ],
            &[],
        )
        .await?;
        self.expect_state("已分派").await?;
        self.shot("desk-complaint-assigned.png").await?;

        // The handler contacts the customer, investigates, proposes a voucher, resolves and
        // reports the result.
        self.sign_in_as("zhou.jie").await?;
        c.goto(&ticket_url).await?;
        self.heading(&number).await?;
        self.step(
            "record_contact",
            &[],
            &[("note", "已致电陈女士致歉，说明将调查导游迟到原因")],
        )
        .await?;
        self.expect_state("已联系客户").await?;
        self.step(
            "start_investigation",
            &[],
            &[("note", "调取导游签到记录和行程单")],
        )
        .await?;
        self.expect_state("调查中").await?;
        self.step(
            "propose_solution",
            &[("compensation_kind", "代金券")],
            &[("amount_yuan", "200"), ("note", "赠送 200 元代金券并致歉")],
        )
        .await?;
        self.expect_state("已提出方案").await?;
        self.step("resolve", &[], &[("note", "客户同意代金券方案")])
            .await?;
        self.expect_state("已解决").await?;
        self.step("report_result", &[], &[("cause", "导游当天早上睡过头")])
            .await?;
        self.expect_state("结果已反馈").await?;
        self.shot("desk-complaint-result-reported.png").await?;

        // The agent schedules the follow-up with the follow-up team.
        self.sign_in_as("li.na").await?;
        c.goto(&ticket_url).await?;
        self.heading(&number).await?;
        self.step(
            "schedule_follow_up",
            &[("assignee_id", "王芳 · 回访小组")],
            &[],
        )
        .await?;
        self.expect_state("待回访").await?;

        // The follow-up agent sends the survey link (emailed; shown to read out as well).
        self.sign_in_as("wang.fang").await?;
        c.goto(&ticket_url).await?;
        self.heading(&number).await?;
        self.click(Locator::Id("customer-links")).await?;
        self.heading("客户链接与回访问卷").await?;
        self.click(Locator::Css("form.survey-send button[type=submit]"))
            .await?;
        let survey_url = self
            .wait(Locator::Id("survey-url"))
            .await?
            .attr("value")
            .await?
            .context("survey link")?;
        let panel = c.find(Locator::Id("survey-new")).await?.text().await?;
        ensure!(panel.contains("已通过邮件发给客户"), "emailed: {panel:?}");
        self.shot("desk-survey-link.png").await?;

        // The customer answers the survey, without signing in.
        self.sign_out().await?;
        c.goto(&survey_url).await?;
        self.heading("服务回访问卷").await?;
        self.click(Locator::Css("input[name=satisfaction][value='4']"))
            .await?;
        self.click(Locator::Css("input[name=overall_rating][value='5']"))
            .await?;
        self.fill("suggestions", "希望导游更守时，代金券很贴心。")
            .await?;
        self.shot("public-survey.png").await?;
        self.click(Locator::Css("form.public-form button[type=submit]"))
            .await?;
        self.heading("感谢您的评价").await?;
        self.shot("public-survey-thanks.png").await?;
        // The link works once.
        c.goto(&survey_url).await?;
        self.heading("问卷已提交").await?;

        // The progress page tells the customer, in customer words.
        c.goto(&tracking).await?;
        self.heading(&number).await?;
        let status = c.find(Locator::Id("status")).await?.text().await?;
        ensure!(status == "已回访", "status {status:?}");
        let page = c.find(Locator::Css("main")).await?.text().await?;
        for internal in ["周杰", "王芳", "睡过头", "签到记录"] {
            ensure!(
                !page.contains(internal),
                "the progress page shows {internal:?}"
            );
        }
        self.shot("public-track-followed-up.png").await?;

        // The desk shows the follow-up recorded through the survey, on wang.fang's behalf.
        self.sign_in_as("wang.fang").await?;
        c.goto(&ticket_url).await?;
        self.heading(&number).await?;
        self.expect_state("已回访").await?;
        let timeline = c.find(Locator::Css("ol.timeline")).await?.text().await?;
        ensure!(
            timeline.contains("王芳（客户问卷）") && timeline.contains("满意度 4"),
            "timeline: {timeline:?}"
        );
        // Bring the survey's entry into view for the screenshot.
        let entry = c
            .find(Locator::XPath(
                "//ol[contains(@class,'timeline')]/li[contains(., '客户问卷')]",
            ))
            .await?;
        c.execute(
            "arguments[0].scrollIntoView({block: 'center'});",
            vec![serde_json::to_value(&entry)?],
        )
        .await?;
        self.shot("desk-complaint-followed-up.png").await?;
        Ok(())
    }

    async fn sign_out(&self) -> anyhow::Result<()> {
        self.c.goto(&format!("{}/", self.base)).await?;
        if let Ok(out) = self
            .c
            .find(Locator::Css("form[action='/logout'] button"))
            .await
        {
            out.click().await?;
            self.wait(Locator::Id("username")).await?;
        }
        Ok(())
    }

    async fn click(&self, what: Locator<'_>) -> anyhow::Result<()> {
        self.wait(what).await?.click().await?;
        Ok(())
    }

    /// Takes a step with the ticket page's step form: `selects` by visible label, `fields`
    /// typed.
    async fn step(
        &self,
        step: &str,
        selects: &[(&str, &str)],
        fields: &[(&str, &str)],
    ) -> anyhow::Result<()> {
        let c = self.c;
        c.find(Locator::Id("step"))
            .await?
            .select_by_value(step)
            .await
            .with_context(|| format!("step {step} is not offered"))?;
        for (id, label) in selects {
            c.find(Locator::Id(id))
                .await?
                .select_by_label(label)
                .await
                .with_context(|| format!("{id}: no option {label:?}"))?;
        }
        for (id, value) in fields {
            self.fill(id, value).await?;
        }
        c.find(Locator::Css("form[action$='/step'] button[type=submit]"))
            .await?
            .click()
            .await?;
        Ok(())
    }

    /// Waits until the ticket page shows `state` (after a step's redirect).
    async fn expect_state(&self, state: &str) -> anyhow::Result<()> {
        let found = self
            .wait(Locator::XPath(&format!(
                "//div[@class='page-head']//span[@class='tag' and normalize-space(.)='{state}']"
            )))
            .await;
        if found.is_err() {
            let alert = match self.c.find(Locator::Css("[role=alert]")).await {
                Ok(a) => a.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            bail!("the ticket did not reach {state:?}; alert: {alert:?}");
        }
        Ok(())
    }

    async fn wait(&self, what: Locator<'_>) -> anyhow::Result<fantoccini::elements::Element> {
        let found = self.c.wait().at_most(STEP).for_element(what).await;
        match found {
            Ok(e) => Ok(e),
            Err(e) => {
                let url = self.c.current_url().await.map(|u| u.to_string());
                Err(e).with_context(|| format!("waiting for {what:?} on {url:?}"))
            }
        }
    }

    /// Waits for an `h1` containing `text`: the page after a click or a post has arrived.
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

    /// Saves a screenshot, and fails if the browser reported a Content-Security-Policy
    /// violation since the last one (every page is checked where the walk takes a picture).
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

/// The desk an agent lives in and a supervisor runs: tickets whose SLA clocks run out while
/// the test watches (the chat and social first-response targets are shortened to 1 and 2
/// minutes), the breaching-soon queue with live countdowns, a reply typed with a template
/// shortcut on a ticket whose whole timeline shows, and the supervisor's complaint board.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn desk_inbox_timeline_and_board_in_headless_chromium() -> anyhow::Result<()> {
    tripdesk_delivery::install_tls_provider();
    check_prerequisites();
    let data_dir = tempfile::tempdir()?;
    let profile_dir = tempfile::tempdir()?;
    let (_procs, base, driver_url) = start_demo_and_driver(data_dir.path()).await?;

    let api = DeskApi::new(&base).await?;
    let started = Instant::now();
    let tickets = api.seed().await?;

    let client = chromium_client(&driver_url, profile_dir.path()).await?;
    let shots = screenshot_dir();
    std::fs::create_dir_all(&shots)?;
    let outcome = Browser {
        c: &client,
        base: &base,
        shots: &shots,
    }
    .desk(&tickets, started)
    .await;
    let closed = client.close().await;
    outcome?;
    closed?;
    Ok(())
}

/// The tickets the desk walk made through the API.
struct DeskTickets {
    /// Urgent chat complaint: its 1-minute first-response clock will be breached.
    breached: (String, String),
    /// Social complaint: past the warning of its 2-minute clock when the inbox is shown.
    at_risk: (String, String),
    /// Email inquiry about a guide: routed, on track.
    inquiry: (String, String),
}

struct DeskApi {
    http: reqwest::Client,
    base: String,
    agent: String,
}

impl DeskApi {
    async fn new(base: &str) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .build()?;
        let mut api = Self {
            http,
            base: base.to_string(),
            agent: String::new(),
        };
        api.agent = api.token("li.na").await?;
        Ok(api)
    }

    async fn token(&self, username: &str) -> anyhow::Result<String> {
        let r: serde_json::Value = self
            .http
            .post(format!("{}/api/v1/auth/login", self.base))
            .json(&serde_json::json!({"username": username, "password": "tripdesk-demo"}))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        Ok(r["token"].as_str().context("token")?.to_string())
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: serde_json::Value,
    ) -> anyhow::Result<serde_json::Value> {
        let r = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await?;
        let status = r.status();
        let text = r.text().await?;
        ensure!(status.is_success(), "{path}: {status} {text}");
        Ok(serde_json::from_str(&text).unwrap_or_default())
    }

    /// A ticket with its first-response clock running (started here unless intake did).
    async fn ticket(&self, body: serde_json::Value) -> anyhow::Result<(String, String)> {
        let t = self
            .call(reqwest::Method::POST, "/api/v1/tickets", &self.agent, body)
            .await?;
        let id = t["id"].as_str().context("id")?.to_string();
        let key = match t["channel"].as_str().unwrap_or("") {
            "web_form" => "first_response.email".to_string(),
            c => format!("first_response.{c}"),
        };
        let clocks = self
            .call(
                reqwest::Method::GET,
                &format!("/api/v1/sla/clocks?subject_type=ticket&subject_id={id}"),
                &self.agent,
                serde_json::Value::Null,
            )
            .await?;
        let running = clocks["items"]
            .as_array()
            .is_some_and(|a| a.iter().any(|c| c["target_key"] == key.as_str()));
        if !running {
            self.call(
                reqwest::Method::POST,
                "/api/v1/sla/clocks",
                &self.agent,
                serde_json::json!({"target_key": key, "subject_type": "ticket", "subject_id": id, "channel": t["channel"]}),
            )
            .await?;
        }
        Ok((id, t["number"].as_str().context("number")?.to_string()))
    }

    async fn seed(&self) -> anyhow::Result<DeskTickets> {
        let admin = self.token("admin").await?;
        for (key, minutes, warn) in [
            ("first_response.chat", 1, 40),
            ("first_response.social", 2, 20),
        ] {
            self.call(
                reqwest::Method::PATCH,
                &format!("/api/v1/sla/policies/{key}"),
                &admin,
                serde_json::json!({"amount": minutes, "warn_at_percent": warn}),
            )
            .await?;
        }
        let breached = self
            .ticket(serde_json::json!({
                "kind": "complaint", "channel": "chat", "level": "urgent",
                "subject": "导游擅自取消西湖游船，客户要求说法",
                "description": "客户在线反映：今天下午的西湖游船被导游临时取消，未说明原因。",
                "customer": {"name": "陈静"}, "business_area": "guide", "booking_ref": "BK-2026-1121-031"
            }))
            .await?;
        let at_risk = self
            .ticket(serde_json::json!({
                "kind": "complaint", "channel": "social", "level": "important",
                "subject": "微信反馈：酒店房间有异味",
                "description": "客户在公众号留言，入住的房间有明显异味，要求换房。",
                "customer": {"name": "刘洋"}, "business_area": "housekeeping"
            }))
            .await?;
        let inquiry = self
            .ticket(serde_json::json!({
                "kind": "inquiry", "channel": "email", "level": "general",
                "subject": "黄山三日游能否安排中文导游",
                "description": "想了解 12 月的黄山三日游能否安排普通话导游，以及老人是否有优惠。",
                "customer": {"name": "王芳"}
            }))
            .await?;
        Ok(DeskTickets {
            breached,
            at_risk,
            inquiry,
        })
    }
}

impl Browser<'_> {
    async fn desk(&self, tickets: &DeskTickets, started: Instant) -> anyhow::Result<()> {
        let c = self.c;
        c.set_window_size(1366, 900).await?;
        self.sign_in_as("li.na").await?;

        // A reply typed with the template shortcut: ";greet" then Tab.
        let (inquiry_id, inquiry_no) = &tickets.inquiry;
        c.goto(&format!("{}/desk/tickets/{inquiry_id}", self.base))
            .await?;
        self.heading(inquiry_no).await?;
        let suggested = self
            .wait(Locator::Css("[data-suggested-group]"))
            .await?
            .text()
            .await?;
        ensure!(
            suggested.contains("导游管理部"),
            "routed by keyword: {suggested:?}"
        );
        let body = c.find(Locator::Css("body")).await?;
        body.send_keys("r").await?;
        let reply = self.wait(Locator::Css("[data-reply-box]")).await?;
        reply.send_keys(";greet\u{e004}").await?; // U+E004 is WebDriver's Tab key
        reply
            .send_keys("12 月的黄山三日游可以安排普通话导游，65 岁以上老人门票半价。")
            .await?;
        let typed = reply.prop("value").await?.unwrap_or_default();
        ensure!(
            typed.starts_with("王芳您好！我是山海国际旅行社的客服李娜"),
            "the template was inserted: {typed:?}"
        );
        c.set_window_size(1366, 1100).await?;
        self.shot("desk-reply-template.png").await?;
        c.set_window_size(1366, 900).await?;
        c.find(Locator::Css("form.reply-box button[type=submit]"))
            .await?
            .click()
            .await?;
        self.wait(Locator::Css("li.ev-reply p.bubble")).await?;

        // The breaching-soon queue once the chat clock is past its deadline and the social one
        // past its warning.
        let wait = Duration::from_secs(64).saturating_sub(started.elapsed());
        tokio::time::sleep(wait).await;
        c.goto(&format!("{}/desk?queue=breaching", self.base))
            .await?;
        self.heading("工单").await?;
        let (breached_id, breached_no) = &tickets.breached;
        let (_, risk_no) = &tickets.at_risk;
        let row = |no: &str| {
            format!("//tr[td/a[normalize-space()='{no}']]//span[contains(@class,'sla ')]")
        };
        let (late_path, risky_path) = (row(breached_no), row(risk_no));
        let late = self.wait(Locator::XPath(&late_path)).await?;
        ensure!(
            late.attr("class")
                .await?
                .unwrap_or_default()
                .contains("sla-breached"),
            "the chat complaint is breached"
        );
        let risky = self.wait(Locator::XPath(&risky_path)).await?;
        ensure!(
            risky
                .attr("class")
                .await?
                .unwrap_or_default()
                .contains("sla-at_risk"),
            "the social complaint is at risk"
        );
        let before = risky.text().await?;
        tokio::time::sleep(Duration::from_millis(2100)).await;
        let after = risky.text().await?;
        ensure!(
            before != after && after.starts_with("剩余"),
            "the badge counts down: {before:?} → {after:?}"
        );
        self.shot("desk-inbox-breaching.png").await?;
        c.goto(&format!("{}/desk", self.base)).await?;
        self.heading("工单").await?;
        self.shot("desk-inbox.png").await?;

        // The breached ticket: a note, a reply from a picked template, and the whole timeline.
        c.goto(&format!("{}/desk/tickets/{breached_id}", self.base))
            .await?;
        self.heading(breached_no).await?;
        let timeline = self
            .wait(Locator::Css("[data-timeline]"))
            .await?
            .text()
            .await?;
        ensure!(
            timeline.contains("开始计时") && timeline.contains("已超时"),
            "SLA events on the timeline: {timeline:?}"
        );
        c.find(Locator::Css("input[name=kind][value=note]"))
            .await?
            .click()
            .await?;
        self.wait(Locator::Css("[data-reply-box]"))
            .await?
            .send_keys("已电话联系导游核实，游船因大风停航。")
            .await?;
        c.find(Locator::Css("form.reply-box button[type=submit]"))
            .await?
            .click()
            .await?;
        self.wait(Locator::Css("li.ev-note p.bubble")).await?;
        c.find(Locator::Css(
            "[data-reply-picker] option[data-key='sorry'][data-locale='zh-CN']",
        ))
        .await?
        .click()
        .await?;
        c.find(Locator::Css("form.reply-box button[type=submit]"))
            .await?
            .click()
            .await?;
        self.wait(Locator::Css("li.ev-reply p.bubble")).await?;
        let timeline = self
            .wait(Locator::Css("[data-timeline]"))
            .await?
            .text()
            .await?;
        ensure!(
            timeline.contains("首次响应已超时")
                && timeline.contains("陈静您好，对于给您带来的不便"),
            "the late reply on the timeline: {timeline:?}"
        );
        c.set_window_size(1366, 1500).await?;
        self.shot("desk-ticket-timeline.png").await?;
        c.set_window_size(1366, 900).await?;

        // The supervisor's board and settings.
        self.sign_in_as("zhao.min").await?;
        c.find(Locator::Css("#sidebar a[href='/desk/board']"))
            .await?
            .click()
            .await?;
        self.heading("投诉看板").await?;
        let breached = self
            .wait(Locator::Css("[data-risk-total=breached]"))
            .await?
            .text()
            .await?;
        ensure!(
            breached.parse::<u64>().unwrap_or(0) >= 1,
            "a breach on the board: {breached}"
        );
        self.wait(Locator::Css("a.board-card.breached")).await?;
        self.shot("desk-board.png").await?;
        c.find(Locator::Css("#sidebar a[href='/desk/rules']"))
            .await?
            .click()
            .await?;
        self.heading("分派规则").await?;
        self.shot("desk-routing-rules.png").await?;
        c.find(Locator::Css("#sidebar a[href='/desk/replies']"))
            .await?
            .click()
            .await?;
        self.heading("回复模板").await?;
        self.shot("desk-reply-templates.png").await?;
        Ok(())
    }
}
