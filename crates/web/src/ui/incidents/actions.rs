//! The board's forms: broadcast, checklist tick, team, a person added by hand, a traveler's
//! answer recorded by staff, a call's outcome. Each posts, then redirects back to the board
//! as it was (its list's filter and page) with a flash; a form refused for what was typed
//! (the broadcast's text, the person to add) comes back on the board as typed (422), with
//! its lists as they were. The remedies' forms are in [`super::remedies`].

use super::board::{board_page, BoardQuery, Posted};
use crate::i18n::{app_error, Tr};
use crate::ui::pager::Pager;
use crate::ui::session::{FormData, UiForm};
use crate::ui::{see_other, see_other_with, Flash, UiUser};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use tripdesk_app::customers::CustomerSearch;
use tripdesk_app::emergency::{Audience, BroadcastRequest};
use tripdesk_app::{AppError, FieldError};
use tripdesk_domain::emergency::{CallOutcome, PersonStatus, TeamRole};
use uuid::Uuid;

/// Where a board form returns: the `back` it carries when it is this incident's board (the
/// list's filter and page kept), else the board itself.
pub(super) fn back_to(id: Uuid, form: &FormData, anchor: &str) -> String {
    let board = format!("/incidents/{id}");
    let back = form.get("back");
    let base = if back == board || back.starts_with(&format!("{board}?")) {
        back.split('#').next().unwrap_or(&board).to_string()
    } else {
        board
    };
    format!("{base}#{anchor}")
}

/// The board again, its lists as the form's `back` had them, with `form` as typed and the
/// use case's field errors (422).
pub(super) async fn refused_on_board(
    state: &AppState,
    user: &UiUser,
    id: Uuid,
    which: &'static str,
    form: &FormData,
    fields: &[FieldError],
    labels: &[(&str, &str)],
) -> Response {
    let t = Tr(user.lang);
    let posted = Posted {
        form: which,
        f: super::form_refused(t, form, fields, labels),
        status: StatusCode::UNPROCESSABLE_ENTITY,
    };
    let back = back_to(id, form, "");
    let (path, query) = back
        .trim_end_matches('#')
        .split_once('?')
        .map_or((back.trim_end_matches('#'), None), |(p, q)| (p, Some(q)));
    let pager = Pager::parse(path, query);
    let lists: BoardQuery = serde_urlencoded::from_str(query.unwrap_or("")).unwrap_or_default();
    board_page(state, user, id, &pager, &lists, Some(posted)).await
}

/// Sends the board's broadcast form: back to the board with what was queued.
pub(super) async fn broadcast(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    headers: HeaderMap,
    UiForm { user, form }: UiForm,
) -> Response {
    let t = Tr(user.lang);
    let audience = match form.get("audience") {
        "not_safe" => Audience::NotSafe,
        "pending" => Audience::Pending,
        _ => Audience::All,
    };
    let back = back_to(id, &form, "figures");
    let req = BroadcastRequest {
        audience,
        body: Some(form.get("body").to_string()),
        body_en: Some(form.get("body_en").to_string()).filter(|b| !b.trim().is_empty()),
        ask_checkin: form.get("ask_checkin") == "1",
        base_url: crate::ui::public_base(&state, &headers),
    };
    match state.app.broadcast(&user.principal, id, req).await {
        Ok(o) => see_other_with(
            &state,
            &user,
            &back,
            Flash::done(
                t.s("incidents.flash.broadcast")
                    .replace("{people}", &o.people.to_string())
                    .replace("{sms}", &o.sms.to_string())
                    .replace("{email}", &o.email.to_string())
                    .replace("{calls}", &o.calls.to_string()),
            ),
        ),
        Err(AppError::Validation(fields)) => {
            let labels = [
                ("body", "incidents.broadcast.text"),
                ("body_en", "incidents.broadcast.text_en"),
            ];
            refused_on_board(&state, &user, id, "broadcast", &form, &fields, &labels).await
        }
        Err(e) => see_other_with(&state, &user, &back, Flash::refused(app_error(t, &e))),
    }
}

/// Ticks or unticks a checklist item (`done=1|0`).
pub(super) async fn tick(
    State(state): State<AppState>,
    Path((id, item)): Path<(Uuid, String)>,
    UiForm { user, form }: UiForm,
) -> Response {
    let t = Tr(user.lang);
    let back = back_to(id, &form, "checklist");
    match state
        .app
        .tick_incident_item(&user.principal, id, &item, form.get("done") == "1")
        .await
    {
        Ok(()) => see_other(&back),
        Err(e) => see_other_with(&state, &user, &back, Flash::refused(app_error(t, &e))),
    }
}

/// The team form: one select per role (`role_leader`, …; empty clears the role), saved in
/// one transaction.
pub(super) async fn team(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    UiForm { user, form }: UiForm,
) -> Response {
    let t = Tr(user.lang);
    let back = back_to(id, &form, "team");
    let mut roles = Vec::new();
    for role in TeamRole::ALL {
        let name = format!("role_{}", role.as_str());
        if !form.0.iter().any(|(k, _)| *k == name) {
            continue;
        }
        match form.get(&name).trim() {
            "" => roles.push((role, None)),
            v => match Uuid::parse_str(v) {
                Ok(user_id) => roles.push((role, Some(user_id))),
                Err(_) => {
                    let e = AppError::field("user_id", "unknown", "no such staff member");
                    return see_other_with(&state, &user, &back, Flash::refused(app_error(t, &e)));
                }
            },
        }
    }
    match state
        .app
        .assign_incident_team(&user.principal, id, &roles)
        .await
    {
        Ok(0) => see_other_with(
            &state,
            &user,
            &back,
            Flash::done(t.s("incidents.flash.team_same")),
        ),
        Ok(n) => see_other_with(
            &state,
            &user,
            &back,
            Flash::done(t.s("incidents.flash.team").replace("{n}", &n.to_string())),
        ),
        Err(e) => see_other_with(&state, &user, &back, Flash::refused(app_error(t, &e))),
    }
}

/// The labels of the add-person form.
const PERSON_LABELS: &[(&str, &str)] = &[
    ("who", "incidents.add.who"),
    ("customer_id", "incidents.add.who"),
];

/// Adds a person by hand: `who` is a customer's mobile (found by the blind index) or their
/// customer id.
pub(super) async fn add_person(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    UiForm { user, form }: UiForm,
) -> Response {
    let t = Tr(user.lang);
    let p = &user.principal;
    let who = form.get("who").trim();
    let refuse = |code: &'static str, message: &str| vec![FieldError::new("who", code, message)];
    let customer = if who.is_empty() {
        Err(refuse("required", "who is required"))
    } else if let Ok(customer) = Uuid::parse_str(who) {
        Ok(customer)
    } else {
        let search = CustomerSearch {
            phone: Some(who.to_string()),
            limit: 2,
            ..Default::default()
        };
        match state.app.search_customers(p, &search).await {
            Ok(found) => match found.items.as_slice() {
                [one] => Ok(one.customer.id),
                [] => Err(refuse("not_found", "no customer has this phone")),
                _ => Err(refuse("ambiguous", "several customers have this phone")),
            },
            Err(AppError::Validation(fields)) => Err(fields
                .into_iter()
                .map(|mut f| {
                    f.field = "who".into();
                    f
                })
                .collect()),
            Err(e) => {
                let back = back_to(id, &form, "people");
                return see_other_with(&state, &user, &back, Flash::refused(app_error(t, &e)));
            }
        }
    };
    let result = match customer {
        Ok(customer) => state.app.add_incident_person(p, id, customer).await,
        Err(fields) => Err(AppError::Validation(fields)),
    };
    match result {
        Ok(person) => see_other_with(
            &state,
            &user,
            &back_to(id, &form, "people"),
            Flash::done(t.s("incidents.flash.added").replace(
                "{name}",
                &if p.can(tripdesk_domain::identity::Permission::ViewCustomers) {
                    person.customer_name
                } else {
                    t.s("incidents.person.hidden").into()
                },
            )),
        ),
        Err(AppError::Validation(fields)) => {
            refused_on_board(
                &state,
                &user,
                id,
                "add_person",
                &form,
                &fields,
                PERSON_LABELS,
            )
            .await
        }
        Err(e) => see_other_with(
            &state,
            &user,
            &back_to(id, &form, "people"),
            Flash::refused(app_error(t, &e)),
        ),
    }
}

/// Staff record a traveler's answer (`status=safe|needs_help|pending`).
pub(super) async fn answer(
    State(state): State<AppState>,
    Path((id, customer)): Path<(Uuid, Uuid)>,
    UiForm { user, form }: UiForm,
) -> Response {
    let t = Tr(user.lang);
    let back = back_to(id, &form, "people");
    let Some(status) = PersonStatus::parse(form.get("status")) else {
        let e = AppError::field("status", "required", "choose an answer");
        return see_other_with(&state, &user, &back, Flash::refused(app_error(t, &e)));
    };
    match state
        .app
        .record_incident_answer(&user.principal, id, customer, status)
        .await
    {
        Ok(()) => see_other_with(
            &state,
            &user,
            &back,
            Flash::done(t.s("incidents.flash.answer").replace(
                "{status}",
                t.s(&format!("incidents.status.{}", status.as_str())),
            )),
        ),
        Err(e) => see_other_with(&state, &user, &back, Flash::refused(app_error(t, &e))),
    }
}

/// A call's outcome; when the traveler was reached, the answer they gave (`status`, may be
/// empty) is recorded with it.
pub(super) async fn call(
    State(state): State<AppState>,
    Path((id, customer)): Path<(Uuid, Uuid)>,
    UiForm { user, form }: UiForm,
) -> Response {
    let t = Tr(user.lang);
    let p = &user.principal;
    let back = back_to(id, &form, "calls");
    let Some(outcome) = CallOutcome::parse(form.get("outcome")) else {
        let e = AppError::field("outcome", "required", "choose an outcome");
        return see_other_with(&state, &user, &back, Flash::refused(app_error(t, &e)));
    };
    if let Err(e) = state
        .app
        .record_incident_call(p, id, customer, outcome)
        .await
    {
        return see_other_with(&state, &user, &back, Flash::refused(app_error(t, &e)));
    }
    let status = PersonStatus::parse(form.get("status"))
        .filter(|s| outcome == CallOutcome::Reached && *s != PersonStatus::Pending);
    let mut message = t.s("incidents.flash.call").replace(
        "{outcome}",
        t.s(&format!("incidents.outcome.{}", outcome.as_str())),
    );
    if let Some(status) = status {
        if let Err(e) = state
            .app
            .record_incident_answer(p, id, customer, status)
            .await
        {
            return see_other_with(&state, &user, &back, Flash::refused(app_error(t, &e)));
        }
        message = t.pair(
            &message,
            t.s(&format!("incidents.status.{}", status.as_str())),
        );
    }
    see_other_with(&state, &user, &back, Flash::done(message))
}
