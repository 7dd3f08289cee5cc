//! How things are written on the paper: dates in Beijing time, money in capitals, parties and
//! officers, and the blocks every document shares (party rows, officers' signatures, evidence).

use qc_domain::{
    CaseHeader, Discretion, OfficerRef, Party, PartyKind, Penalty, Person, PersonId, RecordBody,
    Timestamp, WorkflowEvent,
};

use super::CaseFacts;
use crate::model::{Block, Field, Signature};

/// `2026年11月30日`, the calendar day in China Standard Time (UTC+8).
pub fn date_zh(at: Timestamp) -> String {
    let t = at.to_china_time();
    format!("{}年{}月{}日", t.year(), u8::from(t.month()), t.day())
}

/// `2026年11月30日 09时10分`, in China Standard Time.
pub fn datetime_zh(at: Timestamp) -> String {
    let t = at.to_china_time();
    format!("{} {:02}时{:02}分", date_zh(at), t.hour(), t.minute())
}

/// `2026年11月30日 09时10分至09时55分` (the end's date too when it is another day).
pub fn span_zh(from: Timestamp, to: Option<Timestamp>) -> String {
    match to {
        None => datetime_zh(from),
        Some(to) if from.china_date() == to.china_date() => {
            let t = to.to_china_time();
            format!(
                "{}至{:02}时{:02}分",
                datetime_zh(from),
                t.hour(),
                t.minute()
            )
        }
        Some(to) => format!("{}至{}", datetime_zh(from), datetime_zh(to)),
    }
}

const DIGITS: [&str; 10] = ["零", "壹", "贰", "叁", "肆", "伍", "陆", "柒", "捌", "玖"];
const SMALL_UNITS: [&str; 4] = ["仟", "佰", "拾", ""];
const GROUP_UNITS: [&str; 5] = ["", "万", "亿", "万亿", "亿亿"];

/// 大写金额 — whole yuan in capitals as written on a decision: `伍佰元整`, `壹仟零伍拾元整`,
/// `壹拾万零伍佰元整`.
pub fn yuan_capital(yuan: u64) -> String {
    if yuan == 0 {
        return "零元整".into();
    }
    let mut groups = Vec::new();
    let mut n = yuan;
    while n > 0 {
        groups.push(n % 10_000);
        n /= 10_000;
    }
    let mut out = String::new();
    // A zero group between written ones, or a group under a thousand after one, reads 零.
    let mut zero_pending = false;
    for (i, &group) in groups.iter().enumerate().rev() {
        if group == 0 {
            zero_pending = !out.is_empty();
            continue;
        }
        if !out.is_empty() && (zero_pending || group < 1000) {
            out.push('零');
        }
        zero_pending = false;
        let digits = [group / 1000, group / 100 % 10, group / 10 % 10, group % 10];
        let mut inner_zero = false;
        let mut started = false;
        for (d, unit) in digits.into_iter().zip(SMALL_UNITS) {
            if d == 0 {
                inner_zero = started;
                continue;
            }
            if inner_zero {
                out.push('零');
                inner_zero = false;
            }
            started = true;
            out.push_str(DIGITS[d as usize]);
            out.push_str(unit);
        }
        out.push_str(GROUP_UNITS[i]);
    }
    out.push_str("元整");
    out
}

/// `人民币伍佰元整（500元）`.
pub fn money_zh(yuan: u64) -> String {
    format!("人民币{}（{yuan}元）", yuan_capital(yuan))
}

/// A penalty as a decision writes it: `罚款人民币伍佰元整（500元）`.
pub fn penalty_zh(penalty: &Penalty) -> String {
    match penalty {
        Penalty::Fine { yuan } => format!("罚款{}", money_zh(*yuan)),
        Penalty::ConfiscateGains { yuan } => format!("没收违法所得{}", money_zh(*yuan)),
        other => other.zh(),
    }
}

/// The penalties in one line: `警告、罚款人民币贰佰元整（200元）`.
pub fn penalties_inline(penalties: &[Penalty]) -> String {
    penalties
        .iter()
        .map(penalty_zh)
        .collect::<Vec<_>>()
        .join("、")
}

/// What was decided in one line: `一般处罚：罚款人民币伍佰元整（500元）`, or the discretion
/// alone (不予处罚).
pub fn decision_zh(discretion: Discretion, penalties: &[Penalty]) -> String {
    if penalties.is_empty() {
        discretion.zh().to_string()
    } else {
        format!("{}：{}", discretion.zh(), penalties_inline(penalties))
    }
}

/// The penalties as numbered lines: `1. 警告` …
pub fn penalties_zh(penalties: &[Penalty]) -> String {
    penalties
        .iter()
        .enumerate()
        .map(|(i, p)| format!("{}. {}", i + 1, penalty_zh(p)))
        .collect::<Vec<_>>()
        .join("\n")
}

/// One party described: `张三（自然人），身份证号码 110…，联系电话 138…`.
pub fn party_zh(party: &Party) -> String {
    let (kind, id_label) = match party.kind {
        PartyKind::Person => ("自然人", "身份证号码"),
        PartyKind::Business => ("单位", "统一社会信用代码"),
    };
    let mut out = format!("{}（{kind}）", party.name);
    if let Some(id) = party.id_number.as_deref().filter(|s| !s.trim().is_empty()) {
        out.push_str(&format!("，{id_label} {id}"));
    }
    if let Some(phone) = party.phone.as_deref().filter(|s| !s.trim().is_empty()) {
        out.push_str(&format!("，联系电话 {phone}"));
    }
    out
}

/// The parties' names as a salutation or in running text (`张三`, `张三、李四`).
pub fn party_names(header: &CaseHeader) -> String {
    if header.parties.is_empty() {
        return "当事人（未查明）".into();
    }
    header
        .parties
        .iter()
        .map(|p| p.name.as_str())
        .collect::<Vec<_>>()
        .join("、")
}

/// A field row.
pub fn field(label: &str, value: impl Into<String>) -> Field {
    Field {
        label: label.into(),
        value: value.into(),
    }
}

/// The `当事人` rows of a form, one per party.
pub fn party_rows(header: &CaseHeader) -> Vec<Field> {
    if header.parties.is_empty() {
        return vec![field("当事人", "未查明")];
    }
    header
        .parties
        .iter()
        .map(|p| field("当事人", party_zh(p)))
        .collect()
}

/// `李明（执法证号 41030021001）`, or the bare name of someone without one.
fn name_with_cert(name: &str, cert: Option<&str>) -> String {
    match cert.filter(|c| !c.trim().is_empty()) {
        Some(cert) => format!("{name}（执法证号 {cert}）"),
        None => name.to_string(),
    }
}

/// An officer named on a record, with the 执法证 number.
pub fn officer_ref_zh(o: &OfficerRef) -> String {
    name_with_cert(&o.name, Some(&o.cert_no.0))
}

/// A person from the directory, with the 执法证 number when they hold one; an id the
/// directory does not know is printed as it is, so the gap shows.
pub fn person_zh(facts: &CaseFacts<'_>, id: &PersonId) -> String {
    match person(facts, id) {
        Some(p) => name_with_cert(&p.name, p.cert_no.as_ref().map(|c| c.0.as_str())),
        None => id.0.clone(),
    }
}

/// The person with this id in the directory.
pub fn person<'f>(facts: &CaseFacts<'f>, id: &PersonId) -> Option<&'f Person> {
    facts.directory.iter().find(|p| &p.id == id)
}

/// People joined for a form cell (`李明（执法证号 …）、王芳（执法证号 …）`).
pub fn people_zh(facts: &CaseFacts<'_>, ids: &[PersonId]) -> String {
    ids.iter()
        .map(|id| person_zh(facts, id))
        .collect::<Vec<_>>()
        .join("、")
}

/// Officers named on a record joined for a form cell.
pub fn officer_refs_zh(officers: &[OfficerRef]) -> String {
    officers
        .iter()
        .map(officer_ref_zh)
        .collect::<Vec<_>>()
        .join("、")
}

/// A typed signature place (no image).
pub fn typed(label: &str, name: String) -> Signature {
    Signature {
        label: label.into(),
        name,
        image: None,
        note: None,
    }
}

/// The signature row of the people who did an act, under `label` (`执法人员`, `审批人`).
pub fn actors_block(facts: &CaseFacts<'_>, label: &str, ids: &[PersonId]) -> Block {
    Block::Signatures {
        items: ids
            .iter()
            .map(|id| typed(label, person_zh(facts, id)))
            .collect(),
    }
}

/// The signature row of the officers a record names.
pub fn officers_block(officers: &[OfficerRef]) -> Block {
    Block::Signatures {
        items: officers
            .iter()
            .map(|o| typed("执法人员", officer_ref_zh(o)))
            .collect(),
    }
}

/// The violation's name from the catalogue (案由), or its code if the catalogue lacks it.
pub fn violation_zh(facts: &CaseFacts<'_>) -> String {
    let code = &facts.state.header.violation;
    facts
        .catalogue
        .violation(code)
        .map_or_else(|| code.clone(), |(_, v)| v.name.clone())
}

/// The catalogue's legal basis for the case's violation: the article violated and the one
/// that sets the penalty.
pub fn catalogue_basis(facts: &CaseFacts<'_>) -> Option<String> {
    let (_, v) = facts.catalogue.violation(&facts.state.header.violation)?;
    let b = v.basis.as_ref()?;
    Some(format!(
        "违反了{}的规定，依据{}的规定予以处罚",
        b.violated, b.penalty
    ))
}

/// `逾期办理说明：…` for an act done after its deadline.
pub fn late_block(late_reason: Option<&String>) -> Option<Block> {
    late_reason
        .filter(|r| !r.trim().is_empty())
        .map(|r| Block::Paragraph {
            text: format!("逾期办理说明：{r}"),
        })
}

/// A heading followed by its paragraph.
pub fn section(heading: &str, text: impl Into<String>) -> [Block; 2] {
    [
        Block::Heading {
            text: heading.into(),
        },
        Block::Paragraph { text: text.into() },
    ]
}

/// The evidence of the case as a table: sealed records, then evidence items sealed by two
/// officers (others are not yet evidence the file can rely on).
pub fn evidence_table(facts: &CaseFacts<'_>) -> Option<Block> {
    let mut rows = Vec::new();
    for r in facts.records {
        let (Some(seal), Ok(record)) = (&r.seal, r.authoritative()) else {
            continue;
        };
        let what = match &record.body {
            RecordBody::Questioning(q) => {
                format!("{}（被询问人：{}）", record.body.zh(), q.interviewee.name)
            }
            other => other.zh().to_string(),
        };
        rows.push((what, date_zh(seal.at)));
    }
    // A redacted copy (打码副本) is made for disclosure, later: not evidence the documents list.
    for e in facts
        .evidence
        .iter()
        .filter(|e| e.sealed() && e.facts.redacts.is_none())
    {
        let f = &e.facts;
        // A recording is dated when it was made, not when it was kept (after a crash, later).
        let made = f.span.map_or(f.captured_at, |s| s.from);
        rows.push((format!("{}：{}", f.kind.zh(), f.description), date_zh(made)));
    }
    (!rows.is_empty()).then(|| Block::Table {
        header: vec!["序号".into(), "证据".into(), "日期".into()],
        widths: vec![1, 7, 3],
        rows: rows
            .into_iter()
            .enumerate()
            .map(|(i, (what, date))| vec![(i + 1).to_string(), what, date])
            .collect(),
    })
}

/// The last event before `event` (in the case's order) that matches.
pub fn last_before<'f>(
    facts: &CaseFacts<'f>,
    event: &WorkflowEvent,
    matches: impl Fn(&WorkflowEvent) -> bool,
) -> Option<&'f WorkflowEvent> {
    facts
        .events
        .iter()
        .take_while(|e| e.id != event.id)
        .filter(|e| matches(e))
        .last()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_in_capitals() {
        let cases = [
            (0, "零元整"),
            (5, "伍元整"),
            (10, "壹拾元整"),
            (200, "贰佰元整"),
            (500, "伍佰元整"),
            (1050, "壹仟零伍拾元整"),
            (1005, "壹仟零伍元整"),
            (3000, "叁仟元整"),
            (10_000, "壹万元整"),
            (12_000, "壹万贰仟元整"),
            (20_500, "贰万零伍佰元整"),
            (100_500, "壹拾万零伍佰元整"),
            (1_000_001, "壹佰万零壹元整"),
            (100_000_000, "壹亿元整"),
            (100_000_001, "壹亿零壹元整"),
            (1_002_000_000, "壹拾亿零贰佰万元整"),
        ];
        for (yuan, want) in cases {
            assert_eq!(yuan_capital(yuan), want, "{yuan}");
        }
        assert_eq!(
            penalty_zh(&Penalty::Fine { yuan: 500 }),
            "罚款人民币伍佰元整（500元）"
        );
    }

    #[test]
    fn dates_are_written_in_beijing_time() {
        // 2026-11-30 01:10 UTC is 09:10 in Beijing; 2026-11-29 20:00 UTC is already the 30th.
        let at = Timestamp(1_796_001_000_000);
        assert_eq!(datetime_zh(at), "2026年11月30日 09时10分");
        assert_eq!(date_zh(Timestamp(1_795_982_400_000)), "2026年11月30日");
        let end = Timestamp(at.0 + 45 * 60_000);
        assert_eq!(span_zh(at, Some(end)), "2026年11月30日 09时10分至09时55分");
    }
}
