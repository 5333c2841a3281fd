//! Reports to the tourism authority on the board and in the report: the clocks of the first
//! report (首报), the update reports (续报) and the closing summary (总结报告) in words
//! ([`clock_lines`]), and the board's forms that stop them — the first report, an update
//! report, the end of handling (处置结束) and closing with the summary. A form refused for
//! what was typed comes back on the board as typed.

use super::actions::{back_to, refused_on_board};
use crate::i18n::{app_error, Tr};
use crate::ui::session::UiForm;
use crate::ui::{local_time, see_other_with, Flash};
use crate::AppState;
use axum::extract::{Path, State};
use axum::response::Response;
use tripdesk_app::emergency::ReportClocks;
use tripdesk_app::AppError;
use tripdesk_domain::sla::ClockState;
use tripdesk_store::{Incident, SlaClockRecord};
use uuid::Uuid;

/// One report's line: what it is, where it stands, and its class (`met`, `running`,
/// `breached`, `none`).
pub(super) struct ClockLine {
    pub label: String,
    pub text: String,
    pub class: &'static str,
}

fn late_now(state: &AppState, c: &SlaClockRecord) -> bool {
    c.clock.state_at(state.app.now()) == ClockState::Breached
}

/// The first report's line: made on time or late, due, overdue, or no hour for 一般.
fn first_line(state: &AppState, t: Tr, i: &Incident, c: Option<&SlaClockRecord>) -> ClockLine {
    let at = i.reported_at.map(|at| local_time(state, at));
    let (key, class, due) = match (c, i.reported_at) {
        (Some(c), Some(made)) if made <= c.clock.due_at() => {
            ("incidents.report.clock_met", "met", Some(c.clock.due_at()))
        }
        (Some(c), Some(_)) => (
            "incidents.report.clock_late",
            "breached",
            Some(c.clock.due_at()),
        ),
        (Some(c), None) if late_now(state, c) => (
            "incidents.report.clock_overdue",
            "breached",
            Some(c.clock.due_at()),
        ),
        (Some(c), None) => (
            "incidents.report.clock_due",
            "running",
            Some(c.clock.due_at()),
        ),
        (None, Some(_)) => ("incidents.report.clock_reported", "met", None),
        (None, None) => ("incidents.report.clock_none", "none", None),
    };
    ClockLine {
        label: t.s("incidents.report.clock").into(),
        text: t
            .s(key)
            .replace("{at}", at.as_deref().unwrap_or(""))
            .replace(
                "{due}",
                &due.map(|d| local_time(state, d)).unwrap_or_default(),
            ),
        class,
    }
}

/// The report's clocks as lines: the first report always; the updates once the first
/// report is made (or any was); the closing summary once handling has ended.
pub(super) fn clock_lines(
    state: &AppState,
    t: Tr,
    i: &Incident,
    clocks: &ReportClocks,
) -> Vec<ClockLine> {
    let mut lines = vec![first_line(state, t, i, clocks.first.as_ref())];
    let (made, late) = (i.update_reports, clocks.updates_late());
    if i.reported_at.is_some() && (made > 0 || !clocks.updates.is_empty()) {
        let n = made.to_string();
        let (text, class) = match clocks.update_due() {
            Some(c) if late_now(state, c) => (
                t.s("incidents.update.late")
                    .replace("{at}", &local_time(state, c.clock.due_at())),
                "breached",
            ),
            Some(c) => (
                t.s("incidents.update.due")
                    .replace("{at}", &local_time(state, c.clock.due_at())),
                "running",
            ),
            None if i.handling_ended_at.is_none() && i.closed_at.is_none() => {
                (t.s("incidents.update.free").to_string(), "none")
            }
            None => (
                t.s("incidents.update.done").to_string(),
                if late > 0 { "breached" } else { "met" },
            ),
        };
        lines.push(ClockLine {
            label: t.s("incidents.update.label").into(),
            text: text.replace("{n}", &n).replace("{late}", &late.to_string()),
            class,
        });
    }
    if let Some(ended) = i.handling_ended_at {
        let ended = local_time(state, ended);
        let (key, class, due) = match (&clocks.summary, i.closed_at) {
            (Some(c), Some(at)) if at <= c.clock.due_at() => {
                ("incidents.summary.done", "met", Some(c.clock.due_at()))
            }
            (Some(c), Some(_)) => (
                "incidents.summary.done_late",
                "breached",
                Some(c.clock.due_at()),
            ),
            (Some(c), None) if late_now(state, c) => {
                ("incidents.summary.late", "breached", Some(c.clock.due_at()))
            }
            (Some(c), None) => ("incidents.summary.due", "running", Some(c.clock.due_at())),
            (None, Some(_)) => ("incidents.summary.done_free", "met", None),
            (None, None) => ("incidents.summary.free", "none", None),
        };
        lines.push(ClockLine {
            label: t.s("incidents.summary.label").into(),
            text: t
                .s(key)
                .replace("{ended}", &ended)
                .replace(
                    "{at}",
                    &i.closed_at
                        .map(|x| local_time(state, x))
                        .unwrap_or_default(),
                )
                .replace(
                    "{due}",
                    &due.map(|d| local_time(state, d)).unwrap_or_default(),
                ),
            class,
        });
    }
    lines
}

/// What a form of this file posts to the use case.
enum Step {
    First,
    Update,
    EndHandling,
    Close,
}

/// Runs one step from the board's form, then back to the board with its flash; a note or
/// summary refused for what was typed comes back on the board as typed.
async fn run(state: AppState, id: Uuid, UiForm { user, form }: UiForm, step: Step) -> Response {
    let t = Tr(user.lang);
    let p = &user.principal;
    let back = back_to(id, &form, "authority");
    let version = form.get("version").parse::<i64>().unwrap_or(-1);
    let (result, done, which, labels): (Result<Incident, AppError>, _, _, &[(&str, &str)]) =
        match step {
            Step::First => (
                state.app.report_incident(p, id, form.get("note")).await,
                "incidents.flash.reported",
                "report",
                &[("note", "incidents.authority.note")],
            ),
            Step::Update => (
                state
                    .app
                    .report_incident_update(p, id, form.get("note"))
                    .await,
                "incidents.flash.update_reported",
                "update_report",
                &[("note", "incidents.authority.note")],
            ),
            Step::EndHandling => (
                state.app.end_incident_handling(p, id, version).await,
                "incidents.flash.handling_ended",
                "end_handling",
                &[],
            ),
            Step::Close => (
                state
                    .app
                    .close_incident(p, id, form.get("summary"), version)
                    .await,
                "incidents.flash.closed",
                "close",
                &[("summary", "incidents.authority.summary")],
            ),
        };
    match result {
        Ok(_) => see_other_with(&state, &user, &back, Flash::done(t.s(done).to_string())),
        Err(AppError::Validation(fields)) => {
            refused_on_board(&state, &user, id, which, &form, &fields, labels).await
        }
        Err(e) => see_other_with(&state, &user, &back, Flash::refused(app_error(t, &e))),
    }
}

pub(super) async fn first_report(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    form: UiForm,
) -> Response {
    run(state, id, form, Step::First).await
}

pub(super) async fn update_report(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    form: UiForm,
) -> Response {
    run(state, id, form, Step::Update).await
}

pub(super) async fn end_handling(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    form: UiForm,
) -> Response {
    run(state, id, form, Step::EndHandling).await
}

pub(super) async fn close(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    form: UiForm,
) -> Response {
    run(state, id, form, Step::Close).await
}
