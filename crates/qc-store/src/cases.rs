//! Case documents and the case-list projection derived from them.

use qc_casedoc::{CaseDoc, CaseSummary};
use qc_domain::{Deadline, DeadlineKind, Timestamp, Urgency};
use rusqlite::types::Value;
use rusqlite::{OptionalExtension, Row, Transaction, params, params_from_iter};

use qc_chain::SignedEntry;

use crate::ledger::{self, EntryContext, Touched};
use crate::{Store, StoreError};

/// Which deadlines a list should be narrowed to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DueFilter {
    /// Has a deadline already passed.
    Overdue,
    /// Has a deadline within the due-soon window (not yet passed).
    DueSoon,
    /// Either.
    Urgent,
}

/// Filters for the case list; empty fields do not filter.
#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    /// Status code.
    pub status: Option<String>,
    /// Domain code.
    pub domain: Option<String>,
    /// Grid unit.
    pub grid: Option<String>,
    /// Squad.
    pub squad: Option<String>,
    /// A person's own cases: those they registered or investigate.
    pub person: Option<String>,
    /// Free text (matches summary, address, parties, violation, grid, id).
    pub text: Option<String>,
    /// Deadline urgency.
    pub due: Option<DueFilter>,
    /// Cases waiting on this role's act (a role code): the queue.
    pub waiting_on: Option<String>,
    /// Page size (default 200).
    pub limit: Option<u32>,
    /// Rows to skip.
    pub offset: Option<u32>,
}

/// Matters handled by each part of the 721 method in a period (七分服务、两分管理、一分执法).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct Ratio721 {
    /// 服务: advice, education, dissuasion.
    pub service: u64,
    /// 管理: orders to correct.
    pub management: u64,
    /// 执法: cases filed and on-the-spot decisions.
    pub enforcement: u64,
}

/// A case-list row: the projection with deadline urgency as of the query.
pub type CaseRow = CaseSummary;

const ROW_COLUMNS: &str = "case_id, squad, status, domain, domain_name, violation, violation_name,
    source, address, grid, parties, summary, registered_at, updated_at, anomalies, people, waiting,
    outcome721, outcome_at";

fn row_to_summary(r: &Row<'_>) -> rusqlite::Result<CaseSummary> {
    Ok(CaseSummary {
        id: r.get(0)?,
        squad: r.get(1)?,
        status: r.get(2)?,
        domain: r.get(3)?,
        domain_name: r.get(4)?,
        violation: r.get(5)?,
        violation_name: r.get(6)?,
        source: r.get(7)?,
        address: r.get(8)?,
        grid: r.get(9)?,
        parties: r.get(10)?,
        summary: r.get(11)?,
        registered_at: Timestamp(r.get(12)?),
        updated_at: Timestamp(r.get(13)?),
        anomalies: r.get(14)?,
        people: split_list(&r.get::<_, String>(15)?),
        waiting_on: split_list(&r.get::<_, String>(16)?),
        outcome721: match (r.get::<_, String>(17)?, r.get::<_, Option<i64>>(18)?) {
            (k, Some(at)) if !k.is_empty() => Some((k, Timestamp(at))),
            _ => None,
        },
        deadlines: Vec::new(),
    })
}

fn kind_columns(kind: &DeadlineKind) -> (&'static str, String) {
    match kind {
        DeadlineKind::Preservation { notice } => (kind.code(), notice.clone()),
        other => (other.code(), String::new()),
    }
}

fn kind_from_columns(code: &str, detail: String) -> Result<DeadlineKind, StoreError> {
    Ok(match code {
        "decision" => DeadlineKind::Decision,
        "delivery" => DeadlineKind::Delivery,
        "preservation" => DeadlineKind::Preservation { notice: detail },
        "inform_complainant" => DeadlineKind::InformComplainant,
        "payment" => DeadlineKind::Payment,
        "disclosure" => DeadlineKind::Disclosure,
        "correct_disclosure" => DeadlineKind::CorrectDisclosure,
        "follow_up" => DeadlineKind::FollowUp,
        other => return Err(StoreError::Malformed(format!("deadline kind {other}"))),
    })
}

fn search_text(s: &CaseSummary) -> String {
    [
        &s.id,
        &s.summary,
        &s.address,
        &s.parties,
        &s.domain_name,
        &s.violation_name,
        &s.grid,
        &s.squad,
    ]
    .map(|f| f.to_lowercase())
    .join("\n")
}

fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

impl Store {
    /// Stores a new case document, its projection and the signed entry recording it, in one
    /// transaction: all three or none.
    pub fn insert_case(
        &mut self,
        doc: &mut CaseDoc,
        device: &str,
        sign: impl FnOnce(&EntryContext) -> Result<SignedEntry, StoreError>,
    ) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        let id = doc.id()?;
        let exists: Option<i64> = tx
            .query_row("SELECT 1 FROM case_docs WHERE case_id = ?1", [&id.0], |r| {
                r.get(0)
            })
            .optional()?;
        if exists.is_some() {
            return Err(StoreError::Malformed(format!("case {id} already exists")));
        }
        let summary = summarize(doc, &self.catalogue, &self.policy)?;
        write_doc(&tx, doc, summary.updated_at)?;
        write_projection(&tx, &summary)?;
        ledger::append_in(&tx, device, doc, Touched::default(), sign)?;
        tx.commit()?;
        Ok(())
    }

    /// Every case's id and Automerge heads (hex, sorted), read from what the store keeps
    /// beside each document (an index holds them): nothing is loaded or decoded.
    pub fn case_heads(&self) -> Result<Vec<(String, Vec<String>)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT case_id, heads FROM case_docs ORDER BY case_id")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, split_list(&r.get::<_, String>(1)?))))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Cases whose heads differ from what the base station acknowledged: id, heads here, and
    /// the heads acknowledged (none if never).
    #[allow(clippy::type_complexity)]
    pub fn unacknowledged_cases(
        &self,
    ) -> Result<Vec<(String, Vec<String>, Vec<String>)>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT d.case_id, d.heads, a.heads FROM case_docs d
             LEFT JOIN station_acks a ON a.case_id = d.case_id
             WHERE a.heads IS NULL OR a.heads <> d.heads ORDER BY d.case_id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get(0)?,
                split_list(&r.get::<_, String>(1)?),
                split_list(&r.get::<_, Option<String>>(2)?.unwrap_or_default()),
            ))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Records that the base station holds these cases up to these heads (hex).
    pub fn set_station_acks(&mut self, acks: &[(String, Vec<String>)]) -> Result<(), StoreError> {
        self.set_heads_of(
            "INSERT INTO station_acks(case_id, heads) VALUES (?1, ?2)
             ON CONFLICT(case_id) DO UPDATE SET heads = excluded.heads",
            acks,
        )
    }

    /// Cases the base station declined as out of this device's view, as they are here now.
    pub fn declined_cases(&self) -> Result<Vec<String>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT d.case_id FROM case_docs d
             JOIN station_outside o ON o.case_id = d.case_id AND o.heads = d.heads
             ORDER BY d.case_id",
        )?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Records that the base station declined these cases' documents at these heads (hex):
    /// they are out of this device's view there (moved to another squad).
    pub fn set_station_outside(
        &mut self,
        declined: &[(String, Vec<String>)],
    ) -> Result<(), StoreError> {
        self.set_heads_of(
            "INSERT INTO station_outside(case_id, heads) VALUES (?1, ?2)
             ON CONFLICT(case_id) DO UPDATE SET heads = excluded.heads",
            declined,
        )
    }

    /// Runs `sql` with each case and its heads (sorted, comma-joined), in one transaction; a
    /// case the station answered for is no longer one it declined before.
    fn set_heads_of(
        &mut self,
        sql: &str,
        rows: &[(String, Vec<String>)],
    ) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        for (case, heads) in rows {
            let mut heads = heads.clone();
            heads.sort();
            tx.execute(
                "DELETE FROM station_outside WHERE case_id = ?1",
                params![case],
            )?;
            tx.execute(sql, params![case, heads.join(",")])?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Loads a case document; `actor` is the device that may write to it.
    pub fn case_doc(&self, case_id: &str, actor: &[u8]) -> Result<CaseDoc, StoreError> {
        let bytes: Vec<u8> = self
            .conn
            .query_row(
                "SELECT doc FROM case_docs WHERE case_id = ?1",
                [case_id],
                |r| r.get(0),
            )
            .optional()?
            .ok_or_else(|| StoreError::UnknownCase(case_id.to_owned()))?;
        Ok(CaseDoc::load(&bytes, actor)?)
    }

    /// Changes a case on `device`: loads its document, lets `change` edit it, then stores the
    /// document, its projection and the signed entry recording the change in one transaction.
    /// If `change` or signing fails, nothing is written.
    pub fn update_case<E: From<StoreError>>(
        &mut self,
        case_id: &str,
        device: &str,
        change: impl FnOnce(&mut CaseDoc) -> Result<Touched, E>,
        sign: impl FnOnce(&EntryContext) -> Result<SignedEntry, StoreError>,
    ) -> Result<(), E> {
        let mut doc = self.case_doc(case_id, device.as_bytes())?;
        let touched = change(&mut doc)?;
        let tx = self.conn.transaction().map_err(StoreError::from)?;
        let summary = summarize(&doc, &self.catalogue, &self.policy)?;
        write_doc(&tx, &mut doc, summary.updated_at)?;
        write_projection(&tx, &summary)?;
        ledger::append_in(&tx, device, &mut doc, touched, sign)?;
        tx.commit().map_err(StoreError::from)?;
        Ok(())
    }

    /// Merges another device's copy of a case and that device's entries, in one transaction.
    /// `after` looks at the merged document (e.g. for edits that disturb sealed records) and
    /// says whether the merge itself is an act to record; if so `sign` signs its entry.
    /// A case not held here yet is taken as it comes.
    pub fn merge_case<E: From<StoreError>>(
        &mut self,
        device: &str,
        remote: &mut CaseDoc,
        foreign: &[SignedEntry],
        after: impl FnOnce(&mut CaseDoc) -> Result<Option<Touched>, E>,
        sign: impl FnOnce(&EntryContext) -> Result<SignedEntry, StoreError>,
    ) -> Result<(), E> {
        let id = remote.id().map_err(StoreError::from)?;
        let mut doc = match self.case_doc(&id.0, device.as_bytes()) {
            Ok(d) => d,
            Err(StoreError::UnknownCase(_)) => {
                CaseDoc::load(&remote.save(), device.as_bytes()).map_err(StoreError::from)?
            }
            Err(e) => return Err(e.into()),
        };
        doc.merge(remote).map_err(StoreError::from)?;
        let act = after(&mut doc)?;
        let tx = self.conn.transaction().map_err(StoreError::from)?;
        for e in foreign {
            ledger::insert_foreign(&tx, e)?;
        }
        let summary = summarize(&doc, &self.catalogue, &self.policy)?;
        write_doc(&tx, &mut doc, summary.updated_at)?;
        write_projection(&tx, &summary)?;
        if let Some(touched) = act {
            ledger::append_in(&tx, device, &mut doc, touched, sign)?;
        }
        tx.commit().map_err(StoreError::from)?;
        Ok(())
    }

    /// The `WHERE` clause and its arguments for a filter, shared by listing and counting.
    fn filter_sql(&self, filter: &CaseFilter, now: Timestamp) -> (String, Vec<Value>) {
        let mut sql = String::from(" WHERE 1 = 1");
        let mut args: Vec<Value> = Vec::new();
        for (col, v) in [
            ("status", &filter.status),
            ("domain", &filter.domain),
            ("grid", &filter.grid),
            ("squad", &filter.squad),
        ] {
            if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
                sql.push_str(&format!(" AND i.{col} = ?"));
                args.push(Value::Text(v.to_owned()));
            }
        }
        if let Some(r) = filter.waiting_on.as_deref().filter(|r| !r.is_empty()) {
            sql.push_str(" AND i.waiting LIKE ? ESCAPE '\\'");
            args.push(Value::Text(format!("%,{},%", escape_like(r))));
        }
        if let Some(p) = filter.person.as_deref().filter(|p| !p.is_empty()) {
            sql.push_str(" AND i.people LIKE ? ESCAPE '\\'");
            args.push(Value::Text(format!("%,{},%", escape_like(p))));
        }
        if let Some(t) = filter
            .text
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            sql.push_str(" AND i.search LIKE ? ESCAPE '\\'");
            args.push(Value::Text(format!("%{}%", escape_like(&t.to_lowercase()))));
        }
        if let Some(due) = filter.due {
            let soon = now.0 + self.policy.due_soon_days * 86_400_000;
            let (lo, hi) = match due {
                DueFilter::Overdue => (i64::MIN, now.0 - 1),
                DueFilter::DueSoon => (now.0, soon),
                DueFilter::Urgent => (i64::MIN, soon),
            };
            sql.push_str(
                " AND EXISTS (SELECT 1 FROM case_deadlines d
                   WHERE d.case_id = i.case_id AND d.due_at BETWEEN ? AND ?)",
            );
            args.push(Value::Integer(lo));
            args.push(Value::Integer(hi));
        }
        (sql, args)
    }

    /// The case list, newest activity first, with deadline urgency as of `now`.
    pub fn list_cases(
        &self,
        filter: &CaseFilter,
        now: Timestamp,
    ) -> Result<Vec<CaseRow>, StoreError> {
        let (clause, mut args) = self.filter_sql(filter, now);
        let sql = format!(
            "SELECT {ROW_COLUMNS} FROM case_index i{clause}
             ORDER BY i.updated_at DESC, i.case_id LIMIT ? OFFSET ?"
        );
        args.push(Value::Integer(filter.limit.unwrap_or(200).into()));
        args.push(Value::Integer(filter.offset.unwrap_or(0).into()));
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut rows = stmt
            .query_map(params_from_iter(args), row_to_summary)?
            .collect::<Result<Vec<_>, _>>()?;
        for row in &mut rows {
            row.deadlines = self.deadlines(&row.id, now)?;
        }
        Ok(rows)
    }

    /// How many cases match a filter (limit and offset ignored).
    pub fn count_cases(&self, filter: &CaseFilter, now: Timestamp) -> Result<u64, StoreError> {
        let (clause, args) = self.filter_sql(filter, now);
        let n: i64 = self
            .conn
            .prepare_cached(&format!("SELECT count(*) FROM case_index i{clause}"))?
            .query_row(params_from_iter(args), |r| r.get(0))?;
        Ok(n as u64)
    }

    /// How many matters of `squad` (every squad when none) were handled by service,
    /// management and enforcement between `from` and `to` (721 工作法).
    pub fn ratio_721(
        &self,
        squad: Option<&str>,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Ratio721, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT outcome721, count(*) FROM case_index
             WHERE outcome721 <> '' AND outcome_at BETWEEN ?1 AND ?2
               AND (?3 IS NULL OR squad = ?3)
             GROUP BY outcome721",
        )?;
        let rows = stmt.query_map(params![from.0, to.0, squad], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))
        })?;
        let mut out = Ratio721::default();
        for row in rows {
            let (kind, n) = row?;
            match kind.as_str() {
                "service" => out.service = n,
                "management" => out.management = n,
                _ => out.enforcement += n,
            }
        }
        Ok(out)
    }

    /// Ids of cases starting with `prefix` (at most `limit`), to resolve short ids.
    pub fn case_ids_with_prefix(
        &self,
        prefix: &str,
        limit: u32,
    ) -> Result<Vec<String>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT case_id FROM case_docs WHERE case_id LIKE ?1 ESCAPE '\\' ORDER BY case_id LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![format!("{}%", escape_like(prefix)), limit], |r| {
            r.get(0)
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Violation type codes that some case uses.
    pub fn violation_codes_in_use(&self) -> Result<Vec<String>, StoreError> {
        self.distinct("violation")
    }

    /// Grid units (网格) that some case lies in, for the list's grid filter.
    pub fn grids_in_use(&self) -> Result<Vec<String>, StoreError> {
        self.distinct("grid")
    }

    /// The distinct non-empty values of one case-list column, sorted.
    fn distinct(&self, column: &'static str) -> Result<Vec<String>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT DISTINCT {column} FROM case_index WHERE {column} <> '' ORDER BY {column}"
        ))?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Number of cases stored.
    pub fn case_count(&self) -> Result<u64, StoreError> {
        let n: i64 = self
            .conn
            .query_row("SELECT count(*) FROM case_docs", [], |r| r.get(0))?;
        Ok(n as u64)
    }

    /// Open deadlines of one case, soonest first, with urgency as of `now`.
    pub fn deadlines(&self, case_id: &str, now: Timestamp) -> Result<Vec<Deadline>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT kind, detail, due_at, met_at, late_reason FROM case_deadlines
             WHERE case_id = ?1 ORDER BY due_at",
        )?;
        let rows = stmt.query_map([case_id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, Option<i64>>(3)?,
                r.get::<_, Option<String>>(4)?,
            ))
        })?;
        let soon = self.policy.due_soon_days * 86_400_000;
        rows.map(|r| {
            let (kind, detail, due, met_at, reason) = r?;
            let met_late = met_at.map(|at| (Timestamp(at), reason.unwrap_or_default()));
            let urgency = if met_late.is_some() {
                Urgency::Late
            } else if now.0 > due {
                Urgency::Overdue
            } else if due - now.0 <= soon {
                Urgency::DueSoon
            } else {
                Urgency::Pending
            };
            Ok(Deadline {
                kind: kind_from_columns(&kind, detail)?,
                due: Timestamp(due),
                urgency,
                met_late,
            })
        })
        .collect()
    }

    /// Rebuilds the whole projection from the stored documents.
    pub fn rebuild_projection(&mut self) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        tx.execute_batch("DELETE FROM case_deadlines; DELETE FROM case_index;")?;
        let docs: Vec<Vec<u8>> = {
            let mut stmt = tx.prepare("SELECT doc FROM case_docs ORDER BY case_id")?;
            stmt.query_map([], |r| r.get(0))?
                .collect::<Result<_, _>>()?
        };
        for bytes in docs {
            let doc = CaseDoc::load(&bytes, b"projection")?;
            write_projection(&tx, &summarize(&doc, &self.catalogue, &self.policy)?)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Every projection row and deadline, for comparing a rebuild with the live projection.
    #[doc(hidden)]
    pub fn projection_dump(&self) -> Result<Vec<String>, StoreError> {
        let mut out = Vec::new();
        for sql in [
            "SELECT * FROM case_index ORDER BY case_id",
            "SELECT * FROM case_deadlines ORDER BY case_id, kind, detail",
        ] {
            let mut stmt = self.conn.prepare(sql)?;
            let n = stmt.column_count();
            let rows = stmt.query_map([], |r| {
                (0..n)
                    .map(|i| r.get::<_, Value>(i).map(|v| format!("{v:?}")))
                    .collect::<Result<Vec<_>, _>>()
                    .map(|cols| cols.join("|"))
            })?;
            for r in rows {
                out.push(r?);
            }
        }
        Ok(out)
    }
}

/// The case-list row of a document, derived once per write.
pub(crate) fn summarize(
    doc: &CaseDoc,
    catalogue: &qc_domain::Catalogue,
    policy: &qc_domain::DeadlinePolicy,
) -> Result<CaseSummary, StoreError> {
    // Urgency is not stored (it depends on when the list is read), so any `now` will do.
    Ok(CaseSummary::from_doc(doc, catalogue, policy, Timestamp(0))?)
}

pub(crate) fn write_doc(
    tx: &Transaction<'_>,
    doc: &mut CaseDoc,
    updated: Timestamp,
) -> Result<(), StoreError> {
    let id = doc.id()?;
    let heads = doc.heads_hex().join(",");
    tx.execute(
        "INSERT INTO case_docs(case_id, doc, heads, updated_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(case_id) DO UPDATE SET doc = excluded.doc, heads = excluded.heads,
           updated_at = excluded.updated_at",
        params![id.0, doc.save(), heads, updated.0],
    )?;
    Ok(())
}

pub(crate) fn write_projection(tx: &Transaction<'_>, s: &CaseSummary) -> Result<(), StoreError> {
    tx.execute("DELETE FROM case_deadlines WHERE case_id = ?1", [&s.id])?;
    tx.execute(
        "INSERT INTO case_index(case_id, squad, status, domain, domain_name, violation,
           violation_name, source, address, grid, parties, summary, registered_at, updated_at,
           anomalies, search, people, waiting, outcome721, outcome_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,
           ?19, ?20)
         ON CONFLICT(case_id) DO UPDATE SET squad = excluded.squad, status = excluded.status,
           domain = excluded.domain, domain_name = excluded.domain_name,
           violation = excluded.violation, violation_name = excluded.violation_name,
           source = excluded.source, address = excluded.address, grid = excluded.grid,
           parties = excluded.parties, summary = excluded.summary,
           registered_at = excluded.registered_at, updated_at = excluded.updated_at,
           anomalies = excluded.anomalies, search = excluded.search, people = excluded.people,
           waiting = excluded.waiting, outcome721 = excluded.outcome721,
           outcome_at = excluded.outcome_at",
        params![
            s.id,
            s.squad,
            s.status,
            s.domain,
            s.domain_name,
            s.violation,
            s.violation_name,
            s.source,
            s.address,
            s.grid,
            s.parties,
            s.summary,
            s.registered_at.0,
            s.updated_at.0,
            s.anomalies,
            search_text(s),
            format!(",{},", s.people.join(",")),
            format!(",{},", s.waiting_on.join(",")),
            s.outcome721.as_ref().map(|o| o.0.as_str()).unwrap_or(""),
            s.outcome721.as_ref().map(|o| o.1.0),
        ],
    )?;
    let mut ins = tx.prepare_cached(
        "INSERT INTO case_deadlines(case_id, kind, detail, due_at, met_at, late_reason)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for d in &s.deadlines {
        let (kind, detail) = kind_columns(&d.kind);
        let (met, reason) = match &d.met_late {
            Some((at, why)) => (Some(at.0), Some(why.as_str())),
            None => (None, None),
        };
        ins.execute(params![s.id, kind, detail, d.due.0, met, reason])?;
    }
    Ok(())
}

/// A list as kept in one column, joined by commas (heads as sorted hex; a case's people, with
/// a comma at each end so that a whole id can be matched).
pub(crate) fn split_list(joined: &str) -> Vec<String> {
    joined
        .split(',')
        .filter(|h| !h.is_empty())
        .map(str::to_owned)
        .collect()
}
