//! The emergency pages' forms (issue 15) on the backend of this test run: the declaration
//! form on `/incidents` — offered only to those who may declare, refused as typed with its
//! messages in Chinese, then declared — and the board's forms: the team, a person added by
//! hand (by mobile), a staff answer returning to the list as it was filtered, a call's
//! outcome with the answer heard, the broadcast's text refused as typed; and the people
//! list filtered by answer.

mod common;

use axum::http::{header, StatusCode};
use common::bookings::{homestay, nodes, Nodes};
use serde_json::json;

/// Books `room` for three nights from 2027-03-10 (大理), confirmed; returns the customer id.
async fn guest(n: &Nodes, agent: &str, room: &str, name: &str, phone: &str) -> String {
    let r = n
        .post(
            "/api/v1/bookings",
            agent,
            json!({"customer": {"name": name, "phone": phone},
                   "lines": [{"room_id": room, "check_in": "2027-03-10", "check_out": "2027-03-13"}],
                   "confirm": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body["customer_id"].as_str().unwrap().to_string()
}

fn location(r: &common::Reply) -> String {
    r.headers[header::LOCATION].to_str().unwrap().to_string()
}

/// The `<tbody>` of the board's people list.
fn people_list(page: &str) -> &str {
    let table = page
        .split("class=\"grid incident-people\"")
        .nth(1)
        .unwrap_or("");
    table.split("</table>").next().unwrap_or("")
}

#[tokio::test]
async fn the_declaration_form_and_the_boards_forms() {
    let n = nodes().await;
    let (boss, agent) = (n.token("zhao.min").await, n.token("li.na").await);
    let (_, rooms) = homestay(&n, &boss, 3).await; // 云南省大理市双廊镇
    let a = guest(&n, &agent, &rooms[0], "王芳", "13700000001").await;
    let b = guest(&n, &agent, &rooms[1], "李雷", "13700000002").await;
    let c = guest(&n, &agent, &rooms[2], "韩梅梅", "13700000003").await;
    // Stays elsewhere: added by hand below.
    let r = n
        .post(
            "/api/v1/customers",
            &agent,
            json!({"name": "周杰伦", "phone": "13700000009"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);

    // An agent sees the list but no form.
    let (agent_cookie, agent_csrf) = n.session("li.na").await;
    let list = n.page("/incidents", &agent_cookie).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text);
    assert!(!list.text.contains("宣布突发事件"), "{}", list.text);
    let tried = n
        .form(
            "/incidents",
            &agent_cookie,
            &[
                ("_csrf", &agent_csrf),
                ("kind", "other"),
                ("level", "general"),
            ],
        )
        .await;
    assert_eq!(tried.status, StatusCode::FORBIDDEN, "{}", tried.text);

    // The leader: the form, open (no incident yet), with the levels' thresholds.
    let (cookie, csrf) = n.session("zhao.min").await;
    let list = n.page("/incidents", &cookie).await;
    for want in [
        "宣布突发事件",
        "<details class=\"declare-panel\" id=\"declare\" open>",
        "造成或可能造成 3–9 人死亡",
        "value=\"2027-03-01\"",
    ] {
        assert!(list.text.contains(want), "{want} missing from the form");
    }
    let refused = n
        .form(
            "/incidents",
            &cookie,
            &[
                ("_csrf", &csrf),
                ("kind", "safety"),
                ("level", "large"),
                ("title", "台风“海燕”影响大理"),
                ("description", "气象台发布台风红色预警"),
                ("warning_colour", "red"),
                ("drill", "1"),
                ("scope_regions", ""),
                ("scope_from", "2027-03-11"),
                ("scope_to", "2027-06-30"),
                ("no_answer_minutes", "2"),
            ],
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.text
    );
    for want in [
        "请至少填写一个地区，或指定房源、产品、团期。",
        "只有自然灾害才填写气象预警。",
        "逾时升级时间应为 5 到 1440 分钟。",
        "value=\"台风“海燕”影响大理\"",
        "气象台发布台风红色预警</textarea>",
        "<option value=\"red\" selected>",
        "<option value=\"safety\" selected>",
        "name=\"drill\" value=\"1\" checked",
        "value=\"2027-06-30\"",
    ] {
        assert!(
            refused.text.contains(want),
            "{want} missing from the refused form"
        );
    }
    let too_long = n
        .form(
            "/incidents",
            &cookie,
            &[
                ("_csrf", &csrf),
                ("kind", "natural_disaster"),
                ("level", "large"),
                ("title", "台风“海燕”影响大理"),
                ("scope_regions", "大理"),
                ("scope_from", "2027-03-11"),
                ("scope_to", "2027-06-30"),
            ],
        )
        .await;
    assert!(
        too_long.text.contains("时间范围最长 62 天，请缩短。"),
        "{}",
        too_long.text
    );
    let declared = n
        .form(
            "/incidents",
            &cookie,
            &[
                ("_csrf", &csrf),
                ("kind", "natural_disaster"),
                ("level", "large"),
                ("title", "台风“海燕”影响大理"),
                ("warning_colour", "red"),
                ("drill", "1"),
                ("scope_regions", "大理、丽江"),
                ("scope_from", "2027-03-11"),
                ("scope_to", "2027-03-12"),
                ("no_answer_minutes", "30"),
            ],
        )
        .await;
    assert_eq!(declared.status, StatusCode::SEE_OTHER, "{}", declared.text);
    let to = location(&declared);
    let board_path = to.split('?').next().unwrap().to_string();
    let id = board_path.trim_start_matches("/incidents/").to_string();
    let board = n.page(&to, &cookie).await;
    assert!(
        board.text.contains("已宣布事件：受影响 3 人。"),
        "{}",
        board.text
    );
    assert!(board.text.contains("红色预警") && board.text.contains("演练"));

    // The team in one post; the same again changes nothing.
    let users = n.get("/api/v1/users?limit=200", &boss).await;
    let user = |name: &str| {
        users.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["username"] == name)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (zhao, sun) = (user("zhao.min"), user("sun.li"));
    let team = [
        ("_csrf", csrf.as_str()),
        ("role_leader", zhao.as_str()),
        ("role_cs_manager", sun.as_str()),
        ("role_tech_support", ""),
        ("role_logistics", ""),
    ];
    let r = n.form(&format!("{board_path}/team"), &cookie, &team).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let page = n.page(&location(&r), &cookie).await;
    assert!(
        page.text.contains("已更新应急小组分工（2 项）"),
        "{}",
        page.text
    );
    let r = n.form(&format!("{board_path}/team"), &cookie, &team).await;
    let page = n.page(&location(&r), &cookie).await;
    assert!(page.text.contains("分工没有变化。"), "{}", page.text);
    assert_eq!(
        page.text.matches("调整应急小组分工：").count(),
        2,
        "one timeline line per role changed"
    );
    assert!(page
        .text
        .contains(&format!("<option value=\"{sun}\" selected>孙丽</option>")));

    // A person by hand: an unknown mobile comes back as typed; a known one is added.
    let add = |who: &'static str| {
        let (n, cookie, csrf, uri) = (&n, &cookie, &csrf, format!("{board_path}/people"));
        async move {
            n.form(&uri, cookie, &[("_csrf", csrf), ("who", who), ("back", "")])
                .await
        }
    };
    let unknown = add("13799999999").await;
    assert_eq!(
        unknown.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        unknown.text
    );
    assert!(unknown.text.contains("找不到使用这个手机号的客户"));
    assert!(unknown.text.contains("value=\"13799999999\""));
    let reload = n.page(&format!("{board_path}/people"), &cookie).await;
    assert_eq!(
        reload.status,
        StatusCode::SEE_OTHER,
        "a reload opens the board"
    );
    assert_eq!(location(&reload), board_path);
    let added = add("137 0000 0009").await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.text);
    let page = n.page(&location(&added), &cookie).await;
    assert!(page.text.contains("已添加：周杰伦"), "{}", page.text);
    assert!(page.text.contains("手动添加"));

    // A staff answer from the list filtered to those not answered: back to that list.
    let pending = n
        .page(&format!("{board_path}?people=pending"), &cookie)
        .await;
    assert_eq!(people_list(&pending.text).matches("<tr class=").count(), 4);
    let r = n
        .form(
            &format!("{board_path}/people/{a}/answer"),
            &cookie,
            &[
                ("_csrf", &csrf),
                ("status", "safe"),
                ("back", &format!("{board_path}?people=pending")),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let back = location(&r);
    assert!(
        back.starts_with(&format!("{board_path}?people=pending&flash=")),
        "{back}"
    );
    let page = n.page(&back, &cookie).await;
    assert!(page.text.contains("已登记：平安"));
    assert_eq!(people_list(&page.text).matches("<tr class=").count(), 3);
    let safe = n.page(&format!("{board_path}?people=safe"), &cookie).await;
    let rows = people_list(&safe.text);
    assert!(rows.contains("王芳") && !rows.contains("李雷"), "{rows}");
    // A `back` elsewhere is not followed.
    let r = n
        .form(
            &format!("{board_path}/people/{b}/answer"),
            &cookie,
            &[
                ("_csrf", &csrf),
                ("status", "needs_help"),
                ("back", "https://evil.example/"),
            ],
        )
        .await;
    assert!(location(&r).starts_with(&format!("{board_path}?flash=")));
    let escalated = n
        .page(&format!("{board_path}?people=escalated"), &cookie)
        .await;
    assert!(people_list(&escalated.text).contains("李雷"));

    // The broadcast's text refused (too long) comes back as typed; then sent: email to
    // nobody (no addresses), a call task each for those not known to be safe.
    let long = "台风".repeat(300);
    let r = n
        .form(
            &format!("{board_path}/broadcast"),
            &cookie,
            &[
                ("_csrf", &csrf),
                ("audience", "not_safe"),
                ("body", &long),
                ("ask_checkin", "1"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.text.contains(&format!(">{long}</textarea>")));
    assert!(r.text.contains("<option value=\"not_safe\" selected>"));
    assert!(r.text.contains("群发内容"), "named as the form names it");
    let r = n
        .form(
            &format!("{board_path}/broadcast"),
            &cookie,
            &[
                ("_csrf", &csrf),
                ("audience", "not_safe"),
                ("body", "【演练】请回复 1 报平安：{link}"),
                ("ask_checkin", "1"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let page = n.page(&location(&r), &cookie).await;
    assert!(page.text.contains("已排队发送：3 人"), "{}", page.text);
    assert!(page.text.contains("待拨电话 3 个"), "{}", page.text);

    // A call: reached, and safe by what they said; off the list of calls to make.
    let r = n
        .form(
            &format!("{board_path}/calls/{c}"),
            &cookie,
            &[
                ("_csrf", &csrf),
                ("outcome", "reached"),
                ("status", "safe"),
                ("back", &board_path),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert!(location(&r).ends_with("#calls"));
    let page = n.page(&location(&r), &cookie).await;
    assert!(
        page.text.contains("已登记电话结果：已接通：平安"),
        "{}",
        page.text
    );
    let got = n.get(&format!("/api/v1/incidents/{id}"), &boss).await;
    assert_eq!(
        (
            got.body["safe"].as_u64(),
            got.body["needs_help"].as_u64(),
            got.body["pending"].as_u64(),
            got.body["calls_open"].as_u64(),
        ),
        (Some(2), Some(1), Some(1), Some(2)),
        "{}",
        got.text
    );
    for want in [
        "调整应急小组分工：客服经理",
        "登记电话联系结果：已接通",
        "游客回复：平安（员工登记）",
    ] {
        assert!(page.text.contains(want), "{want} missing from the timeline");
    }

    // An agent answers for a traveler but manages nothing.
    let seen = n.page(&board_path, &agent_cookie).await;
    assert!(seen.text.contains("/answer\""), "the agent records answers");
    assert!(!seen.text.contains("/team\""), "but not the team");
    assert!(!seen.text.contains("/people\" class=\"form-inline"));
}
