//! Helpers shared by the scenario and end-to-end tests: a virtual display, tauri-driver, and
//! where the built app is. End-to-end tests fail (never skip) when any of these cannot start.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_owned)
        .unwrap_or_default()
}

/// A binary of this workspace in the debug target directory, or the one `var` names.
fn built(var: &str, name: &str, how: &str) -> anyhow::Result<PathBuf> {
    if let Some(p) = std::env::var_os(var) {
        return Ok(PathBuf::from(p));
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"));
    let bin = target.join("debug").join(name);
    if !bin.exists() {
        bail!("{} is missing: build it first ({how})", bin.display());
    }
    Ok(bin)
}

/// The built app binary (`scripts/test` builds it before the tests run).
pub fn app_binary() -> anyhow::Result<PathBuf> {
    built(
        "QUANCHENG_APP_BIN",
        "quancheng-app",
        "`cargo build -p quancheng-app`; scripts/test does",
    )
}

/// The built `quancheng` command line. A test crate cannot depend on another package's
/// binary, so it must be built first: `cargo test --workspace` (scripts/test) builds it for
/// qc-cli's own tests; a test run alone needs `cargo build -p qc-cli` before it.
pub fn cli_binary() -> anyhow::Result<PathBuf> {
    built(
        "QUANCHENG_CLI_BIN",
        "quancheng",
        "`cargo build -p qc-cli`; `cargo test --workspace` does",
    )
}

/// A fixed sequence of pseudo-random numbers (xorshift64, from a non-zero seed), so a failing
/// trial can be replayed.
pub struct Xorshift(pub u64);

impl Xorshift {
    /// A test's sequence: from `QC_CRASH_SEED` (hex) if set, else from `default`; the seed is
    /// printed, so a failure can be replayed with the same moments.
    pub fn seeded(default: u64) -> Xorshift {
        let seed = std::env::var("QC_CRASH_SEED")
            .ok()
            .and_then(|s| u64::from_str_radix(s.trim().trim_start_matches("0x"), 16).ok())
            .filter(|s| *s != 0)
            .unwrap_or(default);
        println!("seed {seed:#x}: QC_CRASH_SEED={seed:#x} replays these moments");
        Xorshift(seed)
    }

    /// The next number, below `n` (which must not be 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// A free TCP port on 127.0.0.1 (free when asked: bind it soon).
pub fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn wait_for(what: &str, timeout: Duration, mut ready: impl FnMut() -> bool) -> anyhow::Result<()> {
    let start = Instant::now();
    while !ready() {
        if start.elapsed() > timeout {
            bail!("{what} did not start within {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(())
}

/// Stops a child politely (SIGTERM), then for good after a grace period.
fn stop(child: &mut Child) {
    // SIGTERM, not SIGKILL: tauri-driver then stops its WebKitWebDriver, which would otherwise
    // keep its port.
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(5) {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// An Xvfb display of a given size, stopped on drop.
pub struct Display {
    child: Child,
    number: u32,
}

impl Display {
    /// Starts Xvfb on the first free display number from 90. Tests in one process start their
    /// displays one at a time, and a number another process took meanwhile is skipped.
    pub fn start(width: u32, height: u32) -> anyhow::Result<Display> {
        static STARTING: std::sync::Mutex<()> = std::sync::Mutex::new(());
        let _one_at_a_time = STARTING.lock().unwrap_or_else(|p| p.into_inner());
        let free = (90..200).filter(|n| !Path::new(&format!("/tmp/.X{n}-lock")).exists());
        for number in free.take(5) {
            let child = Command::new("Xvfb")
                .arg(format!(":{number}"))
                .args([
                    "-screen",
                    "0",
                    &format!("{width}x{height}x24"),
                    "-nolisten",
                    "tcp",
                ])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .context("cannot start Xvfb (install xvfb: scripts/setup does)")?;
            let mut d = Display { child, number };
            let socket = format!("/tmp/.X11-unix/X{number}");
            let _ = wait_for("Xvfb", Duration::from_secs(15), || {
                Path::new(&socket).exists() || matches!(d.child.try_wait(), Ok(Some(_)))
            });
            if Path::new(&socket).exists() && matches!(d.child.try_wait(), Ok(None)) {
                return Ok(d);
            }
            // That number was taken after all (or Xvfb failed): try the next one.
            stop(&mut d.child);
        }
        bail!("Xvfb did not start on any free display")
    }

    /// `:N`, for DISPLAY.
    pub fn name(&self) -> String {
        format!(":{}", self.number)
    }
}

impl Drop for Display {
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}

/// tauri-driver on a free port, driving the app on a display; stopped on drop.
pub struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    /// Starts tauri-driver; `env` is passed on to the app it launches.
    pub fn start(display: &Display, env: &[(&str, &Path)]) -> anyhow::Result<Driver> {
        let port = free_port()?;
        let native = free_port()?;
        let mut cmd = Command::new("tauri-driver");
        cmd.args([
            "--port",
            &port.to_string(),
            "--native-port",
            &native.to_string(),
        ])
        .env("DISPLAY", display.name())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd
            .spawn()
            .context("cannot start tauri-driver (scripts/setup installs it)")?;
        let mut d = Driver { child, port };
        // tauri-driver listens before the WebKitWebDriver it starts does, and drops requests it
        // cannot forward; on a busy machine the first session request would hit that gap.
        let up = |p: u16| move || TcpStream::connect(("127.0.0.1", p)).is_ok();
        let started = wait_for("tauri-driver", Duration::from_secs(20), up(port)).and_then(|()| {
            wait_for(
                "WebKitWebDriver (started by tauri-driver)",
                Duration::from_secs(20),
                up(native),
            )
        });
        if let Err(e) = started {
            stop(&mut d.child);
            return Err(e);
        }
        Ok(d)
    }

    /// A WebDriver session running the app.
    pub async fn launch(&self, app: &Path) -> anyhow::Result<fantoccini::Client> {
        let mut caps = serde_json::Map::new();
        caps.insert(
            "tauri:options".into(),
            serde_json::json!({ "application": app }),
        );
        caps.insert("browserName".into(), "wry".into());
        fantoccini::ClientBuilder::native()
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .context("cannot open a WebDriver session with the app")
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}

/// Debian's chromedriver on a free port, driving a headless chromium (the bureau's console in
/// a real browser); stopped on drop.
pub struct Chrome {
    child: Child,
    port: u16,
}

impl Chrome {
    /// Starts chromedriver (scripts/setup installs `chromium-driver`).
    pub fn start() -> anyhow::Result<Chrome> {
        let port = free_port()?;
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("cannot start chromedriver (scripts/setup installs chromium-driver)")?;
        let mut c = Chrome { child, port };
        if let Err(e) = wait_for("chromedriver", Duration::from_secs(20), || {
            TcpStream::connect(("127.0.0.1", port)).is_ok()
        }) {
            stop(&mut c.child);
            return Err(e);
        }
        Ok(c)
    }

    /// A browser session: headless, 1440×900, Chinese first, trusting the station's
    /// self-signed certificate as an operator who pinned it would.
    pub async fn session(&self) -> anyhow::Result<fantoccini::Client> {
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), "chrome".into());
        caps.insert("acceptInsecureCerts".into(), true.into());
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({
                "binary": "/usr/bin/chromium",
                "args": [
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--window-size=1440,900",
                    "--lang=zh-CN",
                ],
            }),
        );
        fantoccini::ClientBuilder::native()
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .context("cannot open a browser session through chromedriver")
    }
}

impl Drop for Chrome {
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}

/// Waits until the browser has painted what the DOM holds (a busy machine lags), then saves a
/// screenshot of the window (see [`save_screenshot`]).
pub async fn snapshot(c: &fantoccini::Client, name: &str) {
    let painted = c
        .execute_async(
            "const done = arguments[0]; requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(done, 300)));",
            vec![],
        )
        .await;
    if let Err(e) = painted {
        panic!("the window did not paint for {name}: {e}");
    }
    match c.screenshot().await {
        Ok(png) => save_screenshot(name, &png),
        Err(e) => panic!("no screenshot {name}: {e}"),
    }
}

/// Saves a screenshot under target/screens (and docs/screens when asked to refresh them with
/// `QUANCHENG_UPDATE_SCREENS`).
pub fn save_screenshot(name: &str, png: &[u8]) {
    let out = workspace_root().join("target").join("screens");
    let saved = std::fs::create_dir_all(&out).and_then(|()| std::fs::write(out.join(name), png));
    if let Err(e) = saved {
        panic!("cannot save screenshot {name}: {e}");
    }
    if std::env::var_os("QUANCHENG_UPDATE_SCREENS").is_some() {
        let docs = workspace_root().join("docs").join("screens");
        let saved =
            std::fs::create_dir_all(&docs).and_then(|()| std::fs::write(docs.join(name), png));
        if let Err(e) = saved {
            panic!("cannot save screenshot {name} in docs: {e}");
        }
    }
}

/// Polls `check` until it returns `Some`, or fails after `timeout` with `what`.
pub async fn eventually<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(v) = check().await {
            return Ok(v);
        }
        if start.elapsed() > timeout {
            bail!("timed out after {timeout:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The process's peak resident memory (Linux `/proc/self/status`), to show that streaming
/// work stays within bounds.
pub mod memory {
    /// Resets the peak so that the next reading covers only what runs from now on.
    pub fn reset_peak() -> anyhow::Result<()> {
        // "5" resets the peak RSS (VmHWM) to the current RSS (Linux 4.0+).
        std::fs::write("/proc/self/clear_refs", "5")?;
        Ok(())
    }

    fn status_kib(field: &str) -> anyhow::Result<u64> {
        let status = std::fs::read_to_string("/proc/self/status")?;
        status
            .lines()
            .find_map(|l| l.strip_prefix(field))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .ok_or_else(|| anyhow::anyhow!("no {field} in /proc/self/status"))
    }

    /// Peak resident memory since start or the last [`reset_peak`], in bytes.
    pub fn peak_bytes() -> anyhow::Result<u64> {
        Ok(status_kib("VmHWM:")? * 1024)
    }

    /// Resident memory now, in bytes.
    pub fn current_bytes() -> anyhow::Result<u64> {
        Ok(status_kib("VmRSS:")? * 1024)
    }
}

/// Capturing a long video as evidence, measured in a child process of its own so that the
/// peak resident memory counts only what the ingest needs (plus the process itself), not what
/// the parent's set-up left behind.
pub mod video {
    use std::path::Path;
    use std::process::Command;
    use std::sync::Arc;

    use anyhow::{Context, bail};
    use qc_api::records::NewEvidence;
    use qc_api::{DataDir, Quancheng, SeededEntropy, demo};
    use qc_domain::{FixedClock, Timestamp};
    use qc_evidence::sample::Video;

    const CHILD: &str = "QC_VIDEO_CHILD";
    /// In place of a length: the files to import by path (a path list, as `PATH`).
    const FILES: &str = "files:";
    const NOW: Timestamp = Timestamp(1_795_000_000_000);

    fn pin(id: &str) -> String {
        demo::demo_people()
            .into_iter()
            .find(|e| e.person.id.0 == id)
            .map(|e| e.pin)
            .unwrap_or_default()
    }

    fn open(dir: &Path) -> anyhow::Result<Quancheng> {
        let clock = Arc::new(FixedClock(NOW));
        Ok(Quancheng::open(
            &DataDir::new(dir),
            clock,
            Box::new(SeededEntropy::new([2; 32])),
        )?)
    }

    /// A data directory with the demo squad and one case; returns the case id.
    pub fn prepare(dir: &Path) -> anyhow::Result<String> {
        let clock = Arc::new(FixedClock(NOW));
        let d = DataDir::new(dir);
        Quancheng::init(
            &d,
            &demo::demo_people(),
            clock,
            Box::new(SeededEntropy::new([1; 32])),
        )?;
        let mut app = open(dir)?;
        let li = app.unlock("li.ming", &pin("li.ming"))?;
        let id = app.register_case(
            crate::fixtures::new_case("景华路88号", "执法记录仪全程录像"),
            &li,
        )?;
        Ok(id.0)
    }

    /// In the child: when this process was started by [`ingest_in_child`], captures the video
    /// and prints the peak resident memory; returns true so the caller stops there.
    pub fn run_child_if_asked() -> anyhow::Result<bool> {
        let Ok(spec) = std::env::var(CHILD) else {
            return Ok(false);
        };
        let mut parts = spec.splitn(3, '|');
        let (Some(dir), Some(case), Some(len)) = (parts.next(), parts.next(), parts.next()) else {
            bail!("bad {CHILD}");
        };
        let mut app = open(Path::new(dir))?;
        let li = app.unlock("li.ming", &pin("li.ming"))?;
        let wang = app.unlock("wang.fang", &pin("wang.fang"))?;
        crate::memory::reset_peak()?;
        let start = std::time::Instant::now();
        let id = match len.strip_prefix(FILES) {
            // The app's path: files on disk, imported by path as the window's import does.
            Some(paths) => {
                let paths: Vec<std::path::PathBuf> = std::env::split_paths(paths).collect();
                let as_ = qc_api::import::ImportAs {
                    description: "执法记录仪视频".into(),
                    ..Default::default()
                };
                let report = app.import_files(
                    case,
                    &paths,
                    (&as_, &[&li, &wang]),
                    &mut |_| {},
                    &std::sync::atomic::AtomicBool::new(false),
                )?;
                let ids: Vec<String> = report
                    .files
                    .into_iter()
                    .map(|f| f.evidence.ok_or_else(|| anyhow::anyhow!("{:?}", f.error)))
                    .collect::<anyhow::Result<_>>()?;
                ids.join(",")
            }
            None => app.add_evidence(
                case,
                Video::new(len.parse()?),
                NewEvidence {
                    file_name: "DSJ_20261118_0930.mp4".into(),
                    description: "现场执法全程录像".into(),
                    attestation: None,
                },
                &[&li, &wang],
            )?,
        };
        println!(
            "QC-VIDEO {} {} {}",
            crate::memory::peak_bytes()?,
            start.elapsed().as_secs_f64(),
            id
        );
        Ok(true)
    }

    /// What a child measured.
    pub struct Measured {
        /// Peak resident memory during the ingest, bytes.
        pub peak: u64,
        /// Seconds the ingest took.
        pub seconds: f64,
        /// The evidence id.
        pub evidence: String,
    }

    /// Runs `exe args` (this test or bench binary again) as the child that ingests a video of
    /// `len` bytes into the prepared `dir`.
    pub fn ingest_in_child(
        exe: &Path,
        args: &[&str],
        dir: &Path,
        case: &str,
        len: u64,
    ) -> anyhow::Result<Measured> {
        child(exe, args, &format!("{}|{case}|{len}", dir.display()))
    }

    /// [`ingest_in_child`], the child importing `files` by path as the app does (its evidence
    /// ids comma-separated).
    pub fn import_in_child(
        exe: &Path,
        args: &[&str],
        dir: &Path,
        case: &str,
        files: &[std::path::PathBuf],
    ) -> anyhow::Result<Measured> {
        let paths = std::env::join_paths(files)?;
        let spec = format!(
            "{}|{case}|{FILES}{}",
            dir.display(),
            paths.to_string_lossy()
        );
        child(exe, args, &spec)
    }

    fn child(exe: &Path, args: &[&str], spec: &str) -> anyhow::Result<Measured> {
        let out = Command::new(exe)
            .args(args)
            .env(CHILD, spec)
            .output()
            .context("cannot start the child")?;
        let text = String::from_utf8_lossy(&out.stdout);
        let line = text
            .lines()
            .find_map(|l| l.strip_prefix("QC-VIDEO "))
            .with_context(|| {
                format!(
                    "the child reported nothing:\n{text}\n{}",
                    String::from_utf8_lossy(&out.stderr)
                )
            })?;
        let mut f = line.split_whitespace();
        let (Some(peak), Some(seconds), Some(evidence)) = (f.next(), f.next(), f.next()) else {
            bail!("bad child report {line}");
        };
        Ok(Measured {
            peak: peak.parse()?,
            seconds: seconds.parse()?,
            evidence: evidence.into(),
        })
    }
}

/// A base station run in this process from a bureau data directory (as `quancheng serve`
/// runs it), and tablets enrolled with it the way an administrator and officers do it: a
/// one-time code for the device, then one for each person whose key is made on it.
pub mod station {
    use std::path::{Path, PathBuf};
    use std::process::Command;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::time::{Duration, Instant};

    use anyhow::bail;
    use qc_api::station::Station;
    use qc_api::{DataDir, OsEntropy, Quancheng, SystemClock, demo};
    use qc_server::http::{AppState, Running, router, self_signed, serve_tls};
    use qc_server::storage::Grant;
    use qc_server::{Service, Storage};
    pub use qc_station_evidence::S3Config;
    use qc_station_evidence::{Evidence, LocalEvidence, ObjectEvidence};

    use crate::process::Killable;

    /// The service a station's routes share, held so that it is dropped last, outside the
    /// server's runtime: PostgreSQL's blocking client panics when its connections are dropped
    /// on a runtime thread.
    type Keep = Arc<dyn std::any::Any + Send + Sync>;

    /// What a station in a test has answered: requests in all, and the most at once.
    #[derive(Default)]
    pub struct Traffic {
        requests: AtomicU64,
        in_flight: AtomicU64,
        most: AtomicU64,
    }

    /// How often a station in a test does its upkeep (`quancheng serve`'s, every
    /// [`qc_server::http::UPKEEP_EVERY`]), so a test sees it done.
    pub const TEST_UPKEEP_EVERY: Duration = Duration::from_millis(200);

    /// What a station runs beside its routes.
    type Upkeep = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>;

    /// The station's routes, counting the requests it answers in `traffic`, its log key (hex),
    /// the service to keep and its upkeep to run; uploads a killed station left are finished
    /// first, as `quancheng serve` does.
    fn counted<S: Storage + 'static>(
        service: Service<S>,
        traffic: &Arc<Traffic>,
    ) -> anyhow::Result<(axum::Router, String, Keep, Upkeep)> {
        service.finish_interrupted()?;
        let log_key = hex::encode(service.log_key());
        let state = Arc::new(AppState::new(
            service,
            Arc::new(SystemClock),
            qc_server::http::DEFAULT_WORKING,
        ));
        let traffic = traffic.clone();
        let routes = router(state.clone()).layer(axum::middleware::from_fn(
            move |req: axum::extract::Request, next: axum::middleware::Next| {
                let traffic = traffic.clone();
                async move {
                    traffic.requests.fetch_add(1, Ordering::Relaxed);
                    let now = traffic.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                    traffic.most.fetch_max(now, Ordering::SeqCst);
                    let answer = next.run(req).await;
                    traffic.in_flight.fetch_sub(1, Ordering::SeqCst);
                    answer
                }
            },
        ));
        let upkeep = Box::pin(qc_server::http::upkeep(state.clone(), TEST_UPKEEP_EVERY));
        Ok((routes, log_key, state, upkeep))
    }

    /// A demo person's PIN.
    pub fn pin(id: &str) -> String {
        demo::demo_people()
            .into_iter()
            .find(|e| e.person.id.0 == id)
            .map(|e| e.pin)
            .unwrap_or_default()
    }

    /// Opens a data directory with the system clock.
    pub fn open(dir: &Path) -> anyhow::Result<Quancheng> {
        Ok(Quancheng::open(
            &DataDir::new(dir),
            Arc::new(SystemClock),
            Box::new(OsEntropy),
        )?)
    }

    /// The bureau's directory and its station, listening on 127.0.0.1.
    pub struct Bureau {
        /// The bureau's data directory (its own device is of 一中队).
        pub dir: PathBuf,
        /// How devices reach the station.
        pub station: Station,
        traffic: Arc<Traffic>,
        running: Option<(tokio::runtime::Runtime, Running, Keep)>,
        /// What stations in child processes and the administrator's commands are told of
        /// where the station keeps its state (the database, the evidence bucket).
        env: Vec<(String, String)>,
        /// The command line, for the administrator's commands on that database.
        cli: Option<PathBuf>,
        /// What the station run in this process keeps its state in.
        backend: Backend,
    }

    /// Where the station run in this process keeps its state.
    #[derive(Clone, Debug, Default)]
    pub enum Backend {
        /// The embedded SQLite store under the bureau directory, as `quancheng serve` without
        /// a database.
        #[default]
        Sqlite,
        /// The PostgreSQL database at `url`, with evidence in `s3` or, without it, in the
        /// station directory's `blobs/`.
        Postgres {
            /// The database URL.
            url: String,
            /// The evidence bucket.
            s3: Option<S3Config>,
        },
    }

    impl Bureau {
        /// Initialises a bureau directory under `root` with the demo people and starts its
        /// station.
        pub fn start(root: &Path) -> anyhow::Result<Bureau> {
            let dir = root.join("bureau");
            Quancheng::init(
                &DataDir::new(&dir),
                &demo::demo_people(),
                Arc::new(SystemClock),
                Box::new(OsEntropy),
            )?;
            Bureau::open(&dir, Backend::Sqlite)
        }

        /// Starts the station of an existing bureau directory (one [`Bureau::start`] made, or
        /// a copy of it) in this process on `backend`, with a new address and certificate.
        pub fn open(dir: &Path, backend: Backend) -> anyhow::Result<Bureau> {
            let mut b = Bureau {
                dir: dir.to_owned(),
                station: Station {
                    url: String::new(),
                    cert_pem: String::new(),
                    log_key: String::new(),
                },
                traffic: Arc::default(),
                running: None,
                env: Vec::new(),
                cli: None,
                backend,
            };
            b.restart()?;
            Ok(b)
        }

        /// A copy of the bureau directory at `dir` (the device's data and the station's files
        /// as they are now), made with the station stopped and started again after; open it
        /// with [`Bureau::open`] to run the same device against another station.
        pub fn copy_to(&mut self, dir: &Path) -> anyhow::Result<PathBuf> {
            self.stop();
            let status = Command::new("cp")
                .arg("-a")
                .arg(&self.dir)
                .arg(dir)
                .status()?;
            self.restart()?;
            anyhow::ensure!(status.success(), "cp -a {} failed", self.dir.display());
            Ok(dir.to_owned())
        }

        /// Stops the station (in-flight requests finish first).
        pub fn stop(&mut self) {
            if let Some((runtime, running, service)) = self.running.take() {
                running
                    .handle
                    .graceful_shutdown(Some(std::time::Duration::from_secs(5)));
                drop(runtime);
                drop(service);
            }
        }

        /// Starts the station again on its files, at the same address when it had one.
        pub fn restart(&mut self) -> anyhow::Result<()> {
            self.stop();
            let mut app = open(&self.dir)?;
            let (routes, log_key, service, upkeep) = match &self.backend {
                Backend::Sqlite => counted(app.station_service()?, &self.traffic)?,
                Backend::Postgres { url, s3 } => {
                    let key = app.station_blob_key()?;
                    let evidence: Box<dyn Evidence> = match s3 {
                        Some(config) => Box::new(ObjectEvidence::s3(config, key)?),
                        None => {
                            Box::new(LocalEvidence::open(app.station_dir().join("blobs"), key)?)
                        }
                    };
                    let storage = qc_station_pg::PgStorage::open(url, evidence)?;
                    counted(app.station_service_on(storage)?, &self.traffic)?
                }
            };
            if self.station.cert_pem.is_empty() {
                std::fs::create_dir_all(self.dir.join("station"))?;
                let (cert, key) = self_signed(&["127.0.0.1".into()]).map_err(anyhow::Error::msg)?;
                self.station.cert_pem = cert;
                std::fs::write(self.dir.join("station").join("tls-key.pem"), key)?;
                // `quancheng serve` on this directory then serves the certificate devices pinned.
                std::fs::write(
                    self.dir.join("station").join("tls-cert.pem"),
                    &self.station.cert_pem,
                )?;
            }
            let key = std::fs::read_to_string(self.dir.join("station").join("tls-key.pem"))?;
            let addr = match self.station.url.rsplit_once(':') {
                Some((_, port)) => format!("127.0.0.1:{port}"),
                None => "127.0.0.1:0".into(),
            };
            let runtime = tokio::runtime::Runtime::new()?;
            let (running, _task) = runtime
                .block_on(serve_tls(
                    routes,
                    addr.parse()?,
                    self.station.cert_pem.clone(),
                    key,
                ))
                .map_err(anyhow::Error::msg)?;
            runtime.spawn(upkeep);
            self.station.url = format!("https://127.0.0.1:{}", running.addr.port());
            self.station.log_key = log_key;
            app.set_station(&self.station)?;
            self.running = Some((runtime, running, service));
            Ok(())
        }

        /// Stops the station run in this process and runs it as `quancheng serve` (`bin`) in a
        /// child process instead, at the same address with the same certificate; returns once
        /// it listens. Its output goes to `logs/serve.out` and `.err`. Call again to start it
        /// anew after a kill.
        pub fn serve_in_child(&mut self, bin: &Path, logs: &Path) -> anyhow::Result<Killable> {
            self.stop();
            let listen = self
                .station
                .url
                .strip_prefix("https://")
                .ok_or_else(|| anyhow::anyhow!("no address yet: {}", self.station.url))?
                .to_owned();
            self.serve_child(bin, logs, "serve", &listen)
        }

        /// Runs `quancheng serve` (`bin`) on this directory in a child named `name` (its
        /// output in `logs/NAME.out` and `.err`), listening on `listen`, on the database
        /// [`Self::use_database`] chose; returns once it listens.
        pub fn serve_child(
            &self,
            bin: &Path,
            logs: &Path,
            name: &str,
            listen: &str,
        ) -> anyhow::Result<Killable> {
            let start = Instant::now();
            loop {
                let mut cmd = Command::new(bin);
                cmd.arg("--data-dir")
                    .arg(&self.dir)
                    .args(["serve", "--listen", listen])
                    .env_remove("QUANCHENG_KEY_FILE");
                cmd.envs(self.env.iter().map(|(k, v)| (k, v)));
                let mut child = Killable::spawn(&mut cmd, logs, name)?;
                while child.ended().is_none() && !child.stdout().contains("Ctrl-C") {
                    if start.elapsed() > Duration::from_secs(60) {
                        bail!("the station did not start: {}", child.stderr());
                    }
                    std::thread::sleep(Duration::from_millis(10));
                }
                if child.ended().is_none() {
                    return Ok(child);
                }
                // The address may be held a moment longer by the process just killed.
                if start.elapsed() > Duration::from_secs(20) {
                    bail!("the station stopped at start: {}", child.stderr());
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }

        /// From now on the station keeps its state in the PostgreSQL database at `url`:
        /// stations started with [`Self::serve_child`] use it, and codes are issued there by
        /// the administrator's command (`bin`).
        pub fn use_database(&mut self, bin: &Path, url: &str) {
            self.stop();
            self.env.retain(|(k, _)| k != "QUANCHENG_DATABASE");
            self.env.push(("QUANCHENG_DATABASE".into(), url.to_owned()));
            self.cli = Some(bin.to_owned());
        }

        /// From now on stations on the database keep evidence files in an S3 bucket:
        /// `(endpoint, bucket, access key, secret key)`.
        pub fn use_s3(&mut self, (endpoint, bucket, access, secret): (&str, &str, &str, &str)) {
            for (k, v) in [
                ("QUANCHENG_S3_ENDPOINT", endpoint),
                ("QUANCHENG_S3_BUCKET", bucket),
                ("QUANCHENG_S3_ACCESS_KEY", access),
                ("QUANCHENG_S3_SECRET_KEY", secret),
            ] {
                self.env.retain(|(name, _)| name != k);
                self.env.push((k.into(), v.into()));
            }
        }

        /// Requests the station has answered so far.
        pub fn requests(&self) -> u64 {
            self.traffic.requests.load(Ordering::Relaxed)
        }

        /// The most requests the station has served at once so far.
        pub fn most_at_once(&self) -> u64 {
            self.traffic.most.load(Ordering::SeqCst)
        }

        /// The bureau's own device.
        pub fn app(&self) -> anyhow::Result<Quancheng> {
            open(&self.dir)
        }

        /// A one-time code from the administrator (吴敏).
        pub fn code(&self, grant: &Grant) -> anyhow::Result<String> {
            if self.cli.is_some() {
                let (flag, whom) = match grant {
                    Grant::Device { squad } => ("--squad", squad),
                    Grant::Officer { person } => ("--person", person),
                };
                let v = self.admin(&["enroll", flag, whom])?;
                return v["code"]
                    .as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| anyhow::anyhow!("no code in {v}"));
            }
            let mut app = self.app()?;
            let admin = app.unlock("wu.min", &pin("wu.min"))?;
            Ok(app.issue_enrolment_code(grant, &admin)?)
        }

        /// The administrator (吴敏) revokes a lost tablet at the station, through the command
        /// line when the station is on a database ([`Self::use_database`]).
        pub fn revoke_device(&self, device: &str, reason: &str) -> anyhow::Result<()> {
            if self.cli.is_some() {
                self.admin(&["revoke", "--device", device, "--reason", reason])?;
                return Ok(());
            }
            let mut app = self.app()?;
            let admin = app.unlock("wu.min", &pin("wu.min"))?;
            Ok(app.revoke_device(device, reason, &admin)?)
        }

        /// `quancheng admin ARGS` as the administrator (吴敏), with the station's settings;
        /// its JSON answer.
        fn admin(&self, args: &[&str]) -> anyhow::Result<serde_json::Value> {
            let bin = self
                .cli
                .as_ref()
                .ok_or_else(|| anyhow::anyhow!("no command-line binary was given"))?;
            let mut args = args.to_vec();
            args.extend(["--officer", "wu.min", "--json"]);
            let out = self.run_admin(bin, &args, Some(pin("wu.min")))?;
            Ok(serde_json::from_slice(&out)?)
        }

        /// `quancheng admin deleted-originals` run by `bin` on this bureau's station, as a
        /// backup job runs it (no officer): the SHA-256 (hex) of each file an approved
        /// deletion removed.
        pub fn deleted_originals(&self, bin: &Path) -> anyhow::Result<Vec<String>> {
            let out = self.run_admin(bin, &["deleted-originals"], None)?;
            Ok(String::from_utf8(out)?.lines().map(str::to_owned).collect())
        }

        /// Runs `quancheng admin <args>` (of `bin`) on this bureau's directory and station,
        /// with the officer's PIN if given; its output.
        fn run_admin(
            &self,
            bin: &Path,
            args: &[&str],
            pin: Option<String>,
        ) -> anyhow::Result<Vec<u8>> {
            let mut cmd = Command::new(bin);
            cmd.arg("--data-dir")
                .arg(&self.dir)
                .arg("admin")
                .args(args)
                .envs(self.env.iter().map(|(k, v)| (k, v)))
                .env_remove("QUANCHENG_KEY_FILE");
            if let Some(pin) = pin {
                cmd.env("QUANCHENG_PIN", pin);
            }
            let out = cmd.output()?;
            if !out.status.success() {
                bail!(
                    "admin {}: {}",
                    args.join(" "),
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            Ok(out.stdout)
        }

        /// A new tablet of `squad` at `dir`, with keys made on it for `people` (their demo
        /// PINs unlock them).
        pub fn tablet(
            &self,
            dir: &Path,
            squad: &str,
            people: &[&str],
        ) -> anyhow::Result<Quancheng> {
            let code = self.code(&Grant::Device {
                squad: squad.into(),
            })?;
            let mut app = Quancheng::enrol_device(
                &DataDir::new(dir),
                &self.station,
                &code,
                &format!("{squad} 平板"),
                Arc::new(SystemClock),
                Box::new(OsEntropy),
            )?;
            for p in people {
                let code = self.code(&Grant::Officer {
                    person: (*p).into(),
                })?;
                app.enrol_officer(p, &code, &pin(p))?;
            }
            Ok(app)
        }
    }

    impl Drop for Bureau {
        fn drop(&mut self) {
            self.stop();
        }
    }
}

/// Child processes that tests kill the hard way: SIGKILL (`Child::kill` on Unix), as a power
/// cut or the out-of-memory killer stops a process, with no chance to clean up.
pub mod process {
    use std::fs::File;
    use std::io::{BufRead as _, BufReader};
    use std::path::{Path, PathBuf};
    use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
    use std::time::{Duration, Instant};

    use anyhow::{Context, bail};

    /// This program run again as a child with `var` set to `value` (a benchmark's station in
    /// a process of its own, so that its memory is its own), stdin and stdout piped: the
    /// child, its output, and the first line it wrote (its answer, or that it is ready).
    pub fn rerun_self(
        var: &str,
        value: &str,
    ) -> anyhow::Result<(Child, BufReader<ChildStdout>, String)> {
        let mut child = Command::new(std::env::current_exe()?)
            .env(var, value)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()?;
        let mut out = BufReader::new(child.stdout.take().context("no stdout")?);
        let mut first = String::new();
        out.read_line(&mut first)?;
        Ok((child, out, first))
    }

    /// A child whose output goes to files, killed and reaped when dropped, so that a failing
    /// test leaves nothing running.
    pub struct Killable {
        child: Child,
        out: PathBuf,
        err: PathBuf,
        status: Option<ExitStatus>,
    }

    impl Killable {
        /// Starts `cmd` with its output to `logs/NAME.out` and `logs/NAME.err` (replaced).
        pub fn spawn(cmd: &mut Command, logs: &Path, name: &str) -> anyhow::Result<Killable> {
            let out = logs.join(format!("{name}.out"));
            let err = logs.join(format!("{name}.err"));
            let child = cmd
                .stdin(std::process::Stdio::null())
                .stdout(File::create(&out)?)
                .stderr(File::create(&err)?)
                .spawn()
                .with_context(|| format!("cannot start {cmd:?}"))?;
            Ok(Killable {
                child,
                out,
                err,
                status: None,
            })
        }

        /// How it ended, if it has.
        pub fn ended(&mut self) -> Option<ExitStatus> {
            if self.status.is_none() {
                self.status = self.child.try_wait().ok().flatten();
            }
            self.status
        }

        /// Kills it (SIGKILL) unless it has ended, and reaps it; returns how it ended.
        pub fn kill(&mut self) -> anyhow::Result<ExitStatus> {
            if let Some(s) = self.ended() {
                return Ok(s);
            }
            // Fails only if it ended meanwhile; `wait` tells either way.
            let _ = self.child.kill();
            let status = self.child.wait()?;
            self.status = Some(status);
            Ok(status)
        }

        /// Asks it to stop (SIGTERM), as an operator's `systemctl stop` does, and waits up to
        /// `timeout` for it to end; returns how it ended.
        pub fn terminate(&mut self, timeout: Duration) -> anyhow::Result<ExitStatus> {
            if let Some(s) = self.ended() {
                return Ok(s);
            }
            let sent = Command::new("kill")
                .args(["-TERM", &self.child.id().to_string()])
                .status()?;
            anyhow::ensure!(sent.success(), "kill -TERM failed");
            self.wait(timeout)
        }

        /// Waits for it to end by itself; after `timeout` it is killed and this fails.
        pub fn wait(&mut self, timeout: Duration) -> anyhow::Result<ExitStatus> {
            let start = Instant::now();
            while self.ended().is_none() {
                if start.elapsed() > timeout {
                    self.kill()?;
                    bail!("did not end within {timeout:?}: {}", self.stderr());
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            self.kill()
        }

        /// What it wrote to its standard output so far.
        pub fn stdout(&self) -> String {
            std::fs::read_to_string(&self.out).unwrap_or_default()
        }

        /// What it wrote to its standard error so far.
        pub fn stderr(&self) -> String {
            std::fs::read_to_string(&self.err).unwrap_or_default()
        }
    }

    impl Drop for Killable {
        fn drop(&mut self) {
            let _ = self.kill();
        }
    }
}

/// Cases as officers register and open them, shared by the scenarios and benchmarks.
pub mod fixtures {
    use qc_api::{ApiError, NewCase, Quancheng, Unlocked};
    use qc_domain::{Act, CaseSource};

    /// A self-discovered road-occupation case at `address`.
    pub fn new_case(address: &str, summary: &str) -> NewCase {
        NewCase {
            source: CaseSource::SelfDiscovered,
            violation: "transport.road_occupation".into(),
            address: address.into(),
            grid: "JX-02-04".into(),
            gps: None,
            parties: vec![],
            summary: summary.into(),
        }
    }

    /// The squad leader files the case and opens its investigation by `team`.
    pub fn open_investigation(
        app: &mut Quancheng,
        case: &str,
        leader: &Unlocked,
        team: [&Unlocked; 2],
    ) -> Result<(), ApiError> {
        app.record_act(case, Act::File, &[leader])?;
        app.record_act(
            case,
            Act::StartInvestigation {
                team: team.iter().map(|u| u.person().id.clone()).collect(),
            },
            &[leader],
        )?;
        Ok(())
    }
}
