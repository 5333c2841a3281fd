//! The board's remedies (issue 15 item 6) through the pages, on two nodes of one database
//! (SQLite, or PostgreSQL with `TRIPDESK_TEST_DATABASE_URL`): a typhoon over 大理 reaches 22
//! bookings; the leader sees the section with nothing offered and the offer form (an agent
//! sees no form), offers through the form — every booking once, the flash saying to how many
//! customers by which channel, a second post offering none; the progress counts the offers and
//! the refunds in money; the offers are paged by their own parameter, keeping the people
//! list's page, and filtered by choice; staff record a refund and a postponement a customer
//! gave by phone, a choice left empty comes back refused with its message and the lists as
//! they were, a second choice is refused in the page's language; a drill's board has no such
//! section.

mod common;

use axum::http::{header, StatusCode};
use common::bookings::{homestay, nodes, Nodes};
use common::Reply;
use serde_json::json;

/// Books `room` for three nights from 2027-03-10, paying `paid` fen; returns the booking id.
async fn book(n: &Nodes, agent: &str, room: &str, i: usize, paid: Option<i64>) -> String {
    let mut customer = json!({"name": format!("游客{i:02}"), "phone": format!("137000001{i:02}")});
    if i.is_multiple_of(2) {
        customer["email"] = json!(format!("guest{i}@example.cn"));
    }
    let r = n
        .post(
            "/api/v1/bookings",
            agent,
            json!({"customer": customer,
                   "lines": [{"room_id": room, "check_in": "2027-03-10", "check_out": "2027-03-13"}],
                   "confirm": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.body["id"].as_str().unwrap().to_string();
    if let Some(amount) = paid {
        let p = n
            .post(
                &format!("/api/v1/bookings/{id}/payments"),
                agent,
                json!({"method": "wechat_pay", "amount_fen": amount, "reference": format!("WX{i}")}),
            )
            .await;
        assert_eq!(p.status, StatusCode::CREATED, "{}", p.text);
    }
    id
}

fn location(r: &Reply) -> String {
    r.headers[header::LOCATION].to_str().unwrap().to_string()
}

/// The page a redirect leads to (with its flash), for the session `cookie`.
async fn follow(n: &Nodes, r: &Reply, cookie: &str) -> Reply {
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    n.page(&location(r), cookie).await
}

/// The `<tbody>` of the board's offers list.
fn offers_list(page: &str) -> &str {
    let table = page
        .split("class=\"grid incident-remedies\"")
        .nth(1)
        .unwrap_or("");
    table.split("</table>").next().unwrap_or("")
}

#[tokio::test]
async fn the_board_offers_remedies_and_records_the_choices_customers_phone_in() {
    let n = nodes().await;
    let (boss, agent) = (n.token("zhao.min").await, n.token("li.na").await);
    let (_, rooms) = homestay(&n, &boss, 22).await; // 云南省大理市双廊镇
    let mut bookings = Vec::new();
    for (i, room) in rooms.iter().enumerate() {
        let paid = match i {
            0 => Some(60_000),
            1 => Some(20_000),
            _ => None,
        };
        bookings.push(book(&n, &agent, room, i, paid).await);
    }
    let declared = n
        .post(
            "/api/v1/incidents",
            &boss,
            json!({"kind": "natural_disaster", "level": "large", "title": "台风“海燕”影响大理",
                   "scope": {"regions": ["大理"], "from": "2027-03-11", "to": "2027-03-12"}}),
        )
        .await;
    assert_eq!(declared.status, StatusCode::CREATED, "{}", declared.text);
    let incident = declared.body["incident"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let board = format!("/incidents/{incident}");

    // Nothing offered yet: the section says so; the leader has the form, an agent not.
    let (cookie, csrf) = n.session("zhao.min").await;
    let page = n.page(&board, &cookie).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    for want in [
        "退款或延期（不可抗力）",
        "尚未提供退款或延期方案。",
        "向全部受影响订单提供退款或延期",
        &format!("action=\"/incidents/{incident}/remedies\""),
    ] {
        assert!(page.text.contains(want), "{want} missing from the board");
    }
    let (agent_cookie, agent_csrf) = n.session("li.na").await;
    let seen = n.page(&board, &agent_cookie).await;
    assert!(seen.text.contains("退款或延期（不可抗力）"));
    assert!(
        !seen
            .text
            .contains(&format!("action=\"/incidents/{incident}/remedies\"")),
        "an agent may not offer"
    );
    let tried = n
        .form(
            &format!("/incidents/{incident}/remedies"),
            &agent_cookie,
            &[("_csrf", &agent_csrf), ("back", &board)],
        )
        .await;
    let refused = follow(&n, &tried, &agent_cookie).await;
    assert!(
        refused.text.contains("尚未提供退款或延期方案。"),
        "refused, nothing offered"
    );

    // The leader offers: every booking once, one message per customer (no SMS provider:
    // email to the 11 with an address, 11 to call).
    let back = format!("{board}?page=1&offers=offered");
    let offered = n
        .form(
            &format!("/incidents/{incident}/remedies"),
            &cookie,
            &[("_csrf", &csrf), ("back", &back)],
        )
        .await;
    assert_eq!(offered.status, StatusCode::SEE_OTHER, "{}", offered.text);
    assert!(
        location(&offered).starts_with(&format!("{board}?page=1&offers=offered")),
        "back to the board as it was: {}",
        location(&offered)
    );
    let after = follow(&n, &offered, &cookie).await;
    assert!(
        after
            .text
            .contains("已向 22 个订单提供退款或延期：22 位客户，短信 0、邮件 11，需致电 11。"),
        "the flash says what was sent"
    );
    let again = n
        .form(
            &format!("/incidents/{incident}/remedies"),
            &cookie,
            &[("_csrf", &csrf), ("back", &board)],
        )
        .await;
    let again = follow(&n, &again, &cookie).await;
    assert!(again.text.contains("没有新的受影响订单需要提供方案。"));
    assert!(again.text.contains("向新增的受影响订单提供"));

    // The progress and the first page of 20 offers; the second page by its own parameter,
    // keeping the people list's.
    let page = n.page(&board, &cookie).await;
    assert!(page.text.contains("未选择 22"), "the tab counts");
    assert!(
        page.text.contains("尚未选择的订单如全部退款共 ¥800"),
        "the refunds waiting in money"
    );
    assert_eq!(
        offers_list(&page.text).matches("<tr class=\"rm-").count(),
        20
    );
    assert!(
        page.text.contains("offers_page=2"),
        "a second page of offers"
    );
    let second = n
        .page(&format!("{board}?people=pending&offers_page=2"), &cookie)
        .await;
    assert_eq!(
        offers_list(&second.text).matches("<tr class=\"rm-").count(),
        2
    );
    assert!(
        second
            .text
            .contains("href=\"/incidents/".to_string().as_str()),
        "{}",
        second.text
    );
    assert!(
        second.text.contains("people=pending&amp;offers_page=1")
            || second
                .text
                .contains(&format!("href=\"{board}?people=pending\"")),
        "the offers' previous page keeps the people filter"
    );

    // A customer phones: the refund for booking 0 (60,000 fen paid back), recorded by the
    // agent; booking 1 postponed; an empty choice refused as the form says.
    let choose = |booking: &str| format!("/incidents/{incident}/remedies/{booking}");
    let empty = n
        .form(
            &choose(&bookings[0]),
            &agent_cookie,
            &[("_csrf", &agent_csrf), ("back", &board), ("choice", "")],
        )
        .await;
    assert_eq!(
        empty.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        empty.text
    );
    assert!(
        empty.text.contains("请选择“全额退款”或“延期”。"),
        "the form's message"
    );
    // Refused, the board comes back with its lists as the form's `back` had them.
    let filtered = format!("{board}?people=pending&offers=offered");
    let empty = n
        .form(
            &choose(&bookings[0]),
            &agent_cookie,
            &[("_csrf", &agent_csrf), ("back", &filtered), ("choice", "")],
        )
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    for want in [
        "aria-current=\"page\">未回复",
        "aria-current=\"page\">未选择",
    ] {
        assert!(empty.text.contains(want), "{want}: the lists as they were");
    }
    let refund = n
        .form(
            &choose(&bookings[0]),
            &agent_cookie,
            &[
                ("_csrf", &agent_csrf),
                ("back", &board),
                ("choice", "refund"),
            ],
        )
        .await;
    let done = follow(&n, &refund, &agent_cookie).await;
    assert!(
        done.text
            .contains("已登记全额退款：订单已取消，应退 ¥600。"),
        "{}",
        done.text
    );
    let postpone = n
        .form(
            &choose(&bookings[1]),
            &agent_cookie,
            &[
                ("_csrf", &agent_csrf),
                ("back", &board),
                ("choice", "postpone"),
            ],
        )
        .await;
    let done = follow(&n, &postpone, &agent_cookie).await;
    assert!(done.text.contains("已登记延期：工单"), "{}", done.text);
    let changed = n
        .form(
            &choose(&bookings[0]),
            &agent_cookie,
            &[
                ("_csrf", &agent_csrf),
                ("back", &board),
                ("choice", "postpone"),
            ],
        )
        .await;
    let refused = follow(&n, &changed, &agent_cookie).await;
    assert!(
        refused.text.contains("该订单已经选择过"),
        "a second choice refused in Chinese"
    );
    let booking = n
        .get(&format!("/api/v1/bookings/{}", bookings[0]), &agent)
        .await;
    assert_eq!(booking.body["state"], "cancelled");

    let page = n.page(&format!("{board}?offers=refund"), &cookie).await;
    for want in [
        "已选退款合计 ¥600",
        "尚未选择的订单如全部退款共 ¥0",
        "退款 1",
        "延期 1",
        "未选择 20",
        "客服代登记",
    ] {
        assert!(page.text.contains(want), "{want} missing from the progress");
    }
    let rows = offers_list(&page.text);
    assert_eq!(rows.matches("<tr class=\"rm-").count(), 1, "{rows}");
    assert!(
        rows.contains("游客00") && rows.contains("已选退款"),
        "{rows}"
    );
    assert!(!rows.contains("name=\"choice\""), "no form once chosen");

    // In English.
    let en = n.page(&board, &format!("{cookie}; tripdesk_lang=en")).await;
    for want in [
        "Refund or postponement (force majeure)",
        "Refunds chosen: ¥600 in all",
        "Not chosen yet",
    ] {
        assert!(en.text.contains(want), "{want} missing in English");
    }

    // A drill offers nothing: its board has no section.
    let drill = n
        .post(
            "/api/v1/incidents",
            &boss,
            json!({"kind": "natural_disaster", "level": "general", "title": "台风演练", "drill": true,
                   "scope": {"regions": ["大理"], "from": "2027-03-11", "to": "2027-03-12"}}),
        )
        .await;
    let drill_id = drill.body["incident"]["id"].as_str().unwrap();
    let drill_page = n.page(&format!("/incidents/{drill_id}"), &cookie).await;
    assert_eq!(drill_page.status, StatusCode::OK);
    assert!(!drill_page.text.contains("id=\"remedies\""));
}
