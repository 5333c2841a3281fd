//! A departure notice rendered with the machine's CJK font and read back by poppler's
//! `pdftotext` and `pdffonts` (Debian: poppler-utils; fonts: fonts-noto-cjk). No tool or font is
//! skipped when missing: the test fails and says what to install.

use std::path::PathBuf;
use std::process::Command;

use tripdesk_pdf::{Block, Document, FontSource, PdfError, Renderer, Section};

fn departure_notice() -> Document {
    let itinerary: Vec<Block> = (1..=30)
        .map(|day| {
            Block::Paragraph(format!(
                "第{day}天：早餐后乘车前往大理古城（约 3 小时），游览崇圣寺三塔、洱海生态廊道，\
                 午餐品尝白族特色菜。下午自由活动，可租自行车环湖骑行 10km。\
                 Day {day}: free time in the old town; dinner at 18:30. 住宿：大理古城精品客栈（含早）。"
            ))
        })
        .collect();
    Document {
        title: "出团通知书 · 云南大理丽江六日游".into(),
        meta: vec![
            "订单号 TD-20261205-0042 · 出发日期 2026-12-05".into(),
            "生成于 2026-12-03 09:00（北京时间）".into(),
        ],
        sections: vec![
            Section {
                heading: "集合信息".into(),
                blocks: vec![
                    Block::Highlight {
                        label: "集合时间".into(),
                        value: "2026年12月5日 07:30".into(),
                    },
                    Block::Highlight {
                        label: "集合地点".into(),
                        value: "昆明长水国际机场 3号门".into(),
                    },
                    Block::KeyValues(vec![
                        ("游客".into(), "张晓梅".into()),
                        ("领队".into(), "李导 138 0000 1234".into()),
                        ("紧急联系人".into(), "".into()),
                    ]),
                ],
            },
            Section {
                heading: "行程".into(),
                blocks: itinerary,
            },
            Section {
                heading: "注意事项".into(),
                blocks: vec![Block::Bullets(vec![
                    "请携带身份证原件，登机前 45 分钟停止办理值机。".into(),
                    "高原地区紫外线强，请备好防晒用品。".into(),
                ])],
            },
            Section {
                heading: "费用明细".into(),
                blocks: vec![Block::Table {
                    header: vec!["项目".into(), "人数".into(), "金额".into()],
                    rows: vec![
                        vec!["成人".into(), "2".into(), "¥3,980.00".into()],
                        vec!["儿童（不占床）".into(), "1".into(), "¥1,290.00".into()],
                    ],
                }],
            },
        ],
        footer: Some("云南彩云之旅国际旅行社有限公司 · 客服 0871-6000 0000".into()),
    }
}

fn run(tool: &str, args: &[&str]) -> String {
    let output = Command::new(tool)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{tool} cannot run ({e}); install poppler-utils"));
    assert!(
        output.status.success(),
        "{tool} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("poppler prints UTF-8")
}

#[test]
fn a_departure_notice_shows_the_traveler_and_meeting_place_on_numbered_pages() {
    let renderer = Renderer::new(&FontSource::System).expect("install fonts-noto-cjk");
    let bytes = renderer.render(&departure_notice()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notice.pdf");
    std::fs::write(&path, &bytes).unwrap();
    // TRIPDESK_PDF_KEEP=/tmp/notice.pdf keeps a copy to look at.
    if let Some(keep) = std::env::var_os("TRIPDESK_PDF_KEEP") {
        std::fs::write(keep, &bytes).unwrap();
    }
    let path = path.to_str().unwrap();

    let text = run("pdftotext", &["-enc", "UTF-8", path, "-"]);
    for expected in [
        "张晓梅",
        "昆明长水国际机场 3号门",
        "集合时间",
        "2026年12月5日 07:30",
        "第30天",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }
    // pdftotext ends every page with a form feed.
    let pages = text.matches('\u{c}').count();
    assert!(pages >= 3, "the long itinerary fills only {pages} pages");
    // pdftotext guesses spaces from the gaps between glyphs, and drops those of the small
    // footer: compare without spaces.
    let compact: String = text.chars().filter(|c| *c != ' ').collect();
    for page in 1..=pages {
        let footer = format!("第{page}页/共{pages}页");
        assert!(
            compact.contains(&footer),
            "{footer:?} missing from:\n{text}"
        );
    }
    assert!(text.contains("云南彩云之旅国际旅行社有限公司"));

    // The font is embedded and subset (pdffonts: the "emb" and "sub" columns), which is why
    // the whole file is a small fraction of the 20 MB collection.
    let fonts = run("pdffonts", &[path]);
    let rows: Vec<&str> = fonts.lines().skip(2).collect();
    assert!(!rows.is_empty(), "no fonts in the PDF:\n{fonts}");
    for row in &rows {
        assert!(
            row.contains("yes yes"),
            "a font not embedded as a subset:\n{fonts}"
        );
    }
    assert!(bytes.len() < 300_000, "the PDF is {} bytes", bytes.len());
}

#[test]
fn the_same_document_renders_to_the_same_bytes() {
    let renderer = Renderer::new(&FontSource::System).expect("install fonts-noto-cjk");
    let document = departure_notice();
    assert_eq!(
        renderer.render(&document).unwrap(),
        renderer.render(&document).unwrap()
    );
}

#[test]
fn a_missing_font_file_is_named_in_the_error() {
    let path = PathBuf::from("/nonexistent/fonts/NotoSansCJK-Regular.ttc");
    let source = FontSource::Files {
        regular: path.clone(),
        bold: None,
    };
    let Err(error) = Renderer::new(&source) else {
        panic!("a renderer was built without a font");
    };
    assert!(
        matches!(&error, PdfError::FontMissing { path: p } if *p == path),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "font file /nonexistent/fonts/NotoSansCJK-Regular.ttc does not exist"
    );
}

#[test]
fn a_renderer_can_be_shared_between_threads() {
    fn shareable<T: Send + Sync + 'static>() {}
    shareable::<Renderer>();
}

#[test]
fn without_a_bold_file_bold_text_is_drawn_from_the_regular_face() {
    let system = Renderer::new(&FontSource::System).expect("install fonts-noto-cjk");
    let (regular, _) = system.font_files();
    let source = FontSource::Files {
        regular: regular.to_path_buf(),
        bold: None,
    };
    let renderer = Renderer::new(&source).unwrap();
    assert_eq!(renderer.font_files().1, None);
    let bytes = renderer.render(&departure_notice()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("regular-only.pdf");
    std::fs::write(&path, &bytes).unwrap();
    let path = path.to_str().unwrap();
    // The bold title and highlighted values are still text, in the one embedded face.
    let text = run("pdftotext", &["-enc", "UTF-8", path, "-"]);
    for expected in ["出团通知书", "昆明长水国际机场 3号门"] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }
    let fonts = run("pdffonts", &[path]);
    assert_eq!(fonts.lines().skip(2).count(), 1, "{fonts}");
}
