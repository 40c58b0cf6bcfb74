//! The one place a launch spec is built from the config: a pool launch (dispatch, and every
//! resume after a swap or an interruption) and a dedicated session's relaunch on a new account.
//! The configured `agent.env` (API keys among it) is never typed: it is written once, private,
//! to [`agent_env_path`] and sourced by the launch line, so no pane's scrollback holds a value.

use std::path::{Path, PathBuf};

use cf_config::AgentConfig;
use cf_core::resume::ResumeId;
use cf_core::shell::{LaunchSpec, SkipPermissions};

/// Where and how an agent starts.
#[derive(Debug, Clone)]
pub struct AgentStart<'a> {
    /// Its working directory (the project).
    pub cwd: PathBuf,
    /// The account's config dir (`CLAUDE_CONFIG_DIR`).
    pub config_dir: &'a Path,
    /// The pool session it runs in (`CLAUDE_FAILOVER_SESSION`, read by the hooks); dedicated
    /// sessions are found by `$TMUX_PANE` instead.
    pub pool_session: Option<&'a str>,
    /// `--model`, if any.
    pub model: Option<String>,
    /// `--resume <id>`, if any.
    pub resume: Option<ResumeId>,
}

/// The file the launch line sources for `agent.env` (mode 0600 in `state_dir`).
pub fn agent_env_path(state_dir: &Path) -> PathBuf {
    state_dir.join(AGENT_ENV_FILE)
}

/// The name of the agent's env file in `state_dir`.
const AGENT_ENV_FILE: &str = "agent-env.sh";

/// Writes the agent's env file (owner-only, atomically); the launch lines source it.
pub fn write_agent_env(state_dir: &Path, agent: &AgentConfig) -> Result<PathBuf, AgentEnvError> {
    let text = cf_core::shell::env_file_text(&agent.env).map_err(AgentEnvError::Invalid)?;
    crate::atomic::write_private(state_dir, AGENT_ENV_FILE, text.as_bytes()).map_err(|source| {
        AgentEnvError::Write {
            path: agent_env_path(state_dir),
            source,
        }
    })
}

/// Why the agent's env file cannot be written.
#[derive(Debug, thiserror::Error)]
pub enum AgentEnvError {
    /// A key or value of `agent.env` cannot be written safely.
    #[error("agent.env")]
    Invalid(#[source] cf_core::shell::ShellError),
    /// The file cannot be written.
    #[error("cannot write the agent's env file {}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: std::io::Error,
    },
}

/// The launch spec of `start` with the configured agent; `env_file` is the sourced file of
/// `agent.env` ([`write_agent_env`]).
pub fn launch_spec(agent: &AgentConfig, env_file: &Path, start: AgentStart<'_>) -> LaunchSpec {
    let mut env = vec![(
        "CLAUDE_CONFIG_DIR".to_string(),
        start.config_dir.display().to_string(),
    )];
    if let Some(session) = start.pool_session {
        env.push(("CLAUDE_FAILOVER_SESSION".to_string(), session.to_string()));
    }
    LaunchSpec {
        env_file: (!agent.env.is_empty()).then(|| env_file.to_path_buf()),
        cwd: start.cwd,
        program: agent.command.clone(),
        program_args: agent.args.clone(),
        env,
        model: start.model,
        skip_permissions: if agent.skip_permissions {
            SkipPermissions::Yes
        } else {
            SkipPermissions::No
        },
        resume: start.resume,
    }
}
