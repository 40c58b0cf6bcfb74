//! `claude-failover hook stop|stop-failure`: run by Claude Code at the end of a turn.
//!
//! Writes the done signal for the tmux session the agent runs in. It must never break
//! the agent: every problem is reported on stderr and the exit status is always 0.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use cf_daemon::signals::{SignalKind, SignalPayload, write_signal};

#[derive(Debug, clap::Args)]
pub struct HookArgs {
    /// Which hook this is.
    #[arg(value_enum)]
    event: HookEventArg,
    /// Where the daemon watches for done signals (`watcher.done_signal_dir`).
    #[arg(long, value_name = "DIR")]
    signal_dir: PathBuf,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum HookEventArg {
    Stop,
    StopFailure,
}

/// The environment variable the daemon sets for the agents it launches.
const SESSION_VAR: &str = "CLAUDE_FAILOVER_SESSION";

pub fn run(args: &HookArgs) -> anyhow::Result<ExitCode> {
    let mut input = Vec::new();
    let _ = std::io::stdin().take(1024 * 1024).read_to_end(&mut input);
    let Ok(session) = std::env::var(SESSION_VAR) else {
        // Not an agent the daemon launched: nothing to signal.
        return Ok(ExitCode::SUCCESS);
    };
    let kind = match args.event {
        HookEventArg::Stop => SignalKind::Done,
        HookEventArg::StopFailure => SignalKind::StopFailure,
    };
    let payload = SignalPayload::from_hook_input(&input, jiff::Timestamp::now());
    if cf_daemon::signals::parse_signal_name(&format!("agent-done-{session}")).is_none() {
        eprintln!("claude-failover hook: ignoring the invalid session name in ${SESSION_VAR}");
        return Ok(ExitCode::SUCCESS);
    }
    if let Err(e) = write_signal(&args.signal_dir, kind, &session, &payload) {
        eprintln!(
            "claude-failover hook: cannot write the done signal in {}: {e}",
            args.signal_dir.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}
