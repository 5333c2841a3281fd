//! `tripdesk calendar …`: calendar arithmetic from the command line, on the calendars in the
//! store (a fresh data directory has the built-in `cn-mainland` and `hotline`).

use crate::{load_config, open_store, telemetry, DbArgs};
use anyhow::{anyhow, bail};
use clap::{ArgGroup, Subcommand};
use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use std::io::Write;
use tripdesk_app::calendar::CalendarAmount;
use tripdesk_app::{App, AppError};
use tripdesk_domain::calendar::Calendar;

#[derive(Subcommand)]
pub enum CalendarCommand {
    /// Print every working date from --from to --to (both included), one ISO date a line.
    Workdays {
        /// First date, YYYY-MM-DD.
        #[arg(long)]
        from: String,
        /// Last date, YYYY-MM-DD (at most 10 years after --from).
        #[arg(long)]
        to: String,
        /// The calendar (default: cn-mainland, mainland China office hours).
        #[arg(long, default_value = Calendar::CHINA_MAINLAND_OFFICE)]
        calendar: String,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Print the instant --from plus working days, working hours or hours, in RFC 3339 in the
    /// calendar's zone.
    #[command(group(ArgGroup::new("amount").required(true).multiple(false)))]
    Add {
        /// Start instant, RFC 3339 (e.g. 2025-09-30T17:00:00+08:00).
        #[arg(long)]
        from: String,
        /// The same local time on the N-th working day after.
        #[arg(long, group = "amount")]
        working_days: Option<u32>,
        /// H hours of working time (decimals allowed).
        #[arg(long, group = "amount", allow_negative_numbers = true)]
        working_hours: Option<f64>,
        /// H hours of wall-clock time (decimals allowed).
        #[arg(long, group = "amount", allow_negative_numbers = true)]
        hours: Option<f64>,
        /// The calendar (default: cn-mainland).
        #[arg(long, default_value = Calendar::CHINA_MAINLAND_OFFICE)]
        calendar: String,
        #[command(flatten)]
        db: DbArgs,
    },
    /// List the calendars and the years of holiday data each has.
    List {
        #[command(flatten)]
        db: DbArgs,
    },
}

fn parse_date(flag: &str, s: &str) -> anyhow::Result<Date> {
    let bad = || anyhow!("{flag} {s:?} is not a date like 2024-01-01 (YYYY-MM-DD)");
    if s.trim().len() != 10 {
        return Err(bad());
    }
    s.trim().parse().map_err(|_| bad())
}

fn parse_instant(s: &str) -> anyhow::Result<Timestamp> {
    s.trim().parse().map_err(|_| {
        anyhow!("--from {s:?} is not an RFC 3339 instant like 2025-09-30T17:00:00+08:00")
    })
}

fn hours(flag: &str, h: f64) -> anyhow::Result<SignedDuration> {
    if !h.is_finite() || !(0.0..=24.0 * 366.0 * 10.0).contains(&h) {
        bail!("{flag} must be between 0 and 87840 hours (10 years)");
    }
    Ok(SignedDuration::from_millis((h * 3_600_000.0).round() as i64))
}

/// A use-case error as a message naming what was wrong.
fn explain(e: AppError, calendar: &str) -> anyhow::Error {
    match e {
        AppError::NotFound("calendar") => {
            anyhow!("unknown calendar {calendar:?}; `tripdesk calendar list` shows the calendars")
        }
        AppError::Validation(fields) => anyhow!(
            "{}",
            fields
                .iter()
                .map(|f| format!("--{}: {}", f.field.replace('_', "-"), f.message))
                .collect::<Vec<_>>()
                .join("; ")
        ),
        other => anyhow!("{other}"),
    }
}

async fn open(db: &DbArgs) -> anyhow::Result<App> {
    let config = load_config(db, None)?;
    telemetry::init(&config);
    let store = open_store(&config).await?;
    let app = crate::console_app(&config, store);
    app.ensure_builtin_calendars().await?;
    Ok(app)
}

/// The mark of a result computed on the provisional calendar, in both languages.
fn provisional_note(years: &[i16]) -> String {
    let years: Vec<String> = years.iter().map(i16::to_string).collect();
    format!(
        "暂定（待国务院放假安排）/ provisional, no State Council holiday arrangement for {}: weekends and statutory holidays only",
        years.join(", ")
    )
}

pub async fn run(command: CalendarCommand) -> anyhow::Result<()> {
    let principal = App::console_principal();
    match command {
        CalendarCommand::Workdays {
            from,
            to,
            calendar,
            db,
        } => {
            let from = parse_date("--from", &from)?;
            let to = parse_date("--to", &to)?;
            let app = open(&db).await?;
            let result = app.calendar_workdays(&principal, &calendar, from, to).await;
            app.store.close().await;
            let found = result.map_err(|e| explain(e, &calendar))?;
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            for d in found.dates {
                writeln!(out, "{d}")?;
            }
            out.flush()?;
            if !found.provisional_years.is_empty() {
                eprintln!("{}", provisional_note(&found.provisional_years));
            }
            Ok(())
        }
        CalendarCommand::Add {
            from,
            working_days,
            working_hours,
            hours: wall,
            calendar,
            db,
        } => {
            let from = parse_instant(&from)?;
            let amount = match (working_days, working_hours, wall) {
                (Some(n), _, _) => CalendarAmount::WorkingDays(n),
                (_, Some(h), _) => CalendarAmount::WorkingHours(hours("--working-hours", h)?),
                (_, _, Some(h)) => CalendarAmount::Hours(hours("--hours", h)?),
                _ => bail!("give one of --working-days, --working-hours, --hours"),
            };
            let app = open(&db).await?;
            let result = app.calendar_add(&principal, &calendar, from, amount).await;
            app.store.close().await;
            let sum = result.map_err(|e| explain(e, &calendar))?;
            let due = &sum.due;
            if sum.provisional() {
                println!(
                    "{}\t{}",
                    due.timestamp().display_with_offset(due.offset()),
                    provisional_note(&sum.provisional_years)
                );
            } else {
                println!("{}", due.timestamp().display_with_offset(due.offset()));
            }
            Ok(())
        }
        CalendarCommand::List { db } => {
            let app = open(&db).await?;
            let result = app.list_calendars(&principal).await;
            app.store.close().await;
            for d in result? {
                let years: Vec<String> = d.years.iter().map(|y| y.year.to_string()).collect();
                println!(
                    "{}\t{}\t{}\t{}",
                    d.calendar.name,
                    d.calendar.mode.as_str(),
                    d.calendar.zone,
                    if years.is_empty() {
                        "-".to_string()
                    } else {
                        years.join(",")
                    }
                );
            }
            Ok(())
        }
    }
}
