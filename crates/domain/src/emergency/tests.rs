use super::*;
use jiff::civil::date;
use jiff::{SignedDuration, Timestamp};
use proptest::prelude::*;

fn scope() -> Scope {
    Scope {
        regions: vec![" 三亚 ".into(), "三亚".into(), "".into()],
        from: date(2026, 9, 1),
        to: date(2026, 9, 3),
        ..Scope::default()
    }
}

#[test]
fn a_scope_is_trimmed_and_checked() {
    let s = scope().normalised().unwrap();
    assert_eq!(s.regions, vec!["三亚".to_string()]);

    let empty = Scope {
        regions: vec!["  ".into()],
        ..scope()
    };
    assert_eq!(empty.normalised(), Err(ScopeError::Empty));
    let reversed = Scope {
        to: date(2026, 8, 31),
        ..scope()
    };
    assert_eq!(
        reversed.clone().normalised().unwrap_err().field(),
        "scope.to"
    );
    assert_eq!(reversed.normalised(), Err(ScopeError::Reversed));
    let long = Scope {
        to: date(2026, 11, 2),
        ..scope()
    };
    assert_eq!(long.normalised(), Err(ScopeError::TooLong));
    let wildcard = Scope {
        regions: vec!["%".into()],
        ..scope()
    };
    assert_eq!(wildcard.normalised(), Err(ScopeError::BadRegion));
    let many = Scope {
        regions: (0..51).map(|i| format!("r{i}")).collect(),
        ..scope()
    };
    assert_eq!(many.normalised(), Err(ScopeError::TooMany("scope.regions")));
    let by_departure = Scope {
        regions: vec![],
        departure_ids: vec![uuid::Uuid::nil(), uuid::Uuid::nil()],
        ..scope()
    };
    assert_eq!(by_departure.normalised().unwrap().departure_ids.len(), 1);
}

#[test]
fn sms_replies_are_read_by_keyword_then_by_words() {
    use Answer::*;
    let cases: &[(&str, Option<Answer>)] = &[
        ("1", Some(Safe)),
        ("１", Some(Safe)),
        (" 1 安全", Some(Safe)),
        ("1.", Some(Safe)),
        ("2", Some(NeedsHelp)),
        ("２需要帮助", Some(NeedsHelp)),
        ("2 我们被困在酒店", Some(NeedsHelp)),
        ("安全", Some(Safe)),
        ("我们都平安，谢谢", Some(Safe)),
        ("平安", Some(Safe)),
        ("需要幫助", Some(NeedsHelp)),
        ("不安全", Some(NeedsHelp)),
        ("1 但是有人受伤", Some(NeedsHelp)),
        ("HELP", Some(NeedsHelp)),
        ("OK", Some(Safe)),
        ("1 SAFE", Some(Safe)),
        ("2 HELP", Some(NeedsHelp)),
        ("We are safe", Some(Safe)),
        ("NOT SAFE", Some(NeedsHelp)),
        ("unsafe here", Some(NeedsHelp)),
        ("safe but john is injured", Some(NeedsHelp)),
        ("12", None),
        ("1205房间", None),
        ("", None),
        ("   ", None),
        ("收到", None),
        ("什么时候出发？", None),
    ];
    for (text, want) in cases {
        assert_eq!(parse_reply(text), *want, "{text:?}");
    }
}

#[test]
fn needs_help_is_only_undone_by_staff() {
    use PersonStatus::*;
    for recorded in PersonStatus::ALL {
        for new in PersonStatus::ALL {
            for staff in [false, true] {
                let got = answer_replaces(recorded, new, staff);
                let want = recorded != new
                    && match (recorded, new) {
                        (_, Pending) => staff,
                        (NeedsHelp, Safe) => staff,
                        _ => true,
                    };
                assert_eq!(got, want, "{recorded:?} -> {new:?} staff={staff}");
            }
        }
    }
    assert!(!answer_replaces(NeedsHelp, Safe, false));
    assert!(answer_replaces(Safe, NeedsHelp, false));
    assert!(answer_replaces(Pending, Safe, false));
}

#[test]
fn every_kind_has_a_checklist_with_unique_keys_and_the_report() {
    for kind in IncidentKind::ALL {
        let list = checklist(kind);
        let mut keys: Vec<_> = list.iter().map(|i| i.key).collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), list.len(), "{kind:?}");
        assert_eq!(list[0].key, "assign_team");
        assert!(list.iter().any(|i| i.key == "report_authority"));
        assert!(list.iter().all(|i| !i.zh.is_empty() && !i.en.is_empty()));
    }
    let safety = checklist(IncidentKind::Safety);
    assert_eq!(safety[1].key, "call_120_110", "120/110 comes first");
    assert!(checklist(IncidentKind::SystemFailure)
        .iter()
        .any(|i| i.key == "manual_handling"));
}

#[test]
fn enums_round_trip_their_names() {
    for k in IncidentKind::ALL {
        assert_eq!(IncidentKind::parse(k.as_str()), Some(k));
    }
    for l in IncidentLevel::ALL {
        assert_eq!(IncidentLevel::parse(l.as_str()), Some(l));
        assert!(!l.guidance_zh().is_empty());
    }
    for c in WarningColour::ALL {
        assert_eq!(WarningColour::parse(c.as_str()), Some(c));
    }
    for r in TeamRole::ALL {
        assert_eq!(TeamRole::parse(r.as_str()), Some(r));
    }
    for s in PersonStatus::ALL {
        assert_eq!(PersonStatus::parse(s.as_str()), Some(s));
    }
    for r in CallReason::ALL {
        assert_eq!(CallReason::parse(r.as_str()), Some(r));
    }
    for o in CallOutcome::ALL {
        assert_eq!(CallOutcome::parse(o.as_str()), Some(o));
    }
    assert_eq!(CallOutcome::parse("busy"), None);
    assert!(IncidentLevel::Major.report_clock());
    assert!(IncidentLevel::Large.report_clock());
    assert!(!IncidentLevel::General.report_clock());
}

#[test]
fn report_figures_count_from_the_declaration() {
    let t0 = Timestamp::from_second(1_800_000_000).unwrap();
    let at = |s: i64| t0 + SignedDuration::from_secs(s);
    let delivered: Vec<_> = (1..=10).map(|i| at(i * 10)).collect();
    let answered: Vec<_> = (1..=8).map(|i| at(100 + i)).collect();
    let f = ReportFigures::compute(t0, Some(at(5)), 10, delivered, answered, 7, 1);
    assert_eq!(f.first_message, Some(SignedDuration::from_secs(5)));
    assert_eq!(f.delivered_90, Some(SignedDuration::from_secs(90)));
    assert_eq!(f.accounted_90, None, "8 of 10 answered: 90 % never reached");
    assert_eq!(f.not_answered, 2);
    assert_eq!(time_to_share(vec![], 0, 0.9), None);
}

proptest! {
    /// The instant of a share is one of the instants, and at least that share happened by it.
    #[test]
    fn time_to_share_is_the_first_instant_reaching_the_share(
        secs in proptest::collection::vec(0i64..10_000, 0..60),
        extra in 0usize..20,
        share in 0.01f64..=1.0,
    ) {
        let instants: Vec<Timestamp> =
            secs.iter().map(|s| Timestamp::from_second(1_800_000_000 + s).unwrap()).collect();
        let total = instants.len() + extra;
        match time_to_share(instants.clone(), total, share) {
            Some(t) => {
                let by = instants.iter().filter(|i| **i <= t).count();
                let before = instants.iter().filter(|i| **i < t).count();
                prop_assert!(by as f64 >= (total as f64 * share).ceil().max(1.0));
                prop_assert!((before as f64) < (total as f64 * share).ceil().max(1.0));
            }
            None => {
                prop_assert!(total == 0
                    || (instants.len() as f64) < (total as f64 * share).ceil().max(1.0));
            }
        }
    }
}
