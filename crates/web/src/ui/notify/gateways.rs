//! The payment gateways page: the gateways allowed to post signed payment notifications
//! (`/api/v1/payment-notifications/{provider}`, the webhooks' signature scheme), adding one —
//! its secret shown once, carried by the flash, never in an address — and removing one. Each
//! change is audited by the use case.

use super::super::session::{UiForm, UiUser};
use super::super::{error_page, local_time, render, see_other_with, Chrome, Flash, FormState};
use crate::i18n::Tr;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use tripdesk_app::bookings::gateway::GatewayInput;

/// The secret of a gateway just added, shown on the one page load after the redirect.
#[derive(Clone)]
struct NewSecret(String);

struct GatewayRow {
    provider: String,
    path: String,
    description: String,
    created: String,
}

#[derive(Template)]
#[template(path = "notify/gateways.html")]
struct GatewaysPage {
    c: Chrome,
    rows: Vec<GatewayRow>,
    secret: Option<String>,
    f: FormState,
}

const LABELS: &[(&str, &str)] = &[
    ("provider", "gateways.provider"),
    ("description", "field.description"),
];

async fn page(state: &AppState, user: &UiUser, f: FormState) -> Response {
    let gateways = match state.app.list_payment_gateways(&user.principal).await {
        Ok(g) => g,
        Err(e) => return error_page(state, user, "webhooks", e),
    };
    let rows = gateways
        .iter()
        .map(|g| GatewayRow {
            path: format!("/api/v1/payment-notifications/{}", g.provider),
            provider: g.provider.clone(),
            description: g.description.clone(),
            created: local_time(state, g.created_at),
        })
        .collect();
    let secret = user
        .flash
        .as_ref()
        .and_then(|fl| fl.payload::<NewSecret>())
        .map(|s| s.0.clone());
    render(
        f.status(),
        &GatewaysPage {
            c: Chrome::new(state, user, "webhooks"),
            rows,
            secret,
            f,
        },
    )
}

pub async fn list(State(state): State<AppState>, user: UiUser) -> Response {
    page(&state, &user, FormState::with_defaults(&[])).await
}

pub async fn create(State(state): State<AppState>, UiForm { user, form }: UiForm) -> Response {
    let t = Tr(user.lang);
    let input = GatewayInput {
        provider: form.get("provider").trim().to_string(),
        description: form.get("description").trim().to_string(),
    };
    match state
        .app
        .create_payment_gateway(&user.principal, input)
        .await
    {
        Ok(g) => {
            let flash = Flash::done(t.s("gateways.flash.created")).with(NewSecret(g.secret));
            see_other_with(&state, &user, "/notify/payment-gateways#secret", flash)
        }
        Err(e) => match e.into_field_errors("provider") {
            Ok(fields) => {
                let f = FormState::typed(&form).refused(t, &fields, LABELS);
                page(&state, &user, f).await
            }
            Err(e) => error_page(&state, &user, "webhooks", e),
        },
    }
}

pub async fn delete(
    State(state): State<AppState>,
    Path(provider): Path<String>,
    UiForm { user, .. }: UiForm,
) -> Response {
    let t = Tr(user.lang);
    match state
        .app
        .delete_payment_gateway(&user.principal, &provider)
        .await
    {
        Ok(()) => see_other_with(
            &state,
            &user,
            "/notify/payment-gateways",
            Flash::done(t.s("gateways.flash.deleted")),
        ),
        Err(e) => error_page(&state, &user, "webhooks", e),
    }
}
