//! WeChat and SMS as conversations on tickets (issue 17 items 4 and 5), on the backend of
//! this run. WeChat: a signed push (plaintext, then safe mode) from a new OpenID opens an
//! inquiry for a new customer, the next threads into it, a push WeChat repeats is kept once;
//! the agent's reply leaves by the outbox's `wechat` channel to a loopback stand-in for
//! api.weixin.qq.com with WeChat's JSON and the access token, an expired token is fetched
//! again, 45015 ends the message; the ticket page shows the 48-hour window, and a reply after
//! it is refused naming it, unless the customer has an email address to answer by. SMS: a
//! customer's text opens a ticket, the next threads into it, and the agent's reply leaves by
//! the `sms` channel; an unknown number's text becomes a new customer's ticket. Neither the OpenID, a MediaId nor the
//! phone is ever in the database in plaintext, and erasure leaves no WeChat row.

mod common;

use axum::http::{Method, StatusCode};
use common::{assert_problem, database_bytes, harness_with, Harness};
use jiff::SignedDuration;
use serde_json::{json, Value};
use std::sync::Arc;
use tripdesk_app::auth::Credential;
use tripdesk_app::customers::{Labeled, NewCustomer};
use tripdesk_app::notify::NotifySettings;
use tripdesk_app::sms::{wire, SIGNATURE_HEADER};
use tripdesk_app::{AppSettings, Principal};
use tripdesk_delivery::sms::{SmsChannel, SmsConfig};
use tripdesk_delivery::sms_sink::SmsSink;
use tripdesk_delivery::wechat::{WechatChannel, WechatConfig};
use tripdesk_delivery::wechat_sink::WechatSink;
use tripdesk_delivery::{Channel, DispatcherConfig};
use tripdesk_domain::clock::{Clock, ManualClock};
use tripdesk_domain::identity::Role;
use tripdesk_store::Ticket;
use tripdesk_vault::webhook::sign;
use tripdesk_wechat::signature::{msg_signature, url_signature};
use tripdesk_wechat::{Account, SafeMode};
use uuid::Uuid;

const TOKEN: &str = "tripdesk2027";
const KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
const APP_ID: &str = "wx2c2769f8efd9abc2";
const APP_SECRET: &str = "wechat-app-s3cret";
const OPENID: &str = "o6_bmjrPTlm6_2sgVt7hMZOPfL2M";
const MEDIA_ID: &str = "MEDIA6pTnYbZkq3GxDoc2Rw7wLJbX";
const ACCOUNT: &str = "gh_10f6c3c3ac5a";
const PUSH: &str = "/api/v1/wechat/push";

fn supervisor() -> Principal {
    Principal {
        user_id: Uuid::now_v7(),
        username: "zhao.min".into(),
        display_name: "赵敏".into(),
        roles: vec![Role::Supervisor],
        department_id: None,
        locale: "zh-CN".into(),
        credential: Credential::Console,
    }
}

struct Wx {
    h: Harness,
    clock: Arc<ManualClock>,
    sink: WechatSink,
    channel: Arc<dyn Channel>,
    agent: String,
}

async fn wx() -> Wx {
    let clock = Arc::new(ManualClock::new("2027-07-20T02:00:00Z".parse().unwrap()));
    let settings = AppSettings {
        wechat: Some(Account::new(TOKEN, Some(SafeMode::new(KEY, APP_ID).unwrap())).unwrap()),
        notify: NotifySettings {
            wechat: true,
            ..Default::default()
        },
        ..Default::default()
    };
    let h = harness_with(clock.clone(), settings).await;
    let sink = WechatSink::start(APP_ID, APP_SECRET).await.unwrap();
    let channel: Arc<dyn Channel> = Arc::new(
        WechatChannel::new(
            &h.app,
            WechatConfig {
                base_url: sink.url(),
                app_id: APP_ID.into(),
                app_secret: tripdesk_vault::Secret::new(APP_SECRET.to_string()),
                timeout: std::time::Duration::from_secs(5),
            },
        )
        .unwrap(),
    );
    let agent = h.token("li.na").await;
    Wx {
        h,
        clock,
        sink,
        channel,
        agent,
    }
}

/// A message's XML as WeChat pushes it, sent now.
fn xml(clock: &ManualClock, kind: &str) -> String {
    format!(
        "<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{OPENID}]]></FromUserName>\
         <CreateTime>{}</CreateTime>{kind}</xml>",
        clock.now().as_second()
    )
}

fn text(content: &str, msg_id: u64) -> String {
    format!("<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId>")
}

/// Pushes `body` signed in plaintext mode, or encrypted and signed in safe mode.
async fn push(w: &Wx, body: &str, safe: bool) {
    let ts = w.clock.now().as_second().to_string();
    let nonce = "1320562132";
    let signature = url_signature(TOKEN, &ts, nonce);
    let (query, body) = if safe {
        let encrypt = SafeMode::new(KEY, APP_ID).unwrap().encrypt([7; 16], body);
        let sig = msg_signature(TOKEN, &ts, nonce, &encrypt);
        (
            format!("signature={signature}&timestamp={ts}&nonce={nonce}&openid={OPENID}&encrypt_type=aes&msg_signature={sig}"),
            format!("<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"),
        )
    } else {
        (
            format!("signature={signature}&timestamp={ts}&nonce={nonce}&openid={OPENID}"),
            body.to_string(),
        )
    };
    let r =
        w.h.call(
            Method::POST,
            &format!("{PUSH}?{query}"),
            &[("content-type", "text/xml")],
            Some(body),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.text, "success");
}

async fn drain(h: &Harness, channel: &Arc<dyn Channel>) -> usize {
    tripdesk_delivery::dispatcher::run_until_idle(
        h.app.clone(),
        vec![channel.clone()],
        DispatcherConfig::default(),
    )
    .await
}

async fn reply(h: &Harness, agent: &str, ticket: Uuid, body: &str) -> common::Reply {
    h.api(
        Method::POST,
        &format!("/api/v1/tickets/{ticket}/messages"),
        agent,
        json!({"kind": "reply", "body": body}),
    )
    .await
}

async fn events(h: &Harness, ticket: Uuid, kind: &str) -> Vec<(String, Value)> {
    let mut tx = h.store.store.read().await.unwrap();
    tx.list_ticket_events(ticket)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == kind)
        .map(|e| {
            (
                e.body.unwrap_or_default(),
                serde_json::from_str(e.data.as_deref().unwrap_or("{}")).unwrap(),
            )
        })
        .collect()
}

fn assert_absent(h: &Harness, secrets: &[&str]) {
    let bytes = database_bytes(&h.store.location);
    for s in secrets {
        assert!(
            !bytes.windows(s.len()).any(|w| w == s.as_bytes()),
            "the database holds {s} in plaintext"
        );
    }
}

#[tokio::test]
async fn a_wechat_follower_becomes_a_conversation_answered_within_48_hours() {
    let w = wx().await;
    let h = &w.h;

    // A new OpenID: a new customer and an inquiry on the social channel with its clock.
    push(
        &w,
        &xml(
            &w.clock,
            &text("请问明天去黄山的大巴几点出发？", 6054768590064713728),
        ),
        false,
    )
    .await;
    let key = h.app.vault().unwrap().blind_index("wechat_openid", OPENID);
    let mut tx = h.store.store.read().await.unwrap();
    let user = tx
        .find_wechat_user(&key)
        .await
        .unwrap()
        .expect("the follower");
    let customer = user.customer_id;
    let ticket_id = tx
        .open_wechat_ticket(customer)
        .await
        .unwrap()
        .expect("a ticket");
    let ticket: Ticket = tx.get_ticket(ticket_id).await.unwrap().unwrap();
    drop(tx);
    assert_eq!(ticket.channel.as_str(), "social");
    assert_eq!(ticket.kind.as_str(), "inquiry");
    assert_eq!(ticket.customer_id, Some(customer));
    assert_eq!(ticket.description, "请问明天去黄山的大巴几点出发？");
    let clocks = h
        .app
        .sla_clocks_of(&supervisor(), "ticket", &ticket_id.to_string())
        .await
        .unwrap();
    assert!(
        clocks
            .iter()
            .any(|c| c.clock.target_key() == "first_response.social"),
        "the channel's first-response clock runs"
    );

    // The next message, in safe mode, threads; WeChat's retry of it is kept once.
    w.clock.advance(SignedDuration::from_mins(2));
    let second = xml(&w.clock, &text("可以带宠物吗？", 6054768590064713729));
    push(&w, &second, true).await;
    push(&w, &second, true).await;
    push(&w, &second, false).await;
    // A picture: its MediaId kept sealed, a placeholder on the timeline.
    push(
        &w,
        &xml(
            &w.clock,
            &format!("<MsgType><![CDATA[image]]></MsgType><PicUrl><![CDATA[http://mmbiz.qpic.cn/x]]></PicUrl><MediaId><![CDATA[{MEDIA_ID}]]></MediaId><MsgId>6054768590064713730</MsgId>"),
        ),
        false,
    )
    .await;
    // A subscribe event, pushed twice, is recorded once and opens nothing.
    let follow = xml(
        &w.clock,
        "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe]]></Event>",
    );
    push(&w, &follow, false).await;
    push(&w, &follow, false).await;
    let thread = events(h, ticket_id, "customer_wechat").await;
    assert_eq!(thread.len(), 2, "{thread:?}");
    assert_eq!(thread[0].0, "可以带宠物吗？");
    assert_eq!(thread[0].1["channel"], "wechat");
    assert_eq!(thread[1].1["msg_type"], "image");
    let mut tx = h.store.store.read().await.unwrap();
    let (users, messages) = tx.customer_wechat(customer).await.unwrap();
    assert_eq!(users.len(), 1);
    assert_eq!(messages.len(), 4, "three messages and one event, each once");
    assert_eq!(
        tx.open_wechat_ticket(customer).await.unwrap(),
        Some(ticket_id)
    );
    drop(tx);

    // The timeline says the channel.
    let page = h
        .ui_get(&format!("/desk/tickets/{ticket_id}"), "li.na")
        .await;
    assert!(page.text.contains("客户微信消息"), "{}", page.text);
    assert!(page.text.contains("data-wechat-window=\"open\""));

    // The agent's reply reaches "WeChat" with its JSON and the access token it fetched.
    let r = reply(
        h,
        &w.agent,
        ticket_id,
        "您好，明早 7:30 在酒店门口集合出发。",
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert!(r.body["message_id"].is_string(), "{}", r.text);
    assert_eq!(drain(h, &w.channel).await, 1);
    let sent = w.sink.messages();
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0].body,
        json!({"touser": OPENID, "msgtype": "text",
               "text": {"content": "您好，明早 7:30 在酒店门口集合出发。"}})
    );
    assert_eq!(w.sink.tokens(), vec!["ACCESS_TOKEN_1".to_string()]);
    assert_eq!(sent[0].access_token, "ACCESS_TOKEN_1");
    let replies = events(h, ticket_id, "reply").await;
    assert_eq!(replies[0].1["delivery"], "wechat");

    // The token expires: the channel fetches a new one and sends again at once.
    w.sink.expire_tokens();
    let r = reply(h, &w.agent, ticket_id, "宠物需要提前登记。").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(drain(h, &w.channel).await, 1);
    assert_eq!(w.sink.refused(), vec![42001]);
    let sent = w.sink.messages();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[1].access_token, "ACCESS_TOKEN_2");
    assert_eq!(sent[1].body["text"]["content"], "宠物需要提前登记。");

    // WeChat says the window closed (45015): the message is dead, the code shown.
    w.sink.answer_next(45015);
    let r = reply(h, &w.agent, ticket_id, "还有其他问题吗？").await;
    let id: Uuid = r.body["message_id"].as_str().unwrap().parse().unwrap();
    drain(h, &w.channel).await;
    let mut tx = h.store.store.read().await.unwrap();
    let m = tx.get_message(id).await.unwrap().unwrap();
    assert_eq!(m.state.as_str(), "dead");
    assert!(
        m.last_error.as_deref().unwrap_or("").contains("45015"),
        "{m:?}"
    );
    assert!(!m.recipient.contains(OPENID));
    drop(tx);

    // 48 hours after the last message the window is closed: refused, naming it.
    w.clock.advance(SignedDuration::from_hours(48));
    let agent = h.token("li.na").await;
    let r = reply(h, &agent, ticket_id, "您好，请问还在吗？").await;
    assert_problem(&r, StatusCode::CONFLICT, "wechat_window_closed");
    assert!(r.text.contains("48 hours"), "{}", r.text);
    let page = h
        .ui_get(&format!("/desk/tickets/{ticket_id}"), "li.na")
        .await;
    assert!(page.text.contains("data-wechat-window=\"closed\""));
    assert!(page.text.contains("已于"), "{}", page.text);
    // The reply form says it in the agent's language, with the time, and keeps the text.
    let (cookie, csrf) = h.session("li.na").await;
    let r = common::post_form(
        h,
        &format!("/desk/tickets/{ticket_id}/messages"),
        &common::Visitor { cookie, csrf },
        &[("kind", "reply"), ("body", "您好，请问还在吗？")],
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert!(
        r.text
            .contains("无法回复：微信只允许在客户最后一条消息后 48 小时内回复"),
        "{}",
        r.text
    );
    assert!(r.text.contains("您好，请问还在吗？"));

    // Once the customer gives an email address, the reply goes there instead.
    h.app
        .update_customer(
            &supervisor(),
            customer,
            tripdesk_app::customers::CustomerChanges {
                add_emails: vec![Labeled::new("email", "xiaoyu.lin@example.cn")],
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let r = reply(h, &agent, ticket_id, "您好，已通过邮件回复您。").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let mut tx = h.store.store.read().await.unwrap();
    let id: Uuid = r.body["message_id"].as_str().unwrap().parse().unwrap();
    assert_eq!(tx.get_message(id).await.unwrap().unwrap().channel, "email");
    drop(tx);
    let replies = events(h, ticket_id, "reply").await;
    assert_eq!(replies.last().unwrap().1["delivery"], "email");

    // Nothing personal in plaintext: not the OpenID, not the MediaId.
    assert_absent(h, &[OPENID, MEDIA_ID]);

    // The PIPL copy opens them; erasure leaves no WeChat row.
    let sup = supervisor();
    let copy = h.app.export_customer_data(&sup, customer).await.unwrap();
    assert_eq!(copy["sections"]["wechat"]["followers"][0]["openid"], OPENID);
    h.app
        .erase_customer(&sup, customer, "PIPL 删除请求 #17")
        .await
        .unwrap();
    let mut tx = h.store.store.read().await.unwrap();
    let (users, messages) = tx.customer_wechat(customer).await.unwrap();
    assert!(users.is_empty() && messages.is_empty());
    assert!(tx.find_wechat_user(&key).await.unwrap().is_none());
}

// ---- SMS ----

const KEY_ID: &str = "LTAI-tripdesk-test";
const KEY_SECRET: &str = "access-key-s3cret";
const HOOK_SECRET: &str = "sms-hook-s3cret-0123456789";
const PHONE: &str = "13912345678";
const E164: &str = "+8613912345678";

async fn post_replies(h: &Harness, clock: &ManualClock, replies: Value) {
    let bytes = serde_json::to_vec(&replies).unwrap();
    let signature = sign(HOOK_SECRET, clock.now().as_second(), &bytes);
    let r = h
        .call_raw(
            Method::POST,
            "/api/v1/sms/replies",
            &[
                ("content-type", "application/json"),
                (SIGNATURE_HEADER, &signature),
            ],
            Some(bytes),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

#[tokio::test]
async fn a_customers_sms_threads_into_their_ticket_and_the_agent_answers_by_sms() {
    let clock = Arc::new(ManualClock::new("2027-07-20T02:00:00Z".parse().unwrap()));
    let settings = AppSettings {
        notify: NotifySettings {
            sms: true,
            sms_webhook_secret: Some(tripdesk_vault::Secret::new(HOOK_SECRET.to_string())),
            ..Default::default()
        },
        ..Default::default()
    };
    let h = harness_with(clock.clone(), settings).await;
    let sink = SmsSink::start_with_clock(KEY_ID, KEY_SECRET, clock.clone())
        .await
        .unwrap();
    let channel: Arc<dyn Channel> = Arc::new(
        SmsChannel::new(
            &h.app,
            SmsConfig {
                base_url: sink.url(),
                access_key_id: KEY_ID.into(),
                access_key_secret: tripdesk_vault::Secret::new(KEY_SECRET.to_string()),
                sign_name: "【云途旅行】".into(),
                template_code: "SMS_276150001".into(),
                timeout: std::time::Duration::from_secs(5),
            },
        )
        .unwrap(),
    );
    let customer = h
        .app
        .create_customer(
            &supervisor(),
            NewCustomer {
                name: "林小雨".into(),
                phones: vec![Labeled::new("phone", PHONE)],
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .detail
        .customer
        .id;

    // No ticket open: the text opens one; the next threads into it (and a redelivery does
    // not repeat it).
    let first = json!([{"phone_number": PHONE, "content": "你好，我订的是 8 月 3 日的团，想改期。",
                        "sequence_id": "seq-1"}]);
    post_replies(&h, &clock, first).await;
    let mut tx = h.store.store.read().await.unwrap();
    let ticket_id = tx
        .newest_open_ticket(customer)
        .await
        .unwrap()
        .expect("a ticket");
    let ticket = tx.get_ticket(ticket_id).await.unwrap().unwrap();
    drop(tx);
    assert_eq!(ticket.description, "你好，我订的是 8 月 3 日的团，想改期。");
    assert_eq!(ticket.channel.as_str(), "social");
    clock.advance(SignedDuration::from_mins(5));
    let second = json!([{"phone_number": E164, "content": "改到 8 月 10 日可以吗？", "sequence_id": "seq-2"}]);
    post_replies(&h, &clock, second.clone()).await;
    post_replies(&h, &clock, second).await;
    let thread = events(&h, ticket_id, "customer_sms").await;
    assert_eq!(thread.len(), 1, "{thread:?}");
    assert_eq!(thread[0].0, "改到 8 月 10 日可以吗？");
    assert_eq!(thread[0].1["channel"], "sms");
    let page = h
        .ui_get(&format!("/desk/tickets/{ticket_id}"), "li.na")
        .await;
    assert!(page.text.contains("客户短信"), "{}", page.text);

    // The agent's reply goes by SMS, to the number the vault holds.
    let agent = h.token("li.na").await;
    let r = reply(&h, &agent, ticket_id, "可以的，已为您改到 8 月 10 日。").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(drain(&h, &channel).await, 1);
    let sent = sink.messages();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].request.phone_numbers, E164);
    assert_eq!(sent[0].text, "可以的，已为您改到 8 月 10 日。");
    assert_eq!(events(&h, ticket_id, "reply").await[0].1["delivery"], "sms");
    let _ = wire::OK;

    // An unknown number: a new customer (the phone sealed) and a ticket of their own.
    let stranger = json!([{"phone_number": "13800138000", "content": "请问还有空位吗？", "sequence_id": "seq-3"}]);
    post_replies(&h, &clock, stranger).await;
    let blind = h
        .app
        .vault()
        .unwrap()
        .blind_index("phone", "+8613800138000");
    let mut tx = h.store.store.read().await.unwrap();
    let found = tx
        .find_customers_by_identifier("phone", &blind)
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    let theirs = tx
        .newest_open_ticket(found[0])
        .await
        .unwrap()
        .expect("their ticket");
    assert_ne!(theirs, ticket_id);
    drop(tx);
    assert_absent(&h, &[PHONE, "13800138000"]);
}
