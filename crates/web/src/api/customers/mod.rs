//! Customers and their personal data: records, masked reads, audited reveals, consents,
//! duplicates and merges, the PIPL copy and erasure (`records`); import and export (`import`);
//! the conversation across channels (`conversation`).

pub mod conversation;
pub mod import;
pub mod records;

use crate::AppState;
use utoipa_axum::router::OpenApiRouter;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(records::routes())
        .merge(import::routes())
        .merge(conversation::routes())
}
