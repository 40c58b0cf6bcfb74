//! Shared helpers for the integration tests: a private tmux server (killed on drop), screen
//! polling with deadlines, and shell quoting.

#![allow(dead_code)]

pub mod sgr;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_fake-claude");
/// How long any screen condition may take.
pub const DEADLINE: Duration = Duration::from_secs(15);
const POLL: Duration = Duration::from_millis(30);

static NEXT_SERVER: AtomicUsize = AtomicUsize::new(0);
/// Printed by the wrapping shell before the fake's exit status.
const EXIT_MARKER: &str = "fake-claude exited with status ";

/// Quotes `text` for `sh`.
pub fn sh_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// A private tmux server (`tmux -L cf-fake-<pid>-<n>`), killed when dropped.
pub struct TmuxServer {
    /// Socket name passed to `-L`.
    pub name: String,
}

/// The pane every test uses.
pub const TARGET: &str = "main:0.0";

impl TmuxServer {
    /// Starts a server with one 200x50 session `main` running `command` in `cwd`. A shell
    /// wraps the command and prints its exit status on the pane afterwards (tmux's own
    /// `pane_dead_status` proved unreliable here: the exit was sometimes never noticed).
    pub fn start(cwd: &Path, command: &str) -> Self {
        let name = format!(
            "cf-fake-{}-{}",
            std::process::id(),
            NEXT_SERVER.fetch_add(1, Ordering::SeqCst)
        );
        let server = Self { name };
        let cwd = cwd.display().to_string();
        let wrapped = format!("{command}; echo \"{EXIT_MARKER}$?\"; exec sleep 3600");
        let out = server.tmux(&[
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            "main",
            "-x",
            "200",
            "-y",
            "50",
            "-c",
            &cwd,
            &wrapped,
        ]);
        assert!(
            out.status.success(),
            "tmux start failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        server
    }

    /// Runs a tmux command on this server.
    pub fn tmux(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.name)
            .args(args)
            .env_remove("TMUX")
            .stdin(Stdio::null())
            .output()
            .expect("tmux runs")
    }

    /// The visible screen (`capture-pane -p`).
    pub fn screen(&self) -> String {
        String::from_utf8_lossy(&self.tmux(&["capture-pane", "-p", "-t", TARGET]).stdout)
            .into_owned()
    }

    /// The visible screen with attributes (`capture-pane -p -e`).
    pub fn screen_with_attributes(&self) -> String {
        String::from_utf8_lossy(
            &self
                .tmux(&["capture-pane", "-p", "-e", "-t", TARGET])
                .stdout,
        )
        .into_owned()
    }

    /// Polls the screen until `condition` holds; panics with the last screen at the deadline.
    pub fn wait_screen(&self, what: &str, condition: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + DEADLINE;
        loop {
            let screen = self.screen();
            if condition(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; screen:\n{screen}"
            );
            std::thread::sleep(POLL);
        }
    }

    /// Bracketed paste of `text` through a uniquely named buffer, deleted after use.
    pub fn paste(&self, text: &str) {
        let buffer = format!("{}-paste", self.name);
        let mut child = Command::new("tmux")
            .args(["-L", &self.name, "load-buffer", "-b", &buffer, "-"])
            .env_remove("TMUX")
            .stdin(Stdio::piped())
            .spawn()
            .expect("tmux load-buffer runs");
        {
            use std::io::Write;
            let mut stdin = child.stdin.take().expect("stdin piped");
            stdin.write_all(text.as_bytes()).expect("buffer written");
        }
        assert!(child.wait().expect("load-buffer waited").success());
        let out = self.tmux(&["paste-buffer", "-p", "-d", "-b", &buffer, "-t", TARGET]);
        assert!(out.status.success());
    }

    /// `send-keys` with the given keys.
    pub fn send_keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", TARGET];
        args.extend_from_slice(keys);
        assert!(self.tmux(&args).status.success());
    }

    /// `send-keys -l`: literal text.
    pub fn type_text(&self, text: &str) {
        assert!(
            self.tmux(&["send-keys", "-t", TARGET, "-l", text])
                .status
                .success()
        );
    }

    /// Waits for the fake to exit and returns its status (printed by the wrapping shell).
    pub fn wait_exit(&self) -> i32 {
        let screen = self.wait_screen("the process to exit", |s| s.contains(EXIT_MARKER));
        let status = screen
            .split(EXIT_MARKER)
            .nth(1)
            .and_then(|rest| rest.lines().next())
            .and_then(|digits| digits.trim().parse().ok());
        status.unwrap_or_else(|| panic!("no exit status on screen:\n{screen}"))
    }
}

impl Drop for TmuxServer {
    fn drop(&mut self) {
        let socket = self.tmux(&["display-message", "-p", "#{socket_path}"]);
        let socket = String::from_utf8_lossy(&socket.stdout).trim().to_string();
        let _ = self.tmux(&["kill-server"]);
        // tmux 3.3 leaves the socket file behind; remove ours.
        if socket.ends_with(&self.name) {
            let _ = std::fs::remove_file(socket);
        }
    }
}

/// Non-blank rows of a screen, right-trimmed of ASCII spaces only (U+00A0 must survive).
pub fn rows(screen: &str) -> Vec<&str> {
    screen
        .lines()
        .map(|line| line.trim_end_matches(' '))
        .filter(|line| !line.is_empty())
        .collect()
}

/// Idle as the README's classifier defines it: an input row `❯\u{a0}…` and no `esc to interrupt`
/// in the last rows.
pub fn is_idle(screen: &str) -> bool {
    let rows = rows(screen);
    let tail = &rows[rows.len().saturating_sub(8)..];
    tail.iter()
        .any(|row| row.starts_with("❯\u{a0}") || *row == "❯")
        && !tail[tail.len().saturating_sub(3)..]
            .iter()
            .any(|row| row.contains("esc to interrupt"))
}

/// Busy: `esc to interrupt` in the last three rows.
pub fn is_busy(screen: &str) -> bool {
    let rows = rows(screen);
    rows[rows.len().saturating_sub(3)..]
        .iter()
        .any(|row| row.contains("esc to interrupt"))
}

/// Polls `path` until it exists and holds something; returns its contents.
pub fn wait_file(path: &Path) -> String {
    let deadline = Instant::now() + DEADLINE;
    loop {
        if let Ok(text) = std::fs::read_to_string(path)
            && !text.trim().is_empty()
        {
            return text;
        }
        assert!(
            Instant::now() < deadline,
            "{} never got written",
            path.display()
        );
        std::thread::sleep(POLL);
    }
}

/// Writes `settings.json` with hooks that append each event's stdin to `<dir>/<Event>.json`.
pub fn write_hook_settings(config_dir: &Path, out_dir: &Path) {
    let hook = |event: &str| {
        let file = out_dir.join(format!("{event}.json"));
        serde_json::json!([{"matcher": "", "hooks": [{"type": "command",
            "command": format!("cat >> {}; echo >> {}", sh_quote(&file.display().to_string()),
                sh_quote(&file.display().to_string()))}]}])
    };
    let settings = serde_json::json!({"hooks": {
        "Stop": hook("Stop"), "StopFailure": hook("StopFailure"), "SessionStart": hook("SessionStart")
    }});
    std::fs::create_dir_all(config_dir).expect("config dir");
    std::fs::write(config_dir.join("settings.json"), settings.to_string())
        .expect("settings written");
}

/// A temp root with a config dir (its hooks writing into the root), a record file and a work dir
/// whose name has a space (paths are quoted everywhere).
pub struct Dirs {
    root: tempfile::TempDir,
}

impl Dirs {
    /// Creates the folders and the hook settings.
    pub fn new() -> Self {
        let dirs = Self {
            root: tempfile::tempdir().expect("tempdir"),
        };
        std::fs::create_dir_all(dirs.work()).expect("work dir");
        write_hook_settings(&dirs.config(), dirs.root.path());
        dirs
    }

    /// The config dir (`CLAUDE_CONFIG_DIR`).
    pub fn config(&self) -> std::path::PathBuf {
        self.root.path().join("config")
    }

    /// The work dir the fake runs in.
    pub fn work(&self) -> std::path::PathBuf {
        self.root.path().join("work dir")
    }

    /// The prompt record (`FAKE_AGENT_RECORD`).
    pub fn record(&self) -> std::path::PathBuf {
        self.root.path().join("record.jsonl")
    }

    /// Where the hook of `event` writes its payload.
    pub fn hook_file(&self, event: &str) -> std::path::PathBuf {
        self.root.path().join(format!("{event}.json"))
    }

    /// The shell command that runs the fake with this test's environment, `env` (`NAME=value
    /// …`) added before it and `extra_args` after it.
    pub fn command(&self, work: &str, env: &str, extra_args: &str) -> String {
        format!(
            "env CLAUDE_CONFIG_DIR={} FAKE_AGENT_RECORD={} FAKE_AGENT_WORK={work} IS_SANDBOX=1 {env} {} --dangerously-skip-permissions {extra_args}",
            sh_quote(&self.config().display().to_string()),
            sh_quote(&self.record().display().to_string()),
            sh_quote(BIN),
        )
    }
}
