//! The tmux adapter: the only code in claude-failover that runs tmux.
//!
//! Every operation is one `tmux` process (tokio), with every argument its own argv
//! element (no shell), a deadline, and exact-match targets (`=name`, `=name:`) so that
//! `ccl-auto-1` never hits `ccl-auto-11`. Session names are validated before use
//! ([`validate_session_name`]). Typed and pasted text never appears in errors or logs,
//! only its length; pasted text travels on stdin, never in argv.

mod command;
mod error;
mod input;
mod names;
mod screen;
mod sessions;

use std::path::PathBuf;
use std::time::Duration;

pub use error::TmuxError;
pub use input::Key;
pub use names::validate_session_name;
pub use screen::PaneInfo;
pub use sessions::NewSession;

/// How long one tmux call may take unless [`Tmux::with_timeout`] says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// A handle on one tmux server (the user's default one, or a named socket).
///
/// Cheap to clone; holds no connection: each call starts one tmux client process.
#[derive(Debug, Clone)]
pub struct Tmux {
    /// `-L` socket name; `None` talks to the user's default server (or `$TMUX`'s).
    socket: Option<String>,
    /// The tmux executable, `tmux` (found on PATH) unless overridden.
    program: PathBuf,
    /// `-f` configuration file, read only when a command starts the server.
    config_file: Option<PathBuf>,
    /// Deadline for each tmux process; it is killed when the deadline passes.
    timeout: Duration,
    /// Variables left out of every tmux process's environment: a server that a command
    /// starts hands its environment to every shell and agent in it.
    hidden_env: Vec<String>,
}

impl Tmux {
    /// A handle on the server at socket name `socket` (`tmux -L socket`), or on the
    /// user's default server when `None`.
    pub fn new(socket: Option<String>) -> Self {
        Self {
            socket,
            program: PathBuf::from("tmux"),
            config_file: None,
            timeout: DEFAULT_TIMEOUT,
            hidden_env: Vec::new(),
        }
    }

    /// Leaves `names` out of the environment of every tmux process (and so of a server one
    /// starts, and of every session in it): secrets the daemon holds must not reach an agent.
    pub fn without_env(mut self, names: impl IntoIterator<Item = String>) -> Self {
        self.hidden_env.extend(names);
        self
    }

    /// Uses another tmux executable (e.g. an absolute path).
    pub fn with_program(mut self, program: impl Into<PathBuf>) -> Self {
        self.program = program.into();
        self
    }

    /// Passes `-f file` so a server started by us reads that configuration instead of
    /// `~/.tmux.conf` (tests use `/dev/null` for a predictable server).
    pub fn with_config_file(mut self, file: impl Into<PathBuf>) -> Self {
        self.config_file = Some(file.into());
        self
    }

    /// Sets the deadline for each tmux call (default [`DEFAULT_TIMEOUT`]).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The `-L` socket name, if any.
    pub fn socket(&self) -> Option<&str> {
        self.socket.as_deref()
    }

    /// The deadline for each tmux call.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }
}
