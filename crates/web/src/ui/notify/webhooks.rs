//! The webhooks page: the endpoints that receive the desk's events (signed POSTs, see
//! `tripdesk_delivery::webhook`), adding one — its signing secret shown once, carried by the
//! flash, never in an address —, pausing, resuming and deleting. Each change is audited by the
//! use case.

use super::super::session::{FormData, UiForm, UiUser};
use super::super::{error_page, local_time, render, see_other_with, Chrome, Flash, FormState};
use crate::i18n::Tr;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use tripdesk_app::notify::WebhookInput;
use tripdesk_app::AppError;
use tripdesk_domain::notify::events;
use uuid::Uuid;

/// The secret of an endpoint just added, shown on the one page load after the redirect.
#[derive(Clone)]
struct NewSecret(String);

struct EndpointRow {
    id: Uuid,
    url: String,
    events: String,
    description: String,
    active: bool,
    created: String,
}

struct EventBox {
    key: &'static str,
    label: &'static str,
    checked: bool,
}

#[derive(Template)]
#[template(path = "notify/webhooks.html")]
struct WebhooksPage {
    c: Chrome,
    rows: Vec<EndpointRow>,
    event_boxes: Vec<EventBox>,
    secret: Option<String>,
    f: FormState,
}

/// The form's labels, for the messages beside its fields.
const LABELS: &[(&str, &str)] = &[
    ("url", "webhooks.url"),
    ("events", "webhooks.events"),
    ("description", "field.description"),
];

fn event_label(t: Tr, key: &str) -> &'static str {
    t.s(&format!("webhooks.event.{key}"))
}

async fn page(state: &AppState, user: &UiUser, f: FormState) -> Response {
    let t = Tr(user.lang);
    let endpoints = match state.app.list_webhooks(&user.principal).await {
        Ok(e) => e,
        Err(e) => return error_page(state, user, "webhooks", e),
    };
    let fresh = !f.has_errors() && f.get("url").is_empty();
    let rows = endpoints
        .iter()
        .map(|e| EndpointRow {
            id: e.id,
            url: e.url.clone(),
            events: if e.events.iter().any(|k| k == "*") {
                t.s("webhooks.all_events").to_string()
            } else {
                let labels: Vec<&str> = e.events.iter().map(|k| event_label(t, k)).collect();
                t.list(&labels)
            },
            description: e.description.clone(),
            active: e.active,
            created: local_time(state, e.created_at),
        })
        .collect();
    let event_boxes = std::iter::once("*")
        .chain(events::ALL)
        .map(|key| EventBox {
            key,
            label: if key == "*" {
                t.s("webhooks.all_events")
            } else {
                event_label(t, key)
            },
            checked: if fresh {
                key == "*"
            } else {
                f.is("events", key)
            },
        })
        .collect();
    let secret = user
        .flash
        .as_ref()
        .and_then(|fl| fl.payload::<NewSecret>())
        .map(|s| s.0.clone());
    let status = f.status();
    render(
        status,
        &WebhooksPage {
            c: Chrome::new(state, user, "webhooks"),
            rows,
            event_boxes,
            secret,
            f,
        },
    )
}

pub async fn list(State(state): State<AppState>, user: UiUser) -> Response {
    page(&state, &user, FormState::with_defaults(&[])).await
}

fn input_of(form: &FormData) -> WebhookInput {
    WebhookInput {
        url: form.get("url").trim().to_string(),
        events: form
            .0
            .iter()
            .filter(|(k, _)| k == "events")
            .map(|(_, v)| v.clone())
            .collect(),
        description: form.get("description").trim().to_string(),
        active: true,
    }
}

pub async fn create(State(state): State<AppState>, UiForm { user, form }: UiForm) -> Response {
    let t = Tr(user.lang);
    match state
        .app
        .create_webhook(&user.principal, input_of(&form))
        .await
    {
        Ok(endpoint) => {
            let flash = Flash::done(t.s("webhooks.flash.created")).with(NewSecret(endpoint.secret));
            see_other_with(&state, &user, "/notify/webhooks#secret", flash)
        }
        Err(AppError::Validation(fields)) => {
            let f = FormState::typed(&form).refused(t, &fields, LABELS);
            page(&state, &user, f).await
        }
        Err(e) => error_page(&state, &user, "webhooks", e),
    }
}

/// Pauses or resumes an endpoint (`active=true|false`), keeping its address and events.
pub async fn set_active(
    State(state): State<AppState>,
    Path(id): Path<String>,
    UiForm { user, form }: UiForm,
) -> Response {
    let t = Tr(user.lang);
    let Ok(id) = Uuid::parse_str(&id) else {
        return error_page(&state, &user, "webhooks", AppError::NotFound("webhook"));
    };
    let endpoint = match state.app.get_webhook(&user.principal, id).await {
        Ok(e) => e,
        Err(e) => return error_page(&state, &user, "webhooks", e),
    };
    let active = form.get("active") == "true";
    let input = WebhookInput {
        url: endpoint.url,
        events: endpoint.events,
        description: endpoint.description,
        active,
    };
    match state.app.update_webhook(&user.principal, id, input).await {
        Ok(_) => {
            let done = t.s(if active {
                "webhooks.flash.resumed"
            } else {
                "webhooks.flash.paused"
            });
            see_other_with(&state, &user, "/notify/webhooks", Flash::done(done))
        }
        Err(e) => error_page(&state, &user, "webhooks", e),
    }
}

pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
    UiForm { user, .. }: UiForm,
) -> Response {
    let t = Tr(user.lang);
    let Ok(id) = Uuid::parse_str(&id) else {
        return error_page(&state, &user, "webhooks", AppError::NotFound("webhook"));
    };
    match state.app.delete_webhook(&user.principal, id).await {
        Ok(()) => see_other_with(
            &state,
            &user,
            "/notify/webhooks",
            Flash::done(t.s("webhooks.flash.deleted")),
        ),
        Err(e) => error_page(&state, &user, "webhooks", e),
    }
}
