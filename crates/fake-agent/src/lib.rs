//! A stand-in for the Claude Code TUI, for tests and demos: same screens, hooks, transcript and
//! resume behaviour as the recordings in `shared/claude-code/`, with scripted turns.
//!
//! Entry point: [`run`]. Environment: `CLAUDE_CONFIG_DIR`, `IS_SANDBOX`, `TMUX_PANE`,
//! `FAKE_AGENT_WORK` (default turn length), `FAKE_AGENT_RECORD` (prompt log),
//! `FAKE_AGENT_CLIENT` (`2.1.197`, the default, or `2.1.329`: whose error turns to imitate),
//! `FAKE_AGENT_RETRIES` (default 2) and `FAKE_AGENT_RETRY_DELAY` (default 300ms: the client's own
//! retries of a 500/529 from the error switch), `ANTHROPIC_BASE_URL` (its host is the "inference
//! gateway" that server-error lines name; unset, they name https://status.claude.com). Files in
//! the config dir: `fake-quota` (account-wide usage limit, see [`limit`]), `fake-error`
//! (account-wide API error `<status> [client=…] [until=…]`, see [`error_switch`]; the usage
//! limit wins when both exist) and `fake-account-name` (the `account_marker` of record lines).
//! Prompt directives: see [`directive`] (`fake-agent:error=400|401|403|429|500|529`, …).
//!
//! Error turns copy `shared/claude-code/errors/` per client version: the `● …` line, on 2.1.197
//! `✻ Worked for Ns` and an empty input, on 2.1.329 no completion line and a dim input hint;
//! a StopFailure hook (never Stop) with `error`, `prompt_id` and `last_assistant_message`; a
//! `<synthetic>` transcript entry with `isApiErrorMessage`, `error` and `apiErrorStatus`, followed
//! by the lines that version writes. The 400 (`prompt is too long`) is not from a recording.

pub mod api_error;
pub mod app;
pub mod args;
pub mod client;
pub mod directive;
pub mod editor;
pub mod error_switch;
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
pub mod status_line;
pub mod terminal;
#[cfg(test)]
#[path = "../tests/support/sgr.rs"]
mod test_sgr;
pub mod transcript;
pub mod workspace;

/// Runs the fake client with `args` (without the program name); returns the exit status:
/// 0 after `/exit` or Ctrl-C twice, 1 on a refused start (root, unknown resume id, no
/// terminal), 2 on bad arguments or environment.
pub fn run(args: Vec<String>) -> i32 {
    session::run(&args)
}
