//! 双随机、一公开 — random inspection (001 第三章): inspection targets drawn from a register and
//! two enforcement officers drawn for each, by a rule anyone can repeat from what is published
//! (docs/random-inspection.md), then the results made public.
//!
//! A draw happens in two signed acts. The plan ([`DrawPlan`]) fixes the inputs: the register,
//! the eligible inspectors and how many targets. Once the plan is on the log, the seed is the
//! root of the log's first tree that holds the plan and one entry after it, a value nobody knew
//! when the plan was signed; the draw ([`DrawResult`]) is [`draw`] of the plan under that seed.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use thiserror::Error;

use crate::{EnforcementOfficer, Person, Role, SignersRequired, Timestamp};

/// The `format` of a plan's JSON.
pub const PLAN_FORMAT: &str = "quancheng-draw-plan";
/// The `format` of a draw's JSON.
pub const RESULT_FORMAT: &str = "quancheng-draw-result";
/// How every draw's id begins; it stands where an entry names its case, and no case id
/// begins so.
pub const DRAW_PREFIX: &str = "draw-";
/// Inspectors drawn for each target (two officers inspect together).
pub const INSPECTORS_PER_TARGET: usize = 2;
/// Most targets in one register.
pub const MAX_TARGETS: usize = 100_000;
/// Most characters of one field of a target or of the title.
pub const FIELD_MAX_CHARS: usize = 200;
/// Most bytes of a plan's JSON (the page sends it whole; the station reads it back whole).
pub const PLAN_MAX_BYTES: usize = 32 * 1024 * 1024;

/// Who plans and makes a draw: the head of unit (负责人), who answers for the inspection plan.
pub const DRAWERS: SignersRequired = SignersRequired {
    roles: &[Role::Head],
    officers: 0,
};

/// One entry of the register of inspection targets (检查对象名录库).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    /// The register's own id of the target (e.g. the unified social credit code).
    pub id: String,
    /// Name of the shop, site or unit.
    pub name: String,
    /// Address.
    pub address: String,
    /// Kind of target (e.g. 沿街商户, 建筑工地), as the register says.
    pub category: String,
}

/// An inspector who may be drawn (执法检查人员名录库): an enforcement officer of a squad (a
/// team member or its leader), never an assistant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inspector {
    /// The person's id.
    pub id: String,
    /// Full name.
    pub name: String,
    /// Squad (中队).
    pub squad: String,
}

impl From<&EnforcementOfficer> for Inspector {
    fn from(officer: &EnforcementOfficer) -> Inspector {
        let p = officer.person();
        Inspector {
            id: p.id.0.clone(),
            name: p.name.clone(),
            squad: p.squad.clone(),
        }
    }
}

impl Inspector {
    /// The inspector `person` would be: an enforcement officer of a squad (not an assistant,
    /// nor the desks' legal reviewer or head).
    pub fn of(person: &Person) -> Option<Inspector> {
        EnforcementOfficer::try_from(person.clone())
            .ok()
            .filter(|o| {
                matches!(
                    o.person().role,
                    Role::EnforcementOfficer | Role::SquadLeader
                )
            })
            .map(|o| Inspector::from(&o))
    }
}

/// 抽查计划 — what a draw is made from, signed before anyone can know the seed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrawPlan {
    /// Always [`PLAN_FORMAT`].
    pub format: String,
    /// Layout version, 1.
    pub version: u32,
    /// The draw's id ([`DRAW_PREFIX`] then letters, digits and `-`).
    pub id: String,
    /// What the inspection is (e.g. 2026年第四季度沿街商户市容秩序抽查).
    pub title: String,
    /// How many targets are drawn.
    pub count: u32,
    /// The register, in the order it was imported.
    pub targets: Vec<Target>,
    /// The inspectors who may be drawn.
    pub inspectors: Vec<Inspector>,
    /// When the plan was signed.
    pub planned_at: Timestamp,
}

/// One target drawn and the inspectors drawn for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    /// The target's id in the register.
    pub target: String,
    /// The inspectors' ids, in the order drawn.
    pub inspectors: Vec<String>,
}

/// 抽取结果 — the draw as made: its plan, its seed and what was drawn.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrawResult {
    /// Always [`RESULT_FORMAT`].
    pub format: String,
    /// Layout version, 1.
    pub version: u32,
    /// The draw's id (the plan's).
    pub id: String,
    /// SHA-256 of the plan's JSON, lowercase hex.
    pub plan: String,
    /// Size of the log tree whose root seeds the draw: the plan's index plus two.
    pub seed_size: u64,
    /// That tree's root hash, lowercase hex.
    pub root: String,
    /// The targets drawn, in the order drawn.
    pub tasks: Vec<Task>,
    /// When the draw was signed.
    pub drawn_at: Timestamp,
}

/// Why a plan or a draw is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DrawError {
    /// The register holds no target.
    #[error("the register holds no target")]
    NoTargets,
    /// More targets than a register may hold.
    #[error("the register holds {0} targets, more than {MAX_TARGETS}")]
    TooManyTargets(usize),
    /// Two targets share an id.
    #[error("target id {0} appears twice")]
    DuplicateTarget(String),
    /// An id, name or title empty, too long or holding control characters.
    #[error("{field} of {what} is empty, too long or holds control characters")]
    BadField {
        /// Which field.
        field: &'static str,
        /// Whose (a target's id, or the plan).
        what: String,
    },
    /// Fewer inspectors than one target needs.
    #[error("{0} inspectors, fewer than {INSPECTORS_PER_TARGET}")]
    TooFewInspectors(usize),
    /// An inspector named twice.
    #[error("inspector {0} appears twice")]
    DuplicateInspector(String),
    /// No target, or more than the register holds, to draw.
    #[error("cannot draw {count} of {targets} targets")]
    BadCount {
        /// Targets asked for.
        count: u32,
        /// Targets in the register.
        targets: usize,
    },
    /// A plan whose JSON is over [`PLAN_MAX_BYTES`].
    #[error("the plan's JSON is over {PLAN_MAX_BYTES} bytes")]
    TooLarge,
    /// A draw's id that does not begin with [`DRAW_PREFIX`] or holds other characters.
    #[error("draw id {0} is not draw- then letters, digits and -")]
    BadId(String),
    /// A plan or result whose format or version this program does not know.
    #[error("not a {0} of version 1")]
    UnknownFormat(&'static str),
    /// A result that is not the draw of its plan under its seed.
    #[error("the result is not what the plan draws under its seed")]
    NotTheDraw,
}

impl DrawError {
    /// The reason in Chinese, for the console.
    pub fn zh(&self) -> String {
        match self {
            DrawError::NoTargets => "名录中没有检查对象".into(),
            DrawError::TooManyTargets(n) => format!("名录有 {n} 个检查对象，超过 {MAX_TARGETS} 个"),
            DrawError::DuplicateTarget(id) => format!("检查对象编号 {id} 重复"),
            DrawError::BadField { field, what } => {
                format!("{what} 的{}为空、过长或含控制字符", field_zh(field))
            }
            DrawError::TooFewInspectors(n) => {
                format!("检查人员只有 {n} 名，每个对象需要 {INSPECTORS_PER_TARGET} 名")
            }
            DrawError::DuplicateInspector(id) => format!("检查人员 {id} 重复"),
            DrawError::BadCount { count, targets } => {
                format!("不能从 {targets} 个检查对象中抽取 {count} 个")
            }
            DrawError::BadId(id) => format!("抽查编号 {id} 不合规"),
            DrawError::TooLarge => format!("抽查计划超过 {} MB", PLAN_MAX_BYTES / 1024 / 1024),
            DrawError::UnknownFormat(f) => format!("不是第 1 版的 {f}"),
            DrawError::NotTheDraw => "抽取结果与计划和随机种子不符".into(),
        }
    }
}

fn field_zh(field: &str) -> &'static str {
    match field {
        "id" => "编号",
        "name" => "名称",
        "address" => "地址",
        "category" => "类别",
        _ => "标题",
    }
}

/// Whether `s` may be a field: not blank (unless `may_be_empty`), at most
/// [`FIELD_MAX_CHARS`], no control character (the rule hashes ids with a NUL after them) and,
/// for what is about to be signed (`new`), no invisible character (zero-width, bidirectional,
/// fillers), so two ids or names that look the same are the same. A plan on the log is read
/// back by the rules it was signed under: the invisible ones were added later.
fn fits(s: &str, may_be_empty: bool, new: bool) -> bool {
    (may_be_empty || !s.trim().is_empty())
        && s.chars().count() <= FIELD_MAX_CHARS
        && !s.chars().any(|c| c.is_control() || (new && invisible(c)))
}

/// The characters that change how text looks or reads without showing: Unicode's format
/// characters that text from office documents carries, line and paragraph separators, and the
/// blank fillers.
pub fn invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{180E}' | '\u{200B}'..='\u{200F}'
        | '\u{2028}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206F}'
        | '\u{3164}' | '\u{FEFF}' | '\u{FFA0}' | '\u{FFF9}'..='\u{FFFB}'
        | '\u{1D173}'..='\u{1D17A}' | '\u{E0000}'..='\u{E007F}')
}

/// Whether `id` is a draw's id.
pub fn is_draw_id(id: &str) -> bool {
    id.strip_prefix(DRAW_PREFIX).is_some_and(|rest| {
        !rest.is_empty()
            && rest.len() <= 64
            && rest.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    })
}

impl DrawPlan {
    /// A plan, checked: a register of distinct targets with their fields, at least two
    /// distinct inspectors, and a count between one and the register's size.
    pub fn new(
        id: &str,
        title: &str,
        count: u32,
        targets: Vec<Target>,
        inspectors: Vec<Inspector>,
        planned_at: Timestamp,
    ) -> Result<DrawPlan, DrawError> {
        let plan = DrawPlan {
            format: PLAN_FORMAT.into(),
            version: 1,
            id: id.to_owned(),
            title: title.trim().to_owned(),
            count,
            targets,
            inspectors,
            planned_at,
        };
        plan.check()?;
        Ok(plan)
    }

    /// Checks a plan about to be signed: [`DrawPlan::check_logged`], no invisible character
    /// in its fields, and its JSON at most [`PLAN_MAX_BYTES`].
    pub fn check(&self) -> Result<(), DrawError> {
        self.checked(true)?;
        if self.to_json().len() > PLAN_MAX_BYTES {
            return Err(DrawError::TooLarge);
        }
        Ok(())
    }

    /// Checks a plan as read back from the log: its format, id, fields (no control character),
    /// distinct targets and inspectors, and its count.
    pub fn check_logged(&self) -> Result<(), DrawError> {
        self.checked(false)
    }

    fn checked(&self, new: bool) -> Result<(), DrawError> {
        if self.format != PLAN_FORMAT || self.version != 1 {
            return Err(DrawError::UnknownFormat(PLAN_FORMAT));
        }
        if !is_draw_id(&self.id) {
            return Err(DrawError::BadId(self.id.clone()));
        }
        if !fits(&self.title, false, new) {
            return Err(DrawError::BadField {
                field: "title",
                what: "抽查计划".into(),
            });
        }
        if self.targets.is_empty() {
            return Err(DrawError::NoTargets);
        }
        if self.targets.len() > MAX_TARGETS {
            return Err(DrawError::TooManyTargets(self.targets.len()));
        }
        let mut ids = BTreeSet::new();
        for t in &self.targets {
            for (field, value, may_be_empty) in [
                ("id", &t.id, false),
                ("name", &t.name, false),
                ("address", &t.address, true),
                ("category", &t.category, true),
            ] {
                if !fits(value, may_be_empty, new) {
                    return Err(DrawError::BadField {
                        field,
                        what: t.id.clone(),
                    });
                }
            }
            if !ids.insert(t.id.as_str()) {
                return Err(DrawError::DuplicateTarget(t.id.clone()));
            }
        }
        if self.inspectors.len() < INSPECTORS_PER_TARGET {
            return Err(DrawError::TooFewInspectors(self.inspectors.len()));
        }
        let mut people = BTreeSet::new();
        for i in &self.inspectors {
            if !fits(&i.id, false, new) {
                return Err(DrawError::BadField {
                    field: "id",
                    what: i.name.clone(),
                });
            }
            if !people.insert(i.id.as_str()) {
                return Err(DrawError::DuplicateInspector(i.id.clone()));
            }
        }
        if self.count == 0 || self.count as usize > self.targets.len() {
            return Err(DrawError::BadCount {
                count: self.count,
                targets: self.targets.len(),
            });
        }
        Ok(())
    }

    /// The plan's JSON, as signed and published (its SHA-256 is the plan's digest).
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a plan is plain data")
    }

    /// A plan read from its JSON, checked.
    pub fn from_json(bytes: &[u8]) -> Result<DrawPlan, DrawError> {
        let plan: DrawPlan =
            serde_json::from_slice(bytes).map_err(|_| DrawError::UnknownFormat(PLAN_FORMAT))?;
        plan.check_logged()?;
        Ok(plan)
    }

    /// The target with register id `id`.
    pub fn target(&self, id: &str) -> Option<&Target> {
        self.targets.iter().find(|t| t.id == id)
    }

    /// The inspector with person id `id`.
    pub fn inspector(&self, id: &str) -> Option<&Inspector> {
        self.inspectors.iter().find(|i| i.id == id)
    }

    /// The inspectors `task` names, as this plan lists them.
    pub fn inspectors_of(&self, task: &Task) -> Vec<Inspector> {
        task.inspectors
            .iter()
            .filter_map(|i| self.inspector(i).cloned())
            .collect()
    }
}

/// The size of the log tree whose root seeds the draw of a plan logged at `plan_index`: the
/// first tree that holds the plan and one entry after it.
pub fn seed_size(plan_index: u64) -> u64 {
    plan_index + 2
}

/// The draw's seed: SHA-256 of `"quancheng-draw-seed\0"`, the plan's digest and the root.
pub fn seed(plan_digest: &[u8; 32], root: &[u8; 32]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"quancheng-draw-seed\0");
    h.update(plan_digest);
    h.update(root);
    h.finalize().into()
}

/// A rank under `seed`: SHA-256 of the seed, a label and the names, each name followed by NUL.
fn rank(seed: &[u8; 32], label: &[u8], names: &[&str]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(seed);
    h.update(label);
    for n in names {
        h.update(n.as_bytes());
        h.update([0]);
    }
    h.finalize().into()
}

/// The draw of `plan` under `seed` (docs/random-inspection.md): the `count` targets of least
/// rank `SHA-256(seed ‖ "target\0" ‖ id ‖ NUL)`, in that order; for each in turn, the two
/// inspectors with the fewest targets so far, ties broken by least rank
/// `SHA-256(seed ‖ "inspector\0" ‖ target id ‖ NUL ‖ inspector id ‖ NUL)`.
pub fn draw(plan: &DrawPlan, seed: &[u8; 32]) -> Vec<Task> {
    let mut targets: Vec<([u8; 32], &Target)> = plan
        .targets
        .iter()
        .map(|t| (rank(seed, b"target\0", &[&t.id]), t))
        .collect();
    targets.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.id.cmp(&b.1.id)));
    let mut load = vec![0u32; plan.inspectors.len()];
    targets
        .into_iter()
        .take(plan.count as usize)
        .map(|(_, t)| {
            let mut order: Vec<(u32, [u8; 32], usize)> = plan
                .inspectors
                .iter()
                .enumerate()
                .map(|(i, p)| (load[i], rank(seed, b"inspector\0", &[&t.id, &p.id]), i))
                .collect();
            order.sort();
            let chosen: Vec<usize> = order
                .iter()
                .take(INSPECTORS_PER_TARGET)
                .map(|o| o.2)
                .collect();
            for &i in &chosen {
                load[i] += 1;
            }
            Task {
                target: t.id.clone(),
                inspectors: chosen
                    .into_iter()
                    .map(|i| plan.inspectors[i].id.clone())
                    .collect(),
            }
        })
        .collect()
}

/// Lowercase hex of a digest.
fn hex(d: &[u8; 32]) -> String {
    d.iter().map(|b| format!("{b:02x}")).collect()
}

impl DrawResult {
    /// The draw of `plan` (whose JSON hashes to `plan_digest`) under the root of the log tree
    /// of `seed_size` leaves.
    pub fn make(
        plan: &DrawPlan,
        plan_digest: &[u8; 32],
        seed_size: u64,
        root: &[u8; 32],
        drawn_at: Timestamp,
    ) -> DrawResult {
        DrawResult {
            format: RESULT_FORMAT.into(),
            version: 1,
            id: plan.id.clone(),
            plan: hex(plan_digest),
            seed_size,
            root: hex(root),
            tasks: draw(plan, &seed(plan_digest, root)),
            drawn_at,
        }
    }

    /// The task of `target`, if it was drawn.
    pub fn task(&self, target: &str) -> Option<&Task> {
        self.tasks.iter().find(|t| t.target == target)
    }

    /// The result's JSON, as signed and published.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a result is plain data")
    }

    /// A result read from its JSON.
    pub fn from_json(bytes: &[u8]) -> Result<DrawResult, DrawError> {
        let r: DrawResult =
            serde_json::from_slice(bytes).map_err(|_| DrawError::UnknownFormat(RESULT_FORMAT))?;
        if r.format != RESULT_FORMAT || r.version != 1 {
            return Err(DrawError::UnknownFormat(RESULT_FORMAT));
        }
        Ok(r)
    }

    /// Checks that this is the draw of `plan` (whose JSON hashes to `plan_digest`, logged at
    /// `plan_index`) under `root`, the root of the log tree of the seed's size.
    pub fn check(
        &self,
        plan: &DrawPlan,
        plan_digest: &[u8; 32],
        plan_index: u64,
        root: &[u8; 32],
    ) -> Result<(), DrawError> {
        let again = DrawResult::make(
            plan,
            plan_digest,
            seed_size(plan_index),
            root,
            self.drawn_at,
        );
        if *self == again {
            Ok(())
        } else {
            Err(DrawError::NotTheDraw)
        }
    }
}

/// The `format` of an inspection report's JSON.
pub const REPORT_FORMAT: &str = "quancheng-draw-report";
/// Most characters of a report's note.
pub const NOTE_MAX_CHARS: usize = 500;
/// Most bytes of a report's JSON (a note at its longest, in any script, with room to spare):
/// a tablet's file over it is not a report.
pub const REPORT_MAX_BYTES: u64 = 16 * 1024;

/// Who records what an inspection found: the squad leader (中队长) or the head, at a desk.
pub const REPORTERS: SignersRequired = SignersRequired {
    roles: &[Role::SquadLeader, Role::Head],
    officers: 0,
};

/// Who records on a tablet what they found: the two enforcement officers drawn to inspect the
/// target (that they are the two drawn is the station's to check against the draw).
pub const INSPECTORS: SignersRequired = SignersRequired::officers(2);

/// 检查结果 — what the inspection of a drawn target found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// 未发现问题 — nothing wrong.
    Compliant,
    /// 发现问题，已责令改正 — a problem, ordered corrected on the spot.
    Corrected,
    /// 发现违法行为，已立案查处 — a violation, a case filed (named).
    CaseFiled,
    /// 检查对象不存在或已停业 — the target could not be inspected.
    NotFound,
}

impl Outcome {
    /// Every outcome, as listed to users.
    pub const ALL: [Outcome; 4] = [
        Outcome::Compliant,
        Outcome::Corrected,
        Outcome::CaseFiled,
        Outcome::NotFound,
    ];

    /// In Chinese, as published.
    pub fn zh(self) -> &'static str {
        match self {
            Outcome::Compliant => "未发现问题",
            Outcome::Corrected => "发现问题，已责令改正",
            Outcome::CaseFiled => "发现违法行为，已立案查处",
            Outcome::NotFound => "检查对象不存在或已停业",
        }
    }
}

/// 检查结果记录 — the result of inspecting one drawn target, recorded at a desk or by the two
/// inspectors on a tablet, and published.
/// A later report of the same target replaces an earlier one; both stay on the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InspectionReport {
    /// Always [`REPORT_FORMAT`].
    pub format: String,
    /// Layout version, 1.
    pub version: u32,
    /// The draw's id.
    pub draw: String,
    /// The target's id in the register.
    pub target: String,
    /// What was found.
    pub outcome: Outcome,
    /// The case filed, for [`Outcome::CaseFiled`]; empty otherwise.
    pub case: String,
    /// What the inspectors noted (published with the result).
    pub note: String,
    /// When the report was signed.
    pub reported_at: Timestamp,
}

impl InspectionReport {
    /// A report of `target` in the draw `result` of `plan`: a target drawn, a case named exactly
    /// when one was filed, a note of at most [`NOTE_MAX_CHARS`].
    pub fn new(
        result: &DrawResult,
        (target, outcome, case): (&str, Outcome, &str),
        note: &str,
        reported_at: Timestamp,
    ) -> Result<InspectionReport, ReportError> {
        if result.task(target).is_none() {
            return Err(ReportError::NotDrawn(target.to_owned()));
        }
        InspectionReport::of_task(&result.id, (target, outcome, case), note, reported_at)
    }

    /// A report of `target` of the draw `draw`, known drawn (a task the station sent): a case
    /// named exactly when one was filed, a note of at most [`NOTE_MAX_CHARS`].
    pub fn of_task(
        draw: &str,
        (target, outcome, case): (&str, Outcome, &str),
        note: &str,
        reported_at: Timestamp,
    ) -> Result<InspectionReport, ReportError> {
        let report = InspectionReport {
            format: REPORT_FORMAT.into(),
            version: 1,
            draw: draw.to_owned(),
            target: target.to_owned(),
            outcome,
            case: case.trim().to_owned(),
            note: note.trim().to_owned(),
            reported_at,
        };
        report.check()?;
        Ok(report)
    }

    /// The rules every report keeps, wherever it was made (a tablet's is read back and
    /// checked again): a case named exactly when one was filed, a note of at most
    /// [`NOTE_MAX_CHARS`] without control or invisible characters.
    pub fn check(&self) -> Result<(), ReportError> {
        let case = self.case.as_str();
        if (self.outcome == Outcome::CaseFiled) == case.is_empty()
            || case != case.trim()
            || !fits(case, true, true)
        {
            return Err(ReportError::CaseNamed);
        }
        let note = self.note.as_str();
        let hidden = |c: char| (c.is_control() && c != '\n') || invisible(c);
        if note != note.trim() || note.chars().count() > NOTE_MAX_CHARS || note.chars().any(hidden)
        {
            return Err(ReportError::Note);
        }
        Ok(())
    }

    /// The report's JSON, as signed and published.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a report is plain data")
    }

    /// A report read from its JSON.
    pub fn from_json(bytes: &[u8]) -> Result<InspectionReport, DrawError> {
        let r: InspectionReport =
            serde_json::from_slice(bytes).map_err(|_| DrawError::UnknownFormat(REPORT_FORMAT))?;
        if r.format != REPORT_FORMAT || r.version != 1 {
            return Err(DrawError::UnknownFormat(REPORT_FORMAT));
        }
        Ok(r)
    }
}

/// Why a report is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ReportError {
    /// The target was not drawn.
    #[error("target {0} was not drawn")]
    NotDrawn(String),
    /// A case named without one filed, or filed without one named.
    #[error("a case is named exactly when one was filed")]
    CaseNamed,
    /// A note too long or holding control or invisible characters.
    #[error(
        "the note is over {NOTE_MAX_CHARS} characters or holds control or invisible characters"
    )]
    Note,
}

impl ReportError {
    /// The reason in Chinese, for the console.
    pub fn zh(&self) -> String {
        match self {
            ReportError::NotDrawn(t) => format!("检查对象 {t} 不在本次抽取结果中"),
            ReportError::CaseNamed => "立案查处时须填写案件编号，其他结果不填".into(),
            ReportError::Note => {
                format!("检查情况说明不超过 {NOTE_MAX_CHARS} 字，且不含不可见字符")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(targets: usize, inspectors: usize, count: u32) -> DrawPlan {
        DrawPlan::new(
            "draw-2026-q4",
            "2026年第四季度沿街商户抽查",
            count,
            (0..targets)
                .map(|i| Target {
                    id: format!("T{i:03}"),
                    name: format!("商户{i}"),
                    address: format!("解放路{i}号"),
                    category: "沿街商户".into(),
                })
                .collect(),
            (0..inspectors)
                .map(|i| Inspector {
                    id: format!("officer-{i}"),
                    name: format!("队员{i}"),
                    squad: "一中队".into(),
                })
                .collect(),
            Timestamp(1_780_000_000_000),
        )
        .unwrap()
    }

    #[test]
    fn a_draw_is_the_same_for_the_same_seed_and_differs_for_another() {
        let p = plan(50, 7, 10);
        let a = draw(&p, &[1; 32]);
        assert_eq!(a, draw(&p, &[1; 32]));
        assert_ne!(a, draw(&p, &[2; 32]));
        assert_eq!(a.len(), 10);
        let drawn: BTreeSet<&str> = a.iter().map(|t| t.target.as_str()).collect();
        assert_eq!(drawn.len(), 10, "no target twice");
        for t in &a {
            assert_eq!(t.inspectors.len(), 2);
            assert_ne!(t.inspectors[0], t.inspectors[1]);
        }
    }

    #[test]
    fn the_work_is_spread_evenly_over_the_inspectors() {
        let p = plan(50, 7, 21);
        let tasks = draw(&p, &[9; 32]);
        let mut load = std::collections::BTreeMap::<&str, usize>::new();
        for t in &tasks {
            for i in &t.inspectors {
                *load.entry(i).or_default() += 1;
            }
        }
        // 21 targets × 2 = 42 places over 7 inspectors: six each.
        assert!(load.values().all(|&n| n == 6), "{load:?}");
    }

    #[test]
    fn the_first_target_is_the_one_of_least_rank() {
        let p = plan(5, 2, 1);
        let seed = [3; 32];
        let least = p
            .targets
            .iter()
            .min_by_key(|t| {
                let mut h = Sha256::new();
                h.update(seed);
                h.update(b"target\0");
                h.update(t.id.as_bytes());
                h.update([0]);
                <[u8; 32]>::from(h.finalize())
            })
            .unwrap();
        assert_eq!(draw(&p, &seed)[0].target, least.id);
    }

    #[test]
    fn a_result_checks_only_against_its_plan_and_root() {
        let p = plan(20, 4, 5);
        let digest: [u8; 32] = Sha256::digest(p.to_json()).into();
        let r = DrawResult::make(&p, &digest, seed_size(7), &[5; 32], Timestamp(1));
        assert_eq!(r.check(&p, &digest, 7, &[5; 32]), Ok(()));
        assert_eq!(
            r.check(&p, &digest, 7, &[6; 32]),
            Err(DrawError::NotTheDraw)
        );
        assert_eq!(
            r.check(&p, &digest, 8, &[5; 32]),
            Err(DrawError::NotTheDraw)
        );
        let back = DrawResult::from_json(&r.to_json()).unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn bad_plans_are_refused_with_their_reason() {
        let p = plan(3, 2, 1);
        let mut twice = p.targets.clone();
        twice.push(p.targets[0].clone());
        let make = |targets: Vec<Target>, inspectors: Vec<Inspector>, count| {
            DrawPlan::new("draw-x", "抽查", count, targets, inspectors, Timestamp(0))
        };
        assert_eq!(
            make(twice, p.inspectors.clone(), 1),
            Err(DrawError::DuplicateTarget("T000".into()))
        );
        assert_eq!(
            make(p.targets.clone(), p.inspectors[..1].to_vec(), 1),
            Err(DrawError::TooFewInspectors(1))
        );
        assert_eq!(
            make(p.targets.clone(), p.inspectors.clone(), 4),
            Err(DrawError::BadCount {
                count: 4,
                targets: 3
            })
        );
        let mut hidden = p.targets.clone();
        hidden[1].name = "商户\u{202E}1".into();
        assert!(matches!(
            make(hidden, p.inspectors.clone(), 1),
            Err(DrawError::BadField { field: "name", .. })
        ));
        // Refused when signed; a plan on the log that has one still reads back.
        let mut logged = p.clone();
        logged.targets[1].name = "商户\u{200B}1".into();
        assert!(logged.check().is_err());
        assert_eq!(DrawPlan::from_json(&logged.to_json()), Ok(logged));
        let mut nul = p.targets.clone();
        nul[1].id = "T\0".into();
        assert!(matches!(
            make(nul, p.inspectors.clone(), 1),
            Err(DrawError::BadField { field: "id", .. })
        ));
        assert_eq!(
            DrawPlan::new("case-1", "抽查", 1, p.targets, p.inspectors, Timestamp(0)),
            Err(DrawError::BadId("case-1".into()))
        );
        assert!(!is_draw_id("draw-"));
        assert!(is_draw_id("draw-20261201-ab12"));
    }

    #[test]
    fn a_report_names_a_drawn_target_and_a_case_only_when_one_was_filed() {
        let p = plan(10, 3, 2);
        let digest: [u8; 32] = Sha256::digest(p.to_json()).into();
        let r = DrawResult::make(&p, &digest, 2, &[1; 32], Timestamp(1));
        let drawn = r.tasks[0].target.clone();
        let ok = InspectionReport::new(
            &r,
            (&drawn, Outcome::Compliant, ""),
            "经营正常",
            Timestamp(2),
        );
        let ok = ok.unwrap();
        assert_eq!(InspectionReport::from_json(&ok.to_json()).unwrap(), ok);
        let not_drawn = p
            .targets
            .iter()
            .find(|t| r.tasks.iter().all(|x| x.target != t.id))
            .unwrap();
        assert_eq!(
            InspectionReport::new(
                &r,
                (&not_drawn.id, Outcome::Compliant, ""),
                "",
                Timestamp(2)
            ),
            Err(ReportError::NotDrawn(not_drawn.id.clone()))
        );
        for (outcome, case) in [(Outcome::CaseFiled, ""), (Outcome::Corrected, "case-1")] {
            assert_eq!(
                InspectionReport::new(&r, (&drawn, outcome, case), "", Timestamp(2)),
                Err(ReportError::CaseNamed)
            );
        }
        assert!(
            InspectionReport::new(&r, (&drawn, Outcome::CaseFiled, "case-1"), "", Timestamp(2))
                .is_ok()
        );
    }

    #[test]
    fn an_assistant_is_not_an_inspector() {
        let officer = Person {
            id: crate::PersonId("p1".into()),
            name: "王队员".into(),
            role: Role::EnforcementOfficer,
            cert_no: Some(crate::CertNo("65010012345".into())),
            squad: "一中队".into(),
        };
        assert!(Inspector::of(&officer).is_some());
        let assistant = Person {
            role: Role::Assistant,
            cert_no: None,
            ..officer
        };
        assert!(Inspector::of(&assistant).is_none());
    }
}
