use super::*;

/// Questions on each page of the sample: enough that a page runs over two sheets.
const QUESTIONS_PER_PAGE: usize = 9;

/// A three-page questioning transcript with a signature image on every page.
pub(crate) fn sample_transcript(signature: &[u8]) -> (Document, Images) {
    use sha2::Digest;
    let sha = hex::encode(sha2::Sha256::digest(signature));
    let mut doc = Document::new(
        DocumentKind::Transcript,
        "QC-2026-0007",
        "示例市城市管理综合行政执法局",
        "示城管询字〔2026〕A7-003号",
        "2026年11月30日",
    );
    doc.blocks.push(Block::Fields {
        rows: vec![
            Field {
                label: "询问时间".into(),
                value: "2026年11月30日 09时10分至09时55分".into(),
            },
            Field {
                label: "询问地点".into(),
                value: "示例市东城区和平路12号门前人行道".into(),
            },
            Field {
                label: "被询问人".into(),
                value: "张三，男，身份证号码 110101199001011234，联系电话 13800000000".into(),
            },
            Field {
                label: "询问人".into(),
                value: "李明（执法证号 11010001）、王芳（执法证号 11010002）".into(),
            },
        ],
    });
    for page in 1..=3 {
        doc.blocks.push(Block::SheetSignature {
            signature: Signature {
                label: "被询问人签名".into(),
                name: "张三".into(),
                image: Some(sha.clone()),
                note: Some(format!("以上笔录共3页，第{page}页，已阅，与我所说一致")),
            },
        });
        doc.blocks.push(Block::Qa {
            items: (0..QUESTIONS_PER_PAGE)
                .map(|i| QaItem {
                    q: format!("第{page}页第{i}问：你在和平路12号门前人行道上摆放的水果摊位，是否经过城市管理部门的批准？"),
                    a: "没有批准。我在这里摆摊大概有一个月了，每天早上七点到晚上九点，主要卖苹果、香蕉和橘子，我知道占道经营不对，以后会改正。".into(),
                })
                .collect(),
        });
        if page < 3 {
            doc.blocks.push(Block::PageBreak);
        }
    }
    doc.blocks.push(Block::Seal {
        bureau: "示例市城市管理综合行政执法局".into(),
        date: "2026年11月30日".into(),
    });
    let mut images = Images::new();
    images.insert(sha, signature.to_vec());
    (doc, images)
}

fn renderer() -> Renderer {
    Renderer::from_default_fonts().expect("pinned fonts (scripts/setup installs fonts-noto-cjk)")
}

#[test]
fn the_same_data_gives_the_same_bytes() {
    let sig = qc_evidence::sample::signature_png(300, 120);
    let (doc, images) = sample_transcript(&sig);
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
    let (doc, images) = sample_transcript(&sig);
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
