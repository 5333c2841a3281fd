//! Conformance checks of the notification repository (re-exported by [`crate::conformance`]).

/// This repository's checks as tests (run by [`conformance_tests!`](crate::conformance_tests)).
#[macro_export]
macro_rules! notify_conformance_tests {
    ($make:expr) => {
        $crate::conformance_tests!(@each $make;
            outbox_life_of_a_message, outbox_batch_enqueue, outbox_claims_are_exclusive,
            outbox_lease_lapses, outbox_rate_limit, outbox_commit_wakes_workers,
            notification_templates, notification_preferences_inapp_webhooks);
    };
}

use crate::*;
use jiff::{SignedDuration, Timestamp};
use std::collections::HashSet;
use std::future::Future;
use std::sync::Mutex;
use uuid::Uuid;

fn t(s: &str) -> Timestamp {
    s.parse().expect("test instant")
}

pub fn sample_message(channel: &str, recipient: &str, due_at: Timestamp) -> NewMessage {
    NewMessage {
        id: Uuid::now_v7(),
        channel: channel.into(),
        recipient: recipient.into(),
        customer_id: None,
        subject: "预订确认 Booking confirmed".into(),
        body_text: "您好，您的预订已确认。".into(),
        body_html: Some("<p>您好，您的预订已确认。</p>".into()),
        event: Some("booking.confirmed".into()),
        template_key: Some("booking.confirmed".into()),
        template_version: Some(2),
        locale: "zh-CN".into(),
        related_type: Some("booking".into()),
        related_id: Some("B-1001".into()),
        emergency: false,
        max_attempts: 3,
        due_at,
        created_by: None,
        created_at: due_at,
        attachments: Vec::new(),
        thread_references: None,
    }
}

fn claim(channel: &str, worker: &str, now: Timestamp, max: u32) -> ClaimRequest {
    ClaimRequest {
        channel: channel.into(),
        worker: worker.into(),
        now,
        lease_until: now + SignedDuration::from_secs(30),
        max,
    }
}

fn finished(id: Uuid, worker: &str, at: Timestamp, outcome: AttemptOutcome) -> FinishedAttempt {
    FinishedAttempt {
        message_id: id,
        worker: worker.into(),
        started_at: at,
        finished_at: at,
        outcome,
    }
}

/// A message goes queued → sending → retrying → sending → dead → queued (requeued) → sent,
/// and every step is in its history; attachments, filters and counts round-trip.
pub async fn outbox_life_of_a_message(store: &dyn Store) {
    let now = t("2026-03-02T01:00:00Z");
    let mut first = sample_message("email", "a@example.com", now);
    first.customer_id = Some(Uuid::now_v7());
    first.attachments = vec![Attachment {
        filename: "行程单.pdf".into(),
        content_type: "application/pdf".into(),
        content: vec![0x25, 0x50, 0x44, 0x46, 0, 255],
    }];
    let later = sample_message(
        "email",
        "b@example.com",
        now + SignedDuration::from_mins(60),
    );
    let other_channel = sample_message("webhook", "endpoint-1", now);
    let mut tx = store.write().await.unwrap();
    tx.enqueue(&[first.clone(), later.clone(), other_channel.clone()])
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let mut tx = store.write().await.unwrap();
    let got = tx.claim_due(&claim("email", "w1", now, 10)).await.unwrap();
    assert_eq!(got.messages.len(), 1, "only the due email is claimed");
    let m = &got.messages[0];
    assert_eq!(m.id, first.id);
    assert_eq!(m.state, MessageState::Sending);
    assert_eq!(m.attempts, 1);
    assert_eq!(m.locked_by.as_deref(), Some("w1"));
    assert_eq!(m.subject, first.subject);
    assert_eq!(m.template_version, Some(2));
    assert_eq!(m.customer_id, first.customer_id);
    assert!(got.throttled_until.is_none());
    assert_eq!(
        tx.list_attachments(first.id).await.unwrap(),
        first.attachments
    );
    // Claimed and leased: a second claim finds nothing.
    assert!(tx
        .claim_due(&claim("email", "w2", now, 10))
        .await
        .unwrap()
        .messages
        .is_empty());
    let retry_at = now + SignedDuration::from_secs(20);
    assert!(tx
        .finish_attempt(&finished(
            first.id,
            "w1",
            now,
            AttemptOutcome::Retry {
                error: "421 try later".into(),
                retry_at
            }
        ))
        .await
        .unwrap());
    tx.commit().await.unwrap();

    let mut tx = store.write().await.unwrap();
    let m = tx.get_message(first.id).await.unwrap().unwrap();
    assert_eq!(m.state, MessageState::Retrying);
    assert_eq!(m.due_at, Some(retry_at));
    assert_eq!(m.last_error.as_deref(), Some("421 try later"));
    assert!(tx
        .claim_due(&claim(
            "email",
            "w1",
            now + SignedDuration::from_secs(19),
            10
        ))
        .await
        .unwrap()
        .messages
        .is_empty());
    let got = tx
        .claim_due(&claim("email", "w1", retry_at, 10))
        .await
        .unwrap();
    assert_eq!(got.messages.len(), 1);
    assert_eq!(got.messages[0].attempts, 2);
    // Over the channel's rate: tried again soon, the attempt given back (recorded as a retry
    // with its number), so flow control never uses up a message's attempts.
    let soon = retry_at + SignedDuration::from_secs(1);
    assert!(tx
        .finish_attempt(&finished(
            first.id,
            "w1",
            retry_at,
            AttemptOutcome::Throttled {
                error: "Throttling.User".into(),
                retry_at: soon
            }
        ))
        .await
        .unwrap());
    let throttled = tx.get_message(first.id).await.unwrap().unwrap();
    assert_eq!(
        (throttled.state, throttled.attempts, throttled.due_at),
        (MessageState::Retrying, 1, Some(soon))
    );
    let got = tx.claim_due(&claim("email", "w1", soon, 10)).await.unwrap();
    assert_eq!(got.messages.len(), 1);
    assert_eq!(got.messages[0].attempts, 2);
    assert!(tx
        .finish_attempt(&finished(
            first.id,
            "w1",
            retry_at,
            AttemptOutcome::Dead {
                error: "550 no such user".into()
            }
        ))
        .await
        .unwrap());
    let dead = tx.get_message(first.id).await.unwrap().unwrap();
    assert_eq!(dead.state, MessageState::Dead);
    assert_eq!(dead.due_at, None);
    // Finishing twice is refused: the claim is gone.
    assert!(!tx
        .finish_attempt(&finished(
            first.id,
            "w1",
            retry_at,
            AttemptOutcome::Sent {
                receipt: "250".into()
            }
        ))
        .await
        .unwrap());
    let dead_list = tx
        .list_messages(&MessageFilter {
            state: Some(MessageState::Dead),
            limit: 50,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(dead_list.len(), 1);

    let admin_at = retry_at + SignedDuration::from_mins(5);
    assert!(tx
        .requeue_dead(first.id, 3, "admin", admin_at)
        .await
        .unwrap());
    assert!(!tx
        .requeue_dead(first.id, 3, "admin", admin_at)
        .await
        .unwrap());
    let requeued = tx.get_message(first.id).await.unwrap().unwrap();
    assert_eq!(requeued.state, MessageState::Queued);
    assert_eq!(requeued.max_attempts, 5);
    let got = tx
        .claim_due(&claim("email", "w3", admin_at, 10))
        .await
        .unwrap();
    assert_eq!(got.messages.len(), 1);
    assert!(tx
        .finish_attempt(&finished(
            first.id,
            "w3",
            admin_at,
            AttemptOutcome::Sent {
                receipt: "250 OK queued".into()
            }
        ))
        .await
        .unwrap());
    let sent = tx.get_message(first.id).await.unwrap().unwrap();
    assert_eq!(sent.state, MessageState::Sent);
    assert_eq!(sent.sent_at, Some(admin_at));
    assert_eq!(sent.receipt.as_deref(), Some("250 OK queued"));
    assert_eq!(sent.locked_by, None);
    let history: Vec<String> = tx
        .list_attempts(first.id)
        .await
        .unwrap()
        .into_iter()
        .map(|a| format!("{}:{}", a.attempt, a.outcome))
        .collect();
    assert_eq!(
        history,
        ["1:retry", "2:retry", "2:dead", "2:requeued", "3:sent"]
    );

    assert_eq!(
        tx.next_due_at(&["email".into()]).await.unwrap(),
        Some(later.due_at)
    );
    assert_eq!(
        tx.next_due_at(&["email".into(), "webhook".into()])
            .await
            .unwrap(),
        Some(now)
    );
    assert_eq!(tx.next_due_at(&["sms".into()]).await.unwrap(), None);
    let counts = tx.count_messages_by_state().await.unwrap();
    assert_eq!((counts.queued, counts.sent, counts.dead), (2, 1, 0));
    let by_customer = tx
        .list_messages(&MessageFilter {
            customer_id: first.customer_id,
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(by_customer.len(), 1);
    let by_booking = tx
        .list_messages(&MessageFilter {
            related_type: Some("booking".into()),
            related_id: Some("B-1001".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(by_booking.len(), 3);
    assert_eq!(by_booking[0].id, other_channel.id, "newest first");
    let page = tx
        .list_messages(&MessageFilter {
            before: Some(other_channel.id),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(page.len(), 2);
    tx.commit().await.unwrap();
}

/// A large batch enqueues in one transaction (multi-row inserts across chunk boundaries).
pub async fn outbox_batch_enqueue(store: &dyn Store) {
    let now = t("2026-03-02T01:00:00Z");
    let batch: Vec<_> = (0..1203)
        .map(|i| sample_message("email", &format!("t{i}@example.com"), now))
        .collect();
    let mut tx = store.write().await.unwrap();
    tx.enqueue(&batch).await.unwrap();
    tx.commit().await.unwrap();
    let mut r = store.read().await.unwrap();
    assert_eq!(r.count_messages_by_state().await.unwrap().queued, 1203);
}

/// Workers claiming at the same time never get the same message, and all work is claimed.
pub async fn outbox_claims_are_exclusive(store: &dyn Store) {
    let now = t("2026-03-02T01:00:00Z");
    let batch: Vec<_> = (0..300)
        .map(|i| sample_message("email", &format!("t{i}@example.com"), now))
        .collect();
    let mut tx = store.write().await.unwrap();
    tx.enqueue(&batch).await.unwrap();
    tx.commit().await.unwrap();

    let seen = Mutex::new(Vec::new());
    let mut workers = Vec::new();
    for w in 0..4 {
        let seen = &seen;
        workers.push(async move {
            loop {
                let mut tx = store.write().await.unwrap();
                let got = tx
                    .claim_due(&claim("email", &format!("w{w}"), now, 7))
                    .await
                    .unwrap();
                tx.commit().await.unwrap();
                if got.messages.is_empty() {
                    break;
                }
                seen.lock()
                    .unwrap()
                    .extend(got.messages.iter().map(|m| m.id));
            }
        });
    }
    crate::conformance::join_all_for_tests(workers).await;
    let seen = seen.into_inner().unwrap();
    let unique: HashSet<_> = seen.iter().collect();
    assert_eq!(seen.len(), 300, "every message claimed exactly once");
    assert_eq!(unique.len(), 300);
}

/// A claim whose lease lapsed is taken over; the first worker's late report is refused.
pub async fn outbox_lease_lapses(store: &dyn Store) {
    let now = t("2026-03-02T01:00:00Z");
    let m = sample_message("in_app", "u1", now);
    let mut tx = store.write().await.unwrap();
    tx.enqueue(std::slice::from_ref(&m)).await.unwrap();
    let mut req = claim("in_app", "crashed", now, 5);
    req.lease_until = now + SignedDuration::from_secs(2);
    assert_eq!(tx.claim_due(&req).await.unwrap().messages.len(), 1);
    assert_eq!(
        tx.next_due_at(&["in_app".into()]).await.unwrap(),
        Some(req.lease_until),
        "a pending claim is due again when its lease ends"
    );
    let later = now + SignedDuration::from_secs(3);
    let got = tx
        .claim_due(&claim("in_app", "rescuer", later, 5))
        .await
        .unwrap();
    assert_eq!(got.messages.len(), 1);
    assert_eq!(got.messages[0].attempts, 2);
    let sent = AttemptOutcome::Sent {
        receipt: "ok".into(),
    };
    assert!(!tx
        .finish_attempt(&finished(m.id, "crashed", later, sent.clone()))
        .await
        .unwrap());
    assert!(tx
        .finish_attempt(&finished(m.id, "rescuer", later, sent))
        .await
        .unwrap());
    // Releasing hands unsent claims back without counting an attempt.
    let n = sample_message("in_app", "u2", now);
    tx.enqueue(std::slice::from_ref(&n)).await.unwrap();
    let got = tx.claim_due(&claim("in_app", "w", later, 5)).await.unwrap();
    assert_eq!(got.messages.len(), 1);
    assert_eq!(tx.release_claims("other", &[n.id], later).await.unwrap(), 0);
    assert_eq!(tx.release_claims("w", &[n.id], later).await.unwrap(), 1);
    let back = tx.get_message(n.id).await.unwrap().unwrap();
    assert_eq!(back.state, MessageState::Queued);
    assert_eq!(back.attempts, 0);
    assert_eq!(back.due_at, Some(later));
    tx.commit().await.unwrap();
}

/// A channel's rate limit caps what claims take, shared through the database.
pub async fn outbox_rate_limit(store: &dyn Store) {
    let now = t("2026-03-02T01:00:00Z");
    let batch: Vec<_> = (0..30)
        .map(|i| sample_message("sms", &format!("+86 138 0000 {i:04}"), now))
        .collect();
    let mut tx = store.write().await.unwrap();
    tx.enqueue(&batch).await.unwrap();
    tx.set_rate_limit(
        &RateLimit {
            channel: "sms".into(),
            per_second: 5,
            burst: 10,
        },
        now,
    )
    .await
    .unwrap();
    assert_eq!(tx.list_rate_limits().await.unwrap().len(), 1);
    let got = tx.claim_due(&claim("sms", "w", now, 25)).await.unwrap();
    assert_eq!(got.messages.len(), 10, "the burst");
    assert_eq!(
        got.throttled_until,
        Some(now + SignedDuration::from_millis(200))
    );
    let got = tx.claim_due(&claim("sms", "w", now, 25)).await.unwrap();
    assert!(got.messages.is_empty());
    let second = now + SignedDuration::from_secs(1);
    let got = tx.claim_due(&claim("sms", "w", second, 25)).await.unwrap();
    assert_eq!(got.messages.len(), 5, "five per second");
    // Other channels are not limited.
    assert!(tx
        .claim_due(&claim("email", "w", second, 25))
        .await
        .unwrap()
        .throttled_until
        .is_none());
    assert!(tx.remove_rate_limit("sms").await.unwrap());
    let got = tx.claim_due(&claim("sms", "w", second, 25)).await.unwrap();
    assert_eq!(got.messages.len(), 15);
    tx.commit().await.unwrap();
}

/// Committing a transaction that enqueued wakes waiting workers; others do not.
pub async fn outbox_commit_wakes_workers(store: &dyn Store) {
    let signals = store.signals();
    let waker = std::task::Waker::noop();
    let mut cx = std::task::Context::from_waker(waker);

    let mut sub = signals.subscribe(signal::Topic::Outbox);
    sub.mark_seen();
    let tx = store.write().await.unwrap();
    tx.commit().await.unwrap();
    assert!(std::pin::pin!(sub.changed()).poll(&mut cx).is_pending());

    let mut tx = store.write().await.unwrap();
    tx.enqueue(&[sample_message(
        "email",
        "x@example.com",
        t("2026-03-02T01:00:00Z"),
    )])
    .await
    .unwrap();
    // Not before the commit.
    assert!(std::pin::pin!(sub.changed()).poll(&mut cx).is_pending());
    tx.commit().await.unwrap();
    assert!(std::pin::pin!(sub.changed()).poll(&mut cx).is_ready());
}

/// Templates keep every version; the latest is the one in use.
pub async fn notification_templates(store: &dyn Store) {
    let now = t("2026-03-02T01:00:00Z");
    let mut tx = store.write().await.unwrap();
    let mut v = Template {
        id: Uuid::now_v7(),
        key: "booking.confirmed".into(),
        locale: "zh-CN".into(),
        version: 1,
        description: "预订确认".into(),
        subject: "预订确认：{{ booking_no }}".into(),
        body_text: "{{ name }}，您好".into(),
        body_html: None,
        created_by: None,
        created_at: now,
    };
    tx.insert_template(&v).await.unwrap();
    let en = Template {
        id: Uuid::now_v7(),
        locale: "en".into(),
        subject: "Booking {{ booking_no }} confirmed".into(),
        ..v.clone()
    };
    tx.insert_template(&en).await.unwrap();
    let first = v.clone();
    v.id = Uuid::now_v7();
    v.version = 2;
    v.body_html = Some("<p>{{ name }}，您好</p>".into());
    tx.insert_template(&v).await.unwrap();
    let dup = Template {
        id: Uuid::now_v7(),
        ..v.clone()
    };
    assert!(matches!(
        tx.insert_template(&dup).await,
        Err(StoreError::Duplicate { .. })
    ));
    drop(tx);
    let mut tx = store.write().await.unwrap();
    tx.insert_template(&first).await.unwrap();
    tx.insert_template(&v).await.unwrap();
    tx.insert_template(&en).await.unwrap();
    assert_eq!(
        tx.latest_template("booking.confirmed", "zh-CN")
            .await
            .unwrap(),
        Some(v.clone())
    );
    assert_eq!(
        tx.get_template_version("booking.confirmed", "zh-CN", 1)
            .await
            .unwrap(),
        Some(first.clone())
    );
    let latest = tx.list_latest_templates().await.unwrap();
    assert_eq!(latest, vec![en.clone(), v.clone()]);
    let versions = tx
        .list_template_versions("booking.confirmed", "zh-CN")
        .await
        .unwrap();
    assert_eq!(versions, vec![v.clone(), first]);
    assert_eq!(
        tx.delete_template("booking.confirmed", "zh-CN")
            .await
            .unwrap(),
        2
    );
    assert_eq!(tx.list_latest_templates().await.unwrap(), vec![en]);
    tx.commit().await.unwrap();
}

/// Preferences, in-app notifications and webhook endpoints round-trip.
pub async fn notification_preferences_inapp_webhooks(store: &dyn Store) {
    let now = t("2026-03-02T01:00:00Z");
    let user = crate::conformance::sample_user("bell.user", &[], None);
    let mut tx = store.write().await.unwrap();
    tx.insert_user(&user).await.unwrap();

    let key = format!("user:{}", user.id);
    assert!(tx.get_preference(&key).await.unwrap().is_none());
    let mut pref = Preference {
        recipient_key: key.clone(),
        channel: Some("email".into()),
        locale: Some("en".into()),
        quiet_start: Some(22 * 60),
        quiet_end: Some(8 * 60),
        timezone: "Asia/Shanghai".into(),
        updated_at: now,
    };
    tx.upsert_preference(&pref).await.unwrap();
    pref.channel = Some("in_app".into());
    pref.quiet_start = None;
    pref.quiet_end = None;
    tx.upsert_preference(&pref).await.unwrap();
    assert_eq!(tx.get_preference(&key).await.unwrap(), Some(pref));

    let message_id = Uuid::now_v7();
    let n = InAppNotification {
        id: Uuid::now_v7(),
        message_id,
        user_id: user.id,
        title: "重要投诉".into(),
        body: "客户投诉需立即处理".into(),
        link: Some("/desk/tickets/1".into()),
        created_at: now,
        read_at: None,
    };
    assert!(tx.insert_inapp(&n).await.unwrap());
    let again = InAppNotification {
        id: Uuid::now_v7(),
        ..n.clone()
    };
    assert!(
        !tx.insert_inapp(&again).await.unwrap(),
        "one notification per message"
    );
    let second = InAppNotification {
        id: Uuid::now_v7(),
        message_id: Uuid::now_v7(),
        ..n.clone()
    };
    assert!(tx.insert_inapp(&second).await.unwrap());
    assert_eq!(tx.count_unread_inapp(user.id).await.unwrap(), 2);
    assert_eq!(
        tx.mark_inapp_read(user.id, Some(n.id), now).await.unwrap(),
        1
    );
    assert_eq!(tx.count_unread_inapp(user.id).await.unwrap(), 1);
    let unread = tx.list_inapp(user.id, true, 10).await.unwrap();
    assert_eq!(unread.len(), 1);
    assert_eq!(unread[0].id, second.id);
    assert_eq!(tx.list_inapp(user.id, false, 10).await.unwrap().len(), 2);
    assert_eq!(tx.mark_inapp_read(user.id, None, now).await.unwrap(), 1);
    assert_eq!(tx.count_unread_inapp(user.id).await.unwrap(), 0);

    let mut hook = WebhookEndpoint {
        id: Uuid::now_v7(),
        url: "http://127.0.0.1:9/hook".into(),
        secret: "whsec_test".into(),
        events: vec!["booking.confirmed".into(), "complaint.created".into()],
        description: "CRM".into(),
        active: true,
        created_at: now,
        updated_at: now,
    };
    tx.insert_webhook(&hook).await.unwrap();
    assert!(hook.wants("booking.confirmed"));
    assert!(!hook.wants("emergency.broadcast"));
    hook.events = vec!["*".into()];
    hook.active = false;
    assert!(tx.update_webhook(&hook).await.unwrap());
    assert_eq!(tx.get_webhook(hook.id).await.unwrap(), Some(hook.clone()));
    assert_eq!(tx.list_webhooks().await.unwrap(), vec![hook.clone()]);
    assert!(tx.delete_webhook(hook.id).await.unwrap());
    assert!(!tx.delete_webhook(hook.id).await.unwrap());
    tx.commit().await.unwrap();
}
