//! What can go wrong in delegation outside the platform calls themselves: sidecars and config.

use std::path::PathBuf;

use cf_platform::PlatformConfigError;

/// Why a sidecar could not be written or read, or the delegation config is unusable.
#[derive(Debug, thiserror::Error)]
pub enum DelegationError {
    /// `<task>.md.delegated` exists already: the task was submitted before.
    #[error(
        "delegated sidecar {path} already exists: the task is already tracked as a platform job; \
         remove the sidecar only if that job is abandoned"
    )]
    SidecarExists {
        /// The existing sidecar.
        path: PathBuf,
    },
    /// A filesystem operation on a sidecar failed.
    #[error("cannot {op} {path}: {source}; check the inbox folder's permissions and free space")]
    Io {
        /// The path the operation was on.
        path: PathBuf,
        /// What was being done.
        op: &'static str,
        /// The OS error.
        source: std::io::Error,
    },
    /// The sidecar could not be read safely (symlink, too large, not a regular file).
    #[error("cannot read delegated sidecar: {0}")]
    Read(#[from] cf_queue::ReadError),
    /// The sidecar is not the JSON this crate writes.
    #[error(
        "delegated sidecar {path} is not valid: {detail}; it should hold the JSON fields job_id, \
         provider, submitted_at and priority (fix or remove it; removing it makes the task run locally)"
    )]
    BadSidecar {
        /// The sidecar.
        path: PathBuf,
        /// What the JSON parser said (field and position).
        detail: String,
    },
    /// `delegation.base_url` or the API key variable is unusable.
    #[error("delegation config: {0}")]
    Config(#[from] PlatformConfigError),
    /// The HTTP client could not be built.
    #[error("delegation: {0}")]
    Client(#[from] cf_platform::PlatformError),
}
