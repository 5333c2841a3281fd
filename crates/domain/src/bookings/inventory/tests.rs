use super::*;
use jiff::civil::date;
use proptest::prelude::*;

#[test]
fn nights_count_check_in_not_check_out() {
    let s = Stay::new(date(2026, 9, 30), date(2026, 10, 3)).unwrap();
    assert_eq!(s.nights(), 3);
    assert_eq!(
        s.night_dates().collect::<Vec<_>>(),
        vec![date(2026, 9, 30), date(2026, 10, 1), date(2026, 10, 2)]
    );
    assert!(s.contains_night(date(2026, 9, 30)));
    assert!(!s.contains_night(date(2026, 10, 3)));
    // Across a month and a leap day.
    assert_eq!(
        Stay::new(date(2028, 2, 28), date(2028, 3, 1))
            .unwrap()
            .nights(),
        2
    );
}

#[test]
fn empty_reversed_and_overlong_stays_are_refused() {
    let d = date(2026, 5, 1);
    assert_eq!(
        Stay::new(d, d),
        Err(InventoryError::EmptyStay {
            check_in: d,
            check_out: d
        })
    );
    assert!(matches!(
        Stay::new(d, date(2026, 4, 30)),
        Err(InventoryError::EmptyStay { .. })
    ));
    let ninety = d.checked_add(90.days()).unwrap();
    assert_eq!(Stay::new(d, ninety).unwrap().nights(), 90);
    assert_eq!(
        Stay::new(d, ninety.tomorrow().unwrap()),
        Err(InventoryError::StayTooLong { nights: 91 })
    );
    assert_eq!(Stay::new(d, d).unwrap_err().code(), "inventory.empty_stay");
}

#[test]
fn a_stay_deserializes_only_when_valid() {
    let ok: Stay =
        serde_json::from_str(r#"{"check_in":"2026-05-01","check_out":"2026-05-03"}"#).unwrap();
    assert_eq!(ok.nights(), 2);
    assert!(
        serde_json::from_str::<Stay>(r#"{"check_in":"2026-05-03","check_out":"2026-05-03"}"#)
            .is_err()
    );
    assert_eq!(
        serde_json::to_string(&ok).unwrap(),
        r#"{"check_in":"2026-05-01","check_out":"2026-05-03"}"#
    );
}

#[test]
fn back_to_back_stays_do_not_overlap() {
    let a = Stay::new(date(2026, 5, 1), date(2026, 5, 3)).unwrap();
    let b = Stay::new(date(2026, 5, 3), date(2026, 5, 5)).unwrap();
    let c = Stay::new(date(2026, 5, 2), date(2026, 5, 4)).unwrap();
    let inside = Stay::new(date(2026, 4, 1), date(2026, 6, 1)).unwrap();
    assert!(!a.overlaps(&b) && !b.overlaps(&a));
    assert!(a.overlaps(&c) && c.overlaps(&b));
    assert!(a.overlaps(&a));
    assert!(inside.overlaps(&a) && a.overlaps(&inside));
}

#[test]
fn seats_left_and_sold_out() {
    assert_eq!(seats_left(40, 3, 30), 7);
    assert_eq!(seats_left(40, 10, 30), 0);
    assert_eq!(
        seats_left(20, 10, 30),
        0,
        "capacity lowered below what is sold"
    );
    assert_eq!(seats_left(u32::MAX, u32::MAX, u32::MAX), 0);
    assert_eq!(request_seats(40, 3, 30, 7), Ok(0));
    assert_eq!(request_seats(40, 3, 30, 2), Ok(5));
    assert_eq!(
        request_seats(40, 3, 30, 8),
        Err(InventoryError::SoldOut { left: 7, wanted: 8 })
    );
    assert_eq!(request_seats(40, 3, 30, 8).unwrap_err().code(), "sold_out");
    assert_eq!(request_seats(40, 0, 0, 0), Err(InventoryError::EmptyParty));
    // The last seat: one request gets it, the next is sold out with 0 left.
    assert_eq!(request_seats(1, 0, 0, 1), Ok(0));
    assert_eq!(
        request_seats(1, 1, 0, 1),
        Err(InventoryError::SoldOut { left: 0, wanted: 1 })
    );
}

fn wl(parties: &[u32]) -> Vec<WaitlistEntry<usize>> {
    parties
        .iter()
        .enumerate()
        .map(|(id, &party)| WaitlistEntry { id, party })
        .collect()
}

fn ids(v: Vec<WaitlistEntry<usize>>) -> Vec<usize> {
    v.into_iter().map(|e| e.id).collect()
}

#[test]
fn waitlist_first_fit_in_order() {
    // Head fits: offered first.
    assert_eq!(ids(offer_freed_seats(2, &wl(&[2, 1, 1])).unwrap()), vec![0]);
    // Head does not fit: passed over, the next who fits is offered, then the next.
    assert_eq!(
        ids(offer_freed_seats(2, &wl(&[4, 1, 3, 1])).unwrap()),
        vec![1, 3]
    );
    // Several parties while seats remain, never split.
    assert_eq!(
        ids(offer_freed_seats(5, &wl(&[2, 2, 2, 1])).unwrap()),
        vec![0, 1, 3]
    );
    assert!(offer_freed_seats(0, &wl(&[1])).unwrap().is_empty());
    assert!(offer_freed_seats(3, &wl(&[])).unwrap().is_empty());
    assert!(offer_freed_seats(3, &wl(&[4, 5])).unwrap().is_empty());
    assert_eq!(
        offer_freed_seats(3, &wl(&[1, 0])),
        Err(InventoryError::EmptyParty)
    );
}

proptest! {
    #[test]
    fn nights_match_the_dates(start in 0i64..3000, n in 1i64..=90) {
        let ci = date(2024, 1, 1).checked_add(start.days()).unwrap();
        let co = ci.checked_add(n.days()).unwrap();
        let s = Stay::new(ci, co).unwrap();
        prop_assert_eq!(i64::from(s.nights()), n);
        let dates: Vec<Date> = s.night_dates().collect();
        prop_assert_eq!(dates.len() as i64, n);
        prop_assert!(dates.windows(2).all(|w| w[1] == w[0].tomorrow().unwrap()));
        prop_assert!(dates.iter().all(|d| s.contains_night(*d)));
    }

    /// Two stays overlap exactly when some night is in both, and overlap is symmetric.
    #[test]
    fn overlap_is_a_shared_night(a0 in 0i64..40, an in 1i64..10, b0 in 0i64..40, bn in 1i64..10) {
        let base = date(2026, 1, 1);
        let mk = |s: i64, n: i64| Stay::new(
            base.checked_add(s.days()).unwrap(),
            base.checked_add((s + n).days()).unwrap(),
        ).unwrap();
        let (a, b) = (mk(a0, an), mk(b0, bn));
        let shared = a.night_dates().any(|d| b.contains_night(d));
        prop_assert_eq!(a.overlaps(&b), shared);
        prop_assert_eq!(a.overlaps(&b), b.overlaps(&a));
    }

    /// Never oversold: held + confirmed + granted never exceeds capacity, and a refusal says
    /// exactly how many are left.
    #[test]
    fn never_oversold(cap in 0u32..500, held in 0u32..500, conf in 0u32..500, wanted in 1u32..600) {
        let left = seats_left(cap, held, conf);
        prop_assert!(left <= cap);
        prop_assert_eq!(u64::from(left), u64::from(cap).saturating_sub(u64::from(held) + u64::from(conf)));
        match request_seats(cap, held, conf, wanted) {
            Ok(after) => {
                prop_assert!(u64::from(held) + u64::from(conf) + u64::from(wanted) <= u64::from(cap));
                prop_assert_eq!(after, left - wanted);
            }
            Err(InventoryError::SoldOut { left: l, wanted: w }) => {
                prop_assert_eq!(l, left);
                prop_assert_eq!(w, wanted);
                prop_assert!(wanted > left);
            }
            Err(e) => prop_assert!(false, "{e}"),
        }
    }

    /// The waitlist rule: offers keep order, never exceed the freed seats, and every party
    /// passed over did not fit in the seats still unoffered when its turn came.
    #[test]
    fn waitlist_offers_first_fit(freed in 0u32..30, parties in proptest::collection::vec(1u32..8, 0..20)) {
        let list = wl(&parties);
        let offered = ids(offer_freed_seats(freed, &list).unwrap());
        prop_assert!(offered.windows(2).all(|w| w[0] < w[1]));
        let total: u32 = offered.iter().map(|&i| parties[i]).sum();
        prop_assert!(total <= freed);
        let mut left = freed;
        for (i, &p) in parties.iter().enumerate() {
            if offered.contains(&i) {
                left -= p;
            } else {
                prop_assert!(p > left, "party {} of {} passed over with {} left", i, p, left);
            }
        }
    }
}
