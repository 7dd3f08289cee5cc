//! The bureau console's figures and search over a city's cases: 1,000,000 case rows in
//! PostgreSQL (the throwaway cluster of qc-test-services, or `QC_TEST_PG_URL`), each dashboard
//! query and a search timed warm (median of 5) through the station's own `CaseRows`, against a
//! `count(*)` over the same table in the same run; the embedded station (SQLite) with 10,000
//! cases beside it. Targets (issue 15): every dashboard query under 200 ms, a search under
//! 300 ms. Exits non-zero when one is missed.
//!
//! The rows are made by SQL (`generate_series`), not through the service: twenty squads, the
//! statuses of the procedure, six domains, 400 grid units, registrations over a year, an open
//! deadline on a third of the cases, two people each (a duty each per open deadline), a 721
//! outcome on most.

use std::time::{Duration, Instant};

use anyhow::Context;
use qc_domain::{CaseStatus, CaseView, Timestamp};
use qc_station_pg::PgStorage;
use qc_station_storage::rows::{
    self, CaseQuery, CaseRow, CaseRows, Period, Statement, count_statement, deadlines_statement,
    grouped_statement, page_statement, ratio_statement,
};

const CASES: i64 = 1_000_000;
const SMALL: i64 = 10_000;
const DAY: i64 = 86_400_000;
const NOW: Timestamp = Timestamp(1_796_000_000_000);

fn median(mut runs: Vec<Duration>) -> Duration {
    runs.sort();
    runs[runs.len() / 2]
}

/// The median of five runs of `f` after one that warms the caches.
fn timed(mut f: impl FnMut() -> anyhow::Result<()>) -> anyhow::Result<Duration> {
    f()?;
    let mut runs = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        f()?;
        runs.push(t.elapsed());
    }
    Ok(median(runs))
}

/// Fills `case_rows`, its deadlines and people with `n` cases, then analyses them.
fn fill_postgres(url: &str, n: i64) -> anyhow::Result<()> {
    let mut c = postgres::Client::connect(url, postgres::NoTls)?;
    let statuses: Vec<&str> = CaseStatus::ALL.iter().map(|s| s.code()).collect();
    c.execute(
        "INSERT INTO case_rows (case_id, squad, status, domain, domain_name, violation,
           violation_name, address, grid, parties, summary, search, registered_at, updated_at,
           outcome721, outcome_at)
         SELECT 'case-' || i, '第' || (i % 20) || '中队', ($2::TEXT[])[(1 + i % cardinality($2::TEXT[]))::INT],
           'd' || (i % 6), '领域' || (i % 6), 'v' || (i % 60), '违法行为' || (i % 60),
           '景华路' || i || '号', 'G-' || (i % 400), '当事人' || (i % 9973),
           '占道经营第' || i || '起', lower('景华路' || i || '号' || chr(10) || '当事人' || (i % 9973)
             || chr(10) || '占道经营第' || i || '起'),
           $3 - (i % 365) * $4, $3, (ARRAY['service','management','enforcement'])[(1 + i % 3)::INT],
           CASE WHEN i % 10 = 0 THEN NULL ELSE $3 - (i % 365) * $4 + 3600000 END
         FROM generate_series(1, $1::BIGINT) AS i",
        &[&n, &statuses, &NOW.0, &DAY],
    )?;
    c.execute(
        "INSERT INTO case_row_deadlines (case_id, kind, due_at, squad, status)
         SELECT r.case_id, 'decision', $2 + ((i % 41) - 20) * $3, r.squad, r.status
         FROM generate_series(1, $1::BIGINT) AS i JOIN case_rows r ON r.case_id = 'case-' || i
         WHERE i % 3 = 0",
        &[&n, &NOW.0, &DAY],
    )?;
    // Two people each; a duty per person and open deadline.
    c.execute(
        "INSERT INTO case_row_duties (case_id, person, due_at, squad, status)
         SELECT d.case_id, 'officer-' || ((substr(d.case_id, 6)::BIGINT * k) % 600), d.due_at,
           d.squad, d.status
         FROM case_row_deadlines d, (VALUES (1), (7)) AS t(k)",
        &[],
    )?;
    c.execute(
        "INSERT INTO case_row_facts (case_id, squad, status, domain, domain_name, grid,
           registered_at, outcome721, outcome_at)
         SELECT case_id, squad, status, domain, domain_name, grid, registered_at, outcome721,
           outcome_at FROM case_rows",
        &[],
    )?;
    // As autovacuum leaves a table at rest: statistics, and the visibility map that lets an
    // index answer alone.
    for table in [
        "case_rows",
        "case_row_facts",
        "case_row_deadlines",
        "case_row_duties",
    ] {
        c.batch_execute(&format!("VACUUM ANALYZE {table}"))?;
    }
    Ok(())
}

/// The same shape of rows for the embedded station, through its own API.
fn fill_sqlite(store: &qc_station_sqlite::SqliteStorage, n: i64) -> anyhow::Result<()> {
    for i in 1..=n {
        let status = CaseStatus::ALL[(i as usize) % CaseStatus::ALL.len()];
        store.put_case_row(&CaseRow {
            id: format!("case-{i}"),
            squad: format!("第{}中队", i % 20),
            status: status.code().into(),
            domain: format!("d{}", i % 6),
            domain_name: format!("领域{}", i % 6),
            violation: format!("v{}", i % 60),
            violation_name: format!("违法行为{}", i % 60),
            address: format!("景华路{i}号"),
            grid: format!("G-{}", i % 400),
            parties: format!("当事人{}", i % 9973),
            summary: format!("占道经营第{i}起"),
            registered_at: NOW.0 - (i % 365) * DAY,
            updated_at: NOW.0,
            outcome721: (i % 10 != 0).then(|| {
                let kind = ["service", "management", "enforcement"][(i % 3) as usize];
                (kind.to_owned(), NOW.0 - (i % 365) * DAY + 3_600_000)
            }),
            people: vec![
                format!("officer-{}", i % 600),
                format!("officer-{}", (i * 7) % 600),
            ],
            deadlines: if i % 3 == 0 {
                vec![("decision".into(), NOW.0 + ((i % 41) - 20) * DAY)]
            } else {
                Vec::new()
            },
            disclosure: None,
        })?;
    }
    Ok(())
}

/// What a dashboard and the case list ask, named, as the console asks them.
fn queries(view: &CaseView, period: Period) -> Vec<(&'static str, Statement)> {
    let due_soon = 3 * DAY;
    let search = CaseQuery {
        text: Some("景华路777777号".into()),
        limit: 50,
        ..CaseQuery::default()
    };
    let first = CaseQuery {
        limit: 50,
        ..CaseQuery::default()
    };
    vec![
        ("by status", grouped_statement(view, period, "status")),
        ("by domain", grouped_statement(view, period, "domain")),
        ("by squad", grouped_statement(view, period, "squad")),
        ("by grid", grouped_statement(view, period, "grid")),
        (
            "deadlines by squad",
            deadlines_statement(view, NOW, due_soon, false),
        ),
        (
            "deadlines by officer",
            deadlines_statement(view, NOW, due_soon, true),
        ),
        ("721 by squad", ratio_statement(view, period)),
        ("case list, first page", page_statement(view, &first, NOW)),
        ("case list, its count", count_statement(view, &first)),
        ("search, a page", page_statement(view, &search, NOW)),
        ("search, its count", count_statement(view, &search)),
    ]
}

fn run_pg(c: &mut postgres::Client, st: &Statement) -> anyhow::Result<()> {
    let args: Vec<Box<dyn postgres::types::ToSql + Sync>> = st
        .args
        .iter()
        .map(|a| -> Box<dyn postgres::types::ToSql + Sync> {
            match a {
                rows::Arg::Text(t) => Box::new(t.clone()),
                rows::Arg::Int(i) => Box::new(*i),
            }
        })
        .collect();
    let refs: Vec<&(dyn postgres::types::ToSql + Sync)> = args.iter().map(|a| a.as_ref()).collect();
    c.query(&st.sql, &refs)?;
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let everything = CaseView {
        everything: true,
        ..CaseView::default()
    };
    let year = Period {
        from: Some(NOW.0 - 365 * DAY),
        to: Some(NOW.0 + 1),
    };
    let pg = qc_test_services::Postgres::try_shared().map_err(anyhow::Error::msg)?;
    let url = pg.new_database().map_err(anyhow::Error::msg)?;
    // The schema as the station makes it (migrations), then the rows.
    drop(PgStorage::with_temporary_blobs(&url, 2).context("opening the station's store")?);
    let t = Instant::now();
    fill_postgres(&url, CASES)?;
    eprintln!("{CASES} case rows made in {:.1?}", t.elapsed());
    let mut c = postgres::Client::connect(&url, postgres::NoTls)?;
    let count = timed(|| {
        c.query_one("SELECT count(*) FROM case_rows", &[])?;
        Ok(())
    })?;
    println!(
        "PostgreSQL, {CASES} cases: count(*) (baseline) {:.1} ms",
        ms(count)
    );
    let mut missed = Vec::new();
    for (view_name, view) in [
        ("the head (every case)", everything.clone()),
        ("a squad leader", CaseView::squad("第7中队")),
    ] {
        for (name, st) in queries(&view, year) {
            let took = timed(|| run_pg(&mut c, &st))?;
            let target = if name.starts_with("search") {
                300.0
            } else {
                200.0
            };
            let verdict = if ms(took) < target { "met" } else { "MISSED" };
            println!(
                "PostgreSQL, {view_name}: {name} {:.1} ms (target < {target} ms: {verdict})",
                ms(took)
            );
            if ms(took) >= target {
                missed.push(format!("{view_name}: {name}"));
            }
        }
    }
    // The same count read from the whole case rows, as it was before the dashboard had its
    // narrow rows: what they save, in this run.
    let whole_rows = grouped_statement(&everything, year, "status");
    let whole_rows = Statement {
        sql: whole_rows.sql.replace("case_row_facts", "case_rows"),
        ..whole_rows
    };
    let took = timed(|| run_pg(&mut c, &whole_rows))?;
    println!(
        "PostgreSQL, the head (every case): by status read from the whole case rows (before) {:.1} ms",
        ms(took)
    );
    // And the deadline figures as they were read before: deadlines joined to their cases and,
    // by officer, to the people of each case (a table of them, as it was, made here).
    c.batch_execute(
        "CREATE TABLE old_people AS SELECT DISTINCT case_id, person FROM case_row_duties;
         CREATE INDEX old_people_case ON old_people (case_id);",
    )?;
    c.batch_execute("VACUUM ANALYZE old_people")?;
    let due = |by_person: bool| {
        let (key, join) = if by_person {
            ("p.person", " JOIN old_people p ON p.case_id = r.case_id")
        } else {
            ("r.squad", "")
        };
        format!(
            "SELECT {key}, SUM(CASE WHEN d.due_at < $1 THEN 1 ELSE 0 END),
               SUM(CASE WHEN d.due_at >= $1 THEN 1 ELSE 0 END)
             FROM case_row_deadlines d JOIN case_rows r ON r.case_id = d.case_id{join}
             WHERE d.due_at <= $2 GROUP BY {key} ORDER BY {key}"
        )
    };
    for (name, by_person) in [("by squad", false), ("by officer", true)] {
        let sql = due(by_person);
        let took = timed(|| {
            c.query(&sql, &[&NOW.0, &(NOW.0 + 3 * DAY)])?;
            Ok(())
        })?;
        println!(
            "PostgreSQL, the head (every case): deadlines {name} joined as before {:.1} ms",
            ms(took)
        );
    }
    let store = PgStorage::with_temporary_blobs(&url, 2)?;
    let whole = timed(|| {
        store.case_figures(&everything, year, NOW, 3 * DAY)?;
        Ok(())
    })?;
    println!(
        "PostgreSQL, the head's whole dashboard through CaseRows (7 queries): {:.1} ms",
        ms(whole)
    );

    let dir = tempfile::tempdir()?;
    let sqlite = qc_station_sqlite::SqliteStorage::open(&dir.path().join("station.db"), &[7; 32])?;
    fill_sqlite(&sqlite, SMALL)?;
    let whole = timed(|| {
        sqlite.case_figures(&everything, year, NOW, 3 * DAY)?;
        Ok(())
    })?;
    let search = timed(|| {
        sqlite.case_page(
            &everything,
            &CaseQuery {
                text: Some("景华路7777号".into()),
                limit: 50,
                ..CaseQuery::default()
            },
            NOW,
        )?;
        Ok(())
    })?;
    println!(
        "SQLite, {SMALL} cases: the head's whole dashboard {:.1} ms, a search {:.1} ms",
        ms(whole),
        ms(search)
    );
    anyhow::ensure!(missed.is_empty(), "targets missed: {}", missed.join(", "));
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
