//! The case list on a tablet holding 10,000 cases: each query the app makes (a page of the
//! list, filtered by status, domain, grid, deadline or whose case it is, searched by text, or
//! scrolled far down) timed through the same API the app calls, against the cheapest query of
//! the store in the same run (counting the cases). Target: every query under 50 ms. Exits non-zero when missed.

use std::time::{Duration, Instant};

use qc_store::{CaseFilter, DueFilter};
use qc_tests::fixtures::new_case;
use qc_tests::station::{Bureau, pin};

const CASES: usize = 10_000;
const ROUNDS: usize = 9;
const VIOLATIONS: [&str; 4] = [
    "transport.road_occupation",
    "environment.open_air_barbecue",
    "construction.illegal_building",
    "commerce.unlicensed_trading",
];

fn median(app: &qc_api::Quancheng, f: &CaseFilter) -> anyhow::Result<(Duration, usize)> {
    let mut times = Vec::with_capacity(ROUNDS);
    let mut rows = 0;
    for _ in 0..ROUNDS {
        let t = Instant::now();
        rows = app.list_cases(f)?.len();
        times.push(t.elapsed());
    }
    times.sort();
    Ok((times[ROUNDS / 2], rows))
}

fn main() -> anyhow::Result<()> {
    qc_api::init_logging("warn");
    let tmp = tempfile::tempdir()?;
    let bureau = Bureau::start(tmp.path())?;
    let mut app = bureau.app()?;
    let li = app.unlock("li.ming", &pin("li.ming"))?;
    let liu = app.unlock("liu.jianguo", &pin("liu.jianguo"))?;
    let codes: Vec<&str> = VIOLATIONS
        .into_iter()
        .filter(|v| app.catalogue().violation(v).is_some())
        .collect();
    anyhow::ensure!(!codes.is_empty(), "no violation types in the catalogue");
    eprintln!("registering {CASES} cases");
    for i in 0..CASES {
        let mut c = new_case(&format!("景华路{i}号"), &format!("占道经营 第{i}起"));
        c.violation = codes[i % codes.len()].into();
        c.grid = format!("JX-{:02}", i % 40);
        let id = app.register_case(c, &li)?.0;
        if i % 3 == 0 {
            app.record_act(&id, qc_domain::Act::File, &[&liu])?;
        }
    }
    let page = |f: CaseFilter| CaseFilter {
        limit: Some(f.limit.unwrap_or(500)),
        ..f
    };
    // Warm the page cache as an app in use has it.
    app.list_cases(&CaseFilter::default())?;
    let (floor, _) = median(
        &app,
        &CaseFilter {
            limit: Some(1),
            ..Default::default()
        },
    )?;
    let queries = [
        ("first page", page(CaseFilter::default())),
        (
            "status 立案",
            page(CaseFilter {
                status: Some("filed".into()),
                ..Default::default()
            }),
        ),
        (
            "domain",
            page(CaseFilter {
                domain: Some(codes[0].split('.').next().unwrap_or_default().into()),
                ..Default::default()
            }),
        ),
        (
            "deadline urgent",
            page(CaseFilter {
                due: Some(DueFilter::Urgent),
                ..Default::default()
            }),
        ),
        (
            "text 景华路4321号",
            page(CaseFilter {
                text: Some("景华路4321号".into()),
                ..Default::default()
            }),
        ),
        (
            "grid JX-07",
            page(CaseFilter {
                grid: Some("JX-07".into()),
                ..Default::default()
            }),
        ),
        (
            "my cases (李明, who registered them all)",
            page(CaseFilter {
                person: Some("li.ming".into()),
                ..Default::default()
            }),
        ),
        (
            "scrolled to row 9,000",
            page(CaseFilter {
                offset: Some(9_000),
                ..Default::default()
            }),
        ),
    ];
    println!(
        "case list with {CASES} cases (median of {ROUNDS}); baseline, counting the cases: {:.1} ms",
        floor.as_secs_f64() * 1000.0
    );
    let mut worst = Duration::ZERO;
    for (what, f) in &queries {
        let (d, rows) = median(&app, f)?;
        println!("  {what}: {:.1} ms, {rows} rows", d.as_secs_f64() * 1000.0);
        worst = worst.max(d);
    }
    println!(
        "slowest query {:.1} ms (target < 50 ms)",
        worst.as_secs_f64() * 1000.0
    );
    anyhow::ensure!(
        worst < Duration::from_millis(50),
        "a list query took 50 ms or more"
    );
    Ok(())
}
