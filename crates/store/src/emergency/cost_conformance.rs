//! Conformance checks of the incident costs repository (re-exported by
//! [`crate::conformance`]).

/// This repository's checks as tests (run by [`conformance_tests!`](crate::conformance_tests)).
#[macro_export]
macro_rules! incident_costs_conformance_tests {
    ($make:expr) => {
        $crate::conformance_tests!(@each $make;
            costs_add_up_with_the_refunds_chosen, drills_are_listed_newest_first_and_counted);
    };
}

use super::remedy_conformance::{booking, declared, offer};
use crate::catalog::conformance::sample_property;
use crate::conformance::t;
use crate::*;
use jiff::civil::date;
use tripdesk_domain::bookings::BookingState;
use tripdesk_domain::emergency::{
    IncidentKind, IncidentLevel, IncidentState, RemedyChoice, RemedyVia, Scope,
};
use tripdesk_domain::identity::Role;
use uuid::Uuid;

fn cost(incident: Uuid, what: &str, fen: i64, by: Option<Uuid>, at: &str) -> IncidentCost {
    IncidentCost {
        id: Uuid::now_v7(),
        incident_id: incident,
        what: what.into(),
        amount_fen: fen,
        entered_by: by,
        entered_at: t(at),
        entered_by_name: String::new(),
    }
}

/// The lines entered are listed oldest first with who entered them, and add up; the refunds
/// chosen under the incident's remedies are summed apart (as quoted), and the refunds still
/// offered too; another incident's lines count for that one only.
pub async fn costs_add_up_with_the_refunds_chosen(store: &dyn Store) {
    let (_, _, rooms) = sample_property(store, 3).await; // 云南省大理市双廊镇
    let mut bookings = Vec::new();
    for (room, day) in rooms.iter().zip([1, 2, 3]) {
        let (b, _) = booking(
            store,
            room.id,
            date(2026, 9, day),
            BookingState::Confirmed,
            true,
        )
        .await;
        bookings.push(b);
    }
    let incident = declared(store).await;
    let other = declared(store).await;
    let user = crate::identity::conformance::sample_user("houqin", &[Role::Agent], None);
    let mut tx = store.write().await.unwrap();
    tx.insert_user(&user).await.unwrap();
    let candidates = tx
        .remedy_candidates(incident.id, &incident.scope, None, 10)
        .await
        .unwrap();
    assert_eq!(candidates.len(), 3);
    let offers: Vec<_> = candidates.iter().map(|c| offer(incident.id, c)).collect();
    assert_eq!(tx.insert_remedies(&offers).await.unwrap().len(), 3);
    let at = t("2026-09-01T03:00:00Z");
    for (b, choice) in [
        (bookings[0], RemedyChoice::Refund),
        (bookings[1], RemedyChoice::Postpone),
    ] {
        assert!(tx
            .record_remedy_choice(incident.id, b, choice, RemedyVia::Link, None, at)
            .await
            .unwrap());
    }
    let later = cost(
        incident.id,
        "转移游客包车 2 辆",
        360_050,
        Some(user.id),
        "2026-09-01T05:00:00Z",
    );
    let earlier = cost(
        incident.id,
        "临时安置酒店 12 间一晚",
        540_000,
        None,
        "2026-09-01T04:00:00Z",
    );
    tx.insert_incident_cost(&later).await.unwrap();
    tx.insert_incident_cost(&earlier).await.unwrap();
    tx.insert_incident_cost(&cost(
        other.id,
        "矿泉水",
        12_000,
        None,
        "2026-09-01T04:00:00Z",
    ))
    .await
    .unwrap();
    tx.commit().await.unwrap();

    let mut r = store.read().await.unwrap();
    let lines = r.list_incident_costs(incident.id, 10, 0).await.unwrap();
    assert_eq!(
        lines.iter().map(|c| c.id).collect::<Vec<_>>(),
        [earlier.id, later.id],
        "oldest first"
    );
    assert_eq!(lines[1].entered_by_name, user.display_name);
    assert_eq!(lines[0].entered_by_name, "");
    assert_eq!(
        lines[1],
        IncidentCost {
            entered_by_name: user.display_name.clone(),
            ..later.clone()
        }
    );
    assert_eq!(
        r.list_incident_costs(incident.id, 1, 1)
            .await
            .unwrap()
            .len(),
        1
    );
    let totals = r.incident_cost_totals(incident.id).await.unwrap();
    let quoted = offers[0].refund_fen;
    assert_eq!(
        totals,
        CostTotals {
            lines: 2,
            entered_fen: 900_050,
            refunds: 1,
            refunds_fen: quoted,
            offered_refunds_fen: offers[2].refund_fen,
        }
    );
    assert_eq!(
        r.incident_cost_totals(other.id).await.unwrap(),
        CostTotals {
            lines: 1,
            entered_fen: 12_000,
            ..CostTotals::default()
        }
    );
    assert_eq!(
        r.incident_cost_totals(Uuid::now_v7()).await.unwrap(),
        CostTotals::default()
    );
}

/// Drills are listed newest first (real incidents left out) and counted by period.
pub async fn drills_are_listed_newest_first_and_counted(store: &dyn Store) {
    let incident = |drill: bool, at: &str| Incident {
        id: Uuid::now_v7(),
        kind: IncidentKind::NaturalDisaster,
        level: IncidentLevel::Large,
        title: "台风演练".into(),
        description: String::new(),
        warning_colour: None,
        scope: Scope {
            regions: vec!["三亚".into()],
            from: date(2026, 9, 1),
            to: date(2026, 9, 2),
            ..Scope::default()
        },
        drill,
        state: IncidentState::Open,
        no_answer_minutes: 30,
        ticket_id: None,
        declared_by: None,
        declared_at: t(at),
        first_message_at: None,
        reported_at: None,
        closed_at: None,
        closing_summary: None,
        handling_ended_at: None,
        update_reports: 0,
        version: 1,
    };
    let mut r = store.read().await.unwrap();
    assert_eq!(r.first_drill_at().await.unwrap(), None);
    drop(r);
    let old = incident(true, "2025-11-05T02:00:00Z");
    let new = incident(true, "2026-03-10T02:00:00Z");
    let newer = incident(true, "2026-06-01T02:00:00Z");
    let real = incident(false, "2026-04-01T02:00:00Z");
    let mut tx = store.write().await.unwrap();
    for i in [&new, &real, &old, &newer] {
        tx.insert_incident(i).await.unwrap();
    }
    tx.commit().await.unwrap();
    let mut r = store.read().await.unwrap();
    let ids = |v: Vec<Incident>| v.into_iter().map(|i| i.id).collect::<Vec<_>>();
    assert_eq!(
        ids(r.list_drills(10, 0).await.unwrap()),
        [newer.id, new.id, old.id]
    );
    assert_eq!(ids(r.list_drills(1, 1).await.unwrap()), [new.id]);
    assert_eq!(
        r.list_drills(10, 0).await.unwrap()[2],
        old,
        "read back as written"
    );
    let year = |y: i16| {
        (
            date(y, 1, 1)
                .at(0, 0, 0, 0)
                .in_tz("UTC")
                .unwrap()
                .timestamp(),
            date(y + 1, 1, 1)
                .at(0, 0, 0, 0)
                .in_tz("UTC")
                .unwrap()
                .timestamp(),
        )
    };
    let (from, to) = year(2026);
    assert_eq!(r.count_drills(from, to).await.unwrap(), 2);
    let (from, to) = year(2025);
    assert_eq!(r.count_drills(from, to).await.unwrap(), 1);
    assert_eq!(
        r.count_drills(new.declared_at, newer.declared_at)
            .await
            .unwrap(),
        1,
        "from included, to excluded"
    );
    assert_eq!(r.first_drill_at().await.unwrap(), Some(old.declared_at));
}
