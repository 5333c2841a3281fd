//! Matching: examples of each rule, and properties over arbitrary needs and candidates (hard
//! constraints never broken, at most three distinct products with reasons, within budget
//! first, price never earns points, nothing suitable is missed).

use jiff::civil::{date, Date};
use proptest::prelude::*;
use uuid::Uuid;

use super::product_tests::{departure, package, room};
use super::*;

fn day(offset: i32) -> Date {
    date(2026, 5, 1)
        .checked_add(jiff::Span::new().days(offset))
        .unwrap()
}

fn tour(pkg: u128, dep: u128, destination: &str, on: Date, days: u16, adult: i64) -> TourOffer {
    let mut p = package(&format!("{destination}{days}日游"), destination, days);
    p.id = Uuid::from_u128(pkg);
    let mut d = departure(on, 40);
    d.id = Uuid::from_u128(dep);
    d.package_id = p.id;
    d.prices = CategoryPrices {
        adult,
        child: adult / 2,
        senior: adult,
    };
    TourOffer {
        package: p,
        departure: d,
        seats_left: 20,
    }
}

fn stay(id: u128, destination: &str, check_in: Date, nights: i32, per_room: i64) -> StayOffer {
    let mut r = room();
    r.id = Uuid::from_u128(id);
    StayOffer {
        room_type: r,
        property_name: "苍山小院".into(),
        destination: destination.into(),
        keywords: vec!["洱海".into()],
        tags: vec![Tag::Leisure],
        diets: vec![],
        check_in,
        check_out: check_in
            .checked_add(jiff::Span::new().days(nights))
            .unwrap(),
        rooms_free: 3,
        price_per_room_fen: per_room,
    }
}

fn needs(keywords: &[&str], budget: Option<i64>) -> Needs {
    Needs {
        keywords: keywords.iter().map(|s| s.to_string()).collect(),
        window: DateWindow {
            earliest: day(0),
            latest: day(30),
        },
        budget_per_person: budget,
        party: Party {
            adults: 2,
            children: 0,
            seniors: 0,
        },
        preferences: vec![],
        wheelchair: false,
        diets: vec![],
    }
}

fn ids(r: &[Recommendation]) -> Vec<u128> {
    r.iter().map(|r| r.product_id.as_u128()).collect()
}

#[test]
fn a_family_gets_a_reasoned_choice_within_budget() {
    let mut n = needs(&["云南"], Some(350_000));
    n.party.children = 1;
    n.preferences = vec![Tag::Culture, Tag::Family];
    let mut family = tour(1, 11, "云南", day(10), 6, 328_000);
    family.package.tags = vec![Tag::Culture, Tag::Family];
    let plain = tour(2, 21, "云南", day(12), 5, 298_000);
    let elsewhere = tour(3, 31, "海南", day(12), 5, 198_000);
    let out = recommend(
        &n,
        &[
            Candidate::Tour(plain),
            Candidate::Tour(elsewhere),
            Candidate::Tour(family),
        ],
    )
    .unwrap();
    assert_eq!(ids(&out), [1, 2]);
    let best = &out[0];
    // 2 × 3,280 + 1,640 for the child = 8,200 for three: 2,733.34 each.
    assert_eq!(best.total_fen, 820_000);
    assert_eq!(best.per_person_fen, 273_334);
    assert_eq!(best.within_budget, Some(true));
    assert_eq!(best.departure_id, Some(Uuid::from_u128(11)));
    assert_eq!((best.start, best.end), (day(10), day(15)));
    let points: Vec<(ScoreKind, i32)> =
        best.components.iter().map(|c| (c.kind, c.points)).collect();
    assert_eq!(
        points,
        [
            (ScoreKind::Destination, 40),
            (ScoreKind::Preferences, 30),
            (ScoreKind::Budget, 20),
            (ScoreKind::PartyFit, 5),
        ]
    );
    assert_eq!(best.score, 95);
    assert_eq!(
        best.reason,
        "云南6日游(云南);5月11日出发6天,余位20;人均¥2,733.34在预算内;符合偏好:文化体验、亲子;适合带孩子"
    );
}

#[test]
fn within_budget_ranks_above_a_better_match_over_budget() {
    let mut n = needs(&["云南"], Some(300_000));
    n.preferences = vec![Tag::Adventure];
    let mut dear = tour(1, 11, "云南", day(5), 4, 310_000);
    dear.package.tags = vec![Tag::Adventure];
    let cheap = tour(2, 21, "云南", day(5), 4, 290_000);
    let out = recommend(&n, &[Candidate::Tour(dear), Candidate::Tour(cheap)]).unwrap();
    assert_eq!(ids(&out), [2, 1]);
    assert_eq!(out[1].within_budget, Some(false));
    assert!(out[1].score > out[0].score);
    assert!(out[1].reason.contains("超出预算¥100"), "{}", out[1].reason);
}

#[test]
fn price_earns_no_points_within_budget() {
    let n = needs(&["云南"], Some(1_000_000));
    // The same product at two prices, both within budget: same score; the earlier date and
    // then the id decide, not the price.
    let cheap = tour(2, 21, "云南", day(5), 4, 100_000);
    let dear = tour(1, 11, "云南", day(5), 4, 900_000);
    let out = recommend(&n, &[Candidate::Tour(cheap), Candidate::Tour(dear)]).unwrap();
    assert_eq!(out[0].score, out[1].score);
    assert_eq!(ids(&out), [1, 2]);
    let later_dear = tour(3, 31, "云南", day(6), 4, 900_000);
    let out = recommend(
        &n,
        &[
            Candidate::Tour(later_dear),
            Candidate::Tour(tour(4, 41, "云南", day(5), 4, 100_000)),
        ],
    )
    .unwrap();
    assert_eq!(ids(&out), [4, 3]);
}

#[test]
fn over_budget_points_fall_with_price() {
    let n = needs(&[], Some(100_000));
    let points = |adult: i64| {
        let out = recommend(
            &n,
            &[Candidate::Tour(tour(1, 11, "云南", day(5), 2, adult))],
        )
        .unwrap();
        out[0].components[2].points
    };
    assert_eq!(points(100_000), 20);
    assert_eq!(points(100_001), 16);
    assert_eq!(points(110_000), 16);
    assert_eq!(points(150_000), 0);
    assert_eq!(points(200_000), -20);
    assert_eq!(points(10_000_000), -40);
    let zero = needs(&[], Some(0));
    let out = recommend(&zero, &[Candidate::Tour(tour(1, 11, "云南", day(5), 2, 1))]).unwrap();
    assert_eq!(out[0].components[2].points, -40);
}

#[test]
fn hard_constraints_drop_candidates() {
    let n = needs(&[], None);
    // Outside the window: starts before, or returns after.
    let early = tour(1, 11, "云南", day(-1), 2, 100_000);
    let late = tour(2, 21, "云南", day(29), 3, 100_000);
    let fits = tour(3, 31, "云南", day(28), 3, 100_000);
    let mut sold_out = tour(4, 41, "云南", day(3), 3, 100_000);
    sold_out.seats_left = 1;
    let out = recommend(&n, &[early, late, fits, sold_out].map(Candidate::Tour)).unwrap();
    assert_eq!(ids(&out), [3]);

    // Wheelchair and diets.
    let mut n = needs(&[], None);
    n.wheelchair = true;
    n.diets = vec![Diet::Halal];
    let mut ok = tour(1, 11, "宁夏", day(3), 3, 100_000);
    ok.package.accessibility.wheelchair = true;
    ok.package.diets = vec![Diet::Halal, Diet::Vegetarian];
    let mut no_ramp = ok.clone();
    no_ramp.package.id = Uuid::from_u128(2);
    no_ramp.departure.package_id = no_ramp.package.id;
    no_ramp.package.accessibility.wheelchair = false;
    let mut no_halal = ok.clone();
    no_halal.package.id = Uuid::from_u128(3);
    no_halal.departure.package_id = no_halal.package.id;
    no_halal.package.diets = vec![Diet::Vegetarian];
    let out = recommend(&n, &[no_ramp, no_halal, ok].map(Candidate::Tour)).unwrap();
    assert_eq!(ids(&out), [1]);
    assert!(
        out[0].reason.ends_with("轮椅可通行;可安排清真餐食"),
        "{}",
        out[0].reason
    );
}

#[test]
fn a_stay_needs_enough_rooms_for_the_party() {
    let mut n = needs(&["大理"], None);
    n.party.adults = 5;
    // Two guests a room: five need three rooms.
    let mut tight = stay(1, "大理", day(2), 2, 96_000);
    tight.rooms_free = 2;
    let roomy = stay(2, "大理", day(2), 2, 96_000);
    let out = recommend(&n, &[Candidate::Stay(tight), Candidate::Stay(roomy)]).unwrap();
    assert_eq!(ids(&out), [2]);
    assert_eq!(out[0].rooms, Some(3));
    assert_eq!(out[0].total_fen, 288_000);
    assert_eq!(out[0].per_person_fen, 57_600);
    assert_eq!(out[0].departure_id, None);
    assert_eq!(
        out[0].reason,
        "苍山小院·洱海景观大床房(大理);5月3日入住2晚,需3间(空3间);人均¥576"
    );
}

#[test]
fn keywords_must_match_something() {
    let n = needs(&["洱海", "  "], None);
    let by_keyword = stay(1, "大理", day(2), 2, 96_000);
    let mut unrelated = stay(2, "三亚", day(2), 2, 96_000);
    unrelated.keywords = vec!["海棠湾".into()];
    unrelated.room_type.name = "海景房".into();
    let out = recommend(
        &n,
        &[Candidate::Stay(by_keyword), Candidate::Stay(unrelated)],
    )
    .unwrap();
    assert_eq!(ids(&out), [1]);
    assert_eq!(out[0].components[0].points, 25);
    // A request that runs places together finds the destination inside it.
    let n = needs(&["去大理玩几天"], None);
    let out = recommend(&n, &[Candidate::Stay(stay(1, "大理", day(2), 2, 96_000))]).unwrap();
    assert_eq!(out[0].components[0].points, 40);
    // Case-insensitive for Latin letters.
    let n = needs(&["OKINAWA"], None);
    let out = recommend(
        &n,
        &[Candidate::Tour(tour(1, 11, "Okinawa", day(2), 2, 100_000))],
    )
    .unwrap();
    assert_eq!(out[0].components[0].points, 40);
}

#[test]
fn at_most_three_products_one_offer_each() {
    let n = needs(&[], None);
    let mut all = vec![];
    for pkg in 1..=5u128 {
        for dep in 0..3u128 {
            all.push(Candidate::Tour(tour(
                pkg,
                pkg * 10 + dep,
                "云南",
                day(10 - dep as i32),
                2,
                100_000,
            )));
        }
    }
    let out = recommend(&n, &all).unwrap();
    assert_eq!(ids(&out), [1, 2, 3]);
    // Each product's earliest departure is its offer.
    assert!(out.iter().all(|r| r.start == day(8)));
}

#[test]
fn bad_needs_name_the_field() {
    let mut n = needs(&[], None);
    n.party = Party::default();
    assert_eq!(recommend(&n, &[]).unwrap_err().field(), Some("party"));
    let mut n = needs(&[], Some(-1));
    assert_eq!(
        recommend(&n, &[]).unwrap_err().field(),
        Some("budget_per_person")
    );
    n.budget_per_person = None;
    n.window.latest = day(-1);
    assert_eq!(
        recommend(&n, &[]).unwrap_err().field(),
        Some("window.latest")
    );
}

#[test]
fn invalid_candidates_are_never_offered() {
    let n = needs(&[], None);
    let mut free = tour(1, 11, "云南", day(3), 2, 100_000);
    free.departure.prices.adult = 0;
    let mut orphan = tour(2, 21, "云南", day(3), 2, 100_000);
    orphan.departure.package_id = Uuid::from_u128(99);
    let mut zero_room = stay(3, "大理", day(2), 2, 0);
    zero_room.price_per_room_fen = 0;
    let out = recommend(
        &n,
        &[
            Candidate::Tour(free),
            Candidate::Tour(orphan),
            Candidate::Stay(zero_room),
        ],
    )
    .unwrap();
    assert!(out.is_empty());
}

// --- properties -------------------------------------------------------------------------

const PLACES: [&str; 3] = ["云南", "海南", "日本"];
/// What customers say: places, a run-together place, words of the products' keywords.
const WORDS: [&str; 6] = ["云南", "海南", "日本", "云南大理", "古城", "洱海"];

fn arb_tags() -> impl Strategy<Value = Vec<Tag>> {
    proptest::sample::subsequence(Tag::ALL.to_vec(), 0..=3)
}

fn arb_diets() -> impl Strategy<Value = Vec<Diet>> {
    proptest::sample::subsequence(Diet::ALL.to_vec(), 0..=4)
}

fn arb_needs() -> impl Strategy<Value = Needs> {
    (
        proptest::sample::subsequence(WORDS.to_vec(), 0..=2),
        (0i32..20, 3i32..60),
        proptest::option::of(0i64..600_000),
        (0u32..4, 0u32..3, 0u32..3),
        arb_tags(),
        any::<bool>(),
        proptest::sample::subsequence(Diet::ALL.to_vec(), 0..=1),
    )
        .prop_map(
            |(k, (from, len), budget, (a, c, s), prefs, wheelchair, diets)| Needs {
                keywords: k.into_iter().map(String::from).collect(),
                window: DateWindow {
                    earliest: day(from),
                    latest: day(from + len),
                },
                budget_per_person: budget,
                party: Party {
                    adults: a,
                    children: c,
                    seniors: s,
                },
                preferences: prefs,
                wheelchair,
                diets,
            },
        )
}

fn arb_candidate(index: u128) -> impl Strategy<Value = Candidate> {
    let common = (
        0usize..3,
        0i32..50,
        1i32..6,
        0u32..12,
        1i64..400_000,
        arb_tags(),
        arb_diets(),
        (any::<bool>(), any::<bool>()),
    );
    (any::<bool>(), 1u128..5, common).prop_map(
        move |(is_tour, pkg, (place, start, len, free, price, tags, diets, (wheel, easy)))| {
            let place = PLACES[place];
            if is_tour {
                let mut t = tour(pkg, 1000 + index, place, day(start), len as u16, price);
                t.seats_left = free;
                t.package.tags = tags;
                t.package.diets = diets;
                t.package.accessibility = Accessibility {
                    wheelchair: wheel,
                    easy_walking: easy,
                };
                Candidate::Tour(t)
            } else {
                let mut s = stay(2000 + index, place, day(start), len, price);
                s.rooms_free = free;
                s.tags = tags;
                s.diets = diets;
                s.room_type.accessibility = Accessibility {
                    wheelchair: wheel,
                    easy_walking: easy,
                };
                Candidate::Stay(s)
            }
        },
    )
}

fn arb_candidates() -> impl Strategy<Value = Vec<Candidate>> {
    (0usize..12).prop_flat_map(|n| (0..n as u128).map(arb_candidate).collect::<Vec<_>>())
}

/// The hard constraints and the relevance rule, written out again independently of the
/// code under test: whole trip in the window, room for the party, wheelchair, every diet,
/// one keyword matched when any was given.
fn acceptable(n: &Needs, c: &Candidate) -> bool {
    let size = n.party.size();
    let destination = match c {
        Candidate::Tour(t) => t.package.destination.as_str(),
        Candidate::Stay(s) => s.destination.as_str(),
    };
    let (start, end, fits, wheel, diets, words) = match c {
        Candidate::Tour(t) => (
            t.departure.date,
            t.departure.return_date(t.package.itinerary.len() as u16),
            t.seats_left >= size,
            t.package.accessibility.wheelchair,
            &t.package.diets,
            [
                vec![t.package.destination.clone(), t.package.name.clone()],
                t.package.keywords.clone(),
            ]
            .concat(),
        ),
        Candidate::Stay(s) => (
            s.check_in,
            s.check_out,
            s.rooms_free * s.room_type.max_occupancy >= size,
            s.room_type.accessibility.wheelchair,
            &s.diets,
            [
                vec![
                    s.destination.clone(),
                    s.property_name.clone(),
                    s.room_type.name.clone(),
                ],
                s.keywords.clone(),
            ]
            .concat(),
        ),
    };
    n.window.earliest <= start
        && end <= n.window.latest
        && fits
        && (!n.wheelchair || wheel)
        && n.diets.iter().all(|d| diets.contains(d))
        && (n.keywords.is_empty()
            || n.keywords
                .iter()
                .any(|k| words.iter().any(|w| w.contains(k.as_str())) || k.contains(destination)))
}

fn offered<'a>(r: &Recommendation, candidates: &'a [Candidate]) -> Vec<&'a Candidate> {
    candidates
        .iter()
        .filter(|c| match c {
            Candidate::Tour(t) => Some(t.departure.id) == r.departure_id,
            Candidate::Stay(s) => r.departure_id.is_none() && s.room_type.id == r.product_id,
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn recommendations_keep_every_rule(n in arb_needs(), cs in arb_candidates()) {
        let out = match recommend(&n, &cs) {
            Ok(out) => out,
            Err(e) => {
                prop_assert_eq!(n.validate(), Err(e));
                return Ok(());
            }
        };
        prop_assert!(out.len() <= MAX_RECOMMENDATIONS);
        for (i, r) in out.iter().enumerate() {
            let from = offered(r, &cs);
            prop_assert_eq!(from.len(), 1);
            prop_assert!(acceptable(&n, from[0]), "{:?} breaks a hard constraint of {:?}", from[0], n);
            prop_assert!(!r.reason.trim().is_empty());
            prop_assert!(!r.reason.contains('\n'));
            prop_assert_eq!(r.score, r.components.iter().map(|c| c.points).sum::<i32>());
            prop_assert!(out[..i].iter().all(|o| o.product_id != r.product_id));
            if i > 0 {
                // Within budget first; then the score, never rising down the list.
                let prev = &out[i - 1];
                let key = |r: &Recommendation| (r.within_budget.unwrap_or(true), r.score);
                prop_assert!(key(prev) >= key(r));
            }
        }
        // Nothing suitable is missed: if any candidate is acceptable, something is offered;
        // fewer than three only when fewer acceptable products exist.
        let mut acceptable_products: Vec<Uuid> = cs
            .iter()
            .filter(|c| acceptable(&n, c))
            .map(|c| match c {
                Candidate::Tour(t) => t.package.id,
                Candidate::Stay(s) => s.room_type.id,
            })
            .collect();
        acceptable_products.sort();
        acceptable_products.dedup();
        prop_assert_eq!(out.len(), acceptable_products.len().min(MAX_RECOMMENDATIONS));
    }

    /// Raising a price never raises the score or any of its components.
    #[test]
    fn price_never_earns_points(n in arb_needs(), c in arb_candidate(0), extra in 1i64..1_000_000) {
        prop_assume!(n.validate().is_ok());
        let dearer = match c.clone() {
            Candidate::Tour(mut t) => {
                t.departure.prices.adult += extra;
                t.departure.prices.child += extra;
                t.departure.prices.senior += extra;
                Candidate::Tour(t)
            }
            Candidate::Stay(mut s) => {
                s.price_per_room_fen += extra;
                Candidate::Stay(s)
            }
        };
        let a = recommend(&n, &[c]).unwrap();
        let b = recommend(&n, &[dearer]).unwrap();
        prop_assert_eq!(a.len(), b.len());
        if let (Some(a), Some(b)) = (a.first(), b.first()) {
            prop_assert!(b.score <= a.score);
            for (x, y) in a.components.iter().zip(&b.components) {
                prop_assert!(y.points <= x.points);
            }
        }
    }
}
