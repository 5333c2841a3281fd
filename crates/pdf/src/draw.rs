//! Drawing laid-out pages with krilla.
//!
//! Glyphs are placed here, one per character at its advance width — the same widths layout
//! measured with — rather than shaped by a text engine: Chinese, Latin and digits in a CJK font
//! need no shaping, and lines then end exactly where layout said. krilla writes each glyph's
//! character into the font's ToUnicode map, which is what makes the text extractable, and
//! embeds only the glyphs used.

use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::Metadata;
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;
use krilla::text::{GlyphId, KrillaGlyph};

use crate::font::{FaceMetrics, Fonts};
use crate::layout::{Op, Page, Rgb, PAGE_H, PAGE_W};
use crate::{Document, PdfError};

/// How thick the outline of faux bold text is, per point of font size (used only when the
/// deployment has no bold font file).
const FAUX_BOLD: f32 = 0.03;

pub(crate) fn draw(
    document: &Document,
    pages: &[Page],
    fonts: &Fonts,
    regular: &FaceMetrics<'_>,
    bold: Option<&FaceMetrics<'_>>,
) -> Result<Vec<u8>, PdfError> {
    let mut pdf = krilla::Document::new();
    // No creation date: the same document gives the same bytes, so a regenerated document that
    // did not change can be recognised.
    pdf.set_metadata(
        Metadata::new()
            .title(document.title.clone())
            .language("zh-CN".to_owned())
            .creator("tripdesk".to_owned()),
    );
    let settings = PageSettings::from_wh(PAGE_W, PAGE_H).expect("A4 is a valid page size");
    for page in pages {
        let mut pdf_page = pdf.start_page_with(settings.clone());
        let mut surface = pdf_page.surface();
        for op in &page.ops {
            match op {
                Op::Text {
                    x,
                    y,
                    size,
                    bold: is_bold,
                    color,
                    text,
                } => {
                    let (face, metrics, faux) = match (*is_bold, &fonts.bold, bold) {
                        (true, Some(face), Some(metrics)) => (face, metrics, false),
                        (true, _, _) => (&fonts.regular, regular, true),
                        (false, _, _) => (&fonts.regular, regular, false),
                    };
                    let glyphs: Vec<KrillaGlyph> = text
                        .char_indices()
                        .map(|(i, c)| {
                            let (id, advance) = metrics.glyph(c);
                            let range = i..i + c.len_utf8();
                            KrillaGlyph::new(GlyphId::new(id), advance, 0.0, 0.0, 0.0, range, None)
                        })
                        .collect();
                    surface.set_fill(Some(fill(*color)));
                    surface.set_stroke(faux.then(|| stroke(*color, size * FAUX_BOLD)));
                    surface.draw_glyphs(
                        Point::from_xy(*x, *y),
                        &glyphs,
                        face.font.clone(),
                        text,
                        *size,
                        false,
                    );
                }
                Op::Rect {
                    x,
                    y,
                    w,
                    h,
                    fill: inside,
                    stroke: edge,
                } => {
                    let Some(rect) = Rect::from_xywh(*x, *y, *w, *h) else {
                        continue;
                    };
                    let mut path = PathBuilder::new();
                    path.push_rect(rect);
                    draw_path(
                        &mut surface,
                        path,
                        inside.map(fill),
                        edge.map(|c| stroke(c, 0.6)),
                    );
                }
                Op::Line {
                    x1,
                    y1,
                    x2,
                    y2,
                    width,
                    color,
                } => {
                    let mut path = PathBuilder::new();
                    path.move_to(*x1, *y1);
                    path.line_to(*x2, *y2);
                    draw_path(&mut surface, path, None, Some(stroke(*color, *width)));
                }
            }
        }
        surface.finish();
        pdf_page.finish();
    }
    pdf.finish().map_err(|e| PdfError::Write(e.to_string()))
}

fn draw_path(
    surface: &mut Surface<'_>,
    path: PathBuilder,
    fill: Option<Fill>,
    stroke: Option<Stroke>,
) {
    if let Some(path) = path.finish() {
        surface.set_fill(fill);
        surface.set_stroke(stroke);
        surface.draw_path(&path);
    }
}

fn fill(Rgb(r, g, b): Rgb) -> Fill {
    Fill {
        paint: rgb::Color::new(r, g, b).into(),
        opacity: NormalizedF32::ONE,
        rule: Default::default(),
    }
}

fn stroke(Rgb(r, g, b): Rgb, width: f32) -> Stroke {
    Stroke {
        paint: rgb::Color::new(r, g, b).into(),
        width,
        ..Default::default()
    }
}
