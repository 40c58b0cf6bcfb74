//! The validated configuration: plain typed values with defaults applied and every path absolute.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use cf_core::Priority;

/// The whole validated configuration of claude-failover.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Where the daemon keeps its SQLite store (and, by default, the done signals).
    pub state_dir: PathBuf,
    /// Which tmux server the daemon talks to.
    pub tmux: TmuxConfig,
    /// The sessions the daemon owns or knows about.
    pub pool: PoolConfig,
    /// Where tasks come from and how they are launched.
    pub dispatcher: DispatcherConfig,
    /// How working sessions are watched for completion.
    pub watcher: WatcherConfig,
    /// How the Claude Code agent is started.
    pub agent: AgentConfig,
    /// Quota failover timing.
    pub quota: QuotaConfig,
    /// Retries of tasks whose turn ended on a transient error, and the per-account breaker.
    pub retry: RetryConfig,
    /// Long-blocked and stale work.
    pub watchdog: WatchdogConfig,
    /// The folder every account's `projects`, `session-env` and `file-history` link to
    /// (required with two or more accounts).
    pub shared_dir: Option<PathBuf>,
    /// Delegation to the job platform (off without `base_url`).
    pub delegation: DelegationSettings,
    /// The HTTP status/control API.
    pub api: ApiSettings,
    /// The Claude accounts to fail over between, in order of preference.
    pub accounts: Vec<Account>,
    /// Notifications to the operator (none without `notify.sinks`).
    pub notify: NotifyConfig,
}

impl Config {
    /// The autonomous pool's session names, `prefix + i` for `i` in `[start_index, start_index + max)`.
    pub fn pool_session_names(&self) -> Vec<String> {
        self.pool.autonomous.names()
    }

    /// The environment variables that hold the daemon's secrets (the API token, the platform's
    /// key, every sink's URL and token) and the service manager's own: none of them may reach a
    /// tmux server the daemon starts, and so an agent or a pane.
    pub fn private_env_names(&self) -> Vec<String> {
        let mut names = vec![
            self.api.token_env.clone(),
            self.delegation.api_key_env.clone(),
            "NOTIFY_SOCKET".to_owned(),
            "WATCHDOG_USEC".to_owned(),
            "WATCHDOG_PID".to_owned(),
            "JOURNAL_STREAM".to_owned(),
        ];
        for sink in &self.notify.sinks {
            match &sink.target {
                SinkTarget::Webhook { url_env, token_env }
                | SinkTarget::Ntfy { url_env, token_env } => {
                    names.push(url_env.clone());
                    names.extend(token_env.iter().cloned());
                }
                SinkTarget::Slack { url_env } => names.push(url_env.clone()),
                SinkTarget::Command { .. } => {}
            }
        }
        names.sort();
        names.dedup();
        names
    }

    /// The configured account called `name`; the one place that says which names there are.
    pub fn account_named(&self, name: &str) -> Result<&Account, UnknownAccount> {
        self.accounts
            .iter()
            .find(|a| a.name == name)
            .ok_or_else(|| UnknownAccount {
                name: name.to_owned(),
                known: self.accounts.iter().map(|a| a.name.clone()).collect(),
            })
    }
}

/// A name that is no configured account.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no account named `{name}` (accounts: {})", known.join(", "))]
pub struct UnknownAccount {
    /// The name asked for.
    pub name: String,
    /// The configured names, in config order.
    pub known: Vec<String>,
}

/// The tmux server to use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TmuxConfig {
    /// `tmux -L` socket name; `None` means the user's default server.
    pub socket: Option<String>,
}

/// The sessions: the autonomous pool the daemon feeds and the operator's dedicated ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolConfig {
    /// The range of sessions the daemon owns.
    pub autonomous: AutonomousPool,
    /// The operator's own sessions: never dispatched into, only relaunched on failover.
    pub dedicated: Vec<DedicatedSession>,
}

/// The autonomous pool: `prefix + i` for `i` in `[start_index, start_index + max)`. It is the
/// core's pool shape, so that membership and the session names are computed in one place.
pub type AutonomousPool = cf_core::pool::PoolSpec;

/// One dedicated session of the operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DedicatedSession {
    /// The tmux session name.
    pub name: String,
    /// The project the session works in (its queue is scanned too).
    pub project: PathBuf,
    /// The account it runs on; it moves only when that one fails. The daemon follows it: once
    /// it relaunched the session elsewhere or saw it report from another account, that one
    /// counts (until this setting changes). `None`: where it was seen, else the first usable.
    pub account: Option<String>,
}

/// Where tasks come from and the timing of launches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DispatcherConfig {
    /// The folder whose sub-folders with `.agent-queue/` are projects.
    pub projects_dir: PathBuf,
    /// Extra project roots outside `projects_dir`.
    pub projects: Vec<PathBuf>,
    /// How long to wait for the agent's input prompt after starting it.
    pub prompt_timeout: Duration,
    /// Period of the full scan that backs up file-system notifications.
    pub rescan_interval: Duration,
    /// How long a session is left alone after a failed launch.
    pub launch_cooldown: Duration,
    /// Where `<session>-resume-id.txt` files live.
    pub resume_dir: PathBuf,
    /// How many tasks of one project may run at once (`None`: no limit); a project's own
    /// `.agent-queue/config.yaml` may say otherwise (`max_running`).
    pub max_running_per_project: Option<u32>,
    /// Where tasks work unless their project or frontmatter says otherwise.
    pub isolation: cf_core::worktree::Isolation,
    /// The folder worktrees are made in (`<it>/<project>/<branch>`); `None`: each project's
    /// `.agent-queue/worktrees/`.
    pub worktrees_dir: Option<PathBuf>,
    /// Keep a done task's worktree folder even when it is clean.
    pub keep_worktrees: bool,
}

/// How working sessions are watched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatcherConfig {
    /// Screen poll period of working sessions.
    pub interval: Duration,
    /// A task still running after this long is recorded as timed out.
    pub idle_timeout: Duration,
    /// Where `agent-done-<session>` signal files appear.
    pub done_signal_dir: PathBuf,
    /// How long the idle screen must be seen before the task counts as done.
    pub stable_idle: Duration,
}

/// Quota failover timing, and where new work goes by usage.
#[derive(Debug, Clone, PartialEq)]
pub struct QuotaConfig {
    /// After a swap, quota detection is suppressed this long.
    pub reactivate_cooldown: Duration,
    /// `switch_at`, `strategy`, `hysteresis`: which account a new task starts on.
    pub placement: cf_core::placement::PlacementPolicy,
}

/// `retry:` — tasks whose turn ended on a transient API error (server error, overload, a
/// per-minute 429) are resumed in their conversation after a backoff; an account with several
/// such failures in a short window gets no new work until one probe task succeeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryConfig {
    /// The schedule and the limits of one task's retries.
    pub policy: cf_core::retry::RetryPolicy,
    /// The per-account circuit breaker.
    pub breaker: cf_core::retry::BreakerPolicy,
}

/// `delegation:` — the external job platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DelegationSettings {
    /// The platform's API; `None` turns delegation off (routing always says local).
    pub base_url: Option<String>,
    /// The environment variable holding the API key (never the key itself).
    pub api_key_env: String,
    /// How often the reaper asks the platform about active jobs.
    pub poll_interval: Duration,
    /// Limit for one platform call with its retries; then a submit falls back to local.
    pub max_elapsed: Duration,
}

/// `api:` — the HTTP status/control API.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiSettings {
    /// Serve it at all.
    pub enabled: bool,
    /// Where to listen (loopback by default; anything else needs a token).
    pub listen: std::net::SocketAddr,
    /// The bearer token for changes, written in the config (prefer `token_env`).
    pub token: Option<String>,
    /// The environment variable that may hold the token.
    pub token_env: String,
}

impl fmt::Debug for ApiSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiSettings")
            .field("enabled", &self.enabled)
            .field("listen", &self.listen)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("token_env", &self.token_env)
            .finish()
    }
}

/// The watchdog: long-blocked and stale work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchdogConfig {
    /// How often it looks.
    pub interval: Duration,
    /// A task blocked on dependencies longer than this is reported (once).
    pub blocked_timeout: Duration,
    /// Also move such a task to `failed/` (off by default: reporting loses nothing).
    pub fail_blocked: bool,
    /// A task dispatched longer than this is reported as stale (once).
    pub stale_after: Duration,
}

/// How the agent (Claude Code) is started.
#[derive(Clone, PartialEq, Eq)]
pub struct AgentConfig {
    /// The program to run.
    pub command: String,
    /// Extra arguments placed before ours.
    pub args: Vec<String>,
    /// Extra environment, sorted by key. Values may become secret: `Debug` shows keys only.
    pub env: Vec<(String, String)>,
    /// Which model each priority uses.
    pub models: Models,
    /// The line appended to every task message.
    pub message_suffix: String,
    /// Whether to pass `--dangerously-skip-permissions`.
    pub skip_permissions: bool,
}

impl fmt::Debug for AgentConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let env: Vec<String> = self
            .env
            .iter()
            .map(|(key, _)| format!("{key}=<redacted>"))
            .collect();
        f.debug_struct("AgentConfig")
            .field("command", &self.command)
            .field("args", &self.args)
            .field("env", &env)
            .field("models", &self.models)
            .field("message_suffix", &self.message_suffix)
            .field("skip_permissions", &self.skip_permissions)
            .finish()
    }
}

/// The model per priority (defaults: critical → opus, everything else → sonnet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Models {
    /// Model for `critical` tasks.
    pub critical: String,
    /// Model for `high` tasks.
    pub high: String,
    /// Model for `default` tasks.
    pub default: String,
    /// Model for `low` tasks.
    pub low: String,
}

impl Models {
    /// The model to launch for a task of this priority.
    pub fn model_for(&self, priority: Priority) -> &str {
        match priority {
            Priority::Critical => &self.critical,
            Priority::High => &self.high,
            Priority::Default => &self.default,
            Priority::Low => &self.low,
        }
    }

    /// The model slot of a priority, for merging configured values over the defaults.
    pub(crate) fn slot_mut(&mut self, priority: Priority) -> &mut String {
        match priority {
            Priority::Critical => &mut self.critical,
            Priority::High => &mut self.high,
            Priority::Default => &mut self.default,
            Priority::Low => &mut self.low,
        }
    }
}

impl Default for Models {
    fn default() -> Self {
        Models {
            critical: "opus".to_owned(),
            high: "sonnet".to_owned(),
            default: "sonnet".to_owned(),
            low: "sonnet".to_owned(),
        }
    }
}

/// One Claude account: a config home for `CLAUDE_CONFIG_DIR`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// Short name used in logs, status and swap records.
    pub name: String,
    /// The account's Claude config directory.
    pub config_dir: PathBuf,
}

/// `notify:` — where the daemon tells the operator what needs them, and how hard it tries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifyConfig {
    /// The receivers, in config order.
    pub sinks: Vec<SinkConfig>,
    /// More alerts of one kind than this in a minute become one summary.
    pub flood_per_minute: u32,
    /// Alerts waiting for one sink; when it is full, new ones are dropped (and that is said).
    pub queue: usize,
    /// Tries per alert and sink before giving up (and saying so).
    pub max_attempts: u32,
    /// The first wait between tries; it doubles up to a minute.
    pub retry_backoff: Duration,
    /// Limit of one try (an HTTP request, or a command's run).
    pub timeout: Duration,
}

/// One receiver of notifications. URLs and tokens are never in the file: only the names of the
/// environment variables holding them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SinkConfig {
    /// Its name in logs, `status` and `notify test --sink`.
    pub name: String,
    /// What it is and where it is.
    pub target: SinkTarget,
    /// The alerts it wants (all of them when the config lists none).
    pub events: Vec<cf_core::alert::AlertKind>,
}

impl SinkConfig {
    /// Whether this sink wants alerts of `kind` (`test` always reaches every sink).
    pub fn wants(&self, kind: cf_core::alert::AlertKind) -> bool {
        self.events.is_empty()
            || kind == cf_core::alert::AlertKind::Test
            || self.events.contains(&kind)
    }
}

/// What a sink is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SinkTarget {
    /// A JSON POST of the alert.
    Webhook {
        /// The variable holding the URL.
        url_env: String,
        /// The variable holding a bearer token, if the receiver wants one.
        token_env: Option<String>,
    },
    /// An ntfy topic (title, priority and tags as ntfy headers).
    Ntfy {
        /// The variable holding the topic URL (`https://ntfy.sh/my-topic`).
        url_env: String,
        /// The variable holding an access token, if the topic is protected.
        token_env: Option<String>,
    },
    /// A Slack incoming webhook (also Mattermost, and Discord's `/slack` endpoint).
    Slack {
        /// The variable holding the webhook URL.
        url_env: String,
    },
    /// A program run with the alert as JSON on stdin (no shell).
    Command {
        /// The program and its arguments.
        argv: Vec<String>,
    },
}

impl SinkTarget {
    /// The config word for this kind of sink.
    pub fn kind_name(&self) -> &'static str {
        match self {
            SinkTarget::Webhook { .. } => "webhook",
            SinkTarget::Ntfy { .. } => "ntfy",
            SinkTarget::Slack { .. } => "slack",
            SinkTarget::Command { .. } => "command",
        }
    }
}
