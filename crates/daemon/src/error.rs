//! The daemon's errors, typed, each keeping its source: what cannot start (and what to fix),
//! a loop that died, a status that cannot be read. The binary prints the whole chain. Large
//! sources are boxed, so that every `Result` of the start-up stays small.

use std::path::PathBuf;

use cf_queue::QueueError;
use cf_store::StoreError;

use crate::lock::LockError;

/// Why the daemon cannot start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// A folder it needs cannot be created.
    #[error("cannot create {what} {}", path.display())]
    CreateDir {
        /// Which setting names it (`state_dir`, `watcher.done_signal_dir`, …).
        what: &'static str,
        /// The folder.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: std::io::Error,
    },
    /// `dispatcher.projects_dir` is not a folder.
    #[error(
        "dispatcher.projects_dir {} is not a directory: create it or fix the config",
        path.display()
    )]
    NoProjectsDir {
        /// The configured path.
        path: PathBuf,
    },
    /// Another daemon runs on the state dir (or the lock cannot be taken).
    #[error(transparent)]
    Lock(#[from] LockError),
    /// The store cannot be opened.
    #[error("cannot open the store {}", path.display())]
    Store {
        /// The SQLite file.
        path: PathBuf,
        /// What went wrong (boxed: it is large).
        #[source]
        source: Box<StoreError>,
    },
    /// inotify cannot start.
    #[error("cannot start the filesystem watcher (inotify)")]
    Watcher(#[source] Box<QueueError>),
    /// A fixed folder cannot be watched.
    #[error("cannot watch {what} {}", path.display())]
    Watch {
        /// Which folder (`the done-signal dir`, `projects_dir`, …).
        what: &'static str,
        /// The folder.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: Box<QueueError>,
    },
    /// The links shared between the accounts cannot be made.
    #[error("cannot prepare the links shared between accounts")]
    SharedLinks(#[source] Box<cf_accounts::AccountsError>),
    /// A link points elsewhere, or something is in the way.
    #[error(
        "the accounts' shared state is not linked safely, so failover could lose conversations:\n{report}"
    )]
    UnsafeLinks {
        /// The link report, a problem per line.
        report: String,
    },
    /// The agent's env file cannot be written.
    #[error(transparent)]
    AgentEnv(Box<crate::launch_spec::AgentEnvError>),
    /// `delegation.base_url` is set but the platform client cannot be built.
    #[error("delegation.base_url is set but the platform client cannot be built")]
    Delegation(#[source] Box<cf_delegation::DelegationError>),
}

/// Why the loop ended badly.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The loop's task panicked (a bug: the log has the panic).
    #[error("the daemon task panicked")]
    Panicked(#[source] tokio::task::JoinError),
}

/// Why `status` cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum StatusError {
    /// The store cannot be read.
    #[error("cannot read the store")]
    Store(#[from] StoreError),
    /// The blocking read panicked.
    #[error("the status report task panicked")]
    Panicked(#[source] tokio::task::JoinError),
}

/// An error and its sources joined with `: `, for notices, the store and footers (one line; a
/// source whose text its parent already says is not repeated).
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let said = cause.to_string();
        if !text.contains(&said) {
            text.push_str(": ");
            text.push_str(&said);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chain_is_said_once_per_cause() {
        let launch = crate::launch::LaunchError::Tmux(cf_tmux::TmuxError::InvalidArgument {
            operation: "send-keys",
            reason: "bad digit".into(),
        });
        assert_eq!(
            error_chain(&launch),
            "tmux failed during the launch: invalid argument for tmux send-keys: bad digit"
        );
        let plain = crate::launch::LaunchError::AgentExited("bye".into());
        assert_eq!(error_chain(&plain), plain.to_string());
    }
}
