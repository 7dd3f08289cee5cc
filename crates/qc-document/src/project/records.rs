//! Documents printed from sealed field records: 现场检查笔录, 询问笔录, 先行登记保存证据通知书
//! and 抽样取证凭证. Only the sealed snapshot is printed: it is what the officers and the party
//! signed, whatever a later merge brought into the live copy.

use qc_domain::{
    Inspection, Notice, OfficerRef, PageSignature, Party, PartySignoff, Questioning, Record,
    RecordBody,
};

use super::CaseFacts;
use super::text::{
    date_zh, field, officer_refs_zh, officers_block, party_names, party_zh, section, span_zh,
    violation_zh,
};
use crate::model::{Block, DocumentKind, QaItem, Signature};
use crate::wording::Text;

/// The document a record of this body prints as.
pub fn kind_of(body: &RecordBody) -> DocumentKind {
    match body {
        RecordBody::Inspection(_) => DocumentKind::Inspection,
        RecordBody::Questioning(_) => DocumentKind::Transcript,
        RecordBody::Preservation(_) => DocumentKind::PreservationNotice,
        RecordBody::Sampling(_) => DocumentKind::Sampling,
    }
}

/// The body of the document a sealed record prints as.
pub fn blocks(facts: &CaseFacts<'_>, record: &Record) -> Vec<Block> {
    match &record.body {
        RecordBody::Inspection(i) => inspection(i, record.signoff.as_ref()),
        RecordBody::Questioning(q) => transcript(facts, q),
        RecordBody::Preservation(n) => {
            notice(facts, n, record.signoff.as_ref(), Text::Preservation)
        }
        RecordBody::Sampling(n) => notice(facts, n, record.signoff.as_ref(), Text::Sampling),
    }
}

fn party_or_unknown(party: Option<&Party>) -> String {
    party.map_or_else(|| "未查明".into(), party_zh)
}

fn yes_no(b: bool) -> &'static str {
    if b { "是" } else { "否" }
}

/// The party's sign-off as a signature place: the party's image, or the witness's with why
/// the party did not sign, or the officers' note.
fn signoff_signature(signoff: Option<&PartySignoff>) -> Signature {
    match signoff {
        Some(PartySignoff::Party { name, image, at }) => Signature {
            label: "当事人签名".into(),
            name: name.clone(),
            image: Some(image.clone()),
            note: Some(date_zh(*at)),
        },
        Some(PartySignoff::Witness {
            name,
            id_number,
            party_absent_reason,
            party_did_not_sign,
            image,
            at,
        }) => {
            let why = party_did_not_sign.map_or("当事人未签名", |w| w.zh());
            let id = id_number
                .as_deref()
                .map(|id| format!("（身份证号码 {id}）"))
                .unwrap_or_default();
            Signature {
                label: "见证人签名".into(),
                name: format!("{name}{id}"),
                image: Some(image.clone()),
                note: Some(format!("{why}：{party_absent_reason}。{}", date_zh(*at))),
            }
        }
        Some(PartySignoff::OfficersNote {
            note,
            party_did_not_sign,
            at,
        }) => Signature {
            label: "当事人签名".into(),
            name: String::new(),
            image: None,
            note: Some(format!(
                "{}{note}（执法人员注明，{}）",
                party_did_not_sign.map_or(String::new(), |w| format!("{}。", w.zh())),
                date_zh(*at)
            )),
        },
        None => Signature {
            label: "当事人签名".into(),
            name: String::new(),
            image: None,
            note: Some("（无）".into()),
        },
    }
}

/// The sign-off and the officers' signatures that close a record.
fn closing(signoff: Option<&PartySignoff>, officers: &[OfficerRef]) -> [Block; 2] {
    [
        Block::Signatures {
            items: vec![signoff_signature(signoff)],
        },
        officers_block(officers),
    ]
}

fn inspection(i: &Inspection, signoff: Option<&PartySignoff>) -> Vec<Block> {
    let mut place = i.place.address.clone();
    if !i.place.grid.is_empty() {
        place.push_str(&format!("（网格 {}）", i.place.grid));
    }
    let mut out = vec![Block::Fields {
        rows: vec![
            field("检查时间", span_zh(i.started_at, i.ended_at)),
            field("检查地点", place),
            field("检查人员", officer_refs_zh(&i.officers)),
            field("当事人", party_or_unknown(i.party.as_ref())),
            field("通知当事人到场", yes_no(i.party_notified)),
            field("当事人在场", yes_no(i.party_present)),
        ],
    }];
    out.extend(section("检查情况", i.found.clone()));
    out.extend(closing(signoff, &i.officers));
    out
}

fn transcript(facts: &CaseFacts<'_>, q: &Questioning) -> Vec<Block> {
    let who = &q.interviewee;
    let mut interviewee = format!("{}（{}）", who.name, who.capacity);
    if let Some(id) = &who.id_number {
        interviewee.push_str(&format!("，身份证号码 {id}"));
    }
    if let Some(phone) = &who.phone {
        interviewee.push_str(&format!("，联系电话 {phone}"));
    }
    let mut told = facts.wording.fill(Text::Questioning, &[]);
    if q.rights_acknowledged {
        told.push_str("被询问人表示已听清楚上述权利和义务。");
    }
    if q.recusal_asked {
        told.push_str("执法人员已询问被询问人是否申请回避。");
    }
    let mut out = vec![Block::Fields {
        rows: vec![
            field("询问时间", span_zh(q.started_at, q.ended_at)),
            field("询问地点", q.location.clone()),
            field("被询问人", interviewee),
            field("询问人", officer_refs_zh(&q.officers)),
            field("告知", told),
        ],
    }];
    let total = q.pages.len();
    for (n, page) in q.pages.iter().enumerate() {
        if n > 0 {
            out.push(Block::PageBreak);
        }
        let read = format!("以上笔录共{total}页，第{}页，已阅，与我所说一致", n + 1);
        let signature = match &page.signature {
            Some(PageSignature::Signed { image, at, .. }) => Signature {
                label: "被询问人签名".into(),
                name: who.name.clone(),
                image: Some(image.clone()),
                note: Some(format!("{read}。{}", date_zh(*at))),
            },
            Some(PageSignature::Refused { note, at, .. }) => Signature {
                label: "被询问人签名".into(),
                name: String::new(),
                image: None,
                note: Some(format!(
                    "被询问人拒绝签名（第{}页）：{note}。{}",
                    n + 1,
                    date_zh(*at)
                )),
            },
            None => Signature {
                label: "被询问人签名".into(),
                name: String::new(),
                image: None,
                note: Some(format!("第{}页无被询问人签名", n + 1)),
            },
        };
        // Every sheet this page runs over carries its signature at the foot.
        out.push(Block::SheetSignature { signature });
        out.push(Block::Qa {
            items: page
                .qa
                .iter()
                .map(|qa| QaItem {
                    q: qa.question.clone(),
                    a: qa.answer.clone(),
                })
                .collect(),
        });
    }
    out.push(officers_block(&q.officers));
    out
}

fn notice(
    facts: &CaseFacts<'_>,
    n: &Notice,
    signoff: Option<&PartySignoff>,
    text: Text,
) -> Vec<Block> {
    let addressee = n
        .party
        .as_ref()
        .map_or_else(|| party_names(&facts.state.header), |p| p.name.clone());
    let mut out = vec![
        Block::Paragraph {
            text: format!("{addressee}："),
        },
        Block::Paragraph {
            text: facts
                .wording
                .fill(text, &[("案由", violation_zh(facts).as_str())]),
        },
        Block::Table {
            header: vec!["序号".into(), "物品名称".into(), "数量".into()],
            widths: vec![1, 6, 3],
            rows: n
                .items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    vec![
                        (i + 1).to_string(),
                        item.name.clone(),
                        item.quantity.clone(),
                    ]
                })
                .collect(),
        },
        Block::Fields {
            rows: vec![
                field("当事人", party_or_unknown(n.party.as_ref())),
                field("存放地点", n.kept_at.clone()),
                field("执法人员", officer_refs_zh(&n.officers)),
            ],
        },
    ];
    out.extend(closing(signoff, &n.officers));
    out
}
