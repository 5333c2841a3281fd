//! Printable documents rendered to PDF, with Chinese text.
//!
//! Pre-trip documents (itinerary, departure notice, hotel information, emergency contacts…) and
//! reports are built as a small [`Document`] — sections of paragraphs, highlighted key facts,
//! label/value lists, bullet lists and tables — and a [`Renderer`] turns it into the bytes of an
//! A4 PDF: lines wrapped by Unicode's rules, pages broken, every page numbered.
//!
//! The CJK font is the deployment's own file ([`FontSource`]), read once when the renderer is
//! built; each PDF embeds only the glyphs it uses (a subset of some tens of KB rather than the
//! 20 MB collection), so the document shows and prints the same everywhere, and its text can be
//! searched, copied and extracted. Nothing is downloaded.
//!
//! Rendering is synchronous and CPU-bound (layout, then subsetting the font): async callers
//! run it in `spawn_blocking`. A `Renderer` is `Send + Sync`; share one behind an `Arc`.

mod draw;
mod font;
mod layout;
mod wrap;

use std::path::{Path, PathBuf};

pub use font::{FontSource, SYSTEM_FONTS};

/// A document to print: a title, lines under it, and sections.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Document {
    /// The first and largest line, also the PDF's title.
    pub title: String,
    /// Short lines under the title: subtitle, booking number, the date it was made.
    pub meta: Vec<String>,
    pub sections: Vec<Section>,
    /// The left part of every page's footer (the agency's name, say); the title when `None`.
    /// The right part is the page number, "第 n 页 / 共 N 页".
    pub footer: Option<String>,
}

/// A section: a heading and what follows it. An empty heading draws none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Section {
    pub heading: String,
    pub blocks: Vec<Block>,
}

/// The pieces a section is made of. Text wraps to the page; `\n` in a text starts a new line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// Running text.
    Paragraph(String),
    /// A fact the reader must not miss (集合时间, 集合地点), in a coloured box, the value large
    /// and bold. Kept on one page.
    Highlight { label: String, value: String },
    /// Labels and their values in two columns (酒店名称: …, 电话: …).
    KeyValues(Vec<(String, String)>),
    /// A bulleted list.
    Bullets(Vec<String>),
    /// A table with a header row, repeated on each page the table runs onto. Columns share the
    /// width by their content; a column of figures (digits with ¥, %, commas) is right-aligned.
    /// A row shorter than the header is padded with empty cells.
    Table {
        header: Vec<String>,
        rows: Vec<Vec<String>>,
    },
}

/// What can go wrong: finding or reading the font, or writing the PDF.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error(
        "no CJK font found; searched {}; install fonts-noto-cjk or configure a font path",
        list(searched)
    )]
    NoSystemFont { searched: Vec<PathBuf> },
    #[error("font file {} does not exist", path.display())]
    FontMissing { path: PathBuf },
    #[error("font file {} cannot be read: {source}", path.display())]
    FontRead {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("font file {} cannot be used: {reason}", path.display())]
    FontParse { path: PathBuf, reason: String },
    /// krilla refused to write the document (a font it cannot embed, a PDF limit exceeded).
    #[error("the PDF cannot be written: {0}")]
    Write(String),
}

fn list(paths: &[PathBuf]) -> String {
    let names: Vec<_> = paths.iter().map(|p| p.display().to_string()).collect();
    names.join(", ")
}

/// Renders documents with one font, loaded once.
#[derive(Clone)]
pub struct Renderer {
    fonts: font::Fonts,
}

impl Renderer {
    /// Reads the font files of `source`. Fails with the path at fault when a file is missing,
    /// unreadable, not a font, or has no Chinese glyphs.
    pub fn new(source: &FontSource) -> Result<Self, PdfError> {
        Ok(Renderer {
            fonts: font::Fonts::load(source)?,
        })
    }

    /// The regular and (when there is one) bold font files in use, for the start-up log.
    pub fn font_files(&self) -> (&Path, Option<&Path>) {
        (
            &self.fonts.regular.path,
            self.fonts.bold.as_ref().map(|b| b.path.as_path()),
        )
    }

    /// The PDF of `document`.
    pub fn render(&self, document: &Document) -> Result<Vec<u8>, PdfError> {
        let regular = self.fonts.regular.metrics();
        let bold = self.fonts.bold.as_ref().map(|b| b.metrics());
        let measure = |text: &str, size: f32, is_bold: bool| match (&bold, is_bold) {
            (Some(bold), true) => bold.width(text, size),
            _ => regular.width(text, size),
        };
        let pages = layout::layout(document, &measure);
        draw::draw(document, &pages, &self.fonts, &regular, bold.as_ref())
    }
}
