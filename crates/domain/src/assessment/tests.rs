use super::*;
use proptest::prelude::*;

fn r(kind: RaterKind, m: u8) -> Rating {
    Rating {
        kind,
        marks: [Some(m); 5],
    }
}

#[test]
fn weights_add_up_to_one_hundred() {
    assert_eq!(RaterKind::ALL.iter().map(|k| weight(*k)).sum::<u32>(), 100);
}

#[test]
fn the_weighted_score_worked_by_hand() {
    // Customer 5 (one survey, satisfaction only), supervisor 4, peer 3, self 5:
    // (0.40·5 + 0.30·4 + 0.15·3 + 0.15·5) = 4.4 → (4.4 − 1) / 4 · 100 = 85.
    let customer = Rating {
        kind: RaterKind::Customer,
        marks: [Some(5), None, None, None, None],
    };
    let s = score(&[
        customer,
        r(RaterKind::Supervisor, 4),
        r(RaterKind::Peer, 3),
        r(RaterKind::SelfRating, 5),
    ]);
    assert!((s.weighted.unwrap() - 85.0).abs() < 1e-9, "{s:?}");
    assert_eq!(s.counts, [1, 1, 1, 1]);
    // Satisfaction: 5, 4, 3, 5 → 4.25; response time: 4, 3, 5 → 4.
    assert!((s.by_criterion[0].unwrap() - 4.25).abs() < 1e-9);
    assert!((s.by_criterion[1].unwrap() - 4.0).abs() < 1e-9);
}

#[test]
fn absent_sources_share_their_weight() {
    // Supervisor 5 and self 1 only: (0.30·5 + 0.15·1) / 0.45 = 3.666… → 66.67.
    let s = score(&[r(RaterKind::Supervisor, 5), r(RaterKind::SelfRating, 1)]);
    assert!((s.weighted.unwrap() - 66.666_666_666).abs() < 1e-6);
    assert_eq!(score(&[]).weighted, None);
    assert_eq!(
        department_score(&[None, Some(80.0), Some(60.0)]),
        Some(70.0)
    );
    assert_eq!(department_score(&[None]), None);
}

#[test]
fn ratings_are_checked() {
    let all = [Some(4); 5];
    assert_eq!(check_rating(RaterKind::Peer, false, &all), Ok(()));
    assert_eq!(check_rating(RaterKind::SelfRating, true, &all), Ok(()));
    assert_eq!(check_rating(RaterKind::Supervisor, false, &all), Ok(()));
    assert_eq!(
        check_rating(RaterKind::Peer, true, &all),
        Err(RatingError::PeerIsSelf)
    );
    assert_eq!(
        check_rating(RaterKind::SelfRating, false, &all),
        Err(RatingError::SelfNotSelf)
    );
    assert_eq!(
        check_rating(RaterKind::Supervisor, true, &all),
        Err(RatingError::SupervisorIsSelf)
    );
    assert_eq!(
        check_rating(RaterKind::Customer, false, &all),
        Err(RatingError::CustomerByHand)
    );
    assert_eq!(
        check_rating(RaterKind::Peer, false, &[None; 5]),
        Err(RatingError::Empty)
    );
    assert_eq!(
        check_rating(RaterKind::Peer, false, &[Some(6), None, None, None, None]),
        Err(RatingError::OutOfRange)
    );
}

#[test]
fn months_parse() {
    assert_eq!(parse_month("2026-11"), Some(jiff::civil::date(2026, 11, 1)));
    for bad in ["2026-13", "2026-1", "26-11", "2026/11", ""] {
        assert_eq!(parse_month(bad), None, "{bad}");
    }
}

fn marks() -> impl Strategy<Value = Marks> {
    proptest::array::uniform5(proptest::option::of(1u8..=5))
}

fn kind() -> impl Strategy<Value = RaterKind> {
    proptest::sample::select(RaterKind::ALL.to_vec())
}

proptest! {
    /// The score stays on 0–100, lies between the lowest and highest source mean, and does
    /// not fall when a rating's marks rise.
    #[test]
    fn the_score_is_bounded_and_monotone(
        ratings in proptest::collection::vec((kind(), marks()), 0..12),
        which in 0usize..12,
    ) {
        let ratings: Vec<Rating> = ratings.into_iter().map(|(kind, marks)| Rating { kind, marks }).collect();
        let s = score(&ratings);
        if let Some(w) = s.weighted {
            prop_assert!((0.0..=100.0).contains(&w));
            let means: Vec<f64> = s.by_source.iter().flatten().map(|m| percent(*m)).collect();
            let lo = means.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = means.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            prop_assert!(w >= lo - 1e-9 && w <= hi + 1e-9);
        } else {
            prop_assert!(ratings.iter().all(|r| r.marks.iter().all(Option::is_none)));
        }
        if let Some(target) = ratings.get(which) {
            let mut better = ratings.clone();
            better[which] = Rating {
                kind: target.kind,
                marks: target.marks.map(|m| m.map(|v| (v + 1).min(5))),
            };
            let after = score(&better);
            if let (Some(a), Some(b)) = (s.weighted, after.weighted) {
                prop_assert!(b >= a - 1e-9);
            }
        }
    }
}
