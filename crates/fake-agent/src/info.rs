//! Fixed facts about a running fake session: id, fresh or resumed, directories, model, mode,
//! and how API errors look (client version, retries, gateway).

use crate::args::PermissionMode;
use crate::client::ClientStyle;
use crate::error_switch::RetryPolicy;
use std::path::PathBuf;
use std::time::Duration;

/// Whether this session continues an earlier one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// A new session id.
    Fresh,
    /// `--resume`: same id, history replayed.
    Resumed,
}

/// Fixed facts about the running session.
#[derive(Debug, Clone)]
pub struct SessionInfo {
    /// Session id (transcript file name, resume id).
    pub session_id: String,
    /// Fresh or resumed.
    pub start: Start,
    /// Working directory.
    pub cwd: String,
    /// `$CLAUDE_CONFIG_DIR` in effect.
    pub config_dir: PathBuf,
    /// `--model`, if given.
    pub model: Option<String>,
    /// Footer wording and hook `permission_mode`.
    pub permission_mode: PermissionMode,
    /// `$TMUX_PANE`, for the record.
    pub tmux_pane: Option<String>,
    /// `$FAKE_AGENT_RECORD`, if set.
    pub record_path: Option<PathBuf>,
    /// `$FAKE_AGENT_WORK` (default 1 s): how long a turn works without a directive.
    pub default_work: Duration,
    /// `$FAKE_AGENT_CLIENT`: whose error turns to imitate (the `fake-error` switch may override).
    pub client: ClientStyle,
    /// `$FAKE_AGENT_RETRIES` and `$FAKE_AGENT_RETRY_DELAY`: the client's own retries of 500/529.
    pub retry: RetryPolicy,
    /// Host of `$ANTHROPIC_BASE_URL`, named by server-error lines; `None` for the real API.
    pub gateway: Option<String>,
}

impl SessionInfo {
    /// The model id reported in hooks and the transcript.
    pub fn model_id(&self) -> String {
        match self.model.as_deref() {
            None | Some("sonnet") => "claude-sonnet-5".to_string(),
            Some(other) => other.to_string(),
        }
    }

    /// Second header line.
    pub fn model_line(&self) -> String {
        let name = match self.model.as_deref() {
            None | Some("sonnet") => "Sonnet 5",
            Some("opus") => "Opus 5",
            Some("haiku") => "Haiku 5",
            Some(other) => other,
        };
        format!("{name} · API Usage Billing")
    }
}
