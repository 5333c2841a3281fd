//! Signing in and out of the web UI, and the language switch.

use super::{has_session_cookie, lang_of, render, see_other, LANG_COOKIE};
use crate::extract::{check_csrf, cookie, ClientIp, SESSION_COOKIE};
use crate::i18n::{Lang, Tr};
use crate::{session_cookie, AppState};
use askama::Template;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{AppendHeaders, IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use tripdesk_app::{AppError, Principal};

/// The pages of this capability.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_page).post(login_submit))
        .route("/logout", post(logout))
        .route("/lang", get(switch_lang))
}

/// The signed-in user of a page, with the page's language and path. Anyone else is sent to
/// the login page, which brings them back afterwards.
pub struct UiUser {
    pub principal: Principal,
    pub lang: Lang,
    /// The page's path and query, without the `flash` parameter.
    pub path: String,
    /// The flash this page was redirected with (taken: a reload shows the page without it).
    pub flash: Option<super::Flash>,
}

impl FromRequestParts<AppState> for UiUser {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let path = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "/".into());
        let to_login = || {
            let next =
                percent_encoding::utf8_percent_encode(&path, percent_encoding::NON_ALPHANUMERIC);
            see_other(&format!("/login?next={next}"))
        };
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE).filter(|t| !t.is_empty()) else {
            return Err(to_login());
        };
        match state.app.authenticate(token).await {
            Ok(principal) => {
                let flash = match (&principal.credential, super::flash::flash_param(&path)) {
                    (tripdesk_app::auth::Credential::Session { session_id, .. }, Some(key)) => {
                        state.flashes.take(*session_id, key)
                    }
                    _ => None,
                };
                Ok(UiUser {
                    lang: lang_of(&parts.headers, Some(&principal)),
                    path: super::flash::without_flash_param(&path),
                    principal,
                    flash,
                })
            }
            Err(AppError::Unauthenticated(_)) => Err(to_login()),
            Err(e) => Err(crate::problem::ApiError::from(e).into_response()),
        }
    }
}

/// Parsed `application/x-www-form-urlencoded` fields (repeated names kept).
pub struct FormData(pub Vec<(String, String)>);

impl FormData {
    /// Parses a form body; a field holding U+0000 is refused (422) as the JSON API does, since
    /// PostgreSQL cannot store it.
    pub fn parse(body: &Bytes) -> Result<Self, Response> {
        let fields: Vec<(String, String)> = form_urlencoded::parse(body)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        if let Some((name, _)) = fields.iter().find(|(_, v)| v.contains('\0')) {
            let name: String = name.chars().filter(|c| *c != '\0').take(40).collect();
            return Err(crate::problem::ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                "the request has invalid fields",
            )
            .with_field(
                &name,
                "nul_character",
                "text may not contain the NUL character (U+0000)",
            )
            .into_response());
        }
        Ok(FormData(fields))
    }

    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The CSRF check of a UI form (the same check the API applies to its header).
    pub fn check_csrf(&self, principal: &Principal) -> Result<(), Response> {
        check_csrf(principal, Some(self.get("_csrf"))).map_err(IntoResponse::into_response)
    }
}

/// A signed-in user's form post: the body parsed and its CSRF field checked, so a handler
/// cannot forget either.
pub struct UiForm {
    pub user: UiUser,
    pub form: FormData,
}

impl FromRequest<AppState> for UiForm {
    type Rejection = Response;

    async fn from_request(
        req: axum::extract::Request,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let user = UiUser::from_request_parts(&mut parts, state).await?;
        let req = axum::extract::Request::from_parts(parts, body);
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let form = FormData::parse(&bytes)?;
        form.check_csrf(&user.principal)?;
        Ok(UiForm { user, form })
    }
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    t: Tr,
    org_name: String,
    other_lang: &'static str,
    error: Option<&'static str>,
    next: String,
    username: String,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// Only paths of this server are followed after sign-in (no open redirect).
fn safe_next(next: &str) -> String {
    crate::redirect::local_or_root(next)
}

pub async fn login_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<NextQuery>,
) -> Response {
    if has_session_cookie(&headers) {
        if let Some(token) = cookie(&headers, SESSION_COOKIE) {
            if state.app.authenticate(token).await.is_ok() {
                return see_other(&safe_next(q.next.as_deref().unwrap_or("/")));
            }
        }
    }
    let lang = lang_of(&headers, None);
    render(
        StatusCode::OK,
        &LoginPage {
            t: Tr(lang),
            org_name: state.org_name.to_string(),
            other_lang: lang.other().code(),
            error: None,
            next: safe_next(q.next.as_deref().unwrap_or("/")),
            username: String::new(),
        },
    )
}

pub async fn login_submit(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = match FormData::parse(&body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let lang = lang_of(&headers, None);
    let t = Tr(lang);
    match state
        .app
        .login(form.get("username"), form.get("password"), ip.as_deref())
        .await
    {
        Ok(signed_in) => {
            let cookie = session_cookie(
                &state,
                &signed_in.token,
                state.app.settings.session_ttl.as_secs(),
            );
            (
                AppendHeaders([(header::SET_COOKIE, cookie)]),
                see_other(&safe_next(form.get("next"))),
            )
                .into_response()
        }
        Err(e) => {
            let retry_after = match &e {
                AppError::Throttled { retry_after_secs } => Some(retry_after_secs.to_string()),
                _ => None,
            };
            let (status, key) = match e {
                AppError::Validation(_) => (StatusCode::UNPROCESSABLE_ENTITY, "login.required"),
                AppError::Throttled { .. } => (StatusCode::TOO_MANY_REQUESTS, "login.throttled"),
                AppError::Unauthenticated(_) => (StatusCode::UNAUTHORIZED, "login.failed"),
                _ => (StatusCode::SERVICE_UNAVAILABLE, "login.unavailable"),
            };
            let page = render(
                status,
                &LoginPage {
                    t,
                    org_name: state.org_name.to_string(),
                    other_lang: lang.other().code(),
                    error: Some(t.s(key)),
                    next: safe_next(form.get("next")),
                    username: form.get("username").chars().take(64).collect(),
                },
            );
            match retry_after {
                Some(secs) => (AppendHeaders([(header::RETRY_AFTER, secs)]), page).into_response(),
                None => page,
            }
        }
    }
}

pub async fn logout(State(state): State<AppState>, UiForm { user, .. }: UiForm) -> Response {
    if let Err(e) = state.app.logout(&user.principal).await {
        return crate::problem::ApiError::from(e).into_response();
    }
    (
        AppendHeaders([(header::SET_COOKIE, session_cookie(&state, "", 0))]),
        see_other("/login"),
    )
        .into_response()
}

#[derive(Deserialize)]
pub struct LangQuery {
    to: String,
    next: Option<String>,
}

pub async fn switch_lang(Query(q): Query<LangQuery>) -> Response {
    let lang = Lang::parse(&q.to).unwrap_or(Lang::ZhCn);
    let cookie = format!(
        "{LANG_COOKIE}={}; Path=/; SameSite=Lax; Max-Age=31536000",
        lang.code()
    );
    (
        AppendHeaders([(header::SET_COOKIE, cookie)]),
        see_other(&safe_next(q.next.as_deref().unwrap_or("/"))),
    )
        .into_response()
}
