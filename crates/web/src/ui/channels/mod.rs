//! The inbound channels' settings pages (issue 17): the IMAP mailboxes the desk reads
//! ([`mailboxes`]).

mod mailboxes;
mod text;

pub(crate) use text::TEXT;

use crate::AppState;
use axum::routing::get;
use axum::Router;

/// The pages of this capability.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/channels/mailboxes",
            get(mailboxes::list).post(mailboxes::create),
        )
        .route(
            "/channels/mailboxes/{id}/enabled",
            get(super::up_one).post(mailboxes::set_enabled),
        )
        .route(
            "/channels/mailboxes/{id}/poll",
            get(super::up_one).post(mailboxes::poll_now),
        )
}
