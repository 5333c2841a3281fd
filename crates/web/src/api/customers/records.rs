//! Customers and their personal data. Reads are always masked; plaintext needs the explicit,
//! audited `POST /api/v1/customers/{id}/reveal`.

use crate::api::rfc3339;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use crate::problem::ApiError;
use crate::AppState;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use tripdesk_app::customers::{
    ConsentInput, CustomerChanges, CustomerDetail, CustomerListItem, CustomerSearch, DocumentInput,
    Labeled, NewCustomer,
};
use tripdesk_store::{Consent, Customer, CustomerIdentifier};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_customers, create_customer))
        .routes(routes!(get_customer, update_customer))
        .routes(routes!(reveal))
        .routes(routes!(add_consent))
        .routes(routes!(duplicates))
        .routes(routes!(merge))
        .routes(routes!(pipl_export))
        .routes(routes!(erase))
}

/// What the API shows instead of a sealed value that is present.
pub const HIDDEN: &str = "[hidden]";

/// A phone, email, WeChat id or identity document, masked.
#[derive(Serialize, ToSchema)]
pub struct IdentifierView {
    id: Uuid,
    /// `phone`, `email`, `wechat`, `resident_id`, `passport`, `hk_macao_permit`, `taiwan_permit`.
    kind: String,
    /// Masked, e.g. `138****8000`; reveal for plaintext.
    masked: String,
    primary: bool,
}

impl IdentifierView {
    fn of(i: &CustomerIdentifier) -> Self {
        Self {
            id: i.id,
            kind: i.kind.clone(),
            masked: i.masked.clone(),
            primary: i.is_primary,
        }
    }
}

/// A consent given or withdrawn.
#[derive(Serialize, ToSchema)]
pub struct ConsentView {
    id: Uuid,
    purpose: String,
    granted: bool,
    channel: String,
    text_version: String,
    recorded_at: String,
}

impl ConsentView {
    fn of(state: &AppState, c: &Consent) -> Self {
        Self {
            id: c.id,
            purpose: c.purpose.clone(),
            granted: c.granted,
            channel: c.channel.clone(),
            text_version: c.text_version.clone(),
            recorded_at: rfc3339(state, c.recorded_at),
        }
    }
}

/// Special needs; each is `[hidden]` when recorded (reveal to read), `null` when not.
#[derive(Serialize, ToSchema)]
pub struct SpecialNeedsView {
    diet: Option<String>,
    allergies: Option<String>,
    accessibility: Option<String>,
}

fn hidden(sealed: &Option<String>) -> Option<String> {
    sealed.as_ref().map(|_| HIDDEN.to_string())
}

/// A customer as the API shows it: masked.
#[derive(Serialize, ToSchema)]
pub struct CustomerView {
    id: Uuid,
    name: String,
    /// The primary phone, masked.
    phone: Option<String>,
    /// The primary email, masked.
    email: Option<String>,
    /// The resident ID number, masked (`110105********002X`).
    resident_id: Option<String>,
    identifiers: Vec<IdentifierView>,
    /// `[hidden]` when recorded.
    birth_date: Option<String>,
    special_needs: SpecialNeedsView,
    preferred_language: Option<String>,
    preferred_channel: Option<String>,
    source_channel: Option<String>,
    tags: Vec<String>,
    notes: Option<String>,
    /// The latest consent per purpose (full history in `consent_history`, on single reads).
    consents: Vec<ConsentView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    consent_history: Option<Vec<ConsentView>>,
    /// `active`, `erased` or `merged`.
    status: String,
    merged_into: Option<Uuid>,
    created_by: Option<Uuid>,
    created_at: String,
    updated_at: String,
}

fn status_of(c: &Customer) -> &'static str {
    if c.erased_at.is_some() {
        "erased"
    } else if c.merged_into.is_some() {
        "merged"
    } else {
        "active"
    }
}

impl CustomerView {
    fn base(state: &AppState, c: &Customer, identifiers: &[CustomerIdentifier]) -> Self {
        let primary = |kind: &str| {
            identifiers
                .iter()
                .find(|i| i.kind == kind && i.is_primary)
                .or_else(|| identifiers.iter().find(|i| i.kind == kind))
                .map(|i| i.masked.clone())
        };
        Self {
            id: c.id,
            name: c.name.clone(),
            phone: primary("phone"),
            email: primary("email"),
            resident_id: primary("resident_id"),
            identifiers: identifiers.iter().map(IdentifierView::of).collect(),
            birth_date: hidden(&c.birth_date_sealed),
            special_needs: SpecialNeedsView {
                diet: hidden(&c.diet_sealed),
                allergies: hidden(&c.allergies_sealed),
                accessibility: hidden(&c.accessibility_sealed),
            },
            preferred_language: c.preferred_language.clone(),
            preferred_channel: c.preferred_channel.clone(),
            source_channel: c.source_channel.clone(),
            tags: c.tags.clone(),
            notes: c.notes.clone(),
            consents: Vec::new(),
            consent_history: None,
            status: status_of(c).into(),
            merged_into: c.merged_into,
            created_by: c.created_by,
            created_at: rfc3339(state, c.created_at),
            updated_at: rfc3339(state, c.updated_at),
        }
    }

    pub fn of_detail(state: &AppState, d: &CustomerDetail) -> Self {
        let mut v = Self::base(state, &d.customer, &d.identifiers);
        v.consents = d
            .current_consents()
            .into_iter()
            .map(|c| ConsentView::of(state, c))
            .collect();
        v.consent_history = Some(
            d.consents
                .iter()
                .map(|c| ConsentView::of(state, c))
                .collect(),
        );
        v
    }

    pub fn of_item(state: &AppState, i: &CustomerListItem) -> Self {
        Self::base(state, &i.customer, &i.identifiers)
    }
}

/// A page of customers.
#[derive(Serialize, ToSchema)]
pub struct CustomerList {
    items: Vec<CustomerView>,
    total: u64,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CustomerQuery {
    /// Any spelling of a phone number (blind-index look-up).
    phone: Option<String>,
    email: Option<String>,
    wechat: Option<String>,
    /// A resident ID number (blind-index look-up).
    resident_id: Option<String>,
    /// With `document_number`: `passport`, `hk_macao_permit`, `taiwan_permit`, `resident_id`.
    document_kind: Option<String>,
    document_number: Option<String>,
    /// Substring of the name.
    q: Option<String>,
    tag: Option<String>,
    /// Include erased and merged records (default false).
    include_inactive: Option<bool>,
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    #[param(minimum = 0, maximum = 2147483647)]
    #[serde(default, deserialize_with = "crate::api::list_offset")]
    offset: Option<u32>,
}

impl CustomerQuery {
    fn search(self) -> Result<CustomerSearch, ApiError> {
        let limit = crate::api::page_limit(self.limit, 50, 200)?;
        Ok(CustomerSearch {
            phone: self.phone,
            email: self.email,
            wechat: self.wechat,
            resident_id: self.resident_id,
            document_kind: self.document_kind,
            document_number: self.document_number,
            name: self.q,
            tag: self.tag,
            include_inactive: self.include_inactive.unwrap_or(false),
            limit,
            offset: self.offset.unwrap_or(0),
        })
    }
}

/// Finds customers: by phone, email, WeChat id or document number (exact, through the blind
/// index, any spelling), by name substring or tag. Masked.
#[utoipa::path(get, path = "/api/v1/customers", tag = "customers", params(CustomerQuery),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "A page of customers", body = CustomerList)))]
async fn list_customers(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<CustomerQuery>,
) -> Result<Json<CustomerList>, ApiError> {
    let page = state.app.search_customers(&p, &q.search()?).await?;
    Ok(Json(CustomerList {
        items: page
            .items
            .iter()
            .map(|i| CustomerView::of_item(&state, i))
            .collect(),
        total: page.total,
    }))
}

/// An identity document.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DocumentBody {
    /// `resident_id`, `passport`, `hk_macao_permit`, `taiwan_permit`.
    kind: String,
    number: String,
}

/// A consent as given.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentBody {
    /// e.g. `marketing`.
    purpose: String,
    granted: bool,
    /// `web_form`, `phone`, `paper`, `wechat`, `email`, `in_person`, `import`.
    channel: String,
    /// Version of the consent text shown to the customer.
    text_version: String,
}

impl From<ConsentBody> for ConsentInput {
    fn from(c: ConsentBody) -> Self {
        ConsentInput {
            purpose: c.purpose,
            granted: c.granted,
            channel: c.channel,
            text_version: c.text_version,
        }
    }
}

/// A new customer. `phone` and `resident_id` are shorthands for the primary phone and the
/// mainland resident ID; `phones`, `emails` and `documents` take several.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCustomer {
    #[schema(min_length = 1, max_length = 100, example = "张伟")]
    name: String,
    #[schema(example = "13800138000")]
    phone: Option<String>,
    phones: Option<Vec<String>>,
    email: Option<String>,
    emails: Option<Vec<String>>,
    wechat: Option<String>,
    /// GB 11643 number (mainland card, HK/Macao/Taiwan residence permit, 2023 foreign
    /// permanent-resident card).
    #[schema(example = "11010519491231002X")]
    resident_id: Option<String>,
    documents: Option<Vec<DocumentBody>>,
    /// `YYYY-MM-DD`; taken from the resident ID when absent.
    birth_date: Option<String>,
    preferred_language: Option<String>,
    /// `phone`, `sms`, `email`, `wechat`.
    preferred_channel: Option<String>,
    source_channel: Option<String>,
    diet: Option<String>,
    allergies: Option<String>,
    accessibility: Option<String>,
    tags: Option<Vec<String>>,
    notes: Option<String>,
    consents: Option<Vec<ConsentBody>>,
}

fn labeled(
    one: Option<String>,
    one_name: &str,
    many: Option<Vec<String>>,
    many_name: &str,
) -> Vec<Labeled> {
    let mut out: Vec<Labeled> = one.map(|v| Labeled::new(one_name, v)).into_iter().collect();
    for (i, v) in many.unwrap_or_default().into_iter().enumerate() {
        out.push(Labeled::new(format!("{many_name}[{i}]"), v));
    }
    out
}

fn documents(
    resident_id: Option<String>,
    docs: Option<Vec<DocumentBody>>,
    name: &str,
) -> Vec<DocumentInput> {
    let mut out: Vec<DocumentInput> = resident_id
        .map(|number| DocumentInput {
            field: "resident_id".into(),
            kind: "resident_id".into(),
            number,
        })
        .into_iter()
        .collect();
    for (i, d) in docs.unwrap_or_default().into_iter().enumerate() {
        out.push(DocumentInput {
            field: format!("{name}[{i}].number"),
            kind: d.kind,
            number: d.number,
        });
    }
    out
}

/// A created customer and existing records that share a phone, email or document with it.
#[derive(Serialize, ToSchema)]
pub struct CreatedCustomerView {
    #[serde(flatten)]
    customer: CustomerView,
    /// Ids of existing customers sharing an identifier (possible duplicates to merge).
    possible_duplicates: Vec<Uuid>,
}

/// Creates a customer (needs `edit_customers`). Sensitive values are sealed before storage.
#[utoipa::path(post, path = "/api/v1/customers", tag = "customers", request_body = CreateCustomer,
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 201, description = "Created (masked)", body = CreatedCustomerView)))]
async fn create_customer(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiJson(b): ApiJson<CreateCustomer>,
) -> Result<(StatusCode, Json<CreatedCustomerView>), ApiError> {
    let input = NewCustomer {
        name: b.name,
        phones: labeled(b.phone, "phone", b.phones, "phones"),
        emails: labeled(b.email, "email", b.emails, "emails"),
        wechat: b.wechat.map(|w| Labeled::new("wechat", w)),
        documents: documents(b.resident_id, b.documents, "documents"),
        birth_date: b.birth_date,
        preferred_language: b.preferred_language,
        preferred_channel: b.preferred_channel,
        source_channel: b.source_channel,
        diet: b.diet,
        allergies: b.allergies,
        accessibility: b.accessibility,
        tags: b.tags.unwrap_or_default(),
        notes: b.notes,
        consents: b
            .consents
            .unwrap_or_default()
            .into_iter()
            .map(Into::into)
            .collect(),
    };
    let created = state.app.create_customer(&p, input).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedCustomerView {
            customer: CustomerView::of_detail(&state, &created.detail),
            possible_duplicates: created.duplicates,
        }),
    ))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct IdPath {
    id: Uuid,
}

/// One customer, masked, with consent history.
#[utoipa::path(get, path = "/api/v1/customers/{id}", tag = "customers", params(IdPath),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The customer (masked)", body = CustomerView)))]
async fn get_customer(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<IdPath>,
) -> Result<Json<CustomerView>, ApiError> {
    let d = state.app.get_customer(&p, path.id).await?;
    Ok(Json(CustomerView::of_detail(&state, &d)))
}

/// Changes to a customer; absent fields stay, `null` clears.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCustomer {
    name: Option<String>,
    #[serde(default, deserialize_with = "crate::api::nullable")]
    #[schema(value_type = Option<String>)]
    birth_date: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::api::nullable")]
    #[schema(value_type = Option<String>)]
    preferred_language: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::api::nullable")]
    #[schema(value_type = Option<String>)]
    preferred_channel: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::api::nullable")]
    #[schema(value_type = Option<String>)]
    source_channel: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::api::nullable")]
    #[schema(value_type = Option<String>)]
    diet: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::api::nullable")]
    #[schema(value_type = Option<String>)]
    allergies: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::api::nullable")]
    #[schema(value_type = Option<String>)]
    accessibility: Option<Option<String>>,
    tags: Option<Vec<String>>,
    #[serde(default, deserialize_with = "crate::api::nullable")]
    #[schema(value_type = Option<String>)]
    notes: Option<Option<String>>,
    add_phones: Option<Vec<String>>,
    add_emails: Option<Vec<String>>,
    add_documents: Option<Vec<DocumentBody>>,
    /// Replaces the WeChat id.
    wechat: Option<String>,
    /// Ids of identifiers to delete.
    remove_identifiers: Option<Vec<Uuid>>,
}

/// Updates a customer (needs `edit_customers`). Audited with the names of changed fields.
#[utoipa::path(patch, path = "/api/v1/customers/{id}", tag = "customers", params(IdPath), request_body = UpdateCustomer,
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The updated customer (masked)", body = CustomerView)))]
async fn update_customer(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<IdPath>,
    ApiJson(b): ApiJson<UpdateCustomer>,
) -> Result<Json<CustomerView>, ApiError> {
    let changes = CustomerChanges {
        name: b.name,
        birth_date: b.birth_date,
        preferred_language: b.preferred_language,
        preferred_channel: b.preferred_channel,
        source_channel: b.source_channel,
        diet: b.diet,
        allergies: b.allergies,
        accessibility: b.accessibility,
        tags: b.tags,
        notes: b.notes,
        add_phones: labeled(None, "", b.add_phones, "add_phones"),
        add_emails: labeled(None, "", b.add_emails, "add_emails"),
        add_documents: documents(None, b.add_documents, "add_documents"),
        set_wechat: b.wechat.map(|w| Labeled::new("wechat", w)),
        remove_identifiers: b.remove_identifiers.unwrap_or_default(),
    };
    let d = state.app.update_customer(&p, path.id, changes).await?;
    Ok(Json(CustomerView::of_detail(&state, &d)))
}

/// Which value to reveal, and why.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevealBody {
    /// An identifier kind (`phone`, `email`, `wechat`, `resident_id`, `passport`,
    /// `hk_macao_permit`, `taiwan_permit`) or `birth_date`, `diet`, `allergies`, `accessibility`.
    #[schema(example = "phone")]
    field: String,
    /// Picks one identifier of that kind (default: the primary one).
    identifier_id: Option<Uuid>,
    /// Why you need to see it; recorded in the audit log.
    #[schema(min_length = 2, max_length = 500, example = "回访确认行程")]
    reason: String,
}

/// A revealed value.
#[derive(Serialize, ToSchema)]
pub struct RevealedView {
    field: String,
    identifier_id: Option<Uuid>,
    value: String,
}

/// Shows one sensitive value in plaintext (needs `reveal_sensitive`); the reveal is written to
/// the audit log with who, what and why before the value is returned.
#[utoipa::path(post, path = "/api/v1/customers/{id}/reveal", tag = "customers", params(IdPath), request_body = RevealBody,
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The plaintext value", body = RevealedView)))]
async fn reveal(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<IdPath>,
    ApiJson(b): ApiJson<RevealBody>,
) -> Result<Response, ApiError> {
    let r = state
        .app
        .reveal_customer_field(&p, path.id, &b.field, b.identifier_id, &b.reason)
        .await?;
    Ok((
        [(header::CACHE_CONTROL, "no-store")],
        Json(RevealedView {
            field: r.field,
            identifier_id: r.identifier_id,
            value: r.value.expose_secret().clone(),
        }),
    )
        .into_response())
}

/// Records a consent given or withdrawn (needs `edit_customers`).
#[utoipa::path(post, path = "/api/v1/customers/{id}/consents", tag = "customers", params(IdPath), request_body = ConsentBody,
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 201, description = "Recorded", body = ConsentView)))]
async fn add_consent(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<IdPath>,
    ApiJson(b): ApiJson<ConsentBody>,
) -> Result<(StatusCode, Json<ConsentView>), ApiError> {
    let c = state.app.record_consent(&p, path.id, b.into()).await?;
    Ok((StatusCode::CREATED, Json(ConsentView::of(&state, &c))))
}

/// A possible duplicate.
#[derive(Serialize, ToSchema)]
pub struct DuplicateView {
    customer: CustomerView,
    /// Identifier kinds both records hold.
    shared: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct DuplicateList {
    items: Vec<DuplicateView>,
}

/// Other active customers sharing a phone, email, WeChat id or document with this one.
#[utoipa::path(get, path = "/api/v1/customers/{id}/duplicates", tag = "customers", params(IdPath),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Possible duplicates (masked)", body = DuplicateList)))]
async fn duplicates(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<IdPath>,
) -> Result<Json<DuplicateList>, ApiError> {
    let d = state.app.customer_duplicates(&p, path.id).await?;
    Ok(Json(DuplicateList {
        items: d
            .iter()
            .map(|c| DuplicateView {
                customer: CustomerView::of_item(&state, &c.item),
                shared: c.shared.clone(),
            })
            .collect(),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeBody {
    /// The record to merge into this one; it stays as a pointer to this one.
    duplicate_id: Uuid,
}

/// Merges another record into this one (needs `edit_customers`; audited on both).
#[utoipa::path(post, path = "/api/v1/customers/{id}/merge", tag = "customers", params(IdPath), request_body = MergeBody,
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The merged customer (masked)", body = CustomerView)))]
async fn merge(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<IdPath>,
    ApiJson(b): ApiJson<MergeBody>,
) -> Result<Json<CustomerView>, ApiError> {
    let d = state
        .app
        .merge_customers(&p, path.id, b.duplicate_id)
        .await?;
    Ok(Json(CustomerView::of_detail(&state, &d)))
}

/// PIPL right to a copy (needs `reveal_sensitive`): everything held about the customer, in
/// plaintext, with the processing history. Audited.
#[utoipa::path(post, path = "/api/v1/customers/{id}/pipl-export", tag = "customers", params(IdPath),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The customer's data (JSON)", body = Object)))]
async fn pipl_export(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<IdPath>,
) -> Result<Response, ApiError> {
    let data = state.app.export_customer_data(&p, path.id).await?;
    Ok(pipl_download(path.id, &data))
}

/// The JSON copy as a download.
pub fn pipl_download(id: Uuid, data: &serde_json::Value) -> Response {
    (
        [
            (header::CACHE_CONTROL, "no-store".to_string()),
            (header::CONTENT_TYPE, "application/json".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"customer-{id}.json\""),
            ),
        ],
        serde_json::to_string_pretty(data).unwrap_or_default(),
    )
        .into_response()
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EraseBody {
    /// Why (e.g. the reference of the customer's request); recorded in the audit log.
    #[schema(min_length = 2, max_length = 500)]
    reason: String,
}

/// PIPL erasure (needs `reveal_sensitive`): personal data removed, the record kept anonymous
/// for statistics, the audit chain untouched.
#[utoipa::path(post, path = "/api/v1/customers/{id}/erase", tag = "customers", params(IdPath), request_body = EraseBody,
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The anonymised record", body = CustomerView)))]
async fn erase(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<IdPath>,
    ApiJson(b): ApiJson<EraseBody>,
) -> Result<Json<CustomerView>, ApiError> {
    state.app.erase_customer(&p, path.id, &b.reason).await?;
    let d = state.app.get_customer(&p, path.id).await?;
    Ok(Json(CustomerView::of_detail(&state, &d)))
}
