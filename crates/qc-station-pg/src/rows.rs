//! The station's case list (what the console searches and counts) in PostgreSQL: the statements
//! are built in [`qc_station_storage::rows`], shared with SQLite.

use std::sync::LazyLock;

use postgres::types::ToSql;
use qc_domain::{CaseView, Timestamp};
use qc_station_storage::StorageError;
use qc_station_storage::rows::{
    self, Arg, CaseFigures, CasePage, CaseQuery, CaseRow, CaseRows, Disclosed, Disclosure,
    DisclosurePage, Period, Statement,
};

use crate::client::Client;
use crate::{PgStorage, col, pg};

impl PgStorage {
    /// The rows of a shared statement.
    fn rows_of(&self, st: &Statement) -> Result<Vec<postgres::Row>, StorageError> {
        let args: Vec<Box<dyn ToSql + Sync>> = st
            .args
            .iter()
            .map(|a| -> Box<dyn ToSql + Sync> {
                match a {
                    Arg::Text(t) => Box::new(t.clone()),
                    Arg::Int(i) => Box::new(*i),
                }
            })
            .collect();
        let refs: Vec<&(dyn ToSql + Sync)> = args.iter().map(|a| a.as_ref()).collect();
        self.conn()?
            .query(&st.sql, &refs)
            .map_err(pg("reading the case list"))
    }
}

/// A case's row, its facts, deadlines and duties (the old ones replaced), in one statement:
/// `$1`–`$9` are [`rows::PUT_FACTS`]'s, then the row's own columns, the deadlines' kinds and
/// times, and the people. The deletes see the rows as they were before the statement, so they
/// take the old deadlines and duties only, whatever order the parts run in.
static PUT_ROW: LazyLock<String> = LazyLock::new(|| {
    format!(
        "WITH facts AS ({facts}),
       old_deadlines AS (DELETE FROM case_row_deadlines WHERE case_id = $1),
       old_duties AS (DELETE FROM case_row_duties WHERE case_id = $1),
       deadlines AS (INSERT INTO case_row_deadlines (case_id, kind, due_at, squad, status)
         SELECT $1, k, d, $2, $3 FROM UNNEST($17::TEXT[], $18::BIGINT[]) AS t(k, d)),
       duties AS (INSERT INTO case_row_duties (case_id, person, due_at, squad, status)
         SELECT $1, p, d, $2, $3 FROM UNNEST($19::TEXT[]) AS t(p), UNNEST($18::BIGINT[]) AS u(d))
     INSERT INTO case_rows (case_id, squad, status, domain, domain_name, grid, registered_at,
         outcome721, outcome_at, violation, violation_name, address, parties, summary, search,
         updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
     ON CONFLICT (case_id) DO UPDATE SET squad = EXCLUDED.squad,
       status = EXCLUDED.status, domain = EXCLUDED.domain,
       domain_name = EXCLUDED.domain_name, violation = EXCLUDED.violation,
       violation_name = EXCLUDED.violation_name, address = EXCLUDED.address,
       grid = EXCLUDED.grid, parties = EXCLUDED.parties, summary = EXCLUDED.summary,
       search = EXCLUDED.search, registered_at = EXCLUDED.registered_at,
       updated_at = EXCLUDED.updated_at, outcome721 = EXCLUDED.outcome721,
       outcome_at = EXCLUDED.outcome_at",
        facts = rows::PUT_FACTS
    )
});

/// Writes a case's row, its deadlines, duties and disclosure (replacing the previous ones),
/// in the caller's transaction: two statements (a sync keeping a case made seven).
pub(crate) fn write_row(c: &mut Client, row: &CaseRow) -> Result<(), postgres::Error> {
    let (outcome, outcome_at) = match &row.outcome721 {
        Some((k, at)) => (Some(k.as_str()), Some(*at)),
        None => (None, None),
    };
    let kinds: Vec<&str> = row.deadlines.iter().map(|(k, _)| k.as_str()).collect();
    let dues: Vec<i64> = row.deadlines.iter().map(|(_, d)| *d).collect();
    c.execute(
        PUT_ROW.as_str(),
        &[
            &row.id,
            &row.squad,
            &row.status,
            &row.domain,
            &row.domain_name,
            &row.grid,
            &row.registered_at,
            &outcome,
            &outcome_at,
            &row.violation,
            &row.violation_name,
            &row.address,
            &row.parties,
            &row.summary,
            &rows::search_text(row),
            &row.updated_at,
            &kinds,
            &dues,
            &row.people,
        ],
    )?;
    match &row.disclosure {
        Some(d) => {
            let (at, text, ra, rb, rr, ca, ce, ct) = d.columns();
            c.execute(
                rows::PUT_DISCLOSURE,
                &[
                    &row.id,
                    &row.violation_name,
                    &at,
                    &text,
                    &ra,
                    &rb,
                    &rr,
                    &ca,
                    &ce,
                    &ct,
                ],
            )?
        }
        None => c.execute(rows::DROP_DISCLOSURE, &[&row.id])?,
    };
    Ok(())
}

impl CaseRows for PgStorage {
    fn put_case_row(&self, row: &CaseRow) -> Result<(), StorageError> {
        self.conn()?
            .in_transaction(|c| write_row(c, row))
            .map_err(pg("keeping a case row"))
    }

    fn cases_without_rows(&self) -> Result<Vec<String>, StorageError> {
        self.conn()?
            .query(
                "SELECT d.case_id FROM case_docs d
                 WHERE NOT EXISTS (SELECT 1 FROM case_rows r WHERE r.case_id = d.case_id)
                 ORDER BY d.case_id",
                &[],
            )
            .map_err(pg("listing cases without rows"))?
            .iter()
            .map(|r| col(r, 0))
            .collect()
    }

    fn case_page(
        &self,
        view: &CaseView,
        query: &CaseQuery,
        now: Timestamp,
    ) -> Result<CasePage, StorageError> {
        let total: i64 = self
            .rows_of(&rows::count_statement(view, query))?
            .first()
            .map(|r| col(r, 0))
            .transpose()?
            .unwrap_or_default();
        let rows = self
            .rows_of(&rows::page_statement(view, query, now))?
            .iter()
            .map(|r| {
                let outcome: Option<String> = col(r, 13)?;
                let at: Option<i64> = col(r, 14)?;
                let overdue: i64 = col(r, 15)?;
                Ok((
                    CaseRow {
                        id: col(r, 0)?,
                        squad: col(r, 1)?,
                        status: col(r, 2)?,
                        domain: col(r, 3)?,
                        domain_name: col(r, 4)?,
                        violation: col(r, 5)?,
                        violation_name: col(r, 6)?,
                        address: col(r, 7)?,
                        grid: col(r, 8)?,
                        parties: col(r, 9)?,
                        summary: col(r, 10)?,
                        registered_at: col(r, 11)?,
                        updated_at: col(r, 12)?,
                        outcome721: outcome.zip(at),
                        people: Vec::new(),
                        deadlines: Vec::new(),
                        disclosure: None,
                    },
                    rows::count(overdue)?,
                ))
            })
            .collect::<Result<_, StorageError>>()?;
        Ok(CasePage {
            total: rows::count(total)?,
            rows,
        })
    }

    fn case_figures(
        &self,
        view: &CaseView,
        period: Period,
        now: Timestamp,
        due_soon_ms: i64,
    ) -> Result<CaseFigures, StorageError> {
        rows::figures(view, period, now, due_soon_ms, |st| {
            self.rows_of(st)?
                .iter()
                .map(|r| {
                    let numbers = (2..r.len())
                        .map(|i| col::<Option<i64>>(r, i).map(Option::unwrap_or_default))
                        .collect::<Result<_, _>>()?;
                    Ok((col(r, 0)?, col(r, 1)?, numbers))
                })
                .collect()
        })
    }

    fn disclosures(&self, limit: u32, offset: u32) -> Result<DisclosurePage, StorageError> {
        let mut c = self.conn()?;
        let total: i64 = c
            .query_opt(rows::COUNT_DISCLOSURES, &[])
            .map_err(pg("counting disclosures"))?
            .map(|r| col(&r, 0))
            .transpose()?
            .unwrap_or_default();
        let rows = c
            .query(
                rows::DISCLOSURE_PAGE,
                &[&i64::from(limit), &i64::from(offset)],
            )
            .map_err(pg("reading disclosures"))?
            .iter()
            .map(|r| {
                Ok(Disclosed {
                    case_id: col(r, 0)?,
                    violation_name: col(r, 1)?,
                    disclosure: Disclosure::from_columns((
                        col(r, 2)?,
                        col(r, 3)?,
                        col(r, 4)?,
                        col(r, 5)?,
                        col(r, 6)?,
                        col(r, 7)?,
                        col(r, 8)?,
                        col(r, 9)?,
                    )),
                })
            })
            .collect::<Result<_, StorageError>>()?;
        Ok(DisclosurePage {
            total: rows::count(total)?,
            rows,
        })
    }

    fn rename_in_rows(
        &self,
        domains: &[(String, String)],
        violations: &[(String, String)],
    ) -> Result<(), StorageError> {
        let columns = |names: &[(String, String)]| -> (Vec<String>, Vec<String>) {
            names.iter().cloned().unzip()
        };
        let (domain_codes, domain_names) = columns(domains);
        let (type_codes, type_names) = columns(violations);
        self.conn()?
            .in_transaction(|c| {
                for (sql, codes, names) in [
                    (
                        "UPDATE case_rows r SET domain_name = n.name
                     FROM unnest($1::text[], $2::text[]) AS n(code, name)
                     WHERE r.domain = n.code AND r.domain_name <> n.name",
                        &domain_codes,
                        &domain_names,
                    ),
                    (
                        "UPDATE case_row_facts r SET domain_name = n.name
                     FROM unnest($1::text[], $2::text[]) AS n(code, name)
                     WHERE r.domain = n.code AND r.domain_name <> n.name",
                        &domain_codes,
                        &domain_names,
                    ),
                    (
                        "UPDATE case_rows r SET violation_name = n.name
                     FROM unnest($1::text[], $2::text[]) AS n(code, name)
                     WHERE r.violation = n.code AND r.violation_name <> n.name",
                        &type_codes,
                        &type_names,
                    ),
                ] {
                    c.execute(sql, &[codes, names])?;
                }
                Ok(())
            })
            .map_err(pg("renaming in the case list"))
    }

    fn violations_in_use(&self) -> Result<Vec<String>, StorageError> {
        self.conn()?
            .query("SELECT DISTINCT violation FROM case_rows", &[])
            .map_err(pg("reading the violation types in use"))?
            .iter()
            .map(|r| col(r, 0))
            .collect()
    }
}
