//! Conformance checks of the survey repository (re-exported by [`crate::conformance`]).

/// This repository's checks as tests (run by [`conformance_tests!`](crate::conformance_tests)).
#[macro_export]
macro_rules! survey_conformance_tests {
    ($make:expr) => {
        $crate::conformance_tests!(@each $make;
            surveys_round_trip, survey_used_once_under_race);
    };
}

use crate::conformance::{sample_ticket, sample_user};
use crate::*;
use jiff::{SignedDuration, Timestamp};
use std::sync::atomic::{AtomicUsize, Ordering};
use tripdesk_domain::identity::Role;
use uuid::Uuid;

fn t(s: &str) -> Timestamp {
    s.parse().expect("test instant")
}

/// A ticket and a follow-up agent to hang surveys on.
async fn ticket_and_agent(store: &dyn Store) -> (Uuid, Uuid) {
    let ticket = sample_ticket(
        &format!("TS-S{}", Uuid::now_v7().simple()),
        tripdesk_domain::desk::Level::General,
        "2026-05-01T01:00:00Z",
    );
    let agent = sample_user(
        &format!("fu{}", &Uuid::now_v7().simple().to_string()[20..]),
        &[Role::FollowUp],
        None,
    );
    let mut tx = store.write().await.unwrap();
    tx.insert_ticket(&ticket).await.unwrap();
    tx.insert_user(&agent).await.unwrap();
    tx.commit().await.unwrap();
    (ticket.id, agent.id)
}

fn sample_survey(ticket_id: Uuid, agent_id: Uuid, hash: &str, created: Timestamp) -> Survey {
    Survey {
        id: Uuid::now_v7(),
        ticket_id,
        token_hash: hash.into(),
        agent_id,
        created_at: created,
        expires_at: created + SignedDuration::from_hours(24 * 14),
        emailed: true,
        used_at: None,
        answers: None,
    }
}

fn answers(satisfaction: u8) -> SurveyAnswers {
    SurveyAnswers {
        satisfaction,
        overall_rating: 4,
        suggestions: Some("导游可以更准时".into()),
        reason: (satisfaction <= 2).then(|| "行程被压缩".into()),
    }
}

/// Surveys round-trip, are found by token hash and listed per ticket; the hash is unique; a
/// survey is used once, with its answers, and never after it expired.
pub async fn surveys_round_trip(store: &dyn Store) {
    let (ticket, agent) = ticket_and_agent(store).await;
    let t0 = t("2026-05-10T02:00:00Z");
    let first = sample_survey(ticket, agent, &"a".repeat(64), t0);
    let second = sample_survey(
        ticket,
        agent,
        &"b".repeat(64),
        t0 + SignedDuration::from_mins(5),
    );
    let mut tx = store.write().await.unwrap();
    tx.insert_survey(&first).await.unwrap();
    tx.insert_survey(&second).await.unwrap();
    tx.commit().await.unwrap();

    let mut tx = store.write().await.unwrap();
    let dup = tx
        .insert_survey(&sample_survey(ticket, agent, &"a".repeat(64), t0))
        .await;
    assert!(matches!(dup, Err(StoreError::Duplicate { .. })), "{dup:?}");
    drop(tx);

    let mut r = store.read().await.unwrap();
    assert_eq!(
        r.get_survey_by_token_hash(&"a".repeat(64)).await.unwrap(),
        Some(first.clone())
    );
    assert_eq!(r.get_survey_by_token_hash("nope").await.unwrap(), None);
    assert_eq!(
        r.list_surveys(ticket).await.unwrap(),
        vec![first.clone(), second.clone()]
    );
    assert!(r.list_surveys(Uuid::now_v7()).await.unwrap().is_empty());
    drop(r);

    // Used once, with the answers.
    let used_at = t0 + SignedDuration::from_hours(30);
    let mut tx = store.write().await.unwrap();
    assert!(tx.use_survey(first.id, used_at, &answers(2)).await.unwrap());
    assert!(
        !tx.use_survey(first.id, used_at, &answers(5)).await.unwrap(),
        "a used survey cannot be used again"
    );
    tx.commit().await.unwrap();
    let mut r = store.read().await.unwrap();
    let got = r
        .get_survey_by_token_hash(&"a".repeat(64))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.used_at, Some(used_at));
    assert_eq!(got.answers, Some(answers(2)));
    drop(r);

    // An expired survey is not used, and stays unused.
    let late = second.expires_at;
    let mut tx = store.write().await.unwrap();
    assert!(!tx.use_survey(second.id, late, &answers(4)).await.unwrap());
    assert!(!tx
        .use_survey(Uuid::now_v7(), t0, &answers(4))
        .await
        .unwrap());
    tx.commit().await.unwrap();
    let mut r = store.read().await.unwrap();
    let got = r
        .get_survey_by_token_hash(&"b".repeat(64))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((got.used_at, got.answers), (None, None));
}

/// Eight requests race to use one survey, each in its own write transaction (on PostgreSQL
/// on separate connections at once): exactly one wins.
pub async fn survey_used_once_under_race(store: &dyn Store) {
    let (ticket, agent) = ticket_and_agent(store).await;
    let t0 = t("2026-05-10T02:00:00Z");
    let survey = sample_survey(ticket, agent, &"c".repeat(64), t0);
    let mut tx = store.write().await.unwrap();
    tx.insert_survey(&survey).await.unwrap();
    tx.commit().await.unwrap();

    let wins = AtomicUsize::new(0);
    let attempt = |i: u8| {
        let wins = &wins;
        async move {
            let mut tx = store.write().await.unwrap();
            let won = tx
                .use_survey(
                    survey.id,
                    t0 + SignedDuration::from_mins(i64::from(i)),
                    &answers(1 + i % 5),
                )
                .await
                .unwrap();
            tokio::task::yield_now().await;
            tx.commit().await.unwrap();
            if won {
                wins.fetch_add(1, Ordering::SeqCst);
            }
        }
    };
    let futs: Vec<_> = (0..8u8).map(attempt).collect();
    join_all(futs).await;
    assert_eq!(
        wins.load(Ordering::SeqCst),
        1,
        "exactly one request uses the link"
    );
    let mut r = store.read().await.unwrap();
    let got = r
        .get_survey_by_token_hash(&"c".repeat(64))
        .await
        .unwrap()
        .unwrap();
    assert!(got.used_at.is_some() && got.answers.is_some());
}

async fn join_all<F: std::future::Future<Output = ()>>(futs: Vec<F>) {
    let mut futs: Vec<_> = futs.into_iter().map(Box::pin).collect();
    std::future::poll_fn(move |cx| {
        futs.retain_mut(|f| f.as_mut().poll(cx).is_pending());
        if futs.is_empty() {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await
}
