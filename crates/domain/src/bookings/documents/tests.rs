use super::*;
use crate::bookings::refund::{LodgingTerms, TourTerms, TripScope};
use jiff::civil::date;
use jiff::ToSpan;

fn ends() -> Date {
    date(2027, 5, 3)
}

#[test]
fn documents_go_to_a_confirmed_booking_until_its_last_day() {
    for state in BookingState::ALL {
        for offset in -3i64..=3 {
            let today = ends().checked_add(offset.days()).unwrap();
            let got = may_send(state, ends(), today);
            let want = match state {
                BookingState::Confirmed | BookingState::Changed if offset <= 0 => Ok(()),
                BookingState::Confirmed | BookingState::Changed => Err(DocumentError::TripOver),
                _ => Err(DocumentError::NotConfirmed),
            };
            assert_eq!(got, want, "{state} on day {offset}");
        }
    }
}

#[test]
fn the_link_opens_while_the_booking_lives_and_30_days_after_the_trip() {
    for state in BookingState::ALL {
        for offset in [-40i64, 0, 1, 29, 30, 31, 365] {
            let today = ends().checked_add(offset.days()).unwrap();
            let got = link_open(state, ends(), today);
            let want = if matches!(state, BookingState::Cancelled | BookingState::Expired) {
                Err(DocumentError::BookingClosed)
            } else if offset > LINK_DAYS_AFTER_TRIP {
                Err(DocumentError::LinkExpired)
            } else {
                Ok(())
            };
            assert_eq!(got, want, "{state} on day {offset}");
        }
    }
    // A booking ending on the last representable day does not overflow.
    assert_eq!(
        link_open(BookingState::Confirmed, Date::MAX, Date::MAX),
        Ok(())
    );
}

/// Every preferred channel (or none) × every set of addresses the customer has × what the
/// outbox delivers: the preferred channel when it can, else the first deliverable one that
/// reaches the customer, with the right reason; never a channel that cannot deliver or reach.
#[test]
fn the_channel_is_the_preferred_one_when_it_delivers_else_a_reachable_one_with_the_reason() {
    let deliverables: [&[CustomerChannel]; 3] = [
        &[CustomerChannel::Email],
        &[CustomerChannel::Sms, CustomerChannel::Email],
        &[],
    ];
    let mut preferences: Vec<Option<CustomerChannel>> = vec![None];
    preferences.extend(CustomerChannel::ALL.map(Some));
    for deliverable in deliverables {
        for preferred in &preferences {
            for mask in 0u8..16 {
                let reachable = |c: CustomerChannel| {
                    let i = CustomerChannel::ALL.iter().position(|x| *x == c).unwrap();
                    mask & (1 << i) != 0
                };
                let got = choose_channel(*preferred, deliverable, reachable);
                let first = deliverable.iter().copied().find(|c| reachable(*c));
                match (preferred, first) {
                    (Some(p), _) if deliverable.contains(p) && reachable(*p) => {
                        assert_eq!(
                            got,
                            Ok(ChannelChoice {
                                channel: *p,
                                preferred: Some(*p),
                                fallback: None
                            })
                        );
                    }
                    (_, None) => assert_eq!(got, Err(DocumentError::NoChannel)),
                    (p, Some(c)) => {
                        let choice = got.expect("a reachable channel");
                        assert_eq!(choice.channel, c);
                        assert_eq!(choice.preferred, *p);
                        let reason = p.map(|p| {
                            if deliverable.contains(&p) {
                                Fallback::NoAddress
                            } else {
                                Fallback::NotDeliverable
                            }
                        });
                        assert_eq!(choice.fallback, reason, "{p:?} mask {mask}");
                    }
                }
            }
        }
    }
}

#[test]
fn today_only_email_delivers_so_wechat_falls_back_to_email_and_says_why() {
    let only_email = [CustomerChannel::Email];
    let has_email = |c| c == CustomerChannel::Email;
    let choice = choose_channel(Some(CustomerChannel::Wechat), &only_email, has_email).unwrap();
    assert_eq!(choice.channel, CustomerChannel::Email);
    assert_eq!(choice.fallback, Some(Fallback::NotDeliverable));
    assert_eq!(
        choose_channel(Some(CustomerChannel::Email), &only_email, |_| false),
        Err(DocumentError::NoChannel)
    );
    for c in CustomerChannel::ALL {
        assert_eq!(CustomerChannel::parse(c.as_str()), Some(c));
        assert!(!c.label_zh().is_empty());
    }
    for f in [Fallback::NotDeliverable, Fallback::NoAddress] {
        assert_eq!(Fallback::parse(f.as_str()), Some(f));
    }
    assert_eq!(CustomerChannel::parse("pigeon"), None);
}

#[test]
fn a_document_is_current_while_its_hash_holds() {
    assert_eq!(freshness(None, "a"), Freshness::NotSent);
    assert_eq!(freshness(Some("a"), "a"), Freshness::Current);
    assert_eq!(freshness(Some("a"), "b"), Freshness::Outdated);
}

fn policy(terms: PolicyTerms) -> CancellationPolicy {
    CancellationPolicy {
        name: "测试".into(),
        effective_from: date(2026, 1, 1),
        terms,
    }
}

#[test]
fn the_domestic_contract_reads_every_tier_of_both_sides() {
    let terms = contract_terms_zh(&policy(PolicyTerms::Tour(TourTerms::model_2014(
        TripScope::Domestic,
    ))));
    assert_eq!(
        terms[0],
        "旅游者解除合同：出发前7日及以上取消，不扣费用；出发前6日至4日取消，扣除团费的 20%；\
         出发前3日至1日取消，扣除团费的 40%；出发当日取消，扣除团费的 60%。"
    );
    assert_eq!(
        terms[1],
        "旅行社解除合同：全额退还团费，并支付违约金：出发前7日至4日取消，另付团费的 10%；\
         出发前3日至1日取消，另付团费的 15%；出发当日取消，另付团费的 20%。"
    );
    assert!(terms[2].contains("出发前 7 日"), "{}", terms[2]);
    assert!(terms[3].contains("免费延期"), "{}", terms[3]);
}

#[test]
fn the_outbound_contract_names_its_30_day_notice_and_six_tiers() {
    let terms = contract_terms_zh(&policy(PolicyTerms::Tour(TourTerms::model_2014(
        TripScope::Outbound,
    ))));
    assert_eq!(terms[0].matches("取消").count(), 6, "{}", terms[0]);
    assert!(terms[0].contains("出发前29日至15日取消，扣除团费的 5%"));
    assert!(terms[0].contains("出发当日取消，扣除团费的 70%"));
    assert!(terms[2].contains("出发前 30 日"), "{}", terms[2]);
}

#[test]
fn each_lodging_preset_reads_as_a_sentence() {
    let lodging = |preset, free_postponement| {
        contract_terms_zh(&policy(PolicyTerms::Lodging(LodgingTerms {
            preset,
            free_postponement,
        })))
    };
    let free = lodging(
        LodgingPreset::FreeUntil {
            days: 3,
            then: LodgingCharge::FirstNight,
        },
        true,
    );
    assert_eq!(
        free[0],
        "入住前 3 日（含）之前取消免费；之后取消扣除首晚房费。"
    );
    assert_eq!(free[1], "商家取消预订：全额退还房费。");
    assert!(free[2].contains("免费延期"));
    let all = lodging(
        LodgingPreset::FreeUntil {
            days: 1,
            then: LodgingCharge::Total,
        },
        false,
    );
    assert!(all[0].ends_with("扣除全部房费。"));
    assert!(!all[2].contains("延期"), "{}", all[2]);
    assert_eq!(
        lodging(LodgingPreset::FirstNight, true)[0],
        "取消预订将扣除首晚房费。"
    );
    assert_eq!(
        lodging(LodgingPreset::NonRefundable, true)[0],
        "本预订不可取消，取消不退还房费。"
    );
}

#[test]
fn codes_are_stable() {
    for (e, code) in [
        (DocumentError::NotConfirmed, "documents.not_confirmed"),
        (DocumentError::TripOver, "documents.trip_over"),
        (DocumentError::NoChannel, "documents.no_channel"),
        (DocumentError::BookingClosed, "documents.booking_closed"),
        (DocumentError::LinkExpired, "documents.link_expired"),
    ] {
        assert_eq!(e.code(), code);
    }
    for f in [Freshness::NotSent, Freshness::Current, Freshness::Outdated] {
        assert!(!f.as_str().is_empty());
    }
}
