//! The daemon in-process, on a scripted terminal and tokio's paused time: dispatch, completion
//! (signal, screen, timeout), the dependency gate, recovery after a restart, an account swap,
//! and the all-exhausted pause. Each test runs in milliseconds and is deterministic; the
//! end-to-end tests on real tmux (crates/cli/tests) remain the proof that the pieces fit.

mod agent;
mod harness;
mod shell_words;
mod terminal;
mod worktrees;

mod completion;
mod errors;
mod failover;
mod gate;
mod outage;
mod placement;
mod project_limits;
mod recovery;
mod secrets;
