//! Shared helpers of the end-to-end tests: the daemon as a child process, and waiting on
//! conditions with deadlines.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use claude_failover::sandbox::{Sandbox, SandboxSpec};

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
        let log = sandbox.root().join(format!("daemon-{name}.log"));
        let log_file = std::fs::File::create(&log).expect("create the daemon log");
        let child = Command::new(binary())
            .args(["-v", "run", "--config"])
            .arg(&sandbox.config_path)
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

/// Whether `<project>/.agent-queue/done/<id>.md` exists.
pub fn is_done(sandbox: &Sandbox, project: &str, id: &str) -> bool {
    sandbox
        .files_in(project, "done")
        .iter()
        .any(|f| f == &format!("{id}.md"))
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
