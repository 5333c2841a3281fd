//! The emergency pages: incidents newest first with the declaration form (`/incidents`), and
//! the live board an emergency leader runs an incident from (`/incidents/{id}`, [`board`]):
//! who is safe, who needs help and who has not answered, delivery and checklist progress, the
//! people paged and filtered by answer, the call list, the team, the broadcast, the first-
//! report clock and the timeline; its forms post to [`actions`] and [`remedies`]. The
//! post-incident report as a page and a PDF with its costs form ([`report`]), and the drill
//! records ([`drills`]).

mod actions;
mod authority;
mod board;
mod board_text;
mod declare;
mod drills;
mod remedies;
mod report;
mod report_text;
mod text;
#[cfg(test)]
mod timeline_tests;

pub(crate) use board_text::BOARD_TEXT;
pub(crate) use report_text::REPORT_TEXT;
pub(crate) use text::TEXT;

use crate::i18n::Tr;
use crate::ui::pager::{Extent, Pager, PagerNav};
use crate::ui::session::{FormData, UiForm};
use crate::ui::{error_page, local_time, render, see_other_with, Chrome, Flash, FormState, UiUser};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use declare::Choices;
use tripdesk_app::{AppError, FieldError};
use tripdesk_domain::emergency::IncidentState;
use tripdesk_domain::identity::Permission;
use tripdesk_store::Incident;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/incidents", get(list).post(declare))
        .route("/incidents/drills", get(drills::list))
        .route("/incidents/{id}", get(board::board))
        .route("/incidents/{id}/report", get(report::page))
        .route("/incidents/{id}/report.pdf", get(report::pdf))
        // A refused cost comes back at the posted address: its GET opens the report.
        .route(
            "/incidents/{id}/costs",
            get(report_of_costs).post(report::add_cost),
        )
        // A refused broadcast or person comes back at the posted address: its GET (a
        // reload) opens the board.
        .route(
            "/incidents/{id}/broadcast",
            get(super::up_one).post(actions::broadcast),
        )
        .route("/incidents/{id}/checklist/{item}", post(actions::tick))
        // The reports to the authority and closing; refused, they come back on the board.
        .route(
            "/incidents/{id}/first-report",
            get(super::up_one).post(authority::first_report),
        )
        .route(
            "/incidents/{id}/update-report",
            get(super::up_one).post(authority::update_report),
        )
        .route(
            "/incidents/{id}/end-handling",
            get(super::up_one).post(authority::end_handling),
        )
        .route(
            "/incidents/{id}/close",
            get(super::up_one).post(authority::close),
        )
        .route(
            "/incidents/{id}/team",
            get(super::up_one).post(actions::team),
        )
        .route(
            "/incidents/{id}/people",
            get(super::up_one).post(actions::add_person),
        )
        .route(
            "/incidents/{id}/people/{customer}/answer",
            post(actions::answer),
        )
        .route("/incidents/{id}/calls/{customer}", post(actions::call))
        .route(
            "/incidents/{id}/remedies",
            get(super::up_one).post(remedies::offer),
        )
        .route(
            "/incidents/{id}/remedies/{booking}",
            get(super::up_one).post(remedies::choose),
        )
}

const PAGE_SIZE: u32 = 50;

/// The costs form's address reloaded: the report it belongs to.
async fn report_of_costs(axum::extract::Path(id): axum::extract::Path<uuid::Uuid>) -> Response {
    super::see_other(&format!("/incidents/{id}/report#costs"))
}

/// An incident as a row of the list and the head of its board.
struct Row {
    id: String,
    title: String,
    kind: String,
    level: String,
    level_code: &'static str,
    colour: Option<(&'static str, String)>,
    drill: bool,
    open: bool,
    declared: String,
}

fn row(state: &AppState, t: Tr, i: &Incident) -> Row {
    Row {
        id: i.id.to_string(),
        title: i.title.clone(),
        kind: t.s(&format!("incidents.kind.{}", i.kind.as_str())).into(),
        level: t.s(&format!("incidents.level.{}", i.level.as_str())).into(),
        level_code: i.level.as_str(),
        colour: i.warning_colour.map(|c| {
            (
                c.as_str(),
                t.s(&format!("incidents.warning.{}", c.as_str()))
                    .to_string(),
            )
        }),
        drill: i.drill,
        open: i.state == IncidentState::Open,
        declared: local_time(state, i.declared_at),
    }
}

#[derive(Template)]
#[template(path = "incidents/list.html")]
struct ListPage {
    c: Chrome,
    rows: Vec<Row>,
    pager: PagerNav,
    /// The declaration form, for those who may declare.
    choices: Option<Choices>,
    f: FormState,
    /// Whether the form is shown open (no incident yet, or it came back refused).
    form_open: bool,
}

async fn list_page(state: &AppState, user: &UiUser, pager: &Pager, f: FormState) -> Response {
    let t = Tr(user.lang);
    let p = &user.principal;
    let page = match state
        .app
        .list_incidents(p, None, PAGE_SIZE, u64::from(pager.offset(PAGE_SIZE)))
        .await
    {
        Ok(p) => p,
        Err(e) => return error_page(state, user, "incidents", e),
    };
    let choices = if p.can(Permission::ManageIncidents) {
        Some(Choices::read(state, t, p).await)
    } else {
        None
    };
    render(
        f.status(),
        &ListPage {
            c: Chrome::new(state, user, "incidents"),
            form_open: f.has_errors() || (page.items.is_empty() && pager.page() == 1),
            rows: page.items.iter().map(|i| row(state, t, i)).collect(),
            pager: pager.nav(t, PAGE_SIZE, Extent::more(page.more)),
            choices,
            f,
        },
    )
}

async fn list(State(state): State<AppState>, user: UiUser, pager: Pager) -> Response {
    let f = declare::defaults(&state);
    list_page(&state, &user, &pager, f).await
}

/// The declaration form's post: the board of the new incident, or the list page again with
/// the form as typed and its errors (422).
async fn declare(State(state): State<AppState>, UiForm { user, form }: UiForm) -> Response {
    let t = Tr(user.lang);
    if let Err(e) = user.principal.require(Permission::ManageIncidents) {
        return error_page(&state, &user, "incidents", e);
    }
    let pager = Pager::parse("/incidents", None);
    let input = match declare::read(&form) {
        Ok(i) => i,
        Err(fields) => {
            let f = declare::refused(t, &form, &fields);
            return list_page(&state, &user, &pager, f).await;
        }
    };
    match state.app.declare_incident(&user.principal, input).await {
        Ok(change) => see_other_with(
            &state,
            &user,
            &format!("/incidents/{}", change.incident.id),
            Flash::done({
                let mut said = t
                    .s("incidents.flash.declared")
                    .replace("{people}", &change.affected.in_scope.to_string());
                if !change.guides_unusable.is_empty() {
                    said.push_str(
                        &t.s("incidents.flash.guides_unusable")
                            .replace("{n}", &change.guides_unusable.len().to_string()),
                    );
                }
                said
            }),
        ),
        Err(AppError::Validation(fields)) => {
            let f = declare::refused(t, &form, &fields);
            list_page(&state, &user, &pager, f).await
        }
        Err(e) => error_page(&state, &user, "incidents", e),
    }
}

/// A form of these pages as typed, with the errors beside their fields. A message of the
/// emergency pages' own (`incidents.err.<field>.<code>`, e.g. the window's 62 days) is
/// preferred to the shared one, which would only say that the field is wrong; `labels` name
/// the fields as the form shows them.
fn form_refused(
    t: Tr,
    form: &FormData,
    fields: &[FieldError],
    labels: &[(&str, &str)],
) -> FormState {
    let own_key = |f: &FieldError| format!("incidents.err.{}.{}", f.field, f.code);
    let (own, shared): (Vec<&FieldError>, Vec<&FieldError>) =
        fields.iter().partition(|f| Tr::has(&own_key(f)));
    let shared: Vec<FieldError> = shared.into_iter().cloned().collect();
    own.into_iter().fold(
        FormState::typed(form).refused(t, &shared, labels),
        |f, e| f.error(&e.field, t.s(&own_key(e))),
    )
}
