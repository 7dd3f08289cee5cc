//! A throwaway PostgreSQL 15 cluster: initdb in a temporary directory, `postgres` started
//! directly as a child process (not through pg_ctl, which would detach it) on a free
//! 127.0.0.1 port, trust authentication, one fresh database per test.

use crate::janitor::{Janitor, gated};
use crate::{START_ATTEMPTS, START_TIMEOUT, free_listener, log_tail, port_of, send_signal};
use std::fs::File;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tempfile::TempDir;

/// The environment variable naming an existing server to use instead of starting one.
pub const PG_URL_ENV: &str = "QC_TEST_PG_URL";

/// The cluster's superuser; trust authentication lets it in without a password.
const SUPERUSER: &str = "postgres";

/// The database `url()` points at, made at start.
const FIRST_DATABASE: &str = "qc_test";

/// A PostgreSQL server for tests: started by [`Postgres::start`], or the one named by
/// `QC_TEST_PG_URL`. Dropping it stops the server and removes its directory.
pub struct Postgres {
    url: String,
    /// The URL of a database to connect to when creating others.
    admin_url: String,
    psql: PathBuf,
    local: Option<Local>,
    counter: AtomicU64,
}

/// What a cluster started here owns.
struct Local {
    child: Child,
    port: u16,
    // Held for its Drop: dismissed before the directory is removed (field order).
    _janitor: Janitor,
    dir: TempDir,
}

impl Postgres {
    /// Starts a cluster (or connects to `QC_TEST_PG_URL`) and makes the database `url()` names.
    pub fn start() -> Result<Postgres, String> {
        if let Ok(url) = std::env::var(PG_URL_ENV) {
            return Self::external(url);
        }
        let bin = bin_dir()?;
        let account = Account::for_server()?;
        let dir = tempfile::Builder::new()
            .prefix("qc-pg-")
            .tempdir()
            .map_err(|e| format!("cannot make a temporary directory: {e}"))?;
        let mut janitor = Janitor::spawn(&[dir.path()])?;
        account.chown(dir.path())?;
        let data = dir.path().join("data");
        initdb(&bin, &account, dir.path(), &data, &mut janitor)?;
        let mut last_error = String::new();
        for _ in 0..START_ATTEMPTS {
            match start_server(&bin, &account, dir.path(), &data, &mut janitor) {
                Ok(Started::Running(child, port)) => {
                    let url = format!("postgres://{SUPERUSER}@127.0.0.1:{port}/{FIRST_DATABASE}");
                    let admin_url = format!("postgres://{SUPERUSER}@127.0.0.1:{port}/postgres");
                    let pg = Postgres {
                        url,
                        admin_url,
                        psql: bin.join("psql"),
                        local: Some(Local {
                            child,
                            port,
                            _janitor: janitor,
                            dir,
                        }),
                        counter: AtomicU64::new(0),
                    };
                    pg.create_database(FIRST_DATABASE)?;
                    return Ok(pg);
                }
                Ok(Started::PortTaken(log)) => last_error = log,
                Err(e) => return Err(e),
            }
        }
        Err(format!(
            "postgres could not bind a free port in {START_ATTEMPTS} attempts:\n{last_error}"
        ))
    }

    /// One cluster for the whole test binary, started on first use; panics if it cannot start.
    /// Rust never drops statics: the janitor stops it and removes its directory when the test
    /// process exits.
    pub fn shared() -> &'static Postgres {
        match Self::try_shared() {
            Ok(pg) => pg,
            Err(e) => panic!("cannot start the shared PostgreSQL for tests: {e}"),
        }
    }

    /// Like [`Postgres::shared`], returning the start error instead of panicking.
    pub fn try_shared() -> Result<&'static Postgres, String> {
        static SHARED: OnceLock<Result<Postgres, String>> = OnceLock::new();
        SHARED
            .get_or_init(Postgres::start)
            .as_ref()
            .map_err(Clone::clone)
    }

    /// The URL of the database made at start, `postgres://postgres@127.0.0.1:PORT/qc_test`
    /// (or `QC_TEST_PG_URL` as given).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The TCP port of a cluster started here; `None` with `QC_TEST_PG_URL`.
    pub fn port(&self) -> Option<u16> {
        self.local.as_ref().map(|l| l.port)
    }

    /// The directory of a cluster started here (data in `data/`, the server's log beside it).
    pub fn dir(&self) -> Option<&Path> {
        self.local.as_ref().map(|l| l.dir.path())
    }

    /// Creates a fresh empty database and returns its URL, so tests sharing a cluster never see
    /// each other's tables. With `QC_TEST_PG_URL` the databases stay behind (names `qc_test_*`).
    pub fn new_database(&self) -> Result<String, String> {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let name = if self.local.is_some() {
            format!("qc_test_{n}")
        } else {
            // Other test binaries and earlier runs use the same server.
            let nanos = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_nanos() % 1_000_000_000_000)
                .unwrap_or_default();
            format!("qc_test_{}_{nanos}_{n}", std::process::id())
        };
        self.create_database(&name)?;
        Ok(with_database(&self.admin_url, &name))
    }

    /// A client program of this PostgreSQL (`pg_dump`, `pg_restore`), beside its psql.
    pub fn tool(&self, name: &str) -> PathBuf {
        self.psql.with_file_name(name)
    }

    /// Runs SQL through psql against `url`, returning psql's unaligned, tuples-only output.
    pub fn psql(&self, url: &str, sql: &str) -> Result<String, String> {
        let output = run(Command::new(&self.psql).args([
            "-X",
            "-q",
            "-A",
            "-t",
            "-v",
            "ON_ERROR_STOP=1",
            "-d",
            url,
            "-c",
            sql,
        ]))?;
        Ok(String::from_utf8_lossy(&output.stdout)
            .trim_end()
            .to_string())
    }

    fn create_database(&self, name: &str) -> Result<(), String> {
        self.psql(&self.admin_url, &format!("CREATE DATABASE \"{name}\""))
            .map(drop)
            .map_err(|e| format!("cannot create database {name}: {e}"))
    }

    fn external(url: String) -> Result<Postgres, String> {
        let psql = bin_dir()
            .map(|b| b.join("psql"))
            .unwrap_or_else(|_| PathBuf::from("psql"));
        let pg = Postgres {
            admin_url: url.clone(),
            url,
            psql,
            local: None,
            counter: AtomicU64::new(0),
        };
        pg.psql(&pg.url, "SELECT 1")
            .map_err(|e| format!("{PG_URL_ENV} is set but its server does not answer: {e}"))?;
        Ok(pg)
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        if let Some(local) = self.local.as_mut() {
            // SIGQUIT is pg_ctl's "immediate" stop: no checkpoint, shared memory released.
            let _ = send_signal("QUIT", i64::from(local.child.id()));
            if !crate::wait_for_exit(&mut local.child, Duration::from_secs(10)) {
                let _ = send_signal("KILL", -i64::from(local.child.id()));
                let _ = local.child.wait();
            }
        }
        // Then the janitor is dismissed and the directory removed, in Local's field order.
    }
}

/// Runs initdb (trust authentication, UTF8, locale C), watched by the janitor so a killed test
/// run cannot leave it writing into a removed directory.
fn initdb(
    bin: &Path,
    account: &Account,
    dir: &Path,
    data: &Path,
    janitor: &mut Janitor,
) -> Result<(), String> {
    let log_path = dir.join("initdb.log");
    let log = File::create(&log_path).map_err(|e| format!("cannot create initdb's log: {e}"))?;
    let log_err = log
        .try_clone()
        .map_err(|e| format!("cannot share initdb's log: {e}"))?;
    let mut command = account.command(&bin.join("initdb"), dir);
    command
        .arg("-D")
        .arg(data)
        .args([
            "-U",
            SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
        ])
        // Only initdb's final flush of a directory thrown away after the run.
        .arg("--no-sync")
        .stdout(log)
        .stderr(log_err);
    // Interrupted, initdb removes the directory under its bootstrap postgres, which then
    // panics and leaves its shared memory segment behind: it is left to finish.
    let mut child = janitor
        .spawn_watched(&mut command, None)
        .map_err(|e| format!("cannot run {}: {e}", bin.join("initdb").display()))?;
    let status = child
        .wait()
        .map_err(|e| format!("cannot wait for initdb: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "initdb failed ({status}):\n{}",
            log_tail(&log_path)
        ))
    }
}

enum Started {
    Running(Child, u16),
    PortTaken(String),
}

fn start_server(
    bin: &Path,
    account: &Account,
    dir: &Path,
    data: &Path,
    janitor: &mut Janitor,
) -> Result<Started, String> {
    let listener = free_listener()?;
    let port = port_of(&listener)?;
    drop(listener);
    let log_path = dir.join(format!("postgres-{port}.log"));
    let log = File::create(&log_path).map_err(|e| format!("cannot create the server log: {e}"))?;
    let log_err = log
        .try_clone()
        .map_err(|e| format!("cannot share the server log: {e}"))?;
    let mut command = account.command(&bin.join("postgres"), dir);
    command
        .arg("-D")
        .arg(data)
        .arg("-k")
        .arg(dir)
        .args(["-h", "127.0.0.1", "-p", &port.to_string()])
        .stdout(log)
        .stderr(log_err);
    // TERM, not QUIT: a postmaster still starting up leaves its shared memory segment behind
    // on QUIT; TERM ends the sessions and then the server, cleanly, at any stage.
    let mut child = janitor
        .spawn_watched(&mut command, Some("TERM"))
        .map_err(|e| format!("cannot run {}: {e}", bin.join("postgres").display()))?;
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            let tail = log_tail(&log_path);
            if tail.contains("could not bind") || tail.contains("could not create any TCP/IP") {
                return Ok(Started::PortTaken(tail));
            }
            return Err(format!(
                "postgres exited ({status}) while starting:\n{tail}"
            ));
        }
        // Asked over the unix socket in our own directory, so a foreign server that holds the
        // same TCP port cannot answer for ours.
        let ready = Command::new(bin.join("pg_isready"))
            .arg("-h")
            .arg(dir)
            .args(["-p", &port.to_string(), "-U", SUPERUSER, "-t", "2", "-q"])
            .status()
            .map_err(|e| format!("cannot run pg_isready: {e}"))?;
        if ready.success() {
            return Ok(Started::Running(child, port));
        }
        if Instant::now() >= deadline {
            let _ = send_signal("TERM", i64::from(child.id()));
            if !crate::wait_for_exit(&mut child, Duration::from_secs(10)) {
                let _ = child.kill();
                let _ = child.wait();
            }
            return Err(format!(
                "postgres did not accept connections within {START_TIMEOUT:?}:\n{}",
                log_tail(&log_path)
            ));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The PostgreSQL 15 server binaries: Debian's directory, else `pg_config --bindir`.
fn bin_dir() -> Result<PathBuf, String> {
    let debian = PathBuf::from("/usr/lib/postgresql/15/bin");
    if debian.join("postgres").is_file() {
        return Ok(debian);
    }
    let output = Command::new("pg_config").arg("--bindir").output();
    if let Ok(output) = output
        && output.status.success()
    {
        let dir = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
        if dir.join("postgres").is_file() && dir.join("initdb").is_file() {
            return Ok(dir);
        }
    }
    Err(
        "PostgreSQL 15's server is not installed (no /usr/lib/postgresql/15/bin/postgres, \
         no pg_config): run scripts/setup, or set QC_TEST_PG_URL"
            .to_string(),
    )
}

/// The account the server runs as: the current one, or `postgres` when running as root,
/// which initdb and postgres refuse.
struct Account {
    ids: Option<(u32, u32)>,
}

impl Account {
    fn for_server() -> Result<Account, String> {
        if !crate::running_as_root() {
            return Ok(Account { ids: None });
        }
        let id = |flag: &str| -> Result<u32, String> {
            let output = Command::new("id")
                .args([flag, SUPERUSER])
                .output()
                .map_err(|e| format!("cannot run id: {e}"))?;
            String::from_utf8_lossy(&output.stdout)
                .trim()
                .parse()
                .map_err(|_| {
                    "running as root, and there is no `postgres` user to run PostgreSQL as \
                     (Debian's postgresql-15 package creates it)"
                        .to_string()
                })
        };
        Ok(Account {
            ids: Some((id("-u")?, id("-g")?)),
        })
    }

    fn chown(&self, path: &Path) -> Result<(), String> {
        if let Some((uid, gid)) = self.ids {
            std::os::unix::fs::chown(path, Some(uid), Some(gid))
                .map_err(|e| format!("cannot give {} to postgres: {e}", path.display()))?;
        }
        Ok(())
    }

    /// A [`gated`] command run as this account, from `dir` (the server account may not enter
    /// ours).
    fn command(&self, program: &Path, dir: &Path) -> Command {
        let mut command = gated(program);
        command.current_dir(dir).env("LC_ALL", "C");
        if let Some((uid, gid)) = self.ids {
            // std drops root's supplementary groups before switching; HOME must be one the
            // server account can read.
            command.uid(uid).gid(gid).env("HOME", dir);
        }
        command
    }
}

/// Runs a command to completion; its stderr becomes the error when it fails.
fn run(command: &mut Command) -> Result<Output, String> {
    let program = command.get_program().to_string_lossy().into_owned();
    let output = command
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    if output.status.success() {
        Ok(output)
    } else {
        Err(format!(
            "{program} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

/// `url` with its database (path) replaced by `name`, keeping any query string.
fn with_database(url: &str, name: &str) -> String {
    let authority_start = url.find("://").map_or(0, |i| i + 3);
    let (base, query) = match url[authority_start..].find('?') {
        Some(i) => url.split_at(authority_start + i),
        None => (url, ""),
    };
    let host_end = base[authority_start..]
        .find('/')
        .map_or(base.len(), |i| authority_start + i);
    format!("{}/{name}{query}", &base[..host_end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_database_in_urls() {
        assert_eq!(
            with_database("postgres://u@h:5/a", "b"),
            "postgres://u@h:5/b"
        );
        assert_eq!(with_database("postgres://u@h:5", "b"), "postgres://u@h:5/b");
        assert_eq!(
            with_database("postgresql://u:p@h/a?sslmode=disable", "b"),
            "postgresql://u:p@h/b?sslmode=disable"
        );
    }

    #[test]
    fn starts_a_cluster_with_fresh_databases() {
        let pg = Postgres::start().unwrap();
        let first = pg.new_database().unwrap();
        let second = pg.new_database().unwrap();
        assert_ne!(first, second);
        for url in [pg.url(), &first, &second] {
            assert_eq!(pg.psql(url, "select 1").unwrap(), "1");
            // The binary itself, as a test of another crate would run it.
            let out = Command::new(&pg.psql)
                .args(["-X", "-A", "-t", "-d", url, "-c", "select 1"])
                .output()
                .unwrap();
            assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "1", "{url}");
        }
        pg.psql(&first, "create table t (x int); insert into t values (7)")
            .unwrap();
        assert_eq!(pg.psql(&first, "select x from t").unwrap(), "7");
        assert!(
            pg.psql(&second, "select x from t").is_err(),
            "databases are separate"
        );
        let encoding = pg.psql(pg.url(), "show server_encoding").unwrap();
        assert_eq!(encoding, "UTF8");
        if let (Some(dir), Some(port)) = (pg.dir().map(Path::to_path_buf), pg.port()) {
            drop(pg);
            assert!(!dir.exists(), "the directory is removed");
            assert!(
                std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
                "stopped"
            );
        }
    }

    #[test]
    fn shared_cluster_is_one() {
        let a = Postgres::shared();
        let b = Postgres::shared();
        assert!(std::ptr::eq(a, b));
        let url = a.new_database().unwrap();
        assert_eq!(a.psql(&url, "select 2").unwrap(), "2");
    }
}
