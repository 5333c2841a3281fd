//! Role queues and staff alerts end to end, in a real headless Chromium on `tripdesk demo`
//! without SMTP: a compensation above the threshold waits in the supervisor's "待审批" queue
//! and rings their bell (the entry opens the ticket); a follow-up specialist schedules a
//! follow-up for herself and finds it in "待回访" and "我的"; an agent's ticket page offers
//! only the steps an agent may take, names the handler, links the customer, and a step taken
//! anyway is refused in Chinese. Screenshots `docs/screenshots/queues-*.png`.
//!
//! Needs `apt-get install chromium chromium-driver fonts-noto-cjk` (`scripts/test` does it).

#[path = "common/browser.rs"]
mod chromium;
mod common;

use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context};
use chromium::{start_demo_in_chromium, Browser};
use fantoccini::Locator;
use serde_json::{json, Value};

/// How long the delivery worker may take to put an alert in the bell.
const DELIVERY: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn role_queues_bell_and_offered_steps_in_headless_chromium() -> anyhow::Result<()> {
    let session = start_demo_in_chromium().await?;
    let outcome = async {
        let api = Api::new(&session.base).await?;
        let tickets = api.seed().await?;
        session.browser().queues(&tickets).await
    }
    .await;
    session.finish(outcome).await
}

/// The API as the demo's staff, to bring tickets to where the walk starts.
struct Api {
    http: reqwest::Client,
    base: String,
}

/// A ticket made for the walk: (id, number).
type Made = (String, String);

struct Tickets {
    /// Solution proposed with an 800-yuan refund: awaits a supervisor's approval.
    to_approve: Made,
    /// Result reported: its follow-up is to be scheduled.
    to_schedule: Made,
}

impl Api {
    async fn new(base: &str) -> anyhow::Result<Self> {
        Ok(Self {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(20))
                .build()?,
            base: base.to_string(),
        })
    }

    async fn token(&self, username: &str) -> anyhow::Result<String> {
        let r = self
            .call(
                reqwest::Method::POST,
                "/api/v1/auth/login",
                None,
                json!({"username": username, "password": "tripdesk-demo"}),
            )
            .await?;
        Ok(r["token"].as_str().context("token")?.to_string())
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Value,
    ) -> anyhow::Result<Value> {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if !body.is_null() {
            req = req.json(&body);
        }
        let r = req.send().await?;
        let status = r.status();
        let text = r.text().await?;
        ensure!(status.is_success(), "{path}: {status} {text}");
        Ok(serde_json::from_str(&text).unwrap_or_default())
    }

    async fn steps(&self, token: &str, id: &str, steps: &[Value]) -> anyhow::Result<()> {
        for step in steps {
            self.call(
                reqwest::Method::POST,
                &format!("/api/v1/tickets/{id}/steps"),
                Some(token),
                step.clone(),
            )
            .await
            .with_context(|| format!("step {step}"))?;
        }
        Ok(())
    }

    async fn complaint(&self, agent: &str, subject: &str, name: &str) -> anyhow::Result<Made> {
        let t = self
            .call(
                reqwest::Method::POST,
                "/api/v1/tickets",
                Some(agent),
                json!({
                    "kind": "complaint", "channel": "phone", "level": "general",
                    "subject": subject,
                    "description": "客户来电反映：导游临时取消了行程中的西湖游船，未作说明。",
                    "customer": {"name": name, "phone": "+86 139 5555 0101"},
                    "business_area": "guide"
                }),
            )
            .await?;
        Ok((
            t["id"].as_str().context("id")?.to_string(),
            t["number"].as_str().context("number")?.to_string(),
        ))
    }

    async fn seed(&self) -> anyhow::Result<Tickets> {
        let admin = self.token("admin").await?;
        let agent = self.token("li.na").await?;
        let handler = self.token("zhou.jie").await?;
        let departments = self
            .call(
                reqwest::Method::GET,
                "/api/v1/departments",
                Some(&admin),
                Value::Null,
            )
            .await?;
        let guide = departments["items"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|d| d["code"] == "guide_management")
            .and_then(|d| d["id"].as_str())
            .context("the demo's guide management department")?
            .to_string();
        let handling = [
            json!({"step": "assign", "group_id": guide}),
            json!({"step": "record_contact", "note": "已电话联系客户致歉"}),
            json!({"step": "start_investigation"}),
        ];

        let to_approve = self
            .complaint(&agent, "西湖游船被取消，要求退款", "周晓梅")
            .await?;
        self.steps(
            &agent,
            &to_approve.0,
            &[json!({"step": "triage", "level": "important"})],
        )
        .await?;
        self.steps(&agent, &to_approve.0, &handling[..1]).await?;
        self.steps(&handler, &to_approve.0, &handling[1..]).await?;
        self.steps(
            &handler,
            &to_approve.0,
            &[json!({"step": "propose_solution", "compensation": {"kind": "refund", "amount_fen": 80000}})],
        )
        .await?;

        let to_schedule = self.complaint(&agent, "导游迟到四十分钟", "钱文静").await?;
        self.steps(
            &agent,
            &to_schedule.0,
            &[json!({"step": "triage", "level": "general"})],
        )
        .await?;
        self.steps(&agent, &to_schedule.0, &handling[..1]).await?;
        self.steps(&handler, &to_schedule.0, &handling[1..]).await?;
        self.steps(
            &handler,
            &to_schedule.0,
            &[
                json!({"step": "propose_solution", "compensation": {"kind": "apology", "amount_fen": 0}}),
                json!({"step": "resolve", "note": "客户接受道歉"}),
                json!({"step": "report_result", "cause": "导游未按时集合"}),
            ],
        )
        .await?;
        Ok(Tickets {
            to_approve,
            to_schedule,
        })
    }
}

impl Browser<'_> {
    async fn queues(&self, tickets: &Tickets) -> anyhow::Result<()> {
        self.supervisor(tickets).await?;
        self.follow_up(tickets).await?;
        self.agent(tickets).await
    }

    /// The number a role queue shows on the home page.
    async fn home_queue_count(&self, key: &str) -> anyhow::Result<u64> {
        let text = self
            .wait(Locator::Css(&format!(
                "[data-role-queues] a[data-queue='{key}'] [data-queue-count]"
            )))
            .await?
            .text()
            .await?;
        text.trim_end_matches('+')
            .parse()
            .with_context(|| format!("the {key} count {text:?}"))
    }

    /// Whether the inbox row of ticket `number` is listed on the current page.
    async fn lists(&self, number: &str) -> bool {
        self.c
            .find(Locator::XPath(&format!(
                "//table[@data-rows]//td/a[normalize-space()='{number}']"
            )))
            .await
            .is_ok()
    }

    async fn supervisor(&self, tickets: &Tickets) -> anyhow::Result<()> {
        let c = self.c;
        let (id, number) = &tickets.to_approve;
        self.sign_in_as("zhao.min").await?;
        ensure!(
            self.home_queue_count("to_approve").await? >= 1,
            "the supervisor's home page counts the compensation to approve"
        );
        // The bell rings without email: the unread count arrives over the event stream.
        let started = Instant::now();
        let unread = loop {
            let n = self
                .wait(Locator::Css("[data-bell]"))
                .await?
                .attr("data-unread")
                .await?
                .and_then(|n| n.parse::<u64>().ok())
                .unwrap_or(0);
            if n > 0 {
                break n;
            }
            if started.elapsed() > DELIVERY {
                bail!("the bell shows no unread alert");
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        };
        ensure!(unread > 0);
        self.shot("queues-supervisor-home.png").await?;

        self.click(Locator::Css(
            "[data-role-queues] a[data-queue='to_approve']",
        ))
        .await?;
        self.heading("工单").await?;
        let tab = self
            .wait(Locator::Css("nav.desk-tabs a.tab-to_approve"))
            .await?;
        ensure!(
            tab.attr("aria-current").await?.as_deref() == Some("page"),
            "the to-approve queue is the one shown"
        );
        ensure!(
            self.lists(number).await,
            "{number} waits in the supervisor's to-approve queue"
        );
        self.shot("queues-supervisor-to-approve.png").await?;

        // The bell's entry for the approval names the ticket and opens it. The ticket's other
        // alerts (an important complaint, its SLA warnings) link to it too and may be
        // delivered first: wait for the approval's own entry.
        let entry = format!("a[data-bell-item][href='/desk/tickets/{id}']");
        let started = Instant::now();
        let approval = loop {
            c.goto(&format!("{}/notifications", self.base)).await?;
            self.heading("通知").await?;
            let mut found = None;
            for link in c.find_all(Locator::Css(&entry)).await? {
                let title = link.text().await?;
                if title.contains(number.as_str()) && title.contains("待审批") {
                    found = Some(link);
                    break;
                }
            }
            if let Some(link) = found {
                break link;
            }
            if started.elapsed() > DELIVERY {
                bail!("no bell entry of {number} is its approval alert");
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        };
        self.shot("queues-supervisor-bell.png").await?;
        approval.click().await?;
        self.heading(number).await?;
        let offered = self.offered_steps().await?;
        ensure!(
            offered.iter().any(|s| s == "approve_compensation"),
            "the supervisor is offered the approval: {offered:?}"
        );
        Ok(())
    }

    /// The values of the ticket page's step list.
    async fn offered_steps(&self) -> anyhow::Result<Vec<String>> {
        let mut out = Vec::new();
        for o in self.c.find_all(Locator::Css("select#step option")).await? {
            out.push(o.attr("value").await?.unwrap_or_default());
        }
        Ok(out)
    }

    /// A follow-up specialist schedules the visit herself (seed 001: the follow-up team
    /// visits within 3–5 working days) and finds it in her queues.
    async fn follow_up(&self, tickets: &Tickets) -> anyhow::Result<()> {
        let c = self.c;
        let (id, number) = &tickets.to_schedule;
        self.sign_in_as("wang.fang").await?;
        let before = self.home_queue_count("to_follow_up").await?;
        c.goto(&format!("{}/desk/tickets/{id}", self.base)).await?;
        self.heading(number).await?;
        let offered = self.offered_steps().await?;
        ensure!(
            offered.iter().any(|s| s == "schedule_follow_up")
                && !offered
                    .iter()
                    .any(|s| s == "record_contact" || s == "resolve"),
            "a follow-up specialist schedules follow-ups, never handles: {offered:?}"
        );
        let me = c
            .find(Locator::XPath(
                "//select[@id='assignee_id']/option[starts-with(normalize-space(), '王芳')]",
            ))
            .await?
            .text()
            .await?;
        self.step("schedule_follow_up", &[("assignee_id", me.trim())], &[])
            .await?;
        self.expect_state("待回访").await?;
        let follow_up = self
            .wait(Locator::Css("[data-follow-up]"))
            .await?
            .text()
            .await?;
        ensure!(
            follow_up.contains("王芳"),
            "the ticket names its follow-up agent: {follow_up:?}"
        );

        c.goto(&format!("{}/", self.base)).await?;
        let after = self.home_queue_count("to_follow_up").await?;
        ensure!(
            after == before + 1,
            "the follow-up joins her to-follow-up queue: {before} → {after}"
        );
        for queue in ["to_follow_up", "mine"] {
            c.goto(&format!("{}/desk?queue={queue}", self.base)).await?;
            self.heading("工单").await?;
            ensure!(
                self.lists(number).await,
                "{number} is in the follow-up specialist's {queue} queue"
            );
            let count = c
                .find(Locator::Css(&format!(
                    "nav.desk-tabs a.tab-{queue} .desk-tab-count"
                )))
                .await?
                .text()
                .await?;
            ensure!(
                count.trim_end_matches('+').parse::<u64>().unwrap_or(0) >= 1,
                "the {queue} tab counts it: {count:?}"
            );
        }
        self.shot("queues-follow-up-mine.png").await?;
        c.goto(&format!("{}/desk?queue=to_follow_up", self.base))
            .await?;
        self.heading("工单").await?;
        self.shot("queues-follow-up.png").await?;
        Ok(())
    }

    /// An agent is offered only an agent's steps; one taken anyway is refused in Chinese.
    async fn agent(&self, tickets: &Tickets) -> anyhow::Result<()> {
        let c = self.c;
        let (id, number) = &tickets.to_approve;
        self.sign_in_as("li.na").await?;
        c.goto(&format!("{}/desk/tickets/{id}", self.base)).await?;
        self.heading(number).await?;
        let offered = self.offered_steps().await?;
        let agents = [
            "triage",
            "assign",
            "reassign",
            "schedule_follow_up",
            "close",
            "reopen",
        ];
        ensure!(
            !offered.is_empty() && offered.iter().all(|s| agents.contains(&s.as_str())),
            "an agent is offered only steps an agent may take: {offered:?}"
        );
        let handlers = self
            .wait(Locator::Css("[data-handlers]"))
            .await?
            .text()
            .await?;
        ensure!(
            handlers.contains("周杰"),
            "the handler is named: {handlers:?}"
        );
        let customer = self
            .wait(Locator::Css("[data-customer] a"))
            .await?
            .attr("href")
            .await?
            .unwrap_or_default();
        ensure!(
            customer.starts_with("/customers/"),
            "the customer's name links to their page: {customer:?}"
        );
        c.set_window_size(1366, 1200).await?;
        self.shot("queues-agent-ticket.png").await?;
        c.set_window_size(1366, 900).await?;

        // A step the list does not offer, posted anyway (a stale page): refused in Chinese.
        c.execute(
            "var s = document.getElementById('step'); var o = document.createElement('option');\
             o.value = 'resolve'; o.textContent = 'resolve'; s.appendChild(o); s.value = 'resolve';",
            vec![],
        )
        .await?;
        c.find(Locator::Css("form[action$='/step'] button[type=submit]"))
            .await?
            .click()
            .await?;
        let alert = self
            .wait(Locator::Css("[role=alert]"))
            .await?
            .text()
            .await?;
        ensure!(
            alert.contains("您不能执行这一步")
                && alert.contains("处理投诉")
                && !alert.contains('`'),
            "the refusal says why in Chinese: {alert:?}"
        );
        self.shot("queues-agent-refused.png").await?;
        Ok(())
    }
}
