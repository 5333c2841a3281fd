//! `/quality`: the service-quality dashboard (needs `view_reports`) — every published
//! commitment with its target, its figure over the chosen period, the trend of the periods
//! before as a server-drawn SVG chart, and a link to the cases behind it: the clocks of a
//! clock figure on `/quality/cases`, the calls, complaints, bookings and customers on their
//! own pages. Filters: period, channel, handling group, agent (a figure whose records lack
//! the dimension says so instead of showing an unfiltered number). Administrators choose the
//! figures published on the public commitments page at the bottom (`/quality/public`).

mod chart;
mod text;

pub(crate) use text::TEXT;

use super::pager::{Extent, Pager, PagerNav};
use super::session::{UiForm, UiUser};
use super::{error_page, local_time, pick, render, see_other_with, Chrome, Flash};
use crate::i18n::Tr;
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use chart::{format_value, trend_svg, Bar};
use serde::Deserialize;
use tripdesk_app::quality::{KpiFigure, KpiQuery, DEFAULT_TREND};
use tripdesk_app::AppError;
use tripdesk_domain::desk::Channel;
use tripdesk_domain::identity::Permission;
use tripdesk_domain::quality::{Kpi, Period, Target, Unit, Verdict};
use uuid::Uuid;

pub(crate) use chart::format_value as kpi_value;

/// The pages of this capability.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/quality", get(dashboard))
        .route("/quality/cases", get(cases))
        .route("/quality/public", post(set_public))
}

/// Clocks per page of the cases.
const PAGE: u32 = 50;

#[derive(Deserialize, Default, Clone)]
pub struct DashQuery {
    from: Option<String>,
    to: Option<String>,
    channel: Option<String>,
    group: Option<String>,
    agent: Option<String>,
    kpi: Option<String>,
}

impl DashQuery {
    /// The query asked, this month by default; a bad field is named.
    fn query(&self, today: jiff::civil::Date) -> Result<KpiQuery, AppError> {
        let day =
            |field: &str, s: &Option<String>| -> Result<Option<jiff::civil::Date>, AppError> {
                match s.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                    None => Ok(None),
                    Some(s) => s
                        .parse()
                        .map(Some)
                        .map_err(|_| AppError::field(field, "invalid", "expected YYYY-MM-DD")),
                }
            };
        let month = Period::month_of(today);
        let from = day("from", &self.from)?.unwrap_or(month.from);
        let to = day("to", &self.to)?.unwrap_or(month.to);
        let period = Period::new(from, to)
            .map_err(|e| AppError::field("to", "calendar.range_too_long", e.to_string()))?;
        let id = |field: &str, s: &Option<String>| -> Result<Option<Uuid>, AppError> {
            match s.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                None => Ok(None),
                Some(s) => s
                    .parse()
                    .map(Some)
                    .map_err(|_| AppError::field(field, "invalid", "unknown")),
            }
        };
        let channel = self
            .channel
            .clone()
            .filter(|c| !c.is_empty() && Channel::parse(c).is_some());
        Ok(KpiQuery {
            period,
            trend: DEFAULT_TREND,
            channel,
            group: id("group", &self.group)?,
            agent: id("agent", &self.agent)?,
        })
    }

    /// The filters as a query string (for the links to the cases and back).
    fn href(&self, path: &str, q: &KpiQuery, kpi: Option<Kpi>) -> String {
        let mut s = form_urlencoded::Serializer::new(String::new());
        if let Some(k) = kpi {
            s.append_pair("kpi", k.as_str());
        }
        s.append_pair("from", &q.period.from.to_string());
        s.append_pair("to", &q.period.to.to_string());
        if let Some(c) = &q.channel {
            s.append_pair("channel", c);
        }
        if let Some(g) = q.group {
            s.append_pair("group", &g.to_string());
        }
        if let Some(a) = q.agent {
            s.append_pair("agent", &a.to_string());
        }
        format!("{path}?{}", s.finish())
    }
}

/// A choice of a filter's select.
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

/// One commitment's card.
struct Card {
    key: &'static str,
    name: &'static str,
    target: String,
    value: String,
    /// `met`, `missed` or `none`.
    verdict: &'static str,
    verdict_label: &'static str,
    counts: String,
    change: Option<String>,
    chart: String,
    /// Where the cases behind the figure are listed.
    cases: Option<String>,
    applies: bool,
}

#[derive(Template)]
#[template(path = "quality/dashboard.html")]
struct DashPage {
    c: Chrome,
    from: String,
    to: String,
    channels: Vec<Choice>,
    groups: Vec<Choice>,
    agents: Vec<Choice>,
    this_month: String,
    last_month: String,
    cards: Vec<Card>,
    can_publish: bool,
    published: Vec<Choice>,
}

fn verdict_code(v: Verdict) -> &'static str {
    match v {
        Verdict::Met => "met",
        Verdict::Missed => "missed",
        Verdict::NotMeasured => "none",
    }
}

/// The target in words: "≥ 95%", "比上期下降 20%".
pub(crate) fn target_text(t: Tr, target: Target) -> String {
    match target {
        Target::AtLeast { permille } => format!("≥ {}%", f64::from(permille) / 10.0),
        Target::Change { percent } if percent < 0 => t
            .s("quality.target.fall")
            .replace("{n}", &percent.abs().to_string()),
        Target::Change { percent } => t
            .s("quality.target.rise")
            .replace("{n}", &percent.to_string()),
    }
}

/// A period's label under its bar: the month, or the first day.
fn period_label(p: Period) -> String {
    match p.whole_months() {
        Some(1) => p.from.strftime("%Y-%m").to_string(),
        _ => p.from.strftime("%m-%d").to_string(),
    }
}

/// The counts behind a figure in words ("answered 190 of 200").
pub(crate) fn counts_text(t: Tr, f: &KpiFigure) -> String {
    let r = f.current().map(|p| p.ratio).unwrap_or_default();
    t.s(&format!("quality.counts.{}", f.kpi.as_str()))
        .replace("{num}", &r.num.to_string())
        .replace("{den}", &r.den.to_string())
        .replace("{share}", &format_value(Unit::Share, r.share()))
}

/// The chart of a figure's trend.
pub(crate) fn figure_chart(t: Tr, f: &KpiFigure) -> String {
    let bars: Vec<Bar> = f
        .points
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let prev = i.checked_sub(1).and_then(|j| f.points[j].value);
            let met = match f.target.judge(p.value, prev) {
                Verdict::Met => Some(true),
                Verdict::Missed => Some(false),
                Verdict::NotMeasured => None,
            };
            Bar {
                label: period_label(p.period),
                value: p.value,
                met,
            }
        })
        .collect();
    let name = t.s(&format!("quality.kpi.{}", f.kpi.as_str()));
    let label = format!(
        "{name} {}",
        format_value(f.unit, f.current().and_then(|p| p.value))
    );
    trend_svg(&bars, f.unit, f.target, f.threshold, &label)
}

/// Where a figure's cases are listed.
fn cases_link(q: &DashQuery, kq: &KpiQuery, k: Kpi) -> Option<String> {
    if !k.clock_targets().is_empty() {
        return Some(q.href("/quality/cases", kq, Some(k)));
    }
    match k {
        Kpi::AnswerRate => Some(format!(
            "/calls/answer-rate?from={}&to={}",
            kq.period.from, kq.period.to
        )),
        Kpi::ComplaintRate => Some("/desk?queue=all&kind=complaint".into()),
        Kpi::RepurchaseRate => Some("/bookings?state=confirmed".into()),
        Kpi::WordOfMouth => Some("/customers".into()),
        Kpi::Satisfaction => Some("/desk?queue=all&kind=complaint&state=closed".into()),
        _ => None,
    }
}

pub async fn dashboard(
    State(state): State<AppState>,
    user: UiUser,
    Query(q): Query<DashQuery>,
) -> Response {
    let t = Tr(user.lang);
    let today = state.app.now().to_zoned(state.tz.clone()).date();
    let kq = match q.query(today) {
        Ok(k) => k,
        Err(e) => return error_page(&state, &user, "quality", e),
    };
    let figures = match state
        .app
        .quality_kpis(&user.principal, &kq, &state.tz)
        .await
    {
        Ok(f) => f,
        Err(e) => return error_page(&state, &user, "quality", e),
    };
    let cards = figures
        .iter()
        .map(|f| {
            let verdict = verdict_code(f.verdict);
            Card {
                key: f.kpi.as_str(),
                name: t.s(&format!("quality.kpi.{}", f.kpi.as_str())),
                target: target_text(t, f.target),
                value: format_value(f.unit, f.current().and_then(|p| p.value)),
                verdict,
                verdict_label: t.s(&format!("quality.verdict.{verdict}")),
                counts: counts_text(t, f),
                change: f
                    .change_percent
                    .map(|c| t.s("quality.change").replace("{n}", &format!("{c:+.1}%"))),
                chart: figure_chart(t, f),
                cases: cases_link(&q, &kq, f.kpi),
                applies: f.applies,
            }
        })
        .collect();
    let channels = std::iter::once(Choice {
        value: String::new(),
        label: t.s("quality.all").into(),
        selected: kq.channel.is_none(),
    })
    .chain(Channel::ALL.iter().map(|c| Choice {
        value: c.as_str().into(),
        label: t.s(&format!("channel.{}", c.as_str())).into(),
        selected: kq.channel.as_deref() == Some(c.as_str()),
    }))
    .collect();
    let mut groups = vec![Choice {
        value: String::new(),
        label: t.s("quality.all").into(),
        selected: kq.group.is_none(),
    }];
    if let Ok(depts) = state.app.list_departments(&user.principal).await {
        groups.extend(depts.into_iter().map(|(d, _)| Choice {
            selected: kq.group == Some(d.id),
            value: d.id.to_string(),
            label: pick(user.lang, &d.name_zh, &d.name_en),
        }));
    }
    let mut agents = vec![Choice {
        value: String::new(),
        label: t.s("quality.all").into(),
        selected: kq.agent.is_none(),
    }];
    let filter = tripdesk_store::UserFilter {
        limit: 500,
        ..Default::default()
    };
    if let Ok(page) = state.app.list_users(&user.principal, &filter).await {
        agents.extend(page.users.into_iter().map(|u| Choice {
            selected: kq.agent == Some(u.id),
            value: u.id.to_string(),
            label: u.display_name,
        }));
    }
    let month = Period::month_of(today);
    let last = month.previous().unwrap_or(month);
    let range = |p: Period| format!("/quality?from={}&to={}", p.from, p.to);
    let can_publish = user.principal.can(Permission::ManageSettings);
    let public = if can_publish {
        state
            .app
            .public_kpi_keys(&user.principal)
            .await
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let published = Kpi::ALL
        .iter()
        .map(|k| Choice {
            value: k.as_str().into(),
            label: t.s(&format!("quality.kpi.{}", k.as_str())).into(),
            selected: public.contains(k),
        })
        .collect();
    let page = DashPage {
        from: kq.period.from.to_string(),
        to: kq.period.to.to_string(),
        channels,
        groups,
        agents,
        this_month: range(month),
        last_month: range(last),
        cards,
        can_publish,
        published,
        c: Chrome::new(&state, &user, "quality"),
    };
    render(StatusCode::OK, &page)
}

/// A clock behind a figure.
struct CaseRow {
    subject: String,
    href: Option<String>,
    kind: &'static str,
    channel: &'static str,
    started: String,
    due: String,
    stopped: String,
    outcome: &'static str,
    outcome_label: &'static str,
}

#[derive(Template)]
#[template(path = "quality/cases.html")]
struct CasesPage {
    c: Chrome,
    name: &'static str,
    period: String,
    back: String,
    rows: Vec<CaseRow>,
    pager: PagerNav,
}

pub async fn cases(
    State(state): State<AppState>,
    user: UiUser,
    pager: Pager,
    Query(q): Query<DashQuery>,
) -> Response {
    let t = Tr(user.lang);
    let today = state.app.now().to_zoned(state.tz.clone()).date();
    let Some(kpi) = q
        .kpi
        .as_deref()
        .and_then(Kpi::parse)
        .filter(|k| !k.clock_targets().is_empty())
    else {
        return error_page(
            &state,
            &user,
            "quality",
            AppError::field("kpi", "invalid", "kpi must be a clock figure"),
        );
    };
    let kq = match q.query(today) {
        Ok(k) => k,
        Err(e) => return error_page(&state, &user, "quality", e),
    };
    let rows = match state
        .app
        .quality_cases(
            &user.principal,
            kpi,
            &kq,
            &state.tz,
            PAGE + 1,
            u64::from(pager.offset(PAGE)),
        )
        .await
    {
        Ok(r) => r,
        Err(e) => return error_page(&state, &user, "quality", e),
    };
    let more = rows.len() > PAGE as usize;
    let rows = rows
        .into_iter()
        .take(PAGE as usize)
        .map(|c| {
            let (href, kind) = match c.subject_type.as_str() {
                "ticket" => (
                    Some(format!("/desk/tickets/{}", c.subject_id)),
                    "quality.subject.ticket",
                ),
                "booking" => (
                    Some(format!("/bookings/{}", c.subject_id)),
                    "quality.subject.booking",
                ),
                _ => (None, "quality.subject.other"),
            };
            let outcome = if c.outcome == "breached" {
                "breached"
            } else {
                "met"
            };
            CaseRow {
                subject: c
                    .label
                    .unwrap_or_else(|| c.subject_id.chars().take(8).collect()),
                href,
                kind: t.s(kind),
                channel: c
                    .channel
                    .as_deref()
                    .map_or("—", |ch| t.s(&format!("channel.{ch}"))),
                started: local_time(&state, c.started_at),
                due: local_time(&state, c.due_at),
                stopped: c
                    .stopped_at
                    .map_or_else(|| "—".into(), |s| local_time(&state, s)),
                outcome,
                outcome_label: t.s(&format!("quality.outcome.{outcome}")),
            }
        })
        .collect();
    let page = CasesPage {
        name: t.s(&format!("quality.kpi.{}", kpi.as_str())),
        period: format!("{} – {}", kq.period.from, kq.period.to),
        back: q.href("/quality", &kq, None),
        rows,
        pager: pager.nav(t, PAGE, Extent::more(more)),
        c: Chrome::new(&state, &user, "quality"),
    };
    render(StatusCode::OK, &page)
}

/// The administrators' choice of the published figures.
pub async fn set_public(State(state): State<AppState>, UiForm { user, form }: UiForm) -> Response {
    let t = Tr(user.lang);
    let kpis: Vec<Kpi> = form.all("kpi").into_iter().filter_map(Kpi::parse).collect();
    match state.app.set_public_kpis(&user.principal, &kpis).await {
        Ok(_) => see_other_with(
            &state,
            &user,
            "/quality#publish",
            Flash::done(t.s("quality.publish.saved")),
        ),
        Err(e) => error_page(&state, &user, "quality", e),
    }
}
