//! `/commitments`: the agency's service commitments for everyone, without signing in — the
//! SLA policies in force as promises with their deadlines, the cancellation policies in force
//! (refund tiers; the agency's compensation standard when it cancels), the complaint
//! channels and the consumer-rights notice (Tourism Law, Consumer Rights Protection Law),
//! and the live figures the agency chose to publish (`/quality`), each against its target.

use super::{chrome, render, unexpected, PublicChrome};
use crate::i18n::Tr;
use crate::ui::quality::{figure_chart, kpi_value, target_text};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use tripdesk_domain::bookings::Tier;
use tripdesk_domain::quality::Verdict;
use tripdesk_domain::sla::ClockKind;

pub fn routes() -> Router<AppState> {
    Router::new().route("/commitments", get(page))
}

struct Promise {
    name: String,
    deadline: String,
}

struct TierRow {
    days: String,
    share: String,
}

struct PolicyBlock {
    name: String,
    packages: String,
    customer: Vec<TierRow>,
    agency: Vec<TierRow>,
    free_postponement: bool,
}

struct Figure {
    name: &'static str,
    value: String,
    target: String,
    verdict: &'static str,
    verdict_label: &'static str,
    chart: String,
}

#[derive(Template)]
#[template(path = "public/commitments.html")]
struct CommitmentsPage {
    p: PublicChrome,
    promises: Vec<Promise>,
    policies: Vec<PolicyBlock>,
    hotline: &'static str,
    tourism_hotline: &'static str,
    wechat: bool,
    figures: Vec<Figure>,
    month: String,
    refund_days: u32,
}

/// A deadline in words: 3 分钟, 1 小时, 1 个工作日, 3–5 个工作日.
fn deadline(t: Tr, kind: ClockKind, amount: u32, earliest: Option<u32>) -> String {
    let n = |a: u32| match earliest {
        Some(e) => format!("{e}–{a}"),
        None => a.to_string(),
    };
    match kind {
        ClockKind::WorkingDays => t.s("commit.unit.working_days").replace("{n}", &n(amount)),
        ClockKind::WorkingHours => t
            .s("commit.unit.working_minutes")
            .replace("{n}", &n(amount)),
        ClockKind::CalendarHours if amount % 60 == 0 && earliest.is_none() => t
            .s("commit.unit.hours")
            .replace("{n}", &(amount / 60).to_string()),
        ClockKind::CalendarHours => t.s("commit.unit.minutes").replace("{n}", &n(amount)),
    }
}

fn tier_rows(t: Tr, tiers: &[Tier]) -> Vec<TierRow> {
    tiers
        .iter()
        .map(|x| TierRow {
            days: match (x.min_days, x.max_days) {
                (0, Some(0)) => t.s("commit.days.day_of").into(),
                (min, None) => t.s("commit.days.or_more").replace("{n}", &min.to_string()),
                (min, Some(max)) if min == max => {
                    t.s("commit.days.exactly").replace("{n}", &min.to_string())
                }
                (min, Some(max)) => t
                    .s("commit.days.between")
                    .replace("{max}", &max.to_string())
                    .replace("{min}", &min.to_string()),
            },
            share: x.percent(),
        })
        .collect()
}

pub async fn page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let p = chrome(&state, &headers, "/commitments");
    let t = p.t;
    let view = match state.app.public_commitments(&state.tz).await {
        Ok(v) => v,
        Err(e) => return unexpected(e),
    };
    let zh = t.lang() == "zh-CN";
    let promises = view
        .sla
        .iter()
        .map(|s| Promise {
            name: if zh {
                s.target.name_zh.to_string()
            } else {
                s.target.name_en.to_string()
            },
            deadline: deadline(t, s.target.kind, s.target.amount, s.target.earliest),
        })
        .collect();
    let policies = view
        .policies
        .iter()
        .map(|x| PolicyBlock {
            name: x.name.clone(),
            packages: x.packages.join(t.s("commit.list_sep")),
            customer: tier_rows(t, &x.customer),
            agency: tier_rows(t, &x.agency),
            free_postponement: x.free_postponement,
        })
        .collect();
    let figures = view
        .figures
        .iter()
        .map(|f| {
            let verdict = match f.verdict {
                Verdict::Met => "met",
                Verdict::Missed => "missed",
                Verdict::NotMeasured => "none",
            };
            Figure {
                name: t.s(&format!("quality.kpi.{}", f.kpi.as_str())),
                value: kpi_value(f.unit, f.current().and_then(|p| p.value)),
                target: target_text(t, f.target),
                verdict,
                verdict_label: t.s(&format!("quality.verdict.{verdict}")),
                chart: figure_chart(t, f),
            }
        })
        .collect();
    let month = state
        .app
        .now()
        .to_zoned(state.tz.clone())
        .strftime("%Y-%m")
        .to_string();
    let page = CommitmentsPage {
        p,
        promises,
        policies,
        hotline: view.hotline,
        tourism_hotline: view.tourism_hotline,
        wechat: view.wechat,
        figures,
        month,
        refund_days: tripdesk_domain::bookings::REFUND_PAYMENT_WORKING_DAYS,
    };
    render(StatusCode::OK, &page)
}
