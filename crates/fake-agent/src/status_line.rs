//! The `statusLine` command, called like the real client calls it (section l of the
//! recordings' README): after start and after each reply, with the session's JSON on stdin —
//! `session_id`, `prompt_id`, `cost.total_cost_usd` (this process's running total) and, once a
//! reply came, `rate_limits` — and whatever it prints drawn under the input box.
//!
//! The usage it reports comes from the per-account switch `$CLAUDE_CONFIG_DIR/fake-usage`:
//! `five_hour=80 seven_day=10` with optional `five_hour_resets=<RFC 3339 or epoch seconds>` and
//! `seven_day_resets=…` (default: in 2 hours, in 5 days). No file: no `rate_limits` (as an
//! account billed by API key).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};

/// The per-account usage switch.
pub const USAGE_FILE: &str = "fake-usage";

/// How long the status line command may run (the real client cuts slow ones too).
const TIMEOUT: Duration = Duration::from_secs(5);

/// What one reply costs in this fake world, USD.
pub const COST_PER_REPLY: f64 = 0.01;

/// Runs the status line command in the background and keeps what it printed.
#[derive(Debug)]
pub struct StatusLine {
    settings_path: PathBuf,
    cwd: PathBuf,
    shown: Arc<Mutex<Option<String>>>,
    running: Option<JoinHandle<()>>,
}

impl StatusLine {
    /// A status line configured in `settings_path`, run in `cwd`.
    pub fn new(settings_path: PathBuf, cwd: PathBuf) -> StatusLine {
        StatusLine {
            settings_path,
            cwd,
            shown: Arc::new(Mutex::new(None)),
            running: None,
        }
    }

    /// What the command printed last (its first two lines), if anything.
    pub fn text(&self) -> Option<String> {
        self.shown.lock().ok().and_then(|shown| shown.clone())
    }

    /// Calls the command with `payload` (after the previous call, waited for a moment; a call
    /// still running then makes this one wait for the next reply).
    pub fn update(&mut self, payload: &Value) {
        self.wait(Duration::from_secs(2));
        if self.running.as_ref().is_some_and(|h| !h.is_finished()) {
            return;
        }
        let Some(command) = command_in(&self.settings_path) else {
            return;
        };
        let input = payload.to_string();
        let cwd = self.cwd.clone();
        let shown = Arc::clone(&self.shown);
        self.running = std::thread::Builder::new()
            .name("status-line".into())
            .spawn(move || {
                if let Some(text) = run(&command, &cwd, &input)
                    && let Ok(mut slot) = shown.lock()
                {
                    *slot = Some(text);
                }
            })
            .ok();
    }

    /// Waits for a running call, up to `limit`.
    pub fn wait(&mut self, limit: Duration) {
        let deadline = Instant::now() + limit;
        while self.running.as_ref().is_some_and(|h| !h.is_finished()) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// `statusLine.command` of the settings, if it is a command.
fn command_in(settings_path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(settings_path).ok()?;
    let settings: Value = serde_json::from_str(&text).ok()?;
    let entry = settings.get("statusLine")?;
    (entry.get("type")?.as_str()? == "command")
        .then(|| entry.get("command")?.as_str().map(str::to_owned))
        .flatten()
}

/// `sh -c command` with `input` on stdin; its first two output lines, or `None` if it failed
/// to start or was cut by the timeout.
fn run(command: &str, cwd: &Path, input: &str) -> Option<String> {
    let mut shell = Command::new("sh");
    shell
        .arg("-c")
        .arg(command)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if cwd.is_dir() {
        shell.current_dir(cwd);
    }
    let mut child = shell.spawn().ok()?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(input.as_bytes());
    }
    let deadline = Instant::now() + TIMEOUT;
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
        }
    }
    let mut out = String::new();
    child
        .stdout
        .take()?
        .take(16 * 1024)
        .read_to_string(&mut out)
        .ok()?;
    let lines: Vec<&str> = out.lines().take(2).collect();
    Some(lines.join("\n"))
}

/// The `rate_limits` object from the account's usage switch, or `None` without one.
pub fn rate_limits(config_dir: &Path, now: Timestamp) -> Option<Value> {
    let text = std::fs::read_to_string(config_dir.join(USAGE_FILE)).ok()?;
    let mut five = None;
    let mut seven = None;
    let mut five_resets = now.checked_add(SignedDuration::from_hours(2)).ok()?;
    let mut seven_resets = now.checked_add(SignedDuration::from_hours(24 * 5)).ok()?;
    for token in text.split_whitespace() {
        let Some((key, value)) = token.split_once('=') else {
            continue;
        };
        match key {
            "five_hour" => five = value.parse::<f64>().ok(),
            "seven_day" => seven = value.parse::<f64>().ok(),
            "five_hour_resets" => five_resets = instant(value).unwrap_or(five_resets),
            "seven_day_resets" => seven_resets = instant(value).unwrap_or(seven_resets),
            _ => eprintln!("fake-usage: unknown key '{key}' (five_hour, seven_day, *_resets)"),
        }
    }
    let window = |used: Option<f64>, resets: Timestamp| {
        used.map(|u| json!({"used_percentage": u, "resets_at": resets.as_second()}))
    };
    Some(json!({
        "five_hour": window(five, five_resets),
        "seven_day": window(seven, seven_resets),
    }))
}

/// RFC 3339 or epoch seconds.
fn instant(text: &str) -> Option<Timestamp> {
    text.parse::<Timestamp>()
        .ok()
        .or_else(|| Timestamp::from_second(text.parse().ok()?).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_usage_switch_gives_the_recorded_shape() {
        let dir = tempfile::tempdir().expect("dir");
        let now = Timestamp::from_second(1_800_000_000).expect("time");
        assert_eq!(
            rate_limits(dir.path(), now),
            None,
            "no switch: no rate_limits"
        );
        std::fs::write(
            dir.path().join(USAGE_FILE),
            "five_hour=95 seven_day=12 five_hour_resets=1800003600",
        )
        .expect("write");
        let limits = rate_limits(dir.path(), now).expect("limits");
        assert_eq!(limits["five_hour"]["used_percentage"], 95.0);
        assert_eq!(limits["five_hour"]["resets_at"], 1_800_003_600);
        assert_eq!(
            limits["seven_day"]["resets_at"],
            1_800_000_000 + 5 * 24 * 3600
        );
    }

    #[test]
    fn the_command_gets_the_payload_and_its_output_is_kept() {
        let dir = tempfile::tempdir().expect("dir");
        let settings = dir.path().join("settings.json");
        let command = "read -r line; echo \"seen: ${#line}\"; echo second; echo third";
        std::fs::write(
            &settings,
            json!({"statusLine": {"type": "command", "command": command}}).to_string(),
        )
        .expect("write");
        let mut line = StatusLine::new(settings, dir.path().to_path_buf());
        line.update(&json!({"prompt_id": "p"}));
        line.wait(Duration::from_secs(10));
        let text = line.text().expect("printed");
        assert_eq!(text, "seen: 17\nsecond", "two lines at most");
    }
}
