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

const DEFAULT_JSON: &str = include_str!("../data/catalogue.zh-CN.json");

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
        Catalogue::from_json(DEFAULT_JSON).unwrap_or_else(|e| panic!("embedded catalogue: {e}"))
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

    /// The violation type with this code, with its domain.
    pub fn violation(&self, code: &str) -> Option<(&EnforcementDomain, &ViolationType)> {
        self.domains
            .iter()
            .find_map(|d| d.violations.iter().find(|v| v.code == code).map(|v| (d, v)))
    }
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
}
