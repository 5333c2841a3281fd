//! Staff identity: signing in and out, staff accounts and roles, departments, API tokens.

mod auth;
mod departments;
mod tokens;
pub mod users;

use crate::AppState;
use utoipa_axum::router::OpenApiRouter;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(auth::routes())
        .merge(users::routes())
        .merge(departments::routes())
        .merge(tokens::routes())
}
