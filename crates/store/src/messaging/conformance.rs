//! Conformance checks of the conversation repository (re-exported by [`crate::conformance`]).

/// This repository's checks as tests (run by [`conformance_tests!`](crate::conformance_tests)).
#[macro_export]
macro_rules! messaging_conformance_tests {
    ($make:expr) => {
        $crate::conformance_tests!(@each $make;
            wechat_pushes_are_kept_once_and_tickets_know_where_the_customer_last_wrote);
    };
}

use crate::conformance::{sample_customer, sample_ticket, t};
use crate::*;
use tripdesk_domain::desk::{Level, State};
use uuid::Uuid;

fn message(
    user: &WechatUser,
    key: &str,
    ticket: Option<Uuid>,
    detail: Option<&str>,
    at: &str,
) -> WechatMessage {
    WechatMessage {
        id: Uuid::now_v7(),
        dedupe_key: key.into(),
        user_id: user.id,
        customer_id: user.customer_id,
        ticket_id: ticket,
        event_id: None,
        msg_type: if detail.is_some() { "event" } else { "text" }.into(),
        detail: detail.map(str::to_string),
        sealed_body: Some("sealed".into()),
        sent_at: t(at),
        received_at: t(at),
    }
}

/// A follower's OpenID key and a push's dedupe key are each stored once; the window's last
/// message leaves out `unsubscribe`; a customer's open WeChat ticket and newest open ticket
/// are found, a closed one is not; a ticket's last inbound channel is the newest of its
/// SMS and WeChat messages; erasure deletes the follower and their messages.
pub async fn wechat_pushes_are_kept_once_and_tickets_know_where_the_customer_last_wrote(
    store: &dyn Store,
) {
    let c = sample_customer("林小雨");
    let mut tx = store.write().await.unwrap();
    tx.insert_customer(&c).await.unwrap();
    let mut open = sample_ticket("TS0090001", Level::General, "2026-12-01T01:00:00Z");
    open.customer_id = Some(c.id);
    let mut closed = sample_ticket("TS0090002", Level::General, "2026-12-01T02:00:00Z");
    closed.customer_id = Some(c.id);
    closed.state = State::Closed;
    tx.insert_ticket(&open).await.unwrap();
    tx.insert_ticket(&closed).await.unwrap();
    let user = WechatUser {
        id: Uuid::now_v7(),
        openid_key: "key-1".into(),
        openid_sealed: "sealed-openid".into(),
        customer_id: c.id,
        subscribed: true,
        created_at: t("2026-12-01T01:00:00Z"),
        updated_at: t("2026-12-01T01:00:00Z"),
    };
    assert!(tx.insert_wechat_user(&user).await.unwrap());
    let again = WechatUser {
        id: Uuid::now_v7(),
        ..user.clone()
    };
    assert!(!tx.insert_wechat_user(&again).await.unwrap());
    assert_eq!(
        tx.find_wechat_user("key-1").await.unwrap(),
        Some(user.clone())
    );
    assert_eq!(tx.find_wechat_user("key-2").await.unwrap(), None);
    tx.set_wechat_subscribed(user.id, false, t("2026-12-01T03:00:00Z"))
        .await
        .unwrap();
    assert!(
        !tx.get_wechat_user(user.id)
            .await
            .unwrap()
            .unwrap()
            .subscribed
    );

    assert_eq!(tx.ticket_last_inbound(open.id).await.unwrap(), None);
    assert_eq!(tx.open_wechat_ticket(c.id).await.unwrap(), None);
    let first = message(&user, "msg:1", Some(open.id), None, "2026-12-01T01:00:00Z");
    assert!(tx.insert_wechat_message(&first).await.unwrap());
    let repeat = WechatMessage {
        id: Uuid::now_v7(),
        ..first.clone()
    };
    assert!(!tx.insert_wechat_message(&repeat).await.unwrap());
    assert!(tx.wechat_message_exists("msg:1").await.unwrap());
    assert!(!tx.wechat_message_exists("msg:2").await.unwrap());
    let on_closed = message(
        &user,
        "msg:3",
        Some(closed.id),
        None,
        "2026-12-01T02:00:00Z",
    );
    tx.insert_wechat_message(&on_closed).await.unwrap();
    let left = message(
        &user,
        "evt:x",
        None,
        Some("unsubscribe"),
        "2026-12-01T04:00:00Z",
    );
    tx.insert_wechat_message(&left).await.unwrap();
    assert_eq!(
        tx.last_wechat_message(c.id).await.unwrap().map(|m| m.id),
        Some(on_closed.id),
        "unsubscribing opens no window"
    );
    assert_eq!(tx.open_wechat_ticket(c.id).await.unwrap(), Some(open.id));
    assert_eq!(tx.newest_open_ticket(c.id).await.unwrap(), Some(open.id));
    assert_eq!(
        tx.ticket_last_inbound(open.id).await.unwrap(),
        Some(LastInbound {
            channel: "wechat".into(),
            at: t("2026-12-01T01:00:00Z")
        })
    );

    // A later SMS on the same ticket is now where the customer last wrote.
    let reply = SmsReply {
        id: Uuid::now_v7(),
        sequence_id: "seq-1".into(),
        blind_index: "phone-key".into(),
        customer_id: Some(c.id),
        sealed_text: "sealed".into(),
        sent_at: None,
        received_at: t("2026-12-01T05:00:00Z"),
    };
    tx.insert_sms_reply(&reply).await.unwrap();
    assert_eq!(
        tx.ticket_last_inbound(open.id)
            .await
            .unwrap()
            .unwrap()
            .channel,
        "wechat",
        "a reply threaded nowhere counts for no ticket"
    );
    tx.set_sms_reply_thread(reply.id, open.id, None)
        .await
        .unwrap();
    assert_eq!(
        tx.ticket_last_inbound(open.id).await.unwrap(),
        Some(LastInbound {
            channel: "sms".into(),
            at: t("2026-12-01T05:00:00Z")
        })
    );

    let (users, messages) = tx.customer_wechat(c.id).await.unwrap();
    assert_eq!((users.len(), messages.len()), (1, 3));
    // A merge gives them to the kept customer.
    let kept = sample_customer("林小雨");
    tx.insert_customer(&kept).await.unwrap();
    assert_eq!(tx.move_wechat_users(c.id, kept.id).await.unwrap(), 4);
    assert_eq!(
        tx.find_wechat_user("key-1")
            .await
            .unwrap()
            .unwrap()
            .customer_id,
        kept.id
    );
    assert_eq!(tx.delete_customer_wechat(c.id).await.unwrap(), 0);
    assert_eq!(tx.delete_customer_wechat(kept.id).await.unwrap(), 4);
    let (users, messages) = tx.customer_wechat(kept.id).await.unwrap();
    assert!(users.is_empty() && messages.is_empty());
    assert_eq!(tx.find_wechat_user("key-1").await.unwrap(), None);
    tx.commit().await.unwrap();
}
