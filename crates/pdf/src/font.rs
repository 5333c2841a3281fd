//! Where the CJK font comes from, and reading it.
//!
//! Nothing is downloaded: the deployment installs a font package (on Debian `fonts-noto-cjk`)
//! and tripdesk either searches the well-known places of such packages or is given a path.
//! The file is read once into memory (`Arc`) and every rendered document subsets from it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use skrifa::instance::{LocationRef, Size};
use skrifa::metrics::GlyphMetrics;
use skrifa::raw::FileRef;
use skrifa::string::StringId;
use skrifa::{FontRef, MetadataProvider};

use crate::PdfError;

/// Well-known places of a CJK font with Simplified Chinese glyphs, as `(regular, bold)`, in the
/// order [`FontSource::System`] tries them. The first regular file that exists is used; its bold
/// partner when it exists too, else bold text is drawn from the regular face with a thin stroke.
pub const SYSTEM_FONTS: &[(&str, Option<&str>)] = &[
    // Debian and Ubuntu: fonts-noto-cjk.
    (
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        Some("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"),
    ),
    // Fedora: google-noto-sans-cjk-fonts (newer) and google-noto-cjk-fonts (older).
    (
        "/usr/share/fonts/google-noto-sans-cjk-fonts/NotoSansCJK-Regular.ttc",
        Some("/usr/share/fonts/google-noto-sans-cjk-fonts/NotoSansCJK-Bold.ttc"),
    ),
    (
        "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
        Some("/usr/share/fonts/google-noto-cjk/NotoSansCJK-Bold.ttc"),
    ),
    // Arch Linux: noto-fonts-cjk.
    (
        "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
        Some("/usr/share/fonts/noto-cjk/NotoSansCJK-Bold.ttc"),
    ),
    // Alpine: font-noto-cjk.
    (
        "/usr/share/fonts/noto/NotoSansCJK-Regular.ttc",
        Some("/usr/share/fonts/noto/NotoSansCJK-Bold.ttc"),
    ),
    // Debian and Ubuntu: fonts-wqy-microhei / fonts-wqy-zenhei (no bold face).
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", None),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", None),
    // macOS, for developers' machines.
    ("/System/Library/Fonts/Hiragino Sans GB.ttc", None),
];

/// Which font files to use.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum FontSource {
    /// The first of [`SYSTEM_FONTS`] that exists.
    #[default]
    System,
    /// Files named by the operator (configuration). A missing bold file is an error like a
    /// missing regular one: a configured path that is wrong should be heard of.
    Files {
        regular: PathBuf,
        bold: Option<PathBuf>,
    },
}

impl FontSource {
    /// The regular and bold paths to read: the configured ones, or the first existing pair of
    /// the system list.
    fn resolve(&self) -> Result<(PathBuf, Option<PathBuf>), PdfError> {
        match self {
            FontSource::Files { regular, bold } => Ok((regular.clone(), bold.clone())),
            FontSource::System => SYSTEM_FONTS
                .iter()
                .find(|(regular, _)| Path::new(regular).is_file())
                .map(|(regular, bold)| {
                    let bold = bold.map(PathBuf::from).filter(|b| b.is_file());
                    (PathBuf::from(regular), bold)
                })
                .ok_or_else(|| PdfError::NoSystemFont {
                    searched: SYSTEM_FONTS.iter().map(|(r, _)| PathBuf::from(r)).collect(),
                }),
        }
    }
}

/// The fonts a renderer draws with.
#[derive(Clone)]
pub(crate) struct Fonts {
    pub regular: Face,
    /// `None` when no bold file exists: bold text is then the regular face filled and stroked.
    pub bold: Option<Face>,
}

impl Fonts {
    pub fn load(source: &FontSource) -> Result<Self, PdfError> {
        let (regular, bold) = source.resolve()?;
        let regular = Face::load(&regular)?;
        let bold = bold.as_deref().map(Face::load).transpose()?;
        Ok(Fonts { regular, bold })
    }
}

/// One face of a font file: the file's bytes (shared with krilla, which subsets from them) and
/// the face's index inside a collection.
#[derive(Clone)]
pub(crate) struct Face {
    pub path: PathBuf,
    data: Arc<Vec<u8>>,
    index: u32,
    pub font: krilla::text::Font,
}

impl Face {
    fn load(path: &Path) -> Result<Self, PdfError> {
        let data = std::fs::read(path).map_err(|source| match source.kind() {
            std::io::ErrorKind::NotFound => PdfError::FontMissing {
                path: path.to_path_buf(),
            },
            _ => PdfError::FontRead {
                path: path.to_path_buf(),
                source,
            },
        })?;
        let parse_error = |reason: String| PdfError::FontParse {
            path: path.to_path_buf(),
            reason,
        };
        let index = choose_face(&data).map_err(parse_error)?;
        let data = Arc::new(data);
        let font = krilla::text::Font::new(data.clone().into(), index)
            .ok_or_else(|| parse_error(format!("face {index} cannot be read for embedding")))?;
        Ok(Face {
            path: path.to_path_buf(),
            data,
            index,
            font,
        })
    }

    /// The character map and advance widths, borrowed for the time of one rendering.
    pub fn metrics(&self) -> FaceMetrics<'_> {
        let font = FontRef::from_index(&self.data, self.index)
            .expect("the face was read when the renderer was built");
        FaceMetrics {
            charmap: font.charmap(),
            glyphs: font.glyph_metrics(Size::unscaled(), LocationRef::default()),
            units_per_em: f32::from(
                font.metrics(Size::unscaled(), LocationRef::default())
                    .units_per_em
                    .max(1),
            ),
        }
    }
}

/// Glyph ids and advances of one face, for measuring and placing text.
pub(crate) struct FaceMetrics<'a> {
    charmap: skrifa::charmap::Charmap<'a>,
    glyphs: GlyphMetrics<'a>,
    units_per_em: f32,
}

impl FaceMetrics<'_> {
    /// The glyph drawn for `c` (0, the font's "missing" box, when the font has none — an emoji,
    /// say) and its advance in ems. A control character (a tab pasted into a text) is a space.
    pub fn glyph(&self, c: char) -> (u32, f32) {
        let c = if c.is_control() { ' ' } else { c };
        let id = self.charmap.map(c).unwrap_or_default();
        let advance = self.glyphs.advance_width(id).unwrap_or(0.0) / self.units_per_em;
        (id.to_u32(), advance)
    }

    /// Width of `text` in points at `size`: the sum of advances, which is exactly how
    /// [`crate::draw`] places the glyphs (no kerning), so measured and drawn lines agree.
    pub fn width(&self, text: &str, size: f32) -> f32 {
        text.chars().map(|c| self.glyph(c).1).sum::<f32>() * size
    }
}

/// The face of a file (a collection holds several) to draw Chinese with: the Simplified Chinese
/// face of a CJK collection (Noto Sans CJK puts JP first, and its 门 and 骨 are Japanese
/// forms), else the first face that has glyphs for common Chinese characters.
fn choose_face(data: &[u8]) -> Result<u32, String> {
    let file =
        FileRef::new(data).map_err(|e| format!("not an OpenType font or collection: {e}"))?;
    let faces: Vec<(u32, FontRef<'_>)> = file
        .fonts()
        .enumerate()
        .filter_map(|(i, face)| Some((u32::try_from(i).ok()?, face.ok()?)))
        .collect();
    if faces.is_empty() {
        return Err("the file holds no readable face".into());
    }
    let has_chinese = |face: &FontRef<'_>| {
        let charmap = face.charmap();
        "中文集合时间地点。，"
            .chars()
            .all(|c| charmap.map(c).is_some())
    };
    let family = |face: &FontRef<'_>| {
        face.localized_strings(StringId::FAMILY_NAME)
            .english_or_first()
            .map(|name| name.to_string())
            .unwrap_or_default()
    };
    let simplified = faces.iter().find(|(_, face)| {
        let name = family(face);
        name.ends_with(" SC") && !name.contains("Mono") && has_chinese(face)
    });
    simplified
        .or_else(|| faces.iter().find(|(_, face)| has_chinese(face)))
        .map(|(index, _)| *index)
        .ok_or_else(|| "no face of the file has glyphs for Chinese text".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_simplified_chinese_face_of_noto_sans_cjk_is_chosen() {
        let (regular, _) = FontSource::System
            .resolve()
            .expect("install fonts-noto-cjk");
        let data = std::fs::read(&regular).unwrap();
        let index = choose_face(&data).unwrap();
        let face = FontRef::from_index(&data, index).unwrap();
        let name = face
            .localized_strings(StringId::FAMILY_NAME)
            .english_or_first()
            .unwrap()
            .to_string();
        assert!(name.ends_with("SC"), "{name} (face {index})");
    }

    #[test]
    fn a_file_that_is_not_a_font_is_refused_with_its_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("not-a-font.ttc");
        std::fs::write(&path, b"hello").unwrap();
        let source = FontSource::Files {
            regular: path.clone(),
            bold: None,
        };
        let Err(error) = Fonts::load(&source) else {
            panic!("a text file was accepted as a font");
        };
        assert!(matches!(&error, PdfError::FontParse { path: p, .. } if *p == path));
        assert!(error.to_string().contains("not-a-font.ttc"), "{error}");
    }
}
