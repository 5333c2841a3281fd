use super::*;
use crate::bookings::refund::FULL_BP;
use crate::bookings::{LodgingCharge, LodgingPreset, LodgingTerms, TourTerms, TripScope};
use jiff::civil::date;
use jiff::ToSpan;
use proptest::prelude::*;

fn start() -> Date {
    date(2026, 10, 1)
}

fn day(offset: i64) -> Date {
    start().checked_add(offset.days()).unwrap()
}

fn sum(lines: &[RefundLine]) -> i64 {
    lines.iter().map(|l| l.amount_fen).sum()
}

fn tour(free: bool) -> PolicyTerms {
    let mut t = TourTerms::model_2014(TripScope::Domestic);
    t.free_postponement = free;
    PolicyTerms::Tour(t)
}

fn lodging(preset: LodgingPreset, free: bool) -> PolicyTerms {
    PolicyTerms::Lodging(LodgingTerms {
        preset,
        free_postponement: free,
    })
}

fn policies() -> Vec<PolicyTerms> {
    vec![
        tour(true),
        tour(false),
        PolicyTerms::Tour(TourTerms::model_2014(TripScope::Outbound)),
        lodging(
            LodgingPreset::FreeUntil {
                days: 1,
                then: LodgingCharge::FirstNight,
            },
            false,
        ),
        lodging(LodgingPreset::FirstNight, true),
        lodging(LodgingPreset::NonRefundable, false),
    ]
}

#[test]
fn codes_round_trip() {
    for c in RemedyChoice::ALL {
        assert_eq!(RemedyChoice::parse(c.as_str()), Some(c));
        assert_eq!(RemedyState::from(c).chosen(), Some(c));
    }
    for s in RemedyState::ALL {
        assert_eq!(RemedyState::parse(s.as_str()), Some(s));
    }
    for v in RemedyVia::ALL {
        assert_eq!(RemedyVia::parse(v.as_str()), Some(v));
    }
    assert_eq!(RemedyState::parse("chosen"), None);
    assert_eq!(RemedyChoice::parse("cancel"), None);
}

/// Every incident state × scope × booking state × start day before, on and after today.
#[test]
fn eligibility_over_every_case() {
    for incident in [IncidentState::Open, IncidentState::Closed] {
        for in_scope in [true, false] {
            for state in BookingState::ALL {
                for offset in [-3, -1, 0, 1, 30] {
                    let starts_on = day(offset);
                    let got = eligibility(incident, in_scope, state, starts_on, start());
                    let want = if incident == IncidentState::Closed {
                        Err(Ineligible::IncidentClosed)
                    } else if !in_scope {
                        Err(Ineligible::NotInScope)
                    } else if matches!(
                        state,
                        BookingState::Completed | BookingState::Cancelled | BookingState::Expired
                    ) {
                        Err(Ineligible::BookingClosed(state))
                    } else if offset < 0 {
                        Err(Ineligible::Started(starts_on))
                    } else {
                        Ok(())
                    };
                    assert_eq!(got, want, "{incident:?} {in_scope} {state} {offset}");
                }
            }
        }
    }
    // The start day itself is still offered (a cancellation that day is allowed).
    assert_eq!(
        eligibility(
            IncidentState::Open,
            true,
            BookingState::Changed,
            start(),
            start()
        ),
        Ok(())
    );
    assert_eq!(Ineligible::Started(start()).code(), "started");
}

/// Every offer state × booking state × choice × start day: a choice is recorded once, the
/// same again is a no-op, another is refused naming the first.
#[test]
fn choosing_over_every_case() {
    for offer in RemedyState::ALL {
        for booking in BookingState::ALL {
            for choice in RemedyChoice::ALL {
                for offset in [-1, 0, 5] {
                    let facts = OfferFacts {
                        offer,
                        booking,
                        starts_on: day(offset),
                        today: start(),
                    };
                    let got = choose(&facts, choice);
                    let want = match offer {
                        RemedyState::Withdrawn => Err(RemedyError::Withdrawn),
                        RemedyState::Refund | RemedyState::Postpone => {
                            let chosen = offer.chosen().unwrap();
                            if chosen == choice {
                                Ok(ChoiceStep::Repeat)
                            } else {
                                Err(RemedyError::AlreadyChosen { chosen })
                            }
                        }
                        RemedyState::Offered if booking.is_final() => {
                            Err(RemedyError::BookingClosed(booking))
                        }
                        RemedyState::Offered if offset < 0 => {
                            Err(RemedyError::Started(day(offset)))
                        }
                        RemedyState::Offered => Ok(ChoiceStep::Record),
                    };
                    assert_eq!(got, want, "{offer:?} {booking} {choice:?} {offset}");
                }
            }
        }
    }
}

#[test]
fn a_repeat_is_a_no_op_and_a_change_of_mind_is_refused() {
    let facts = |offer| OfferFacts {
        offer,
        booking: BookingState::Cancelled,
        starts_on: start(),
        today: start(),
    };
    // The refund cancelled the booking: choosing the refund again changes nothing …
    assert_eq!(
        choose(&facts(RemedyState::Refund), RemedyChoice::Refund),
        Ok(ChoiceStep::Repeat)
    );
    // … and a postponement afterwards is refused with a clear code.
    let e = choose(&facts(RemedyState::Refund), RemedyChoice::Postpone).unwrap_err();
    assert_eq!(
        e,
        RemedyError::AlreadyChosen {
            chosen: RemedyChoice::Refund
        }
    );
    assert_eq!(e.code(), "remedy.already_chosen");
    assert_eq!(RemedyError::Withdrawn.code(), "remedy.withdrawn");
    assert!(RemedyState::Offered.withdrawn_by_cancel());
    for s in [
        RemedyState::Refund,
        RemedyState::Postpone,
        RemedyState::Withdrawn,
    ] {
        assert!(!s.withdrawn_by_cancel(), "{s:?} stays on record");
    }
}

#[test]
fn a_confirmed_tour_is_refunded_in_full_and_postponed_free_by_the_model_contract() {
    let terms = tour(true);
    let b = RemedyBooking {
        state: BookingState::Confirmed,
        starts_on: start(),
        total_fen: 256_000,
        paid_fen: 256_000,
        policy: Some(&terms),
    };
    // Two days before departure the traveler's own cancellation would cost 40 %; force
    // majeure returns everything.
    let o = RemedyOptions::of(&b, day(-2)).unwrap();
    assert_eq!(o.refund.refund_fen, 256_000);
    assert_eq!(o.refund.withheld_fen, 0);
    assert_eq!(sum(&o.refund.lines), 256_000);
    assert!(o.postponement.free);
    assert_eq!(o.postponement.credit_fen, 256_000);
    assert_eq!(sum(&o.postponement.lines), 256_000);
    assert!(o.postponement.lines[1].label_zh.contains("免费延期"));

    let strict = tour(false);
    let o = RemedyOptions::of(
        &RemedyBooking {
            policy: Some(&strict),
            ..b
        },
        day(-2),
    )
    .unwrap();
    assert!(!o.postponement.free);
    assert!(o.postponement.lines[1].label_zh.contains("由旅游者承担"));
}

#[test]
fn a_hold_gets_back_what_was_paid_and_moves_free() {
    let deposit = RemedyBooking {
        state: BookingState::Held,
        starts_on: start(),
        total_fen: 90_000,
        paid_fen: 30_000,
        policy: None,
    };
    let o = RemedyOptions::of(&deposit, day(-10)).unwrap();
    assert_eq!(o.refund.refund_fen, 30_000);
    assert!(o.postponement.free);
    let nothing_paid = RemedyOptions::of(
        &RemedyBooking {
            paid_fen: 0,
            ..deposit
        },
        day(-10),
    )
    .unwrap();
    assert_eq!(nothing_paid.refund.refund_fen, 0);
    assert_eq!(nothing_paid.postponement.credit_fen, 0);
}

#[test]
fn money_paid_beyond_the_total_comes_back_too() {
    let terms = tour(true);
    let o = RemedyOptions::of(
        &RemedyBooking {
            state: BookingState::Changed,
            starts_on: start(),
            total_fen: 100_000,
            paid_fen: 120_000,
            policy: Some(&terms),
        },
        day(-1),
    )
    .unwrap();
    assert_eq!(o.refund.refund_fen, 120_000);
    assert_eq!(sum(&o.refund.lines), 120_000);
    assert_eq!(o.postponement.credit_fen, 120_000);
}

#[test]
fn options_after_the_start_or_of_a_negative_payment_are_refused() {
    let terms = tour(true);
    let b = RemedyBooking {
        state: BookingState::Confirmed,
        starts_on: start(),
        total_fen: 1_000,
        paid_fen: 1_000,
        policy: Some(&terms),
    };
    assert!(matches!(
        RemedyOptions::of(&b, day(1)),
        Err(RefundError::AfterStart { .. })
    ));
    assert!(matches!(
        RemedyOptions::of(&RemedyBooking { paid_fen: -1, ..b }, day(-1)),
        Err(RefundError::BadAmount { .. })
    ));
}

proptest! {
    /// For any policy, payment and day up to the start: the refund offered is exactly what
    /// cancelling for force majeure refunds (so the quote and the refund record agree), which
    /// is everything paid; its lines add up; the postponement carries everything over, free
    /// exactly when the policy says so.
    #[test]
    fn the_offer_is_the_force_majeure_cancellation(
        which in 0usize..6,
        total in 0i64..10_000_000,
        share in 0u32..=FULL_BP,
        before in 0i64..120,
        confirmed in any::<bool>(),
    ) {
        let terms = policies()[which].clone();
        let paid = crate::bookings::share_of(total, share);
        let state = if confirmed { BookingState::Confirmed } else { BookingState::Changed };
        let today = day(-before);
        let b = RemedyBooking { state, starts_on: start(), total_fen: total, paid_fen: paid,
                                policy: Some(&terms) };
        let o = RemedyOptions::of(&b, today).unwrap();
        let cancel = compute_refund(
            &terms,
            &RefundCase { total_fen: total, paid_fen: paid, first_night_fen: None,
                          starts_on: start(), cancelled_on: today },
            &Cause::ForceMajeure { unrecoverable: Vec::new() },
        ).unwrap();
        prop_assert_eq!(&o.refund, &cancel);
        prop_assert_eq!(o.refund.refund_fen, paid);
        prop_assert_eq!(sum(&o.refund.lines), o.refund.refund_fen);
        prop_assert_eq!(o.postponement.credit_fen, paid);
        prop_assert_eq!(sum(&o.postponement.lines), paid);
        prop_assert_eq!(o.postponement.free, terms.free_postponement());
        if terms.free_postponement() {
            let p = crate::bookings::postpone(
                &terms,
                &RefundCase { total_fen: total, paid_fen: paid, first_night_fen: None,
                              starts_on: start(), cancelled_on: today },
                &[],
            ).unwrap();
            prop_assert_eq!(p.credit_fen, o.postponement.credit_fen);
            prop_assert_eq!(&p.lines, &o.postponement.lines);
        }
    }

    /// Whatever happens in between, an offer records at most one choice: any sequence of
    /// choices applied through [`choose`] leaves the first one recorded, refuses every
    /// other choice and repeats the same one as no-ops.
    #[test]
    fn one_choice_per_offer(choices in proptest::collection::vec(any::<bool>(), 1..12)) {
        let mut offer = RemedyState::Offered;
        let mut first = None;
        for refund in choices {
            let c = if refund { RemedyChoice::Refund } else { RemedyChoice::Postpone };
            let facts = OfferFacts { offer, booking: BookingState::Confirmed,
                                     starts_on: start(), today: start() };
            match choose(&facts, c) {
                Ok(ChoiceStep::Record) => {
                    prop_assert!(first.is_none());
                    first = Some(c);
                    offer = c.into();
                }
                Ok(ChoiceStep::Repeat) => prop_assert_eq!(first, Some(c)),
                Err(RemedyError::AlreadyChosen { chosen }) => {
                    prop_assert_eq!(Some(chosen), first);
                    prop_assert_ne!(chosen, c);
                }
                Err(e) => prop_assert!(false, "unexpected {e:?}"),
            }
        }
        prop_assert_eq!(offer.chosen(), first);
    }
}
