//! A customer's conversation across channels (issue 17 item 6): every message of every
//! channel in time order, newest first, continued by the cursor of the last page.

use crate::api::rfc3339;
use crate::extract::{ApiPath, ApiQuery, Auth};
use crate::problem::ApiError;
use crate::AppState;
use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use tripdesk_app::conversation::{ConversationItem, Cursor, Speaker};
use tripdesk_app::AppError;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(conversation))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ConversationPath {
    /// The customer.
    id: Uuid,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ConversationQueryParams {
    /// The `next` of the page before (absent: the newest entries).
    before: Option<String>,
    /// 1–200, 50 when left out.
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
}

/// One entry of the conversation.
#[derive(Serialize, ToSchema)]
pub struct ConversationEntryView {
    id: Uuid,
    at: String,
    /// `email`, `phone`, `chat`, `social`, `wechat`, `sms`, `web_form`, `on_site`…; for an
    /// agent's reply the channel it was delivered by (`none`: not sent anywhere).
    channel: String,
    /// `customer`, `agent` or `system`.
    speaker: &'static str,
    /// `message`, or `call:<direction>:<disposition>`.
    kind: String,
    /// The name recorded with it (a call's extension).
    actor: Option<String>,
    text: String,
    ticket_id: Option<Uuid>,
    ticket_number: Option<String>,
    /// A call's ring seconds.
    ring_secs: Option<i64>,
    /// A call's talk seconds.
    talk_secs: Option<i64>,
}

/// A page of the conversation.
#[derive(Serialize, ToSchema)]
pub struct ConversationView {
    items: Vec<ConversationEntryView>,
    /// Give as `before` for the next (older) page; absent on the last.
    next: Option<String>,
}

fn view(state: &AppState, i: &ConversationItem) -> ConversationEntryView {
    ConversationEntryView {
        id: i.id,
        at: rfc3339(state, i.at),
        channel: i.channel.clone(),
        speaker: match i.speaker {
            Speaker::Customer => "customer",
            Speaker::Agent => "agent",
            Speaker::System => "system",
        },
        kind: i.kind.clone(),
        actor: i.actor.clone(),
        text: i.text.clone(),
        ticket_id: i.ticket_id,
        ticket_number: i.ticket_number.clone(),
        ring_secs: i.call_secs.map(|(r, _)| r),
        talk_secs: i.call_secs.map(|(_, t)| t),
    }
}

/// The customer's conversation across channels, newest first (needs `view_customers` and
/// `view_desk`; tickets outside the viewer's groups are left out).
#[utoipa::path(get, path = "/api/v1/customers/{id}/conversation", tag = "customers",
    params(ConversationPath, ConversationQueryParams),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "A page of the conversation", body = ConversationView),
        (status = 404, description = "No such customer")))]
async fn conversation(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<ConversationPath>,
    ApiQuery(q): ApiQuery<ConversationQueryParams>,
) -> Result<Json<ConversationView>, ApiError> {
    let limit = super::super::page_limit(q.limit, 50, 200)?;
    let before = match q.before.as_deref() {
        None => None,
        Some(s) => Some(Cursor::decode(s).ok_or_else(|| {
            AppError::field(
                "before",
                "invalid",
                "before is the `next` of an earlier page",
            )
        })?),
    };
    let page = state
        .app
        .customer_conversation(&p, path.id, before, 0, limit)
        .await?;
    let next = page
        .more
        .then(|| page.items.last())
        .flatten()
        .map(|i| Cursor { at: i.at, id: i.id }.encode());
    Ok(Json(ConversationView {
        items: page.items.iter().map(|i| view(&state, i)).collect(),
        next,
    }))
}
