//! Pages of the SLA engine: the policy list and editor, and the compliance table.

mod text;

pub(crate) use text::TEXT;

use super::error_page;
use super::session::{FormData, UiForm, UiUser};
use super::{form_errors, FormError};
use super::{pick, render, role_label, see_other, Chrome};
use crate::i18n::Tr;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use tripdesk_app::sla::{Breakdown, ComplianceQuery, PolicyInput};
use tripdesk_app::{AppError, FieldError};
use tripdesk_domain::identity::{Permission, Role};
use tripdesk_domain::sla::ClockKind;
use tripdesk_store::SlaPolicy;

/// The pages of this capability.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/sla/policies", get(policies))
        .route("/sla/policies/{key}", get(edit_policy).post(update_policy))
        .route("/sla/compliance", get(compliance))
}

struct PolicyRow {
    key: String,
    name: String,
    figure: String,
    calendar: String,
    warn: String,
    notify: String,
    enabled: bool,
}

#[derive(Template)]
#[template(path = "sla/policies.html")]
struct PoliciesPage {
    c: Chrome,
    can_manage: bool,
    rows: Vec<PolicyRow>,
}

/// "3 min", "1 working day", "3–5 working days".
fn figure(t: Tr, p: &SlaPolicy) -> String {
    let x = &p.target;
    let amount = match x.earliest {
        Some(e) => format!("{e}–{}", x.amount),
        None => x.amount.to_string(),
    };
    let unit = match x.kind {
        ClockKind::CalendarHours => t.s("sla.unit.minutes"),
        ClockKind::WorkingHours => t.s("sla.unit.working_minutes"),
        ClockKind::WorkingDays => t.s("sla.unit.working_days"),
    };
    format!("{amount} {unit}")
}

pub async fn policies(State(state): State<AppState>, user: UiUser) -> Response {
    let t = Tr(user.lang);
    let list = match state.app.list_sla_policies(&user.principal).await {
        Ok(l) => l,
        Err(e) => return error_page(&state, &user, "sla", e),
    };
    let rows = list
        .iter()
        .map(|p| PolicyRow {
            key: p.target.key.to_string(),
            name: pick(user.lang, &p.target.name_zh, &p.target.name_en),
            figure: figure(t, p),
            calendar: p.target.calendar.to_string(),
            warn: if p.target.warn_at_percent == 0 {
                "—".into()
            } else {
                format!("{} %", p.target.warn_at_percent)
            },
            notify: p
                .notify_breach
                .iter()
                .map(|r| role_label(t, *r))
                .collect::<Vec<_>>()
                .join(" · "),
            enabled: p.enabled,
        })
        .collect();
    render(
        StatusCode::OK,
        &PoliciesPage {
            can_manage: user.principal.can(Permission::ManageSettings),
            rows,
            c: Chrome::new(&state, &user, "sla_policies"),
        },
    )
}

struct Choice {
    value: String,
    label: String,
    selected: bool,
}

#[derive(Template)]
#[template(path = "sla/policy_form.html")]
struct PolicyFormPage {
    c: Chrome,
    key: String,
    errors: Vec<FormError>,
    name_zh: String,
    name_en: String,
    kinds: Vec<Choice>,
    amount: String,
    earliest: String,
    calendars: Vec<Choice>,
    warn_at_percent: String,
    pause_when: String,
    notify_warning: Vec<Choice>,
    notify_breach: Vec<Choice>,
    enabled: bool,
}

fn role_choices(t: Tr, selected: &[Role]) -> Vec<Choice> {
    Role::ALL
        .iter()
        .map(|r| Choice {
            value: r.as_str().into(),
            label: role_label(t, *r),
            selected: selected.contains(r),
        })
        .collect()
}

async fn policy_form(
    state: &AppState,
    user: &UiUser,
    key: &str,
    form: Option<&FormData>,
    fields: Vec<FieldError>,
) -> Response {
    if let Err(e) = user.principal.require(Permission::ManageSettings) {
        return error_page(state, user, "sla", e);
    }
    let t = Tr(user.lang);
    let p = match state.app.get_sla_policy(&user.principal, key).await {
        Ok(p) => p,
        Err(e) => return error_page(state, user, "sla", e),
    };
    let cals = state
        .app
        .list_calendars(&user.principal)
        .await
        .unwrap_or_default();
    let x = &p.target;
    let val = |name: &str, current: String| form.map_or(current, |f| f.get(name).to_string());
    let kind = val("kind", x.kind.as_str().to_string());
    let calendar = val("calendar", x.calendar.to_string());
    let roles = |name: &str, current: &[Role]| -> Vec<Role> {
        match form {
            Some(f) => f.all(name).iter().filter_map(|r| r.parse().ok()).collect(),
            None => current.to_vec(),
        }
    };
    let status = if fields.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render(
        status,
        &PolicyFormPage {
            key: key.to_string(),
            errors: form_errors(t, fields),
            name_zh: val("name_zh", x.name_zh.to_string()),
            name_en: val("name_en", x.name_en.to_string()),
            kinds: ClockKind::ALL
                .iter()
                .map(|k| Choice {
                    value: k.as_str().into(),
                    label: t.s(&format!("sla.kind.{}", k.as_str())).into(),
                    selected: kind == k.as_str(),
                })
                .collect(),
            amount: val("amount", x.amount.to_string()),
            earliest: val(
                "earliest",
                x.earliest.map(|e| e.to_string()).unwrap_or_default(),
            ),
            calendars: cals
                .iter()
                .map(|d| Choice {
                    value: d.calendar.name.clone(),
                    label: d.calendar.name.clone(),
                    selected: calendar == d.calendar.name,
                })
                .collect(),
            warn_at_percent: val("warn_at_percent", x.warn_at_percent.to_string()),
            pause_when: val("pause_when", p.pause_when.join(", ")),
            notify_warning: role_choices(t, &roles("notify_warning", &p.notify_warning)),
            notify_breach: role_choices(t, &roles("notify_breach", &p.notify_breach)),
            enabled: form.map_or(p.enabled, |f| f.get("enabled") == "true"),
            c: Chrome::new(state, user, "sla_policies"),
        },
    )
}

pub async fn edit_policy(
    State(state): State<AppState>,
    user: UiUser,
    Path(key): Path<String>,
) -> Response {
    policy_form(&state, &user, &key, None, Vec::new()).await
}

fn number<T: std::str::FromStr>(
    form: &FormData,
    name: &str,
    fields: &mut Vec<FieldError>,
) -> Option<T> {
    let v = form.get(name).trim();
    match v.parse() {
        Ok(n) => Some(n),
        Err(_) => {
            fields.push(FieldError::new(name, "invalid", "enter a whole number"));
            None
        }
    }
}

pub async fn update_policy(
    State(state): State<AppState>,
    Path(key): Path<String>,
    UiForm { user, form }: UiForm,
) -> Response {
    let mut fields = Vec::new();
    let kind = ClockKind::parse(form.get("kind"));
    if kind.is_none() {
        fields.push(FieldError::new("kind", "invalid", "choose how time counts"));
    }
    let amount = number::<u32>(&form, "amount", &mut fields);
    let earliest = if form.get("earliest").trim().is_empty() {
        Some(None)
    } else {
        number::<u32>(&form, "earliest", &mut fields).map(Some)
    };
    let warn = number::<u8>(&form, "warn_at_percent", &mut fields);
    let (Some(kind), Some(amount), Some(earliest), Some(warn)) = (kind, amount, earliest, warn)
    else {
        return policy_form(&state, &user, &key, Some(&form), fields).await;
    };
    let roles = |name: &str| {
        form.all(name)
            .iter()
            .filter_map(|r| r.parse().ok())
            .collect()
    };
    let input = PolicyInput {
        name_zh: form.get("name_zh").into(),
        name_en: form.get("name_en").into(),
        kind,
        amount,
        earliest,
        calendar: form.get("calendar").into(),
        warn_at_percent: warn,
        pause_when: form
            .get("pause_when")
            .split([',', '，', ' '])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        notify_warning: roles("notify_warning"),
        notify_breach: roles("notify_breach"),
        enabled: form.get("enabled") == "true",
    };
    match state
        .app
        .update_sla_policy(&user.principal, &key, input)
        .await
    {
        Ok(_) => see_other("/sla/policies"),
        Err(AppError::Validation(fields)) => {
            policy_form(&state, &user, &key, Some(&form), fields).await
        }
        Err(e) => error_page(&state, &user, "sla", e),
    }
}

// ---- compliance ----

struct ComplianceLine {
    name: String,
    group: String,
    met: u32,
    breached: u32,
    running: u32,
    share: String,
    low: bool,
    median: String,
    p90: String,
}

#[derive(Template)]
#[template(path = "sla/compliance.html")]
struct CompliancePage {
    c: Chrome,
    from: String,
    to: String,
    by: String,
    errors: Vec<FormError>,
    lines: Vec<ComplianceLine>,
}

#[derive(Deserialize)]
pub struct ComplianceForm {
    from: Option<String>,
    to: Option<String>,
    by: Option<String>,
}

/// "2 min 24 s", "3 h 05 min", "2 d 4 h".
fn human(d: Option<jiff::SignedDuration>) -> String {
    let Some(d) = d else {
        return "—".into();
    };
    let s = d.as_secs().max(0);
    match s {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} min {:02} s", s / 60, s % 60),
        s if s < 86_400 => format!("{} h {:02} min", s / 3600, (s % 3600) / 60),
        s => format!("{} d {} h", s / 86_400, (s % 86_400) / 3600),
    }
}

pub async fn compliance(
    State(state): State<AppState>,
    user: UiUser,
    Query(q): Query<ComplianceForm>,
) -> Response {
    if let Err(e) = user.principal.require(Permission::ViewReports) {
        return error_page(&state, &user, "sla", e);
    }
    let t = Tr(user.lang);
    let today = state.app.now().to_zoned(state.tz.clone()).date();
    let month_start = today.first_of_month();
    let from = q
        .from
        .filter(|s| !s.is_empty())
        .unwrap_or(month_start.to_string());
    let to = q.to.filter(|s| !s.is_empty()).unwrap_or(today.to_string());
    let by = q.by.unwrap_or_default();
    let mut errors = Vec::new();
    let bounds = (
        crate::api::sla::period_bound(&state, "from", &from, false),
        crate::api::sla::period_bound(&state, "to", &to, true),
    );
    let mut lines = Vec::new();
    match bounds {
        (Ok(f), Ok(tt)) => {
            let query = ComplianceQuery {
                from: f,
                to: tt,
                by: Breakdown::parse(&by),
                target_key: None,
            };
            match state.app.sla_compliance(&user.principal, &query).await {
                Ok(rows) => {
                    let names = group_names(&state, &user, query.by).await;
                    lines = rows
                        .into_iter()
                        .map(|r| ComplianceLine {
                            name: pick(user.lang, &r.name_zh, &r.name_en),
                            group: r
                                .group
                                .as_ref()
                                .map(|g| names.get(g).cloned().unwrap_or_else(|| g.clone()))
                                .unwrap_or_else(|| {
                                    if query.by.is_some() {
                                        t.s("sla.group.none").to_string()
                                    } else {
                                        String::new()
                                    }
                                }),
                            met: r.figures.met,
                            breached: r.figures.breached,
                            running: r.figures.running,
                            share: r
                                .figures
                                .share_met
                                .map_or("—".into(), |s| format!("{:.1} %", s * 100.0)),
                            low: r.figures.share_met.is_some_and(|s| s < 0.95),
                            median: human(r.figures.median),
                            p90: human(r.figures.p90),
                        })
                        .collect();
                }
                Err(AppError::Validation(f)) => errors = form_errors(t, f),
                Err(e) => return error_page(&state, &user, "sla", e),
            }
        }
        (a, b) => {
            for r in [a, b] {
                if let Err(AppError::Validation(f)) = r {
                    errors.extend(form_errors(t, f));
                }
            }
        }
    }
    render(
        if errors.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        },
        &CompliancePage {
            from,
            to,
            by,
            errors,
            lines,
            c: Chrome::new(&state, &user, "sla_compliance"),
        },
    )
}

/// Department and agent names for the breakdown column (ids otherwise).
async fn group_names(
    state: &AppState,
    user: &UiUser,
    by: Option<Breakdown>,
) -> std::collections::HashMap<String, String> {
    let mut names = std::collections::HashMap::new();
    match by {
        Some(Breakdown::Department) => {
            if let Ok(depts) = state.app.list_departments(&user.principal).await {
                for (d, _) in depts {
                    names.insert(d.id.to_string(), pick(user.lang, &d.name_zh, &d.name_en));
                }
            }
        }
        Some(Breakdown::Agent) => {
            let filter = tripdesk_store::UserFilter {
                include_disabled: true,
                limit: 10_000,
                ..Default::default()
            };
            if let Ok(page) = state.app.list_users(&user.principal, &filter).await {
                for u in page.users {
                    names.insert(u.id.to_string(), u.display_name);
                }
            }
        }
        _ => {}
    }
    names
}
