//! The mailboxes page: the IMAP mailboxes whose mail opens and threads tickets
//! (`tripdesk_app::email_in`), each with its last poll, its last error in the words the server
//! gave and the mails taken so far; adding one (the password sealed by the use case and never
//! shown again), turning polling off and on, and polling one now. Administrators only
//! (`manage_settings`, checked by the use cases); every change is audited there.

use super::super::pager::{Extent, Pager, PagerNav};
use super::super::session::{FormData, UiForm, UiUser};
use super::super::{error_page, local_time, render, see_other_with, Chrome, Flash, FormState};
use crate::i18n::Tr;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use tripdesk_app::email_in::MailboxInput;
use tripdesk_app::AppError;
use uuid::Uuid;

/// Mailboxes a page.
const PAGE: u32 = 50;
/// The page's address.
const HERE: &str = "/channels/mailboxes";

struct MailboxRow {
    id: Uuid,
    name: String,
    server: String,
    tls: bool,
    username: String,
    folder: String,
    enabled: bool,
    last_poll: String,
    last_error: Option<String>,
    taken: i64,
}

#[derive(Template)]
#[template(path = "channels/mailboxes.html")]
struct MailboxesPage {
    c: Chrome,
    rows: Vec<MailboxRow>,
    pager: PagerNav,
    f: FormState,
}

/// The form's labels, for the messages beside its fields.
const LABELS: &[(&str, &str)] = &[
    ("name", "mailboxes.name"),
    ("host", "mailboxes.host"),
    ("port", "mailboxes.port"),
    ("username", "mailboxes.username"),
    ("password", "mailboxes.password"),
    ("folder", "mailboxes.folder"),
];

/// A new form: IMAPS on its port.
const DEFAULTS: &[(&str, &str)] = &[("port", "993"), ("tls", "on"), ("folder", "INBOX")];

async fn page(state: &AppState, user: &UiUser, pager: &Pager, f: FormState) -> Response {
    let t = Tr(user.lang);
    let mailboxes = match state
        .app
        .list_mailboxes(&user.principal, PAGE, pager.offset(PAGE))
        .await
    {
        Ok(m) => m,
        Err(e) => return error_page(state, user, "mailboxes", e),
    };
    let rows = mailboxes
        .items
        .iter()
        .map(|m| MailboxRow {
            id: m.id,
            name: m.name.clone(),
            server: format!("{}:{}", m.host, m.port),
            tls: m.tls,
            username: m.username.clone(),
            folder: m.folder.clone(),
            enabled: m.enabled,
            last_poll: m
                .last_poll_at
                .map(|at| local_time(state, at))
                .unwrap_or_else(|| t.s("mailboxes.never").to_string()),
            last_error: m.last_error.clone(),
            taken: m.taken_total,
        })
        .collect::<Vec<_>>();
    let pager = pager.nav(t, PAGE, Extent::more(mailboxes.more));
    let status = f.status();
    render(
        status,
        &MailboxesPage {
            c: Chrome::new(state, user, "mailboxes"),
            rows,
            pager,
            f,
        },
    )
}

pub async fn list(State(state): State<AppState>, user: UiUser, pager: Pager) -> Response {
    page(&state, &user, &pager, FormState::with_defaults(DEFAULTS)).await
}

/// What the form holds as the use case's input; a port that is not a number is refused here
/// by name, as the use case would refuse 0.
fn input_of(t: Tr, form: &FormData) -> Result<MailboxInput, FormState> {
    let port = form.get("port").trim();
    let Ok(port) = port.parse::<u16>() else {
        return Err(FormState::typed(form).error("port", t.s("mailboxes.port_invalid")));
    };
    Ok(MailboxInput {
        name: form.get("name").trim().to_string(),
        host: form.get("host").trim().to_string(),
        port,
        tls: form.get("tls") == "on",
        username: form.get("username").trim().to_string(),
        password: form.get("password").to_string(),
        folder: form.get("folder").trim().to_string(),
    })
}

pub async fn create(
    State(state): State<AppState>,
    pager: Pager,
    UiForm { user, form }: UiForm,
) -> Response {
    let t = Tr(user.lang);
    let input = match input_of(t, &form) {
        Ok(i) => i,
        Err(f) => return page(&state, &user, &pager, f).await,
    };
    match state.app.create_mailbox(&user.principal, input).await {
        Ok(m) => {
            let done = t.pair(t.s("mailboxes.flash.created"), &m.name);
            see_other_with(&state, &user, HERE, Flash::done(done))
        }
        Err(AppError::Validation(fields)) => {
            let f = FormState::typed(&form).refused(t, &fields, LABELS);
            page(&state, &user, &pager, f).await
        }
        Err(e) => error_page(&state, &user, "mailboxes", e),
    }
}

fn mailbox_id(id: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(id).map_err(|_| AppError::NotFound("mailbox"))
}

/// Turns polling off or on (`enabled=true|false`).
pub async fn set_enabled(
    State(state): State<AppState>,
    Path(id): Path<String>,
    UiForm { user, form }: UiForm,
) -> Response {
    let t = Tr(user.lang);
    let enabled = form.get("enabled") == "true";
    let result = match mailbox_id(&id) {
        Ok(id) => {
            state
                .app
                .set_mailbox_enabled(&user.principal, id, enabled)
                .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(m) => {
            let key = if enabled {
                "mailboxes.flash.enabled"
            } else {
                "mailboxes.flash.disabled"
            };
            see_other_with(&state, &user, HERE, Flash::done(t.pair(t.s(key), &m.name)))
        }
        Err(e) => error_page(&state, &user, "mailboxes", e),
    }
}

/// Queues a poll of the mailbox now (a job; one at a time per mailbox).
pub async fn poll_now(
    State(state): State<AppState>,
    Path(id): Path<String>,
    UiForm { user, .. }: UiForm,
) -> Response {
    let t = Tr(user.lang);
    let result = match mailbox_id(&id) {
        Ok(id) => state.app.poll_mailbox_now(&user.principal, id).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(queued) => {
            let key = if queued {
                "mailboxes.flash.polling"
            } else {
                "mailboxes.flash.pending"
            };
            see_other_with(&state, &user, HERE, Flash::done(t.s(key)))
        }
        Err(e) => error_page(&state, &user, "mailboxes", e),
    }
}
