//! Customers and their personal data.

pub mod records;

use crate::AppState;
use utoipa_axum::router::OpenApiRouter;

pub fn routes() -> OpenApiRouter<AppState> {
    records::routes()
}
