//! `/calls/answer-rate`: the answer rate of a period — whole, by day, line and the agent who
//! answered — against the published 95 % and three rings (15 s), as
//! `App::answer_rate` computes it; and the form that imports a call-detail file (Asterisk's
//! `Master.csv`, pasted), which keeps what was typed when refused.

use crate::i18n::Tr;
use crate::ui::session::{UiForm, UiUser};
use crate::ui::{error_page, render, see_other_with, Chrome, Flash, FormState};
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;
use tripdesk_app::phone::CdrImport;
use tripdesk_app::AppError;
use tripdesk_domain::identity::Permission;
use tripdesk_domain::phone::{AnswerCounts, ANSWER_RATE_TARGET_PERMILLE, RING_TARGET_SECS};

/// Days shown when none are asked for: the last week, today included.
const DEFAULT_DAYS: i64 = 7;

struct RateRow {
    key: String,
    offered: u64,
    answered: u64,
    rate: String,
    in_time: String,
    mean_ring: String,
    /// `met`, `missed` or `none` (nothing offered).
    verdict: &'static str,
    verdict_label: &'static str,
}

fn permille(v: Option<u32>) -> String {
    v.map(|p| format!("{}.{} %", p / 10, p % 10))
        .unwrap_or_else(|| "—".into())
}

fn rate_row(t: Tr, key: String, c: &AnswerCounts) -> RateRow {
    let verdict = match c.meets_target() {
        Some(true) => "met",
        Some(false) => "missed",
        None => "none",
    };
    RateRow {
        key,
        offered: c.offered,
        answered: c.answered,
        rate: permille(c.answer_rate_permille()),
        in_time: permille(c.in_time_permille()),
        mean_ring: c
            .mean_ring_tenths()
            .map(|m| format!("{}.{} s", m / 10, m % 10))
            .unwrap_or_else(|| "—".into()),
        verdict,
        verdict_label: t.s(&format!("calls.rate.{verdict}")),
    }
}

/// One table of the report: the total, by day, by line, by agent.
struct Section {
    title: &'static str,
    rows: Vec<RateRow>,
}

#[derive(Template)]
#[template(path = "calls/rate.html")]
struct RatePage {
    c: Chrome,
    from: String,
    to: String,
    target: String,
    ring_target: i64,
    offered: u64,
    sections: Vec<Section>,
    can_import: bool,
    f: FormState,
}

#[derive(Deserialize, Default)]
pub struct RateQuery {
    from: Option<String>,
    to: Option<String>,
}

pub async fn page(
    State(state): State<AppState>,
    user: UiUser,
    Query(q): Query<RateQuery>,
) -> Response {
    let f = FormState::with_defaults(&[
        ("inbound_contexts", "from-trunk"),
        ("zone", "Asia/Shanghai"),
    ]);
    rate_page(&state, &user, q, f).await
}

async fn rate_page(state: &AppState, user: &UiUser, q: RateQuery, f: FormState) -> Response {
    let t = Tr(user.lang);
    let today = state.app.now().to_zoned(state.tz.clone()).date();
    let day = |s: Option<&str>| s.and_then(|s| s.trim().parse::<jiff::civil::Date>().ok());
    let to = day(q.to.as_deref()).unwrap_or(today);
    let from = day(q.from.as_deref())
        .filter(|f| *f <= to)
        .unwrap_or_else(|| {
            to.checked_sub(jiff::Span::new().days(DEFAULT_DAYS - 1))
                .unwrap_or(to)
        });
    let start = |d: jiff::civil::Date| d.to_zoned(state.tz.clone()).map(|z| z.timestamp());
    let (Ok(a), Ok(b)) = (start(from), start(to.tomorrow().unwrap_or(to))) else {
        return error_page(
            state,
            user,
            "calls_rate",
            AppError::field("from", "range", "the days are out of range"),
        );
    };
    let report = match state
        .app
        .answer_rate(&user.principal, a, b, &state.tz)
        .await
    {
        Ok(r) => r,
        Err(e) => return error_page(state, user, "calls_rate", e),
    };
    let rows = |v: &[(String, AnswerCounts)]| -> Vec<RateRow> {
        v.iter().map(|(k, c)| rate_row(t, k.clone(), c)).collect()
    };
    let page = RatePage {
        from: from.to_string(),
        to: to.to_string(),
        target: permille(Some(ANSWER_RATE_TARGET_PERMILLE)),
        ring_target: RING_TARGET_SECS,
        offered: report.total.offered,
        sections: vec![
            Section {
                title: t.s("calls.rate.total"),
                rows: vec![rate_row(t, t.s("calls.rate.total").into(), &report.total)],
            },
            Section {
                title: t.s("calls.rate.by_day"),
                rows: rows(&report.by_day),
            },
            Section {
                title: t.s("calls.rate.by_line"),
                rows: rows(&report.by_line),
            },
            Section {
                title: t.s("calls.rate.by_agent"),
                rows: rows(&report.by_agent),
            },
        ],
        can_import: user.principal.can(Permission::ManageSettings),
        f,
        c: Chrome::new(state, user, "calls_rate"),
    };
    render(page.f.status(), &page)
}

/// The CDR form: imported → the report with the counts in the flash; refused → the page
/// with the file as pasted and each bad line named.
pub async fn import(State(state): State<AppState>, UiForm { user, form }: UiForm) -> Response {
    let t = Tr(user.lang);
    let how = CdrImport {
        inbound_contexts: form
            .get("inbound_contexts")
            .split([',', ' ', '\n'])
            .map(str::to_string)
            .collect(),
        zone: form.get("zone").to_string(),
    };
    match state
        .app
        .import_cdr(&user.principal, form.get("csv").as_bytes(), how)
        .await
    {
        Ok(done) => {
            let message = t
                .s("calls.flash.imported")
                .replace("{calls}", &done.calls.to_string())
                .replace("{new}", &done.new.to_string())
                .replace("{matched}", &done.matched.to_string());
            see_other_with(&state, &user, "/calls/answer-rate", Flash::done(message))
        }
        Err(AppError::Validation(fields)) => {
            // A file's faults (`line <n>.<column>`, `file`) are said in the page's words;
            // the form's own fields as every form says them.
            let (file, own): (Vec<_>, Vec<_>) = fields
                .into_iter()
                .partition(|f| f.field == "file" || f.field.starts_with("line "));
            let mut f = FormState::typed(&form).refused(
                t,
                &own,
                &[
                    ("inbound_contexts", "calls.cdr.contexts"),
                    ("zone", "calls.cdr.zone"),
                ],
            );
            for e in &file {
                f = f.error("csv", file_fault(t, e));
            }
            rate_page(&state, &user, RateQuery::default(), f).await
        }
        Err(e) => error_page(&state, &user, "calls_rate", e),
    }
}

/// A fault of a call-detail file in the reader's language: where (第 3 行 start 列 / line 3,
/// column start) and what, from the import's stable code.
fn file_fault(t: Tr, e: &tripdesk_app::FieldError) -> String {
    let key = format!("calls.cdr.err.{}", e.code);
    let what = if crate::i18n::Tr::has(&key) {
        t.s(&key)
    } else {
        t.s("calls.cdr.err.other")
    };
    let place = match e
        .field
        .strip_prefix("line ")
        .and_then(|r| r.split_once('.'))
    {
        Some((line, column)) => t
            .s("calls.cdr.err.at")
            .replace("{line}", line)
            .replace("{column}", column),
        None => t.s("calls.cdr.err.file").to_string(),
    };
    format!("{place}{what}")
}
