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
    /// Someone of another squad acting on a case they may not see.
    #[error("{name} is not of the case's squad")]
    OtherSquad {
        /// Who.
        name: String,
    },
    /// A prior notice that proposes no penalty.
    #[error("a prior notice must propose a penalty")]
    NoticeWithoutPenalty,
    /// A penalty that entitles the party to a hearing, notified without offering one.
    #[error("the proposed penalty entitles the party to a hearing, which must be offered")]
    HearingRequired,
    /// A hearing asked for where none was offered.
    #[error("no hearing was offered in the notice")]
    HearingNotOffered,
    /// A hearing asked for after the time to ask.
    #[error("the time to ask for a hearing ended {}", due.display_china())]
    HearingRequestTooLate {
        /// The last moment to ask.
        due: Timestamp,
    },
    /// A hearing held that no one asked for (or held twice).
    #[error("no hearing was requested")]
    NoHearingRequested,
    /// The hearing's host investigated the case.
    #[error("{name} investigated the case and may not host its hearing")]
    HearingHostInvestigated {
        /// Who.
        name: String,
    },
    /// A legal review while a requested hearing is not yet held.
    #[error("the party asked for a hearing that has not been held")]
    HearingPending,
    /// A legal review while the party may still state and defend.
    #[error("the party may still state and defend until {}", until.display_china())]
    StatementPeriodOpen {
        /// When it ends.
        until: Timestamp,
    },
    /// A collective discussion with too few people.
    #[error("a collective discussion needs at least {required} participants")]
    TooFewDiscussants {
        /// How many are needed.
        required: usize,
    },
    /// A serious decision without a collective discussion.
    #[error("a serious or complex case, or a heavier penalty, needs a collective discussion")]
    CollectiveDiscussionRequired,
    /// Discretion and penalties that contradict each other.
    #[error("a no-penalty decision names no penalty, any other names at least one")]
    PenaltyMismatch,
    /// A decision heavier than the notice told the party.
    #[error("the decision ({decided} due) is heavier than the notice ({notified} due)")]
    HeavierThanNotified {
        /// Money due under the notice.
        notified: u64,
        /// Money due under the decision.
        decided: u64,
    },
    /// No discretion standard in the catalogue for the level asked.
    #[error("the catalogue has no {level} fine standard for {violation}")]
    NoFineStandard {
        /// The violation type's name.
        violation: String,
        /// The level, in Chinese.
        level: &'static str,
    },
    /// A fine outside the discretion standard's range.
    #[error("a fine of {yuan} is outside the {level} range {min}-{max}")]
    FineOutsideStandard {
        /// The fine.
        yuan: u64,
        /// The level, in Chinese.
        level: &'static str,
        /// Lowest fine of the level.
        min: u64,
        /// Highest fine of the level.
        max: u64,
    },
    /// A fine outside every range of the discretion standard.
    #[error("a fine of {yuan} is outside every range of the standard")]
    FineOutsideAnyStandard {
        /// The fine.
        yuan: u64,
    },
    /// An on-the-spot decision beyond what the summary procedure allows.
    #[error("the summary procedure allows only a warning or a fine up to {max}")]
    SummaryProcedureLimit {
        /// The largest fine allowed.
        max: u64,
    },
    /// An on-the-spot decision without showing the 执法证.
    #[error("the officer must show the enforcement certificate")]
    CertificateNotShown,
    /// A delivery receipt without what its method needs.
    #[error("the delivery receipt lacks {missing}")]
    ReceiptIncomplete {
        /// What is missing, in Chinese.
        missing: &'static str,
    },
    /// A payment act where no money is due.
    #[error("the decision leaves nothing to pay")]
    NothingToPay,
    /// A reminder before the party's time to pay ended.
    #[error("the party may pay until {}", due.display_china())]
    PaymentNotYetDue {
        /// The party's time limit.
        due: Timestamp,
    },
    /// An enforcement application without a reminder first.
    #[error("the party was not reminded to pay")]
    NotUrged,
    /// An enforcement application too soon after the reminder.
    #[error("compulsory enforcement may be applied for after {}", after.display_china())]
    EnforcementTooEarly {
        /// When an application becomes possible.
        after: Timestamp,
    },
    /// Compelled execution without an application.
    #[error("compulsory enforcement was not applied for")]
    EnforcementNotApplied,
    /// A payment of another amount than the decision's.
    #[error("{paid} paid where {due} is due")]
    PaymentMismatch {
        /// Money due.
        due: u64,
        /// Money paid.
        paid: u64,
    },
    /// A disclosure without a penalty decision.
    #[error("there is no penalty decision to disclose")]
    NothingToDisclose,
    /// A published text with a party's personal data.
    #[error("the text discloses the party's {what}")]
    UnredactedPersonalData {
        /// What leaked, in Chinese.
        what: &'static str,
    },
    /// Not corrected, found before the date to correct by.
    #[error("the correction is due by {}, not yet failed", by.display_china())]
    FollowUpTooEarly {
        /// The date to correct by.
        by: Timestamp,
    },
    /// An order to correct by a date already past.
    #[error("the correction deadline is in the past")]
    CorrectionDateInPast,
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
            Self::OtherSquad { .. } => "other_squad",
            Self::NoticeWithoutPenalty => "notice_without_penalty",
            Self::HearingRequired => "hearing_required",
            Self::HearingNotOffered => "hearing_not_offered",
            Self::HearingRequestTooLate { .. } => "hearing_request_too_late",
            Self::NoHearingRequested => "no_hearing_requested",
            Self::HearingHostInvestigated { .. } => "hearing_host_investigated",
            Self::HearingPending => "hearing_pending",
            Self::StatementPeriodOpen { .. } => "statement_period_open",
            Self::TooFewDiscussants { .. } => "too_few_discussants",
            Self::CollectiveDiscussionRequired => "collective_discussion_required",
            Self::PenaltyMismatch => "penalty_mismatch",
            Self::HeavierThanNotified { .. } => "heavier_than_notified",
            Self::NoFineStandard { .. } => "no_fine_standard",
            Self::FineOutsideStandard { .. } => "fine_outside_standard",
            Self::FineOutsideAnyStandard { .. } => "fine_outside_any_standard",
            Self::SummaryProcedureLimit { .. } => "summary_procedure_limit",
            Self::CertificateNotShown => "certificate_not_shown",
            Self::ReceiptIncomplete { .. } => "receipt_incomplete",
            Self::NothingToPay => "nothing_to_pay",
            Self::PaymentNotYetDue { .. } => "payment_not_yet_due",
            Self::NotUrged => "not_urged",
            Self::EnforcementTooEarly { .. } => "enforcement_too_early",
            Self::EnforcementNotApplied => "enforcement_not_applied",
            Self::PaymentMismatch { .. } => "payment_mismatch",
            Self::NothingToDisclose => "nothing_to_disclose",
            Self::UnredactedPersonalData { .. } => "unredacted_personal_data",
            Self::FollowUpTooEarly { .. } => "follow_up_too_early",
            Self::CorrectionDateInPast => "correction_date_in_past",
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
            Self::OtherSquad { name } => format!("{name}不属于本案承办中队，不能办理本案"),
            Self::NoticeWithoutPenalty => "事先告知须载明拟作出的行政处罚；拟不予处罚的无需事先告知".into(),
            Self::HearingRequired => "拟作出较大数额罚款、没收较大数额违法所得、责令停产停业或吊销许可证等处罚的，应当告知当事人有要求听证的权利".into(),
            Self::HearingNotOffered => "事先告知未告知听证权利，不适用听证程序".into(),
            Self::HearingRequestTooLate { due } => format!("当事人要求听证的期限（{}）已过", due.display_china()),
            Self::NoHearingRequested => "当事人未申请听证，或听证已经举行".into(),
            Self::HearingHostInvestigated { name } => format!("听证主持人须由非本案调查人员担任，{name}是本案调查人员"),
            Self::HearingPending => "当事人已申请听证，须先组织听证".into(),
            Self::StatementPeriodOpen { until } => format!("当事人陈述申辩（听证申请）期限至{}尚未届满，当事人也未陈述申辩或明确放弃", until.display_china()),
            Self::TooFewDiscussants { required } => format!("集体讨论须有{required}人以上参加"),
            Self::CollectiveDiscussionRequired => "重大、复杂案件或给予较重处罚的案件，应当经集体讨论决定".into(),
            Self::PenaltyMismatch => "不予处罚的决定不能载有处罚；其他裁量档次须载明处罚种类".into(),
            Self::HeavierThanNotified { notified, decided } => format!("处罚决定（应缴{decided}元）重于事先告知的处罚（应缴{notified}元，或增加了告知未载明的处罚种类）：不得因当事人陈述申辩而加重处罚，如需加重须重新告知"),
            Self::NoFineStandard { violation, level } => format!("权责清单未载明“{violation}”的{level}裁量基准"),
            Self::FineOutsideStandard { yuan, level, min, max } => format!("罚款{yuan}元不在{level}的裁量基准（{min}元至{max}元）之内"),
            Self::FineOutsideAnyStandard { yuan } => format!("罚款{yuan}元不在该违法行为的任何裁量基准之内"),
            Self::SummaryProcedureLimit { max } => format!("简易程序只适用于警告或{max}元以下罚款（公民200元、法人或其他组织3000元以下）"),
            Self::CertificateNotShown => "当场作出处罚决定须向当事人出示执法证件".into(),
            Self::ReceiptIncomplete { missing } => format!("送达回证尚不完整：{missing}"),
            Self::NothingToPay => "本案没有尚待缴纳的罚没款".into(),
            Self::PaymentNotYetDue { due } => format!("当事人缴纳罚款的期限（{}）尚未届满，不能催告", due.display_china()),
            Self::NotUrged => "申请强制执行前须先催告当事人履行".into(),
            Self::EnforcementTooEarly { after } => format!("催告书送达十日后当事人仍未履行的，方可申请强制执行（{}以后）", after.display_china()),
            Self::EnforcementNotApplied => "尚未申请强制执行".into(),
            Self::PaymentMismatch { due, paid } => format!("缴款金额（{paid}元）与处罚决定应缴金额（{due}元）不符"),
            Self::NothingToDisclose => "本案没有行政处罚决定，无需公开".into(),
            Self::UnredactedPersonalData { what } => format!("公开内容含有当事人的{what}，须隐去个人信息后公开"),
            Self::FollowUpTooEarly { by } => format!(
                "整改期限（{}）届满前不能认定当事人未整改",
                by.display_china()
            ),
            Self::CorrectionDateInPast => "责令改正的期限不能早于今天".into(),
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
