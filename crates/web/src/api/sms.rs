//! The SMS provider's signed webhooks: the handset's delivery receipts and the replies
//! customers send. No bearer token: each post is authenticated by `X-Tripdesk-Signature`
//! over the raw body with `sms_webhook_secret` (the one scheme, `tripdesk_vault::webhook`).

use crate::extract::{parse_json, require_json};
use crate::problem::ApiError;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use tripdesk_app::sms::{wire, SIGNATURE_HEADER};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(receive_receipts))
        .routes(routes!(receive_replies))
}

/// The SMS provider reports what handsets did with messages it accepted (a JSON array, at
/// most 1,000). Each is recorded on its message once: a receipt posted again changes nothing
/// (`repeated`), one naming no SMS message is counted `unknown`. 401 when the signature is
/// missing, wrong or more than 5 minutes off, or SMS webhooks are not configured; nothing is
/// recorded then.
#[utoipa::path(post, path = "/api/v1/sms/receipts", tag = "messages",
    params(("X-Tripdesk-Signature" = String, Header,
        description = "`t=<unix seconds>,v1=<hex of HMAC-SHA256(sms_webhook_secret, \"<t>.<raw body>\")>`; `t` within 5 minutes of the server's clock")),
    request_body = Vec<wire::Receipt>,
    responses((status = 200, description = "Recorded", body = wire::Answer)))]
async fn receive_receipts(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<wire::Answer>, ApiError> {
    let signature = headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok());
    let verified = state.app.verify_sms_webhook(signature, &body)?;
    require_json(&headers)?;
    let receipts: Vec<wire::Receipt> = parse_json(&body)?;
    Ok(Json(
        state.app.record_sms_receipts(verified, &receipts).await?,
    ))
}

/// The SMS provider posts the texts customers sent to the agency's number (a JSON array, at
/// most 1,000). Each is stored once by its `sequence_id`, the number only as the customers'
/// blind index (matched to the customers holding it exactly), the text sealed. 401 as for
/// receipts.
#[utoipa::path(post, path = "/api/v1/sms/replies", tag = "messages",
    params(("X-Tripdesk-Signature" = String, Header,
        description = "`t=<unix seconds>,v1=<hex of HMAC-SHA256(sms_webhook_secret, \"<t>.<raw body>\")>`; `t` within 5 minutes of the server's clock")),
    request_body = Vec<wire::Reply>,
    responses((status = 200, description = "Stored", body = wire::Answer)))]
async fn receive_replies(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<wire::Answer>, ApiError> {
    let signature = headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok());
    let verified = state.app.verify_sms_webhook(signature, &body)?;
    require_json(&headers)?;
    let replies: Vec<wire::Reply> = parse_json(&body)?;
    let (answer, _stored) = state.app.receive_sms_replies(verified, &replies).await?;
    Ok(Json(answer))
}
