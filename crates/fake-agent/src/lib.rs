//! A stand-in for the Claude Code TUI, for tests and demos: same screens, hooks, transcript and
//! resume behaviour as the recordings in `shared/claude-code/`, with scripted turns.
//!
//! Entry point: [`run`]. Environment: `CLAUDE_CONFIG_DIR`, `IS_SANDBOX`, `TMUX_PANE`,
//! `FAKE_AGENT_WORK` (default turn length), `FAKE_AGENT_RECORD` (prompt log). Files in the
//! config dir: `fake-quota` (account-wide usage limit, see [`limit`]) and `fake-account-name`
//! (the `account_marker` of record lines).

pub mod app;
pub mod args;
pub mod directive;
pub mod editor;
pub mod hooks;
pub mod ids;
pub mod info;
pub mod input;
pub mod limit;
pub mod menu;
pub mod outcome;
pub mod paths;
pub mod record;
pub mod render;
mod session;
pub mod terminal;
pub mod transcript;

/// Runs the fake client with `args` (without the program name); returns the exit status:
/// 0 after `/exit` or Ctrl-C twice, 1 on a refused start (root, unknown resume id, no
/// terminal), 2 on bad arguments or environment.
pub fn run(args: Vec<String>) -> i32 {
    session::run(&args)
}
