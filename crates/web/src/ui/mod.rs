//! The server-rendered web UI: askama templates, plain HTML forms (each carrying the session's
//! CSRF token) and htmx for live filtering. Every page is built from a [`Chrome`] (the
//! signed-in user, the language, the navigation) and a page template.

mod assessment;
mod assets;
mod audit;
mod bookings;
mod calendars;
pub(crate) mod calls;
mod channels;
mod customers;
mod desk;
pub(crate) mod feedback;
pub mod flash;
pub mod form;
mod identity;
mod incidents;
mod jobs;
mod notify;
pub(crate) mod pager;
mod public;
pub(crate) mod quality;
pub(crate) mod queues;
mod search;
mod session;
mod sla;
mod summaries;

use crate::extract::{cookie, SESSION_COOKIE};
use crate::i18n::{Lang, Tr};
use crate::AppState;
use askama::Template;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use tripdesk_app::Principal;
use tripdesk_domain::identity::{Permission, Role};

pub(crate) use public::chat::chat_origin;
pub use public::public_base;
pub use session::UiUser;

/// Every page: each capability registers its own.
pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(session::routes())
        .merge(identity::routes())
        .merge(desk::routes())
        .merge(public::routes())
        .merge(customers::routes())
        .merge(audit::routes())
        .merge(calendars::routes())
        .merge(sla::routes())
        .merge(notify::routes())
        .merge(jobs::routes())
        .merge(feedback::routes())
        .merge(assessment::routes())
        .merge(bookings::routes())
        .merge(search::routes())
        .merge(incidents::routes())
        .merge(channels::routes())
        .merge(calls::routes())
        .merge(summaries::routes())
        .merge(quality::routes())
        .route("/static/{file}", get(assets::serve))
}

/// Every capability's slice of the interface text (read by [`crate::i18n`]).
pub(crate) const TEXTS: &[&[crate::i18n::Entry]] = &[
    identity::TEXT,
    desk::TEXT,
    public::TEXT,
    public::REMEDY_TEXT,
    public::CHAT_TEXT,
    public::COMMITMENTS_TEXT,
    customers::TEXT,
    audit::TEXT,
    calendars::TEXT,
    sla::TEXT,
    notify::TEXT,
    jobs::TEXT,
    feedback::TEXT,
    assessment::TEXT,
    bookings::TEXT,
    bookings::ARRIVAL_TEXT,
    bookings::OTA_SYNC_TEXT,
    bookings::POLICY_TEXT,
    bookings::DOCUMENTS_TEXT,
    bookings::MANUAL_LIST_TEXT,
    pager::TEXT,
    search::TEXT,
    incidents::TEXT,
    incidents::REPORT_TEXT,
    incidents::BOARD_TEXT,
    channels::TEXT,
    calls::TEXT,
    summaries::TEXT,
    quality::TEXT,
];

/// The language cookie.
pub const LANG_COOKIE: &str = "tripdesk_lang";

/// The language of a request: the cookie, else the user's own setting, else Chinese.
pub fn lang_of(headers: &HeaderMap, principal: Option<&Principal>) -> Lang {
    cookie(headers, LANG_COOKIE)
        .and_then(Lang::parse)
        .or_else(|| principal.and_then(|p| Lang::parse(&p.locale)))
        .unwrap_or(Lang::ZhCn)
}

/// What every signed-in page shows around its content.
pub struct Chrome {
    pub t: Tr,
    pub org_name: String,
    pub display_name: String,
    pub username: String,
    pub initial: String,
    pub roles_label: String,
    pub csrf: String,
    pub active: &'static str,
    pub other_lang: &'static str,
    pub path_encoded: String,
    pub can_view_users: bool,
    pub can_view_customers: bool,
    pub can_view_bookings: bool,
    pub can_view_incidents: bool,
    pub can_view_audit: bool,
    pub can_view_reports: bool,
    pub can_send_messages: bool,
    pub can_manage_notifications: bool,
    pub can_manage_desk: bool,
    pub can_manage_settings: bool,
    /// The message of the flash this page was redirected with (or set by the page).
    pub flash: Option<String>,
    /// Whether that message reports a refusal (shown as an alert).
    pub flash_refused: bool,
    /// Missing holiday arrangements, for administrators (see [`Chrome::with_holiday_gaps`]):
    /// (message, link to the calendar).
    pub holiday_gaps: Vec<(String, String)>,
}

impl Chrome {
    pub fn new(state: &AppState, user: &UiUser, active: &'static str) -> Self {
        let p = &user.principal;
        let t = Tr(user.lang);
        Self {
            t,
            org_name: state.org_name.to_string(),
            display_name: p.display_name.clone(),
            username: p.username.clone(),
            initial: p
                .display_name
                .chars()
                .next()
                .map(String::from)
                .unwrap_or_default(),
            roles_label: p
                .roles
                .iter()
                .map(|r| role_label(t, *r))
                .collect::<Vec<_>>()
                .join(" · "),
            csrf: match &p.credential {
                tripdesk_app::auth::Credential::Session { csrf_token, .. } => csrf_token.clone(),
                _ => String::new(),
            },
            active,
            other_lang: user.lang.other().code(),
            path_encoded: percent_encoding::utf8_percent_encode(
                &user.path,
                percent_encoding::NON_ALPHANUMERIC,
            )
            .to_string(),
            can_view_users: p.can(Permission::ViewUsers),
            can_view_customers: p.can(Permission::ViewCustomers),
            can_view_bookings: p.can(Permission::ViewBookings),
            can_view_incidents: p.can(Permission::ViewIncidents),
            can_view_audit: p.can(Permission::ViewAudit),
            can_view_reports: p.can(Permission::ViewReports),
            can_send_messages: p.can(Permission::SendMessages),
            can_manage_notifications: p.can(Permission::ManageNotifications),
            can_manage_desk: p.can(Permission::ManageDesk),
            can_manage_settings: p.can(Permission::ManageSettings),
            flash: user.flash.as_ref().map(|f| f.message.clone()),
            flash_refused: user
                .flash
                .as_ref()
                .is_some_and(|f| f.kind == FlashKind::Refused),
            holiday_gaps: Vec::new(),
        }
    }

    /// Adds the banner of missing State Council holiday arrangements (the current year, or
    /// from 1 October the next one) for administrators; nothing for anyone else.
    pub async fn with_holiday_gaps(mut self, state: &AppState, user: &UiUser) -> Self {
        if !user.principal.can(Permission::ManageSettings) {
            return self;
        }
        match state.app.holiday_data_gaps(&user.principal).await {
            Ok(gaps) => {
                self.holiday_gaps = gaps
                    .into_iter()
                    .map(|g| {
                        let key = if g.current {
                            "calendar.gap.current"
                        } else {
                            "calendar.gap.next"
                        };
                        let text = self
                            .t
                            .s(key)
                            .replace("{calendar}", &g.calendar)
                            .replace("{year}", &g.year.to_string());
                        (text, format!("/calendars/{}", g.calendar))
                    })
                    .collect();
            }
            Err(e) => tracing::warn!(error = %e, "cannot check for missing holiday data"),
        }
        self
    }
}

pub fn role_label(t: Tr, role: Role) -> String {
    t.s(&format!("role.{}", role.as_str())).to_string()
}

pub use flash::{Flash, FlashKind};
pub use form::{form_errors, FormError, FormState};

/// A name kept in both languages (departments, calendars), in the page's language.
pub fn pick(lang: Lang, zh: &str, en: &str) -> String {
    match lang {
        Lang::ZhCn => zh.to_string(),
        Lang::En => en.to_string(),
    }
}

/// An instant as the organisation's local time, e.g. `2026-11-21 19:34`, for pages.
pub fn local_time(state: &AppState, t: jiff::Timestamp) -> String {
    t.to_zoned(state.tz.clone())
        .strftime("%Y-%m-%d %H:%M")
        .to_string()
}

/// The same to the second, where timing matters (delivery attempts).
pub fn local_time_seconds(state: &AppState, t: jiff::Timestamp) -> String {
    t.to_zoned(state.tz.clone())
        .strftime("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// Renders a template into a response (a template error is a bug: 500, logged).
pub fn render<T: Template>(status: StatusCode, page: &T) -> Response {
    match page.render() {
        Ok(html) => (status, [(header::CACHE_CONTROL, "no-store")], Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "template error").into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "message.html")]
pub struct MessagePage {
    pub c: Chrome,
    pub title: String,
    pub body: String,
}

/// A use-case error on a page: a message page inside the usual chrome (with `active`
/// highlighted in the navigation), in the reader's language ([`crate::i18n::app_error`]),
/// with the status the API would answer. A failure of the server itself is logged with its
/// detail first (the page never shows it).
pub fn error_page(
    state: &AppState,
    user: &UiUser,
    active: &'static str,
    e: tripdesk_app::AppError,
) -> Response {
    use tripdesk_app::AppError;
    let t = Tr(user.lang);
    let (status, title, body) = match &e {
        AppError::Forbidden(_) => (
            StatusCode::FORBIDDEN,
            t.s("error.forbidden"),
            t.s("error.forbidden").to_string(),
        ),
        AppError::NotFound(_) => (
            StatusCode::NOT_FOUND,
            t.s("error.not_found"),
            t.s("error.not_found").to_string(),
        ),
        _ => {
            let status = crate::problem::status_of(&e);
            if status.is_server_error() {
                tracing::error!(error = %e, "a page could not be served");
            }
            (status, t.s("error.refused"), crate::i18n::app_error(t, &e))
        }
    };
    render(
        status,
        &MessagePage {
            c: Chrome::new(state, user, active),
            title: title.into(),
            body,
        },
    )
}

/// The answer for a page that does not exist (HTML; the API answers problem+json).
pub fn not_found_page(headers: &HeaderMap) -> Response {
    let lang = lang_of(headers, None);
    let t = Tr(lang);
    let body = format!(
        "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\"><title>404</title><link rel=\"stylesheet\" href=\"/static/app.css\"></head><body class=\"login-page\"><main class=\"login-card\"><h1>404 · {}</h1><p><a href=\"/\">{}</a></p></main></body></html>",
        lang.code(),
        t.s("error.not_found"),
        t.s("error.back")
    );
    (StatusCode::NOT_FOUND, Html(body)).into_response()
}

/// Redirect after a successful form post (303 so the browser GETs the next page). The one
/// way the UI redirects: `to` passes [`crate::redirect::local_or_root`], so a target taken
/// from the request (`next`, `back`) can only be a path of this server.
pub fn see_other(to: &str) -> Response {
    Redirect::to(&crate::redirect::local_or_root(to)).into_response()
}

/// Post/redirect/get with a message: 303 to `to`, whose page shows `flash` once (see
/// [`flash`]). Outside a browser session (no session to bind it to) the flash is dropped.
pub fn see_other_with(state: &AppState, user: &UiUser, to: &str, flash: Flash) -> Response {
    match &user.principal.credential {
        tripdesk_app::auth::Credential::Session { session_id, .. } => {
            let key = state.flashes.put(*session_id, flash);
            see_other(&flash::with_flash_param(to, &key))
        }
        _ => see_other(to),
    }
}

/// The GET of an address only posted to (`/desk/tickets/{id}/step`): 303 to the page the form
/// is on (the path without its last segment). An address bar left on an action (a 422
/// re-render, a bookmark, a history entry) opens its page again instead of "405".
pub async fn up_one(uri: axum::http::Uri) -> Response {
    let path = uri.path().trim_end_matches('/');
    let parent = path.rsplit_once('/').map(|(p, _)| p).unwrap_or("");
    see_other(if parent.is_empty() { "/" } else { parent })
}

/// Whether a session cookie is present at all (for the login page).
pub fn has_session_cookie(headers: &HeaderMap) -> bool {
    cookie(headers, SESSION_COOKIE).is_some_and(|v| !v.is_empty())
}
