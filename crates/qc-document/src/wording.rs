//! 文书固定用语 — the bureau's fixed wording (rights and remedies, payment, hearing, …) that a
//! city adapts, like the catalogue, and imports as TOML. The built-in default is
//! `wording.toml` next to this crate's manifest, which also documents every key.
//!
//! Texts carry placeholders in braces (`{复议期限}`); each text may name only the placeholders
//! listed for it in [`Text::placeholders`], so a typo is refused on import rather than printed
//! on a party's paper.

use qc_domain::catalogue::Change;
use thiserror::Error;

use crate::model::DocumentKind;

/// The built-in wording file (a city edits a copy and imports it).
pub const BUILTIN: &str = include_str!("../wording.toml");

/// A text template of the wording file (the keys under `[texts]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Text {
    /// 权利救济: 申请行政复议、提起行政诉讼 and their time limits.
    Rights,
    /// 听证告知.
    Hearing,
    /// 陈述、申辩告知.
    Statement,
    /// 缴款: where and by when to pay (罚缴分离).
    Payment,
    /// 加处罚款 (每日按罚款数额的3%).
    Surcharge,
    /// 先行登记保存证据.
    Preservation,
    /// 抽样取证.
    Sampling,
    /// 责令改正.
    Correction,
    /// 送达回证's note on signing and 留置.
    Delivery,
    /// 询问告知: the interviewee's rights and obligations.
    Questioning,
}

impl Text {
    /// Every text, in the file's order.
    pub const ALL: [Text; 10] = [
        Text::Rights,
        Text::Hearing,
        Text::Statement,
        Text::Payment,
        Text::Surcharge,
        Text::Preservation,
        Text::Sampling,
        Text::Correction,
        Text::Delivery,
        Text::Questioning,
    ];

    /// Its key in the file (`texts.rights`).
    pub fn key(self) -> &'static str {
        match self {
            Text::Rights => "texts.rights",
            Text::Hearing => "texts.hearing",
            Text::Statement => "texts.statement",
            Text::Payment => "texts.payment",
            Text::Surcharge => "texts.surcharge",
            Text::Preservation => "texts.preservation",
            Text::Sampling => "texts.sampling",
            Text::Correction => "texts.correction",
            Text::Delivery => "texts.delivery",
            Text::Questioning => "texts.questioning",
        }
    }

    /// Its name in Chinese.
    pub fn zh(self) -> &'static str {
        match self {
            Text::Rights => "权利救济告知",
            Text::Hearing => "听证告知",
            Text::Statement => "陈述、申辩告知",
            Text::Payment => "缴款告知",
            Text::Surcharge => "加处罚款告知",
            Text::Preservation => "先行登记保存告知",
            Text::Sampling => "抽样取证告知",
            Text::Correction => "责令改正告知",
            Text::Delivery => "送达说明",
            Text::Questioning => "询问告知",
        }
    }

    /// The placeholders this text may name. `金额`, `日期` and `案由` come from the case; the
    /// others from the wording file itself.
    pub fn placeholders(self) -> &'static [&'static str] {
        match self {
            Text::Rights => &["复议期限", "复议机关", "诉讼期限", "法院"],
            Text::Hearing => &["机关", "听证期限"],
            Text::Statement => &["机关", "陈述期限"],
            Text::Payment => &["金额", "缴款期限", "银行", "户名", "账号"],
            Text::Surcharge => &["加处比例"],
            Text::Preservation => &["案由", "保存期限"],
            Text::Sampling => &["案由"],
            Text::Correction => &["机关", "日期"],
            Text::Delivery | Text::Questioning => &["机关"],
        }
    }
}

/// Why a wording file was refused. Every variant names the key at fault.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum WordingError {
    /// Not TOML at all.
    #[error("wording file is not valid TOML: {0}")]
    Syntax(String),
    /// A required key is absent.
    #[error("wording key `{0}` is missing")]
    Missing(&'static str),
    /// A key holds the wrong type (text where a number belongs, or the reverse).
    #[error("wording key `{key}` must be {expected}")]
    WrongType {
        /// The key.
        key: &'static str,
        /// What it must be (`text`, `a whole number`).
        expected: &'static str,
    },
    /// A text key is empty.
    #[error("wording key `{0}` is empty")]
    Empty(&'static str),
    /// A time limit or rate is zero, negative or too large.
    #[error("wording key `{key}` must be a positive whole number, not {value}")]
    NotPositive {
        /// The key.
        key: &'static str,
        /// The value found.
        value: i64,
    },
    /// A text names a placeholder it may not use.
    #[error("wording key `{key}` uses unknown placeholder {{{name}}}")]
    UnknownPlaceholder {
        /// The key.
        key: &'static str,
        /// The placeholder's name.
        name: String,
    },
    /// A text has a `{` without its `}` (or a `}` without its `{`).
    #[error("wording key `{0}` has an unclosed brace")]
    UnclosedBrace(&'static str),
}

impl WordingError {
    /// The message in Chinese, for the UI.
    pub fn zh(&self) -> String {
        match self {
            WordingError::Syntax(why) => format!("文书用语文件不是有效的 TOML：{why}"),
            WordingError::Missing(key) => format!("文书用语缺少“{key}”"),
            WordingError::WrongType { key, expected } => {
                let what = if *expected == "text" {
                    "文字"
                } else {
                    "正整数"
                };
                format!("文书用语“{key}”应为{what}")
            }
            WordingError::Empty(key) => format!("文书用语“{key}”不能为空"),
            WordingError::NotPositive { key, value } => {
                format!("文书用语“{key}”应为正整数，现为 {value}")
            }
            WordingError::UnknownPlaceholder { key, name } => {
                format!("文书用语“{key}”含有不认识的占位符 {{{name}}}")
            }
            WordingError::UnclosedBrace(key) => format!("文书用语“{key}”的花括号未闭合"),
        }
    }
}

/// The bureau's fixed wording, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wording {
    /// 执法机关名称 (`bureau.name`).
    pub bureau: String,
    /// 文号前缀 (`bureau.number_prefix`, `示城管`).
    pub number_prefix: String,
    /// 卷宗保存期限 (`bureau.retention`).
    pub retention: String,
    /// 行政复议机关 (`remedy.review_body`).
    pub review_body: String,
    /// 管辖法院 (`remedy.court`).
    pub court: String,
    /// 申请行政复议期限, days (`remedy.review_days`).
    pub review_days: u32,
    /// 提起行政诉讼期限, months (`remedy.litigation_months`).
    pub litigation_months: u32,
    /// 代收罚款银行 (`payment.bank`).
    pub bank: String,
    /// 收款户名 (`payment.account_name`).
    pub account_name: String,
    /// 收款账号 (`payment.account`).
    pub account: String,
    /// 缴款期限, days (`payment.days`).
    pub payment_days: u32,
    /// 加处罚款, per cent a day (`payment.surcharge_percent`).
    pub surcharge_percent: u32,
    /// 陈述、申辩期限, days (`limits.statement_days`).
    pub statement_days: u32,
    /// 听证申请期限, days (`limits.hearing_request_days`).
    pub hearing_days: u32,
    /// 先行登记保存处理期限, days (`limits.preservation_days`).
    pub preservation_days: u32,
    /// The templates, in [`Text::ALL`]'s order.
    texts: Vec<String>,
}

/// Reads checked values out of the parsed file, naming the key in every refusal.
struct Reader(toml::Table);

impl Reader {
    fn value(&self, key: &'static str) -> Result<&toml::Value, WordingError> {
        let (table, name) = key.split_once('.').unwrap_or(("", key));
        self.0
            .get(table)
            .and_then(|t| t.get(name))
            .ok_or(WordingError::Missing(key))
    }

    fn text(&self, key: &'static str) -> Result<String, WordingError> {
        let text = self
            .value(key)?
            .as_str()
            .ok_or(WordingError::WrongType {
                key,
                expected: "text",
            })?
            .trim();
        if text.is_empty() {
            return Err(WordingError::Empty(key));
        }
        Ok(text.to_string())
    }

    fn positive(&self, key: &'static str) -> Result<u32, WordingError> {
        let value = self
            .value(key)?
            .as_integer()
            .ok_or(WordingError::WrongType {
                key,
                expected: "a whole number",
            })?;
        match u32::try_from(value) {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(WordingError::NotPositive { key, value }),
        }
    }

    fn template(&self, text: Text) -> Result<String, WordingError> {
        let template = self.text(text.key())?;
        for piece in pieces(&template) {
            match piece {
                Piece::Literal(_) => {}
                Piece::Placeholder(name) if text.placeholders().contains(&name) => {}
                Piece::Placeholder(name) => {
                    return Err(WordingError::UnknownPlaceholder {
                        key: text.key(),
                        name: name.to_string(),
                    });
                }
                Piece::Unclosed => return Err(WordingError::UnclosedBrace(text.key())),
            }
        }
        Ok(template)
    }
}

/// A part of a template.
enum Piece<'a> {
    Literal(&'a str),
    Placeholder(&'a str),
    Unclosed,
}

/// Splits a template into literal text and placeholders; a stray brace ends it as
/// [`Piece::Unclosed`].
fn pieces(template: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut rest = template;
    while !rest.is_empty() {
        let Some(open) = rest.find(['{', '}']) else {
            out.push(Piece::Literal(rest));
            break;
        };
        out.push(Piece::Literal(&rest[..open]));
        let after = &rest[open + 1..];
        match (rest[open..].starts_with('{'), after.find(['{', '}'])) {
            (true, Some(close)) if after[close..].starts_with('}') => {
                out.push(Piece::Placeholder(&after[..close]));
                rest = &after[close + 1..];
            }
            _ => {
                out.push(Piece::Unclosed);
                break;
            }
        }
    }
    out
}

impl Wording {
    /// The wording shipped with the app (`wording.toml`).
    pub fn builtin() -> Wording {
        // The embedded file is checked by a unit test, so this cannot fail at run time.
        Wording::parse(BUILTIN).unwrap_or_else(|e| panic!("embedded wording.toml: {e}"))
    }

    /// Parses and checks a wording file: every key present and not empty, time limits positive
    /// whole numbers, texts naming only their own placeholders.
    pub fn parse(text: &str) -> Result<Wording, WordingError> {
        let r = Reader(
            text.parse::<toml::Table>()
                .map_err(|e| WordingError::Syntax(e.to_string()))?,
        );
        Ok(Wording {
            bureau: r.text("bureau.name")?,
            number_prefix: r.text("bureau.number_prefix")?,
            retention: r.text("bureau.retention")?,
            review_body: r.text("remedy.review_body")?,
            court: r.text("remedy.court")?,
            review_days: r.positive("remedy.review_days")?,
            litigation_months: r.positive("remedy.litigation_months")?,
            bank: r.text("payment.bank")?,
            account_name: r.text("payment.account_name")?,
            account: r.text("payment.account")?,
            payment_days: r.positive("payment.days")?,
            surcharge_percent: r.positive("payment.surcharge_percent")?,
            statement_days: r.positive("limits.statement_days")?,
            hearing_days: r.positive("limits.hearing_request_days")?,
            preservation_days: r.positive("limits.preservation_days")?,
            texts: Text::ALL
                .into_iter()
                .map(|t| r.template(t))
                .collect::<Result<_, _>>()?,
        })
    }

    /// The template of `text` as written in the file.
    pub fn template(&self, text: Text) -> &str {
        // `texts` is built in `Text::ALL`'s order, which is the variants' order.
        self.texts.get(text as usize).map_or("", String::as_str)
    }

    /// The value the wording itself gives a placeholder, if it is one of its own.
    fn own_value(&self, name: &str) -> Option<String> {
        Some(match name {
            "机关" => self.bureau.clone(),
            "复议机关" => self.review_body.clone(),
            "法院" => self.court.clone(),
            "复议期限" => self.review_days.to_string(),
            "诉讼期限" => self.litigation_months.to_string(),
            "银行" => self.bank.clone(),
            "户名" => self.account_name.clone(),
            "账号" => self.account.clone(),
            "缴款期限" => self.payment_days.to_string(),
            "加处比例" => self.surcharge_percent.to_string(),
            "陈述期限" => self.statement_days.to_string(),
            "听证期限" => self.hearing_days.to_string(),
            "保存期限" => self.preservation_days.to_string(),
            _ => return None,
        })
    }

    /// The text with its placeholders filled: the case's values (`金额`, `日期`, `案由`) from
    /// `values`, the rest from the wording. A placeholder given no value stays as written, so
    /// a missing value shows on a proof rather than vanishing.
    pub fn fill(&self, text: Text, values: &[(&str, &str)]) -> String {
        pieces(self.template(text))
            .into_iter()
            .map(|piece| match piece {
                Piece::Literal(s) => s.to_string(),
                Piece::Placeholder(name) => values
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.to_string())
                    .or_else(|| self.own_value(name))
                    .unwrap_or_else(|| format!("{{{name}}}")),
                // Parsing refused these, so a checked template has none.
                Piece::Unclosed => String::new(),
            })
            .collect()
    }

    /// Every key of the file with its name in Chinese and its value, in the file's order.
    fn entries(&self) -> Vec<(&'static str, &'static str, String)> {
        let mut out = vec![
            ("bureau.name", "执法机关名称", self.bureau.clone()),
            (
                "bureau.number_prefix",
                "文号前缀",
                self.number_prefix.clone(),
            ),
            ("bureau.retention", "卷宗保存期限", self.retention.clone()),
            (
                "remedy.review_body",
                "行政复议机关",
                self.review_body.clone(),
            ),
            ("remedy.court", "管辖法院", self.court.clone()),
            (
                "remedy.review_days",
                "申请行政复议期限（日）",
                self.review_days.to_string(),
            ),
            (
                "remedy.litigation_months",
                "提起行政诉讼期限（月）",
                self.litigation_months.to_string(),
            ),
            ("payment.bank", "代收罚款银行", self.bank.clone()),
            (
                "payment.account_name",
                "收款户名",
                self.account_name.clone(),
            ),
            ("payment.account", "收款账号", self.account.clone()),
            (
                "payment.days",
                "缴款期限（日）",
                self.payment_days.to_string(),
            ),
            (
                "payment.surcharge_percent",
                "加处罚款比例（%/日）",
                self.surcharge_percent.to_string(),
            ),
            (
                "limits.statement_days",
                "陈述、申辩期限（日）",
                self.statement_days.to_string(),
            ),
            (
                "limits.hearing_request_days",
                "听证申请期限（日）",
                self.hearing_days.to_string(),
            ),
            (
                "limits.preservation_days",
                "先行登记保存处理期限（日）",
                self.preservation_days.to_string(),
            ),
        ];
        out.extend(
            Text::ALL
                .into_iter()
                .map(|t| (t.key(), t.zh(), self.template(t).to_owned())),
        );
        out
    }

    /// What replacing this wording with `new` changes: each key whose value differs, in the
    /// file's order (every key is in both: a file without one is refused).
    pub fn changes(&self, new: &Wording) -> Vec<Change> {
        self.entries()
            .into_iter()
            .zip(new.entries())
            .filter_map(|((key, name, was), (_, _, now))| {
                Change::between((key, name), Some(&was), Some(&now), |a, b| {
                    format!("{a} → {b}")
                })
            })
            .collect()
    }

    /// A 文号 with the bureau's prefix: `示城管罚决字〔2026〕12号`.
    pub fn number(&self, kind: DocumentKind, year: i32, serial: &str) -> String {
        format!(
            "{}{}〔{year}〕{serial}号",
            self.number_prefix,
            kind.number_word()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(key_line: &str, replacement: &str) -> String {
        let found = BUILTIN
            .lines()
            .find(|l| l.starts_with(key_line))
            .unwrap_or_else(|| panic!("no line {key_line}"));
        BUILTIN.replacen(found, replacement, 1)
    }

    #[test]
    fn changes_name_each_key_that_differs() {
        let w = Wording::builtin();
        assert!(w.changes(&w).is_empty());
        let edited =
            with("court = ", "court = \"示例市西城区人民法院\"").replace("days = 15", "days = 30");
        let changes = w.changes(&Wording::parse(&edited).unwrap());
        let keys: Vec<(&str, &str)> = changes
            .iter()
            .map(|c| (c.item.as_str(), c.name.as_str()))
            .collect();
        assert_eq!(
            keys,
            [
                ("remedy.court", "管辖法院"),
                ("payment.days", "缴款期限（日）")
            ]
        );
        assert_eq!(changes[1].detail, "15 → 30");
        assert_eq!(changes[0].change, qc_domain::catalogue::ChangeKind::Changed);
    }

    #[test]
    fn builtin_parses_and_fills() {
        let w = Wording::builtin();
        assert_eq!(w.review_days, 60);
        assert_eq!(w.litigation_months, 6);
        assert_eq!(w.payment_days, 15);
        assert_eq!(w.surcharge_percent, 3);
        assert_eq!(w.hearing_days, 5);
        assert_eq!(w.statement_days, 3);
        assert_eq!(w.preservation_days, 7);
        let rights = w.fill(Text::Rights, &[]);
        assert!(
            rights.contains("60日内向示例市人民政府申请行政复议"),
            "{rights}"
        );
        assert!(rights.contains("6个月内依法向示例市东城区人民法院提起行政诉讼"));
        let pay = w.fill(Text::Payment, &[("金额", "罚款人民币伍佰元整（500元）")]);
        assert!(pay.contains("15日内") && pay.contains("伍佰元整"), "{pay}");
        assert!(w.fill(Text::Surcharge, &[]).contains("罚款数额的3%"));
        for t in Text::ALL {
            let values = [("金额", "x"), ("日期", "x"), ("案由", "x")];
            let filled = w.fill(t, &values);
            assert!(!filled.contains(['{', '}']), "{}: {filled}", t.key());
        }
        assert_eq!(
            w.number(DocumentKind::Decision, 2026, "12"),
            "示城管罚决字〔2026〕12号"
        );
    }

    #[test]
    fn a_missing_key_is_named() {
        let text = with("court =", "");
        assert_eq!(
            Wording::parse(&text),
            Err(WordingError::Missing("remedy.court"))
        );
        let text = with("questioning =", "");
        assert_eq!(
            Wording::parse(&text),
            Err(WordingError::Missing("texts.questioning"))
        );
    }

    #[test]
    fn an_empty_prefix_is_refused() {
        let text = with("number_prefix =", "number_prefix = \"  \"");
        let err = Wording::parse(&text).unwrap_err();
        assert_eq!(err, WordingError::Empty("bureau.number_prefix"));
        assert!(err.zh().contains("bureau.number_prefix"));
    }

    #[test]
    fn an_unknown_placeholder_is_named() {
        let text = with("surcharge =", "surcharge = \"每日按{加处比率}%加处罚款\"");
        let err = Wording::parse(&text).unwrap_err();
        assert_eq!(
            err,
            WordingError::UnknownPlaceholder {
                key: "texts.surcharge",
                name: "加处比率".into()
            }
        );
        assert!(err.to_string().contains("{加处比率}"), "{err}");
        // A placeholder known elsewhere is still unknown to a text that may not use it.
        let text = with("rights =", "rights = \"{金额}\"");
        assert!(matches!(
            Wording::parse(&text),
            Err(WordingError::UnknownPlaceholder {
                key: "texts.rights",
                ..
            })
        ));
    }

    #[test]
    fn an_unclosed_brace_is_named() {
        for bad in ["缴纳{金额", "缴纳金额}", "缴纳{金{额}"] {
            let text = with("payment =", &format!("payment = \"{bad}\""));
            assert_eq!(
                Wording::parse(&text),
                Err(WordingError::UnclosedBrace("texts.payment")),
                "{bad}"
            );
        }
    }

    #[test]
    fn time_limits_must_be_positive_whole_numbers() {
        let text = with("review_days =", "review_days = 0");
        assert_eq!(
            Wording::parse(&text),
            Err(WordingError::NotPositive {
                key: "remedy.review_days",
                value: 0
            })
        );
        let text = with("days =", "days = -15");
        assert!(matches!(
            Wording::parse(&text),
            Err(WordingError::NotPositive {
                key: "payment.days",
                ..
            })
        ));
        let text = with("hearing_request_days =", "hearing_request_days = \"五\"");
        assert!(matches!(
            Wording::parse(&text),
            Err(WordingError::WrongType {
                key: "limits.hearing_request_days",
                ..
            })
        ));
    }

    #[test]
    fn not_toml_is_refused() {
        assert!(matches!(
            Wording::parse("[bureau\nname ="),
            Err(WordingError::Syntax(_))
        ));
    }
}
