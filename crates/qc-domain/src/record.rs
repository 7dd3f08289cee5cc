//! Field records (笔录) made during 调查取证 and what sealing one requires.
//!
//! A record is edited freely until it is sealed by the signatures the procedure requires; after
//! that it can only be corrected by a new record that points at it (更正). These types carry
//! the content; [`seal_check`] says, in Chinese, what is still missing.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::case::{CaseState, Location, Party};
use crate::clock::Timestamp;
use crate::evidence::TimeSpan;
use crate::person::{CertNo, EnforcementOfficer, Person, PersonId};
use crate::rules::RuleViolation;
use crate::workflow::investigation_team;

/// An officer as printed on a record: name and 执法证 number, shown to the party.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfficerRef {
    /// Who.
    pub person: PersonId,
    /// Name.
    pub name: String,
    /// 执法证 number.
    pub cert_no: CertNo,
}

impl From<&EnforcementOfficer> for OfficerRef {
    fn from(o: &EnforcementOfficer) -> OfficerRef {
        OfficerRef {
            person: o.person().id.clone(),
            name: o.person().name.clone(),
            cert_no: o.cert_no().clone(),
        }
    }
}

/// The 721 method's outcome category (七分服务、两分管理、一分执法).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome721 {
    /// 服务.
    Service,
    /// 管理.
    Management,
    /// 执法.
    Enforcement,
}

impl Outcome721 {
    /// The Chinese name.
    pub fn zh(self) -> &'static str {
        match self {
            Outcome721::Service => "服务",
            Outcome721::Management => "管理",
            Outcome721::Enforcement => "执法",
        }
    }
}

/// 现场检查笔录 — on-site inspection record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Inspection {
    /// Where (address, GPS, grid).
    pub place: Location,
    /// When the inspection began.
    pub started_at: Timestamp,
    /// When it ended (set before sealing).
    pub ended_at: Option<Timestamp>,
    /// Officers present.
    pub officers: Vec<OfficerRef>,
    /// The party inspected, when known.
    pub party: Option<Party>,
    /// Whether the party was notified to attend.
    pub party_notified: bool,
    /// Whether the party was present.
    pub party_present: bool,
    /// What was found (free text, merged character by character).
    pub found: String,
    /// The 721 outcome category.
    pub outcome: Option<Outcome721>,
}

/// One question and its answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Qa {
    /// 问.
    pub question: String,
    /// 答.
    pub answer: String,
}

/// How a transcript page was closed by the interviewee.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum PageSignature {
    /// Signed by the interviewee: the signature image (a blob) and the page it signed.
    Signed {
        /// SHA-256 of the signature image, hex.
        image: String,
        /// SHA-256 of the page's questions and answers when signed, hex.
        page_digest: String,
        /// When.
        at: Timestamp,
    },
    /// The interviewee refused to sign; the officers noted it on the page.
    Refused {
        /// The officers' note.
        note: String,
        /// SHA-256 of the page when the refusal was noted, hex.
        page_digest: String,
        /// When.
        at: Timestamp,
    },
}

/// One page of a transcript: its questions and answers, and its signature once closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Page {
    /// Questions and answers on the page, in order.
    pub qa: Vec<Qa>,
    /// The interviewee's signature or the noted refusal; the page is frozen once set.
    pub signature: Option<PageSignature>,
}

/// The person questioned (one per transcript: questioning is individual).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interviewee {
    /// Name.
    pub name: String,
    /// 身份证号, when given.
    pub id_number: Option<String>,
    /// Phone, when given.
    pub phone: Option<String>,
    /// In what capacity (当事人, 证人 ...).
    pub capacity: String,
}

/// 询问笔录 — questioning transcript.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Questioning {
    /// The one person questioned.
    pub interviewee: Interviewee,
    /// Where.
    pub location: String,
    /// When questioning began.
    pub started_at: Timestamp,
    /// When it ended (set before sealing).
    pub ended_at: Option<Timestamp>,
    /// Officers questioning.
    pub officers: Vec<OfficerRef>,
    /// The rights-and-obligations notice was shown and the interviewee acknowledged it.
    pub rights_acknowledged: bool,
    /// The interviewee was asked whether they request an officer's recusal.
    pub recusal_asked: bool,
    /// The pages.
    pub pages: Vec<Page>,
}

/// One item listed on a preservation or sampling notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeItem {
    /// What.
    pub name: String,
    /// How many / how much.
    pub quantity: String,
}

/// 证据先行登记保存通知书 or 抽样取证凭证: the items, where they are kept, the party.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notice {
    /// Items preserved or sampled.
    pub items: Vec<NoticeItem>,
    /// Where the items are kept.
    pub kept_at: String,
    /// Officers issuing the notice.
    pub officers: Vec<OfficerRef>,
    /// The party, when known.
    pub party: Option<Party>,
    /// When issued.
    pub issued_at: Timestamp,
}

/// What a record is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RecordBody {
    /// 现场检查笔录.
    Inspection(Inspection),
    /// 询问笔录.
    Questioning(Questioning),
    /// 证据先行登记保存通知书.
    Preservation(Notice),
    /// 抽样取证凭证.
    Sampling(Notice),
}

impl RecordBody {
    /// The record's name in Chinese.
    pub fn zh(&self) -> &'static str {
        match self {
            RecordBody::Inspection(_) => "现场检查笔录",
            RecordBody::Questioning(_) => "询问笔录",
            RecordBody::Preservation(_) => "证据先行登记保存通知书",
            RecordBody::Sampling(_) => "抽样取证凭证",
        }
    }

    /// The time the record's act took: an inspection or questioning from its start to its end
    /// (its start while open), a notice when it was issued.
    pub fn span(&self) -> TimeSpan {
        let (from, to) = match self {
            RecordBody::Inspection(i) => (i.started_at, i.ended_at),
            RecordBody::Questioning(q) => (q.started_at, q.ended_at),
            RecordBody::Preservation(n) | RecordBody::Sampling(n) => (n.issued_at, None),
        };
        TimeSpan {
            from,
            to: to.unwrap_or(from).max(from),
        }
    }

    /// The officers the record names.
    pub fn officers(&self) -> &[OfficerRef] {
        match self {
            RecordBody::Inspection(i) => &i.officers,
            RecordBody::Questioning(q) => &q.officers,
            RecordBody::Preservation(n) | RecordBody::Sampling(n) => &n.officers,
        }
    }
}

/// Why the party did not sign a record themselves (当事人拒绝签名或者不在场, 004 调查取证).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoPartySignature {
    /// The party was there and refused to sign.
    Refused,
    /// The party was not there.
    Absent,
}

impl NoPartySignature {
    /// The Chinese words for it, as printed on the record.
    pub fn zh(self) -> &'static str {
        match self {
            NoPartySignature::Refused => "当事人拒绝签名",
            NoPartySignature::Absent => "当事人不在场",
        }
    }
}

/// The party's (or a witness's) sign-off on an inspection record or notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum PartySignoff {
    /// The party signed (signature image as a blob).
    Party {
        /// Name as signed.
        name: String,
        /// SHA-256 of the signature image, hex.
        image: String,
        /// When.
        at: Timestamp,
    },
    /// The party refused or was absent; an uninterested witness signed.
    Witness {
        /// Witness name.
        name: String,
        /// Witness 身份证号, when given.
        id_number: Option<String>,
        /// Why the party did not sign, in the officers' words.
        party_absent_reason: String,
        /// Why the party did not sign: refused or absent. Records stored before this field
        /// existed load without it (and cannot be sealed until it is given).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        party_did_not_sign: Option<NoPartySignature>,
        /// SHA-256 of the signature image, hex.
        image: String,
        /// When.
        at: Timestamp,
    },
    /// The officers noted that there was no witness, or the witness refused.
    OfficersNote {
        /// The note (e.g. 当事人拒绝签名，现场无见证人).
        note: String,
        /// Why the party did not sign: refused or absent (as for a witness).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        party_did_not_sign: Option<NoPartySignature>,
        /// When.
        at: Timestamp,
    },
}

/// A record and what has been signed on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Record id (unique in the case).
    pub id: String,
    /// The content.
    pub body: RecordBody,
    /// The party's or witness's sign-off, or the officers' note.
    pub signoff: Option<PartySignoff>,
    /// The sealed record this one corrects (更正), if any.
    pub corrects: Option<String>,
    /// When created.
    pub created_at: Timestamp,
    /// Who created it.
    pub created_by: PersonId,
}

fn missing(what: impl Into<String>) -> RuleViolation {
    RuleViolation::RecordIncomplete {
        missing: what.into(),
    }
}

fn filled(s: &str, what: &str) -> Result<(), RuleViolation> {
    if s.trim().is_empty() {
        Err(missing(what))
    } else {
        Ok(())
    }
}

/// Checks that a record may be sealed by `sealers` now: the two-officer rule (the sealers are
/// at least two unrecused enforcement officers named on the record), and every field and
/// signature its kind requires. The first missing piece is the reason.
pub fn seal_check(
    record: &Record,
    sealers: &[Person],
    state: &CaseState,
) -> Result<(), RuleViolation> {
    let named: BTreeSet<&PersonId> = record.body.officers().iter().map(|o| &o.person).collect();
    if named.len() < 2 {
        return Err(missing("记录在场的两名以上执法人员"));
    }
    investigation_team(sealers, state)?;
    if let Some(p) = sealers.iter().find(|p| !named.contains(&p.id)) {
        return Err(missing(format!("{}未记录为在场执法人员", p.name)));
    }
    match &record.body {
        RecordBody::Inspection(i) => {
            filled(&i.place.address, "检查地点")?;
            filled(&i.found, "现场检查情况")?;
            if i.ended_at.is_none() {
                return Err(missing("检查结束时间"));
            }
            if i.outcome.is_none() {
                return Err(missing("处理方式（服务、管理或执法）"));
            }
            signoff_check(record, state)
        }
        RecordBody::Questioning(q) => {
            filled(&q.interviewee.name, "被询问人姓名")?;
            filled(&q.location, "询问地点")?;
            if !q.rights_acknowledged {
                return Err(missing("告知被询问人权利义务并由其确认"));
            }
            if !q.recusal_asked {
                return Err(missing("询问被询问人是否申请回避"));
            }
            if q.pages.iter().all(|p| p.qa.is_empty()) {
                return Err(missing("询问内容（问答）"));
            }
            if let Some(n) = q.pages.iter().position(|p| p.signature.is_none()) {
                return Err(missing(format!("第{}页被询问人签名（或注明拒签）", n + 1)));
            }
            if q.ended_at.is_none() {
                return Err(missing("询问结束时间"));
            }
            Ok(())
        }
        RecordBody::Preservation(n) | RecordBody::Sampling(n) => {
            if n.items.is_empty() {
                return Err(missing("物品清单"));
            }
            filled(&n.kept_at, "保存（存放）地点")?;
            signoff_check(record, state)
        }
    }
}

/// The sign-off must be there and complete, and agree with the record (see
/// [`signoff_consistent`]).
fn signoff_check(record: &Record, state: &CaseState) -> Result<(), RuleViolation> {
    match &record.signoff {
        None => {
            return Err(missing(
                "当事人签名；当事人拒绝或不在场的，见证人签名或执法人员注明情况",
            ));
        }
        Some(PartySignoff::Witness {
            party_absent_reason,
            ..
        }) => filled(party_absent_reason, "当事人未签名的原因")?,
        Some(PartySignoff::OfficersNote { note, .. }) => filled(note, "执法人员注明的情况")?,
        Some(PartySignoff::Party { .. }) => {}
    }
    signoff_consistent(record, state)
}

/// The parties a record is about: the one it names, and the case's.
fn parties<'a>(record: &'a Record, state: &'a CaseState) -> Vec<&'a Party> {
    let named = match &record.body {
        RecordBody::Inspection(i) => i.party.as_ref(),
        RecordBody::Preservation(n) | RecordBody::Sampling(n) => n.party.as_ref(),
        RecordBody::Questioning(_) => None,
    };
    named.into_iter().chain(&state.header.parties).collect()
}

fn same_name(a: &str, b: &str) -> bool {
    let a = a.trim();
    !a.is_empty() && a == b.trim()
}

/// Whether the record's sign-off agrees with the record, in the order of 004 调查取证: the party
/// signs (only if present); else an uninterested witness signs (not the party, not one of the
/// record's officers); else the officers note it. Why the party did not sign must be given and
/// agree with attendance (present ⇒ refused, absent ⇒ absent). An inspection of a known party
/// needs the party notified to attend (or present). A record without a sign-off passes.
pub fn signoff_consistent(record: &Record, state: &CaseState) -> Result<(), RuleViolation> {
    let inspection = match &record.body {
        RecordBody::Inspection(i) => Some(i),
        _ => None,
    };
    let parties = parties(record, state);
    if let Some(i) = inspection
        && !parties.is_empty()
        && !i.party_notified
        && !i.party_present
    {
        return Err(RuleViolation::PartyNotCalledToAttend);
    }
    let present = inspection.map(|i| i.party_present);
    let why = match &record.signoff {
        None => return Ok(()),
        Some(PartySignoff::Party { .. }) => {
            return if present == Some(false) {
                Err(RuleViolation::AbsentPartySigned)
            } else {
                Ok(())
            };
        }
        Some(PartySignoff::Witness {
            name,
            id_number,
            party_did_not_sign,
            ..
        }) => {
            let id_matches = |p: &Party| matches!((id_number, &p.id_number), (Some(w), Some(q)) if same_name(w, q));
            if parties
                .iter()
                .any(|p| same_name(name, &p.name) || id_matches(p))
            {
                return Err(RuleViolation::WitnessNotUninterested {
                    name: name.clone(),
                    is: "当事人",
                });
            }
            if record
                .body
                .officers()
                .iter()
                .any(|o| same_name(name, &o.name))
            {
                return Err(RuleViolation::WitnessNotUninterested {
                    name: name.clone(),
                    is: "本笔录的执法人员",
                });
            }
            party_did_not_sign
        }
        Some(PartySignoff::OfficersNote {
            party_did_not_sign, ..
        }) => party_did_not_sign,
    };
    let Some(why) = why else {
        return Err(missing("当事人未签名的原因（拒绝签名或不在场）"));
    };
    match (present, why) {
        (Some(true), NoPartySignature::Absent) | (Some(false), NoPartySignature::Refused) => {
            Err(RuleViolation::NoSignatureReasonMismatch {
                party_present: present == Some(true),
            })
        }
        _ => Ok(()),
    }
}

/// Whether `actors` may write a record on this case now (create, edit, sign, seal): records
/// belong to 调查取证 (004 调查取证), so a new record only while the case is being investigated;
/// a correction (`corrects`) also after it, until the case is closed. Every actor must be an
/// enforcement officer on the case's investigation team (assigned when the investigation
/// started) and not recused; a squad leader or head who is not on the team is refused too.
pub fn record_allowed(
    state: &CaseState,
    corrects: Option<&str>,
    actors: &[Person],
) -> Result<(), RuleViolation> {
    use crate::case::CaseStatus as S;
    let status = state.status;
    let open = match corrects {
        None => status == S::Investigating,
        Some(_) => matches!(
            status,
            S::Investigating
                | S::InvestigationConcluded
                | S::LegalReviewed
                | S::Notified
                | S::Decided
                | S::Delivered
                | S::Executed
        ),
    };
    if !open {
        return Err(RuleViolation::RecordOutsideInvestigation {
            status,
            correction: corrects.is_some(),
        });
    }
    if actors.is_empty() {
        return Err(RuleViolation::NoActor);
    }
    for a in actors {
        EnforcementOfficer::try_from(a.clone())?;
        if state.recused.contains(&a.id) {
            return Err(RuleViolation::Recused {
                name: a.name.clone(),
            });
        }
        if !state.team.contains(&a.id) {
            return Err(RuleViolation::NotOnTeam {
                name: a.name.clone(),
            });
        }
    }
    Ok(())
}

/// Index of the page new questions go on: the last page if it is still open, else a new one.
pub fn open_page(q: &Questioning) -> usize {
    match q.pages.last() {
        Some(p) if p.signature.is_none() => q.pages.len() - 1,
        _ => q.pages.len(),
    }
}

#[cfg(test)]
#[path = "record_tests.rs"]
mod tests;
