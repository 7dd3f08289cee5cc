use qc_document::DocumentKind;
use qc_document::project::Source;

use crate::documents::{PdfCheck, check_pdf, reproduce};
use crate::tests::{init_at, pin};

/// A closed general-procedure case of the demo, with every document it can issue issued.
fn closed_case_with_documents() -> (tempfile::TempDir, crate::Quancheng, String) {
    let tmp = tempfile::tempdir().unwrap();
    let (_, mut app) = init_at(tmp.path());
    crate::demo::load(&mut app).unwrap();
    let li = app.unlock("li.ming", &pin("li.ming")).unwrap();
    let case = app
        .list_cases(&qc_store::CaseFilter {
            status: Some("closed".into()),
            ..Default::default()
        })
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .find(|id| {
            app.documents(id)
                .unwrap()
                .iter()
                .any(|d| d.kind == "decision")
        })
        .expect("a closed case with a decision");
    for row in app.documents(&case).unwrap() {
        let kind = DocumentKind::from_name(&row.kind).unwrap();
        let source = Source::parse(&row.source).unwrap();
        app.issue_document(&case, kind, &source, &[&li]).unwrap();
    }
    (tmp, app, case)
}

#[test]
fn every_document_of_a_closed_case_issues_once_and_exports_verified() {
    let (_tmp, mut app, case) = closed_case_with_documents();
    let rows = app.documents(&case).unwrap();
    let kinds: Vec<&str> = rows.iter().map(|r| r.kind.as_str()).collect();
    for k in [
        "filing_approval",
        "prior_notice",
        "decision",
        "delivery_receipt",
        "closing_report",
        "cover",
    ] {
        assert!(kinds.contains(&k), "{k} missing from {kinds:?}");
    }
    let mut numbers = std::collections::BTreeSet::new();
    for r in &rows {
        let issued = r
            .issued
            .as_ref()
            .unwrap_or_else(|| panic!("{} not issued", r.kind));
        assert!(!r.outdated, "{}", r.kind);
        if r.kind != "cover" {
            assert!(
                numbers.insert(issued.number.clone()),
                "number {} twice",
                issued.number
            );
        }
    }
    // Issuing the same data again is the same document.
    let li = app.unlock("li.ming", &pin("li.ming")).unwrap();
    let decision = rows.iter().find(|r| r.kind == "decision").unwrap();
    let source = Source::parse(&decision.source).unwrap();
    let (again, pdf) = app
        .issue_document(&case, DocumentKind::Decision, &source, &[&li])
        .unwrap();
    assert_eq!(Some(&again), decision.issued.as_ref());
    let (_, same) = app.issued_document(&case, &again.number).unwrap();
    assert_eq!(pdf, same);

    // The bundle carries every issued PDF and verifies; each document renders again to the
    // same bytes from its data.
    let head = app.unlock("zhou.wen", &pin("zhou.wen")).unwrap();
    let mut bundle = Vec::new();
    app.export_case(&case, &head, &mut bundle).unwrap();
    let (contents, integrity) = qc_bundle::read(&bundle[..]).unwrap();
    let report = qc_bundle::verify(&contents, &integrity, None, None);
    assert!(report.is_clean(), "{:?}", report.problems);
    let again = reproduce(&contents, &report).unwrap();
    assert_eq!(again.len(), rows.len());
    assert!(again.iter().all(|r| r.same), "{again:?}");

    // The paper copy: as issued it holds; one byte changed, it is refused as altered.
    assert!(check_pdf(&pdf, &contents, &report).holds());
    let mut altered = pdf.clone();
    let at = altered.len() / 2;
    altered[at] ^= 0x01;
    assert_eq!(
        check_pdf(&altered, &contents, &report),
        PdfCheck::Altered {
            number: decision.issued.as_ref().unwrap().number.clone()
        }
    );
    assert_eq!(
        check_pdf(b"%PDF-1.7 nothing", &contents, &report),
        PdfCheck::Unknown
    );
}

#[test]
fn a_paper_whose_data_is_not_the_record_is_refused() {
    let (_tmp, app, case) = closed_case_with_documents();
    let row = app
        .documents(&case)
        .unwrap()
        .into_iter()
        .find(|r| r.kind == "decision")
        .unwrap();
    let (issued, _) = app
        .issued_document(&case, &row.issued.unwrap().number)
        .unwrap();
    let data = app
        .read_blob(&hex::decode(&issued.data).unwrap().try_into().unwrap())
        .unwrap();
    let mut forged: qc_document::Document = serde_json::from_slice(&data).unwrap();
    for b in &mut forged.blocks {
        if let qc_document::Block::Paragraph { text } = b {
            *text = text.replace("元", "元（另收现金200元）");
        }
    }
    let renderer = crate::documents::renderer().unwrap();
    let images = forged
        .images()
        .iter()
        .map(|s| {
            let h: [u8; 32] = hex::decode(s).unwrap().try_into().unwrap();
            (s.to_string(), app.read_blob(&h).unwrap())
        })
        .collect();
    let pdf = renderer.pdf(&forged, &images).unwrap().pdf;
    let mut app = app;
    let head = app.unlock("zhou.wen", &pin("zhou.wen")).unwrap();
    let mut bundle = Vec::new();
    app.export_case(&case, &head, &mut bundle).unwrap();
    let (contents, integrity) = qc_bundle::read(&bundle[..]).unwrap();
    let report = qc_bundle::verify(&contents, &integrity, None, None);
    assert_eq!(check_pdf(&pdf, &contents, &report), PdfCheck::NotOnRecord);
}

#[test]
fn every_document_of_every_demo_case_issues() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, mut app) = init_at(tmp.path());
    crate::demo::load(&mut app).unwrap();
    let li = app.unlock("li.ming", &pin("li.ming")).unwrap();
    let cases = app
        .list_cases(&qc_store::CaseFilter {
            limit: Some(100),
            ..Default::default()
        })
        .unwrap();
    let mut kinds = std::collections::BTreeSet::new();
    for case in &cases {
        for row in app.documents(&case.id).unwrap() {
            let kind = DocumentKind::from_name(&row.kind).unwrap();
            let source = Source::parse(&row.source).unwrap();
            let (issued, pdf) = app.issue_document(&case.id, kind, &source, &[&li]).unwrap();
            assert!(pdf.starts_with(b"%PDF-"), "{}: {}", case.id, row.kind);
            assert_eq!(
                crate::documents::claimed_digest(&pdf).map(hex::encode),
                Some(issued.data.clone()),
                "{}: {}",
                case.id,
                row.kind
            );
            assert_eq!(issued.number.is_empty(), kind.number_word().is_empty());
            kinds.insert(kind);
        }
    }
    // The demo's paths reach all but the sampling voucher (no demo case samples goods).
    let all: std::collections::BTreeSet<_> = DocumentKind::ALL
        .into_iter()
        .filter(|k| !matches!(k, DocumentKind::Sampling | DocumentKind::Contents))
        .collect();
    assert_eq!(kinds, all);
}

/// A document issued under the bureau's earlier wording or catalogue is told from one whose
/// case changed: it still stands (the party's copy is what the case says), it is not flagged
/// to be issued again.
#[test]
fn a_document_issued_under_an_earlier_wording_is_not_flagged_as_changed() {
    let (_tmp, mut app, case) = closed_case_with_documents();
    let admin = app.unlock("wu.min", &pin("wu.min")).unwrap();
    let decision = |app: &crate::Quancheng| {
        app.documents(&case)
            .unwrap()
            .into_iter()
            .find(|r| r.kind == "decision")
            .unwrap()
    };
    let before = decision(&app);
    assert!(!before.outdated && !before.bureau_changed);
    let court =
        qc_document::wording::BUILTIN.replace("示例市东城区人民法院", "示例市西城区人民法院");
    app.import_wording(&court, &admin).unwrap();
    let after = decision(&app);
    assert!(!after.outdated, "the case did not change");
    assert!(after.bureau_changed, "the decision names the court");
    // It stands: shown and given again as issued, under its own number.
    let issued = after.issued.clone().unwrap();
    let source = Source::parse(&after.source).unwrap();
    let shown = app
        .preview_document(&case, DocumentKind::Decision, &source)
        .unwrap();
    assert_eq!(shown.issued.as_ref(), Some(&issued));
    assert_eq!(shown.number, issued.number);
    let li = app.unlock("li.ming", &pin("li.ming")).unwrap();
    let (again, _) = app
        .issue_document(&case, DocumentKind::Decision, &source, &[&li])
        .unwrap();
    assert_eq!(again, issued, "not issued anew");
    // A catalogue that renames the case's violation type: the same.
    let mut renamed = app.catalogue().clone();
    for d in &mut renamed.domains {
        for v in &mut d.violations {
            v.name = format!("{}（新称）", v.name);
        }
    }
    renamed.version += 1;
    app.import_catalogue(&serde_json::to_string(&renamed).unwrap(), &admin)
        .unwrap();
    let renamed_row = decision(&app);
    assert!(!renamed_row.outdated && renamed_row.bureau_changed);
    // Without the earlier files kept, nothing tells the two apart: flagged as changed.
    app.set_meta_json(
        "earlier_bureau_files",
        &serde_json::json!({"wordings": [], "catalogues": []}),
    )
    .unwrap();
    let unknown = decision(&app);
    assert!(unknown.outdated && !unknown.bureau_changed);
}
