//! 执法文书 on a device: which documents a case can issue, previews, issuing (rendered from
//! the signed case data, stored as blobs, signed onto the chain with the PDF's and the data's
//! digests), the bound case file, and the checks of a paper copy or a bundle's documents.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use qc_casedoc::{CaseDoc, IssuedDocument};
use qc_chain::Action;
use qc_document::project::{self, CaseFacts, Source};
use qc_document::wording::Wording;
use qc_document::{Document, DocumentKind, Images, Part, Renderer};
use qc_domain::{Catalogue, EnforcementOfficer, MediaKind, Person, Timestamp};
use qc_store::Touched;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::records::unhex;
use crate::{ApiError, Quancheng, Unlocked, signer};

/// Pixels per point of preview pages: 2.0 is 144 dpi on A4, sharp on a tablet and good
/// enough when a preview is printed.
const PREVIEW_SCALE: f32 = 2.0;

/// Where the imported wording is kept (the built-in one until an administrator imports one).
const WORDING_KEY: &str = "document_wording";
/// Where the wordings and catalogues in force before are kept, so a document issued under one
/// is told from one whose case changed.
const EARLIER_KEY: &str = "earlier_bureau_files";
/// How many earlier files of each kind are kept.
const EARLIER_KEPT: usize = 4;

/// The wordings and catalogues a document may have been issued under, those in force first.
struct Candidates {
    wordings: Vec<Wording>,
    catalogues: Vec<Catalogue>,
}

impl Candidates {
    /// The issued `prev` as the case's `data` gives it under an earlier wording or catalogue,
    /// if it does: what changed since is the bureau's files, not the case, and it stands.
    fn issued_under_earlier(
        &self,
        (data, directory): (&CaseData, &[Person]),
        (kind, source): (DocumentKind, &Source),
        prev: &IssuedDocument,
    ) -> Result<Option<Document>, ApiError> {
        for (i, wording) in self.wordings.iter().enumerate() {
            for (j, catalogue) in self.catalogues.iter().enumerate() {
                if i == 0 && j == 0 {
                    continue;
                }
                let facts = data.facts(directory, catalogue, wording);
                let doc = project::project(&facts, kind, source, &prev.number)?;
                if hex::encode(doc.digest()) == prev.data {
                    return Ok(Some(doc));
                }
            }
        }
        Ok(None)
    }
}

/// The wordings (TOML) and catalogues (JSON) in force before, oldest first.
#[derive(Debug, Default, Serialize, Deserialize)]
struct EarlierFiles {
    wordings: Vec<String>,
    catalogues: Vec<String>,
}

/// The fonts and typst's library, loaded on the first document (about 70 MB of fonts).
static RENDERER: OnceLock<Renderer> = OnceLock::new();

/// Where the app's bundle carries the fonts, when it does (set once at start).
static FONT_DIR: OnceLock<std::path::PathBuf> = OnceLock::new();

/// Renders documents with the fonts in `dir` (the app's bundled copy) instead of
/// [`qc_document::fonts::default_dir`]; call before the first document.
pub fn set_font_dir(dir: std::path::PathBuf) {
    // A second call changes nothing: the fonts a process renders with never change.
    let _ = FONT_DIR.set(dir);
}

/// The renderer over the pinned fonts, loaded once per process.
pub fn renderer() -> Result<&'static Renderer, ApiError> {
    if let Some(r) = RENDERER.get() {
        return Ok(r);
    }
    let dir = FONT_DIR
        .get()
        .cloned()
        .unwrap_or_else(qc_document::fonts::default_dir);
    let r = Renderer::new(qc_document::fonts::Fonts::load(&dir)?);
    Ok(RENDERER.get_or_init(|| r))
}

/// A document of a case: one it can issue now, and whether (and as what) it was issued.
#[derive(Debug, Clone, Serialize)]
pub struct DocumentRow {
    /// The kind's stable name.
    pub kind: String,
    /// Its title (`行政处罚决定书`).
    pub title: String,
    /// What it is made from (`event:<id>`, `record:<id>`, `case`).
    pub source: String,
    /// When the act or record it is made from happened.
    pub at: Timestamp,
    /// The latest issue of it, if any.
    pub issued: Option<IssuedDocument>,
    /// Issued, but what the case's record says now would print differently (a record
    /// corrected): issuing again makes a new document with a new number.
    pub outdated: bool,
    /// Issued as the case still says, under the bureau's earlier wording or catalogue: it
    /// stands (shown and given again as issued; only a change of the case issues anew).
    pub bureau_changed: bool,
}

/// A document shown before (or after) it is issued.
#[derive(Debug, Clone, Serialize)]
pub struct DocumentPreview {
    /// Title.
    pub title: String,
    /// 文号 it has (issued) or would get (not yet).
    pub number: String,
    /// The issue, if issued with exactly this data.
    pub issued: Option<IssuedDocument>,
    /// The pages as PNG images.
    #[serde(skip)]
    pub pages: Vec<Vec<u8>>,
}

/// What checking a paper copy's PDF against a case bundle found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum PdfCheck {
    /// The PDF is byte for byte a document issued in the case.
    Issued {
        /// Its kind.
        kind: String,
        /// Its 文号.
        number: String,
        /// The entry that issued it (hex).
        entry: String,
    },
    /// The PDF names a document of the case (by its data digest) but its bytes are not the
    /// issued ones: it was changed.
    Altered {
        /// The 文号 of the document it claims to be.
        number: String,
    },
    /// The PDF's data digest is not of any document issued in the case: what it says is not
    /// what the record says.
    NotOnRecord,
    /// Not a Quancheng document (no data digest in it).
    Unknown,
}

impl PdfCheck {
    /// Whether the paper is what the record says.
    pub fn holds(&self) -> bool {
        matches!(self, PdfCheck::Issued { .. })
    }

    /// The verdict in Chinese.
    pub fn zh(&self) -> String {
        match self {
            PdfCheck::Issued { number, .. } => format!("与案卷中出具的文书 {number} 逐字节一致"),
            PdfCheck::Altered { number } => {
                format!("自称是文书 {number}，但内容与出具时不同（被改动）")
            }
            PdfCheck::NotOnRecord => "所载数据摘要不在案卷的签名记录中：文书内容与记录不符".into(),
            PdfCheck::Unknown => "不是本系统出具的文书（没有数据摘要）".into(),
        }
    }
}

/// The data digest a Quancheng PDF carries in its keywords (`quancheng-data:<hex>`).
pub fn claimed_digest(pdf: &[u8]) -> Option<[u8; 32]> {
    const MARK: &[u8] = b"quancheng-data:";
    let at = pdf.windows(MARK.len()).position(|w| w == MARK)? + MARK.len();
    let hex = std::str::from_utf8(pdf.get(at..at + 64)?).ok()?;
    hex::decode(hex).ok()?.try_into().ok()
}

/// A document issued by a verified entry of a bundle.
struct IssuedEntry<'a> {
    /// The entry's hash (hex).
    entry: String,
    kind: String,
    number: String,
    /// The issued PDF's SHA-256.
    pdf: &'a [u8; 32],
    /// The data's SHA-256 (the data digest).
    data: &'a [u8; 32],
}

/// The documents issued by the entries a bundle's verification accepted (its 卷内目录 lists
/// exactly those), each entry hashed once.
fn issued_in<'a>(
    entries: &'a [qc_chain::Entry],
    hashes: &[[u8; 32]],
    report: &qc_bundle::Report,
) -> Vec<IssuedEntry<'a>> {
    let verified: std::collections::HashSet<&str> =
        report.items.iter().map(|i| i.entry.as_str()).collect();
    entries
        .iter()
        .zip(hashes)
        .filter_map(|(entry, hash)| {
            let Action::DocumentIssued { kind, number } = &entry.action else {
                return None;
            };
            let hash = hex::encode(hash);
            let [pdf, data] = entry.blobs.as_slice() else {
                return None;
            };
            verified.contains(hash.as_str()).then(|| IssuedEntry {
                entry: hash,
                kind: kind.clone(),
                number: number.clone(),
                pdf,
                data,
            })
        })
        .collect()
}

/// The bundle's decodable entries and their hashes.
fn decoded(contents: &qc_bundle::Contents) -> (Vec<qc_chain::Entry>, Vec<[u8; 32]>) {
    contents
        .entries
        .iter()
        .filter_map(|e| Some((e.entry().ok()?, e.hash())))
        .unzip()
}

/// Checks a PDF against the documents issued in a verified bundle's entries.
pub fn check_pdf(
    pdf: &[u8],
    contents: &qc_bundle::Contents,
    report: &qc_bundle::Report,
) -> PdfCheck {
    let sha: [u8; 32] = Sha256::digest(pdf).into();
    let claimed = claimed_digest(pdf);
    let (entries, hashes) = decoded(contents);
    let issued = issued_in(&entries, &hashes, report);
    if let Some(d) = issued.iter().find(|d| *d.pdf == sha) {
        return PdfCheck::Issued {
            kind: d.kind.clone(),
            number: d.number.clone(),
            entry: d.entry.clone(),
        };
    }
    match claimed {
        None => PdfCheck::Unknown,
        Some(claimed) => match issued.into_iter().rfind(|d| *d.data == claimed) {
            Some(d) => PdfCheck::Altered { number: d.number },
            None => PdfCheck::NotOnRecord,
        },
    }
}

/// One document of a bundle rendered again from its data.
#[derive(Debug, Clone, Serialize)]
pub struct Reproduction {
    /// Its 文号 (or kind, when it has none).
    pub number: String,
    /// Whether the layout and fonts give the issued PDF's bytes again.
    pub same: bool,
}

/// Renders every document issued in a bundle again from its data (with the images the bundle
/// carries) and compares the bytes with the issued PDF. Needs the pinned fonts.
pub fn reproduce(
    contents: &qc_bundle::Contents,
    report: &qc_bundle::Report,
) -> Result<Vec<Reproduction>, ApiError> {
    let renderer = renderer()?;
    let images: Images = contents
        .blobs
        .iter()
        .map(|(h, b)| (hex::encode(h), b.clone()))
        .collect();
    let (entries, hashes) = decoded(contents);
    Ok(issued_in(&entries, &hashes, report)
        .into_iter()
        .filter_map(|d| {
            let (pdf, data) = (contents.blobs.get(d.pdf)?, contents.blobs.get(d.data)?);
            let same = serde_json::from_slice::<Document>(data)
                .ok()
                .filter(|doc| doc.to_bytes() == *data)
                .and_then(|doc| renderer.pdf(&doc, &images).ok())
                .is_some_and(|r| r.pdf == *pdf);
            Some(Reproduction {
                number: if d.number.is_empty() {
                    d.kind
                } else {
                    d.number
                },
                same,
            })
        })
        .collect())
}

fn officer_among<'a>(by: &[&'a Unlocked]) -> Result<&'a Unlocked, ApiError> {
    by.iter()
        .copied()
        .find(|u| EnforcementOfficer::try_from(u.person.clone()).is_ok())
        .ok_or_else(|| {
            ApiError::Invalid("a document is issued by an enforcement officer (执法证)".into())
        })
}

/// The case data a document is made from, read from a case document.
struct CaseData {
    state: qc_domain::CaseState,
    events: Vec<qc_domain::WorkflowEvent>,
    records: Vec<qc_casedoc::StoredRecord>,
    evidence: Vec<qc_domain::EvidenceItem>,
    issued: Vec<IssuedDocument>,
}

impl CaseData {
    fn read(doc: &CaseDoc) -> Result<CaseData, ApiError> {
        Ok(CaseData {
            state: doc.state()?,
            events: doc.events()?,
            records: doc.records()?,
            evidence: doc.evidence()?,
            issued: doc.documents()?,
        })
    }

    fn facts<'a>(
        &'a self,
        directory: &'a [Person],
        catalogue: &'a qc_domain::Catalogue,
        wording: &'a Wording,
    ) -> CaseFacts<'a> {
        CaseFacts {
            state: &self.state,
            events: &self.events,
            records: &self.records,
            evidence: &self.evidence,
            directory,
            catalogue,
            wording,
            issued: &self.issued,
        }
    }

    /// The latest issue of `kind` from `source`.
    fn issue_of(&self, kind: DocumentKind, source: &Source) -> Option<&IssuedDocument> {
        let source = source.to_text();
        self.issued
            .iter()
            .rev()
            .find(|d| d.kind == kind.name() && d.source == source)
    }
}

impl Quancheng {
    /// The bureau's wording in force: the imported one, else the built-in one.
    pub fn wording(&self) -> Result<Wording, ApiError> {
        match self.store.meta(WORDING_KEY)? {
            Some(text) => Ok(Wording::parse(&String::from_utf8_lossy(&text))?),
            None => Ok(Wording::builtin()),
        }
    }

    /// The wording file in force, as text (to edit and import again).
    pub fn wording_text(&self) -> Result<String, ApiError> {
        Ok(match self.store.meta(WORDING_KEY)? {
            Some(text) => String::from_utf8_lossy(&text).into_owned(),
            None => qc_document::wording::BUILTIN.to_string(),
        })
    }

    /// Replaces the wording with a city's edited file, checked first (administrators only).
    pub fn import_wording(&mut self, text: &str, admin: &Unlocked) -> Result<Wording, ApiError> {
        crate::require_admin(admin, "import document wording")?;
        let wording = Wording::parse(text)?;
        self.keep_wording(text)?;
        self.forget_station_file(qc_server::service::bureau::BureauKind::Wording)?;
        tracing::info!(by = %admin.person.id, "document wording replaced");
        Ok(wording)
    }

    /// Keeps a wording file already checked as the one in force (the one it replaces kept
    /// among the earlier ones).
    pub(crate) fn keep_wording(&self, text: &str) -> Result<(), ApiError> {
        let was = self.wording_text()?;
        if was != text {
            self.remember_earlier(|h| &mut h.wordings, was)?;
        }
        Ok(self.store.set_meta(WORDING_KEY, text.as_bytes())?)
    }

    /// Puts an already checked catalogue in force (the one it replaces kept among the earlier
    /// ones).
    pub(crate) fn replace_catalogue(&mut self, catalogue: Catalogue) -> Result<(), ApiError> {
        if self.catalogue() != &catalogue {
            let was = serde_json::to_string(self.catalogue()).map_err(crate::json_err)?;
            self.remember_earlier(|h| &mut h.catalogues, was)?;
        }
        Ok(self.store.set_catalogue(catalogue)?)
    }

    /// Keeps `text` among the earlier files of one kind (the latest few).
    fn remember_earlier(
        &self,
        list: impl FnOnce(&mut EarlierFiles) -> &mut Vec<String>,
        text: String,
    ) -> Result<(), ApiError> {
        let mut earlier: EarlierFiles = self.meta_json(EARLIER_KEY)?.unwrap_or_default();
        let kept = list(&mut earlier);
        kept.retain(|t| *t != text);
        kept.push(text);
        let from = kept.len().saturating_sub(EARLIER_KEPT);
        kept.drain(..from);
        self.set_meta_json(EARLIER_KEY, &earlier)
    }

    /// The earlier files kept (an unreadable record: none, as if nothing were kept).
    fn earlier_files(&self) -> EarlierFiles {
        self.meta_json(EARLIER_KEY)
            .ok()
            .flatten()
            .unwrap_or_default()
    }

    /// The wordings and catalogues a document may have been issued under: those in force now
    /// first, then the earlier ones kept, each once.
    fn candidates(&self) -> Result<Candidates, ApiError> {
        let earlier = self.earlier_files();
        let mut wordings = vec![self.wording()?];
        for w in earlier
            .wordings
            .iter()
            .filter_map(|t| Wording::parse(t).ok())
        {
            crate::push_new(&mut wordings, w);
        }
        let mut catalogues = vec![self.catalogue().clone()];
        for c in earlier
            .catalogues
            .iter()
            .filter_map(|t| Catalogue::from_json(t).ok())
        {
            crate::push_new(&mut catalogues, c);
        }
        Ok(Candidates {
            wordings,
            catalogues,
        })
    }

    fn case_data(&self, case: &str) -> Result<(String, CaseData), ApiError> {
        let id = self.resolve_case(case)?;
        let doc = self.store.case_doc(&id, self.device_id.as_bytes())?;
        Ok((id, CaseData::read(&doc)?))
    }

    /// The images a document shows, from the blob store.
    fn images_of(&self, doc: &Document) -> Result<Images, ApiError> {
        let mut images = BTreeMap::new();
        for sha in doc.images() {
            images.insert(sha.to_string(), self.read_blob(&unhex(sha)?)?);
        }
        Ok(images)
    }

    /// This device's next serial for `kind` in `year`, as printed in the 文号: the device's
    /// own code and a count, so tablets number offline without ever giving two documents the
    /// same number. `take` uses it up (before issuing: a crash leaves a gap, never a repeat).
    fn serial(&self, kind: DocumentKind, year: i32, take: bool) -> Result<String, ApiError> {
        let key = format!("document_serial/{}/{year}", kind.number_word());
        let last: u64 = self
            .store
            .meta(&key)?
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        if take {
            self.store
                .set_meta(&key, (last + 1).to_string().as_bytes())?;
        }
        let code = self.device_id.trim_start_matches("device-").to_uppercase();
        Ok(format!("{code}-{:03}", last + 1))
    }

    /// The document as it would be (or was) issued: with the issued number when the data is
    /// unchanged since, else the next number.
    fn draft(
        &self,
        data: &CaseData,
        kind: DocumentKind,
        source: &Source,
        take: bool,
    ) -> Result<(Document, Option<IssuedDocument>), ApiError> {
        let directory = self.people()?;
        let wording = self.wording()?;
        let facts = data.facts(&directory, self.catalogue(), &wording);
        if let Some(prev) = data.issue_of(kind, source) {
            let doc = project::project(&facts, kind, source, &prev.number)?;
            if hex::encode(doc.digest()) == prev.data {
                return Ok((doc, Some(prev.clone())));
            }
            // Issued under the bureau's earlier wording or catalogue, the case unchanged: that
            // document stands (shown, and given again, as issued).
            let earlier = self.candidates()?.issued_under_earlier(
                (data, &directory),
                (kind, source),
                prev,
            )?;
            if let Some(doc) = earlier {
                return Ok((doc, Some(prev.clone())));
            }
        }
        let number = if kind.number_word().is_empty() {
            String::new()
        } else {
            // The year of the act, as printed on the document.
            let at = project::issuable(&facts)
                .into_iter()
                .find(|i| i.kind == kind && &i.source == source)
                .map_or(self.now(), |i| Timestamp(i.at));
            // The year as printed: China Standard Time, like the document's date.
            let year = at.china_date().year();
            wording.number(kind, year, &self.serial(kind, year, take)?)
        };
        Ok((project::project(&facts, kind, source, &number)?, None))
    }

    /// Every document the case can issue, with what was issued.
    pub fn documents(&self, case: &str) -> Result<Vec<DocumentRow>, ApiError> {
        let (_, data) = self.case_data(case)?;
        let directory = self.people()?;
        let wording = self.wording()?;
        let facts = data.facts(&directory, self.catalogue(), &wording);
        let mut candidates: Option<Candidates> = None;
        project::issuable(&facts)
            .into_iter()
            .map(|i| {
                let issued = data.issue_of(i.kind, &i.source).cloned();
                let changed = match &issued {
                    Some(prev) => {
                        let now = project::project(&facts, i.kind, &i.source, &prev.number)?;
                        hex::encode(now.digest()) != prev.data
                    }
                    None => false,
                };
                let bureau_changed = match &issued {
                    Some(prev) if changed => {
                        // Read once a document differs, and only then.
                        if candidates.is_none() {
                            candidates = Some(self.candidates()?);
                        }
                        let tried = candidates.as_ref().map(|c| {
                            c.issued_under_earlier((&data, &directory), (i.kind, &i.source), prev)
                        });
                        tried.transpose()?.flatten().is_some()
                    }
                    _ => false,
                };
                Ok(DocumentRow {
                    kind: i.kind.name().into(),
                    title: i.kind.title().into(),
                    source: i.source.to_text(),
                    at: Timestamp(i.at),
                    issued,
                    outdated: changed && !bureau_changed,
                    bureau_changed,
                })
            })
            .collect()
    }

    /// The pages of a document as images, before or after it is issued (nothing is signed).
    pub fn preview_document(
        &self,
        case: &str,
        kind: DocumentKind,
        source: &Source,
    ) -> Result<DocumentPreview, ApiError> {
        let (_, data) = self.case_data(case)?;
        let (doc, issued) = self.draft(&data, kind, source, false)?;
        let pages = renderer()?.png_pages(&doc, &self.images_of(&doc)?, PREVIEW_SCALE)?;
        Ok(DocumentPreview {
            title: doc.title,
            number: doc.number,
            issued,
            pages,
        })
    }

    /// Issues a document: renders it from the case data, keeps the PDF and the data as blobs,
    /// and signs an entry naming both (by `by`, among them an enforcement officer). Issuing
    /// the same data again returns the earlier issue; changed data gets a new number.
    pub fn issue_document(
        &mut self,
        case: &str,
        kind: DocumentKind,
        source: &Source,
        by: &[&Unlocked],
    ) -> Result<(IssuedDocument, Vec<u8>), ApiError> {
        officer_among(by)?;
        let (id, data) = self.case_data(case)?;
        let (doc, issued) = self.draft(&data, kind, source, true)?;
        if let Some(prev) = issued {
            let pdf = self.read_blob(&unhex(&prev.pdf)?)?;
            return Ok((prev, pdf));
        }
        let rendered = renderer()?.pdf(&doc, &self.images_of(&doc)?)?;
        let pdf_hash = self.put_blob(&rendered.pdf)?;
        let data_hash = self.put_blob(&doc.to_bytes())?;
        let at = self.now();
        let issued = IssuedDocument {
            kind: kind.name().into(),
            source: source.to_text(),
            number: doc.number.clone(),
            data: hex::encode(data_hash),
            pdf: hex::encode(pdf_hash),
            pages: rendered.pages as u32,
            at,
            by: by.iter().map(|u| u.person.id.clone()).collect(),
        };
        let action = Action::DocumentIssued {
            kind: kind.name().into(),
            number: doc.number.clone(),
        };
        let sign = signer(&self.device_id, &self.device_key, at, action, by);
        self.store.update_case(
            &id,
            &self.device_id,
            |d| -> Result<Touched, ApiError> {
                d.add_document(&issued)?;
                Ok(Touched {
                    blobs: vec![pdf_hash, data_hash],
                    records: vec![data_hash],
                })
            },
            sign,
        )?;
        tracing::info!(case = %id, kind = kind.name(), number = %doc.number, "document issued");
        Ok((issued, rendered.pdf))
    }

    /// An issued document's PDF, by its 文号 or data digest (hex).
    pub fn issued_document(
        &self,
        case: &str,
        which: &str,
    ) -> Result<(IssuedDocument, Vec<u8>), ApiError> {
        let (_, data) = self.case_data(case)?;
        let doc = data
            .issued
            .into_iter()
            .rev()
            .find(|d| d.number == which || d.data == which)
            .ok_or_else(|| {
                ApiError::Invalid(format!("no document {which} was issued in this case"))
            })?;
        let pdf = self.read_blob(&unhex(&doc.pdf)?)?;
        Ok((doc, pdf))
    }

    /// The printable case file of a case on this device.
    pub fn case_file_pdf(&self, case: &str) -> Result<Vec<u8>, ApiError> {
        let id = self.resolve_case(case)?;
        let doc = self.store.case_doc(&id, self.device_id.as_bytes())?;
        let entries = self.case_entries(&id)?;
        self.bind_case_file(&doc, &entries, &|hash| self.read_blob(hash))
    }

    /// The printable case file from a bundle (its documents and photos as the bundle holds
    /// them; the cover and contents made with this device's catalogue and wording), only of a
    /// bundle that verifies under this device's bureau: what it prints is what was signed.
    pub fn case_file_from_bundle(
        &self,
        (contents, integrity): (&qc_bundle::Contents, &qc_bundle::Integrity),
    ) -> Result<Vec<u8>, ApiError> {
        let report =
            qc_bundle::verify(contents, integrity, Some(self.anchor.bureau_public()), None);
        if !report.is_clean() {
            tracing::warn!(
                problems = report.problems.len(),
                "a case file refused: its bundle does not verify"
            );
            return Err(ApiError::Invalid(
                "该案卷包未通过验证，不能据此生成案卷（请用 quancheng verify 查看原因）".into(),
            ));
        }
        let doc = CaseDoc::load(&contents.document, self.device_id.as_bytes())?;
        let read = |hash: &[u8; 32]| {
            contents.blobs.get(hash).cloned().ok_or_else(|| {
                ApiError::Invalid(format!("the bundle lacks blob {}", hex::encode(hash)))
            })
        };
        let entries: Vec<qc_chain::Entry> = contents
            .entries
            .iter()
            .filter_map(|e| e.entry().ok())
            .filter(|e| e.case == contents.case)
            .collect();
        self.bind_case_file(&doc, &entries, &read)
    }

    /// The case file of `doc`; the files its `entries` let go (删除原件,
    /// [`qc_chain::deleted_files`]) have no photo page.
    fn bind_case_file(
        &self,
        doc: &CaseDoc,
        entries: &[qc_chain::Entry],
        read: &ReadBlob<'_>,
    ) -> Result<Vec<u8>, ApiError> {
        let renderer = renderer()?;
        let data = CaseData::read(doc)?;
        let gone: BTreeSet<String> = qc_chain::deleted_files(entries)
            .iter()
            .map(hex::encode)
            .collect();
        let directory = self.people()?;
        let wording = self.wording()?;
        let facts = data.facts(&directory, self.catalogue(), &wording);
        let mut parts = Vec::new();
        // The latest issue of each document, in the order of the case file.
        let mut latest: BTreeMap<(String, String), &IssuedDocument> = BTreeMap::new();
        for d in &data.issued {
            latest.insert((d.kind.clone(), d.source.clone()), d);
        }
        let mut issued: Vec<&IssuedDocument> = latest.into_values().collect();
        let order =
            |d: &IssuedDocument| DocumentKind::from_name(&d.kind).map(|k| (k.section(), d.at.0));
        issued.sort_by_key(|d| order(d));
        for d in issued {
            let kind = DocumentKind::from_name(&d.kind);
            if matches!(kind, Some(DocumentKind::Cover | DocumentKind::Contents)) {
                continue;
            }
            let data_json: Document = serde_json::from_slice(&read(&unhex(&d.data)?)?)
                .map_err(|e| ApiError::Invalid(format!("document data: {e}")))?;
            parts.push(Part::Pdf {
                title: data_json.title,
                number: d.number.clone(),
                date: data_json.date,
                bytes: read(&unhex(&d.pdf)?)?,
                pages: d.pages as usize,
            });
        }
        for item in data
            .evidence
            .iter()
            // A redacted copy is for disclosure, not the file's evidence; a deleted original's
            // bytes are gone (the evidence table still lists it).
            .filter(|e| {
                e.facts.kind == MediaKind::Photo
                    && e.facts.redacts.is_none()
                    && !gone.contains(&e.facts.sha256)
            })
        {
            let f = &item.facts;
            let taken: Vec<String> = item
                .signatures
                .iter()
                .map(|s| s.officer.name.clone())
                .collect();
            parts.push(Part::Photo {
                title: "证据照片".into(),
                caption: format!(
                    "{}（{}，采集：{}，SHA-256 {}）",
                    if f.description.is_empty() {
                        &f.file_name
                    } else {
                        &f.description
                    },
                    qc_document::project::datetime_zh(f.captured_at),
                    taken.join("、"),
                    &f.sha256[..16.min(f.sha256.len())],
                ),
                date: qc_document::project::date_zh(f.captured_at),
                bytes: read(&unhex(&f.sha256)?)?,
            });
        }
        let cover = project::project(&facts, DocumentKind::Cover, &Source::Case, "")?;
        let cover = renderer.pdf(&cover, &self.images_of(&cover)?)?;
        // The contents' own length moves every page number after it: settle it.
        let mut contents_pages = 1;
        let contents = loop {
            let lines = qc_document::contents_lines(&parts, 1 + cover.pages + contents_pages);
            let rendered = renderer.pdf(&project::contents(&facts, &lines), &Images::new())?;
            if rendered.pages == contents_pages {
                break rendered;
            }
            contents_pages = rendered.pages;
        };
        let mut all = vec![
            Part::Pdf {
                title: DocumentKind::Cover.title().into(),
                number: String::new(),
                date: String::new(),
                bytes: cover.pdf,
                pages: cover.pages,
            },
            Part::Pdf {
                title: DocumentKind::Contents.title().into(),
                number: String::new(),
                date: String::new(),
                bytes: contents.pdf,
                pages: contents.pages,
            },
        ];
        all.extend(parts);
        let title = format!("案卷 {}", data.state.header.id.0);
        Ok(renderer.bind(&title, &wording.bureau, &all)?)
    }
}

/// Reads a blob by its SHA-256, from the device's store or a bundle.
type ReadBlob<'a> = dyn Fn(&[u8; 32]) -> Result<Vec<u8>, ApiError> + 'a;
