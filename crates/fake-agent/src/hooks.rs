//! Runs the hooks configured in `$CLAUDE_CONFIG_DIR/settings.json` like the real client: each
//! command through `sh -c`, the event JSON on stdin, the pane's environment inherited.

use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// A hook command is killed after this long (the real client's default timeout).
const HOOK_TIMEOUT: Duration = Duration::from_secs(60);
/// How often a running hook is checked.
const HOOK_POLL: Duration = Duration::from_millis(20);

/// The hook events the fake fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookEvent {
    /// At start-up (`source`: `startup` or `resume`).
    SessionStart,
    /// A turn ended with a reply.
    Stop,
    /// A turn ended with an API error or usage limit.
    StopFailure,
    /// The session ended with `/exit` or Ctrl-C twice.
    SessionEnd,
}

impl HookEvent {
    /// The key in `settings.json` and the `hook_event_name` value.
    pub fn name(self) -> &'static str {
        match self {
            HookEvent::SessionStart => "SessionStart",
            HookEvent::Stop => "Stop",
            HookEvent::StopFailure => "StopFailure",
            HookEvent::SessionEnd => "SessionEnd",
        }
    }
}

/// Whether a hook group's `matcher` selects `subject` (e.g. the SessionStart source).
/// Empty, missing or `*` matches everything; otherwise `|`-separated exact names.
fn matcher_selects(matcher: Option<&str>, subject: Option<&str>) -> bool {
    match (matcher.map(str::trim), subject) {
        (None | Some("") | Some("*"), _) => true,
        (Some(_), None) => true,
        (Some(pattern), Some(subject)) => pattern.split('|').any(|p| p.trim() == subject),
    }
}

/// The commands configured for `event` in a parsed `settings.json`, in order.
pub fn hook_commands(settings: &Value, event: HookEvent, subject: Option<&str>) -> Vec<String> {
    let Some(groups) = settings
        .get("hooks")
        .and_then(|hooks| hooks.get(event.name()))
        .and_then(Value::as_array)
    else {
        return Vec::new();
    };
    groups
        .iter()
        .filter(|group| matcher_selects(group.get("matcher").and_then(Value::as_str), subject))
        .filter_map(|group| group.get("hooks").and_then(Value::as_array))
        .flatten()
        .filter(|hook| hook.get("type").and_then(Value::as_str) == Some("command"))
        .filter_map(|hook| hook.get("command").and_then(Value::as_str))
        .map(str::to_string)
        .collect()
}

/// Reads `settings.json`; a missing or broken file means "no hooks".
fn read_settings(path: &Path) -> Value {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or(Value::Null)
}

/// Starts hook commands in the background and can wait for them at exit.
#[derive(Debug)]
pub struct HookRunner {
    /// `$CLAUDE_CONFIG_DIR/settings.json`, re-read at every event so edits apply at once.
    settings_path: PathBuf,
    /// Working directory for the commands (the session's cwd).
    cwd: PathBuf,
    /// Threads running hooks, so exit can wait for them.
    running: Vec<JoinHandle<()>>,
}

impl HookRunner {
    /// A runner reading `settings_path` and running commands in `cwd`.
    pub fn new(settings_path: PathBuf, cwd: PathBuf) -> Self {
        Self {
            settings_path,
            cwd,
            running: Vec::new(),
        }
    }

    /// Fires `event`: every configured command gets `payload` on stdin. Never fails; a hook
    /// that cannot start or exits non-zero is ignored.
    pub fn fire(&mut self, event: HookEvent, subject: Option<&str>, payload: &Value) {
        self.running.retain(|handle| !handle.is_finished());
        let commands = hook_commands(&read_settings(&self.settings_path), event, subject);
        if commands.is_empty() {
            return;
        }
        let stdin_text = payload.to_string();
        let cwd = self.cwd.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("hook-{}", event.name()))
            .spawn(move || {
                for command in commands {
                    run_one(&command, &cwd, &stdin_text);
                }
            });
        if let Ok(handle) = spawned {
            self.running.push(handle);
        }
    }

    /// Waits until every started hook finished or `limit` passed.
    pub fn wait_all(&mut self, limit: Duration) {
        let deadline = Instant::now() + limit;
        while self.running.iter().any(|handle| !handle.is_finished()) && Instant::now() < deadline {
            std::thread::sleep(HOOK_POLL);
        }
        self.running.retain(|handle| !handle.is_finished());
    }
}

/// Runs one command with `sh -c`, feeding `stdin_text`; kills it after [`HOOK_TIMEOUT`].
fn run_one(command: &str, cwd: &Path, stdin_text: &str) {
    let mut shell = Command::new("sh");
    shell
        .arg("-c")
        .arg(command)
        .env("CLAUDE_PROJECT_DIR", cwd)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    // A vanished working directory must not stop the hook from running.
    if cwd.is_dir() {
        shell.current_dir(cwd);
    }
    let child = shell.spawn();
    let Ok(mut child) = child else {
        return;
    };
    if let Some(mut stdin) = child.stdin.take() {
        // A hook that does not read its stdin closes the pipe early; that is fine.
        let _ = stdin.write_all(stdin_text.as_bytes());
    }
    let deadline = Instant::now() + HOOK_TIMEOUT;
    loop {
        match child.try_wait() {
            Ok(Some(_)) | Err(_) => return,
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return;
            }
            Ok(None) => std::thread::sleep(HOOK_POLL),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn settings() -> Value {
        json!({"hooks": {
            "Stop": [
                {"matcher": "", "hooks": [{"type": "command", "command": "echo one"}, {"type": "other", "command": "x"}]},
                {"hooks": [{"type": "command", "command": "echo two"}]}
            ],
            "SessionStart": [
                {"matcher": "resume", "hooks": [{"type": "command", "command": "on resume"}]},
                {"matcher": "startup|clear", "hooks": [{"type": "command", "command": "on startup"}]}
            ]
        }})
    }

    #[test]
    fn finds_commands_for_an_event() {
        assert_eq!(
            hook_commands(&settings(), HookEvent::Stop, None),
            ["echo one", "echo two"]
        );
        assert!(hook_commands(&settings(), HookEvent::StopFailure, None).is_empty());
        assert!(hook_commands(&Value::Null, HookEvent::Stop, None).is_empty());
        assert!(hook_commands(&json!({"hooks": {"Stop": 3}}), HookEvent::Stop, None).is_empty());
    }

    #[test]
    fn matcher_selects_the_session_start_source() {
        assert_eq!(
            hook_commands(&settings(), HookEvent::SessionStart, Some("startup")),
            ["on startup"]
        );
        assert_eq!(
            hook_commands(&settings(), HookEvent::SessionStart, Some("resume")),
            ["on resume"]
        );
    }

    #[test]
    fn runs_hooks_with_json_on_stdin_and_survives_failures() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.json");
        let settings_path = dir.path().join("settings.json");
        let config = json!({"hooks": {"Stop": [{"matcher": "", "hooks": [
            {"type": "command", "command": "exit 3"},
            {"type": "command", "command": "/no/such/binary"},
            {"type": "command", "command": format!("cat > '{}'", out.display())}
        ]}]}});
        std::fs::write(&settings_path, config.to_string()).unwrap();
        let mut runner = HookRunner::new(settings_path, dir.path().to_path_buf());
        runner.fire(HookEvent::Stop, None, &json!({"hook_event_name": "Stop"}));
        runner.wait_all(Duration::from_secs(10));
        let written: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
        assert_eq!(written["hook_event_name"], "Stop");
    }
}
