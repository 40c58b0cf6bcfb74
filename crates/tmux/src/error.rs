//! The error type of the tmux adapter, and how a failed tmux run is classified.

use std::time::Duration;

/// Everything that can go wrong when the adapter drives tmux.
///
/// `command` fields hold the tmux command line as run (every argument a separate argv
/// element, shown space-separated), except that pasted text, typed text and environment
/// values are replaced by their length: they may be long or secret.
#[derive(Debug, thiserror::Error)]
pub enum TmuxError {
    /// A session name that tmux would resolve, rewrite or expand differently from how it
    /// is written; it was refused before anything was sent to tmux.
    #[error(
        "invalid tmux session name {name:?}: {reason}; use a non-empty name without `:`, `.`, `#`, `\\` or control characters that does not start with `=` or `-`"
    )]
    InvalidSessionName {
        /// The refused name, so the operator can find it in the configuration.
        name: String,
        /// Which rule it broke.
        reason: &'static str,
    },

    /// Some other argument was refused before anything was sent to tmux.
    #[error("invalid argument for tmux {operation}: {reason}")]
    InvalidArgument {
        /// The adapter operation that refused it (e.g. `new-session`).
        operation: &'static str,
        /// What was wrong and what to do instead.
        reason: String,
    },

    /// No tmux server runs on the socket; only operations that need one report this
    /// (listing sessions on a missing server is simply an empty list).
    #[error("no tmux server is running ({command}): {stderr}; start a session first")]
    NoServer {
        /// The command line that found no server.
        command: String,
        /// tmux's own words, trimmed.
        stderr: String,
    },

    /// The named session does not exist (exact name match).
    #[error("tmux session {session:?} does not exist ({command}): {stderr}")]
    NoSuchSession {
        /// The session that was targeted.
        session: String,
        /// The command line that missed it.
        command: String,
        /// tmux's own words, trimmed.
        stderr: String,
    },

    /// `new-session` found a session of that name already there.
    #[error("tmux session {session:?} already exists ({command}); kill it or pick another name")]
    SessionExists {
        /// The name that is taken.
        session: String,
        /// The command line that was refused.
        command: String,
    },

    /// tmux ran and exited unsuccessfully for another reason.
    #[error("tmux command failed with {status} ({command}): {stderr}")]
    Failed {
        /// The command line that failed.
        command: String,
        /// The exit status as printed by the OS (e.g. `exit status: 1`).
        status: String,
        /// tmux's own words, trimmed.
        stderr: String,
    },

    /// tmux did not finish within the deadline; the child was killed.
    #[error(
        "tmux command did not finish within {timeout:?} ({command}); the tmux server may be hung or overloaded"
    )]
    Timeout {
        /// The command line that hung.
        command: String,
        /// The deadline that passed.
        timeout: Duration,
    },

    /// The tmux program could not be started or talked to.
    #[error("could not run tmux ({command}): {source}; check that tmux is installed and on PATH")]
    Io {
        /// The command line that could not run.
        command: String,
        /// The operating system's reason.
        #[source]
        source: std::io::Error,
    },

    /// tmux answered, but not in the shape the adapter asked for.
    #[error("unexpected output from tmux ({command}): {detail}")]
    UnexpectedOutput {
        /// The command line whose output was not understood.
        command: String,
        /// What was expected and what came instead.
        detail: String,
    },
}

/// What tmux's stderr says about why a command failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FailureKind {
    /// No server listens on the socket.
    NoServer,
    /// The target session (or its window or pane) is not there.
    NoSuchTarget,
    /// `new-session` with a name already in use.
    DuplicateSession,
    /// Anything else.
    Other,
}

/// Reads tmux 3.x's stderr wording to tell the common failures apart.
pub(crate) fn classify_stderr(stderr: &str) -> FailureKind {
    let text = stderr.trim();
    // A server exits when its last session ends; clients racing with that exit see
    // "server exited unexpectedly" / "lost server" ("no current target" while it still
    // answers with no sessions left).
    if text.starts_with("no server running on")
        || text.starts_with("server exited unexpectedly")
        || text.starts_with("lost server")
        || (text.starts_with("error connecting to") && text.contains("No such file or directory"))
    {
        FailureKind::NoServer
    } else if text.starts_with("can't find session")
        || text.starts_with("no such session")
        || text.starts_with("can't find window")
        || text.starts_with("no such window")
        || text.starts_with("can't find pane")
        || text.starts_with("no such pane")
        || text.starts_with("no current target")
    {
        FailureKind::NoSuchTarget
    } else if text.starts_with("duplicate session") {
        FailureKind::DuplicateSession
    } else {
        FailureKind::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_tmux_3_3_messages() {
        assert_eq!(
            classify_stderr("no server running on /tmp/tmux-0/x\n"),
            FailureKind::NoServer
        );
        assert_eq!(
            classify_stderr("error connecting to /tmp/tmux-0/x (No such file or directory)"),
            FailureKind::NoServer
        );
        assert_eq!(
            classify_stderr("error connecting to /tmp/tmux-0/x (Permission denied)"),
            FailureKind::Other
        );
        assert_eq!(
            classify_stderr("can't find session: ccl-auto-1"),
            FailureKind::NoSuchTarget
        );
        assert_eq!(
            classify_stderr("no such session: =ccl-auto-1"),
            FailureKind::NoSuchTarget
        );
        assert_eq!(
            classify_stderr("can't find pane: =x"),
            FailureKind::NoSuchTarget
        );
        assert_eq!(
            classify_stderr("server exited unexpectedly"),
            FailureKind::NoServer
        );
        assert_eq!(
            classify_stderr("no current target"),
            FailureKind::NoSuchTarget
        );
        assert_eq!(
            classify_stderr("duplicate session: a"),
            FailureKind::DuplicateSession
        );
        assert_eq!(classify_stderr("no buffer cf-1"), FailureKind::Other);
    }

    #[test]
    fn messages_are_lowercase_and_name_the_command() {
        let error = TmuxError::Failed {
            command: "tmux -L s capture-pane -p -t =a:".to_owned(),
            status: "exit status: 1".to_owned(),
            stderr: "boom".to_owned(),
        };
        let text = error.to_string();
        assert!(text.starts_with("tmux command failed"), "{text}");
        assert!(text.contains("capture-pane -p -t =a:"), "{text}");
        assert!(text.contains("exit status: 1"), "{text}");
    }
}
