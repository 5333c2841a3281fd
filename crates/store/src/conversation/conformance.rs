//! Conformance checks of the conversation read (re-exported by [`crate::conformance`]).

/// This repository's checks as tests (run by [`conformance_tests!`](crate::conformance_tests)).
#[macro_export]
macro_rules! conversation_conformance_tests {
    ($make:expr) => {
        $crate::conformance_tests!(@each $make;
            a_customers_conversation_merges_tickets_chats_and_calls_newest_first);
    };
}

use crate::conformance::{sample_customer, sample_department, sample_ticket, t};
use crate::*;
use tripdesk_domain::chat::{Author, ChatState};
use tripdesk_domain::desk::{Channel, Level};
use tripdesk_domain::phone::{Direction, Disposition};
use uuid::Uuid;

fn event(ticket: Uuid, kind: &str, at: &str, body: Option<&str>) -> TicketEvent {
    TicketEvent {
        id: Uuid::now_v7(),
        ticket_id: ticket,
        at: t(at),
        actor_id: None,
        actor_name: "王芳".into(),
        kind: kind.into(),
        step: None,
        from_state: None,
        to_state: None,
        body: body.map(str::to_string),
        data: Some(r#"{"channel":"email"}"#.into()),
    }
}

/// The customer's ticket messages (first message, their mails, the replies; not steps or
/// internal notes), chat messages and calls come newest first in one list, another
/// customer's never; pages continue by (time, id); the viewer's groups scope the tickets
/// only; a chat's ticket does not repeat the chat as its first message.
pub async fn a_customers_conversation_merges_tickets_chats_and_calls_newest_first(
    store: &dyn Store,
) {
    let (a, b) = (sample_customer("林小雨"), sample_customer("陈大文"));
    let (g1, g2) = (sample_department("conv-g1"), sample_department("conv-g2"));
    let mut tx = store.write().await.unwrap();
    tx.insert_customer(&a).await.unwrap();
    tx.insert_customer(&b).await.unwrap();
    tx.insert_department(&g1).await.unwrap();
    tx.insert_department(&g2).await.unwrap();

    let mut mail = sample_ticket("CONV-1", Level::General, "2026-11-02T01:00:00Z");
    mail.customer_id = Some(a.id);
    mail.channel = Channel::Email;
    mail.group_id = Some(g1.id);
    mail.description = "想咨询西海大峡谷的行程".into();
    let mut other_group = sample_ticket("CONV-2", Level::General, "2026-11-02T05:00:00Z");
    other_group.customer_id = Some(a.id);
    other_group.group_id = Some(g2.id);
    let mut theirs = sample_ticket("CONV-3", Level::General, "2026-11-02T01:30:00Z");
    theirs.customer_id = Some(b.id);
    let mut from_chat = sample_ticket("CONV-4", Level::General, "2026-11-02T03:00:00Z");
    from_chat.customer_id = Some(a.id);
    from_chat.channel = Channel::Chat;
    from_chat.description = "visitor: 在吗".into();
    for tk in [&mail, &other_group, &theirs, &from_chat] {
        tx.insert_ticket(tk).await.unwrap();
    }
    let created = event(mail.id, "created", "2026-11-02T01:00:00Z", None);
    let step = event(mail.id, "step", "2026-11-02T01:10:00Z", None);
    let answer = event(
        mail.id,
        "reply",
        "2026-11-02T01:20:00Z",
        Some("您好，行程如下"),
    );
    let note = event(mail.id, "note", "2026-11-02T01:21:00Z", Some("内部备注"));
    let again = event(
        mail.id,
        "customer_email",
        "2026-11-02T02:00:00Z",
        Some("谢谢，再问一下"),
    );
    let elsewhere = event(other_group.id, "created", "2026-11-02T05:00:00Z", None);
    let not_hers = event(theirs.id, "created", "2026-11-02T01:30:00Z", None);
    let chat_created = event(from_chat.id, "created", "2026-11-02T03:00:00Z", None);
    for e in [
        &created,
        &step,
        &answer,
        &note,
        &again,
        &elsewhere,
        &not_hers,
        &chat_created,
    ] {
        tx.insert_ticket_event(e).await.unwrap();
    }

    let chat = Chat {
        id: Uuid::now_v7(),
        customer_id: a.id,
        state: ChatState::Waiting,
        agent_id: None,
        ticket_id: None,
        started_at: t("2026-11-02T02:30:00Z"),
        due_at: None,
        answered_at: None,
        ended_at: None,
        last_seq: 0,
        last_at: t("2026-11-02T02:30:00Z"),
        version: 1,
    };
    tx.insert_chat(&chat).await.unwrap();
    let said = ChatMessage {
        id: Uuid::now_v7(),
        chat_id: chat.id,
        seq: 0,
        author: Author::Visitor,
        agent_id: None,
        body_sealed: Some("sealed-在吗".into()),
        at: t("2026-11-02T02:30:05Z"),
    };
    tx.append_chat_message(&said).await.unwrap();
    let mut ticketed = chat.clone();
    ticketed.state = ChatState::Ticketed;
    ticketed.ticket_id = Some(from_chat.id);
    ticketed.version = 2;
    assert!(tx.update_chat(&ticketed, 1).await.unwrap());

    let started = t("2026-11-02T04:00:00Z");
    let call = CallRecord {
        id: Uuid::now_v7(),
        source: "cdr".into(),
        call_key: "conv-call".into(),
        direction: Direction::Inbound,
        line: "4008001234".into(),
        agent: None,
        customer_id: Some(a.id),
        number_sealed: Some("sealed-number".into()),
        number_index: None,
        started_at: started,
        answered_at: None,
        ended_at: started + jiff::SignedDuration::from_secs(20),
        ring_secs: 20,
        talk_secs: 0,
        disposition: Disposition::NoAnswer,
        imported_at: started,
        imported_by: None,
        callback_task_id: None,
        ticket_id: Some(mail.id),
    };
    tx.insert_calls(std::slice::from_ref(&call)).await.unwrap();
    tx.commit().await.unwrap();

    let mut tx = store.read().await.unwrap();
    let q = ConversationQuery {
        customer_id: a.id,
        before: None,
        groups: None,
        limit: 50,
        offset: 0,
    };
    let all = tx.customer_conversation(&q).await.unwrap();
    let ids: Vec<Uuid> = all.iter().map(|e| e.id).collect();
    assert_eq!(
        ids,
        vec![
            elsewhere.id,
            call.id,
            said.id,
            again.id,
            answer.id,
            created.id
        ],
        "newest first, messages only, hers only, the chat's ticket not repeating the chat"
    );
    let first = all.last().unwrap();
    assert_eq!(first.source, ConversationSource::Ticket);
    assert_eq!(first.body.as_deref(), Some("想咨询西海大峡谷的行程"));
    assert_eq!(
        first.actor.as_deref(),
        Some("张伟"),
        "the first message is the customer's, whoever typed it in"
    );
    assert_eq!(
        all[4].actor.as_deref(),
        Some("王芳"),
        "a reply is its agent's"
    );
    assert_eq!(
        (first.channel.as_str(), first.ticket_number.as_deref()),
        ("email", Some("CONV-1"))
    );
    assert_eq!(all[3].kind, "customer_email");
    assert_eq!(all[3].body.as_deref(), Some("谢谢，再问一下"));
    let chat_entry = &all[2];
    assert_eq!(
        (
            chat_entry.source,
            chat_entry.kind.as_str(),
            chat_entry.body_sealed.as_deref(),
            chat_entry.ticket_id
        ),
        (
            ConversationSource::Chat,
            "visitor",
            Some("sealed-在吗"),
            Some(from_chat.id)
        )
    );
    let call_entry = &all[1];
    assert_eq!(
        (
            call_entry.source,
            call_entry.channel.as_str(),
            call_entry.kind.as_str(),
            call_entry.data.as_deref()
        ),
        (
            ConversationSource::Call,
            "phone",
            "inbound:no_answer",
            Some("20,0")
        )
    );

    // Pages of two, each continuing from the last one's (time, id).
    let mut pages = Vec::new();
    let mut before = None;
    loop {
        let page = tx
            .customer_conversation(&ConversationQuery {
                before,
                limit: 2,
                ..q.clone()
            })
            .await
            .unwrap();
        if page.is_empty() {
            break;
        }
        before = page.last().map(|e| (e.at, e.id));
        pages.extend(page.iter().map(|e| e.id));
        assert!(pages.len() <= ids.len(), "the pages end");
    }
    assert_eq!(pages, ids);
    // Or numbered: the third and fourth.
    let numbered = tx
        .customer_conversation(&ConversationQuery {
            limit: 2,
            offset: 2,
            ..q.clone()
        })
        .await
        .unwrap();
    assert_eq!(
        numbered.iter().map(|e| e.id).collect::<Vec<_>>(),
        ids[2..4].to_vec()
    );

    // One group in scope: the other group's ticket is left out, chats and calls stay.
    let scoped = tx
        .customer_conversation(&ConversationQuery {
            groups: Some(vec![g1.id]),
            ..q.clone()
        })
        .await
        .unwrap();
    assert!(!scoped.iter().any(|e| e.id == elsewhere.id));
    assert_eq!(scoped.len(), ids.len() - 1);
    let none = tx
        .customer_conversation(&ConversationQuery {
            groups: Some(Vec::new()),
            ..q.clone()
        })
        .await
        .unwrap();
    assert_eq!(
        none.iter().map(|e| e.id).collect::<Vec<_>>(),
        vec![call.id, said.id]
    );
}
