//! The desk pages: the inbox (`inbox`), a ticket and intake (`ticket`), the supervisor's board, routing rules and
//! reply templates (`admin`), a ticket's customer links and surveys (`links`).

mod admin;
mod chats;
pub(crate) mod inbox;
mod intake;
mod links;
mod text;
pub(crate) mod ticket;
pub(crate) mod timeline;

pub(crate) use text::TEXT;

use crate::ui::up_one;
use crate::AppState;
use axum::routing::get;
use axum::Router;

/// The pages of this capability.
pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(chats::routes())
        .route("/desk", get(inbox::inbox))
        .route("/desk/new", get(intake::new_ticket))
        .route("/desk/tickets", get(up_one).post(intake::create_ticket))
        .route("/desk/tickets/{id}", get(ticket::ticket))
        .route(
            "/desk/tickets/{id}/step",
            get(up_one).post(ticket::take_step),
        )
        .route(
            "/desk/tickets/{id}/messages",
            get(up_one).post(ticket::post_message),
        )
        .route(
            "/desk/tickets/{id}/convert",
            get(up_one).post(ticket::convert),
        )
        .route(
            "/desk/tickets/{id}/level",
            get(up_one).post(ticket::change_level),
        )
        .route("/desk/board", get(admin::board))
        .route("/desk/rules", get(admin::rules).post(admin::create_rule))
        .route(
            "/desk/rules/{id}",
            get(admin::edit_rule).post(admin::update_rule),
        )
        .route(
            "/desk/rules/{id}/delete",
            get(up_one).post(admin::delete_rule),
        )
        .route(
            "/desk/replies",
            get(admin::replies).post(admin::create_reply),
        )
        .route(
            "/desk/replies/{id}",
            get(admin::edit_reply).post(admin::update_reply),
        )
        .route(
            "/desk/replies/{id}/delete",
            get(up_one).post(admin::delete_reply),
        )
        .route("/desk/find", get(links::find))
        .route("/desk/tickets/{id}/customer", get(links::links))
        .route(
            "/desk/tickets/{id}/surveys",
            get(up_one).post(links::send_survey),
        )
}
