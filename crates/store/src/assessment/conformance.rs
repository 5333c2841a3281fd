//! Conformance checks of the assessment repository (re-exported by [`crate::conformance`]).

/// This repository's checks as tests (run by [`conformance_tests!`](crate::conformance_tests)).
#[macro_export]
macro_rules! assessment_conformance_tests {
    ($make:expr) => {
        $crate::conformance_tests!(@each $make;
            assessment_cycles_ratings_and_records, assessment_reads_surveys_and_drills);
    };
}

use crate::conformance::{sample_ticket, sample_user};
use crate::*;
use jiff::{civil::date, SignedDuration, Timestamp};
use tripdesk_domain::assessment::{ActionKind, CycleState, RaterKind, Subject};
use tripdesk_domain::desk::Level;
use tripdesk_domain::emergency::{Scope, TeamRole};
use tripdesk_domain::identity::Role;
use uuid::Uuid;

fn t(s: &str) -> Timestamp {
    s.parse().expect("test instant")
}

/// A cycle per month (a second is a duplicate), closed once; ratings replaced by rater,
/// ratee and kind; training by day; rewards and corrections by cycle.
pub async fn assessment_cycles_ratings_and_records(store: &dyn Store) {
    let boss = sample_user("asboss", &[Role::Supervisor], None);
    let li = sample_user("asli", &[Role::Agent], None);
    let wang = sample_user("aswang", &[Role::Agent], None);
    let mut tx = store.write().await.unwrap();
    for u in [&boss, &li, &wang] {
        tx.insert_user(u).await.unwrap();
    }
    let cycle = AssessmentCycle {
        id: Uuid::now_v7(),
        month: "2026-10".into(),
        state: CycleState::Open,
        opened_by: boss.id,
        opened_at: t("2026-10-01T01:00:00Z"),
        closed_by: None,
        closed_at: None,
    };
    tx.insert_cycle(&cycle).await.unwrap();
    let older = AssessmentCycle {
        id: Uuid::now_v7(),
        month: "2026-09".into(),
        ..cycle.clone()
    };
    tx.insert_cycle(&older).await.unwrap();
    tx.commit().await.unwrap();

    let mut tx = store.write().await.unwrap();
    let dup = AssessmentCycle {
        id: Uuid::now_v7(),
        ..cycle.clone()
    };
    assert!(matches!(
        tx.insert_cycle(&dup).await,
        Err(StoreError::Duplicate { .. })
    ));
    drop(tx);

    let rating = StaffRating {
        id: Uuid::now_v7(),
        cycle_id: cycle.id,
        ratee_id: li.id,
        rater_id: wang.id,
        kind: RaterKind::Peer,
        marks: [Some(4), Some(3), None, Some(5), Some(4)],
        comment: Some("乐于助人".into()),
        at: t("2026-10-20T01:00:00Z"),
    };
    let supervisor = StaffRating {
        id: Uuid::now_v7(),
        rater_id: boss.id,
        kind: RaterKind::Supervisor,
        marks: [Some(5); 5],
        comment: None,
        at: t("2026-10-21T01:00:00Z"),
        ..rating.clone()
    };
    let again = StaffRating {
        id: Uuid::now_v7(),
        marks: [Some(2); 5],
        comment: None,
        at: t("2026-10-22T01:00:00Z"),
        ..rating.clone()
    };
    let training = TrainingRecord {
        id: Uuid::now_v7(),
        user_id: li.id,
        title: "投诉处理沟通技巧".into(),
        on_date: date(2026, 10, 15),
        hours_tenths: 15,
        recorded_by: boss.id,
        recorded_at: t("2026-10-15T09:00:00Z"),
    };
    let outside = TrainingRecord {
        id: Uuid::now_v7(),
        on_date: date(2026, 11, 1),
        ..training.clone()
    };
    let reward = AssessmentAction {
        id: Uuid::now_v7(),
        cycle_id: cycle.id,
        subject: Subject::Agent,
        subject_id: li.id,
        kind: ActionKind::Reward,
        note: "月度服务之星".into(),
        recorded_by: boss.id,
        recorded_at: t("2026-11-02T01:00:00Z"),
    };
    let mut tx = store.write().await.unwrap();
    tx.put_rating(&rating).await.unwrap();
    tx.put_rating(&supervisor).await.unwrap();
    tx.put_rating(&again).await.unwrap();
    tx.insert_training(&training).await.unwrap();
    tx.insert_training(&outside).await.unwrap();
    tx.insert_assessment_action(&reward).await.unwrap();
    assert!(tx
        .close_cycle(cycle.id, boss.id, t("2026-11-01T01:00:00Z"))
        .await
        .unwrap());
    assert!(!tx
        .close_cycle(cycle.id, boss.id, t("2026-11-01T02:00:00Z"))
        .await
        .unwrap());
    tx.commit().await.unwrap();

    let mut r = store.read().await.unwrap();
    let got = r.get_cycle("2026-10").await.unwrap().unwrap();
    assert_eq!(got.state, CycleState::Closed);
    assert_eq!(got.closed_by, Some(boss.id));
    assert_eq!(got.closed_at, Some(t("2026-11-01T01:00:00Z")));
    assert_eq!(r.get_cycle("2026-08").await.unwrap(), None);
    let months: Vec<String> = r
        .list_cycles(10, 0)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.month)
        .collect();
    assert_eq!(months, vec!["2026-10", "2026-09"]);
    assert_eq!(r.list_cycles(1, 1).await.unwrap()[0].month, "2026-09");
    // The peer rating was replaced (same id kept), the supervisor's stays.
    let ratings = r.list_ratings(cycle.id).await.unwrap();
    assert_eq!(ratings.len(), 2);
    assert_eq!(ratings[0], supervisor);
    assert_eq!(
        ratings[1],
        StaffRating {
            id: rating.id,
            ..again
        }
    );
    assert!(r.list_ratings(older.id).await.unwrap().is_empty());
    assert_eq!(
        r.list_training(date(2026, 10, 1), date(2026, 11, 1))
            .await
            .unwrap(),
        vec![training]
    );
    assert_eq!(
        r.list_assessment_actions(cycle.id).await.unwrap(),
        vec![reward]
    );
}

/// Customers' satisfaction per agent from the surveys answered in the window (the assignee,
/// else who took the ticket in); drills per team member.
pub async fn assessment_reads_surveys_and_drills(store: &dyn Store) {
    let agent = sample_user("asagent", &[Role::Agent], None);
    let handler = sample_user("ashandler", &[Role::Handler], None);
    let mut assigned = sample_ticket("AS-1", Level::General, "2026-10-01T01:00:00Z");
    assigned.assignee_id = Some(handler.id);
    assigned.created_by = Some(agent.id);
    let mut intake_only = sample_ticket("AS-2", Level::General, "2026-10-01T01:00:00Z");
    intake_only.created_by = Some(agent.id);
    intake_only.assignee_id = None;
    let mut tx = store.write().await.unwrap();
    tx.insert_user(&agent).await.unwrap();
    tx.insert_user(&handler).await.unwrap();
    tx.insert_ticket(&assigned).await.unwrap();
    tx.insert_ticket(&intake_only).await.unwrap();
    let mut survey_ids = Vec::new();
    for (ticket, at) in [
        (assigned.id, "2026-10-05T01:00:00Z"),
        (intake_only.id, "2026-10-06T01:00:00Z"),
        (assigned.id, "2026-11-05T01:00:00Z"),
    ] {
        let s = Survey {
            id: Uuid::now_v7(),
            ticket_id: ticket,
            token_hash: format!("as{}", Uuid::now_v7().simple()),
            agent_id: agent.id,
            created_at: t(at) - SignedDuration::from_hours(1),
            expires_at: t(at) + SignedDuration::from_hours(100),
            emailed: false,
            used_at: None,
            answers: None,
        };
        tx.insert_survey(&s).await.unwrap();
        survey_ids.push((s.id, t(at)));
    }
    for (i, (id, at)) in survey_ids.iter().enumerate() {
        let answers = SurveyAnswers {
            satisfaction: [5, 3, 1][i],
            overall_rating: 4,
            suggestions: None,
            reason: None,
        };
        assert!(tx.use_survey(*id, *at, &answers).await.unwrap());
    }
    let mut drill = crate::emergency::conformance::sample_incident(Scope {
        regions: vec!["三亚".into()],
        ..Scope::default()
    });
    drill.declared_at = t("2026-10-10T01:00:00Z");
    let mut real = drill.clone();
    real.id = Uuid::now_v7();
    real.drill = false;
    tx.insert_incident(&drill).await.unwrap();
    tx.insert_incident(&real).await.unwrap();
    for inc in [&drill, &real] {
        tx.set_team_member(inc.id, TeamRole::Leader, Some(agent.id))
            .await
            .unwrap();
    }
    tx.set_team_member(drill.id, TeamRole::Logistics, Some(handler.id))
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let mut r = store.read().await.unwrap();
    let marks = r
        .survey_satisfaction(t("2026-10-01T00:00:00Z"), t("2026-11-01T00:00:00Z"))
        .await
        .unwrap();
    assert_eq!(marks, vec![(handler.id, 5), (agent.id, 3)]);
    let mut drills = r
        .drill_counts(t("2026-10-01T00:00:00Z"), t("2026-11-01T00:00:00Z"))
        .await
        .unwrap();
    drills.sort();
    let mut want = vec![(agent.id, 1), (handler.id, 1)];
    want.sort();
    assert_eq!(drills, want);
    assert!(r
        .drill_counts(t("2026-11-01T00:00:00Z"), t("2026-12-01T00:00:00Z"))
        .await
        .unwrap()
        .is_empty());
}
