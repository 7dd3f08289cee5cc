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
    /// 已处置 — resolved by service or management (721) without opening a case.
    Handled,
    /// 责令改正 — ordered to correct by a deadline; a follow-up check decides what comes next.
    Correcting,
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
                | CaseStatus::Handled
                | CaseStatus::Correcting
        )
    }

    /// Every status [`CaseStatus::sent_for_review`] holds for, in lifecycle order (what a
    /// query by status asks for).
    pub fn all_sent_for_review() -> impl Iterator<Item = CaseStatus> {
        CaseStatus::ALL.into_iter().filter(|s| s.sent_for_review())
    }

    /// Every status, in lifecycle order.
    pub const ALL: [CaseStatus; 16] = [
        CaseStatus::Registered,
        CaseStatus::Handled,
        CaseStatus::Correcting,
        CaseStatus::Returned,
        CaseStatus::Filed,
        CaseStatus::NotFiled,
        CaseStatus::Transferred,
        CaseStatus::Investigating,
        CaseStatus::InvestigationConcluded,
        CaseStatus::Notified,
        CaseStatus::LegalReviewed,
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
            CaseStatus::Handled => "已处置",
            CaseStatus::Correcting => "责令改正",
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
            CaseStatus::Handled => "handled",
            CaseStatus::Correcting => "correcting",
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
                | CaseStatus::Handled
        )
    }
}

/// 裁量 — the discretion stated in a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
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

impl Discretion {
    /// Chinese name.
    pub fn zh(self) -> &'static str {
        match self {
            Discretion::NoPenalty => "不予处罚",
            Discretion::Mitigated => "减轻处罚",
            Discretion::Lighter => "从轻处罚",
            Discretion::Standard => "一般处罚",
            Discretion::Heavier => "从重处罚",
        }
    }
}

/// One penalty of a decision (行政处罚的种类).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Penalty {
    /// 警告.
    Warning,
    /// 罚款, in whole yuan.
    Fine {
        /// Amount.
        yuan: u64,
    },
    /// 没收违法所得, in whole yuan.
    ConfiscateGains {
        /// Amount.
        yuan: u64,
    },
    /// 没收非法财物.
    ConfiscateProperty {
        /// What.
        items: String,
    },
    /// 责令停产停业.
    SuspendBusiness,
    /// 暂扣或吊销许可证.
    RevokeLicence,
}

impl Penalty {
    /// Chinese text as written in a decision.
    pub fn zh(&self) -> String {
        match self {
            Penalty::Warning => "警告".into(),
            Penalty::Fine { yuan } => format!("罚款人民币{yuan}元"),
            Penalty::ConfiscateGains { yuan } => format!("没收违法所得人民币{yuan}元"),
            Penalty::ConfiscateProperty { items } => format!("没收非法财物：{items}"),
            Penalty::SuspendBusiness => "责令停产停业".into(),
            Penalty::RevokeLicence => "暂扣或吊销许可证".into(),
        }
    }
}

/// Money the party must pay under these penalties (fines and confiscated gains), in yuan.
pub fn money_due(penalties: &[Penalty]) -> u64 {
    penalties
        .iter()
        .map(|p| match p {
            Penalty::Fine { yuan } | Penalty::ConfiscateGains { yuan } => *yuan,
            _ => 0,
        })
        .sum()
}

/// The fine among these penalties, in yuan (0 when none).
pub fn fine_of(penalties: &[Penalty]) -> u64 {
    penalties
        .iter()
        .map(|p| match p {
            Penalty::Fine { yuan } => *yuan,
            _ => 0,
        })
        .sum()
}

/// 拟处罚决定 — what the prior notice tells the party the bureau intends to decide.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proposal {
    /// Discretion intended.
    pub discretion: Discretion,
    /// Penalties intended (none for 不予处罚).
    pub penalties: Vec<Penalty>,
    /// 违法事实.
    pub facts: String,
    /// 理由 (why this discretion).
    pub reasons: String,
    /// 依据 (the legal basis).
    pub basis: String,
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

impl DeliveryMethod {
    /// Chinese name.
    pub fn zh(&self) -> &'static str {
        match self {
            DeliveryMethod::Direct => "直接送达",
            DeliveryMethod::LeftAtAddress => "留置送达",
            DeliveryMethod::Post => "邮寄送达",
            DeliveryMethod::Entrusted => "委托送达",
            DeliveryMethod::Forwarded => "转交送达",
            DeliveryMethod::Electronic { .. } => "电子送达",
            DeliveryMethod::PublicNotice => "公告送达",
        }
    }
}

/// 送达回证 — what the delivery receipt says.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DeliveryReceipt {
    /// 受送达人 (or, entrusted or forwarded, the body that passes it on).
    pub recipient: String,
    /// The recipient refused to sign or accept (留置送达).
    #[serde(default)]
    pub refused: bool,
    /// 见证人 who signed a delivery left at the address.
    #[serde(default)]
    pub witnesses: Vec<String>,
    /// What the method needs written down: the refusal and the date (留置), the postal tracking
    /// number (邮寄), the address agreed (电子), where and why it was published (公告).
    #[serde(default)]
    pub note: String,
    /// SHA-256 (hex) of the recipient's signature drawn on the tablet (签收), kept as a blob.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
}

/// 执行 — how the decision was carried out. Fines go to the bank, never to officers (罚缴分离),
/// so there is no way to record a fine paid to an officer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Execution {
    /// Fine paid at the designated bank.
    PaidAtBank {
        /// Bank receipt or 罚没票据 number.
        receipt_no: String,
        /// Amount paid, in yuan.
        #[serde(default)]
        yuan: u64,
    },
    /// Corrected or complied without a fine.
    Complied,
    /// Enforced under the Administrative Compulsion Law or by the court.
    Compelled {
        /// How.
        note: String,
    },
}

/// Whether a transfer goes to another department or, for a suspected crime, to the police.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransferTo {
    /// 移送有管辖权的部门.
    #[default]
    Department,
    /// 涉嫌犯罪移送公安机关 (两法衔接).
    Police,
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
    /// 案件移送 to the competent department (or the police for suspected crimes), with the
    /// 移送书's content.
    Transfer {
        /// To whom.
        to: String,
        /// Why.
        reason: String,
        /// Department or police.
        #[serde(default)]
        kind: TransferTo,
        /// The facts and the list of materials sent with it (移送书).
        #[serde(default)]
        materials: String,
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
    /// 调查终结 with the 调查终结报告.
    ConcludeInvestigation {
        /// The report: facts found, evidence, proposed handling.
        summary: String,
    },
    /// 事先告知 (and 听证告知 where the penalty qualifies): what is intended and why.
    Notify {
        /// A hearing was offered.
        hearing_offered: bool,
        /// What the bureau intends to decide (older cases recorded none).
        #[serde(default)]
        proposal: Option<Proposal>,
    },
    /// 陈述申辩 heard and 复核: the party's statement, whether it was accepted and why.
    HearStatement {
        /// The party gave up the right to state and defend, and to a hearing (放弃陈述申辩和听证).
        waived: bool,
        /// What the party said.
        #[serde(default)]
        statement: String,
        /// Whether the statement was accepted (采纳).
        #[serde(default)]
        accepted: bool,
        /// Why (复核意见).
        #[serde(default)]
        reasons: String,
    },
    /// The party asked for a hearing (听证申请), within 5 days of the notice.
    RequestHearing {
        /// How and when the request came.
        note: String,
    },
    /// 听证 held and recorded, by a host who did not investigate the case.
    HoldHearing {
        /// Who took part.
        participants: String,
        /// 听证笔录: what was said.
        record: String,
        /// The host's opinion (听证报告).
        opinion: String,
    },
    /// 法制审核.
    LegalReview {
        /// Whether it passed.
        passed: bool,
        /// The reviewer's opinion.
        opinion: String,
        /// 重大、复杂: the reviewer says the case needs collective discussion.
        #[serde(default)]
        major: bool,
    },
    /// 集体讨论 of a serious or complex case, approved by the head.
    CollectiveDiscussion {
        /// Who took part (names).
        participants: Vec<String>,
        /// Their opinions.
        opinions: String,
        /// What was concluded.
        conclusion: String,
    },
    /// Extension of the decision deadline with the head's approval.
    ExtendDeadline {
        /// Days added (at most 60).
        days: u32,
        /// Why.
        reason: String,
        /// Why late, if the deadline had already passed.
        #[serde(default)]
        late_reason: Option<String>,
    },
    /// 决定.
    Decide {
        /// Discretion applied.
        discretion: Discretion,
        /// Summary of the decision.
        summary: String,
        /// Penalties (none for 不予处罚).
        #[serde(default)]
        penalties: Vec<Penalty>,
        /// Legal basis.
        #[serde(default)]
        basis: String,
        /// Why late, if past the decision deadline.
        #[serde(default)]
        late_reason: Option<String>,
    },
    /// 简易程序 — an on-the-spot decision for a small penalty, handed to the party at once.
    SummaryDecision {
        /// Penalties (a warning or a small fine).
        penalties: Vec<Penalty>,
        /// 违法事实.
        facts: String,
        /// Legal basis.
        basis: String,
        /// The officer showed the 执法证.
        certificate_shown: bool,
    },
    /// 送达 with the 送达回证.
    Deliver {
        /// How.
        method: DeliveryMethod,
        /// Why late, if past 7 days.
        late_reason: Option<String>,
        /// The receipt (older cases recorded none).
        #[serde(default)]
        receipt: Option<DeliveryReceipt>,
    },
    /// 催告 — the party has not paid by the time limit and is told to.
    UrgePayment {
        /// How the reminder was served.
        note: String,
    },
    /// 申请强制执行 — the party still did not pay after the reminder.
    ApplyEnforcement {
        /// The court applied to.
        court: String,
        /// The application.
        note: String,
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
    /// 公开 of the penalty result, with the party's personal data redacted.
    Disclose {
        /// The text published (older cases recorded none).
        #[serde(default)]
        text: String,
        /// Why late, if past the disclosure deadline.
        #[serde(default)]
        late_reason: Option<String>,
    },
    /// The decision was revoked, confirmed illegal or ordered remade (by 复议 or a court).
    RevokeDecision {
        /// Who revoked it.
        authority: String,
        /// Why.
        reason: String,
    },
    /// The disclosure corrected after a revocation, with its explanation.
    CorrectDisclosure {
        /// The explanation published.
        explanation: String,
        /// The corrected text.
        text: String,
    },
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
    /// 服务 (721) — advice, education or dissuasion, without opening a case.
    Advise {
        /// What the party was told.
        advice: String,
    },
    /// 管理 (721) — 责令改正 by a deadline, without opening a case.
    OrderCorrection {
        /// What must be corrected.
        order: String,
        /// By when.
        correct_by: Timestamp,
    },
    /// 复查 — whether an order to correct was followed.
    FollowUp {
        /// Corrected: the matter is handled; not corrected: it goes to filing.
        corrected: bool,
        /// What was found.
        note: String,
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
    /// 事先告知.
    Notify,
    /// 陈述申辩及复核.
    HearStatement,
    /// 听证申请.
    RequestHearing,
    /// 听证.
    HoldHearing,
    /// 法制审核.
    LegalReview,
    /// 集体讨论.
    CollectiveDiscussion,
    /// 延长办案期限.
    ExtendDeadline,
    /// 作出决定.
    Decide,
    /// 当场处罚决定（简易程序）.
    SummaryDecision,
    /// 送达.
    Deliver,
    /// 催告.
    UrgePayment,
    /// 申请强制执行.
    ApplyEnforcement,
    /// 执行.
    Execute,
    /// 结案.
    Close,
    /// 公开.
    Disclose,
    /// 决定撤销.
    RevokeDecision,
    /// 更正公开内容.
    CorrectDisclosure,
    /// 告知投诉举报人.
    InformComplainant,
    /// 回避.
    Recuse,
    /// 宣传教育劝阻（服务）.
    Advise,
    /// 责令改正（管理）.
    OrderCorrection,
    /// 复查.
    FollowUp,
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
    pub const ALL: [ActKind; 31] = [
        ActKind::File,
        ActKind::DeclineFiling,
        ActKind::ReturnFiling,
        ActKind::ResubmitFiling,
        ActKind::Transfer,
        ActKind::StartInvestigation,
        ActKind::PreservationNotice,
        ActKind::PreservationDecision,
        ActKind::ConcludeInvestigation,
        ActKind::Notify,
        ActKind::HearStatement,
        ActKind::RequestHearing,
        ActKind::HoldHearing,
        ActKind::LegalReview,
        ActKind::CollectiveDiscussion,
        ActKind::ExtendDeadline,
        ActKind::Decide,
        ActKind::SummaryDecision,
        ActKind::Deliver,
        ActKind::UrgePayment,
        ActKind::ApplyEnforcement,
        ActKind::Execute,
        ActKind::Close,
        ActKind::Disclose,
        ActKind::RevokeDecision,
        ActKind::CorrectDisclosure,
        ActKind::InformComplainant,
        ActKind::Recuse,
        ActKind::Advise,
        ActKind::OrderCorrection,
        ActKind::FollowUp,
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
            ActKind::Notify => "notify",
            ActKind::HearStatement => "hear statement",
            ActKind::RequestHearing => "request hearing",
            ActKind::HoldHearing => "hold hearing",
            ActKind::LegalReview => "legal review",
            ActKind::CollectiveDiscussion => "collective discussion",
            ActKind::ExtendDeadline => "extend deadline",
            ActKind::Decide => "decide",
            ActKind::SummaryDecision => "summary decision",
            ActKind::Deliver => "deliver",
            ActKind::UrgePayment => "urge payment",
            ActKind::ApplyEnforcement => "apply enforcement",
            ActKind::Execute => "execute",
            ActKind::Close => "close",
            ActKind::Disclose => "disclose",
            ActKind::RevokeDecision => "revoke decision",
            ActKind::CorrectDisclosure => "correct disclosure",
            ActKind::InformComplainant => "inform complainant",
            ActKind::Recuse => "recuse",
            ActKind::Advise => "advise",
            ActKind::OrderCorrection => "order correction",
            ActKind::FollowUp => "follow up",
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
            ActKind::Notify => "事先告知",
            ActKind::HearStatement => "陈述申辩及复核",
            ActKind::RequestHearing => "听证申请",
            ActKind::HoldHearing => "听证",
            ActKind::LegalReview => "法制审核",
            ActKind::CollectiveDiscussion => "集体讨论",
            ActKind::ExtendDeadline => "延长办案期限",
            ActKind::Decide => "作出决定",
            ActKind::SummaryDecision => "当场处罚决定（简易程序）",
            ActKind::Deliver => "送达",
            ActKind::UrgePayment => "催告",
            ActKind::ApplyEnforcement => "申请强制执行",
            ActKind::Execute => "执行",
            ActKind::Close => "结案",
            ActKind::Disclose => "公开",
            ActKind::RevokeDecision => "决定撤销",
            ActKind::CorrectDisclosure => "更正公开内容",
            ActKind::InformComplainant => "告知投诉举报人",
            ActKind::Recuse => "回避",
            ActKind::Advise => "宣传教育劝阻（服务）",
            ActKind::OrderCorrection => "责令改正（管理）",
            ActKind::FollowUp => "复查",
        }
    }

    /// Who must sign an act of this kind: what a verifier checks from the signatures alone,
    /// and the roles [`crate::validate`] asks for.
    pub fn signers(self) -> SignersRequired {
        use crate::workflow::{HEAD, HEARING, LEADERS, OFFICERS, RECUSING, REGISTERING, REVIEWER};
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
            | ActKind::HearStatement
            | ActKind::RequestHearing
            | ActKind::SummaryDecision
            | ActKind::Deliver
            | ActKind::UrgePayment
            | ActKind::Execute
            | ActKind::InformComplainant
            | ActKind::OrderCorrection
            | ActKind::FollowUp => (OFFICERS, 0),
            ActKind::PreservationNotice => (OFFICERS, 2),
            ActKind::HoldHearing => (HEARING, 0),
            ActKind::LegalReview => (REVIEWER, 0),
            ActKind::CollectiveDiscussion
            | ActKind::ExtendDeadline
            | ActKind::Decide
            | ActKind::ApplyEnforcement
            | ActKind::RevokeDecision
            | ActKind::CorrectDisclosure => (HEAD, 0),
            ActKind::Recuse => (RECUSING, 0),
            ActKind::Advise => (REGISTERING, 0),
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
            | ActKind::Recuse
            | ActKind::Advise
            | ActKind::OrderCorrection
            | ActKind::FollowUp => FileSection::Filing,
            ActKind::PreservationNotice
            | ActKind::PreservationDecision
            | ActKind::ConcludeInvestigation => FileSection::Investigation,
            ActKind::Notify
            | ActKind::HearStatement
            | ActKind::RequestHearing
            | ActKind::HoldHearing
            | ActKind::LegalReview
            | ActKind::CollectiveDiscussion
            | ActKind::ExtendDeadline => FileSection::Review,
            ActKind::Decide | ActKind::SummaryDecision => FileSection::Decision,
            ActKind::Deliver
            | ActKind::UrgePayment
            | ActKind::ApplyEnforcement
            | ActKind::Execute => FileSection::Execution,
            ActKind::Close
            | ActKind::Disclose
            | ActKind::RevokeDecision
            | ActKind::CorrectDisclosure => FileSection::Closing,
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
            Act::Notify { .. } => ActKind::Notify,
            Act::HearStatement { .. } => ActKind::HearStatement,
            Act::RequestHearing { .. } => ActKind::RequestHearing,
            Act::HoldHearing { .. } => ActKind::HoldHearing,
            Act::LegalReview { .. } => ActKind::LegalReview,
            Act::CollectiveDiscussion { .. } => ActKind::CollectiveDiscussion,
            Act::ExtendDeadline { .. } => ActKind::ExtendDeadline,
            Act::Decide { .. } => ActKind::Decide,
            Act::SummaryDecision { .. } => ActKind::SummaryDecision,
            Act::Deliver { .. } => ActKind::Deliver,
            Act::UrgePayment { .. } => ActKind::UrgePayment,
            Act::ApplyEnforcement { .. } => ActKind::ApplyEnforcement,
            Act::Execute { .. } => ActKind::Execute,
            Act::Close { .. } => ActKind::Close,
            Act::Disclose { .. } => ActKind::Disclose,
            Act::RevokeDecision { .. } => ActKind::RevokeDecision,
            Act::CorrectDisclosure { .. } => ActKind::CorrectDisclosure,
            Act::InformComplainant { .. } => ActKind::InformComplainant,
            Act::Recuse { .. } => ActKind::Recuse,
            Act::Advise { .. } => ActKind::Advise,
            Act::OrderCorrection { .. } => ActKind::OrderCorrection,
            Act::FollowUp { .. } => ActKind::FollowUp,
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
    /// When the outcome owed to a complainant was reached: filed, not filed, transferred, or
    /// settled without a case (简易程序 on the spot, 721 advice, an order to correct followed).
    pub filing_outcome_at: Option<Timestamp>,
    /// Days of extension granted (at most once).
    pub extension_days: Option<u32>,
    /// Whether the last legal review passed.
    pub legal_review_passed: bool,
    /// When decided.
    pub decided_at: Option<Timestamp>,
    /// When delivered.
    pub delivered_at: Option<Timestamp>,
    /// Complainant informed.
    pub complainant_informed: bool,
    /// When the prior notice was given, and what it proposed.
    pub notice: Option<NoticeGiven>,
    /// The party's statement was heard (or waived) since the latest notice.
    pub statement_heard: bool,
    /// The party waived the statement and the hearing (放弃陈述申辩和听证) since the latest
    /// notice.
    pub rights_waived: bool,
    /// Where a hearing stands since the latest notice.
    pub hearing: HearingStage,
    /// The legal reviewer marked the case 重大、复杂.
    pub major: bool,
    /// A collective discussion was held since the latest legal review.
    pub discussed: bool,
    /// The decision's penalties and discretion, once decided.
    pub decision: Option<DecisionMade>,
    /// When the party was reminded to pay (催告).
    pub urged_at: Option<Timestamp>,
    /// Compulsory enforcement was applied for.
    pub enforcement_applied: bool,
    /// When the result was disclosed (公开).
    pub disclosed_at: Option<Timestamp>,
    /// When the decision was revoked, if it was.
    pub revoked_at: Option<Timestamp>,
    /// The disclosure was corrected after the revocation.
    pub disclosure_corrected: bool,
    /// The follow-up date of an order to correct (责令改正).
    pub correct_by: Option<Timestamp>,
    /// Deadlines met late, with the reason recorded: they stay visible as overdue.
    pub late: Vec<LateAct>,
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

/// The prior notice (事先告知) as given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoticeGiven {
    /// When.
    pub at: Timestamp,
    /// A hearing was offered.
    pub hearing_offered: bool,
    /// What was proposed (older cases recorded none).
    pub proposal: Option<Proposal>,
}

/// Where a hearing (听证) stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HearingStage {
    /// None offered, requested or held.
    #[default]
    None,
    /// The party asked for one.
    Requested,
    /// It was held.
    Held,
}

/// What was decided.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecisionMade {
    /// Discretion.
    pub discretion: Discretion,
    /// Penalties.
    pub penalties: Vec<Penalty>,
    /// Decided on the spot (简易程序).
    pub summary_procedure: bool,
}

/// A deadline met late, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LateAct {
    /// Which deadline.
    pub kind: crate::deadline::DeadlineKind,
    /// When it was due.
    pub due: Timestamp,
    /// When the act was done.
    pub done_at: Timestamp,
    /// The reason recorded.
    pub reason: String,
}

/// An event that replay could not apply, with the reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Anomaly {
    /// The event's id.
    pub event: String,
    /// Why it did not apply (Chinese).
    pub reason: String,
}
