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

/// The built app binary (`scripts/test` builds it before the tests run).
pub fn app_binary() -> anyhow::Result<PathBuf> {
    if let Some(p) = std::env::var_os("QUANCHENG_APP_BIN") {
        return Ok(PathBuf::from(p));
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"));
    let bin = target.join("debug").join("quancheng-app");
    if !bin.exists() {
        bail!(
            "{} is missing: build it first (`cargo build -p quancheng-app`; scripts/test does)",
            bin.display()
        );
    }
    Ok(bin)
}

fn free_port() -> anyhow::Result<u16> {
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
    /// Starts Xvfb on the first free display number from 90.
    pub fn start(width: u32, height: u32) -> anyhow::Result<Display> {
        let number = (90..200)
            .find(|n| !Path::new(&format!("/tmp/.X{n}-lock")).exists())
            .context("no free X display number")?;
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
        let started = wait_for("Xvfb", Duration::from_secs(15), || {
            Path::new(&socket).exists() || matches!(d.child.try_wait(), Ok(Some(_)))
        });
        if started.is_err() || matches!(d.child.try_wait(), Ok(Some(_))) {
            stop(&mut d.child);
            bail!("Xvfb :{number} did not start");
        }
        Ok(d)
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
