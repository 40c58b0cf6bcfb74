//! A stand-in for the Claude Code TUI, for tests and demos: same screens, hooks, transcript and
//! resume behaviour as the recordings in `shared/claude-code/`, with scripted turns.

pub mod app;
pub mod args;
pub mod directive;
pub mod editor;
pub mod hooks;
pub mod ids;
pub mod input;
pub mod outcome;
pub mod paths;
pub mod record;
pub mod render;
pub mod transcript;

/// Runs the fake client with `args` (without the program name); returns the exit status.
pub fn run(args: Vec<String>) -> i32 {
    let _ = args;
    0
}
