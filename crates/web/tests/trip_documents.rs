//! Pre-trip documents (issue 14 item 8) through the API, the staff pages and the traveler's
//! public pages: one message on the customer's channel (a real SMTP server on loopback) whose
//! links work; the public page shows the document as HTML with the traveler's Chinese name,
//! the meeting place and the guide, never an ID number in full, everything escaped; forged
//! links are 404; the receipt is recorded once and audited; a change of what the document
//! says shows 内容已变更 on the booking's page.

mod common;

use axum::http::{header, Method, StatusCode};
use common::{assert_problem, harness_with_clock, post_form, visit, Harness, Reply};
use jiff::SignedDuration;
use serde_json::{json, Value};
use std::sync::Arc;
use tripdesk_domain::clock::ManualClock;

const ID_NUMBER: &str = "11010519491231002X";

fn id(r: &Reply) -> String {
    assert!(r.status.is_success(), "{} {}", r.status, r.text);
    r.body["id"].as_str().unwrap().to_string()
}

async fn setup() -> (Harness, Arc<ManualClock>, String, String) {
    let clock = Arc::new(ManualClock::new("2027-03-01T02:00:00Z".parse().unwrap()));
    let h = harness_with_clock(clock.clone()).await;
    let (admin, agent) = (h.token("zhao.min").await, h.token("li.na").await);
    (h, clock, admin, agent)
}

/// A domestic two-day package (its notes hold markup, to show it is escaped) with one
/// departure on 2027-05-01; returns the departure's id.
async fn tour(h: &Harness, admin: &str) -> String {
    let package = id(&h
        .api(
            Method::POST,
            "/api/v1/products",
            admin,
            json!({"name": "黄山宏村二日游", "destination": "黄山", "keywords": ["西海大峡谷"],
                   "scope": "domestic", "tags": ["sightseeing"],
                   "accessibility": {"wheelchair": false, "easy_walking": false}, "diets": [],
                   "itinerary": [{"day": 1, "title": "合肥—宏村", "description": "午后游览宏村月沼、南湖"},
                                 {"day": 2, "title": "黄山", "description": "西海大峡谷，傍晚返回合肥"}],
                   "inclusions": ["往返大巴"], "exclusions": ["索道"], "fees": [],
                   "accommodation": "标准间", "transport": "大巴", "meals": "1早2正",
                   "notes": "山上早晚温差大，请带外套。<script>alert(1)</script>"}),
        )
        .await);
    id(&h
        .api(
            Method::POST,
            "/api/v1/departures",
            admin,
            json!({"package_id": package, "date": "2027-05-01", "seats": 30, "min_group": 1,
                   "go_no_go": "2027-04-20", "prices": {"adult": 128000, "child": 68000, "senior": 98000},
                   "meeting_time": "07:00", "meeting_point": "合肥南站北广场"}),
        )
        .await)
}

/// A confirmed booking of one adult on `departure` by 张晓梅 (with her resident ID as the
/// traveler's document); `email` when she has one. Returns (booking id, the booking
/// customer's id, the traveler's customer id).
async fn book(
    h: &Harness,
    agent: &str,
    departure: &str,
    email: Option<&str>,
) -> (String, String, String) {
    let mut customer = json!({"name": "张晓梅", "phone": "13812340000"});
    if let Some(e) = email {
        customer["email"] = json!(e);
    }
    let r = h
        .api(
            Method::POST,
            "/api/v1/bookings",
            agent,
            json!({"customer": customer,
                   "lines": [{"departure_id": departure, "travelers": {"adults": 1, "children": 0, "seniors": 0}}],
                   "travelers": [{"name": "张晓梅", "document_kind": "resident_id",
                                  "document_number": ID_NUMBER, "category": "adult"}],
                   "confirm": true}),
        )
        .await;
    let booking = id(&r);
    let customer = |v: &Value| v.as_str().unwrap().to_string();
    (
        booking,
        customer(&r.body["customer_id"]),
        customer(&r.body["travelers"][0]["customer_id"]),
    )
}

async fn status(h: &Harness, token: &str, booking: &str) -> Value {
    let r = h
        .get(&format!("/api/v1/bookings/{booking}/documents"), token)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body
}

/// The path of an absolute link (`http://host/trip/…` → `/trip/…`).
fn path_of(url: &str) -> String {
    let rest = url.split_once("://").unwrap().1;
    format!("/{}", rest.split_once('/').unwrap().1)
}

async fn audit_count(h: &Harness, admin: &str, action: &str, booking: &str) -> usize {
    let r = h
        .get(
            &format!("/api/v1/audit?action={action}&entity_type=booking&entity_id={booking}"),
            admin,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["items"].as_array().unwrap().len()
}

#[tokio::test]
async fn documents_go_by_email_with_working_links_and_the_receipt_is_recorded_once() {
    use tripdesk_delivery::{email::EmailChannel, testing::AioSmtpd, Channel, DispatcherConfig};
    tripdesk_delivery::install_tls_provider();
    let (h, clock, admin, agent) = setup().await;
    let departure = tour(&h, &admin).await;
    let guide = h
        .api(
            Method::PUT,
            &format!("/api/v1/departures/{departure}/guide"),
            &admin,
            json!({"name": " 李明（导游） ", "phone": "139 0571 2201"}),
        )
        .await;
    assert_eq!(guide.status, StatusCode::OK, "{}", guide.text);
    assert_eq!(guide.body["guide_name"], "李明（导游）");
    let (booking, customer, _) = book(&h, &agent, &departure, Some("zhang.xm@example.com")).await;
    // She prefers WeChat, which nothing delivers on yet.
    let r = h
        .api(
            Method::PATCH,
            &format!("/api/v1/customers/{customer}"),
            &admin,
            json!({"preferred_channel": "wechat"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    let before = status(&h, &agent, &booking).await;
    assert_eq!(before["freshness"], "not_sent");
    assert_eq!(before["can_send"], true);
    assert!(before["last_sent"].is_null());

    // Sent: one message, on email, with the reason it is not WeChat.
    clock.advance(SignedDuration::from_mins(5));
    let sent = h
        .api(
            Method::POST,
            &format!("/api/v1/bookings/{booking}/documents/send"),
            &agent,
            json!(null),
        )
        .await;
    assert_eq!(sent.status, StatusCode::CREATED, "{}", sent.text);
    assert_eq!(sent.body["channel"], "email");
    assert_eq!(sent.body["preferred"], "wechat");
    assert_eq!(sent.body["fallback"], "not_deliverable");
    assert_eq!(sent.body["message_state"], "queued");
    assert_eq!(sent.body["content_hash"], before["content_hash"]);
    let link = sent.body["link"].as_str().unwrap().to_string();
    assert!(link.contains("/trip/"), "{link}");
    assert_eq!(
        audit_count(&h, &admin, "booking.documents_sent", &booking).await,
        1
    );

    // Delivered by a real SMTP server on loopback: exactly one documents message, to her.
    let smtp = AioSmtpd::start(None, true);
    let email = EmailChannel::new(
        &smtp.url(None),
        "山海国际旅行社 <service@shanhai-travel.example>",
        1,
    )
    .unwrap();
    let channels: Vec<Arc<dyn Channel>> = vec![Arc::new(email)];
    let config = DispatcherConfig {
        workers: 1,
        node: "test".into(),
        ..Default::default()
    };
    tripdesk_delivery::dispatcher::run_until_idle(h.app.clone(), channels, config).await;
    let mut bodies = Vec::new();
    for r in smtp.received() {
        let raw = smtp.raw(r.n);
        let parsed = mail_parser::MessageParser::default().parse(&raw).unwrap();
        let subject = parsed.subject().unwrap_or_default().to_string();
        if subject.starts_with("行前资料") {
            assert_eq!(r.rcpt_tos, ["zhang.xm@example.com"]);
            bodies.push(parsed.body_text(0).unwrap().to_string());
        }
    }
    assert_eq!(bodies.len(), 1, "one documents message");
    let body = &bodies[0];
    assert!(body.contains("张晓梅"), "{body}");
    assert!(body.contains("合肥南站北广场"), "{body}");
    assert!(body.contains(&link), "{body}");
    assert!(body.contains(&format!("{link}/document.pdf")), "{body}");
    assert!(body.contains(&format!("{link}/received")), "{body}");
    assert!(!body.contains(ID_NUMBER));
    let after = status(&h, &agent, &booking).await;
    assert_eq!(after["last_sent"]["message_state"], "sent", "{after}");
    assert_eq!(after["freshness"], "current");

    // The links of the message work: the page, its PDF, and the receipt link opens the page
    // at its button without recording anything.
    let page_path = path_of(&link);
    let (page, visitor) = visit(&h, &page_path, None).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert_eq!(page.headers[header::CACHE_CONTROL], "no-store");
    assert_eq!(page.headers[header::REFERRER_POLICY], "no-referrer");
    let pdf = h
        .call(Method::GET, &format!("{page_path}/document.pdf"), &[], None)
        .await;
    assert_eq!(pdf.status, StatusCode::OK);
    assert_eq!(pdf.headers[header::CONTENT_TYPE], "application/pdf");
    let to_button = h
        .call(Method::GET, &format!("{page_path}/received"), &[], None)
        .await;
    assert_eq!(to_button.status, StatusCode::SEE_OTHER);
    assert_eq!(
        to_button.headers[header::LOCATION],
        format!("{page_path}#receipt").as_str()
    );
    assert!(status(&h, &agent, &booking).await["last_sent"]["received_at"].is_null());

    // Without the form's token the button records nothing.
    let forged = common::Visitor {
        cookie: visitor.cookie.clone(),
        csrf: "x".into(),
    };
    let refused = post_form(&h, &format!("{page_path}/received"), &forged, &[], None).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(status(&h, &agent, &booking).await["last_sent"]["received_at"].is_null());

    // Confirmed: recorded with its time, audited as the traveler; a second press records
    // nothing more.
    clock.advance(SignedDuration::from_hours(3));
    let confirmed = post_form(&h, &format!("{page_path}/received"), &visitor, &[], None).await;
    assert_eq!(
        confirmed.status,
        StatusCode::SEE_OTHER,
        "{}",
        confirmed.text
    );
    assert_eq!(
        confirmed.headers[header::LOCATION],
        format!("{page_path}?received=1#receipt").as_str()
    );
    let received_at = status(&h, &agent, &booking).await["last_sent"]["received_at"]
        .as_str()
        .unwrap()
        .to_string();
    let thanked = h
        .call(Method::GET, &format!("{page_path}?received=1"), &[], None)
        .await;
    assert!(thanked.text.contains("谢谢"), "{}", thanked.text);
    assert!(
        !thanked.text.contains("/received\" class"),
        "no button once received"
    );
    clock.advance(SignedDuration::from_hours(1));
    let again = post_form(&h, &format!("{page_path}/received"), &visitor, &[], None).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    assert_eq!(
        status(&h, &agent, &booking).await["last_sent"]["received_at"],
        received_at.as_str()
    );
    assert_eq!(
        audit_count(&h, &admin, "booking.documents_received", &booking).await,
        1
    );
    let entry = h
        .get(
            &format!("/api/v1/audit?action=booking.documents_received&entity_id={booking}"),
            &admin,
        )
        .await;
    assert_eq!(
        entry.body["items"][0]["actor_name"], "trip_link",
        "{}",
        entry.text
    );

    // The booking's page says so.
    let page = h.ui_get(&format!("/bookings/{booking}"), "li.na").await;
    assert_eq!(page.status, StatusCode::OK);
    for expected in [
        "行前资料",
        "已发送",
        "电子邮件",
        "客户首选微信",
        "客户已确认收到",
        "没有变化",
        "重新发送",
    ] {
        assert!(page.text.contains(expected), "{expected} missing");
    }
    assert!(h.app.verify_audit().await.unwrap().is_ok());
}

#[tokio::test]
async fn the_public_page_shows_the_document_escaped_and_masked_and_forged_links_are_404() {
    let (h, clock, admin, agent) = setup().await;
    let departure = tour(&h, &admin).await;
    let (booking, _, _) = book(&h, &agent, &departure, Some("zhang.xm@example.com")).await;
    let sent = h
        .api(
            Method::POST,
            &format!("/api/v1/bookings/{booking}/documents/send"),
            &agent,
            json!(null),
        )
        .await;
    assert_eq!(sent.status, StatusCode::CREATED, "{}", sent.text);
    // No preference named: email, and no reason to record.
    assert!(sent.body["preferred"].is_null() && sent.body["fallback"].is_null());
    let page_path = path_of(sent.body["link"].as_str().unwrap());

    let page = h.call(Method::GET, &page_path, &[], None).await;
    assert_eq!(page.status, StatusCode::OK);
    let text = &page.text;
    for expected in [
        "出团通知书",
        "张晓梅（成人）",
        "合肥南站北广场",
        "doc-highlight",
        "2027年5月1日（周六）07:00",
        "第 2 天 · 5月2日（周日）",
        "导游尚未确定",
        "目的地提示",
        "电子合同摘要",
        "出发前6日至4日取消，扣除团费的 20%",
        "12301",
        "我已收到行前资料",
    ] {
        assert!(text.contains(expected), "{expected} missing from the page");
    }
    // Markup from the catalog is text; the ID number is masked.
    assert!(
        text.contains("请带外套。&#60;script&#62;alert(1)&#60;/script&#62;"),
        "markup is escaped"
    );
    assert!(!text.contains("<script>alert"));
    assert!(!text.contains(ID_NUMBER), "no ID number in full");
    assert!(text.contains("身份证 11"), "the masked document is shown");
    assert!(text.contains("lang=\"zh-CN\" translate=\"no\""));

    // Forged, edited, truncated, foreign links: 404, and nothing leaks.
    let mut edited = page_path.clone().into_bytes();
    let last = edited.len() - 3;
    edited[last] = if edited[last] == b'A' { b'B' } else { b'A' };
    let edited = String::from_utf8(edited).unwrap();
    // A tracking link's token signs the same layout for another purpose.
    let send_id: uuid::Uuid = sent.body["id"].as_str().unwrap().parse().unwrap();
    let tracking = format!(
        "/trip/{}",
        tripdesk_app::public_desk::tracking_token(h.app.vault().unwrap(), send_id)
    );
    for bad in [
        edited.as_str(),
        &page_path[..page_path.len() - 1],
        "/trip/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "/trip/%3Cscript%3E",
        tracking.as_str(),
    ] {
        for suffix in ["", "/document.pdf"] {
            let r = h
                .call(Method::GET, &format!("{bad}{suffix}"), &[], None)
                .await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{bad}{suffix}");
            assert!(!r.text.contains("张晓梅"));
        }
    }
    let (_, v) = visit(&h, &page_path, None).await;
    let r = post_form(&h, &format!("{edited}/received"), &v, &[], None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // The staff page shows the same document, with the panel.
    let staff = h
        .ui_get(&format!("/bookings/{booking}/documents"), "li.na")
        .await;
    assert_eq!(staff.status, StatusCode::OK);
    assert!(staff.text.contains("张晓梅（成人）") && staff.text.contains("合肥南站北广场"));
    assert!(!staff.text.contains(ID_NUMBER));

    // A cancelled booking's link is gone (410), as is one 30 days after the trip.
    let cancelled = h
        .api(
            Method::POST,
            &format!("/api/v1/bookings/{booking}/cancel"),
            &agent,
            json!({"cause": "customer"}),
        )
        .await;
    assert_eq!(cancelled.status, StatusCode::OK, "{}", cancelled.text);
    let gone = h.call(Method::GET, &page_path, &[], None).await;
    assert_eq!(gone.status, StatusCode::GONE);
    assert!(!gone.text.contains("张晓梅"));

    let (other, _, _) = book(&h, &agent, &departure, Some("zhang.xm@example.com")).await;
    let sent = h
        .api(
            Method::POST,
            &format!("/api/v1/bookings/{other}/documents/send"),
            &agent,
            json!(null),
        )
        .await;
    let other_path = path_of(sent.body["link"].as_str().unwrap());
    clock.set("2027-06-01T04:00:00Z".parse().unwrap());
    assert_eq!(
        h.call(Method::GET, &other_path, &[], None).await.status,
        StatusCode::OK,
        "30 days after the trip's last day it still opens"
    );
    clock.set("2027-06-01T16:30:00Z".parse().unwrap());
    assert_eq!(
        h.call(Method::GET, &other_path, &[], None).await.status,
        StatusCode::GONE
    );
}

#[tokio::test]
async fn a_change_of_what_the_document_says_shows_outdated_and_sending_again_makes_it_current() {
    let (h, _clock, admin, agent) = setup().await;
    let departure = tour(&h, &admin).await;
    let (booking, _, traveler) = book(&h, &agent, &departure, Some("zhang.xm@example.com")).await;
    let send = || async {
        h.api(
            Method::POST,
            &format!("/api/v1/bookings/{booking}/documents/send"),
            &agent,
            json!(null),
        )
        .await
    };
    let first = send().await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    assert_eq!(status(&h, &agent, &booking).await["freshness"], "current");

    // A payment changes nothing the traveler reads.
    let paid = h
        .api(
            Method::POST,
            &format!("/api/v1/bookings/{booking}/payments"),
            &agent,
            json!({"method": "wechat_pay", "amount_fen": 50000}),
        )
        .await;
    assert!(paid.status.is_success(), "{}", paid.text);
    assert_eq!(status(&h, &agent, &booking).await["freshness"], "current");

    // The departure gets its guide: the document sent no longer says what the booking gives.
    let r = h
        .api(
            Method::PUT,
            &format!("/api/v1/departures/{departure}/guide"),
            &admin,
            json!({"name": "王芳（领队）", "phone": "138 0571 3302"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let s = status(&h, &agent, &booking).await;
    assert_eq!(s["freshness"], "outdated");
    assert_ne!(s["content_hash"], first.body["content_hash"]);
    let page = h.ui_get(&format!("/bookings/{booking}"), "li.na").await;
    assert!(page.text.contains("内容已变更，请重新发送"));
    assert!(page.text.contains("data-freshness=\"outdated\""));
    // The traveler's old link already shows the guide.
    let old = h
        .call(
            Method::GET,
            &path_of(first.body["link"].as_str().unwrap()),
            &[],
            None,
        )
        .await;
    assert!(old.text.contains("王芳（领队）") && old.text.contains("138 0571 3302"));

    // Sent again from the booking's page (the button): current again.
    let (cookie, csrf) = h.session("li.na").await;
    let posted = h
        .call(
            Method::POST,
            &format!("/bookings/{booking}/documents/send"),
            &[
                ("cookie", &cookie),
                ("content-type", "application/x-www-form-urlencoded"),
            ],
            Some(format!("_csrf={csrf}&back=booking")),
        )
        .await;
    assert_eq!(posted.status, StatusCode::SEE_OTHER, "{}", posted.text);
    assert!(posted.headers[header::LOCATION]
        .to_str()
        .unwrap()
        .starts_with(&format!("/bookings/{booking}")));
    let s = status(&h, &agent, &booking).await;
    assert_eq!(s["freshness"], "current");
    assert_ne!(s["last_sent"]["id"], first.body["id"]);

    // A traveler's name corrected on their record changes the document too.
    let r = h
        .api(
            Method::PATCH,
            &format!("/api/v1/customers/{traveler}"),
            &admin,
            json!({"name": "张晓玫"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(status(&h, &agent, &booking).await["freshness"], "outdated");
    assert_eq!(
        audit_count(&h, &admin, "booking.documents_sent", &booking).await,
        2
    );
}

#[tokio::test]
async fn documents_are_refused_before_confirmation_without_an_email_and_to_those_who_may_not_book()
{
    let (h, _clock, admin, agent) = setup().await;
    let departure = tour(&h, &admin).await;
    // Held: nothing promised yet.
    let held = id(&h
        .api(
            Method::POST,
            "/api/v1/bookings",
            &agent,
            json!({"customer": {"name": "郑洁", "phone": "13700000013", "email": "zheng@example.com"},
                   "lines": [{"departure_id": departure, "travelers": {"adults": 1, "children": 0, "seniors": 0}}],
                   "hold": {"kind": "checkout", "minutes": 15}}),
        )
        .await);
    let r = h
        .api(
            Method::POST,
            &format!("/api/v1/bookings/{held}/documents/send"),
            &agent,
            json!(null),
        )
        .await;
    assert_problem(&r, StatusCode::CONFLICT, "documents.not_confirmed");
    assert_eq!(
        status(&h, &agent, &held).await["refusal"],
        "documents.not_confirmed"
    );

    // No email address: no channel reaches her; staff are told why, in Chinese on the page.
    let (phone_only, _, _) = book(&h, &agent, &departure, None).await;
    let r = h
        .api(
            Method::POST,
            &format!("/api/v1/bookings/{phone_only}/documents/send"),
            &agent,
            json!(null),
        )
        .await;
    assert_problem(&r, StatusCode::CONFLICT, "documents.no_channel");
    let (cookie, csrf) = h.session("li.na").await;
    let posted = h
        .call(
            Method::POST,
            &format!("/bookings/{phone_only}/documents/send"),
            &[
                ("cookie", &cookie),
                ("content-type", "application/x-www-form-urlencoded"),
            ],
            Some(format!("_csrf={csrf}&back=documents")),
        )
        .await;
    assert_eq!(posted.status, StatusCode::SEE_OTHER);
    let to = posted.headers[header::LOCATION]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        to.starts_with(&format!("/bookings/{phone_only}/documents")),
        "{to}"
    );
    let page = h.call(Method::GET, &to, &[("cookie", &cookie)], None).await;
    assert!(page.text.contains("客户没有电子邮箱"), "{}", page.text);
    assert_eq!(
        status(&h, &agent, &phone_only).await["freshness"],
        "not_sent"
    );
    assert_eq!(
        audit_count(&h, &admin, "booking.documents_sent", &phone_only).await,
        0
    );

    // A guide needs a name and a phone, named when missing.
    let r = h
        .api(
            Method::PUT,
            &format!("/api/v1/departures/{departure}/guide"),
            &admin,
            json!({"name": "李明", "phone": ""}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(common::field_of(&r), "departure.guide_phone");
    // Agents do not edit the catalog.
    let r = h
        .api(
            Method::PUT,
            &format!("/api/v1/departures/{departure}/guide"),
            &agent,
            json!({"name": "李明", "phone": "139 0571 2201"}),
        )
        .await;
    assert_problem(&r, StatusCode::FORBIDDEN, "forbidden");
}

#[tokio::test]
async fn the_departures_calendar_sets_a_guide_and_keeps_a_refused_form_as_typed() {
    let (h, _clock, admin, _agent) = setup().await;
    let departure = tour(&h, &admin).await;
    let calendar = "/bookings/departures?month=2027-05";
    let page = h.ui_get(calendar, "zhao.min").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("未安排") && page.text.contains("设置导游"));
    // Agents see the guide, not the form.
    let agent_page = h.ui_get(calendar, "li.na").await;
    assert!(!agent_page.text.contains("/guide\""));

    let (cookie, csrf) = h.session("zhao.min").await;
    let post = |fields: String| {
        let cookie = cookie.clone();
        let h = &h;
        let uri = format!("/bookings/departures/{departure}/guide");
        async move {
            h.call(
                Method::POST,
                &uri,
                &[
                    ("cookie", &cookie),
                    ("content-type", "application/x-www-form-urlencoded"),
                ],
                Some(fields),
            )
            .await
        }
    };
    // A name without a phone comes back as typed, the message beside the phone.
    let refused = post(format!(
        "_csrf={csrf}&month=2027-05&guide_name=%E6%9D%8E%E6%98%8E&guide_phone="
    ))
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text.contains("value=\"李明\""), "typed name kept");
    assert!(refused.text.contains("<details class=\"guide-edit\" open>"));
    assert!(refused.text.contains("请填写导游电话"), "{}", refused.text);
    // Saved: back to the month with the notice, the guide shown.
    let saved = post(format!(
        "_csrf={csrf}&month=2027-05&guide_name=%E6%9D%8E%E6%98%8E&guide_phone=139+0571+2201"
    ))
    .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text);
    let to = saved.headers[header::LOCATION]
        .to_str()
        .unwrap()
        .to_string();
    assert!(to.starts_with("/bookings/departures?month=2027-05"), "{to}");
    let page = h.call(Method::GET, &to, &[("cookie", &cookie)], None).await;
    assert!(page.text.contains("导游已保存"));
    assert!(page.text.contains("139 0571 2201"));
    assert_eq!(
        audit_count_of(&h, &admin, "catalog.departure_guide", &departure).await,
        1
    );
}

async fn audit_count_of(h: &Harness, admin: &str, action: &str, departure: &str) -> usize {
    let r = h
        .get(
            &format!("/api/v1/audit?action={action}&entity_type=departure&entity_id={departure}"),
            admin,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["items"].as_array().unwrap().len()
}
