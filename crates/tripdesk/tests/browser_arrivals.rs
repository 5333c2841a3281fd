//! The front desk's arrivals (今日到店) in a real headless Chromium on `tripdesk demo` (issue
//! 14 item 9): three confirmed stays check in today at a homestay made through the API; one
//! was registered in time with its welcome pack, one arrived and its 5-minute clock is
//! running. The agent records the third guests' arrival from the list (its clock counts down
//! in the page), opens the booking, completes the registration with the welcome pack ticked,
//! and the room-status grid shows the room checked in. Screenshots
//! `docs/screenshots/bookings-arrivals.png` (the list; `-phone` at 390 px), `bookings-arrival.png` (the booking
//! page, the clock running), `bookings-registered.png` (registered in time).
//!
//! Needs `apt-get install chromium chromium-driver fonts-noto-cjk` (`scripts/test` does it).

#[path = "common/browser.rs"]
mod chromium;
mod common;

use std::time::Duration;

use anyhow::{ensure, Context};
use chromium::{start_demo_in_chromium, Browser};
use fantoccini::Locator;
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_front_desk_receives_guests_in_headless_chromium() -> anyhow::Result<()> {
    let session = start_demo_in_chromium().await?;
    let outcome = async {
        let api = Api::new(&session.base).await?;
        let home = api.homestay_with_arrivals().await?;
        session.browser().receive(&home).await
    }
    .await;
    session.finish(outcome).await
}

struct Homestay {
    property: String,
    /// Rooms 201, 202, 203.
    rooms: Vec<String>,
    /// The booking of 201, whose guests the walk receives.
    walk_in: String,
    today: String,
}

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

    /// A homestay with three rooms, each booked from today: 202 arrived and registered with
    /// its welcome pack, 203 arrived (the clock runs), 201 not arrived yet.
    async fn homestay_with_arrivals(&self) -> anyhow::Result<Homestay> {
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
        let room_type = id(self
            .call(
                Some(&admin),
                &format!("/api/v1/properties/{property}/room-types"),
                json!({"property_id": property, "name": "海景大床房", "max_occupancy": 2,
                       "facilities": ["独立卫浴"], "accessibility": {"wheelchair": false, "easy_walking": true},
                       "base_rate": 48000, "weekend_rate": 58000, "holiday_rate": 88000}),
            )
            .await?)?;
        let mut rooms = Vec::new();
        for (i, label) in ["201", "202", "203"].into_iter().enumerate() {
            rooms.push(id(self
                .call(
                    Some(&admin),
                    "/api/v1/rooms",
                    json!({"room_type_id": room_type, "label": label, "position": i}),
                )
                .await?)?);
        }
        let today = jiff::Timestamp::now()
            .to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai")?)
            .date();
        let day = |n: i64| today.checked_add(jiff::Span::new().days(n));
        let agent = self.token("li.na").await?;
        let mut bookings = Vec::new();
        for (room, guest, phone, nights) in [
            (&rooms[0], "王建国", "13912345678", 2),
            (&rooms[1], "李雷", "13700000002", 1),
            (&rooms[2], "韩梅梅", "13500000003", 3),
        ] {
            bookings.push(id(self
                .call(
                    Some(&agent),
                    "/api/v1/bookings",
                    json!({"customer": {"name": guest, "phone": phone},
                           "lines": [{"room_id": room, "check_in": today.to_string(), "check_out": day(nights)?.to_string()}],
                           "confirm": true}),
                )
                .await?)?);
        }
        for b in &bookings[1..] {
            self.call(
                Some(&agent),
                &format!("/api/v1/bookings/{b}/arrival"),
                json!({}),
            )
            .await?;
        }
        self.call(
            Some(&agent),
            &format!("/api/v1/bookings/{}/registration", bookings[1]),
            json!({"welcome_pack": true}),
        )
        .await?;
        Ok(Homestay {
            property,
            rooms,
            walk_in: bookings[0].clone(),
            today: today.to_string(),
        })
    }
}

impl Browser<'_> {
    async fn receive(&self, home: &Homestay) -> anyhow::Result<()> {
        let c = self.c;
        c.set_window_size(1366, 900).await?;
        self.sign_in_as("li.na").await?;
        // From the navigation to the list of the first property, then this one.
        self.click(Locator::Css("nav.sidebar a[href='/bookings/arrivals']"))
            .await?;
        self.heading("今日到店").await?;
        c.goto(&format!(
            "{}/bookings/arrivals?property={}",
            self.base, home.property
        ))
        .await?;
        self.heading("今日到店").await?;
        let rows = c.find_all(Locator::Css("table.arrivals tbody tr")).await?;
        ensure!(
            rows.len() == 3,
            "three arrivals today, found {}",
            rows.len()
        );
        let row = format!("tr[data-booking='{}']", home.walk_in);
        self.submit(Locator::Css(&format!(
            "{row} form[action$='/arrival'] button"
        )))
        .await?;
        let flash = self.wait(Locator::Css(".flash")).await?.text().await?;
        ensure!(flash.contains("已记录到店"), "flash: {flash:?}");
        // Its clock counts down in the page (app.js), from 5 minutes.
        let badge = Locator::Css("tr[data-booking] .sla[data-due]");
        self.wait(badge).await?;
        let before = c
            .find(Locator::Css(&format!("{row} .sla")))
            .await?
            .text()
            .await?;
        ensure!(
            before.starts_with("剩余 0"),
            "the clock shows its time left: {before:?}"
        );
        tokio::time::sleep(Duration::from_millis(2100)).await;
        let after = c
            .find(Locator::Css(&format!("{row} .sla")))
            .await?
            .text()
            .await?;
        ensure!(
            after != before,
            "the badge counts down: {before:?} → {after:?}"
        );
        let registered = c
            .find(Locator::Css("tr.registered .clock-done.met"))
            .await?
            .text()
            .await?;
        ensure!(registered.starts_with("按时完成"), "202: {registered:?}");
        self.shot("bookings-arrivals.png").await?;
        // At a phone's width the list stacks, with nothing to scroll sideways.
        c.set_window_size(390, 844).await?;
        let overflow: Value = c
            .execute(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth;",
                vec![],
            )
            .await?;
        ensure!(
            overflow.as_i64() == Some(0),
            "scrolls sideways by {overflow} px at 390 px"
        );
        self.shot("bookings-arrivals-phone.png").await?;
        c.set_window_size(1366, 900).await?;

        // The booking page: registration with the welcome pack.
        self.click(Locator::Css(&format!("{row} td a"))).await?;
        self.heading("预订").await?;
        self.wait(Locator::Css("section.arrival-panel .sla[data-due]"))
            .await
            .context("the booking page shows the running clock")?;
        self.click(Locator::Css("form.register-form input[name=welcome_pack]"))
            .await?;
        self.shot("bookings-arrival.png").await?;
        self.submit(Locator::Css("form.register-form button"))
            .await?;
        let flash = self.wait(Locator::Css(".flash")).await?.text().await?;
        ensure!(flash.contains("入住登记已完成"), "flash: {flash:?}");
        let pack = c.find(Locator::Css("dd[data-pack]")).await?.text().await?;
        ensure!(pack == "已发", "welcome pack: {pack:?}");
        let done = c
            .find(Locator::Css("dd[data-registration]"))
            .await?
            .text()
            .await?;
        ensure!(done.starts_with("按时完成"), "registration: {done:?}");
        self.shot("bookings-registered.png").await?;

        // The grid: 201 is checked in tonight.
        c.goto(&format!(
            "{}/bookings/rooms?property={}",
            self.base, home.property
        ))
        .await?;
        self.heading("房态").await?;
        let state: Value = c
            .execute(
                "const [room, night] = arguments;\
                 const head = [...document.querySelectorAll('table.room-grid thead th.day')].findIndex(th => th.title === night);\
                 const row = [...document.querySelectorAll('table.room-grid tbody tr')].find(tr => tr.dataset.room === room);\
                 return row && head >= 0 ? row.cells[head + 1].className : null;",
                vec![json!(home.rooms[0]), json!(home.today)],
            )
            .await?;
        ensure!(
            state.as_str().is_some_and(|s| s.contains("s-checked_in")),
            "201 tonight: {state}"
        );
        Ok(())
    }
}
