//! Customers in bulk: CSV/XLSX import (checked first, committed on request) and the masked
//! export.

use crate::extract::{ApiQuery, Auth};
use crate::problem::ApiError;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use tripdesk_app::customers::CustomerSearch;
use tripdesk_app::import::ImportReport;
use tripdesk_sheets::Format;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(export_customers))
        .routes(routes!(import_customers))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// Only report (default true): nothing is written.
    dry_run: Option<bool>,
    /// `csv` or `xlsx` (default: from the content).
    #[param(pattern = "^(csv|xlsx)$")]
    format: Option<String>,
}

/// A rejected cell.
#[derive(Serialize, ToSchema)]
pub struct RejectedRowView {
    row: u64,
    field: String,
    code: String,
    message: String,
}

/// A row sharing identifiers with existing customers or earlier rows.
#[derive(Serialize, ToSchema)]
pub struct DuplicateRowView {
    row: u64,
    existing_customers: Vec<Uuid>,
    earlier_rows: Vec<u64>,
}

/// What an import did or would do.
#[derive(Serialize, ToSchema)]
pub struct ImportReportView {
    format: String,
    rows: usize,
    valid_rows: usize,
    rejected: Vec<RejectedRowView>,
    possible_duplicates: Vec<DuplicateRowView>,
    dry_run: bool,
    /// True only when every row was valid and it was not a dry run.
    committed: bool,
    created: Vec<Uuid>,
}

impl From<ImportReport> for ImportReportView {
    fn from(r: ImportReport) -> Self {
        Self {
            format: r.format.into(),
            rows: r.rows,
            valid_rows: r.valid_rows,
            rejected: r
                .rejected
                .into_iter()
                .map(|x| RejectedRowView {
                    row: x.row,
                    field: x.field,
                    code: x.code,
                    message: x.message,
                })
                .collect(),
            possible_duplicates: r
                .possible_duplicates
                .into_iter()
                .map(|d| DuplicateRowView {
                    row: d.row,
                    existing_customers: d.existing_customers,
                    earlier_rows: d.earlier_rows,
                })
                .collect(),
            dry_run: r.dry_run,
            committed: r.committed,
            created: r.created,
        }
    }
}

/// Imports customers from a CSV or XLSX body (needs `edit_customers`). Columns: `name` (姓名),
/// `phone`, `email`, `wechat`, `resident_id`, `passport`, `hk_macao_permit`,
/// `taiwan_permit`, `birth_date`, `preferred_language`, `preferred_channel`,
/// `source_channel`, `diet`, `allergies`, `accessibility`, `tags` (`;`-separated), `notes`,
/// `marketing_consent` + `consent_text_version`. Dry run by default; a file with any rejected
/// row imports nothing.
#[utoipa::path(post, path = "/api/v1/customers/import", tag = "customers", params(ImportQuery),
    request_body(content = Vec<u8>, content_type = "text/csv", description = "CSV (UTF-8) or XLSX file"),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The report", body = ImportReportView)))]
async fn import_customers(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<ImportQuery>,
    body: Bytes,
) -> Result<Json<ImportReportView>, ApiError> {
    let format = match q.format.as_deref() {
        None => None,
        Some(f) => Some(
            Format::parse(f)
                .ok_or_else(|| ApiError::bad_request("format", "format must be csv or xlsx"))?,
        ),
    };
    let report = state
        .app
        .import_customers(&p, &body, format, q.dry_run.unwrap_or(true))
        .await?;
    Ok(Json(report.into()))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `csv` (default) or `xlsx`.
    #[param(pattern = "^(csv|xlsx)$")]
    format: Option<String>,
    /// Export plaintext instead of masked values (needs `reveal_sensitive`); the reason is
    /// recorded in the audit log.
    reveal_reason: Option<String>,
    phone: Option<String>,
    resident_id: Option<String>,
    q: Option<String>,
    tag: Option<String>,
}

/// Exports the customers matching the filters as CSV or XLSX, masked unless revealed.
#[utoipa::path(get, path = "/api/v1/customers/export", tag = "customers", params(ExportQuery),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The file: CSV, or XLSX with `format=xlsx`", content(
        (Vec<u8> = "text/csv"),
        (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))))]
async fn export_customers(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> Result<Response, ApiError> {
    let format = match q.format.as_deref() {
        None => Format::Csv,
        Some(f) => Format::parse(f)
            .ok_or_else(|| ApiError::bad_request("format", "format must be csv or xlsx"))?,
    };
    let search = CustomerSearch {
        phone: q.phone,
        resident_id: q.resident_id,
        name: q.q,
        tag: q.tag,
        limit: 500,
        ..Default::default()
    };
    let bytes = state
        .app
        .export_customers(&p, &search, format, q.reveal_reason.as_deref())
        .await?;
    Ok(file_download(format, bytes))
}

/// A CSV or XLSX download.
pub fn file_download(format: Format, bytes: Vec<u8>) -> Response {
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        format.content_type().parse().expect("static"),
    );
    headers.insert(header::CACHE_CONTROL, "no-store".parse().expect("static"));
    headers.insert(
        header::CONTENT_DISPOSITION,
        format!("attachment; filename=\"customers.{}\"", format.extension())
            .parse()
            .expect("ascii"),
    );
    (headers, bytes).into_response()
}
