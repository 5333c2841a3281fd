//! A ticket's links for its customer: the progress link, and the follow-up survey links a
//! follow-up agent sends (the new link is shown once, to read out or send by SMS/WeChat).

use crate::api::desk::surveys::survey_state;
use crate::i18n::Tr;
use crate::ui::public::public_base;
use crate::ui::session::{UiForm, UiUser};
use crate::ui::{error_page, local_time, render, see_other, see_other_with, Chrome, Flash};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use tripdesk_app::public_desk::SurveyLink;
use tripdesk_app::AppError;
use tripdesk_domain::desk::{State as TicketState, TicketKind};
use tripdesk_domain::identity::Permission;
use tripdesk_store::UserFilter;
use uuid::Uuid;

struct SurveyRow {
    sent: String,
    by: String,
    expires: String,
    state: &'static str,
    state_label: &'static str,
    emailed: bool,
    answers: String,
}

/// A new survey link, carried by the flash to the links page (shown once).
#[derive(Clone)]
struct NewLink {
    url: String,
    emailed: bool,
    valid_until: String,
}

#[derive(Template)]
#[template(path = "desk/links.html")]
struct LinksPage {
    c: Chrome,
    id: Uuid,
    number: String,
    tracking_url: String,
    contact_url: String,
    surveys: Vec<SurveyRow>,
    can_send: bool,
    new_link: Option<NewLink>,
}

async fn links_page(
    state: &AppState,
    user: &UiUser,
    headers: &HeaderMap,
    id: Uuid,
    new_link: Option<NewLink>,
) -> Response {
    let t = Tr(user.lang);
    let p = &user.principal;
    let detail = match state.app.get_ticket(p, id).await {
        Ok(d) => d,
        Err(e) => return error_page(state, user, "desk", e),
    };
    let surveys = match state.app.list_surveys(p, id).await {
        Ok(s) => s,
        Err(e) => return error_page(state, user, "desk", e),
    };
    let token = match state.app.ticket_tracking_token(p, id).await {
        Ok(t) => t,
        Err(e) => return error_page(state, user, "desk", e),
    };
    // Staff names when the viewer may list staff; one's own name always.
    let staff = state
        .app
        .list_users(
            p,
            &UserFilter {
                limit: 500,
                ..Default::default()
            },
        )
        .await
        .map(|page| page.users)
        .unwrap_or_default();
    let name_of = |uid: Uuid| {
        if uid == p.user_id {
            return p.display_name.clone();
        }
        staff
            .iter()
            .find(|u| u.id == uid)
            .map(|u| u.display_name.clone())
            .unwrap_or_else(|| "—".into())
    };
    let now = state.app.now();
    let base = public_base(state, headers);
    let tk = &detail.ticket;
    let page = LinksPage {
        id,
        number: tk.number.clone(),
        tracking_url: format!("{base}/track/{token}"),
        contact_url: format!("{base}/contact"),
        surveys: surveys
            .iter()
            .map(|s| {
                let st = survey_state(s, now);
                SurveyRow {
                    sent: local_time(state, s.created_at),
                    by: name_of(s.agent_id),
                    expires: local_time(state, s.expires_at),
                    state: st,
                    state_label: t.s(&format!("desk.survey.state.{st}")),
                    emailed: s.emailed,
                    answers: s
                        .answers
                        .as_ref()
                        .map(|a| {
                            let mut out = format!(
                                "{} {} · {} {}",
                                t.s("desk.satisfaction"),
                                a.satisfaction,
                                t.s("desk.rating"),
                                a.overall_rating
                            );
                            for text in [&a.reason, &a.suggestions].into_iter().flatten() {
                                out.push_str(" · ");
                                out.push_str(text);
                            }
                            out
                        })
                        .unwrap_or_default(),
                }
            })
            .collect(),
        can_send: p.can(Permission::PerformFollowUp)
            && tk.kind == TicketKind::Complaint
            && tk.state == TicketState::FollowUpScheduled,
        new_link,
        c: Chrome::new(state, user, "desk"),
    };
    render(StatusCode::OK, &page)
}

fn ticket_id(user: &UiUser, state: &AppState, id: &str) -> Result<Uuid, Response> {
    Uuid::parse_str(id).map_err(|_| error_page(state, user, "desk", AppError::NotFound("ticket")))
}

pub async fn links(
    State(state): State<AppState>,
    user: UiUser,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    match ticket_id(&user, &state, &id) {
        Ok(id) => {
            let new_link = user
                .flash
                .as_ref()
                .and_then(|f| f.payload::<NewLink>())
                .cloned();
            links_page(&state, &user, &headers, id, new_link).await
        }
        Err(r) => r,
    }
}

pub async fn send_survey(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    UiForm { user, .. }: UiForm,
) -> Response {
    let id = match ticket_id(&user, &state, &id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let t = Tr(user.lang);
    let base = public_base(&state, &headers);
    let back = format!("/desk/tickets/{id}/customer");
    match state.app.send_survey(&user.principal, id, &base).await {
        Ok(link) => {
            let new_link = new_link_of(&state, link);
            let flash = Flash::done(t.s("desk.flash.survey")).with(new_link);
            see_other_with(&state, &user, &format!("{back}#survey-new"), flash)
        }
        Err(e @ AppError::Conflict { .. }) => {
            let msg = match &e {
                AppError::Conflict {
                    code: "survey_not_due",
                    ..
                } => t.s("desk.survey.not_due").to_string(),
                AppError::Conflict {
                    code: "separation_of_duties",
                    ..
                } => t.s("desk.sod").to_string(),
                _ => crate::i18n::app_error(t, &e),
            };
            see_other_with(&state, &user, &back, Flash::refused(msg))
        }
        Err(e) => error_page(&state, &user, "desk", e),
    }
}

fn new_link_of(state: &AppState, l: SurveyLink) -> NewLink {
    NewLink {
        valid_until: local_time(state, l.survey.expires_at),
        emailed: l.survey.emailed,
        url: l.url,
    }
}

#[derive(Deserialize)]
pub struct FindQuery {
    number: Option<String>,
}

/// Opens the ticket of a reference a customer quotes (`TS0000301`, any case and spacing).
pub async fn find(
    State(state): State<AppState>,
    user: UiUser,
    Query(q): Query<FindQuery>,
) -> Response {
    let number = q.number.unwrap_or_default();
    match state
        .app
        .find_ticket_by_number(&user.principal, &number)
        .await
    {
        Ok(t) => see_other(&format!("/desk/tickets/{}", t.id)),
        Err(e) => error_page(&state, &user, "desk", e),
    }
}
