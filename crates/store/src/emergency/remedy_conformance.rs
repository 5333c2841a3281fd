//! Conformance checks of the remedies repository (re-exported by [`crate::conformance`]).

/// This repository's checks as tests (run by [`conformance_tests!`](crate::conformance_tests)).
#[macro_export]
macro_rules! remedies_conformance_tests {
    ($make:expr) => {
        $crate::conformance_tests!(@each $make;
            remedies_are_offered_once_per_booking, one_choice_per_offer_across_writers);
    };
}

use crate::bookings::conformance::sample_booking;
use crate::catalog::conformance::sample_property;
use crate::conformance::{futures_join_all, sample_customer, sample_identifier, t};
use crate::*;
use jiff::civil::{date, Date};
use std::sync::atomic::{AtomicUsize, Ordering};
use tripdesk_domain::bookings::{
    compute_refund, BookingState, CancellationPolicy, Cause, PolicyTerms, RefundCase, Stay,
    TourTerms, TripScope,
};
use tripdesk_domain::emergency::{
    IncidentKind, IncidentLevel, IncidentState, RemedyChoice, RemedyState, RemedyVia, Scope,
};
use tripdesk_domain::notify::DeliveryChannel;
use uuid::Uuid;

fn incident(scope: Scope) -> Incident {
    Incident {
        id: Uuid::now_v7(),
        kind: IncidentKind::NaturalDisaster,
        level: IncidentLevel::Large,
        title: "台风“海燕”登陆".into(),
        description: String::new(),
        warning_colour: None,
        scope,
        drill: false,
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

fn policy() -> CancellationPolicy {
    CancellationPolicy {
        name: "GF-2014-2401".into(),
        effective_from: date(2026, 1, 1),
        terms: PolicyTerms::Tour(TourTerms::model_2014(TripScope::Domestic)),
    }
}

/// A booking of `room` for a new customer (with a primary phone when `phone`), in `state`,
/// 80,000 fen paid of 150,000; returns (booking, customer).
pub(crate) async fn booking(
    store: &dyn Store,
    room: Uuid,
    check_in: Date,
    state: BookingState,
    phone: bool,
) -> (Uuid, Uuid) {
    let c = sample_customer("王**");
    let stay = Stay::new(check_in, check_in.tomorrow().unwrap()).unwrap();
    let mut b = sample_booking(
        c.id,
        vec![BookingLine {
            line_no: 1,
            item: LineItem::Room {
                room_id: room,
                stay,
            },
            price_fen: 150_000,
        }],
        t("2026-08-01T02:00:00Z"),
    );
    b.state = state;
    b.paid_fen = 80_000;
    b.confirmation_no = Some(format!("TD{}", &b.id.simple().to_string()[24..]));
    b.policy = (state != BookingState::Held).then(policy);
    let mut tx = store.write().await.unwrap();
    tx.insert_customer(&c).await.unwrap();
    if phone {
        let index = c.id.simple().to_string();
        tx.insert_identifier(&sample_identifier(c.id, "phone", &index, true))
            .await
            .unwrap();
    }
    tx.insert_booking(&b).await.unwrap();
    assert!(tx.take_room_nights(b.id, room, stay).await.unwrap());
    tx.commit().await.unwrap();
    (b.id, c.id)
}

pub(crate) fn offer(incident: Uuid, c: &RemedyCandidate) -> IncidentRemedy {
    IncidentRemedy {
        incident_id: incident,
        booking_id: c.booking_id,
        customer_id: c.customer_id,
        state: RemedyState::Offered,
        paid_fen: c.paid_fen - c.owed_fen,
        refund_fen: c.paid_fen - c.owed_fen,
        postpone_free: true,
        notified_via: c.phone.as_ref().map(|_| DeliveryChannel::Sms),
        offered_by: None,
        offered_at: t("2026-09-01T02:00:00Z"),
        chosen_at: None,
        chosen_via: None,
        chosen_by: None,
        refund_id: None,
        ticket_id: None,
        withdrawn_at: None,
    }
}

/// An incident over 大理 and 2026-09-01…03 with its people computed.
pub(crate) async fn declared(store: &dyn Store) -> Incident {
    let i = incident(Scope {
        regions: vec!["大理".into()],
        from: date(2026, 9, 1),
        to: date(2026, 9, 3),
        ..Scope::default()
    });
    let mut tx = store.write().await.unwrap();
    tx.insert_incident(&i).await.unwrap();
    tx.compute_affected(i.id, &i.scope, &[], t("2026-09-01T01:00:00Z"))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    i
}

/// The candidates are the live bookings the scope reaches, with their figures, policy and the
/// booker's contacts, paged by booking id; offered once (a second insert, as a second node's,
/// adds nothing and the candidates no longer list them); listed, filtered by state, counted
/// and found per customer with their booking as it stands.
pub async fn remedies_are_offered_once_per_booking(store: &dyn Store) {
    let (_, _, rooms) = sample_property(store, 5).await; // 云南省大理市双廊镇
    let (held, held_customer) = booking(
        store,
        rooms[0].id,
        date(2026, 9, 2),
        BookingState::Held,
        true,
    )
    .await;
    let (confirmed, _) = booking(
        store,
        rooms[1].id,
        date(2026, 9, 1),
        BookingState::Confirmed,
        false,
    )
    .await;
    let (changed, _) = booking(
        store,
        rooms[2].id,
        date(2026, 9, 3),
        BookingState::Changed,
        true,
    )
    .await;
    let _cancelled = booking(
        store,
        rooms[3].id,
        date(2026, 9, 2),
        BookingState::Cancelled,
        true,
    )
    .await;
    let _later = booking(
        store,
        rooms[4].id,
        date(2026, 9, 20),
        BookingState::Confirmed,
        true,
    )
    .await;
    // A refund still owed on the changed booking: not kept, so not offered back again.
    let mut tx = store.write().await.unwrap();
    let case = RefundCase {
        total_fen: 10_000,
        paid_fen: 10_000,
        first_night_fen: None,
        starts_on: date(2026, 9, 3),
        cancelled_on: date(2026, 8, 20),
    };
    tx.insert_refund(&RefundRecord {
        id: Uuid::now_v7(),
        booking_id: changed,
        cause: Cause::Change,
        refund: compute_refund(&policy().terms, &case, &Cause::Business).unwrap(),
        due_at: t("2026-08-27T16:00:00Z"),
        created_at: t("2026-08-20T02:00:00Z"),
        paid_at: None,
        payment_id: None,
    })
    .await
    .unwrap();
    tx.commit().await.unwrap();

    let i = declared(store).await;
    let mut tx = store.write().await.unwrap();
    let first = tx.remedy_candidates(i.id, &i.scope, None, 2).await.unwrap();
    assert_eq!(first.len(), 2);
    let rest = tx
        .remedy_candidates(i.id, &i.scope, Some(first[1].booking_id), 2)
        .await
        .unwrap();
    let all: Vec<RemedyCandidate> = first.into_iter().chain(rest).collect();
    let mut ids: Vec<Uuid> = all.iter().map(|c| c.booking_id).collect();
    let mut want = vec![held, confirmed, changed];
    want.sort();
    assert_eq!(
        ids, want,
        "in booking id order: not the cancelled, not the later one"
    );
    let of = |id: Uuid| all.iter().find(|c| c.booking_id == id).unwrap();
    assert_eq!(of(held).customer_id, held_customer);
    assert_eq!(of(held).state, BookingState::Held);
    assert!(of(held).policy.is_none());
    assert!(of(held).phone.is_some() && of(held).email.is_none());
    assert!(of(confirmed).phone.is_none());
    assert_eq!(of(confirmed).policy, Some(policy()));
    assert_eq!(
        (of(confirmed).total_fen, of(confirmed).paid_fen),
        (150_000, 80_000)
    );
    assert_eq!(of(changed).owed_fen, 10_000);
    assert_eq!(of(changed).starts_on, date(2026, 9, 3));
    assert!(of(changed).confirmation_no.is_some());

    let offers: Vec<IncidentRemedy> = all.iter().map(|c| offer(i.id, c)).collect();
    let mut inserted = tx.insert_remedies(&offers).await.unwrap();
    inserted.sort();
    assert_eq!(inserted, want);
    assert!(
        tx.insert_remedies(&offers).await.unwrap().is_empty(),
        "offered once"
    );
    assert!(tx
        .remedy_candidates(i.id, &i.scope, None, 10)
        .await
        .unwrap()
        .is_empty());
    tx.commit().await.unwrap();

    let mut r = store.read().await.unwrap();
    let listed = r.list_remedies(i.id, None, 10, 0).await.unwrap();
    ids = listed.iter().map(|x| x.remedy.booking_id).collect();
    assert_eq!(ids, want);
    let row = r.get_remedy(i.id, changed).await.unwrap().unwrap();
    assert_eq!(
        row.remedy,
        offers[all.iter().position(|c| c.booking_id == changed).unwrap()]
    );
    assert_eq!(row.remedy.paid_fen, 70_000);
    assert_eq!(row.booking_state, BookingState::Changed);
    assert_eq!(
        (row.starts_on, row.ends_on),
        (date(2026, 9, 3), date(2026, 9, 4))
    );
    assert_eq!(r.list_remedies(i.id, None, 1, 2).await.unwrap().len(), 1);
    assert_eq!(
        r.list_remedies(i.id, Some(RemedyState::Refund), 10, 0)
            .await
            .unwrap()
            .len(),
        0
    );
    assert_eq!(
        r.remedy_counts(i.id).await.unwrap(),
        RemedyCounts {
            offered: 3,
            waiting_refund_fen: offers.iter().map(|o| o.refund_fen).sum(),
            ..RemedyCounts::default()
        }
    );
    let mine = r.remedies_of_customer(i.id, held_customer).await.unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].remedy.booking_id, held);
    assert!(r.get_remedy(i.id, Uuid::now_v7()).await.unwrap().is_none());
}

/// Of eight writers choosing at once (half refund, half postponement), exactly one records
/// its choice; the offer holds it. Cancelling the booking withdraws its offers still
/// waiting (in another incident), never a choice made.
pub async fn one_choice_per_offer_across_writers(store: &dyn Store) {
    let (_, _, rooms) = sample_property(store, 1).await;
    let (b, _) = booking(
        store,
        rooms[0].id,
        date(2026, 9, 2),
        BookingState::Confirmed,
        true,
    )
    .await;
    let (first, second) = (declared(store).await, declared(store).await);
    let mut tx = store.write().await.unwrap();
    let c = tx
        .remedy_candidates(first.id, &first.scope, None, 10)
        .await
        .unwrap();
    assert_eq!(c.len(), 1);
    tx.insert_remedies(&[offer(first.id, &c[0]), offer(second.id, &c[0])])
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let wins = AtomicUsize::new(0);
    let at = t("2026-09-01T03:00:00Z");
    let attempt = |n: usize| {
        let wins = &wins;
        let choice = if n.is_multiple_of(2) {
            RemedyChoice::Refund
        } else {
            RemedyChoice::Postpone
        };
        async move {
            let mut tx = store.write().await.unwrap();
            tokio::task::yield_now().await;
            if tx
                .record_remedy_choice(first.id, b, choice, RemedyVia::Link, None, at)
                .await
                .unwrap()
            {
                tx.commit().await.unwrap();
                wins.fetch_add(1, Ordering::SeqCst);
            }
        }
    };
    futures_join_all((0..8).map(attempt).collect()).await;
    assert_eq!(wins.load(Ordering::SeqCst), 1);

    let mut tx = store.write().await.unwrap();
    let row = tx.get_remedy(first.id, b).await.unwrap().unwrap().remedy;
    assert!(matches!(
        row.state,
        RemedyState::Refund | RemedyState::Postpone
    ));
    assert_eq!(
        (row.chosen_at, row.chosen_via, row.chosen_by),
        (Some(at), Some(RemedyVia::Link), None)
    );
    assert!(
        !tx.record_remedy_choice(
            first.id,
            b,
            RemedyChoice::Refund,
            RemedyVia::Staff,
            None,
            at
        )
        .await
        .unwrap(),
        "a choice is final"
    );
    let case = RefundCase {
        total_fen: 150_000,
        paid_fen: 80_000,
        first_night_fen: None,
        starts_on: date(2026, 9, 2),
        cancelled_on: date(2026, 9, 1),
    };
    let fm = Cause::ForceMajeure {
        unrecoverable: Vec::new(),
    };
    let refund = RefundRecord {
        id: Uuid::now_v7(),
        booking_id: b,
        cause: fm.clone(),
        refund: compute_refund(&policy().terms, &case, &fm).unwrap(),
        due_at: t("2026-09-08T16:00:00Z"),
        created_at: at,
        paid_at: None,
        payment_id: None,
    };
    tx.insert_refund(&refund).await.unwrap();
    tx.set_remedy_outcome(first.id, b, Some(refund.id), None)
        .await
        .unwrap();
    let withdrawn = tx.withdraw_remedies(b, at).await.unwrap();
    assert_eq!(withdrawn, vec![second.id], "the offer still waiting, only");
    assert!(tx.withdraw_remedies(b, at).await.unwrap().is_empty());
    tx.commit().await.unwrap();

    let mut r = store.read().await.unwrap();
    let kept = r.get_remedy(first.id, b).await.unwrap().unwrap().remedy;
    assert_eq!(kept.state, row.state, "the choice stays");
    assert_eq!(kept.refund_id, Some(refund.id));
    let gone = r.get_remedy(second.id, b).await.unwrap().unwrap().remedy;
    assert_eq!(
        (gone.state, gone.withdrawn_at),
        (RemedyState::Withdrawn, Some(at))
    );
    let counts = r.remedy_counts(first.id).await.unwrap();
    assert_eq!(counts.refund + counts.postpone, 1);
    assert_eq!(
        counts.refunded_fen,
        if kept.state == RemedyState::Refund {
            kept.refund_fen
        } else {
            0
        },
        "the refund chosen, in money"
    );
    drop(r);
    let mut tx = store.write().await.unwrap();
    assert!(
        !tx.record_remedy_choice(
            second.id,
            b,
            RemedyChoice::Postpone,
            RemedyVia::Staff,
            None,
            at
        )
        .await
        .unwrap(),
        "nothing is chosen on a withdrawn offer"
    );
}
