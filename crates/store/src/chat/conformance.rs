//! Conformance checks of the chat repository (re-exported by [`crate::conformance`]).

/// This repository's checks as tests (run by [`conformance_tests!`](crate::conformance_tests)).
#[macro_export]
macro_rules! chats_conformance_tests {
    ($make:expr) => {
        $crate::conformance_tests!(@each $make;
            chats_number_their_messages_list_by_state_and_erase_texts,
            two_writers_to_one_chat_never_share_a_number);
    };
}

use crate::conformance::{futures_join_all, sample_customer, sample_user, t};
use crate::*;
use tripdesk_domain::chat::{Author, ChatState};
use uuid::Uuid;

fn chat(customer: Uuid, at: &str) -> Chat {
    Chat {
        id: Uuid::now_v7(),
        customer_id: customer,
        state: ChatState::Waiting,
        agent_id: None,
        ticket_id: None,
        started_at: t(at),
        due_at: None,
        answered_at: None,
        ended_at: None,
        last_seq: 0,
        last_at: t(at),
        version: 1,
    }
}

fn message(chat: Uuid, author: Author, text: &str, at: &str) -> ChatMessage {
    ChatMessage {
        id: Uuid::now_v7(),
        chat_id: chat,
        seq: 0,
        author,
        agent_id: None,
        body_sealed: Some(text.into()),
        at: t(at),
    }
}

/// Messages are numbered 1, 2, … per chat and listed after a number; chats list oldest
/// first by state, agent and customer, with the visitor's name; a stale version is refused;
/// erasure forgets the customer's texts only.
pub async fn chats_number_their_messages_list_by_state_and_erase_texts(store: &dyn Store) {
    let (a, b) = (sample_customer("林小雨"), sample_customer("陈大文"));
    let mut tx = store.write().await.unwrap();
    tx.insert_customer(&a).await.unwrap();
    tx.insert_customer(&b).await.unwrap();
    let first = chat(a.id, "2026-11-02T01:00:00Z");
    let second = chat(b.id, "2026-11-02T01:05:00Z");
    tx.insert_chat(&first).await.unwrap();
    tx.insert_chat(&second).await.unwrap();
    for (i, text) in ["你好", "请问大理的房间还有吗"].iter().enumerate() {
        let seq = tx
            .append_chat_message(&message(
                first.id,
                Author::Visitor,
                text,
                "2026-11-02T01:00:10Z",
            ))
            .await
            .unwrap();
        assert_eq!(seq, Some(i as i64 + 1));
    }
    assert_eq!(
        tx.append_chat_message(&message(
            second.id,
            Author::Visitor,
            "在吗",
            "2026-11-02T01:05:01Z"
        ))
        .await
        .unwrap(),
        Some(1),
        "numbers are per chat"
    );
    assert_eq!(
        tx.append_chat_message(&message(
            Uuid::now_v7(),
            Author::Visitor,
            "x",
            "2026-11-02T01:05:01Z"
        ))
        .await
        .unwrap(),
        None,
        "no such chat"
    );
    let after = tx.list_chat_messages(first.id, 1, 10).await.unwrap();
    assert_eq!(after.len(), 1);
    assert_eq!(
        (after[0].seq, after[0].body_sealed.as_deref()),
        (2, Some("请问大理的房间还有吗"))
    );
    let stored = tx.get_chat(first.id).await.unwrap().unwrap();
    assert_eq!(stored.last_seq, 2);
    assert_eq!(stored.last_at, t("2026-11-02T01:00:10Z"));

    let agent_user = sample_user("chat.agent", &[], None);
    tx.insert_user(&agent_user).await.unwrap();
    let agent = agent_user.id;
    let mut answered = stored.clone();
    answered.state = ChatState::Active;
    answered.agent_id = Some(agent);
    answered.answered_at = Some(t("2026-11-02T01:01:00Z"));
    answered.version = 2;
    assert!(tx.update_chat(&answered, 1).await.unwrap());
    assert!(
        !tx.update_chat(&answered, 1).await.unwrap(),
        "stale version"
    );
    let waiting = ChatFilter {
        states: vec![ChatState::Waiting],
        ..Default::default()
    };
    let listed = tx.list_chats(&waiting, 10, 0).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (listed[0].chat.id, listed[0].customer_name.as_str()),
        (second.id, "陈大文")
    );
    let all = tx.list_chats(&ChatFilter::default(), 10, 0).await.unwrap();
    assert_eq!(
        all.iter().map(|c| c.chat.id).collect::<Vec<_>>(),
        vec![first.id, second.id],
        "oldest first"
    );
    assert_eq!(
        tx.list_chats(&ChatFilter::default(), 1, 1).await.unwrap()[0]
            .chat
            .id,
        second.id
    );
    let mine = ChatFilter {
        agent_id: Some(agent),
        ..Default::default()
    };
    assert_eq!(tx.count_chats(&mine).await.unwrap(), 1);
    let of_b = ChatFilter {
        customer_id: Some(b.id),
        ..Default::default()
    };
    assert_eq!(tx.count_chats(&of_b).await.unwrap(), 1);

    assert_eq!(tx.erase_chat_messages(a.id).await.unwrap(), 2);
    let erased = tx.list_chat_messages(first.id, 0, 10).await.unwrap();
    assert!(erased.iter().all(|m| m.body_sealed.is_none()), "{erased:?}");
    let kept = tx.list_chat_messages(second.id, 0, 10).await.unwrap();
    assert_eq!(kept[0].body_sealed.as_deref(), Some("在吗"));
    tx.commit().await.unwrap();
}

/// Two transactions appending to one chat at once (PostgreSQL: on two connections) get
/// different numbers; every message is kept.
pub async fn two_writers_to_one_chat_never_share_a_number(store: &dyn Store) {
    let customer = sample_customer("王芳");
    let c = chat(customer.id, "2026-11-02T01:00:00Z");
    let mut tx = store.write().await.unwrap();
    tx.insert_customer(&customer).await.unwrap();
    tx.insert_chat(&c).await.unwrap();
    tx.commit().await.unwrap();
    let seqs = std::sync::Mutex::new(Vec::new());
    let futs = (0..8)
        .map(|i| {
            let seqs = &seqs;
            async move {
                let mut tx = store.write().await.unwrap();
                let text = format!("第{i}条");
                let m = message(c.id, Author::Visitor, &text, "2026-11-02T01:00:01Z");
                let seq = tx.append_chat_message(&m).await.unwrap().unwrap();
                tx.commit().await.unwrap();
                seqs.lock().unwrap().push(seq);
            }
        })
        .collect();
    futures_join_all(futs).await;
    let mut seqs = seqs.into_inner().unwrap();
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=8).collect::<Vec<_>>());
    let mut r = store.read().await.unwrap();
    assert_eq!(r.list_chat_messages(c.id, 0, 100).await.unwrap().len(), 8);
}
