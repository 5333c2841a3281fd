//! Notification pages: the bell's inbox, the delivery history with the dead-letter queue and
//! its retry button, one message's attempts, and the template editor with preview; the
//! webhook endpoints ([`webhooks`]) and the payment gateways that post signed payment
//! notifications ([`gateways`]).

mod gateways;
mod text;
mod webhooks;

pub(crate) use text::TEXT;

use super::session::{UiForm, UiUser};
use super::{error_page, local_time_seconds, render, see_other, Chrome};
use crate::i18n::Tr;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::convert::Infallible;
use tripdesk_app::notify::{OneOffMessage, TemplateInput};
use tripdesk_app::AppError;
use tripdesk_domain::identity::Permission;
use tripdesk_store::{MessageFilter, MessageState, OutboxMessage};
use uuid::Uuid;

/// The pages of this capability.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/notifications", get(inbox))
        .route("/notifications/stream", get(notification_stream))
        .route("/notifications/{id}/read", post(inbox_read))
        .route("/notify/messages", get(deliveries).post(send))
        .route("/notify/messages/{id}", get(delivery))
        .route(
            "/notify/messages/{id}/retry",
            get(super::up_one).post(retry),
        )
        .route("/notify/templates", get(templates).post(template_submit))
        .route("/notify/templates/edit", get(template_edit))
        .route(
            "/notify/webhooks",
            get(webhooks::list).post(webhooks::create),
        )
        .route(
            "/notify/webhooks/{id}/active",
            get(super::up_one).post(webhooks::set_active),
        )
        .route(
            "/notify/webhooks/{id}/delete",
            get(super::up_one).post(webhooks::delete),
        )
        .route(
            "/notify/payment-gateways",
            get(gateways::list).post(gateways::create),
        )
        .route(
            "/notify/payment-gateways/{provider}/delete",
            get(super::up_one).post(gateways::delete),
        )
}

// ---- the bell's inbox ----

struct InboxRow {
    id: Uuid,
    title: String,
    /// The page it is about (a ticket), when it names one.
    link: Option<String>,
    body: String,
    created: String,
    unread: bool,
}

#[derive(Template)]
#[template(path = "notify/inbox.html")]
struct InboxPage {
    c: Chrome,
    rows: Vec<InboxRow>,
    unread: u64,
}

pub async fn inbox(State(state): State<AppState>, user: UiUser) -> Response {
    let (items, unread) = match state
        .app
        .my_notifications(&user.principal, false, 200)
        .await
    {
        Ok(x) => x,
        Err(e) => return error_page(&state, &user, "", e),
    };
    let rows = items
        .iter()
        .map(|n| {
            // Only a path of this server (the link was written by the in-app channel).
            let link = n
                .link
                .clone()
                .filter(|l| l.starts_with('/') && !l.starts_with("//"));
            // The title opens the page: the address the template wrote for email goes.
            let body = n
                .body
                .lines()
                .filter(|l| link.as_deref() != Some(l.trim()))
                .collect::<Vec<_>>()
                .join("\n");
            (n, link, body)
        })
        .map(|(n, link, body)| InboxRow {
            id: n.id,
            title: n.title.clone(),
            link,
            body,
            created: local_time_seconds(&state, n.created_at),
            unread: n.read_at.is_none(),
        })
        .collect();
    render(
        StatusCode::OK,
        &InboxPage {
            c: Chrome::new(&state, &user, "inbox"),
            rows,
            unread,
        },
    )
}

pub async fn inbox_read(
    State(state): State<AppState>,
    Path(id): Path<String>,
    UiForm { user, .. }: UiForm,
) -> Response {
    let id = if id == "all" {
        None
    } else {
        match Uuid::parse_str(&id) {
            Ok(id) => Some(id),
            Err(_) => return error_page(&state, &user, "", AppError::NotFound("notification")),
        }
    };
    match state.app.mark_notifications_read(&user.principal, id).await {
        Ok(_) => see_other("/notifications"),
        Err(e) => error_page(&state, &user, "", e),
    }
}

// ---- delivery history ----

struct MessageRow {
    id: Uuid,
    created: String,
    channel: String,
    to: String,
    subject: String,
    state: &'static str,
    state_label: &'static str,
    attempts: String,
    template: String,
    related: String,
    dead: bool,
}

fn row(state: &AppState, t: Tr, m: &OutboxMessage) -> MessageRow {
    MessageRow {
        id: m.id,
        created: local_time_seconds(state, m.created_at),
        channel: t.s(&format!("channel.{}", m.channel)).to_string(),
        // An SMS recipient holds the sealed number: show the identifier it names.
        to: if m.channel == tripdesk_app::sms::SMS_CHANNEL
            || m.channel == tripdesk_app::wechat::WECHAT_CHANNEL
        {
            tripdesk_app::sms::sms_recipient_identifier(&m.recipient)
                .map(|id| id.to_string())
                .unwrap_or_default()
        } else {
            m.recipient.clone()
        },
        subject: m.subject.clone(),
        state: m.state.as_str(),
        state_label: t.s(&format!("state.{}", m.state.as_str())),
        attempts: format!("{}/{}", m.attempts, m.max_attempts),
        template: match (&m.template_key, m.template_version) {
            (Some(k), Some(v)) => format!("{k} v{v}"),
            _ => String::new(),
        },
        related: match (&m.related_type, &m.related_id) {
            (Some(t), Some(i)) => format!("{t} {i}"),
            _ => String::new(),
        },
        dead: m.state == MessageState::Dead,
    }
}

struct StateTab {
    value: &'static str,
    label: &'static str,
    count: String,
    current: bool,
}

#[derive(Template)]
#[template(path = "notify/deliveries.html")]
struct DeliveriesPage {
    c: Chrome,
    tabs: Vec<StateTab>,
    channel: String,
    related: String,
    rows: Vec<MessageRow>,
    can_manage: bool,
    can_send: bool,
    next: Option<String>,
    state: String,
    sent_flash: bool,
    errors: Vec<String>,
}

#[derive(Deserialize)]
pub struct DeliveriesQuery {
    state: Option<String>,
    channel: Option<String>,
    /// `type id`, e.g. `booking SH-1`, or just an id.
    related: Option<String>,
    before: Option<String>,
    sent: Option<String>,
}

pub async fn deliveries(
    State(state): State<AppState>,
    user: UiUser,
    Query(q): Query<DeliveriesQuery>,
) -> Response {
    deliveries_page(&state, &user, q, Vec::new()).await
}

async fn deliveries_page(
    state: &AppState,
    user: &UiUser,
    q: DeliveriesQuery,
    errors: Vec<String>,
) -> Response {
    let t = Tr(user.lang);
    let p = &user.principal;
    let selected = q.state.as_deref().and_then(MessageState::parse);
    let (related_type, related_id) = match q.related.as_deref().map(str::trim) {
        Some(r) if !r.is_empty() => match r.split_once(' ') {
            Some((ty, id)) => (Some(ty.trim().to_string()), Some(id.trim().to_string())),
            None => (None, Some(r.to_string())),
        },
        _ => (None, None),
    };
    let channel = q
        .channel
        .clone()
        .filter(|c| tripdesk_domain::notify::is_channel(c));
    let filter = MessageFilter {
        state: selected,
        channel: channel.clone(),
        related_type,
        related_id,
        before: q.before.as_deref().and_then(|b| Uuid::parse_str(b).ok()),
        limit: 100,
        ..Default::default()
    };
    let items = match state.app.list_messages(p, filter).await {
        Ok(i) => i,
        Err(e) => return error_page(state, user, "", e),
    };
    let counts = if p.can(Permission::ViewDeliveries) {
        state.app.message_counts(p).await.ok()
    } else {
        None
    };
    let count = |n: u64| counts.as_ref().map(|_| n.to_string()).unwrap_or_default();
    let c = counts.clone().unwrap_or_default();
    let mut tabs = vec![StateTab {
        value: "",
        label: t.s("deliveries.all"),
        count: count(c.queued + c.sending + c.retrying + c.sent + c.dead),
        current: selected.is_none(),
    }];
    for (s, n) in [
        (MessageState::Queued, c.queued),
        (MessageState::Sending, c.sending),
        (MessageState::Retrying, c.retrying),
        (MessageState::Sent, c.sent),
        (MessageState::Dead, c.dead),
    ] {
        tabs.push(StateTab {
            value: s.as_str(),
            label: t.s(&format!("state.{}", s.as_str())),
            count: count(n),
            current: selected == Some(s),
        });
    }
    let next = (items.len() == 100).then(|| {
        let mut query = form_urlencoded::Serializer::new(String::new());
        if let Some(s) = selected {
            query.append_pair("state", s.as_str());
        }
        if let Some(c) = &channel {
            query.append_pair("channel", c);
        }
        if let Some(r) = &q.related {
            query.append_pair("related", r);
        }
        if let Some(last) = items.last() {
            query.append_pair("before", &last.id.to_string());
        }
        format!("/notify/messages?{}", query.finish())
    });
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render(
        status,
        &DeliveriesPage {
            tabs,
            channel: channel.unwrap_or_default(),
            related: q.related.unwrap_or_default(),
            rows: items.iter().map(|m| row(state, t, m)).collect(),
            can_manage: p.can(Permission::ManageNotifications),
            can_send: p.can(Permission::SendMessages),
            next,
            state: selected.map(|s| s.as_str().to_string()).unwrap_or_default(),
            sent_flash: q.sent.is_some(),
            errors,
            c: Chrome::new(state, user, "deliveries"),
        },
    )
}

/// The compose form on the history page: a one-off message.
pub async fn send(State(state): State<AppState>, UiForm { user, form }: UiForm) -> Response {
    let input = OneOffMessage {
        channel: form.get("channel").into(),
        to: form.get("to").into(),
        subject: form.get("subject").into(),
        body: form.get("body").into(),
        ..Default::default()
    };
    match state.app.send_message(&user.principal, input).await {
        Ok(_) => super::see_other_with(
            &state,
            &user,
            "/notify/messages",
            super::Flash::done(Tr(user.lang).s("deliveries.queued")),
        ),
        Err(AppError::Validation(fields)) => {
            let errors = crate::i18n::field_errors(Tr(user.lang), &fields);
            let q = DeliveriesQuery {
                state: None,
                channel: None,
                related: None,
                before: None,
                sent: None,
            };
            deliveries_page(&state, &user, q, errors).await
        }
        Err(e) => error_page(&state, &user, "", e),
    }
}

struct AttemptRow {
    attempt: i64,
    outcome: String,
    outcome_label: &'static str,
    worker: String,
    error: String,
    receipt: String,
    finished: String,
}

#[derive(Template)]
#[template(path = "notify/delivery.html")]
struct DeliveryPage {
    c: Chrome,
    m: MessageRow,
    body_text: String,
    locale: String,
    next_attempt: String,
    last_error: String,
    sent_at: String,
    /// SMS: the handset's receipt (state label, time, the provider's code when it failed).
    handset: String,
    attempts: Vec<AttemptRow>,
    attachments: Vec<String>,
    can_manage: bool,
}

pub async fn delivery(
    State(state): State<AppState>,
    user: UiUser,
    Path(id): Path<String>,
) -> Response {
    let t = Tr(user.lang);
    let Ok(id) = Uuid::parse_str(&id) else {
        return error_page(&state, &user, "", AppError::NotFound("message"));
    };
    let d = match state.app.get_message(&user.principal, id).await {
        Ok(d) => d,
        Err(e) => return error_page(&state, &user, "", e),
    };
    let m = &d.message;
    render(
        StatusCode::OK,
        &DeliveryPage {
            m: row(&state, t, m),
            body_text: m.body_text.clone(),
            locale: m.locale.clone(),
            next_attempt: m
                .due_at
                .map(|x| local_time_seconds(&state, x))
                .unwrap_or_default(),
            last_error: m.last_error.clone().unwrap_or_default(),
            handset: match (m.handset_state, m.handset_at) {
                (Some(h), Some(at)) => {
                    let label = t.s(&format!("delivery.handset.{}", h.as_str()));
                    let when = local_time_seconds(&state, at);
                    match &m.handset_error {
                        Some(code) => format!("{label} {when} {code}"),
                        None => format!("{label} {when}"),
                    }
                }
                _ => String::new(),
            },
            sent_at: m
                .sent_at
                .map(|x| local_time_seconds(&state, x))
                .unwrap_or_default(),
            attempts: d
                .attempts
                .iter()
                .map(|a| AttemptRow {
                    attempt: a.attempt,
                    outcome: a.outcome.clone(),
                    outcome_label: t.s(&format!("outcome.{}", a.outcome)),
                    worker: a.worker.clone(),
                    error: a.error.clone().unwrap_or_default(),
                    receipt: a.receipt.clone().unwrap_or_default(),
                    finished: local_time_seconds(&state, a.finished_at),
                })
                .collect(),
            attachments: d
                .attachments
                .iter()
                .map(|(name, ty, size)| format!("{name} ({ty}, {size} B)"))
                .collect(),
            can_manage: user.principal.can(Permission::ManageNotifications),
            c: Chrome::new(&state, &user, "deliveries"),
        },
    )
}

pub async fn retry(
    State(state): State<AppState>,
    Path(id): Path<String>,
    UiForm { user, form }: UiForm,
) -> Response {
    let Ok(id) = Uuid::parse_str(&id) else {
        return error_page(&state, &user, "", AppError::NotFound("message"));
    };
    match state.app.retry_message(&user.principal, id).await {
        Ok(_) => {
            let back = form.get("back");
            if back.starts_with("/notify/") {
                see_other(back)
            } else {
                see_other(&format!("/notify/messages/{id}"))
            }
        }
        Err(AppError::Conflict { .. }) => see_other(&format!("/notify/messages/{id}")),
        Err(e) => error_page(&state, &user, "", e),
    }
}

// ---- templates ----

struct TemplateRow {
    key: String,
    locale: String,
    version: i64,
    description: String,
    subject: String,
    created: String,
}

#[derive(Template)]
#[template(path = "notify/templates.html")]
struct TemplatesPage {
    c: Chrome,
    rows: Vec<TemplateRow>,
    can_manage: bool,
}

pub async fn templates(State(state): State<AppState>, user: UiUser) -> Response {
    let items = match state.app.list_templates(&user.principal).await {
        Ok(i) => i,
        Err(e) => return error_page(&state, &user, "", e),
    };
    render(
        StatusCode::OK,
        &TemplatesPage {
            rows: items
                .iter()
                .map(|t| TemplateRow {
                    key: t.key.clone(),
                    locale: t.locale.clone(),
                    version: t.version,
                    description: t.description.clone(),
                    subject: t.subject.clone(),
                    created: local_time_seconds(&state, t.created_at),
                })
                .collect(),
            can_manage: user.principal.can(Permission::ManageNotifications),
            c: Chrome::new(&state, &user, "templates"),
        },
    )
}

struct VersionRow {
    version: i64,
    created: String,
    current: bool,
}

#[derive(Template)]
#[template(path = "notify/template_edit.html")]
struct TemplateEditPage {
    c: Chrome,
    key: String,
    locale: String,
    description: String,
    subject: String,
    body_text: String,
    body_html: String,
    vars: String,
    versions: Vec<VersionRow>,
    viewing: Option<i64>,
    preview: Option<tripdesk_app::notify::Rendered>,
    errors: Vec<String>,
    can_manage: bool,
    is_new: bool,
}

#[derive(Deserialize)]
pub struct TemplateQuery {
    key: Option<String>,
    locale: Option<String>,
    version: Option<i64>,
}

pub async fn template_edit(
    State(state): State<AppState>,
    user: UiUser,
    Query(q): Query<TemplateQuery>,
) -> Response {
    let p = &user.principal;
    let (key, locale) = (
        q.key.unwrap_or_default(),
        q.locale.unwrap_or_else(|| "zh-CN".into()),
    );
    let mut page = TemplateEditPage {
        key: key.clone(),
        locale: locale.clone(),
        description: String::new(),
        subject: String::new(),
        body_text: String::new(),
        body_html: String::new(),
        vars: String::new(),
        versions: Vec::new(),
        viewing: None,
        preview: None,
        errors: Vec::new(),
        can_manage: p.can(Permission::ManageNotifications),
        is_new: key.is_empty(),
        c: Chrome::new(&state, &user, "templates"),
    };
    if !key.is_empty() {
        let versions = match state.app.template_versions(p, &key, &locale).await {
            Ok(v) => v,
            Err(e) => return error_page(&state, &user, "", e),
        };
        let shown = q
            .version
            .and_then(|v| versions.iter().find(|t| t.version == v))
            .unwrap_or(&versions[0]);
        page.description = shown.description.clone();
        page.subject = shown.subject.clone();
        page.body_text = shown.body_text.clone();
        page.body_html = shown.body_html.clone().unwrap_or_default();
        page.viewing = Some(shown.version);
        page.versions = versions
            .iter()
            .map(|t| VersionRow {
                version: t.version,
                created: local_time_seconds(&state, t.created_at),
                current: t.version == shown.version,
            })
            .collect();
        page.preview =
            tripdesk_app::notify::render_template(shown, &tripdesk_app::notify::sample_vars(shown))
                .ok();
    }
    render(StatusCode::OK, &page)
}

/// `name=value` per line → variables for a preview.
fn parse_vars(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .filter(|(k, _)| !k.is_empty())
        .collect()
}

pub async fn template_submit(
    State(state): State<AppState>,
    UiForm { user, form }: UiForm,
) -> Response {
    let input = TemplateInput {
        key: form.get("key").trim().to_string(),
        locale: form.get("locale").into(),
        description: form.get("description").into(),
        subject: form.get("subject").into(),
        body_text: form.get("body_text").replace("\r\n", "\n"),
        body_html: Some(form.get("body_html").replace("\r\n", "\n"))
            .filter(|h| !h.trim().is_empty()),
    };
    let p = &user.principal;
    let mut errors = Vec::new();
    let mut preview = None;
    if form.get("action") == "save" {
        match state.app.save_template(p, input.clone()).await {
            Ok(t) => {
                let to = format!(
                    "/notify/templates/edit?key={}&locale={}",
                    percent_encoding::utf8_percent_encode(
                        &t.key,
                        percent_encoding::NON_ALPHANUMERIC
                    ),
                    percent_encoding::utf8_percent_encode(
                        &t.locale,
                        percent_encoding::NON_ALPHANUMERIC
                    )
                );
                return see_other(&to);
            }
            Err(AppError::Validation(fields)) => {
                errors = crate::i18n::field_errors(Tr(user.lang), &fields)
            }
            Err(e @ AppError::Conflict { .. }) => {
                errors.push(crate::i18n::app_error(Tr(user.lang), &e))
            }
            Err(e) => return error_page(&state, &user, "", e),
        }
    } else {
        match state
            .app
            .preview_input(p, &input, parse_vars(form.get("vars")))
        {
            Ok(r) => preview = Some(r),
            Err(AppError::Validation(fields)) => {
                errors = crate::i18n::field_errors(Tr(user.lang), &fields)
            }
            Err(e) => return error_page(&state, &user, "", e),
        }
    }
    let versions = if input.key.is_empty() {
        Vec::new()
    } else {
        state
            .app
            .template_versions(p, &input.key, &input.locale)
            .await
            .unwrap_or_default()
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render(
        status,
        &TemplateEditPage {
            is_new: versions.is_empty(),
            versions: versions
                .iter()
                .map(|t| VersionRow {
                    version: t.version,
                    created: local_time_seconds(&state, t.created_at),
                    current: false,
                })
                .collect(),
            key: input.key,
            locale: input.locale,
            description: input.description,
            subject: input.subject,
            body_text: input.body_text,
            body_html: input.body_html.unwrap_or_default(),
            vars: form.get("vars").into(),
            viewing: None,
            preview,
            errors,
            can_manage: p.can(Permission::ManageNotifications),
            c: Chrome::new(&state, &user, "templates"),
        },
    )
}

/// The bell's live stream (server-sent events) of the signed-in user's unread count: an
/// `unread` event with `{"unread": n}` at once and whenever it changes. A page route rather
/// than an API operation: it never ends, which an API document and its clients cannot
/// describe; `GET /api/v1/notifications` gives the same count on request.
pub async fn notification_stream(
    State(state): State<AppState>,
    user: UiUser,
) -> Result<Sse<impl futures_util::Stream<Item = Result<Event, Infallible>>>, Response> {
    let p = user.principal;
    let first = state
        .app
        .unread_count(&p)
        .await
        .map_err(|e| crate::problem::ApiError::from(e).into_response())?;
    let live = state
        .app
        .store
        .signals()
        .subscribe_keys(tripdesk_store::signal::Topic::Bell);
    struct S {
        state: AppState,
        principal: tripdesk_app::Principal,
        live: tokio::sync::broadcast::Receiver<tripdesk_store::signal::Key>,
        last: Option<u64>,
        pending: Option<u64>,
    }
    let start = S {
        state,
        principal: p,
        live,
        last: None,
        pending: Some(first),
    };
    let stream = futures_util::stream::unfold(start, |mut s| async move {
        loop {
            if let Some(n) = s.pending.take() {
                if s.last != Some(n) {
                    s.last = Some(n);
                    let event = Event::default()
                        .event("unread")
                        .data(serde_json::json!({ "unread": n }).to_string());
                    return Some((Ok(event), s));
                }
            }
            // Wake when a commit (on any node) changed this user's bell, or at the signal's
            // fallback poll.
            let recheck = tokio::select! {
                got = s.live.recv() => match got {
                    Ok(tripdesk_store::signal::Key::One(user)) => user == s.principal.user_id,
                    Ok(tripdesk_store::signal::Key::All) => true,
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => true,
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
                },
                _ = tokio::time::sleep(tripdesk_store::signal::FALLBACK_POLL) => true,
            };
            if recheck {
                match s.state.app.unread_count(&s.principal).await {
                    Ok(n) => s.pending = Some(n),
                    Err(_) => return None,
                }
            }
        }
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}
