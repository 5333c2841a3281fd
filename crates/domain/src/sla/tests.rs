//! SLA clocks: every state × transition, scenarios on China working time, and fire-once.

use super::*;
use crate::calendar::{china_time_zone, Calendar};
use jiff::{SignedDuration, Timestamp};
use proptest::prelude::*;

fn bj(local: &str) -> Timestamp {
    format!("{local}:00+08:00[Asia/Shanghai]")
        .parse::<jiff::Zoned>()
        .unwrap()
        .timestamp()
}

fn mins(m: i64) -> SignedDuration {
    SignedDuration::from_mins(m)
}

fn hotline() -> Calendar {
    Calendar::always_open(Calendar::HOTLINE, china_time_zone())
}

fn office() -> Calendar {
    Calendar::china_mainland_office()
}

fn target(key: &str) -> &'static SlaTarget {
    SlaTarget::default_for(key).unwrap()
}

/// complaint.contact: 60 wall minutes, warning at 48.
fn contact_clock(at: Timestamp) -> SlaClock {
    SlaClock::start(target("complaint.contact"), &hotline(), at).unwrap()
}

#[test]
fn start_computes_due_and_warning() {
    let t0 = bj("2025-10-01T10:00");
    let c = contact_clock(t0);
    assert_eq!(c.state(), ClockState::Running);
    assert_eq!(c.due_at(), bj("2025-10-01T11:00"));
    assert_eq!(c.warn_at(), Some(bj("2025-10-01T10:48")));
    assert_eq!(c.next_due(), Some(bj("2025-10-01T10:48")));
    // Phone: 3 minutes, warning at 2 min 24 s.
    let phone = SlaClock::start(target("first_response.phone"), &hotline(), t0).unwrap();
    assert_eq!(phone.due_at(), t0 + mins(3));
    assert_eq!(phone.warn_at(), Some(t0 + SignedDuration::from_secs(144)));
}

#[test]
fn email_first_reply_is_one_china_working_day() {
    let cal = office();
    // Friday 17:00 → Monday 17:00; 9 working hours allowed, warning after 7 h 12 min of them.
    let c = SlaClock::start(target("first_response.email"), &cal, bj("2025-03-07T17:00")).unwrap();
    assert_eq!(c.due_at(), bj("2025-03-10T17:00"));
    assert_eq!(c.warn_at(), Some(bj("2025-03-10T15:12")));
    // Received the evening before National Day: due on the first working day after it.
    let c = SlaClock::start(target("first_response.email"), &cal, bj("2025-09-30T20:00")).unwrap();
    assert_eq!(c.due_at(), bj("2025-10-09T20:00"));
}

#[test]
fn follow_up_window_opens_after_three_working_days() {
    let cal = office();
    // Complaint completed Tuesday 30 Sep 2025 10:00, just before the 8-day holiday.
    let c = SlaClock::start(target("complaint.follow_up"), &cal, bj("2025-09-30T10:00")).unwrap();
    // Working days after: 9 Oct, 10 Oct, 11 Oct (make-up Saturday), 13 Oct, 14 Oct.
    assert_eq!(c.opens_at(), Some(bj("2025-10-11T10:00")));
    assert_eq!(c.due_at(), bj("2025-10-14T10:00"));
    // 45 working hours allowed, warning after 36 of them.
    assert_eq!(c.warn_at(), Some(bj("2025-10-13T10:00")));
    let important = SlaClock::start(
        target("complaint.follow_up.important"),
        &cal,
        bj("2025-09-30T10:00"),
    )
    .unwrap();
    assert_eq!(important.opens_at(), Some(bj("2025-10-09T10:00")));
    assert_eq!(important.due_at(), bj("2025-10-10T10:00"));
}

#[test]
fn wrong_calendar_is_refused() {
    let err = SlaClock::start(
        target("first_response.email"),
        &hotline(),
        bj("2025-03-07T17:00"),
    )
    .unwrap_err();
    assert_eq!(err.code(), "sla.calendar_mismatch");
    let mut c = SlaClock::start(
        target("first_response.email"),
        &office(),
        bj("2025-03-07T17:00"),
    )
    .unwrap();
    c.pause(bj("2025-03-07T17:30")).unwrap();
    assert!(matches!(
        c.resume(bj("2025-03-07T17:40"), &hotline()),
        Err(SlaError::CalendarMismatch { .. })
    ));
    assert_eq!(c.state(), ClockState::Paused);
}

#[test]
fn a_year_without_data_gives_provisional_instants_recomputed_on_import() {
    use crate::calendar::{Festival, YearHolidays};
    use jiff::civil::date;
    // Tuesday 29 December 2026 + 5 working days, 2027 without an arrangement: 30, 31 Dec,
    // then 4, 5, 6 January (1 January off by law). Opens after 3: 4 January.
    let before = office();
    let at = bj("2026-12-29T10:00");
    let mut c = SlaClock::start(target("complaint.follow_up"), &before, at).unwrap();
    assert!(c.provisional());
    assert_eq!(c.due_at(), bj("2027-01-06T10:00"));
    assert_eq!(c.opens_at(), Some(bj("2027-01-04T10:00")));
    // A clock whose span stays in 2026 is not provisional.
    let early = SlaClock::start(
        target("complaint.follow_up"),
        &before,
        bj("2026-12-01T10:00"),
    )
    .unwrap();
    assert!(!early.provisional());
    let parts = c.to_parts();
    assert!(parts.provisional);
    assert_eq!(SlaClock::from_parts(parts), c);

    // The arrangement arrives: 1 to 4 January off (a bridging Monday).
    let mut after = office();
    after
        .holidays_mut()
        .insert(
            YearHolidays::new(
                2027,
                None,
                vec![Festival::new(
                    "元旦",
                    "New Year's Day",
                    (1..=4).map(|d| date(2027, 1, d)),
                    [],
                )],
            )
            .unwrap(),
        )
        .unwrap();
    let mut early_again = early.clone();
    assert!(!early_again.recompute(&before, &after).unwrap());
    assert_eq!(early_again, early);
    assert!(c.recompute(&before, &after).unwrap());
    assert!(!c.provisional());
    assert_eq!(c.due_at(), bj("2027-01-07T10:00"));
    assert_eq!(c.opens_at(), Some(bj("2027-01-05T10:00")));
    assert_eq!(c.next_due(), Some(c.warn_at().unwrap().min(c.due_at())));
    // Recomputing again changes nothing.
    assert!(!c.recompute(&after, &after).unwrap());
    // A stopped clock does not move.
    let mut done = SlaClock::start(target("complaint.follow_up"), &before, at).unwrap();
    done.stop(bj("2026-12-30T10:00")).unwrap();
    assert!(!done.recompute(&before, &after).unwrap());
    assert!(done.provisional());

    // Beyond the provisional calendar's years the computation is still refused.
    let err = SlaClock::start(
        target("complaint.follow_up"),
        &office(),
        bj("2099-12-29T10:00"),
    )
    .unwrap_err();
    assert_eq!(err.code(), "calendar.no_holiday_data");
}

#[test]
fn pause_in_working_time_pushes_deadlines_by_working_time() {
    let cal = office();
    let wh = SlaTarget {
        key: "test.working_hours".into(),
        kind: ClockKind::WorkingHours,
        amount: 120,
        calendar: Calendar::CHINA_MAINLAND_OFFICE.into(),
        ..target("complaint.contact").clone()
    };
    // Friday 17:00 + 2 working hours = Monday 10:00; warning after 96 min = Monday 09:36.
    let mut c = SlaClock::start(&wh, &cal, bj("2025-03-07T17:00")).unwrap();
    assert_eq!(c.due_at(), bj("2025-03-10T10:00"));
    assert_eq!(c.warn_at(), Some(bj("2025-03-10T09:36")));
    // Paused Friday 17:30 to Monday 09:15: only 45 working minutes passed.
    assert!(c.pause(bj("2025-03-07T17:30")).unwrap().is_empty());
    assert_eq!(c.next_due(), None);
    assert!(
        c.fire(bj("2025-03-10T12:00")).is_empty(),
        "a paused clock never fires"
    );
    c.resume(bj("2025-03-10T09:15"), &cal).unwrap();
    assert_eq!(c.paused_total(), mins(45));
    assert_eq!(c.due_at(), bj("2025-03-10T10:45"));
    assert_eq!(c.warn_at(), Some(bj("2025-03-10T10:21")));
    assert_eq!(
        c.elapsed(bj("2025-03-10T10:00"), &cal).unwrap(),
        mins(30 + 45)
    );
    let events = c.stop(bj("2025-03-10T10:30")).unwrap();
    assert_eq!(
        events,
        vec![SlaEvent::Warning {
            target_key: "test.working_hours".into(),
            warn_at: bj("2025-03-10T10:21"),
            due_at: bj("2025-03-10T10:45"),
        }]
    );
    assert_eq!(c.state(), ClockState::Met);
    // Fri 17:00–18:00 and Mon 09:00–10:30 counted, less 45 paused minutes.
    assert_eq!(
        c.elapsed(bj("2025-03-11T00:00"), &cal).unwrap(),
        mins(60 + 90 - 45)
    );
}

#[test]
fn pause_over_a_night_costs_nothing_for_working_days() {
    let cal = office();
    let mut c =
        SlaClock::start(target("first_response.email"), &cal, bj("2025-03-07T17:00")).unwrap();
    c.pause(bj("2025-03-07T18:30")).unwrap();
    c.resume(bj("2025-03-10T08:00"), &cal).unwrap();
    assert_eq!(c.paused_total(), SignedDuration::ZERO);
    assert_eq!(c.due_at(), bj("2025-03-10T17:00"));
}

#[test]
fn pause_in_calendar_time_pushes_by_wall_time() {
    let cal = hotline();
    let t0 = bj("2025-10-01T10:00");
    let mut c = contact_clock(t0);
    c.pause(t0 + mins(10)).unwrap();
    c.resume(t0 + mins(100), &cal).unwrap();
    assert_eq!(c.due_at(), t0 + mins(150));
    assert_eq!(c.warn_at(), Some(t0 + mins(138)));
    assert_eq!(c.elapsed(t0 + mins(120), &cal).unwrap(), mins(30));
}

#[test]
fn fire_gives_warning_then_breach_once() {
    let t0 = bj("2025-10-01T10:00");
    let mut c = contact_clock(t0);
    assert!(c.fire(t0 + mins(47)).is_empty());
    let w = c.fire(t0 + mins(48));
    assert!(matches!(w.as_slice(), [SlaEvent::Warning { .. }]));
    assert!(c.fire(t0 + mins(50)).is_empty());
    assert_eq!(c.next_due(), Some(t0 + mins(60)));
    let b = c.fire(t0 + mins(61));
    assert_eq!(
        b,
        vec![SlaEvent::Breach {
            target_key: "complaint.contact".into(),
            due_at: t0 + mins(60)
        }]
    );
    assert_eq!(c.state(), ClockState::Breached);
    assert_eq!(c.breached_at(), Some(t0 + mins(60)));
    assert!(c.fire(t0 + mins(90)).is_empty());
    assert_eq!(c.next_due(), None);
    // A late scheduler gets both at once, in order.
    let mut late = contact_clock(t0);
    let both = late.fire(t0 + mins(300));
    assert!(matches!(
        both.as_slice(),
        [SlaEvent::Warning { .. }, SlaEvent::Breach { .. }]
    ));
}

#[test]
fn due_instant_is_late() {
    let t0 = bj("2025-10-01T10:00");
    let mut met = contact_clock(t0);
    met.stop(t0 + mins(60) - SignedDuration::from_nanos(1))
        .unwrap();
    assert_eq!(met.state(), ClockState::Met);
    let mut late = contact_clock(t0);
    let events = late.stop(t0 + mins(60)).unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(late.state(), ClockState::Breached);
    assert_eq!(late.stopped_at(), Some(t0 + mins(60)));
}

#[test]
fn time_cannot_go_backwards() {
    let t0 = bj("2025-10-01T10:00");
    let mut c = contact_clock(t0);
    c.pause(t0 + mins(10)).unwrap();
    assert_eq!(
        c.resume(t0 + mins(5), &hotline()),
        Err(SlaError::TimeWentBackwards {
            at: t0 + mins(5),
            last: t0 + mins(10)
        })
    );
    assert!(matches!(
        c.stop(t0),
        Err(SlaError::TimeWentBackwards { .. })
    ));
}

#[test]
fn clocks_round_trip_through_json() {
    let mut c = contact_clock(bj("2025-10-01T10:00"));
    c.fire(bj("2025-10-01T10:50"));
    let back: SlaClock = serde_json::from_str(&serde_json::to_string(&c).unwrap()).unwrap();
    assert_eq!(back, c);
}

#[test]
fn compliance_from_clocks() {
    let cal = hotline();
    let t0 = bj("2025-10-01T10:00");
    let mut a = contact_clock(t0);
    a.stop(t0 + mins(20)).unwrap();
    let mut b = contact_clock(t0);
    b.stop(t0 + mins(90)).unwrap();
    let c = contact_clock(t0); // still running at the report instant, 30 min in
    let d = contact_clock(t0 - mins(120)); // running but late: counts as breached
    let at = t0 + mins(30);
    let samples: Vec<_> = [a, b, c, d]
        .iter()
        .map(|k| k.compliance_sample(at, &cal).unwrap())
        .collect();
    let fig = compliance(&samples);
    assert_eq!((fig.met, fig.breached, fig.running), (1, 2, 1));
    assert_eq!(fig.median, Some(mins(90)));
    assert_eq!(fig.p90, Some(mins(150)));
}

/// The states a clock can be in, each built by real transitions, and an instant just after
/// its last change to act at.
#[derive(Clone, Copy, Debug)]
enum Setup {
    Running,
    RunningOverdue,
    Paused,
    Met,
    BreachedOpen,
    BreachedStopped,
    Cancelled,
}

fn setup(s: Setup) -> (SlaClock, Timestamp) {
    let t0 = bj("2025-10-01T10:00");
    let mut c = contact_clock(t0);
    let at = match s {
        Setup::Running => t0 + mins(5),
        Setup::RunningOverdue => t0 + mins(75),
        Setup::Paused => {
            c.pause(t0 + mins(5)).unwrap();
            t0 + mins(6)
        }
        Setup::Met => {
            c.stop(t0 + mins(5)).unwrap();
            t0 + mins(6)
        }
        Setup::BreachedOpen => {
            c.fire(t0 + mins(70));
            t0 + mins(75)
        }
        Setup::BreachedStopped => {
            c.fire(t0 + mins(70));
            c.stop(t0 + mins(80)).unwrap();
            t0 + mins(85)
        }
        Setup::Cancelled => {
            c.cancel(t0 + mins(5)).unwrap();
            t0 + mins(6)
        }
    };
    (c, at)
}

#[derive(Clone, Copy, Debug)]
enum Act {
    Pause,
    Resume,
    Stop,
    Cancel,
    Fire,
}

#[derive(Debug, PartialEq)]
enum Outcome {
    /// New stored state and number of events returned.
    Ok(ClockState, usize),
    Invalid(ClockState),
    Finished(ClockState),
}

fn act(c: &mut SlaClock, a: Act, at: Timestamp) -> Outcome {
    let cal = hotline();
    let r = match a {
        Act::Pause => c.pause(at),
        Act::Resume => c.resume(at, &cal).map(|()| vec![]),
        Act::Stop => c.stop(at),
        Act::Cancel => c.cancel(at).map(|()| vec![]),
        Act::Fire => Ok(c.fire(at)),
    };
    match r {
        Ok(events) => Outcome::Ok(c.state(), events.len()),
        Err(SlaError::InvalidTransition { state, .. }) => Outcome::Invalid(state),
        Err(SlaError::Finished { state }) => Outcome::Finished(state),
        Err(e) => panic!("unexpected {e}"),
    }
}

#[test]
fn every_state_times_every_transition() {
    use ClockState as S;
    use Outcome::{Finished as F, Invalid as I, Ok as O};
    #[rustfmt::skip]
    let table: [(Setup, [Outcome; 5]); 7] = [
        //                  pause            resume           stop              cancel           fire
        (Setup::Running,         [O(S::Paused, 0), I(S::Running),   O(S::Met, 0),      O(S::Cancelled, 0), O(S::Running, 0)]),
        (Setup::RunningOverdue,  [I(S::Breached),  I(S::Breached),  O(S::Breached, 2), I(S::Breached),     O(S::Breached, 2)]),
        (Setup::Paused,          [I(S::Paused),    O(S::Running, 0), O(S::Met, 0),     O(S::Cancelled, 0), O(S::Paused, 0)]),
        (Setup::Met,             [F(S::Met),       F(S::Met),       F(S::Met),         F(S::Met),          O(S::Met, 0)]),
        (Setup::BreachedOpen,    [I(S::Breached),  I(S::Breached),  O(S::Breached, 0), I(S::Breached),     O(S::Breached, 0)]),
        (Setup::BreachedStopped, [F(S::Breached),  F(S::Breached),  F(S::Breached),    F(S::Breached),     O(S::Breached, 0)]),
        (Setup::Cancelled,       [F(S::Cancelled), F(S::Cancelled), F(S::Cancelled),   F(S::Cancelled),    O(S::Cancelled, 0)]),
    ];
    let acts = [Act::Pause, Act::Resume, Act::Stop, Act::Cancel, Act::Fire];
    for (s, expected) in table {
        for (a, want) in acts.into_iter().zip(expected) {
            let (mut c, at) = setup(s);
            let before = c.clone();
            let got = act(&mut c, a, at);
            assert_eq!(got, want, "{s:?} × {a:?}");
            if !matches!(got, Outcome::Ok(..)) {
                assert_eq!(
                    c, before,
                    "{s:?} × {a:?}: a refused transition changes nothing"
                );
            }
        }
    }
}

#[test]
fn stopped_and_cancelled_clocks_record_when() {
    let (met, _) = setup(Setup::Met);
    assert_eq!(met.stopped_at(), Some(bj("2025-10-01T10:05")));
    let (cancelled, _) = setup(Setup::Cancelled);
    assert_eq!(cancelled.stopped_at(), Some(bj("2025-10-01T10:05")));
    assert_eq!(cancelled.next_due(), None);
    assert_eq!(
        SlaError::Finished {
            state: ClockState::Met
        }
        .to_string(),
        "the SLA clock is finished (met)"
    );
    assert_eq!(
        SlaError::InvalidTransition {
            state: ClockState::Breached,
            action: Transition::Cancel
        }
        .to_string(),
        "cannot cancel an SLA clock that is breached"
    );
}

#[derive(Clone, Debug)]
enum Op {
    Fire(i64),
    Pause(i64),
    Resume(i64),
    Stop(i64),
    Cancel(i64),
}

fn op() -> impl Strategy<Value = Op> {
    // Minutes after the start; fire() may look back in time, transitions are refused then.
    let m = 0i64..(5 * 24 * 60);
    prop_oneof![
        4 => m.clone().prop_map(Op::Fire),
        2 => m.clone().prop_map(Op::Pause),
        2 => m.clone().prop_map(Op::Resume),
        1 => m.clone().prop_map(Op::Stop),
        1 => m.prop_map(Op::Cancel),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Whatever happens, a clock warns at most once and breaches at most once, the warning
    /// never after the breach, and a breach is reported exactly when the clock ends up
    /// breached.
    #[test]
    fn events_fire_at_most_once(
        key in prop::sample::select(vec!["complaint.contact", "first_response.email", "complaint.follow_up"]),
        start in 0i64..(300 * 24 * 60),
        ops in prop::collection::vec(op(), 0..40),
    ) {
        let t = SlaTarget::default_for(key).unwrap();
        let cal = if t.calendar == Calendar::HOTLINE { hotline() } else { office() };
        let t0 = bj("2025-01-01T00:00") + mins(start);
        let mut c = SlaClock::start(t, &cal, t0).unwrap();
        let mut events = Vec::new();
        for o in ops {
            let at = |m: i64| t0 + mins(m);
            match o {
                Op::Fire(m) => events.extend(c.fire(at(m))),
                Op::Pause(m) => events.extend(c.pause(at(m)).unwrap_or_default()),
                Op::Resume(m) => { let _ = c.resume(at(m), &cal); }
                Op::Stop(m) => events.extend(c.stop(at(m)).unwrap_or_default()),
                Op::Cancel(m) => { let _ = c.cancel(at(m)); }
            }
            if let Some(next) = c.next_due() {
                prop_assert!(next <= c.due_at());
            }
        }
        // A final fire far in the future, twice.
        events.extend(c.fire(t0 + mins(400 * 24 * 60)));
        prop_assert!(c.fire(t0 + mins(400 * 24 * 60)).is_empty());
        let breaches = events.iter().filter(|e| matches!(e, SlaEvent::Breach { .. })).count();
        let warnings: Vec<_> = events.iter().enumerate().filter(|(_, e)| matches!(e, SlaEvent::Warning { .. })).map(|(i, _)| i).collect();
        prop_assert!(breaches <= 1);
        prop_assert!(warnings.len() <= 1);
        prop_assert_eq!(breaches == 1, c.state() == ClockState::Breached);
        if breaches == 1 {
            let bi = events.iter().position(|e| matches!(e, SlaEvent::Breach { .. })).unwrap();
            prop_assert!(warnings.iter().all(|&wi| wi < bi));
            prop_assert_eq!(c.breached_at(), Some(c.due_at()));
        }
        prop_assert!(c.warn_at().is_none_or(|w| w <= c.due_at()));
    }
}

#[test]
fn parts_round_trip_and_names_parse() {
    let mut c = contact_clock(bj("2025-10-01T10:00"));
    c.pause(bj("2025-10-01T10:10")).unwrap();
    let back = SlaClock::from_parts(c.to_parts());
    assert_eq!(back, c);
    for k in ClockKind::ALL {
        assert_eq!(ClockKind::parse(k.as_str()), Some(k));
    }
    for s in ClockState::ALL {
        assert_eq!(ClockState::parse(s.as_str()), Some(s));
    }
    assert_eq!(ClockKind::parse("weeks"), None);
    assert_eq!(ClockState::parse("done"), None);
}
