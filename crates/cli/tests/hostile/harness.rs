//! The harness of the hostile-input tests: a sandbox with a running daemon, a sentinel folder
//! next to the sandbox root that nothing may touch, atomic drops of arbitrary file names and
//! bytes into an inbox, and the checks every case ends with (daemon alive, nothing outside
//! touched, no control characters reaching the agent, every task accounted for).

#![allow(dead_code)]

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use claude_failover::sandbox::{Sandbox, SandboxSpec};

use crate::support::{self, DaemonProcess, list_tree, prompts_for, wait_until};

/// One entry of a folder snapshot: what it is, and enough to see any change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Path relative to the snapshot root.
    pub path: String,
    /// `file`, `dir`, `symlink -> target` or `other`.
    pub kind: String,
    /// File content (the sentinel holds only small files).
    pub content: Vec<u8>,
    /// Modification time in nanoseconds.
    pub mtime_ns: i64,
}

/// Every entry under `root`, sorted, without following symlinks.
pub fn snapshot(root: &Path) -> Vec<Entry> {
    list_tree(root)
        .into_iter()
        .map(|rel| {
            let full = root.join(&rel);
            let meta = std::fs::symlink_metadata(&full).expect("stat a sentinel entry");
            let kind = if meta.file_type().is_symlink() {
                format!("symlink -> {:?}", std::fs::read_link(&full).ok())
            } else if meta.is_dir() {
                "dir".to_string()
            } else if meta.is_file() {
                "file".to_string()
            } else {
                "other".to_string()
            };
            let content = if meta.is_file() {
                std::fs::read(&full).unwrap_or_default()
            } else {
                Vec::new()
            };
            Entry {
                path: rel,
                kind,
                content,
                mtime_ns: meta.mtime() * 1_000_000_000 + meta.mtime_nsec(),
            }
        })
        .collect()
}

/// A sandbox, its daemon, and the sentinel folder beside it.
pub struct Hostile {
    /// The daemon under test (declared first: it is killed before the sandbox goes).
    pub daemon: Option<DaemonProcess>,
    /// The sandbox (projects, config, tmux server).
    pub sandbox: Sandbox,
    /// A folder next to the sandbox root that the daemon must never touch.
    pub sentinel: tempfile::TempDir,
    sentinel_before: Vec<Entry>,
    /// Paths outside the sandbox that did not exist at the start and must not appear.
    absent_outside: Vec<PathBuf>,
}

impl Hostile {
    /// Builds the sandbox and the sentinel; `fill_sentinel` puts decoys into the sentinel
    /// before its snapshot is taken. The daemon is not started yet.
    pub fn new(spec: &SandboxSpec, fill_sentinel: impl FnOnce(&Path)) -> Hostile {
        let sandbox = Sandbox::create(spec).expect("sandbox");
        let parent = sandbox.root().parent().expect("the sandbox has a parent");
        let sentinel = tempfile::Builder::new()
            .prefix("cf-hostile-sentinel-")
            .tempdir_in(parent)
            .expect("sentinel folder");
        std::fs::write(sentinel.path().join("untouchable.txt"), b"do not touch\n")
            .expect("write sentinel file");
        fill_sentinel(sentinel.path());
        let sentinel_before = snapshot(sentinel.path());
        let absent_outside = [
            parent.join(".agent-queue"),
            PathBuf::from("/tmp/.agent-queue"),
            PathBuf::from("/tmp/foo.md"),
        ]
        .into_iter()
        .filter(|p| std::fs::symlink_metadata(p).is_err())
        .collect();
        Hostile {
            daemon: None,
            sandbox,
            sentinel,
            sentinel_before,
            absent_outside,
        }
    }

    /// Starts `claude-failover run` on the sandbox.
    pub fn start(&mut self, name: &str) {
        self.daemon = Some(DaemonProcess::start(&self.sandbox, name));
    }

    /// The running daemon.
    pub fn daemon(&mut self) -> &mut DaemonProcess {
        self.daemon.as_mut().expect("the daemon was started")
    }

    /// `<project>/.agent-queue/inbox`.
    pub fn inbox(&self, project: &str) -> PathBuf {
        self.sandbox
            .projects_dir
            .join(project)
            .join(".agent-queue/inbox")
    }

    /// The sentinel's path.
    pub fn sentinel_dir(&self) -> &Path {
        self.sentinel.path()
    }

    /// Adds a valid task the operator's way and waits until it is in `done/`: proof that the
    /// daemon made at least one full dispatch pass after everything dropped before it.
    pub fn run_control_task(&mut self, project: &str, id: &str) {
        self.sandbox
            .add_task(project, id, "---\npriority: low\n---\nA control task.\n")
            .expect("add the control task");
        wait_until(
            Duration::from_secs(45),
            &format!("control task {project}/{id} done"),
            || support::is_done(&self.sandbox, project, id),
        );
    }

    /// Panics unless the daemon still runs.
    #[track_caller]
    pub fn assert_alive(&mut self) {
        let running = self.daemon().is_running();
        assert!(
            running,
            "the daemon died; log:\n{}",
            self.daemon().log_text()
        );
    }

    /// The sentinel is exactly as it was, the known outside paths are still absent, and no
    /// `pwned*` file exists anywhere we can look.
    #[track_caller]
    pub fn assert_outside_untouched(&self) {
        assert_eq!(
            snapshot(self.sentinel.path()),
            self.sentinel_before,
            "the sentinel next to the sandbox root changed"
        );
        for path in &self.absent_outside {
            assert!(
                std::fs::symlink_metadata(path).is_err(),
                "{} appeared outside the sandbox",
                path.display()
            );
        }
        let mut places: Vec<(PathBuf, Vec<String>)> = vec![
            (
                self.sandbox.root().to_path_buf(),
                list_tree(self.sandbox.root()),
            ),
            (
                self.sentinel.path().to_path_buf(),
                list_tree(self.sentinel.path()),
            ),
        ];
        for shallow in [
            std::env::current_dir().ok(),
            Some(PathBuf::from(env!("CARGO_MANIFEST_DIR"))),
            std::env::var_os("HOME").map(PathBuf::from),
        ]
        .into_iter()
        .flatten()
        {
            let names = std::fs::read_dir(&shallow)
                .map(|d| {
                    d.flatten()
                        .map(|e| e.file_name().to_string_lossy().into_owned())
                        .collect()
                })
                .unwrap_or_default();
            places.push((shallow, names));
        }
        for (place, names) in places {
            for name in names {
                let last = name.rsplit('/').next().unwrap_or(&name);
                assert!(
                    !last.starts_with("pwned"),
                    "an injected command ran: {} in {}",
                    name,
                    place.display()
                );
            }
        }
    }

    /// Every prompt the agent received is free of escape sequences and control characters
    /// other than newline and tab, and of CR and BOM.
    #[track_caller]
    pub fn assert_prompts_clean(&self) {
        for record in self.sandbox.records() {
            let prompt = record["prompt"].as_str().expect("prompt text");
            assert_clean_text(prompt);
        }
    }

    /// `name` is still in the inbox (as itself: file, link, fifo or folder), was never claimed
    /// or run, and is in neither `done/` nor `failed/`.
    #[track_caller]
    pub fn assert_waiting_in_inbox(&self, project: &str, name: &OsStr) {
        let inbox = self.inbox(project);
        assert!(
            std::fs::symlink_metadata(inbox.join(name)).is_ok(),
            "{project}/{} must stay in the inbox",
            name.display()
        );
        assert!(
            std::fs::symlink_metadata(with_suffix(&inbox.join(name), ".dispatched")).is_err(),
            "{project}/{} must not be claimed",
            name.display()
        );
        let text = name.to_string_lossy();
        for folder in ["done", "failed"] {
            assert!(
                !self
                    .sandbox
                    .files_in(project, folder)
                    .iter()
                    .any(|f| *f == text),
                "{project}/{text} must not be in {folder}/"
            );
        }
        if let Some(id) = text.strip_suffix(".md") {
            assert!(
                prompts_for(&self.sandbox, id).is_empty(),
                "{project}/{text} must never reach an agent"
            );
        }
    }

    /// The reason in `<name>.invalid`, if the sidecar exists.
    pub fn invalid_reason(&self, project: &str, name: &OsStr) -> Option<String> {
        let path = with_suffix(&self.inbox(project).join(name), ".invalid");
        let bytes = std::fs::read(path).ok()?;
        let json: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
        json["reason"].as_str().map(str::to_string)
    }
}

/// `path` with `suffix` appended to its last component.
pub fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut os = path.as_os_str().to_owned();
    os.push(suffix);
    PathBuf::from(os)
}

/// Characters that must never reach the agent: C0 except `\n`/`\t`, DEL, C1, and the BOM.
pub fn is_forbidden(c: char) -> bool {
    (c < '\u{20}' && c != '\n' && c != '\t')
        || c == '\u{7f}'
        || ('\u{80}'..='\u{9f}').contains(&c)
        || c == '\u{feff}'
}

/// Panics if `text` holds a forbidden character.
#[track_caller]
pub fn assert_clean_text(text: &str) {
    if let Some((at, c)) = text.char_indices().find(|(_, c)| is_forbidden(*c)) {
        panic!("forbidden character {c:?} at byte {at} reached the agent: {text:?}");
    }
}

static DROPS: AtomicU64 = AtomicU64::new(0);

/// Writes `bytes` into `dir` under `name` atomically: a hidden temp file (which the daemon
/// ignores), then a rename, the way a careful tool delivers a task.
pub fn drop_file(dir: &Path, name: impl AsRef<OsStr>, bytes: &[u8]) {
    let temp = dir.join(format!(
        ".hostile-{}-{}.tmp",
        std::process::id(),
        DROPS.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::write(&temp, bytes).expect("write the temp file");
    std::fs::rename(&temp, dir.join(name.as_ref())).expect("rename into place");
}

/// A file name from raw bytes (for names that are not UTF-8).
pub fn raw_name(bytes: &[u8]) -> OsString {
    OsStr::from_bytes(bytes).to_owned()
}

/// Creates a named pipe with `mkfifo(1)`.
pub fn make_fifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("run mkfifo");
    assert!(status.success(), "mkfifo {} failed", path.display());
}

unsafe extern "C" {
    #[link_name = "kill"]
    fn send_signal(pid: i32, signal: i32) -> i32;
}

/// SIGSTOP on Linux.
const SIGSTOP: i32 = 19;
/// SIGCONT on Linux.
const SIGCONT: i32 = 18;

/// The daemon stopped with SIGSTOP (so that filesystem events pile up in the kernel queue
/// unread); continued with SIGCONT on drop, even when the test panics.
pub struct Paused {
    pid: i32,
}

impl Paused {
    /// Stops the daemon whose pid its log announces (`started pid N`), after checking that the
    /// pid is a child of this test process.
    pub fn daemon(log: &str) -> Paused {
        let pid: i32 = log
            .lines()
            .find(|l| l.contains("started"))
            .and_then(|l| l.split("pid ").nth(1))
            .map(|rest| {
                rest.chars()
                    .take_while(char::is_ascii_digit)
                    .collect::<String>()
            })
            .and_then(|digits| digits.parse().ok())
            .expect("the daemon log names its pid");
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("read its stat");
        let parent: u32 = stat
            .rsplit(')')
            .next()
            .and_then(|rest| rest.split_whitespace().nth(1))
            .and_then(|p| p.parse().ok())
            .expect("parent pid in stat");
        assert_eq!(parent, std::process::id(), "pid {pid} is our daemon child");
        // SAFETY: kill(2) on our own child.
        assert_eq!(unsafe { send_signal(pid, SIGSTOP) }, 0, "SIGSTOP");
        Paused { pid }
    }
}

impl Drop for Paused {
    fn drop(&mut self) {
        // SAFETY: kill(2) on our own child.
        unsafe { send_signal(self.pid, SIGCONT) };
    }
}
