use super::*;
use jiff::civil::date;
use jiff::SignedDuration;
use proptest::prelude::*;

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

/// A stay from Monday 3 May 2027 to Friday 7 May (four nights).
const CHECK_IN: Date = date(2027, 5, 3);
const CHECK_OUT: Date = date(2027, 5, 7);

fn facts(state: BookingState, arrived: bool, registered: bool) -> ArrivalFacts {
    ArrivalFacts {
        state,
        span: Some((CHECK_IN, CHECK_OUT)),
        arrived_at: arrived.then(|| ts("2027-05-03T07:00:00Z")),
        registered_at: registered.then(|| ts("2027-05-03T07:03:00Z")),
        welcome_pack_at: None,
    }
}

/// Where "today" falls against the stay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum On {
    WeekBefore,
    Eve,
    CheckIn,
    MidStay,
    LastNight,
    CheckOut,
    AfterCheckOut,
}

const DAYS: [On; 7] = [
    On::WeekBefore,
    On::Eve,
    On::CheckIn,
    On::MidStay,
    On::LastNight,
    On::CheckOut,
    On::AfterCheckOut,
];

fn on(d: On) -> Date {
    match d {
        On::WeekBefore => date(2027, 4, 26),
        On::Eve => date(2027, 5, 2),
        On::CheckIn => CHECK_IN,
        On::MidStay => date(2027, 5, 5),
        On::LastNight => date(2027, 5, 6),
        On::CheckOut => CHECK_OUT,
        On::AfterCheckOut => date(2027, 5, 8),
    }
}

/// The table of the module documentation, written out: the code refusing `step`, or `None`.
fn expected(
    step: ArrivalStep,
    state: BookingState,
    arrived: bool,
    registered: bool,
    day: On,
) -> Option<&'static str> {
    use BookingState::*;
    let live = matches!(state, Confirmed | Changed);
    match step {
        ArrivalStep::Arrive => {
            if arrived {
                Some("booking.already_arrived")
            } else if !live {
                Some("booking.not_confirmed")
            } else {
                match day {
                    On::WeekBefore | On::Eve => Some("booking.before_check_in"),
                    On::CheckIn | On::MidStay | On::LastNight => None,
                    On::CheckOut | On::AfterCheckOut => Some("booking.after_check_out"),
                }
            }
        }
        ArrivalStep::Register => {
            if registered {
                Some("booking.already_registered")
            } else if !live {
                Some("booking.not_confirmed")
            } else if !arrived {
                Some("booking.not_arrived")
            } else {
                None
            }
        }
    }
}

/// Every step from every state, arrived or not, registered or not, on every kind of day.
#[test]
fn every_state_fact_day_and_step() {
    let mut allowed = 0;
    for state in BookingState::ALL {
        for arrived in [false, true] {
            for registered in [false, true] {
                let f = facts(state, arrived, registered);
                for day in DAYS {
                    for step in ArrivalStep::ALL {
                        let got = f.check(step, on(day));
                        let want = expected(step, state, arrived, registered, day);
                        assert_eq!(
                            got.as_ref().err().map(|e| e.code()),
                            want,
                            "{step} {state} arrived={arrived} registered={registered} {day:?}: {got:?}"
                        );
                        assert_eq!(
                            f.allowed(on(day)).contains(&step),
                            want.is_none(),
                            "allowed() agrees with check()"
                        );
                        if want.is_none() {
                            allowed += 1;
                        }
                    }
                }
            }
        }
    }
    // Arrive: 2 live states × not arrived × 2 registered flags × 3 days; register: 2 live
    // states × arrived × not registered × 7 days.
    assert_eq!(allowed, 2 * 2 * 3 + 2 * 7);
}

#[test]
fn the_day_before_check_in_is_refused_and_the_last_night_is_not() {
    let f = facts(BookingState::Confirmed, false, false);
    assert_eq!(
        f.check(ArrivalStep::Arrive, date(2027, 5, 2)),
        Err(ArrivalError::BeforeCheckIn { check_in: CHECK_IN })
    );
    assert_eq!(f.check(ArrivalStep::Arrive, CHECK_IN), Ok(()));
    assert_eq!(f.check(ArrivalStep::Arrive, date(2027, 5, 6)), Ok(()));
    assert_eq!(
        f.check(ArrivalStep::Arrive, CHECK_OUT),
        Err(ArrivalError::AfterCheckOut {
            check_out: CHECK_OUT
        })
    );
    // A changed booking arrives like a confirmed one.
    let changed = facts(BookingState::Changed, false, false);
    assert_eq!(changed.check(ArrivalStep::Arrive, CHECK_IN), Ok(()));
}

#[test]
fn a_booking_without_a_room_has_no_arrival() {
    let tour = ArrivalFacts {
        span: None,
        ..facts(BookingState::Confirmed, false, false)
    };
    for step in ArrivalStep::ALL {
        for day in DAYS {
            assert_eq!(
                tour.check(step, on(day)),
                Err(ArrivalError::NotLodging { step })
            );
        }
    }
    assert!(tour.allowed(CHECK_IN).is_empty());
}

#[test]
fn arrival_then_registration_records_each_once() {
    let now = ts("2027-05-03T07:00:00Z");
    let f = facts(BookingState::Confirmed, false, false);
    let arrived = f.apply(ArrivalAction::Arrive, now, CHECK_IN).unwrap();
    assert_eq!(arrived.arrived_at, Some(now));
    assert_eq!(arrived.registered_at, None);
    assert_eq!(arrived.allowed(CHECK_IN), vec![ArrivalStep::Register]);
    assert_eq!(
        arrived.apply(ArrivalAction::Arrive, now, CHECK_IN),
        Err(ArrivalError::AlreadyArrived { at: now })
    );

    let later = now + SignedDuration::from_mins(4);
    let done = arrived
        .apply(
            ArrivalAction::Register { welcome_pack: true },
            later,
            CHECK_IN,
        )
        .unwrap();
    assert_eq!(done.registered_at, Some(later));
    assert_eq!(done.welcome_pack_at, Some(later), "given with registration");
    assert_eq!(done.arrived_at, Some(now), "arrival kept");
    assert!(done.allowed(CHECK_IN).is_empty());
    assert_eq!(
        done.apply(
            ArrivalAction::Register {
                welcome_pack: false
            },
            later,
            CHECK_IN
        ),
        Err(ArrivalError::AlreadyRegistered { at: later })
    );

    let without_pack = arrived
        .apply(
            ArrivalAction::Register {
                welcome_pack: false,
            },
            later,
            CHECK_IN,
        )
        .unwrap();
    assert_eq!(without_pack.welcome_pack_at, None);
}

#[test]
fn registration_needs_an_arrival_first() {
    let f = facts(BookingState::Confirmed, false, false);
    assert_eq!(
        f.apply(
            ArrivalAction::Register { welcome_pack: true },
            ts("2027-05-03T07:00:00Z"),
            CHECK_IN
        ),
        Err(ArrivalError::NotArrived)
    );
}

#[test]
fn registration_after_midnight_on_the_check_out_day_is_recorded() {
    let f = facts(BookingState::Confirmed, true, false);
    assert_eq!(f.check(ArrivalStep::Register, CHECK_OUT), Ok(()));
}

#[test]
fn a_registration_is_never_recorded_before_the_arrival() {
    let arrived_at = ts("2027-05-03T07:00:00Z");
    let f = facts(BookingState::Confirmed, true, false);
    let lagging = arrived_at - SignedDuration::from_secs(3);
    let done = f
        .apply(
            ArrivalAction::Register { welcome_pack: true },
            lagging,
            CHECK_IN,
        )
        .unwrap();
    assert_eq!(done.registered_at, Some(arrived_at));
    assert_eq!(done.welcome_pack_at, Some(arrived_at));
}

#[test]
fn the_span_covers_every_room_line() {
    let a = Stay::new(date(2027, 5, 3), date(2027, 5, 5)).unwrap();
    let b = Stay::new(date(2027, 5, 4), date(2027, 5, 8)).unwrap();
    assert_eq!(ArrivalFacts::span_of([]), None);
    assert_eq!(
        ArrivalFacts::span_of([a]),
        Some((date(2027, 5, 3), date(2027, 5, 5)))
    );
    assert_eq!(
        ArrivalFacts::span_of([b, a]),
        Some((date(2027, 5, 3), date(2027, 5, 8)))
    );
}

#[test]
fn effects_codes_and_names() {
    assert_eq!(
        ArrivalStep::Arrive.effect(),
        ArrivalEffect::StartClock("checkin.registration")
    );
    assert_eq!(
        ArrivalStep::Register.effect(),
        ArrivalEffect::MeetClock("checkin.registration")
    );
    let target = crate::sla::SlaTarget::default_for(REGISTRATION_TARGET).unwrap();
    assert_eq!(
        (target.kind, target.amount),
        (crate::sla::ClockKind::CalendarHours, 5),
        "5 minutes of wall time"
    );
    for s in ArrivalStep::ALL {
        assert_eq!(ArrivalStep::parse(s.as_str()), Some(s));
        assert_eq!(
            serde_json::to_string(&s).unwrap(),
            format!("\"{}\"", s.as_str())
        );
        assert_eq!(
            ArrivalAction::Register { welcome_pack: true }.step(),
            ArrivalStep::Register
        );
    }
    let errors = [
        ArrivalError::NotLodging {
            step: ArrivalStep::Arrive,
        },
        ArrivalError::NotConfirmed {
            step: ArrivalStep::Arrive,
            state: BookingState::Held,
        },
        ArrivalError::BeforeCheckIn { check_in: CHECK_IN },
        ArrivalError::AfterCheckOut {
            check_out: CHECK_OUT,
        },
        ArrivalError::AlreadyArrived {
            at: ts("2027-05-03T07:00:00Z"),
        },
        ArrivalError::NotArrived,
        ArrivalError::AlreadyRegistered {
            at: ts("2027-05-03T07:00:00Z"),
        },
    ];
    let codes: Vec<_> = errors.iter().map(|e| e.code()).collect();
    assert_eq!(codes, ArrivalError::CODES);
    for e in &errors {
        assert!(e.code().starts_with("booking."));
        assert!(!e.to_string().is_empty());
    }
}

fn state() -> impl Strategy<Value = BookingState> {
    prop::sample::select(BookingState::ALL.to_vec())
}

fn action() -> impl Strategy<Value = ArrivalAction> {
    prop_oneof![
        Just(ArrivalAction::Arrive),
        any::<bool>().prop_map(|welcome_pack| ArrivalAction::Register { welcome_pack }),
    ]
}

proptest! {
    /// Whatever is tried in whatever order: a registration always follows an arrival, no
    /// earlier than it; each is recorded at most once; a welcome pack only with a
    /// registration; nothing is ever recorded on a booking that is not confirmed.
    #[test]
    fn any_sequence_keeps_the_order_and_records_once(
        state in state(),
        tries in prop::collection::vec((action(), 0i64..600, -10i32..15), 0..12),
    ) {
        let mut f = facts(state, false, false);
        let mut now = ts("2027-05-01T00:00:00Z");
        let mut recorded = (0, 0);
        for (a, secs, day) in tries {
            now += SignedDuration::from_secs(secs);
            let today = CHECK_IN.checked_add(jiff::Span::new().days(day)).unwrap();
            if let Ok(next) = f.apply(a, now, today) {
                    prop_assert!(matches!(state, BookingState::Confirmed | BookingState::Changed));
                    match a {
                        ArrivalAction::Arrive => {
                            prop_assert!(f.arrived_at.is_none());
                            prop_assert!(today >= CHECK_IN && today < CHECK_OUT);
                            recorded.0 += 1;
                        }
                        ArrivalAction::Register { welcome_pack } => {
                            prop_assert!(f.registered_at.is_none());
                            prop_assert_eq!(next.welcome_pack_at.is_some(), welcome_pack);
                            recorded.1 += 1;
                        }
                    }
                    f = next;
            }
            if let Some(r) = f.registered_at {
                prop_assert!(f.arrived_at.is_some_and(|a| a <= r));
            }
            if let Some(w) = f.welcome_pack_at {
                prop_assert_eq!(Some(w), f.registered_at);
            }
        }
        prop_assert!(recorded.0 <= 1 && recorded.1 <= recorded.0);
    }
}
