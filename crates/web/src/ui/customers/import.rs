//! Customer import (pasted CSV: checked first, then written) and the masked export of the
//! list as CSV or XLSX.

use super::search_of;
use crate::api::customers::import::file_download;
use crate::i18n::Tr;
use crate::ui::session::{UiForm, UiUser};
use crate::ui::{error_page, form_errors, render, see_other_with, Chrome, Flash, FormError};
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use tripdesk_app::import::ImportReport;
use tripdesk_app::AppError;
use tripdesk_domain::identity::Permission;
use tripdesk_sheets::Format;

#[derive(Template)]
#[template(path = "customers/import.html")]
struct ImportPage {
    c: Chrome,
    csv: String,
    report: Option<ImportReport>,
    errors: Vec<FormError>,
    columns: String,
}

/// The import's columns, each with the Chinese header also accepted for it.
fn import_columns(t: Tr) -> String {
    let columns: Vec<String> = tripdesk_app::import::IMPORT_COLUMNS
        .iter()
        .map(|(en, zh)| t.aside(en, zh.first().copied().unwrap_or("")))
        .collect();
    t.list(&columns.iter().map(String::as_str).collect::<Vec<_>>())
}

pub async fn import_form(State(state): State<AppState>, user: UiUser) -> Response {
    if let Err(e) = user.principal.require(Permission::EditCustomers) {
        return error_page(&state, &user, "customers", e);
    }
    render(
        StatusCode::OK,
        &ImportPage {
            c: Chrome::new(&state, &user, "customers"),
            csv: "姓名,手机,身份证号,标签\n".into(),
            report: None,
            errors: Vec::new(),
            columns: import_columns(Tr(user.lang)),
        },
    )
}

pub async fn import_submit(
    State(state): State<AppState>,
    UiForm { user, form }: UiForm,
) -> Response {
    let csv = form.get("csv").to_string();
    let dry_run = form.get("commit") != "yes";
    let (report, errors) = match state
        .app
        .import_customers(&user.principal, csv.as_bytes(), Some(Format::Csv), dry_run)
        .await
    {
        // Written: post/redirect/get, the count in the flash (a reload imports nothing again).
        Ok(r) if r.committed => {
            let done = Tr(user.lang)
                .s("customer.flash.imported")
                .replace("{n}", &r.created.len().to_string());
            return see_other_with(&state, &user, "/customers", Flash::done(done));
        }
        // A check, or rows refused (nothing written): the report beside the form as typed.
        Ok(r) => (Some(r), Vec::new()),
        Err(AppError::Validation(fields)) => (None, form_errors(Tr(user.lang), fields)),
        Err(e) => return error_page(&state, &user, "customers", e),
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render(
        status,
        &ImportPage {
            c: Chrome::new(&state, &user, "customers"),
            csv,
            report,
            errors,
            columns: import_columns(Tr(user.lang)),
        },
    )
}

#[derive(Deserialize)]
pub struct ExportQuery {
    format: Option<String>,
    q: Option<String>,
}

/// The list as CSV or XLSX, always masked from the UI (plaintext exports go through the API
/// with a reason).
pub async fn export(
    State(state): State<AppState>,
    user: UiUser,
    Query(q): Query<ExportQuery>,
) -> Response {
    let format = q
        .format
        .as_deref()
        .and_then(Format::parse)
        .unwrap_or(Format::Csv);
    let search = search_of(q.q.as_deref().unwrap_or(""), 0);
    match state
        .app
        .export_customers(&user.principal, &search, format, None)
        .await
    {
        Ok(bytes) => file_download(format, bytes),
        Err(e) => error_page(&state, &user, "customers", e),
    }
}
