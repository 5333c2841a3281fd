//! The server-rendered web UI: askama templates, plain HTML forms (each carrying the session's
//! CSRF token) and htmx for live filtering. Every page is built from a [`Chrome`] (the
//! signed-in user, the language, the navigation) and a page template.

mod admin;
mod assets;
mod customers;
mod desk;
mod desk_admin;
mod desk_links;
mod jobs;
mod notify;
mod public;
mod session;
mod sla;

use crate::extract::{cookie, SESSION_COOKIE};
use crate::i18n::{Lang, Tr};
use crate::AppState;
use askama::Template;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use tripdesk_app::Principal;
use tripdesk_domain::identity::{Permission, Role};

pub use public::public_base;
pub use session::UiUser;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(admin::home))
        .route(
            "/login",
            get(session::login_page).post(session::login_submit),
        )
        .route("/logout", post(session::logout))
        .route("/lang", get(session::switch_lang))
        .route("/admin/users", get(admin::users).post(admin::create_user))
        .route("/admin/users/new", get(admin::new_user))
        .route(
            "/admin/users/{id}",
            get(admin::edit_user).post(admin::update_user),
        )
        .route(
            "/admin/departments",
            get(admin::departments).post(admin::create_department),
        )
        .route(
            "/admin/departments/{id}",
            get(admin::edit_department).post(admin::update_department),
        )
        .route("/desk", get(desk::inbox))
        .route("/desk/new", get(desk::new_ticket))
        .route("/desk/tickets", post(desk::create_ticket))
        .route("/desk/tickets/{id}", get(desk::ticket))
        .route("/desk/tickets/{id}/step", post(desk::take_step))
        .route("/desk/tickets/{id}/messages", post(desk::post_message))
        .route("/desk/tickets/{id}/convert", post(desk::convert))
        .route("/desk/tickets/{id}/level", post(desk::change_level))
        .route("/desk/board", get(desk_admin::board))
        .route(
            "/desk/rules",
            get(desk_admin::rules).post(desk_admin::create_rule),
        )
        .route(
            "/desk/rules/{id}",
            get(desk_admin::edit_rule).post(desk_admin::update_rule),
        )
        .route("/desk/rules/{id}/delete", post(desk_admin::delete_rule))
        .route(
            "/desk/replies",
            get(desk_admin::replies).post(desk_admin::create_reply),
        )
        .route(
            "/desk/replies/{id}",
            get(desk_admin::edit_reply).post(desk_admin::update_reply),
        )
        .route("/desk/replies/{id}/delete", post(desk_admin::delete_reply))
        .route("/desk/find", get(desk_links::find))
        .route("/desk/tickets/{id}/customer", get(desk_links::links))
        .route("/desk/tickets/{id}/surveys", post(desk_links::send_survey))
        .route(
            "/contact",
            get(public::contact).post(public::contact_submit),
        )
        .route("/track/{token}", get(public::track))
        .route(
            "/survey/{token}",
            get(public::survey).post(public::survey_submit),
        )
        .route("/customers", get(customers::list).post(customers::create))
        .route("/customers/new", get(customers::new_form))
        .route(
            "/customers/import",
            get(customers::import_form).post(customers::import_submit),
        )
        .route("/customers/export", get(customers::export))
        .route("/customers/{id}", get(customers::show))
        .route("/customers/{id}/reveal", post(customers::reveal))
        .route("/customers/{id}/consents", post(customers::add_consent))
        .route("/customers/{id}/merge", post(customers::merge))
        .route("/customers/{id}/pipl-export", post(customers::pipl_export))
        .route("/customers/{id}/erase", post(customers::erase))
        .route("/audit", get(customers::audit))
        .route("/admin/jobs", get(jobs::list))
        .route("/admin/jobs/{id}/retry", post(jobs::retry))
        .route("/calendars", get(sla::calendars))
        .route("/calendars/{name}", get(sla::calendar))
        .route("/calendars/{name}/import", post(sla::import))
        .route(
            "/calendars/{name}/years/{year}/delete",
            post(sla::delete_year),
        )
        .route("/sla/policies", get(sla::policies))
        .route(
            "/sla/policies/{key}",
            get(sla::edit_policy).post(sla::update_policy),
        )
        .route("/sla/compliance", get(sla::compliance))
        .route("/notifications", get(notify::inbox))
        .route("/notifications/stream", get(notify::notification_stream))
        .route("/notifications/{id}/read", post(notify::inbox_read))
        .route(
            "/notify/messages",
            get(notify::deliveries).post(notify::send),
        )
        .route("/notify/messages/{id}", get(notify::delivery))
        .route("/notify/messages/{id}/retry", post(notify::retry))
        .route(
            "/notify/templates",
            get(notify::templates).post(notify::template_submit),
        )
        .route("/notify/templates/edit", get(notify::template_edit))
        .route("/static/{file}", get(assets::serve))
}

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
    pub can_view_audit: bool,
    pub can_view_reports: bool,
    pub can_send_messages: bool,
    pub can_manage_desk: bool,
    pub can_manage_settings: bool,
    pub flash: Option<String>,
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
            can_view_audit: p.can(Permission::ViewAudit),
            can_view_reports: p.can(Permission::ViewReports),
            can_send_messages: p.can(Permission::SendMessages),
            can_manage_desk: p.can(Permission::ManageDesk),
            can_manage_settings: p.can(Permission::ManageSettings),
            flash: None,
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

/// A use-case error on a page: forbidden, not found and conflicts as a message page inside
/// the usual chrome (with `active` highlighted in the navigation); anything else as problem+json.
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
        AppError::Conflict { message, .. } => (
            StatusCode::CONFLICT,
            t.s("customers.conflict"),
            message.clone(),
        ),
        _ => return crate::problem::ApiError::from(e).into_response(),
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

/// Whether a session cookie is present at all (for the login page).
pub fn has_session_cookie(headers: &HeaderMap) -> bool {
    cookie(headers, SESSION_COOKIE).is_some_and(|v| !v.is_empty())
}
