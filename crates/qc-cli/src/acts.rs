//! `quancheng act …`: every workflow act of the procedure (立案 to 公开, 移送, 回避, 721), each
//! signed by the people whose PINs are given and checked by the same rules as the app. A refused
//! act prints the rule's reason and changes nothing.

use anyhow::{Context, bail};
use clap::{Subcommand, ValueEnum};
use qc_api::{Quancheng, Unlocked};
use qc_domain::{
    Act, DeliveryMethod, DeliveryReceipt, Discretion, Execution, Penalty, PersonId, Proposal,
    Timestamp, TransferTo,
};

use crate::field::Officers;
use crate::output;

/// The case an act is done on, and who signs it.
#[derive(Debug, clap::Args)]
pub struct OnCase {
    /// Case id or a unique prefix of it.
    case: String,
    #[command(flatten)]
    who: Officers,
}

/// 裁量 as the command line spells it.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum DiscretionArg {
    /// 不予处罚
    NoPenalty,
    /// 减轻处罚
    Mitigated,
    /// 从轻处罚
    Lighter,
    /// 一般处罚
    Standard,
    /// 从重处罚
    Heavier,
}

impl From<DiscretionArg> for Discretion {
    fn from(d: DiscretionArg) -> Discretion {
        match d {
            DiscretionArg::NoPenalty => Discretion::NoPenalty,
            DiscretionArg::Mitigated => Discretion::Mitigated,
            DiscretionArg::Lighter => Discretion::Lighter,
            DiscretionArg::Standard => Discretion::Standard,
            DiscretionArg::Heavier => Discretion::Heavier,
        }
    }
}

/// The penalties of a notice, a decision or an on-the-spot decision (行政处罚的种类).
#[derive(Debug, clap::Args)]
pub struct PenaltyFlags {
    /// 警告.
    #[arg(long)]
    warning: bool,
    /// 罚款, in whole yuan.
    #[arg(long, value_name = "YUAN")]
    fine: Option<u64>,
    /// 没收违法所得, in whole yuan.
    #[arg(long, value_name = "YUAN")]
    confiscate_gains: Option<u64>,
    /// 没收非法财物: what.
    #[arg(long, value_name = "ITEMS")]
    confiscate_property: Option<String>,
    /// 责令停产停业.
    #[arg(long)]
    suspend: bool,
    /// 暂扣或吊销许可证.
    #[arg(long)]
    revoke_licence: bool,
}

impl PenaltyFlags {
    /// The penalties given, in the order the law lists them.
    fn penalties(&self) -> Vec<Penalty> {
        let mut out = Vec::new();
        if self.warning {
            out.push(Penalty::Warning);
        }
        if let Some(yuan) = self.fine {
            out.push(Penalty::Fine { yuan });
        }
        if let Some(yuan) = self.confiscate_gains {
            out.push(Penalty::ConfiscateGains { yuan });
        }
        if let Some(items) = &self.confiscate_property {
            out.push(Penalty::ConfiscateProperty {
                items: items.clone(),
            });
        }
        if self.suspend {
            out.push(Penalty::SuspendBusiness);
        }
        if self.revoke_licence {
            out.push(Penalty::RevokeLicence);
        }
        out
    }
}

/// 送达方式 as the command line spells it.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum MethodArg {
    /// 直接送达
    Direct,
    /// 留置送达 (with --witness and --note)
    Left,
    /// 邮寄送达 (--note: the tracking number)
    Post,
    /// 委托送达
    Entrusted,
    /// 转交送达
    Forwarded,
    /// 电子送达 (only with --consent; --note: the address agreed)
    Electronic,
    /// 公告送达 (--note: where, when and why)
    Public,
}

/// `quancheng act …`: one subcommand per workflow act.
#[derive(Debug, Subcommand)]
pub enum ActCommand {
    /// 立案 — the leader approves filing.
    File {
        #[command(flatten)]
        on: OnCase,
    },
    /// 退回补充核查 — the leader returns the filing request with comments.
    ReturnFiling {
        #[command(flatten)]
        on: OnCase,
        /// What the officers should verify or complete.
        #[arg(long)]
        comments: String,
    },
    /// 重新提请立案 — the officers ask again after verifying.
    Resubmit {
        #[command(flatten)]
        on: OnCase,
        /// What was verified or completed.
        #[arg(long)]
        note: String,
    },
    /// 不予立案.
    Decline {
        #[command(flatten)]
        on: OnCase,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// 案件移送 to the competent department, or (--police) to the police for a suspected crime.
    Transfer {
        #[command(flatten)]
        on: OnCase,
        /// To whom.
        #[arg(long)]
        to: String,
        /// Why.
        #[arg(long)]
        reason: String,
        /// The facts and the list of materials sent with it (移送书).
        #[arg(long)]
        materials: String,
        /// A suspected crime: to the police (两法衔接).
        #[arg(long)]
        police: bool,
    },
    /// 指派调查 — the leader assigns at least two officers and investigation starts.
    Assign {
        #[command(flatten)]
        on: OnCase,
        /// An investigating officer's id (repeatable; at least two).
        #[arg(long, required = true)]
        team: Vec<String>,
    },
    /// 先行登记保存处理决定 — within 7 days of the preservation notice.
    PreservationDecision {
        #[command(flatten)]
        on: OnCase,
        /// The sealed preservation notice (record id or prefix; default: the only open one).
        #[arg(long)]
        notice: Option<String>,
        /// What was decided about the items.
        #[arg(long)]
        outcome: String,
        /// Why late, if past 7 days.
        #[arg(long)]
        late_reason: Option<String>,
    },
    /// 调查终结 with the 调查终结报告.
    Conclude {
        #[command(flatten)]
        on: OnCase,
        /// The report: facts found, evidence, proposed handling.
        #[arg(long)]
        summary: String,
    },
    /// 事先告知 (and 听证告知 with --hearing): the intended penalty, facts, reasons, basis.
    Notify {
        #[command(flatten)]
        on: OnCase,
        /// Discretion intended.
        #[arg(long, value_enum, default_value = "standard")]
        discretion: DiscretionArg,
        #[command(flatten)]
        penalties: PenaltyFlags,
        /// 违法事实.
        #[arg(long)]
        facts: String,
        /// 理由 (why this discretion).
        #[arg(long)]
        reasons: String,
        /// 依据 (default: the catalogue's basis of the case's violation type).
        #[arg(long)]
        basis: Option<String>,
        /// A hearing is offered (听证告知).
        #[arg(long)]
        hearing: bool,
    },
    /// 陈述申辩 heard and 复核: --waived, or --statement with --accepted/--rejected and --reasons.
    Statement {
        #[command(flatten)]
        on: OnCase,
        /// The party gave up the right to state and defend (放弃陈述申辩).
        #[arg(long, conflicts_with_all = ["statement", "accepted", "rejected"])]
        waived: bool,
        /// What the party said.
        #[arg(long)]
        statement: Option<String>,
        /// The statement was accepted (采纳).
        #[arg(long, conflicts_with = "rejected")]
        accepted: bool,
        /// The statement was not accepted.
        #[arg(long)]
        rejected: bool,
        /// Why (复核意见).
        #[arg(long, default_value = "")]
        reasons: String,
    },
    /// 听证申请 — the party asked for a hearing (within 5 days of the notice).
    RequestHearing {
        #[command(flatten)]
        on: OnCase,
        /// How and when the request came.
        #[arg(long)]
        note: String,
    },
    /// 听证 held by a host who did not investigate the case.
    HoldHearing {
        #[command(flatten)]
        on: OnCase,
        /// Who took part.
        #[arg(long)]
        participants: String,
        /// 听证笔录: what was said.
        #[arg(long)]
        record: String,
        /// The host's opinion (听证报告).
        #[arg(long)]
        opinion: String,
    },
    /// 法制审核 — the legal reviewer passes (--pass) or returns (--return) the case.
    LegalReview {
        #[command(flatten)]
        on: OnCase,
        /// Passed.
        #[arg(long, conflicts_with = "send_back")]
        pass: bool,
        /// Returned for further investigation.
        #[arg(long = "return")]
        send_back: bool,
        /// The reviewer's opinion.
        #[arg(long)]
        opinion: String,
        /// 重大、复杂: the case needs collective discussion.
        #[arg(long)]
        major: bool,
    },
    /// 集体讨论 of a serious or complex case, approved by the head.
    Discuss {
        #[command(flatten)]
        on: OnCase,
        /// A participant's name (repeatable; at least three).
        #[arg(long, required = true)]
        participant: Vec<String>,
        /// Their opinions.
        #[arg(long)]
        opinions: String,
        /// What was concluded.
        #[arg(long)]
        conclusion: String,
    },
    /// 延长办案期限 with the head's approval (once, at most 60 days).
    Extend {
        #[command(flatten)]
        on: OnCase,
        /// Days added.
        #[arg(long)]
        days: u32,
        /// Why.
        #[arg(long)]
        reason: String,
        /// Why late, if the deadline had already passed.
        #[arg(long)]
        late_reason: Option<String>,
    },
    /// 作出决定 — the head decides the penalties (or --no-penalty: 不予处罚).
    Decide {
        #[command(flatten)]
        on: OnCase,
        /// Discretion applied.
        #[arg(long, value_enum, default_value = "standard")]
        discretion: DiscretionArg,
        #[command(flatten)]
        penalties: PenaltyFlags,
        /// 不予处罚: no penalty at all.
        #[arg(long, conflicts_with_all = ["discretion", "warning", "fine", "confiscate_gains", "confiscate_property", "suspend", "revoke_licence"])]
        no_penalty: bool,
        /// The decision's text (default: the penalties).
        #[arg(long)]
        summary: Option<String>,
        /// Legal basis (default: the catalogue's basis of the case's violation type).
        #[arg(long)]
        basis: Option<String>,
        /// Why late, if past the decision deadline.
        #[arg(long)]
        late_reason: Option<String>,
    },
    /// 当场处罚决定（简易程序） — a warning or a small fine decided on the spot.
    SummaryDecision {
        #[command(flatten)]
        on: OnCase,
        #[command(flatten)]
        penalties: PenaltyFlags,
        /// 违法事实.
        #[arg(long)]
        facts: String,
        /// Legal basis (default: the catalogue's basis of the case's violation type).
        #[arg(long)]
        basis: Option<String>,
        /// The officer showed the 执法证.
        #[arg(long)]
        certificate_shown: bool,
    },
    /// 送达 of the decision, with the 送达回证.
    Deliver {
        #[command(flatten)]
        on: OnCase,
        /// How.
        #[arg(long, value_enum)]
        method: MethodArg,
        /// 受送达人 (or the body that passes it on).
        #[arg(long, default_value = "")]
        recipient: String,
        /// The recipient refused to sign or accept (留置).
        #[arg(long)]
        refused: bool,
        /// A witness who signed (repeatable; 留置).
        #[arg(long)]
        witness: Vec<String>,
        /// What the method needs written down (refusal and date, tracking number, address, …).
        #[arg(long, default_value = "")]
        note: String,
        /// The party agreed in writing to electronic delivery.
        #[arg(long)]
        consent: bool,
        /// The recipient's signature (签收), an image drawn on the pad; it goes onto the 送达回证.
        #[arg(long, conflicts_with = "refused")]
        image: Option<std::path::PathBuf>,
        /// Why late, if past 7 days.
        #[arg(long)]
        late_reason: Option<String>,
    },
    /// 催告 — the party has not paid by the time limit.
    Urge {
        #[command(flatten)]
        on: OnCase,
        /// How the reminder was served.
        #[arg(long)]
        note: String,
    },
    /// 申请强制执行 — the party still did not pay ten days after the reminder.
    ApplyEnforcement {
        #[command(flatten)]
        on: OnCase,
        /// The court applied to.
        #[arg(long)]
        court: String,
        /// The application.
        #[arg(long)]
        note: String,
    },
    /// 执行: --paid RECEIPT --yuan N (罚缴分离: paid at the bank), --complied, or --compelled NOTE.
    Execute {
        #[command(flatten)]
        on: OnCase,
        /// The bank receipt or 罚没票据 number.
        #[arg(long, requires = "yuan", conflicts_with_all = ["complied", "compelled"])]
        paid: Option<String>,
        /// The amount paid, in yuan.
        #[arg(long, requires = "paid")]
        yuan: Option<u64>,
        /// Corrected or complied without a fine.
        #[arg(long, conflicts_with = "compelled")]
        complied: bool,
        /// Enforced by the court or under the Administrative Compulsion Law: how.
        #[arg(long)]
        compelled: Option<String>,
    },
    /// 结案 with the closing report.
    Close {
        #[command(flatten)]
        on: OnCase,
        /// Closing report.
        #[arg(long)]
        report: String,
    },
    /// 公开 of the penalty result, with the party's personal data redacted (张某).
    Disclose {
        #[command(flatten)]
        on: OnCase,
        /// The text published.
        #[arg(long)]
        text: String,
        /// Why late, if past the disclosure deadline.
        #[arg(long)]
        late_reason: Option<String>,
    },
    /// 决定撤销 — revoked, confirmed illegal or ordered remade (复议 or a court).
    Revoke {
        #[command(flatten)]
        on: OnCase,
        /// Who revoked it.
        #[arg(long)]
        authority: String,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// 更正公开内容 after a revocation, with its explanation.
    CorrectDisclosure {
        #[command(flatten)]
        on: OnCase,
        /// The explanation published.
        #[arg(long)]
        explanation: String,
        /// The corrected text.
        #[arg(long)]
        text: String,
    },
    /// 告知投诉举报人 the filing outcome.
    InformComplainant {
        #[command(flatten)]
        on: OnCase,
        /// How they were told.
        #[arg(long)]
        how: String,
    },
    /// 回避 — an officer declares an interest (default: the signer) and is excluded.
    Recuse {
        #[command(flatten)]
        on: OnCase,
        /// The officer recused (another's recusal is decided by a leader).
        #[arg(long)]
        officer_recused: Option<String>,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// 宣传教育劝阻（服务, 721） — without opening a case; assistants may do it.
    Advise {
        #[command(flatten)]
        on: OnCase,
        /// What the party was told.
        #[arg(long)]
        advice: String,
    },
    /// 责令改正（管理, 721） — by a date, without opening a case.
    OrderCorrection {
        #[command(flatten)]
        on: OnCase,
        /// What must be corrected.
        #[arg(long)]
        order: String,
        /// By when (YYYY-MM-DD, Beijing time; the end of that day).
        #[arg(long, value_name = "YYYY-MM-DD")]
        by: String,
    },
    /// 复查 — whether an order to correct was followed (not corrected: back to filing).
    FollowUp {
        #[command(flatten)]
        on: OnCase,
        /// It was corrected.
        #[arg(long, conflicts_with = "not_corrected")]
        corrected: bool,
        /// It was not corrected.
        #[arg(long)]
        not_corrected: bool,
        /// What was found.
        #[arg(long)]
        note: String,
    },
}

/// The commands that do each act, by the act's wire name (`NextStep::act`), so that the case
/// view can say what to type next. The preservation notice is opened by sealing the notice.
pub const COMMANDS: &[(&str, &str)] = &[
    ("file", "act file"),
    ("return_filing", "act return-filing"),
    ("resubmit_filing", "act resubmit"),
    ("decline_filing", "act decline"),
    ("transfer", "act transfer"),
    ("start_investigation", "act assign"),
    ("preservation_notice", "record new preservation"),
    ("preservation_decision", "act preservation-decision"),
    ("conclude_investigation", "act conclude"),
    ("notify", "act notify"),
    ("hear_statement", "act statement"),
    ("request_hearing", "act request-hearing"),
    ("hold_hearing", "act hold-hearing"),
    ("legal_review", "act legal-review"),
    ("collective_discussion", "act discuss"),
    ("extend_deadline", "act extend"),
    ("decide", "act decide"),
    ("summary_decision", "act summary-decision"),
    ("deliver", "act deliver"),
    ("urge_payment", "act urge"),
    ("apply_enforcement", "act apply-enforcement"),
    ("execute", "act execute"),
    ("close", "act close"),
    ("disclose", "act disclose"),
    ("revoke_decision", "act revoke"),
    ("correct_disclosure", "act correct-disclosure"),
    ("inform_complainant", "act inform-complainant"),
    ("recuse", "act recuse"),
    ("advise", "act advise"),
    ("order_correction", "act order-correction"),
    ("follow_up", "act follow-up"),
];

/// The command that does the act with this wire name.
pub fn command_for(wire: &str) -> Option<&'static str> {
    COMMANDS.iter().find(|(w, _)| *w == wire).map(|(_, c)| *c)
}

/// A `YYYY-MM-DD` calendar day (Beijing time).
pub fn parse_date(s: &str) -> anyhow::Result<time::Date> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(s.trim(), format)
        .with_context(|| format!("日期格式应为 YYYY-MM-DD（{s}）(expected YYYY-MM-DD)"))
}

/// The first millisecond of a Beijing calendar day.
pub fn start_of_china_day(date: time::Date) -> Timestamp {
    Timestamp::from_datetime(
        date.midnight()
            .assume_offset(qc_domain::clock::CHINA_OFFSET),
    )
}

/// The legal basis given, else the catalogue's for the case's violation type, as the UI words it.
fn basis(app: &Quancheng, case: &str, given: &Option<String>) -> anyhow::Result<String> {
    if let Some(b) = given {
        return Ok(b.clone());
    }
    let violation = app.case_detail(case)?.violation;
    violation
        .and_then(|v| v.basis)
        .map(|b| format!("违反{}的规定，依据{}", b.violated, b.penalty))
        .context("权责清单未载明该违法行为的法律依据，请用 --basis 给出 (no basis in the catalogue: pass --basis)")
}

/// The open preservation notice meant: the one whose id starts with `given`, or the only one.
fn open_notice(app: &Quancheng, case: &str, given: &Option<String>) -> anyhow::Result<String> {
    let open: Vec<String> = app
        .case_detail(case)?
        .state
        .open_preservations
        .into_iter()
        .map(|p| p.notice)
        .collect();
    let matching: Vec<&String> = open
        .iter()
        .filter(|n| given.as_deref().is_none_or(|g| n.starts_with(g.trim())))
        .collect();
    match (matching.as_slice(), given) {
        ([one], _) => Ok((*one).clone()),
        // Unknown: the rules say why, in their words.
        ([], Some(g)) => Ok(g.clone()),
        ([], None) => {
            bail!("本案没有待作出处理决定的先行登记保存通知 (no open preservation notice)")
        }
        (_, _) => bail!(
            "本案有多份先行登记保存通知待处理，请用 --notice 指明 (several open: pass --notice)"
        ),
    }
}

/// The penalties summed up as a decision states them.
fn penalties_zh(penalties: &[Penalty]) -> String {
    if penalties.is_empty() {
        "不予行政处罚".into()
    } else {
        penalties
            .iter()
            .map(Penalty::zh)
            .collect::<Vec<_>>()
            .join("，")
    }
}

impl ActCommand {
    /// The case and signers, and the act the flags describe (defaults taken from the case and
    /// the catalogue). Nothing is unlocked or recorded yet.
    fn build(&self, app: &Quancheng) -> anyhow::Result<(&OnCase, Act)> {
        use ActCommand as C;
        let act = match self {
            C::File { .. } => Act::File,
            C::ReturnFiling { comments, .. } => Act::ReturnFiling {
                comments: comments.clone(),
            },
            C::Resubmit { note, .. } => Act::ResubmitFiling { note: note.clone() },
            C::Decline { reason, .. } => Act::DeclineFiling {
                reason: reason.clone(),
            },
            C::Transfer {
                to,
                reason,
                materials,
                police,
                ..
            } => Act::Transfer {
                to: to.clone(),
                reason: reason.clone(),
                kind: if *police {
                    TransferTo::Police
                } else {
                    TransferTo::Department
                },
                materials: materials.clone(),
            },
            C::Assign { team, .. } => Act::StartInvestigation {
                team: team.iter().map(|t| PersonId(t.clone())).collect(),
            },
            C::PreservationDecision {
                on,
                notice,
                outcome,
                late_reason,
            } => Act::PreservationDecision {
                notice: open_notice(app, &on.case, notice)?,
                outcome: outcome.clone(),
                late_reason: late_reason.clone(),
            },
            C::Conclude { summary, .. } => Act::ConcludeInvestigation {
                summary: summary.clone(),
            },
            C::Notify {
                on,
                discretion,
                penalties,
                facts,
                reasons,
                basis: given,
                hearing,
            } => Act::Notify {
                hearing_offered: *hearing,
                proposal: Some(Proposal {
                    discretion: (*discretion).into(),
                    penalties: penalties.penalties(),
                    facts: facts.clone(),
                    reasons: reasons.clone(),
                    basis: basis(app, &on.case, given)?,
                }),
            },
            C::Statement {
                waived,
                statement,
                accepted,
                rejected,
                reasons,
                ..
            } => {
                if !waived && !accepted && !rejected {
                    bail!(
                        "请注明是否采纳：--accepted 或 --rejected（或 --waived 放弃陈述申辩）(give --accepted, --rejected or --waived)"
                    );
                }
                Act::HearStatement {
                    waived: *waived,
                    statement: statement.clone().unwrap_or_default(),
                    accepted: *accepted,
                    reasons: reasons.clone(),
                }
            }
            C::RequestHearing { note, .. } => Act::RequestHearing { note: note.clone() },
            C::HoldHearing {
                participants,
                record,
                opinion,
                ..
            } => Act::HoldHearing {
                participants: participants.clone(),
                record: record.clone(),
                opinion: opinion.clone(),
            },
            C::LegalReview {
                pass,
                send_back,
                opinion,
                major,
                ..
            } => {
                if pass == send_back {
                    bail!(
                        "请注明审核结论：--pass（通过）或 --return（退回）(give --pass or --return)"
                    );
                }
                Act::LegalReview {
                    passed: *pass,
                    opinion: opinion.clone(),
                    major: *major,
                }
            }
            C::Discuss {
                participant,
                opinions,
                conclusion,
                ..
            } => Act::CollectiveDiscussion {
                participants: participant.clone(),
                opinions: opinions.clone(),
                conclusion: conclusion.clone(),
            },
            C::Extend {
                days,
                reason,
                late_reason,
                ..
            } => Act::ExtendDeadline {
                days: *days,
                reason: reason.clone(),
                late_reason: late_reason.clone(),
            },
            C::Decide {
                on,
                discretion,
                penalties,
                no_penalty,
                summary,
                basis: given,
                late_reason,
            } => {
                let (discretion, penalties) = if *no_penalty {
                    (Discretion::NoPenalty, Vec::new())
                } else {
                    ((*discretion).into(), penalties.penalties())
                };
                Act::Decide {
                    discretion,
                    summary: summary.clone().unwrap_or_else(|| penalties_zh(&penalties)),
                    penalties,
                    basis: basis(app, &on.case, given)?,
                    late_reason: late_reason.clone(),
                }
            }
            C::SummaryDecision {
                on,
                penalties,
                facts,
                basis: given,
                certificate_shown,
            } => Act::SummaryDecision {
                penalties: penalties.penalties(),
                facts: facts.clone(),
                basis: basis(app, &on.case, given)?,
                certificate_shown: *certificate_shown,
            },
            C::Deliver {
                method,
                recipient,
                refused,
                witness,
                note,
                consent,
                late_reason,
                ..
            } => Act::Deliver {
                method: match method {
                    MethodArg::Direct => DeliveryMethod::Direct,
                    MethodArg::Left => DeliveryMethod::LeftAtAddress,
                    MethodArg::Post => DeliveryMethod::Post,
                    MethodArg::Entrusted => DeliveryMethod::Entrusted,
                    MethodArg::Forwarded => DeliveryMethod::Forwarded,
                    MethodArg::Electronic => DeliveryMethod::Electronic {
                        party_consented: *consent,
                    },
                    MethodArg::Public => DeliveryMethod::PublicNotice,
                },
                late_reason: late_reason.clone(),
                receipt: Some(DeliveryReceipt {
                    recipient: recipient.clone(),
                    refused: *refused,
                    witnesses: witness.clone(),
                    note: note.clone(),
                    signature: None,
                }),
            },
            C::Urge { note, .. } => Act::UrgePayment { note: note.clone() },
            C::ApplyEnforcement { court, note, .. } => Act::ApplyEnforcement {
                court: court.clone(),
                note: note.clone(),
            },
            C::Execute {
                paid,
                yuan,
                complied,
                compelled,
                ..
            } => Act::Execute {
                execution: match (paid, yuan, complied, compelled) {
                    (Some(receipt_no), Some(yuan), _, _) => Execution::PaidAtBank {
                        receipt_no: receipt_no.clone(),
                        yuan: *yuan,
                    },
                    (_, _, true, _) => Execution::Complied,
                    (_, _, _, Some(note)) => Execution::Compelled { note: note.clone() },
                    _ => bail!(
                        "请注明执行方式：--paid 票据号 --yuan 金额、--complied 或 --compelled 情况 (give --paid with --yuan, --complied or --compelled)"
                    ),
                },
            },
            C::Close { report, .. } => Act::Close {
                report: report.clone(),
            },
            C::Disclose {
                text, late_reason, ..
            } => Act::Disclose {
                text: text.clone(),
                late_reason: late_reason.clone(),
            },
            C::Revoke {
                authority, reason, ..
            } => Act::RevokeDecision {
                authority: authority.clone(),
                reason: reason.clone(),
            },
            C::CorrectDisclosure {
                explanation, text, ..
            } => Act::CorrectDisclosure {
                explanation: explanation.clone(),
                text: text.clone(),
            },
            C::InformComplainant { how, .. } => Act::InformComplainant { how: how.clone() },
            C::Recuse {
                on,
                officer_recused,
                reason,
            } => Act::Recuse {
                officer: PersonId(
                    officer_recused
                        .clone()
                        .unwrap_or_else(|| on.who.officer().to_owned()),
                ),
                reason: reason.clone(),
            },
            C::Advise { advice, .. } => Act::Advise {
                advice: advice.clone(),
            },
            C::OrderCorrection { order, by, .. } => Act::OrderCorrection {
                order: order.clone(),
                correct_by: Timestamp::end_of_china_day(parse_date(by)?),
            },
            C::FollowUp {
                corrected,
                not_corrected,
                note,
                ..
            } => {
                if corrected == not_corrected {
                    bail!(
                        "请注明复查结果：--corrected 或 --not-corrected (give --corrected or --not-corrected)"
                    );
                }
                Act::FollowUp {
                    corrected: *corrected,
                    note: note.clone(),
                }
            }
        };
        Ok((self.on(), act))
    }

    /// The case and signers of any act.
    fn on(&self) -> &OnCase {
        use ActCommand as C;
        match self {
            C::File { on }
            | C::ReturnFiling { on, .. }
            | C::Resubmit { on, .. }
            | C::Decline { on, .. }
            | C::Transfer { on, .. }
            | C::Assign { on, .. }
            | C::PreservationDecision { on, .. }
            | C::Conclude { on, .. }
            | C::Notify { on, .. }
            | C::Statement { on, .. }
            | C::RequestHearing { on, .. }
            | C::HoldHearing { on, .. }
            | C::LegalReview { on, .. }
            | C::Discuss { on, .. }
            | C::Extend { on, .. }
            | C::Decide { on, .. }
            | C::SummaryDecision { on, .. }
            | C::Deliver { on, .. }
            | C::Urge { on, .. }
            | C::ApplyEnforcement { on, .. }
            | C::Execute { on, .. }
            | C::Close { on, .. }
            | C::Disclose { on, .. }
            | C::Revoke { on, .. }
            | C::CorrectDisclosure { on, .. }
            | C::InformComplainant { on, .. }
            | C::Recuse { on, .. }
            | C::Advise { on, .. }
            | C::OrderCorrection { on, .. }
            | C::FollowUp { on, .. } => on,
        }
    }
}

/// Runs `quancheng act …`: builds the act, unlocks the signers, records it (or prints the
/// rule's reason and changes nothing), then prints where the case stands.
pub fn act(app: &mut Quancheng, cmd: &ActCommand, as_json: bool) -> anyhow::Result<()> {
    let (on, act) = cmd.build(app)?;
    let who = on.who.unlock(app)?;
    let by: Vec<&Unlocked> = who.iter().collect();
    let zh = act.zh();
    let wire = qc_domain::procedure::wire_name(act.kind());
    match cmd {
        ActCommand::Deliver {
            image: Some(path), ..
        } => {
            let image = std::fs::read(path)
                .with_context(|| format!("无法读取 {} (cannot read)", path.display()))?;
            app.deliver_signed(&on.case, act, &image, &by)?;
        }
        _ => app.record_act(&on.case, act, &by)?,
    }
    output::act_recorded(&wire, zh, &app.case_detail(&on.case)?, as_json)
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn every_act_has_a_command_and_every_act_command_exists() {
        let cli = crate::cli::Args::command();
        let acts = cli
            .find_subcommand("act")
            .expect("the act subcommand group");
        for kind in qc_domain::ActKind::ALL {
            let wire = qc_domain::procedure::wire_name(kind);
            let command = command_for(&wire).unwrap_or_else(|| panic!("no command for {wire}"));
            if let Some(name) = command.strip_prefix("act ") {
                assert!(
                    acts.find_subcommand(name).is_some(),
                    "`quancheng {command}` does not exist"
                );
            }
        }
        assert_eq!(COMMANDS.len(), qc_domain::ActKind::ALL.len());
    }

    #[test]
    fn dates_parse_as_beijing_days() {
        let d = parse_date("2026-12-01").expect("a date");
        assert_eq!(start_of_china_day(d).display_china(), "2026-12-01 00:00");
        assert_eq!(
            Timestamp::end_of_china_day(d).display_china(),
            "2026-12-01 23:59"
        );
        assert!(parse_date("1.12.2026").is_err());
    }
}
