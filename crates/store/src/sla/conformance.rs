//! Conformance of the SLA repository: policies, clocks, the due index, provisional clocks and
//! the yearly holiday warning.

/// This repository's checks as tests (run by [`conformance_tests!`](crate::conformance_tests)).
#[macro_export]
macro_rules! sla_conformance_tests {
    ($make:expr) => {
        $crate::conformance_tests!(@each $make;
            sla_clocks, provisional_clocks_and_holiday_warnings);
    };
}

use crate::calendar::conformance::office_calendar;
use crate::conformance::t;
use crate::*;
use jiff::{SignedDuration, Timestamp};
use tripdesk_domain::identity::Role;
use uuid::Uuid;

fn sample_policy(key: &str, calendar: &str) -> SlaPolicy {
    let mut target = tripdesk_domain::sla::SlaTarget::default_for("complaint.contact")
        .unwrap()
        .clone();
    target.key = key.to_string().into();
    target.calendar = calendar.to_string().into();
    SlaPolicy {
        target,
        pause_when: vec!["waiting_customer".into()],
        notify_warning: vec![Role::Supervisor],
        notify_breach: vec![Role::Admin, Role::Supervisor],
        enabled: true,
        updated_at: t("2026-01-05T01:00:00Z"),
    }
}

fn sample_clock(policy: &SlaPolicy, subject: &str, at: Timestamp) -> SlaClockRecord {
    let cal = tripdesk_domain::calendar::Calendar::always_open(
        policy.target.calendar.to_string(),
        jiff::tz::TimeZone::UTC,
    );
    SlaClockRecord {
        id: Uuid::now_v7(),
        subject_type: "ticket".into(),
        subject_id: subject.into(),
        channel: Some("phone".into()),
        department_id: Some(Uuid::now_v7()),
        agent_id: None,
        clock: tripdesk_domain::sla::SlaClock::start(&policy.target, &cal, at).unwrap(),
        version: 1,
        created_at: at,
    }
}

/// SLA policies and clocks: the due index, claiming, versioned updates, one active clock per
/// target and subject, a warning and a breach recorded once.
pub async fn sla_clocks(store: &dyn Store) {
    let mut cal = office_calendar("hotline");
    cal.mode = tripdesk_domain::calendar::CalendarMode::AlwaysOpen;
    let policy = sample_policy("complaint.contact", "hotline");
    let t0 = t("2026-03-01T08:00:00Z");
    let mut tx = store.write().await.unwrap();
    tx.insert_calendar(&cal).await.unwrap();
    assert!(tx.insert_sla_policy_if_absent(&policy).await.unwrap());
    assert!(!tx.insert_sla_policy_if_absent(&policy).await.unwrap());
    let mut changed = policy.clone();
    changed.target.amount = 90;
    changed.enabled = false;
    changed.notify_warning = vec![];
    assert!(tx.update_sla_policy(&changed).await.unwrap());
    assert!(!tx
        .update_sla_policy(&sample_policy("ghost", "hotline"))
        .await
        .unwrap());
    assert_eq!(
        tx.get_sla_policy("complaint.contact").await.unwrap(),
        Some(changed)
    );
    assert_eq!(tx.list_sla_policies().await.unwrap().len(), 1);
    assert!(tx.earliest_sla_due().await.unwrap().is_none());

    // 60 minutes, warning at 48: clock a due first, b ten minutes later.
    let a = sample_clock(&policy, "T-1", t0);
    let b = sample_clock(&policy, "T-2", t0 + SignedDuration::from_mins(10));
    tx.insert_sla_clock(&a).await.unwrap();
    tx.insert_sla_clocks(std::slice::from_ref(&b))
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let mut tx = store.write().await.unwrap();
    let dup = tx.insert_sla_clock(&sample_clock(&policy, "T-1", t0)).await;
    assert!(
        matches!(dup, Err(StoreError::Duplicate { .. })),
        "one running clock per target and subject: {dup:?}"
    );
    drop(tx);

    let mut tx = store.write().await.unwrap();
    assert_eq!(tx.get_sla_clock(a.id).await.unwrap(), Some(a.clone()));
    assert_eq!(
        tx.earliest_sla_due().await.unwrap(),
        Some(t0 + SignedDuration::from_mins(48))
    );
    assert!(tx
        .claim_due_sla_clocks(t0 + SignedDuration::from_mins(47), 10)
        .await
        .unwrap()
        .is_empty());
    let claimed = tx
        .claim_due_sla_clocks(t0 + SignedDuration::from_mins(60), 10)
        .await
        .unwrap();
    assert_eq!(
        claimed.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![a.id, b.id]
    );
    let mut fired = claimed[0].clone();
    let events = fired.clock.fire(t0 + SignedDuration::from_mins(60));
    assert_eq!(events.len(), 2);
    assert!(tx.update_sla_clock(&fired).await.unwrap());
    assert!(
        !tx.update_sla_clock(&fired).await.unwrap(),
        "a second update naming the old version is refused"
    );
    let stored = tx.get_sla_clock(a.id).await.unwrap().unwrap();
    assert_eq!(stored.version, 2);
    assert_eq!(stored.clock, fired.clock);
    assert_eq!(stored.next_due_at(), None);
    assert_eq!(
        tx.earliest_sla_due().await.unwrap(),
        Some(t0 + SignedDuration::from_mins(58)),
        "the breached clock left the index"
    );
    let event = |kind| SlaEventRecord {
        id: Uuid::now_v7(),
        clock_id: a.id,
        kind,
        at: t0 + SignedDuration::from_mins(60),
        recorded_at: t0 + SignedDuration::from_mins(60),
        node: "n1".into(),
        target_key: "complaint.contact".into(),
        subject_type: "ticket".into(),
        subject_id: "T-1".into(),
    };
    assert!(tx
        .insert_sla_event(&event(SlaEventKind::Warning))
        .await
        .unwrap());
    assert!(tx
        .insert_sla_event(&event(SlaEventKind::Breach))
        .await
        .unwrap());
    assert!(!tx
        .insert_sla_event(&event(SlaEventKind::Breach))
        .await
        .unwrap());
    assert!(!tx
        .insert_sla_event(&event(SlaEventKind::Warning))
        .await
        .unwrap());
    assert!(tx
        .insert_sla_event(&event(SlaEventKind::Paused))
        .await
        .unwrap());
    assert!(tx
        .insert_sla_event(&event(SlaEventKind::Paused))
        .await
        .unwrap());
    tx.commit().await.unwrap();

    let mut r = store.read().await.unwrap();
    let all = r
        .list_sla_events(&SlaEventFilter {
            clock_id: Some(a.id),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(all.len(), 4);
    let breaches = r
        .list_sla_events(&SlaEventFilter {
            kind: Some(SlaEventKind::Breach),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(breaches.len(), 1);
    assert_eq!(breaches[0].node, "n1");
    assert_eq!(
        r.active_sla_clock("ticket", "T-2", "complaint.contact")
            .await
            .unwrap()
            .map(|c| c.id),
        Some(b.id)
    );
    assert!(r
        .active_sla_clock("ticket", "T-1", "complaint.contact")
        .await
        .unwrap()
        .is_none());
    let listed = r
        .list_sla_clocks(&SlaClockFilter {
            started_from: Some(t0 + SignedDuration::from_mins(5)),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(listed.iter().map(|c| c.id).collect::<Vec<_>>(), vec![b.id]);
    assert_eq!(listed[0].channel.as_deref(), Some("phone"));
    assert_eq!(listed[0].department_id, b.department_id);
    // A page of subjects in one read.
    let of = |ids: &[&str]| SlaClockFilter {
        subject_type: Some("ticket".into()),
        subject_ids: ids.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    };
    let both = r
        .list_sla_clocks(&of(&["T-1", "T-2", "T-9"]))
        .await
        .unwrap();
    assert_eq!(
        both.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![a.id, b.id]
    );
    let one = r.list_sla_clocks(&of(&["T-2"])).await.unwrap();
    assert_eq!(one.iter().map(|c| c.id).collect::<Vec<_>>(), vec![b.id]);
    drop(r);
    // A breached clock no longer blocks a new one for the same target and subject.
    let mut tx = store.write().await.unwrap();
    tx.insert_sla_clock(&sample_clock(
        &policy,
        "T-1",
        t0 + SignedDuration::from_mins(70),
    ))
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

/// Provisional clocks (computed on a year without holiday data) round-trip their mark and
/// are found per calendar, open ones only, in id pages; the yearly holiday warning is
/// claimed once.
pub async fn provisional_clocks_and_holiday_warnings(store: &dyn Store) {
    let cal = office_calendar("cn-mainland");
    let mut policy = sample_policy("first_response.email", "cn-mainland");
    policy.target = tripdesk_domain::sla::SlaTarget::default_for("first_response.email")
        .unwrap()
        .clone();
    let office = tripdesk_domain::calendar::Calendar::china_mainland_office();
    let clock_at = |subject: &str, at: &str| SlaClockRecord {
        id: Uuid::now_v7(),
        subject_type: "ticket".into(),
        subject_id: subject.into(),
        channel: Some("email".into()),
        department_id: None,
        agent_id: None,
        clock: tripdesk_domain::sla::SlaClock::start(&policy.target, &office, t(at)).unwrap(),
        version: 1,
        created_at: t(at),
    };
    // 2026 has data; 31 December 2026 + 1 working day reaches 2027, which has none.
    let known = clock_at("T-1", "2026-06-01T02:00:00Z");
    let a = clock_at("T-2", "2026-12-31T02:00:00Z");
    let b = clock_at("T-3", "2026-12-31T03:00:00Z");
    let mut stopped = clock_at("T-4", "2026-12-31T04:00:00Z");
    assert!(!known.clock.provisional());
    assert!(a.clock.provisional() && b.clock.provisional());
    stopped.clock.stop(t("2026-12-31T05:00:00Z")).unwrap();
    let mut tx = store.write().await.unwrap();
    tx.insert_calendar(&cal).await.unwrap();
    tx.insert_sla_clock(&known).await.unwrap();
    tx.insert_sla_clocks(&[a.clone(), stopped.clone()])
        .await
        .unwrap();
    tx.insert_sla_clock(&b).await.unwrap();
    tx.commit().await.unwrap();

    let mut tx = store.write().await.unwrap();
    assert_eq!(tx.get_sla_clock(a.id).await.unwrap(), Some(a.clone()));
    let all = tx
        .provisional_sla_clocks("cn-mainland", None, 10)
        .await
        .unwrap();
    assert_eq!(
        all.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![a.id, b.id]
    );
    let page = tx
        .provisional_sla_clocks("cn-mainland", Some(a.id), 10)
        .await
        .unwrap();
    assert_eq!(page.iter().map(|c| c.id).collect::<Vec<_>>(), vec![b.id]);
    assert_eq!(
        tx.provisional_sla_clocks("cn-mainland", None, 1)
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(tx
        .provisional_sla_clocks("hotline", None, 10)
        .await
        .unwrap()
        .is_empty());
    // The mark is written by updates too.
    let mut parts = a.clock.to_parts();
    parts.provisional = false;
    let cleared = SlaClockRecord {
        clock: tripdesk_domain::sla::SlaClock::from_parts(parts),
        ..a.clone()
    };
    assert!(tx.update_sla_clock(&cleared).await.unwrap());
    assert_eq!(
        tx.provisional_sla_clocks("cn-mainland", None, 10)
            .await
            .unwrap()
            .iter()
            .map(|c| c.id)
            .collect::<Vec<_>>(),
        vec![b.id]
    );
    assert!(!tx
        .get_sla_clock(a.id)
        .await
        .unwrap()
        .unwrap()
        .clock
        .provisional());

    let at = t("2026-10-01T00:00:00Z");
    assert!(tx.claim_holiday_warning(cal.id, 2027, at).await.unwrap());
    assert!(!tx.claim_holiday_warning(cal.id, 2027, at).await.unwrap());
    assert!(tx.claim_holiday_warning(cal.id, 2028, at).await.unwrap());
    tx.commit().await.unwrap();
    let mut tx = store.write().await.unwrap();
    assert!(!tx.claim_holiday_warning(cal.id, 2027, at).await.unwrap());
    // Deleting the calendar takes its warnings along.
    assert!(tx.delete_calendar(cal.id).await.unwrap());
    tx.commit().await.unwrap();
}
