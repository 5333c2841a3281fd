//! Customers in and out of spreadsheets. Import reads a CSV or XLSX file, validates every row
//! with the same rules as the API, and either reports (dry run) or imports all rows in one
//! transaction — a file with any rejected row imports nothing. Export writes the customers a
//! search finds, masked unless the exporter holds `reveal_sensitive` and asks for plaintext
//! with a reason; every export is audited.

use crate::customers::{
    identifier_field, ConsentInput, CustomerSearch, DocumentInput, Labeled, NewCustomer,
};
use crate::{App, AppError, Principal};
use serde::Serialize;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};
use tripdesk_domain::audit::AuditAction;
use tripdesk_domain::customer::mask_name;
use tripdesk_domain::identity::Permission;
use tripdesk_sheets::{Format, SheetError};
use uuid::Uuid;

/// Most rows one file may hold.
pub const MAX_IMPORT_ROWS: usize = 5000;
/// Most rows one export writes.
pub const MAX_EXPORT_ROWS: u32 = 10_000;

/// The columns an import understands: the English name and the Chinese headers accepted for it.
pub const IMPORT_COLUMNS: &[(&str, &[&str])] = &[
    ("name", &["姓名", "名字", "客户姓名"]),
    ("phone", &["手机", "手机号", "电话", "联系电话", "mobile"]),
    ("email", &["邮箱", "电子邮箱", "e-mail"]),
    ("wechat", &["微信", "微信号"]),
    ("resident_id", &["身份证", "身份证号", "身份证号码"]),
    ("passport", &["护照", "护照号"]),
    ("hk_macao_permit", &["港澳通行证"]),
    ("taiwan_permit", &["台湾通行证", "台胞证"]),
    ("birth_date", &["出生日期", "生日"]),
    ("preferred_language", &["语言", "首选语言"]),
    ("preferred_channel", &["首选联系方式"]),
    ("source_channel", &["来源", "来源渠道"]),
    ("diet", &["饮食", "饮食需求"]),
    ("allergies", &["过敏", "过敏史"]),
    ("accessibility", &["无障碍需求"]),
    ("tags", &["标签"]),
    ("notes", &["备注"]),
    ("marketing_consent", &["营销授权"]),
    ("consent_text_version", &["授权文本版本"]),
];

/// One rejected cell of an import.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RejectedRow {
    /// Row in the file, 1-based, the header being row 1.
    pub row: u64,
    /// The column (English name) at fault.
    pub field: String,
    pub code: String,
    pub message: String,
}

/// A row that shares a phone, email, WeChat id or document with existing customers or with
/// earlier rows of the same file. Imported all the same; merge afterwards if it is one person.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DuplicateRow {
    pub row: u64,
    pub existing_customers: Vec<Uuid>,
    pub earlier_rows: Vec<u64>,
}

/// What an import did or would do.
#[derive(Debug, Clone, Serialize)]
pub struct ImportReport {
    pub format: &'static str,
    pub rows: usize,
    pub valid_rows: usize,
    pub rejected: Vec<RejectedRow>,
    pub possible_duplicates: Vec<DuplicateRow>,
    pub dry_run: bool,
    /// True only when every row was valid and the import was not a dry run.
    pub committed: bool,
    pub created: Vec<Uuid>,
}

fn sheet_error(e: SheetError) -> AppError {
    AppError::field("file", "unreadable", e.to_string())
}

fn canonical_column(header: &str) -> Option<&'static str> {
    let h = header.trim().trim_start_matches('\u{feff}').to_lowercase();
    IMPORT_COLUMNS
        .iter()
        .find(|(en, zh)| *en == h || zh.iter().any(|z| *z == h))
        .map(|(en, _)| *en)
}

fn yes_no(value: &str) -> Option<bool> {
    match value.trim().to_lowercase().as_str() {
        "yes" | "y" | "true" | "1" | "是" | "同意" => Some(true),
        "no" | "n" | "false" | "0" | "否" | "不同意" => Some(false),
        _ => None,
    }
}

impl App {
    /// Imports customers from a CSV or XLSX file (needs `edit_customers`). With `dry_run`, or
    /// when any row is rejected, nothing is written and the report says why.
    pub async fn import_customers(
        &self,
        principal: &Principal,
        bytes: &[u8],
        format: Option<Format>,
        dry_run: bool,
    ) -> Result<ImportReport, AppError> {
        principal.require(Permission::EditCustomers)?;
        let vault = self.vault()?;
        let format = format.unwrap_or_else(|| Format::sniff(bytes));
        let table =
            tripdesk_sheets::read_table(bytes, format, MAX_IMPORT_ROWS).map_err(sheet_error)?;
        let mut columns = Vec::new();
        for (i, h) in table.headers.iter().enumerate() {
            let Some(col) = canonical_column(h) else {
                let shown: String = h.chars().take(40).collect();
                return Err(AppError::field(
                    "file",
                    "unknown_column",
                    format!(
                        "column {} ({shown:?}) is not one of: {}",
                        i + 1,
                        IMPORT_COLUMNS
                            .iter()
                            .map(|(c, _)| *c)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            };
            if columns.contains(&col) {
                return Err(AppError::field(
                    "file",
                    "duplicate_column",
                    format!("column {col} appears twice"),
                ));
            }
            columns.push(col);
        }
        if !columns.contains(&"name") {
            return Err(AppError::field(
                "file",
                "missing_column",
                "the file needs a name (姓名) column",
            ));
        }

        let mut report = ImportReport {
            format: format.extension(),
            rows: table.rows.len(),
            valid_rows: 0,
            rejected: Vec::new(),
            possible_duplicates: Vec::new(),
            dry_run,
            committed: false,
            created: Vec::new(),
        };
        let mut prepared = Vec::new();
        let mut seen: BTreeMap<(String, String), Vec<u64>> = BTreeMap::new();
        let mut tx = self.store.read().await?;
        for (row, &row_no) in table.rows.iter().zip(&table.row_numbers) {
            let cell = |name: &str| -> Option<String> {
                columns
                    .iter()
                    .position(|c| *c == name)
                    .and_then(|i| row.get(i))
                    .map(|v| v.trim().to_string())
                    .filter(|v| !v.is_empty())
            };
            let mut input = NewCustomer {
                name: cell("name").unwrap_or_default(),
                phones: cell("phone")
                    .map(|v| Labeled::new("phone", v))
                    .into_iter()
                    .collect(),
                emails: cell("email")
                    .map(|v| Labeled::new("email", v))
                    .into_iter()
                    .collect(),
                wechat: cell("wechat").map(|v| Labeled::new("wechat", v)),
                birth_date: cell("birth_date"),
                preferred_language: cell("preferred_language"),
                preferred_channel: cell("preferred_channel"),
                source_channel: cell("source_channel").or_else(|| Some("import".into())),
                diet: cell("diet"),
                allergies: cell("allergies"),
                accessibility: cell("accessibility"),
                tags: cell("tags")
                    .map(|t| {
                        t.split([';', '；', '、', '|', '，'])
                            .map(|s| s.trim().to_string())
                            .filter(|s| !s.is_empty())
                            .collect()
                    })
                    .unwrap_or_default(),
                notes: cell("notes"),
                ..Default::default()
            };
            for kind in [
                "resident_id",
                "passport",
                "hk_macao_permit",
                "taiwan_permit",
            ] {
                if let Some(number) = cell(kind) {
                    input.documents.push(DocumentInput {
                        field: kind.into(),
                        kind: kind.into(),
                        number,
                    });
                }
            }
            let mut row_errors = Vec::new();
            if let Some(consent) = cell("marketing_consent") {
                match (yes_no(&consent), cell("consent_text_version")) {
                    (Some(granted), Some(version)) => input.consents.push(ConsentInput {
                        purpose: "marketing".into(),
                        granted,
                        channel: "import".into(),
                        text_version: version,
                    }),
                    (None, _) => row_errors.push(RejectedRow {
                        row: row_no,
                        field: "marketing_consent".into(),
                        code: "invalid".into(),
                        message: "marketing_consent must be yes/no (是/否)".into(),
                    }),
                    (Some(_), None) => row_errors.push(RejectedRow {
                        row: row_no,
                        field: "consent_text_version".into(),
                        code: "required".into(),
                        message: "a consent needs the version of the text the customer agreed to"
                            .into(),
                    }),
                }
            }
            match self.prepare_customer(&input) {
                Ok(p) if row_errors.is_empty() => {
                    let mut existing = BTreeSet::new();
                    let mut earlier = BTreeSet::new();
                    for ident in &p.identifiers {
                        let index = vault.blind_index(ident.kind, &ident.lookup);
                        for c in tx.find_customers_by_identifier(ident.kind, &index).await? {
                            existing.insert(c);
                        }
                        let rows = seen.entry((ident.kind.to_string(), index)).or_default();
                        earlier.extend(rows.iter().copied());
                        rows.push(row_no);
                    }
                    if !existing.is_empty() || !earlier.is_empty() {
                        report.possible_duplicates.push(DuplicateRow {
                            row: row_no,
                            existing_customers: existing.into_iter().collect(),
                            earlier_rows: earlier.into_iter().collect(),
                        });
                    }
                    report.valid_rows += 1;
                    prepared.push(p);
                }
                Ok(_) => report.rejected.extend(row_errors),
                Err(fields) => {
                    report.rejected.extend(row_errors);
                    report
                        .rejected
                        .extend(fields.into_iter().map(|f| RejectedRow {
                            row: row_no,
                            field: f.field,
                            code: f.code,
                            message: f.message,
                        }));
                }
            }
        }
        drop(tx);
        if dry_run || !report.rejected.is_empty() {
            return Ok(report);
        }
        let mut tx = self.store.write().await?;
        for p in prepared {
            let created = self
                .insert_prepared(&mut *tx, principal, p, AuditAction::CustomerImport)
                .await?;
            report.created.push(created.detail.customer.id);
        }
        self.audit(
            &mut *tx,
            principal,
            AuditAction::CustomerImportFile,
            "customer",
            None,
            json!({ "format": report.format, "rows": report.rows, "created": report.created.len() }),
        )
        .await?;
        tx.commit().await?;
        report.committed = true;
        Ok(report)
    }

    /// Writes the customers `search` finds as CSV or XLSX (needs `view_customers`). Values are
    /// masked; with `reveal_reason` (needs `reveal_sensitive`) names and primary identifiers
    /// are written in plaintext. Audited either way.
    pub async fn export_customers(
        &self,
        principal: &Principal,
        search: &CustomerSearch,
        format: Format,
        reveal_reason: Option<&str>,
    ) -> Result<Vec<u8>, AppError> {
        principal.require(Permission::ViewCustomers)?;
        let reveal = match reveal_reason.map(str::trim) {
            None => None,
            Some(r) => {
                principal.require(Permission::RevealSensitive)?;
                if !(2..=500).contains(&r.chars().count()) {
                    return Err(AppError::field(
                        "reason",
                        "length",
                        "give the reason for exporting plaintext (2 to 500 characters)",
                    ));
                }
                Some(r.to_string())
            }
        };
        let vault = if reveal.is_some() {
            Some(self.vault()?)
        } else {
            None
        };
        let mut rows = Vec::new();
        let mut offset = 0;
        loop {
            let page = self
                .search_customers(
                    principal,
                    &CustomerSearch {
                        limit: 500,
                        offset,
                        ..search.clone()
                    },
                )
                .await?;
            let n = page.items.len() as u32;
            for item in page.items {
                let c = &item.customer;
                let mut row = vec![
                    c.id.to_string(),
                    if vault.is_some() {
                        c.name.clone()
                    } else {
                        mask_name(&c.name)
                    },
                ];
                for kind in ["phone", "email", "wechat", "resident_id", "passport"] {
                    let ident = item
                        .identifiers
                        .iter()
                        .find(|i| i.kind == kind && i.is_primary)
                        .or_else(|| item.identifiers.iter().find(|i| i.kind == kind));
                    row.push(match (ident, vault) {
                        (None, _) => String::new(),
                        (Some(i), None) => i.masked.clone(),
                        (Some(i), Some(v)) => v
                            .decrypt(&identifier_field(kind), &i.id.to_string(), &i.sealed)
                            .map_err(|e| {
                                AppError::Internal(format!("cannot open identifier {}: {e}", i.id))
                            })?
                            .expose_secret()
                            .clone(),
                    });
                }
                row.push(c.tags.join(";"));
                row.push(c.source_channel.clone().unwrap_or_default());
                row.push(c.created_at.to_string());
                rows.push(row);
            }
            offset += n;
            if n < 500 || offset >= MAX_EXPORT_ROWS {
                break;
            }
        }
        let headers = [
            "id",
            "name",
            "phone",
            "email",
            "wechat",
            "resident_id",
            "passport",
            "tags",
            "source_channel",
            "created_at",
        ];
        let bytes = match format {
            Format::Csv => tripdesk_sheets::write_csv(&headers, &rows),
            Format::Xlsx => tripdesk_sheets::write_xlsx("customers", &headers, &rows)
                .map_err(|e| AppError::Internal(e.to_string()))?,
        };
        let mut tx = self.store.write().await?;
        self.audit(
            &mut *tx,
            principal,
            AuditAction::CustomerExportList,
            "customer",
            None,
            json!({
                "format": format.extension(),
                "rows": rows.len(),
                "revealed": reveal.is_some(),
                "reason": reveal,
            }),
        )
        .await?;
        tx.commit().await?;
        Ok(bytes)
    }
}
