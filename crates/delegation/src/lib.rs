//! Delegation of tasks to the external job platform: the `.delegated` sidecar, the manager
//! that submits (falling back to the local pool) and reaps results into `done/`/`failed/`,
//! its counters and status snapshot, and the logic of the `delegate` script subcommands.
//!
//! The sidecars are the whole state: a restarted daemon builds a new
//! [`DelegationManager`] and its first [`DelegationManager::reap_once`] resumes tracking.
//! While `<id>.md.delegated` exists the task must not be dispatched locally.

mod config;
mod error;
mod footer;
mod manager;
mod reap;
pub mod script;
mod sidecar;

pub use config::DelegationConfig;
pub use error::DelegationError;
pub use footer::DELEGATION_FOOTER_MARKER;
pub use manager::{ActiveJob, CounterSnapshot, DelegationManager, Submitted, disabled_snapshot};
pub use reap::{ReapOutcome, Reaped};
pub use sidecar::{DelegatedSidecar, delegated_sidecar_path, read_sidecar, write_sidecar};
