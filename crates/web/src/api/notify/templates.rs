//! Message templates per event and language, versioned, with previews.

use crate::api::rfc3339;
use crate::extract::{ApiJson, ApiPath, Auth};
use crate::problem::ApiError;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use tripdesk_app::notify::TemplateInput;
use tripdesk_store::Template;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_templates, save_template))
        .routes(routes!(template_versions, delete_template))
        .routes(routes!(preview_template))
        .routes(routes!(preview_draft))
}

/// A version of a template.
#[derive(Serialize, ToSchema)]
pub struct TemplateView {
    key: String,
    locale: String,
    version: i64,
    description: String,
    subject: String,
    body_text: String,
    body_html: Option<String>,
    created_by: Option<Uuid>,
    created_at: String,
}

impl TemplateView {
    fn of(state: &AppState, t: &Template) -> Self {
        Self {
            key: t.key.clone(),
            locale: t.locale.clone(),
            version: t.version,
            description: t.description.clone(),
            subject: t.subject.clone(),
            body_text: t.body_text.clone(),
            body_html: t.body_html.clone(),
            created_by: t.created_by,
            created_at: rfc3339(state, t.created_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct TemplateList {
    items: Vec<TemplateView>,
}

/// The newest version of every template (needs `send_messages`).
#[utoipa::path(get, path = "/api/v1/templates", tag = "templates",
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Templates", body = TemplateList)))]
async fn list_templates(
    State(state): State<AppState>,
    Auth(p): Auth,
) -> Result<Json<TemplateList>, ApiError> {
    let items = state.app.list_templates(&p).await?;
    Ok(Json(TemplateList {
        items: items.iter().map(|t| TemplateView::of(&state, t)).collect(),
    }))
}

/// A template as submitted. Placeholders are `{{ name }}`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateBody {
    /// The event, e.g. `booking.confirmed`.
    #[schema(pattern = "^[a-z][a-z0-9._]{0,79}$")]
    key: String,
    /// `zh-CN` or `en`.
    locale: String,
    description: Option<String>,
    #[schema(min_length = 1, max_length = 300)]
    subject: String,
    #[schema(min_length = 1)]
    body_text: String,
    body_html: Option<String>,
}

impl From<TemplateBody> for TemplateInput {
    fn from(b: TemplateBody) -> Self {
        TemplateInput {
            key: b.key,
            locale: b.locale,
            description: b.description.unwrap_or_default(),
            subject: b.subject,
            body_text: b.body_text,
            body_html: b.body_html,
        }
    }
}

/// Saves a template: version 1, or the next version of an existing one (needs
/// `manage_notifications`). Messages keep the version they were rendered with.
#[utoipa::path(post, path = "/api/v1/templates", tag = "templates", request_body = TemplateBody,
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 201, description = "Saved", body = TemplateView)))]
async fn save_template(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiJson(b): ApiJson<TemplateBody>,
) -> Result<(StatusCode, Json<TemplateView>), ApiError> {
    let t = state.app.save_template(&p, b.into()).await?;
    Ok((StatusCode::CREATED, Json(TemplateView::of(&state, &t))))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct TemplatePath {
    key: String,
    locale: String,
}

/// Every version of a template, newest first.
#[utoipa::path(get, path = "/api/v1/templates/{key}/{locale}", tag = "templates", params(TemplatePath),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Versions", body = TemplateList)))]
async fn template_versions(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<TemplatePath>,
) -> Result<Json<TemplateList>, ApiError> {
    let items = state
        .app
        .template_versions(&p, &path.key, &path.locale)
        .await?;
    Ok(Json(TemplateList {
        items: items.iter().map(|t| TemplateView::of(&state, t)).collect(),
    }))
}

/// Deletes every version of a template (needs `manage_notifications`); messages already
/// rendered keep their text.
#[utoipa::path(delete, path = "/api/v1/templates/{key}/{locale}", tag = "templates", params(TemplatePath),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 204, description = "Deleted")))]
async fn delete_template(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<TemplatePath>,
) -> Result<StatusCode, ApiError> {
    state
        .app
        .delete_template(&p, &path.key, &path.locale)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Values for a preview; variables left out show as «name».
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewBody {
    /// A stored version (default: the newest).
    version: Option<i64>,
    #[serde(default)]
    vars: BTreeMap<String, String>,
}

/// A template filled in.
#[derive(Serialize, ToSchema)]
pub struct PreviewView {
    version: Option<i64>,
    subject: String,
    body_text: String,
    body_html: Option<String>,
    /// The variables the template uses.
    variables: Vec<String>,
}

/// Renders a stored template with the given values.
#[utoipa::path(post, path = "/api/v1/templates/{key}/{locale}/preview", tag = "templates", params(TemplatePath), request_body = PreviewBody,
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Rendered", body = PreviewView)))]
async fn preview_template(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiPath(path): ApiPath<TemplatePath>,
    ApiJson(b): ApiJson<PreviewBody>,
) -> Result<Json<PreviewView>, ApiError> {
    let (t, r) = state
        .app
        .preview_template(&p, &path.key, &path.locale, b.version, b.vars)
        .await?;
    Ok(Json(PreviewView {
        version: Some(t.version),
        subject: r.subject,
        body_text: r.body_text,
        body_html: r.body_html,
        variables: r.variables,
    }))
}

/// An unsaved template and values to render it with.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftPreviewBody {
    template: TemplateBody,
    #[serde(default)]
    vars: BTreeMap<String, String>,
}

/// Renders an unsaved template (the editor's preview).
#[utoipa::path(post, path = "/api/v1/template-preview", tag = "templates", request_body = DraftPreviewBody,
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Rendered", body = PreviewView)))]
async fn preview_draft(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiJson(b): ApiJson<DraftPreviewBody>,
) -> Result<Json<PreviewView>, ApiError> {
    let r = state.app.preview_input(&p, &b.template.into(), b.vars)?;
    Ok(Json(PreviewView {
        version: None,
        subject: r.subject,
        body_text: r.body_text,
        body_html: r.body_html,
        variables: r.variables,
    }))
}
