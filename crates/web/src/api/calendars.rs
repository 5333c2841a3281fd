//! Working-day calendars: administration, holiday years and imports, and the arithmetic
//! (working days in a range, a due instant).

use super::rfc3339;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use crate::problem::ApiError;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use jiff::civil::Date;
use jiff::SignedDuration;
use serde::{Deserialize, Serialize};
use tripdesk_app::calendar::{
    calendar_field_error, CalendarAmount, CalendarDetail, CalendarInput, HolidaySource, WEEKDAYS,
};
use tripdesk_app::AppError;
use tripdesk_domain::calendar::{format_ranges, CalendarMode, Festival, YearHolidays};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_calendars, create_calendar))
        .routes(routes!(get_calendar, update_calendar, delete_calendar))
        .routes(routes!(get_year, put_year, delete_year))
        .routes(routes!(import_years))
        .routes(routes!(workdays))
        .routes(routes!(add))
}

/// Working hours per weekday: `HH:MM-HH:MM`, several separated by commas, empty for a day off.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Hours {
    #[serde(default)]
    mon: String,
    #[serde(default)]
    tue: String,
    #[serde(default)]
    wed: String,
    #[serde(default)]
    thu: String,
    #[serde(default)]
    fri: String,
    #[serde(default)]
    sat: String,
    #[serde(default)]
    sun: String,
}

impl Hours {
    fn to_array(&self) -> [String; 7] {
        [
            self.mon.clone(),
            self.tue.clone(),
            self.wed.clone(),
            self.thu.clone(),
            self.fri.clone(),
            self.sat.clone(),
            self.sun.clone(),
        ]
    }

    fn of(cal: &tripdesk_store::CalendarRecord) -> Self {
        let d = |i: usize| format_ranges(cal.weekly.on(WEEKDAYS[i].0));
        Self {
            mon: d(0),
            tue: d(1),
            wed: d(2),
            thu: d(3),
            fri: d(4),
            sat: d(5),
            sun: d(6),
        }
    }
}

/// A year of holiday data, as listed.
#[derive(Serialize, ToSchema)]
pub struct YearSummaryView {
    year: i16,
    notice: Option<String>,
    holidays: u32,
    make_up_days: u32,
}

/// A calendar.
#[derive(Serialize, ToSchema)]
pub struct CalendarView {
    name: String,
    zone: String,
    mode: CalendarMode,
    hours: Hours,
    /// Hours on make-up working days (`""`: Monday's).
    make_up_hours: String,
    description: String,
    /// Grows with every change of the calendar or its years.
    revision: i64,
    years: Vec<YearSummaryView>,
    created_at: String,
    updated_at: String,
}

impl CalendarView {
    fn of(state: &AppState, d: &CalendarDetail) -> Self {
        let c = &d.calendar;
        Self {
            name: c.name.clone(),
            zone: c.zone.clone(),
            mode: c.mode,
            hours: Hours::of(c),
            make_up_hours: format_ranges(&c.make_up_hours),
            description: c.description.clone(),
            revision: c.revision,
            years: d
                .years
                .iter()
                .map(|y| YearSummaryView {
                    year: y.year,
                    notice: y.notice.clone(),
                    holidays: y.holidays,
                    make_up_days: y.make_up_days,
                })
                .collect(),
            created_at: rfc3339(state, c.created_at),
            updated_at: rfc3339(state, c.updated_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct CalendarList {
    items: Vec<CalendarView>,
}

/// Lists calendars with the years of holiday data each has.
#[utoipa::path(get, path = "/api/v1/calendars", tag = "calendars",
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "All calendars", body = CalendarList)))]
async fn list_calendars(
    State(state): State<AppState>,
    Auth(p): Auth,
) -> Result<Json<CalendarList>, ApiError> {
    let items = state.app.list_calendars(&p).await?;
    Ok(Json(CalendarList {
        items: items.iter().map(|d| CalendarView::of(&state, d)).collect(),
    }))
}

/// A new calendar.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarBody {
    /// a–z, 0–9, `-`, `_`; SLA policies refer to it.
    #[schema(min_length = 1, max_length = 40, pattern = "^[a-z0-9_-]{1,40}$")]
    name: String,
    /// IANA zone (default `Asia/Shanghai`).
    zone: Option<String>,
    /// Default `office`.
    mode: Option<CalendarMode>,
    /// Default: Monday to Friday 09:00–18:00.
    hours: Option<Hours>,
    make_up_hours: Option<String>,
    #[schema(max_length = 200)]
    description: Option<String>,
}

/// Creates a calendar (needs `manage_settings`). Add holiday years to it afterwards.
#[utoipa::path(post, path = "/api/v1/calendars", tag = "calendars", request_body = CalendarBody,
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 201, description = "Created", body = CalendarView)))]
async fn create_calendar(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiJson(b): ApiJson<CalendarBody>,
) -> Result<(StatusCode, Json<CalendarView>), ApiError> {
    let office = "09:00-18:00".to_string();
    let hours = b.hours.map(|h| h.to_array()).unwrap_or_else(|| {
        [
            office.clone(),
            office.clone(),
            office.clone(),
            office.clone(),
            office,
            String::new(),
            String::new(),
        ]
    });
    let rec = state
        .app
        .create_calendar(
            &p,
            CalendarInput {
                name: b.name,
                zone: b.zone.unwrap_or_else(|| "Asia/Shanghai".into()),
                mode: b.mode.map_or(CalendarMode::Office, Into::into),
                hours,
                make_up_hours: b.make_up_hours.unwrap_or_default(),
                description: b.description.unwrap_or_default(),
            },
        )
        .await?;
    let detail = CalendarDetail {
        calendar: rec,
        years: Vec::new(),
    };
    Ok((StatusCode::CREATED, Json(CalendarView::of(&state, &detail))))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct NamePath {
    /// The calendar's name, e.g. `cn-mainland`.
    name: String,
}

/// One calendar.
#[utoipa::path(get, path = "/api/v1/calendars/{name}", tag = "calendars", params(NamePath),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The calendar", body = CalendarView)))]
async fn get_calendar(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<NamePath>,
) -> Result<Json<CalendarView>, ApiError> {
    let d = state.app.get_calendar(&p, &path.name).await?;
    Ok(Json(CalendarView::of(&state, &d)))
}

/// Changes to a calendar; absent fields stay.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarPatch {
    zone: Option<String>,
    mode: Option<CalendarMode>,
    hours: Option<Hours>,
    make_up_hours: Option<String>,
    #[schema(max_length = 200)]
    description: Option<String>,
}

/// Changes a calendar's zone, mode, hours or description (needs `manage_settings`).
#[utoipa::path(patch, path = "/api/v1/calendars/{name}", tag = "calendars", params(NamePath),
    request_body = CalendarPatch, security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The updated calendar", body = CalendarView)))]
async fn update_calendar(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<NamePath>,
    ApiJson(b): ApiJson<CalendarPatch>,
) -> Result<Json<CalendarView>, ApiError> {
    let current = state.app.get_calendar(&p, &path.name).await?.calendar;
    let input = CalendarInput {
        name: current.name.clone(),
        zone: b.zone.unwrap_or(current.zone.clone()),
        mode: b.mode.map_or(current.mode, Into::into),
        hours: b.hours.unwrap_or_else(|| Hours::of(&current)).to_array(),
        make_up_hours: b
            .make_up_hours
            .unwrap_or_else(|| format_ranges(&current.make_up_hours)),
        description: b.description.unwrap_or(current.description.clone()),
    };
    state.app.update_calendar(&p, &path.name, input).await?;
    let d = state.app.get_calendar(&p, &path.name).await?;
    Ok(Json(CalendarView::of(&state, &d)))
}

/// Deletes a calendar no SLA policy uses (needs `manage_settings`).
#[utoipa::path(delete, path = "/api/v1/calendars/{name}", tag = "calendars", params(NamePath),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 204, description = "Deleted")))]
async fn delete_calendar(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<NamePath>,
) -> Result<StatusCode, ApiError> {
    state.app.delete_calendar(&p, &path.name).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct YearPath {
    name: String,
    #[param(minimum = 1900, maximum = 2200)]
    year: i16,
}

/// A festival of a year: its holidays (放假) and make-up working days (调休上班).
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FestivalBody {
    /// Chinese name, e.g. `春节`.
    zh: String,
    /// English name, e.g. `Spring Festival`.
    en: String,
    /// Holiday dates, `YYYY-MM-DD`.
    off: Vec<String>,
    /// Make-up working days (Saturdays or Sundays), `YYYY-MM-DD`.
    #[serde(default)]
    work: Vec<String>,
}

/// A year's holiday arrangement.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct YearBody {
    /// Title or reference of the State Council notice.
    notice: Option<String>,
    festivals: Vec<FestivalBody>,
}

fn year_view(y: &YearHolidays) -> YearBody {
    let dates = |s: &std::collections::BTreeSet<Date>| s.iter().map(Date::to_string).collect();
    YearBody {
        notice: y.notice().map(str::to_string),
        festivals: y
            .festivals()
            .iter()
            .map(|f| FestivalBody {
                zh: f.name_zh().to_string(),
                en: f.name_en().to_string(),
                off: dates(f.off()),
                work: dates(f.work()),
            })
            .collect(),
    }
}

/// One year of a calendar's holiday data.
#[utoipa::path(get, path = "/api/v1/calendars/{name}/years/{year}", tag = "calendars", params(YearPath),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The year's arrangement", body = YearBody)))]
async fn get_year(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<YearPath>,
) -> Result<Json<YearBody>, ApiError> {
    let y = state.app.holiday_year(&p, &path.name, path.year).await?;
    Ok(Json(year_view(&y)))
}

fn parse_date(field: &str, s: &str) -> Result<Date, AppError> {
    let s = s.trim();
    if s.len() != 10 {
        return Err(AppError::field(
            field,
            "invalid",
            "expected a date YYYY-MM-DD",
        ));
    }
    s.parse::<Date>()
        .map_err(|_| AppError::field(field, "invalid", "expected a date YYYY-MM-DD"))
}

/// Adds or replaces a year of holiday data (needs `manage_settings`).
#[utoipa::path(put, path = "/api/v1/calendars/{name}/years/{year}", tag = "calendars", params(YearPath),
    request_body = YearBody, security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The year as stored", body = YearBody)))]
async fn put_year(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<YearPath>,
    ApiJson(b): ApiJson<YearBody>,
) -> Result<Json<YearBody>, ApiError> {
    let mut festivals = Vec::new();
    for (i, f) in b.festivals.iter().enumerate() {
        let dates = |list: &[String], what: &str| -> Result<Vec<Date>, AppError> {
            list.iter()
                .enumerate()
                .map(|(j, d)| parse_date(&format!("festivals[{i}].{what}[{j}]"), d))
                .collect()
        };
        let off = dates(&f.off, "off")?;
        let work = dates(&f.work, "work")?;
        festivals.push(Festival::new(f.zh.trim(), f.en.trim(), off, work));
    }
    let year = YearHolidays::new(path.year, b.notice, festivals)
        .map_err(|e| calendar_field_error("festivals", &e))?;
    state
        .app
        .put_holiday_years(&p, &path.name, vec![year], true)
        .await?;
    let y = state.app.holiday_year(&p, &path.name, path.year).await?;
    Ok(Json(year_view(&y)))
}

/// Removes a year of holiday data (needs `manage_settings`). Computations touching the year
/// fail until it is added again.
#[utoipa::path(delete, path = "/api/v1/calendars/{name}/years/{year}", tag = "calendars", params(YearPath),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 204, description = "Deleted")))]
async fn delete_year(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<YearPath>,
) -> Result<StatusCode, ApiError> {
    state
        .app
        .delete_holiday_year(&p, &path.name, path.year)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What an import reads.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportFormat {
    /// The TOML format of the shipped `cn-mainland.toml` (any number of years).
    Toml,
    /// The text of a State Council notice (国务院办公厅关于××年部分节假日安排的通知) for `year`.
    Notice,
    /// The mainland China data shipped with tripdesk (2024–2026).
    Shipped,
}

/// Holiday data to import.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportBody {
    format: ImportFormat,
    /// The file or notice text (not for `shipped`).
    text: Option<String>,
    /// The year a notice arranges (only for `notice`).
    year: Option<i16>,
    /// Replace years that exist (default: refuse them).
    #[serde(default)]
    replace: bool,
}

#[derive(Serialize, ToSchema)]
pub struct ImportResult {
    /// The years written.
    years: Vec<i16>,
}

/// Imports holiday years from a TOML file, a notice's text or the shipped data (needs
/// `manage_settings`). All or nothing.
#[utoipa::path(post, path = "/api/v1/calendars/{name}/import", tag = "calendars", params(NamePath),
    request_body = ImportBody, security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Imported", body = ImportResult)))]
async fn import_years(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<NamePath>,
    ApiJson(b): ApiJson<ImportBody>,
) -> Result<Json<ImportResult>, ApiError> {
    let text = || {
        b.text
            .clone()
            .filter(|t| !t.trim().is_empty())
            .ok_or_else(|| AppError::field("text", "required", "the text to import is required"))
    };
    let source = match b.format {
        ImportFormat::Toml => HolidaySource::Toml(text()?),
        ImportFormat::Notice => HolidaySource::Notice {
            year: b.year.ok_or_else(|| {
                AppError::field("year", "required", "a notice import needs the year")
            })?,
            text: text()?,
        },
        ImportFormat::Shipped => HolidaySource::Shipped,
    };
    let years = state
        .app
        .import_holidays(&p, &path.name, source, b.replace)
        .await?;
    Ok(Json(ImportResult { years }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RangeQuery {
    /// First date, `YYYY-MM-DD`.
    from: String,
    /// Last date (included), `YYYY-MM-DD`; at most 10 years after `from`.
    to: String,
}

/// Working days in a range.
#[derive(Serialize, ToSchema)]
pub struct Workdays {
    calendar: String,
    from: String,
    to: String,
    count: usize,
    /// Every working date, ascending, `YYYY-MM-DD`.
    dates: Vec<String>,
    /// Years of the range judged on the provisional calendar (no State Council arrangement
    /// imported: weekends plus the statutory holidays, no make-up working days).
    provisional_years: Vec<i16>,
}

/// Every working date of a calendar from `from` to `to`, both included.
#[utoipa::path(get, path = "/api/v1/calendars/{name}/workdays", tag = "calendars", params(NamePath, RangeQuery),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The working dates", body = Workdays)))]
async fn workdays(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<NamePath>,
    ApiQuery(q): ApiQuery<RangeQuery>,
) -> Result<Json<Workdays>, ApiError> {
    let from = parse_date("from", &q.from)?;
    let to = parse_date("to", &q.to)?;
    let found = state
        .app
        .calendar_workdays(&p, &path.name, from, to)
        .await?;
    Ok(Json(Workdays {
        calendar: path.name,
        from: from.to_string(),
        to: to.to_string(),
        count: found.dates.len(),
        dates: found.dates.iter().map(Date::to_string).collect(),
        provisional_years: found.provisional_years,
    }))
}

/// A start instant and exactly one amount to add.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddBody {
    /// RFC 3339 instant, e.g. `2025-09-30T17:00:00+08:00`.
    from: String,
    /// The same local time on the n-th working day after.
    working_days: Option<u32>,
    /// Hours of working time (decimals allowed).
    working_hours: Option<f64>,
    /// Hours of wall-clock time (decimals allowed).
    hours: Option<f64>,
}

/// The due instant.
#[derive(Serialize, ToSchema)]
pub struct AddResult {
    calendar: String,
    from: String,
    /// RFC 3339 in the calendar's zone, e.g. `2025-10-11T17:00:00+08:00`.
    due: String,
    /// The computation crossed a year without the State Council's holiday arrangement and
    /// used the provisional calendar there (weekends plus the statutory holidays, no
    /// make-up working days): `due` may move once the arrangement is imported.
    provisional: bool,
    /// Those years, ascending (empty when not provisional).
    provisional_years: Vec<i16>,
}

pub use super::parse_instant;

/// Hours (decimals allowed) as a duration; at most 10 years' worth.
pub fn parse_hours(field: &str, h: f64) -> Result<SignedDuration, AppError> {
    if !h.is_finite() || !(0.0..=24.0 * 366.0 * 10.0).contains(&h) {
        return Err(AppError::field(
            field,
            "out_of_range",
            "hours must be between 0 and 87840 (10 years)",
        ));
    }
    Ok(SignedDuration::from_millis((h * 3_600_000.0).round() as i64))
}

/// Which amount was given: exactly one of the three.
pub fn amount_of(
    working_days: Option<u32>,
    working_hours: Option<f64>,
    hours: Option<f64>,
) -> Result<CalendarAmount, AppError> {
    match (working_days, working_hours, hours) {
        (Some(n), None, None) => Ok(CalendarAmount::WorkingDays(n)),
        (None, Some(h), None) => Ok(CalendarAmount::WorkingHours(parse_hours(
            "working_hours",
            h,
        )?)),
        (None, None, Some(h)) => Ok(CalendarAmount::Hours(parse_hours("hours", h)?)),
        _ => Err(AppError::field(
            "working_days",
            "one_of",
            "give exactly one of working_days, working_hours and hours",
        )),
    }
}

/// `from` plus working days, working hours or hours in a calendar.
#[utoipa::path(post, path = "/api/v1/calendars/{name}/add", tag = "calendars", params(NamePath),
    request_body = AddBody, security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The due instant", body = AddResult)))]
async fn add(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<NamePath>,
    ApiJson(b): ApiJson<AddBody>,
) -> Result<Json<AddResult>, ApiError> {
    let from = parse_instant("from", &b.from)?;
    let amount = amount_of(b.working_days, b.working_hours, b.hours)?;
    let sum = state.app.calendar_add(&p, &path.name, from, amount).await?;
    let due = &sum.due;
    Ok(Json(AddResult {
        calendar: path.name,
        from: rfc3339(&state, from),
        due: due
            .timestamp()
            .display_with_offset(due.offset())
            .to_string(),
        provisional: sum.provisional(),
        provisional_years: sum.provisional_years.clone(),
    }))
}
