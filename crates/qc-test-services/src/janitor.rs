//! The janitor: a tiny `sh` process that outlives a test process which never dropped its
//! server, then stops the server and removes its files.
//!
//! It reads commands from a pipe whose only writer is the test process (std opens pipes
//! close-on-exec, so the servers never inherit it). `sig S` and `pid N` name the signal and the
//! process group to stop, `path P` adds a path to remove, `done` dismisses it. End of input
//! without `done` means the test process is gone: it signals the group (with no signal it just
//! waits for it), waits up to twenty seconds, kills what is left and removes the paths.
//! That covers the statics behind `shared()`, which Rust never drops, and killed test runs.

use std::io::Write;
use std::os::unix::process::CommandExt as _;
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};

const SCRIPT: &str = r#"
trap '' INT HUP TERM
sig=
pid=
while read -r cmd arg; do
  case "$cmd" in
    sig) sig=$arg ;;
    pid) pid=$arg ;;
    path) set -- "$@" "$arg" ;;
    done) exit 0 ;;
  esac
done
if [ -n "$pid" ]; then
  [ -n "$sig" ] && kill -s "$sig" -- "-$pid" 2>/dev/null
  i=0
  while kill -s 0 -- "-$pid" 2>/dev/null && [ "$i" -lt 200 ]; do sleep 0.1; i=$((i+1)); done
  kill -s KILL -- "-$pid" 2>/dev/null
fi
rm -rf -- "$@"
"#;

/// A running janitor; see the module documentation.
pub(crate) struct Janitor {
    child: Child,
    stdin: Option<ChildStdin>,
}

impl Janitor {
    /// Starts a janitor that will remove `paths`.
    pub(crate) fn spawn(paths: &[&Path]) -> Result<Janitor, String> {
        let mut child = Command::new("sh")
            .args(["-c", SCRIPT, "qc-test-janitor"])
            .args(paths)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            // Its own group, so a Ctrl-C aimed at the test run leaves it alive to clean up.
            .process_group(0)
            .spawn()
            .map_err(|e| format!("cannot start the cleanup janitor (sh): {e}"))?;
        let stdin = child.stdin.take();
        Ok(Janitor { child, stdin })
    }

    /// Tells the janitor which process group to stop, and with which signal (`None`: let it
    /// finish, for a process that would leave a mess if interrupted).
    fn watch(&mut self, pid: u32, signal: Option<&str>) {
        self.send(&format!("sig {}\npid {pid}\n", signal.unwrap_or_default()));
    }

    /// Spawns a [`gated`] command, names it to the janitor (see [`Janitor::watch`]), then lets
    /// it run. Its stdin is the gate; the program sees it closed.
    pub(crate) fn spawn_watched(
        &mut self,
        command: &mut Command,
        signal: Option<&str>,
    ) -> std::io::Result<Child> {
        let mut child = command.stdin(Stdio::piped()).spawn()?;
        self.watch(child.id(), signal);
        if let Some(mut gate) = child.stdin.take() {
            // If it died already, the caller sees it exit.
            let _ = gate.write_all(b"go\n");
        }
        Ok(child)
    }

    /// Adds a path (without newlines) to remove after the test process is gone.
    pub(crate) fn remove_also(&mut self, path: &Path) {
        self.send(&format!("path {}\n", path.display()));
    }

    fn send(&mut self, line: &str) {
        if let Some(stdin) = self.stdin.as_mut() {
            // A janitor that died can do nothing more; the server is still stopped by Drop.
            let _ = stdin.write_all(line.as_bytes());
            let _ = stdin.flush();
        }
    }
}

/// A command for `program` that waits, in its own process group, until
/// [`Janitor::spawn_watched`] releases it: a test process killed between starting a server and
/// naming it to the janitor must not leave that server running.
pub(crate) fn gated(program: &Path) -> Command {
    let mut command = Command::new("sh");
    command
        .args(["-c", r#"read -r go && [ "$go" = go ] && exec "$0" "$@""#])
        .arg(program)
        // Its own group: a Ctrl-C on the test run must not stop it before the janitor does.
        .process_group(0);
    command
}

impl Drop for Janitor {
    fn drop(&mut self) {
        self.send("done\n");
        self.stdin = None;
        let _ = self.child.wait();
    }
}
