//! `claude-failover hook stop|stop-failure`: run by Claude Code at the end of a turn.
//!
//! Writes the done signal for the tmux session the agent runs in. It must never break
//! the agent: every problem is reported on stderr and the exit status is always 0.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::output::errln;
use cf_daemon::signals::{SignalKind, SignalPayload, write_session_id, write_signal};

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
    SessionStart,
    /// The `statusLine` command (prints one line).
    Statusline,
}

/// The environment variable the daemon sets for the agents it launches.
const SESSION_VAR: &str = "CLAUDE_FAILOVER_SESSION";

pub fn run(args: &HookArgs) -> anyhow::Result<ExitCode> {
    let mut input = Vec::new();
    let _ = std::io::stdin().take(1024 * 1024).read_to_end(&mut input);
    if let HookEventArg::Statusline = args.event {
        let session = tmux_session().filter(|s| cf_daemon::signals::is_signal_session_name(s));
        let line = super::statusline::run(&input, &args.signal_dir, session.as_deref());
        // The client draws what we print; a closed pipe is its business.
        let _ = std::io::Write::write_all(&mut std::io::stdout(), line.as_bytes());
        return Ok(ExitCode::SUCCESS);
    }
    let Some(session) = tmux_session() else {
        // Not inside tmux: no session to signal for.
        return Ok(ExitCode::SUCCESS);
    };
    if !cf_daemon::signals::is_signal_session_name(&session) {
        errln!(
            "claude-failover hook: ignoring the unusable session name `{}`",
            session.escape_debug()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let payload = SignalPayload::from_hook_input(&input, jiff::Timestamp::now());
    if payload.session_id.is_some()
        && let Err(e) = write_session_id(&args.signal_dir, &session, &payload)
    {
        errln!(
            "claude-failover hook: cannot record the session id in {}: {e}",
            args.signal_dir.display()
        );
    }
    let kind = match args.event {
        HookEventArg::Stop => SignalKind::Done,
        HookEventArg::StopFailure => SignalKind::StopFailure,
        HookEventArg::SessionStart | HookEventArg::Statusline => return Ok(ExitCode::SUCCESS),
    };
    // Only agents the daemon launched end tasks; a dedicated session's turns signal nothing.
    if std::env::var_os(SESSION_VAR).is_none() {
        return Ok(ExitCode::SUCCESS);
    }
    if let Err(e) = write_signal(&args.signal_dir, kind, &session, &payload) {
        errln!(
            "claude-failover hook: cannot write the done signal in {}: {e}",
            args.signal_dir.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The tmux session the agent runs in: set by the daemon for the agents it launches, else
/// asked from tmux for the pane in `$TMUX_PANE` (dedicated sessions the operator started).
fn tmux_session() -> Option<String> {
    if let Ok(session) = std::env::var(SESSION_VAR) {
        return Some(session);
    }
    let pane = std::env::var("TMUX_PANE").ok()?;
    std::env::var_os("TMUX")?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .ok()?;
    // No `-L`: tmux talks to the server in `$TMUX`, the one this pane belongs to.
    runtime
        .block_on(cf_tmux::Tmux::new(None).session_of_pane(&pane))
        .ok()
}
