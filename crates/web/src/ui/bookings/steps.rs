//! The steps taken from a booking's page, each a small post form answered by
//! post/redirect/get with one flash: confirm, 已电话告知客户, 标记已完成, 登记收款 (kept as typed
//! on a refusal), 登记退款已付, cancel. The page itself is [`super::booking`].

use super::booking::booking_page;
use crate::i18n::{self, Tr};
use crate::ui::session::UiForm;
use crate::ui::{error_page, see_other_with, Flash, FormState, UiUser};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use tripdesk_app::bookings::confirmation::ToldBy;
use tripdesk_app::bookings::refunds::RefundPayout;
use tripdesk_app::bookings::NewPayment;
use tripdesk_app::{AppError, FieldError};
use tripdesk_domain::bookings::Cause;
use tripdesk_store::PaymentMethod;
use uuid::Uuid;

/// A step's outcome: back to the booking with `done_key`'s notice, or its refusal.
fn after_step<T>(
    state: &AppState,
    user: &UiUser,
    to: &str,
    outcome: Result<T, AppError>,
    done_key: &str,
) -> Response {
    match outcome {
        Ok(_) => see_other_with(state, user, to, Flash::done(Tr(user.lang).s(done_key))),
        Err(e) => refused(state, user, to, e),
    }
}

/// The payment form's fields and the words that name them in its errors.
const PAYMENT_LABELS: &[(&str, &str)] = &[
    ("method", "bookings.payment.method"),
    ("amount_fen", "bookings.payment.amount"),
    ("reference", "bookings.payment.reference"),
];

pub async fn confirm(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    UiForm { user, .. }: UiForm,
) -> Response {
    let to = format!("/bookings/{id}");
    let outcome = state.app.confirm_booking(&user.principal, id).await;
    after_step(&state, &user, &to, outcome, "bookings.flash.confirmed")
}

/// 登记收款: a payment recorded from the booking's page. Errors come back beside the fields
/// with what was typed; a payment recorded goes back to the page with a notice.
pub async fn record_payment(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    headers: HeaderMap,
    UiForm { user, form }: UiForm,
) -> Response {
    let t = Tr(user.lang);
    let typed = FormState::typed(&form);
    let method = PaymentMethod::parse(form.get("method"));
    let amount = crate::ui::form::yuan_to_fen(form.get("amount")).filter(|f| *f > 0);
    let mut missing = Vec::new();
    if method.is_none() {
        missing.push(FieldError::new(
            "method",
            "required",
            "choose how it was paid",
        ));
    }
    if amount.is_none() {
        missing.push(FieldError::new(
            "amount_fen",
            "invalid",
            "an amount in yuan above 0, at most two decimals",
        ));
    }
    let (Some(method), Some(amount_fen)) = (method, amount) else {
        return booking_page(
            &state,
            &user,
            &headers,
            id,
            typed.refused(t, &missing, PAYMENT_LABELS),
        )
        .await;
    };
    let reference = Some(form.get("reference").trim().to_string()).filter(|r| !r.is_empty());
    match state
        .app
        .record_payment(
            &user.principal,
            id,
            NewPayment {
                method,
                amount_fen,
                reference,
            },
        )
        .await
    {
        Ok(_) => see_other_with(
            &state,
            &user,
            &format!("/bookings/{id}"),
            Flash::done(t.s("bookings.flash.paid")),
        ),
        Err(AppError::Validation(fields)) => {
            booking_page(
                &state,
                &user,
                &headers,
                id,
                typed.refused(t, &fields, PAYMENT_LABELS),
            )
            .await
        }
        Err(AppError::Conflict {
            code: "payment_recorded",
            message,
            ..
        }) => {
            let field = FieldError::new("reference", "payment_recorded", message);
            booking_page(
                &state,
                &user,
                &headers,
                id,
                typed.refused(t, &[field], PAYMENT_LABELS),
            )
            .await
        }
        Err(e) => refused(&state, &user, &format!("/bookings/{id}"), e),
    }
}

/// 已电话告知: staff told the customer of the confirmation by phone.
pub async fn confirmation_told(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    UiForm { user, .. }: UiForm,
) -> Response {
    let to = format!("/bookings/{id}");
    let outcome = state
        .app
        .record_confirmation_told(&user.principal, id, ToldBy::Phone)
        .await;
    after_step(
        &state,
        &user,
        &to,
        outcome,
        "bookings.flash.confirmation_told",
    )
}

pub async fn complete(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    UiForm { user, .. }: UiForm,
) -> Response {
    let to = format!("/bookings/{id}");
    let outcome = state.app.complete_booking(&user.principal, id).await;
    after_step(&state, &user, &to, outcome, "bookings.flash.completed")
}

/// 登记退款已付: the refund's payout, recorded from the booking's page.
pub async fn pay_refund(
    State(state): State<AppState>,
    Path((id, refund_id)): Path<(Uuid, Uuid)>,
    UiForm { user, form }: UiForm,
) -> Response {
    let t = Tr(user.lang);
    let to = format!("/bookings/{id}");
    let Some(method) = PaymentMethod::parse(form.get("method")) else {
        return see_other_with(
            &state,
            &user,
            &to,
            Flash::refused(t.s("bookings.refund.method_missing")),
        );
    };
    let reference = Some(form.get("reference").trim().to_string()).filter(|r| !r.is_empty());
    let outcome = state
        .app
        .pay_refund(
            &user.principal,
            id,
            refund_id,
            RefundPayout { method, reference },
        )
        .await;
    after_step(&state, &user, &to, outcome, "bookings.flash.refund_paid")
}

pub async fn cancel(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    UiForm { user, form }: UiForm,
) -> Response {
    let t = Tr(user.lang);
    let to = format!("/bookings/{id}");
    // Irreversible: the box is required by the page and checked here too.
    if form.get("confirm") != "yes" {
        return see_other_with(
            &state,
            &user,
            &to,
            Flash::refused(t.s("bookings.cancel.unsure")),
        );
    }
    let cause = match form.get("cause") {
        "business" => Cause::Business,
        "group_not_formed" => Cause::GroupNotFormed,
        _ => Cause::Customer,
    };
    let outcome = state.app.cancel_booking(&user.principal, id, cause).await;
    after_step(&state, &user, &to, outcome, "bookings.flash.cancelled")
}

/// A step refused: back to the booking with the reason (a refusal is not a field's), or
/// the error page for what is not a refusal (forbidden, not found, a failure).
pub(super) fn refused(state: &AppState, user: &UiUser, to: &str, e: AppError) -> Response {
    match e {
        AppError::Conflict { .. }
        | AppError::InvalidTransition { .. }
        | AppError::Validation(_) => {
            let text = i18n::app_error(Tr(user.lang), &e);
            see_other_with(state, user, to, Flash::refused(text))
        }
        e => error_page(state, user, "bookings", e),
    }
}
