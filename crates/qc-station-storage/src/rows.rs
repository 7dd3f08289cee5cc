//! The station's case list: one row per case derived from its document when it arrives (what
//! the bureau's console searches and counts, so a figure never opens a document), its open
//! deadlines and its people. The SQL is written once here, for both backends: plain SQL both
//! speak, with placeholders each backend spells its own way.

use qc_domain::{CaseStatus, CaseView, Timestamp};

use crate::StorageError;

/// A case as the station lists it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CaseRow {
    /// The case id.
    pub id: String,
    /// Its squad.
    pub squad: String,
    /// Its status's code.
    pub status: String,
    /// The domain's code.
    pub domain: String,
    /// The domain's name.
    pub domain_name: String,
    /// The violation's code.
    pub violation: String,
    /// The violation's name.
    pub violation_name: String,
    /// Where.
    pub address: String,
    /// The grid unit.
    pub grid: String,
    /// The parties' names, joined.
    pub parties: String,
    /// What happened.
    pub summary: String,
    /// When registered (ms since the epoch).
    pub registered_at: i64,
    /// The latest act (ms).
    pub updated_at: i64,
    /// How the 721 method handled it (`service`, `management`, `enforcement`) and when.
    pub outcome721: Option<(String, i64)>,
    /// Whose case it is (person ids: the registrar, then the investigating officers).
    pub people: Vec<String>,
    /// Its open deadlines: kind code and when due (ms).
    pub deadlines: Vec<(String, i64)>,
    /// Its penalty result as published, if it was (not read back in the case list).
    pub disclosure: Option<Disclosure>,
}

/// 行政处罚结果公开 — a penalty result as published (its personal data redacted when the
/// act was accepted), and what became of it since.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disclosure {
    /// When published (ms).
    pub at: i64,
    /// The text published.
    pub text: String,
    /// The decision revoked (by 复议 or a court): when (ms), by whom, why.
    pub revoked: Option<(i64, String, String)>,
    /// The publication corrected after that: when (ms), the explanation, the corrected text.
    pub corrected: Option<(i64, String, String)>,
}

/// A published penalty result, as the public page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disclosed {
    /// The case.
    pub case_id: String,
    /// The violation's name.
    pub violation_name: String,
    /// What was published, and its history.
    pub disclosure: Disclosure,
}

/// A page of published penalty results, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisclosurePage {
    /// Published results in all.
    pub total: u64,
    /// This page's.
    pub rows: Vec<Disclosed>,
}

/// What the console asks of the case list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaseQuery {
    /// Text found in the address, the parties or the summary (any case).
    pub text: Option<String>,
    /// A status code.
    pub status: Option<String>,
    /// A squad.
    pub squad: Option<String>,
    /// A domain code.
    pub domain: Option<String>,
    /// Rows at most.
    pub limit: u32,
    /// Rows skipped (newest registered first).
    pub offset: u32,
}

/// A page of the case list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CasePage {
    /// Cases matching, in all.
    pub total: u64,
    /// The page's rows (without their deadlines and people), each with its overdue deadlines.
    pub rows: Vec<(CaseRow, u64)>,
}

/// A period of registration (or of a 721 outcome): from inclusive, to exclusive.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Period {
    /// From (ms), if bounded.
    pub from: Option<i64>,
    /// To (ms), if bounded.
    pub to: Option<i64>,
}

/// A count under a key (a status code, a squad…) with its label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Count {
    /// The key.
    pub key: String,
    /// The label (the domain's name for a domain; the key otherwise).
    pub label: String,
    /// How many.
    pub count: u64,
}

/// Open deadlines under a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadlineCount {
    /// The squad or the person.
    pub key: String,
    /// Past due.
    pub overdue: u64,
    /// Due within the window asked for.
    pub due_soon: u64,
}

/// A squad's matters by how the 721 method handled them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ratio721 {
    /// The squad.
    pub squad: String,
    /// 服务.
    pub service: u64,
    /// 管理.
    pub management: u64,
    /// 执法.
    pub enforcement: u64,
}

/// The console's figures over the cases a view sees.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CaseFigures {
    /// Cases registered in the period.
    pub total: u64,
    /// Of them, by status.
    pub by_status: Vec<Count>,
    /// By domain.
    pub by_domain: Vec<Count>,
    /// By squad.
    pub by_squad: Vec<Count>,
    /// By grid unit.
    pub by_grid: Vec<Count>,
    /// Open deadlines now (whatever the period), by squad.
    pub deadlines_by_squad: Vec<DeadlineCount>,
    /// The same by person whose case it is.
    pub deadlines_by_person: Vec<DeadlineCount>,
    /// Matters whose 721 outcome falls in the period, by squad.
    pub ratio721: Vec<Ratio721>,
}

/// The station's case list, in each backend's database.
pub trait CaseRows {
    /// Keeps a case's row, its deadlines and people (replacing the previous ones).
    fn put_case_row(&self, row: &CaseRow) -> Result<(), StorageError>;
    /// The cases with a document and no row (kept before rows were, or a crash between).
    fn cases_without_rows(&self) -> Result<Vec<String>, StorageError>;
    /// A page of the cases `view` sees that match `query`, newest registered first.
    fn case_page(
        &self,
        view: &CaseView,
        query: &CaseQuery,
        now: Timestamp,
    ) -> Result<CasePage, StorageError>;
    /// The figures of the cases `view` sees: `due_soon_ms` is the due-soon window.
    fn case_figures(
        &self,
        view: &CaseView,
        period: Period,
        now: Timestamp,
        due_soon_ms: i64,
    ) -> Result<CaseFigures, StorageError>;
    /// A page of the published penalty results (every case's: they are public), newest first.
    fn disclosures(&self, limit: u32, offset: u32) -> Result<DisclosurePage, StorageError>;
    /// The violation types some case is about (a catalogue that drops one is refused).
    fn violations_in_use(&self) -> Result<Vec<String>, StorageError>;
    /// Names the rows' domains and violation types (code, name) as given, where they differ:
    /// a new catalogue renamed them (a published result keeps the name it was published
    /// under).
    fn rename_in_rows(
        &self,
        domains: &[(String, String)],
        violations: &[(String, String)],
    ) -> Result<(), StorageError>;
}

/// A value bound to a placeholder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    /// Text.
    Text(String),
    /// A 64-bit integer.
    Int(i64),
}

/// A statement and its arguments, the placeholders numbered `$1`, `$2`… (PostgreSQL's
/// spelling; SQLite reads `$1` as a named parameter bound by position too).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// The SQL.
    pub sql: String,
    /// The arguments, in placeholder order.
    pub args: Vec<Arg>,
}

/// Builds the WHERE clause of a statement over a table `r` holding `squad` and `status` (a
/// case row, its facts, its deadlines, its duties).
struct Where {
    terms: Vec<String>,
    args: Vec<Arg>,
}

impl Where {
    fn new() -> Where {
        Where {
            terms: Vec::new(),
            args: Vec::new(),
        }
    }

    fn place(&mut self, arg: Arg) -> String {
        self.args.push(arg);
        format!("${}", self.args.len())
    }

    /// The cases a view sees: the rule of [`CaseView`] (squads, and the statuses a legal
    /// reviewer sees), as SQL.
    fn view(mut self, view: &CaseView) -> Where {
        if view.everything {
            return self;
        }
        let mut either = Vec::new();
        let squads: Vec<String> = view
            .squads
            .iter()
            .map(|s| self.place(Arg::Text(s.clone())))
            .collect();
        if !squads.is_empty() {
            either.push(format!("r.squad IN ({})", squads.join(", ")));
        }
        if view.sent_for_review {
            let statuses: Vec<String> = CaseStatus::all_sent_for_review()
                .map(|s| self.place(Arg::Text(s.code().into())))
                .collect();
            either.push(format!("r.status IN ({})", statuses.join(", ")));
        }
        self.terms.push(if either.is_empty() {
            "1 = 0".into()
        } else {
            format!("({})", either.join(" OR "))
        });
        self
    }

    fn equals(mut self, column: &str, value: Option<&String>) -> Where {
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            let p = self.place(Arg::Text(v.clone()));
            self.terms.push(format!("r.{column} = {p}"));
        }
        self
    }

    fn text(mut self, text: Option<&String>) -> Where {
        if let Some(t) = text
            .map(|t| t.trim().to_lowercase())
            .filter(|t| !t.is_empty())
        {
            let escaped = t
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            let p = self.place(Arg::Text(format!("%{escaped}%")));
            self.terms.push(format!("r.search LIKE {p} ESCAPE '\\'"));
        }
        self
    }

    fn period(mut self, column: &str, period: Period) -> Where {
        if let Some(from) = period.from {
            let p = self.place(Arg::Int(from));
            self.terms.push(format!("r.{column} >= {p}"));
        }
        if let Some(to) = period.to {
            let p = self.place(Arg::Int(to));
            self.terms.push(format!("r.{column} < {p}"));
        }
        self
    }

    fn clause(&self) -> String {
        if self.terms.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", self.terms.join(" AND "))
        }
    }

    /// A statement whose `{where}` is this clause and whose `{nowN}` and similar named
    /// integers are placed after the filter's arguments.
    fn statement(mut self, sql: &str, ints: &[(&str, i64)]) -> Statement {
        let mut sql = sql.replace("{where}", &self.clause());
        for (name, value) in ints {
            let p = self.place(Arg::Int(*value));
            sql = sql.replace(&format!("{{{name}}}"), &p);
        }
        Statement {
            sql,
            args: self.args,
        }
    }
}

/// The lower-case text a search looks in.
pub fn search_text(row: &CaseRow) -> String {
    [&row.address, &row.parties, &row.summary]
        .map(|f| f.to_lowercase())
        .join("\n")
}

/// The columns of a row, in the order [`page_statement`] reads them.
pub const ROW_COLUMNS: &str = "r.case_id, r.squad, r.status, r.domain, r.domain_name, \
     r.violation, r.violation_name, r.address, r.grid, r.parties, r.summary, r.registered_at, \
     r.updated_at, r.outcome721, r.outcome_at";

/// The page of rows a query asks for, each with its count of overdue deadlines (last column).
pub fn page_statement(view: &CaseView, q: &CaseQuery, now: Timestamp) -> Statement {
    filtered(view, q).statement(
        &format!(
            "SELECT {ROW_COLUMNS}, (SELECT COUNT(*) FROM case_row_deadlines d \
               WHERE d.case_id = r.case_id AND d.due_at < {{now}}) \
             FROM case_rows r{{where}} ORDER BY r.registered_at DESC, r.case_id \
             LIMIT {{limit}} OFFSET {{offset}}"
        ),
        &[
            ("now", now.0),
            ("limit", i64::from(q.limit)),
            ("offset", i64::from(q.offset)),
        ],
    )
}

/// How many rows a query matches.
pub fn count_statement(view: &CaseView, q: &CaseQuery) -> Statement {
    filtered(view, q).statement("SELECT COUNT(*) FROM case_rows r{where}", &[])
}

fn filtered(view: &CaseView, q: &CaseQuery) -> Where {
    Where::new()
        .view(view)
        .equals("status", q.status.as_ref())
        .equals("squad", q.squad.as_ref())
        .equals("domain", q.domain.as_ref())
        .text(q.text.as_ref())
}

/// Keeps a case's facts, the narrow row the dashboard counts (both backends' SQL; arguments:
/// id, squad, status, domain, domain name, grid, registered at, 721 outcome and its time).
pub const PUT_FACTS: &str = "INSERT INTO case_row_facts (case_id, squad, status, domain, \
       domain_name, grid, registered_at, outcome721, outcome_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
     ON CONFLICT (case_id) DO UPDATE SET squad = EXCLUDED.squad, status = EXCLUDED.status, \
       domain = EXCLUDED.domain, domain_name = EXCLUDED.domain_name, grid = EXCLUDED.grid, \
       registered_at = EXCLUDED.registered_at, outcome721 = EXCLUDED.outcome721, \
       outcome_at = EXCLUDED.outcome_at";

/// Counts of the cases registered in the period, grouped by `column` (key, label, count),
/// read from the cases' facts.
pub fn grouped_statement(view: &CaseView, period: Period, column: &str) -> Statement {
    let label = if column == "domain" {
        "MIN(r.domain_name)"
    } else {
        "r.__"
    };
    let label = label.replace("__", column);
    Where::new()
        .view(view)
        .period("registered_at", period)
        .statement(
            &format!(
                "SELECT r.{column}, {label}, COUNT(*) FROM case_row_facts r{{where}} \
                 GROUP BY r.{column} ORDER BY COUNT(*) DESC, r.{column}"
            ),
            &[],
        )
}

/// Open deadlines that are overdue or due soon, by squad (`by_person` false) or by person
/// (true): key, overdue, due soon. Those further off are not read (an index on the due date
/// leaves them out), and no case row is: each deadline row, and each person's duty row,
/// carries its case's squad and status, which is all a view filters on.
pub fn deadlines_statement(
    view: &CaseView,
    now: Timestamp,
    due_soon_ms: i64,
    by_person: bool,
) -> Statement {
    let (key, table) = if by_person {
        ("r.person", "case_row_duties")
    } else {
        ("r.squad", "case_row_deadlines")
    };
    let mut w = Where::new().view(view);
    w.terms.push("r.due_at <= {soon}".into());
    w.statement(
        &format!(
            "SELECT {key}, {key}, \
               SUM(CASE WHEN r.due_at < {{now}} THEN 1 ELSE 0 END), \
               SUM(CASE WHEN r.due_at >= {{now2}} THEN 1 ELSE 0 END) \
             FROM {table} r{{where}} GROUP BY {key} ORDER BY {key}"
        ),
        &[
            ("now", now.0),
            ("now2", now.0),
            ("soon", now.0 + due_soon_ms),
        ],
    )
}

/// Matters by 721 outcome in the period, by squad, read from the cases' facts.
pub fn ratio_statement(view: &CaseView, period: Period) -> Statement {
    let mut w = Where::new().view(view).period("outcome_at", period);
    w.terms.push("r.outcome_at IS NOT NULL".into());
    w.statement(
        "SELECT r.squad, r.squad, \
           SUM(CASE WHEN r.outcome721 = 'service' THEN 1 ELSE 0 END), \
           SUM(CASE WHEN r.outcome721 = 'management' THEN 1 ELSE 0 END), \
           SUM(CASE WHEN r.outcome721 = 'enforcement' THEN 1 ELSE 0 END) \
         FROM case_row_facts r{where} GROUP BY r.squad ORDER BY r.squad",
        &[],
    )
}

/// A count read back from the database.
pub fn count(n: i64) -> Result<u64, StorageError> {
    u64::try_from(n).map_err(|_| StorageError::Damaged(format!("a count of {n}")))
}

impl<T: CaseRows + ?Sized> CaseRows for Box<T> {
    fn put_case_row(&self, row: &CaseRow) -> Result<(), StorageError> {
        (**self).put_case_row(row)
    }
    fn cases_without_rows(&self) -> Result<Vec<String>, StorageError> {
        (**self).cases_without_rows()
    }
    fn case_page(
        &self,
        view: &CaseView,
        query: &CaseQuery,
        now: Timestamp,
    ) -> Result<CasePage, StorageError> {
        (**self).case_page(view, query, now)
    }
    fn case_figures(
        &self,
        view: &CaseView,
        period: Period,
        now: Timestamp,
        due_soon_ms: i64,
    ) -> Result<CaseFigures, StorageError> {
        (**self).case_figures(view, period, now, due_soon_ms)
    }
    fn disclosures(&self, limit: u32, offset: u32) -> Result<DisclosurePage, StorageError> {
        (**self).disclosures(limit, offset)
    }
    fn violations_in_use(&self) -> Result<Vec<String>, StorageError> {
        (**self).violations_in_use()
    }
    fn rename_in_rows(
        &self,
        domains: &[(String, String)],
        violations: &[(String, String)],
    ) -> Result<(), StorageError> {
        (**self).rename_in_rows(domains, violations)
    }
}

/// What a backend keeps of a row's disclosure, in the columns of `disclosures` after the case
/// id and violation name: published at, text, revoked at, by, why, corrected at, explanation,
/// corrected text.
pub type DisclosureColumns<'a> = (
    i64,
    &'a str,
    Option<i64>,
    Option<&'a str>,
    Option<&'a str>,
    Option<i64>,
    Option<&'a str>,
    Option<&'a str>,
);

impl Disclosure {
    /// The columns a backend writes.
    pub fn columns(&self) -> DisclosureColumns<'_> {
        let (ra, rb, rr) = match &self.revoked {
            Some((at, by, why)) => (Some(*at), Some(by.as_str()), Some(why.as_str())),
            None => (None, None, None),
        };
        let (ca, ce, ct) = match &self.corrected {
            Some((at, why, text)) => (Some(*at), Some(why.as_str()), Some(text.as_str())),
            None => (None, None, None),
        };
        (self.at, &self.text, ra, rb, rr, ca, ce, ct)
    }

    /// The disclosure of the columns a backend read back (owned).
    #[allow(clippy::type_complexity)]
    pub fn from_columns(
        (at, text, ra, rb, rr, ca, ce, ct): (
            i64,
            String,
            Option<i64>,
            Option<String>,
            Option<String>,
            Option<i64>,
            Option<String>,
            Option<String>,
        ),
    ) -> Disclosure {
        Disclosure {
            at,
            text,
            revoked: ra.map(|at| (at, rb.unwrap_or_default(), rr.unwrap_or_default())),
            corrected: ca.map(|at| (at, ce.unwrap_or_default(), ct.unwrap_or_default())),
        }
    }
}

/// Keeps a row's disclosure (`$1` the case, `$2` the violation's name, then
/// [`Disclosure::columns`]), in the SQL both backends speak.
pub const PUT_DISCLOSURE: &str = "INSERT INTO disclosures (case_id, violation_name, disclosed_at, \
     text, revoked_at, revoked_by, revoked_reason, corrected_at, correction_explanation, \
     correction_text) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
     ON CONFLICT (case_id) DO UPDATE SET violation_name = excluded.violation_name,
       disclosed_at = excluded.disclosed_at, text = excluded.text,
       revoked_at = excluded.revoked_at, revoked_by = excluded.revoked_by,
       revoked_reason = excluded.revoked_reason, corrected_at = excluded.corrected_at,
       correction_explanation = excluded.correction_explanation,
       correction_text = excluded.correction_text";
/// Forgets the disclosure of case `$1` (its row was derived without one).
pub const DROP_DISCLOSURE: &str = "DELETE FROM disclosures WHERE case_id = $1";
/// How many results are published.
pub const COUNT_DISCLOSURES: &str = "SELECT count(*) FROM disclosures";
/// A page of published results, newest first: `$1` rows after `$2`; the case id, the
/// violation's name, then [`Disclosure::from_columns`]'s.
pub const DISCLOSURE_PAGE: &str = "SELECT case_id, violation_name, disclosed_at, text, \
     revoked_at, revoked_by, revoked_reason, corrected_at, correction_explanation, \
     correction_text FROM disclosures ORDER BY disclosed_at DESC, case_id LIMIT $1 OFFSET $2";

/// Runs every query of [`CaseFigures`] through `run` (a backend's way to run a [`Statement`]);
/// every one of them reads key, label, then numbers (a NULL sum is 0).
pub fn figures(
    view: &CaseView,
    period: Period,
    now: Timestamp,
    due_soon_ms: i64,
    mut run: impl FnMut(&Statement) -> Result<Vec<(String, String, Vec<i64>)>, StorageError>,
) -> Result<CaseFigures, StorageError> {
    let mut grouped = |column: &str| -> Result<Vec<Count>, StorageError> {
        run(&grouped_statement(view, period, column))?
            .into_iter()
            .map(|(key, label, n)| {
                Ok(Count {
                    key,
                    label,
                    count: count(n.first().copied().unwrap_or_default())?,
                })
            })
            .collect()
    };
    let by_status = grouped("status")?;
    let by_domain = grouped("domain")?;
    let by_squad = grouped("squad")?;
    let by_grid = grouped("grid")?;
    let mut deadlines = |by_person: bool| -> Result<Vec<DeadlineCount>, StorageError> {
        run(&deadlines_statement(view, now, due_soon_ms, by_person))?
            .into_iter()
            .map(|(key, _, n)| {
                Ok(DeadlineCount {
                    key,
                    overdue: count(n.first().copied().unwrap_or_default())?,
                    due_soon: count(n.get(1).copied().unwrap_or_default())?,
                })
            })
            .collect()
    };
    let deadlines_by_squad = deadlines(false)?;
    let deadlines_by_person = deadlines(true)?;
    let ratio721 = run(&ratio_statement(view, period))?
        .into_iter()
        .map(|(squad, _, n)| {
            let at = |i: usize| count(n.get(i).copied().unwrap_or_default());
            Ok(Ratio721 {
                squad,
                service: at(0)?,
                management: at(1)?,
                enforcement: at(2)?,
            })
        })
        .collect::<Result<_, StorageError>>()?;
    Ok(CaseFigures {
        total: by_status.iter().map(|c| c.count).sum(),
        by_status,
        by_domain,
        by_squad,
        by_grid,
        deadlines_by_squad,
        deadlines_by_person,
        ratio721,
    })
}

/// The checks every backend must pass, on a store with no case rows.
#[doc(hidden)]
// A test suite: failing loudly is its job.
#[allow(clippy::unwrap_used)]
pub mod suite {
    use std::collections::BTreeSet;

    use super::*;

    const DAY: i64 = 86_400_000;
    const NOW: Timestamp = Timestamp(1_795_000_000_000);

    fn row(id: &str, squad: &str, status: &str, registered_days_ago: i64) -> CaseRow {
        CaseRow {
            id: id.into(),
            squad: squad.into(),
            status: status.into(),
            domain: "transport".into(),
            domain_name: "交通管理".into(),
            violation: "transport.road_occupation".into(),
            violation_name: "占道经营".into(),
            address: format!("景华路{id}号"),
            grid: "JX-01".into(),
            parties: "张三".into(),
            summary: "占道经营水果摊".into(),
            registered_at: NOW.0 - registered_days_ago * DAY,
            updated_at: NOW.0,
            outcome721: None,
            people: vec!["li.ming".into()],
            deadlines: Vec::new(),
            disclosure: None,
        }
    }

    fn ids(page: &CasePage) -> Vec<&str> {
        page.rows.iter().map(|(r, _)| r.id.as_str()).collect()
    }

    fn all() -> CaseView {
        CaseView {
            everything: true,
            ..CaseView::default()
        }
    }

    fn query() -> CaseQuery {
        CaseQuery {
            limit: 50,
            ..CaseQuery::default()
        }
    }

    /// Published results: kept with their row, listed newest first, changed with it.
    fn disclosures<S: CaseRows>(store: &S) {
        assert_eq!(store.disclosures(10, 0).unwrap().total, 0);
        let published = |at: i64| Disclosure {
            at,
            text: "当事人张**：占道经营，决定罚款200元。".into(),
            revoked: None,
            corrected: None,
        };
        let mut d = row("d", "一中队", "disclosed", 5);
        d.disclosure = Some(published(NOW.0 - 2 * DAY));
        let mut e = row("e", "二中队", "executed", 4);
        e.disclosure = Some(published(NOW.0 - DAY));
        store.put_case_row(&d).unwrap();
        store.put_case_row(&e).unwrap();
        let page = store.disclosures(10, 0).unwrap();
        assert_eq!(page.total, 2);
        let listed: Vec<&str> = page.rows.iter().map(|r| r.case_id.as_str()).collect();
        assert_eq!(listed, ["e", "d"], "newest first");
        assert_eq!(page.rows[1].disclosure, published(NOW.0 - 2 * DAY));
        assert_eq!(page.rows[1].violation_name, "占道经营");
        // Revoked and corrected: the history comes back whole.
        let mut history = published(NOW.0 - 2 * DAY);
        history.revoked = Some((NOW.0 - DAY, "某区人民法院".into(), "事实不清".into()));
        history.corrected = Some((NOW.0, "原决定已被撤销".into(), "已撤销。".into()));
        d.disclosure = Some(history.clone());
        store.put_case_row(&d).unwrap();
        let page = store.disclosures(1, 1).unwrap();
        assert_eq!((page.total, page.rows.len()), (2, 1));
        assert_eq!(page.rows[0].disclosure, history);
        // A row derived without one (never the case for a real document) has none.
        e.disclosure = None;
        store.put_case_row(&e).unwrap();
        assert_eq!(store.disclosures(10, 0).unwrap().total, 1);
        // Every case's result is public: the rows of the checks below stay unpublished.
        d.disclosure = None;
        store.put_case_row(&d).unwrap();
    }

    /// Deadline counts as (key, overdue, due soon), to compare.
    fn dl(v: &[DeadlineCount]) -> Vec<(&str, u64, u64)> {
        v.iter()
            .map(|d| (d.key.as_str(), d.overdue, d.due_soon))
            .collect()
    }

    /// Runs every check on `store`.
    pub fn run<S: CaseRows>(store: &S) {
        let mut a = row("a", "一中队", "filed", 3);
        a.deadlines = vec![
            ("decision".into(), NOW.0 - DAY),
            ("delivery".into(), NOW.0 + DAY),
        ];
        a.people = vec!["li.ming".into(), "wang.fang".into()];
        a.outcome721 = Some(("enforcement".into(), NOW.0 - 3 * DAY));
        let mut b = row("b", "二中队", "legal_reviewed", 2);
        b.summary = "商铺门前堆放杂物 100%".into();
        b.domain = "city".into();
        b.domain_name = "市容环境".into();
        b.grid = "JX-02".into();
        b.deadlines = vec![("decision".into(), NOW.0 + 10 * DAY)];
        let mut c = row("c", "一中队", "handled", 1);
        c.outcome721 = Some(("service".into(), NOW.0 - DAY));
        c.parties = "李四<script>".into();
        c.violation = "city.stacking".into();
        for r in [&a, &b, &c] {
            store.put_case_row(r).unwrap();
        }
        let mut used = store.violations_in_use().unwrap();
        used.sort();
        assert_eq!(used, ["city.stacking", "transport.road_occupation"]);
        // A catalogue that renames a type and a domain names the rows by it.
        let named = |code: &str, name: &str| vec![(code.to_owned(), name.to_owned())];
        store
            .rename_in_rows(
                &named("city", "市容秩序"),
                &named("city.stacking", "乱堆乱放"),
            )
            .unwrap();
        let page = store.case_page(&all(), &query(), NOW).unwrap();
        let row = |id: &str| {
            page.rows
                .iter()
                .find(|(r, _)| r.id == id)
                .unwrap()
                .0
                .clone()
        };
        assert_eq!(row("c").violation_name, "乱堆乱放");
        assert_eq!(row("b").domain_name, "市容秩序");
        assert_eq!(
            row("a").violation_name,
            "占道经营",
            "another type keeps its name"
        );
        store
            .rename_in_rows(
                &named("city", "市容环境"),
                &named("city.stacking", "占道经营"),
            )
            .unwrap();

        // Newest first; a squad's view; a legal reviewer's; nobody's.
        assert_eq!(
            ids(&store.case_page(&all(), &query(), NOW).unwrap()),
            ["c", "b", "a"]
        );
        let squad = CaseView::squad("一中队");
        assert_eq!(
            ids(&store.case_page(&squad, &query(), NOW).unwrap()),
            ["c", "a"]
        );
        let legal = CaseView {
            sent_for_review: true,
            ..CaseView::default()
        };
        assert_eq!(ids(&store.case_page(&legal, &query(), NOW).unwrap()), ["b"]);
        let nobody = store
            .case_page(&CaseView::default(), &query(), NOW)
            .unwrap();
        assert_eq!((nobody.total, nobody.rows.len()), (0, 0));

        // Text in the summary, the address or the parties; `%` is a character, not a wildcard.
        let text = |t: &str| CaseQuery {
            text: Some(t.into()),
            ..query()
        };
        assert_eq!(
            ids(&store.case_page(&all(), &text("堆放"), NOW).unwrap()),
            ["b"]
        );
        assert_eq!(
            ids(&store.case_page(&all(), &text("景华路a"), NOW).unwrap()),
            ["a"]
        );
        assert_eq!(
            ids(&store.case_page(&all(), &text("<SCRIPT>"), NOW).unwrap()),
            ["c"]
        );
        assert_eq!(
            ids(&store.case_page(&all(), &text("100%"), NOW).unwrap()),
            ["b"]
        );
        assert!(
            store
                .case_page(&all(), &text("0%号"), NOW)
                .unwrap()
                .rows
                .is_empty()
        );
        assert_eq!(
            ids(&store.case_page(&squad, &text("堆放"), NOW).unwrap()),
            Vec::<&str>::new()
        );

        // Filters and paging; the overdue count of each row.
        let filtered = CaseQuery {
            status: Some("filed".into()),
            squad: Some("一中队".into()),
            domain: Some("transport".into()),
            ..query()
        };
        let page = store.case_page(&all(), &filtered, NOW).unwrap();
        assert_eq!((ids(&page), page.rows[0].1), (vec!["a"], 1));
        let second = CaseQuery {
            limit: 1,
            offset: 1,
            ..query()
        };
        let page = store.case_page(&all(), &second, NOW).unwrap();
        assert_eq!((page.total, ids(&page)), (3, vec!["b"]));
        assert_eq!(page.rows[0].0.summary, "商铺门前堆放杂物 100%");

        // The figures.
        let f = store
            .case_figures(&all(), Period::default(), NOW, 3 * DAY)
            .unwrap();
        assert_eq!(f.total, 3);
        let counts = |v: &[Count]| {
            v.iter()
                .map(|c| (c.key.clone(), c.label.clone(), c.count))
                .collect::<BTreeSet<_>>()
        };
        assert_eq!(
            counts(&f.by_domain),
            [
                ("city".into(), "市容环境".into(), 1),
                ("transport".into(), "交通管理".into(), 2)
            ]
            .into()
        );
        assert_eq!(
            counts(&f.by_squad),
            [
                ("一中队".into(), "一中队".into(), 2),
                ("二中队".into(), "二中队".into(), 1)
            ]
            .into()
        );
        assert_eq!(f.by_status.len(), 3);
        assert_eq!(f.by_grid.len(), 2);
        assert_eq!(
            dl(&f.deadlines_by_squad),
            [("一中队", 1, 1)],
            "squads with deadlines overdue or due soon"
        );
        assert_eq!(
            dl(&f.deadlines_by_person),
            [("li.ming", 1, 1), ("wang.fang", 1, 1)]
        );
        assert_eq!(
            f.ratio721,
            [Ratio721 {
                squad: "一中队".into(),
                service: 1,
                management: 0,
                enforcement: 1
            }]
        );

        // A period: registered in the last two days; 721 outcomes in it.
        let recent = Period {
            from: Some(NOW.0 - 2 * DAY - 1),
            to: Some(NOW.0),
        };
        let f = store.case_figures(&all(), recent, NOW, 3 * DAY).unwrap();
        assert_eq!(f.total, 2);
        assert_eq!(f.ratio721[0].enforcement, 0);
        assert_eq!(f.ratio721[0].service, 1);
        // The squad's view counts its own only.
        let f = store
            .case_figures(&squad, Period::default(), NOW, 3 * DAY)
            .unwrap();
        assert_eq!((f.total, f.deadlines_by_squad.len()), (2, 1));

        // A case moved to another squad and sent for legal review: its deadlines count there,
        // and for the legal department, at once.
        let legal = CaseView {
            sent_for_review: true,
            ..CaseView::default()
        };
        let moved = CaseRow {
            squad: "二中队".into(),
            status: "investigation_concluded".into(),
            ..a.clone()
        };
        store.put_case_row(&moved).unwrap();
        let f = store
            .case_figures(&legal, Period::default(), NOW, 3 * DAY)
            .unwrap();
        assert_eq!(dl(&f.deadlines_by_squad), [("二中队", 1, 1)]);
        assert_eq!(
            dl(&f.deadlines_by_person),
            [("li.ming", 1, 1), ("wang.fang", 1, 1)]
        );
        // Its facts moved too: counted for the legal department, in its new squad.
        assert_eq!(f.total, 2, "{:?}", f.by_status);
        assert!(
            f.by_squad.iter().all(|c| c.key == "二中队"),
            "{:?}",
            f.by_squad
        );
        let f = store
            .case_figures(&squad, Period::default(), NOW, 3 * DAY)
            .unwrap();
        assert!(f.deadlines_by_squad.is_empty() && f.deadlines_by_person.is_empty());

        // A row kept again replaces its deadlines and people.
        a.deadlines.clear();
        a.people = vec!["zhao".into()];
        store.put_case_row(&a).unwrap();
        let f = store
            .case_figures(&all(), Period::default(), NOW, 3 * DAY)
            .unwrap();
        assert!(
            f.deadlines_by_squad.is_empty() && f.deadlines_by_person.is_empty(),
            "{:?} {:?}",
            f.deadlines_by_squad,
            f.deadlines_by_person
        );
        assert_eq!(store.case_page(&all(), &query(), NOW).unwrap().total, 3);
        // Last: its rows would change the figures above.
        disclosures(store);
    }

    /// Case rows as a store kept them before the dashboard's narrow rows (facts apart,
    /// deadline rows carrying their case's squad and status, people's duties), with a
    /// deadline of a case that has no row (which the old join never counted): SQL both
    /// backends run on that schema.
    pub const ROWS_BEFORE_DUTIES: &str = "
        INSERT INTO case_rows (case_id, squad, status, domain, domain_name, violation,
          violation_name, address, grid, parties, summary, search, registered_at, updated_at)
        VALUES ('a', '一中队', 'filed', 'transport', '交通管理', 'v', '占道', '景华路', 'G', '',
                '', '', 1794900000000, 1794900000000),
               ('b', '二中队', 'legal_reviewed', 'city', '市容环境', 'v', '占道', '景华路', 'G',
                '', '', '', 1794900000000, 1794900000000);
        INSERT INTO case_row_deadlines (case_id, kind, due_at)
        VALUES ('a', 'decision', 1794913600000), ('a', 'delivery', 1795086400000),
               ('b', 'decision', 1795043200000), ('gone', 'decision', 1794913600000);
        INSERT INTO case_row_people (case_id, person)
        VALUES ('a', 'li.ming'), ('a', 'wang.fang'), ('b', 'zhao.qiang'), ('gone', 'li.ming');";

    /// After the migration, the rows of [`ROWS_BEFORE_DUTIES`] count as they did.
    pub fn rows_before_duties_count_as_before<S: CaseRows>(store: &S) {
        let f = store
            .case_figures(&all(), Period::default(), NOW, 3 * DAY)
            .unwrap();
        assert_eq!(f.total, 2, "the cases' facts moved too");
        assert_eq!(f.by_squad.len(), 2);
        assert_eq!(
            dl(&f.deadlines_by_squad),
            [("一中队", 1, 1), ("二中队", 0, 1)]
        );
        assert_eq!(
            dl(&f.deadlines_by_person),
            [("li.ming", 1, 1), ("wang.fang", 1, 1), ("zhao.qiang", 0, 1)]
        );
        let legal = CaseView {
            sent_for_review: true,
            ..CaseView::default()
        };
        let f = store
            .case_figures(&legal, Period::default(), NOW, 3 * DAY)
            .unwrap();
        assert_eq!(dl(&f.deadlines_by_person), [("zhao.qiang", 0, 1)]);
    }
}
