use super::*;
use crate::bookings::{CauseKind, LodgingPreset, LodgingTerms, PolicyTerms, TourTerms, TripScope};
use jiff::civil::date;
use proptest::prelude::*;

fn room(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

fn stay(from: Date, to: Date) -> Stay {
    Stay::new(from, to).unwrap()
}

fn room_line(line_no: u32, room_id: Uuid, from: Date, to: Date, price_fen: i64) -> BookingLine {
    BookingLine {
        line_no,
        item: LineItem::Room {
            room_id,
            stay: stay(from, to),
        },
        price_fen,
    }
}

fn party(adults: u32, children: u32, seniors: u32) -> Party {
    Party {
        adults,
        children,
        seniors,
    }
}

fn seats_line(line_no: u32, departure_id: Uuid, p: Party, price_fen: i64) -> BookingLine {
    BookingLine {
        line_no,
        item: LineItem::Seats {
            departure_id,
            party: p,
        },
        price_fen,
    }
}

/// A room line (201, 1–3 May, ¥960) and a seats line (2 adults, ¥2,560).
fn booking() -> Vec<BookingLine> {
    vec![
        room_line(1, room(201), date(2027, 5, 1), date(2027, 5, 3), 96_000),
        seats_line(2, room(900), party(2, 0, 0), 256_000),
    ]
}

fn ctx() -> QuoteContext {
    QuoteContext {
        today: date(2027, 4, 1),
        starts_on: date(2027, 5, 1),
        arrived: false,
    }
}

/// `items` priced: rooms at `night` fen a night, seats at 128,000 an adult and 68,000 a child.
fn priced(items: &[LineItem]) -> Vec<Priced> {
    items
        .iter()
        .map(|item| match item {
            LineItem::Room { stay, .. } => Priced {
                item: item.clone(),
                price_fen: 50_000 * i64::from(stay.nights()),
                first_day: stay.check_in(),
                last_day: stay.check_out(),
            },
            LineItem::Seats { party, .. } => Priced {
                item: item.clone(),
                price_fen: 128_000 * i64::from(party.adults)
                    + 68_000 * i64::from(party.children)
                    + 98_000 * i64::from(party.seniors),
                first_day: date(2027, 5, 2),
                last_day: date(2027, 5, 3),
            },
        })
        .collect()
}

fn change(line_no: u32) -> LineChange {
    LineChange {
        line_no,
        ..Default::default()
    }
}

#[test]
fn a_change_rewrites_the_fields_given_and_keeps_the_others() {
    let current = booking();
    let items = apply_changes(
        &current,
        &[LineChange {
            check_out: Some(date(2027, 5, 4)),
            ..change(1)
        }],
    )
    .unwrap();
    assert_eq!(
        items[0],
        LineItem::Room {
            room_id: room(201),
            stay: stay(date(2027, 5, 1), date(2027, 5, 4))
        }
    );
    assert_eq!(items[1], current[1].item, "a line not named stays");

    let items = apply_changes(
        &current,
        &[
            LineChange {
                party: Some(party(2, 1, 0)),
                departure_id: Some(room(901)),
                ..change(2)
            },
            LineChange {
                room_id: Some(room(202)),
                ..change(1)
            },
        ],
    )
    .unwrap();
    assert_eq!(
        items,
        vec![
            LineItem::Room {
                room_id: room(202),
                stay: stay(date(2027, 5, 1), date(2027, 5, 3))
            },
            LineItem::Seats {
                departure_id: room(901),
                party: party(2, 1, 0)
            },
        ]
    );
}

#[test]
fn a_change_is_refused_naming_the_field_at_fault() {
    let current = booking();
    let refused = |changes: &[LineChange]| apply_changes(&current, changes).unwrap_err();
    let index_of = |_: u32| None;

    let e = refused(&[change(1), change(3)]);
    assert_eq!(e, ChangeError::UnknownLine { index: 1 });
    assert_eq!(
        (e.code(), e.field(index_of).as_str()),
        ("change.unknown_line", "lines[1].line_no")
    );
    let e = refused(&[change(2), change(2)]);
    assert_eq!(e, ChangeError::DuplicateLine { index: 1 });

    for (c, field) in [
        (
            LineChange {
                party: Some(party(1, 0, 0)),
                ..change(1)
            },
            "lines[0].travelers",
        ),
        (
            LineChange {
                departure_id: Some(room(9)),
                ..change(1)
            },
            "lines[0].departure_id",
        ),
        (
            LineChange {
                room_id: Some(room(9)),
                ..change(2)
            },
            "lines[0].room_id",
        ),
        (
            LineChange {
                check_in: Some(date(2027, 5, 1)),
                ..change(2)
            },
            "lines[0].check_in",
        ),
        (
            LineChange {
                check_out: Some(date(2027, 5, 1)),
                ..change(2)
            },
            "lines[0].check_out",
        ),
    ] {
        let e = refused(&[c]);
        assert_eq!(e.code(), "change.wrong_kind");
        assert_eq!(e.field(index_of), field);
    }

    // Check-out before the kept check-in.
    let e = refused(&[LineChange {
        check_out: Some(date(2027, 4, 30)),
        ..change(1)
    }]);
    assert_eq!(
        (e.code(), e.field(index_of).as_str()),
        ("inventory.empty_stay", "lines[0].check_out")
    );
    let e = refused(&[LineChange {
        party: Some(party(0, 2, 0)),
        ..change(2)
    }]);
    assert_eq!(
        (e.code(), e.field(index_of).as_str()),
        ("catalog.invalid", "lines[0].travelers")
    );
    let e = refused(&[LineChange {
        party: Some(party(0, 0, 0)),
        ..change(2)
    }]);
    assert!(matches!(e, ChangeError::Party { .. }));

    // Naming the values the lines already have changes nothing.
    let e = refused(&[
        LineChange {
            room_id: Some(room(201)),
            check_in: Some(date(2027, 5, 1)),
            ..change(1)
        },
        LineChange {
            party: Some(party(2, 0, 0)),
            ..change(2)
        },
    ]);
    assert_eq!(e, ChangeError::Unchanged);
    assert_eq!(
        (e.code(), e.field(index_of).as_str()),
        ("change.unchanged", "lines")
    );
    assert_eq!(refused(&[]), ChangeError::Unchanged);
}

#[test]
fn unchanged_lines_keep_their_price_and_changed_lines_are_priced_today() {
    let current = booking();
    let after = apply_changes(
        &current,
        &[LineChange {
            check_out: Some(date(2027, 5, 5)),
            ..change(1)
        }],
    )
    .unwrap();
    let q = quote(&current, 352_000, &priced(&after), 0, ctx()).unwrap();
    assert_eq!(q.lines.len(), 2);
    assert!(q.lines[0].changed() && !q.lines[1].changed());
    assert_eq!(q.lines[0].before_fen, 96_000);
    assert_eq!(
        q.lines[0].after_fen,
        4 * 50_000,
        "four nights at today's rate"
    );
    assert_eq!(
        q.lines[1].after_fen, 256_000,
        "the seats keep the price they were booked at, not today's"
    );
    assert_eq!(q.fee_fen, 0);
    assert_eq!(q.new_total_fen, 200_000 + 256_000);
    assert_eq!(q.difference_fen, 456_000 - 352_000);
    assert_eq!(
        q.difference_fen,
        q.lines.iter().map(QuoteLine::difference_fen).sum::<i64>()
    );
    assert_eq!(
        (q.starts_on, q.ends_on),
        (date(2027, 5, 1), date(2027, 5, 5))
    );
    assert_eq!(q.changed_lines().count(), 1);

    // Fewer travelers cost less.
    let after = apply_changes(
        &current,
        &[LineChange {
            party: Some(party(1, 0, 0)),
            ..change(2)
        }],
    )
    .unwrap();
    let q = quote(&current, 352_000, &priced(&after), 0, ctx()).unwrap();
    assert_eq!(q.difference_fen, 128_000 - 256_000);
    assert!(q.difference_fen < 0);
}

#[test]
fn a_quote_keeps_the_guards() {
    let current = booking();
    let moved = |check_in: Date, check_out: Date| {
        apply_changes(
            &current,
            &[LineChange {
                check_in: Some(check_in),
                check_out: Some(check_out),
                ..change(1)
            }],
        )
        .unwrap()
    };
    // Before today.
    let late = QuoteContext {
        today: date(2027, 5, 1),
        ..ctx()
    };
    let e = quote(
        &current,
        352_000,
        &priced(&moved(date(2027, 4, 30), date(2027, 5, 2))),
        0,
        late,
    )
    .unwrap_err();
    assert_eq!(e, ChangeError::Past { line_no: 1 });
    assert_eq!(e.field(|n| (n == 1).then_some(0)), "lines[0].check_in");
    assert_eq!(e.field(|_| None), "lines");

    // Arrived guests: the start stays, a room swap on the day is fine.
    let arrived = QuoteContext {
        arrived: true,
        ..ctx()
    };
    let e = quote(
        &current,
        352_000,
        &priced(&moved(date(2027, 5, 2), date(2027, 5, 4))),
        0,
        arrived,
    )
    .unwrap_err();
    assert_eq!(e, ChangeError::Arrived);
    let swap = apply_changes(
        &current,
        &[LineChange {
            room_id: Some(room(202)),
            check_out: Some(date(2027, 5, 4)),
            ..change(1)
        }],
    )
    .unwrap();
    assert!(quote(&current, 352_000, &priced(&swap), 0, arrived).is_ok());

    // Two room lines on one room and night.
    let two = vec![
        room_line(1, room(201), date(2027, 5, 1), date(2027, 5, 3), 96_000),
        room_line(2, room(202), date(2027, 5, 1), date(2027, 5, 3), 96_000),
    ];
    let onto = apply_changes(
        &two,
        &[LineChange {
            room_id: Some(room(201)),
            check_in: Some(date(2027, 5, 2)),
            check_out: Some(date(2027, 5, 4)),
            ..change(2)
        }],
    )
    .unwrap();
    assert_eq!(
        quote(&two, 192_000, &priced(&onto), 0, ctx()).unwrap_err(),
        ChangeError::Overlap { line_no: 2 }
    );
    // Back to back is no overlap.
    let next = apply_changes(
        &two,
        &[LineChange {
            room_id: Some(room(201)),
            check_in: Some(date(2027, 5, 3)),
            check_out: Some(date(2027, 5, 4)),
            ..change(2)
        }],
    )
    .unwrap();
    assert!(quote(&two, 192_000, &priced(&next), 0, ctx()).is_ok());

    // What the caller passes must match the booking's lines.
    let mut wrong = priced(&moved(date(2027, 5, 2), date(2027, 5, 4)));
    wrong.swap(0, 1);
    assert_eq!(
        quote(&current, 352_000, &wrong, 0, ctx()).unwrap_err(),
        ChangeError::Mismatch
    );
    assert_eq!(
        quote(&current, 352_000, &wrong[..1], 0, ctx()).unwrap_err(),
        ChangeError::Mismatch
    );
    let same: Vec<LineItem> = current.iter().map(|l| l.item.clone()).collect();
    assert_eq!(
        quote(&current, 352_000, &priced(&same), 0, ctx()).unwrap_err(),
        ChangeError::Unchanged
    );
    let mut huge = priced(&moved(date(2027, 5, 2), date(2027, 5, 4)));
    huge[0].price_fen = i64::MAX;
    assert_eq!(
        quote(&current, 352_000, &huge, 0, ctx()).unwrap_err(),
        ChangeError::Overflow
    );
}

fn room_only_quote(new_price: i64) -> ChangeQuote {
    let current = vec![room_line(
        1,
        room(201),
        date(2027, 5, 1),
        date(2027, 5, 3),
        100_000,
    )];
    let after = apply_changes(
        &current,
        &[LineChange {
            room_id: Some(room(202)),
            ..change(1)
        }],
    )
    .unwrap();
    let mut p = priced(&after);
    p[0].price_fen = new_price;
    quote(&current, 100_000, &p, 0, ctx()).unwrap()
}

#[test]
fn what_a_change_means_for_the_money_paid() {
    // Dearer: the balance due grows by the difference; nothing goes back.
    let dearer = room_only_quote(130_000);
    assert_eq!(dearer.difference_fen, 30_000);
    assert_eq!(
        dearer.settle(100_000),
        Settlement {
            paid_fen: 100_000,
            balance_due_fen: 30_000,
            refund_fen: 0
        }
    );
    assert_eq!(dearer.refund(100_000, date(2027, 4, 1)), None);

    // Cheaper, paid in full: the excess goes back in full.
    let cheaper = room_only_quote(70_000);
    assert_eq!(cheaper.difference_fen, -30_000);
    let s = cheaper.settle(100_000);
    assert_eq!((s.balance_due_fen, s.refund_fen), (0, 30_000));
    let r = cheaper.refund(100_000, date(2027, 4, 1)).unwrap();
    assert_eq!(r.refund_fen, 30_000);
    assert_eq!(
        r.paid_fen - r.withheld_fen + r.compensation_fen,
        r.refund_fen
    );
    assert_eq!(
        r.lines.iter().map(|l| l.amount_fen).sum::<i64>(),
        r.refund_fen
    );
    assert_eq!(r.lines[0].kind, LineKind::Overpaid);
    assert_eq!(
        r.lines[0].label_zh,
        "预订变更后总额700.00元，已付1000.00元，多付的300.00元全额退还"
    );
    assert_eq!(r.days_before, 30);

    // Cheaper, only a deposit paid: nothing goes back, the balance shrinks.
    let s = cheaper.settle(30_000);
    assert_eq!((s.balance_due_fen, s.refund_fen), (40_000, 0));
    assert_eq!(cheaper.refund(30_000, date(2027, 4, 1)), None);
    // Cheaper, paid a little more than the new total.
    assert_eq!(cheaper.settle(75_000).refund_fen, 5_000);
}

#[test]
fn a_quote_is_stale_once_the_booking_or_a_price_moved() {
    let current = booking();
    let after = apply_changes(
        &current,
        &[LineChange {
            check_out: Some(date(2027, 5, 4)),
            ..change(1)
        }],
    )
    .unwrap();
    let p = priced(&after);
    let q = quote(&current, 352_000, &p, 0, ctx()).unwrap();
    assert!(q.still_for(&current, 352_000));
    assert!(!q.still_for(&current, 352_001));
    let mut other = current.clone();
    other[1].price_fen += 1;
    assert!(!q.still_for(&other, 352_000));
    assert!(!q.still_for(&current[..1], 352_000));

    assert!(q.price_moved(&p).is_empty());
    let mut dearer = p.clone();
    dearer[0].price_fen += 10_000;
    assert_eq!(q.price_moved(&dearer), vec![(1, 150_000, 160_000)]);
    // An unchanged line's price today does not matter: it keeps the booked price.
    let mut seats = p.clone();
    seats[1].price_fen += 10_000;
    assert!(q.price_moved(&seats).is_empty());
}

#[test]
fn no_stored_policy_charges_for_a_change() {
    let tours = TripScope::ALL.map(|s| PolicyTerms::Tour(TourTerms::model_2014(s)));
    let stays = [
        LodgingPreset::FirstNight,
        LodgingPreset::NonRefundable,
        LodgingPreset::FreeUntil {
            days: 1,
            then: crate::bookings::LodgingCharge::FirstNight,
        },
    ]
    .map(|preset| {
        PolicyTerms::Lodging(LodgingTerms {
            preset,
            free_postponement: false,
        })
    });
    assert_eq!(change_fee(None), 0);
    for terms in tours.into_iter().chain(stays) {
        let policy = CancellationPolicy {
            name: "p".into(),
            effective_from: date(2027, 1, 1),
            terms,
        };
        assert_eq!(change_fee(Some(&policy)), 0);
    }
}

#[test]
fn a_change_is_not_a_cancellation_cause() {
    assert!(!CauseKind::Change.cancels());
    assert!(CauseKind::ALL
        .iter()
        .filter(|k| **k != CauseKind::Change)
        .all(|k| k.cancels()));
    let e = crate::bookings::compute_refund(
        &PolicyTerms::Tour(TourTerms::model_2014(TripScope::Domestic)),
        &crate::bookings::RefundCase {
            total_fen: 100,
            paid_fen: 100,
            first_night_fen: None,
            starts_on: date(2027, 5, 1),
            cancelled_on: date(2027, 4, 1),
        },
        &crate::bookings::Cause::Change,
    )
    .unwrap_err();
    assert_eq!(e.code(), "refund.not_a_cancellation");
}

#[test]
fn a_quote_round_trips_as_json() {
    let q = room_only_quote(70_000);
    let json = serde_json::to_string(&q).unwrap();
    assert!(json.contains(r#""kind":"room""#), "{json}");
    assert_eq!(serde_json::from_str::<ChangeQuote>(&json).unwrap(), q);
}

proptest! {
    /// Whatever the prices and the payment: the balance and the refund account for the new
    /// total, the difference is the lines' differences plus the fee, and a refund's lines add
    /// up to it.
    #[test]
    fn the_money_always_adds_up(
        before in 0i64..10_000_000,
        after in 0i64..10_000_000,
        other in 0i64..10_000_000,
        paid in 0i64..30_000_000,
    ) {
        let current = vec![
            room_line(1, room(201), date(2027, 5, 1), date(2027, 5, 3), before),
            seats_line(2, room(900), party(1, 0, 0), other),
        ];
        let items = apply_changes(&current, &[LineChange { room_id: Some(room(202)), ..change(1) }]).unwrap();
        let mut p = priced(&items);
        p[0].price_fen = after;
        let q = quote(&current, before + other, &p, 0, ctx()).unwrap();
        prop_assert_eq!(q.new_total_fen, after + other);
        prop_assert_eq!(q.difference_fen, q.lines.iter().map(QuoteLine::difference_fen).sum::<i64>() + q.fee_fen);
        let s = q.settle(paid);
        prop_assert!(s.balance_due_fen >= 0 && s.refund_fen >= 0);
        prop_assert!(s.balance_due_fen == 0 || s.refund_fen == 0);
        prop_assert_eq!(s.balance_due_fen - s.refund_fen, q.new_total_fen - paid);
        match q.refund(paid, date(2027, 4, 1)) {
            None => prop_assert_eq!(s.refund_fen, 0),
            Some(r) => {
                prop_assert_eq!(r.refund_fen, s.refund_fen);
                prop_assert_eq!(r.lines.iter().map(|l| l.amount_fen).sum::<i64>(), r.refund_fen);
                prop_assert!(paid - r.refund_fen == q.new_total_fen);
            }
        }
    }
}
