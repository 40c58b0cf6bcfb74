//! The pure decision core of claude-failover.
//!
//! Everything here takes data (and, where time matters, a `now` passed in) and
//! returns data or decisions. Nothing in this crate reads the clock, touches the
//! disk, runs a process or sleeps: that is what makes it testable with plain
//! values and the recorded screens.

pub mod alert;
pub mod deps;
pub mod failover;
pub mod footer;
pub mod order;
pub mod placement;
pub mod pool;
pub mod quota;
pub mod resume;
pub mod retry;
pub mod route;
pub mod screen;
pub mod shell;
pub mod task;
pub mod text;
pub mod transcript;
pub mod turn;
pub mod usage;
pub mod watch;
pub mod watchdog;
pub mod worktree;

pub use task::{Priority, TaskDoc, TaskId, TaskKey};
