//! Conformance checks of the feedback repository (re-exported by [`crate::conformance`]).

/// This repository's checks as tests (run by [`conformance_tests!`](crate::conformance_tests)).
#[macro_export]
macro_rules! feedback_conformance_tests {
    ($make:expr) => {
        $crate::conformance_tests!(@each $make;
            feedback_items_round_trip_and_filter, learned_counts_add_up);
    };
}

use crate::conformance::{sample_ticket, sample_user};
use crate::*;
use jiff::Timestamp;
use tripdesk_domain::desk::Level;
use tripdesk_domain::feedback::{Category, ModelKind, Sentiment};
use tripdesk_domain::identity::Role;
use uuid::Uuid;

fn t(s: &str) -> Timestamp {
    s.parse().expect("test instant")
}

fn item(ticket_id: Uuid, at: &str, categories: &[Category], sentiment: Sentiment) -> FeedbackItem {
    FeedbackItem {
        source: FeedbackSource::Ticket,
        item_id: ticket_id,
        ticket_id,
        at: t(at),
        categories: categories.to_vec(),
        sentiment,
        score: if sentiment == Sentiment::Positive {
            810
        } else {
            120
        },
        classified_at: t(at),
        corrected_by: None,
        corrected_at: None,
        trained: None,
    }
}

/// Items are kept as written, replaced by source and item, listed newest first and filtered
/// by source, category, sentiment, correction and time.
pub async fn feedback_items_round_trip_and_filter(store: &dyn Store) {
    let a = sample_ticket("FB-1", Level::General, "2026-05-01T01:00:00Z");
    let b = sample_ticket("FB-2", Level::General, "2026-05-02T01:00:00Z");
    let staff = sample_user("fbstaff", &[Role::Supervisor], None);
    let mut tx = store.write().await.unwrap();
    tx.insert_ticket(&a).await.unwrap();
    tx.insert_ticket(&b).await.unwrap();
    tx.insert_user(&staff).await.unwrap();
    let first = item(
        a.id,
        "2026-05-01T01:00:00Z",
        &[Category::Guide, Category::Price],
        Sentiment::Negative,
    );
    let second = item(
        b.id,
        "2026-05-02T01:00:00Z",
        &[Category::Food],
        Sentiment::Positive,
    );
    let survey = FeedbackItem {
        source: FeedbackSource::Survey,
        item_id: Uuid::now_v7(),
        ..item(
            a.id,
            "2026-05-03T01:00:00Z",
            &[Category::Other],
            Sentiment::Positive,
        )
    };
    for i in [&first, &second, &survey] {
        tx.put_feedback(i).await.unwrap();
    }
    tx.commit().await.unwrap();

    let corrected = FeedbackItem {
        categories: vec![Category::Itinerary],
        sentiment: Sentiment::Negative,
        score: 0,
        corrected_by: Some(staff.id),
        corrected_at: Some(t("2026-05-04T01:00:00Z")),
        trained: Some((vec![Category::Itinerary], Sentiment::Negative)),
        ..second.clone()
    };
    let mut tx = store.write().await.unwrap();
    tx.put_feedback(&corrected).await.unwrap();
    tx.commit().await.unwrap();

    let mut r = store.read().await.unwrap();
    assert_eq!(
        r.get_feedback(FeedbackSource::Ticket, b.id).await.unwrap(),
        Some(corrected.clone())
    );
    assert_eq!(
        r.get_feedback(FeedbackSource::Survey, a.id).await.unwrap(),
        None
    );
    let all = r
        .list_feedback(&FeedbackFilter::default(), 10, 0)
        .await
        .unwrap();
    assert_eq!(all, vec![survey.clone(), corrected.clone(), first.clone()]);
    assert_eq!(
        r.count_feedback(&FeedbackFilter::default()).await.unwrap(),
        3
    );
    let page = r
        .list_feedback(&FeedbackFilter::default(), 1, 1)
        .await
        .unwrap();
    assert_eq!(page, vec![corrected.clone()]);
    let by = |f: FeedbackFilter| f;
    let cases = [
        (
            by(FeedbackFilter {
                category: Some(Category::Price),
                ..Default::default()
            }),
            vec![first.clone()],
        ),
        (
            by(FeedbackFilter {
                category: Some(Category::Guide),
                ..Default::default()
            }),
            vec![first.clone()],
        ),
        (
            by(FeedbackFilter {
                sentiment: Some(Sentiment::Positive),
                ..Default::default()
            }),
            vec![survey.clone()],
        ),
        (
            by(FeedbackFilter {
                source: Some(FeedbackSource::Survey),
                ..Default::default()
            }),
            vec![survey.clone()],
        ),
        (
            by(FeedbackFilter {
                corrected: Some(true),
                ..Default::default()
            }),
            vec![corrected.clone()],
        ),
        (
            by(FeedbackFilter {
                corrected: Some(false),
                ..Default::default()
            }),
            vec![survey.clone(), first.clone()],
        ),
        (
            by(FeedbackFilter {
                from: Some(t("2026-05-02T00:00:00Z")),
                until: Some(t("2026-05-03T00:00:00Z")),
                ..Default::default()
            }),
            vec![corrected.clone()],
        ),
    ];
    for (filter, want) in cases {
        assert_eq!(
            r.list_feedback(&filter, 10, 0).await.unwrap(),
            want,
            "{filter:?}"
        );
        assert_eq!(r.count_feedback(&filter).await.unwrap(), want.len() as u64);
    }
    assert_eq!(r.ticket_feedback(a.id).await.unwrap(), vec![first, survey]);
}

/// Learned counts add up row by row, from zero; a read returns the asked terms and the totals.
pub async fn learned_counts_add_up(store: &dyn Store) {
    let c = |model, label: &str, term: &str, count| LearnedCount {
        model,
        label: label.into(),
        term: term.into(),
        count,
    };
    let mut tx = store.write().await.unwrap();
    tx.add_learned(&[
        c(ModelKind::Category, "guide", "#docs", 1),
        c(ModelKind::Category, "guide", "导游", 2),
        c(ModelKind::Sentiment, "negative", "导游", 1),
        c(ModelKind::Sentiment, "negative", "#tokens", 3),
        c(ModelKind::Sentiment, "negative", "迟到", 1),
    ])
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let mut tx = store.write().await.unwrap();
    tx.add_learned(&[
        c(ModelKind::Category, "guide", "导游", 3),
        c(ModelKind::Category, "food", "导游", -1),
    ])
    .await
    .unwrap();
    tx.commit().await.unwrap();

    let mut r = store.read().await.unwrap();
    let mut got = r.learned_counts(&["导游".to_string()]).await.unwrap();
    got.sort_by(|a, b| {
        (a.model.as_str(), &a.label, &a.term).cmp(&(b.model.as_str(), &b.label, &b.term))
    });
    assert_eq!(
        got,
        vec![
            c(ModelKind::Category, "food", "导游", -1),
            c(ModelKind::Category, "guide", "#docs", 1),
            c(ModelKind::Category, "guide", "导游", 5),
            c(ModelKind::Sentiment, "negative", "#tokens", 3),
            c(ModelKind::Sentiment, "negative", "导游", 1),
        ]
    );
    assert_eq!(r.learned_counts(&[]).await.unwrap().len(), 2, "totals only");
    // Any number of terms, repeated, with quotes and backslashes, in one statement.
    let mut many: Vec<String> = (0..2_000).map(|i| format!("词{i}\"'\\")).collect();
    many.push("导游".into());
    many.push("导游".into());
    let got = r.learned_counts(&many).await.unwrap();
    assert_eq!(
        got.len(),
        5,
        "the totals and the three counts of 导游: {got:?}"
    );
    drop(r);
    let mut tx = store.write().await.unwrap();
    tx.add_learned(&[c(ModelKind::Category, "guide", "引号\"'\\", 1)])
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut r = store.read().await.unwrap();
    let quoted = r.learned_counts(&["引号\"'\\".to_string()]).await.unwrap();
    assert!(quoted.iter().any(|c| c.term == "引号\"'\\" && c.count == 1));
    drop(r);

    // Taken back to zero, a row leaves with its term (not kept at zero).
    let mut tx = store.write().await.unwrap();
    tx.add_learned(&[c(ModelKind::Sentiment, "negative", "迟到", -1)])
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut r = store.read().await.unwrap();
    assert!(r
        .learned_counts(&["迟到".to_string()])
        .await
        .unwrap()
        .iter()
        .all(|c| c.term != "迟到"));
}
