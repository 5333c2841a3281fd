//! Validators (each rule, the field it names), party and stay prices, weekend and holiday
//! nights, yuan formatting.

use jiff::civil::{date, Date, Weekday};
use proptest::prelude::*;
use uuid::Uuid;

use super::*;

pub(super) fn package(name: &str, destination: &str, days: u16) -> TourPackage {
    TourPackage {
        id: Uuid::from_u128(1),
        name: name.into(),
        destination: destination.into(),
        keywords: vec!["古城".into()],
        scope: TourScope::Domestic,
        tags: vec![Tag::Culture, Tag::Leisure],
        accessibility: Accessibility::default(),
        diets: vec![Diet::Vegetarian],
        itinerary: (1..=days)
            .map(|d| ItineraryDay {
                day: d,
                title: format!("第{d}天"),
                description: "自由活动".into(),
            })
            .collect(),
        inclusions: vec!["往返机票".into()],
        exclusions: vec!["单房差".into()],
        fees: vec![
            FeeItem {
                label: "交通".into(),
                amount_fen: 150_000,
            },
            FeeItem {
                label: "住宿".into(),
                amount_fen: 100_000,
            },
        ],
        accommodation: "四星酒店双人间".into(),
        transport: "飞机+旅游大巴".into(),
        meals: "5早4正".into(),
        notes: String::new(),
    }
}

pub(super) fn departure(on: Date, seats: u32) -> Departure {
    Departure {
        id: Uuid::from_u128(100),
        package_id: Uuid::from_u128(1),
        date: on,
        seats,
        min_group: 1,
        go_no_go: on.checked_sub(jiff::Span::new().days(7)).unwrap(),
        prices: CategoryPrices {
            adult: 328_000,
            child: 198_000,
            senior: 298_000,
        },
        meeting_time: "07:30".into(),
        meeting_point: "昆明长水国际机场 3号门".into(),
        guide_name: String::new(),
        guide_phone: String::new(),
    }
}

pub(super) fn room() -> RoomType {
    RoomType {
        id: Uuid::from_u128(200),
        property_id: Uuid::from_u128(201),
        name: "洱海景观大床房".into(),
        max_occupancy: 2,
        facilities: vec!["独立卫浴".into(), "观景阳台".into()],
        accessibility: Accessibility::default(),
        base_rate: 48_000,
        weekend_rate: Some(58_000),
        holiday_rate: Some(88_000),
    }
}

/// Turns a sound value into one that breaks a rule.
type Breaker<T> = Box<dyn Fn(&mut T)>;

fn field_of(r: Result<(), CatalogError>) -> Option<&'static str> {
    r.err().and_then(|e| e.field())
}

#[test]
fn a_sound_package_departure_and_room_pass() {
    let p = package("大理丽江6日游", "云南", 6);
    p.validate().unwrap();
    departure(date(2026, 3, 20), 30).validate(p.scope).unwrap();
    room().validate().unwrap();
    assert_eq!(p.fee_total(), Ok(250_000));
    assert_eq!(p.days(), 6);
}

#[test]
fn package_rules_name_their_field() {
    let ok = package("大理丽江6日游", "云南", 6);
    let cases: Vec<(&str, Breaker<TourPackage>)> = vec![
        ("package.name", Box::new(|p| p.name = "  ".into())),
        ("package.destination", Box::new(|p| p.destination.clear())),
        ("package.itinerary", Box::new(|p| p.itinerary.clear())),
        (
            "package.itinerary",
            Box::new(|p| {
                let day = p.itinerary[0].clone();
                p.itinerary = (1..=61)
                    .map(|d| ItineraryDay {
                        day: d,
                        ..day.clone()
                    })
                    .collect();
            }),
        ),
        (
            "package.itinerary.day",
            Box::new(|p| p.itinerary[1].day = 3),
        ),
        (
            "package.itinerary.day",
            Box::new(|p| p.itinerary[0].day = 0),
        ),
        (
            "package.itinerary.title",
            Box::new(|p| p.itinerary[2].title.clear()),
        ),
        (
            "package.inclusions",
            Box::new(|p| p.inclusions.push(" ".into())),
        ),
        (
            "package.exclusions",
            Box::new(|p| p.exclusions.push("".into())),
        ),
        ("package.keywords", Box::new(|p| p.keywords.push("".into()))),
        ("package.tags", Box::new(|p| p.tags.push(Tag::Culture))),
        (
            "package.diets",
            Box::new(|p| p.diets.push(Diet::Vegetarian)),
        ),
        ("package.fees.label", Box::new(|p| p.fees[0].label.clear())),
        (
            "package.fees.amount_fen",
            Box::new(|p| p.fees[1].amount_fen = -1),
        ),
    ];
    for (field, break_it) in cases {
        let mut p = ok.clone();
        break_it(&mut p);
        assert_eq!(field_of(p.validate()), Some(field), "{p:?}");
    }
    let mut p = ok.clone();
    p.fees = vec![
        FeeItem {
            label: "a".into(),
            amount_fen: i64::MAX,
        },
        FeeItem {
            label: "b".into(),
            amount_fen: 1,
        },
    ];
    assert_eq!(p.validate(), Err(CatalogError::Overflow));
}

#[test]
fn departure_rules_name_their_field() {
    let on = date(2026, 5, 1);
    let ok = departure(on, 30);
    let cases: Vec<(&str, Breaker<Departure>)> = vec![
        ("departure.seats", Box::new(|d| d.seats = 0)),
        ("departure.seats", Box::new(|d| d.seats = 1000)),
        ("departure.min_group", Box::new(|d| d.min_group = 0)),
        ("departure.min_group", Box::new(|d| d.min_group = 31)),
        (
            "departure.go_no_go",
            Box::new(|d| d.go_no_go = date(2026, 4, 25)),
        ),
        ("departure.prices.adult", Box::new(|d| d.prices.adult = 0)),
        ("departure.prices.child", Box::new(|d| d.prices.child = -1)),
        (
            "departure.prices.senior",
            Box::new(|d| d.prices.senior = -1),
        ),
        (
            "departure.guide_name",
            Box::new(|d| d.guide_phone = "139 0000 1234".into()),
        ),
        (
            "departure.guide_phone",
            Box::new(|d| d.guide_name = "李导".into()),
        ),
    ];
    for (field, break_it) in cases {
        let mut d = ok.clone();
        break_it(&mut d);
        assert_eq!(field_of(d.validate(TourScope::Domestic)), Some(field));
    }
    // min_group == seats is allowed; free children are allowed.
    let mut d = ok.clone();
    d.min_group = 30;
    d.prices.child = 0;
    d.validate(TourScope::Domestic).unwrap();
}

#[test]
fn a_guide_is_a_name_and_a_phone_to_reach_them() {
    let mut d = departure(date(2026, 5, 1), 30);
    d.set_guide("  李明（领队） ", " +86 139-0000-1234 ")
        .unwrap();
    assert_eq!(
        (d.guide_name.as_str(), d.guide_phone.as_str()),
        ("李明（领队）", "+86 139-0000-1234")
    );
    d.validate(TourScope::Domestic).unwrap();
    // Taken off again: both empty.
    d.set_guide("", "  ").unwrap();
    assert!(d.guide_name.is_empty() && d.guide_phone.is_empty());
    let (long_phone, long_name) = ("1".repeat(31), "李".repeat(41));
    let refused = [
        ("李导", "", "departure.guide_phone", "required"),
        ("", "13900001234", "departure.guide_name", "required"),
        ("李导", "call me", "departure.guide_phone", "invalid"),
        ("李导", "1234", "departure.guide_phone", "invalid"),
        (
            "李导",
            "0871-6000 0000 转 8",
            "departure.guide_phone",
            "invalid",
        ),
        (
            "李导",
            long_phone.as_str(),
            "departure.guide_phone",
            "too_long",
        ),
        (
            long_name.as_str(),
            "13900001234",
            "departure.guide_name",
            "too_long",
        ),
        (
            "李\u{7}导",
            "13900001234",
            "departure.guide_name",
            "control_character",
        ),
    ];
    for (name, phone, field, rule) in refused {
        let before = d.clone();
        assert_eq!(
            d.set_guide(name, phone),
            Err(CatalogError::Invalid { field, rule }),
            "{name} {phone}"
        );
        assert_eq!(d, before, "a refused guide changes nothing");
    }
    d.set_guide("王芳", "0871-6000 0000").unwrap();
}

#[test]
fn go_no_go_notice_is_7_days_domestic_and_30_outbound() {
    let on = date(2026, 5, 1);
    let mut d = departure(on, 10);
    for (scope, days) in [(TourScope::Domestic, 7), (TourScope::Outbound, 30)] {
        assert_eq!(scope.go_no_go_notice_days(), days);
        d.go_no_go = on.checked_sub(jiff::Span::new().days(days)).unwrap();
        d.validate(scope).unwrap();
        d.go_no_go = d.go_no_go.tomorrow().unwrap();
        assert_eq!(field_of(d.validate(scope)), Some("departure.go_no_go"));
    }
}

#[test]
fn party_rules() {
    let p = |adults, children, seniors| Party {
        adults,
        children,
        seniors,
    };
    assert_eq!(field_of(p(0, 0, 0).validate()), Some("party"));
    assert_eq!(field_of(p(0, 2, 0).validate()), Some("party.children"));
    assert_eq!(field_of(p(999, 1, 0).validate()), Some("party"));
    p(0, 1, 1).validate().unwrap();
    p(0, 0, 1).validate().unwrap();
    assert_eq!(p(u32::MAX, u32::MAX, 1).size(), u32::MAX);
}

#[test]
fn a_party_pays_each_traveler_at_their_category_price() {
    let d = departure(date(2026, 5, 1), 30);
    let party = Party {
        adults: 2,
        children: 1,
        seniors: 2,
    };
    assert_eq!(d.price_for(&party), Ok(2 * 328_000 + 198_000 + 2 * 298_000));
    assert_eq!(
        d.price_for(&Party::default()),
        Err(CatalogError::invalid("party", "empty"))
    );
    let mut dear = d.clone();
    dear.prices.adult = i64::MAX / 2;
    let two = Party {
        adults: 3,
        ..Party::default()
    };
    assert_eq!(dear.price_for(&two), Err(CatalogError::Overflow));
}

#[test]
fn return_date_counts_the_departure_day() {
    let d = departure(date(2026, 5, 1), 30);
    assert_eq!(d.return_date(1), date(2026, 5, 1));
    assert_eq!(d.return_date(0), date(2026, 5, 1));
    assert_eq!(d.return_date(6), date(2026, 5, 6));
}

#[test]
fn room_rules_name_their_field() {
    let ok = room();
    let cases: Vec<(&str, Breaker<RoomType>)> = vec![
        ("room_type.name", Box::new(|r| r.name.clear())),
        ("room_type.max_occupancy", Box::new(|r| r.max_occupancy = 0)),
        (
            "room_type.max_occupancy",
            Box::new(|r| r.max_occupancy = 21),
        ),
        (
            "room_type.facilities",
            Box::new(|r| r.facilities.push(" ".into())),
        ),
        ("room_type.base_rate", Box::new(|r| r.base_rate = 0)),
        (
            "room_type.weekend_rate",
            Box::new(|r| r.weekend_rate = Some(0)),
        ),
        (
            "room_type.holiday_rate",
            Box::new(|r| r.holiday_rate = Some(-5)),
        ),
    ];
    for (field, break_it) in cases {
        let mut r = ok.clone();
        break_it(&mut r);
        assert_eq!(field_of(r.validate()), Some(field));
    }
}

/// Ordinary weeks: Saturday and Sunday rest; 2026-10-01..=07 a holiday; Sunday 2026-10-11
/// a make-up working day (调休).
fn calendar(d: Date) -> DayKind {
    if d >= date(2026, 10, 1) && d <= date(2026, 10, 7) {
        DayKind::Holiday
    } else if d == date(2026, 10, 11) {
        DayKind::Working
    } else if matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday) {
        DayKind::RestDay
    } else {
        DayKind::Working
    }
}

#[test]
fn friday_and_saturday_nights_are_weekend_nights() {
    // Thursday 2026-03-05 to Monday 03-09: Thu (before Fri, working), Fri, Sat, Sun (before
    // Monday, working).
    let q = room()
        .stay_price(date(2026, 3, 5), date(2026, 3, 9), calendar)
        .unwrap();
    let fen: Vec<i64> = q.nights.iter().map(|n| n.fen).collect();
    assert_eq!(fen, [48_000, 58_000, 58_000, 48_000]);
    assert_eq!(q.total_fen, 212_000);
    assert_eq!(q.nights[0].date, date(2026, 3, 5));
}

#[test]
fn holiday_nights_and_make_up_days_follow_the_calendar() {
    // 09-30 (before Thursday 10-01, a holiday) .. 10-06 are holiday nights; 10-07 and 10-08
    // come before working days; Friday 10-09 before a Saturday; Saturday 10-10 before Sunday
    // 10-11, a make-up working day.
    let q = room()
        .stay_price(date(2026, 9, 30), date(2026, 10, 11), calendar)
        .unwrap();
    let kinds: Vec<DayKind> = q.nights.iter().map(|n| n.kind).collect();
    use DayKind::*;
    assert_eq!(
        kinds,
        [
            Holiday, Holiday, Holiday, Holiday, Holiday, Holiday, Holiday, Working, Working,
            RestDay, Working
        ]
    );
    assert_eq!(q.total_fen, 7 * 88_000 + 3 * 48_000 + 58_000);
}

#[test]
fn missing_rates_fall_back() {
    let mut r = room();
    r.holiday_rate = None;
    assert_eq!(r.rate(DayKind::Holiday), 58_000);
    r.weekend_rate = None;
    assert_eq!(r.rate(DayKind::Holiday), 48_000);
    assert_eq!(r.rate(DayKind::RestDay), 48_000);
}

#[test]
fn stay_dates_are_checked() {
    let r = room();
    let d = date(2026, 3, 5);
    let err = |a, b| r.stay_price(a, b, calendar).unwrap_err().field();
    assert_eq!(err(d, d), Some("check_out"));
    assert_eq!(err(d, date(2026, 3, 4)), Some("check_out"));
    assert_eq!(err(d, date(2026, 6, 4)), Some("check_out"));
    let q = r.stay_price(d, date(2026, 6, 3), calendar).unwrap();
    assert_eq!(q.nights.len(), MAX_STAY_NIGHTS as usize);
}

#[test]
fn yuan_formats_fen() {
    assert_eq!(yuan(0), "¥0");
    assert_eq!(yuan(328_000), "¥3,280");
    assert_eq!(yuan(328_050), "¥3,280.50");
    assert_eq!(yuan(123_456_789), "¥1,234,567.89");
    assert_eq!(yuan(-5), "-¥0.05");
    assert_eq!(yuan(100_000_000), "¥1,000,000");
}

#[test]
fn enum_names_round_trip() {
    for k in TourScope::ALL {
        assert_eq!(TourScope::parse(k.as_str()), Some(k));
    }
    for k in Tag::ALL {
        assert_eq!(Tag::parse(k.as_str()), Some(k));
        assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
    }
    for k in Diet::ALL {
        assert_eq!(Diet::parse(k.as_str()), Some(k));
        assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
    }
    for k in TravelerCategory::ALL {
        assert_eq!(TravelerCategory::parse(k.as_str()), Some(k));
    }
    assert_eq!(Tag::parse("luxury"), None);
}

proptest! {
    /// A stay's total is the sum of its nights, one night per date, each at one of the
    /// room's rates; and splitting a stay in two costs the same.
    #[test]
    fn stay_total_is_the_sum_of_its_nights(start in 0i32..700, len in 1i32..60, cut in 1i32..60) {
        let r = room();
        let a = date(2026, 1, 1).checked_add(jiff::Span::new().days(start)).unwrap();
        let b = a.checked_add(jiff::Span::new().days(len)).unwrap();
        let q = r.stay_price(a, b, calendar).unwrap();
        prop_assert_eq!(q.nights.len() as i32, len);
        prop_assert_eq!(q.total_fen, q.nights.iter().map(|n| n.fen).sum::<i64>());
        for n in &q.nights {
            prop_assert_eq!(n.fen, r.rate(calendar(n.date.tomorrow().unwrap())));
        }
        if cut < len {
            let m = a.checked_add(jiff::Span::new().days(cut)).unwrap();
            let left = r.stay_price(a, m, calendar).unwrap().total_fen;
            let right = r.stay_price(m, b, calendar).unwrap().total_fen;
            prop_assert_eq!(left + right, q.total_fen);
        }
    }
}
