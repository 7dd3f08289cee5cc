//! Procedure rule violations: each says in plain words which rule refused an act.

use thiserror::Error;

use crate::case::CaseStatus;
use crate::clock::Timestamp;
use crate::person::Role;

/// A procedure rule that refuses an act. `Display` is the English log line; [`Self::message_zh`]
/// is what the officer reads.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RuleViolation {
    /// Someone not in an enforcing role was put where an officer is required.
    #[error("{name} is a {role:?}, not an enforcement officer")]
    NotAnEnforcementOfficer {
        /// Who.
        name: String,
        /// Their role.
        role: Role,
    },
    /// An officer without an 执法证 number.
    #[error("{name} holds no enforcement certificate")]
    NoEnforcementCertificate {
        /// Who.
        name: String,
    },
    /// Fewer than two enforcement officers for an investigation act.
    #[error("investigation acts need at least {required} enforcement officers, {present} present")]
    TooFewOfficers {
        /// How many the rule requires.
        required: usize,
        /// How many distinct officers were present.
        present: usize,
    },
    /// An assistant (协管员) among the actors of an enforcement act.
    #[error("assistant {name} may not take part in an enforcement act")]
    AssistantRefused {
        /// Who.
        name: String,
    },
    /// A recused officer acting on the case.
    #[error("{name} has recused themselves from this case")]
    Recused {
        /// Who.
        name: String,
    },
    /// The act needs someone in one of these roles.
    #[error("{act} requires one of the roles {roles:?}")]
    RoleRequired {
        /// The act, in English.
        act: &'static str,
        /// Roles that may do it.
        roles: &'static [Role],
    },
    /// The act is not allowed in the case's current status.
    #[error("{act} is not allowed while the case is {status:?}")]
    WrongStatus {
        /// The act, in English.
        act: &'static str,
        /// The current status.
        status: CaseStatus,
    },
    /// A decision without a passed legal review.
    #[error("no decision without a passed legal review")]
    LegalReviewNotPassed,
    /// A penalty decided before the party was notified.
    #[error("a penalty needs prior notice to the party")]
    PartyNotNotified,
    /// The decision deadline has passed.
    #[error("the decision deadline ({}) has passed", due.display_china())]
    DecisionDeadlinePassed {
        /// The deadline.
        due: Timestamp,
    },
    /// A second extension.
    #[error("the decision deadline was already extended once")]
    ExtensionAlreadyGranted,
    /// An extension that is too long or zero.
    #[error("an extension must be 1 to {max} days, {days} asked")]
    ExtensionLength {
        /// Days asked.
        days: u32,
        /// The maximum.
        max: u32,
    },
    /// An act done after its deadline without a recorded reason.
    #[error("{what} is past its deadline ({}); a reason must be recorded", due.display_china())]
    LateWithoutReason {
        /// What was late, in Chinese (shown to users).
        what: &'static str,
        /// The deadline.
        due: Timestamp,
    },
    /// Electronic delivery without the party's consent.
    #[error("electronic delivery needs the party's consent")]
    ElectronicDeliveryWithoutConsent,
    /// Closing a complaint case whose complainant was not told the filing outcome.
    #[error("the complainant has not been informed of the filing outcome")]
    ComplainantNotInformed,
    /// Informing a complainant on a case that has none.
    #[error("this case did not come from a complaint")]
    NotAComplaint,
    /// The same person listed twice among the actors.
    #[error("{name} is listed more than once")]
    DuplicateActor {
        /// Who.
        name: String,
    },
    /// A violation type not in the catalogue.
    #[error("unknown violation type `{code}`")]
    UnknownViolationType {
        /// The code.
        code: String,
    },
    /// A required field left empty.
    #[error("required field `{field}` is empty")]
    EmptyField {
        /// The field, in Chinese (shown to users).
        field: &'static str,
    },
    /// A preservation decision for a notice that does not exist or was already decided.
    #[error("no open evidence-preservation notice `{0}`")]
    NoOpenPreservationNotice(String),
    /// No one acting.
    #[error("an act needs at least one actor")]
    NoActor,
    /// A record cannot be sealed yet: something the procedure requires is missing.
    #[error("the record cannot be sealed: {missing} is missing")]
    RecordIncomplete {
        /// What is missing, in Chinese (shown to users).
        missing: String,
    },
    /// A sealed record was to be changed.
    #[error("record {0} is sealed and cannot be changed")]
    RecordSealed(String),
    /// A transcript page was to be changed after the interviewee signed it (or refused).
    #[error("page {0} is signed and cannot be changed")]
    PageSigned(usize),
    /// A record that does not exist on this case.
    #[error("no record `{0}` on this case")]
    UnknownRecord(String),
    /// The record is of another kind than the act needs.
    #[error("record {id} is not {wanted}")]
    WrongRecordKind {
        /// The record.
        id: String,
        /// The kind needed, in Chinese.
        wanted: &'static str,
    },
    /// A record written outside the investigation: a new record only while the case is being
    /// investigated, a correction only until the case is closed.
    #[error(
        "{} cannot be written while the case is {status:?}",
        if *correction { "a correction record" } else { "a record" }
    )]
    RecordOutsideInvestigation {
        /// The case's status.
        status: CaseStatus,
        /// Whether the record is a correction (更正).
        correction: bool,
    },
    /// Someone not on the case's investigation team writing one of its records.
    #[error("{name} is not on this case's investigation team")]
    NotOnTeam {
        /// Who.
        name: String,
    },
    /// A record says the party was absent but has the party's signature.
    #[error("the record says the party was absent, yet the party signed it")]
    AbsentPartySigned,
    /// Why the party did not sign disagrees with whether the party was present.
    #[error(
        "the party was {}, so the reason the party did not sign must be {}",
        if *party_present { "present" } else { "absent" },
        if *party_present { "a refusal" } else { "absence" }
    )]
    NoSignatureReasonMismatch {
        /// Whether the record says the party was present.
        party_present: bool,
    },
    /// The witness who signed is not uninterested: the party, or an officer of the record.
    #[error("witness {name} is not uninterested: the party or an officer of the record")]
    WitnessNotUninterested {
        /// The witness's name.
        name: String,
        /// What they are, in Chinese.
        is: &'static str,
    },
    /// An inspection of a known party who was neither notified to attend nor present.
    #[error("the party was not notified to attend the inspection")]
    PartyNotCalledToAttend,
}

impl RuleViolation {
    /// Stable code for the UI and logs.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotAnEnforcementOfficer { .. } => "not_enforcement_officer",
            Self::NoEnforcementCertificate { .. } => "no_enforcement_certificate",
            Self::TooFewOfficers { .. } => "too_few_officers",
            Self::AssistantRefused { .. } => "assistant_refused",
            Self::Recused { .. } => "recused",
            Self::RoleRequired { .. } => "role_required",
            Self::WrongStatus { .. } => "wrong_status",
            Self::LegalReviewNotPassed => "legal_review_not_passed",
            Self::PartyNotNotified => "party_not_notified",
            Self::DecisionDeadlinePassed { .. } => "decision_deadline_passed",
            Self::ExtensionAlreadyGranted => "extension_already_granted",
            Self::ExtensionLength { .. } => "extension_length",
            Self::LateWithoutReason { .. } => "late_without_reason",
            Self::ElectronicDeliveryWithoutConsent => "electronic_delivery_without_consent",
            Self::ComplainantNotInformed => "complainant_not_informed",
            Self::NotAComplaint => "not_a_complaint",
            Self::DuplicateActor { .. } => "duplicate_actor",
            Self::UnknownViolationType { .. } => "unknown_violation_type",
            Self::EmptyField { .. } => "empty_field",
            Self::NoOpenPreservationNotice(_) => "no_open_preservation_notice",
            Self::NoActor => "no_actor",
            Self::RecordIncomplete { .. } => "record_incomplete",
            Self::RecordSealed(_) => "record_sealed",
            Self::PageSigned(_) => "page_signed",
            Self::UnknownRecord(_) => "unknown_record",
            Self::WrongRecordKind { .. } => "wrong_record_kind",
            Self::RecordOutsideInvestigation { .. } => "record_outside_investigation",
            Self::NotOnTeam { .. } => "not_on_team",
            Self::AbsentPartySigned => "absent_party_signed",
            Self::NoSignatureReasonMismatch { .. } => "no_signature_reason_mismatch",
            Self::WitnessNotUninterested { .. } => "witness_not_uninterested",
            Self::PartyNotCalledToAttend => "party_not_called_to_attend",
        }
    }

    /// The reason in Chinese, as the officer reads it.
    pub fn message_zh(&self) -> String {
        match self {
            Self::NotAnEnforcementOfficer { name, role } => {
                format!(
                    "{name}（{}）不是执法人员，不能以执法人员身份实施此行为",
                    role.zh()
                )
            }
            Self::NoEnforcementCertificate { name } => {
                format!("{name}未持有行政执法证件，不得从事执法活动")
            }
            Self::TooFewOfficers { required, present } => {
                format!("调查取证时执法人员不得少于{required}人，当前仅{present}人")
            }
            Self::AssistantRefused { name } => {
                format!(
                    "协管员{name}不得参与执法行为（只能从事宣传教育、巡查、信息收集、违法行为劝阻等辅助性事务）"
                )
            }
            Self::Recused { name } => format!("{name}已申请回避，不得参与本案"),
            Self::RoleRequired { roles, .. } => {
                let names: Vec<_> = roles.iter().map(|r| r.zh()).collect();
                format!("此操作须由{}实施或批准", names.join("或"))
            }
            Self::WrongStatus { status, .. } => {
                format!("案件当前处于“{}”阶段，不能进行此操作", status.zh())
            }
            Self::LegalReviewNotPassed => "未经法制审核或法制审核未通过，不得作出决定".into(),
            Self::PartyNotNotified => {
                "作出处罚决定前须告知当事人拟作出处罚的事实、理由、依据及陈述、申辩（听证）权利"
                    .into()
            }
            Self::DecisionDeadlinePassed { due } => format!(
                "已超过作出决定的期限（{}），须在期限内作出决定或在期限届满前经负责人批准延期",
                due.display_china()
            ),
            Self::ExtensionAlreadyGranted => "决定期限只能延长一次".into(),
            Self::ExtensionLength { max, .. } => format!("延长期限应为1至{max}日"),
            Self::LateWithoutReason { what, due } => {
                format!(
                    "{what}已超过期限（{}），须注明逾期原因",
                    due.display_china()
                )
            }
            Self::ElectronicDeliveryWithoutConsent => "电子送达须经当事人同意".into(),
            Self::ComplainantNotInformed => "立案情况尚未告知投诉举报人，不能结案".into(),
            Self::NotAComplaint => "本案并非来源于投诉举报".into(),
            Self::DuplicateActor { name } => format!("{name}被重复列入"),
            Self::UnknownViolationType { code } => {
                format!("权责清单中没有违法行为类型“{code}”")
            }
            Self::EmptyField { field } => format!("“{field}”不能为空"),
            Self::NoOpenPreservationNotice(id) => {
                format!("没有待处理的证据先行登记保存通知（{id}）")
            }
            Self::NoActor => "须有执法人员实施此行为".into(),
            Self::RecordIncomplete { missing } => format!("笔录尚不完整，不能签名封存：{missing}"),
            Self::RecordSealed(_) => "该笔录已签名封存，不能修改；如需更正，请制作更正笔录".into(),
            Self::PageSigned(page) => {
                format!("第{page}页已由被询问人签名（或已注明拒签），不能再修改")
            }
            Self::UnknownRecord(id) => format!("本案没有编号为 {id} 的笔录或证据"),
            Self::WrongRecordKind { wanted, .. } => format!("该笔录不是{wanted}"),
            Self::RecordOutsideInvestigation {
                status,
                correction: false,
            } => format!(
                "案件当前处于“{}”阶段，不能制作或签署笔录：笔录只能在调查取证阶段制作（调查终结后、结案前只能制作更正笔录）",
                status.zh()
            ),
            Self::RecordOutsideInvestigation {
                status,
                correction: true,
            } => format!(
                "案件当前处于“{}”阶段，不能制作更正笔录：更正笔录只能在立案调查后、结案前制作",
                status.zh()
            ),
            Self::NotOnTeam { name } => format!(
                "{name}不是本案的调查人员，不能制作或签署本案笔录（调查人员由中队长在开始调查时指派）"
            ),
            Self::AbsentPartySigned => {
                "笔录记载当事人不在场，却由当事人签名：请核对当事人是否在场".into()
            }
            Self::NoSignatureReasonMismatch {
                party_present: true,
            } => "笔录记载当事人在场，当事人未签名的原因应为“当事人拒绝签名”".into(),
            Self::NoSignatureReasonMismatch {
                party_present: false,
            } => "笔录记载当事人不在场，当事人未签名的原因应为“当事人不在场”；当事人在场的，请先更正在场情况".into(),
            Self::WitnessNotUninterested { name, is } => format!(
                "见证人{name}是{is}，不是无利害关系的见证人；请由其他无利害关系人见证，无见证人的由执法人员注明情况"
            ),
            Self::PartyNotCalledToAttend => {
                "现场检查应通知当事人到场：当事人已知的，须记载已通知其到场".into()
            }
        }
    }
}
