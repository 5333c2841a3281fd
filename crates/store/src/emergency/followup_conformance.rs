//! Conformance checks of the follow-ups repository (re-exported by [`crate::conformance`]).

/// This repository's checks as tests (run by [`conformance_tests!`](crate::conformance_tests)).
#[macro_export]
macro_rules! followups_conformance_tests {
    ($make:expr) => {
        $crate::conformance_tests!(@each $make;
            a_persons_channels_are_read_and_followed_up_once);
    };
}

use crate::conformance::{futures_join_all, sample_customer, t};
use crate::notify::conformance::sample_message;
use crate::*;
use jiff::civil::date;
use std::sync::atomic::{AtomicUsize, Ordering};
use tripdesk_domain::emergency::{
    CallReason, ContactStep, IncidentKind, IncidentLevel, IncidentState, Scope,
};
use uuid::Uuid;

/// The incident's messages and call tasks of the people asked for, and no one else's nor
/// another subject's; a follow-up is kept once per broadcast message and channel, of eight
/// writers at once exactly one inserting it.
pub async fn a_persons_channels_are_read_and_followed_up_once(store: &dyn Store) {
    let now = t("2026-09-01T02:00:00Z");
    let incident = Incident {
        id: Uuid::now_v7(),
        kind: IncidentKind::NaturalDisaster,
        level: IncidentLevel::Large,
        title: "台风“海燕”登陆".into(),
        description: String::new(),
        warning_colour: None,
        scope: Scope {
            regions: vec!["三亚".into()],
            from: date(2026, 9, 1),
            to: date(2026, 9, 2),
            ..Scope::default()
        },
        drill: false,
        state: IncidentState::Open,
        no_answer_minutes: 30,
        ticket_id: None,
        declared_by: None,
        declared_at: now,
        first_message_at: None,
        reported_at: None,
        closed_at: None,
        closing_summary: None,
        handling_ended_at: None,
        update_reports: 0,
        version: 1,
    };
    let (a, b, other) = (
        sample_customer("王**"),
        sample_customer("李**"),
        sample_customer("赵**"),
    );
    let mut tx = store.write().await.unwrap();
    tx.insert_incident(&incident).await.unwrap();
    let mut messages = Vec::new();
    for c in [&a, &b, &other] {
        tx.insert_customer(c).await.unwrap();
        tx.add_incident_person(incident.id, c.id, now)
            .await
            .unwrap();
        let mut m = sample_message("sms", "x:y", now);
        m.customer_id = Some(c.id);
        m.event = Some("incident.broadcast".into());
        m.related_type = Some("incident".into());
        m.related_id = Some(incident.id.to_string());
        m.emergency = true;
        messages.push(m);
    }
    // Another subject's message to a: not the incident's.
    let mut offer = sample_message("email", "a@example.cn", now);
    offer.customer_id = Some(a.id);
    offer.related_type = Some("incident_remedy".into());
    offer.related_id = Some(incident.id.to_string());
    messages.push(offer);
    tx.enqueue(&messages).await.unwrap();
    assert!(tx
        .record_handset_receipt(&HandsetReceipt {
            message_id: messages[0].id,
            state: HandsetState::Failed,
            at: now,
            error: Some("MN:0001".into()),
        })
        .await
        .unwrap());
    tx.insert_call_task(&CallTask {
        incident_id: incident.id,
        customer_id: a.id,
        reason: CallReason::SmsFailed,
        created_at: now,
        outcome: None,
        called_by: None,
        called_at: None,
        customer_name: String::new(),
    })
    .await
    .unwrap();
    tx.commit().await.unwrap();

    let mut r = store.read().await.unwrap();
    let seen = r
        .contact_messages(incident.id, &[a.id, b.id])
        .await
        .unwrap();
    assert_eq!(seen.len(), 2, "{seen:?}");
    let of_a = seen.iter().find(|m| m.customer_id == a.id).unwrap();
    assert_eq!(
        (of_a.id, of_a.channel.as_str(), of_a.event.as_deref()),
        (messages[0].id, "sms", Some("incident.broadcast"))
    );
    assert_eq!(
        (of_a.state, of_a.handset),
        (MessageState::Queued, Some(HandsetState::Failed))
    );
    assert!(r
        .contact_messages(incident.id, &[])
        .await
        .unwrap()
        .is_empty());
    let calls = r.call_tasks_of(incident.id, &[a.id, b.id]).await.unwrap();
    assert_eq!(calls.len(), 1);
    assert_eq!(
        (calls[0].customer_id, calls[0].reason, calls[0].outcome),
        (a.id, CallReason::SmsFailed, None)
    );
    assert_eq!(calls[0].customer_name, "王**");
    assert!(r
        .call_tasks_of(incident.id, &[b.id])
        .await
        .unwrap()
        .is_empty());
    drop(r);

    let wins = AtomicUsize::new(0);
    let attempt = |_| async {
        let f = IncidentFollowup {
            after_message_id: messages[0].id,
            channel: ContactStep::Email,
            incident_id: incident.id,
            customer_id: a.id,
            message_id: Uuid::now_v7(),
            after_step: ContactStep::Call,
            created_at: now,
        };
        let Ok(mut tx) = store.write().await else {
            return;
        };
        if matches!(tx.insert_followup(&f).await, Ok(true)) && tx.commit().await.is_ok() {
            wins.fetch_add(1, Ordering::SeqCst);
        }
    };
    futures_join_all((0..8).map(attempt).collect()).await;
    assert_eq!(wins.load(Ordering::SeqCst), 1, "followed up once");
    let mut r = store.read().await.unwrap();
    let followups = r.followups_of(incident.id, &[a.id, b.id]).await.unwrap();
    assert_eq!(followups.len(), 1);
    assert_eq!(
        (
            followups[0].after_message_id,
            followups[0].channel,
            followups[0].after_step,
            followups[0].customer_id
        ),
        (messages[0].id, ContactStep::Email, ContactStep::Call, a.id)
    );
    assert!(r
        .followups_of(incident.id, &[b.id])
        .await
        .unwrap()
        .is_empty());
}
