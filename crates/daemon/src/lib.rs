//! The claude-failover daemon: one event loop that wires the pure core to its adapters.
//!
//! Inputs arrive as [`Event`]s (filesystem changes, finished launches, ticks); each is
//! handled to completion before the next. Slow work that must not stall the loop
//! (starting an agent and submitting a task takes seconds) runs in spawned tasks that
//! report back with an event. See `docs/ARCHITECTURE.md`.

pub mod account_view;
mod atomic;
mod clock;
mod complete;
mod conversation;
mod daemon;
pub mod delegate;
mod dispatch;
mod error;
mod event;
pub mod failover;
mod file_events;
mod finish;
mod gate;
mod health;
mod judge;
mod launch;
mod launch_spec;
mod launch_streak;
pub mod lock;
mod notice;
mod pool;
mod project_settings;
mod projects;
mod recover;
pub mod service;
pub mod signals;
mod slots;
pub mod status;
pub mod tasks;
pub mod terminal;
mod transcript;
mod upkeep;
mod usage;
pub mod waiting;
mod watchdog;
mod worktree;

pub use clock::{Clock, SystemClock, TokioClock};
pub use daemon::{Adapters, Daemon, DaemonOptions, RunningDaemon, store_path};
pub use dispatch::MAX_TASK_BYTES;
pub use error::{RunError, StartError, StatusError, error_chain};
pub use event::Event;
pub use file_events::FileEvents;
pub use health::BreakerView;
pub use notice::{Notice, NoticeKind};
pub use terminal::{SharedTerminal, Terminal};
