//! The case page: what a case holds and where it stands, its whole-process record checked on
//! the station as it is kept now, and its evidence files read out to the people who see it.

use std::io::Read;

use qc_bundle::TocItem;
use qc_domain::admin::{ADMINISTRATORS, AdminAct, AdminKind};
use qc_domain::review::{self, CHECKLIST, CaseFileReview, ChecklistItem, ItemScore};
use qc_domain::{Person, PersonId, Role, Timestamp};
use qc_server::Service;
use qc_server::service::{DeskSigner, Exported, HEAD_BYTES};
use qc_station_storage::{CaseMeta, Storage};
use serde::Serialize;

use crate::{Console, ConsoleError, DeskRole, Said, Session, status_zh};

/// A case as the console shows it.
#[derive(Debug, Clone, Serialize)]
pub struct CasePage {
    /// The case id.
    pub id: String,
    /// Its squad.
    pub squad: String,
    /// Its status's code.
    pub status: String,
    /// The status in Chinese.
    pub status_label: String,
    /// What its document says; none when the document cannot be read.
    pub facts: Option<CaseFacts>,
    /// The check of its record.
    pub check: RecordCheck,
    /// 卷内目录: every act its signed entries prove, by section.
    pub items: Vec<TocItem>,
    /// Its evidence files.
    pub evidence: Vec<EvidenceFile>,
    /// Its case-file reviews (案卷评查), in the file's order.
    pub reviews: Vec<ReviewShown>,
    /// Whether the person may review its file now (their role, and the case closed).
    pub may_review: bool,
    /// The checklist a review scores.
    pub checklist: &'static [ChecklistItem],
}

/// A case-file review as the case page shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ReviewShown {
    /// Its entry's hash (hex).
    pub entry: String,
    /// When signed (ms).
    pub time: i64,
    /// Who signed it.
    pub signers: Vec<String>,
    /// The sheet; `None` when the station cannot read it (the record check says why).
    pub review: Option<CaseFileReview>,
}

/// A review as the reviewer fills it in.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct ReviewSheet {
    /// Every checklist line, scored, in order.
    pub items: Vec<ItemScore>,
    /// The overall opinion.
    pub comment: String,
}

/// What a case's document says.
#[derive(Debug, Clone, Serialize)]
pub struct CaseFacts {
    /// The domain's name.
    pub domain_name: String,
    /// The violation's name.
    pub violation_name: String,
    /// Where.
    pub address: String,
    /// The grid unit.
    pub grid: String,
    /// The parties.
    pub parties: String,
    /// What happened.
    pub summary: String,
    /// When registered (ms).
    pub registered_at: i64,
    /// The latest act (ms).
    pub updated_at: i64,
    /// Its deadlines still open, or met late.
    pub deadlines: Vec<DeadlineShown>,
}

/// A deadline of the case.
#[derive(Debug, Clone, Serialize)]
pub struct DeadlineShown {
    /// What is due, in Chinese.
    pub label: &'static str,
    /// When (ms).
    pub due_at: i64,
    /// How close (`pending`, `due_soon`, `overdue`, `late`).
    pub urgency: qc_domain::Urgency,
    /// The urgency in Chinese.
    pub urgency_label: &'static str,
}

/// The verdict on a case's record as the station keeps it.
#[derive(Debug, Clone, Serialize)]
pub struct RecordCheck {
    /// Nothing wrong.
    pub intact: bool,
    /// When checked (ms).
    pub checked_at: i64,
    /// Signed entries verified (every feed that touched the case).
    pub entries_verified: u64,
    /// Entries proven in the station's log under the checkpoint of the check.
    pub logged: u64,
    /// Entries checked for it.
    pub entries: u64,
    /// Everything wrong, in Chinese.
    pub problems: Vec<String>,
}

/// An evidence file of the case.
#[derive(Debug, Clone, Serialize)]
pub struct EvidenceFile {
    /// Its SHA-256 (hex): its name.
    pub hash: String,
    /// Its size, when the station holds it whole.
    pub size: Option<u64>,
    /// Read whole, and its hash is its name.
    pub intact: bool,
    /// Deleted with the head's approval (删除原件): its hash stays, its bytes are gone.
    pub deleted: bool,
    /// Its media type, from how it begins.
    pub media: &'static str,
    /// For audio and video held whole: the token of its player's address (a media element
    /// cannot send the CSRF header; see [`Console::play_token`]).
    pub play: Option<String>,
}

/// The squad a desk certificate names for the bureau's own staff (局机关).
const BUREAU_SQUAD: &str = "局机关";

/// An evidence file being read out.
pub struct EvidenceRead {
    /// Its size.
    pub size: u64,
    /// Its media type, from how it begins.
    pub media: &'static str,
    /// Its entity tag ([`entity_tag`]).
    pub tag: String,
    /// The part read when a range was asked for (a player seeking); none = all of it.
    pub range: Option<std::ops::Range<u64>>,
    /// Its bytes: the range asked for, or all from the first.
    pub bytes: Box<dyn Read + Send>,
}

/// The most bytes one answer to a range gives: a player asks again for more, and each ask is
/// checked against the session (an open-ended answer could outlive it while a player pauses).
pub const PIECE: u64 = 8 * 1024 * 1024;

/// What a request asks of a file: its `Range` header, and its `If-Range` (the range holds
/// only while the file is the one the client has: its entity tag is the file's hash).
#[derive(Debug, Clone, Copy, Default)]
pub struct Ask<'a> {
    /// The `Range` header.
    pub range: Option<&'a str>,
    /// The `If-Range` header.
    pub if_range: Option<&'a str>,
}

/// The entity tag of the file named `hash` (hex): the name itself, for content never changes.
pub fn entity_tag(hash: &str) -> String {
    format!("\"{hash}\"")
}

/// The part of the file named `hash` of `size` bytes a request asks for, at most [`PIECE`]
/// bytes: none for the whole file (no `Range`, one the server ignores: unreadable, several
/// ranges, a last byte before the first, an `If-Range` naming another file, an empty file), or
/// a refusal when it starts past the end.
pub(crate) fn requested_range(
    ask: Ask<'_>,
    hash: &str,
    size: u64,
) -> Result<Option<std::ops::Range<u64>>, ConsoleError> {
    if ask.if_range.is_some_and(|tag| tag != entity_tag(hash)) {
        return Ok(None);
    }
    let range = qc_blobs::asked_range(ask.range, size)
        .map_err(|_| ConsoleError::RangeNotSatisfiable { size })?;
    Ok(range.map(|r| r.start..r.end.min(r.start + PIECE)))
}

/// The media type of a file that begins with `head` (its first
/// [`qc_server::service::HEAD_BYTES`]): evidence as the tablets tell it
/// (`qc_evidence::sniff`), a desk's signed sheet as JSON, anything else as bytes.
pub fn media_type(head: &[u8]) -> &'static str {
    // As many as the station keeps of each file tell the tablets' types.
    const _: () = assert!(HEAD_BYTES >= qc_evidence::SNIFF_BYTES);
    match qc_evidence::sniff(head) {
        Ok((mime, _)) => mime,
        Err(_) if head.starts_with(b"{") => "application/json",
        Err(_) => "application/octet-stream",
    }
}

impl Console {
    /// The case a signed-in person may see, for reading: its kept squad and status.
    fn case_seen<S: Storage>(
        station: &Service<S>,
        session: &Session,
        case: &str,
    ) -> Result<CaseMeta, ConsoleError> {
        // A case out of the person's view answers as one that does not exist: its id says
        // nothing of another squad's work.
        station
            .case_meta(case)?
            .filter(|meta| session.account.view().sees(&meta.squad, meta.status))
            .ok_or(ConsoleError::NotFound)
    }

    /// A case's page, its record checked now.
    pub fn case<S: Storage>(
        &self,
        station: &Service<S>,
        session: &Session,
        case: &str,
        source: &str,
        now: Timestamp,
    ) -> Result<CasePage, ConsoleError> {
        Self::case_seen(station, session, case)?;
        let held = station
            .check_case(case, now)?
            .ok_or(ConsoleError::NotFound)?;
        let report = held.report;
        self.record(
            station.storage(),
            session,
            &format!(
                "查看案件 {case}（核验{}）",
                if report.is_clean() {
                    "通过"
                } else {
                    "发现问题"
                }
            ),
            source,
            now,
        )?;
        let facts = held.summary.map(|s| CaseFacts {
            domain_name: s.domain_name,
            violation_name: s.violation_name,
            address: s.address,
            grid: s.grid,
            parties: s.parties,
            summary: s.summary,
            registered_at: s.registered_at.0,
            updated_at: s.updated_at.0,
            deadlines: s
                .deadlines
                .into_iter()
                .map(|d| DeadlineShown {
                    label: d.kind.zh(),
                    due_at: d.due.0,
                    urgency: d.urgency,
                    urgency_label: d.urgency.zh(),
                })
                .collect(),
        });
        // The button only for someone whose signature the log takes (a head needs an 执法证).
        let may_review = match session.account.role.signs_as() {
            Some(role) if review::may_review(role) && review::reviewable(held.meta.status) => {
                let row = station.storage().desk_account(&session.account.login)?;
                let person = row.and_then(|r| r.person);
                desk_person(station, session, person.as_deref(), role)
                    .is_ok_and(|p| review::REVIEWERS.counts(&p))
            }
            _ => false,
        };
        Ok(CasePage {
            may_review,
            checklist: &CHECKLIST,
            reviews: held
                .reviews
                .into_iter()
                .map(|r| ReviewShown {
                    entry: r.entry,
                    time: r.time.0,
                    signers: r.signers,
                    review: r.review,
                })
                .collect(),
            id: case.to_owned(),
            squad: held.meta.squad,
            status: held.meta.status.code().to_owned(),
            status_label: status_zh(held.meta.status.code()),
            facts,
            check: RecordCheck {
                intact: report.is_clean(),
                checked_at: now.0,
                entries_verified: report.entries_verified as u64,
                logged: report.receipts.verified as u64,
                entries: report.receipts.entries as u64,
                problems: report.problems.iter().map(|p| p.zh()).collect(),
            },
            items: report.items,
            evidence: held
                .evidence
                .into_iter()
                .map(|f| {
                    let hash = hex::encode(f.hash);
                    let media = media_type(&f.head);
                    let playable = media.starts_with("audio/") || media.starts_with("video/");
                    EvidenceFile {
                        play: (playable && f.intact)
                            .then(|| Console::play_token(session, case, &hash)),
                        hash,
                        size: f.size,
                        intact: f.intact,
                        deleted: f.deleted,
                        media,
                    }
                })
                .collect(),
        })
    }

    /// An evidence file of a case the person sees, for reading: the whole file, or the part
    /// a request asks for ([`Ask`]; a player seeking), decrypted from only the part of the
    /// stored file that holds it.
    pub fn evidence<S: Storage>(
        &self,
        station: &Service<S>,
        session: &Session,
        (case, hash, ask): (&str, &str, Ask<'_>),
        source: &str,
        now: Timestamp,
    ) -> Result<EvidenceRead, ConsoleError> {
        Self::case_seen(station, session, case)?;
        let digest: qc_chain::Digest = hex::decode(hash)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| {
                ConsoleError::bad("证据文件编号有误", "The evidence file's number is wrong")
            })?;
        let damaged = |e: std::io::Error| {
            ConsoleError::Storage(qc_station_storage::StorageError::Damaged(format!(
                "evidence file {hash}: {e}"
            )))
        };
        let blob = station.case_blob(case, &digest).map_err(|e| match e {
            qc_server::ServiceError::NotFound(_) => ConsoleError::NotFound,
            other => other.into(),
        })?;
        let range = requested_range(ask, hash, blob.size)?;
        // Its first bytes say its type: read with the rest when the read holds them.
        let mut head = Vec::with_capacity(HEAD_BYTES);
        let from_start = range
            .as_ref()
            .is_none_or(|r| r.start == 0 && r.end >= blob.size.min(HEAD_BYTES as u64));
        if !from_start {
            let first = 0..blob.size.min(HEAD_BYTES as u64);
            station
                .read_case_blob(&blob, Some(first))?
                .read_to_end(&mut head)
                .map_err(damaged)?;
        }
        let mut reader = station.read_case_blob(&blob, range.clone())?;
        let bytes: Box<dyn Read + Send> = if from_start {
            (&mut reader)
                .take(HEAD_BYTES as u64)
                .read_to_end(&mut head)
                .map_err(damaged)?;
            Box::new(std::io::Cursor::new(head.clone()).chain(reader))
        } else {
            reader
        };
        let part = range.as_ref().map_or(String::new(), |r| {
            format!("（第 {}–{} 字节）", r.start, r.end - 1)
        });
        self.record(
            station.storage(),
            session,
            &format!("查看案件 {case} 的证据 {}{part}", &hash[..12]),
            source,
            now,
        )?;
        Ok(EvidenceRead {
            size: blob.size,
            media: media_type(&head),
            tag: entity_tag(hash),
            range,
            bytes,
        })
    }

    /// Exports a case the person sees as a case file (一案一档): a bundle of the case as the
    /// station keeps it, bound to an export entry the person signs (their password typed
    /// again yields the key) and the station logs. The bundle and its verification.
    pub fn export<S: Storage>(
        &self,
        station: &Service<S>,
        session: &Session,
        (case, password): (&str, &str),
        source: &str,
        now: Timestamp,
    ) -> Result<Exported, ConsoleError> {
        Self::case_seen(station, session, case)?;
        let role = session
            .account
            .role
            .signs_as()
            .ok_or(ConsoleError::Forbidden)?;
        let exported = self.sign_as(station, session, (role, password), now, |signer| {
            station.export_case(case, signer, now)
        })?;
        let verdict = if exported.report.is_clean() {
            "核验通过"
        } else {
            "核验发现问题"
        };
        self.recorded(
            station.storage(),
            session,
            &format!("导出案卷 {case}（签名导出，{verdict}）"),
            source,
            now,
        );
        Ok(exported)
    }

    /// 案卷评查: the legal department or the head scores a closed case the person sees against
    /// the checklist and signs the sheet (their password typed again yields the key); the
    /// station logs it and keeps the sheet with the case, where its squad reads it.
    pub fn review<S: Storage>(
        &self,
        station: &Service<S>,
        session: &Session,
        (case, sheet, password): (&str, ReviewSheet, &str),
        source: &str,
        now: Timestamp,
    ) -> Result<CaseFileReview, ConsoleError> {
        let meta = Self::case_seen(station, session, case)?;
        let role = session
            .account
            .role
            .signs_as()
            .filter(|&r| review::may_review(r))
            .ok_or(ConsoleError::Forbidden)?;
        let review = CaseFileReview::new(case, meta.status, sheet.items, &sheet.comment)
            .map_err(|e| ConsoleError::bad(e.zh(), e.to_string()))?;
        self.sign_as(station, session, (role, password), now, |signer| {
            station.review_case(&review, signer, now)
        })?;
        self.recorded(
            station.storage(),
            session,
            &format!(
                "案卷评查 {case}（{} 分，{}）",
                review.total,
                review.grade.zh()
            ),
            source,
            now,
        );
        Ok(review)
    }

    /// Does `act` as the signed-in person signing as `role`, their key from `password`; the
    /// act's `None` (no such case at the station) is not found.
    pub(crate) fn sign_as<S: Storage, T>(
        &self,
        station: &Service<S>,
        session: &Session,
        (role, password): (Role, &str),
        now: Timestamp,
        act: impl FnOnce(&DeskSigner<'_>) -> Result<Option<T>, qc_server::ServiceError>,
    ) -> Result<T, ConsoleError> {
        let (key, person) = self.signing_as(station, session, (role, password), now)?;
        let account = &session.account;
        act(&DeskSigner {
            login: &account.login,
            person: &person,
            view: &account.view(),
            key: &key,
        })?
        .ok_or(ConsoleError::NotFound)
    }

    /// Makes an administration act (管理操作) as the signed-in administrator: `change` makes
    /// it and says what it was, then the key their password (typed again) derives signs it
    /// onto the log. The password is checked before anything changes.
    pub(crate) fn administer<S: Storage, T>(
        &self,
        station: &Service<S>,
        (session, source): (&Session, &str),
        password: &str,
        now: Timestamp,
        change: impl FnOnce() -> Result<(T, AdminAct), ConsoleError>,
    ) -> Result<T, ConsoleError> {
        let admin = self.administrator(station, session, password, now)?;
        let (made, act) = change()?;
        admin.log(station, &act, source, now)?;
        Ok(made)
    }

    /// The signed-in administrator's key from their password typed again, with everything
    /// an administration act's signature needs checked: nothing is changed or signed yet.
    pub(crate) fn administrator<'a, S: Storage>(
        &self,
        station: &Service<S>,
        session: &'a Session,
        password: &str,
        now: Timestamp,
    ) -> Result<Administrator<'a>, ConsoleError> {
        if session.account.role != DeskRole::Administrator {
            return Err(ConsoleError::Forbidden);
        }
        let role = (Role::Administrator, password);
        let (key, person) = self.signing_as(station, session, role, now)?;
        let admin = Administrator {
            session,
            key,
            person,
            view: session.account.view(),
        };
        station.desk_signer_ready(&admin.signer(), ADMINISTRATORS, now)?;
        Ok(admin)
    }

    /// The signed-in person's key, from their password typed again, and whom they sign as in
    /// `role`.
    fn signing_as<S: Storage>(
        &self,
        station: &Service<S>,
        session: &Session,
        (role, password): (Role, &str),
        now: Timestamp,
    ) -> Result<(ed25519_dalek::SigningKey, Person), ConsoleError> {
        let login = &session.account.login;
        let salt = |own: &[u8]| station.desk_key_salt(login, own);
        let (key, row) = self.signing_key(station.storage(), (session, salt), password, now)?;
        let person = desk_person(station, session, row.person.as_deref(), role)?;
        Ok((key, person))
    }
}

/// The administrator at the desk, ready to sign administration acts.
pub(crate) struct Administrator<'a> {
    session: &'a Session,
    key: ed25519_dalek::SigningKey,
    person: Person,
    view: qc_domain::CaseView,
}

impl Administrator<'_> {
    fn signer(&self) -> DeskSigner<'_> {
        DeskSigner {
            login: &self.session.account.login,
            person: &self.person,
            view: &self.view,
            key: &self.key,
        }
    }

    /// Signs `act` onto the log; its entry's hash. When it cannot be, the operation log and
    /// the answer say what was made but not logged.
    pub(crate) fn log<S: Storage>(
        &self,
        station: &Service<S>,
        act: &AdminAct,
        source: &str,
        now: Timestamp,
    ) -> Result<qc_chain::Digest, ConsoleError> {
        station.record_admin_act(act, &self.signer(), now).map_err(|e| {
            tracing::error!(act = %act.zh(), error = %e, "an administration act made but not logged");
            let unlogged = ConsoleError::Unlogged {
                what: Said::new(act.zh(), act_en(act)),
                why: e.to_string(),
            };
            let said = format!("{}（{e}）", unlogged.message_zh());
            if let Err(log) = station.storage().add_desk_log(&crate::line(
                qc_station_storage::desk::DeskLogKind::Operation,
                &self.session.account.login,
                &said,
                false,
                source,
                now,
            )) {
                tracing::error!(error = %log, "the operation log refused a line");
            }
            unlogged
        })
    }
}

/// An administration act as the English page names it: its kind and subject (its detail is
/// in Chinese only).
fn act_en(act: &AdminAct) -> String {
    let kind = match act.kind {
        AdminKind::AccountOpened => "Open console account",
        AdminKind::AccountReset => "Reset console account",
        AdminKind::AccountDisabled => "Disable console account",
        AdminKind::AccountUnlocked => "Unlock console account",
        AdminKind::DeviceRevoked => "Revoke device",
        AdminKind::EnrolmentCodeIssued => "Issue a device enrolment code for",
        AdminKind::CatalogueReplaced => "Replace the powers catalogue with",
        AdminKind::WordingReplaced => "Replace the document wording of",
    };
    format!("{kind} {}", act.subject)
}

/// Whom the signed-in person signs as in `role`: the bureau's person their account is
/// (`person`), or, for staff without an 执法证 (法制审核, 管理员), their account itself.
fn desk_person<S: Storage>(
    station: &Service<S>,
    session: &Session,
    person: Option<&str>,
    role: Role,
) -> Result<Person, ConsoleError> {
    let account = &session.account;
    Ok(match person {
        Some(id) => station.bureau_person(id)?,
        None if role.enforces() => {
            return Err(ConsoleError::bad(
                "该账号未关联本局人员，不能签名；请管理员以 --person 重新建立账号",
                "This account is not linked to a person of the bureau, so it cannot sign; ask \
                 the administrator to make the account again with --person",
            ));
        }
        None => Person {
            id: PersonId(format!("desk.{}", account.login)),
            name: account.name.clone(),
            role,
            cert_no: None,
            squad: account
                .squads
                .first()
                .cloned()
                .unwrap_or_else(|| BUREAU_SQUAD.to_owned()),
        },
    })
}
