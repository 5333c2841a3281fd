//! The one PDF renderer of the process: its CJK fonts read on first use (about 40 MB a node
//! never pays for if it prints nothing), the error kept so a missing font is reported, not
//! retried. The web pages and the scheduled e-mails (the periodic summaries) both print
//! through [`App::render_pdf`].

use crate::{App, AppError};
use std::sync::OnceLock;
use tripdesk_pdf::{Document, FontSource, Renderer};

/// Where the fonts are, and the renderer once built.
pub(crate) struct Printer {
    fonts: FontSource,
    renderer: OnceLock<Result<Renderer, String>>,
}

impl Printer {
    pub(crate) fn new(fonts: FontSource) -> Self {
        Printer {
            fonts,
            renderer: OnceLock::new(),
        }
    }

    fn render(&self, doc: &Document) -> Result<Vec<u8>, AppError> {
        let renderer = self
            .renderer
            .get_or_init(|| Renderer::new(&self.fonts).map_err(|e| e.to_string()))
            .as_ref()
            .map_err(|e| AppError::Unavailable(format!("PDF fonts: {e}")))?;
        renderer
            .render(doc)
            .map_err(|e| AppError::Internal(format!("PDF: {e}")))
    }
}

impl App {
    /// The same application printing with the fonts of `source` (default: the system's CJK
    /// fonts).
    pub fn with_pdf_fonts(mut self, source: FontSource) -> Self {
        self.printer = std::sync::Arc::new(Printer::new(source));
        self
    }

    /// Renders `doc` to PDF on a blocking thread. `Unavailable` when the configured CJK font
    /// cannot be read (the error names the paths tried).
    pub async fn render_pdf(&self, doc: Document) -> Result<Vec<u8>, AppError> {
        let printer = self.printer.clone();
        tokio::task::spawn_blocking(move || printer.render(&doc))
            .await
            .map_err(|e| AppError::Internal(format!("PDF task: {e}")))?
    }
}
