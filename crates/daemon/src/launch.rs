//! Starting the agent in a pool session and submitting a task to it.
//!
//! Runs in its own tokio task (it waits on the agent for seconds) and reports back to
//! the loop with [`crate::Event::LaunchFinished`]. The steps follow what the real
//! Claude Code needs (see `claude-code/README.md` §d): type the launch line into the
//! session's shell, wait for the idle prompt, paste the task as a bracketed paste,
//! press Enter as its own call once the paste has registered, then verify that the
//! agent started working, pressing Enter again while the text still sits in the input.

use std::time::Duration;

use cf_core::screen::{self, ScreenState};
use cf_tmux::Key;

use crate::terminal::Terminal;
use tokio::time::Instant;

/// Everything a launch needs, decided by the loop before the task is spawned.
#[derive(Debug, Clone)]
pub struct LaunchPlan {
    /// The pool session.
    pub session: String,
    /// The shell line that starts the agent (quoted by `cf_core::shell`).
    pub command_line: String,
    /// Printed by the shell when the agent exits (`<marker> (status N)`): tells a start-up
    /// failure at once, and is unique per launch so an old one on screen cannot fool us.
    pub exit_marker: String,
    /// The sanitized task message to paste.
    pub message: String,
    /// Values that must never appear in an error (the agent's env values: they are on the
    /// screen, in the typed launch line, and an error quotes the screen).
    pub secrets: Vec<String>,
    /// How long the agent may take to show its prompt.
    pub prompt_timeout: Duration,
    /// How long a previous agent may take to give the shell back.
    pub shell_timeout: Duration,
    /// How long after the submit the agent must show that it took the task.
    pub verify_timeout: Duration,
    /// How often to look at the screen while waiting.
    pub poll: Duration,
    /// The slow git step to take before anything is typed (a worktree to make), if any.
    pub preparation: Option<crate::worktree::Preparation>,
}

/// How the launch knew the agent took the task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verified {
    /// The screen showed the agent working.
    Busy,
    /// The agent already finished a turn (a very short task).
    TurnFinished,
}

/// A successful launch.
#[derive(Debug, Clone)]
pub struct LaunchReport {
    /// How the submit was verified.
    pub verified: Verified,
    /// How many Enters it took (1 normally).
    pub enters: u32,
    /// Time from the start of the launch to the verified submit.
    pub elapsed: Duration,
}

/// Why a launch failed; the loop puts the task back and cools the session down.
#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    /// tmux refused or failed.
    #[error("tmux failed during the launch")]
    Tmux(#[from] cf_tmux::TmuxError),
    /// The previous program in the session did not give the shell back.
    #[error("session is not at its shell after {0:?} (running `{1}`)")]
    ShellBusy(Duration, String),
    /// The agent exited during start-up (bad flag, refused as root, …).
    #[error("the agent exited during start-up; last screen lines: {0}")]
    AgentExited(String),
    /// The agent did not show its prompt in time.
    #[error("the agent did not show its input prompt within {0:?}; last screen lines: {1}")]
    PromptTimeout(Duration, String),
    /// The submit could not be verified.
    #[error(
        "the agent did not start working within {0:?} after the task was submitted; last screen lines: {1}"
    )]
    NotStarted(Duration, String),
    /// The folder the task works in could not be made ready (its git worktree): nothing was
    /// started, and the task fails with the reason.
    #[error("{0}")]
    Workspace(String),
}

/// Shell programs: while one of these is the pane's foreground command, no agent runs there.
pub fn is_shell(command: &str) -> bool {
    let name = command.trim_start_matches('-');
    matches!(
        name,
        "bash"
            | "sh"
            | "zsh"
            | "fish"
            | "dash"
            | "ksh"
            | "mksh"
            | "tcsh"
            | "csh"
            | "ash"
            | "busybox"
    )
}

/// The last few non-blank lines of a screen, joined, for error messages, with every secret
/// replaced by `<redacted>`.
pub fn screen_tail(screen: &str, lines: usize, secrets: &[String]) -> String {
    let rows: Vec<&str> = screen
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.is_empty())
        .collect();
    let start = rows.len().saturating_sub(lines);
    redact(&rows[start..].join(" | "), secrets)
}

/// `text` with every secret replaced by `<redacted>`. Very short values are left alone: they
/// cannot be told apart from ordinary words (and are no secrets).
pub fn redact(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_string();
    for secret in secrets.iter().filter(|s| s.len() >= 4) {
        out = out.replace(secret.as_str(), "<redacted>");
    }
    out
}

/// Runs the whole launch. On error nothing is left half-done that the loop does not clean up:
/// the loop kills the session after a failed launch.
pub async fn launch(tmux: &dyn Terminal, plan: &LaunchPlan) -> Result<LaunchReport, LaunchError> {
    let started = Instant::now();
    wait_for_shell(tmux, plan).await?;
    let line = format!(
        "{}; printf '\\n%s (status %s)\\n' '{}' \"$?\"",
        plan.command_line, plan.exit_marker
    );
    tmux.type_text(&plan.session, &line).await?;
    tmux.press(&plan.session, Key::Enter).await?;
    let ready_screen = wait_for_prompt(tmux, plan).await?;
    let before = ScreenBefore {
        turns: screen::turn_count(&ready_screen),
        echoes: echo_count(&ready_screen, &plan.message),
    };

    tmux.paste(&plan.session, &plan.message).await?;
    wait_for_paste(tmux, plan).await?;
    tmux.press(&plan.session, Key::Enter).await?;
    let (verified, enters) = verify_started(tmux, plan, &before).await?;
    Ok(LaunchReport {
        verified,
        enters,
        elapsed: started.elapsed(),
    })
}

async fn wait_for_shell(tmux: &dyn Terminal, plan: &LaunchPlan) -> Result<(), LaunchError> {
    let deadline = Instant::now() + plan.shell_timeout;
    loop {
        let info = tmux.pane_info(&plan.session).await?;
        if is_shell(&info.current_command) {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(LaunchError::ShellBusy(
                plan.shell_timeout,
                info.current_command,
            ));
        }
        tokio::time::sleep(plan.poll).await;
    }
}

async fn wait_for_prompt(tmux: &dyn Terminal, plan: &LaunchPlan) -> Result<String, LaunchError> {
    let deadline = Instant::now() + plan.prompt_timeout;
    let mut agent_seen = false;
    loop {
        let info = tmux.pane_info(&plan.session).await?;
        let at_shell = is_shell(&info.current_command);
        let screen = tmux.capture_screen(&plan.session).await?;
        if !at_shell {
            agent_seen = true;
            // Never paste unless the agent, not a shell, owns the terminal and shows its prompt.
            let reading = screen::classify(&screen);
            if reading.state == ScreenState::Idle {
                return Ok(screen);
            }
        }
        if (at_shell && agent_seen) || exited(&screen, &plan.exit_marker) {
            return Err(LaunchError::AgentExited(screen_tail(
                &screen,
                4,
                &plan.secrets,
            )));
        }
        if Instant::now() >= deadline {
            return Err(LaunchError::PromptTimeout(
                plan.prompt_timeout,
                screen_tail(&screen, 4, &plan.secrets),
            ));
        }
        tokio::time::sleep(plan.poll).await;
    }
}

/// Whether the shell printed this launch's exit marker with a status.
fn exited(screen: &str, marker: &str) -> bool {
    let needle = format!("{marker} (status ");
    screen.lines().any(|line| {
        line.find(&needle)
            .is_some_and(|at| line[at + needle.len()..].starts_with(|c: char| c.is_ascii_digit()))
    })
}

/// Waits until the paste shows in the input (or the agent already took it).
async fn wait_for_paste(tmux: &dyn Terminal, plan: &LaunchPlan) -> Result<(), LaunchError> {
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let screen = tmux.capture_screen(&plan.session).await?;
        match screen::classify(&screen).state {
            ScreenState::InputPending | ScreenState::Busy => return Ok(()),
            _ if Instant::now() >= deadline => {
                // Enter on an empty input does nothing; the verification will tell.
                return Ok(());
            }
            _ => tokio::time::sleep(plan.poll).await,
        }
    }
}

async fn verify_started(
    tmux: &dyn Terminal,
    plan: &LaunchPlan,
    before: &ScreenBefore,
) -> Result<(Verified, u32), LaunchError> {
    const RETRY_ENTER_AFTER: Duration = Duration::from_millis(700);
    const MAX_ENTERS: u32 = 4;
    let deadline = Instant::now() + plan.verify_timeout;
    let mut enters = 1;
    let mut last_enter = Instant::now();
    loop {
        let screen = tmux.capture_screen(&plan.session).await?;
        let reading = screen::classify(&screen);
        if reading.state == ScreenState::Busy {
            return Ok((Verified::Busy, enters));
        }
        if screen::turn_count(&screen) > before.turns {
            return Ok((Verified::TurnFinished, enters));
        }
        // A turn that ended at once on a usage limit or an API error draws no `✻ … for` line on
        // 2.1.329: our message echoed and idle again with such an ending is a turn that ran.
        if reading.state == ScreenState::Idle
            && echo_count(&screen, &plan.message) > before.echoes
            && ended_at_once(&screen, &plan.message)
        {
            return Ok((Verified::TurnFinished, enters));
        }
        if reading.state == ScreenState::InputPending
            && last_enter.elapsed() >= RETRY_ENTER_AFTER
            && enters < MAX_ENTERS
        {
            tmux.press(&plan.session, Key::Enter).await?;
            enters += 1;
            last_enter = Instant::now();
        }
        if Instant::now() >= deadline {
            return Err(LaunchError::NotStarted(
                plan.verify_timeout,
                screen_tail(&screen, 4, &plan.secrets),
            ));
        }
        tokio::time::sleep(plan.poll).await;
    }
}

/// What the ready screen showed before the submit: a finished turn counts only if it is new.
struct ScreenBefore {
    /// Completed-turn lines.
    turns: usize,
    /// Echoed prompts that start like our message (a resumed conversation may show earlier
    /// continue messages).
    echoes: usize,
}

/// How many echoed prompts (`❯ ` + a normal space) start like `message`.
fn echo_count(screen: &str, message: &str) -> usize {
    let first_line = message_start(message);
    if first_line.is_empty() {
        return 0;
    }
    screen
        .lines()
        .filter_map(|row| row.strip_prefix("❯ "))
        .filter(|prompt| prompt.starts_with(first_line.as_str()))
        .count()
}

/// The first characters of a message's first line, as the client echoes them.
fn message_start(message: &str) -> String {
    let start: String = message
        .lines()
        .next()
        .unwrap_or_default()
        .chars()
        .take(24)
        .collect();
    start.trim_end().to_string()
}

/// Whether the screen's last echoed prompt is `message` and the turn after it ended on a usage
/// limit or an API error reply (so that the replayed history of a resumed session, whose old
/// limit line sits above the prompt that is not echoed yet, never counts).
fn ended_at_once(screen: &str, message: &str) -> bool {
    let first_line = message_start(message);
    let echoed = screen
        .lines()
        .rev()
        .find_map(|row| row.strip_prefix("❯ "))
        .is_some_and(|prompt| !first_line.is_empty() && prompt.starts_with(first_line.as_str()));
    let ended = cf_core::turn::screen_error(screen).is_some()
        || cf_core::quota::detect(screen, jiff::Timestamp::now(), &jiff::tz::TimeZone::UTC)
            .is_some();
    echoed && ended
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_turn_that_ended_at_once_on_a_limit_counts_only_after_our_prompt() {
        let rule = "─".repeat(40);
        let limited = format!(
            "❯ Continue from where you left off.\n  ⎿  You've hit your 5-hour limit · resets 10:40am (UTC)\n{rule}\n❯\u{a0}\n{rule}\n"
        );
        assert!(ended_at_once(&limited, "Continue from where you left off."));
        assert!(
            !ended_at_once(&limited, "[t1.md] Fix the login bug"),
            "another prompt's turn"
        );
        let replayed = format!(
            "❯ [t1.md] Fix it\n  ⎿  You've hit your session limit · resets 10:40am (UTC)\n{rule}\n❯\u{a0}\n{rule}\n"
        );
        assert!(
            !ended_at_once(&replayed, "Continue from where you left off."),
            "the old limit of the replayed history"
        );
        // An earlier "continue" of the replayed history counts only if a new one was echoed.
        assert_eq!(echo_count(&limited, "Continue from where you left off."), 1);
        let twice = format!("❯ Continue from where you left off.\n{limited}");
        assert_eq!(echo_count(&twice, "Continue from where you left off."), 2);
    }

    #[test]
    fn shells_are_recognised() {
        for shell in ["bash", "-bash", "sh", "zsh", "fish", "dash"] {
            assert!(is_shell(shell), "{shell}");
        }
        for other in [
            "claude",
            "claude-failover",
            "node",
            "fake-claude",
            "vim",
            "",
        ] {
            assert!(!is_shell(other), "{other}");
        }
    }

    #[test]
    fn exit_marker_needs_a_status_number() {
        let marker = "claude-failover: launch 12 ended";
        let echo = "$ cd -- /p && 'claude' --model sonnet; printf '\\n%s (status %s)\\n' 'claude-failover: launch 12 ended' \"$?\"";
        assert!(
            !exited(echo, marker),
            "the typed line itself is not an exit"
        );
        assert!(exited(
            "bash: claude: command not found\nclaude-failover: launch 12 ended (status 127)\n$",
            marker
        ));
        assert!(
            !exited("claude-failover: launch 11 ended (status 0)", marker),
            "another launch's marker"
        );
    }

    #[test]
    fn tail_skips_blank_rows_and_hides_secrets() {
        assert_eq!(screen_tail("a\n\nb  \nc\n\n\n", 2, &[]), "b | c");
        let secrets = vec!["sk-ant-very-secret".to_string(), "1".to_string()];
        let screen = "$ cd -- /p && ANTHROPIC_API_KEY='sk-ant-very-secret' IS_SANDBOX=1 'claude'\nbash: claude: not found";
        let tail = screen_tail(screen, 4, &secrets);
        assert!(
            !tail.contains("sk-ant-very-secret") && tail.contains("<redacted>"),
            "{tail}"
        );
        assert!(
            tail.contains("IS_SANDBOX=1"),
            "values too short to be secrets stay: {tail}"
        );
    }
}
