//! 案卷评查 — case-file review: a closed case's file scored against the bureau's checklist by
//! the legal department or the head (003 §12 评议考核、案卷评查; 001 专栏2), the squad reading
//! the comments. What the reviewer signs is the JSON of [`CaseFileReview`].

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::{CaseStatus, Role, SignersRequired};

/// One line of the checklist: what is judged and the most points it carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ChecklistItem {
    /// Stable name (in the signed JSON).
    pub key: &'static str,
    /// What is judged, in Chinese.
    pub zh: &'static str,
    /// Full marks.
    pub max: u32,
}

/// The checklist of 行政处罚案卷评查, 100 points in all, in the order a reviewer goes through
/// a file.
pub const CHECKLIST: [ChecklistItem; 7] = [
    ChecklistItem {
        key: "authority",
        zh: "执法主体合法、执法人员持证",
        max: 10,
    },
    ChecklistItem {
        key: "facts",
        zh: "事实清楚",
        max: 15,
    },
    ChecklistItem {
        key: "evidence",
        zh: "证据确凿充分",
        max: 20,
    },
    ChecklistItem {
        key: "law",
        zh: "适用法律正确、裁量适当",
        max: 15,
    },
    ChecklistItem {
        key: "procedure",
        zh: "程序合法（告知、审核、送达、期限）",
        max: 20,
    },
    ChecklistItem {
        key: "documents",
        zh: "文书规范、签名齐全",
        max: 10,
    },
    ChecklistItem {
        key: "filing",
        zh: "归档完整、一案一档",
        max: 10,
    },
];

/// The `format` of a review's JSON.
pub const REVIEW_FORMAT: &str = "quancheng-case-review";

/// Most characters of one comment.
pub const COMMENT_MAX_CHARS: usize = 1000;

/// Who may review a case file: the legal department (法制审核) or the head (负责人), the
/// latter as an enforcement officer.
pub const REVIEWERS: SignersRequired = SignersRequired {
    roles: crate::workflow::HEARING,
    officers: 0,
};

/// One checklist line as scored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemScore {
    /// The checklist line's key.
    pub key: String,
    /// Points given, at most the line's full marks.
    pub score: u32,
    /// Why points were taken off (required then), or any remark.
    #[serde(default)]
    pub comment: String,
}

/// 评查结论 — the grade the total gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Grade {
    /// 优秀: 90 points or more.
    Excellent,
    /// 合格: 70 to 89.
    Passing,
    /// 不合格: under 70.
    Failing,
}

impl Grade {
    /// The grade of `total` points.
    pub fn of(total: u32) -> Grade {
        match total {
            90.. => Grade::Excellent,
            70..=89 => Grade::Passing,
            _ => Grade::Failing,
        }
    }

    /// In Chinese.
    pub fn zh(self) -> &'static str {
        match self {
            Grade::Excellent => "优秀",
            Grade::Passing => "合格",
            Grade::Failing => "不合格",
        }
    }
}

/// A case file's review as its reviewer signs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseFileReview {
    /// Always [`REVIEW_FORMAT`].
    pub format: String,
    /// Always 1.
    pub version: u32,
    /// The case reviewed.
    pub case: String,
    /// Every checklist line, in the checklist's order.
    pub items: Vec<ItemScore>,
    /// The sum of the items' scores.
    pub total: u32,
    /// What the total gives.
    pub grade: Grade,
    /// The reviewer's overall opinion (评查意见), for the squad.
    pub comment: String,
}

/// Why a review cannot be signed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ReviewError {
    /// The case is not closed.
    #[error("only a closed case's file is reviewed (the case is {0:?})")]
    NotClosed(CaseStatus),
    /// The checklist is not scored line by line, in order.
    #[error("every checklist line is scored once, in order: expected {expected}, got {got}")]
    Checklist {
        /// The line expected.
        expected: String,
        /// What came.
        got: String,
    },
    /// More points than a line carries.
    #[error("{key}: {score} points of at most {max}")]
    TooManyPoints {
        /// The line.
        key: String,
        /// Given.
        score: u32,
        /// Full marks.
        max: u32,
    },
    /// Points taken off without a reason.
    #[error("{0}: points taken off need a comment")]
    NoReason(String),
    /// No overall opinion.
    #[error("the review needs an overall opinion")]
    NoOpinion,
    /// A comment past [`COMMENT_MAX_CHARS`].
    #[error("a comment is longer than {COMMENT_MAX_CHARS} characters")]
    TooLong,
}

impl ReviewError {
    /// The reason in Chinese, for the reviewer.
    pub fn zh(&self) -> String {
        match self {
            ReviewError::NotClosed(_) => "只有已结案的案卷可以评查".into(),
            ReviewError::Checklist { .. } => "评查表须逐项打分".into(),
            ReviewError::TooManyPoints { key, max, .. } => {
                format!("“{}”最多 {max} 分", item_zh(key))
            }
            ReviewError::NoReason(key) => format!("“{}”扣分须写明理由", item_zh(key)),
            ReviewError::NoOpinion => "请填写评查意见".into(),
            ReviewError::TooLong => format!("每条意见不超过 {COMMENT_MAX_CHARS} 字"),
        }
    }
}

fn item_zh(key: &str) -> &str {
    CHECKLIST
        .iter()
        .find(|i| i.key == key)
        .map_or(key, |i| i.zh)
}

/// Whether a case at `status` has a file to review: it is closed (and maybe disclosed).
pub fn reviewable(status: CaseStatus) -> bool {
    matches!(status, CaseStatus::Closed | CaseStatus::Disclosed)
}

impl CaseFileReview {
    /// The review of `case` (now at `status`) with `items` scored and the opinion `comment`,
    /// checked against the checklist; its total and grade follow.
    pub fn new(
        case: &str,
        status: CaseStatus,
        items: Vec<ItemScore>,
        comment: &str,
    ) -> Result<CaseFileReview, ReviewError> {
        if !reviewable(status) {
            return Err(ReviewError::NotClosed(status));
        }
        let comment = comment.trim();
        if comment.is_empty() {
            return Err(ReviewError::NoOpinion);
        }
        let too_long = |s: &str| s.chars().count() > COMMENT_MAX_CHARS;
        if too_long(comment) || items.iter().any(|i| too_long(&i.comment)) {
            return Err(ReviewError::TooLong);
        }
        if items.len() != CHECKLIST.len() {
            return Err(ReviewError::Checklist {
                expected: format!("{} lines", CHECKLIST.len()),
                got: format!("{} lines", items.len()),
            });
        }
        let mut scored = Vec::with_capacity(items.len());
        for (line, item) in CHECKLIST.iter().zip(items) {
            if item.key != line.key {
                return Err(ReviewError::Checklist {
                    expected: line.key.into(),
                    got: item.key,
                });
            }
            if item.score > line.max {
                return Err(ReviewError::TooManyPoints {
                    key: item.key,
                    score: item.score,
                    max: line.max,
                });
            }
            let reason = item.comment.trim().to_owned();
            if item.score < line.max && reason.is_empty() {
                return Err(ReviewError::NoReason(item.key));
            }
            scored.push(ItemScore {
                comment: reason,
                ..item
            });
        }
        let total = scored.iter().map(|i| i.score).sum();
        Ok(CaseFileReview {
            format: REVIEW_FORMAT.into(),
            version: 1,
            case: case.into(),
            items: scored,
            total,
            grade: Grade::of(total),
            comment: comment.into(),
        })
    }
}

/// Whether `role` may review case files at a desk.
pub fn may_review(role: Role) -> bool {
    REVIEWERS.roles.contains(&role)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full() -> Vec<ItemScore> {
        CHECKLIST
            .iter()
            .map(|i| ItemScore {
                key: i.key.into(),
                score: i.max,
                comment: String::new(),
            })
            .collect()
    }

    #[test]
    fn the_checklist_carries_a_hundred_points() {
        assert_eq!(CHECKLIST.iter().map(|i| i.max).sum::<u32>(), 100);
    }

    #[test]
    fn a_full_file_scores_a_hundred_and_excellent() {
        let r = CaseFileReview::new("c1", CaseStatus::Closed, full(), " 卷宗规范 ").unwrap();
        assert_eq!(
            (r.total, r.grade, r.comment.as_str()),
            (100, Grade::Excellent, "卷宗规范")
        );
        assert_eq!(r.format, REVIEW_FORMAT);
    }

    #[test]
    fn points_taken_off_need_a_reason_and_the_grade_follows_the_total() {
        let mut items = full();
        items[2].score = 5;
        let err = CaseFileReview::new("c1", CaseStatus::Closed, items.clone(), "意见");
        assert_eq!(err, Err(ReviewError::NoReason("evidence".into())));
        items[2].comment = "现场照片未经两名执法人员签名".into();
        items[4].score = 10;
        items[4].comment = "送达超期".into();
        let r = CaseFileReview::new("c1", CaseStatus::Disclosed, items, "意见").unwrap();
        assert_eq!((r.total, r.grade), (75, Grade::Passing));
        assert_eq!(Grade::of(69), Grade::Failing);
        assert_eq!(Grade::of(90), Grade::Excellent);
    }

    #[test]
    fn an_open_case_or_a_bad_sheet_is_refused() {
        assert_eq!(
            CaseFileReview::new("c1", CaseStatus::Decided, full(), "意见"),
            Err(ReviewError::NotClosed(CaseStatus::Decided))
        );
        let mut items = full();
        items.swap(0, 1);
        assert!(matches!(
            CaseFileReview::new("c1", CaseStatus::Closed, items, "意见"),
            Err(ReviewError::Checklist { .. })
        ));
        let mut items = full();
        items[0].score = 11;
        assert!(matches!(
            CaseFileReview::new("c1", CaseStatus::Closed, items, "意见"),
            Err(ReviewError::TooManyPoints { .. })
        ));
        assert_eq!(
            CaseFileReview::new("c1", CaseStatus::Closed, full()[..6].to_vec(), "意见")
                .map(|_| ())
                .map_err(|e| matches!(e, ReviewError::Checklist { .. })),
            Err(true)
        );
        assert_eq!(
            CaseFileReview::new("c1", CaseStatus::Closed, full(), "  "),
            Err(ReviewError::NoOpinion)
        );
    }

    #[test]
    fn the_legal_department_and_the_head_review() {
        assert!(may_review(Role::LegalReviewer) && may_review(Role::Head));
        assert!(!may_review(Role::SquadLeader) && !may_review(Role::Administrator));
    }
}
