//! 一案一档 — a case: its header, its workflow events and the state derived from them.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;
use crate::person::{EnforcementOfficer, Person, PersonId, Role};

/// Identifier of a case (a UUID in text form).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CaseId(pub String);

impl std::fmt::Display for CaseId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where a case came from (案源).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CaseSource {
    /// 自主发现 — found by officers on patrol.
    SelfDiscovered,
    /// 投诉举报 — a complaint or report; the complainant must be told the filing outcome.
    Complaint {
        /// Who complained.
        complainant: String,
        /// How to reach them.
        contact: String,
        /// Received through the 12319 hotline.
        via_12319: bool,
    },
    /// 部门移送 — referred by another department.
    Referral {
        /// The referring department.
        department: String,
    },
    /// 上级交办 — assigned by a superior authority.
    Assigned {
        /// The assigning authority.
        authority: String,
    },
    /// 数字城管 — dispatched by the digital urban-management platform.
    DigitalPlatform {
        /// The platform's ticket number.
        ticket: String,
    },
}

impl CaseSource {
    /// Chinese name of the kind of source.
    pub fn zh(&self) -> &'static str {
        match self {
            CaseSource::SelfDiscovered => "自主发现",
            CaseSource::Complaint {
                via_12319: true, ..
            } => "12319热线投诉举报",
            CaseSource::Complaint { .. } => "投诉举报",
            CaseSource::Referral { .. } => "部门移送",
            CaseSource::Assigned { .. } => "上级交办",
            CaseSource::DigitalPlatform { .. } => "数字城管派遣",
        }
    }

    /// Stable code of the kind of source.
    pub fn code(&self) -> &'static str {
        match self {
            CaseSource::SelfDiscovered => "self_discovered",
            CaseSource::Complaint { .. } => "complaint",
            CaseSource::Referral { .. } => "referral",
            CaseSource::Assigned { .. } => "assigned",
            CaseSource::DigitalPlatform { .. } => "digital_platform",
        }
    }
}

/// A point from the tablet's GPS (WGS-84).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GeoPoint {
    /// Latitude in degrees.
    pub lat: f64,
    /// Longitude in degrees.
    pub lon: f64,
}

/// Where the case is (地点), with its grid unit (网格).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Location {
    /// Street address as written on records.
    pub address: String,
    /// Grid unit code (网格编号).
    pub grid: String,
    /// GPS fix, when the tablet had one.
    pub gps: Option<GeoPoint>,
}

/// Whether a party is a natural person or an organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartyKind {
    /// 自然人.
    Person,
    /// 单位/个体工商户.
    Business,
}

/// 当事人 — a party to the case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Party {
    /// Person or business.
    pub kind: PartyKind,
    /// Name (person's name or business name).
    pub name: String,
    /// 身份证号 or 统一社会信用代码, when known.
    pub id_number: Option<String>,
    /// Phone, when known.
    pub phone: Option<String>,
}

/// What is fixed when a case is registered (登记).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseHeader {
    /// Identifier.
    pub id: CaseId,
    /// Where it came from.
    pub source: CaseSource,
    /// Enforcement domain code (from the catalogue).
    pub domain: String,
    /// Violation type code (from the catalogue).
    pub violation: String,
    /// Place and grid.
    pub location: Location,
    /// Parties known at registration.
    pub parties: Vec<Party>,
    /// What was reported or seen.
    pub summary: String,
    /// Squad responsible.
    pub squad: String,
    /// When registered.
    pub registered_at: Timestamp,
    /// Who registered it.
    pub registered_by: PersonId,
}

/// Stage of the case lifecycle (004 执法程序).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    /// 登记.
    Registered,
    /// 立案.
    Filed,
    /// 退回补充核查 — the leader sent the filing request back with comments; the officers
    /// verify further and ask again.
    Returned,
    /// 不予立案 (terminal).
    NotFiled,
    /// 移送 (terminal).
    Transferred,
    /// 调查取证.
    Investigating,
    /// 调查终结.
    InvestigationConcluded,
    /// 法制审核 passed.
    LegalReviewed,
    /// 告知 / 陈述申辩 / 听证.
    Notified,
    /// 决定.
    Decided,
    /// 送达.
    Delivered,
    /// 执行.
    Executed,
    /// 结案.
    Closed,
    /// 公开.
    Disclosed,
}

impl CaseStatus {
    /// Whether the case has been sent for legal review (调查终结 onwards, on the path to a
    /// decision).
    pub fn sent_for_review(self) -> bool {
        !matches!(
            self,
            CaseStatus::Registered
                | CaseStatus::Returned
                | CaseStatus::Filed
                | CaseStatus::NotFiled
                | CaseStatus::Transferred
                | CaseStatus::Investigating
        )
    }

    /// Every status, in lifecycle order.
    pub const ALL: [CaseStatus; 14] = [
        CaseStatus::Registered,
        CaseStatus::Returned,
        CaseStatus::Filed,
        CaseStatus::NotFiled,
        CaseStatus::Transferred,
        CaseStatus::Investigating,
        CaseStatus::InvestigationConcluded,
        CaseStatus::LegalReviewed,
        CaseStatus::Notified,
        CaseStatus::Decided,
        CaseStatus::Delivered,
        CaseStatus::Executed,
        CaseStatus::Closed,
        CaseStatus::Disclosed,
    ];

    /// Chinese name.
    pub fn zh(self) -> &'static str {
        match self {
            CaseStatus::Registered => "登记",
            CaseStatus::Filed => "立案",
            CaseStatus::Returned => "退回补充核查",
            CaseStatus::NotFiled => "不予立案",
            CaseStatus::Transferred => "移送",
            CaseStatus::Investigating => "调查取证",
            CaseStatus::InvestigationConcluded => "调查终结",
            CaseStatus::LegalReviewed => "法制审核",
            CaseStatus::Notified => "告知",
            CaseStatus::Decided => "决定",
            CaseStatus::Delivered => "送达",
            CaseStatus::Executed => "执行",
            CaseStatus::Closed => "结案",
            CaseStatus::Disclosed => "公开",
        }
    }

    /// Stable code.
    pub fn code(self) -> &'static str {
        match self {
            CaseStatus::Registered => "registered",
            CaseStatus::Filed => "filed",
            CaseStatus::Returned => "returned",
            CaseStatus::NotFiled => "not_filed",
            CaseStatus::Transferred => "transferred",
            CaseStatus::Investigating => "investigating",
            CaseStatus::InvestigationConcluded => "investigation_concluded",
            CaseStatus::LegalReviewed => "legal_reviewed",
            CaseStatus::Notified => "notified",
            CaseStatus::Decided => "decided",
            CaseStatus::Delivered => "delivered",
            CaseStatus::Executed => "executed",
            CaseStatus::Closed => "closed",
            CaseStatus::Disclosed => "disclosed",
        }
    }

    /// Parses a stable code.
    pub fn from_code(code: &str) -> Option<CaseStatus> {
        CaseStatus::ALL.into_iter().find(|s| s.code() == code)
    }

    /// Whether the case is still being handled (counts toward "立而不办、办而不结").
    pub fn is_open(self) -> bool {
        !matches!(
            self,
            CaseStatus::NotFiled
                | CaseStatus::Transferred
                | CaseStatus::Closed
                | CaseStatus::Disclosed
        )
    }
}

/// 裁量 — the discretion stated in a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Discretion {
    /// 不予处罚.
    NoPenalty,
    /// 减轻.
    Mitigated,
    /// 从轻.
    Lighter,
    /// 一般.
    Standard,
    /// 从重.
    Heavier,
}

/// 送达方式 — how a decision reaches the party.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DeliveryMethod {
    /// 直接送达.
    Direct,
    /// 留置送达.
    LeftAtAddress,
    /// 邮寄送达.
    Post,
    /// 委托送达.
    Entrusted,
    /// 转交送达.
    Forwarded,
    /// 电子送达 — only with the party's consent.
    Electronic {
        /// The party agreed in writing.
        party_consented: bool,
    },
    /// 公告送达.
    PublicNotice,
}

/// 执行 — how the decision was carried out. Fines go to the bank, never to officers (罚缴分离),
/// so there is no way to record a fine paid to an officer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Execution {
    /// Fine paid at the designated bank.
    PaidAtBank {
        /// Bank receipt number.
        receipt_no: String,
    },
    /// Corrected or complied without a fine.
    Complied,
    /// Enforced under the Administrative Compulsion Law or by the court.
    Compelled {
        /// How.
        note: String,
    },
}

/// One act in the case's lifecycle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "act", rename_all = "snake_case")]
pub enum Act {
    /// 立案 with the leader's approval.
    File,
    /// 不予立案.
    DeclineFiling {
        /// Why.
        reason: String,
    },
    /// 退回补充核查 — the leader returns the filing request with comments instead of deciding.
    ReturnFiling {
        /// What the officers should verify or complete.
        comments: String,
    },
    /// 重新提请立案 — the officers ask again after verifying what the leader asked for.
    ResubmitFiling {
        /// What was verified or completed.
        note: String,
    },
    /// 案件移送 to the competent department (or the police for suspected crimes).
    Transfer {
        /// To whom.
        to: String,
        /// Why.
        reason: String,
    },
    /// Assign the investigating officers and start 调查取证.
    StartInvestigation {
        /// The officers (at least two).
        team: Vec<PersonId>,
    },
    /// 证据先行登记保存通知 — an investigation act that opens a 7-day decision deadline.
    PreservationNotice {
        /// Notice identifier.
        notice: String,
        /// What is preserved.
        items: String,
    },
    /// Decision on preserved evidence.
    PreservationDecision {
        /// The notice decided.
        notice: String,
        /// What was decided.
        outcome: String,
        /// Why late, if past 7 days.
        late_reason: Option<String>,
    },
    /// 调查终结.
    ConcludeInvestigation {
        /// Summary of findings.
        summary: String,
    },
    /// 法制审核.
    LegalReview {
        /// Whether it passed.
        passed: bool,
        /// The reviewer's opinion.
        opinion: String,
    },
    /// 告知 (事先告知, 听证告知).
    Notify {
        /// A hearing was offered.
        hearing_offered: bool,
    },
    /// Extension of the decision deadline with the head's approval.
    ExtendDeadline {
        /// Days added (at most 60).
        days: u32,
        /// Why.
        reason: String,
    },
    /// 决定.
    Decide {
        /// Discretion applied.
        discretion: Discretion,
        /// Summary of the decision.
        summary: String,
    },
    /// 送达.
    Deliver {
        /// How.
        method: DeliveryMethod,
        /// Why late, if past 7 days.
        late_reason: Option<String>,
    },
    /// 执行.
    Execute {
        /// How.
        execution: Execution,
    },
    /// 结案.
    Close {
        /// Closing report.
        report: String,
    },
    /// 公开.
    Disclose,
    /// Complainant told the filing outcome.
    InformComplainant {
        /// How they were told.
        how: String,
    },
    /// 回避 — an officer declares an interest and is excluded.
    Recuse {
        /// Who.
        officer: PersonId,
        /// Why.
        reason: String,
    },
}

/// 卷内目录 — the sections of a case file, in the order DOMAIN.md lists them (004 一案一档).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileSection {
    /// 立案材料 — filing documents.
    Filing,
    /// 调查取证材料 — investigation documents.
    Investigation,
    /// 证据材料 — evidence.
    Evidence,
    /// 审查决定材料 — decision-making material.
    Review,
    /// 处罚决定 — the decision.
    Decision,
    /// 执行材料 — execution documents.
    Execution,
    /// 结案材料 — closing documents.
    Closing,
}

impl FileSection {
    /// Chinese name.
    pub fn zh(self) -> &'static str {
        match self {
            FileSection::Filing => "立案材料",
            FileSection::Investigation => "调查取证材料",
            FileSection::Evidence => "证据材料",
            FileSection::Review => "审查决定材料",
            FileSection::Decision => "处罚决定",
            FileSection::Execution => "执行材料",
            FileSection::Closing => "结案材料",
        }
    }
}

/// The kind of a workflow act, without its details: stable names for logs, chain entries and
/// the case file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActKind {
    /// 立案.
    File,
    /// 不予立案.
    DeclineFiling,
    /// 退回补充核查.
    ReturnFiling,
    /// 重新提请立案.
    ResubmitFiling,
    /// 案件移送.
    Transfer,
    /// 指派调查.
    StartInvestigation,
    /// 证据先行登记保存.
    PreservationNotice,
    /// 先行登记保存处理决定.
    PreservationDecision,
    /// 调查终结.
    ConcludeInvestigation,
    /// 法制审核.
    LegalReview,
    /// 事先告知.
    Notify,
    /// 延长办案期限.
    ExtendDeadline,
    /// 作出决定.
    Decide,
    /// 送达.
    Deliver,
    /// 执行.
    Execute,
    /// 结案.
    Close,
    /// 公开.
    Disclose,
    /// 告知投诉举报人.
    InformComplainant,
    /// 回避.
    Recuse,
}

/// Who must sign an act: someone in one of `roles` (an enforcing role counts only with an
/// 执法证 number), and at least `officers` distinct enforcement officers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignersRequired {
    /// Roles of which at least one signer must hold one.
    pub roles: &'static [Role],
    /// Distinct enforcement officers who must sign.
    pub officers: usize,
}

impl SignersRequired {
    /// No person need sign: the device alone (a merge conflict it found).
    pub const DEVICE: SignersRequired = SignersRequired {
        roles: &[],
        officers: 0,
    };
    /// Any person (an export).
    pub const ANYONE: SignersRequired = SignersRequired {
        roles: &Role::ALL,
        officers: 0,
    };
    /// Whoever may register a case (登记): assistants too, administrators not.
    pub const REGISTRAR: SignersRequired = SignersRequired {
        roles: crate::workflow::REGISTERING,
        officers: 0,
    };

    /// At least `n` enforcement officers (records, evidence).
    pub const fn officers(n: usize) -> SignersRequired {
        SignersRequired {
            roles: crate::workflow::OFFICERS,
            officers: n,
        }
    }

    /// Whether `person` counts for [`Self::roles`].
    pub fn counts(&self, person: &Person) -> bool {
        self.roles.contains(&person.role)
            && (!person.role.enforces() || EnforcementOfficer::try_from(person.clone()).is_ok())
    }
}

impl ActKind {
    /// Every kind.
    pub const ALL: [ActKind; 19] = [
        ActKind::File,
        ActKind::DeclineFiling,
        ActKind::ReturnFiling,
        ActKind::ResubmitFiling,
        ActKind::Transfer,
        ActKind::StartInvestigation,
        ActKind::PreservationNotice,
        ActKind::PreservationDecision,
        ActKind::ConcludeInvestigation,
        ActKind::LegalReview,
        ActKind::Notify,
        ActKind::ExtendDeadline,
        ActKind::Decide,
        ActKind::Deliver,
        ActKind::Execute,
        ActKind::Close,
        ActKind::Disclose,
        ActKind::InformComplainant,
        ActKind::Recuse,
    ];

    /// Stable English name (logs, chain entries).
    pub fn name(self) -> &'static str {
        match self {
            ActKind::File => "file",
            ActKind::DeclineFiling => "decline filing",
            ActKind::ReturnFiling => "return filing",
            ActKind::ResubmitFiling => "resubmit filing",
            ActKind::Transfer => "transfer",
            ActKind::StartInvestigation => "start investigation",
            ActKind::PreservationNotice => "preservation notice",
            ActKind::PreservationDecision => "preservation decision",
            ActKind::ConcludeInvestigation => "conclude investigation",
            ActKind::LegalReview => "legal review",
            ActKind::Notify => "notify",
            ActKind::ExtendDeadline => "extend deadline",
            ActKind::Decide => "decide",
            ActKind::Deliver => "deliver",
            ActKind::Execute => "execute",
            ActKind::Close => "close",
            ActKind::Disclose => "disclose",
            ActKind::InformComplainant => "inform complainant",
            ActKind::Recuse => "recuse",
        }
    }

    /// The kind with this stable name.
    pub fn from_name(name: &str) -> Option<ActKind> {
        ActKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Chinese name.
    pub fn zh(self) -> &'static str {
        match self {
            ActKind::File => "立案",
            ActKind::DeclineFiling => "不予立案",
            ActKind::ReturnFiling => "退回补充核查",
            ActKind::ResubmitFiling => "重新提请立案",
            ActKind::Transfer => "案件移送",
            ActKind::StartInvestigation => "指派调查",
            ActKind::PreservationNotice => "证据先行登记保存",
            ActKind::PreservationDecision => "先行登记保存处理决定",
            ActKind::ConcludeInvestigation => "调查终结",
            ActKind::LegalReview => "法制审核",
            ActKind::Notify => "事先告知",
            ActKind::ExtendDeadline => "延长办案期限",
            ActKind::Decide => "作出决定",
            ActKind::Deliver => "送达",
            ActKind::Execute => "执行",
            ActKind::Close => "结案",
            ActKind::Disclose => "公开",
            ActKind::InformComplainant => "告知投诉举报人",
            ActKind::Recuse => "回避",
        }
    }

    /// Who must sign an act of this kind: what a verifier checks from the signatures alone,
    /// and the roles [`crate::validate`] asks for.
    pub fn signers(self) -> SignersRequired {
        use crate::workflow::{HEAD, LEADERS, OFFICERS, RECUSING, REVIEWER};
        let (roles, officers) = match self {
            ActKind::File
            | ActKind::DeclineFiling
            | ActKind::ReturnFiling
            | ActKind::Transfer
            | ActKind::StartInvestigation
            | ActKind::PreservationDecision
            | ActKind::Close
            | ActKind::Disclose => (LEADERS, 0),
            ActKind::ResubmitFiling
            | ActKind::ConcludeInvestigation
            | ActKind::Notify
            | ActKind::Deliver
            | ActKind::Execute
            | ActKind::InformComplainant => (OFFICERS, 0),
            ActKind::PreservationNotice => (OFFICERS, 2),
            ActKind::LegalReview => (REVIEWER, 0),
            ActKind::ExtendDeadline | ActKind::Decide => (HEAD, 0),
            ActKind::Recuse => (RECUSING, 0),
        };
        SignersRequired { roles, officers }
    }

    /// Where the act's documents go in the case file.
    pub fn section(self) -> FileSection {
        match self {
            ActKind::File
            | ActKind::DeclineFiling
            | ActKind::ReturnFiling
            | ActKind::ResubmitFiling
            | ActKind::Transfer
            | ActKind::StartInvestigation
            | ActKind::InformComplainant
            | ActKind::Recuse => FileSection::Filing,
            ActKind::PreservationNotice
            | ActKind::PreservationDecision
            | ActKind::ConcludeInvestigation => FileSection::Investigation,
            ActKind::LegalReview | ActKind::Notify | ActKind::ExtendDeadline => FileSection::Review,
            ActKind::Decide => FileSection::Decision,
            ActKind::Deliver | ActKind::Execute => FileSection::Execution,
            ActKind::Close | ActKind::Disclose => FileSection::Closing,
        }
    }
}

impl Act {
    /// The kind of act.
    pub fn kind(&self) -> ActKind {
        match self {
            Act::File => ActKind::File,
            Act::DeclineFiling { .. } => ActKind::DeclineFiling,
            Act::ReturnFiling { .. } => ActKind::ReturnFiling,
            Act::ResubmitFiling { .. } => ActKind::ResubmitFiling,
            Act::Transfer { .. } => ActKind::Transfer,
            Act::StartInvestigation { .. } => ActKind::StartInvestigation,
            Act::PreservationNotice { .. } => ActKind::PreservationNotice,
            Act::PreservationDecision { .. } => ActKind::PreservationDecision,
            Act::ConcludeInvestigation { .. } => ActKind::ConcludeInvestigation,
            Act::LegalReview { .. } => ActKind::LegalReview,
            Act::Notify { .. } => ActKind::Notify,
            Act::ExtendDeadline { .. } => ActKind::ExtendDeadline,
            Act::Decide { .. } => ActKind::Decide,
            Act::Deliver { .. } => ActKind::Deliver,
            Act::Execute { .. } => ActKind::Execute,
            Act::Close { .. } => ActKind::Close,
            Act::Disclose => ActKind::Disclose,
            Act::InformComplainant { .. } => ActKind::InformComplainant,
            Act::Recuse { .. } => ActKind::Recuse,
        }
    }

    /// Stable English name of the act (logs, chain entries).
    pub fn name(&self) -> &'static str {
        self.kind().name()
    }

    /// Chinese name of the act, for timelines (a legal review says whether it passed).
    pub fn zh(&self) -> &'static str {
        match self {
            Act::LegalReview { passed: true, .. } => "法制审核通过",
            Act::LegalReview { passed: false, .. } => "法制审核退回",
            other => other.kind().zh(),
        }
    }
}

/// A workflow event: an act, who did it, and when. Stored in the case document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkflowEvent {
    /// Unique id (so concurrent events from two devices never collide).
    pub id: String,
    /// When (device clock).
    pub at: Timestamp,
    /// Who acted or approved.
    pub actors: Vec<PersonId>,
    /// What was done.
    pub act: Act,
}

/// An open 证据先行登记保存 notice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpenPreservation {
    /// Notice id.
    pub notice: String,
    /// When it was issued.
    pub issued_at: Timestamp,
}

/// Everything the rules need to know about a case, derived by replaying its events in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseState {
    /// The header as registered.
    pub header: CaseHeader,
    /// Current stage.
    pub status: CaseStatus,
    /// When filed.
    pub filed_at: Option<Timestamp>,
    /// When the filing outcome (filed, not filed, transferred) was reached.
    pub filing_outcome_at: Option<Timestamp>,
    /// Days of extension granted (at most once).
    pub extension_days: Option<u32>,
    /// Whether the last legal review passed.
    pub legal_review_passed: bool,
    /// The party was given the prior notice (事先告知).
    pub notified: bool,
    /// When decided.
    pub decided_at: Option<Timestamp>,
    /// When delivered.
    pub delivered_at: Option<Timestamp>,
    /// Complainant informed.
    pub complainant_informed: bool,
    /// Assigned investigators.
    pub team: Vec<PersonId>,
    /// Officers who recused themselves.
    pub recused: BTreeSet<PersonId>,
    /// Preservation notices awaiting a decision.
    pub open_preservations: Vec<OpenPreservation>,
    /// Events that did not fit the lifecycle when replayed (e.g. two devices acting concurrently
    /// offline); kept, never dropped, and flagged for review.
    pub anomalies: Vec<Anomaly>,
}

/// An event that replay could not apply, with the reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Anomaly {
    /// The event's id.
    pub event: String,
    /// Why it did not apply (Chinese).
    pub reason: String,
}
