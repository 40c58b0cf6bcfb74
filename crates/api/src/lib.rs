//! The HTTP status and control API of claude-failover: read-only views of the daemon's state
//! (status, sessions, tasks, swaps, watchdog, delegation, Prometheus metrics, server-sent
//! events) and two token-guarded changes (ask for an account swap, add a task).
//!
//! Build an [`ApiConfig`], [`ApiConfig::check`] it (a non-loopback address needs a token),
//! bind a listener ([`ApiConfig::bind`]) and run [`serve`] with an [`ApiState`] until the
//! shutdown future resolves.

mod auth;
mod config;
mod dashboard;
mod error;
mod events;
mod metrics;
mod panes;
mod read;
mod router;
mod state;
mod write;

pub use config::{ApiConfig, ApiToken, DEFAULT_LISTEN, MIN_TOKEN_CHARS};
pub use error::ApiError;
pub use router::serve;
pub use state::{ApiState, DelegationStats, NoDelegation, relay_notices};
pub use write::MAX_TASK_CONTENT_BYTES;
