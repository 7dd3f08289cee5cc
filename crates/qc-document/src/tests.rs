use super::*;
use crate::sample::transcript as sample_transcript;

fn renderer() -> Renderer {
    Renderer::from_default_fonts().expect("pinned fonts (scripts/setup installs fonts-noto-cjk)")
}

#[test]
fn the_same_data_gives_the_same_bytes() {
    let sig = qc_evidence::sample::signature_png(300, 120);
    let (doc, images) = sample_transcript(&sig, 9);
    let r = renderer();
    let a = r.pdf(&doc, &images).unwrap();
    let b = r.pdf(&doc, &images).unwrap();
    assert_eq!(a.pdf, b.pdf);
    assert!(a.pages >= 3, "{} pages", a.pages);
    if let Ok(dir) = std::env::var("QC_DOC_OUT") {
        std::fs::write(format!("{dir}/transcript.pdf"), &a.pdf).unwrap();
    }
    let mut changed = doc.clone();
    changed.blocks.pop();
    assert_ne!(r.pdf(&changed, &images).unwrap().pdf, a.pdf);
}

/// The text of each sheet of a PDF, by poppler's `pdftotext` (installed by scripts/setup).
pub(crate) fn sheets_text(pdf: &[u8], pages: usize) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("doc.pdf");
    std::fs::write(&path, pdf).unwrap();
    (1..=pages)
        .map(|n| {
            let out = std::process::Command::new("pdftotext")
                .args(["-layout", "-f", &n.to_string(), "-l", &n.to_string()])
                .arg(&path)
                .arg("-")
                .output()
                .expect("pdftotext (poppler-utils; scripts/setup installs it)");
            String::from_utf8(out.stdout).unwrap()
        })
        .collect()
}

#[test]
fn every_sheet_of_a_transcript_page_carries_its_signature() {
    let sig = qc_evidence::sample::signature_png(300, 120);
    let (doc, images) = sample_transcript(&sig, 9);
    let rendered = renderer().pdf(&doc, &images).unwrap();
    assert!(
        rendered.pages > 3,
        "the sample's pages run over: {} sheets",
        rendered.pages
    );
    let sheets = sheets_text(&rendered.pdf, rendered.pages);
    assert_eq!(sheets.len(), rendered.pages);
    let mut seen = Vec::new();
    for (i, text) in sheets.iter().enumerate() {
        // pdftotext puts spaces between Chinese and digits.
        let text = text.replace(' ', "");
        assert!(
            text.contains("被询问人签名"),
            "sheet {} unsigned:\n{text}",
            i + 1
        );
        let page = (1..=3)
            .find(|p| text.contains(&format!("第{p}页，已阅")))
            .unwrap_or_else(|| panic!("sheet {} names no page:\n{text}", i + 1));
        seen.push(page);
    }
    // Sheets follow the record's pages in order, each page on one sheet or more.
    assert!(seen.windows(2).all(|w| w[0] <= w[1]), "{seen:?}");
    assert_eq!(seen.first(), Some(&1));
    assert_eq!(seen.last(), Some(&3));
}

#[test]
fn a_seal_pushed_onto_a_page_of_its_own_says_the_page_has_no_text() {
    let r = renderer();
    let seal = Block::Seal {
        bureau: "示例市城市管理综合行政执法局".into(),
        date: "2026年11月30日".into(),
    };
    // One-line paragraphs until the seal no longer fits on the first page.
    for n in 20..80 {
        let mut doc = Document::new(
            DocumentKind::Decision,
            "QC-1",
            "示例局",
            "示字〔2026〕1号",
            "",
        );
        doc.blocks.extend((1..=n).map(|i| Block::Paragraph {
            text: format!("第{i}段。"),
        }));
        doc.blocks.push(seal.clone());
        let rendered = r.pdf(&doc, &Images::new()).unwrap();
        let sheets: Vec<String> = sheets_text(&rendered.pdf, rendered.pages)
            .into_iter()
            .map(|t| t.replace(' ', ""))
            .collect();
        assert!(!sheets[0].contains("此页无正文"), "{n}: {}", sheets[0]);
        if rendered.pages == 2 {
            assert!(sheets[1].contains("此页无正文"), "{n}: {}", sheets[1]);
            assert!(
                !sheets[1].contains('段'),
                "{n}: body text on the seal's page"
            );
            return;
        }
    }
    panic!("eighty lines never pushed the seal over");
}
