//! Intake by an agent: `/desk/new` (the form keeps what was typed when refused, with the
//! form's own labels) and the post that creates the ticket.

use crate::i18n::Tr;
use crate::ui::session::{UiForm, UiUser};
use crate::ui::{error_page, render, see_other_with, Chrome, Flash, FormState};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use tripdesk_app::desk::NewTicket;
use tripdesk_app::{AppError, FieldError};
use tripdesk_domain::desk::{Channel, Level, TicketKind};

use super::inbox::{label, Opt};
use super::ticket::non_empty;

#[derive(Template)]
#[template(path = "desk/new.html")]
struct NewPage {
    c: Chrome,
    f: FormState,
    kinds: Vec<Opt>,
    channels: Vec<Opt>,
    levels: Vec<Opt>,
}

/// The labels `/desk/new` shows, for its error messages (主题, not the shared 标题).
const NEW_LABELS: &[(&str, &str)] = &[
    ("kind", "desk.kind"),
    ("channel", "desk.channel"),
    ("level", "desk.level"),
    ("subject", "desk.subject"),
    ("description", "desk.description"),
    ("booking_ref", "desk.booking"),
    ("customer.name", "desk.customer_name"),
];

fn new_page(state: &AppState, user: &UiUser, f: FormState) -> Response {
    let t = Tr(user.lang);
    let opts = |prefix: &str, values: Vec<&'static str>| -> Vec<Opt> {
        values
            .into_iter()
            .map(|v| Opt {
                value: v.into(),
                label: label(t, prefix, v),
            })
            .collect()
    };
    render(
        f.status(),
        &NewPage {
            kinds: opts(
                "kind",
                TicketKind::ALL.iter().rev().map(|k| k.as_str()).collect(),
            ),
            channels: opts("channel", Channel::ALL.iter().map(|k| k.as_str()).collect()),
            levels: opts("level", Level::ALL.iter().map(|k| k.as_str()).collect()),
            f,
            c: Chrome::new(state, user, "desk"),
        },
    )
}

pub async fn new_ticket(State(state): State<AppState>, user: UiUser) -> Response {
    let kind = TicketKind::ALL.iter().next_back().map(|k| k.as_str());
    new_page(
        &state,
        &user,
        FormState::with_defaults(&[
            ("kind", kind.unwrap_or("")),
            ("channel", Channel::ALL[0].as_str()),
            ("level", Level::ALL[0].as_str()),
        ]),
    )
}

pub async fn create_ticket(
    State(state): State<AppState>,
    UiForm { user, form }: UiForm,
) -> Response {
    let t = Tr(user.lang);
    let (Some(kind), Some(channel)) = (
        TicketKind::parse(form.get("kind")),
        Channel::parse(form.get("channel")),
    ) else {
        let mut missing = Vec::new();
        if TicketKind::parse(form.get("kind")).is_none() {
            missing.push(FieldError::new("kind", "invalid", "choose a kind"));
        }
        if Channel::parse(form.get("channel")).is_none() {
            missing.push(FieldError::new("channel", "invalid", "choose a channel"));
        }
        let f = FormState::typed(&form).refused(t, &missing, NEW_LABELS);
        return new_page(&state, &user, f);
    };
    let input = NewTicket {
        kind,
        channel,
        level: Level::parse(form.get("level")),
        subject: form.get("subject").into(),
        description: form.get("description").into(),
        customer_name: form.get("customer_name").into(),
        customer_phone: non_empty(&form, "customer_phone"),
        customer_email: non_empty(&form, "customer_email"),
        customer_id: None,
        booking_ref: non_empty(&form, "booking_ref"),
        business_area: None,
        tags: vec![],
    };
    match state.app.create_ticket(&user.principal, input).await {
        Ok(tk) => see_other_with(
            &state,
            &user,
            &format!("/desk/tickets/{}", tk.ticket.id),
            Flash::done(t.s("desk.flash.created")),
        ),
        Err(AppError::Validation(fields)) => {
            let f = FormState::typed(&form).refused(t, &fields, NEW_LABELS);
            new_page(&state, &user, f)
        }
        Err(e) => error_page(&state, &user, "desk", e),
    }
}
