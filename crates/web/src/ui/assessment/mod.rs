//! Staff assessment pages: the months (open one: `assess_staff`), a month's page with its
//! results per department and agent (`view_reports`), the rating form (supervisor ratings:
//! `assess_staff`; peer and self: `rate_colleagues`), trainings, rewards and corrections.
//! A refused form comes back as typed with its errors (422); a done one redirects.

mod text;

pub(crate) use text::TEXT;

use super::form::FormState;
use super::session::{FormData, UiForm, UiUser};
use super::{error_page, local_time, render, see_other_with, Chrome, Flash};
use crate::i18n::Tr;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use tripdesk_app::assessment::{ActionInput, RatingInput, TrainingInput};
use tripdesk_app::AppError;
use tripdesk_domain::assessment::{ActionKind, Criterion, CycleState, Marks, RaterKind, Subject};
use tripdesk_domain::identity::Permission;
use uuid::Uuid;

/// The pages of this capability.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/assessment", get(months).post(open))
        .route("/assessment/{month}", get(month))
        .route("/assessment/{month}/close", post(close))
        .route("/assessment/{month}/ratings", post(rate))
        .route("/assessment/{month}/actions", post(record_action))
        .route("/assessment/{month}/trainings", post(record_training))
}

/// An option of a select.
pub(crate) struct Opt {
    value: String,
    label: String,
}

struct MonthRow {
    month: String,
    state: &'static str,
    state_label: &'static str,
}

#[derive(Template)]
#[template(path = "assessment/months.html")]
struct MonthsPage {
    c: Chrome,
    rows: Vec<MonthRow>,
    can_assess: bool,
    this_month: String,
    f: FormState,
}

fn state_label(t: Tr, s: CycleState) -> &'static str {
    t.s(&format!("assess.state.{}", s.as_str()))
}

/// The labels the forms show, for their errors.
const LABELS: &[(&str, &str)] = &[
    ("month", "assess.month"),
    ("ratee_id", "assess.ratee"),
    ("marks", "assess.rate"),
    ("comment", "assess.comment"),
    ("note", "assess.note"),
    ("subject_id", "assess.subject"),
    ("title", "assess.training.name"),
    ("hours", "assess.training.hours"),
    ("user_id", "assess.agent"),
    ("on_date", "assess.training.date"),
];

async fn months_page(state: &AppState, user: &UiUser, f: FormState) -> Response {
    let t = Tr(user.lang);
    let cycles = match state.app.list_assessments(&user.principal, 120, 0).await {
        Ok(c) => c,
        Err(e) => return error_page(state, user, "assessment", e),
    };
    let today = state.app.today();
    render(
        f.status(),
        &MonthsPage {
            rows: cycles
                .iter()
                .map(|c| MonthRow {
                    month: c.month.clone(),
                    state: c.state.as_str(),
                    state_label: state_label(t, c.state),
                })
                .collect(),
            can_assess: user.principal.can(Permission::AssessStaff),
            this_month: format!("{:04}-{:02}", today.year(), today.month()),
            f,
            c: Chrome::new(state, user, "assessment"),
        },
    )
}

pub async fn months(State(state): State<AppState>, user: UiUser) -> Response {
    months_page(&state, &user, FormState::default()).await
}

pub async fn open(State(state): State<AppState>, UiForm { user, form }: UiForm) -> Response {
    let t = Tr(user.lang);
    let month = form.get("month").trim().to_string();
    match state.app.open_assessment(&user.principal, &month).await {
        Ok(c) => see_other_with(
            &state,
            &user,
            &format!("/assessment/{}", c.month),
            Flash::done(t.s("assess.flash.opened")),
        ),
        Err(AppError::Validation(fields)) => {
            let f = FormState::typed(&form).refused(t, &fields, LABELS);
            months_page(&state, &user, f).await
        }
        Err(AppError::Conflict { code, message, .. }) if code == "assessment_exists" => {
            let e = AppError::Conflict {
                code,
                message,
                field: None,
            };
            let f = FormState::typed(&form).error("month", crate::i18n::app_error(t, &e));
            months_page(&state, &user, f).await
        }
        Err(e) => error_page(&state, &user, "assessment", e),
    }
}

struct DeptRow {
    name: String,
    agents: usize,
    score: String,
    bar: u32,
}

struct AgentRow {
    name: String,
    department: String,
    score: String,
    bar: u32,
    sources: Vec<String>,
    criteria: Vec<String>,
    trainings: String,
    drills: u64,
}

struct ActionRow {
    kind: &'static str,
    kind_label: &'static str,
    subject: String,
    note: String,
    at: String,
}

struct TrainingRow {
    who: String,
    title: String,
    date: String,
    hours: String,
}

struct MyRow {
    ratee: String,
    kind_label: &'static str,
    marks: String,
}

#[derive(Template)]
#[template(path = "assessment/month.html")]
struct MonthPage {
    c: Chrome,
    month: String,
    open: bool,
    state_label: &'static str,
    can_assess: bool,
    can_rate: bool,
    can_read: bool,
    departments: Vec<DeptRow>,
    agents: Vec<AgentRow>,
    sources: Vec<&'static str>,
    criteria: Vec<(&'static str, &'static str)>,
    actions: Vec<ActionRow>,
    trainings: Vec<TrainingRow>,
    my: Vec<MyRow>,
    staff: Vec<Opt>,
    kinds: Vec<Opt>,
    subjects: Vec<Opt>,
    /// The form that came back (`rate`, `action`, `training`) or empty.
    posted: &'static str,
    f: FormState,
}

fn one_decimal(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.1}")).unwrap_or_else(|| "—".into())
}

fn marks_text(m: &Marks) -> String {
    m.iter()
        .map(|m| m.map(|v| v.to_string()).unwrap_or_else(|| "—".into()))
        .collect::<Vec<_>>()
        .join(" / ")
}

/// A department's name in the page's language ("—" for none).
fn pick(t: Tr, zh: &str, en: &str) -> String {
    let name = if t.0 == crate::i18n::Lang::En && !en.is_empty() {
        en
    } else {
        zh
    };
    if name.is_empty() {
        "—".into()
    } else {
        name.to_string()
    }
}

fn kind_label(t: Tr, k: RaterKind) -> &'static str {
    t.s(&format!("assess.src.{}", k.as_str()))
}

async fn month_page(
    state: &AppState,
    user: &UiUser,
    month: &str,
    posted: &'static str,
    f: FormState,
) -> Response {
    let t = Tr(user.lang);
    let p = &user.principal;
    let cycles = match state.app.list_assessments(p, 120, 0).await {
        Ok(c) => c,
        Err(e) => return error_page(state, user, "assessment", e),
    };
    let Some(cycle) = cycles.into_iter().find(|c| c.month == month) else {
        return error_page(
            state,
            user,
            "assessment",
            AppError::NotFound("assessment month"),
        );
    };
    let staff = state.app.assessed_staff(p).await.unwrap_or_default();
    let name_of = |id: Uuid| {
        staff
            .iter()
            .find(|u| u.id == id)
            .map(|u| u.display_name.clone())
            .unwrap_or_else(|| "—".into())
    };
    let can_read = p.can(Permission::ViewReports);
    let results = if can_read {
        match state.app.assessment_results(p, month).await {
            Ok(r) => Some(r),
            Err(e) => return error_page(state, user, "assessment", e),
        }
    } else {
        None
    };
    let mut page = MonthPage {
        month: cycle.month.clone(),
        open: cycle.state == CycleState::Open,
        state_label: state_label(t, cycle.state),
        can_assess: p.can(Permission::AssessStaff),
        can_rate: p.can(Permission::RateColleagues) || p.can(Permission::AssessStaff),
        can_read,
        departments: Vec::new(),
        agents: Vec::new(),
        sources: RaterKind::ALL.iter().map(|k| kind_label(t, *k)).collect(),
        criteria: Criterion::ALL
            .iter()
            .map(|c| (c.as_str(), t.s(&format!("assess.crit.{}", c.as_str()))))
            .collect(),
        actions: Vec::new(),
        trainings: Vec::new(),
        my: state
            .app
            .my_ratings(p, month)
            .await
            .unwrap_or_default()
            .iter()
            .map(|r| MyRow {
                ratee: name_of(r.ratee_id),
                kind_label: kind_label(t, r.kind),
                marks: marks_text(&r.marks),
            })
            .collect(),
        staff: staff
            .iter()
            .map(|u| Opt {
                value: u.id.to_string(),
                label: u.display_name.clone(),
            })
            .collect(),
        kinds: [
            RaterKind::SelfRating,
            RaterKind::Peer,
            RaterKind::Supervisor,
        ]
        .into_iter()
        .filter(|k| match k {
            RaterKind::Supervisor => p.can(Permission::AssessStaff),
            _ => p.can(Permission::RateColleagues),
        })
        .map(|k| Opt {
            value: k.as_str().into(),
            label: kind_label(t, k).into(),
        })
        .collect(),
        subjects: Vec::new(),
        posted,
        f,
        c: Chrome::new(state, user, "assessment"),
    };
    if let Some(r) = results {
        page.departments = r
            .departments
            .iter()
            .map(|d| DeptRow {
                name: pick(t, &d.name, &d.name_en),
                agents: d.agents,
                score: one_decimal(d.score),
                bar: d.score.unwrap_or(0.0).round().clamp(0.0, 100.0) as u32,
            })
            .collect();
        page.agents = r
            .agents
            .iter()
            .map(|a| AgentRow {
                name: a.name.clone(),
                department: pick(t, &a.department, &a.department_en),
                score: one_decimal(a.score.weighted),
                bar: a.score.weighted.unwrap_or(0.0).round().clamp(0.0, 100.0) as u32,
                sources: a
                    .score
                    .by_source
                    .iter()
                    .zip(a.score.counts)
                    .map(|(m, n)| match m {
                        Some(m) => format!("{m:.1} ({n})"),
                        None => "—".into(),
                    })
                    .collect(),
                criteria: a
                    .score
                    .by_criterion
                    .iter()
                    .map(|c| one_decimal(*c))
                    .collect(),
                trainings: format!(
                    "{} · {:.1}",
                    a.trainings,
                    a.training_hours_tenths as f64 / 10.0
                ),
                drills: a.drills,
            })
            .collect();
        let dept_name = |id: Uuid| {
            r.departments
                .iter()
                .find(|d| d.id == Some(id))
                .map(|d| pick(t, &d.name, &d.name_en))
                .unwrap_or_else(|| "—".into())
        };
        page.actions = r
            .actions
            .iter()
            .map(|a| ActionRow {
                kind: a.kind.as_str(),
                kind_label: t.s(&format!("assess.action.{}", a.kind.as_str())),
                subject: match a.subject {
                    Subject::Agent => name_of(a.subject_id),
                    Subject::Department => dept_name(a.subject_id),
                },
                note: a.note.clone(),
                at: local_time(state, a.recorded_at),
            })
            .collect();
        page.trainings = r
            .trainings
            .iter()
            .map(|tr| TrainingRow {
                who: name_of(tr.user_id),
                title: tr.title.clone(),
                date: tr.on_date.to_string(),
                hours: format!("{:.1}", tr.hours_tenths as f64 / 10.0),
            })
            .collect();
        page.subjects = r
            .departments
            .iter()
            .filter_map(|d| {
                Some(Opt {
                    value: format!("department:{}", d.id?),
                    label: format!(
                        "{} · {}",
                        t.s("assess.department"),
                        pick(t, &d.name, &d.name_en)
                    ),
                })
            })
            .chain(staff.iter().map(|u| Opt {
                value: format!("agent:{}", u.id),
                label: u.display_name.clone(),
            }))
            .collect();
    }
    let status = page.f.status();
    render(status, &page)
}

pub async fn month(
    State(state): State<AppState>,
    Path(month): Path<String>,
    user: UiUser,
) -> Response {
    month_page(&state, &user, &month, "", FormState::default()).await
}

/// After a form: the month's page with `flash`, or the page again with the form as typed.
async fn answer<T>(
    state: &AppState,
    user: &UiUser,
    month: &str,
    which: &'static str,
    form: &FormData,
    result: Result<T, AppError>,
    done: &str,
) -> Response {
    let t = Tr(user.lang);
    match result {
        Ok(_) => see_other_with(
            state,
            user,
            &format!("/assessment/{month}"),
            Flash::done(t.s(done)),
        ),
        Err(AppError::Validation(fields)) => {
            let f = FormState::typed(form).refused(t, &fields, LABELS);
            month_page(state, user, month, which, f).await
        }
        Err(e @ AppError::Conflict { .. }) => {
            let f = FormState::typed(form).error(which, crate::i18n::app_error(t, &e));
            month_page(state, user, month, which, f).await
        }
        Err(e) => error_page(state, user, "assessment", e),
    }
}

pub async fn close(
    State(state): State<AppState>,
    Path(month): Path<String>,
    UiForm { user, form }: UiForm,
) -> Response {
    let r = state.app.close_assessment(&user.principal, &month).await;
    answer(
        &state,
        &user,
        &month,
        "close",
        &form,
        r,
        "assess.flash.closed",
    )
    .await
}

fn mark(form: &FormData, c: Criterion) -> Option<u8> {
    form.get(c.as_str()).trim().parse().ok()
}

pub async fn rate(
    State(state): State<AppState>,
    Path(month): Path<String>,
    UiForm { user, form }: UiForm,
) -> Response {
    let Ok(ratee_id) = Uuid::parse_str(form.get("ratee_id")) else {
        let t = Tr(user.lang);
        let f = FormState::typed(&form).error(
            "ratee_id",
            t.s("err.required").replace("{label}", t.s("assess.ratee")),
        );
        return month_page(&state, &user, &month, "rate", f).await;
    };
    let kind = RaterKind::parse(form.get("kind")).unwrap_or(RaterKind::Peer);
    let marks: Marks = Criterion::ALL.map(|c| mark(&form, c));
    let comment = Some(form.get("comment").trim().to_string()).filter(|c| !c.is_empty());
    let input = RatingInput {
        ratee_id,
        kind,
        marks,
        comment,
    };
    let r = state.app.rate_staff(&user.principal, &month, &input).await;
    answer(
        &state,
        &user,
        &month,
        "rate",
        &form,
        r,
        "assess.flash.rated",
    )
    .await
}

pub async fn record_action(
    State(state): State<AppState>,
    Path(month): Path<String>,
    UiForm { user, form }: UiForm,
) -> Response {
    let (subject, id) = form.get("subject").split_once(':').unwrap_or(("", ""));
    let (Some(subject), Ok(subject_id)) = (Subject::parse(subject), Uuid::parse_str(id)) else {
        let t = Tr(user.lang);
        let f = FormState::typed(&form).error(
            "subject_id",
            t.s("err.required")
                .replace("{label}", t.s("assess.subject")),
        );
        return month_page(&state, &user, &month, "action", f).await;
    };
    let input = ActionInput {
        subject,
        subject_id,
        kind: ActionKind::parse(form.get("kind")).unwrap_or(ActionKind::Reward),
        note: form.get("note").to_string(),
    };
    let r = state
        .app
        .record_assessment_action(&user.principal, &month, &input)
        .await;
    answer(
        &state,
        &user,
        &month,
        "action",
        &form,
        r,
        "assess.flash.action",
    )
    .await
}

pub async fn record_training(
    State(state): State<AppState>,
    Path(month): Path<String>,
    UiForm { user, form }: UiForm,
) -> Response {
    let t = Tr(user.lang);
    let user_id = Uuid::parse_str(form.get("user_id")).ok();
    let on_date = form.get("on_date").trim().parse::<jiff::civil::Date>().ok();
    let hours: Option<f64> = form
        .get("hours")
        .trim()
        .parse()
        .ok()
        .filter(|h: &f64| h.is_finite());
    let (Some(user_id), Some(on_date), Some(hours)) = (user_id, on_date, hours) else {
        let mut f = FormState::typed(&form);
        for (field, ok, label) in [
            ("user_id", user_id.is_some(), "assess.agent"),
            ("on_date", on_date.is_some(), "assess.training.date"),
            ("hours", hours.is_some(), "assess.training.hours"),
        ] {
            if !ok {
                f = f.error(field, t.s("err.invalid").replace("{label}", t.s(label)));
            }
        }
        return month_page(&state, &user, &month, "training", f).await;
    };
    let input = TrainingInput {
        user_id,
        title: form.get("title").to_string(),
        on_date,
        hours_tenths: (hours * 10.0).round() as i64,
    };
    let r = state.app.record_training(&user.principal, &input).await;
    answer(
        &state,
        &user,
        &month,
        "training",
        &form,
        r,
        "assess.flash.training",
    )
    .await
}
