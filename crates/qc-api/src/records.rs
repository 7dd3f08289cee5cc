//! Field records and evidence (调查取证): creating and editing records, page and party
//! signatures, sealing, corrections, evidence capture and co-signing, and merging another
//! device's copy of a case. Every act appends a signed entry naming what it touched.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};

use qc_casedoc::{CaseDoc, Seal, StoredRecord, facts_digest, page_digest, snapshot};
use qc_chain::{Action, FeedHead, SignedEntry};
use qc_domain::{
    Act, CaseState, Context, CopyAttestation, EnforcementOfficer, EvidenceFacts, EvidenceItem,
    EvidenceSignature, Inspection, Interviewee, NoPartySignature, Notice, NoticeItem, OfficerRef,
    Outcome721, Page, PageSignature, Party, PartySignoff, Person, Qa, Questioning, Record,
    RecordBody, Redaction, RuleViolation, TimeSpan, Timestamp, WorkflowEvent, record_allowed,
    seal_check, signoff_consistent, validate,
};
use qc_evidence::{ExifSummary, MediaKind, ThumbnailLimits};
use qc_store::Touched;
use sha2::{Digest as _, Sha256};

use crate::{ApiError, Quancheng, Unlocked, entropy, signer};

/// How the party (or a witness) closed an inspection record or notice.
pub enum Signoff<'a> {
    /// The party signed; `image` is the signature drawn on the tablet (PNG or JPEG).
    Party {
        /// Name as signed.
        name: String,
        /// Signature image.
        image: &'a [u8],
    },
    /// The party refused or was absent and an uninterested witness signed.
    Witness {
        /// Witness name.
        name: String,
        /// Witness 身份证号.
        id_number: Option<String>,
        /// Why the party did not sign, in the officers' words.
        party_absent_reason: String,
        /// Why the party did not sign: refused (present) or absent.
        party_did_not_sign: NoPartySignature,
        /// Signature image.
        image: &'a [u8],
    },
    /// No witness, or the witness refused: the officers note it.
    OfficersNote {
        /// The note.
        note: String,
        /// Why the party did not sign: refused (present) or absent.
        party_did_not_sign: NoPartySignature,
    },
}

/// How an interviewee closed a transcript page.
pub enum PageClose<'a> {
    /// Signed; the signature image drawn on the tablet.
    Signed(&'a [u8]),
    /// Refused; the officers' note.
    Refused(String),
}

/// What the officers write on an on-site inspection record (现场检查笔录) as it goes.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct InspectionEdit {
    /// What was found.
    pub found: String,
    /// The 721 outcome category, once decided.
    pub outcome: Option<Outcome721>,
    /// Whether the party was notified to attend.
    pub party_notified: bool,
    /// Whether the party was present.
    pub party_present: bool,
    /// The inspection is over: its end time is set now.
    pub finished: bool,
}

/// Which notice the officers issue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// 证据先行登记保存通知书: opens a 7-day decision deadline once sealed.
    Preservation,
    /// 抽样取证凭证.
    Sampling,
}

/// A 证据先行登记保存通知书 or 抽样取证凭证 as the officers fill it in on the spot.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct NoticeDraft {
    /// Which notice.
    pub kind: NoticeKind,
    /// The items preserved or sampled, each with its quantity.
    pub items: Vec<NoticeItem>,
    /// Where the items are kept.
    pub kept_at: String,
    /// The party, when known.
    pub party: Option<Party>,
}

impl NoticeDraft {
    /// The record body, issued by `officers` at `at`.
    pub fn body(self, officers: Vec<OfficerRef>, at: Timestamp) -> RecordBody {
        let n = Notice {
            items: self.items,
            kept_at: self.kept_at,
            officers,
            party: self.party,
            issued_at: at,
        };
        match self.kind {
            NoticeKind::Preservation => RecordBody::Preservation(n),
            NoticeKind::Sampling => RecordBody::Sampling(n),
        }
    }
}

/// What an evidence capture was given besides the file.
pub struct NewEvidence {
    /// The file's name (informative only).
    pub file_name: String,
    /// What it shows.
    pub description: String,
    /// "经核对与原件无异", for copies of documents.
    pub attestation: Option<CopyAttestation>,
}

/// What is known of an evidence file besides its bytes and what the officer gave.
#[derive(Debug, Default)]
pub(crate) struct Told {
    /// The item's id, when it has one already (a recording's); a fresh one otherwise.
    pub id: Option<String>,
    /// What the file says of its recording when the stream cannot tell (a video's index after
    /// its footage), kept where no EXIF is found.
    pub camera: Option<ExifSummary>,
    /// Audio or video, for a recording made here: a container (MP4) may hold either.
    pub kind: Option<MediaKind>,
    /// The time a recording made here covers.
    pub span: Option<TimeSpan>,
    /// The records it records.
    pub covers: Vec<String>,
    /// How it came to be kept.
    pub note: Option<String>,
    /// The original it is a redacted copy of.
    pub redacts: Option<Redaction>,
}

/// Whether `ingested` may be the redacted copy `r` of an original of kind `original`: of the
/// same kind (audio and video reconciled as for a recording), and not the original's bytes.
fn copy_fits(
    r: &Redaction,
    original: Option<MediaKind>,
    ingested: &qc_evidence::Ingested,
) -> Result<(), ApiError> {
    let (kind, _) = recorded_as(original, ingested.kind, String::new());
    if Some(kind) != original {
        return Err(ApiError::Invalid(
            "打码副本须与原件同为照片、录音或视频".into(),
        ));
    }
    if hex::encode(ingested.sha256) == r.original_sha256 {
        return Err(ApiError::Invalid(
            "打码副本与原件完全相同，未作任何遮挡".into(),
        ));
    }
    Ok(())
}

/// The kind and type of a file recorded as `recorded`: an audio recording in a container its
/// type names as video (an MP4) is audio.
fn recorded_as(
    recorded: Option<MediaKind>,
    sniffed: MediaKind,
    mime: String,
) -> (MediaKind, String) {
    let timed = |k| matches!(k, MediaKind::Audio | MediaKind::Video);
    match recorded {
        Some(k) if timed(k) && timed(sniffed) && k != sniffed => {
            let (_, sub) = mime.split_once('/').unwrap_or(("", &mime));
            let top = if k == MediaKind::Audio {
                "audio"
            } else {
                "video"
            };
            (k, format!("{top}/{sub}"))
        }
        _ => (sniffed, mime),
    }
}

pub(crate) fn officer_refs(by: &[&Unlocked]) -> Result<Vec<OfficerRef>, ApiError> {
    by.iter()
        .map(|u| {
            let o = EnforcementOfficer::try_from(u.person.clone())?;
            Ok(OfficerRef::from(&o))
        })
        .collect()
}

fn people(by: &[&Unlocked]) -> Vec<Person> {
    by.iter().map(|u| u.person.clone()).collect()
}

/// The case's state, if `by` may write a record (a correction when `corrects` is given) on it
/// now: see [`record_allowed`].
fn may_write(
    doc: &CaseDoc,
    corrects: Option<&str>,
    by: &[&Unlocked],
) -> Result<CaseState, ApiError> {
    let state = doc.state()?;
    record_allowed(&state, corrects, &people(by))?;
    Ok(state)
}

/// A SHA-256 digest from its hex.
pub(crate) fn unhex(h: &str) -> Result<[u8; 32], ApiError> {
    hex::decode(h)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| ApiError::Invalid(format!("{h} is not a SHA-256")))
}

fn the_record(doc: &CaseDoc, id: &str) -> Result<StoredRecord, ApiError> {
    doc.record(id)?
        .ok_or_else(|| RuleViolation::UnknownRecord(id.into()).into())
}

fn open_record(doc: &CaseDoc, id: &str) -> Result<Record, ApiError> {
    let r = the_record(doc, id)?;
    if r.seal.is_some() {
        return Err(RuleViolation::RecordSealed(id.into()).into());
    }
    Ok(r.live)
}

/// Pages that were closed must be unchanged in `after`.
fn closed_pages_unchanged(before: &Record, after: &Record) -> Result<(), RuleViolation> {
    let (RecordBody::Questioning(b), RecordBody::Questioning(a)) = (&before.body, &after.body)
    else {
        return Ok(());
    };
    for (n, page) in b.pages.iter().enumerate() {
        if page.signature.is_some() && a.pages.get(n) != Some(page) {
            return Err(RuleViolation::PageSigned(n + 1));
        }
    }
    Ok(())
}

/// Writes a new blob into `blobs` sealed under `seed` (see [`Quancheng::write_blob`]).
fn write_blob_to<T>(
    blobs: &qc_blobs::BlobStore,
    seed: [u8; qc_blobs::SEED],
    io: &dyn Fn(std::io::Error) -> ApiError,
    fill: impl FnOnce(&mut qc_blobs::BlobWriter) -> Result<(T, [u8; 32]), ApiError>,
) -> Result<T, ApiError> {
    let mut w = blobs.writer(qc_blobs::Sealing::current(seed)).map_err(io)?;
    let (learned, hash) = fill(&mut w)?;
    blobs.commit(w, &hash).map_err(io)?;
    Ok(learned)
}

/// Where one evidence file's bytes and thumbnail go: the blob store and fresh seeds, usable
/// without the app.
pub(crate) struct BlobSink {
    blobs: std::sync::Arc<qc_blobs::BlobStore>,
    seeds: [[u8; qc_blobs::SEED]; 2],
    /// The blob directory, named in errors.
    io: std::path::PathBuf,
}

/// An evidence file's bytes kept in the store, not yet evidence.
pub(crate) struct Stored {
    ingested: qc_evidence::Ingested,
    thumbnail: Option<[u8; 32]>,
}

impl Stored {
    /// The files it kept in the store: the bytes, and their thumbnail if any.
    pub(crate) fn files(&self) -> Vec<[u8; 32]> {
        std::iter::once(self.ingested.sha256)
            .chain(self.thumbnail)
            .collect()
    }
}

impl BlobSink {
    /// Streams `src` once into the store (hash, type, EXIF, thumbnail on the way); a redacted
    /// copy that is not what `told` says it is is refused before its bytes are kept.
    pub(crate) fn store(self, src: impl Read, told: &Told) -> Result<Stored, ApiError> {
        let io = |source| ApiError::Io {
            path: self.io.clone(),
            source,
        };
        let ingested = write_blob_to(&self.blobs, self.seeds[0], &io, |w| {
            let i = qc_evidence::ingest(src, w, &ThumbnailLimits::default())?;
            if let Some(r) = &told.redacts {
                copy_fits(r, told.kind, &i)?;
            }
            let hash = i.sha256;
            Ok((i, hash))
        })?;
        let thumbnail = ingested
            .thumbnail
            .as_deref()
            .map(|t| {
                let hash: [u8; 32] = Sha256::digest(t).into();
                write_blob_to(&self.blobs, self.seeds[1], &io, |w| {
                    w.write_all(t).map_err(io)?;
                    Ok((hash, hash))
                })
            })
            .transpose()?;
        Ok(Stored {
            ingested,
            thumbnail,
        })
    }
}

impl Quancheng {
    /// How a blob store I/O failure is reported: naming the blob directory.
    pub(crate) fn blob_io(&self) -> impl Fn(std::io::Error) -> ApiError + use<> {
        let path = self.dir.root().join("blobs");
        move |source| ApiError::Io {
            path: path.clone(),
            source,
        }
    }

    /// Writes a new blob: `fill` writes the original bytes and returns what it learned and
    /// their SHA-256, under which the blob is then stored. Nothing is kept if `fill` fails.
    pub(crate) fn write_blob<T>(
        &mut self,
        fill: impl FnOnce(&mut qc_blobs::BlobWriter) -> Result<(T, [u8; 32]), ApiError>,
    ) -> Result<T, ApiError> {
        let seed = entropy::random(self.entropy.as_mut());
        write_blob_to(&self.blobs, seed, &self.blob_io(), fill)
    }

    /// Where the bytes of one evidence file go, to be written without the app (an import's
    /// files are read while the app serves other work).
    pub(crate) fn blob_sink(&mut self) -> BlobSink {
        BlobSink {
            blobs: self.blobs.clone(),
            seeds: [
                entropy::random(self.entropy.as_mut()),
                entropy::random(self.entropy.as_mut()),
            ],
            io: self.dir.root().join("blobs"),
        }
    }

    /// Stores a small file (a signature image, a thumbnail) as a blob; returns its SHA-256.
    pub(crate) fn put_blob(&mut self, bytes: &[u8]) -> Result<[u8; 32], ApiError> {
        let hash: [u8; 32] = Sha256::digest(bytes).into();
        let io = self.blob_io();
        self.write_blob(|w| {
            w.write_all(bytes).map_err(io)?;
            Ok((hash, hash))
        })
    }

    /// A signature image as a blob: it must be a picture.
    pub(crate) fn put_signature_image(&mut self, image: &[u8]) -> Result<[u8; 32], ApiError> {
        match qc_evidence::sniff(image) {
            Ok((_, MediaKind::Photo)) => self.put_blob(image),
            _ => Err(ApiError::Invalid(
                "the signature must be a PNG or JPEG image".into(),
            )),
        }
    }

    /// Refuses early, before a signature image is stored, when `by` may not write on the record
    /// now (the act checks again as it writes).
    fn may_write_record(&self, case: &str, record: &str, by: &[&Unlocked]) -> Result<(), ApiError> {
        let id = self.resolve_case(case)?;
        let doc = self.store.case_doc(&id, self.device_id.as_bytes())?;
        let r = the_record(&doc, record)?;
        may_write(&doc, r.live.corrects.as_deref(), by)?;
        Ok(())
    }

    /// Reads a blob back (decrypting and checking it).
    pub fn read_blob(&self, hash: &[u8; 32]) -> Result<Vec<u8>, ApiError> {
        let io = self.blob_io();
        let mut out = Vec::new();
        self.blobs
            .read(hash)
            .map_err(&io)?
            .read_to_end(&mut out)
            .map_err(&io)?;
        Ok(out)
    }

    /// One change to a case by `by`, recorded as `action`: `change` edits the document and
    /// says what it touched.
    pub(crate) fn act(
        &mut self,
        case: &str,
        action: Action,
        by: &[&Unlocked],
        change: impl FnOnce(&mut CaseDoc, Timestamp) -> Result<Touched, ApiError>,
    ) -> Result<(), ApiError> {
        let id = self.resolve_case(case)?;
        let at = self.now();
        let what = action.zh();
        let sign = signer(&self.device_id, &self.device_key, at, action, by);
        self.store
            .update_case(&id, &self.device_id, |doc| change(doc, at), sign)?;
        tracing::info!(case = %id, act = what, "record act");
        Ok(())
    }

    /// Creates a record (inspection record, transcript, notice) made by the officers `by`,
    /// who are named on it. With `corrects`, it is a correction (更正) of that sealed record.
    pub fn create_record(
        &mut self,
        case: &str,
        body: impl FnOnce(Vec<OfficerRef>, Timestamp) -> RecordBody,
        corrects: Option<&str>,
        by: &[&Unlocked],
    ) -> Result<String, ApiError> {
        let officers = officer_refs(by)?;
        let rid = entropy::uuid(self.entropy.as_mut());
        let case_id = self.resolve_case(case)?;
        let at = self.now();
        let body = body(officers, at);
        let action = match corrects {
            Some(c) => {
                let doc = self.store.case_doc(&case_id, self.device_id.as_bytes())?;
                let old = the_record(&doc, c)?;
                let seal = old.seal.ok_or_else(|| {
                    ApiError::Invalid(format!("record {c} is not sealed; edit it instead"))
                })?;
                if std::mem::discriminant(&old.live.body) != std::mem::discriminant(&body) {
                    return Err(RuleViolation::WrongRecordKind {
                        id: c.into(),
                        wanted: old.live.body.zh(),
                    }
                    .into());
                }
                Action::Correction {
                    corrects: unhex(&seal.digest)?,
                }
            }
            None => Action::RecordCreated,
        };
        let record = Record {
            id: rid.clone(),
            body,
            signoff: None,
            corrects: corrects.map(str::to_owned),
            created_at: at,
            created_by: by
                .first()
                .map(|u| u.person.id.clone())
                .ok_or(RuleViolation::NoActor)?,
        };
        self.act(&case_id, action, by, |doc, at| {
            may_write(doc, corrects, by)?;
            doc.put_record(&record, at)?;
            Ok(Touched::default())
        })?;
        Ok(rid)
    }

    /// Edits a record that is not sealed; pages already signed cannot change.
    pub fn edit_record(
        &mut self,
        case: &str,
        record: &str,
        by: &[&Unlocked],
        edit: impl FnOnce(&mut Record) -> Result<(), ApiError>,
    ) -> Result<(), ApiError> {
        officer_refs(by)?;
        self.act(case, Action::RecordEdited, by, |doc, at| {
            let before = open_record(doc, record)?;
            may_write(doc, before.corrects.as_deref(), by)?;
            let mut after = before.clone();
            edit(&mut after)?;
            after.id = before.id.clone();
            after.corrects = before.corrects.clone();
            if std::mem::discriminant(&before.body) != std::mem::discriminant(&after.body) {
                return Err(ApiError::Invalid("a record cannot change its kind".into()));
            }
            closed_pages_unchanged(&before, &after)?;
            doc.put_record(&after, at)?;
            Ok(Touched::default())
        })
    }

    /// Closes a transcript page: the interviewee's signature image, or the officers' note of a
    /// refusal. The page's digest goes into the signature and the entry.
    pub fn close_page(
        &mut self,
        case: &str,
        record: &str,
        page: usize,
        how: PageClose<'_>,
        by: &[&Unlocked],
    ) -> Result<(), ApiError> {
        officer_refs(by)?;
        self.may_write_record(case, record, by)?;
        let (image, action) = match &how {
            PageClose::Signed(img) => {
                (Some(self.put_signature_image(img)?), Action::SignatureAdded)
            }
            PageClose::Refused(note) if note.trim().is_empty() => {
                return Err(RuleViolation::EmptyField {
                    field: "拒签说明"
                }
                .into());
            }
            PageClose::Refused(_) => (None, Action::RefusalNoted),
        };
        self.act(case, action, by, |doc, at| {
            let mut r = open_record(doc, record)?;
            may_write(doc, r.corrects.as_deref(), by)?;
            let RecordBody::Questioning(q) = &mut r.body else {
                return Err(RuleViolation::WrongRecordKind {
                    id: record.into(),
                    wanted: "询问笔录",
                }
                .into());
            };
            let p = page
                .checked_sub(1)
                .and_then(|i| q.pages.get_mut(i))
                .ok_or_else(|| ApiError::Invalid(format!("the transcript has no page {page}")))?;
            if p.signature.is_some() {
                return Err(RuleViolation::PageSigned(page).into());
            }
            if p.qa.is_empty() {
                return Err(ApiError::Invalid(format!("page {page} is empty")));
            }
            let digest = page_digest(&p.qa)?;
            p.signature = Some(match (&how, image) {
                (PageClose::Signed(_), Some(img)) => PageSignature::Signed {
                    image: hex::encode(img),
                    page_digest: hex::encode(digest),
                    at,
                },
                (PageClose::Refused(note), _) => PageSignature::Refused {
                    note: note.trim().into(),
                    page_digest: hex::encode(digest),
                    at,
                },
                (PageClose::Signed(_), None) => unreachable!("stored above"),
            });
            doc.put_record(&r, at)?;
            Ok(Touched {
                blobs: image.into_iter().collect(),
                records: vec![digest],
            })
        })
    }

    /// Records the party's (or a witness's) signature on an inspection record or notice, or
    /// the officers' note that nobody signed. The sign-off must agree with the record as it
    /// stands (the party signs only if present; a witness is uninterested; why the party did
    /// not sign agrees with attendance); sealing checks it again.
    pub fn sign_off(
        &mut self,
        case: &str,
        record: &str,
        how: Signoff<'_>,
        by: &[&Unlocked],
    ) -> Result<(), ApiError> {
        officer_refs(by)?;
        self.may_write_record(case, record, by)?;
        let (image, action) = match &how {
            Signoff::Party { image, .. } | Signoff::Witness { image, .. } => (
                Some(self.put_signature_image(image)?),
                Action::SignatureAdded,
            ),
            Signoff::OfficersNote { .. } => (None, Action::RefusalNoted),
        };
        self.act(case, action, by, |doc, at| {
            let mut r = open_record(doc, record)?;
            let state = may_write(doc, r.corrects.as_deref(), by)?;
            if matches!(r.body, RecordBody::Questioning(_)) {
                return Err(ApiError::Invalid(
                    "a transcript is signed page by page".into(),
                ));
            }
            let img = image.map(hex::encode).unwrap_or_default();
            r.signoff = Some(match how {
                Signoff::Party { name, .. } => PartySignoff::Party {
                    name,
                    image: img,
                    at,
                },
                Signoff::Witness {
                    name,
                    id_number,
                    party_absent_reason,
                    party_did_not_sign,
                    ..
                } => PartySignoff::Witness {
                    name: name.trim().into(),
                    id_number: id_number
                        .map(|n| n.trim().to_owned())
                        .filter(|n| !n.is_empty()),
                    party_absent_reason: party_absent_reason.trim().into(),
                    party_did_not_sign: Some(party_did_not_sign),
                    image: img,
                    at,
                },
                Signoff::OfficersNote {
                    note,
                    party_did_not_sign,
                } => PartySignoff::OfficersNote {
                    note: note.trim().into(),
                    party_did_not_sign: Some(party_did_not_sign),
                    at,
                },
            });
            if let Some(PartySignoff::Party { name, .. } | PartySignoff::Witness { name, .. }) =
                &r.signoff
                && name.trim().is_empty()
            {
                return Err(RuleViolation::EmptyField {
                    field: "签名人姓名",
                }
                .into());
            }
            signoff_consistent(&r, &state)?;
            doc.put_record(&r, at)?;
            Ok(Touched {
                blobs: image.into_iter().collect(),
                records: vec![snapshot(&r)?.1],
            })
        })
    }

    /// Seals a record: the two officers `by` sign its snapshot; from then on it is
    /// immutable. A preservation notice also opens its 7-day decision deadline (a sampling
    /// notice has none).
    pub fn seal_record(
        &mut self,
        case: &str,
        record: &str,
        by: &[&Unlocked],
    ) -> Result<(), ApiError> {
        let directory = self.people()?;
        let catalogue = self.catalogue().clone();
        let sealers = people(by);
        let notice_id = entropy::uuid(self.entropy.as_mut());
        self.act(case, Action::RecordSealed, by, |doc, at| {
            let r = open_record(doc, record)?;
            let state = may_write(doc, r.corrects.as_deref(), by)?;
            seal_check(&r, &sealers, &state)?;
            // A correction of a preservation notice corrects its content; the 7-day clock is
            // the one its original opened.
            if let RecordBody::Preservation(n) = &r.body
                && r.corrects.is_none()
            {
                let items: Vec<String> = n
                    .items
                    .iter()
                    .map(|i| format!("{} {}", i.name, i.quantity))
                    .collect();
                let event = WorkflowEvent {
                    id: notice_id,
                    at,
                    actors: sealers.iter().map(|p| p.id.clone()).collect(),
                    act: Act::PreservationNotice {
                        notice: r.id.clone(),
                        items: format!("{}：{}", r.body.zh(), items.join("、")),
                    },
                };
                let ctx = Context {
                    directory: &directory,
                    catalogue: &catalogue,
                    now: at,
                };
                validate(&state, &event.act, &sealers, &ctx)?;
                doc.append_event(&event)?;
            }
            let (content, digest) = snapshot(&r)?;
            doc.seal_record(
                record,
                &Seal {
                    digest: hex::encode(digest),
                    content,
                    at,
                    by: sealers.iter().map(|p| p.id.clone()).collect(),
                },
            )?;
            Ok(Touched {
                blobs: Vec::new(),
                records: vec![digest],
            })
        })
    }

    /// Captures evidence: streams `src` once into the encrypted blob store (hash, type, EXIF,
    /// thumbnail on the way) and signs its hash and metadata. Two officers seal it at once; one
    /// leaves it awaiting the second. Returns the evidence id.
    pub fn add_evidence(
        &mut self,
        case: &str,
        src: impl Read,
        new: NewEvidence,
        by: &[&Unlocked],
    ) -> Result<String, ApiError> {
        self.add_evidence_told(case, src, (new, Told::default()), by)
    }

    /// [`Self::add_evidence`], with what is known of the file besides its bytes.
    pub(crate) fn add_evidence_told(
        &mut self,
        case: &str,
        src: impl Read,
        (new, told): (NewEvidence, Told),
        by: &[&Unlocked],
    ) -> Result<String, ApiError> {
        // Who signs, checked before a byte is read.
        self.evidence_signed(case, new.attestation.as_ref(), by)?;
        let stored = self.blob_sink().store(src, &told)?;
        self.record_stored(case, stored, (new, told), by)
    }

    /// Signs a file kept in the store as evidence of `case` (see [`Self::add_evidence`]).
    pub(crate) fn record_stored(
        &mut self,
        case: &str,
        stored: Stored,
        (new, told): (NewEvidence, Told),
        by: &[&Unlocked],
    ) -> Result<String, ApiError> {
        let (action, officers) = self.evidence_signed(case, new.attestation.as_ref(), by)?;
        let blobs = stored.files();
        let Stored {
            ingested,
            thumbnail,
        } = stored;
        for note in &ingested.notes {
            tracing::warn!(file = %new.file_name, note, "evidence stored with a note");
        }
        let (kind, mime) = recorded_as(told.kind, ingested.kind, ingested.mime);
        let id = told
            .id
            .unwrap_or_else(|| entropy::uuid(self.entropy.as_mut()));
        let at = self.now();
        let item = EvidenceItem {
            facts: EvidenceFacts {
                id: id.clone(),
                sha256: hex::encode(ingested.sha256),
                size: ingested.size,
                mime,
                kind,
                file_name: new.file_name,
                description: new.description.trim().into(),
                captured_at: at,
                exif: ingested.exif.or(told.camera),
                thumbnail: thumbnail.map(hex::encode),
                attestation: new.attestation,
                span: told.span,
                covers: told.covers,
                note: told.note,
                redacts: told.redacts,
            },
            signatures: officers
                .into_iter()
                .map(|officer| EvidenceSignature { officer, at })
                .collect(),
            links: Vec::new(),
            deleted: None,
        };
        let digest = facts_digest(&item.facts)?;
        self.act(case, action, by, |doc, _| {
            doc.add_evidence(&item)?;
            Ok(Touched {
                blobs,
                records: vec![digest],
            })
        })?;
        Ok(id)
    }

    /// Whether `by` may capture evidence of `case` (with `attestation`, a copy's, complete): the
    /// act they sign and the officers as the item names them. Checked before a byte is read.
    pub(crate) fn evidence_signed(
        &self,
        case: &str,
        attestation: Option<&CopyAttestation>,
        by: &[&Unlocked],
    ) -> Result<(Action, Vec<OfficerRef>), ApiError> {
        let officers = officer_refs(by)?;
        if let Some(a) = attestation {
            for (value, field) in [
                (&a.source, "原件来源（出处）"),
                (&a.date, "核对日期"),
                (&a.signer, "核对人签名"),
            ] {
                if value.trim().is_empty() {
                    return Err(RuleViolation::EmptyField { field }.into());
                }
            }
        }
        let action = match officers.len() {
            0 => return Err(RuleViolation::NoActor.into()),
            1 => Action::EvidenceAwaitingSecond,
            _ => Action::EvidenceCaptured,
        };
        if officers.len() >= 2 {
            // Two officers at once must make a valid team (distinct, none recused).
            let case_id = self.resolve_case(case)?;
            let state = self
                .store
                .case_doc(&case_id, self.device_id.as_bytes())?
                .state()?;
            qc_domain::workflow::investigation_team(&people(by), &state)?;
        }
        Ok((action, officers))
    }

    /// Evidence item `id` of `case`.
    pub(crate) fn evidence_of(&self, case: &str, id: &str) -> Result<EvidenceItem, ApiError> {
        let case_id = self.resolve_case(case)?;
        let item = self
            .store
            .case_doc(&case_id, self.device_id.as_bytes())?
            .evidence_item(id)?
            .ok_or_else(|| ApiError::from(RuleViolation::UnknownRecord(id.into())))?;
        Ok(self.attested(&case_id, vec![item])?.remove(0))
    }

    /// The second enforcement officer signs evidence captured by another one.
    pub fn cosign_evidence(
        &mut self,
        case: &str,
        evidence: &str,
        by: &Unlocked,
    ) -> Result<(), ApiError> {
        let officer = officer_refs(&[by])?.remove(0);
        // Only a deletion the case's entries attest counts (a forged mark blocks nothing).
        let deleted = self.evidence_of(case, evidence)?.deleted.is_some();
        self.act(case, Action::EvidenceCosigned, &[by], |doc, at| {
            let item = doc
                .evidence_item(evidence)?
                .ok_or_else(|| RuleViolation::UnknownRecord(evidence.into()))?;
            if item
                .signatures
                .iter()
                .any(|s| s.officer.person == officer.person)
            {
                return Err(ApiError::Invalid(format!(
                    "{} has already signed this evidence; a second officer must co-sign",
                    officer.name
                )));
            }
            if item.sealed() {
                return Err(ApiError::Invalid(
                    "this evidence is already signed by two officers".into(),
                ));
            }
            if deleted {
                return Err(ApiError::Invalid("该证据原件已经批准删除".into()));
            }
            doc.sign_evidence(evidence, &EvidenceSignature { officer, at })?;
            Ok(Touched {
                blobs: vec![unhex(&item.facts.sha256)?],
                records: vec![facts_digest(&item.facts)?],
            })
        })
    }

    /// The full id of the one record or evidence item of the case whose id starts with
    /// `prefix`.
    pub fn resolve_item(&self, case: &str, prefix: &str) -> Result<String, ApiError> {
        let (records, evidence) = self.case_file(case)?;
        let prefix = prefix.trim();
        let ids: Vec<String> = records
            .into_iter()
            .map(|r| r.live.id)
            .chain(evidence.into_iter().map(|e| e.facts.id))
            .filter(|id| !prefix.is_empty() && id.starts_with(prefix))
            .collect();
        match ids.as_slice() {
            [one] => Ok(one.clone()),
            [] => Err(RuleViolation::UnknownRecord(prefix.into()).into()),
            _ => Err(ApiError::Invalid(format!(
                "`{prefix}` matches more than one record; give more of the id"
            ))),
        }
    }

    /// Starts an on-site inspection record at the case's place, of its (first) party, now, with the officers signed
    /// in as those present; returns the record id.
    pub fn start_inspection(&mut self, case: &str, by: &[&Unlocked]) -> Result<String, ApiError> {
        let header = self.case_detail(case)?.header;
        let place = header.location;
        let party = header.parties.into_iter().next();
        self.create_record(
            case,
            |officers, at| {
                RecordBody::Inspection(Inspection {
                    place,
                    started_at: at,
                    ended_at: None,
                    officers,
                    party,
                    party_notified: false,
                    party_present: false,
                    found: String::new(),
                    outcome: None,
                })
            },
            None,
            by,
        )
    }

    /// Issues a preservation or sampling notice by the officers signed in; the party signs it
    /// off (or the refusal is noted) and two officers seal it. Returns the record id.
    pub fn issue_notice(
        &mut self,
        case: &str,
        draft: NoticeDraft,
        by: &[&Unlocked],
    ) -> Result<String, ApiError> {
        self.create_record(case, |officers, at| draft.body(officers, at), None, by)
    }

    /// Writes what the officers have so far on an inspection record (not once sealed).
    pub fn update_inspection(
        &mut self,
        case: &str,
        record: &str,
        edit: InspectionEdit,
        by: &[&Unlocked],
    ) -> Result<(), ApiError> {
        let now = self.now();
        self.edit_record(case, record, by, |r| match &mut r.body {
            RecordBody::Inspection(i) => {
                i.found = edit.found;
                i.outcome = edit.outcome;
                i.party_notified = edit.party_notified;
                i.party_present = edit.party_present;
                if edit.finished && i.ended_at.is_none() {
                    i.ended_at = Some(now);
                }
                Ok(())
            }
            _ => Err(ApiError::Invalid(format!(
                "{record} is not an inspection record"
            ))),
        })
    }

    /// Starts a questioning transcript (询问笔录) of one person by the officers signed in, at the
    /// case's place; the officers confirm they showed the rights notice and asked about recusal.
    /// Returns the record id.
    pub fn start_questioning(
        &mut self,
        case: &str,
        interviewee: Interviewee,
        rights_shown: bool,
        by: &[&Unlocked],
    ) -> Result<String, ApiError> {
        let location = self.case_detail(case)?.header.location.address;
        self.create_record(
            case,
            |officers, at| {
                RecordBody::Questioning(Questioning {
                    interviewee,
                    location,
                    started_at: at,
                    ended_at: None,
                    officers,
                    rights_acknowledged: rights_shown,
                    recusal_asked: rights_shown,
                    pages: vec![],
                })
            },
            None,
            by,
        )
    }

    /// Writes a question and its answer on the transcript's open page (a new page once the
    /// last one is signed); with `finished`, the questioning's end time is set now.
    pub fn add_answer(
        &mut self,
        case: &str,
        record: &str,
        qa: Qa,
        by: &[&Unlocked],
    ) -> Result<(), ApiError> {
        self.edit_record(case, record, by, |r| match &mut r.body {
            RecordBody::Questioning(q) => {
                let n = qc_domain::record::open_page(q);
                if n == q.pages.len() {
                    q.pages.push(Page::default());
                }
                q.pages[n].qa.push(qa);
                Ok(())
            }
            _ => Err(ApiError::Invalid(format!("{record} is not a transcript"))),
        })
    }

    /// Ends the questioning now (before sealing).
    pub fn end_questioning(
        &mut self,
        case: &str,
        record: &str,
        by: &[&Unlocked],
    ) -> Result<(), ApiError> {
        let now = self.now();
        self.edit_record(case, record, by, |r| match &mut r.body {
            RecordBody::Questioning(q) => {
                q.ended_at.get_or_insert(now);
                Ok(())
            }
            _ => Err(ApiError::Invalid(format!("{record} is not a transcript"))),
        })
    }

    /// Records and evidence of a case, as the document holds them.
    pub fn case_file(
        &self,
        case: &str,
    ) -> Result<(Vec<StoredRecord>, Vec<EvidenceItem>), ApiError> {
        let id = self.resolve_case(case)?;
        let doc = self.store.case_doc(&id, self.device_id.as_bytes())?;
        Ok((doc.records()?, self.attested(&id, doc.evidence()?)?))
    }

    /// Merges another device's copy of a case and its entries (verified first against the
    /// bureau key). Sealed records are re-checked; an edit that disturbed one is kept, flagged
    /// for review, and recorded by a signed entry of this device.
    pub fn merge_case(
        &mut self,
        remote_doc: &[u8],
        foreign: &[SignedEntry],
        foreign_certs: &[qc_identity::SignedCertificate],
    ) -> Result<usize, ApiError> {
        self.verify_foreign(foreign, foreign_certs)?;
        let remote = CaseDoc::load(remote_doc, self.device_id.as_bytes())?;
        let case = remote.id()?.0;
        let flagged = self.merge_remote(remote, foreign)?;
        // An original another tablet deleted with the head's approval goes from here too.
        self.drop_deleted(&case);
        Ok(flagged)
    }

    /// Checks another device's entries against the bureau key before anything of them is kept.
    /// Those after what this device holds of their feed must continue it; those it holds must
    /// be the very entries held, and one held only as its head, now whole, is checked as an
    /// entry after the one before it (its act, roles and signatures were never seen here).
    pub(crate) fn verify_foreign(
        &self,
        foreign: &[SignedEntry],
        foreign_certs: &[qc_identity::SignedCertificate],
    ) -> Result<(), ApiError> {
        let mut certs = self.certificates()?;
        certs.extend(foreign_certs.iter().cloned());
        let held = self.store.feeds_held()?;
        let (mut new, mut again) = (Vec::new(), Vec::new());
        for e in foreign {
            // One whose head does not decode is the verifier's to report.
            match e.head() {
                Ok(h) if held.get(&h.device).is_some_and(|f| h.seq <= f.seq) => again.push((h, e)),
                _ => new.push(e.clone()),
            }
        }
        // Co-signatures complete captures that may have come in an earlier sync, or come now
        // whole where only their heads were held.
        let is_capture = |e: &SignedEntry| {
            e.entry()
                .is_ok_and(|e| e.action == Action::EvidenceAwaitingSecond)
        };
        let mut earlier: Vec<SignedEntry> =
            foreign.iter().filter(|e| is_capture(e)).cloned().collect();
        let cosigned: BTreeSet<String> = foreign
            .iter()
            .filter_map(|e| e.entry().ok())
            .filter(|e| e.action == Action::EvidenceCosigned)
            .map(|e| e.case)
            .collect();
        for case in &cosigned {
            earlier.extend(
                self.store
                    .case_entries(case)?
                    .into_iter()
                    .filter(is_capture),
            );
        }
        let places: Vec<(String, u64)> = again
            .iter()
            .map(|(h, _)| (h.device.clone(), h.seq))
            .collect();
        let mut problems = Vec::new();
        for ((h, e), kept) in again.iter().zip(self.store.held_at(&places)?) {
            match kept {
                Some((hash, _)) if hash != e.hash() => {
                    return Err(ApiError::Invalid(format!(
                        "device {} has two different entries at {} (fork); nothing merged",
                        h.device, h.seq
                    )));
                }
                Some((_, true)) if !e.is_elided() => {
                    let before = BTreeMap::from([(
                        h.device.clone(),
                        FeedHead {
                            seq: h.seq.saturating_sub(1),
                            hash: h.prev,
                        },
                    )]);
                    let one = std::slice::from_ref(*e);
                    problems.extend(
                        qc_chain::verify_feed_after_with(
                            &self.anchor,
                            &certs,
                            &before,
                            one,
                            &earlier,
                        )
                        .problems,
                    );
                }
                Some(_) => {}
                None => {
                    return Err(ApiError::Invalid(format!(
                        "entry {} of device {} is missing here before the ones held after it",
                        h.seq, h.device
                    )));
                }
            }
        }
        let report = qc_chain::verify_feed_after_with(&self.anchor, &certs, &held, &new, &earlier);
        match problems.first().or(report.problems.first()) {
            Some(p) => Err(ApiError::Invalid(format!(
                "the other device's entries do not verify: {}",
                p.en()
            ))),
            None => Ok(()),
        }
    }

    /// [`Self::merge_case`] for a document already loaded (e.g. this device's copy with a
    /// station's changes applied), with entries already checked by [`Self::verify_foreign`].
    pub(crate) fn merge_remote(
        &mut self,
        mut remote: CaseDoc,
        foreign: &[SignedEntry],
    ) -> Result<usize, ApiError> {
        let at = self.now();
        let mut flagged = 0;
        let sign = signer(
            &self.device_id,
            &self.device_key,
            at,
            Action::MergeConflict,
            &[],
        );
        self.store.merge_case(
            &self.device_id,
            &mut remote,
            foreign,
            |doc| -> Result<Option<Touched>, ApiError> {
                let records = doc.flag_disturbed_records(at)?;
                flagged = records.len() / 2;
                Ok((!records.is_empty()).then_some(Touched {
                    blobs: Vec::new(),
                    records,
                }))
            },
            sign,
        )?;
        if flagged > 0 {
            tracing::warn!(
                conflicts = flagged,
                "merge disturbed sealed records; flagged for review"
            );
        }
        Ok(flagged)
    }
}

#[cfg(test)]
#[path = "records_tests.rs"]
mod tests;
