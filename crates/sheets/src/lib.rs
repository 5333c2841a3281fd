//! Tables in and out of tripdesk. Uploads (CSV or XLSX) become a header row and data rows of
//! trimmed text; downloads are written from the same shape. Nothing here knows what the
//! columns mean: the use cases do.
//!
//! Error messages name rows and columns, never cell contents (cells hold personal data).

use std::io::Cursor;

/// The two formats tripdesk reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

impl Format {
    /// `csv` / `xlsx`.
    pub fn parse(name: &str) -> Option<Format> {
        match name.trim().to_ascii_lowercase().as_str() {
            "csv" => Some(Format::Csv),
            "xlsx" => Some(Format::Xlsx),
            _ => None,
        }
    }

    /// Guesses from the bytes: an XLSX file is a ZIP archive (`PK\x03\x04`), anything else
    /// is read as CSV.
    pub fn sniff(bytes: &[u8]) -> Format {
        if bytes.starts_with(b"PK\x03\x04") {
            Format::Xlsx
        } else {
            Format::Csv
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SheetError {
    #[error("the file is empty or has no header row")]
    Empty,
    #[error("the CSV file could not be read at row {row}: it is not valid UTF-8 CSV")]
    Csv { row: u64 },
    #[error("the XLSX file could not be read: {0}")]
    Xlsx(String),
    #[error("the file has more than {max} rows")]
    TooManyRows { max: usize },
    #[error("writing the XLSX file failed: {0}")]
    Write(String),
}

/// A table read from an upload: the header row and the data rows (blank rows dropped), each
/// cell trimmed. `row_numbers[i]` is the 1-based row of `rows[i]` in the file (the header
/// is row 1), for reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
    pub row_numbers: Vec<u64>,
}

/// Reads a CSV or XLSX upload (the first worksheet), refusing more than `max_rows` data rows.
pub fn read_table(bytes: &[u8], format: Format, max_rows: usize) -> Result<Table, SheetError> {
    let raw = match format {
        Format::Csv => read_csv(bytes, max_rows)?,
        Format::Xlsx => read_xlsx(bytes, max_rows)?,
    };
    let mut iter = raw.into_iter();
    let headers: Vec<String> = iter.next().ok_or(SheetError::Empty)?;
    if headers.iter().all(String::is_empty) {
        return Err(SheetError::Empty);
    }
    let mut table = Table {
        headers,
        rows: Vec::new(),
        row_numbers: Vec::new(),
    };
    for (i, row) in iter.enumerate() {
        if row.iter().all(String::is_empty) {
            continue;
        }
        table.rows.push(row);
        table.row_numbers.push(i as u64 + 2);
    }
    if table.rows.len() > max_rows {
        return Err(SheetError::TooManyRows { max: max_rows });
    }
    Ok(table)
}

fn read_csv(bytes: &[u8], max_rows: usize) -> Result<Vec<Vec<String>>, SheetError> {
    // Excel writes a UTF-8 byte-order mark; it is not part of the first header.
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut out = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|_| SheetError::Csv { row: i as u64 + 1 })?;
        out.push(record.iter().map(|c| c.trim().to_string()).collect());
        if out.len() > max_rows + 1 {
            return Err(SheetError::TooManyRows { max: max_rows });
        }
    }
    Ok(out)
}

fn read_xlsx(bytes: &[u8], max_rows: usize) -> Result<Vec<Vec<String>>, SheetError> {
    use calamine::{open_workbook_from_rs, Data, Reader, Xlsx};
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes.to_vec()))
        .map_err(|e: calamine::XlsxError| SheetError::Xlsx(short(&e.to_string())))?;
    let range = book
        .worksheet_range_at(0)
        .ok_or(SheetError::Empty)?
        .map_err(|e: calamine::XlsxError| SheetError::Xlsx(short(&e.to_string())))?;
    if range.height() > max_rows + 1 {
        return Err(SheetError::TooManyRows { max: max_rows });
    }
    Ok(range
        .rows()
        .map(|row| {
            row.iter()
                .map(|cell| match cell {
                    Data::Empty => String::new(),
                    Data::String(s) => s.trim().to_string(),
                    // Phone numbers typed into Excel become numbers: write them back whole.
                    &Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => {
                        format!("{}", f as i64)
                    }
                    Data::Int(i) => i.to_string(),
                    Data::DateTime(dt) => excel_date(dt.as_f64()).unwrap_or_default(),
                    other => other.to_string().trim().to_string(),
                })
                .collect()
        })
        .collect())
}

/// An Excel serial date (days since 1899-12-30) as `YYYY-MM-DD`.
fn excel_date(serial: f64) -> Option<String> {
    let epoch = jiff::civil::date(1899, 12, 30);
    let days = serial.floor() as i64;
    epoch
        .checked_add(jiff::Span::new().days(days))
        .ok()
        .map(|d| d.to_string())
}

/// Library messages may quote cell text; keep only the start, which names the structure.
fn short(message: &str) -> String {
    message.chars().take(120).collect()
}

/// CSV with a UTF-8 byte-order mark, so Excel opens Chinese text correctly.
pub fn write_csv(headers: &[&str], rows: &[Vec<String>]) -> Vec<u8> {
    let mut out = b"\xEF\xBB\xBF".to_vec();
    {
        let mut w = csv::Writer::from_writer(&mut out);
        // Writing to a Vec cannot fail.
        let _ = w.write_record(headers);
        for row in rows {
            let _ = w.write_record(row.iter().map(|c| defuse_formula(c)));
        }
        let _ = w.flush();
    }
    out
}

/// One worksheet with a bold, frozen header row.
pub fn write_xlsx(
    sheet: &str,
    headers: &[&str],
    rows: &[Vec<String>],
) -> Result<Vec<u8>, SheetError> {
    use rust_xlsxwriter::{Format as CellFormat, Workbook};
    let w = |e: rust_xlsxwriter::XlsxError| SheetError::Write(e.to_string());
    let mut book = Workbook::new();
    let ws = book.add_worksheet();
    ws.set_name(sheet).map_err(w)?;
    let bold = CellFormat::new().set_bold();
    for (c, h) in headers.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold)
            .map_err(w)?;
        ws.set_column_width(c as u16, 18).map_err(w)?;
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            // Strings always: IDs and phone numbers must not become numbers.
            ws.write_string(r as u32 + 1, c as u16, cell).map_err(w)?;
        }
    }
    ws.set_freeze_panes(1, 0).map_err(w)?;
    book.save_to_buffer().map_err(w)
}

/// A cell of a report sheet: text, or a number a spreadsheet can sum.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Number(f64),
}

impl Cell {
    pub fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }

    pub fn int(n: impl Into<i64>) -> Cell {
        Cell::Number(n.into() as f64)
    }
}

/// One worksheet of a report: a name, a header row, data rows and, when given, a totals row
/// written last in bold.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Sheet {
    pub name: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
    pub totals: Option<Vec<Cell>>,
}

/// A workbook of several sheets (a report: one sheet per section), each with a bold, frozen
/// header row, numbers as numbers and text defused like [`write_csv`]'s.
pub fn write_workbook(sheets: &[Sheet]) -> Result<Vec<u8>, SheetError> {
    use rust_xlsxwriter::{Format as CellFormat, Workbook};
    let w = |e: rust_xlsxwriter::XlsxError| SheetError::Write(e.to_string());
    let mut book = Workbook::new();
    let bold = CellFormat::new().set_bold();
    let plain = CellFormat::new();
    for sheet in sheets {
        let ws = book.add_worksheet();
        ws.set_name(&sheet.name).map_err(w)?;
        for (c, h) in sheet.headers.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, h, &bold)
                .map_err(w)?;
            ws.set_column_width(c as u16, 18).map_err(w)?;
        }
        let body = sheet.rows.iter().map(|r| (r, &plain));
        let totals = sheet.totals.iter().map(|r| (r, &bold));
        for (r, (row, format)) in body.chain(totals).enumerate() {
            for (c, cell) in row.iter().enumerate() {
                let (r, c) = (r as u32 + 1, c as u16);
                match cell {
                    Cell::Text(t) => ws
                        .write_string_with_format(r, c, defuse_formula(t), format)
                        .map_err(w)?,
                    Cell::Number(n) => ws.write_number_with_format(r, c, *n, format).map_err(w)?,
                };
            }
        }
        ws.set_freeze_panes(1, 0).map_err(w)?;
    }
    book.save_to_buffer().map_err(w)
}

/// A sheet read back: its name and its rows of cells.
pub type NamedSheet = (String, Vec<Vec<Cell>>);

/// Every sheet of an XLSX file as rows of cells (numbers as numbers), for reading a report
/// back.
pub fn read_workbook(bytes: &[u8]) -> Result<Vec<NamedSheet>, SheetError> {
    use calamine::{open_workbook_from_rs, Data, Reader, Xlsx};
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes.to_vec()))
        .map_err(|e: calamine::XlsxError| SheetError::Xlsx(short(&e.to_string())))?;
    let mut out = Vec::new();
    for name in book.sheet_names() {
        let range = book
            .worksheet_range(&name)
            .map_err(|e| SheetError::Xlsx(short(&e.to_string())))?;
        let rows = range
            .rows()
            .map(|row| {
                row.iter()
                    .map(|cell| match cell {
                        Data::Float(f) => Cell::Number(*f),
                        Data::Int(i) => Cell::Number(*i as f64),
                        Data::Empty => Cell::Text(String::new()),
                        other => Cell::Text(other.to_string()),
                    })
                    .collect()
            })
            .collect();
        out.push((name, rows));
    }
    Ok(out)
}

/// Cells starting with `=`, `+`, `-` or `@` are formulas to a spreadsheet; prefix a quote so
/// exported text (a name, a note) cannot run as one (CSV injection).
fn defuse_formula(cell: &str) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}"),
        _ => cell.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_round_trip_with_bom_and_blank_rows() {
        let bytes = write_csv(
            &["name", "phone"],
            &[
                vec!["张伟".into(), "13800138000".into()],
                vec!["=HYPERLINK()".into(), "+8613800138000".into()],
            ],
        );
        assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
        let mut with_blank = bytes.clone();
        with_blank.extend_from_slice(",\n李娜 , 13900139000\n".as_bytes());
        let t = read_table(&with_blank, Format::sniff(&with_blank), 10).unwrap();
        assert_eq!(t.headers, ["name", "phone"]);
        assert_eq!(t.rows[0], ["张伟", "13800138000"]);
        assert_eq!(t.rows[1][0], "'=HYPERLINK()", "formulas are defused");
        assert_eq!(t.rows[2], ["李娜", "13900139000"]);
        assert_eq!(t.row_numbers, [2, 3, 5]);
        assert!(matches!(
            read_table(&with_blank, Format::Csv, 2),
            Err(SheetError::TooManyRows { max: 2 })
        ));
        assert!(matches!(
            read_table(b"", Format::Csv, 2),
            Err(SheetError::Empty)
        ));
    }

    #[test]
    fn xlsx_round_trip() {
        let bytes = write_xlsx(
            "customers",
            &["name", "resident_id"],
            &[vec!["张伟".into(), "11010519491231002X".into()]],
        )
        .unwrap();
        assert_eq!(Format::sniff(&bytes), Format::Xlsx);
        let t = read_table(&bytes, Format::Xlsx, 10).unwrap();
        assert_eq!(t.headers, ["name", "resident_id"]);
        assert_eq!(
            t.rows,
            [vec!["张伟".to_string(), "11010519491231002X".into()]]
        );
        assert!(matches!(
            read_table(b"PK\x03\x04broken", Format::Xlsx, 10),
            Err(SheetError::Xlsx(_))
        ));
    }

    #[test]
    fn workbook_of_sheets_with_totals_round_trip() {
        let sheets = [
            Sheet {
                name: "投诉".into(),
                headers: vec!["级别".into(), "数量".into()],
                rows: vec![
                    vec![Cell::text("紧急"), Cell::int(2)],
                    vec![Cell::text("=1+1"), Cell::int(3)],
                ],
                totals: Some(vec![Cell::text("合计"), Cell::int(5)]),
            },
            Sheet {
                name: "演练".into(),
                headers: vec!["名称".into()],
                rows: vec![],
                totals: None,
            },
        ];
        let bytes = write_workbook(&sheets).unwrap();
        let back = read_workbook(&bytes).unwrap();
        assert_eq!(back.len(), 2);
        assert_eq!(back[0].0, "投诉");
        assert_eq!(back[0].1[1], [Cell::text("紧急"), Cell::Number(2.0)]);
        assert_eq!(back[0].1[2][0], Cell::text("'=1+1"), "formulas are defused");
        assert_eq!(back[0].1[3], [Cell::text("合计"), Cell::Number(5.0)]);
        assert_eq!(back[1].1, [vec![Cell::text("名称")]]);
    }

    #[test]
    fn numbers_and_dates_from_excel_read_as_text() {
        use rust_xlsxwriter::{ExcelDateTime, Format as F, Workbook};
        let mut book = Workbook::new();
        let ws = book.add_worksheet();
        ws.write_string(0, 0, "phone").unwrap();
        ws.write_string(0, 1, "birth_date").unwrap();
        ws.write_number(1, 0, 13800138000.0).unwrap();
        let d = ExcelDateTime::from_ymd(1985, 3, 9).unwrap();
        ws.write_datetime_with_format(1, 1, &d, &F::new().set_num_format("yyyy-mm-dd"))
            .unwrap();
        let bytes = book.save_to_buffer().unwrap();
        let t = read_table(&bytes, Format::Xlsx, 10).unwrap();
        assert_eq!(t.rows[0], ["13800138000", "1985-03-09"]);
    }
}
