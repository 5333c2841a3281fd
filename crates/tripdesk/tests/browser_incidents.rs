//! A typhoon drill on the demo data (issue 15) in a real headless Chromium: `tripdesk demo`
//! runs with an SMS provider on loopback (`tripdesk_delivery::sms_sink`); the emergency
//! leader 赵敏 declares a drill over the coastal place where a demo tour is on the road in
//! the coming weeks — first a form the server refuses (a weather warning on a safety
//! incident, no place, the window reversed), which comes back as typed with the messages in
//! Chinese — assigns the team, broadcasts, and watches the board: the texts reach the
//! provider, one traveler answers 我平安 on the check-in page their link opens, another
//! replies "2" by SMS (the provider's signed webhook) and is escalated to an urgent ticket,
//! a third is recorded safe by staff, the rest stay "not answered".
//!
//! Screenshots in `docs/screenshots/`: `incidents-declare.png` (the form filled),
//! `incidents-declare-refused.png`, `incidents-board-broadcast.png` (delivery after the
//! broadcast), `incidents-checkin.png` (the traveler's page at phone width),
//! `incidents-board-answers.png` (safe, needs help, not answered) and
//! `incidents-board-phone.png` (the board at 390 px).
//!
//! The demo runs on SQLite, or on a fresh PostgreSQL database with `TRIPDESK_TEST_DATABASE_URL`.
//! Needs `apt-get install chromium chromium-driver fonts-noto-cjk` (`scripts/test` does it).

#[path = "common/browser.rs"]
mod chromium;
mod common;

use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context};
use chromium::{start_demo_in_chromium_with, Browser};
use fantoccini::Locator;
use serde_json::Value;
use tripdesk_app::sms::wire;
use tripdesk_delivery::sms_sink::{SinkMessage, SmsSink};

const KEY_ID: &str = "LTAI-drill-test";
const KEY_SECRET: &str = "drill-access-key-s3cret";
const HOOK_SECRET: &str = "drill-sms-hook-s3cret-0123";

/// Where the drill happens: a demo tour on the road at a coastal place typhoons reach.
struct Target {
    /// The place typed in the form (matched against the package's destination).
    place: &'static str,
    from: String,
    to: String,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_typhoon_drill_declared_broadcast_and_answered_in_headless_chromium() -> anyhow::Result<()>
{
    let sink = SmsSink::start(KEY_ID, KEY_SECRET).await?;
    let mut env = vec![
        ("TRIPDESK_SMS_BASE_URL", sink.url()),
        ("TRIPDESK_SMS_ACCESS_KEY_ID", KEY_ID.into()),
        ("TRIPDESK_SMS_ACCESS_KEY_SECRET", KEY_SECRET.into()),
        ("TRIPDESK_SMS_SIGN_NAME", "山海国际旅行社".into()),
        ("TRIPDESK_SMS_TEMPLATE_CODE", "SMS_276150001".into()),
        ("TRIPDESK_SMS_RATE_PER_SEC", "50".into()),
        ("TRIPDESK_SMS_WEBHOOK_SECRET", HOOK_SECRET.into()),
    ];
    let _database = chromium::demo_database(&mut env).await;
    let session = start_demo_in_chromium_with(&env).await?;
    let outcome = async {
        let target = find_target(&session.base).await?;
        session.browser().drill(&sink, &target).await
    }
    .await;
    session.finish(outcome).await
}

/// The coastal demo departure with the most travelers leaving in the next 30 days; the
/// drill covers its first two days.
async fn find_target(base: &str) -> anyhow::Result<Target> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()?;
    let login: Value = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({"username": "zhao.min", "password": "tripdesk-demo"}))
        .send()
        .await?
        .json()
        .await?;
    let token = login["token"].as_str().context("token")?.to_string();
    let get = |path: String| {
        let (http, token) = (&http, &token);
        async move {
            let v: Value = http
                .get(format!("{base}{path}"))
                .bearer_auth(token)
                .send()
                .await?
                .json()
                .await?;
            anyhow::Ok(v)
        }
    };
    let today = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai")?)
        .date();
    let packages = get("/api/v1/products?limit=200".into()).await?;
    let departures = get(format!(
        "/api/v1/departures?from={today}&until={}&limit=200",
        today.checked_add(jiff::Span::new().days(30))?
    ))
    .await?;
    let place_of = |package: &str| -> Option<&'static str> {
        let destination = packages["items"]
            .as_array()?
            .iter()
            .find(|p| p["id"] == package)?["destination"]
            .as_str()?;
        ["三亚", "厦门", "乌镇"]
            .into_iter()
            .find(|place| destination.contains(place))
    };
    let best = departures["items"]
        .as_array()
        .context("departures")?
        .iter()
        .filter_map(|d| Some((place_of(d["package_id"].as_str()?)?, d)))
        .max_by_key(|(_, d)| d["taken"].as_u64().unwrap_or(0))
        .with_context(|| format!("a coastal demo departure in 30 days: {departures}"))?;
    let (place, d) = best;
    ensure!(
        d["taken"].as_u64().unwrap_or(0) >= 2,
        "the demo's coastal departures are nearly empty: {d}"
    );
    let from: jiff::civil::Date = d["date"].as_str().context("date")?.parse()?;
    Ok(Target {
        place,
        from: from.to_string(),
        to: from.checked_add(jiff::Span::new().days(1))?.to_string(),
    })
}

/// The sink's texts of the drill titled `title`, once `n` of them have arrived.
async fn texts(sink: &SmsSink, title: &str, n: usize) -> anyhow::Result<Vec<SinkMessage>> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let got: Vec<SinkMessage> = sink
            .messages()
            .into_iter()
            .filter(|m| m.text.contains(title))
            .collect();
        if got.len() >= n {
            return Ok(got);
        }
        if Instant::now() > deadline {
            bail!("only {} of {n} texts reached the provider", got.len());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The check-in link in a text.
fn link_in(text: &str) -> anyhow::Result<String> {
    let start = text.find("http").context("a link in the text")?;
    let link: String = text[start..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect();
    ensure!(link.contains("/c/"), "a check-in link: {link}");
    Ok(link)
}

/// The first number in `text`.
fn number_in(text: &str) -> anyhow::Result<u64> {
    let digits: String = text
        .chars()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(|c| c.is_ascii_digit())
        .collect();
    digits
        .parse()
        .with_context(|| format!("a number in {text:?}"))
}

impl Browser<'_> {
    async fn text_of(&self, css: &str) -> anyhow::Result<String> {
        Ok(self.wait(Locator::Css(css)).await?.text().await?)
    }

    async fn select(&self, id: &str, value: &str) -> anyhow::Result<()> {
        self.c
            .find(Locator::Id(id))
            .await?
            .select_by_value(value)
            .await
            .with_context(|| format!("{id}: no option {value:?}"))?;
        Ok(())
    }

    /// Sets a date input (typing into one depends on the browser's locale).
    async fn set_date(&self, id: &str, value: &str) -> anyhow::Result<()> {
        self.c
            .execute(
                "document.getElementById(arguments[0]).value = arguments[1];",
                vec![id.into(), value.into()],
            )
            .await?;
        Ok(())
    }

    /// The board's figures: (affected, safe, needs help, not answered).
    async fn figures(&self) -> anyhow::Result<(u64, u64, u64, u64)> {
        let n = |css: &'static str| async move {
            number_in(&self.text_of(&format!(".incident-figures {css} .n")).await?)
        };
        Ok((
            n(".figure:first-child").await?,
            n(".figure.safe").await?,
            n(".figure.help").await?,
            n(".figure.pending").await?,
        ))
    }

    async fn drill(&self, sink: &SmsSink, target: &Target) -> anyhow::Result<()> {
        let c = self.c;
        let title = format!("台风“海燕”影响{}", target.place);
        c.set_window_size(1366, 1100).await?;
        self.sign_in_as("zhao.min").await?;
        c.goto(&format!("{}/incidents", self.base)).await?;
        self.heading("突发事件").await?;
        // The demo's own drill is listed; the form opens from its summary.
        let listed = self.text_of("table.incidents-list").await?;
        ensure!(listed.contains("台风“海葵”影响莫干山"), "{listed:?}");
        self.click(Locator::Css("#declare > summary")).await?;
        self.wait(Locator::Id("title")).await?;
        let guidance = self.text_of("#level").await?;
        ensure!(
            guidance.contains("特别重大") && guidance.contains("30 人以上死亡"),
            "the levels with their thresholds: {guidance:?}"
        );
        self.select("kind", "natural_disaster").await?;
        self.click(Locator::Css("input[name=level][value=large]"))
            .await?;
        self.fill("title", &title).await?;
        self.fill(
            "description",
            "中央气象台发布台风红色预警：台风“海燕”预计 48 小时内登陆，沿海有特大暴雨。\
             演练：确认在途游客平安。",
        )
        .await?;
        self.select("warning_colour", "red").await?;
        self.click(Locator::Id("drill")).await?;
        self.fill("scope_regions", target.place).await?;
        self.set_date("scope_from", &target.from).await?;
        self.set_date("scope_to", &target.to).await?;
        self.fill("no_answer_minutes", "30").await?;
        c.execute(
            "document.activeElement.blur(); \
             document.getElementById('declare').scrollIntoView({block: 'start'});",
            vec![],
        )
        .await?;
        self.shot("incidents-declare.png").await?;

        // Refused: a weather warning on a safety incident, no place, the window reversed.
        self.select("kind", "safety").await?;
        self.fill("scope_regions", " ").await?;
        self.set_date("scope_to", "2020-01-01").await?;
        self.submit(Locator::Css("form.declare-form button[type=submit]"))
            .await?;
        let alert = self.text_of("#declare .alert").await?;
        for expected in [
            "只有自然灾害才填写气象预警",
            "请至少填写一个地区，或指定房源、产品、团期",
        ] {
            ensure!(alert.contains(expected), "{expected} missing: {alert:?}");
        }
        let kept = |id: &'static str| async move {
            self.c
                .find(Locator::Id(id))
                .await?
                .prop("value")
                .await?
                .with_context(|| format!("{id} has a value"))
        };
        ensure!(kept("title").await? == title, "the title is kept");
        ensure!(
            kept("description").await?.contains("台风红色预警"),
            "the description is kept"
        );
        ensure!(kept("kind").await? == "safety", "the kind is kept");
        ensure!(kept("warning_colour").await? == "red", "the colour is kept");
        ensure!(
            kept("scope_from").await? == target.from,
            "the dates are kept"
        );
        ensure!(
            c.find(Locator::Css("#drill:checked")).await.is_ok(),
            "the drill box stays ticked"
        );
        ensure!(
            c.find(Locator::Css("input[name=level][value=large]:checked"))
                .await
                .is_ok(),
            "the level stays chosen"
        );
        c.execute(
            "document.getElementById('declare').scrollIntoView({block: 'start'});",
            vec![],
        )
        .await?;
        self.shot("incidents-declare-refused.png").await?;

        // Mended and declared: the board, with the people the bookings reach.
        self.select("kind", "natural_disaster").await?;
        self.fill("scope_regions", target.place).await?;
        self.set_date("scope_to", &target.to).await?;
        self.submit(Locator::Css("form.declare-form button[type=submit]"))
            .await?;
        self.heading(&title).await?;
        let flash = self.text_of(".flash").await?;
        ensure!(flash.contains("已宣布事件：受影响"), "{flash:?}");
        let (people, safe, help, pending) = self.figures().await?;
        ensure!(
            people >= 2 && safe == 0 && help == 0 && pending == people,
            "all {people} not answered yet: {:?}",
            (safe, help, pending)
        );
        let board_url = c.current_url().await?.to_string();
        let board_url = board_url.split(['?', '#']).next().unwrap_or("").to_string();

        // The team.
        for (role, user) in [
            ("leader", "赵敏"),
            ("cs_manager", "孙丽"),
            ("tech_support", "系统管理员"),
            ("logistics", "吴刚"),
        ] {
            c.find(Locator::Id(&format!("role_{role}")))
                .await?
                .select_by_label(user)
                .await
                .with_context(|| format!("{user} offered for {role}"))?;
        }
        self.submit(Locator::Css("form.team-form button[type=submit]"))
            .await?;
        let flash = self.text_of(".flash").await?;
        ensure!(flash.contains("已更新应急小组分工（4 项）"), "{flash:?}");

        // The broadcast: one text each to those with a phone, through the provider.
        self.submit(Locator::Css("#broadcast button[type=submit]"))
            .await?;
        let flash = self.text_of(".flash").await?;
        ensure!(flash.contains("已排队发送"), "{flash:?}");
        let sms = number_in(flash.split("短信").nth(1).unwrap_or(""))?;
        ensure!(sms >= 2, "texts to at least two travelers: {flash:?}");
        let sent = texts(sink, &title, sms as usize).await?;
        ensure!(
            sent.iter()
                .all(|m| m.text.starts_with("【演练】") && m.request.sign_name == "山海国际旅行社"),
            "drill texts under the agency's signature"
        );
        // The board once the outbox has recorded every text as handed over.
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            c.goto(&board_url).await?;
            let reached = self
                .text_of(".progress-row:first-child .progress-value")
                .await?;
            if number_in(&reached)? == sms {
                break;
            }
            ensure!(
                Instant::now() < deadline,
                "delivery never reached {sms}: {reached}"
            );
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        self.shot("incidents-board-broadcast.png").await?;

        // One traveler answers on the page their link opens (a phone).
        let link = link_in(&sent[0].text)?;
        c.set_window_size(390, 844).await?;
        c.goto(&link).await?;
        self.heading(&title).await?;
        let page = self.text_of(".checkin-card").await?;
        ensure!(
            page.contains("应急演练") && page.contains("请告诉我们您是否平安"),
            "{page:?}"
        );
        self.shot("incidents-checkin.png").await?;
        self.submit(Locator::Css("button.checkin-safe")).await?;
        let done = self.text_of(".receipt-done").await?;
        ensure!(done.contains("已收到"), "{done:?}");

        // Another replies "2" by SMS: the provider posts it to the signed webhook.
        let (status, body) = sink
            .post_replies(
                self.base,
                HOOK_SECRET,
                &[wire::Reply {
                    phone_number: sent[1].request.phone_numbers.clone(),
                    content: "2 需要帮助".into(),
                    send_time: None,
                    sequence_id: "drill-reply-1".into(),
                }],
            )
            .await?;
        ensure!(status == 200, "the reply webhook: {status} {body}");

        // The board: one safe, one needing help with an urgent ticket, the rest silent.
        c.set_window_size(1366, 1100).await?;
        c.goto(&board_url).await?;
        let (_, safe, help, pending) = self.figures().await?;
        ensure!(
            (safe, help, pending) == (1, 1, people - 2),
            "answers on the board: {:?}",
            (safe, help, pending)
        );
        let column = self.text_of(".people-col.help").await?;
        ensure!(
            column.contains("短信") && column.contains("工单"),
            "{column:?}"
        );
        // Staff record a third traveler safe from the list (they phoned the guide).
        if people >= 3 {
            c.goto(&format!("{board_url}?people=pending#people"))
                .await?;
            let form = self.wait(Locator::Css("#people form.row-form")).await?;
            form.find(Locator::Css("select"))
                .await?
                .select_by_value("safe")
                .await?;
            self.submit(Locator::Css("#people form.row-form button[type=submit]"))
                .await?;
            let flash = self.text_of(".flash").await?;
            ensure!(flash.contains("已登记：平安"), "{flash:?}");
            ensure!(
                c.current_url().await?.as_str().contains("people=pending"),
                "back to the same list"
            );
            c.goto(&board_url).await?;
            let (_, safe, help, pending) = self.figures().await?;
            ensure!(
                (safe, help, pending) == (2, 1, people - 3),
                "after the staff's answer: {:?}",
                (safe, help, pending)
            );
        }
        let timeline = self.text_of("#timeline").await?;
        for expected in [
            "游客回复：平安（链接）",
            "游客回复：需要帮助（短信）",
            "升级为紧急工单",
        ] {
            ensure!(
                timeline.contains(expected),
                "{expected} missing: {timeline:?}"
            );
        }
        self.shot("incidents-board-answers.png").await?;

        c.set_window_size(390, 844).await?;
        c.goto(&board_url).await?;
        self.heading(&title).await?;
        let overflow: bool = c
            .execute(
                "return document.documentElement.scrollWidth > window.innerWidth;",
                vec![],
            )
            .await?
            .as_bool()
            .unwrap_or(true);
        ensure!(!overflow, "the board scrolls sideways at 390 px");
        self.shot("incidents-board-phone.png").await?;
        Ok(())
    }
}
