//! 双随机、一公开 at the desk: the register of inspection targets imported from a spreadsheet
//! (CSV as Excel or WPS saves it, UTF-8 or GBK) and previewed before anything is signed, the
//! head's plan and draw (signed onto the log by the station), the draws listed, and the drawn
//! ones published with the files anyone needs to repeat them.

use std::collections::BTreeMap;

use qc_domain::draw::{DrawPlan, InspectionReport, Inspector, MAX_TARGETS, Outcome, Target};
use qc_domain::{Role, Timestamp};
use qc_server::{Draw, Service};
use qc_station_storage::Storage;
use serde::{Deserialize, Serialize};

use crate::{Console, ConsoleError, DeskRole, Session};

/// Most bytes of a register file.
pub const REGISTER_MAX_BYTES: usize = 16 * 1024 * 1024;
/// Most lines left out that a preview lists (then it says there are more).
const PROBLEMS_SHOWN: usize = 200;

/// What the import found in a register file, before anything is signed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegisterPreview {
    /// The targets read, in the file's order.
    pub targets: Vec<Target>,
    /// Lines left out, each with its reason in Chinese.
    pub problems: Vec<String>,
    /// The encoding the file was read in.
    pub encoding: &'static str,
}

/// A target drawn, who inspects it, and what they found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TaskItem {
    /// The target as the register gives it.
    #[serde(flatten)]
    pub target: Target,
    /// The inspectors drawn, with their squads.
    pub inspectors: Vec<Inspector>,
    /// The latest report of the inspection, once made.
    pub report: Option<ReportItem>,
    /// Whether the account records the result (the head, or the leader of an inspector's
    /// squad).
    pub may_report: bool,
}

/// What an inspection found, as published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportItem {
    /// The outcome's code.
    pub outcome: Outcome,
    /// The outcome in Chinese.
    pub outcome_label: &'static str,
    /// The case filed, or empty.
    pub case: String,
    /// The inspectors' note.
    pub note: String,
    /// When reported (ms).
    pub reported_at: i64,
}

impl From<&InspectionReport> for ReportItem {
    fn from(r: &InspectionReport) -> ReportItem {
        ReportItem {
            outcome: r.outcome,
            outcome_label: r.outcome.zh(),
            case: r.case.clone(),
            note: r.note.clone(),
            reported_at: r.reported_at.0,
        }
    }
}

/// A report as the page sends it.
#[derive(Debug, Clone, Deserialize)]
pub struct ReportForm {
    /// The target's id.
    pub target: String,
    /// What was found.
    pub outcome: Outcome,
    /// The case filed, or empty.
    #[serde(default)]
    pub case: String,
    /// The inspectors' note.
    #[serde(default)]
    pub note: String,
}

/// A random inspection as the console shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DrawItem {
    /// The draw's id.
    pub id: String,
    /// What is inspected.
    pub title: String,
    /// Targets to draw.
    pub count: u32,
    /// Targets in the register.
    pub register_size: usize,
    /// Inspectors who could be drawn.
    pub inspector_count: usize,
    /// When planned (ms).
    pub planned_at: i64,
    /// SHA-256 of the plan's JSON, hex.
    pub plan_digest: String,
    /// The plan's index in the log.
    pub plan_index: u64,
    /// The size of the log tree whose root seeds the draw.
    pub seed_size: u64,
    /// Whether the log holds that tree (the draw can be made).
    pub seedable: bool,
    /// When drawn (ms), once drawn.
    pub drawn_at: Option<i64>,
    /// The seeding root, hex, once drawn.
    pub root: Option<String>,
    /// What was drawn, in the order drawn.
    pub tasks: Vec<TaskItem>,
}

/// The draws, and what the account may do with them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DrawList {
    /// A page of them, newest plan first.
    pub draws: Vec<DrawItem>,
    /// How many there are.
    pub total: u64,
    /// Whether the account plans and makes draws (the head).
    pub may_draw: bool,
    /// Who could be drawn (the bureau's enforcement officers of the squads), for a new plan.
    pub inspectors: Vec<Inspector>,
}

/// A new plan as the page sends it.
#[derive(Debug, Clone, Deserialize)]
pub struct PlanForm {
    /// What is inspected.
    pub title: String,
    /// Targets to draw.
    pub count: u32,
    /// The register as previewed.
    pub targets: Vec<Target>,
    /// The person ids of the inspectors chosen.
    pub inspectors: Vec<String>,
}

/// The columns a register's header may name, by field (the first found is taken).
const COLUMNS: [(&str, &[&str]); 4] = [
    (
        "id",
        &["编号", "统一社会信用代码", "信用代码", "对象编号", "id"],
    ),
    (
        "name",
        &["名称", "对象名称", "单位名称", "商户名称", "name"],
    ),
    ("address", &["地址", "经营地址", "address"]),
    ("category", &["类别", "类型", "行业", "category"]),
];

/// Reads a register: a header line naming at least the id and name columns, then one target
/// per line. UTF-8 (with or without a byte-order mark) or, failing that, GBK as Excel saves
/// CSV on Chinese Windows.
pub fn read_register(bytes: &[u8]) -> Result<RegisterPreview, ConsoleError> {
    if bytes.len() > REGISTER_MAX_BYTES {
        let mb = REGISTER_MAX_BYTES / 1024 / 1024;
        return Err(ConsoleError::bad(
            format!("名录文件超过 {mb} MB"),
            format!("The register file is over {mb} MB"),
        ));
    }
    let (text, encoding) = match std::str::from_utf8(bytes) {
        Ok(s) => (
            std::borrow::Cow::Borrowed(s.strip_prefix('\u{feff}').unwrap_or(s)),
            "UTF-8",
        ),
        Err(_) => {
            let (s, _, bad) = encoding_rs::GBK.decode(bytes);
            if bad {
                return Err(ConsoleError::bad(
                    "名录文件既不是 UTF-8 也不是 GBK 编码的 CSV",
                    "The register file is not a CSV file in UTF-8 or GBK",
                ));
            }
            (s, "GBK")
        }
    };
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header = reader
        .headers()
        .map_err(|e| {
            ConsoleError::bad(
                format!("名录文件的表头无法读取：{e}"),
                format!("The register file's header line cannot be read: {e}"),
            )
        })?
        .clone();
    let column: BTreeMap<&str, usize> = COLUMNS
        .iter()
        .filter_map(|(field, names)| {
            let at = header
                .iter()
                .position(|h| names.iter().any(|n| h.eq_ignore_ascii_case(n)))?;
            Some((*field, at))
        })
        .collect();
    if !(column.contains_key("id") && column.contains_key("name")) {
        return Err(ConsoleError::bad(
            "名录文件的表头须有“编号”（或“统一社会信用代码”）和“名称”两列",
            "The register file's header line needs an id column (编号, 统一社会信用代码 or id) \
             and a name column (名称 or name)",
        ));
    }
    let mut preview = RegisterPreview {
        targets: Vec::new(),
        problems: Vec::new(),
        encoding,
    };
    let mut seen = BTreeMap::new();
    let problem = |p: &mut RegisterPreview, why: String| {
        if p.problems.len() < PROBLEMS_SHOWN {
            p.problems.push(why);
        } else if p.problems.len() == PROBLEMS_SHOWN {
            p.problems.push("……其余有问题的行不再列出".into());
        }
    };
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, csv::Position::line);
                problem(&mut preview, format!("第 {line} 行无法读取：{e}"));
                continue;
            }
        };
        // The line the record starts on (a quoted field may span lines; blank lines count).
        let line = record.position().map_or(0, csv::Position::line);
        if record.iter().all(str::is_empty) {
            continue;
        }
        let field = |f: &str| {
            column
                .get(f)
                .and_then(|&at| record.get(at))
                .unwrap_or_default()
                .to_owned()
        };
        let target = Target {
            id: field("id"),
            name: field("name"),
            address: field("address"),
            category: field("category"),
        };
        let lone = DrawPlan::new(
            "draw-preview",
            "预览",
            1,
            vec![target.clone()],
            vec![placeholder("a"), placeholder("b")],
            Timestamp(0),
        );
        if let Err(e) = lone {
            problem(&mut preview, format!("第 {line} 行：{}", e.zh()));
        } else if let Some(first) = seen.insert(target.id.clone(), line) {
            let why = format!(
                "第 {line} 行：编号 {} 与第 {first} 行重复，未导入",
                target.id
            );
            problem(&mut preview, why);
            seen.insert(target.id, first);
        } else if preview.targets.len() == MAX_TARGETS {
            return Err(ConsoleError::bad(
                format!("名录超过 {MAX_TARGETS} 个检查对象，请分批抽查"),
                format!(
                    "The register holds more than {MAX_TARGETS} targets; draw from it in parts"
                ),
            ));
        } else {
            preview.targets.push(target);
        }
    }
    Ok(preview)
}

/// An inspector standing in while one target's fields are checked on their own.
fn placeholder(id: &str) -> Inspector {
    Inspector {
        id: id.into(),
        name: id.into(),
        squad: String::new(),
    }
}

/// `d` as shown; `may_report` says whether the account records the result of a target with
/// these inspectors.
fn item(d: Draw, may_report: impl Fn(&[Inspector]) -> bool) -> DrawItem {
    let tasks = d
        .result
        .as_ref()
        .map(|r| {
            r.tasks
                .iter()
                .filter_map(|t| {
                    let inspectors = d.plan.inspectors_of(t);
                    Some(TaskItem {
                        target: d.plan.target(&t.target)?.clone(),
                        report: d.report(&t.target).map(ReportItem::from),
                        may_report: may_report(&inspectors),
                        inspectors,
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    DrawItem {
        id: d.plan.id.clone(),
        title: d.plan.title.clone(),
        count: d.plan.count,
        register_size: d.plan.targets.len(),
        inspector_count: d.plan.inspectors.len(),
        planned_at: d.plan.planned_at.0,
        plan_digest: hex::encode(d.plan_digest),
        plan_index: d.plan_index,
        seed_size: qc_domain::draw::seed_size(d.plan_index),
        seedable: d.seedable,
        drawn_at: d.result.as_ref().map(|r| r.drawn_at.0),
        root: d.result.as_ref().map(|r| r.root.clone()),
        tasks,
    }
}

/// Whether the account records the result of a target these inspectors inspected: the head,
/// or a squad leader of one of their squads.
fn reports_for(session: &Session, inspectors: &[Inspector]) -> bool {
    let account = &session.account;
    match account.role {
        DeskRole::Head => true,
        DeskRole::SquadLeader => inspectors.iter().any(|i| account.squads.contains(&i.squad)),
        _ => false,
    }
}

/// A page of the published draws.
#[derive(Debug, Clone, Serialize)]
pub struct PublishedDraws {
    /// Those of the page whose seed is fixed, newest first.
    pub draws: Vec<DrawItem>,
    /// How many plans there are (the pages to turn; the newest may still wait for a seed).
    pub total: u64,
}

/// Whether the account plans and makes draws: the head.
fn may_draw(session: &Session) -> bool {
    session.account.role == DeskRole::Head
}

impl Console {
    /// A page of the draws (`limit` from `offset`, at most 50), for any desk account (what is
    /// drawn is published anyway); with the inspectors who could be drawn for the head, who
    /// plans.
    pub fn draws<S: Storage>(
        &self,
        station: &Service<S>,
        session: &Session,
        (limit, offset): (u32, u32),
    ) -> Result<DrawList, ConsoleError> {
        let may = may_draw(session);
        // Only the page's draws are read: a bureau's years of draws cost no more.
        let (draws, total) = station.draws_page(offset as usize, limit.clamp(1, 50) as usize)?;
        Ok(DrawList {
            draws: draws
                .into_iter()
                .map(|d| item(d, |i| reports_for(session, i)))
                .collect(),
            total: total as u64,
            may_draw: may,
            inspectors: if may {
                station
                    .bureau_people()
                    .iter()
                    .filter_map(Inspector::of)
                    .collect()
            } else {
                Vec::new()
            },
        })
    }

    /// A page of the random inspections, newest first, for anyone (一公开): those whose seed
    /// is fixed, with what was drawn and found, and the files to repeat the draw. A plan
    /// undrawn once its seed is known is listed too; one still waiting for its seed is not
    /// (its targets known early, whoever writes the next entry could steer the seed), so a
    /// page may hold fewer than `limit` (at most 50).
    pub fn published_draws<S: Storage>(
        &self,
        station: &Service<S>,
        (limit, offset): (u32, u32),
    ) -> Result<PublishedDraws, ConsoleError> {
        let limit = limit.clamp(1, 50) as usize;
        let (draws, total) = station.draws_page(offset as usize, limit)?;
        Ok(PublishedDraws {
            draws: draws
                .into_iter()
                .filter(|d| d.seedable)
                .map(|d| item(d, |_| false))
                .collect(),
            total: total as u64,
        })
    }

    /// The JSON of an inspection's plan (`which` = `plan.json`, once its seed is fixed) or
    /// its result (`result.json`, once drawn), as signed: what anyone repeats the draw from.
    pub fn draw_file<S: Storage>(
        &self,
        station: &Service<S>,
        id: &str,
        which: &str,
    ) -> Result<Vec<u8>, ConsoleError> {
        let draw = station
            .draw(id)?
            .filter(|d| d.seedable)
            .ok_or(ConsoleError::NotFound)?;
        let digest = match which {
            "plan.json" => draw.plan_digest,
            "result.json" => draw.result_digest.ok_or(ConsoleError::NotFound)?,
            _ => return Err(ConsoleError::NotFound),
        };
        Ok(station.sheet(&digest)?)
    }

    /// Reads a register file for the head to look over before planning.
    pub fn preview_register(
        &self,
        session: &Session,
        bytes: &[u8],
    ) -> Result<RegisterPreview, ConsoleError> {
        if !may_draw(session) {
            return Err(ConsoleError::Forbidden);
        }
        read_register(bytes)
    }

    /// 抽查计划: the head signs a plan of `form` (the inspectors by person id, each an
    /// enforcement officer of the bureau), its id made here.
    pub fn plan_draw<S: Storage>(
        &self,
        station: &Service<S>,
        session: &Session,
        (form, password): (PlanForm, &str),
        source: &str,
        now: Timestamp,
    ) -> Result<DrawItem, ConsoleError> {
        if !may_draw(session) {
            return Err(ConsoleError::Forbidden);
        }
        let people = station.bureau_people();
        let inspectors = form
            .inspectors
            .iter()
            .map(|id| {
                people
                    .iter()
                    .find(|p| p.id.0 == *id)
                    .and_then(Inspector::of)
                    .ok_or_else(|| {
                        ConsoleError::bad(
                            format!("{id} 不是本局的执法队员，不能抽为检查人员"),
                            format!(
                                "{id} is not an enforcement officer of the bureau, so cannot \
                                 be drawn as an inspector"
                            ),
                        )
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        // Newest last in the ids' order, to the second (Beijing time), as the lists read them.
        let t = now.to_china_time();
        let id = format!(
            "draw-{:04}{:02}{:02}{:02}{:02}{:02}-{}",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
            hex::encode(self.random::<3>())
        );
        let plan = DrawPlan::new(&id, &form.title, form.count, form.targets, inspectors, now)
            .map_err(|e| ConsoleError::bad(e.zh(), e.to_string()))?;
        let draw = self.sign_as(station, session, (Role::Head, password), now, |signer| {
            station.plan_inspection(&plan, signer, now).map(Some)
        })?;
        self.recorded(
            station.storage(),
            session,
            &format!(
                "双随机抽查计划 {id}（{}，从 {} 个对象中抽取 {} 个）",
                plan.title,
                plan.targets.len(),
                plan.count
            ),
            source,
            now,
        );
        Ok(item(draw, |i| reports_for(session, i)))
    }

    /// 随机抽取: the head makes the draw of plan `id`, once the log holds its seed.
    pub fn make_draw<S: Storage>(
        &self,
        station: &Service<S>,
        session: &Session,
        (id, password): (&str, &str),
        source: &str,
        now: Timestamp,
    ) -> Result<DrawItem, ConsoleError> {
        if !may_draw(session) {
            return Err(ConsoleError::Forbidden);
        }
        let draw = self
            .sign_as(station, session, (Role::Head, password), now, |signer| {
                station.draw_inspection(id, signer, now)
            })
            .map_err(|e| match e {
                ConsoleError::Station(qc_server::ServiceError::OutOfStep(_)) => ConsoleError::bad(
                    "日志中还没有计划之后的记录，随机种子尚未确定，请稍后再抽取",
                    "The log holds no entry after the plan yet, so the random seed is not \
                     settled; draw a little later",
                ),
                other => other,
            })?;
        self.recorded(
            station.storage(),
            session,
            &format!("双随机抽取 {id}"),
            source,
            now,
        );
        Ok(item(draw, |i| reports_for(session, i)))
    }

    /// 检查结果: the head, or the leader of an inspector's squad, records what the inspection
    /// of a drawn target found (signed onto the log, published).
    pub fn report_draw<S: Storage>(
        &self,
        station: &Service<S>,
        session: &Session,
        (id, form, password): (&str, ReportForm, &str),
        source: &str,
        now: Timestamp,
    ) -> Result<DrawItem, ConsoleError> {
        let role = match session.account.role {
            DeskRole::Head => Role::Head,
            DeskRole::SquadLeader => Role::SquadLeader,
            _ => return Err(ConsoleError::Forbidden),
        };
        let draw = station.draw(id)?.ok_or(ConsoleError::NotFound)?;
        let result = draw.result.as_ref().ok_or_else(|| {
            ConsoleError::bad(
                "尚未抽取，不能录入检查结果",
                "Nothing has been drawn yet, so no inspection result can be entered",
            )
        })?;
        // A target not drawn is the report's to refuse, with its reason.
        if let Some(task) = result.task(&form.target)
            && !reports_for(session, &draw.plan.inspectors_of(task))
        {
            return Err(ConsoleError::Forbidden);
        }
        let report = InspectionReport::new(
            result,
            (&form.target, form.outcome, &form.case),
            &form.note,
            now,
        )
        .map_err(|e| ConsoleError::bad(e.zh(), e.to_string()))?;
        let draw = self.sign_as(station, session, (role, password), now, |signer| {
            station.report_inspection(&report, signer, now)
        })?;
        self.recorded(
            station.storage(),
            session,
            &format!(
                "双随机检查结果 {id} {}：{}",
                report.target,
                report.outcome.zh()
            ),
            source,
            now,
        );
        Ok(item(draw, |i| reports_for(session, i)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_register_is_read_in_utf8_or_gbk_and_bad_lines_are_named() {
        let csv = "\u{feff}统一社会信用代码,名称,地址,类别\n\
                   91650100A,一号商店,解放路1号,沿街商户\n\
                   ,无编号商店,解放路2号,沿街商户\n\
                   91650100A,重复商店,解放路3号,沿街商户\n\
                   \n\
                   91650100B,\"二号,工地\",新华路8号,建筑工地\n\
                   ,第八行,解放路8号,沿街商户\n";
        let p = read_register(csv.as_bytes()).unwrap();
        assert_eq!(p.encoding, "UTF-8");
        let names: Vec<&str> = p.targets.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["一号商店", "二号,工地"]);
        assert_eq!(p.problems.len(), 3, "{:?}", p.problems);
        assert!(p.problems[0].starts_with("第 3 行"), "{:?}", p.problems);
        assert!(p.problems[1].contains("与第 2 行重复"), "{:?}", p.problems);
        // After a blank line, the line number is still the file's.
        assert!(p.problems[2].starts_with("第 7 行"), "{:?}", p.problems);

        let (gbk, _, _) = encoding_rs::GBK.encode("编号,名称\nA1,三号商店\n");
        let p = read_register(&gbk).unwrap();
        assert_eq!(p.encoding, "GBK");
        assert_eq!(p.targets[0].name, "三号商店");

        let e = read_register("名字,地址\n甲,乙\n".as_bytes()).unwrap_err();
        assert!(e.message_zh().contains("表头"), "{}", e.message_zh());
    }
}
