//! Pages of the working-day calendars: the list, a calendar with its holiday years, the
//! import form and deleting a year.

mod text;

pub(crate) use text::TEXT;

use super::error_page;
use super::session::{FormData, UiForm, UiUser};
use super::{form_errors, FormError};
use super::{pick, render, see_other, see_other_with, Chrome, Flash, FormState};
use crate::i18n::Tr;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use jiff::civil::Date;
use serde::Deserialize;
use tripdesk_app::calendar::{HolidaySource, WEEKDAYS};
use tripdesk_app::{AppError, FieldError};
use tripdesk_domain::calendar::format_ranges;
use tripdesk_domain::identity::Permission;

/// The pages of this capability.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/calendars", get(calendars).post(create_calendar))
        .route("/calendars/{name}", get(calendar))
        .route("/calendars/{name}/import", get(super::up_one).post(import))
        .route("/calendars/{name}/years/{year}/delete", post(delete_year))
}

/// A run of consecutive dates written `2025-10-01 – 10-08`.
fn runs(dates: &std::collections::BTreeSet<Date>) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut iter = dates.iter().copied().peekable();
    while let Some(start) = iter.next() {
        let mut end = start;
        while let Some(&n) = iter.peek() {
            if end.tomorrow().ok() == Some(n) {
                end = n;
                iter.next();
            } else {
                break;
            }
        }
        if end == start {
            out.push(start.to_string());
        } else {
            out.push(format!("{start} – {}", end.strftime("%m-%d")));
        }
    }
    out.join(", ")
}

// ---- calendars ----

struct CalRow {
    name: String,
    mode: String,
    zone: String,
    hours: String,
    description: String,
    years: String,
}

/// A weekday's working-hours field of the new-calendar form.
struct DayField {
    key: &'static str,
    label: &'static str,
}

#[derive(Template)]
#[template(path = "calendars/list.html")]
struct CalendarsPage {
    c: Chrome,
    rows: Vec<CalRow>,
    /// Administrators add calendars (`manage_settings`).
    can_add: bool,
    days: Vec<DayField>,
    modes: Vec<(&'static str, String)>,
    /// The new-calendar form, as typed when it came back refused.
    f: FormState,
}

/// What a new calendar starts from: office hours on weekdays, China's time zone.
const NEW_CALENDAR: &[(&str, &str)] = &[
    ("zone", "Asia/Shanghai"),
    ("mode", "office"),
    ("hours.mon", "09:00-18:00"),
    ("hours.tue", "09:00-18:00"),
    ("hours.wed", "09:00-18:00"),
    ("hours.thu", "09:00-18:00"),
    ("hours.fri", "09:00-18:00"),
];

/// The new-calendar form's labels, for the messages beside its fields.
const NEW_CALENDAR_LABELS: &[(&str, &str)] = &[
    ("name", "cal.name"),
    ("zone", "cal.zone"),
    ("description", "field.description"),
    ("make_up_hours", "cal.make_up_hours"),
    ("hours.mon", "weekday.mon"),
    ("hours.tue", "weekday.tue"),
    ("hours.wed", "weekday.wed"),
    ("hours.thu", "weekday.thu"),
    ("hours.fri", "weekday.fri"),
    ("hours.sat", "weekday.sat"),
    ("hours.sun", "weekday.sun"),
];

fn mode_label(t: Tr, mode: tripdesk_domain::calendar::CalendarMode) -> String {
    t.s(&format!("cal.mode.{}", mode.as_str())).to_string()
}

pub async fn calendars(State(state): State<AppState>, user: UiUser) -> Response {
    calendars_page(&state, &user, FormState::with_defaults(NEW_CALENDAR)).await
}

/// Adds a calendar from the form under the list; its page follows, to import holidays.
pub async fn create_calendar(
    State(state): State<AppState>,
    UiForm { user, form }: UiForm,
) -> Response {
    let t = Tr(user.lang);
    let mode = match form.get("mode") {
        "always_open" => tripdesk_domain::calendar::CalendarMode::AlwaysOpen,
        _ => tripdesk_domain::calendar::CalendarMode::Office,
    };
    let input = tripdesk_app::calendar::CalendarInput {
        name: form.get("name").trim().to_string(),
        zone: form.get("zone").trim().to_string(),
        mode,
        hours: WEEKDAYS.map(|(_, key)| form.get(&format!("hours.{key}")).trim().to_string()),
        make_up_hours: form.get("make_up_hours").trim().to_string(),
        description: form.get("description").trim().to_string(),
    };
    match state.app.create_calendar(&user.principal, input).await {
        Ok(c) => see_other_with(
            &state,
            &user,
            &format!("/calendars/{}", c.name),
            Flash::done(t.s("cal.flash.created")),
        ),
        Err(e) => match e.into_field_errors("name") {
            Ok(fields) => {
                let f = FormState::typed(&form).refused(t, &fields, NEW_CALENDAR_LABELS);
                calendars_page(&state, &user, f).await
            }
            Err(e) => error_page(&state, &user, "calendars", e),
        },
    }
}

async fn calendars_page(state: &AppState, user: &UiUser, f: FormState) -> Response {
    let t = Tr(user.lang);
    let list = match state.app.list_calendars(&user.principal).await {
        Ok(l) => l,
        Err(e) => return error_page(state, user, "calendars", e),
    };
    let rows = list
        .iter()
        .map(|d| {
            let c = &d.calendar;
            CalRow {
                name: c.name.clone(),
                mode: mode_label(t, c.mode),
                zone: c.zone.clone(),
                hours: WEEKDAYS
                    .iter()
                    .filter(|(day, _)| !c.weekly.on(*day).is_empty())
                    .map(|(day, key)| {
                        format!(
                            "{} {}",
                            t.s(&format!("weekday.{key}")),
                            format_ranges(c.weekly.on(*day))
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(" · "),
                description: c.description.clone(),
                years: d
                    .years
                    .iter()
                    .map(|y| y.year.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            }
        })
        .collect();
    render(
        f.status(),
        &CalendarsPage {
            c: Chrome::new(state, user, "calendars")
                .with_holiday_gaps(state, user)
                .await,
            rows,
            can_add: user.principal.can(Permission::ManageSettings),
            days: WEEKDAYS
                .iter()
                .map(|(_, key)| DayField {
                    key,
                    label: t.s(&format!("weekday.{key}")),
                })
                .collect(),
            modes: tripdesk_domain::calendar::CalendarMode::ALL
                .iter()
                .map(|m| (m.as_str(), mode_label(t, *m)))
                .collect(),
            f,
        },
    )
}

struct FestivalRow {
    name: String,
    off: String,
    work: String,
}

struct YearBlock {
    year: i16,
    notice: String,
    festivals: Vec<FestivalRow>,
}

#[derive(Template)]
#[template(path = "calendars/calendar.html")]
struct CalendarPage {
    c: Chrome,
    name: String,
    mode: String,
    zone: String,
    office: bool,
    can_manage: bool,
    years: Vec<YearBlock>,
    errors: Vec<FormError>,
    form_format: String,
    form_year: String,
    form_text: String,
    imported: String,
}

async fn calendar_page(
    state: &AppState,
    user: &UiUser,
    name: &str,
    form: Option<&FormData>,
    fields: Vec<FieldError>,
    imported: String,
) -> Response {
    let t = Tr(user.lang);
    let detail = match state.app.get_calendar(&user.principal, name).await {
        Ok(d) => d,
        Err(e) => return error_page(state, user, "sla", e),
    };
    let mut years = Vec::new();
    for y in &detail.years {
        let data = match state.app.holiday_year(&user.principal, name, y.year).await {
            Ok(d) => d,
            Err(e) => return error_page(state, user, "sla", e),
        };
        years.push(YearBlock {
            year: y.year,
            notice: y.notice.clone().unwrap_or_default(),
            festivals: data
                .festivals()
                .iter()
                .map(|f| FestivalRow {
                    name: pick(user.lang, f.name_zh(), f.name_en()),
                    off: runs(f.off()),
                    work: runs(f.work()),
                })
                .collect(),
        });
    }
    let status = if fields.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let c = &detail.calendar;
    render(
        status,
        &CalendarPage {
            name: c.name.clone(),
            mode: mode_label(t, c.mode),
            zone: c.zone.clone(),
            office: c.mode == tripdesk_domain::calendar::CalendarMode::Office,
            can_manage: user.principal.can(Permission::ManageSettings),
            years,
            errors: form_errors(t, fields),
            form_format: form.map_or("notice".into(), |f| f.get("format").to_string()),
            form_year: form.map_or(String::new(), |f| f.get("year").to_string()),
            form_text: form.map_or(String::new(), |f| f.get("text").to_string()),
            imported,
            c: Chrome::new(state, user, "calendars")
                .with_holiday_gaps(state, user)
                .await,
        },
    )
}

pub async fn calendar(
    State(state): State<AppState>,
    user: UiUser,
    Path(name): Path<String>,
    Query(q): Query<ImportedQuery>,
) -> Response {
    calendar_page(
        &state,
        &user,
        &name,
        None,
        Vec::new(),
        q.imported.unwrap_or_default(),
    )
    .await
}

#[derive(Deserialize)]
pub struct ImportedQuery {
    imported: Option<String>,
}

/// The import form: a pasted State Council notice, a TOML file's text, or the shipped data.
pub async fn import(
    State(state): State<AppState>,
    Path(name): Path<String>,
    UiForm { user, form }: UiForm,
) -> Response {
    let text = form.get("text").to_string();
    let source = match form.get("format") {
        "toml" => Ok(HolidaySource::Toml(text)),
        "shipped" => Ok(HolidaySource::Shipped),
        _ => match form.get("year").trim().parse::<i16>() {
            Ok(year) => Ok(HolidaySource::Notice { year, text }),
            Err(_) => Err(FieldError::new(
                "year",
                "required",
                Tr(user.lang).s("cal.import.year_required"),
            )),
        },
    };
    let result = match source {
        Ok(source) => {
            state
                .app
                .import_holidays(
                    &user.principal,
                    &name,
                    source,
                    form.get("replace") == "true",
                )
                .await
        }
        Err(f) => Err(AppError::Validation(vec![f])),
    };
    match result {
        Ok(years) => {
            let list: Vec<String> = years.iter().map(i16::to_string).collect();
            see_other(&format!(
                "/calendars/{}?imported={}",
                percent_encoding::utf8_percent_encode(&name, percent_encoding::NON_ALPHANUMERIC),
                list.join(",")
            ))
        }
        Err(e) => match e.into_field_errors("year") {
            Ok(fields) => {
                calendar_page(&state, &user, &name, Some(&form), fields, String::new()).await
            }
            Err(e) => error_page(&state, &user, "sla", e),
        },
    }
}

/// Deletes a year (a small form per year).
pub async fn delete_year(
    State(state): State<AppState>,
    Path((name, year)): Path<(String, i16)>,
    UiForm { user, .. }: UiForm,
) -> Response {
    match state
        .app
        .delete_holiday_year(&user.principal, &name, year)
        .await
    {
        Ok(()) => see_other(&format!(
            "/calendars/{}",
            percent_encoding::utf8_percent_encode(&name, percent_encoding::NON_ALPHANUMERIC)
        )),
        Err(e) => error_page(&state, &user, "sla", e),
    }
}
