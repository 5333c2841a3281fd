//! Placing a [`Document`] on A4 pages: what goes where, before anything is drawn.
//!
//! Layout only measures text (through a function, so it can be tested without a font) and
//! produces a list of drawing operations per page. Knowing every page first is what lets each
//! footer say how many pages there are.

use crate::wrap::wrap;
use crate::{Block, Document, Section};

/// Measures `text` in points at a font size, bold or not.
pub(crate) type Measure<'a> = &'a dyn Fn(&str, f32, bool) -> f32;

/// A4 in points.
pub(crate) const PAGE_W: f32 = 595.28;
pub(crate) const PAGE_H: f32 = 841.89;
/// 20 mm left, right and top.
const MARGIN: f32 = 56.7;
const CONTENT_W: f32 = PAGE_W - 2.0 * MARGIN;
/// Content ends here; below are the footer rule and line.
const CONTENT_BOTTOM: f32 = PAGE_H - 72.0;
const CONTENT_H: f32 = CONTENT_BOTTOM - MARGIN;
const FOOTER_RULE: f32 = PAGE_H - 54.0;
const FOOTER_BASELINE: f32 = PAGE_H - 40.0;

const TITLE: f32 = 20.0;
const META: f32 = 10.0;
const HEADING: f32 = 13.5;
const BODY: f32 = 10.5;
const TABLE: f32 = 9.5;
const SMALL: f32 = 8.5;
const HIGHLIGHT_LABEL: f32 = 10.0;
const HIGHLIGHT_VALUE: f32 = 15.0;
/// Line height as a multiple of the font size: CJK text needs more air than Latin.
const LEADING: f32 = 1.5;
/// Where the baseline sits in a CJK font's em box (ascent 0.88, descent 0.12).
const ASCENT: f32 = 0.88;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Rgb(pub u8, pub u8, pub u8);

const INK: Rgb = Rgb(33, 37, 41);
const MUTED: Rgb = Rgb(100, 108, 117);
const ACCENT: Rgb = Rgb(23, 92, 168);
const RULE: Rgb = Rgb(200, 206, 212);
const TABLE_HEAD: Rgb = Rgb(232, 239, 247);
const HIGHLIGHT_FILL: Rgb = Rgb(255, 243, 224);
const HIGHLIGHT_EDGE: Rgb = Rgb(230, 126, 34);
const HIGHLIGHT_INK: Rgb = Rgb(180, 50, 10);

/// One drawing operation; coordinates in points from the page's top left corner.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Op {
    /// One line of text, `y` its baseline.
    Text {
        x: f32,
        y: f32,
        size: f32,
        bold: bool,
        color: Rgb,
        text: String,
    },
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        fill: Option<Rgb>,
        stroke: Option<Rgb>,
    },
    Line {
        x1: f32,
        y1: f32,
        x2: f32,
        y2: f32,
        width: f32,
        color: Rgb,
    },
}

#[derive(Debug, Default)]
pub(crate) struct Page {
    pub ops: Vec<Op>,
}

/// The pages of `document`, footers included.
pub(crate) fn layout(document: &Document, measure: Measure<'_>) -> Vec<Page> {
    let mut layout = Layout {
        pages: vec![Page::default()],
        y: MARGIN,
        measure,
    };
    layout.title(document);
    for section in &document.sections {
        layout.section(section);
    }
    let footer = document.footer.as_deref().unwrap_or(&document.title);
    layout.footers(footer);
    layout.pages
}

struct Layout<'a> {
    pages: Vec<Page>,
    /// The top of the free space on the last page.
    y: f32,
    measure: Measure<'a>,
}

impl Layout<'_> {
    fn push(&mut self, op: Op) {
        self.pages
            .last_mut()
            .expect("one page at least")
            .ops
            .push(op);
    }

    fn new_page(&mut self) {
        self.pages.push(Page::default());
        self.y = MARGIN;
    }

    /// Starts a new page unless `height` fits below `y` — or the page is still empty, where
    /// a new page would not help.
    fn ensure(&mut self, height: f32) {
        if self.y + height > CONTENT_BOTTOM && self.y > MARGIN {
            self.new_page();
        }
    }

    fn width(&self, text: &str, size: f32, bold: bool) -> f32 {
        (self.measure)(text, size, bold)
    }

    fn wrap(&self, text: &str, width: f32, size: f32, bold: bool) -> Vec<String> {
        wrap(text, width, &|s| (self.measure)(s, size, bold))
    }

    /// Like [`Self::wrap`], with one (empty) line for empty text, for rows that must show.
    fn wrap_row(&self, text: &str, width: f32, size: f32, bold: bool) -> Vec<String> {
        let mut lines = self.wrap(text, width, size, bold);
        if lines.is_empty() {
            lines.push(String::new());
        }
        lines
    }

    fn text(&mut self, x: f32, top: f32, size: f32, bold: bool, color: Rgb, text: &str) {
        if text.is_empty() {
            return;
        }
        let line_height = size * LEADING;
        self.push(Op::Text {
            x,
            y: top + (line_height - size) / 2.0 + ASCENT * size,
            size,
            bold,
            color,
            text: text.to_owned(),
        });
    }

    /// Wrapped text at `x`, `width` wide, breaking pages between lines; a blank line in the
    /// text is half a line of space.
    fn lines(&mut self, x: f32, width: f32, size: f32, bold: bool, color: Rgb, text: &str) {
        let line_height = size * LEADING;
        for line in self.wrap(text, width, size, bold) {
            if line.is_empty() {
                self.y += line_height / 2.0;
                continue;
            }
            self.ensure(line_height);
            self.text(x, self.y, size, bold, color, &line);
            self.y += line_height;
        }
    }

    fn rule(&mut self, y: f32, width: f32, color: Rgb) {
        self.push(Op::Line {
            x1: MARGIN,
            y1: y,
            x2: MARGIN + CONTENT_W,
            y2: y,
            width,
            color,
        });
    }

    fn title(&mut self, document: &Document) {
        self.lines(MARGIN, CONTENT_W, TITLE, true, INK, &document.title);
        for meta in &document.meta {
            self.lines(MARGIN, CONTENT_W, META, false, MUTED, meta);
        }
        self.y += 6.0;
        self.rule(self.y, 1.5, ACCENT);
        self.y += 10.0;
    }

    fn section(&mut self, section: &Section) {
        if !section.heading.is_empty() {
            if self.y > MARGIN {
                self.y += 10.0;
            }
            // Keep the heading with the start of what follows it.
            self.ensure(HEADING * LEADING + 4.0 + 3.0 * BODY * LEADING);
            self.lines(MARGIN, CONTENT_W, HEADING, true, ACCENT, &section.heading);
            self.y += 1.0;
            self.rule(self.y, 0.6, RULE);
            self.y += 6.0;
        }
        for block in &section.blocks {
            self.block(block);
            self.y += 6.0;
        }
    }

    fn block(&mut self, block: &Block) {
        match block {
            Block::Paragraph(text) => self.lines(MARGIN, CONTENT_W, BODY, false, INK, text),
            Block::Highlight { label, value } => self.highlight(label, value),
            Block::KeyValues(pairs) => self.key_values(pairs),
            Block::Bullets(items) => self.bullets(items),
            Block::Table { header, rows } => self.table(header, rows),
        }
    }

    fn highlight(&mut self, label: &str, value: &str) {
        const PAD: f32 = 8.0;
        const BAR: f32 = 4.0;
        let x = MARGIN + BAR + PAD;
        let width = CONTENT_W - BAR - 2.0 * PAD;
        let labels = self.wrap(label, width, HIGHLIGHT_LABEL, false);
        let values = self.wrap(value, width, HIGHLIGHT_VALUE, true);
        let height = 2.0 * PAD
            + labels.len() as f32 * HIGHLIGHT_LABEL * LEADING
            + values.len() as f32 * HIGHLIGHT_VALUE * LEADING;
        if height > CONTENT_H {
            // Longer than a page (no key fact should be): plain text that can break.
            self.lines(
                MARGIN,
                CONTENT_W,
                HIGHLIGHT_LABEL,
                false,
                HIGHLIGHT_INK,
                label,
            );
            self.lines(MARGIN, CONTENT_W, HIGHLIGHT_VALUE, true, INK, value);
            return;
        }
        self.ensure(height);
        let top = self.y;
        self.push(Op::Rect {
            x: MARGIN,
            y: top,
            w: CONTENT_W,
            h: height,
            fill: Some(HIGHLIGHT_FILL),
            stroke: Some(HIGHLIGHT_EDGE),
        });
        self.push(Op::Rect {
            x: MARGIN,
            y: top,
            w: BAR,
            h: height,
            fill: Some(HIGHLIGHT_EDGE),
            stroke: None,
        });
        let mut y = top + PAD;
        for line in &labels {
            self.text(x, y, HIGHLIGHT_LABEL, false, HIGHLIGHT_INK, line);
            y += HIGHLIGHT_LABEL * LEADING;
        }
        for line in &values {
            self.text(x, y, HIGHLIGHT_VALUE, true, INK, line);
            y += HIGHLIGHT_VALUE * LEADING;
        }
        self.y = top + height;
    }

    fn key_values(&mut self, pairs: &[(String, String)]) {
        const GAP: f32 = 12.0;
        let widest = pairs
            .iter()
            .map(|(label, _)| self.width(label, BODY, false))
            .fold(0.0, f32::max);
        let label_w = (widest + GAP).min(CONTENT_W * 0.35);
        let value_x = MARGIN + label_w;
        let line_height = BODY * LEADING;
        for (label, value) in pairs {
            let labels = self.wrap_row(label, label_w - GAP, BODY, false);
            let values = self.wrap_row(value, CONTENT_W - label_w, BODY, false);
            let rows = labels.len().max(values.len());
            if rows as f32 * line_height <= CONTENT_H {
                self.ensure(rows as f32 * line_height);
            }
            for row in 0..rows {
                self.ensure(line_height);
                if let Some(line) = labels.get(row) {
                    self.text(MARGIN, self.y, BODY, false, MUTED, line);
                }
                if let Some(line) = values.get(row) {
                    self.text(value_x, self.y, BODY, false, INK, line);
                }
                self.y += line_height;
            }
            self.y += 1.0;
        }
    }

    fn bullets(&mut self, items: &[String]) {
        const INDENT: f32 = 14.0;
        let line_height = BODY * LEADING;
        for item in items {
            let lines = self.wrap_row(item, CONTENT_W - INDENT, BODY, false);
            // Never a bullet alone at the foot of a page.
            self.ensure(lines.len().min(2) as f32 * line_height);
            self.text(MARGIN + 3.0, self.y, BODY, false, ACCENT, "•");
            for line in &lines {
                self.ensure(line_height);
                self.text(MARGIN + INDENT, self.y, BODY, false, INK, line);
                self.y += line_height;
            }
            self.y += 1.0;
        }
    }

    fn table(&mut self, header: &[String], rows: &[Vec<String>]) {
        let columns = rows.iter().map(Vec::len).fold(header.len(), usize::max);
        if columns == 0 {
            return;
        }
        let natural: Vec<f32> = (0..columns)
            .map(|c| {
                let head = self.width(cell(header, c), TABLE, true);
                rows.iter()
                    .map(|row| self.width(cell(row, c), TABLE, false))
                    .fold(head, f32::max)
                    + 2.0 * CELL_PAD_X
            })
            .collect();
        let widths = column_widths(&natural, CONTENT_W);
        let numeric: Vec<bool> = (0..columns)
            .map(|c| {
                let mut cells = rows
                    .iter()
                    .map(|row| cell(row, c).trim())
                    .filter(|s| !s.is_empty());
                let first = cells.next();
                first.is_some_and(is_figure) && cells.all(is_figure)
            })
            .collect();
        let table = Table { widths, numeric };
        let wrap_cells = |row: &[String], bold: bool| -> Vec<Vec<String>> {
            (0..columns)
                .map(|c| {
                    let width = table.widths[c] - 2.0 * CELL_PAD_X;
                    self.wrap_row(cell(row, c), width, TABLE, bold)
                })
                .collect()
        };
        let head = (!header.is_empty()).then(|| wrap_cells(header, true));
        let body: Vec<_> = rows.iter().map(|row| wrap_cells(row, false)).collect();
        let head_h = head.as_ref().map_or(0.0, |h| {
            row_height(h.iter().map(Vec::len).max().unwrap_or(1))
        });

        // The header is repeated on the pages the table runs onto — unless it would fill half
        // of each page; such a header flows like a row, split where the page ends.
        let (repeat, flowing_head) = match head {
            Some(head) if head_h <= CONTENT_H / 2.0 => (Some(head), None),
            head => (None, head),
        };
        let repeat_h = if repeat.is_some() { head_h } else { 0.0 };
        if let Some(head) = &repeat {
            // The header and the first row stay together.
            let first_h = body.first().map_or(0.0, |r| row_height(row_lines(r)));
            self.ensure(head_h + first_h.min(CONTENT_H - head_h));
            self.table_row(&table, head, 0..row_lines(head), true);
        }
        let rows = flowing_head
            .iter()
            .map(|h| (h, true))
            .chain(body.iter().map(|r| (r, false)));
        for (row, bold) in rows {
            let lines = row_lines(row);
            let mut from = 0;
            while from < lines {
                let room =
                    ((CONTENT_BOTTOM - self.y - 2.0 * CELL_PAD_Y) / (TABLE * LEADING)).floor();
                let room = room.max(0.0) as usize;
                let fresh =
                    ((CONTENT_H - repeat_h - 2.0 * CELL_PAD_Y) / (TABLE * LEADING)) as usize;
                if room >= lines - from {
                    self.table_row(&table, row, from..lines, bold);
                    break;
                }
                // A row that fits a fresh page moves there whole; a longer one is split.
                if room > 0 && lines - from > fresh {
                    self.table_row(&table, row, from..from + room, bold);
                    from += room;
                }
                self.new_page();
                if let Some(head) = &repeat {
                    self.table_row(&table, head, 0..row_lines(head), true);
                }
            }
        }
    }

    /// Lines `range` of one table row at `y`, with its cell borders.
    fn table_row(
        &mut self,
        table: &Table,
        cells: &[Vec<String>],
        range: std::ops::Range<usize>,
        head: bool,
    ) {
        let height = row_height(range.len());
        let mut x = MARGIN;
        for (c, lines) in cells.iter().enumerate() {
            let width = table.widths[c];
            self.push(Op::Rect {
                x,
                y: self.y,
                w: width,
                h: height,
                fill: head.then_some(TABLE_HEAD),
                stroke: Some(RULE),
            });
            let mut top = self.y + CELL_PAD_Y;
            for line in lines.iter().take(range.end).skip(range.start) {
                // A column of figures is right-aligned, its heading too.
                let line_x = if table.numeric[c] {
                    x + width - CELL_PAD_X - self.width(line, TABLE, head)
                } else {
                    x + CELL_PAD_X
                };
                self.text(line_x, top, TABLE, head, INK, line);
                top += TABLE * LEADING;
            }
            x += width;
        }
        self.y += height;
    }

    /// A rule and, under it, the footer text on the left and "第 n 页 / 共 N 页" on the right.
    fn footers(&mut self, footer: &str) {
        let total = self.pages.len();
        for (n, page) in self.pages.iter_mut().enumerate() {
            let number = format!("第 {} 页 / 共 {} 页", n + 1, total);
            let number_w = (self.measure)(&number, SMALL, false);
            let left = truncate(footer, CONTENT_W - number_w - 12.0, &|s| {
                (self.measure)(s, SMALL, false)
            });
            page.ops.push(Op::Line {
                x1: MARGIN,
                y1: FOOTER_RULE,
                x2: MARGIN + CONTENT_W,
                y2: FOOTER_RULE,
                width: 0.5,
                color: RULE,
            });
            for (x, text) in [(MARGIN, left), (MARGIN + CONTENT_W - number_w, number)] {
                if !text.is_empty() {
                    page.ops.push(Op::Text {
                        x,
                        y: FOOTER_BASELINE,
                        size: SMALL,
                        bold: false,
                        color: MUTED,
                        text,
                    });
                }
            }
        }
    }
}

const CELL_PAD_X: f32 = 5.0;
const CELL_PAD_Y: f32 = 3.0;

struct Table {
    widths: Vec<f32>,
    /// Columns of figures, right-aligned so their digits line up.
    numeric: Vec<bool>,
}

/// Cell `c` of a row; a short row has empty cells at its end.
fn cell(row: &[String], c: usize) -> &str {
    row.get(c).map(String::as_str).unwrap_or("")
}

fn row_lines(cells: &[Vec<String>]) -> usize {
    cells.iter().map(Vec::len).max().unwrap_or(1)
}

fn row_height(lines: usize) -> f32 {
    lines as f32 * TABLE * LEADING + 2.0 * CELL_PAD_Y
}

/// Column widths filling `total`: in proportion to their content when it all fits; otherwise
/// each column keeps up to an equal share and the rest goes to the columns that want more.
fn column_widths(natural: &[f32], total: f32) -> Vec<f32> {
    let sum: f32 = natural.iter().sum();
    let equal = total / natural.len() as f32;
    if sum <= 0.0 {
        return vec![equal; natural.len()];
    }
    if sum <= total {
        return natural.iter().map(|n| n / sum * total).collect();
    }
    let base: Vec<f32> = natural.iter().map(|n| n.min(equal)).collect();
    let spare = total - base.iter().sum::<f32>();
    let wants: f32 = natural.iter().zip(&base).map(|(n, b)| n - b).sum();
    natural
        .iter()
        .zip(&base)
        .map(|(n, b)| {
            if wants > 0.0 {
                b + (n - b) / wants * spare
            } else {
                *b
            }
        })
        .collect()
}

/// A figure as reports show them: digits with an optional sign, currency sign, thousands
/// commas, decimal point and trailing %.
fn is_figure(text: &str) -> bool {
    let text = text
        .trim_start_matches(['-', '+', '¥', '￥'])
        .trim_end_matches('%');
    text.chars().any(|c| c.is_ascii_digit())
        && text
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
}

/// `text` cut with "…" to fit `max_width`.
fn truncate(text: &str, max_width: f32, width: &dyn Fn(&str) -> f32) -> String {
    if width(text) <= max_width {
        return text.to_owned();
    }
    let mut cut: String = text.to_owned();
    while !cut.is_empty() && width(&format!("{cut}…")) > max_width {
        cut.pop();
    }
    format!("{cut}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Wide characters are one em, the rest half an em; bold is no wider.
    fn measure(text: &str, size: f32, _bold: bool) -> f32 {
        let ems: f32 = text
            .chars()
            .map(|c| if (c as u32) >= 0x2E80 { 1.0 } else { 0.5 })
            .sum();
        ems * size
    }

    fn texts(page: &Page) -> Vec<&str> {
        page.ops
            .iter()
            .filter_map(|op| match op {
                Op::Text { text, .. } => Some(text.as_str()),
                _ => None,
            })
            .collect()
    }

    /// Nothing but the footer below the content area.
    fn assert_inside(pages: &[Page]) {
        for (n, page) in pages.iter().enumerate() {
            for op in &page.ops {
                match op {
                    Op::Text { y, text, .. } if *y < FOOTER_RULE => {
                        assert!(*y <= CONTENT_BOTTOM, "{text:?} at {y} on page {}", n + 1)
                    }
                    Op::Rect { y, h, .. } => {
                        assert!(y + h <= CONTENT_BOTTOM + 0.01, "a box ends at {}", y + h)
                    }
                    _ => {}
                }
            }
        }
    }

    fn document(blocks: Vec<Block>) -> Document {
        Document {
            title: "月度报表".into(),
            meta: vec![],
            sections: vec![Section {
                heading: "明细".into(),
                blocks,
            }],
            footer: None,
        }
    }

    #[test]
    fn a_long_table_repeats_its_header_on_every_page_and_stays_above_the_footer() {
        let rows = (1..=120)
            .map(|i| {
                vec![
                    format!("线路{i}"),
                    format!("{}", i * 3),
                    format!("¥{i},000.00"),
                ]
            })
            .collect();
        let header = vec!["线路".into(), "人数".into(), "收入".into()];
        let pages = layout(&document(vec![Block::Table { header, rows }]), &measure);
        assert!(pages.len() >= 3, "{} pages", pages.len());
        for (n, page) in pages.iter().enumerate() {
            assert!(texts(page).contains(&"收入"), "no header on page {}", n + 1);
            let number = format!("第 {} 页 / 共 {} 页", n + 1, pages.len());
            assert!(texts(page).contains(&number.as_str()), "page {}", n + 1);
        }
        assert_inside(&pages);
        // Every row is there, once.
        let all: Vec<&str> = pages.iter().flat_map(texts).collect();
        for i in 1..=120 {
            let row = format!("线路{i}");
            assert_eq!(all.iter().filter(|t| **t == row).count(), 1, "{row}");
        }
    }

    #[test]
    fn a_header_or_row_taller_than_a_page_still_ends() {
        let tall = "很长的说明".repeat(2000);
        let rows = vec![
            vec![tall.clone(), "1".into()],
            vec!["短".into(), "2".into()],
        ];
        let pages = layout(
            &document(vec![Block::Table {
                header: vec![tall, "数".into()],
                rows,
            }]),
            &measure,
        );
        assert!(
            pages.len() > 2 && pages.len() < 200,
            "{} pages",
            pages.len()
        );
        assert_inside(&pages);
        let all: Vec<&str> = pages.iter().flat_map(texts).collect();
        assert!(all.contains(&"短") && all.contains(&"2"));
    }

    #[test]
    fn figures_are_right_aligned_and_text_is_not() {
        let rows = vec![
            vec!["成人".into(), "¥3,980.00".into()],
            vec!["儿童".into(), "¥290".into()],
        ];
        let pages = layout(
            &document(vec![Block::Table {
                header: vec!["项目".into(), "金额".into()],
                rows,
            }]),
            &measure,
        );
        let right_edge = |wanted: &str| {
            pages[0].ops.iter().find_map(|op| match op {
                Op::Text { x, size, text, .. } if text == wanted => {
                    Some((*x, x + measure(text, *size, false)))
                }
                _ => None,
            })
        };
        let (_, a) = right_edge("¥3,980.00").unwrap();
        let (_, b) = right_edge("¥290").unwrap();
        assert!((a - b).abs() < 0.01, "{a} / {b}");
        let (x1, _) = right_edge("成人").unwrap();
        let (x2, _) = right_edge("儿童").unwrap();
        assert_eq!(x1, x2);
    }

    #[test]
    fn a_highlight_is_never_split_across_pages() {
        // With 20 to 40 paragraphs before it, the box lands at every height of the first
        // page's foot, including where it no longer fits.
        let mut pushed_over = false;
        for before in 20..40 {
            let mut blocks: Vec<Block> = (0..before)
                .map(|i| Block::Paragraph(format!("第{i}段")))
                .collect();
            blocks.push(Block::Highlight {
                label: "集合地点".into(),
                value: "昆明长水国际机场 3号门".into(),
            });
            let pages = layout(&document(blocks), &measure);
            let page_of = |wanted: &str| pages.iter().position(|p| texts(p).contains(&wanted));
            let label = page_of("集合地点").unwrap();
            assert_eq!(Some(label), page_of("昆明长水国际机场 3号门"), "{before}");
            let last_para = page_of(&format!("第{}段", before - 1)).unwrap();
            pushed_over |= label > last_para;
            for op in &pages[label].ops {
                if let Op::Rect { y, h, .. } = op {
                    assert!(y + h <= CONTENT_BOTTOM, "{before}: box ends at {}", y + h);
                }
            }
        }
        assert!(pushed_over, "no case put the box on the next page");
    }

    #[test]
    fn column_widths_fill_the_line_and_keep_narrow_columns_whole() {
        let widths = column_widths(&[40.0, 900.0, 60.0], 480.0);
        assert!((widths.iter().sum::<f32>() - 480.0).abs() < 0.01);
        assert!(widths[0] >= 40.0 && widths[2] >= 60.0, "{widths:?}");
        let widths = column_widths(&[100.0, 100.0], 480.0);
        assert_eq!(widths, [240.0, 240.0]);
    }

    #[test]
    fn figures_are_recognised() {
        for figure in ["12", "¥3,980.00", "-5", "12.5%", "￥0"] {
            assert!(is_figure(figure), "{figure}");
        }
        for text in ["", "¥", "A1", "3人", "2026-12-05"] {
            assert!(!is_figure(text), "{text}");
        }
    }
}
