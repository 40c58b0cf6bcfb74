//! The one place a launch spec is built from the config: a pool launch (dispatch, and every
//! resume after a swap or an interruption) and a dedicated session's relaunch on a new account.

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

/// The launch spec of `start` with the configured agent.
pub fn launch_spec(agent: &AgentConfig, start: AgentStart<'_>) -> LaunchSpec {
    let mut env = vec![(
        "CLAUDE_CONFIG_DIR".to_string(),
        start.config_dir.display().to_string(),
    )];
    if let Some(session) = start.pool_session {
        env.push(("CLAUDE_FAILOVER_SESSION".to_string(), session.to_string()));
    }
    env.extend(agent.env.iter().cloned());
    LaunchSpec {
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
