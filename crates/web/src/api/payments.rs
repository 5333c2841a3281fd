//! Payments reported by payment gateways: the gateways an administrator allows (each with a
//! signing secret shown once) and the signed notifications they post. The signature is the
//! one tripdesk's own webhooks carry (`X-Tripdesk-Signature: t=<unix>,v1=<hex
//! HMAC-SHA256(secret, "<t>.<raw body>")>`), so an integrator implements one scheme.

use super::rfc3339;
use crate::extract::{parse_json, require_json, ApiJson, ApiPath, Auth};
use crate::problem::ApiError;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde::{Deserialize, Serialize};
use tripdesk_app::bookings::gateway::{
    GatewayInput, GatewayNotification, GatewayReceipt, SIGNATURE_HEADER,
};
use tripdesk_store::{PaymentGateway, PaymentMethod};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_gateways, create_gateway))
        .routes(routes!(delete_gateway))
        .routes(routes!(receive_notification))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ProviderPath {
    /// The gateway's name, as added (`wechat`, `alipay`, …).
    provider: String,
}

/// A gateway allowed to post payment notifications (the secret only when added).
#[derive(Serialize, ToSchema)]
pub struct GatewayView {
    provider: String,
    description: String,
    /// Where the gateway posts its notifications.
    notification_path: String,
    /// The signing secret: only in the answer to adding the gateway.
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
    created_at: String,
}

impl GatewayView {
    fn of(state: &AppState, g: &PaymentGateway, with_secret: bool) -> Self {
        Self {
            notification_path: format!("/api/v1/payment-notifications/{}", g.provider),
            provider: g.provider.clone(),
            description: g.description.clone(),
            secret: with_secret.then(|| g.secret.clone()),
            created_at: rfc3339(state, g.created_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct GatewayList {
    items: Vec<GatewayView>,
}

/// A gateway as added.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"provider": "wechat", "description": "微信支付商户号 1900000109（经支付对接服务转发）"}))]
pub struct GatewayBody {
    /// 1–32 of `a-z`, `0-9`, `_`, `-`, starting with a letter or digit.
    #[schema(min_length = 1, max_length = 32, pattern = "^[a-z0-9][a-z0-9_-]*$")]
    provider: String,
    #[schema(max_length = 200)]
    description: Option<String>,
}

/// Payment gateways (needs `manage_notifications`).
#[utoipa::path(get, path = "/api/v1/payment-gateways", tag = "bookings",
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Gateways", body = GatewayList)))]
async fn list_gateways(
    State(state): State<AppState>,
    Auth(p): Auth,
) -> Result<Json<GatewayList>, ApiError> {
    let items = state.app.list_payment_gateways(&p).await?;
    Ok(Json(GatewayList {
        items: items
            .iter()
            .map(|g| GatewayView::of(&state, g, false))
            .collect(),
    }))
}

/// Allows a gateway to post payment notifications (needs `manage_notifications`; audited
/// without the secret). The answer carries its signing secret, shown only this once; 409
/// `gateway_taken` for a name in use.
#[utoipa::path(post, path = "/api/v1/payment-gateways", tag = "bookings", request_body = GatewayBody,
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 201, description = "Added, with its secret", body = GatewayView)))]
async fn create_gateway(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiJson(b): ApiJson<GatewayBody>,
) -> Result<(StatusCode, Json<GatewayView>), ApiError> {
    let g = state
        .app
        .create_payment_gateway(
            &p,
            GatewayInput {
                provider: b.provider,
                description: b.description.unwrap_or_default(),
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(GatewayView::of(&state, &g, true))))
}

/// Removes a gateway: its notifications answer 401 from now on; the payments it recorded
/// stay (needs `manage_notifications`; audited).
#[utoipa::path(delete, path = "/api/v1/payment-gateways/{provider}", tag = "bookings",
    params(ProviderPath),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 204, description = "Removed")))]
async fn delete_gateway(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<ProviderPath>,
) -> Result<StatusCode, ApiError> {
    state.app.delete_payment_gateway(&p, &path.provider).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A payment a gateway reports.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "notification_id": "wx-20270301-0001",
    "confirmation_no": "TD270301ABCD2345",
    "amount_fen": 96000,
    "method": "wechat_pay",
    "transaction_id": "4200001234202703010001"
}))]
pub struct NotificationBody {
    /// The gateway's id of this notification: sent again, it records nothing more.
    #[schema(min_length = 1, max_length = 128)]
    notification_id: String,
    /// The booking paid, by id…
    booking_id: Option<Uuid>,
    /// …or by confirmation number (exactly one of the two).
    confirmation_no: Option<String>,
    /// Fen, above 0.
    #[schema(minimum = 1)]
    amount_fen: i64,
    /// `wechat_pay`, `alipay`, `card` or `bank_transfer`.
    method: PaymentMethod,
    /// The gateway's transaction number (kept as the payment's reference, unique per method).
    #[schema(min_length = 1, max_length = 64)]
    transaction_id: String,
}

/// What a notification recorded.
#[derive(Serialize, ToSchema)]
pub struct NotificationReceipt {
    notification_id: String,
    booking_id: Uuid,
    confirmation_no: Option<String>,
    /// The payment recorded (the first time).
    payment_id: Uuid,
    amount_fen: i64,
    /// The booking's paid total and balance due now.
    paid_fen: i64,
    balance_fen: i64,
    /// True when this notification was recorded before: nothing was recorded now.
    replayed: bool,
}

impl NotificationReceipt {
    fn of(r: GatewayReceipt) -> Self {
        Self {
            notification_id: r.notification_id,
            booking_id: r.booking.id,
            confirmation_no: r.booking.confirmation_no.clone(),
            payment_id: r.payment_id,
            amount_fen: r.amount_fen,
            paid_fen: r.booking.paid_fen,
            balance_fen: r.booking.total_fen - r.booking.paid_fen,
            replayed: r.replayed,
        }
    }
}

/// A payment gateway reports a payment. No bearer token: the request is authenticated by
/// `X-Tripdesk-Signature` over the raw body with the gateway's secret (401 when it is
/// missing, wrong, or its `t` is more than 5 minutes off; nothing is recorded then). The
/// same `notification_id` again answers 200 with what the first recorded (`replayed: true`;
/// 422 `reused` if its body differs). 404 for an unknown booking, 422 naming the field
/// (`amount_fen` not above 0, `method` cash), 409 `booking.closed` for a cancelled,
/// expired or completed booking, `payment_recorded` for a `transaction_id` recorded before.
#[utoipa::path(post, path = "/api/v1/payment-notifications/{provider}", tag = "bookings",
    params(ProviderPath, ("X-Tripdesk-Signature" = String, Header,
        description = "`t=<unix seconds>,v1=<hex of HMAC-SHA256(secret, \"<t>.<raw body>\")>`; `t` within 5 minutes of the server's clock")),
    request_body = NotificationBody,
    responses((status = 200, description = "Recorded (or recorded before)", body = NotificationReceipt)))]
async fn receive_notification(
    State(state): State<AppState>,
    ApiPath(path): ApiPath<ProviderPath>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<NotificationReceipt>, ApiError> {
    let signature = headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok());
    let verified = state
        .app
        .verify_payment_notification(&path.provider, signature, &body)
        .await?;
    require_json(&headers)?;
    let n: NotificationBody = parse_json(&body)?;
    let receipt = state
        .app
        .record_gateway_payment(
            verified,
            GatewayNotification {
                notification_id: n.notification_id,
                booking_id: n.booking_id,
                confirmation_no: n.confirmation_no,
                amount_fen: n.amount_fen,
                method: n.method,
                transaction_id: n.transaction_id,
            },
        )
        .await?;
    Ok(Json(NotificationReceipt::of(receipt)))
}
