//! A customer's choice of refund or postponement under force majeure (`/r/<token>`, the link
//! in an incident's remedies message): each of their affected bookings with what each option
//! means in money — the refund line by line, the postponement free or not by the booking's
//! policy — and two buttons (a POST with the public forms' anonymous CSRF token; opening the
//! link records nothing). The token is the credential: one that does not verify is 404. A
//! choice is final; the page then says what was chosen. Not cached, no referrer.

use super::{chrome, csrf_ok, form_nonce, message, private, unexpected, with_cookie, PublicChrome};
use crate::ui::session::FormData;
use crate::ui::{local_time, render};
use crate::AppState;
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use tripdesk_app::emergency::RemedyOfferView;
use tripdesk_app::AppError;
use tripdesk_domain::catalog::yuan;
use tripdesk_domain::emergency::{RemedyChoice, RemedyState};
use uuid::Uuid;

pub fn routes() -> Router<AppState> {
    Router::new().route("/r/{token}", get(page).post(choose))
}

/// One line of an explanation, its amount as money.
struct Line {
    label: String,
    amount: String,
}

/// One booking on the page.
struct Offer {
    booking_id: Uuid,
    label: String,
    dates: String,
    /// `offered`, `refund`, `postpone`, `withdrawn`.
    state: &'static str,
    /// Offered and still open to a choice: the two options.
    choosable: bool,
    refund: String,
    refund_lines: Vec<Line>,
    credit: String,
    postpone_free: bool,
    chosen_at: Option<String>,
    /// Refund chosen: the amount recorded and when it is due.
    refund_recorded: Option<(String, String)>,
}

#[derive(Template)]
#[template(path = "public/remedy.html")]
struct RemedyPage {
    p: PublicChrome,
    token: String,
    csrf: String,
    title: String,
    offers: Vec<Offer>,
    thanked: bool,
    alert: Option<String>,
}

#[derive(Deserialize)]
pub struct RemedyQuery {
    done: Option<String>,
}

fn offer(state: &AppState, v: RemedyOfferView) -> Offer {
    let r = &v.row;
    let lines = |ls: &[tripdesk_domain::bookings::RefundLine]| {
        ls.iter()
            .map(|l| Line {
                label: l.label_zh.clone(),
                amount: yuan(l.amount_fen),
            })
            .collect()
    };
    Offer {
        booking_id: r.remedy.booking_id,
        label: r.confirmation_no.clone().unwrap_or_default(),
        dates: format!("{} – {}", r.starts_on, r.ends_on),
        state: r.remedy.state.as_str(),
        choosable: r.remedy.state == RemedyState::Offered && v.options.is_some(),
        refund: v
            .options
            .as_ref()
            .map(|o| yuan(o.refund.refund_fen))
            .unwrap_or_else(|| yuan(r.remedy.refund_fen)),
        refund_lines: v
            .options
            .as_ref()
            .map(|o| lines(&o.refund.lines))
            .unwrap_or_default(),
        credit: v
            .options
            .as_ref()
            .map(|o| yuan(o.postponement.credit_fen))
            .unwrap_or_else(|| yuan(r.remedy.paid_fen)),
        postpone_free: v
            .options
            .as_ref()
            .map(|o| o.postponement.free)
            .unwrap_or(r.remedy.postpone_free),
        chosen_at: r.remedy.chosen_at.map(|t| local_time(state, t)),
        refund_recorded: v
            .refund
            .as_ref()
            .map(|x| (yuan(x.refund.refund_fen), local_time(state, x.due_at))),
    }
}

fn refused(state: &AppState, headers: &HeaderMap, token: &str, e: AppError) -> Response {
    let path = format!("/r/{token}");
    let t = chrome(state, headers, &path).t;
    match &e {
        AppError::NotFound(_) => private(message(
            state,
            headers,
            &path,
            StatusCode::NOT_FOUND,
            t.s("public.remedy.invalid_title"),
            t.s("public.remedy.invalid"),
            None,
        )),
        _ => unexpected(e),
    }
}

async fn remedy_page(
    state: &AppState,
    headers: &HeaderMap,
    token: &str,
    thanked: bool,
    alert: Option<String>,
    status: StatusCode,
) -> Response {
    let view = match state.app.remedy_view(token).await {
        Ok(v) => v,
        Err(e) => return refused(state, headers, token, e),
    };
    let (nonce, set) = form_nonce(state, headers);
    let page = RemedyPage {
        p: chrome(state, headers, &format!("/r/{token}")),
        token: token.into(),
        csrf: state.app.public_form_token(&nonce).unwrap_or_default(),
        title: view.incident_title,
        offers: view.offers.into_iter().map(|v| offer(state, v)).collect(),
        thanked,
        alert,
    };
    private(with_cookie(set, render(status, &page)))
}

pub async fn page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
    Query(q): Query<RemedyQuery>,
) -> Response {
    remedy_page(
        &state,
        &headers,
        &token,
        q.done.is_some(),
        None,
        StatusCode::OK,
    )
    .await
}

/// The customer's button for one booking: `booking=<id>` and `choice=refund|postpone`.
pub async fn choose(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
    body: Bytes,
) -> Response {
    let form = match FormData::parse(&body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let t = chrome(&state, &headers, &format!("/r/{token}")).t;
    let again = |alert: &str, status| {
        remedy_page(&state, &headers, &token, false, Some(alert.into()), status)
    };
    if !csrf_ok(&state, &headers, &form) {
        return again(t.s("public.csrf_expired"), StatusCode::FORBIDDEN).await;
    }
    let (Some(choice), Ok(booking)) = (
        RemedyChoice::parse(form.get("choice")),
        Uuid::parse_str(form.get("booking")),
    ) else {
        return again(
            t.s("public.remedy.choose"),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    match state
        .app
        .choose_remedy_by_link(&token, booking, choice)
        .await
    {
        Ok(_) => private(crate::ui::see_other(&format!("/r/{token}?done=1"))),
        // A choice made before, a booking cancelled meanwhile, a trip started: said on the page.
        Err(e @ (AppError::Conflict { .. } | AppError::InvalidTransition { .. })) => {
            again(&crate::i18n::app_error(t, &e), StatusCode::CONFLICT).await
        }
        Err(e) => refused(&state, &headers, &token, e),
    }
}
