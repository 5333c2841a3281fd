use super::*;
use jiff::civil::{date, Date};
use proptest::prelude::*;

#[test]
fn every_kpi_has_a_unique_key_that_parses_back() {
    let mut keys: Vec<_> = Kpi::ALL.iter().map(|k| k.as_str()).collect();
    for k in Kpi::ALL {
        assert_eq!(Kpi::parse(k.as_str()), Some(k));
    }
    keys.sort_unstable();
    keys.dedup();
    assert_eq!(keys.len(), Kpi::ALL.len());
    assert_eq!(Kpi::parse("nope"), None);
}

#[test]
fn clock_targets_are_built_in_sla_targets() {
    for k in Kpi::ALL {
        for key in k.clock_targets() {
            assert!(
                crate::sla::SlaTarget::default_for(key).is_some(),
                "{key} is not a built-in SLA target"
            );
        }
    }
}

#[test]
fn filters_apply_only_where_records_carry_the_dimension() {
    for k in Kpi::ALL {
        assert!(k.applies(None, false, false), "{k:?} unfiltered");
        let d = k.dimensions();
        assert_eq!(
            k.applies(Some("email"), false, false),
            d.channel && k != Kpi::AnswerRate
        );
        assert_eq!(k.applies(Some("phone"), false, false), d.channel);
        assert_eq!(k.applies(None, true, false), d.group);
        assert_eq!(k.applies(None, false, true), d.agent);
    }
    assert!(!Kpi::ComplaintRate.applies(Some("phone"), false, false));
    assert!(Kpi::FirstResponseEmail.applies(Some("email"), true, true));
}

#[test]
fn ratio_values_by_unit() {
    assert_eq!(Ratio::new(0, 0).value(Unit::Share), None);
    assert_eq!(Ratio::new(0, 0).value(Unit::Per100), None);
    assert_eq!(Ratio::new(3, 0).value(Unit::Count), Some(3.0));
    assert_eq!(Ratio::new(19, 20).value(Unit::Share), Some(0.95));
    assert_eq!(Ratio::new(3, 150).value(Unit::Per100), Some(2.0));
}

#[test]
fn floor_targets_are_met_at_the_threshold_exactly() {
    let t = Kpi::AnswerRate.target();
    assert_eq!(t.judge(Some(0.95), None), Verdict::Met);
    assert_eq!(t.judge(Some(0.9499), None), Verdict::Missed);
    assert_eq!(t.judge(None, None), Verdict::NotMeasured);
    assert_eq!(share_at_least(Ratio::new(19, 20), 950), Some(true));
    assert_eq!(share_at_least(Ratio::new(18, 20), 950), Some(false));
    assert_eq!(share_at_least(Ratio::new(0, 0), 950), None);
}

#[test]
fn change_targets_compare_with_the_period_before() {
    let fall = Kpi::ComplaintRate.target();
    assert_eq!(fall.judge(Some(0.8), Some(1.0)), Verdict::Met);
    assert_eq!(fall.judge(Some(0.81), Some(1.0)), Verdict::Missed);
    assert_eq!(fall.judge(Some(0.0), Some(0.0)), Verdict::Met);
    assert_eq!(fall.judge(Some(0.5), None), Verdict::NotMeasured);
    let rise = Kpi::RepurchaseRate.target();
    assert_eq!(rise.judge(Some(0.33), Some(0.30)), Verdict::Met);
    assert_eq!(rise.judge(Some(0.32), Some(0.30)), Verdict::Missed);
    let wom = Kpi::WordOfMouth.target();
    assert_eq!(wom.judge(Some(23.0), Some(20.0)), Verdict::Met);
    assert_eq!(wom.judge(Some(22.0), Some(20.0)), Verdict::Missed);
    assert_eq!(change_percent(Some(1.5), Some(1.0)), Some(50.0));
    assert_eq!(change_percent(Some(1.5), Some(0.0)), None);
}

#[test]
fn measured_minutes_start_at_the_first_heartbeat_and_stop_now() {
    let m = 60_000;
    assert_eq!(measured_minutes(0, 100 * m, None, 50 * m), (0, 0));
    assert_eq!(
        measured_minutes(0, 100 * m, Some(10 * m + 5), 50 * m + 7),
        (10 * m, 50 * m)
    );
    assert_eq!(
        measured_minutes(20 * m, 30 * m, Some(0), 100 * m),
        (20 * m, 30 * m)
    );
    // A period wholly in the future or before installation measures nothing.
    let (s, e) = measured_minutes(200 * m, 300 * m, Some(0), 100 * m);
    assert_eq!(s, e);
    assert_eq!(uptime(5, 4), Ratio::new(4, 4));
    assert_eq!(minute_floor(-1), -60_000);
}

#[test]
fn month_periods_step_back_by_months() {
    let mar = Period::month_of(date(2026, 3, 17));
    assert_eq!(
        mar,
        Period::new(date(2026, 3, 1), date(2026, 3, 31)).unwrap()
    );
    assert_eq!(mar.whole_months(), Some(1));
    let t = mar.trend(4);
    assert_eq!(
        t,
        vec![
            Period::month_of(date(2025, 12, 1)),
            Period::month_of(date(2026, 1, 1)),
            Period::month_of(date(2026, 2, 1)),
            mar
        ]
    );
    let q = Period::new(date(2026, 4, 1), date(2026, 6, 30)).unwrap();
    assert_eq!(
        q.previous().unwrap(),
        Period::new(date(2026, 1, 1), date(2026, 3, 31)).unwrap()
    );
}

#[test]
fn other_periods_step_back_by_their_days() {
    let w = Period::new(date(2026, 3, 2), date(2026, 3, 8)).unwrap();
    assert_eq!(w.days(), 7);
    assert_eq!(
        w.previous().unwrap(),
        Period::new(date(2026, 2, 23), date(2026, 3, 1)).unwrap()
    );
    assert_eq!(
        Period::new(date(2026, 3, 2), date(2026, 3, 1)),
        Err(PeriodError::Reversed)
    );
    assert_eq!(
        Period::new(date(2025, 1, 1), date(2026, 1, 2)),
        Err(PeriodError::TooLong)
    );
}

fn any_date() -> impl Strategy<Value = Date> {
    (1990i16..2100, 1i8..=12, 1i8..=28).prop_map(|(y, m, d)| date(y, m, d))
}

proptest! {
    /// The trend's periods are contiguous, never overlap, and keep the length: the same
    /// number of days, or of whole months.
    #[test]
    fn trends_are_contiguous_and_keep_their_length(a in any_date(), len in 0i32..120, n in 1usize..14, monthly in any::<bool>()) {
        let p = if monthly {
            let from = a.first_of_month();
            let to = from.checked_add(jiff::Span::new().months(len % 12)).unwrap().last_of_month();
            Period::new(from, to).unwrap()
        } else {
            Period::new(a, a.checked_add(jiff::Span::new().days(len)).unwrap()).unwrap()
        };
        let t = p.trend(n);
        prop_assert_eq!(t.len(), n);
        prop_assert_eq!(*t.last().unwrap(), p);
        for w in t.windows(2) {
            prop_assert_eq!(w[0].to.tomorrow().unwrap(), w[1].from);
            match p.whole_months() {
                Some(m) => prop_assert_eq!(w[0].whole_months(), Some(m)),
                None => prop_assert_eq!(w[0].days(), p.days()),
            }
        }
    }

    /// A share target judged on the value agrees with the exact integer comparison.
    #[test]
    fn share_judgement_agrees_with_integers(num in 0u64..100_000, extra in 0u64..100_000, permille in 0u32..=1000) {
        let r = Ratio::new(num, num + extra);
        let exact = share_at_least(r, permille);
        let judged = Target::AtLeast { permille }.judge(r.share(), None);
        match exact {
            None => prop_assert_eq!(judged, Verdict::NotMeasured),
            Some(true) => prop_assert_eq!(judged, Verdict::Met),
            Some(false) => prop_assert_eq!(judged, Verdict::Missed),
        }
    }

    /// Uptime is never above 100 % and never counts more minutes than measured.
    #[test]
    fn uptime_is_bounded(up in 0u64..1_000_000, measured in 0u64..1_000_000) {
        let r = uptime(up, measured);
        prop_assert!(r.num <= r.den);
        if let Some(s) = r.share() { prop_assert!((0.0..=1.0).contains(&s)); }
    }

    /// Measured minutes lie inside the period, after the first heartbeat and before now.
    #[test]
    fn measured_minutes_stay_inside(from in 0i64..10_000_000, len in 0i64..10_000_000, first in 0i64..20_000_000, now in 0i64..20_000_000) {
        let to = from + len;
        let (s, e) = measured_minutes(from, to, Some(first), now);
        prop_assert!(s <= e);
        if s < e {
            prop_assert!(s + 60_000 > from && s + 60_000 > first);
            prop_assert!(e <= to && e <= now);
            prop_assert_eq!(s % 60_000, 0);
        }
    }
}
