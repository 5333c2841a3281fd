//! The room-status grid (房态) and booking from it, in a real headless Chromium on
//! `tripdesk demo` (issue 14 item 3): a homestay made through the API with one held and one
//! confirmed booking shows them on the grid; an agent moves to a free night with the arrow
//! keys, opens the booking form with Enter (room and check-in prefilled), books and confirms
//! at once, lands on the booking's page, and back on the grid the night is booked.
//! Screenshots `docs/screenshots/bookings-{grid,form,page,booked}.png`.
//!
//! And matching (issue 14 item 4): from an inquiry ticket about a 莫干山 homestay the agent
//! opens 推荐产品, finds 莫干山 already in the keywords, asks for two nights for a family,
//! sees up to three cards with their reasons, and books a stay from its card (room and dates
//! prefilled). Screenshot `docs/screenshots/bookings-recommend.png`.
//!
//! Needs `apt-get install chromium chromium-driver fonts-noto-cjk` (`scripts/test` does it).

#[path = "common/browser.rs"]
mod chromium;
mod common;

use std::time::Duration;

use anyhow::{ensure, Context};
use chromium::{start_demo_in_chromium, Browser};
use fantoccini::key::Key;
use fantoccini::Locator;
use jiff::civil::Date;
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn room_grid_and_booking_from_a_cell_in_headless_chromium() -> anyhow::Result<()> {
    let session = start_demo_in_chromium().await?;
    let outcome = async {
        let api = Api::new(&session.base).await?;
        let home = api.homestay().await?;
        session.browser().walk(&home, &api).await
    }
    .await;
    session.finish(outcome).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recommendations_from_an_inquiry_ticket_in_headless_chromium() -> anyhow::Result<()> {
    let session = start_demo_in_chromium().await?;
    let outcome = async {
        let api = Api::new(&session.base).await?;
        let agent = api.token("li.na").await?;
        let ticket = api
            .call(
                Some(&agent),
                "/api/v1/tickets",
                json!({"kind": "inquiry", "channel": "phone", "level": "general",
                       "subject": "莫干山民宿家庭房咨询",
                       "description": "下个月想带孩子去莫干山住两晚，两大一小，人均一千五以内。",
                       "customer": {"name": "陈静"}}),
            )
            .await?;
        let ticket = ticket["id"].as_str().context("ticket id")?.to_string();
        session.browser().recommend(&ticket).await
    }
    .await;
    session.finish(outcome).await
}

/// The homestay the walk books in.
struct Homestay {
    property: String,
    /// Rooms 201–206 in grid order.
    rooms: Vec<String>,
    today: Date,
}

/// The API as the demo's staff.
struct Api {
    http: reqwest::Client,
    base: String,
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
        let v = self
            .call(
                None,
                "/api/v1/auth/login",
                json!({"username": username, "password": "tripdesk-demo"}),
            )
            .await?;
        Ok(v["token"].as_str().context("token")?.to_string())
    }

    async fn call(&self, token: Option<&str>, path: &str, body: Value) -> anyhow::Result<Value> {
        let mut req = self.http.post(format!("{}{path}", self.base)).json(&body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let res = req.send().await?;
        let status = res.status();
        let text = res.text().await?;
        ensure!(status.is_success(), "POST {path}: {status} {text}");
        Ok(serde_json::from_str(&text)?)
    }

    /// A property with two room types and six rooms (made by a supervisor), a held booking
    /// on 201 (nights 1–2 from today) and a confirmed one on 202 (nights 2–3), by an agent.
    async fn homestay(&self) -> anyhow::Result<Homestay> {
        let admin = self.token("zhao.min").await?;
        let id = |v: Value| -> anyhow::Result<String> {
            Ok(v["id"].as_str().context("id")?.to_string())
        };
        let property = id(self
            .call(
                Some(&admin),
                "/api/v1/properties",
                json!({"name": "洱海边·云舍民宿", "address": "云南省大理市双廊镇玉几岛 8 号",
                       "phone": "0872-2461888", "check_in_time": "14:00", "check_out_time": "12:00"}),
            )
            .await?)?;
        let mut rooms = Vec::new();
        for (name, rate, labels) in [
            ("海景大床房", 48000, ["201", "202", "203"]),
            ("庭院双床房", 36000, ["101", "102", "103"]),
        ] {
            let room_type = id(self
                .call(
                    Some(&admin),
                    &format!("/api/v1/properties/{property}/room-types"),
                    json!({"property_id": property, "name": name, "max_occupancy": 2,
                           "facilities": ["独立卫浴"], "accessibility": {"wheelchair": false, "easy_walking": true},
                           "base_rate": rate, "weekend_rate": rate + 10000, "holiday_rate": rate + 40000}),
                )
                .await?)?;
            for label in labels {
                rooms.push(id(self
                    .call(
                        Some(&admin),
                        "/api/v1/rooms",
                        json!({"room_type_id": room_type, "label": label, "position": rooms.len()}),
                    )
                    .await?)?);
            }
        }
        let today = jiff::Timestamp::now()
            .to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai")?)
            .date();
        let day = |n: i64| today.checked_add(jiff::Span::new().days(n));
        let agent = self.token("li.na").await?;
        for (room, from, to, confirm) in [(&rooms[0], 1, 3, false), (&rooms[1], 2, 4, true)] {
            self.call(
                Some(&agent),
                "/api/v1/bookings",
                json!({"customer": {"name": "张晓梅", "phone": "13812345678"},
                       "lines": [{"room_id": room, "check_in": day(from)?.to_string(), "check_out": day(to)?.to_string()}],
                       "confirm": confirm}),
            )
            .await?;
        }
        Ok(Homestay {
            property,
            rooms,
            today,
        })
    }
}

impl Browser<'_> {
    async fn walk(&self, home: &Homestay, api: &Api) -> anyhow::Result<()> {
        let c = self.c;
        c.set_window_size(1366, 900).await?;
        self.sign_in_as("li.na").await?;
        let grid_url = format!("{}/bookings/rooms?property={}", self.base, home.property);
        c.goto(&grid_url).await?;
        self.heading("房态").await?;
        self.wait(Locator::Css("table.room-grid")).await?;
        let today = home.today.to_string();
        let tomorrow = home.today.tomorrow()?.to_string();
        ensure!(
            self.cell_state(&home.rooms[0], &tomorrow).await? == "held",
            "201 is held tomorrow"
        );
        ensure!(
            self.cell_state(
                &home.rooms[1],
                &home
                    .today
                    .checked_add(jiff::Span::new().days(2))?
                    .to_string()
            )
            .await?
                == "booked",
            "202 is booked the day after tomorrow"
        );
        ensure!(self.cell_state(&home.rooms[2], &today).await? == "free");
        self.shot("bookings-grid.png").await?;

        // The keyboard: from 201 tonight, two rows down is 203 tonight; Enter opens the form.
        c.execute(
            "document.querySelector('table.room-grid tbody tr td a').focus();",
            vec![],
        )
        .await?;
        let active = c.active_element().await?;
        active.send_keys(&Key::Down.to_string()).await?;
        c.active_element()
            .await?
            .send_keys(&Key::Down.to_string())
            .await?;
        let focused = c.active_element().await?;
        let href = focused.attr("href").await?.unwrap_or_default();
        ensure!(
            href == format!("/bookings/new?room={}&check_in={today}", home.rooms[2]),
            "the arrow keys reach 203 tonight: {href}"
        );
        focused.send_keys(&Key::Enter.to_string()).await?;
        self.heading("新建预订").await?;
        let chosen = c
            .find(Locator::Css("#room option:checked"))
            .await?
            .attr("value")
            .await?
            .unwrap_or_default();
        ensure!(
            chosen == home.rooms[2],
            "the room comes prefilled: {chosen}"
        );
        let check_in = c
            .find(Locator::Id("check_in"))
            .await?
            .prop("value")
            .await?
            .unwrap_or_default();
        ensure!(check_in == today, "check-in comes prefilled: {check_in}");
        self.fill("customer_name", "王建国").await?;
        self.fill("customer_phone", "13912345678").await?;
        self.click(Locator::Css("input[name=hold][value=confirm]"))
            .await?;
        self.shot("bookings-form.png").await?;
        self.submit(Locator::Css(
            "form[action='/bookings/new'] button[type=submit]",
        ))
        .await?;

        // The booking's page: confirmed, with its confirmation number and the flash.
        self.wait(Locator::Css("dd[data-state=confirmed]"))
            .await
            .context("the booking page shows it confirmed")?;
        let flash = c.find(Locator::Css(".flash")).await?.text().await?;
        ensure!(flash.contains("预订已创建"), "flash: {flash:?}");
        let number = c.find(Locator::Css("h1 .mono")).await?.text().await?;
        ensure!(number.starts_with("TD"), "confirmation number {number:?}");
        ensure!(
            c.find(Locator::Css("a[href$='/departure-notice.pdf']"))
                .await
                .is_ok(),
            "the departure notice is linked"
        );
        // No email to carry the confirmation: the 1-hour clock runs until the agent phones.
        let pending = c
            .find(Locator::Css("dd.confirmation-state"))
            .await?
            .text()
            .await?;
        ensure!(pending.contains("未发出"), "confirmation: {pending:?}");
        self.shot("bookings-page.png").await?;
        self.submit(Locator::Css(
            "form[action$='/confirmation-told'] button[type=submit]",
        ))
        .await?;
        self.wait(Locator::Css(".flash")).await?;
        let told = c
            .find(Locator::Css("dd.confirmation-state"))
            .await?
            .text()
            .await?;
        ensure!(told.contains("1 小时内"), "confirmation: {told:?}");
        let mut page = c.current_url().await?;
        page.set_query(None);
        let booking_url = page.to_string();

        // Back on the grid the night is booked.
        self.click(Locator::Css(".page-head a.button")).await?;
        self.heading("房态").await?;
        self.wait(Locator::Css("table.room-grid")).await?;
        ensure!(
            self.cell_state(&home.rooms[2], &today).await? == "booked",
            "203 is booked tonight"
        );
        self.shot("bookings-booked.png").await?;

        // The guest paid by WeChat, then cancels on the check-in day: the refund owed shows
        // with its deadline and a payout form; recording the payout shows it paid.
        let booking = booking_url
            .rsplit('/')
            .next()
            .context("booking id")?
            .to_string();
        let agent = api.token("li.na").await?;
        api.call(
            Some(&agent),
            &format!("/api/v1/bookings/{booking}/payments"),
            json!({"method": "wechat_pay", "amount_fen": 150000, "reference": "4200009999"}),
        )
        .await?;
        c.goto(&booking_url).await?;
        self.wait(Locator::Css("form.cancel-form")).await?;
        self.click(Locator::Css("form.cancel-form input[name=confirm]"))
            .await?;
        self.submit(Locator::Css("form.cancel-form button[type=submit]"))
            .await?;
        self.wait(Locator::Css("dd[data-state=cancelled]"))
            .await
            .context("the booking is cancelled")?;
        let owed = c.find(Locator::Css(".refund .hint")).await?.text().await?;
        ensure!(owed.contains("应退"), "the refund owed shows: {owed:?}");
        self.click(Locator::Css(
            "form.payout-form select[name=method] option[value=wechat_pay]",
        ))
        .await
        .with_context(|| format!("a payout form for {owed:?}"))?;
        c.find(Locator::Css("form.payout-form input[name=reference]"))
            .await?
            .send_keys("TK-20270001")
            .await?;
        self.shot("bookings-refund-owed.png").await?;
        self.submit(Locator::Css("form.payout-form button[type=submit]"))
            .await?;
        self.wait(Locator::Css(".refund-paid"))
            .await
            .context("the refund shows paid")?;
        let flash = c.find(Locator::Css(".flash")).await?.text().await?;
        ensure!(flash.contains("退款已登记"), "flash: {flash:?}");
        ensure!(
            c.find(Locator::Css("form.payout-form")).await.is_err(),
            "no second payout is offered"
        );
        c.execute(
            "document.querySelector('.refund').scrollIntoView({block: 'center'});",
            vec![],
        )
        .await?;
        self.shot("bookings-refund-paid.png").await?;

        // Seats on a tour: from the departures calendar of next month (the demo's
        // departures), the first departure with seats opens the form in its tour mode.
        let month = home
            .today
            .checked_add(jiff::Span::new().days(31))?
            .strftime("%Y-%m")
            .to_string();
        c.goto(&format!("{}/bookings/departures?month={month}", self.base))
            .await?;
        self.click(Locator::Css(
            "a.button.small[href^='/bookings/new?departure=']",
        ))
        .await
        .context("a departure with seats links to the form")?;
        self.wait(Locator::Css("dd[data-seats-left]")).await?;
        self.fill("customer_name", "陈思远").await?;
        self.fill("customer_phone", "13611112222").await?;
        self.fill("adults", "2").await?;
        self.fill("children", "1").await?;
        self.click(Locator::Css("input[name=hold][value=confirm]"))
            .await?;
        self.shot("bookings-tour-form.png").await?;
        self.submit(Locator::Css(
            "form[action='/bookings/new'] button[type=submit]",
        ))
        .await?;
        self.wait(Locator::Css("dd[data-state=confirmed]"))
            .await
            .context("the tour booking is confirmed")?;
        let lines = c
            .find(Locator::Css("table.booking-lines"))
            .await?
            .text()
            .await?;
        ensure!(
            lines.contains("出发：3 人"),
            "the tour and its three seats: {lines:?}"
        );
        let back = c
            .find(Locator::Css(".page-head a.button"))
            .await?
            .text()
            .await?;
        ensure!(back == "返回团期", "back to the departures: {back:?}");
        self.shot("bookings-tour-booked.png").await?;
        Ok(())
    }

    /// From the inquiry to the needs form, its cards, and the booking form of a stay.
    async fn recommend(&self, ticket: &str) -> anyhow::Result<()> {
        let c = self.c;
        c.set_window_size(1366, 900).await?;
        self.sign_in_as("li.na").await?;
        c.goto(&format!("{}/desk/tickets/{ticket}", self.base))
            .await?;
        self.click(Locator::Id("recommend-products")).await?;
        self.heading("按需求推荐产品").await?;
        let keywords = c
            .find(Locator::Id("keywords"))
            .await?
            .prop("value")
            .await?
            .unwrap_or_default();
        ensure!(
            keywords.contains("莫干山"),
            "the keywords start from the inquiry: {keywords:?}"
        );
        self.fill("nights", "2").await?;
        self.fill("budget", "1500").await?;
        self.fill("adults", "2").await?;
        self.fill("children", "1").await?;
        self.click(Locator::Css("input[name=pref][value=family]"))
            .await?;
        self.submit(Locator::Css("form.rec-form button[type=submit]"))
            .await?;
        self.wait(Locator::Css("#rec-results-h")).await?;
        let cards = c.find_all(Locator::Css("[data-recommendation]")).await?;
        ensure!(
            (1..=3).contains(&cards.len()),
            "one to three cards: {}",
            cards.len()
        );
        for card in &cards {
            let reason = card
                .find(Locator::Css("[data-reason]"))
                .await?
                .text()
                .await?;
            ensure!(
                reason.contains("莫干山"),
                "a reason naming the place: {reason:?}"
            );
        }
        c.set_window_size(1366, 1500).await?;
        self.shot("bookings-recommend.png").await?;
        c.set_window_size(1366, 900).await?;

        // A stay books through the booking form, room and dates filled in.
        let book = c
            .find(Locator::Css("[data-kind=stay] a[data-book]"))
            .await
            .context("a stay is among the cards")?;
        let href = book.attr("href").await?.unwrap_or_default();
        ensure!(href.starts_with("/bookings/new?room="), "{href}");
        book.click().await?;
        self.heading("新建预订").await?;
        let chosen = c
            .find(Locator::Css("#room option:checked"))
            .await?
            .attr("value")
            .await?
            .unwrap_or_default();
        ensure!(
            href.contains(&format!("room={chosen}&")),
            "the room comes prefilled: {chosen} from {href}"
        );
        Ok(())
    }

    /// The state of a room's night on the grid shown (the cell's `s-…` class).
    async fn cell_state(&self, room: &str, night: &str) -> anyhow::Result<String> {
        let script = "const [room, night] = arguments;\
             const head = [...document.querySelectorAll('table.room-grid thead th.day')].findIndex(th => th.title === night);\
             const row = [...document.querySelectorAll('table.room-grid tbody tr')].find(tr => tr.dataset.room === room);\
             if (head < 0 || !row) return null;\
             const cls = row.cells[head + 1].className.match(/s-([a-z_]+)/);\
             return cls ? cls[1] : null;";
        let v = self
            .c
            .execute(script, vec![json!(room), json!(night)])
            .await?;
        v.as_str()
            .map(str::to_string)
            .with_context(|| format!("no cell for room {room} on {night}"))
    }
}
