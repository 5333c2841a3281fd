//! The WeChat official account's push endpoint (issue 17 item 4) with WeChat's own sample
//! account (the "消息加解密" sample: token `spamtest`, AppID `wx2c2769f8efd9abc2`; values and
//! sources in `crates/wechat/tests/samples.rs`), the server's clock at the sample's time: the
//! server-address check echoes `echostr`; the sample's safe-mode push and a plaintext push are
//! answered `success`; a wrong or missing signature, a stale timestamp and a push to a server
//! without the account are 401; a body that is not a WeChat message is 422 — and no answer
//! repeats the sender's OpenID.

mod common;

use axum::http::{Method, StatusCode};
use common::{assert_problem, field_of, harness_with, Harness};
use jiff::SignedDuration;
use std::sync::Arc;
use tripdesk_app::AppSettings;
use tripdesk_domain::clock::ManualClock;
use tripdesk_wechat::{Account, SafeMode};

const TOKEN: &str = "spamtest";
const KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
const APP_ID: &str = "wx2c2769f8efd9abc2";
const TIMESTAMP: &str = "1409735669";
const NONCE: &str = "1320562132";
const SIGNATURE: &str = "16120ec1b8dbb870f510d87ce6bc2463eae6ca1a";
const MSG_SIGNATURE: &str = "5d197aaffba7e9b25a30732f161a50dee96bd5fa";
const ENCRYPT: &str = "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE=";
const OPENID: &str = "oyORnuP8q7ou2gfYjqLzSIWZf0rs";
const PUSH: &str = "/api/v1/wechat/push";

async fn setup(with_account: bool) -> (Harness, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new("2014-09-03T09:14:29Z".parse().unwrap()));
    let settings = AppSettings {
        wechat: with_account
            .then(|| Account::new(TOKEN, Some(SafeMode::new(KEY, APP_ID).unwrap())).unwrap()),
        ..Default::default()
    };
    (harness_with(clock.clone(), settings).await, clock)
}

fn safe_body() -> String {
    format!("<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName><Encrypt><![CDATA[{ENCRYPT}]]></Encrypt></xml>")
}

fn plain_body(content: &str) -> String {
    format!(
        "<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName><FromUserName><![CDATA[{OPENID}]]></FromUserName>\
         <CreateTime>1409735668</CreateTime><MsgType><![CDATA[text]]></MsgType>{content}</xml>"
    )
}

async fn post(h: &Harness, query: &str, body: String) -> common::Reply {
    h.call(
        Method::POST,
        &format!("{PUSH}?{query}"),
        &[("content-type", "text/xml")],
        Some(body),
    )
    .await
}

#[tokio::test]
async fn the_server_address_check_echoes_echostr() {
    let (h, _) = setup(true).await;
    let r = h
        .call(
            Method::GET,
            &format!(
                "{PUSH}?signature={SIGNATURE}&timestamp={TIMESTAMP}&nonce={NONCE}&echostr=shr5ch"
            ),
            &[],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.text, "shr5ch");
    assert!(r.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));

    let wrong = format!("{PUSH}?signature=16120ec1b8dbb870f510d87ce6bc2463eae6ca1b&timestamp={TIMESTAMP}&nonce={NONCE}&echostr=shr5ch");
    let r = h.call(Method::GET, &wrong, &[], None).await;
    assert_problem(&r, StatusCode::UNAUTHORIZED, "unauthenticated");
    assert!(!r.text.contains("shr5ch"));
}

#[tokio::test]
async fn the_samples_safe_mode_push_is_answered_success() {
    let (h, _) = setup(true).await;
    let query = format!(
        "signature={SIGNATURE}&timestamp={TIMESTAMP}&nonce={NONCE}&openid={OPENID}&encrypt_type=aes&msg_signature={MSG_SIGNATURE}"
    );
    let r = post(&h, &query, safe_body()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.text, "success");

    // The Encrypt field altered: msg_signature no longer holds.
    let tampered = safe_body().replacen("hyzA", "hyzB", 1);
    let r = post(&h, &query, tampered).await;
    assert_problem(&r, StatusCode::UNAUTHORIZED, "unauthenticated");
    // No msg_signature in safe mode.
    let r = post(
        &h,
        &format!("signature={SIGNATURE}&timestamp={TIMESTAMP}&nonce={NONCE}&encrypt_type=aes"),
        safe_body(),
    )
    .await;
    assert_problem(&r, StatusCode::UNAUTHORIZED, "unauthenticated");
}

#[tokio::test]
async fn a_plaintext_push_needs_its_signature() {
    let (h, _) = setup(true).await;
    let body = plain_body("<Content><![CDATA[你好]]></Content><MsgId>6054768590064713728</MsgId>");
    let query = format!("signature={SIGNATURE}&timestamp={TIMESTAMP}&nonce={NONCE}");
    let r = post(&h, &query, body.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.text, "success");

    let r = post(
        &h,
        &format!("timestamp={TIMESTAMP}&nonce={NONCE}"),
        body.clone(),
    )
    .await;
    assert_problem(&r, StatusCode::UNAUTHORIZED, "unauthenticated");
    let r = post(
        &h,
        &format!("signature={SIGNATURE}&timestamp={TIMESTAMP}&nonce=1"),
        body,
    )
    .await;
    assert_problem(&r, StatusCode::UNAUTHORIZED, "unauthenticated");
}

#[tokio::test]
async fn a_body_that_is_not_a_wechat_message_is_422_without_the_openid() {
    let (h, _) = setup(true).await;
    let query = format!("signature={SIGNATURE}&timestamp={TIMESTAMP}&nonce={NONCE}");
    // No Content in a text message; an unclosed element; a DOCTYPE.
    for body in [
        plain_body("<MsgId>1</MsgId>"),
        plain_body("<Content>hi</Content><MsgId>1</MsgId>").replace("</xml>", ""),
        format!("<!DOCTYPE xml><xml><FromUserName>{OPENID}</FromUserName></xml>"),
    ] {
        let r = post(&h, &query, body).await;
        assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(field_of(&r), "body");
        assert!(!r.text.contains(OPENID), "{}", r.text);
    }
}

#[tokio::test]
async fn a_stale_timestamp_is_refused() {
    let (h, clock) = setup(true).await;
    clock.advance(SignedDuration::from_mins(6));
    let query = format!(
        "signature={SIGNATURE}&timestamp={TIMESTAMP}&nonce={NONCE}&encrypt_type=aes&msg_signature={MSG_SIGNATURE}"
    );
    let r = post(&h, &query, safe_body()).await;
    assert_problem(&r, StatusCode::UNAUTHORIZED, "unauthenticated");
    assert!(r.body["detail"].as_str().unwrap().contains("5 minutes"));
}

#[tokio::test]
async fn without_the_account_configured_pushes_are_refused() {
    let (h, _) = setup(false).await;
    let query = format!(
        "signature={SIGNATURE}&timestamp={TIMESTAMP}&nonce={NONCE}&encrypt_type=aes&msg_signature={MSG_SIGNATURE}"
    );
    let r = post(&h, &query, safe_body()).await;
    assert_problem(&r, StatusCode::UNAUTHORIZED, "unauthenticated");
    assert!(r.body["detail"].as_str().unwrap().contains("wechat_token"));
}
