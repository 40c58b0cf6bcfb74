//! The run footer appended to a finished task file, and where the file goes (done/ or failed/).

use std::fmt;

use crate::text::sanitize_task_text;

mod spent;

pub use spent::{Share, Spent, TaskSpending};

/// Why a task counts as completed: which signal the daemon saw first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompletionCause {
    /// The done-signal file appeared (Stop hook or script).
    DoneSignal,
    /// The screen showed the idle prompt, stably, with no sign of work.
    IdleScreen,
    /// After a daemon restart the task was found already finished.
    FoundDoneAfterRestart,
}

impl fmt::Display for CompletionCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CompletionCause::DoneSignal => "done signal",
            CompletionCause::IdleScreen => "idle screen",
            CompletionCause::FoundDoneAfterRestart => "found done after restart",
        })
    }
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The agent finished its turn; the task goes to `done/`.
    Completed {
        /// Which signal said so.
        by: CompletionCause,
    },
    /// The idle timeout since assignment passed: not done.
    TimedOut,
    /// The agent could not be started or never showed its prompt; the reason.
    LaunchFailed(String),
    /// The agent's turn ended on an error (e.g. a `StopFailure` hook); the reason.
    AgentError(String),
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Completed { by } => write!(f, "completed ({by})"),
            Outcome::TimedOut => f.write_str("timed out"),
            Outcome::LaunchFailed(reason) => write!(f, "launch failed: {reason}"),
            Outcome::AgentError(reason) => write!(f, "agent error: {reason}"),
        }
    }
}

/// True when the task goes to `done/`; every other outcome goes to `failed/`.
pub fn is_success(outcome: &Outcome) -> bool {
    matches!(outcome, Outcome::Completed { .. })
}

/// Everything the footer records about one run of a task.
#[derive(Debug, Clone, PartialEq)]
pub struct RunFooter {
    /// The tmux session that ran the task.
    pub session: String,
    /// The account (config name, never a secret) that was active.
    pub account: String,
    /// The model the agent was started with.
    pub model: String,
    /// When the task was sent to the agent.
    pub started_at: jiff::Timestamp,
    /// When the outcome was decided.
    pub ended_at: jiff::Timestamp,
    /// How it ended.
    pub outcome: Outcome,
    /// Earlier attempts that ended on transient errors, oldest first (one line each).
    pub attempts: Vec<crate::retry::Attempt>,
    /// Why the task was restarted from scratch (its conversation could not be found), if it was.
    pub restart_note: Option<String>,
    /// The store's id of the run that wrote the footer (recovery matches on it), if known.
    pub run: Option<i64>,
    /// What the task cost, if it was measured.
    pub spent: Option<Spent>,
    /// What it left in its worktree, when it ran in one.
    pub worktree: Option<WorktreeFooter>,
}

/// How many of a worktree's commits the footer lists (the count is always given).
pub const MAX_COMMITS_SHOWN: usize = 20;

/// A task's worktree at its end: the branch left for review and what is on it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WorktreeFooter {
    /// The branch (`agent/<task id>`).
    pub branch: String,
    /// The commit it started from.
    pub base: String,
    /// The commits the agent made on it, oldest first (`<short hash> <subject>`).
    pub commits: Vec<String>,
    /// Whether it left changes not committed.
    pub dirty: bool,
    /// The worktree folder when it was kept (failed, dirty, or `keep_worktrees`).
    pub kept: Option<String>,
}

impl WorktreeFooter {
    fn lines(&self) -> Vec<(&'static str, String)> {
        let shown: Vec<&str> = self
            .commits
            .iter()
            .take(MAX_COMMITS_SHOWN)
            .map(String::as_str)
            .collect();
        let more = match self.commits.len().saturating_sub(MAX_COMMITS_SHOWN) {
            0 => String::new(),
            n => format!("; and {n} more"),
        };
        let commits = match self.commits.is_empty() {
            true => "none".to_string(),
            false => format!("{}: {}{more}", self.commits.len(), shown.join("; ")),
        };
        let mut lines = vec![
            ("branch", one_line(&self.branch)),
            ("base", one_line(&self.base)),
            ("commits", one_line(&commits)),
            ("dirty", if self.dirty { "yes" } else { "no" }.to_string()),
        ];
        if let Some(folder) = &self.kept {
            lines.push(("worktree", one_line(folder)));
        }
        lines
    }
}

/// The marker line that identifies a footer block in a task file.
pub const FOOTER_MARKER: &str = "<!-- claude-failover run -->";

/// Renders the markdown block appended to the task file: a rule, [`FOOTER_MARKER`], then one
/// `- key: value` line each. Values are sanitized and kept on one line so that a hostile
/// reason text cannot break the block.
pub fn render_footer(f: &RunFooter) -> String {
    let duration = format_duration(f.started_at, f.ended_at);
    let lines = [
        ("session", one_line(&f.session)),
        ("account", one_line(&f.account)),
        ("model", one_line(&f.model)),
        ("started", f.started_at.to_string()),
        ("ended", f.ended_at.to_string()),
        ("duration", duration),
        ("outcome", one_line(&f.outcome.to_string())),
    ];
    let mut lines: Vec<(&str, String)> = lines.into();
    for (n, attempt) in f.attempts.iter().enumerate() {
        lines.push((
            "attempt",
            format!(
                "{} {} on {}: {}: {}",
                n + 1,
                attempt.at,
                one_line(&attempt.account),
                one_line(&attempt.kind),
                one_line(&attempt.reason)
            ),
        ));
    }
    if let Some(note) = &f.restart_note {
        lines.push(("restarted from scratch", one_line(note)));
    }
    if let Some(worktree) = &f.worktree {
        lines.extend(worktree.lines());
    }
    if let Some(spent) = &f.spent {
        lines.extend(spent.lines());
    }
    if let Some(run) = f.run {
        lines.push(("run", run.to_string()));
    }
    render_block("\n\n", FOOTER_MARKER, &lines)
}

/// A footer block appended to a finished task: `lead`, a `---` rule, the `marker` line, then one
/// `- key: value` line per entry. Shared by every kind of footer (local runs, delegated jobs).
pub fn render_block(lead: &str, marker: &str, lines: &[(&str, String)]) -> String {
    let mut out = format!("{lead}---\n{marker}\n");
    for (key, value) in lines {
        out.push_str(&format!("- {key}: {value}\n"));
    }
    out
}

/// The task's own text: without the footer blocks (of any kind) the daemon appended to its end.
/// A task that is run again must not carry its old footers into the agent's prompt. Blocks are
/// peeled off from the end, each a rule, a `<!-- claude-failover … -->` marker and only
/// `- key: value` lines, so a task that quotes a footer in its body keeps it.
pub fn without_footers(text: &str) -> &str {
    let mut end = text.len();
    while let Some(at) = text[..end].rfind("---\n<!-- claude-failover ") {
        let block = &text[at..end];
        let only_fields = block
            .lines()
            .skip(2)
            .all(|line| line.trim().is_empty() || line.starts_with("- "));
        let starts_a_line = at == 0 || text[..at].ends_with('\n');
        if !only_fields || !starts_a_line {
            break;
        }
        end = at;
    }
    if end == text.len() {
        text
    } else {
        text[..end].trim_end()
    }
}

/// The marker of the block the watchdog appends to a task it fails (blocked too long).
pub const WATCHDOG_MARKER: &str = "<!-- claude-failover watchdog -->";

/// The value of `- key: ` in the last run footer ([`FOOTER_MARKER`]) of a finished task's text.
pub fn run_footer_field<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    let at = text.rfind(FOOTER_MARKER)?;
    block_field(&text[at..], key)
}

/// The outcome a finished task's last footer block (of any kind) gives.
pub fn last_outcome(text: &str) -> Option<&str> {
    text.lines()
        .rev()
        .find_map(|l| l.strip_prefix("- outcome: "))
}

/// The first `- key: value` of a block.
fn block_field<'a>(block: &'a str, key: &str) -> Option<&'a str> {
    block.lines().find_map(|line| {
        line.strip_prefix("- ")
            .and_then(|rest| rest.strip_prefix(key))
            .and_then(|rest| rest.strip_prefix(": "))
            .map(str::trim)
    })
}

/// Sanitized, with line breaks and tabs folded into single spaces (footer values stay on one line).
pub fn one_line(s: &str) -> String {
    sanitize_task_text(s)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        // A value (a commit subject, a reason) must never read as the start of a footer block.
        .replace("<!--", "<! --")
}

/// Whole seconds between the two instants as `1h 2m 5s` / `1m 5s` / `5s`; negative spans are 0s.
/// Public so that every kind of footer (local runs, delegated jobs) writes durations alike.
pub fn format_duration(start: jiff::Timestamp, end: jiff::Timestamp) -> String {
    let secs = (end.as_second() - start.as_second()).max(0);
    let (h, m, s) = (secs / 3600, secs % 3600 / 60, secs % 60);
    match (h, m) {
        (0, 0) => format!("{s}s"),
        (0, _) => format!("{m}m {s}s"),
        _ => format!("{h}h {m}m {s}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_commit_subject_cannot_open_a_footer_block_or_hide_the_branch() {
        let mut f = footer(
            Outcome::TimedOut,
            "2026-11-21T09:00:00Z",
            "2026-11-21T09:01:00Z",
        );
        let mut commits: Vec<String> = (1..=25).map(|n| format!("abc{n} change {n}")).collect();
        commits[0] = format!("abc0 {FOOTER_MARKER}\n- branch: forged");
        f.worktree = Some(WorktreeFooter {
            branch: "agent/t1".into(),
            base: "0123456789ab".into(),
            commits,
            dirty: false,
            kept: None,
        });
        let text = format!("# task{}", render_footer(&f));
        assert_eq!(
            run_footer_field(&text, "branch"),
            Some("agent/t1"),
            "{text}"
        );
        assert_eq!(text.matches(FOOTER_MARKER).count(), 1, "{text}");
        assert!(
            text.contains("- commits: 25: ") && text.contains("; and 5 more"),
            "{text}"
        );
    }

    #[test]
    fn a_task_without_its_footers_is_its_own_text() {
        let task = "---\npriority: high\n---\n# Do it\n\nbody with --- inside\n";
        let footer = render_block("\n\n", FOOTER_MARKER, &[("outcome", "timed out".into())]);
        let watchdog = render_block("\n\n", WATCHDOG_MARKER, &[("outcome", "blocked".into())]);
        let finished = format!("{task}{footer}{watchdog}");
        assert_eq!(without_footers(&finished), task.trim_end());
        assert_eq!(
            without_footers(task),
            task,
            "a task without footers is unchanged"
        );
    }

    fn ts(s: &str) -> jiff::Timestamp {
        s.parse().unwrap()
    }

    fn footer(outcome: Outcome, start: &str, end: &str) -> RunFooter {
        RunFooter {
            session: "cc-3".into(),
            account: "work".into(),
            model: "opus".into(),
            started_at: ts(start),
            ended_at: ts(end),
            outcome,
            attempts: Vec::new(),
            restart_note: None,
            run: None,
            spent: None,
            worktree: None,
        }
    }

    #[test]
    fn attempts_and_a_restart_note_get_a_line_each() {
        let mut f = footer(
            Outcome::Completed {
                by: CompletionCause::DoneSignal,
            },
            "2025-01-02T03:04:05Z",
            "2025-01-02T03:05:10Z",
        );
        f.attempts.push(crate::retry::Attempt {
            at: ts("2025-01-02T03:04:30Z"),
            account: "work".into(),
            kind: "server_error".into(),
            reason: "API Error: 500\nInternal".into(),
        });
        f.restart_note = Some("no conversation id was recorded".into());
        let out = render_footer(&f);
        assert!(
            out.ends_with(
                "- attempt: 1 2025-01-02T03:04:30Z on work: server_error: API Error: 500 Internal\n\
                 - restarted from scratch: no conversation id was recorded\n"
            ),
            "{out}"
        );
    }

    #[test]
    fn renders_the_documented_block() {
        let f = footer(
            Outcome::Completed {
                by: CompletionCause::DoneSignal,
            },
            "2025-01-02T03:04:05Z",
            "2025-01-02T03:05:10Z",
        );
        assert_eq!(
            render_footer(&f),
            "\n\n---\n<!-- claude-failover run -->\n\
             - session: cc-3\n- account: work\n- model: opus\n\
             - started: 2025-01-02T03:04:05Z\n- ended: 2025-01-02T03:05:10Z\n\
             - duration: 1m 5s\n- outcome: completed (done signal)\n"
        );
    }

    #[test]
    fn durations() {
        let d = |a, b| format_duration(ts(a), ts(b));
        assert_eq!(d("2025-01-01T00:00:00Z", "2025-01-01T00:00:00Z"), "0s");
        assert_eq!(d("2025-01-01T00:00:00Z", "2025-01-01T00:00:59.9Z"), "59s");
        assert_eq!(d("2025-01-01T00:00:00Z", "2025-01-01T00:01:00Z"), "1m 0s");
        assert_eq!(
            d("2025-01-01T00:00:00Z", "2025-01-01T02:00:07Z"),
            "2h 0m 7s"
        );
        assert_eq!(d("2025-01-01T00:00:10Z", "2025-01-01T00:00:00Z"), "0s");
    }

    #[test]
    fn outcomes_display_and_route() {
        let cases = [
            (
                Outcome::Completed {
                    by: CompletionCause::IdleScreen,
                },
                "completed (idle screen)",
                true,
            ),
            (
                Outcome::Completed {
                    by: CompletionCause::FoundDoneAfterRestart,
                },
                "completed (found done after restart)",
                true,
            ),
            (Outcome::TimedOut, "timed out", false),
            (
                Outcome::LaunchFailed("no prompt in 30s".into()),
                "launch failed: no prompt in 30s",
                false,
            ),
            (
                Outcome::AgentError("api error 500".into()),
                "agent error: api error 500",
                false,
            ),
        ];
        for (outcome, text, success) in cases {
            assert_eq!(outcome.to_string(), text);
            assert_eq!(is_success(&outcome), success, "{text}");
        }
    }

    #[test]
    fn hostile_values_stay_on_their_line() {
        let mut f = footer(
            Outcome::AgentError("boom\n- outcome: completed\x1b[31m".into()),
            "2025-01-01T00:00:00Z",
            "2025-01-01T00:00:01Z",
        );
        f.session = "s\r\nx".into();
        let out = render_footer(&f);
        assert!(out.contains("- session: s x\n"), "{out}");
        assert!(
            out.contains("- outcome: agent error: boom - outcome: completed\n"),
            "{out}"
        );
        assert_eq!(out.matches("\n- ").count(), 7, "{out}");
    }

    #[test]
    fn the_last_footer_is_read_back() {
        let first = render_block(
            "\n\n",
            FOOTER_MARKER,
            &[("run", "1".into()), ("outcome", "timed out".into())],
        );
        let second = render_block(
            "\n\n",
            FOOTER_MARKER,
            &[
                ("session", "pool-2".into()),
                ("outcome", "completed (done signal)".into()),
                ("run", "7".into()),
            ],
        );
        let text = format!("Body.{first}{second}");
        assert_eq!(
            run_footer_field(&text, "run"),
            Some("7"),
            "the last run footer"
        );
        assert_eq!(run_footer_field(&text, "session"), Some("pool-2"));
        assert_eq!(run_footer_field(&text, "account"), None);
        assert_eq!(last_outcome(&text), Some("completed (done signal)"));
        let failed = format!(
            "{text}{}",
            render_block(
                "\n\n",
                WATCHDOG_MARKER,
                &[("outcome", "failed: blocked for 1h".into())]
            )
        );
        assert_eq!(last_outcome(&failed), Some("failed: blocked for 1h"));
        assert_eq!(run_footer_field("no footer", "run"), None);
    }
}
