//! 权责清单 — the enforcement domains and violation types, as data a city can edit.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::case::Discretion;

/// A violation type within a domain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViolationType {
    /// Stable code, prefixed by the domain code (`environment.open_air_barbecue`).
    pub code: String,
    /// Name shown to officers.
    pub name: String,
    /// The articles violated and the article that sets the penalty.
    #[serde(default)]
    pub basis: Option<LegalBasis>,
    /// 自由裁量基准 — the fine range for each level of discretion, lightest first.
    #[serde(default)]
    pub standards: Vec<FineStandard>,
}

/// 法律依据 of a violation type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegalBasis {
    /// The article the conduct violates.
    pub violated: String,
    /// The article that sets the penalty.
    pub penalty: String,
}

/// One level of a discretion standard: a fine range and when it applies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FineStandard {
    /// The level.
    pub level: Discretion,
    /// Lowest fine, whole yuan.
    pub min_yuan: u64,
    /// Highest fine, whole yuan.
    pub max_yuan: u64,
    /// When the level applies.
    pub circumstances: String,
}

/// 较大数额罚款 — the fines from which the party may ask for a hearing; provinces set them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HearingThresholds {
    /// For a natural person, yuan.
    pub person_fine_yuan: u64,
    /// For an organisation or business, yuan.
    pub organisation_fine_yuan: u64,
}

impl Default for HearingThresholds {
    fn default() -> Self {
        HearingThresholds {
            person_fine_yuan: 5_000,
            organisation_fine_yuan: 50_000,
        }
    }
}

/// One enforcement domain (执法领域).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnforcementDomain {
    /// Stable code (`environment`).
    pub code: String,
    /// Name shown to officers.
    pub name: String,
    /// Violation types in this domain.
    pub violations: Vec<ViolationType>,
}

/// The whole list of domains and violation types in force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Catalogue {
    /// Version of the list, raised by the city when it edits it.
    pub version: u32,
    /// Free note on where the list comes from.
    #[serde(default)]
    pub note: String,
    /// The domains.
    pub domains: Vec<EnforcementDomain>,
    /// Fines that entitle the party to a hearing.
    #[serde(default)]
    pub hearing: HearingThresholds,
}

/// Why a catalogue could not be used.
#[derive(Debug, Error)]
pub enum CatalogueError {
    /// Not valid JSON of the expected shape.
    #[error("catalogue is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// A code appears twice.
    #[error("catalogue code `{0}` appears more than once")]
    DuplicateCode(String),
    /// A violation code does not start with its domain's code.
    #[error("violation `{violation}` must start with its domain code `{domain}.`")]
    MisplacedViolation {
        /// The domain.
        domain: String,
        /// The violation.
        violation: String,
    },
    /// A domain has no violation types or an empty name or code.
    #[error("catalogue entry `{0}` is empty or has no violation types")]
    Empty(String),
    /// A discretion standard's ranges are inverted, out of order or overlapping.
    #[error("discretion standard of `{0}` has inverted, unordered or overlapping ranges")]
    Standards(String),
}

impl CatalogueError {
    /// In Chinese, for the page that refused the file.
    pub fn zh(&self) -> String {
        match self {
            CatalogueError::Json(e) => format!("权责清单不是有效的 JSON（{e}）"),
            CatalogueError::DuplicateCode(c) => format!("权责清单中编码“{c}”重复"),
            CatalogueError::MisplacedViolation { domain, violation } => {
                format!("违法行为类型“{violation}”的编码应以其领域编码“{domain}.”开头")
            }
            CatalogueError::Empty(c) => format!("权责清单中“{c}”缺少名称或违法行为类型"),
            CatalogueError::Standards(c) => {
                format!("“{c}”的自由裁量基准金额范围颠倒、次序错误或相互重叠")
            }
        }
    }
}

/// How an item differs between the file in force and one about to replace it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// 新增 — only in the new file.
    Added,
    /// 删除 — only in the file in force.
    Removed,
    /// 修改 — in both, not the same.
    Changed,
}

impl ChangeKind {
    /// In Chinese.
    pub fn zh(self) -> &'static str {
        match self {
            ChangeKind::Added => "新增",
            ChangeKind::Removed => "删除",
            ChangeKind::Changed => "修改",
        }
    }
}

/// One line of what importing a file would change (a catalogue's item, a wording's key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// Added, removed or changed.
    pub change: ChangeKind,
    /// The item's code or key.
    pub item: String,
    /// Its name.
    pub name: String,
    /// What differs, in Chinese (`名称：甲 → 乙`), empty for an added or removed item.
    pub detail: String,
}

impl Change {
    /// The change of `item` from `was` to `now`, described by `detail` where both are there
    /// (none when they are the same).
    pub fn between<T: PartialEq>(
        (item, name): (&str, &str),
        was: Option<&T>,
        now: Option<&T>,
        detail: impl FnOnce(&T, &T) -> String,
    ) -> Option<Change> {
        let (change, detail) = match (was, now) {
            (None, None) => return None,
            (None, Some(_)) => (ChangeKind::Added, String::new()),
            (Some(_), None) => (ChangeKind::Removed, String::new()),
            (Some(a), Some(b)) if a == b => return None,
            (Some(a), Some(b)) => (ChangeKind::Changed, detail(a, b)),
        };
        Some(Change {
            change,
            item: item.to_owned(),
            name: name.to_owned(),
            detail,
        })
    }
}

/// `label：was → now`, when they differ.
fn differs(label: &str, was: &str, now: &str) -> Option<String> {
    (was != now).then(|| format!("{label}：{was} → {now}"))
}

fn standards_zh(standards: &[FineStandard]) -> String {
    if standards.is_empty() {
        return "无".into();
    }
    standards
        .iter()
        .map(|f| {
            format!(
                "{} {}–{} 元（{}）",
                f.level.zh(),
                f.min_yuan,
                f.max_yuan,
                f.circumstances
            )
        })
        .collect::<Vec<_>>()
        .join("，")
}

fn basis_zh(basis: &Option<LegalBasis>) -> String {
    basis.as_ref().map_or_else(
        || "无".into(),
        |b| format!("违反{}，依据{}", b.violated, b.penalty),
    )
}

/// The built-in catalogue file (a city edits a copy and imports it).
pub const BUILTIN_JSON: &str = include_str!("../data/catalogue.zh-CN.json");

impl Catalogue {
    /// Parses and checks a catalogue from JSON.
    pub fn from_json(json: &str) -> Result<Catalogue, CatalogueError> {
        let c: Catalogue = serde_json::from_str(json)?;
        c.validate()?;
        Ok(c)
    }

    /// The list shipped with the app: the six domains of DOMAIN.md.
    pub fn default_zh() -> Catalogue {
        // The embedded file is checked by a unit test, so this cannot fail at run time.
        Catalogue::from_json(BUILTIN_JSON).unwrap_or_else(|e| panic!("embedded catalogue: {e}"))
    }

    fn validate(&self) -> Result<(), CatalogueError> {
        let mut seen = HashSet::new();
        for d in &self.domains {
            if d.code.trim().is_empty() || d.name.trim().is_empty() || d.violations.is_empty() {
                return Err(CatalogueError::Empty(d.code.clone()));
            }
            if !seen.insert(d.code.as_str()) {
                return Err(CatalogueError::DuplicateCode(d.code.clone()));
            }
            for v in &d.violations {
                if v.name.trim().is_empty() {
                    return Err(CatalogueError::Empty(v.code.clone()));
                }
                if !v
                    .code
                    .strip_prefix(d.code.as_str())
                    .is_some_and(|rest| rest.starts_with('.') && rest.len() > 1)
                {
                    return Err(CatalogueError::MisplacedViolation {
                        domain: d.code.clone(),
                        violation: v.code.clone(),
                    });
                }
                if !seen.insert(v.code.as_str()) {
                    return Err(CatalogueError::DuplicateCode(v.code.clone()));
                }
                let ordered = v
                    .standards
                    .windows(2)
                    .all(|w| w[0].level < w[1].level && w[0].max_yuan <= w[1].min_yuan);
                let levels_fine = v
                    .standards
                    .iter()
                    .all(|f| f.min_yuan <= f.max_yuan && f.level != Discretion::NoPenalty);
                if !ordered || !levels_fine {
                    return Err(CatalogueError::Standards(v.code.clone()));
                }
            }
        }
        Ok(())
    }

    /// The domain with this code.
    pub fn domain(&self, code: &str) -> Option<&EnforcementDomain> {
        self.domains.iter().find(|d| d.code == code)
    }

    /// The fine range the discretion standard sets for this violation type at this level.
    pub fn fine_standard(&self, violation: &str, level: Discretion) -> Option<&FineStandard> {
        self.violation(violation)
            .and_then(|(_, v)| v.standards.iter().find(|f| f.level == level))
    }

    /// What replacing this catalogue with `new` changes: domains, then violation types, then
    /// the hearing thresholds, each in the new file's order, the removed after.
    pub fn changes(&self, new: &Catalogue) -> Vec<Change> {
        let mut out = Vec::new();
        for code in union(&self.domains, &new.domains, |d| &d.code) {
            let (was, now) = (self.domain(&code), new.domain(&code));
            let name = now.or(was).map_or("", |d| d.name.as_str());
            let (was, now) = (was.map(|d| &d.name), now.map(|d| &d.name));
            out.extend(Change::between((&code, name), was, now, |a, b| {
                format!("名称：{a} → {b}")
            }));
        }
        let all = |c: &Catalogue| -> Vec<ViolationType> {
            c.domains
                .iter()
                .flat_map(|d| d.violations.clone())
                .collect()
        };
        let (old_types, new_types) = (all(self), all(new));
        for code in union(&old_types, &new_types, |v| &v.code) {
            let was = old_types.iter().find(|v| v.code == code);
            let now = new_types.iter().find(|v| v.code == code);
            let name = now.or(was).map_or("", |v| v.name.as_str());
            out.extend(Change::between((&code, name), was, now, |a, b| {
                [
                    differs("名称", &a.name, &b.name),
                    differs("法律依据", &basis_zh(&a.basis), &basis_zh(&b.basis)),
                    differs(
                        "自由裁量基准",
                        &standards_zh(&a.standards),
                        &standards_zh(&b.standards),
                    ),
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join("；")
            }));
        }
        out.extend(Change::between(
            ("note", "说明"),
            Some(&self.note),
            Some(&new.note),
            |a, b| format!("{a} → {b}"),
        ));
        let hearing = |h: &HearingThresholds| {
            format!(
                "个人 {} 元，单位 {} 元",
                h.person_fine_yuan, h.organisation_fine_yuan
            )
        };
        out.extend(Change::between(
            ("hearing", "较大数额罚款（听证）"),
            Some(&self.hearing),
            Some(&new.hearing),
            |a, b| format!("金额：{} → {}", hearing(a), hearing(b)),
        ));
        out
    }

    /// The violation type with this code, with its domain.
    pub fn violation(&self, code: &str) -> Option<(&EnforcementDomain, &ViolationType)> {
        self.domains
            .iter()
            .find_map(|d| d.violations.iter().find(|v| v.code == code).map(|v| (d, v)))
    }
}

/// The codes of `new`, then those only in `old`, in the files' order.
fn union<T>(old: &[T], new: &[T], code: impl Fn(&T) -> &String) -> Vec<String> {
    let mut codes: Vec<String> = new.iter().map(&code).cloned().collect();
    for c in old.iter().map(&code) {
        if !codes.contains(c) {
            codes.push(c.clone());
        }
    }
    codes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_catalogue_has_the_six_domains() {
        let c = Catalogue::default_zh();
        let codes: Vec<_> = c.domains.iter().map(|d| d.code.as_str()).collect();
        assert_eq!(
            codes,
            [
                "housing",
                "environment",
                "commerce",
                "transport",
                "water",
                "food_drug"
            ]
        );
        let (d, v) = c.violation("environment.open_air_barbecue").unwrap();
        assert_eq!(d.name, "环境保护");
        assert_eq!(v.name, "露天烧烤");
        assert!(c.violation("environment.nothing").is_none());
    }

    #[test]
    fn duplicate_and_misplaced_codes_are_refused() {
        let dup = r#"{"version":1,"domains":[
            {"code":"a","name":"A","violations":[{"code":"a.x","name":"X"}]},
            {"code":"a","name":"B","violations":[{"code":"a.y","name":"Y"}]}]}"#;
        assert!(matches!(
            Catalogue::from_json(dup),
            Err(CatalogueError::DuplicateCode(c)) if c == "a"
        ));
        let misplaced = r#"{"version":1,"domains":[
            {"code":"a","name":"A","violations":[{"code":"b.x","name":"X"}]}]}"#;
        assert!(matches!(
            Catalogue::from_json(misplaced),
            Err(CatalogueError::MisplacedViolation { .. })
        ));
        let empty = r#"{"version":1,"domains":[{"code":"a","name":"A","violations":[]}]}"#;
        assert!(matches!(
            Catalogue::from_json(empty),
            Err(CatalogueError::Empty(_))
        ));
        assert!(matches!(
            Catalogue::from_json("not json"),
            Err(CatalogueError::Json(_))
        ));
    }

    fn with_standards(levels: &[(&str, u64, u64)]) -> String {
        let standards: Vec<String> = levels
            .iter()
            .map(|(level, min, max)| {
                format!(
                    r#"{{"level":"{level}","min_yuan":{min},"max_yuan":{max},"circumstances":"情形"}}"#
                )
            })
            .collect();
        format!(
            r#"{{"version":1,"domains":[{{"code":"a","name":"A","violations":[
                {{"code":"a.x","name":"X","standards":[{}]}}]}}]}}"#,
            standards.join(",")
        )
    }

    #[test]
    fn discretion_standards_are_ordered_lightest_first_without_overlap() {
        let c = Catalogue::from_json(&with_standards(&[
            ("lighter", 500, 2000),
            ("standard", 2000, 8000),
        ]))
        .unwrap();
        let f = c.fine_standard("a.x", Discretion::Standard).unwrap();
        assert_eq!((f.min_yuan, f.max_yuan), (2000, 8000));
        assert!(c.fine_standard("a.x", Discretion::Heavier).is_none());
        assert!(c.fine_standard("a.y", Discretion::Standard).is_none());
        // Without thresholds in the file, the usual provincial ones apply.
        assert_eq!(c.hearing, HearingThresholds::default());
        for bad in [
            with_standards(&[("lighter", 500, 3000), ("standard", 2000, 8000)]),
            with_standards(&[("standard", 8000, 2000)]),
            with_standards(&[("standard", 2000, 8000), ("lighter", 500, 2000)]),
            with_standards(&[("standard", 2000, 8000), ("standard", 8000, 9000)]),
            with_standards(&[("no_penalty", 0, 0)]),
        ] {
            assert!(
                matches!(Catalogue::from_json(&bad), Err(CatalogueError::Standards(c)) if c == "a.x"),
                "{bad}"
            );
        }
    }

    #[test]
    fn an_edited_catalogue_is_accepted() {
        let edited = r#"{"version":2,"domains":[
            {"code":"greening","name":"园林绿化","violations":[{"code":"greening.tree_felling","name":"擅自砍伐城市树木"}]}]}"#;
        let c = Catalogue::from_json(edited).unwrap();
        assert_eq!(c.version, 2);
        assert!(c.violation("greening.tree_felling").is_some());
    }

    #[test]
    fn changes_list_what_an_import_adds_removes_and_alters() {
        let was = Catalogue::default_zh();
        assert!(was.changes(&was).is_empty());
        let mut new = was.clone();
        new.version += 1;
        let env = new
            .domains
            .iter_mut()
            .find(|d| d.code == "environment")
            .unwrap();
        let barbecue = env
            .violations
            .iter_mut()
            .find(|v| v.code == "environment.open_air_barbecue")
            .unwrap();
        barbecue.name = "露天焚烧烧烤".into();
        barbecue.standards = vec![FineStandard {
            level: Discretion::Standard,
            min_yuan: 2000,
            max_yuan: 10000,
            circumstances: "情形".into(),
        }];
        let removed = env.violations.pop().unwrap();
        new.domains.push(EnforcementDomain {
            code: "greening".into(),
            name: "园林绿化".into(),
            violations: vec![ViolationType {
                code: "greening.tree_felling".into(),
                name: "擅自砍伐城市树木".into(),
                basis: None,
                standards: vec![],
            }],
        });
        new.hearing.person_fine_yuan = 10_000;
        let changes = was.changes(&new);
        let line = |item: &str| changes.iter().find(|c| c.item == item).unwrap();
        assert_eq!(line("greening").change, ChangeKind::Added);
        assert_eq!(line("greening.tree_felling").change, ChangeKind::Added);
        assert_eq!(line(&removed.code).change, ChangeKind::Removed);
        assert_eq!(line(&removed.code).name, removed.name);
        let b = line("environment.open_air_barbecue");
        assert_eq!(b.change, ChangeKind::Changed);
        assert!(
            b.detail.starts_with("名称：露天烧烤 → 露天焚烧烧烤；"),
            "{}",
            b.detail
        );
        assert!(
            b.detail.contains("一般处罚 2000–10000 元（情形）"),
            "{}",
            b.detail
        );
        assert_eq!(
            line("hearing").detail,
            "金额：个人 5000 元，单位 50000 元 → 个人 10000 元，单位 50000 元"
        );
        // A domain whose types changed but not its name is not a line of its own.
        assert!(changes.iter().all(|c| c.item != "environment"));
        assert_eq!(changes.len(), 5, "{changes:?}");
        assert_eq!(
            CatalogueError::DuplicateCode("a".into()).zh(),
            "权责清单中编码“a”重复"
        );
    }
}
