//! Working-day calendars: administration (calendars, holiday years, imports), arithmetic on
//! them (working days in a range, due instants), and loading a calendar for the SLA engine
//! through a cache that one cheap read keeps honest across nodes.

use crate::{App, AppError, FieldError, OnDuplicate, Principal};
use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp, Zoned};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tripdesk_domain::audit::AuditAction;
use tripdesk_domain::calendar::{
    self, parse_notice, parse_ranges, Calendar, CalendarError, CalendarMode, HolidaySet, TimeRange,
    WeeklyHours, YearHolidays,
};
use tripdesk_domain::identity::Permission;
use tripdesk_store::signal::Topic;
use tripdesk_store::{CalendarRecord, HolidayYearSummary, Tx};
use uuid::Uuid;

/// The weekdays in the order forms and the API list them.
pub const WEEKDAYS: [(Weekday, &str); 7] = [
    (Weekday::Monday, "mon"),
    (Weekday::Tuesday, "tue"),
    (Weekday::Wednesday, "wed"),
    (Weekday::Thursday, "thu"),
    (Weekday::Friday, "fri"),
    (Weekday::Saturday, "sat"),
    (Weekday::Sunday, "sun"),
];

/// A calendar as submitted. Hours are `HH:MM-HH:MM[,HH:MM-HH:MM…]`, empty for a day off.
#[derive(Debug, Clone)]
pub struct CalendarInput {
    pub name: String,
    pub zone: String,
    pub mode: CalendarMode,
    /// Monday first.
    pub hours: [String; 7],
    /// Hours on make-up working days; empty means Monday's.
    pub make_up_hours: String,
    pub description: String,
}

/// A calendar with the years of holiday data it has.
#[derive(Debug, Clone)]
pub struct CalendarDetail {
    pub calendar: CalendarRecord,
    pub years: Vec<HolidayYearSummary>,
}

/// Working dates of a range.
#[derive(Debug, Clone)]
pub struct CalendarDates {
    pub dates: Vec<Date>,
    /// Years of the range judged on the provisional calendar (weekends and statutory
    /// holidays only, no State Council arrangement yet), ascending.
    pub provisional_years: Vec<i16>,
}

/// A due instant computed in a calendar.
#[derive(Debug, Clone)]
pub struct CalendarDue {
    pub due: Zoned,
    /// Years between start and due judged on the provisional calendar; not empty means
    /// the instant is provisional and may move when the arrangement is imported.
    pub provisional_years: Vec<i16>,
}

impl CalendarDue {
    pub fn provisional(&self) -> bool {
        !self.provisional_years.is_empty()
    }
}

/// What to add to a start instant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CalendarAmount {
    /// The same local time on the n-th working day after.
    WorkingDays(u32),
    /// Working time inside the calendar's hours.
    WorkingHours(SignedDuration),
    /// Wall-clock time.
    Hours(SignedDuration),
}

/// Where imported holiday data comes from.
#[derive(Debug, Clone)]
pub enum HolidaySource {
    /// The TOML format of the shipped `cn-mainland.toml` (any number of years).
    Toml(String),
    /// The text of a State Council notice for one year.
    Notice { year: i16, text: String },
    /// The data shipped with tripdesk (mainland China, 2024–2026).
    Shipped,
}

/// Calendars loaded for computations, keyed by name with the revision they were loaded at.
#[derive(Default)]
pub struct CalendarCache {
    loaded: Mutex<HashMap<String, LoadedCalendar>>,
}

/// A calendar as loaded, and until when it is used without a look at its revision.
struct LoadedCalendar {
    revision: i64,
    calendar: Arc<Calendar>,
    /// `Topic::Config`'s generation when the revision was last read.
    config: u64,
    /// The revision is read again from this instant (or at once after a change to any
    /// calendar is announced, on this node or another).
    checked_until: jiff::Timestamp,
}

/// How long a calendar's revision, once read, is trusted: every calendar and holiday change
/// is announced on `Topic::Config` (at commit in this process, by `NOTIFY` on the others),
/// which ends it at once; this bounds what a lost announcement can leave stale.
const CALENDAR_CHECK_TTL: jiff::SignedDuration = jiff::SignedDuration::from_secs(2);

/// `CalendarError` as a field error: the code is the domain's stable code.
pub fn calendar_field_error(field: &str, e: &CalendarError) -> AppError {
    AppError::Validation(vec![FieldError::new(field, e.code(), e.to_string())])
}

/// Parses an IANA zone name.
pub fn parse_zone(field: &str, zone: &str) -> Result<TimeZone, AppError> {
    TimeZone::get(zone.trim()).map_err(|_| {
        AppError::field(
            field,
            "unknown_zone",
            "not an IANA time zone such as Asia/Shanghai",
        )
    })
}

/// Builds the domain calendar from a stored record and its holiday years.
pub fn build_calendar(
    rec: &CalendarRecord,
    years: Vec<YearHolidays>,
) -> Result<Calendar, AppError> {
    let zone = TimeZone::get(&rec.zone)
        .map_err(|_| AppError::Internal(format!("calendar {} has an unknown zone", rec.name)))?;
    match rec.mode {
        CalendarMode::AlwaysOpen => Ok(Calendar::always_open(&rec.name, zone)),
        CalendarMode::Office => {
            let mut holidays = HolidaySet::empty();
            for y in years {
                holidays.replace(y);
            }
            let cal = Calendar::new(&rec.name, zone, rec.weekly.clone(), holidays);
            if rec.make_up_hours.is_empty() {
                Ok(cal)
            } else {
                cal.with_make_up_hours(rec.make_up_hours.clone())
                    .map_err(|e| AppError::Internal(e.to_string()))
            }
        }
    }
}

/// What the audit log records of a calendar: its settings (old against new on a change).
fn calendar_settings(rec: &CalendarRecord) -> serde_json::Value {
    let mut hours = serde_json::Map::new();
    for (day, key) in WEEKDAYS {
        hours.insert(
            key.to_string(),
            calendar::format_ranges(rec.weekly.on(day)).into(),
        );
    }
    serde_json::json!({
        "zone": rec.zone,
        "mode": rec.mode.as_str(),
        "hours": hours,
        "make_up_hours": calendar::format_ranges(&rec.make_up_hours),
        "description": rec.description,
    })
}

fn name_ok(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 40
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

fn checked_input(input: &CalendarInput) -> Result<(WeeklyHours, Vec<TimeRange>), AppError> {
    let mut fields = Vec::new();
    if !name_ok(input.name.trim()) {
        fields.push(FieldError::new(
            "name",
            "invalid",
            "name must be 1 to 40 characters of a-z, 0-9, - and _",
        ));
    }
    if TimeZone::get(input.zone.trim()).is_err() {
        fields.push(FieldError::new(
            "zone",
            "unknown_zone",
            "not an IANA time zone such as Asia/Shanghai",
        ));
    }
    crate::check_optional_text(
        &mut fields,
        "description",
        Some(&input.description),
        200,
        crate::Lines::One,
    );
    let mut weekly = WeeklyHours::closed();
    for ((day, key), text) in WEEKDAYS.iter().zip(&input.hours) {
        match parse_ranges(text).and_then(|r| weekly.clone().with_day(*day, r)) {
            Ok(w) => weekly = w,
            Err(e) => fields.push(FieldError::new(
                &format!("hours.{key}"),
                e.code(),
                e.to_string(),
            )),
        }
    }
    let make_up = match parse_ranges(&input.make_up_hours) {
        Ok(r) => r,
        Err(e) => {
            fields.push(FieldError::new("make_up_hours", e.code(), e.to_string()));
            Vec::new()
        }
    };
    if input.mode == CalendarMode::Office && fields.is_empty() && weekly.is_closed() {
        fields.push(FieldError::new(
            "hours",
            "closed",
            "an office calendar needs working hours on at least one weekday",
        ));
    }
    if fields.is_empty() {
        Ok((weekly, make_up))
    } else {
        Err(AppError::Validation(fields))
    }
}

/// Records of the two calendars every installation starts with.
fn builtin_calendars(now: Timestamp) -> Vec<(CalendarRecord, bool)> {
    let office = Calendar::china_mainland_office();
    let hotline = Calendar::always_open(Calendar::HOTLINE, calendar::china_time_zone());
    [
        (
            office,
            "中国大陆办公时间：周一至周五 09:00–18:00，法定节假日休息，调休日上班 / Mainland China office hours",
            true,
        ),
        (
            hotline,
            "24 小时服务热线，节假日照常 / 24-hour hotline, holidays included",
            false,
        ),
    ]
    .into_iter()
    .map(|(cal, description, with_years)| {
        (
            CalendarRecord {
                id: Uuid::now_v7(),
                name: cal.name().to_string(),
                zone: Calendar::CHINA_TIME_ZONE.to_string(),
                mode: cal.mode(),
                weekly: cal.weekly_hours().clone(),
                make_up_hours: cal.make_up_hours().to_vec(),
                description: description.to_string(),
                revision: 1,
                created_at: now,
                updated_at: now,
            },
            with_years,
        )
    })
    .collect()
}

impl App {
    /// Creates the built-in calendars (`cn-mainland` with the shipped 2024–2026 holidays,
    /// `hotline` always open) and the default SLA policies when they are missing. Safe to run
    /// on every start and on several nodes at once; never overwrites what administrators
    /// changed (a deleted year stays deleted).
    pub async fn ensure_builtin_calendars(&self) -> Result<(), AppError> {
        let now = self.now();
        let mut tx = self.store.write_seeding().await?;
        for (rec, with_years) in builtin_calendars(now) {
            if tx.insert_calendar_if_absent(&rec).await? && with_years {
                for year in HolidaySet::china_mainland()
                    .years()
                    .filter_map(|y| HolidaySet::china_mainland().year(y).cloned())
                {
                    tx.put_holiday_year(rec.id, &year, false, now).await?;
                }
            }
        }
        self.ensure_default_policies(&mut *tx, now).await?;
        tx.commit().await?;
        self.config.invalidate();
        Ok(())
    }

    pub async fn list_calendars(
        &self,
        principal: &Principal,
    ) -> Result<Vec<CalendarDetail>, AppError> {
        principal.require(Permission::ViewDesk)?;
        let mut tx = self.store.read().await?;
        let mut out = Vec::new();
        for calendar in tx.list_calendars().await? {
            let years = tx.holiday_year_summaries(calendar.id).await?;
            out.push(CalendarDetail { calendar, years });
        }
        Ok(out)
    }

    pub async fn get_calendar(
        &self,
        principal: &Principal,
        name: &str,
    ) -> Result<CalendarDetail, AppError> {
        principal.require(Permission::ViewDesk)?;
        let mut tx = self.store.read().await?;
        let calendar = find(&mut *tx, name).await?;
        let years = tx.holiday_year_summaries(calendar.id).await?;
        Ok(CalendarDetail { calendar, years })
    }

    pub async fn create_calendar(
        &self,
        principal: &Principal,
        input: CalendarInput,
    ) -> Result<CalendarRecord, AppError> {
        principal.require(Permission::ManageSettings)?;
        let (weekly, make_up_hours) = checked_input(&input)?;
        let now = self.now();
        let rec = CalendarRecord {
            id: Uuid::now_v7(),
            name: input.name.trim().to_string(),
            zone: input.zone.trim().to_string(),
            mode: input.mode,
            weekly,
            make_up_hours,
            description: input.description.trim().to_string(),
            revision: 1,
            created_at: now,
            updated_at: now,
        };
        let mut tx = self.store.write().await?;
        tx.insert_calendar(&rec).await.on_duplicate(
            "calendar_name_taken",
            Some("name"),
            "another calendar already has this name",
        )?;
        self.audit(
            &mut *tx,
            principal,
            AuditAction::CalendarCreate,
            "calendar",
            Some(rec.name.clone()),
            calendar_settings(&rec),
        )
        .await?;
        tx.commit().await?;
        Ok(rec)
    }

    /// Changes a calendar's zone, mode, hours and description (its name stays).
    pub async fn update_calendar(
        &self,
        principal: &Principal,
        name: &str,
        input: CalendarInput,
    ) -> Result<CalendarRecord, AppError> {
        principal.require(Permission::ManageSettings)?;
        let input = CalendarInput {
            name: name.to_string(),
            ..input
        };
        let (weekly, make_up_hours) = checked_input(&input)?;
        let mut tx = self.store.write().await?;
        let mut rec = find(&mut *tx, name).await?;
        let before = calendar_settings(&rec);
        rec.zone = input.zone.trim().to_string();
        rec.mode = input.mode;
        rec.weekly = weekly;
        rec.make_up_hours = make_up_hours;
        rec.description = input.description.trim().to_string();
        rec.updated_at = self.now();
        if !tx.update_calendar(&rec).await? {
            return Err(AppError::Conflict {
                code: "calendar_changed",
                message: "the calendar was changed meanwhile; reload and try again".into(),
                field: None,
            });
        }
        self.audit(
            &mut *tx,
            principal,
            AuditAction::CalendarUpdate,
            "calendar",
            Some(rec.name.clone()),
            serde_json::json!({
                "changed": crate::audit::changes(&before, &calendar_settings(&rec)),
            }),
        )
        .await?;
        tx.commit().await?;
        rec.revision += 1;
        Ok(rec)
    }

    /// Deletes a calendar no SLA policy and no open clock uses.
    pub async fn delete_calendar(&self, principal: &Principal, name: &str) -> Result<(), AppError> {
        principal.require(Permission::ManageSettings)?;
        let mut tx = self.store.write().await?;
        let rec = find(&mut *tx, name).await?;
        let in_use = tx
            .list_sla_policies()
            .await?
            .iter()
            .any(|p| p.target.calendar == rec.name);
        if in_use {
            return Err(AppError::Conflict {
                code: "calendar_in_use",
                message: "an SLA policy counts time in this calendar; move it first".into(),
                field: None,
            });
        }
        tx.delete_calendar(rec.id).await?;
        self.audit(
            &mut *tx,
            principal,
            AuditAction::CalendarDelete,
            "calendar",
            Some(rec.name.clone()),
            calendar_settings(&rec),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// One year of a calendar's holiday data.
    pub async fn holiday_year(
        &self,
        principal: &Principal,
        name: &str,
        year: i16,
    ) -> Result<YearHolidays, AppError> {
        principal.require(Permission::ViewDesk)?;
        let mut tx = self.store.read().await?;
        let rec = find(&mut *tx, name).await?;
        tx.holiday_years(rec.id)
            .await?
            .into_iter()
            .find(|y| y.year() == year)
            .ok_or(AppError::NotFound("holiday year"))
    }

    /// Adds (or with `replace`, replaces) checked years of holiday data. Returns the years
    /// written; an existing year without `replace` is a conflict and nothing is written.
    pub async fn put_holiday_years(
        &self,
        principal: &Principal,
        name: &str,
        years: Vec<YearHolidays>,
        replace: bool,
    ) -> Result<Vec<i16>, AppError> {
        principal.require(Permission::ManageSettings)?;
        let now = self.now();
        let mut tx = self.store.write().await?;
        let rec = find(&mut *tx, name).await?;
        if rec.mode == CalendarMode::AlwaysOpen {
            return Err(AppError::field(
                "calendar",
                "always_open",
                "an always-open calendar counts holidays as working time and keeps no holiday data",
            ));
        }
        let before = self.load_calendar(&mut *tx, &rec.name).await?;
        let mut written = Vec::new();
        for y in &years {
            if !tx.put_holiday_year(rec.id, y, replace, now).await? {
                return Err(AppError::Conflict {
                    code: "holiday_year_exists",
                    message: format!(
                        "{} already has data for {}; replace it explicitly",
                        rec.name,
                        y.year()
                    ),
                    field: Some("year".into()),
                });
            }
            written.push(y.year());
        }
        let after = build_calendar(&rec, tx.holiday_years(rec.id).await?)?;
        let recomputed = self
            .recompute_provisional_clocks(&mut *tx, &before, &after)
            .await?;
        self.audit(
            &mut *tx,
            principal,
            AuditAction::CalendarHolidaysImported,
            "calendar",
            Some(rec.name.clone()),
            serde_json::json!({
                "years": written,
                "replace": replace,
                "clocks_recomputed": recomputed.recomputed,
                "clocks_still_provisional": recomputed.still_provisional,
            }),
        )
        .await?;
        tx.commit().await?;
        Ok(written)
    }

    /// Reads holiday data from a TOML file, a notice's text or the shipped data, checks it
    /// and writes it like [`App::put_holiday_years`].
    pub async fn import_holidays(
        &self,
        principal: &Principal,
        name: &str,
        source: HolidaySource,
        replace: bool,
    ) -> Result<Vec<i16>, AppError> {
        principal.require(Permission::ManageSettings)?;
        let years = match source {
            HolidaySource::Toml(text) => {
                calendar::parse_toml(&text).map_err(|e| calendar_field_error("text", &e))?
            }
            HolidaySource::Notice { year, text } => {
                let notice =
                    parse_notice(year, &text).map_err(|e| calendar_field_error("text", &e))?;
                if notice.festivals.is_empty() {
                    return Err(AppError::field(
                        "text",
                        "holidays.notice",
                        "no festival line (二、春节：…) found in the notice",
                    ));
                }
                let title = text
                    .lines()
                    .map(str::trim)
                    .find(|l| !l.is_empty() && l.contains("通知"))
                    .map(|l| l.chars().take(200).collect());
                vec![notice
                    .into_year(title)
                    .map_err(|e| calendar_field_error("text", &e))?]
            }
            HolidaySource::Shipped => {
                let set = HolidaySet::china_mainland();
                set.years().filter_map(|y| set.year(y).cloned()).collect()
            }
        };
        if years.is_empty() {
            return Err(AppError::field("text", "empty", "no year found to import"));
        }
        self.put_holiday_years(principal, name, years, replace)
            .await
    }

    pub async fn delete_holiday_year(
        &self,
        principal: &Principal,
        name: &str,
        year: i16,
    ) -> Result<(), AppError> {
        principal.require(Permission::ManageSettings)?;
        let mut tx = self.store.write().await?;
        let rec = find(&mut *tx, name).await?;
        if !tx.delete_holiday_year(rec.id, year, self.now()).await? {
            return Err(AppError::NotFound("holiday year"));
        }
        self.audit(
            &mut *tx,
            principal,
            AuditAction::CalendarHolidaysDeleted,
            "calendar",
            Some(rec.name.clone()),
            serde_json::json!({ "year": year }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The working days of a calendar from `from` to `to`, both included, with the years
    /// judged on the provisional calendar (no State Council arrangement yet).
    pub async fn calendar_workdays(
        &self,
        principal: &Principal,
        name: &str,
        from: Date,
        to: Date,
    ) -> Result<CalendarDates, AppError> {
        principal.require(Permission::ViewDesk)?;
        let cal = {
            let mut tx = self.store.read().await?;
            self.load_calendar(&mut *tx, name).await?
        };
        let dates = cal.workdays(from, to).map_err(|e| {
            let field = match e {
                CalendarError::NoHolidayData { year } if year == from.year() => "from",
                _ => "to",
            };
            calendar_field_error(field, &e)
        })?;
        let provisional_years = (from.year()..=to.year())
            .filter(|&y| cal.is_provisional_year(y))
            .collect();
        Ok(CalendarDates {
            dates,
            provisional_years,
        })
    }

    /// `from` plus an amount of (working) time in a calendar, as a zoned instant in the
    /// calendar's zone.
    pub async fn calendar_add(
        &self,
        principal: &Principal,
        name: &str,
        from: Timestamp,
        amount: CalendarAmount,
    ) -> Result<CalendarDue, AppError> {
        principal.require(Permission::ViewDesk)?;
        let cal = {
            let mut tx = self.store.read().await?;
            self.load_calendar(&mut *tx, name).await?
        };
        let (field, result) = match amount {
            CalendarAmount::WorkingDays(n) => ("working_days", cal.add_working_days(from, n)),
            CalendarAmount::WorkingHours(d) => ("working_hours", cal.add_working_hours(from, d)),
            CalendarAmount::Hours(d) => ("hours", cal.add_hours(from, d)),
        };
        let due = result.map_err(|e| {
            let field = match e {
                CalendarError::NoHolidayData { .. } | CalendarError::RangeTooLong { .. } => field,
                CalendarError::NegativeDuration { .. } => field,
                _ => "from",
            };
            calendar_field_error(field, &e)
        })?;
        // Wall-clock hours never consult the holidays.
        let provisional_years = match amount {
            CalendarAmount::Hours(_) => Vec::new(),
            _ => cal.provisional_years_between(from, due),
        };
        Ok(CalendarDue {
            due: due.to_zoned(cal.zone().clone()),
            provisional_years,
        })
    }

    /// The calendar named `name` as of `tx`, from the cache when its revision is unchanged.
    /// The revision is read at most every [`CALENDAR_CHECK_TTL`] while no change to a
    /// calendar is announced (an intake starts its clock without reading the calendar), and
    /// always in a transaction that changed a calendar itself.
    pub async fn load_calendar(
        &self,
        tx: &mut dyn Tx,
        name: &str,
    ) -> Result<Arc<Calendar>, AppError> {
        let now = self.now();
        let config = self.store.signals().generation(Topic::Config);
        if !tx.announces(Topic::Config) {
            let loaded = self.calendars.loaded.lock().expect("cache");
            if let Some(l) = loaded.get(name) {
                if l.config == config && now < l.checked_until {
                    return Ok(l.calendar.clone());
                }
            }
        }
        let rec = find(tx, name).await?;
        let checked_until = now + CALENDAR_CHECK_TTL;
        if let Some(l) = self.calendars.loaded.lock().expect("cache").get_mut(name) {
            if l.revision == rec.revision {
                l.config = config;
                l.checked_until = checked_until;
                return Ok(l.calendar.clone());
            }
        }
        let years = match rec.mode {
            CalendarMode::Office => tx.holiday_years(rec.id).await?,
            CalendarMode::AlwaysOpen => Vec::new(),
        };
        let cal = Arc::new(build_calendar(&rec, years)?);
        self.calendars.loaded.lock().expect("cache").insert(
            rec.name.clone(),
            LoadedCalendar {
                revision: rec.revision,
                calendar: cal.clone(),
                config,
                checked_until,
            },
        );
        Ok(cal)
    }
}

/// A calendar by name, or 404.
async fn find(tx: &mut dyn Tx, name: &str) -> Result<CalendarRecord, AppError> {
    tx.get_calendar_by_name(name)
        .await?
        .ok_or(AppError::NotFound("calendar"))
}
