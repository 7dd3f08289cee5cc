//! A SeaweedFS S3 store: `weed mini` (master, volume, filer and S3 gateway in one process) in a
//! temporary directory, every port an explicit free one on 127.0.0.1.

use crate::http::http_request;
use crate::janitor::{Janitor, gated};
use crate::{START_ATTEMPTS, START_TIMEOUT, free_listener, log_tail, port_of, send_signal};
use std::fs::File;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Child;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tempfile::TempDir;

/// The environment variable naming the `weed` binary to use instead of the one scripts/setup
/// installs.
pub const WEED_ENV: &str = "QC_TEST_WEED";

/// The bucket made at start.
const BUCKET: &str = "qc-test";
/// The fixed access key of [`Seaweed::start_with_credentials`].
const ACCESS_KEY: &str = "qc-test-access-key";
/// The fixed secret key of [`Seaweed::start_with_credentials`].
const SECRET_KEY: &str = "qc-test-secret-key";
/// SeaweedFS accepts any region in signatures; this is what clients should sign with.
const REGION: &str = "us-east-1";

/// A running `weed mini` with one bucket. Dropping it kills the server and removes its data.
pub struct Seaweed {
    weed: PathBuf,
    ports: Ports,
    credentials: bool,
    child: Option<Child>,
    counter: AtomicU64,
    // Dismissed before the directory is removed (field order).
    janitor: Janitor,
    dir: TempDir,
}

impl Seaweed {
    /// Starts a store without authentication: every request is allowed, signed or not (a
    /// signature is not checked), so clients may use any keys, e.g. [`Seaweed::access_key`].
    pub fn start() -> Result<Seaweed, String> {
        Self::launch(false)
    }

    /// Starts a store that enforces SigV4 with the fixed keys [`Seaweed::access_key`] and
    /// [`Seaweed::secret_key`] (an admin identity); unsigned or wrongly signed requests get 403.
    pub fn start_with_credentials() -> Result<Seaweed, String> {
        Self::launch(true)
    }

    /// One anonymous store for the whole test binary, started on first use; panics if it cannot
    /// start. The janitor removes it when the test process exits.
    pub fn shared() -> &'static Seaweed {
        static SHARED: OnceLock<Result<Seaweed, String>> = OnceLock::new();
        match SHARED.get_or_init(Seaweed::start) {
            Ok(s3) => s3,
            Err(e) => panic!("cannot start the shared SeaweedFS for tests: {e}"),
        }
    }

    /// The S3 endpoint, `http://127.0.0.1:PORT` (path-style addressing).
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.ports.s3)
    }

    /// The S3 endpoint's port.
    pub fn s3_port(&self) -> u16 {
        self.ports.s3
    }

    /// The bucket made at start.
    pub fn bucket(&self) -> &str {
        BUCKET
    }

    /// The access key: enforced with `start_with_credentials`, accepted unchecked otherwise.
    pub fn access_key(&self) -> &str {
        ACCESS_KEY
    }

    /// The secret key: enforced with `start_with_credentials`, accepted unchecked otherwise.
    pub fn secret_key(&self) -> &str {
        SECRET_KEY
    }

    /// The region to sign with.
    pub fn region(&self) -> &str {
        REGION
    }

    /// True if the store enforces the fixed credentials.
    pub fn requires_credentials(&self) -> bool {
        self.credentials
    }

    /// Creates a fresh empty bucket and returns its name.
    pub fn new_bucket(&self) -> Result<String, String> {
        let name = format!("{BUCKET}-{}", self.counter.fetch_add(1, Ordering::Relaxed));
        self.create_bucket(&name)?;
        Ok(name)
    }

    /// Kills the server at once (SIGKILL), as a crash would; the data stays for
    /// [`Seaweed::restart`].
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = send_signal("KILL", -i64::from(child.id()));
            let _ = child.kill();
            let _ = child.wait();
        }
        self.remove_sockets();
    }

    /// Starts the server again on the same directory and ports (after [`Seaweed::kill`]).
    pub fn restart(&mut self) -> Result<(), String> {
        self.kill();
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            match self.spawn_and_wait() {
                Ok(()) => return Ok(()),
                // The killed process's ports can take a moment to be free again.
                Err(Failure::PortTaken(log)) if Instant::now() >= deadline => {
                    return Err(format!("weed could not get its ports back:\n{log}"));
                }
                Err(Failure::PortTaken(_)) => std::thread::sleep(Duration::from_millis(200)),
                Err(Failure::Other(e)) => return Err(e),
            }
        }
    }

    fn launch(credentials: bool) -> Result<Seaweed, String> {
        let weed = weed_binary()?;
        let dir = tempfile::Builder::new()
            .prefix("qc-s3-")
            .tempdir_in(roomiest_dir())
            .map_err(|e| format!("cannot make a temporary directory: {e}"))?;
        let janitor = Janitor::spawn(&[dir.path()])?;
        let mut s3 = Seaweed {
            weed,
            ports: Ports::pick()?,
            credentials,
            child: None,
            counter: AtomicU64::new(0),
            janitor,
            dir,
        };
        let mut last_error = String::new();
        for attempt in 0..START_ATTEMPTS {
            if attempt > 0 {
                s3.ports = Ports::pick()?;
            }
            // Killed weeds leave gRPC sockets in /tmp whatever TMPDIR says.
            for socket in s3.ports.grpc_sockets() {
                s3.janitor.remove_also(&socket);
            }
            match s3.spawn_and_wait() {
                Ok(()) => {
                    s3.create_bucket(BUCKET)?;
                    return Ok(s3);
                }
                Err(Failure::PortTaken(log)) => {
                    last_error = log;
                    s3.kill();
                }
                Err(Failure::Other(e)) => return Err(e),
            }
        }
        Err(format!(
            "weed could not bind free ports in {START_ATTEMPTS} attempts:\n{last_error}"
        ))
    }

    fn spawn_and_wait(&mut self) -> Result<(), Failure> {
        let dir = self.dir.path();
        let log_path = dir.join("weed.log");
        let other = Failure::Other;
        let log = File::options()
            .create(true)
            .append(true)
            .open(&log_path)
            .map_err(|e| other(format!("cannot create the weed log: {e}")))?;
        let log_err = log
            .try_clone()
            .map_err(|e| other(format!("cannot share the weed log: {e}")))?;
        let p = &self.ports;
        let mut command = gated(&self.weed);
        command
            .arg("mini")
            .arg(format!("-dir={}", dir.display()))
            .args(["-ip=127.0.0.1", "-ip.bind=127.0.0.1"])
            .arg(format!("-master.port={}", p.master))
            .arg(format!("-master.port.grpc={}", p.master_grpc))
            .arg(format!("-volume.port={}", p.volume))
            .arg(format!("-volume.port.grpc={}", p.volume_grpc))
            .arg(format!("-filer.port={}", p.filer))
            .arg(format!("-filer.port.grpc={}", p.filer_grpc))
            .arg(format!("-s3.port={}", p.s3))
            .arg(format!("-s3.port.grpc={}", p.s3_grpc))
            // The maintenance worker dials the admin port + 10000 whatever -admin.port.grpc says.
            .arg(format!("-admin.port={}", p.admin))
            .arg(format!("-admin.port.grpc={}", p.admin + 10_000))
            .arg(format!(
                "-filer.localSocket={}",
                dir.join("filer.sock").display()
            ))
            .arg(format!("-s3.localSocket={}", dir.join("s3.sock").display()))
            .args([
                "-admin.ui=false",
                "-webdav=false",
                "-s3.port.iceberg=0",
                "-s3.port.lance=0",
                // It would post to telemetry.seaweedfs.com; CI has no network for that.
                "-master.telemetry=false",
                "-master.volumeSizeLimitMB=64",
            ])
            .current_dir(dir)
            // Its config files (~/.seaweedfs, ./) and logs ($TMPDIR) stay in the directory.
            .env("HOME", dir)
            .env("TMPDIR", dir)
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .env_remove("AWS_SESSION_TOKEN")
            .env_remove("S3_BUCKET")
            .env_remove("S3_TABLE_BUCKET")
            .env_remove("S3_EXTERNAL_URL")
            .stdout(log)
            .stderr(log_err);
        if self.credentials {
            // weed mini makes an admin identity from these, and then requires signatures.
            command
                .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
                .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY);
        }
        let child = self
            .janitor
            .spawn_watched(&mut command, Some("KILL"))
            .map_err(|e| other(format!("cannot run {}: {e}", self.weed.display())))?;
        self.child = Some(child);
        self.wait_until_ready(&log_path)
    }

    /// Waits until the S3 gateway answers HTTP and the filer stores and reads files.
    fn wait_until_ready(&mut self, log_path: &Path) -> Result<(), Failure> {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                let tail = log_tail(log_path);
                self.child = None;
                // The whole log: a fatal bind error is followed by a goroutine dump longer
                // than the tail shown.
                let log = std::fs::read_to_string(log_path).unwrap_or_default();
                if log.contains("not available") || log.contains("address already in use") {
                    return Err(Failure::PortTaken(tail));
                }
                return Err(Failure::Other(format!(
                    "weed exited ({status}) while starting:\n{tail}"
                )));
            }
            if http_request(self.ports.s3, "GET", "/", &[], b"").is_ok() && self.stores_files() {
                return Ok(());
            }
            if Instant::now() >= deadline {
                self.kill();
                return Err(Failure::Other(format!(
                    "weed's S3 gateway did not answer within {START_TIMEOUT:?}:\n{}",
                    log_tail(log_path)
                )));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Whether a file written through the filer reads back. After a restart the gateway
    /// answers before the volume server has told the master its volumes again, and until then
    /// every read of an existing object is an HTTP 500.
    fn stores_files(&self) -> bool {
        let path = "/.quancheng-probe/ready";
        let put = http_request(self.ports.filer, "PUT", path, &[], b"ready");
        matches!(put, Ok(r) if r.status < 300)
            && matches!(http_request(self.ports.filer, "GET", path, &[], b""),
                        Ok(r) if r.status == 200 && r.body == b"ready")
    }

    /// Makes a bucket and waits until the S3 gateway serves it.
    fn create_bucket(&self, name: &str) -> Result<(), String> {
        let deadline = Instant::now() + START_TIMEOUT;
        let mut last = String::new();
        while Instant::now() < deadline {
            // Anonymous: an S3 CreateBucket. With credentials that would need a signature;
            // a bucket is a directory under /buckets in the filer, whose HTTP API is open.
            let made = if self.credentials {
                http_request(
                    self.ports.filer,
                    "PUT",
                    &format!("/buckets/{name}/"),
                    &[],
                    b"",
                )
                .map(|r| (r.status, r.body))
            } else {
                http_request(self.ports.s3, "PUT", &format!("/{name}"), &[], b"")
                    .map(|r| (r.status, r.body))
            };
            match made {
                Ok((200 | 201, _)) => {
                    if self.credentials || self.bucket_visible(name) {
                        return Ok(());
                    }
                }
                Ok((status, body)) => {
                    last = format!("HTTP {status}: {}", String::from_utf8_lossy(&body));
                }
                Err(e) => last = e,
            }
            // The gateway answers before the filer is ready to store buckets.
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(format!("cannot create bucket {name}: {last}"))
    }

    fn bucket_visible(&self, name: &str) -> bool {
        matches!(http_request(self.ports.s3, "HEAD", &format!("/{name}"), &[], b""), Ok(r) if r.status == 200)
    }

    fn remove_sockets(&self) {
        for socket in self.ports.grpc_sockets() {
            let _ = std::fs::remove_file(socket);
        }
    }
}

impl Drop for Seaweed {
    fn drop(&mut self) {
        // Its data is thrown away, so no graceful stop (which takes weed two seconds).
        self.kill();
    }
}

enum Failure {
    PortTaken(String),
    Other(String),
}

/// Every port `weed mini` listens on.
struct Ports {
    master: u16,
    master_grpc: u16,
    volume: u16,
    volume_grpc: u16,
    filer: u16,
    filer_grpc: u16,
    s3: u16,
    s3_grpc: u16,
    admin: u16,
}

impl Ports {
    /// Free ports, all held at once so none repeats; the admin port also needs its + 10000.
    fn pick() -> Result<Ports, String> {
        let mut held: Vec<TcpListener> = Vec::new();
        let mut next = || -> Result<u16, String> {
            let listener = free_listener()?;
            let port = port_of(&listener)?;
            held.push(listener);
            Ok(port)
        };
        let mut ports = Ports {
            master: next()?,
            master_grpc: next()?,
            volume: next()?,
            volume_grpc: next()?,
            filer: next()?,
            filer_grpc: next()?,
            s3: next()?,
            s3_grpc: next()?,
            admin: 0,
        };
        for _ in 0..100 {
            let listener = free_listener()?;
            let port = port_of(&listener)?;
            let Some(grpc) = port.checked_add(10_000) else {
                continue;
            };
            if let Ok(grpc_listener) = TcpListener::bind(("127.0.0.1", grpc)) {
                held.push(listener);
                held.push(grpc_listener);
                ports.admin = port;
                break;
            }
        }
        if ports.admin == 0 {
            return Err("no free port pair (p, p + 10000) on 127.0.0.1 for weed's admin".into());
        }
        Ok(ports)
    }

    fn grpc_sockets(&self) -> Vec<PathBuf> {
        [
            ("master", self.master_grpc),
            ("volume", self.volume_grpc),
            ("filer", self.filer_grpc),
            ("s3", self.s3_grpc),
            ("admin", self.admin + 10_000),
        ]
        .iter()
        .map(|(name, port)| PathBuf::from(format!("/tmp/seaweedfs-{name}-grpc-{port}.sock")))
        .collect()
    }
}

/// The temporary directory, or /dev/shm when that has more room beyond its last 1%: weed makes
/// as many volumes as the free space holds and turns them read-only below 1% free, so on a nearly
/// full disk (CI's is shared: once 520 MiB free of 252 GiB) it refused every write, whereas the
/// stores the tests start hold a few hundred MiB at most.
fn roomiest_dir() -> PathBuf {
    let room = |dir: &Path| {
        rustix::fs::statvfs(dir).map_or(0, |s| {
            let block = s.f_frsize;
            (s.f_bavail * block).saturating_sub(s.f_blocks * block / 100)
        })
    };
    let tmp = std::env::temp_dir();
    let shm = Path::new("/dev/shm");
    if shm.is_dir() && room(shm) > room(&tmp) {
        shm.to_path_buf()
    } else {
        tmp
    }
}

/// `weed`: `QC_TEST_WEED`, else the venv scripts/setup makes, else the PATH.
fn weed_binary() -> Result<PathBuf, String> {
    if let Ok(path) = std::env::var(WEED_ENV) {
        return Ok(PathBuf::from(path));
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")));
    if let Some(cache) = cache {
        let venv = cache.join("quancheng/venv/bin/weed");
        if venv.is_file() {
            return Ok(venv);
        }
    }
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|d| d.join("weed"))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            "SeaweedFS's weed is not installed: run scripts/setup (or set QC_TEST_WEED)".to_string()
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http_request;
    use std::process::Command;

    #[test]
    fn anonymous_store_puts_and_gets() {
        let s3 = Seaweed::start().unwrap();
        let port = s3.s3_port();
        assert!(s3.endpoint().starts_with("http://127.0.0.1:"));
        let path = format!("/{}/dir/hello.txt", s3.bucket());
        let put = http_request(port, "PUT", &path, &[], b"hello, seaweed").unwrap();
        assert_eq!(put.status, 200, "{}", String::from_utf8_lossy(&put.body));
        let get = http_request(port, "GET", &path, &[], b"").unwrap();
        assert_eq!(
            (get.status, get.body.as_slice()),
            (200, &b"hello, seaweed"[..])
        );

        let other = s3.new_bucket().unwrap();
        assert_ne!(other, s3.bucket());
        let missing =
            http_request(port, "GET", &format!("/{other}/dir/hello.txt"), &[], b"").unwrap();
        assert_eq!(missing.status, 404, "a new bucket is empty");
        let put = http_request(port, "PUT", &format!("/{other}/x"), &[], b"x").unwrap();
        assert_eq!(put.status, 200);

        let dir = s3.dir.path().to_path_buf();
        drop(s3);
        assert!(!dir.exists(), "the directory is removed");
        assert!(http_request(port, "GET", "/", &[], b"").is_err(), "stopped");
    }

    #[test]
    fn credentials_are_enforced_and_crashes_survived() {
        let mut s3 = Seaweed::start_with_credentials().unwrap();
        assert!(s3.requires_credentials());
        let url = format!("{}/{}/signed.txt", s3.endpoint(), s3.bucket());
        let unsigned = http_request(
            s3.s3_port(),
            "PUT",
            &format!("/{}/u", s3.bucket()),
            &[],
            b"u",
        );
        assert_eq!(unsigned.unwrap().status, 403);

        let user = format!("{}:{}", s3.access_key(), s3.secret_key());
        assert_eq!(curl_put(&s3, &user, &url, "signed body"), "200");
        assert_eq!(
            curl_get(&s3, &user, &url),
            (true, "signed body".to_string())
        );
        let wrong = format!("{}:wrong", s3.access_key());
        assert!(!curl_get(&s3, &wrong, &url).0, "a wrong secret is refused");

        let bucket = s3.new_bucket().unwrap();
        let url2 = format!("{}/{bucket}/b.txt", s3.endpoint());
        assert_eq!(curl_put(&s3, &user, &url2, "in the new bucket"), "200");
        assert_eq!(curl_get(&s3, &user, &url2).1, "in the new bucket");

        s3.kill();
        assert!(
            http_request(s3.s3_port(), "GET", "/", &[], b"").is_err(),
            "killed"
        );
        s3.restart().unwrap();
        assert_eq!(
            curl_get(&s3, &user, &url),
            (true, "signed body".to_string())
        );
    }

    /// curl from Debian 12 (7.88) signs SigV4 but leaves out x-amz-content-sha256, which S3
    /// requires: it is given, and signed, as a header.
    fn curl_put(s3: &Seaweed, user: &str, url: &str, body: &str) -> String {
        let out = Command::new("curl")
            .args(["-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "PUT"])
            .args([
                "--aws-sigv4",
                &format!("aws:amz:{}:s3", s3.region()),
                "--user",
                user,
            ])
            .args(["-H", &format!("x-amz-content-sha256: {}", sha256_hex(body))])
            .args(["--data-binary", body, url])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn curl_get(s3: &Seaweed, user: &str, url: &str) -> (bool, String) {
        let out = Command::new("curl")
            .args([
                "-s",
                "-f",
                "--aws-sigv4",
                &format!("aws:amz:{}:s3", s3.region()),
            ])
            .args(["--user", user])
            .args(["-H", &format!("x-amz-content-sha256: {}", sha256_hex(""))])
            .arg(url)
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    }

    fn sha256_hex(text: &str) -> String {
        let out = Command::new("sh")
            .args(["-c", "printf %s \"$1\" | sha256sum", "sh", text])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .next()
            .unwrap()
            .to_string()
    }
}
