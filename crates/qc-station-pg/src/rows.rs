//! The station's case list (what the console searches and counts) in PostgreSQL: the statements
//! are built in [`qc_station_storage::rows`], shared with SQLite.

use std::sync::LazyLock;

use postgres::types::ToSql;
use qc_chain::Digest;
use qc_domain::{CaseView, Timestamp};
use qc_station_storage::rows::{
    self, Arg, CaseFigures, CasePage, CaseQuery, CaseRow, CaseRows, Disclosed, Disclosure,
    DisclosurePage, Period, Statement,
};
use qc_station_storage::{KeptDoc, StorageError};

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

/// A case's row, its facts, deadlines and duties (the old ones replaced), its published result
/// dropped unless it has one (`$20`; kept by its own statement then), all in one statement and
/// only if the CTE `go` (`{go}`) yields the case: `$1`–`$9` are [`rows::PUT_FACTS`]'s, then
/// the row's own columns, the deadlines' kinds and times, and the people. The deletes see the
/// rows as they were before the statement, so they take the old deadlines and duties only,
/// whatever order the parts run in. Answers whether `go` yielded it.
fn row_statement(go: &str) -> String {
    // The facts' shared statement, its values taken from `go`.
    let facts = rows::PUT_FACTS.replace(
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        "SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9 FROM go",
    );
    format!(
        "WITH go AS ({go}),
       facts AS ({facts}),
       old_deadlines AS (DELETE FROM case_row_deadlines WHERE case_id IN (SELECT * FROM go)),
       old_duties AS (DELETE FROM case_row_duties WHERE case_id IN (SELECT * FROM go)),
       deadlines AS (INSERT INTO case_row_deadlines (case_id, kind, due_at, squad, status)
         SELECT $1, k, d, $2, $3 FROM go, UNNEST($17::TEXT[], $18::BIGINT[]) AS t(k, d)),
       duties AS (INSERT INTO case_row_duties (case_id, person, due_at, squad, status)
         SELECT $1, p, d, $2, $3
         FROM go, UNNEST($19::TEXT[]) AS t(p), UNNEST($18::BIGINT[]) AS u(d)),
       unpublished AS (DELETE FROM disclosures
         WHERE case_id IN (SELECT * FROM go) AND NOT $20::BOOLEAN),
       row AS (INSERT INTO case_rows (case_id, squad, status, domain, domain_name, grid,
           registered_at, outcome721, outcome_at, violation, violation_name, address, parties,
           summary, search, updated_at)
         SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16 FROM go
         ON CONFLICT (case_id) DO UPDATE SET squad = EXCLUDED.squad,
           status = EXCLUDED.status, domain = EXCLUDED.domain,
           domain_name = EXCLUDED.domain_name, violation = EXCLUDED.violation,
           violation_name = EXCLUDED.violation_name, address = EXCLUDED.address,
           grid = EXCLUDED.grid, parties = EXCLUDED.parties, summary = EXCLUDED.summary,
           search = EXCLUDED.search, registered_at = EXCLUDED.registered_at,
           updated_at = EXCLUDED.updated_at, outcome721 = EXCLUDED.outcome721,
           outcome_at = EXCLUDED.outcome_at)
     SELECT count(*) FROM go"
    )
}

/// A case's row written whatever ([`row_statement`]).
static PUT_ROW: LazyLock<String> = LazyLock::new(|| row_statement("SELECT $1::TEXT"));

/// A case's document written over the copy of heads `$25` (`$21`–`$24`: squad, status, heads,
/// document), and its row with it only if it was ([`row_statement`]).
static KEEP_DOC_OVER: LazyLock<String> = LazyLock::new(|| {
    row_statement(
        "UPDATE case_docs SET squad = $21, status = $22, heads = $23, doc = $24
         WHERE case_id = $1 AND heads = $25 RETURNING case_id",
    )
});

/// A new case's document (as [`KEEP_DOC_OVER`]) written if no copy is kept yet, and its row
/// with it only if it was.
static KEEP_NEW_DOC: LazyLock<String> = LazyLock::new(|| {
    row_statement(
        "INSERT INTO case_docs (case_id, squad, status, heads, doc)
         VALUES ($1, $21, $22, $23, $24) ON CONFLICT (case_id) DO NOTHING RETURNING case_id",
    )
});

/// Writes a case's document only over the copy it was merged into (or as a new case's, if
/// none is kept), its row with it when given: one statement, and one more for a published
/// result. Whether it was written (else the copy moved).
pub(crate) fn keep_doc(c: &mut Client, d: &KeptDoc<'_>) -> Result<bool, postgres::Error> {
    let heads = d.meta.heads.concat();
    let over = d.over.map(<[Digest]>::concat);
    let status = d.meta.status.code();
    let doc: [&(dyn ToSql + Sync); 4] = [&d.meta.squad, &status, &heads, &d.doc];
    let Some(row) = d.row.filter(|r| r.id == d.case) else {
        // No row (none derived, or one of another id): the document alone, then the row.
        let sql = match over {
            Some(_) => {
                "UPDATE case_docs SET squad = $2, status = $3, heads = $4, doc = $5
                 WHERE case_id = $1 AND heads = $6"
            }
            None => {
                "INSERT INTO case_docs (case_id, squad, status, heads, doc)
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (case_id) DO NOTHING"
            }
        };
        let mut params: Vec<&(dyn ToSql + Sync)> = vec![&d.case];
        params.extend(doc);
        params.extend(over.as_ref().map(|o| o as &(dyn ToSql + Sync)));
        let written = c.execute(sql, &params)? == 1;
        if let (true, Some(row)) = (written, d.row) {
            write_row(c, row)?;
        }
        return Ok(written);
    };
    let sql = match over {
        Some(_) => KEEP_DOC_OVER.as_str(),
        None => KEEP_NEW_DOC.as_str(),
    };
    let owned = row_params(row);
    let mut params = refs(&owned);
    params.extend(doc);
    params.extend(over.as_ref().map(|o| o as &(dyn ToSql + Sync)));
    let written = written(c.query(sql, &params)?)?;
    if written {
        put_disclosure(c, row)?;
    }
    Ok(written)
}

/// Whether [`keep_doc`] writes `d` in one statement of its own (atomic without a transaction).
pub(crate) fn kept_in_one(d: &KeptDoc<'_>) -> bool {
    d.row
        .is_none_or(|r| r.id == d.case && r.disclosure.is_none())
}

/// Whether a [`row_statement`]'s `go` yielded its case.
fn written(rows: Vec<postgres::Row>) -> Result<bool, postgres::Error> {
    Ok(rows.first().map(|r| r.try_get::<_, i64>(0)).transpose()? == Some(1))
}

/// Writes a case's row, its deadlines, duties and published result (replacing the previous
/// ones), in the caller's transaction.
pub(crate) fn write_row(c: &mut Client, row: &CaseRow) -> Result<(), postgres::Error> {
    let params = row_params(row);
    c.query(PUT_ROW.as_str(), &refs(&params))?;
    put_disclosure(c, row)
}

/// A statement's parameters, owned.
type Params<'a> = Vec<Box<dyn ToSql + Sync + 'a>>;

/// The parameters as a statement takes them.
fn refs<'a>(params: &'a Params<'_>) -> Vec<&'a (dyn ToSql + Sync)> {
    params.iter().map(|p| &**p as &(dyn ToSql + Sync)).collect()
}

/// The parameters `$1`–`$20` of a [`row_statement`].
fn row_params(row: &CaseRow) -> Params<'_> {
    let (outcome, outcome_at) = match &row.outcome721 {
        Some((k, at)) => (Some(k.as_str()), Some(*at)),
        None => (None, None),
    };
    let kinds: Vec<&str> = row.deadlines.iter().map(|(k, _)| k.as_str()).collect();
    let dues: Vec<i64> = row.deadlines.iter().map(|(_, d)| *d).collect();
    vec![
        Box::new(&row.id),
        Box::new(&row.squad),
        Box::new(&row.status),
        Box::new(&row.domain),
        Box::new(&row.domain_name),
        Box::new(&row.grid),
        Box::new(row.registered_at),
        Box::new(outcome),
        Box::new(outcome_at),
        Box::new(&row.violation),
        Box::new(&row.violation_name),
        Box::new(&row.address),
        Box::new(&row.parties),
        Box::new(&row.summary),
        Box::new(rows::search_text(row)),
        Box::new(row.updated_at),
        Box::new(kinds),
        Box::new(dues),
        Box::new(&row.people),
        Box::new(row.disclosure.is_some()),
    ]
}

/// Keeps a case's published result, if it has one (a [`row_statement`] drops it otherwise).
fn put_disclosure(c: &mut Client, row: &CaseRow) -> Result<(), postgres::Error> {
    if let Some(d) = &row.disclosure {
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
        )?;
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every part of a row waits on `go`: a shared statement whose values were not taken from
    /// it would write a stale merge's facts.
    #[test]
    fn every_part_of_a_kept_row_is_written_only_with_its_document() {
        for sql in [&*KEEP_DOC_OVER, &*KEEP_NEW_DOC] {
            assert!(!sql.contains("VALUES ($1, $2, $3"), "{sql}");
            // Facts, row, deadlines and duties read from it, three deletes take its case,
            // and the answer counts it.
            assert_eq!(sql.matches("FROM go").count(), 8, "{sql}");
            assert_eq!(sql.matches("IN (SELECT * FROM go)").count(), 3, "{sql}");
        }
    }
}
