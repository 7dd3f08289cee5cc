//! What the commands print: tables for people (aligned for Chinese text), JSON for scripts.

use qc_api::demo::DemoReport;
use qc_api::{CaseDetail, DataDir, InitReport};
use qc_casedoc::StoredRecord;
use qc_domain::{
    CaseStatus, Catalogue, Deadline, EvidenceItem, NextStep, PageSignature, PartySignoff, Person,
    RecordBody, Timestamp, Urgency,
};
use qc_store::{CaseRow, Ratio721};
use serde::Serialize;

/// `println!` that reports a closed pipe (`quancheng case list | head`) instead of panicking.
macro_rules! out {
    ($($t:tt)*) => {
        writeln!(std::io::stdout().lock(), $($t)*)?
    };
}
use std::io::Write;
use unicode_width::UnicodeWidthStr;

fn json<T: Serialize + ?Sized>(v: &T) -> anyhow::Result<()> {
    out!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

/// Pads to a display width (a Chinese character takes two columns).
fn pad(s: &str, width: usize) -> String {
    let w = UnicodeWidthStr::width(s);
    if w >= width {
        s.to_owned()
    } else {
        format!("{s}{}", " ".repeat(width - w))
    }
}

/// Cuts to a display width, marking the cut.
fn cut(s: &str, width: usize) -> String {
    if UnicodeWidthStr::width(s) <= width {
        return s.to_owned();
    }
    let mut out = String::new();
    for c in s.chars() {
        if UnicodeWidthStr::width(out.as_str())
            + unicode_width::UnicodeWidthChar::width(c).unwrap_or(0)
            > width - 1
        {
            break;
        }
        out.push(c);
    }
    out.push('…');
    out
}

fn table(header: &[&str], rows: &[Vec<String>]) -> std::io::Result<()> {
    let mut widths: Vec<usize> = header.iter().map(|h| UnicodeWidthStr::width(*h)).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max(UnicodeWidthStr::width(c.as_str()));
        }
    }
    let line = |cells: &[String]| -> std::io::Result<()> {
        let parts: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| pad(c, widths[i]))
            .collect();
        writeln!(std::io::stdout().lock(), "{}", parts.join("  ").trim_end())
    };
    line(&header.iter().map(|h| h.to_string()).collect::<Vec<_>>())?;
    for r in rows {
        line(r)?;
    }
    Ok(())
}

fn status_zh(code: &str) -> &str {
    CaseStatus::from_code(code).map_or(code, |s| s.zh())
}

fn deadline_badge(deadlines: &[Deadline]) -> String {
    deadlines
        .iter()
        .filter(|d| d.urgency != Urgency::Pending)
        .map(|d| format!("{}:{}", d.urgency.zh(), d.kind.zh()))
        .next()
        .unwrap_or_default()
}

pub fn init(dir: &DataDir, r: &InitReport, as_json: bool) -> anyhow::Result<()> {
    if as_json {
        return json(r);
    }
    out!("已初始化数据目录：{}", dir.root().display());
    out!("数据库（SQLCipher 加密）：{}", dir.db_path().display());
    out!("数据库密钥文件：{}（请妥善保管）", dir.key_location());
    out!("本机设备：{}", r.device_id);
    out!("局根公钥：{}", r.bureau_public);
    out!();
    out!("演示人员（首次登录 PIN）：");
    table(
        &["编号", "姓名", "角色", "执法证号", "所属", "PIN"],
        &r.enrolled
            .iter()
            .map(|e| {
                vec![
                    e.person.id.0.clone(),
                    e.person.name.clone(),
                    e.person.role.zh().into(),
                    e.person
                        .cert_no
                        .as_ref()
                        .map(|c| c.0.clone())
                        .unwrap_or("—".into()),
                    e.person.squad.clone(),
                    e.pin.clone(),
                ]
            })
            .collect::<Vec<_>>(),
    )?;
    Ok(())
}

pub fn demo(
    dir: &DataDir,
    init_report: Option<&InitReport>,
    r: &DemoReport,
    as_json: bool,
) -> anyhow::Result<()> {
    if as_json {
        return json(&serde_json::json!({ "init": init_report, "demo": r }));
    }
    if let Some(i) = init_report {
        init(dir, i, false)?;
        out!();
    }
    if r.cases_added == 0 {
        out!("演示案件已存在，未重复添加（共 {} 件）。", r.cases_total);
    } else {
        out!(
            "已添加 {} 件演示案件（共 {} 件）。",
            r.cases_added,
            r.cases_total
        );
    }
    out!(
        "查看：quancheng --data-dir {} case list",
        dir.root().display()
    );
    Ok(())
}

pub fn catalogue(c: &Catalogue, as_json: bool) -> anyhow::Result<()> {
    if as_json {
        return json(c);
    }
    for d in &c.domains {
        out!("{}（{}）", d.name, d.code);
        for v in &d.violations {
            out!("  {}  {}", pad(&v.code, 40), v.name);
        }
    }
    Ok(())
}

pub fn people(people: &[Person], as_json: bool) -> anyhow::Result<()> {
    if as_json {
        return json(people);
    }
    table(
        &["编号", "姓名", "角色", "执法证号", "所属"],
        &people
            .iter()
            .map(|p| {
                vec![
                    p.id.0.clone(),
                    p.name.clone(),
                    p.role.zh().into(),
                    p.cert_no
                        .as_ref()
                        .map(|c| c.0.clone())
                        .unwrap_or("—".into()),
                    p.squad.clone(),
                ]
            })
            .collect::<Vec<_>>(),
    )?;
    Ok(())
}

/// The 双随机 tasks held here, with the result recorded on this tablet for each.
pub fn tasks(
    tasks: &[qc_api::station::InspectionTask],
    reports: &[qc_domain::draw::InspectionReport],
    as_json: bool,
) -> anyhow::Result<()> {
    let reported = |t: &qc_api::station::InspectionTask| {
        reports
            .iter()
            .rev()
            .find(|r| r.draw == t.draw && r.target == t.target.id)
    };
    if as_json {
        // Each task with the result recorded here, if any.
        let listed = tasks
            .iter()
            .map(|t| {
                let mut v = serde_json::to_value(t)?;
                v["report"] = serde_json::to_value(reported(t))?;
                Ok(v)
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        return json(&listed);
    }
    if tasks.is_empty() {
        println!("暂无双随机抽查任务（同步后更新）");
        return Ok(());
    }
    table(
        &["抽查事项", "检查对象", "地址", "检查人员", "本机记录的结果"],
        &tasks
            .iter()
            .map(|t| {
                let reported = reported(t);
                vec![
                    t.title.clone(),
                    format!("{}（{}）", t.target.name, t.target.id),
                    t.target.address.clone(),
                    t.inspectors
                        .iter()
                        .map(|i| i.name.as_str())
                        .collect::<Vec<_>>()
                        .join("、"),
                    reported.map_or_else(|| "—".into(), |r| r.outcome.zh().to_owned()),
                ]
            })
            .collect::<Vec<_>>(),
    )?;
    Ok(())
}

/// What `quancheng info` shows.
#[derive(Serialize)]
pub struct Info {
    pub data_dir: String,
    pub device_id: String,
    pub bureau_key: String,
    /// The log key of the station this device syncs with, hex (none set yet: none).
    pub station_log_key: Option<String>,
    pub cases: u64,
    pub entries: u64,
}

pub fn info(i: &Info, as_json: bool) -> anyhow::Result<()> {
    if as_json {
        return json(i);
    }
    out!("数据目录：{}", i.data_dir);
    out!("本机设备：{}", i.device_id);
    out!(
        "局根公钥：{}（quancheng verify --bureau 使用）",
        i.bureau_key
    );
    match &i.station_log_key {
        Some(key) => log_key(key)?,
        None => out!("基站日志公钥：尚未设置（本机还未连接基站）"),
    }
    out!("案件 {} 件，签名记录 {} 条", i.cases, i.entries);
    Ok(())
}

/// The station's log key, as an auditor passes it to `verify --log-key`.
pub fn log_key(key: &str) -> anyhow::Result<()> {
    out!("基站日志公钥：{key}（quancheng verify --log-key 使用）");
    Ok(())
}

pub fn done(what: &str, as_json: bool) -> anyhow::Result<()> {
    if as_json {
        return json(&serde_json::json!({ "ok": true, "message": what }));
    }
    out!("{what}");
    Ok(())
}

/// Something new was made: `what` says what (已登记案件, 已建立笔录 ...).
pub fn created(what: &str, id: &str, as_json: bool) -> anyhow::Result<()> {
    if as_json {
        return json(&serde_json::json!({ "id": id }));
    }
    out!("{what}：{id}");
    Ok(())
}

/// What an import of files made: each item with its file (the JSON report whole).
pub fn imported(report: &qc_api::import::ImportReport, as_json: bool) -> anyhow::Result<()> {
    if as_json {
        return json(report);
    }
    for f in &report.files {
        if let Some(id) = &f.evidence {
            out!("已建立：{id}（{}）", f.file_name);
        }
    }
    Ok(())
}

fn short(id: &str) -> String {
    id.chars().take(8).collect()
}

fn record_status(r: &StoredRecord) -> String {
    match (&r.seal, r.conflicts.len()) {
        (Some(_), 0) => "已签名封存".into(),
        (Some(_), n) => format!("已封存，{n} 处合并冲突待复核"),
        (None, _) => "未封存".into(),
    }
}

pub fn records(records: &[StoredRecord], as_json: bool) -> anyhow::Result<()> {
    if as_json {
        return json(records);
    }
    let rows: Vec<Vec<String>> = records
        .iter()
        .map(|r| {
            let names: Vec<&str> = r
                .live
                .body
                .officers()
                .iter()
                .map(|o| o.name.as_str())
                .collect();
            vec![
                short(&r.live.id),
                r.live.body.zh().into(),
                record_status(r),
                r.live.created_at.display_china(),
                names.join("、"),
                r.live.corrects.as_deref().map(short).unwrap_or_default(),
            ]
        })
        .collect();
    table(
        &["编号", "笔录", "状态", "建立时间", "执法人员", "更正"],
        &rows,
    )?;
    out!("共 {} 份", records.len());
    Ok(())
}

/// "当事人拒绝签名；" or "当事人不在场；" before a witness's or the officers' sign-off.
fn why_prefix(why: Option<qc_domain::NoPartySignature>) -> String {
    why.map(|w| format!("{}；", w.zh())).unwrap_or_default()
}

fn signoff_line(s: Option<&PartySignoff>) -> String {
    match s {
        None => "（尚无）".into(),
        Some(PartySignoff::Party { name, .. }) => format!("当事人{name}签名"),
        Some(PartySignoff::Witness {
            name,
            party_absent_reason,
            party_did_not_sign,
            ..
        }) => format!(
            "{}{party_absent_reason}，见证人{name}签名",
            why_prefix(*party_did_not_sign)
        ),
        Some(PartySignoff::OfficersNote {
            note,
            party_did_not_sign,
            ..
        }) => format!("{}执法人员注明：{note}", why_prefix(*party_did_not_sign)),
    }
}

pub fn record(stored: &StoredRecord, as_json: bool) -> anyhow::Result<()> {
    if as_json {
        return json(stored);
    }
    let r = stored.authoritative()?;
    out!("{}  {}", r.body.zh(), r.id);
    out!("状态：{}", record_status(stored));
    for o in r.body.officers() {
        out!("执法人员：{}（执法证号 {}）", o.name, o.cert_no.0);
    }
    let time = |t: Option<Timestamp>| t.map_or("（未填）".into(), |t| t.display_china());
    match &r.body {
        RecordBody::Inspection(i) => {
            out!("检查地点：{}（网格 {}）", i.place.address, i.place.grid);
            out!(
                "检查时间：{} 至 {}",
                i.started_at.display_china(),
                time(i.ended_at)
            );
            if let Some(p) = &i.party {
                out!("当事人：{}", p.name);
            }
            out!(
                "当事人{}通知到场，{}在场",
                if i.party_notified { "已" } else { "未" },
                if i.party_present { "" } else { "不" }
            );
            out!("现场检查情况：{}", i.found);
            out!("处理方式：{}", i.outcome.map_or("（未选）", |o| o.zh()));
            out!("签名：{}", signoff_line(r.signoff.as_ref()));
        }
        RecordBody::Questioning(q) => {
            out!(
                "被询问人：{}（{}）",
                q.interviewee.name,
                q.interviewee.capacity
            );
            out!("询问地点：{}", q.location);
            out!(
                "询问时间：{} 至 {}",
                q.started_at.display_china(),
                time(q.ended_at)
            );
            out!(
                "权利义务告知：{}；回避询问：{}",
                if q.rights_acknowledged {
                    "已告知并确认"
                } else {
                    "未告知"
                },
                if q.recusal_asked {
                    "已询问"
                } else {
                    "未询问"
                }
            );
            for (n, page) in q.pages.iter().enumerate() {
                out!("—— 第{}页 ——", n + 1);
                for qa in &page.qa {
                    out!("问：{}", qa.question);
                    out!("答：{}", qa.answer);
                }
                out!(
                    "{}",
                    match &page.signature {
                        Some(PageSignature::Signed { at, .. }) =>
                            format!("被询问人签名（{}）", at.display_china()),
                        Some(PageSignature::Refused { note, .. }) => format!("拒签：{note}"),
                        None => "（本页尚未签名）".into(),
                    }
                );
            }
        }
        RecordBody::Preservation(n) | RecordBody::Sampling(n) => {
            for i in &n.items {
                out!("物品：{} {}", i.name, i.quantity);
            }
            out!("存放地点：{}", n.kept_at);
            out!("签名：{}", signoff_line(r.signoff.as_ref()));
        }
    }
    if let Some(c) = &r.corrects {
        out!("更正的笔录：{c}");
    }
    for c in &stored.conflicts {
        out!(
            "合并冲突（{}，待复核）：封存后收到的不同内容，摘要 {}",
            c.found_at.display_china(),
            short(&c.digest)
        );
    }
    Ok(())
}

/// The recordings a crash left, not yet evidence.
pub fn recordings(left: &[qc_api::recording::RecordingLeft], as_json: bool) -> anyhow::Result<()> {
    if as_json {
        return json(left);
    }
    if left.is_empty() {
        out!("没有中断的录制");
        return Ok(());
    }
    for r in left {
        out!(
            "{}  {}  {}  开始于 {}，写入至 {}，{} 字节  {}（{}）",
            r.id,
            short(&r.case),
            r.kind.zh(),
            r.started_at.display_china(),
            r.last_at.map(|t| t.display_china()).unwrap_or_default(),
            r.bytes,
            r.description,
            r.by.join("、")
        );
    }
    Ok(())
}

pub fn footage_links(links: &qc_api::footage::FootageLinks, as_json: bool) -> anyhow::Result<()> {
    if as_json {
        return json(links);
    }
    let title = |id: &str| {
        links
            .acts
            .iter()
            .find(|a| a.id == id)
            .map_or(id.to_owned(), |a| {
                format!("{}（{}）", a.title, short(&a.id))
            })
    };
    for a in &links.acts {
        out!(
            "{}  {}  {} – {}",
            a.id,
            a.title,
            a.from.display_china(),
            a.to.display_china()
        );
    }
    for (evidence, acts) in &links.proposed {
        let acts: Vec<String> = acts.iter().map(|a| title(a)).collect();
        out!("建议关联：证据 {} → {}", evidence, acts.join("、"));
    }
    Ok(())
}

pub fn evidence(items: &[EvidenceItem], as_json: bool) -> anyhow::Result<()> {
    if as_json {
        return json(items);
    }
    let rows: Vec<Vec<String>> = items
        .iter()
        .map(|e| {
            let f = &e.facts;
            let exif = f.exif.as_ref();
            let names: Vec<&str> = e
                .signatures
                .iter()
                .map(|s| s.officer.name.as_str())
                .collect();
            vec![
                short(&f.id),
                f.kind.zh().into(),
                f.mime.clone(),
                format!("{} 字节", f.size),
                short(&f.sha256),
                exif.and_then(|x| x.captured_at.clone()).unwrap_or_default(),
                exif.and_then(|x| x.gps)
                    .map(|g| format!("{:.5},{:.5}", g.lat, g.lon))
                    .unwrap_or_default(),
                names.join("、"),
                e.status_zh().into(),
            ]
        })
        .collect();
    table(
        &[
            "编号",
            "类型",
            "格式",
            "大小",
            "SHA-256",
            "拍摄时间",
            "位置",
            "签名",
            "状态",
        ],
        &rows,
    )?;
    out!("共 {} 项", items.len());
    Ok(())
}

pub fn list(rows: &[CaseRow], total: u64, as_json: bool) -> anyhow::Result<()> {
    if as_json {
        return json(rows);
    }
    if rows.is_empty() {
        out!("没有符合条件的案件（本机共 {total} 件）。");
        return Ok(());
    }
    table(
        &[
            "编号",
            "状态",
            "违法行为",
            "地点",
            "网格",
            "中队",
            "更新",
            "期限",
        ],
        &rows
            .iter()
            .map(|r| {
                vec![
                    r.id[..8].to_owned(),
                    status_zh(&r.status).into(),
                    cut(&r.violation_name, 20),
                    cut(&r.address, 24),
                    r.grid.clone(),
                    r.squad.clone(),
                    r.updated_at.display_china(),
                    deadline_badge(&r.deadlines),
                ]
            })
            .collect::<Vec<_>>(),
    )?;
    out!("共 {} 件（本机 {total} 件）", rows.len());
    Ok(())
}

pub fn show(d: &CaseDetail, as_json: bool) -> anyhow::Result<()> {
    if as_json {
        return json(d);
    }
    let h = &d.header;
    out!("案件 {}", h.id);
    out!("  状态：{}", status_zh(&d.row.status));
    out!(
        "  领域：{}　违法行为：{}",
        d.row.domain_name,
        d.row.violation_name
    );
    out!("  案源：{}", d.source_zh);
    out!("  地点：{}（网格 {}）", h.location.address, h.location.grid);
    if let Some(g) = h.location.gps {
        out!("  坐标：{:.6}, {:.6}", g.lat, g.lon);
    }
    if !d.row.parties.is_empty() {
        out!("  当事人：{}", d.row.parties);
    }
    out!("  案情：{}", h.summary);
    out!(
        "  登记：{} {}（{}）",
        h.registered_at.display_china(),
        d.registered_by_name,
        h.squad
    );
    out!();
    out!("办理过程：");
    if d.events.is_empty() {
        out!("  （尚无）");
    }
    for e in &d.events {
        out!(
            "  {}  {}  {}",
            e.at.display_china(),
            pad(&e.act_zh, 14),
            e.actors.join("、")
        );
    }
    if !d.row.deadlines.is_empty() {
        out!();
        out!("期限：");
        for dl in &d.row.deadlines {
            out!(
                "  {}  截止 {}  {}",
                pad(dl.kind.zh(), 20),
                dl.due.display_china(),
                dl.urgency.zh()
            );
        }
    }
    next_steps(&d.next_steps)?;
    reviews(&d.reviews)?;
    if let Some(aside) = &d.set_aside {
        out!();
        let why = if aside.reason.is_empty() {
            String::new()
        } else {
            format!("（{}）", aside.reason)
        };
        out!(
            "已搁置：本机 {} 条关于本案的记录未被基站采纳{why}，原件保存在本机，不计入本案",
            aside.entries
        );
    }
    if !d.anomalies.is_empty() {
        out!();
        out!("需复核（合并后与流程冲突的记录，已保留）：");
        for a in &d.anomalies {
            out!("  {}：{}", a.event, a.reason);
        }
    }
    Ok(())
}

/// What setting aside did.
pub fn set_aside(made: &qc_api::refused::SetAside, as_json: bool) -> anyhow::Result<()> {
    if as_json {
        return json(made);
    }
    let case = if made.case_removed {
        "基站从未接收该案，本机案件列表不再显示它（原件仍保存在本机）"
    } else {
        "案件已恢复到这些记录之前的状态"
    };
    done(
        &format!(
            "已搁置 {} 条关于 {} 的记录，原件保存在本机，下次同步时仅上传其位置；{case}",
            made.entries, made.case
        ),
        false,
    )
}

/// The case-file reviews (案卷评查) of a closed case: each one's grade, opinion and the lines
/// that lost points.
fn reviews(reviews: &[qc_api::view::ReviewView]) -> anyhow::Result<()> {
    use qc_api::view::SheetState;
    for r in reviews {
        out!();
        out!(
            "案卷评查：{}  {}",
            r.at.display_china(),
            r.reviewers.join("、")
        );
        let sheet = match &r.sheet {
            SheetState::Read { sheet } => sheet,
            SheetState::Pending => {
                out!("  评查表尚未取回（下次同步时取回）");
                continue;
            }
            SheetState::Unreadable { why } => {
                out!("  评查表与其签名记录不符，无法显示 (the sheet: {why})");
                continue;
            }
        };
        out!("  {} 分，{}", sheet.total, sheet.grade_zh);
        out!("  评查意见：{}", sheet.comment);
        for l in &sheet.lines {
            if l.score < l.max || !l.comment.is_empty() {
                out!("  {}：{}/{} 分  {}", l.zh, l.score, l.max, l.comment);
            }
        }
    }
    Ok(())
}

/// The acts that may come next: what, who, the command, and what is missing first.
fn next_steps(steps: &[NextStep]) -> anyhow::Result<()> {
    out!();
    out!("下一步：");
    if steps.is_empty() {
        out!("  （本案程序已终结）");
    }
    for s in steps {
        let who: Vec<&str> = s.roles.iter().map(|r| r.zh()).collect();
        let command = crate::acts::command_for(&s.act)
            .map(|c| format!("quancheng {c}"))
            .unwrap_or_default();
        out!("  {}  {}", pad(s.zh, 26), command);
        match &s.missing {
            Some(m) => out!("      由{}办理；尚需：{m}", who.join("、")),
            None => out!("      由{}办理；现在可以办理", who.join("、")),
        }
    }
    Ok(())
}

/// An act was recorded: what, and where the case stands now.
pub fn act_recorded(wire: &str, zh: &str, d: &CaseDetail, as_json: bool) -> anyhow::Result<()> {
    if as_json {
        return json(&serde_json::json!({
            "ok": true,
            "act": wire,
            "case": d.header.id,
            "status": d.row.status,
            "next_steps": d.next_steps,
        }));
    }
    out!(
        "已记录：{zh}（案件 {}，现为「{}」）",
        short(&d.header.id.0),
        status_zh(&d.row.status)
    );
    let now: Vec<&str> = d
        .next_steps
        .iter()
        .filter(|s| s.missing.is_none())
        .map(|s| s.zh)
        .collect();
    if !now.is_empty() {
        out!("下一步可办理：{}", now.join("、"));
    }
    Ok(())
}

/// The 721 ratio of a period.
pub fn ratio(
    squad: Option<&str>,
    (from, to): (time::Date, time::Date),
    r: &Ratio721,
    as_json: bool,
) -> anyhow::Result<()> {
    let total = r.service + r.management + r.enforcement;
    let share = |n: u64| {
        if total == 0 {
            0.0
        } else {
            n as f64 * 100.0 / total as f64
        }
    };
    if as_json {
        return json(&serde_json::json!({
            "squad": squad,
            "from": from.to_string(),
            "to": to.to_string(),
            "service": r.service,
            "management": r.management,
            "enforcement": r.enforcement,
            "total": total,
        }));
    }
    out!(
        "{} {from} 至 {to} 的 721 比例：",
        squad.unwrap_or("全部中队")
    );
    out!(
        "  服务（宣传教育、劝阻）  {:>5} 件  {:>5.1}%",
        r.service,
        share(r.service)
    );
    out!(
        "  管理（责令改正）        {:>5} 件  {:>5.1}%",
        r.management,
        share(r.management)
    );
    out!(
        "  执法（立案、当场处罚）  {:>5} 件  {:>5.1}%",
        r.enforcement,
        share(r.enforcement)
    );
    out!("  合计 {total} 件（目标 70% : 20% : 10%）");
    Ok(())
}

/// The verifier's report, in Chinese or English, with what a station said about the case if
/// it was asked (JSON: the report with a `freshness` field).
pub fn verify_report(
    r: &qc_bundle::Report,
    freshness: Option<&qc_bundle::Freshness>,
    lang: crate::cli::Lang,
    as_json: bool,
) -> anyhow::Result<()> {
    if as_json {
        let mut v = serde_json::to_value(r)?;
        if let (Some(f), Some(fields)) = (freshness, v.as_object_mut()) {
            fields.insert("freshness".into(), serde_json::to_value(f)?);
        }
        return json(&v);
    }
    let zh = lang == crate::cli::Lang::Zh;
    let key = &r.bureau_key[..16];
    if zh {
        out!(
            "案卷 {}（导出于 {}）",
            r.case,
            r.exported_at.display_china()
        );
        match r.key_source {
            qc_bundle::KeySource::Given => out!("信任的局根公钥：{key}…（由 --bureau 指定）"),
            qc_bundle::KeySource::FromBundle => out!(
                "信任的局根公钥：{key}…（取自案卷包本身：只能证明内容自洽；请用 --bureau 指定受信任的公钥）"
            ),
        }
        out!("已验证签名记录 {} 条", r.entries_verified);
        let rc = &r.receipts;
        match (&rc.log_key, &rc.log_key_source) {
            (Some(k), Some(source)) => out!(
                "基站回执：{}/{} 条记录已证明载入基站日志（日志公钥 {}…，{}）",
                rc.verified,
                rc.entries,
                &k[..16.min(k.len())],
                log_key_source(source, true)
            ),
            _ => out!("基站回执：无（案卷导出前未与基站同步）"),
        }
        out!();
        out!("卷内目录：");
    } else {
        out!(
            "Case {} (exported {})",
            r.case,
            r.exported_at.display_china()
        );
        match r.key_source {
            qc_bundle::KeySource::Given => out!("Trusted bureau key: {key}… (given with --bureau)"),
            qc_bundle::KeySource::FromBundle => out!(
                "Trusted bureau key: {key}… (taken from the bundle: proves consistency only; pass --bureau to prove the issuer)"
            ),
        }
        out!("{} signed entries verified", r.entries_verified);
        let rc = &r.receipts;
        match (&rc.log_key, &rc.log_key_source) {
            (Some(k), Some(source)) => out!(
                "Station receipts: {}/{} entries proven in the station's log (log key {}…, {})",
                rc.verified,
                rc.entries,
                &k[..16.min(k.len())],
                log_key_source(source, false)
            ),
            _ => out!("Station receipts: none (not synced before export)"),
        }
        out!();
        out!("Table of contents:");
    }
    for item in &r.items {
        out!(
            "  {:>3}  {}  {}  {}  {}",
            item.no,
            pad(&item.section_zh, 12),
            pad(&item.title, 20),
            item.time.display_china(),
            item.signers.join("、")
        );
    }
    out!();
    if r.is_clean() {
        out!(
            "{}",
            if zh {
                "结论：完整、未被篡改"
            } else {
                "Result: complete and unaltered"
            }
        );
    } else {
        out!(
            "{}",
            if zh {
                format!("结论：发现 {} 处问题", r.problems.len())
            } else {
                format!("Result: {} problems found", r.problems.len())
            }
        );
        for p in &r.problems {
            out!("  - {}", if zh { p.zh() } else { p.en() });
        }
    }
    if let Some(f) = freshness {
        freshness_report(f, zh)?;
    }
    Ok(())
}

/// Where the station's log key came from.
fn log_key_source(source: &qc_bundle::KeySource, zh: bool) -> &'static str {
    match (source, zh) {
        (qc_bundle::KeySource::Given, true) => "由 --log-key 指定",
        (qc_bundle::KeySource::FromBundle, true) => "取自回执本身",
        (qc_bundle::KeySource::Given, false) => "given with --log-key",
        (qc_bundle::KeySource::FromBundle, false) => "named by the receipts",
    }
}

/// What the station logged about the case, compared with the bundle.
fn freshness_report(f: &qc_bundle::Freshness, zh: bool) -> anyhow::Result<()> {
    let key = &f.log_key[..16.min(f.log_key.len())];
    let source = log_key_source(&f.log_key_source, zh);
    let short = |h: &String| h[..12.min(h.len())].to_owned();
    out!();
    if zh {
        out!(
            "基站核对（基站日志截至 {}，共 {} 条；日志公钥 {key}…，{source}）：基站记有本案 {} 条记录",
            f.checked_at.display_china(),
            f.log_size,
            f.logged
        );
        if !f.newer.is_empty() {
            out!(
                "  - 基站记有本案卷包中没有的 {} 条本案记录：案件在导出后仍有进展，本案卷包不是最新的",
                f.newer.len()
            );
            for h in &f.newer {
                out!("    {}", short(h));
            }
        }
        if !f.omitted.is_empty() {
            out!(
                "  - 基站的答复缺少本案卷包中已有回执的 {} 条记录：答复不完整，不能据此判断是否最新",
                f.omitted.len()
            );
        }
        if f.is_current() {
            out!("结论：基站没有本案卷包之外的本案记录，本案卷包是最新的");
        } else {
            out!("结论：本案卷包不是基站所知的最新状态");
        }
    } else {
        out!(
            "Station check (its log as of {}, {} entries; log key {key}…, {source}): {} entries about this case logged",
            f.checked_at.display_china(),
            f.log_size,
            f.logged
        );
        if !f.newer.is_empty() {
            out!(
                "  - {} entries about the case are logged but not in the bundle: the case went on after this export",
                f.newer.len()
            );
            for h in &f.newer {
                out!("    {}", short(h));
            }
        }
        if !f.omitted.is_empty() {
            out!(
                "  - the station's answer leaves out {} entries the bundle's receipts prove it logged: the answer is incomplete",
                f.omitted.len()
            );
        }
        if f.is_current() {
            out!("Result: the station logged nothing about the case that the bundle lacks");
        } else {
            out!("Result: the bundle is not the latest state the station knows");
        }
    }
    Ok(())
}

/// A desk account's activation code for the administrator to hand over (`what` says what was
/// done).
pub fn activation(
    code: &qc_console::ActivationCode,
    what: &str,
    as_json: bool,
) -> anyhow::Result<()> {
    if as_json {
        return json(code);
    }
    out!("{what}：{}", code.login);
    out!("请将以下激活码当面交给账号本人（仅显示这一次），在控制台激活页设置密码并绑定验证器：");
    out!("  激活码：{}", code.code);
    out!(
        "  激活页：/console/activate#{}",
        qc_console::activation_fragment(code)
    );
    out!(
        "  有效期至：{}",
        qc_domain::Timestamp(code.until).display_china()
    );
    Ok(())
}

/// A desk account made: what its holder needs to sign in to the console.
pub fn desk_account(made: &qc_console::Enrolled, as_json: bool) -> anyhow::Result<()> {
    let a = &made.account;
    if as_json {
        return json(&serde_json::json!({
            "account": a,
            "totp_secret": made.totp_secret,
            "otpauth_url": made.otpauth_url,
        }));
    }
    out!(
        "已建立控制台账号：{}（{}，{}）",
        a.login,
        a.name,
        a.role_label
    );
    out!("请在身份验证器应用中添加以下密钥（仅显示这一次）：");
    out!("  密钥：{}", made.totp_secret);
    out!("  链接：{}", made.otpauth_url);
    Ok(())
}

/// The evidence files approved deletions removed: their SHA-256 alone, one per line, for a
/// backup job to read (with `--json`, each with when it went, ms since the epoch).
pub fn deleted_originals(deleted: &[([u8; 32], i64)], as_json: bool) -> anyhow::Result<()> {
    if as_json {
        let list: Vec<serde_json::Value> = deleted
            .iter()
            .map(|(hash, at)| serde_json::json!({ "sha256": hex::encode(hash), "deleted_at": at }))
            .collect();
        return json(&list);
    }
    for (hash, _) in deleted {
        out!("{}", hex::encode(hash));
    }
    Ok(())
}

/// A desk act signed at the command line: what it made.
pub fn desk_act(made: &serde_json::Value, as_json: bool) -> anyhow::Result<()> {
    if as_json {
        return json(made);
    }
    out!("已签名记入执法全过程记录：");
    out!("{}", serde_json::to_string_pretty(made)?);
    Ok(())
}

/// An enrolment code issued as a signed act, for the administrator to hand over.
pub fn signed_enrolment_code(
    code: &qc_console::EnrolmentCode,
    as_json: bool,
) -> anyhow::Result<()> {
    if as_json {
        return json(code);
    }
    done(
        &format!(
            "登记码：{}（用于{}的新设备，有效期至 {}，仅能使用一次；已签名记入执法全过程记录）",
            code.code,
            code.squad,
            qc_domain::Timestamp(code.expires_at).display_china()
        ),
        false,
    )
}

/// An enrolment code for the administrator to hand over.
pub fn enrolment_code(
    code: &str,
    grant: &qc_server::storage::Grant,
    as_json: bool,
) -> anyhow::Result<()> {
    use qc_server::storage::Grant;
    if as_json {
        let (kind, whom) = match grant {
            Grant::Device { squad } => ("device", squad),
            Grant::Officer { person } => ("officer", person),
        };
        println!(
            "{}",
            serde_json::json!({ "code": code, "for": kind, "whom": whom })
        );
        return Ok(());
    }
    let what = match grant {
        Grant::Device { squad } => format!("{squad}的新设备"),
        Grant::Officer { person } => format!("{person} 在已登记设备上的签名密钥"),
    };
    done(
        &format!("登记码：{code}（用于{what}，24小时内有效，仅能使用一次）"),
        false,
    )
}

/// The documents of a case: what can be issued and what was.
pub fn documents(rows: &[qc_api::documents::DocumentRow], as_json: bool) -> anyhow::Result<()> {
    if as_json {
        return json(rows);
    }
    if rows.is_empty() {
        out!("本案目前没有可出具的文书");
        return Ok(());
    }
    for r in rows {
        let state = match &r.issued {
            Some(d) if r.outdated => format!("{}（记录已变化，需重新出具）", d.number),
            Some(d) if r.bureau_changed => {
                format!("{}（本局权责清单或文书用语已更新，原文书有效）", d.number)
            }
            Some(d) if d.number.is_empty() => format!("已出具，{} 页", d.pages),
            Some(d) => format!("{}，{} 页", d.number, d.pages),
            None => "未出具".into(),
        };
        out!(
            "{} {} {} {}",
            pad(&r.title, 26),
            pad(&r.kind, 22),
            pad(&state, 34),
            r.source
        );
    }
    Ok(())
}

/// A document just issued (or issued before with the same data).
pub fn issued(d: &qc_casedoc::IssuedDocument, as_json: bool) -> anyhow::Result<()> {
    if as_json {
        return json(d);
    }
    let title = qc_domain::DocumentKind::from_name(&d.kind).map_or(d.kind.as_str(), |k| k.title());
    out!(
        "已出具{title} {}（{} 页，PDF SHA-256 {}，数据摘要 {}）",
        d.number,
        d.pages,
        &d.pdf[..16],
        &d.data[..16]
    );
    Ok(())
}

/// What checking a paper copy's PDF against a bundle found.
pub fn pdf_check(
    file: &std::path::Path,
    verdict: &qc_api::documents::PdfCheck,
    report: &qc_bundle::Report,
    as_json: bool,
) -> anyhow::Result<()> {
    if as_json {
        return json(&serde_json::json!({
            "holds": verdict.holds() && report.is_clean(),
            "pdf": verdict,
            "bundle_clean": report.is_clean(),
        }));
    }
    if !report.is_clean() {
        out!(
            "案卷包未通过验证（{} 个问题），其中的文书不能作为依据",
            report.problems.len()
        );
    }
    out!("{}：{}", file.display(), verdict.zh());
    Ok(())
}

/// Plain text as it is.
pub fn text(s: &str) -> anyhow::Result<()> {
    out!("{s}");
    Ok(())
}

/// Every issued document of a bundle rendered again from its data.
pub fn reproductions(
    r: &Result<Vec<qc_api::documents::Reproduction>, qc_api::ApiError>,
    zh: bool,
) -> anyhow::Result<()> {
    match r {
        Ok(list) if list.is_empty() => {}
        Ok(list) => {
            let differ: Vec<&str> = list
                .iter()
                .filter(|d| !d.same)
                .map(|d| d.number.as_str())
                .collect();
            match (differ.is_empty(), zh) {
                (true, true) => out!(
                    "文书复核：{} 份文书由其数据重新排版，与出具的 PDF 逐字节一致",
                    list.len()
                ),
                (true, false) => out!(
                    "Documents: {} re-rendered from their data, byte-identical to the issued PDFs",
                    list.len()
                ),
                (false, true) => out!(
                    "文书复核：由数据重新排版与出具的 PDF 不一致：{}",
                    differ.join("、")
                ),
                (false, false) => out!(
                    "Documents: re-rendering differs from the issued PDF: {}",
                    differ.join(", ")
                ),
            }
        }
        Err(e) if zh => out!("文书复核：未进行（{}）", e.message_zh()),
        Err(e) => out!("Documents: not re-rendered ({e})"),
    }
    Ok(())
}
