//! Session lifecycle: list, look up, create, kill, environment, and killing the server.

use std::path::PathBuf;
use std::time::Duration;

use crate::Tmux;
use crate::command::{Arg, Invocation};
use crate::error::{FailureKind, TmuxError};
use crate::names::{
    escape_format, pane_target, reject_nul, session_target, validate_env_key, validate_session_name,
};

/// How often `new_session` tries when it meets a server that is exiting.
const NEW_SESSION_ATTEMPTS: u32 = 3;

/// Pause between those tries, long enough for the old server to finish exiting.
const NEW_SESSION_RETRY_PAUSE: Duration = Duration::from_millis(50);

/// What [`Tmux::new_session`] creates: a detached session with one window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    /// Session name (validated, see [`crate::validate_session_name`]).
    pub name: String,
    /// Working directory of the first pane; must be an existing directory (tmux would
    /// silently fall back to another one otherwise).
    pub cwd: PathBuf,
    /// Window width in columns: screen parsing depends on it, so it is explicit.
    pub width: u16,
    /// Window height in rows.
    pub height: u16,
    /// Variables set in the session environment and the first process (`-e K=V`);
    /// values never appear in errors or logs.
    pub env: Vec<(String, String)>,
    /// Shell command to run instead of the default shell; `None` starts the shell.
    /// tmux runs it as `default-shell -c command`; bash execs a lone command but dash
    /// does not, leaving `sh` as the pane's current command: write `exec program ...`
    /// when [`crate::PaneInfo::current_command`] must name the program.
    pub command: Option<String>,
}

impl Tmux {
    /// Names of all sessions on the server; no server running means no sessions.
    pub async fn list_sessions(&self) -> Result<Vec<String>, TmuxError> {
        let invocation = Invocation::new(["list-sessions", "-F", "#{session_name}"]);
        let output = self.run_raw(&invocation).await?;
        if !output.success {
            return match output.failure_kind() {
                FailureKind::NoServer => Ok(Vec::new()),
                _ => Err(output.into_error(None)),
            };
        }
        Ok(output.stdout.lines().map(str::to_owned).collect())
    }

    /// Whether a session with exactly this name exists (no prefix or pattern matching).
    pub async fn has_session(&self, name: &str) -> Result<bool, TmuxError> {
        self.run_on_session_if_present("has-session", name).await
    }

    /// Creates a detached session of the given size, directory, environment and command,
    /// with `remain-on-exit off` on its window so the session ends with its process.
    /// Starts the server if none runs on the socket. One tmux process.
    pub async fn new_session(&self, spec: &NewSession) -> Result<(), TmuxError> {
        const OPERATION: &str = "new-session";
        validate_session_name(&spec.name)?;
        if spec.width == 0 || spec.height == 0 {
            return Err(TmuxError::InvalidArgument {
                operation: OPERATION,
                reason: format!(
                    "session {:?} size {}x{} must be at least 1x1",
                    spec.name, spec.width, spec.height
                ),
            });
        }
        let cwd = spec
            .cwd
            .to_str()
            .ok_or_else(|| TmuxError::InvalidArgument {
                operation: OPERATION,
                reason: format!(
                    "working directory {} is not valid UTF-8",
                    spec.cwd.display()
                ),
            })?;
        reject_nul(OPERATION, "the working directory", cwd)?;
        let is_directory = tokio::fs::metadata(&spec.cwd)
            .await
            .map(|metadata| metadata.is_dir())
            .unwrap_or(false);
        if !is_directory {
            return Err(TmuxError::InvalidArgument {
                operation: OPERATION,
                reason: format!(
                    "working directory {} for session {:?} is not an existing directory; create it first",
                    spec.cwd.display(),
                    spec.name
                ),
            });
        }
        let width = spec.width.to_string();
        let height = spec.height.to_string();
        let mut invocation = Invocation::new(["new-session", "-d", "-s", &spec.name]);
        invocation.plain_all(["-x", &width, "-y", &height, "-c", &escape_format(cwd)]);
        for (key, value) in &spec.env {
            validate_env_key(OPERATION, key)?;
            reject_nul(OPERATION, "an environment value", value)?;
            invocation.plain_all(["-e"]).arg(Arg::EnvAssignment {
                key: key.clone(),
                value: value.clone(),
            });
        }
        if let Some(command) = &spec.command {
            reject_nul(OPERATION, "the command", command)?;
            // The command may carry environment values (an agent relaunch line): only its length
            // is shown in logs and errors.
            invocation.arg(Arg::Hidden(command.clone()));
        }
        let window = pane_target(&spec.name)?;
        invocation.separator().plain_all([
            "set-option",
            "-w",
            "-t",
            &window,
            "remain-on-exit",
            "off",
        ]);
        // A server whose last session just ended may still be exiting; the session
        // was not created then, and the next attempt starts a fresh server.
        let mut attempt = 1;
        loop {
            match self.run(&invocation, Some(&spec.name)).await {
                Err(TmuxError::NoServer { .. }) if attempt < NEW_SESSION_ATTEMPTS => {
                    tracing::debug!(
                        attempt,
                        "tmux server was exiting; starting the session again"
                    );
                    tokio::time::sleep(NEW_SESSION_RETRY_PAUSE).await;
                    attempt += 1;
                }
                result => return result.map(|_output| ()),
            }
        }
    }

    /// Kills the session with exactly this name; a missing session (or server) is fine.
    pub async fn kill_session(&self, name: &str) -> Result<(), TmuxError> {
        self.run_on_session_if_present("kill-session", name)
            .await
            .map(|_present| ())
    }

    /// Runs `command -t =name`: `Ok(true)` when it succeeded, `Ok(false)` when the session
    /// (or the whole server) is not there, an error for any other failure.
    async fn run_on_session_if_present(
        &self,
        command: &str,
        name: &str,
    ) -> Result<bool, TmuxError> {
        let target = session_target(name)?;
        let output = self
            .run_raw(&Invocation::new([command, "-t", &target]))
            .await?;
        if output.success {
            return Ok(true);
        }
        match output.failure_kind() {
            FailureKind::NoServer | FailureKind::NoSuchTarget => Ok(false),
            _ => Err(output.into_error(Some(name))),
        }
    }

    /// Kills the whole server on this socket; no server running is fine.
    ///
    /// Meant for private sockets (tests, a pool server of our own); on the default
    /// server this kills the operator's sessions too.
    pub async fn kill_server(&self) -> Result<(), TmuxError> {
        let output = self.run_raw(&Invocation::new(["kill-server"])).await?;
        if output.success || output.failure_kind() == FailureKind::NoServer {
            return Ok(());
        }
        // tmux sometimes reports its own server going away while it asked it to.
        if output.stderr.contains("server exited unexpectedly") {
            return Ok(());
        }
        Err(output.into_error(None))
    }

    /// The value of `key` in the session's environment (`show-environment -t`), or
    /// `None` when it is not set there (or marked removed). The process environment of
    /// programs already running in the pane may differ.
    pub async fn session_env(&self, name: &str, key: &str) -> Result<Option<String>, TmuxError> {
        validate_env_key("show-environment", key)?;
        let target = session_target(name)?;
        let output = self
            .run_raw(&Invocation::new(["show-environment", "-t", &target, key]))
            .await?;
        if !output.success {
            if output.stderr.starts_with("unknown variable") {
                return Ok(None);
            }
            return Err(output.into_error(Some(name)));
        }
        let line = output.stdout.strip_suffix('\n').unwrap_or(&output.stdout);
        if line == format!("-{key}") {
            return Ok(None);
        }
        match line
            .strip_prefix(key)
            .and_then(|rest| rest.strip_prefix('='))
        {
            Some(value) => Ok(Some(value.to_owned())),
            None => Err(TmuxError::UnexpectedOutput {
                command: output.command,
                detail: format!(
                    "expected `{key}=value` or `-{key}`, got {} bytes",
                    line.len()
                ),
            }),
        }
    }
}
