//! The room-status grid (房态) and booking from it, in a real headless Chromium on
//! `tripdesk demo` (issue 14 item 3): a homestay made through the API with one held and one
//! confirmed booking shows them on the grid; an agent moves to a free night with the arrow
//! keys, opens the booking form with Enter (room and check-in prefilled), books and confirms
//! at once, lands on the booking's page, and back on the grid the night is booked.
//! Screenshots `docs/screenshots/bookings-{grid,form,page,booked}.png`.
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
        session.browser().walk(&home).await
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
    async fn walk(&self, home: &Homestay) -> anyhow::Result<()> {
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
        self.click(Locator::Css(
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
        self.shot("bookings-page.png").await?;

        // Back on the grid the night is booked.
        self.click(Locator::Css(".page-head a.button")).await?;
        self.heading("房态").await?;
        self.wait(Locator::Css("table.room-grid")).await?;
        ensure!(
            self.cell_state(&home.rooms[2], &today).await? == "booked",
            "203 is booked tonight"
        );
        self.shot("bookings-booked.png").await?;
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
