//! `claude-failover hook statusline`: the client's `statusLine` command. Records the account's
//! usage for the tmux session it runs in (`agent-usage-<session>` in the signal folder) and
//! prints one line under the input box: the operator's own status line's output when they had
//! one (run with the same input, cut after [`THEIRS_TIMEOUT`]), else ours. It must never break
//! the agent: problems go to stderr and the exit status is 0.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use cf_core::usage::{UsageReport, parse_statusline};
use cf_daemon::signals::{UsageFile, write_usage};

/// How long the operator's own status line command may take.
pub const THEIRS_TIMEOUT: Duration = Duration::from_secs(2);

/// The config dir the client runs on: `$CLAUDE_CONFIG_DIR`, or `~/.claude`.
fn config_dir() -> Option<PathBuf> {
    std::env::var_os("CLAUDE_CONFIG_DIR")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".claude")))
}

/// Runs the status line: `input` is what the client gave on stdin, `session` the tmux session.
pub fn run(input: &[u8], signal_dir: &Path, session: Option<&str>) -> String {
    let text = String::from_utf8_lossy(input);
    let report = parse_statusline(&text).ok();
    let dir = config_dir();
    if let (Some(report), Some(session)) = (&report, session) {
        // A redraw repeats the last reply: it keeps that reply's time (a restarted daemon must
        // not take an old report for the newest).
        let kept = cf_daemon::signals::read_usage(signal_dir, session)
            .filter(|old| old.prompt_id.is_some() && old.prompt_id == report.prompt_id)
            .map(|old| old.at);
        let usage = UsageFile {
            at: kept.unwrap_or_else(jiff::Timestamp::now),
            session_id: report.session_id.clone(),
            prompt_id: report.prompt_id.clone(),
            total_cost_usd: report.total_cost_usd,
            rate_limits: report.rate_limits,
            // Which account it is (`~/.claude` when the variable is unset).
            config_dir: dir.clone(),
        };
        if let Err(e) = write_usage(signal_dir, session, &usage) {
            let _ = writeln!(
                std::io::stderr(),
                "claude-failover hook statusline: cannot record the usage in {}: {e}",
                signal_dir.display()
            );
        }
    }
    let theirs = dir
        .as_deref()
        .and_then(cf_accounts::saved_status_line_command);
    match theirs {
        Some(command) => harmless(&run_theirs(&command, input, THEIRS_TIMEOUT)),
        None => our_line(report.as_ref()),
    }
}

/// The operator's lines, minus any the screen rules would read as a limit or an error line
/// (drawn under the input box, such a line could stop a task or start a swap).
pub fn harmless(text: &str) -> String {
    let now = jiff::Timestamp::now();
    let tz = jiff::tz::TimeZone::UTC;
    text.lines()
        .map(|line| {
            let risky = cf_core::quota::detect(line, now, &tz).is_some()
                || cf_core::turn::screen_error(line).is_some();
            match risky {
                true => "(status line hidden: it reads like a limit or error line)",
                false => line,
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Our line: the two windows, or only the name before the first reply. Worded so that no
/// screen rule can take it for a limit line, an error or a footer.
pub fn our_line(report: Option<&UsageReport>) -> String {
    let mut line = String::from("claude-failover");
    if let Some(limits) = report.map(|r| r.rate_limits) {
        if let Some(five) = limits.five_hour {
            line.push_str(&format!(" · 5h {:.0}%", five.used_percentage));
        }
        if let Some(week) = limits.seven_day {
            line.push_str(&format!(" · week {:.0}%", week.used_percentage));
        }
    }
    line
}

/// Runs the operator's command with `sh -c` and the same input; what it printed, or nothing if
/// it fails to start or is cut by `timeout`.
pub fn run_theirs(command: &str, input: &[u8], timeout: Duration) -> String {
    use std::os::unix::process::CommandExt;
    let child = Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn();
    let Ok(mut child) = child else {
        return String::new();
    };
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(input);
    }
    let deadline = Instant::now() + timeout;
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
            _ => {
                // The whole group: what the command started goes with it.
                if let Ok(group) = i32::try_from(child.id()) {
                    // SAFETY: kill(2) on a process group; no memory is involved.
                    unsafe {
                        libc::kill(-group, libc::SIGKILL);
                    }
                }
                let _ = child.wait();
                return String::new();
            }
        }
    }
    let mut out = String::new();
    if let Some(stdout) = child.stdout.take() {
        let _ = stdout.take(64 * 1024).read_to_string(&mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ours_shows_the_windows_and_theirs_is_run_with_the_same_input() {
        let report = parse_statusline(
            r#"{"rate_limits":{"five_hour":{"used_percentage":92.4,"resets_at":1796116757},"seven_day":{"used_percentage":10,"resets_at":1796372357}}}"#,
        )
        .expect("parses");
        assert_eq!(
            our_line(Some(&report)),
            "claude-failover · 5h 92% · week 10%"
        );
        assert_eq!(our_line(None), "claude-failover");
        let echoed = run_theirs("printf 'mine: '; cat", b"{\"x\":1}", THEIRS_TIMEOUT);
        assert_eq!(echoed, "mine: {\"x\":1}");
        let risky = "git: main\n  ⎿  You've hit your 5-hour limit\n● Usage limit reached · continuing automatically at 10:13am · esc to cancel";
        let shown = harmless(risky);
        assert!(
            shown.starts_with("git: main\n(status line hidden"),
            "{shown}"
        );
        assert!(!shown.contains("limit reached"), "{shown}");
    }

    #[test]
    fn theirs_that_hangs_is_cut_by_the_timeout() {
        let started = Instant::now();
        let out = run_theirs("echo early; sleep 30", b"{}", Duration::from_millis(300));
        assert_eq!(out, "", "a command cut short shows nothing");
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "it did not wait for the sleep"
        );
    }
}
