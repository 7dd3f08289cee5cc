//! Cold start of the app window to an interactive case list, on a tablet holding 10,000 cases:
//! the app binary launched through tauri-driver under Xvfb (a new process each round) until the
//! sign-in screen can be tapped, then from the PIN's "sign in" to the first page of case cards
//! painted. Baseline in the same run: the same binary on a data directory with no cases, so the
//! difference is what the cases cost. Target: launch + sign-in to list under 1.5 s with 10,000
//! cases. Exits non-zero when missed. Uses the app binary the tests use (`QUANCHENG_APP_BIN`, or
//! target/debug/quancheng-app).

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use fantoccini::{Client, Locator};
use qc_api::{DataDir, OsEntropy, Quancheng, SystemClock, demo};
use qc_tests::fixtures::new_case;
use qc_tests::station::pin;
use qc_tests::{Display, Driver, app_binary};

const CASES: usize = 10_000;
const ROUNDS: usize = 5;
const TARGET: Duration = Duration::from_millis(1500);

/// Returns once `css` matches and a frame has been painted after it (the page's own loop, so
/// no polling interval is added to the time).
async fn painted(c: &Client, css: &str) -> anyhow::Result<()> {
    c.execute_async(
        "const [css, done] = arguments;
         const check = () => document.querySelector(css)
           ? requestAnimationFrame(() => done(true))
           : requestAnimationFrame(check);
         check();",
        vec![css.into()],
    )
    .await?;
    Ok(())
}

/// One cold start: (launch → sign-in screen ready, "sign in" tapped → case cards painted).
async fn once(driver: &Driver, person: &str, cards: bool) -> anyhow::Result<(Duration, Duration)> {
    let app = app_binary()?;
    let t0 = Instant::now();
    let c = driver.launch(&app).await?;
    let who = format!("[data-person='{person}']");
    painted(&c, &who).await?;
    let ready = t0.elapsed();
    c.find(Locator::Css(&who)).await?.click().await?;
    painted(&c, "input.pin").await?;
    c.find(Locator::Css("input.pin"))
        .await?
        .send_keys(&pin(person))
        .await?;
    let button = c.find(Locator::Css(".pin-form button")).await?;
    let t1 = Instant::now();
    button.click().await?;
    painted(&c, if cards { ".case-card" } else { ".van-empty" }).await?;
    let listed = t1.elapsed();
    c.close().await?;
    Ok((ready, listed))
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn data_dir(root: &Path, cases: usize) -> anyhow::Result<DataDir> {
    let dir = DataDir::new(root);
    Quancheng::init(
        &dir,
        &demo::demo_people(),
        Arc::new(SystemClock),
        Box::new(OsEntropy),
    )?;
    let mut app = Quancheng::open(&dir, Arc::new(SystemClock), Box::new(OsEntropy))?;
    let li = app.unlock("li.ming", &pin("li.ming"))?;
    for i in 0..cases {
        let mut c = new_case(&format!("景华路{i}号"), &format!("占道经营 第{i}起"));
        c.grid = format!("JX-{:02}", i % 40);
        app.register_case(c, &li)?;
    }
    Ok(dir)
}

async fn measure(dir: &DataDir, cards: bool) -> anyhow::Result<(Duration, Duration)> {
    let display = Display::start(1280, 800)?;
    let driver = Driver::start(&display, &[("QUANCHENG_DATA", dir.root())])?;
    // One launch first, so that every measured round finds the binary and libraries in the
    // page cache alike.
    once(&driver, "li.ming", cards).await?;
    let (mut ready, mut listed) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        let (r, l) = once(&driver, "li.ming", cards).await?;
        ready.push(r);
        listed.push(l);
    }
    Ok((median(ready), median(listed)))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    qc_api::init_logging("warn");
    let tmp = tempfile::tempdir()?;
    let empty = data_dir(&tmp.path().join("empty"), 0)?;
    eprintln!("registering {CASES} cases");
    let full = data_dir(&tmp.path().join("full"), CASES)?;
    let (base_ready, base_listed) = measure(&empty, false).await?;
    let (ready, listed) = measure(&full, true).await?;
    println!(
        "cold start to the case list (median of {ROUNDS}, {}):",
        app_binary()?.display()
    );
    println!(
        "  baseline, no cases: sign-in screen {:.0} ms, sign in to list {:.0} ms",
        ms(base_ready),
        ms(base_listed)
    );
    println!(
        "  {CASES} cases: sign-in screen {:.0} ms, sign in to list {:.0} ms, total {:.0} ms (target < {} ms)",
        ms(ready),
        ms(listed),
        ms(ready + listed),
        TARGET.as_millis()
    );
    anyhow::ensure!(
        ready + listed < TARGET,
        "cold start to the case list took {:.0} ms",
        ms(ready + listed)
    );
    Ok(())
}
