//! Shared helpers of the end-to-end tests: the daemon as a child process, and waiting on
//! conditions with deadlines.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use claude_failover::sandbox::{Sandbox, SandboxSpec};

pub mod in_process;
pub mod receiver;
pub mod webdriver;

/// The message that resumes a task in its conversation.
pub const CONTINUE: &str = "Continue from where you left off.";

/// The resumes the fake agent received on `account`.
pub fn continues_on(sandbox: &Sandbox, account: &str) -> Vec<serde_json::Value> {
    sandbox
        .records()
        .into_iter()
        .filter(|r| r["prompt"] == CONTINUE && r["account_marker"] == account)
        .collect()
}

/// The details of the events of `kind` the daemon recorded in its store.
pub fn events(sandbox: &Sandbox, kind: &str) -> Vec<String> {
    let path = sandbox.root().join("state/claude-failover.sqlite");
    let Ok(store) = cf_store::Store::open_read_only(&path) else {
        return Vec::new();
    };
    store
        .recent_events(10_000)
        .unwrap_or_default()
        .into_iter()
        .filter(|e| e.kind == kind)
        .map(|e| e.detail)
        .collect()
}

/// The binary under test.
pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_claude-failover"))
}

/// A sandbox spec whose fake agent is the binary under test.
pub fn spec() -> SandboxSpec {
    SandboxSpec::new(binary())
}

/// Polls `condition` every 50 ms until it holds or `timeout` passes; panics with `what`.
#[track_caller]
pub fn wait_until(timeout: Duration, what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    loop {
        if condition() {
            return;
        }
        if Instant::now() >= deadline {
            panic!("timed out after {timeout:?} waiting for: {what}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `claude-failover run` as a child process, killed on drop. Its log goes to a file.
pub struct DaemonProcess {
    child: Option<Child>,
    /// The daemon's stderr log.
    pub log: PathBuf,
}

impl DaemonProcess {
    /// Starts the daemon on the sandbox's config; `name` tells log files apart.
    pub fn start(sandbox: &Sandbox, name: &str) -> DaemonProcess {
        DaemonProcess::start_with_env(sandbox, name, &[])
    }

    /// Like [`DaemonProcess::start`], with extra environment variables for the daemon.
    pub fn start_with_env(sandbox: &Sandbox, name: &str, env: &[(&str, &str)]) -> DaemonProcess {
        let log = sandbox.root().join(format!("daemon-{name}.log"));
        let log_file = std::fs::File::create(&log).expect("create the daemon log");
        let child = Command::new(binary())
            .args(["-v", "run", "--config"])
            .arg(&sandbox.config_path)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().expect("clone the log handle"))
            .stderr(log_file)
            .spawn()
            .expect("start the daemon");
        DaemonProcess {
            child: Some(child),
            log,
        }
    }

    /// SIGTERM, then waits for a clean exit; returns whether it exited with success.
    pub fn stop(&mut self) -> bool {
        let Some(mut child) = self.child.take() else {
            return false;
        };
        // SAFETY: kill(2) on our own child's pid.
        unsafe { libc_kill(child.id() as i32, 15) };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                return status.success();
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                return false;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// SIGKILL: the crash case.
    pub fn crash(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Whether the process still runs.
    pub fn is_running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }

    /// Waits until the log holds `more` further lines containing `needle` than it did when
    /// called: a number of daemon passes has happened (how tests wait out a window in which
    /// something must *not* happen, without a bare sleep).
    #[track_caller]
    pub fn wait_for_more(&self, needle: &str, more: usize, timeout: Duration) {
        let before = self.log_text().matches(needle).count();
        wait_until(
            timeout,
            &format!("{more} more `{needle}` log lines"),
            || self.log_text().matches(needle).count() >= before + more,
        );
    }

    /// The log so far, for assertion messages.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for DaemonProcess {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "--- daemon log {} ---\n{}",
                self.log.display(),
                self.log_text()
            );
        }
        self.crash();
    }
}

unsafe extern "C" {
    #[link_name = "kill"]
    fn libc_kill(pid: i32, signal: i32) -> i32;
}

/// Counts the prompts the fake agent recorded whose text starts with `[<id>.md]`.
pub fn prompts_for(sandbox: &Sandbox, id: &str) -> Vec<serde_json::Value> {
    let prefix = format!("[{id}.md]");
    sandbox
        .records()
        .into_iter()
        .filter(|r| r["prompt"].as_str().is_some_and(|p| p.starts_with(&prefix)))
        .collect()
}

/// Asserts that each `(project, id)` task's text reached an agent exactly once and that nothing
/// of its project is in `failed/`.
#[track_caller]
pub fn assert_each_ran_once_and_none_failed(sandbox: &Sandbox, tasks: &[(&str, &str)]) {
    for (project, id) in tasks {
        assert_eq!(
            prompts_for(sandbox, id).len(),
            1,
            "{id}: the text went once"
        );
        assert!(
            sandbox.files_in(project, "failed").is_empty(),
            "{project}: nothing failed: {:?}",
            sandbox.files_in(project, "failed")
        );
    }
}

/// Whether `<id>.md` is in `done/` and its claim and sidecars have left the inbox.
pub fn is_done(sandbox: &Sandbox, project: &str, id: &str) -> bool {
    is_finished_in(sandbox, project, "done", id)
}

/// Whether `<id>.md` is in `folder` (`done`, `failed`) and its claim and sidecars have left the
/// inbox. The daemon writes the finished file first and cleans up after it (a crash in between
/// loses nothing): a test that waited for the file alone could look at the inbox in between.
pub fn is_finished_in(sandbox: &Sandbox, project: &str, folder: &str, id: &str) -> bool {
    let name = format!("{id}.md");
    sandbox.files_in(project, folder).contains(&name)
        && !sandbox
            .files_in(project, "inbox")
            .iter()
            .any(|f| f.starts_with(&name))
}

/// Every file under `dir`, recursively, relative to it (to prove nothing else was touched).
pub fn list_tree(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        if let Ok(entries) = std::fs::read_dir(&d) {
            for e in entries.flatten() {
                let p = e.path();
                out.push(p.strip_prefix(dir).unwrap_or(&p).display().to_string());
                if e.file_type().is_ok_and(|t| t.is_dir()) {
                    stack.push(p);
                }
            }
        }
    }
    out.sort();
    out
}

/// A plain HTTP/1.1 GET on loopback (no client library needed): the status and the body.
pub fn http_get(addr: &str, path: &str) -> (u16, String) {
    use std::io::{Read, Write};
    // A refused or broken connection is status 0 (callers poll until the API is up).
    let Ok(mut stream) = std::net::TcpStream::connect(addr) else {
        return (0, String::new());
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    if write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .is_err()
    {
        return (0, String::new());
    }
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    let response = String::from_utf8_lossy(&raw);
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

/// The address the running daemon's HTTP API is bound to (recorded in its store).
pub fn api_address(sandbox: &Sandbox) -> Option<String> {
    let store =
        cf_store::Store::open_read_only(&sandbox.root().join("state/claude-failover.sqlite"))
            .ok()?;
    store.get_kv("api_listen").ok().flatten()
}

/// Runs `claude-failover <args> --config <sandbox config>`, asserts success, returns stdout.
pub fn cli_stdout(sandbox: &Sandbox, args: &[&str]) -> String {
    let out = Command::new(binary())
        .args(args)
        .arg("--config")
        .arg(&sandbox.config_path)
        .output()
        .expect("run the binary");
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
