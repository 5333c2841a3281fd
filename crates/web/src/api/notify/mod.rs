//! Notifications: outgoing messages and their delivery (`messages`), message templates
//! (`templates`), the in-app bell (`bell`), signed webhooks (`webhooks`), recipient preferences
//! and per-channel rate limits (`preferences`).

mod bell;
mod messages;
mod preferences;
mod templates;
pub mod webhooks;

use crate::AppState;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use uuid::Uuid;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(messages::routes())
        .merge(templates::routes())
        .merge(bell::routes())
        .merge(webhooks::routes())
        .merge(preferences::routes())
}

/// A message, notification or webhook by id.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct IdPath {
    id: Uuid,
}
