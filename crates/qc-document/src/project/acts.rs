//! Documents printed from workflow acts: the 审批表, notices, reports, decisions and the
//! 送达回证, each from the act's own words and the case around it.

use qc_domain::{
    Act, CaseSource, DeliveryMethod, DeliveryReceipt, Discretion, Execution, Penalty, Proposal,
    Timestamp, TransferTo, WorkflowEvent, money_due,
};

use super::text::{
    actors_block, catalogue_basis, date_zh, datetime_zh, decision_zh, evidence_table, field,
    last_before, late_block, money_zh, party_names, party_rows, penalties_inline, penalties_zh,
    people_zh, person_zh, section, typed, violation_zh,
};
use super::{CaseFacts, Source};
use crate::model::{Block, DocumentKind, Field};
use crate::wording::Text;

/// The documents an act issues (none for most acts: they are recorded, not printed).
pub fn kinds_of(act: &Act) -> Vec<DocumentKind> {
    match act {
        Act::File | Act::DeclineFiling { .. } => vec![DocumentKind::FilingApproval],
        Act::PreservationDecision { .. } => vec![DocumentKind::PreservationDecision],
        Act::OrderCorrection { .. } => vec![DocumentKind::CorrectionOrder],
        Act::Transfer { .. } => vec![DocumentKind::Transfer],
        Act::ConcludeInvestigation { .. } => vec![DocumentKind::InvestigationReport],
        Act::Notify {
            hearing_offered, ..
        } => {
            let mut kinds = vec![DocumentKind::PriorNotice];
            if *hearing_offered {
                kinds.push(DocumentKind::HearingNotice);
            }
            kinds
        }
        Act::HearStatement { .. } => vec![DocumentKind::Statement],
        Act::LegalReview { .. } => vec![DocumentKind::LegalReview],
        Act::CollectiveDiscussion { .. } => vec![DocumentKind::CollectiveDiscussion],
        // A decision is printed when it decides something: penalties, or 不予处罚 (then as the
        // 不予行政处罚决定书). One with neither has nothing a party could be served.
        Act::Decide {
            discretion,
            penalties,
            ..
        } if !penalties.is_empty() || *discretion == Discretion::NoPenalty => {
            vec![DocumentKind::Decision]
        }
        Act::SummaryDecision { .. } => vec![DocumentKind::SummaryDecision],
        Act::Deliver { .. } => vec![DocumentKind::DeliveryReceipt],
        Act::Close { .. } => vec![DocumentKind::ClosingReport],
        _ => Vec::new(),
    }
}

/// The title as printed when it differs from the kind's (a 不予处罚 decision).
pub fn title_of(act: &Act) -> Option<&'static str> {
    match act {
        Act::Decide {
            discretion: Discretion::NoPenalty,
            ..
        } => Some("不予行政处罚决定书"),
        _ => None,
    }
}

/// The body of the document `kind` that `event` issues (the caller checked [`kinds_of`]).
pub fn blocks(facts: &CaseFacts<'_>, event: &WorkflowEvent, kind: DocumentKind) -> Vec<Block> {
    let mut out = Vec::new();
    match (&event.act, kind) {
        (Act::File | Act::DeclineFiling { .. }, _) => filing(facts, event, &mut out),
        (
            Act::PreservationDecision {
                notice,
                outcome,
                late_reason,
            },
            _,
        ) => {
            out.push(salutation(facts));
            let issued = facts.events.iter().find(
                |e| matches!(&e.act, Act::PreservationNotice { notice: n, .. } if n == notice),
            );
            let mut text = String::from("本机关");
            if let Some(Act::PreservationNotice { items, .. }) = issued.map(|e| &e.act) {
                text.push_str(&format!(
                    "于{}对你（单位）的下列物品予以先行登记保存：{items}",
                    date_zh(issued.map_or(event.at, |e| e.at))
                ));
            } else {
                text.push_str("对你（单位）的物品予以先行登记保存");
            }
            text.push_str(&format!(
                "（通知书 {notice}）。经研究，现作出如下处理决定："
            ));
            out.push(Block::Paragraph { text });
            out.extend(section("处理决定", outcome.clone()));
            out.extend(late_block(late_reason.as_ref()));
        }
        (Act::OrderCorrection { order, correct_by }, _) => {
            out.push(salutation(facts));
            out.push(Block::Paragraph {
                text: format!(
                    "经查：{}（地点：{}）。",
                    facts.state.header.summary, facts.state.header.location.address
                ),
            });
            if let Some(basis) = &violated_basis(facts) {
                out.push(Block::Paragraph {
                    text: format!("上述行为违反了{basis}的规定。"),
                });
            }
            out.extend(section("改正要求", order.clone()));
            out.push(Block::Paragraph {
                text: facts
                    .wording
                    .fill(Text::Correction, &[("日期", date_zh(*correct_by).as_str())]),
            });
            out.push(actors_block(facts, "执法人员", &event.actors));
        }
        (
            Act::Transfer {
                to,
                reason,
                kind: to_kind,
                materials,
            },
            _,
        ) => {
            out.push(Block::Paragraph {
                text: format!("{to}："),
            });
            let why = match to_kind {
                TransferTo::Police => "涉嫌犯罪，依法应当移送公安机关",
                TransferTo::Department => "不属于本机关管辖，依法应当移送有管辖权的部门",
            };
            out.push(Block::Paragraph {
                text: format!(
                    "本机关在办理{}涉嫌{}一案中，认为该案{why}。移送理由：{reason}",
                    party_names(&facts.state.header),
                    violation_zh(facts)
                ),
            });
            if !materials.trim().is_empty() {
                out.extend(section("移送材料", materials.clone()));
            }
            out.push(actors_block(facts, "经办人", &event.actors));
        }
        (Act::ConcludeInvestigation { summary }, _) => {
            out.push(case_fields(facts, Vec::new()));
            out.extend(section("调查情况及处理意见", summary.clone()));
            if let Some(table) = evidence_table(facts) {
                out.push(Block::Heading {
                    text: "证据".into(),
                });
                out.push(table);
            }
            out.push(actors_block(facts, "承办人", &event.actors));
        }
        (Act::Notify { proposal, .. }, DocumentKind::PriorNotice) => {
            prior_notice(facts, event, proposal.as_ref(), &mut out)
        }
        (Act::Notify { proposal, .. }, _) => {
            out.push(salutation(facts));
            let intended = proposal
                .as_ref()
                .filter(|p| !p.penalties.is_empty())
                .map(|p| {
                    format!(
                        "本机关拟对你（单位）作出{}的行政处罚。",
                        penalties_inline(&p.penalties)
                    )
                })
                .unwrap_or_default();
            out.push(Block::Paragraph {
                text: format!("{intended}{}", facts.wording.fill(Text::Hearing, &[])),
            });
        }
        (
            Act::HearStatement {
                waived,
                statement,
                accepted,
                reasons,
            },
            _,
        ) => {
            out.push(case_fields(
                facts,
                vec![field("时间", datetime_zh(event.at))],
            ));
            if *waived {
                out.push(Block::Paragraph {
                    text: "当事人明确表示放弃陈述、申辩和听证的权利。".into(),
                });
            } else {
                out.extend(section("陈述、申辩内容", statement.clone()));
                let verdict = if *accepted { "采纳" } else { "不予采纳" };
                out.extend(section("复核意见", format!("{verdict}。{reasons}")));
            }
            out.push(actors_block(facts, "执法人员", &event.actors));
        }
        (
            Act::LegalReview {
                passed,
                opinion,
                major,
            },
            _,
        ) => {
            out.push(case_fields(
                facts,
                vec![
                    field("审核结论", if *passed { "通过" } else { "退回" }),
                    field(
                        "重大、复杂案件",
                        if *major {
                            "是，应当集体讨论"
                        } else {
                            "否"
                        },
                    ),
                ],
            ));
            out.extend(section("审核意见", opinion.clone()));
            out.push(actors_block(facts, "审核人", &event.actors));
        }
        (
            Act::CollectiveDiscussion {
                participants,
                opinions,
                conclusion,
            },
            _,
        ) => {
            out.push(case_fields(
                facts,
                vec![
                    field("讨论时间", datetime_zh(event.at)),
                    field("参加人员", participants.join("、")),
                ],
            ));
            out.extend(section("讨论意见", opinions.clone()));
            out.extend(section("讨论结论", conclusion.clone()));
            out.push(actors_block(facts, "主持人", &event.actors));
        }
        (
            Act::Decide {
                discretion,
                summary,
                penalties,
                basis,
                late_reason,
            },
            _,
        ) => {
            out.push(Block::Fields {
                rows: party_rows(&facts.state.header),
            });
            let facts_found = facts
                .state
                .notice
                .as_ref()
                .and_then(|n| n.proposal.as_ref())
                .map_or_else(|| facts.state.header.summary.clone(), |p| p.facts.clone());
            out.extend(section("违法事实", facts_found));
            if let Some(table) = evidence_table(facts) {
                out.push(Block::Heading {
                    text: "证据".into(),
                });
                out.push(table);
            }
            if let Some(heard) =
                last_before(facts, event, |e| matches!(e.act, Act::HearStatement { .. }))
            {
                out.extend(statement_heard(&heard.act));
            }
            out.extend(section("处罚依据", basis_or_catalogue(facts, basis)));
            let mut decided = format!("{}。{summary}", discretion.zh());
            if !penalties.is_empty() {
                decided.push_str("\n本机关决定对你（单位）作出如下行政处罚：\n");
                decided.push_str(&penalties_zh(penalties));
            }
            out.extend(section("处罚决定", decided));
            payment(facts, penalties, &mut out);
            out.push(Block::Paragraph {
                text: facts.wording.fill(Text::Rights, &[]),
            });
            out.extend(late_block(late_reason.as_ref()));
        }
        (
            Act::SummaryDecision {
                penalties,
                facts: found,
                basis,
                certificate_shown,
            },
            _,
        ) => {
            let mut rows = party_rows(&facts.state.header);
            rows.push(field("违法时间", datetime_zh(event.at)));
            rows.push(field(
                "违法地点",
                facts.state.header.location.address.clone(),
            ));
            rows.push(field("案由", violation_zh(facts)));
            out.push(Block::Fields { rows });
            out.extend(section("违法事实", found.clone()));
            out.extend(section("处罚依据", basis_or_catalogue(facts, basis)));
            out.extend(section("处罚决定", penalties_zh(penalties)));
            payment(facts, penalties, &mut out);
            out.push(Block::Paragraph {
                text: facts.wording.fill(Text::Rights, &[]),
            });
            let mut officers = actors_block(facts, "执法人员", &event.actors);
            if let (true, Block::Signatures { items }) = (*certificate_shown, &mut officers) {
                for s in items {
                    s.note = Some("已出示执法证件".into());
                }
            }
            out.push(officers);
        }
        (
            Act::Deliver {
                method,
                late_reason,
                receipt,
            },
            _,
        ) => delivery(
            facts,
            event,
            method,
            late_reason.as_ref(),
            receipt.as_ref(),
            &mut out,
        ),
        (Act::Close { report }, _) => {
            let mut rows = Vec::new();
            if let Some(d) = &facts.state.decision {
                rows.push(field("处理结果", decision_zh(d.discretion, &d.penalties)));
            }
            if let Some(at) = facts.state.delivered_at {
                rows.push(field("送达日期", date_zh(at)));
            }
            if let Some(executed) =
                last_before(facts, event, |e| matches!(e.act, Act::Execute { .. }))
                && let Act::Execute { execution } = &executed.act
            {
                rows.push(field("执行情况", execution_zh(execution, executed.at)));
            }
            rows.push(field("结案日期", date_zh(event.at)));
            out.push(case_fields(facts, rows));
            out.extend(section("结案报告", report.clone()));
            out.push(actors_block(facts, "承办人", &event.actors));
        }
        // `kinds_of` issues nothing else.
        _ => {}
    }
    out
}

/// `张三：` — the party addressed at the head of a notice or decision.
fn salutation(facts: &CaseFacts<'_>) -> Block {
    Block::Paragraph {
        text: format!("{}：", party_names(&facts.state.header)),
    }
}

/// The form of the case's particulars (案由, 当事人, 立案日期, 承办人) and then `extra`.
fn case_fields(facts: &CaseFacts<'_>, extra: Vec<Field>) -> Block {
    let mut rows = vec![field("案由", violation_zh(facts))];
    rows.extend(party_rows(&facts.state.header));
    if let Some(at) = facts.state.filed_at {
        rows.push(field("立案日期", date_zh(at)));
    }
    if !facts.state.team.is_empty() {
        rows.push(field("承办人", people_zh(facts, &facts.state.team)));
    }
    rows.extend(extra);
    Block::Fields { rows }
}

/// The article the conduct violates, from the catalogue.
fn violated_basis(facts: &CaseFacts<'_>) -> Option<String> {
    let (_, v) = facts.catalogue.violation(&facts.state.header.violation)?;
    v.basis.as_ref().map(|b| b.violated.clone())
}

/// The act's own basis, or the catalogue's when the act left it empty.
fn basis_or_catalogue(facts: &CaseFacts<'_>, basis: &str) -> String {
    if basis.trim().is_empty() {
        catalogue_basis(facts).unwrap_or_default()
    } else {
        basis.to_string()
    }
}

fn execution_zh(execution: &Execution, at: Timestamp) -> String {
    match execution {
        Execution::PaidAtBank { receipt_no, yuan } => format!(
            "当事人于{}在指定银行缴纳{}，票据号 {receipt_no}",
            date_zh(at),
            money_zh(*yuan)
        ),
        Execution::Complied => format!("当事人已于{}履行", date_zh(at)),
        Execution::Compelled { note } => format!("强制执行（{}）：{note}", date_zh(at)),
    }
}

/// The payment instructions and the 加处罚款 warning, when money is due.
fn payment(facts: &CaseFacts<'_>, penalties: &[Penalty], out: &mut Vec<Block>) {
    let due = money_due(penalties);
    if due == 0 {
        return;
    }
    let amount = money_zh(due);
    out.push(Block::Paragraph {
        text: facts
            .wording
            .fill(Text::Payment, &[("金额", amount.as_str())]),
    });
    out.push(Block::Paragraph {
        text: facts.wording.fill(Text::Surcharge, &[]),
    });
}

/// What the party said and whether it was accepted, as a decision recites it.
fn statement_heard(act: &Act) -> Vec<Block> {
    let Act::HearStatement {
        waived,
        statement,
        accepted,
        reasons,
    } = act
    else {
        return Vec::new();
    };
    let text = if *waived {
        "当事人放弃陈述、申辩和听证的权利。".to_string()
    } else {
        let verdict = if *accepted {
            "予以采纳"
        } else {
            "不予采纳"
        };
        format!("当事人陈述、申辩：{statement}\n经复核，本机关{verdict}。{reasons}")
    };
    section("陈述、申辩及采纳情况", text).into()
}

fn filing(facts: &CaseFacts<'_>, event: &WorkflowEvent, out: &mut Vec<Block>) {
    let h = &facts.state.header;
    let source = match &h.source {
        CaseSource::Complaint {
            complainant,
            contact,
            ..
        } => format!("{}（{complainant}，{contact}）", h.source.zh()),
        CaseSource::Referral { department } => format!("{}（{department}）", h.source.zh()),
        CaseSource::Assigned { authority } => format!("{}（{authority}）", h.source.zh()),
        CaseSource::DigitalPlatform { ticket } => format!("{}（案卷号 {ticket}）", h.source.zh()),
        CaseSource::SelfDiscovered => h.source.zh().to_string(),
    };
    let mut place = h.location.address.clone();
    if !h.location.grid.is_empty() {
        place.push_str(&format!("（网格 {}）", h.location.grid));
    }
    let mut rows = vec![
        field("案件来源", source),
        field("案由", violation_zh(facts)),
    ];
    rows.extend(party_rows(h));
    rows.extend([
        field("地点", place),
        field("登记时间", datetime_zh(h.registered_at)),
        field("登记人", person_zh(facts, &h.registered_by)),
        field("简要案情", h.summary.clone()),
    ]);
    // The filing request's way back and forth before this approval.
    for e in facts.events.iter().take_while(|e| e.id != event.id) {
        match &e.act {
            Act::ReturnFiling { comments } => rows.push(field(
                "退回补充核查",
                format!("{}：{comments}", date_zh(e.at)),
            )),
            Act::ResubmitFiling { note } => {
                rows.push(field("重新提请立案", format!("{}：{note}", date_zh(e.at))))
            }
            _ => {}
        }
    }
    let opinion = match &event.act {
        Act::DeclineFiling { reason } => format!("不予立案。理由：{reason}"),
        _ => "同意立案".to_string(),
    };
    rows.push(field("审批意见", opinion));
    rows.push(field("审批时间", datetime_zh(event.at)));
    out.push(Block::Fields { rows });
    out.push(actors_block(facts, "审批人", &event.actors));
}

fn prior_notice(
    facts: &CaseFacts<'_>,
    event: &WorkflowEvent,
    proposal: Option<&Proposal>,
    out: &mut Vec<Block>,
) {
    out.push(salutation(facts));
    out.push(Block::Paragraph {
        text: format!(
            "你（单位）涉嫌{}一案，本机关已调查终结。根据《中华人民共和国行政处罚法》第四十四条的规定，现将本机关拟作出行政处罚的事实、理由、依据及你（单位）依法享有的权利告知如下：",
            violation_zh(facts)
        ),
    });
    match proposal {
        Some(p) => {
            out.extend(section("违法事实", p.facts.clone()));
            out.extend(section("理由", p.reasons.clone()));
            out.extend(section("依据", basis_or_catalogue(facts, &p.basis)));
            out.extend(section(
                "拟作出的行政处罚",
                decision_zh(p.discretion, &p.penalties),
            ));
        }
        None => {
            out.extend(section("违法事实", facts.state.header.summary.clone()));
            if let Some(basis) = catalogue_basis(facts) {
                out.extend(section("依据", basis));
            }
        }
    }
    out.push(Block::Heading {
        text: "你（单位）的权利".into(),
    });
    out.push(Block::Paragraph {
        text: facts.wording.fill(Text::Statement, &[]),
    });
    if let Act::Notify {
        hearing_offered: true,
        ..
    } = event.act
    {
        out.push(Block::Paragraph {
            text: facts.wording.fill(Text::Hearing, &[]),
        });
    }
}

fn delivery(
    facts: &CaseFacts<'_>,
    event: &WorkflowEvent,
    method: &DeliveryMethod,
    late_reason: Option<&String>,
    receipt: Option<&DeliveryReceipt>,
    out: &mut Vec<Block>,
) {
    let decision = last_before(facts, event, |e| {
        matches!(e.act, Act::Decide { .. } | Act::SummaryDecision { .. })
    });
    let served = decision.map_or_else(
        || DocumentKind::Decision.title().to_string(),
        |d| {
            let title = title_of(&d.act).unwrap_or(match d.act {
                Act::SummaryDecision { .. } => DocumentKind::SummaryDecision.title(),
                _ => DocumentKind::Decision.title(),
            });
            // The number it was issued under, once it is issued.
            let source = Source::Event(d.id.clone()).to_text();
            let issued = facts.issued.iter().rev().find(|i| i.source == source);
            match issued {
                Some(i) if !i.number.is_empty() => format!("{title}（{}）", i.number),
                _ => format!("{title}（{}作出）", date_zh(d.at)),
            }
        },
    );
    let recipient = receipt
        .map(|r| r.recipient.clone())
        .filter(|r| !r.trim().is_empty())
        .unwrap_or_else(|| party_names(&facts.state.header));
    let mut rows = vec![
        field("送达文书名称及文号", served),
        field("受送达人", recipient.clone()),
        field("送达方式", method.zh()),
        field("送达时间", datetime_zh(event.at)),
    ];
    if let DeliveryMethod::Electronic { party_consented } = method {
        rows.push(field(
            "电子送达同意",
            if *party_consented {
                "受送达人已书面同意"
            } else {
                "未记录受送达人同意"
            },
        ));
    }
    if let Some(note) = receipt.map(|r| &r.note).filter(|n| !n.trim().is_empty()) {
        rows.push(field("备注", note.clone()));
    }
    out.push(Block::Fields { rows });
    let refused = receipt.is_some_and(|r| r.refused);
    let mut signers = vec![typed(
        "受送达人签收",
        if refused { String::new() } else { recipient },
    )];
    if refused {
        signers[0].note = Some("受送达人拒绝签收，已留置送达".into());
    }
    signers[0].image = receipt.and_then(|r| r.signature.clone());
    for w in receipt.map_or(&[][..], |r| &r.witnesses[..]) {
        signers.push(typed("见证人", w.clone()));
    }
    out.push(Block::Signatures { items: signers });
    out.push(actors_block(facts, "送达人", &event.actors));
    out.push(Block::Paragraph {
        text: facts.wording.fill(Text::Delivery, &[]),
    });
    out.extend(late_block(late_reason));
}
