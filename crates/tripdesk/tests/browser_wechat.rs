//! A WeChat conversation at the desk in headless Chromium on `tripdesk demo` with the
//! official account's Token set (issue 17 item 4): a follower's signed push opens an inquiry,
//! a second threads into it; 李娜 opens the ticket and sees both messages, the second marked
//! with its channel, and WeChat's 48-hour reply window above the reply box. Screenshot
//! `desk-wechat-ticket.png`.
//!
//! Needs `apt-get install chromium chromium-driver fonts-noto-cjk` (`scripts/test` does it).

#[path = "common/browser.rs"]
mod chromium;
mod common;

use anyhow::ensure;
use chromium::start_demo_in_chromium_with;
use fantoccini::Locator;

const TOKEN: &str = "tripdesk2027";
const OPENID: &str = "o6_bmjrPTlm6_2sgVt7hMZOPfL2M";

async fn push(base: &str, content: &str, msg_id: u64) -> anyhow::Result<()> {
    let ts = jiff::Timestamp::now().as_second().to_string();
    let nonce = "1320562132";
    let signature = tripdesk_wechat::signature::url_signature(TOKEN, &ts, nonce);
    let body = format!(
        "<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName><FromUserName><![CDATA[{OPENID}]]></FromUserName>\
         <CreateTime>{ts}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{content}]]></Content>\
         <MsgId>{msg_id}</MsgId></xml>"
    );
    let r = reqwest::Client::new()
        .post(format!(
            "{base}/api/v1/wechat/push?signature={signature}&timestamp={ts}&nonce={nonce}&openid={OPENID}"
        ))
        .header("content-type", "text/xml")
        .body(body)
        .send()
        .await?;
    ensure!(r.status().is_success(), "push: {}", r.status());
    ensure!(r.text().await? == "success");
    Ok(())
}

/// The ticket the pushes opened, as 李娜's API lists it.
async fn ticket_of(base: &str) -> anyhow::Result<String> {
    let client = reqwest::Client::new();
    let login: serde_json::Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({"username": "li.na", "password": "tripdesk-demo"}))
        .send()
        .await?
        .json()
        .await?;
    let token = login["token"].as_str().unwrap_or_default();
    let list: serde_json::Value = client
        .get(format!("{base}/api/v1/tickets?limit=200"))
        .bearer_auth(token)
        .send()
        .await?
        .json()
        .await?;
    list["items"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|t| {
            t["subject"]
                .as_str()
                .unwrap_or("")
                .starts_with("微信：你好")
        })
        .and_then(|t| t["id"].as_str())
        .map(str::to_string)
        .ok_or_else(|| anyhow::anyhow!("no ticket for the WeChat message: {list}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_sees_a_wechat_conversation_and_its_window() -> anyhow::Result<()> {
    // The AppSecret too: replies would go out on WeChat (none is sent in this walk).
    let session = start_demo_in_chromium_with(&[
        ("TRIPDESK_WECHAT_TOKEN", TOKEN.to_string()),
        ("TRIPDESK_WECHAT_APP_ID", "wx2c2769f8efd9abc2".to_string()),
        (
            "TRIPDESK_WECHAT_APP_SECRET",
            "wechat-app-s3cret".to_string(),
        ),
    ])
    .await?;
    let outcome = async {
        let b = session.browser();
        push(
            b.base,
            "你好，请问明天去黄山的大巴几点出发？",
            6054768590064713728,
        )
        .await?;
        push(b.base, "另外，可以带一只小狗吗？", 6054768590064713729).await?;
        let id = ticket_of(b.base).await?;
        b.sign_in_as("li.na").await?;
        b.c.goto(&format!("{}/desk/tickets/{id}", b.base)).await?;
        let window = b.wait(Locator::Css("[data-wechat-window=open]")).await?;
        let text = window.text().await?;
        ensure!(text.contains("48 小时回复窗口开放至"), "{text}");
        ensure!(text.contains("微信客服消息"), "{text}");
        let page = b.c.source().await?;
        ensure!(
            page.contains("客户微信消息"),
            "the threaded message is on the timeline"
        );
        ensure!(page.contains("可以带一只小狗吗"));
        ensure!(page.contains("渠道：微信"));
        ensure!(!page.contains(OPENID), "the OpenID is never shown");
        b.c.execute(
            "document.querySelector('[data-wechat-window]').scrollIntoView({block: 'center'})",
            vec![],
        )
        .await?;
        b.shot("desk-wechat-ticket.png").await
    }
    .await;
    session.finish(outcome).await
}
