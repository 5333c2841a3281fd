//! The message shapes of WeChat's "接收普通消息" and "接收事件推送" pages, and what is refused.

use super::*;

fn wrap(body: &str) -> String {
    format!(
        "<xml><ToUserName><![CDATA[toUser]]></ToUserName>\
         <FromUserName><![CDATA[fromUser]]></FromUserName>\
         <CreateTime>1348831860</CreateTime>{body}</xml>"
    )
}

#[test]
fn a_text_message() {
    let m = parse_message(&wrap(
        "<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[this is a test]]></Content>\
         <MsgId>1234567890123456</MsgId>",
    ))
    .unwrap();
    assert_eq!(m.account, "toUser");
    assert_eq!(m.from.expose(), "fromUser");
    assert_eq!(m.created_at, 1348831860);
    assert_eq!(
        m.kind,
        InboundKind::Text {
            msg_id: 1234567890123456,
            content: "this is a test".into()
        }
    );
    assert_eq!(m.kind.msg_id(), Some(1234567890123456));
}

#[test]
fn text_keeps_its_spaces_lines_and_escapes() {
    let m = parse_message(&wrap(
        "<MsgType>text</MsgType><Content><![CDATA[  退改 <规则>\n第二行 ]]></Content>\
         <MsgId>1</MsgId>",
    ))
    .unwrap();
    assert!(
        matches!(m.kind, InboundKind::Text { ref content, .. } if content == "  退改 <规则>\n第二行 ")
    );
    let m = parse_message(&wrap(
        "<MsgType>text</MsgType><Content>a &lt;b&gt; &amp; &#20320;&#x597D;</Content><MsgId>1</MsgId>",
    ))
    .unwrap();
    assert!(matches!(m.kind, InboundKind::Text { ref content, .. } if content == "a <b> & 你好"));
}

#[test]
fn an_image_and_a_voice_message() {
    let m = parse_message(&wrap(
        "<MsgType><![CDATA[image]]></MsgType><PicUrl><![CDATA[this is a url]]></PicUrl>\
         <MediaId><![CDATA[media_id]]></MediaId><MsgId>1234567890123456</MsgId>",
    ))
    .unwrap();
    assert_eq!(
        m.kind,
        InboundKind::Image {
            msg_id: 1234567890123456,
            media_id: "media_id".into(),
            pic_url: "this is a url".into()
        }
    );
    let m = parse_message(&wrap(
        "<MsgType><![CDATA[voice]]></MsgType><MediaId><![CDATA[media_id]]></MediaId>\
         <Format><![CDATA[amr]]></Format><Recognition><![CDATA[腾讯微信团队]]></Recognition>\
         <MsgId>1234567890123456</MsgId>",
    ))
    .unwrap();
    assert_eq!(
        m.kind,
        InboundKind::Voice {
            msg_id: 1234567890123456,
            media_id: "media_id".into(),
            format: "amr".into(),
            recognition: Some("腾讯微信团队".into())
        }
    );
}

#[test]
fn events() {
    let event = |body: &str| match parse_message(&wrap(&format!(
        "<MsgType><![CDATA[event]]></MsgType>{body}"
    )))
    .unwrap()
    .kind
    {
        InboundKind::Event(e) => e,
        other => panic!("not an event: {other:?}"),
    };
    assert_eq!(
        event("<Event><![CDATA[subscribe]]></Event>"),
        Event::Subscribe { scene: None }
    );
    assert_eq!(
        event("<Event><![CDATA[subscribe]]></Event><EventKey><![CDATA[qrscene_123123]]></EventKey><Ticket><![CDATA[TICKET]]></Ticket>"),
        Event::Subscribe { scene: Some("123123".into()) }
    );
    assert_eq!(
        event("<Event><![CDATA[unsubscribe]]></Event>"),
        Event::Unsubscribe
    );
    assert_eq!(
        event("<Event><![CDATA[CLICK]]></Event><EventKey><![CDATA[EVENTKEY]]></EventKey>"),
        Event::Click {
            key: "EVENTKEY".into()
        }
    );
    assert_eq!(
        event("<Event><![CDATA[VIEW]]></Event><EventKey><![CDATA[www.qq.com]]></EventKey>"),
        Event::View {
            url: "www.qq.com".into()
        }
    );
    assert_eq!(
        event("<Event><![CDATA[SCAN]]></Event><EventKey><![CDATA[SCENE_VALUE]]></EventKey>"),
        Event::Scan {
            key: "SCENE_VALUE".into()
        }
    );
    // A menu event with a nested list: the list's text is not kept, the event is.
    assert_eq!(
        event("<Event><![CDATA[pic_sysphoto]]></Event><EventKey><![CDATA[6]]></EventKey>\
               <SendPicsInfo><Count>1</Count><PicList><item><PicMd5Sum><![CDATA[1b5f]]></PicMd5Sum></item></PicList></SendPicsInfo>"),
        Event::Other { event: "pic_sysphoto".into(), key: Some("6".into()) }
    );
    assert_eq!(
        parse_message(&wrap("<MsgType>event</MsgType><Event>CLICK</Event>")),
        Err(WechatError::MissingField("EventKey"))
    );
}

#[test]
fn other_types_are_kept_by_name() {
    let m = parse_message(&wrap(
        "<MsgType><![CDATA[location]]></MsgType><Location_X>23.134521</Location_X>\
         <Location_Y>113.358803</Location_Y><Scale>20</Scale><Label><![CDATA[位置信息]]></Label>\
         <MsgId>1234567890123456</MsgId>",
    ))
    .unwrap();
    assert_eq!(
        m.kind,
        InboundKind::Other {
            msg_type: "location".into(),
            msg_id: Some(1234567890123456)
        }
    );
}

#[test]
fn the_openid_never_prints() {
    let m = parse_message(&wrap(
        "<MsgType>text</MsgType><Content>x</Content><MsgId>1</MsgId>",
    ))
    .unwrap();
    let shown = format!("{m:?}");
    assert!(!shown.contains("fromUser"), "{shown}");
    assert!(shown.contains("OpenId(<redacted>)"));
}

#[test]
fn missing_and_bad_fields_are_named() {
    let no_from = "<xml><ToUserName>a</ToUserName><CreateTime>1</CreateTime>\
                   <MsgType>text</MsgType><Content>x</Content><MsgId>1</MsgId></xml>";
    assert_eq!(
        parse_message(no_from),
        Err(WechatError::MissingField("FromUserName"))
    );
    assert_eq!(
        parse_message(&wrap(
            "<MsgType>text</MsgType><Content>x</Content><MsgId>12ab</MsgId>"
        )),
        Err(WechatError::BadField("MsgId"))
    );
    assert_eq!(
        parse_message(&wrap("<MsgType>text</MsgType><MsgId>1</MsgId>")),
        Err(WechatError::MissingField("Content"))
    );
    assert_eq!(
        parse_message(&wrap("<Content>x</Content>")),
        Err(WechatError::MissingField("MsgType"))
    );
    let bad_time = "<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName>\
                    <CreateTime>soon</CreateTime><MsgType>text</MsgType></xml>";
    assert_eq!(
        parse_message(bad_time),
        Err(WechatError::BadField("CreateTime"))
    );
}

#[test]
fn malformed_input_is_refused() {
    let refused = |xml: &str| parse_fields(xml).unwrap_err();
    assert!(matches!(
        refused("<xml><A>1</A>"),
        WechatError::MalformedXml { .. }
    ));
    assert!(matches!(
        refused("<xml><A>1</B></xml>"),
        WechatError::MalformedXml { .. }
    ));
    assert!(matches!(
        refused("<xml><A>1</A><A>2</A></xml>"),
        WechatError::MalformedXml { .. }
    ));
    assert!(matches!(
        refused("<xml><A>&nbsp;</A></xml>"),
        WechatError::MalformedXml { .. }
    ));
    assert!(matches!(
        refused("<xml></xml><xml></xml>"),
        WechatError::MalformedXml { .. }
    ));
    assert!(matches!(
        refused("hello <xml></xml>"),
        WechatError::MalformedXml { .. }
    ));
    assert!(matches!(refused(""), WechatError::MalformedXml { .. }));
    assert_eq!(refused("<root><A>1</A></root>"), WechatError::NotWechatXml);
    assert_eq!(
        refused("<!DOCTYPE xml [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><xml><A>&x;</A></xml>"),
        WechatError::DocType
    );
    let deep = format!("<xml>{}{}</xml>", "<a>".repeat(10), "</a>".repeat(10));
    assert_eq!(refused(&deep), WechatError::TooDeep { limit: MAX_DEPTH });
    let many = format!("<xml><A>{}</A></xml>", "<b/>".repeat(MAX_ELEMENTS + 1));
    assert_eq!(
        refused(&many),
        WechatError::TooManyElements {
            limit: MAX_ELEMENTS
        }
    );
    let big = format!(
        "<xml><Content>{}</Content></xml>",
        "字".repeat(MAX_XML / 3 + 1)
    );
    assert_eq!(refused(&big), WechatError::TooLarge { limit: MAX_XML });
}

#[test]
fn errors_carry_no_message_text() {
    let err = parse_fields("<xml><FromUserName>oSecret123</Wrong></xml>").unwrap_err();
    assert!(!err.to_string().contains("oSecret123"));
    assert!(!format!("{err:?}").contains("Wrong"));
}

#[test]
fn an_empty_element_is_an_empty_field() {
    let f = parse_fields("<?xml version=\"1.0\"?><xml><A/><B>2</B><!-- note --></xml>").unwrap();
    assert_eq!(f.get("A"), Some(""));
    assert_eq!(f.get("B"), Some("2"));
    assert_eq!(parse_fields("<xml/>").unwrap(), Fields::default());
}

#[test]
fn layout_around_cdata_is_dropped_and_identifiers_trimmed() {
    // WeChat's Python sample writes `<MsgType>  <![CDATA[video]]></MsgType>`.
    let m = parse_message(
        "<xml>\n  <ToUserName> <![CDATA[gh_1]]> </ToUserName>\n  <FromUserName><![CDATA[o1]]></FromUserName>\n  \
         <CreateTime> 1407743423 </CreateTime>\n  <MsgType>  <![CDATA[text]]></MsgType>\n  \
         <Content>\n  <![CDATA[ hi ]]>\n</Content><MsgId>\n7\n</MsgId>\n</xml>\n",
    )
    .unwrap();
    assert_eq!(m.account, "gh_1");
    assert_eq!(m.created_at, 1407743423);
    assert_eq!(
        m.kind,
        InboundKind::Text {
            msg_id: 7,
            content: " hi ".into()
        }
    );
}
