//! WeChat's own sample values for the message signature and encryption (消息加解密), checked
//! against this crate. Only the published values are taken, none of the sample code.
//!
//! Sources (the values are the same in every copy named):
//! - OFFICIAL ACCOUNT: the "消息加解密" sample code WeChat offers for download on the official
//!   account developer documentation (公众平台 › 消息加解密接入指引 › 示例代码), Python
//!   `Sample.py` (token `spamtest`, AppID `wx2c2769f8efd9abc2`, `msg_sign`, `from_xml`), as
//!   republished e.g. by the npm package wxbizmsgcrypt-node's README and many SDK test suites.
//!   The decrypted XML is the one those suites assert (e.g. a public vitest suite for
//!   `src/platform/wechat/wechat.ts` with the same token, AppID and `Encrypt`).
//! - JAVA TEST: the same download's Java sample, `WXBizMsgCryptTest.java` (token `pamtest`,
//!   AppID `wxb11529c136998cb6`, random `aaaabbbbccccdddd`, `afterAesEncrypt`,
//!   `afterAesEncrypt2`), which fixes the 16 random bytes and so checks encryption byte for byte.
//! - WECOM: the WeCom (企业微信, same scheme with the CorpID in the AppID's place) sample's
//!   `VerifyURL` values (token `QDG6eK`, CorpID `wx5823bf96d3bd56c7`, `msg_signature`
//!   `5c45ff5e…`, `echostr` `P9nAzCzy…`), from the same family of official samples
//!   (C#/Java/PHP `Sample`), a msg_signature over an echostr rather than a message.

use tripdesk_wechat::signature::{msg_signature, url_signature, verify_msg, verify_url};
use tripdesk_wechat::{Account, Event, InboundKind, PushQuery, SafeMode, WechatError};

const KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";

// OFFICIAL ACCOUNT sample.
const TOKEN: &str = "spamtest";
const APP_ID: &str = "wx2c2769f8efd9abc2";
const TIMESTAMP: &str = "1409735669";
const NONCE: &str = "1320562132";
const MSG_SIGNATURE: &str = "5d197aaffba7e9b25a30732f161a50dee96bd5fa";
const ENCRYPT: &str = "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE=";
const DECRYPTED: &str = "<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName>\n\
<FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName>\n\
<CreateTime>1409735668</CreateTime>\n\
<MsgType><![CDATA[text]]></MsgType>\n\
<Content><![CDATA[abcdteT]]></Content>\n\
<MsgId>6054768590064713728</MsgId>\n\
</xml>";

/// The sample's POST body (compatible mode: the plaintext fields and `Encrypt` side by side).
fn from_xml() -> String {
    format!(
        "<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName><FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName><CreateTime>1409735668</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[abcdteT]]></Content><MsgId>6054768590064713728</MsgId><Encrypt><![CDATA[{ENCRYPT}]]></Encrypt></xml>"
    )
}

#[test]
fn official_msg_signature_matches() {
    assert_eq!(
        msg_signature(TOKEN, TIMESTAMP, NONCE, ENCRYPT),
        MSG_SIGNATURE
    );
    assert_eq!(
        verify_msg(TOKEN, TIMESTAMP, NONCE, ENCRYPT, MSG_SIGNATURE),
        Ok(())
    );
}

#[test]
fn official_url_signature_matches() {
    // The sample gives no plaintext-mode signature; this one, for the sample's token,
    // timestamp and nonce, is the one the public vitest suite named above expects.
    let expected = "16120ec1b8dbb870f510d87ce6bc2463eae6ca1a";
    assert_eq!(url_signature(TOKEN, TIMESTAMP, NONCE), expected);
    assert_eq!(verify_url(TOKEN, TIMESTAMP, NONCE, expected), Ok(()));
}

#[test]
fn a_bad_signature_is_refused() {
    // The Java test's own refusal: a signature of "12345".
    assert_eq!(
        verify_msg(TOKEN, TIMESTAMP, NONCE, ENCRYPT, "12345"),
        Err(WechatError::BadSignature)
    );
    // The right signature for another nonce, timestamp, token or text.
    assert_eq!(
        verify_msg(TOKEN, TIMESTAMP, "1320562133", ENCRYPT, MSG_SIGNATURE),
        Err(WechatError::BadSignature)
    );
    assert_eq!(
        verify_msg(TOKEN, "1409735670", NONCE, ENCRYPT, MSG_SIGNATURE),
        Err(WechatError::BadSignature)
    );
    assert_eq!(
        verify_msg("pamtest", TIMESTAMP, NONCE, ENCRYPT, MSG_SIGNATURE),
        Err(WechatError::BadSignature)
    );
    let tampered = ENCRYPT.replacen('h', "H", 1);
    assert_eq!(
        verify_msg(TOKEN, TIMESTAMP, NONCE, &tampered, MSG_SIGNATURE),
        Err(WechatError::BadSignature)
    );
}

#[test]
fn official_encrypt_decrypts_to_the_sample_xml() {
    let safe = SafeMode::new(KEY, APP_ID).unwrap();
    assert_eq!(safe.decrypt(ENCRYPT).unwrap(), DECRYPTED);
}

#[test]
fn official_encrypt_with_a_wrong_appid_is_refused() {
    let safe = SafeMode::new(KEY, "wxb11529c136998cb6").unwrap();
    assert_eq!(safe.decrypt(ENCRYPT), Err(WechatError::WrongAppId));
}

#[test]
fn official_push_opens_to_the_text_message() {
    let account = Account::new(TOKEN, Some(SafeMode::new(KEY, APP_ID).unwrap())).unwrap();
    let query = PushQuery {
        signature: Some("16120ec1b8dbb870f510d87ce6bc2463eae6ca1a"),
        timestamp: TIMESTAMP,
        nonce: NONCE,
        encrypt_type: Some("aes"),
        msg_signature: Some(MSG_SIGNATURE),
    };
    let message = account.open_push(&query, &from_xml()).unwrap();
    assert_eq!(message.account, "gh_10f6c3c3ac5a");
    assert_eq!(message.from.expose(), "oyORnuP8q7ou2gfYjqLzSIWZf0rs");
    assert_eq!(message.created_at, 1409735668);
    assert_eq!(
        message.kind,
        InboundKind::Text {
            msg_id: 6054768590064713728,
            content: "abcdteT".into()
        }
    );
    // Without `signature` (only msg_signature covers the body) it opens too.
    let query = PushQuery {
        signature: None,
        ..query
    };
    assert!(account.open_push(&query, &from_xml()).is_ok());
    // A wrong msg_signature, or none, is refused.
    let bad = PushQuery {
        msg_signature: Some("12345"),
        ..query
    };
    assert_eq!(
        account.open_push(&bad, &from_xml()),
        Err(WechatError::BadSignature)
    );
    let none = PushQuery {
        msg_signature: None,
        ..query
    };
    assert_eq!(
        account.open_push(&none, &from_xml()),
        Err(WechatError::MissingField("msg_signature"))
    );
    // An account without the key cannot open it.
    let plain_only = Account::new(TOKEN, None).unwrap();
    assert_eq!(
        plain_only.open_push(&query, &from_xml()),
        Err(WechatError::NoKey)
    );
}

#[test]
fn plaintext_push_needs_its_signature() {
    let account = Account::new(TOKEN, None).unwrap();
    let query = PushQuery {
        signature: Some("16120ec1b8dbb870f510d87ce6bc2463eae6ca1a"),
        timestamp: TIMESTAMP,
        nonce: NONCE,
        ..PushQuery::default()
    };
    let message = account.open_push(&query, DECRYPTED).unwrap();
    assert_eq!(message.kind.msg_id(), Some(6054768590064713728));
    let bad = PushQuery {
        nonce: "1",
        ..query
    };
    assert_eq!(
        account.open_push(&bad, DECRYPTED),
        Err(WechatError::BadSignature)
    );
    let unsigned = PushQuery {
        signature: None,
        ..query
    };
    assert_eq!(
        account.open_push(&unsigned, DECRYPTED),
        Err(WechatError::MissingField("signature"))
    );
    assert_eq!(
        account.verify_url(
            "16120ec1b8dbb870f510d87ce6bc2463eae6ca1a",
            TIMESTAMP,
            NONCE,
            "shr5ch"
        ),
        Ok("shr5ch")
    );
    assert_eq!(
        account.verify_url(
            "16120ec1b8dbb870f510d87ce6bc2463eae6ca1b",
            TIMESTAMP,
            NONCE,
            "shr5ch"
        ),
        Err(WechatError::BadSignature)
    );
}

// JAVA TEST sample: encryption with the random prefix fixed.
const JAVA_APP_ID: &str = "wxb11529c136998cb6";
const JAVA_RANDOM: &[u8; 16] = b"aaaabbbbccccdddd";

#[test]
fn official_encryption_is_reproduced_byte_for_byte() {
    let safe = SafeMode::new(KEY, JAVA_APP_ID).unwrap();
    let after =
        "jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg==";
    assert_eq!(safe.encrypt(*JAVA_RANDOM, "我是中文abcd123"), after);
    assert_eq!(safe.decrypt(after).unwrap(), "我是中文abcd123");

    let reply2 = "<xml><ToUserName><![CDATA[oia2Tj我是中文jewbmiOUlr6X-1crbLOvLw]]></ToUserName><FromUserName><![CDATA[gh_7f083739789a]]></FromUserName><CreateTime>1407743423</CreateTime><MsgType><![CDATA[video]]></MsgType><Video><MediaId><![CDATA[eYJ1MbwPRJtOvIEabaxHs7TX2D-HV71s79GUxqdUkjm6Gs2Ed1KF3ulAOA9H1xG0]]></MediaId><Title><![CDATA[testCallBackReplyVideo]]></Title><Description><![CDATA[testCallBackReplyVideo]]></Description></Video></xml>";
    let after2 = "jn1L23DB+6ELqJ+6bruv23M2GmYfkv0xBh2h+XTBOKVKcgDFHle6gqcZ1cZrk3e1qjPQ1F4RsLWzQRG9udbKWesxlkupqcEcW7ZQweImX9+wLMa0GaUzpkycA8+IamDBxn5loLgZpnS7fVAbExOkK5DYHBmv5tptA9tklE/fTIILHR8HLXa5nQvFb3tYPKAlHF3rtTeayNf0QuM+UW/wM9enGIDIJHF7CLHiDNAYxr+r+OrJCmPQyTy8cVWlu9iSvOHPT/77bZqJucQHQ04sq7KZI27OcqpQNSto2OdHCoTccjggX5Z9Mma0nMJBU+jLKJ38YB1fBIz+vBzsYjrTmFQ44YfeEuZ+xRTQwr92vhA9OxchWVINGC50qE/6lmkwWTwGX9wtQpsJKhP+oS7rvTY8+VdzETdfakjkwQ5/Xka042OlUb1/slTwo4RscuQ+RdxSGvDahxAJ6+EAjLt9d8igHngxIbf6YyqqROxuxqIeIch3CssH/LqRs+iAcILvApYZckqmA7FNERspKA5f8GoJ9sv8xmGvZ9Yrf57cExWtnX8aCMMaBropU/1k+hKP5LVdzbWCG0hGwx/dQudYR/eXp3P0XxjlFiy+9DMlaFExWUZQDajPkdPrEeOwofJb";
    assert_eq!(safe.encrypt(*JAVA_RANDOM, reply2), after2);
    assert_eq!(safe.decrypt(after2).unwrap(), reply2);
}

#[test]
fn sealed_reply_opens_with_its_own_signature() {
    let account = Account::new("pamtest", Some(SafeMode::new(KEY, JAVA_APP_ID).unwrap())).unwrap();
    let reply = "<xml><ToUserName><![CDATA[o1]]></ToUserName><FromUserName><![CDATA[gh_1]]></FromUserName><CreateTime>1409304348</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[unsubscribe]]></Event></xml>";
    let sealed = account
        .seal_reply(reply, "1409304348", "xxxxxx", *JAVA_RANDOM)
        .unwrap();
    let fields = tripdesk_wechat::message::parse_fields(&sealed).unwrap();
    let query = PushQuery {
        signature: None,
        timestamp: fields.get("TimeStamp").unwrap(),
        nonce: fields.get("Nonce").unwrap(),
        encrypt_type: Some("aes"),
        msg_signature: fields.get("MsgSignature"),
    };
    let opened = account.open_push(&query, &sealed).unwrap();
    assert_eq!(opened.kind, InboundKind::Event(Event::Unsubscribe));
}

// WECOM sample: msg_signature over an echostr, and the echostr's decryption.
#[test]
fn wecom_verify_url_sample_matches() {
    let token = "QDG6eK";
    let echostr =
        "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==";
    assert_eq!(
        verify_msg(
            token,
            "1409659589",
            "263014780",
            echostr,
            "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3"
        ),
        Ok(())
    );
    let safe = SafeMode::new(
        "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
        "wx5823bf96d3bd56c7",
    )
    .unwrap();
    // The plaintext the sample's callers answer with, as a public Go test of the same sample
    // (`TestAdminCallbackOfficialURLVector`) asserts it.
    assert_eq!(safe.decrypt(echostr).unwrap(), "1616140317555161061");
    let other_corp = SafeMode::new(
        "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
        "wx0000000000000000",
    )
    .unwrap();
    assert_eq!(other_corp.decrypt(echostr), Err(WechatError::WrongAppId));
}
