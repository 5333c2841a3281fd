//! The pages customers see, without an account: the contact form (inquiries, complaints,
//! feedback), the progress page of a signed tracking link, the follow-up survey, and the
//! traveler's pre-trip documents ([`trip`]), the safety check-in ([`checkin`]) and the choice
//! of refund or postponement under force majeure ([`remedy`]).
//!
//! The form posts carry an anonymous CSRF token: a random nonce in an HttpOnly cookie and a
//! hidden field the server signed for that nonce (`App::public_form_token`). The links carry
//! their own signatures (`tripdesk_app::public_desk`).

pub(crate) mod chat;
mod chat_text;
mod checkin;
mod commitments;
mod commitments_text;
mod remedy;
mod remedy_text;
mod text;
mod trip;

pub(crate) use chat_text::CHAT_TEXT;
pub(crate) use commitments_text::COMMITMENTS_TEXT;
pub(crate) use remedy_text::REMEDY_TEXT;
pub(crate) use text::TEXT;

use super::session::FormData;
use super::{lang_of, render};
use crate::extract::{cookie, ClientIp};
use crate::i18n::Tr;
use crate::AppState;
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{AppendHeaders, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use tripdesk_app::public_desk::{PublicTicketInput, SurveyAnswerInput, SurveyInvitation};
use tripdesk_app::{AppError, FieldError};
use tripdesk_domain::desk::TicketKind;

/// The pages of this capability.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/contact", get(contact).post(contact_submit))
        .route("/track/{token}", get(track))
        .route("/survey/{token}", get(survey).post(survey_submit))
        .merge(trip::routes())
        .merge(checkin::routes())
        .merge(remedy::routes())
        .merge(chat::routes())
        .merge(commitments::routes())
}

/// The cookie holding the browser's nonce for the public forms' CSRF tokens.
pub const FORM_COOKIE: &str = "tripdesk_form";

/// The address customers reach this server at: the configured `public_url`, else the `Host`
/// of this request (staff requests only: a customer's request must not choose the address
/// of links sent to others).
pub fn public_base(state: &AppState, headers: &HeaderMap) -> String {
    if let Some(url) = state.config.public_url.as_deref() {
        return url.trim_end_matches('/').to_string();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.len() <= 255
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
        })
        .unwrap_or("localhost");
    let scheme = if state.config.cookie_secure {
        "https"
    } else {
        "http"
    };
    format!("{scheme}://{host}")
}

/// What every public page shows around its content.
pub struct PublicChrome {
    pub t: Tr,
    pub org_name: String,
    pub org_initial: String,
    pub other_lang: &'static str,
    pub path_encoded: String,
}

fn chrome(state: &AppState, headers: &HeaderMap, path: &str) -> PublicChrome {
    let lang = lang_of(headers, None);
    PublicChrome {
        t: Tr(lang),
        org_name: state.org_name.to_string(),
        org_initial: state
            .org_name
            .chars()
            .next()
            .map(String::from)
            .unwrap_or_default(),
        other_lang: lang.other().code(),
        path_encoded: percent_encoding::utf8_percent_encode(
            path,
            percent_encoding::NON_ALPHANUMERIC,
        )
        .to_string(),
    }
}

/// This browser's form nonce, and the `Set-Cookie` that gives it one when it has none.
fn form_nonce(state: &AppState, headers: &HeaderMap) -> (String, Option<String>) {
    match cookie(headers, FORM_COOKIE).filter(|n| {
        n.len() == 43
            && n.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    }) {
        Some(n) => (n.to_string(), None),
        None => {
            let n = tripdesk_app::public_desk::new_form_nonce();
            let set = format!(
                "{FORM_COOKIE}={n}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{}",
                tripdesk_app::public_desk::FORM_TOKEN_HOURS * 3600,
                if state.config.cookie_secure {
                    "; Secure"
                } else {
                    ""
                }
            );
            (n, Some(set))
        }
    }
}

/// Whether the post carries a CSRF token signed for this browser's nonce.
fn csrf_ok(state: &AppState, headers: &HeaderMap, form: &FormData) -> bool {
    cookie(headers, FORM_COOKIE)
        .is_some_and(|n| state.app.check_public_form_token(n, form.get("_csrf")))
}

/// A page whose address holds a token (trip documents, a safety check-in): not stored by
/// caches, no referrer sent on.
fn private(mut res: Response) -> Response {
    let h = res.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    res
}

fn with_cookie(set: Option<String>, res: Response) -> Response {
    match set {
        Some(c) => (AppendHeaders([(header::SET_COOKIE, c)]), res).into_response(),
        None => res,
    }
}

#[derive(Template)]
#[template(path = "public/message.html")]
struct MessagePage {
    p: PublicChrome,
    title: String,
    body: String,
    extra: Option<String>,
}

fn message(
    state: &AppState,
    headers: &HeaderMap,
    path: &str,
    status: StatusCode,
    title: &str,
    body: &str,
    extra: Option<String>,
) -> Response {
    let page = MessagePage {
        p: chrome(state, headers, path),
        title: title.into(),
        body: body.into(),
        extra,
    };
    render(status, &page)
}

/// A use-case failure other than the expected ones: 503 when the store is down, else the
/// problem answer (logged by the problem mapping).
fn unexpected(e: AppError) -> Response {
    crate::problem::ApiError::from(e).into_response()
}

// ---- the contact form ----

/// A form field: what was typed, and the message when it is at fault.
#[derive(Default)]
struct Field {
    value: String,
    error: Option<String>,
}

struct Choice {
    value: &'static str,
    label: &'static str,
}

#[derive(Template)]
#[template(path = "public/contact.html")]
struct ContactPage {
    p: PublicChrome,
    csrf: String,
    alert: Option<String>,
    kind: String,
    kinds: Vec<Choice>,
    kind_error: Option<String>,
    contact_error: Option<String>,
    name: Field,
    phone: Field,
    email: Field,
    booking_ref: Field,
    subject: Field,
    description: Field,
}

fn contact_page(
    state: &AppState,
    headers: &HeaderMap,
    form: Option<&FormData>,
) -> (ContactPage, Option<String>) {
    let (nonce, set) = form_nonce(state, headers);
    let p = chrome(state, headers, "/contact");
    let t = p.t;
    let value = |name: &str| Field {
        value: form.map(|f| f.get(name).to_string()).unwrap_or_default(),
        error: None,
    };
    let page = ContactPage {
        csrf: state.app.public_form_token(&nonce).unwrap_or_default(),
        alert: None,
        kind: form
            .map(|f| f.get("kind").to_string())
            .unwrap_or_else(|| "inquiry".into()),
        kinds: [
            TicketKind::Inquiry,
            TicketKind::Complaint,
            TicketKind::Feedback,
        ]
        .iter()
        .map(|k| Choice {
            value: k.as_str(),
            label: t.s(&format!("public.kind.{}", k.as_str())),
        })
        .collect(),
        kind_error: None,
        contact_error: None,
        name: value("name"),
        phone: value("phone"),
        email: value("email"),
        booking_ref: value("booking_ref"),
        subject: value("subject"),
        description: value("description"),
        p,
    };
    (page, set)
}

/// The customer-facing message for a field at fault (the use case's English message when
/// no translation fits).
fn field_message(t: Tr, f: &FieldError) -> String {
    let key = match (f.field.as_str(), f.code.as_str()) {
        ("customer.contact", _) => "public.err.contact",
        ("customer.name", "required") | ("customer.name", "length") => "public.err.name",
        (_, "required") => "public.err.required",
        (_, "too_long") | (_, "length") => "public.err.too_long",
        (_, "line_break" | "control_character" | "bidi_control") => "public.err.text",
        ("customer.phone", _) => "public.err.phone",
        ("customer.email", _) => "public.err.email",
        ("satisfaction" | "overall_rating", _) => "public.err.range",
        _ => return f.message.clone(),
    };
    t.s(key).to_string()
}

pub async fn contact(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let (page, set) = contact_page(&state, &headers, None);
    with_cookie(set, render(StatusCode::OK, &page))
}

pub async fn contact_submit(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = match FormData::parse(&body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let (mut page, set) = contact_page(&state, &headers, Some(&form));
    let t = page.p.t;
    if !csrf_ok(&state, &headers, &form) {
        page.alert = Some(t.s("public.csrf_expired").into());
        return with_cookie(set, render(StatusCode::FORBIDDEN, &page));
    }
    let Some(kind) = TicketKind::parse(form.get("kind")) else {
        page.kind_error = Some(t.s("public.err.kind").into());
        page.alert = Some(t.s("public.errors").into());
        return with_cookie(set, render(StatusCode::UNPROCESSABLE_ENTITY, &page));
    };
    let given = |name: &str| {
        let v = form.get(name).trim();
        (!v.is_empty()).then(|| v.to_string())
    };
    let input = PublicTicketInput {
        kind,
        name: form.get("name").into(),
        phone: given("phone"),
        email: given("email"),
        subject: form.get("subject").into(),
        description: form.get("description").into(),
        booking_ref: given("booking_ref"),
    };
    match state.app.submit_public_ticket(input, ip.as_deref()).await {
        Ok(receipt) => super::see_other(&format!("/track/{}?new=1", receipt.tracking_token)),
        Err(AppError::Validation(fields)) => {
            for f in &fields {
                let slot = match f.field.as_str() {
                    "customer.name" => &mut page.name.error,
                    "customer.phone" => &mut page.phone.error,
                    "customer.email" => &mut page.email.error,
                    "customer.contact" => &mut page.contact_error,
                    "booking_ref" => &mut page.booking_ref.error,
                    "subject" => &mut page.subject.error,
                    "description" => &mut page.description.error,
                    _ => &mut page.alert,
                };
                // The first problem of a field is the one shown.
                if slot.is_none() {
                    *slot = Some(field_message(t, f));
                }
            }
            if page.alert.is_none() {
                page.alert = Some(t.s("public.errors").into());
            }
            with_cookie(set, render(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(AppError::Throttled { retry_after_secs }) => {
            page.alert = Some(t.s("public.throttled").into());
            let mut res = with_cookie(set, render(StatusCode::TOO_MANY_REQUESTS, &page));
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
            res
        }
        Err(e) => unexpected(e),
    }
}

// ---- tracking ----

struct Milestone {
    at: String,
    label: &'static str,
}

#[derive(Template)]
#[template(path = "public/track.html")]
struct TrackPage {
    p: PublicChrome,
    submitted: bool,
    url: String,
    number: String,
    kind_label: &'static str,
    subject: String,
    created: String,
    updated: String,
    state: &'static str,
    state_label: &'static str,
    state_hint: &'static str,
    milestones: Vec<Milestone>,
}

#[derive(Deserialize)]
pub struct TrackQuery {
    new: Option<String>,
}

pub async fn track(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
    Query(q): Query<TrackQuery>,
) -> Response {
    let path = format!("/track/{token}");
    let p = chrome(&state, &headers, &path);
    let t = p.t;
    let view = match state.app.track_ticket(&token).await {
        Ok(v) => v,
        Err(AppError::NotFound(_)) => {
            return message(
                &state,
                &headers,
                &path,
                StatusCode::NOT_FOUND,
                t.s("public.track.invalid_title"),
                t.s("public.track.invalid"),
                None,
            )
        }
        Err(e) => return unexpected(e),
    };
    let time = |ts| super::local_time(&state, ts);
    let page = TrackPage {
        submitted: q.new.is_some(),
        // Shown to this customer only: the address their own browser used is fine here.
        url: format!("{}{path}", public_base(&state, &headers)),
        number: view.number,
        kind_label: t.s(&format!("public.kind.{}", view.kind.as_str())),
        subject: view.subject,
        created: time(view.created_at),
        updated: time(view.updated_at),
        state: view.state.as_str(),
        state_label: t.s(&format!("public.state.{}", view.state.as_str())),
        state_hint: t.s(&format!("public.hint.{}", view.state.as_str())),
        milestones: view
            .milestones
            .iter()
            .map(|(at, s)| Milestone {
                at: time(*at),
                label: t.s(&format!("public.state.{}", s.as_str())),
            })
            .collect(),
        p,
    };
    render(StatusCode::OK, &page)
}

// ---- surveys ----

struct Scale {
    value: u8,
    label: &'static str,
    satisfaction: bool,
    rating: bool,
}

#[derive(Template)]
#[template(path = "public/survey.html")]
struct SurveyPage {
    p: PublicChrome,
    token: String,
    csrf: String,
    alert: Option<String>,
    number: String,
    subject: String,
    valid_until: String,
    scale: Vec<Scale>,
    satisfaction: Option<u8>,
    overall_rating: Option<u8>,
    satisfaction_error: Option<String>,
    rating_error: Option<String>,
    reason: Field,
    suggestions: Field,
}

fn survey_page(
    state: &AppState,
    headers: &HeaderMap,
    token: &str,
    inv: SurveyInvitation,
    form: Option<&FormData>,
) -> (SurveyPage, Option<String>) {
    let (nonce, set) = form_nonce(state, headers);
    let p = chrome(state, headers, &format!("/survey/{token}"));
    let t = p.t;
    let value = |name: &str| Field {
        value: form.map(|f| f.get(name).to_string()).unwrap_or_default(),
        error: None,
    };
    let rating = |name: &str| form.and_then(|f| f.get(name).trim().parse::<u8>().ok());
    let (satisfaction, overall_rating) = (rating("satisfaction"), rating("overall_rating"));
    let page = SurveyPage {
        token: token.into(),
        csrf: state.app.public_form_token(&nonce).unwrap_or_default(),
        alert: None,
        number: inv.ticket_number,
        subject: inv.subject,
        valid_until: t
            .s("public.survey.valid_until")
            .replace("{t}", &super::local_time(state, inv.expires_at)),
        scale: (1..=5u8)
            .map(|v| Scale {
                value: v,
                label: t.s(&format!("public.survey.scale.{v}")),
                satisfaction: satisfaction == Some(v),
                rating: overall_rating == Some(v),
            })
            .collect(),
        satisfaction,
        overall_rating,
        satisfaction_error: None,
        rating_error: None,
        reason: value("reason"),
        suggestions: value("suggestions"),
        p,
    };
    (page, set)
}

/// The page for a survey link that cannot be answered: 404 when it does not verify, 410
/// when it expired or was used, 409 when the follow-up no longer waits for it.
fn survey_refused(state: &AppState, headers: &HeaderMap, token: &str, e: AppError) -> Response {
    let path = format!("/survey/{token}");
    let t = chrome(state, headers, &path).t;
    let (status, which) = match &e {
        AppError::NotFound(_) => (StatusCode::NOT_FOUND, "invalid"),
        AppError::Conflict { code, .. } => match *code {
            "survey_expired" => (StatusCode::GONE, "expired"),
            "survey_used" => (StatusCode::GONE, "used"),
            "survey_closed" => (StatusCode::CONFLICT, "closed"),
            _ => return unexpected(e),
        },
        _ => return unexpected(e),
    };
    message(
        state,
        headers,
        &path,
        status,
        t.s(&format!("public.survey.{which}_title")),
        t.s(&format!("public.survey.{which}")),
        None,
    )
}

pub async fn survey(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> Response {
    match state.app.open_survey(&token).await {
        Ok(inv) => {
            let (page, set) = survey_page(&state, &headers, &token, inv, None);
            with_cookie(set, render(StatusCode::OK, &page))
        }
        Err(e) => survey_refused(&state, &headers, &token, e),
    }
}

pub async fn survey_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
    body: Bytes,
) -> Response {
    let form = match FormData::parse(&body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let inv = match state.app.open_survey(&token).await {
        Ok(inv) => inv,
        Err(e) => return survey_refused(&state, &headers, &token, e),
    };
    let (mut page, set) = survey_page(&state, &headers, &token, inv, Some(&form));
    let t = page.p.t;
    if !csrf_ok(&state, &headers, &form) {
        page.alert = Some(t.s("public.csrf_expired").into());
        return with_cookie(set, render(StatusCode::FORBIDDEN, &page));
    }
    let text = |name: &str| Some(form.get(name).to_string());
    let input = SurveyAnswerInput {
        satisfaction: page.satisfaction,
        overall_rating: page.overall_rating,
        suggestions: text("suggestions"),
        reason: text("reason"),
    };
    let unsatisfied = input.satisfaction.is_some_and(|s| s <= 2);
    match state.app.answer_survey(&token, input).await {
        Ok(_) => message(
            &state,
            &headers,
            &format!("/survey/{token}"),
            StatusCode::OK,
            t.s("public.survey.thanks_title"),
            t.s("public.survey.thanks"),
            unsatisfied.then(|| t.s("public.survey.sorry").to_string()),
        ),
        Err(AppError::Validation(fields)) => {
            for f in &fields {
                let slot = match f.field.as_str() {
                    "satisfaction" => &mut page.satisfaction_error,
                    "overall_rating" => &mut page.rating_error,
                    "reason" => &mut page.reason.error,
                    "suggestions" => &mut page.suggestions.error,
                    _ => &mut page.alert,
                };
                if slot.is_none() {
                    *slot = Some(field_message(t, f));
                }
            }
            if page.alert.is_none() {
                page.alert = Some(t.s("public.errors").into());
            }
            with_cookie(set, render(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(e) => survey_refused(&state, &headers, &token, e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsatisfied_reason_message_is_translated() {
        let t = Tr(crate::i18n::Lang::ZhCn);
        let f = FieldError::new("reason", "required", "tell us why");
        assert_eq!(field_message(t, &f), "请填写此项。");
        let f = FieldError::new("customer.phone", "phone.invalid", "x");
        assert!(field_message(t, &f).contains("电话"));
    }
}
