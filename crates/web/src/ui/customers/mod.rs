//! Customer pages: the list with search, a new-customer form, the customer 360 page (profile,
//! consents, duplicates and merge, contact history, reveal with a reason, PIPL
//! copy and erasure); CSV import and masked export are in `import.rs`, the conversation across
//! channels in `conversation.rs`.

mod conversation;
mod import;
mod text;

pub(crate) use text::TEXT;

use super::pager::{Extent, Pager, PagerNav};
use super::session::{UiForm, UiUser};
use super::{error_page, local_time, render, see_other_with, Chrome, Flash};
use super::{form_errors, up_one, FormError, FormState};
use crate::api::customers::records::pipl_download;
use crate::i18n::{self, Tr};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use tripdesk_app::customers::{
    ConsentInput, CustomerDetail, CustomerListItem, CustomerSearch, DocumentInput, Labeled,
    NewCustomer,
};
use tripdesk_app::{AppError, FieldError};
use tripdesk_domain::customer::Phone;
use tripdesk_domain::identity::Permission;
use tripdesk_store::{AuditFilter, CustomerIdentifier};
use uuid::Uuid;

/// The pages of this capability.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/customers", get(list).post(create))
        .route("/customers/new", get(new_form))
        .route(
            "/customers/import",
            get(import::import_form).post(import::import_submit),
        )
        .route("/customers/export", get(import::export))
        .route("/customers/{id}", get(show))
        .route("/customers/{id}/conversation", get(conversation::show))
        .route("/customers/{id}/reveal", get(up_one).post(reveal))
        .route("/customers/{id}/consents", get(up_one).post(add_consent))
        .route("/customers/{id}/merge", get(up_one).post(merge))
        .route("/customers/{id}/pipl-export", get(up_one).post(pipl_export))
        .route("/customers/{id}/erase", get(up_one).post(erase))
}

/// The text for `key`, or `fallback` when the table has none (free-form values).
fn label(t: Tr, key: &str, fallback: &str) -> String {
    if Tr::has(key) {
        t.s(key).to_string()
    } else {
        fallback.to_string()
    }
}

fn kind_label(t: Tr, kind: &str) -> String {
    label(t, &format!("ident.{kind}"), kind)
}

// ---- list ----

struct Row {
    id: Uuid,
    name: String,
    phone: String,
    resident_id: String,
    tags: Vec<String>,
    created: String,
}

fn primary_masked(idents: &[CustomerIdentifier], kind: &str) -> String {
    idents
        .iter()
        .find(|i| i.kind == kind && i.is_primary)
        .or_else(|| idents.iter().find(|i| i.kind == kind))
        .map(|i| i.masked.clone())
        .unwrap_or_default()
}

fn row_of(state: &AppState, i: &CustomerListItem) -> Row {
    Row {
        id: i.customer.id,
        name: i.customer.name.clone(),
        phone: primary_masked(&i.identifiers, "phone"),
        resident_id: primary_masked(&i.identifiers, "resident_id"),
        tags: i.customer.tags.clone(),
        created: local_time(state, i.customer.created_at),
    }
}

#[derive(Template)]
#[template(path = "customers/list.html")]
struct CustomersPage {
    c: Chrome,
    q: String,
    rows: Vec<Row>,
    count_label: String,
    pager: PagerNav,
    can_edit: bool,
    errors: Vec<FormError>,
}

#[derive(Deserialize)]
pub struct ListQuery {
    q: Option<String>,
}

/// Customers per page of the list.
const PAGE: u32 = 100;

/// One search box: a phone number, an ID number or a part of a name; `offset` from the pager.
pub(super) fn search_of(q: &str, offset: u32) -> CustomerSearch {
    let q = q.trim();
    let mut s = CustomerSearch {
        limit: PAGE,
        offset,
        ..Default::default()
    };
    let compact: String = q
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    if q.is_empty() {
    } else if compact.len() == 18 && compact[..17].bytes().all(|b| b.is_ascii_digit()) {
        s.resident_id = Some(q.into());
    } else if compact.chars().filter(|c| c.is_ascii_digit()).count() >= 7 && Phone::parse(q).is_ok()
    {
        s.phone = Some(q.into());
    } else if q.contains('@') {
        s.email = Some(q.into());
    } else {
        s.name = Some(q.into());
    }
    s
}

pub async fn list(
    State(state): State<AppState>,
    user: UiUser,
    Query(q): Query<ListQuery>,
    pager: Pager,
) -> Response {
    let t = Tr(user.lang);
    let text = q.q.unwrap_or_default();
    let (rows, total, errors): (Vec<Row>, u64, _) = match state
        .app
        .search_customers(&user.principal, &search_of(&text, pager.offset(PAGE)))
        .await
    {
        Ok(page) => (
            page.items.iter().map(|i| row_of(&state, i)).collect(),
            page.total,
            Vec::new(),
        ),
        Err(AppError::Validation(fields)) => (Vec::new(), 0, form_errors(Tr(user.lang), fields)),
        Err(e) => return error_page(&state, &user, "customers", e),
    };
    render(
        StatusCode::OK,
        &CustomersPage {
            q: text,
            pager: pager.nav(
                t,
                PAGE,
                Extent::counted(pager.offset(PAGE), rows.len(), total),
            ),
            rows,
            count_label: t.s("customers.count").replace("{n}", &total.to_string()),
            can_edit: user.principal.can(Permission::EditCustomers),
            errors,
            c: Chrome::new(&state, &user, "customers"),
        },
    )
}

// ---- new ----

#[derive(Template)]
#[template(path = "customers/form.html")]
struct NewCustomerPage {
    c: Chrome,
    f: FormState,
}

/// The labels the new-customer form shows, for its error messages.
const NEW_LABELS: &[(&str, &str)] = &[
    ("name", "customer.name"),
    ("phone", "ident.phone"),
    ("email", "ident.email"),
    ("wechat", "ident.wechat"),
    ("resident_id", "ident.resident_id"),
    ("birth_date", "customer.birth_date"),
    ("preferred_channel", "customer.preferred_channel"),
    ("diet", "customer.diet"),
    ("allergies", "customer.allergies"),
    ("accessibility", "customer.accessibility"),
    ("tags", "customer.tags"),
    ("notes", "customer.notes"),
];

pub async fn new_form(State(state): State<AppState>, user: UiUser) -> Response {
    if let Err(e) = user.principal.require(Permission::EditCustomers) {
        return error_page(&state, &user, "customers", e);
    }
    render(
        StatusCode::OK,
        &NewCustomerPage {
            c: Chrome::new(&state, &user, "customers"),
            f: FormState::with_defaults(&[("preferred_channel", "phone")]),
        },
    )
}

fn opt(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

pub async fn create(State(state): State<AppState>, UiForm { user, form }: UiForm) -> Response {
    let input = NewCustomer {
        name: form.get("name").into(),
        phones: opt(form.get("phone"))
            .map(|v| Labeled::new("phone", v))
            .into_iter()
            .collect(),
        emails: opt(form.get("email"))
            .map(|v| Labeled::new("email", v))
            .into_iter()
            .collect(),
        wechat: opt(form.get("wechat")).map(|v| Labeled::new("wechat", v)),
        documents: opt(form.get("resident_id"))
            .map(|number| DocumentInput {
                field: "resident_id".into(),
                kind: "resident_id".into(),
                number,
            })
            .into_iter()
            .collect(),
        birth_date: opt(form.get("birth_date")),
        preferred_channel: opt(form.get("preferred_channel")),
        source_channel: Some("phone".into()),
        diet: opt(form.get("diet")),
        allergies: opt(form.get("allergies")),
        accessibility: opt(form.get("accessibility")),
        tags: form
            .get("tags")
            .split([',', '，', ';', '、'])
            .map(|s| s.trim().to_string())
            .collect(),
        notes: opt(form.get("notes")),
        consents: (form.get("marketing") == "yes")
            .then(|| ConsentInput {
                purpose: "marketing".into(),
                granted: true,
                channel: "phone".into(),
                text_version: "marketing-2026-01".into(),
            })
            .into_iter()
            .collect(),
        ..Default::default()
    };
    match state.app.create_customer(&user.principal, input).await {
        Ok(created) => see_other_with(
            &state,
            &user,
            &format!("/customers/{}", created.detail.customer.id),
            Flash::done(Tr(user.lang).s("customer.flash.created")),
        ),
        Err(AppError::Validation(fields)) => {
            let f = FormState::typed(&form).refused(Tr(user.lang), &fields, NEW_LABELS);
            render(
                f.status(),
                &NewCustomerPage {
                    c: Chrome::new(&state, &user, "customers"),
                    f,
                },
            )
        }
        Err(e) => error_page(&state, &user, "customers", e),
    }
}

// ---- the customer 360 page ----

struct IdentRow {
    id: Uuid,
    kind: &'static str,
    label: String,
    masked: String,
    primary: bool,
    revealed: Option<String>,
}

struct SealedRow {
    field: &'static str,
    label: String,
    recorded: bool,
    revealed: Option<String>,
}

struct ConsentRow {
    purpose: String,
    granted: bool,
    channel: String,
    text_version: String,
    recorded: String,
}

struct DupRow {
    id: Uuid,
    name: String,
    phone: String,
    shared: String,
}

struct HistoryRow {
    at: String,
    actor: String,
    action: String,
}

#[derive(Template)]
#[template(path = "customers/customer.html")]
struct CustomerPage {
    c: Chrome,
    id: Uuid,
    name: String,
    status: &'static str,
    merged_into: Option<Uuid>,
    identifiers: Vec<IdentRow>,
    sealed: Vec<SealedRow>,
    preferred_language: String,
    preferred_channel: String,
    source_channel: String,
    tags: Vec<String>,
    notes: String,
    created: String,
    consents: Vec<ConsentRow>,
    duplicates: Vec<DupRow>,
    history: Vec<HistoryRow>,
    /// The customer's tickets, newest first (for those who may see the desk), and how many.
    tickets: Vec<TicketRow>,
    ticket_total: u64,
    /// Whether the viewer may read the conversation across channels (the desk's messages).
    can_view_conversation: bool,
    /// The customer's latest calls (for those who may see the desk).
    calls: Vec<crate::ui::calls::CallRow>,
    can_edit: bool,
    can_reveal: bool,
    /// The form of this page that came back refused, as typed, with its errors.
    f: FormState,
    notice: Option<String>,
}

/// One of the customer's tickets, as the contact history lists it.
struct TicketRow {
    id: Uuid,
    number: String,
    kind: String,
    state: String,
    subject: String,
    created: String,
}

/// Tickets listed on the customer page; the rest are a link to the desk away.
const CONTACT_HISTORY: u32 = 20;

/// A value shown after a reveal, carried by the flash to the one page load after the
/// redirect (never in the URL; a reload shows the masked value again).
#[derive(Clone)]
struct Shown {
    field: String,
    identifier_id: Option<Uuid>,
    value: String,
}

async fn customer_page(
    state: &AppState,
    user: &UiUser,
    id: Uuid,
    shown: Option<Shown>,
    f: FormState,
    notice: Option<String>,
) -> Response {
    let t = Tr(user.lang);
    let p = &user.principal;
    let d: CustomerDetail = match state.app.get_customer(p, id).await {
        Ok(d) => d,
        Err(e) => return error_page(state, user, "customers", e),
    };
    let duplicates = match state.app.customer_duplicates(p, id).await {
        Ok(d) => d,
        Err(e) => return error_page(state, user, "customers", e),
    };
    // The contact history: the customer's tickets in the viewer's scope, newest first.
    let (tickets, ticket_total) = if p.can(Permission::ViewDesk) {
        let filter = tripdesk_store::TicketFilter {
            customer_id: Some(id),
            order: tripdesk_store::TicketOrder::Newest,
            limit: CONTACT_HISTORY,
            ..Default::default()
        };
        match state.app.list_tickets(p, &filter).await {
            Ok(found) => found,
            Err(e) => return error_page(state, user, "customers", e),
        }
    } else {
        (Vec::new(), 0)
    };
    // The record's own history, for those who may read the audit log.
    let history = if p.can(Permission::ViewAudit) {
        state
            .app
            .list_audit(
                p,
                &AuditFilter {
                    entity_type: Some("customer".into()),
                    entity_id: Some(id.to_string()),
                    limit: 20,
                    ..Default::default()
                },
            )
            .await
            .map(|page| page.entries)
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let c = &d.customer;
    let status = if c.erased_at.is_some() {
        "erased"
    } else if c.merged_into.is_some() {
        "merged"
    } else {
        "active"
    };
    let mut identifiers: Vec<IdentRow> = Vec::new();
    for kind in tripdesk_app::customers::IDENTIFIER_KINDS {
        for i in d.identifiers.iter().filter(|i| i.kind == kind) {
            let revealed = shown
                .as_ref()
                .and_then(|s| (s.identifier_id == Some(i.id)).then(|| s.value.clone()));
            identifiers.push(IdentRow {
                id: i.id,
                kind,
                label: kind_label(t, kind),
                masked: i.masked.clone(),
                primary: i.is_primary,
                revealed,
            });
        }
    }
    let sealed = [
        ("birth_date", c.birth_date_sealed.is_some()),
        ("diet", c.diet_sealed.is_some()),
        ("allergies", c.allergies_sealed.is_some()),
        ("accessibility", c.accessibility_sealed.is_some()),
    ]
    .into_iter()
    .map(|(field, recorded)| SealedRow {
        field,
        label: t.s(&format!("customer.{field}")).to_string(),
        recorded,
        revealed: shown
            .as_ref()
            .and_then(|s| (s.field == field).then(|| s.value.clone())),
    })
    .collect();
    let page = CustomerPage {
        id,
        name: c.name.clone(),
        status,
        merged_into: c.merged_into,
        identifiers,
        sealed,
        preferred_language: c.preferred_language.clone().unwrap_or_default(),
        preferred_channel: c
            .preferred_channel
            .as_deref()
            .map(|ch| label(t, &format!("channel.{ch}"), ch))
            .unwrap_or_default(),
        source_channel: c.source_channel.clone().unwrap_or_default(),
        tags: c.tags.clone(),
        notes: c.notes.clone().unwrap_or_default(),
        created: local_time(state, c.created_at),
        consents: d
            .current_consents()
            .into_iter()
            .map(|k| ConsentRow {
                purpose: k.purpose.clone(),
                granted: k.granted,
                channel: k.channel.clone(),
                text_version: k.text_version.clone(),
                recorded: local_time(state, k.recorded_at),
            })
            .collect(),
        duplicates: duplicates
            .iter()
            .map(|dup| DupRow {
                id: dup.item.customer.id,
                name: dup.item.customer.name.clone(),
                phone: primary_masked(&dup.item.identifiers, "phone"),
                shared: dup
                    .shared
                    .iter()
                    .map(|k| kind_label(t, k))
                    .collect::<Vec<_>>()
                    .join("、"),
            })
            .collect(),
        history: history
            .iter()
            .map(|e| HistoryRow {
                at: local_time(state, e.at),
                actor: e.actor_name.clone(),
                action: i18n::audit_action_label(t, &e.action),
            })
            .collect(),
        tickets: tickets
            .iter()
            .map(|tk| TicketRow {
                id: tk.id,
                number: tk.number.clone(),
                kind: t.s(&format!("kind.{}", tk.kind.as_str())).to_string(),
                state: t.s(&format!("state.{}", tk.state.as_str())).to_string(),
                subject: tk.subject.clone(),
                created: local_time(state, tk.created_at),
            })
            .collect(),
        ticket_total,
        can_view_conversation: p.can(Permission::ViewDesk),
        calls: crate::ui::calls::customer_calls(state, user, id).await,
        can_edit: p.can(Permission::EditCustomers) && status == "active",
        can_reveal: p.can(Permission::RevealSensitive),
        notice,
        c: Chrome::new(state, user, "customers"),
        f,
    };
    render(page.f.status(), &page)
}

fn parse_id(state: &AppState, user: &UiUser, id: &str) -> Result<Uuid, Response> {
    Uuid::parse_str(id)
        .map_err(|_| error_page(state, user, "customers", AppError::NotFound("customer")))
}

pub async fn show(State(state): State<AppState>, user: UiUser, Path(id): Path<String>) -> Response {
    let id = match parse_id(&state, &user, &id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let shown = user
        .flash
        .as_ref()
        .and_then(|f| f.payload::<Shown>())
        .cloned();
    let mut res = customer_page(&state, &user, id, shown, FormState::default(), None).await;
    res.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    res
}

/// The labels the customer page's forms show, for their error messages.
const PAGE_LABELS: &[(&str, &str)] = &[
    ("reason", "customer.reason"),
    ("text_version", "customer.text_version"),
    ("channel", "customer.channel"),
];

/// Shows one value in plaintext on this response only; audited by the use case.
pub async fn reveal(
    State(state): State<AppState>,
    Path(id): Path<String>,
    UiForm { user, form }: UiForm,
) -> Response {
    let id = match parse_id(&state, &user, &id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let identifier_id = Uuid::parse_str(form.get("identifier_id")).ok();
    match state
        .app
        .reveal_customer_field(
            &user.principal,
            id,
            form.get("field"),
            identifier_id,
            form.get("reason"),
        )
        .await
    {
        Ok(r) => {
            let shown = Shown {
                field: r.field.clone(),
                identifier_id: r.identifier_id,
                value: r.value.expose_secret().clone(),
            };
            let notice = Tr(user.lang).s("customer.revealed_notice");
            see_other_with(
                &state,
                &user,
                &format!("/customers/{id}"),
                Flash::done(notice).with(shown),
            )
        }
        Err(AppError::Validation(fields)) => {
            customer_page(
                &state,
                &user,
                id,
                None,
                FormState::typed(&form).refused(Tr(user.lang), &fields, PAGE_LABELS),
                None,
            )
            .await
        }
        Err(e) => error_page(&state, &user, "customers", e),
    }
}

pub async fn add_consent(
    State(state): State<AppState>,
    Path(id): Path<String>,
    UiForm { user, form }: UiForm,
) -> Response {
    let id = match parse_id(&state, &user, &id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let input = ConsentInput {
        purpose: form.get("purpose").into(),
        granted: form.get("granted") == "true",
        channel: form.get("channel").into(),
        text_version: form.get("text_version").into(),
    };
    match state.app.record_consent(&user.principal, id, input).await {
        Ok(_) => see_other_with(
            &state,
            &user,
            &format!("/customers/{id}"),
            Flash::done(Tr(user.lang).s("customer.flash.consent")),
        ),
        Err(AppError::Validation(fields)) => {
            customer_page(
                &state,
                &user,
                id,
                None,
                FormState::typed(&form).refused(Tr(user.lang), &fields, PAGE_LABELS),
                None,
            )
            .await
        }
        Err(e) => error_page(&state, &user, "customers", e),
    }
}

pub async fn merge(
    State(state): State<AppState>,
    Path(id): Path<String>,
    UiForm { user, form }: UiForm,
) -> Response {
    let id = match parse_id(&state, &user, &id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let Ok(other) = Uuid::parse_str(form.get("duplicate_id")) else {
        return error_page(&state, &user, "customers", AppError::NotFound("customer"));
    };
    let t = Tr(user.lang);
    if form.get("confirm") != "yes" {
        let fields = vec![FieldError::new(
            "confirm",
            // No `err.` sentence for this code: the page's own, already in its language.
            "unconfirmed",
            t.s("customer.merge_confirm_needed"),
        )];
        return customer_page(
            &state,
            &user,
            id,
            None,
            FormState::typed(&form).refused(t, &fields, PAGE_LABELS),
            None,
        )
        .await;
    }
    match state.app.merge_customers(&user.principal, id, other).await {
        Ok(_) => see_other_with(
            &state,
            &user,
            &format!("/customers/{id}"),
            Flash::done(t.s("customer.flash.merged")),
        ),
        Err(AppError::Validation(fields)) => {
            customer_page(
                &state,
                &user,
                id,
                None,
                FormState::typed(&form).refused(Tr(user.lang), &fields, PAGE_LABELS),
                None,
            )
            .await
        }
        Err(e) => error_page(&state, &user, "customers", e),
    }
}

pub async fn pipl_export(
    State(state): State<AppState>,
    Path(id): Path<String>,
    UiForm { user, .. }: UiForm,
) -> Response {
    let id = match parse_id(&state, &user, &id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    match state.app.export_customer_data(&user.principal, id).await {
        Ok(data) => pipl_download(id, &data),
        Err(e) => error_page(&state, &user, "customers", e),
    }
}

pub async fn erase(
    State(state): State<AppState>,
    Path(id): Path<String>,
    UiForm { user, form }: UiForm,
) -> Response {
    let id = match parse_id(&state, &user, &id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    if form.get("confirm") != "yes" {
        let fields = vec![FieldError::new(
            "confirm",
            // No `err.` sentence for this code: the page's own, already in its language.
            "unconfirmed",
            Tr(user.lang).s("customer.erase_confirm_needed"),
        )];
        return customer_page(
            &state,
            &user,
            id,
            None,
            FormState::typed(&form).refused(Tr(user.lang), &fields, PAGE_LABELS),
            None,
        )
        .await;
    }
    match state
        .app
        .erase_customer(&user.principal, id, form.get("reason"))
        .await
    {
        Ok(_) => see_other_with(
            &state,
            &user,
            &format!("/customers/{id}"),
            Flash::done(Tr(user.lang).s("customer.flash.erased")),
        ),
        Err(AppError::Validation(fields)) => {
            customer_page(
                &state,
                &user,
                id,
                None,
                FormState::typed(&form).refused(Tr(user.lang), &fields, PAGE_LABELS),
                None,
            )
            .await
        }
        Err(e) => error_page(&state, &user, "customers", e),
    }
}
