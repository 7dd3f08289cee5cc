//! Real servers for the backend tests: a throwaway PostgreSQL 15 cluster ([`Postgres`]) and a
//! SeaweedFS S3 store ([`Seaweed`]), each in its own temporary directory on free loopback ports.
//!
//! Every server is a child process in its own process group, watched by a small `sh` janitor
//! that stops it and removes its directory when the test process goes away without dropping it
//! (a `shared()` instance in a static, a panic that aborts, a killed test run). A normal `Drop`
//! stops the server itself and dismisses the janitor.

mod http;
mod janitor;
mod postgres;
mod seaweed;

pub use http::{HttpResponse, http_request};
pub use postgres::{PG_URL_ENV, Postgres};
pub use seaweed::{Seaweed, WEED_ENV};

use std::io::Read;
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

/// How long a server may take to start before it is given up on; CI's two cores are shared
/// with compilers, so this is generous.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// How many times a start is retried when another process takes a port picked for it.
const START_ATTEMPTS: usize = 5;

/// Binds port 0 on 127.0.0.1 and returns the listener, so callers can hold several at once and
/// never get the same port twice.
fn free_listener() -> Result<TcpListener, String> {
    TcpListener::bind(("127.0.0.1", 0)).map_err(|e| format!("cannot bind a port on 127.0.0.1: {e}"))
}

/// The port a listener holds.
fn port_of(listener: &TcpListener) -> Result<u16, String> {
    listener
        .local_addr()
        .map(|a: SocketAddr| a.port())
        .map_err(|e| format!("cannot read a listener's port: {e}"))
}

/// Sends `signal` (a name like `QUIT`) to a process or, with a negative id, a process group.
/// The shell's builtin `kill` is used because std only sends SIGKILL and the workspace forbids
/// the unsafe calls of libc.
fn send_signal(signal: &str, target: i64) -> Result<(), String> {
    let status = Command::new("sh")
        .args(["-c", "kill -s \"$1\" -- \"$2\" 2>/dev/null", "sh", signal])
        .arg(target.to_string())
        .status()
        .map_err(|e| format!("cannot run sh to send SIG{signal}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("no process {target} to send SIG{signal} to"))
    }
}

/// Waits up to `timeout` for a child to exit; true if it did.
fn wait_for_exit(child: &mut Child, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        match child.try_wait() {
            Ok(Some(_)) | Err(_) => return true,
            Ok(None) if Instant::now() >= deadline => return false,
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
        }
    }
}

/// The last lines of a server's log, for error messages.
fn log_tail(path: &Path) -> String {
    let mut text = String::new();
    if let Ok(mut file) = std::fs::File::open(path) {
        let _ = file.read_to_string(&mut text);
    }
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.is_empty())
        .collect();
    let start = lines.len().saturating_sub(15);
    lines[start..].join("\n")
}

/// True when the current process runs as root, where PostgreSQL refuses to run.
fn running_as_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    // /proc/self belongs to our effective uid; reading it needs no libc call.
    std::fs::metadata("/proc/self")
        .map(|m| m.uid() == 0)
        .unwrap_or(false)
}
