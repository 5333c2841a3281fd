//! Conformance checks of the emergency repository (re-exported by [`crate::conformance`]).

/// This repository's checks as tests (run by [`conformance_tests!`](crate::conformance_tests)).
#[macro_export]
macro_rules! emergency_conformance_tests {
    ($make:expr) => {
        $crate::conformance_tests!(@each $make;
            affected_people_are_found_from_bookings, a_person_is_escalated_once_across_writers,
            answers_calls_team_and_checklist);
    };
}

use crate::bookings::conformance::sample_booking;
use crate::catalog::conformance::{sample_departure, sample_package, sample_property};
use crate::conformance::{futures_join_all, sample_customer, t};
use crate::*;
use jiff::civil::date;
use std::sync::atomic::{AtomicUsize, Ordering};
use tripdesk_domain::bookings::{BookingState, Stay};
use tripdesk_domain::catalog::{Party, TravelerCategory};
use tripdesk_domain::emergency::{
    AnswerVia, CallOutcome, CallReason, IncidentKind, IncidentLevel, IncidentState, PersonStatus,
    Scope, TeamRole,
};
use uuid::Uuid;

pub(crate) fn sample_incident(scope: Scope) -> Incident {
    Incident {
        id: Uuid::now_v7(),
        kind: IncidentKind::NaturalDisaster,
        level: IncidentLevel::Large,
        title: "台风“海燕”登陆".into(),
        description: "红色预警".into(),
        warning_colour: None,
        scope,
        drill: true,
        state: IncidentState::Open,
        no_answer_minutes: 30,
        ticket_id: None,
        declared_by: None,
        declared_at: t("2026-09-01T01:00:00Z"),
        first_message_at: None,
        reported_at: None,
        closed_at: None,
        closing_summary: None,
        handling_ended_at: None,
        update_reports: 0,
        version: 1,
    }
}

async fn customer(store: &dyn Store) -> Uuid {
    let c = sample_customer("李**");
    let mut tx = store.write().await.unwrap();
    tx.insert_customer(&c).await.unwrap();
    tx.commit().await.unwrap();
    c.id
}

/// Books `room` for the stay for a new customer, in `state`; returns the customer.
async fn room_guest(
    store: &dyn Store,
    room: Uuid,
    check_in: jiff::civil::Date,
    check_out: jiff::civil::Date,
    state: BookingState,
) -> Uuid {
    let guest = customer(store).await;
    let stay = Stay::new(check_in, check_out).unwrap();
    let mut b = sample_booking(
        guest,
        vec![BookingLine {
            line_no: 1,
            item: LineItem::Room {
                room_id: room,
                stay,
            },
            price_fen: 50_000,
        }],
        t("2026-08-01T02:00:00Z"),
    );
    b.state = state;
    let mut tx = store.write().await.unwrap();
    tx.insert_booking(&b).await.unwrap();
    assert!(tx.take_room_nights(b.id, room, stay).await.unwrap());
    tx.commit().await.unwrap();
    guest
}

/// Everyone on a trip the scope reaches is found once — room guests with a night in the
/// window (the night before the window's first day counts: they are there that morning),
/// the travelers of a departure on the road — and nobody whose booking is cancelled, whose
/// stay is outside the window, or who is elsewhere. A narrower scope drops people and keeps
/// their answers; a wider one brings them back.
pub async fn affected_people_are_found_from_bookings(store: &dyn Store) {
    let (property, _, rooms) = sample_property(store, 4).await; // 云南省大理市双廊镇
    let in_window = room_guest(
        store,
        rooms[0].id,
        date(2026, 9, 2),
        date(2026, 9, 5),
        BookingState::Confirmed,
    )
    .await;
    let leaving_first_morning = room_guest(
        store,
        rooms[1].id,
        date(2026, 8, 29),
        date(2026, 9, 1),
        BookingState::Confirmed,
    )
    .await;
    let _cancelled = room_guest(
        store,
        rooms[2].id,
        date(2026, 9, 2),
        date(2026, 9, 3),
        BookingState::Cancelled,
    )
    .await;
    let _after = room_guest(
        store,
        rooms[3].id,
        date(2026, 9, 10),
        date(2026, 9, 12),
        BookingState::Confirmed,
    )
    .await;

    // A tour of 黄山 (destination) leaving the day before the window, two travelers.
    let package = sample_package("黄山三日游");
    let mut departure = sample_departure(package.package.id, date(2026, 8, 31), 20);
    departure
        .set_guide("李明（领队）", "139 0000 1234")
        .unwrap();
    let (booker, companion) = (customer(store).await, customer(store).await);
    let mut tour = sample_booking(
        booker,
        vec![BookingLine {
            line_no: 1,
            item: LineItem::Seats {
                departure_id: departure.id,
                party: Party {
                    adults: 2,
                    children: 0,
                    seniors: 0,
                },
            },
            price_fen: 256_000,
        }],
        t("2026-08-01T02:00:00Z"),
    );
    tour.state = BookingState::Confirmed;
    tour.starts_on = date(2026, 8, 31);
    tour.ends_on = date(2026, 9, 2);
    tour.travelers.push(Traveler {
        customer_id: companion,
        category: TravelerCategory::Adult,
    });
    let mut tx = store.write().await.unwrap();
    tx.insert_package(&package).await.unwrap();
    tx.insert_departure(&departure, package.created_at)
        .await
        .unwrap();
    tx.insert_booking(&tour).await.unwrap();
    tx.commit().await.unwrap();

    let scope = Scope {
        regions: vec!["大理".into(), "黄山".into()],
        from: date(2026, 9, 1),
        to: date(2026, 9, 3),
        ..Scope::default()
    };
    let mut incident = sample_incident(scope);
    let now = t("2026-09-01T01:00:00Z");
    let guide = customer(store).await;
    let mut tx = store.write().await.unwrap();
    tx.insert_incident(&incident).await.unwrap();
    // The departure on the road names its guide; the lodging has none.
    assert_eq!(
        tx.scope_guides(&incident.scope).await.unwrap(),
        vec![ScopeGuide {
            departure_id: departure.id,
            guide_name: "李明（领队）".into(),
            guide_phone: "139 0000 1234".into(),
        }]
    );
    let found = tx
        .compute_affected(incident.id, &incident.scope, &[guide], now)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        found,
        AffectedCount {
            in_scope: 5,
            added: 5,
            dropped: 0
        }
    );
    let mut r = store.read().await.unwrap();
    let as_guide = r
        .get_incident_person(incident.id, guide)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(as_guide.origin, PersonOrigin::Guide);
    assert!(as_guide.in_scope && as_guide.booking_id.is_none());
    drop(r);
    let mut tx = store.write().await.unwrap();
    let again = tx
        .compute_affected(incident.id, &incident.scope, &[], now)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        again,
        AffectedCount {
            in_scope: 4,
            added: 0,
            dropped: 1
        },
        "a guide no longer named drops out as travelers do"
    );
    let mut r = store.read().await.unwrap();
    let people = r
        .list_incident_people(incident.id, PeopleFilter::default(), 10, 0)
        .await
        .unwrap();
    let mut ids: Vec<Uuid> = people.iter().map(|p| p.customer_id).collect();
    ids.sort();
    let mut want = vec![in_window, leaving_first_morning, booker, companion];
    want.sort();
    assert_eq!(ids, want);
    assert!(people
        .iter()
        .all(|p| p.status == PersonStatus::Pending && p.in_scope && p.booking_id.is_some()));
    assert_eq!(
        r.open_incidents_of(companion).await.unwrap(),
        vec![incident.id]
    );
    drop(r);

    // The 黄山 traveler answers; the scope narrows to the property alone (by id): the tour
    // drops out with its answer kept; widening brings it back without a second row.
    let mut tx = store.write().await.unwrap();
    assert!(tx
        .record_answer(
            incident.id,
            booker,
            PersonStatus::Pending,
            PersonStatus::Safe,
            AnswerVia::Sms,
            now
        )
        .await
        .unwrap());
    incident.scope = Scope {
        property_ids: vec![property.id],
        from: date(2026, 9, 1),
        to: date(2026, 9, 3),
        ..Scope::default()
    };
    let narrowed = tx
        .compute_affected(incident.id, &incident.scope, &[], now)
        .await
        .unwrap();
    assert_eq!(
        narrowed,
        AffectedCount {
            in_scope: 2,
            added: 0,
            dropped: 2
        }
    );
    let counts = tx.incident_counts(incident.id).await.unwrap();
    assert_eq!((counts.people, counts.pending, counts.safe), (2, 2, 0));
    incident.scope.package_ids = vec![package.package.id];
    let widened = tx
        .compute_affected(incident.id, &incident.scope, &[], now)
        .await
        .unwrap();
    assert_eq!(widened.in_scope, 4);
    assert_eq!(widened.added, 0);
    let back = tx
        .get_incident_person(incident.id, booker)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(back.status, PersonStatus::Safe, "the answer is kept");
    tx.commit().await.unwrap();

    // Broadcast targets page by customer id and carry no contact for customers without one.
    let mut r = store.read().await.unwrap();
    let all = [
        PersonStatus::Pending,
        PersonStatus::Safe,
        PersonStatus::NeedsHelp,
    ];
    let first = r
        .broadcast_targets(incident.id, &all, None, 3)
        .await
        .unwrap();
    assert_eq!(first.len(), 3);
    let rest = r
        .broadcast_targets(incident.id, &all, Some(first[2].customer_id), 3)
        .await
        .unwrap();
    assert_eq!(rest.len(), 1);
    let pending_only = r
        .broadcast_targets(incident.id, &[PersonStatus::Pending], None, 10)
        .await
        .unwrap();
    assert_eq!(pending_only.len(), 3);
}

/// Of eight writers claiming one person's escalation at once, one wins; a person added by
/// hand twice is one row.
pub async fn a_person_is_escalated_once_across_writers(store: &dyn Store) {
    let person = customer(store).await;
    let incident = sample_incident(Scope {
        regions: vec!["三亚".into()],
        from: date(2026, 9, 1),
        to: date(2026, 9, 2),
        ..Scope::default()
    });
    let now = t("2026-09-01T02:00:00Z");
    let mut tx = store.write().await.unwrap();
    tx.insert_incident(&incident).await.unwrap();
    assert!(tx
        .add_incident_person(incident.id, person, now)
        .await
        .unwrap());
    assert!(!tx
        .add_incident_person(incident.id, person, now)
        .await
        .unwrap());
    tx.commit().await.unwrap();
    let wins = AtomicUsize::new(0);
    let attempt = || {
        let wins = &wins;
        async move {
            let mut tx = store.write().await.unwrap();
            tokio::task::yield_now().await;
            if tx.claim_escalation(incident.id, person, now).await.unwrap() {
                tx.commit().await.unwrap();
                wins.fetch_add(1, Ordering::SeqCst);
            }
        }
    };
    futures_join_all((0..8).map(|_| attempt()).collect()).await;
    assert_eq!(wins.load(Ordering::SeqCst), 1);
    let mut r = store.read().await.unwrap();
    assert!(r
        .unanswered_people(incident.id, 10)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(r.incident_counts(incident.id).await.unwrap().escalated, 1);
}

/// Answers are conditional on the status read; call tasks are one per person; the team has
/// one member per role; a tick is recorded once; the timeline reads newest first.
pub async fn answers_calls_team_and_checklist(store: &dyn Store) {
    let person = customer(store).await;
    let mut incident = sample_incident(Scope {
        regions: vec!["三亚".into()],
        from: date(2026, 9, 1),
        to: date(2026, 9, 2),
        ..Scope::default()
    });
    let now = t("2026-09-01T02:00:00Z");
    let mut tx = store.write().await.unwrap();
    tx.insert_incident(&incident).await.unwrap();
    tx.add_incident_person(incident.id, person, now)
        .await
        .unwrap();
    assert!(tx
        .record_answer(
            incident.id,
            person,
            PersonStatus::Pending,
            PersonStatus::NeedsHelp,
            AnswerVia::Link,
            now
        )
        .await
        .unwrap());
    assert!(
        !tx.record_answer(
            incident.id,
            person,
            PersonStatus::Pending,
            PersonStatus::Safe,
            AnswerVia::Sms,
            now
        )
        .await
        .unwrap(),
        "the status read is stale"
    );
    let task = CallTask {
        incident_id: incident.id,
        customer_id: person,
        reason: CallReason::NeedsHelp,
        created_at: now,
        outcome: None,
        called_by: None,
        called_at: None,
        customer_name: String::new(),
    };
    assert!(tx.insert_call_task(&task).await.unwrap());
    assert!(!tx.insert_call_task(&task).await.unwrap());
    let agent = crate::identity::conformance::sample_user(
        "yingji",
        &[tripdesk_domain::identity::Role::Agent],
        None,
    );
    tx.insert_user(&agent).await.unwrap();
    assert!(tx
        .record_call(incident.id, person, CallOutcome::Reached, agent.id, now)
        .await
        .unwrap());
    tx.set_team_member(incident.id, TeamRole::CsManager, Some(agent.id))
        .await
        .unwrap();
    tx.set_team_member(incident.id, TeamRole::Leader, Some(agent.id))
        .await
        .unwrap();
    tx.set_team_member(incident.id, TeamRole::Leader, None)
        .await
        .unwrap();
    assert!(tx
        .tick_checklist(incident.id, "assign_team", agent.id, now)
        .await
        .unwrap());
    assert!(!tx
        .tick_checklist(incident.id, "assign_team", agent.id, now)
        .await
        .unwrap());
    let events: Vec<IncidentEvent> = (0..3)
        .map(|i| IncidentEvent {
            id: Uuid::now_v7(),
            incident_id: incident.id,
            at: now + jiff::SignedDuration::from_secs(i),
            kind: "answer".into(),
            actor_id: None,
            customer_id: Some(person),
            detail: "{}".into(),
        })
        .collect();
    tx.insert_incident_events(&events).await.unwrap();
    let expected = incident.version;
    incident.version += 1;
    incident.reported_at = Some(now);
    assert!(tx.update_incident(&incident, expected).await.unwrap());
    assert!(
        !tx.update_incident(&incident, expected).await.unwrap(),
        "stale version"
    );
    tx.commit().await.unwrap();

    let mut r = store.read().await.unwrap();
    let calls = r.list_call_tasks(incident.id, false, 10, 0).await.unwrap();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].outcome, Some(CallOutcome::Reached));
    assert!(r
        .list_call_tasks(incident.id, true, 10, 0)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        r.incident_team(incident.id).await.unwrap(),
        vec![(TeamRole::CsManager, agent.id)]
    );
    assert_eq!(r.incident_checklist(incident.id).await.unwrap().len(), 1);
    let timeline = r.list_incident_events(incident.id, 2, 0).await.unwrap();
    assert_eq!(timeline.len(), 2);
    assert!(timeline[0].at > timeline[1].at, "newest first");
    let stored = r.get_incident(incident.id).await.unwrap().unwrap();
    assert_eq!(stored, incident);
    assert_eq!(
        r.list_incidents(Some(IncidentState::Open), 10, 0)
            .await
            .unwrap()
            .len(),
        1
    );
    let counts = r.incident_counts(incident.id).await.unwrap();
    assert_eq!(
        (counts.needs_help, counts.calls_open, counts.calls_done),
        (1, 0, 1)
    );
    drop(r);

    // A call not made is still to make while its person is not known to be safe; their
    // answer by the link takes it off the list.
    let other = customer(store).await;
    let mut tx = store.write().await.unwrap();
    tx.add_incident_person(incident.id, other, now)
        .await
        .unwrap();
    assert!(tx
        .insert_call_task(&CallTask {
            customer_id: other,
            reason: CallReason::NoSms,
            ..task
        })
        .await
        .unwrap());
    tx.commit().await.unwrap();
    let open = || async {
        let mut r = store.read().await.unwrap();
        let listed = r.list_call_tasks(incident.id, true, 10, 0).await.unwrap();
        let counted = r.incident_counts(incident.id).await.unwrap().calls_open;
        (listed.len(), counted)
    };
    assert_eq!(open().await, (1, 1));
    let mut tx = store.write().await.unwrap();
    assert!(tx
        .record_answer(
            incident.id,
            other,
            PersonStatus::Pending,
            PersonStatus::Safe,
            AnswerVia::Link,
            now
        )
        .await
        .unwrap());
    tx.commit().await.unwrap();
    assert_eq!(open().await, (0, 0), "safe: no call to make");
}
