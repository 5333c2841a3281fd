//! The desk: tickets and the complaint workflow (`tickets`), what agents and supervisors work
//! with around them — replies, timeline, routing rules, reply templates, inbox, board
//! (`agent`) — and satisfaction surveys (`surveys`).

mod agent;
pub mod surveys;
mod tickets;

use crate::AppState;
use utoipa_axum::router::OpenApiRouter;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(tickets::routes())
        .merge(agent::routes())
        .merge(surveys::routes())
}
