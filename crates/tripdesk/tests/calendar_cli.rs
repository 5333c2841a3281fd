//! `tripdesk calendar` as operators and outside checks run it, on the backend of this test run
//! (a fresh data directory, or a fresh PostgreSQL schema): the working dates of 2024–2026 day
//! for day against the shipped data and against the State Council notices' text, due
//! instants around holidays and make-up days, and clear errors for bad input.

mod common;

use common::BIN;
use jiff::civil::{date, Date, Weekday};
use jiff::Span;
use std::collections::BTreeSet;
use std::process::{Command, Output};
use tripdesk_domain::calendar::{parse_notice, HolidaySet};
use tripdesk_store_sql::testing::fresh_store;

fn tripdesk(args: &[&str], db: &[String]) -> Output {
    Command::new(BIN)
        .args(args)
        .args(db)
        .env("TRIPDESK_LOG_LEVEL", "warn")
        .output()
        .unwrap()
}

fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn stderr_of_failure(out: &Output) -> String {
    assert!(
        !out.status.success(),
        "expected a failure, got {:?}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(out.stdout.is_empty(), "nothing on stdout when failing");
    String::from_utf8(out.stderr.clone()).unwrap()
}

/// Working days by the rule, straight from holiday and make-up sets.
fn by_rule(holidays: &BTreeSet<Date>, make_up: &BTreeSet<Date>) -> Vec<String> {
    date(2024, 1, 1)
        .series(Span::new().days(1))
        .take_while(|d| d.year() <= 2026)
        .filter(|d| {
            let weekday = !matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday);
            make_up.contains(d) || (weekday && !holidays.contains(d))
        })
        .map(|d| d.to_string())
        .collect()
}

#[tokio::test]
async fn workdays_2024_to_2026_match_the_data_and_the_notices_day_for_day() {
    let store = fresh_store().await;
    let db = store.location.command_line();
    let out = tripdesk(
        &[
            "calendar",
            "workdays",
            "--from",
            "2024-01-01",
            "--to",
            "2026-12-31",
        ],
        &db,
    );
    let printed: Vec<String> = stdout(&out).lines().map(str::to_string).collect();

    // Against the shipped data file.
    let data = HolidaySet::china_mainland();
    let (mut off, mut work) = (BTreeSet::new(), BTreeSet::new());
    for y in 2024..=2026 {
        off.extend(data.year(y).unwrap().holidays().iter().copied());
        work.extend(data.year(y).unwrap().make_up_days().iter().copied());
    }
    assert_eq!(
        printed,
        by_rule(&off, &work),
        "the CLI against the data file"
    );
    assert_eq!(printed.len(), 251 + 248 + 248);

    // Against the State Council notices' own text.
    let (mut off, mut work) = (BTreeSet::new(), BTreeSet::new());
    for (y, text) in [
        (
            2024,
            include_str!("../../domain/data/calendars/notices/2024.txt"),
        ),
        (
            2025,
            include_str!("../../domain/data/calendars/notices/2025.txt"),
        ),
        (
            2026,
            include_str!("../../domain/data/calendars/notices/2026.txt"),
        ),
    ] {
        for f in parse_notice(y, text).unwrap().festivals {
            off.extend(f.off);
            work.extend(f.work);
        }
    }
    assert_eq!(printed, by_rule(&off, &work), "the CLI against the notices");

    // The same with the calendar named, and on the hotline every day counts.
    let named = tripdesk(
        &[
            "calendar",
            "workdays",
            "--from",
            "2024-01-01",
            "--to",
            "2026-12-31",
            "--calendar",
            "cn-mainland",
        ],
        &db,
    );
    assert_eq!(stdout(&named), stdout(&out));
    let hotline = tripdesk(
        &[
            "calendar",
            "workdays",
            "--from",
            "2025-10-01",
            "--to",
            "2025-10-08",
            "--calendar",
            "hotline",
        ],
        &db,
    );
    assert_eq!(stdout(&hotline).lines().count(), 8);
}

#[tokio::test]
async fn add_gives_due_instants_around_holidays_and_make_up_days() {
    let store = fresh_store().await;
    let db = store.location.command_line();
    let cases: &[(&[&str], &str)] = &[
        // The example.
        (
            &["--from", "2025-09-30T17:00:00+08:00", "--working-days", "3"],
            "2025-10-11T17:00:00+08:00",
        ),
        // Saturday 8 Feb 2025 is a make-up working day after the Spring Festival.
        (
            &["--from", "2025-02-07T10:00:00+08:00", "--working-days", "1"],
            "2025-02-08T10:00:00+08:00",
        ),
        // From a holiday, the first working day after it.
        (
            &["--from", "2025-10-03T12:00:00+08:00", "--working-days", "1"],
            "2025-10-09T12:00:00+08:00",
        ),
        // New Year 2026: 1–3 January off, Sunday 4 January worked.
        (
            &[
                "--from",
                "2025-12-31T17:30:00+08:00",
                "--working-hours",
                "1",
            ],
            "2026-01-04T09:30:00+08:00",
        ),
        // An instant in UTC comes back in the calendar's zone.
        (
            &["--from", "2025-03-07T09:00:00Z", "--working-hours", "2"],
            "2025-03-10T10:00:00+08:00",
        ),
        // Wall-clock hours and the 24-hour hotline ignore holidays.
        (
            &["--from", "2025-10-01T10:00:00+08:00", "--hours", "1.5"],
            "2025-10-01T11:30:00+08:00",
        ),
        (
            &[
                "--from",
                "2025-10-01T10:00:00+08:00",
                "--working-days",
                "2",
                "--calendar",
                "hotline",
            ],
            "2025-10-03T10:00:00+08:00",
        ),
        // 2027 has no arrangement: the provisional calendar (1 January off by law), marked.
        (
            &["--from", "2026-12-30T10:00:00+08:00", "--working-days", "5"],
            "2027-01-07T10:00:00+08:00\t暂定（待国务院放假安排）/ provisional, no State Council holiday arrangement for 2027: weekends and statutory holidays only",
        ),
    ];
    for (args, want) in cases {
        let mut all = vec!["calendar", "add"];
        all.extend_from_slice(args);
        let out = tripdesk(&all, &db);
        assert_eq!(stdout(&out).trim_end(), *want, "{args:?}");
    }
}

#[tokio::test]
async fn bad_input_is_a_clear_error_and_a_failing_exit() {
    let store = fresh_store().await;
    let db = store.location.command_line();
    let cases: &[(&[&str], &str)] = &[
        (
            &[
                "workdays",
                "--from",
                "2025-01-01",
                "--to",
                "2025-01-31",
                "--calendar",
                "mars",
            ],
            "unknown calendar \"mars\"",
        ),
        (
            &[
                "add",
                "--from",
                "2025-01-01T09:00:00+08:00",
                "--working-days",
                "1",
                "--calendar",
                "mars",
            ],
            "unknown calendar \"mars\"",
        ),
        (
            &[
                "workdays",
                "--from",
                "2020-01-01",
                "--to",
                "2030-06-01",
                "--calendar",
                "hotline",
            ],
            "longer than 10 years",
        ),
        (
            &["workdays", "--from", "2025-13-01", "--to", "2025-12-31"],
            "--from \"2025-13-01\" is not a date",
        ),
        (
            &["add", "--from", "2025-09-30 17:00", "--working-days", "3"],
            "is not an RFC 3339 instant",
        ),
        (
            &["add", "--from", "yesterday", "--hours", "3"],
            "is not an RFC 3339 instant",
        ),
        (
            &[
                "add",
                "--from",
                "2025-09-30T17:00:00+08:00",
                "--hours",
                "-2",
            ],
            "between 0 and 87840",
        ),
        (
            &["workdays", "--from", "2100-01-01", "--to", "2100-01-31"],
            "no holiday data for 2100",
        ),
        (
            &["workdays", "--from", "2025-02-01", "--to", "2025-01-01"],
            "reversed",
        ),
    ];
    for (args, want) in cases {
        let mut all = vec!["calendar"];
        all.extend_from_slice(args);
        let err = stderr_of_failure(&tripdesk(&all, &db));
        assert!(err.contains(want), "{args:?}: {err}");
    }
    // Exactly one amount: clap refuses none and two.
    let err = stderr_of_failure(&tripdesk(
        &[
            "calendar",
            "add",
            "--from",
            "2025-09-30T17:00:00+08:00",
            "--working-days",
            "1",
            "--hours",
            "2",
        ],
        &db,
    ));
    assert!(err.contains("cannot be used with"), "{err}");
    let err = stderr_of_failure(&tripdesk(
        &["calendar", "add", "--from", "2025-09-30T17:00:00+08:00"],
        &db,
    ));
    assert!(err.contains("required"), "{err}");
}
