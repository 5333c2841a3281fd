use super::*;
use crate::calendar::china_time_zone;
use jiff::civil::date;
use proptest::prelude::*;

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

/// A context in which every guard of `step` passes: before the hold's expiry for confirm,
/// after it for expire, on the start day for change and cancel, on the end day for complete.
fn passing(step: BookingStep) -> StepContext {
    let expires = ts("2026-05-01T04:00:00Z");
    let (now, today) = match step {
        BookingStep::Expire => (expires, date(2026, 5, 1)),
        BookingStep::Complete => (ts("2026-05-07T02:00:00Z"), date(2026, 5, 7)),
        BookingStep::Change | BookingStep::Cancel => (ts("2026-05-03T02:00:00Z"), date(2026, 5, 3)),
        BookingStep::Confirm => (ts("2026-05-01T03:59:59Z"), date(2026, 5, 1)),
    };
    StepContext {
        now,
        today,
        hold_expires_at: Some(expires),
        starts_on: date(2026, 5, 3),
        ends_on: date(2026, 5, 7),
    }
}

/// The whole table: every step from every state is the documented transition, or a
/// `NotAllowed` error naming the step and listing exactly the allowed steps.
#[test]
fn every_state_and_step() {
    use BookingState::*;
    use BookingStep::*;
    let table: &[(BookingState, BookingStep, Option<BookingState>)] = &[
        (Held, Confirm, Some(Confirmed)),
        (Held, Change, None),
        (Held, Complete, None),
        (Held, Cancel, Some(Cancelled)),
        (Held, Expire, Some(Expired)),
        (Confirmed, Confirm, None),
        (Confirmed, Change, Some(Changed)),
        (Confirmed, Complete, Some(Completed)),
        (Confirmed, Cancel, Some(Cancelled)),
        (Confirmed, Expire, None),
        (Changed, Confirm, None),
        (Changed, Change, Some(Changed)),
        (Changed, Complete, Some(Completed)),
        (Changed, Cancel, Some(Cancelled)),
        (Changed, Expire, None),
        (Completed, Confirm, None),
        (Completed, Change, None),
        (Completed, Complete, None),
        (Completed, Cancel, None),
        (Completed, Expire, None),
        (Cancelled, Confirm, None),
        (Cancelled, Change, None),
        (Cancelled, Complete, None),
        (Cancelled, Cancel, None),
        (Cancelled, Expire, None),
        (Expired, Confirm, None),
        (Expired, Change, None),
        (Expired, Complete, None),
        (Expired, Cancel, None),
        (Expired, Expire, None),
    ];
    assert_eq!(
        table.len(),
        BookingState::ALL.len() * BookingStep::ALL.len()
    );
    for state in BookingState::ALL {
        for step in BookingStep::ALL {
            let expected = table
                .iter()
                .find(|(s, st, _)| *s == state && *st == step)
                .map(|(_, _, to)| *to)
                .expect("every pair is in the table");
            assert_eq!(step.target(state), expected, "{step} from {state}");
            let result = transition(state, step, &passing(step));
            match expected {
                Some(to) => assert_eq!(result, Ok(to), "{step} from {state}"),
                None => {
                    let err = result.unwrap_err();
                    assert_eq!(err.step(), Some(step));
                    assert_eq!(err.code(), "booking.invalid_transition");
                    assert!(err.to_string().contains(step.as_str()), "{err}");
                    match err {
                        LifecycleError::NotAllowed {
                            state: s, allowed, ..
                        } => {
                            assert_eq!(s, state);
                            assert_eq!(allowed, next_steps(state));
                            assert!(!allowed.contains(&step));
                        }
                        other => panic!("{step} from {state}: {other:?}"),
                    }
                }
            }
        }
    }
}

#[test]
fn effects_of_each_transition() {
    use BookingEffect::*;
    for state in BookingState::ALL {
        for step in BookingStep::ALL {
            let e = effects(state, step);
            if step.target(state).is_none() {
                assert!(e.is_empty(), "{step} from {state}");
                continue;
            }
            // Inventory is released exactly when the booking stops holding it.
            let released = e.contains(&ReleaseInventory);
            assert_eq!(
                released,
                !step.target(state).unwrap().holds_inventory(),
                "{step} from {state}"
            );
        }
    }
    assert_eq!(
        effects(BookingState::Held, BookingStep::Confirm),
        vec![
            StorePolicy,
            IssueConfirmationNumber,
            StartClock("booking.confirmation")
        ]
    );
    assert!(crate::sla::SlaTarget::default_for(CONFIRMATION_TARGET).is_some());
    assert_eq!(
        effects(BookingState::Confirmed, BookingStep::Cancel),
        vec![ReleaseInventory, ComputeRefund]
    );
    assert_eq!(
        effects(BookingState::Held, BookingStep::Cancel),
        vec![ReleaseInventory, ReturnPayments]
    );
    assert_eq!(
        effects(BookingState::Changed, BookingStep::Change),
        vec![MoveInventory, RefundExcess, RegenerateDocuments]
    );
}

#[test]
fn final_states_allow_nothing_and_only_cancelling_or_expiring_frees_inventory() {
    for state in BookingState::ALL {
        assert_eq!(state.is_final(), next_steps(state).is_empty(), "{state}");
        assert_eq!(
            state.holds_inventory(),
            !matches!(state, BookingState::Cancelled | BookingState::Expired),
            "{state}"
        );
    }
}

#[test]
fn names_round_trip() {
    for s in BookingState::ALL {
        assert_eq!(BookingState::parse(s.as_str()), Some(s));
        assert_eq!(
            serde_json::to_string(&s).unwrap(),
            format!("\"{}\"", s.as_str())
        );
    }
    for s in BookingStep::ALL {
        assert_eq!(BookingStep::parse(s.as_str()), Some(s));
        assert_eq!(
            serde_json::to_string(&s).unwrap(),
            format!("\"{}\"", s.as_str())
        );
    }
    for k in HoldKind::ALL {
        assert_eq!(HoldKind::parse(k.as_str()), Some(k));
    }
    assert_eq!(BookingState::parse("booked"), None);
}

#[test]
fn a_hold_cannot_be_confirmed_at_or_after_its_expiry() {
    let mut ctx = passing(BookingStep::Confirm);
    let expires = ctx.hold_expires_at.unwrap();
    ctx.now = expires;
    assert_eq!(
        transition(BookingState::Held, BookingStep::Confirm, &ctx),
        Err(LifecycleError::HoldExpired {
            step: BookingStep::Confirm,
            expired_at: expires
        })
    );
    ctx.now = expires - SignedDuration::from_secs(1);
    assert_eq!(
        transition(BookingState::Held, BookingStep::Confirm, &ctx),
        Ok(BookingState::Confirmed)
    );
}

#[test]
fn a_hold_expires_only_at_its_instant() {
    let mut ctx = passing(BookingStep::Expire);
    let expires = ctx.hold_expires_at.unwrap();
    ctx.now = expires - SignedDuration::from_secs(1);
    let err = transition(BookingState::Held, BookingStep::Expire, &ctx).unwrap_err();
    assert_eq!(err.code(), "booking.hold_still_open");
    ctx.hold_expires_at = None;
    ctx.now = expires;
    assert_eq!(
        transition(BookingState::Held, BookingStep::Expire, &ctx),
        Err(LifecycleError::HoldStillOpen {
            step: BookingStep::Expire,
            expires_at: None
        })
    );
}

#[test]
fn change_and_cancel_allowed_up_to_the_start_day() {
    for step in [BookingStep::Change, BookingStep::Cancel] {
        let mut ctx = passing(step);
        ctx.today = ctx.starts_on;
        assert!(transition(BookingState::Confirmed, step, &ctx).is_ok());
        ctx.today = ctx.starts_on.tomorrow().unwrap();
        assert_eq!(
            transition(BookingState::Confirmed, step, &ctx),
            Err(LifecycleError::AlreadyStarted {
                step,
                starts_on: ctx.starts_on
            })
        );
    }
    // A hold can be let go even after its start day (nothing was promised).
    let mut ctx = passing(BookingStep::Cancel);
    ctx.today = date(2026, 6, 1);
    assert_eq!(
        transition(BookingState::Held, BookingStep::Cancel, &ctx),
        Ok(BookingState::Cancelled)
    );
}

#[test]
fn complete_only_from_the_end_day() {
    let mut ctx = passing(BookingStep::Complete);
    ctx.today = ctx.ends_on.yesterday().unwrap();
    assert_eq!(
        transition(BookingState::Changed, BookingStep::Complete, &ctx),
        Err(LifecycleError::NotEnded {
            step: BookingStep::Complete,
            ends_on: ctx.ends_on
        })
    );
    ctx.today = ctx.ends_on;
    assert_eq!(
        transition(BookingState::Changed, BookingStep::Complete, &ctx),
        Ok(BookingState::Completed)
    );
}

#[test]
fn checkout_hold_expires_minutes_later() {
    let zone = china_time_zone();
    let hold = Hold::Checkout { minutes: 15 };
    let at = ts("2026-05-01T02:00:00Z");
    assert_eq!(
        hold.expires_at(at, &zone, date(2026, 5, 3)).unwrap(),
        ts("2026-05-01T02:15:00Z")
    );
    assert_eq!(hold.payment_deadline(at, &zone, date(2026, 5, 3)), Ok(None));
    // On the start day itself a checkout hold is still possible.
    assert!(hold.expires_at(at, &zone, date(2026, 5, 1)).is_ok());
    assert_eq!(
        hold.expires_at(at, &zone, date(2026, 4, 30))
            .map_err(|e| e.code()),
        Err("booking.bad_hold")
    );
}

#[test]
fn deposit_hold_runs_to_the_end_of_its_deadline_day_in_beijing() {
    let zone = china_time_zone();
    let hold = Hold::Deposit { days: 3 };
    // 2026-05-01 23:30 in Beijing is 15:30 UTC: the hold's own date is 1 May, local.
    let at = ts("2026-05-01T15:30:00Z");
    let starts = date(2026, 6, 1);
    assert_eq!(
        hold.payment_deadline(at, &zone, starts),
        Ok(Some(date(2026, 5, 4)))
    );
    // Expires at midnight starting 5 May, Beijing time = 4 May 16:00 UTC.
    assert_eq!(
        hold.expires_at(at, &zone, starts).unwrap(),
        ts("2026-05-04T16:00:00Z")
    );
}

#[test]
fn deposit_deadline_never_reaches_the_start_day() {
    let zone = china_time_zone();
    let hold = Hold::Deposit { days: 7 };
    let at = ts("2026-05-01T02:00:00Z"); // 10:00 on 1 May in Beijing
    assert_eq!(
        hold.payment_deadline(at, &zone, date(2026, 5, 4)),
        Ok(Some(date(2026, 5, 3)))
    );
    assert_eq!(
        hold.payment_deadline(at, &zone, date(2026, 5, 2)),
        Ok(Some(date(2026, 5, 1)))
    );
    let err = hold
        .payment_deadline(at, &zone, date(2026, 5, 1))
        .unwrap_err();
    assert!(matches!(
        err,
        LifecycleError::BadHold {
            kind: HoldKind::Deposit,
            ..
        }
    ));
}

#[test]
fn hold_lengths_are_bounded() {
    for (hold, ok) in [
        (Hold::Checkout { minutes: 0 }, false),
        (Hold::Checkout { minutes: 1 }, true),
        (Hold::Checkout { minutes: 1440 }, true),
        (Hold::Checkout { minutes: 1441 }, false),
        (Hold::Deposit { days: 0 }, false),
        (Hold::Deposit { days: 1 }, true),
        (Hold::Deposit { days: 90 }, true),
        (Hold::Deposit { days: 91 }, false),
    ] {
        assert_eq!(hold.validate().is_ok(), ok, "{hold:?}");
    }
    assert_eq!(
        serde_json::to_string(&Hold::Deposit { days: 3 }).unwrap(),
        r#"{"kind":"deposit","days":3}"#
    );
}

proptest! {
    /// A hold never expires before it was taken, a checkout hold exactly on time, and a
    /// deposit hold's payment deadline is before the start and not before the hold's date.
    #[test]
    fn holds_expire_after_they_are_taken(
        secs in 1_700_000_000i64..1_900_000_000,
        lead in 0i64..200,
        minutes in 1u32..=1440,
        days in 1u32..=90,
    ) {
        let zone = china_time_zone();
        let at = Timestamp::from_second(secs).unwrap();
        let held_on = zone.to_datetime(at).date();
        let starts = held_on.checked_add(lead.days()).unwrap();
        let c = Hold::Checkout { minutes }.expires_at(at, &zone, starts).unwrap();
        prop_assert_eq!(c.duration_since(at), SignedDuration::from_mins(i64::from(minutes)));
        let deposit = Hold::Deposit { days };
        match deposit.payment_deadline(at, &zone, starts) {
            Ok(Some(deadline)) => {
                prop_assert!(deadline >= held_on && deadline < starts);
                let e = deposit.expires_at(at, &zone, starts).unwrap();
                prop_assert!(e > at);
                prop_assert_eq!(zone.to_datetime(e).date(), deadline.tomorrow().unwrap());
            }
            Ok(None) => prop_assert!(false, "a deposit hold has a deadline"),
            Err(_) => prop_assert_eq!(lead, 0),
        }
    }
}
