//! Calendars and the SLA engine through the API and the UI, in-process, on the backend of
//! this test run: calendar arithmetic around China's holidays and make-up days, holiday-year
//! imports, policies, clocks and compliance, with field-level errors for bad input.

mod common;

use common::{harness, Harness, Reply};

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

impl Harness {
    async fn add(&self, token: &str, calendar: &str, body: Value) -> Reply {
        self.api(
            Method::POST,
            &format!("/api/v1/calendars/{calendar}/add"),
            token,
            body,
        )
        .await
    }
}

fn problem(r: &Reply, status: StatusCode, code: &str, field: &str) {
    assert_eq!(r.status, status, "{}", r.text);
    assert_eq!(r.body["code"], code, "{}", r.text);
    if !field.is_empty() {
        assert_eq!(r.body["errors"][0]["field"], field, "{}", r.text);
    }
}

#[tokio::test]
async fn the_seeded_calendars_answer_china_working_days() {
    let h = harness().await;
    let t = h.token("li.na").await;
    let list = h.get("/api/v1/calendars", &t).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text);
    let names: Vec<_> = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["cn-mainland", "hotline"]);
    let cn = &list.body["items"][0];
    assert_eq!(cn["hours"]["mon"], "09:00-18:00");
    assert_eq!(cn["hours"]["sat"], "");
    let years: Vec<_> = cn["years"]
        .as_array()
        .unwrap()
        .iter()
        .map(|y| y["year"].clone())
        .collect();
    assert_eq!(years, [json!(2024), json!(2025), json!(2026)]);

    // National Day 2025: Sunday 28 Sep worked, 1–8 Oct off, Saturday 11 Oct worked.
    let r = h
        .get(
            "/api/v1/calendars/cn-mainland/workdays?from=2025-09-27&to=2025-10-12",
            &t,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        r.body["dates"],
        json!([
            "2025-09-28",
            "2025-09-29",
            "2025-09-30",
            "2025-10-09",
            "2025-10-10",
            "2025-10-11"
        ])
    );
    assert_eq!(r.body["count"], 6);
    // The whole shipped range: 251 + 248 + 248 working days (2024–2026).
    let r = h
        .get(
            "/api/v1/calendars/cn-mainland/workdays?from=2024-01-01&to=2026-12-31",
            &t,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let by_year = |y: &str| {
        r.body["dates"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d.as_str().unwrap().starts_with(y))
            .count()
    };
    assert_eq!(
        (by_year("2024"), by_year("2025"), by_year("2026")),
        (251, 248, 248)
    );
    // The hotline never closes.
    let r = h
        .get(
            "/api/v1/calendars/hotline/workdays?from=2025-10-01&to=2025-10-07",
            &t,
        )
        .await;
    assert_eq!(r.body["count"], 7, "{}", r.text);
}

#[tokio::test]
async fn adding_working_time_around_holidays_and_make_up_days() {
    let h = harness().await;
    let t = h.token("li.na").await;
    let cases = [
        // The example: 1–8 Oct off, Saturday 11 Oct a make-up working day.
        (
            json!({"from": "2025-09-30T17:00:00+08:00", "working_days": 3}),
            "2025-10-11T17:00:00+08:00",
        ),
        // Spring Festival 2025: Sunday 26 Jan is worked, 28 Jan–4 Feb off, Saturday 8 Feb worked.
        (
            json!({"from": "2025-01-24T10:00:00+08:00", "working_days": 1}),
            "2025-01-26T10:00:00+08:00",
        ),
        (
            json!({"from": "2025-01-27T10:00:00+08:00", "working_days": 1}),
            "2025-02-05T10:00:00+08:00",
        ),
        (
            json!({"from": "2025-02-07T10:00:00+08:00", "working_days": 1}),
            "2025-02-08T10:00:00+08:00",
        ),
        // Spring Festival 2024: 10–17 Feb off, Sunday 18 Feb worked.
        (
            json!({"from": "2024-02-09T09:30:00+08:00", "working_days": 1}),
            "2024-02-18T09:30:00+08:00",
        ),
        // New Year 2026: 1–3 Jan off, Sunday 4 Jan worked.
        (
            json!({"from": "2025-12-31T17:30:00+08:00", "working_days": 1}),
            "2026-01-04T17:30:00+08:00",
        ),
        (
            json!({"from": "2025-12-31T17:30:00+08:00", "working_hours": 1}),
            "2026-01-04T09:30:00+08:00",
        ),
        // Working hours over a weekend; an instant given in UTC comes back in Beijing time.
        (
            json!({"from": "2025-03-07T09:00:00Z", "working_hours": 2}),
            "2025-03-10T10:00:00+08:00",
        ),
        (
            json!({"from": "2025-03-07T17:00:00+08:00", "working_hours": 1.5}),
            "2025-03-10T09:30:00+08:00",
        ),
        // Labour Day 2025: 1–5 May off, Sunday 27 April worked.
        (
            json!({"from": "2025-04-25T12:00:00+08:00", "working_days": 1}),
            "2025-04-27T12:00:00+08:00",
        ),
        (
            json!({"from": "2025-04-30T12:00:00+08:00", "working_days": 1}),
            "2025-05-06T12:00:00+08:00",
        ),
        // Wall-clock hours ignore holidays.
        (
            json!({"from": "2025-10-01T10:00:00+08:00", "hours": 1.5}),
            "2025-10-01T11:30:00+08:00",
        ),
    ];
    for (body, want) in cases {
        let r = h.add(&t, "cn-mainland", body.clone()).await;
        assert_eq!(r.status, StatusCode::OK, "{body}: {}", r.text);
        assert_eq!(r.body["due"], want, "{body}");
    }
    // The hotline counts holidays as working time.
    let r = h
        .add(
            &t,
            "hotline",
            json!({"from": "2025-10-01T10:00:00+08:00", "working_days": 2}),
        )
        .await;
    assert_eq!(r.body["due"], "2025-10-03T10:00:00+08:00", "{}", r.text);
}

#[tokio::test]
async fn bad_calendar_input_is_a_clear_error() {
    let h = harness().await;
    let t = h.token("li.na").await;
    let r = h
        .add(
            &t,
            "nowhere",
            json!({"from": "2025-09-30T17:00:00+08:00", "working_days": 1}),
        )
        .await;
    problem(&r, StatusCode::NOT_FOUND, "not_found", "");
    assert!(
        r.body["title"].as_str().unwrap().contains("calendar"),
        "{}",
        r.text
    );
    let r = h
        .add(
            &t,
            "cn-mainland",
            json!({"from": "2025-09-30 17:00", "working_days": 1}),
        )
        .await;
    problem(
        &r,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        "from",
    );
    let r = h
        .add(
            &t,
            "cn-mainland",
            json!({"from": "2025-09-30T17:00:00+08:00", "working_days": 1, "hours": 2}),
        )
        .await;
    problem(
        &r,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        "working_days",
    );
    let r = h
        .add(
            &t,
            "cn-mainland",
            json!({"from": "2025-09-30T17:00:00+08:00", "hours": -1}),
        )
        .await;
    problem(
        &r,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        "hours",
    );
    // A year without holiday data is computed on the provisional calendar (weekends and the
    // statutory holidays: 1 January 2027 off) and says so.
    let r = h
        .add(
            &t,
            "cn-mainland",
            json!({"from": "2026-12-30T10:00:00+08:00", "working_days": 5}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["due"], "2027-01-07T10:00:00+08:00");
    assert_eq!(r.body["provisional"], true);
    assert_eq!(r.body["provisional_years"], json!([2027]));
    let r = h
        .add(
            &t,
            "cn-mainland",
            json!({"from": "2025-09-30T17:00:00+08:00", "working_days": 3}),
        )
        .await;
    assert_eq!(r.body["provisional"], false, "{}", r.text);
    assert_eq!(r.body["provisional_years"], json!([]));
    let r = h
        .get(
            "/api/v1/calendars/cn-mainland/workdays?from=2026-12-28&to=2027-01-08",
            &t,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["count"], 9);
    assert_eq!(r.body["provisional_years"], json!([2027]));
    // Only beyond the provisional calendar's years (1901–2099) is a year refused.
    let r = h
        .add(
            &t,
            "cn-mainland",
            json!({"from": "2099-12-30T10:00:00+08:00", "working_days": 5}),
        )
        .await;
    problem(
        &r,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        "working_days",
    );
    assert_eq!(r.body["errors"][0]["code"], "calendar.no_holiday_data");
    let r = h
        .get(
            "/api/v1/calendars/hotline/workdays?from=2020-01-01&to=2030-01-02",
            &t,
        )
        .await;
    problem(
        &r,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        "to",
    );
    assert_eq!(r.body["errors"][0]["code"], "calendar.range_too_long");
    let r = h
        .get(
            "/api/v1/calendars/cn-mainland/workdays?from=2025-02-30&to=2025-03-01",
            &t,
        )
        .await;
    problem(
        &r,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        "from",
    );
    let r = h
        .get("/api/v1/calendars/cn-mainland/workdays?from=2025-03-01", &t)
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert_eq!(r.body["errors"][0]["field"], "to");
}

const NOTICE_2025: &str = include_str!("../../domain/data/calendars/notices/2025.txt");

#[tokio::test]
async fn admins_create_calendars_and_import_years() {
    let h = harness().await;
    let admin = h.token("admin").await;
    let agent = h.token("li.na").await;
    let body = json!({"name": "yunqi-frontdesk", "description": "民宿前台",
        "hours": {"mon": "08:00-12:00,13:00-20:00", "tue": "08:00-20:00", "wed": "08:00-20:00",
                  "thu": "08:00-20:00", "fri": "08:00-20:00", "sat": "09:00-17:00"}});
    let r = h
        .api(Method::POST, "/api/v1/calendars", &agent, body.clone())
        .await;
    problem(&r, StatusCode::FORBIDDEN, "forbidden", "");
    let r = h
        .api(Method::POST, "/api/v1/calendars", &admin, body.clone())
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["hours"]["mon"], "08:00-12:00,13:00-20:00");
    let r = h.api(Method::POST, "/api/v1/calendars", &admin, body).await;
    problem(&r, StatusCode::CONFLICT, "calendar_name_taken", "name");
    let r = h
        .api(
            Method::POST,
            "/api/v1/calendars",
            &admin,
            json!({"name": "x", "zone": "Mars/Olympus", "hours": {"mon": "18:00-09:00"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let fields: Vec<_> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(fields, ["zone", "hours.mon"]);

    // No data yet: 2025 is computed on the provisional calendar — Monday to Saturday here,
    // less 1 January and 除夕 to 初三 (28–31 January): 27 − 5 = 22 days.
    let r = h
        .get(
            "/api/v1/calendars/yunqi-frontdesk/workdays?from=2025-01-01&to=2025-01-31",
            &admin,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["count"], 22, "{}", r.text);
    assert_eq!(r.body["provisional_years"], json!([2025]));
    // Paste the State Council notice for 2025.
    let r = h
        .api(
            Method::POST,
            "/api/v1/calendars/yunqi-frontdesk/import",
            &admin,
            json!({"format": "notice", "year": 2025, "text": NOTICE_2025}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["years"], json!([2025]));
    let y = h
        .get("/api/v1/calendars/yunqi-frontdesk/years/2025", &admin)
        .await;
    let cn = h
        .get("/api/v1/calendars/cn-mainland/years/2025", &admin)
        .await;
    assert_eq!(
        y.body["festivals"], cn.body["festivals"],
        "the notice gives the shipped dates"
    );
    // Saturdays are worked here, make-up Sundays too.
    let r = h
        .get(
            "/api/v1/calendars/yunqi-frontdesk/workdays?from=2025-01-24&to=2025-01-28",
            &admin,
        )
        .await;
    assert_eq!(
        r.body["dates"],
        json!(["2025-01-24", "2025-01-25", "2025-01-26", "2025-01-27"]),
        "{}",
        r.text
    );
    // Importing the year again needs `replace`.
    let again = json!({"format": "notice", "year": 2025, "text": NOTICE_2025});
    let r = h
        .api(
            Method::POST,
            "/api/v1/calendars/yunqi-frontdesk/import",
            &admin,
            again,
        )
        .await;
    problem(&r, StatusCode::CONFLICT, "holiday_year_exists", "year");
    // A TOML file with a bad date names it.
    let bad = "format = 1\n[[year]]\nyear = 2027\n[[year.festival]]\nzh = \"春节\"\nen = \"Spring Festival\"\noff = [\"2027-02-30\"]\n";
    let r = h
        .api(
            Method::POST,
            "/api/v1/calendars/yunqi-frontdesk/import",
            &admin,
            json!({"format": "toml", "text": bad}),
        )
        .await;
    problem(
        &r,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        "text",
    );
    assert_eq!(r.body["errors"][0]["code"], "holidays.bad_date");
    // A year typed in as JSON: a make-up day on a weekday is refused.
    let r = h
        .api(
            Method::PUT,
            "/api/v1/calendars/yunqi-frontdesk/years/2027",
            &admin,
            json!({"festivals": [{"zh": "春节", "en": "Spring Festival",
                "off": ["2027-02-05", "2027-02-06"], "work": ["2027-02-03"]}]}),
        )
        .await;
    assert_eq!(
        r.body["errors"][0]["code"], "holidays.make_up_not_weekend",
        "{}",
        r.text
    );
    let r = h
        .api(
            Method::PUT,
            "/api/v1/calendars/yunqi-frontdesk/years/2027",
            &admin,
            json!({"notice": "test", "festivals": [{"zh": "春节", "en": "Spring Festival",
                "off": ["2027-02-05", "2027-02-06"], "work": ["2027-01-31"]}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["festivals"][0]["work"], json!(["2027-01-31"]));
    let r = h
        .call(
            Method::DELETE,
            "/api/v1/calendars/yunqi-frontdesk/years/2027",
            &[("authorization", &format!("Bearer {admin}"))],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    // A calendar an SLA policy uses cannot be deleted; an unused one can.
    let del = |name: &str| format!("/api/v1/calendars/{name}");
    let auth = format!("Bearer {admin}");
    let r = h
        .call(
            Method::DELETE,
            &del("cn-mainland"),
            &[("authorization", &auth)],
            None,
        )
        .await;
    problem(&r, StatusCode::CONFLICT, "calendar_in_use", "");
    let r = h
        .call(
            Method::DELETE,
            &del("yunqi-frontdesk"),
            &[("authorization", &auth)],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
}

#[tokio::test]
async fn policies_clocks_and_compliance() {
    let h = harness().await;
    let admin = h.token("admin").await;
    let agent = h.token("li.na").await;
    let supervisor = h.token("zhao.min").await;

    let r = h.get("/api/v1/sla/policies", &agent).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["items"].as_array().unwrap().len(), 15);
    let r = h
        .get("/api/v1/sla/policies/first_response.email", &agent)
        .await;
    assert_eq!(r.body["kind"], "working_days");
    assert_eq!(r.body["calendar"], "cn-mainland");
    assert_eq!(r.body["amount"], 1);

    let patch =
        json!({"amount": 45, "warn_at_percent": 50, "notify_breach": ["supervisor", "admin"]});
    let r = h
        .api(
            Method::PATCH,
            "/api/v1/sla/policies/complaint.contact",
            &agent,
            patch.clone(),
        )
        .await;
    problem(&r, StatusCode::FORBIDDEN, "forbidden", "");
    let r = h
        .api(
            Method::PATCH,
            "/api/v1/sla/policies/complaint.contact",
            &admin,
            patch,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        (r.body["amount"].clone(), r.body["warn_at_percent"].clone()),
        (json!(45), json!(50))
    );
    assert_eq!(r.body["notify_breach"], json!(["supervisor", "admin"]));
    for (body, field) in [
        (json!({"warn_at_percent": 100}), "warn_at_percent"),
        (json!({"amount": 0}), "amount"),
        (json!({"calendar": "nowhere"}), "calendar"),
        (json!({"earliest": 50}), "earliest"),
        (json!({"pause_when": ["Waiting Customer"]}), "pause_when[0]"),
    ] {
        let r = h
            .api(
                Method::PATCH,
                "/api/v1/sla/policies/complaint.contact",
                &admin,
                body.clone(),
            )
            .await;
        problem(
            &r,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            field,
        );
    }

    // An integration starts clocks; the same target twice on one subject is a conflict.
    let start = |subject: &str, channel: &str| json!({"target_key": "complaint.contact", "subject_type": "ticket", "subject_id": subject, "channel": channel});
    let a = h
        .api(
            Method::POST,
            "/api/v1/sla/clocks",
            &agent,
            start("T-1", "phone"),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    assert_eq!(a.body["state"], "running");
    let r = h
        .api(
            Method::POST,
            "/api/v1/sla/clocks",
            &agent,
            start("T-1", "phone"),
        )
        .await;
    problem(&r, StatusCode::CONFLICT, "sla_clock_running", "target_key");
    let r = h
        .api(
            Method::POST,
            "/api/v1/sla/clocks",
            &agent,
            json!({"target_key": "nope", "subject_type": "ticket", "subject_id": "T-9"}),
        )
        .await;
    problem(
        &r,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        "target_key",
    );
    let b = h
        .api(
            Method::POST,
            "/api/v1/sla/clocks",
            &agent,
            start("T-2", "email"),
        )
        .await;
    let a_id = a.body["id"].as_str().unwrap().to_string();
    let b_id = b.body["id"].as_str().unwrap().to_string();

    let act = |id: &str, action: &str| format!("/api/v1/sla/clocks/{id}/{action}");
    let r = h
        .api(Method::POST, &act(&a_id, "pause"), &agent, json!({}))
        .await;
    assert_eq!(r.body["state"], "paused", "{}", r.text);
    assert!(r.body["next_due_at"].is_null());
    let r = h
        .api(Method::POST, &act(&a_id, "pause"), &agent, json!({}))
        .await;
    problem(&r, StatusCode::CONFLICT, "sla.invalid_transition", "");
    let r = h
        .api(Method::POST, &act(&a_id, "resume"), &agent, json!({}))
        .await;
    assert_eq!(r.body["state"], "running", "{}", r.text);
    let r = h
        .api(Method::POST, &act(&a_id, "stop"), &agent, json!({}))
        .await;
    assert_eq!(r.body["state"], "met", "{}", r.text);
    let r = h
        .api(Method::POST, &act(&a_id, "stop"), &agent, json!({}))
        .await;
    problem(&r, StatusCode::CONFLICT, "sla.finished", "");
    let r = h
        .api(Method::POST, &act(&b_id, "cancel"), &agent, json!({}))
        .await;
    assert_eq!(r.body["state"], "cancelled", "{}", r.text);
    let detail = h.get(&format!("/api/v1/sla/clocks/{a_id}"), &agent).await;
    let kinds: Vec<_> = detail.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        kinds,
        ["met", "resumed", "paused", "started"],
        "{}",
        detail.text
    );
    let listed = h
        .get(
            "/api/v1/sla/clocks?subject_type=ticket&subject_id=T-1",
            &agent,
        )
        .await;
    assert_eq!(
        listed.body["items"].as_array().unwrap().len(),
        1,
        "{}",
        listed.text
    );
    let c = h
        .api(
            Method::POST,
            "/api/v1/sla/clocks",
            &agent,
            start("T-3", "phone"),
        )
        .await;
    assert_eq!(c.status, StatusCode::CREATED);

    // Compliance: supervisors see it, agents do not.
    let today = jiff::Zoned::now()
        .with_time_zone(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap())
        .date();
    let q = format!(
        "/api/v1/sla/compliance?from={}&to={}",
        today.yesterday().unwrap(),
        today.tomorrow().unwrap()
    );
    let r = h.get(&q, &agent).await;
    problem(&r, StatusCode::FORBIDDEN, "forbidden", "");
    let r = h.get(&q, &supervisor).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let contact = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["target_key"] == "complaint.contact")
        .unwrap()
        .clone();
    assert_eq!(
        (
            contact["met"].clone(),
            contact["breached"].clone(),
            contact["running"].clone()
        ),
        (json!(1), json!(0), json!(1)),
        "{contact}"
    );
    assert_eq!(contact["share_met"], 1.0);
    assert!(contact["median_secs"].as_f64().unwrap() < 60.0);
    assert_eq!(
        r.body["items"].as_array().unwrap().len(),
        15,
        "every policy is listed"
    );
    let r = h.get(&format!("{q}&by=channel"), &supervisor).await;
    let groups: Vec<_> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["group"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        groups,
        ["phone"],
        "the cancelled email clock is left out: {}",
        r.text
    );
    let r = h.get(&format!("{q}&by=colour"), &supervisor).await;
    problem(
        &r,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        "by",
    );
    let r = h
        .get(
            "/api/v1/sla/compliance?from=2025-02-01&to=2025-01-01",
            &supervisor,
        )
        .await;
    problem(
        &r,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        "to",
    );
}

#[tokio::test]
async fn calendar_and_sla_pages_render() {
    let h = harness().await;
    let (session, _) = h.session("admin").await;
    for (path, wants) in [
        (
            "/calendars",
            &["cn-mainland", "hotline", "2024, 2025, 2026"][..],
        ),
        (
            "/calendars/cn-mainland",
            &[
                "国庆节、中秋节",
                "2025-10-01 – 10-08",
                "2025-09-28, 2025-10-11",
                "导入节假日安排",
            ][..],
        ),
        (
            "/sla/policies",
            &["电话首次响应", "3 分钟", "3–5 个工作日"][..],
        ),
        (
            "/sla/policies/complaint.follow_up",
            &["name=\"earliest\"", "value=\"3\""][..],
        ),
        ("/sla/compliance", &["时效达成情况", "投诉回访"][..]),
    ] {
        let page = h
            .call(Method::GET, path, &[("cookie", &session)], None)
            .await;
        assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.text);
        for w in wants {
            assert!(page.text.contains(w), "{path} lacks {w}");
        }
    }
    // The editor saves, and refuses a bad figure with the field named.
    let csrf = {
        let page = h
            .call(
                Method::GET,
                "/sla/policies/complaint.contact",
                &[("cookie", &session)],
                None,
            )
            .await;
        let at = page.text.find("name=\"_csrf\" value=\"").unwrap() + 20;
        page.text[at..at + page.text[at..].find('"').unwrap()].to_string()
    };
    let headers = [
        ("cookie", session.as_str()),
        ("content-type", "application/x-www-form-urlencoded"),
    ];
    let base = format!("_csrf={csrf}&name_zh=%E8%81%94%E7%B3%BB&name_en=Contact&kind=calendar_hours&calendar=hotline&warn_at_percent=80&notify_breach=supervisor&enabled=true&earliest=");
    let r = h
        .call(
            Method::POST,
            "/sla/policies/complaint.contact",
            &headers,
            Some(format!("{base}&amount=0")),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.text.contains("href=\"#amount\""), "{}", r.text);
    let r = h
        .call(
            Method::POST,
            "/sla/policies/complaint.contact",
            &headers,
            Some(format!("{base}&amount=50")),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let page = h
        .call(Method::GET, "/sla/policies", &[("cookie", &session)], None)
        .await;
    assert!(page.text.contains("50 分钟"), "{}", page.text);
}
