//! A self-contained playground: temp projects, a config, an account with the hooks
//! installed, the fake agent, and a private tmux server that is killed on drop.
//!
//! Used by `claude-failover demo`, the integration tests and the latency benchmark, so
//! all three exercise the same real parts (config parser, queue, tmux, hooks).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use anyhow::Context;
use cf_core::TaskId;

/// What to build.
#[derive(Debug, Clone)]
pub struct SandboxSpec {
    /// Project folder names.
    pub projects: Vec<String>,
    /// Pool size (min = max).
    pub pool_size: u32,
    /// Pool session name prefix.
    pub pool_prefix: String,
    /// Dedicated sessions `(name, project)` to declare in the config.
    pub dedicated: Vec<(String, String)>,
    /// The fake agent's default work time per task (`FAKE_AGENT_WORK`).
    pub work: String,
    /// The program that runs the fake agent (`<program> fake-agent …`): normally this binary.
    pub program: PathBuf,
    /// `watcher.interval`.
    pub poll_interval: String,
    /// `watcher.stable_idle`.
    pub stable_idle: String,
    /// `watcher.idle_timeout`.
    pub idle_timeout: String,
    /// More top-level YAML appended to the config (e.g. a `watchdog:` section).
    pub extra_yaml: String,
    /// Account names (config dirs `accounts/<name>`); two or more enable failover through a
    /// shared folder `shared/`.
    pub accounts: Vec<String>,
    /// Install the Stop/StopFailure hooks in the account (done signals); without them only
    /// the screen tells when a task is done.
    pub hooks: Hooks,
    /// More environment for the agent (e.g. the fake agent's `FAKE_AGENT_CLIENT`).
    pub agent_env: Vec<(String, String)>,
}

/// Whether the account gets the done-signal hooks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hooks {
    /// `hooks install` is run for the account.
    Installed,
    /// No hooks: completion is seen on the screen only.
    None,
}

impl SandboxSpec {
    /// A sandbox whose fake agent is this very binary.
    pub fn new(program: PathBuf) -> SandboxSpec {
        SandboxSpec {
            projects: vec!["alpha".into(), "beta".into(), "gamma".into()],
            pool_size: 2,
            pool_prefix: "cf-pool-".into(),
            dedicated: Vec::new(),
            work: "1s".into(),
            program,
            poll_interval: "200ms".into(),
            stable_idle: "600ms".into(),
            idle_timeout: "10m".into(),
            extra_yaml: String::new(),
            accounts: vec!["a".into()],
            hooks: Hooks::Installed,
            agent_env: Vec::new(),
        }
    }
}

/// The built sandbox. Dropping it kills its tmux server; the folder goes with the `TempDir`.
pub struct Sandbox {
    /// The temp folder; `None` once kept.
    dir: Option<tempfile::TempDir>,
    /// Its path.
    root: PathBuf,
    /// The tmux `-L` socket name of the private server.
    pub socket: String,
    /// The config file.
    pub config_path: PathBuf,
    /// Where the projects live.
    pub projects_dir: PathBuf,
    /// The fake agent's record of every prompt it received.
    pub record_path: PathBuf,
    /// The account's config dir.
    pub account_dir: PathBuf,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

impl Sandbox {
    /// Builds the folders, the config and the account.
    pub fn create(spec: &SandboxSpec) -> anyhow::Result<Sandbox> {
        let dir = tempfile::Builder::new()
            .prefix("claude-failover-")
            .tempdir()
            .context("cannot create a temp folder")?;
        let root = dir.path().to_path_buf();
        let socket = format!(
            "cf-sbx-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let projects_dir = root.join("projects");
        for project in &spec.projects {
            for sub in ["inbox", "done", "failed"] {
                let path = projects_dir.join(project).join(".agent-queue").join(sub);
                std::fs::create_dir_all(&path)
                    .with_context(|| format!("cannot create {}", path.display()))?;
            }
        }
        for name in &spec.accounts {
            let dir = root.join("accounts").join(name);
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            // The fake agent records this, so tests can tell which account ran a prompt.
            std::fs::write(dir.join("fake-account-name"), name)
                .with_context(|| format!("cannot write in {}", dir.display()))?;
        }
        let first = spec.accounts.first().map(String::as_str).unwrap_or("a");
        let account_dir = root.join("accounts").join(first);
        let record_path = root.join("agent-record.jsonl");
        let config_path = root.join("config.yaml");
        let yaml = config_yaml(spec, &root, &socket, &record_path);
        std::fs::write(&config_path, yaml)
            .with_context(|| format!("cannot write {}", config_path.display()))?;
        let sandbox = Sandbox {
            dir: Some(dir),
            root: root.clone(),
            socket,
            config_path,
            projects_dir,
            record_path,
            account_dir,
        };
        if spec.hooks == Hooks::Installed {
            let cfg = sandbox.config()?;
            let commands =
                crate::command::hook_commands_for(&spec.program, &cfg.watcher.done_signal_dir);
            for account in &cfg.accounts {
                cf_accounts::install_hooks(&account.config_dir, &commands, jiff::Timestamp::now())
                    .with_context(|| {
                        format!("cannot install the hooks for account {}", account.name)
                    })?;
            }
        }
        Ok(sandbox)
    }

    /// Starts the daemon in this process on the sandbox's config; returns it running, with a
    /// receiver of its notices from the start on (the demo, the benchmarks, in-process tests).
    pub async fn start_daemon(
        &self,
        clock: std::sync::Arc<dyn cf_daemon::Clock>,
    ) -> anyhow::Result<(
        cf_daemon::RunningDaemon,
        tokio::sync::broadcast::Receiver<cf_daemon::Notice>,
    )> {
        self.start_daemon_with(clock, cf_daemon::DaemonOptions::default())
            .await
    }

    /// [`Sandbox::start_daemon`] with other options (e.g. notification sinks).
    pub async fn start_daemon_with(
        &self,
        clock: std::sync::Arc<dyn cf_daemon::Clock>,
        options: cf_daemon::DaemonOptions,
    ) -> anyhow::Result<(
        cf_daemon::RunningDaemon,
        tokio::sync::broadcast::Receiver<cf_daemon::Notice>,
    )> {
        let daemon = cf_daemon::Daemon::start(self.config()?, options, clock).await?;
        let notices = daemon.subscribe();
        Ok((daemon.spawn(), notices))
    }

    /// The sandbox's root folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The parsed config.
    pub fn config(&self) -> anyhow::Result<cf_config::Config> {
        cf_config::load_config(&self.config_path).map_err(|e| anyhow::anyhow!("{e}"))
    }

    /// Writes a task into a project's inbox the way an operator's tool would (atomically).
    pub fn add_task(&self, project: &str, id: &str, content: &str) -> anyhow::Result<PathBuf> {
        let project = cf_queue::Project {
            name: project.to_string(),
            root: self.projects_dir.join(project),
        };
        let id = TaskId::parse(id).map_err(|e| anyhow::anyhow!("{e}"))?;
        cf_queue::add_task(&project, &id, content.as_bytes())
            .with_context(|| format!("cannot add {id}"))
    }

    /// The files in `<project>/.agent-queue/<folder>`, sorted.
    pub fn files_in(&self, project: &str, folder: &str) -> Vec<String> {
        let dir = self
            .projects_dir
            .join(project)
            .join(".agent-queue")
            .join(folder);
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .flatten()
                    .filter_map(|e| e.file_name().to_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }

    /// The text of `<project>/.agent-queue/<folder>/<name>`, if it exists.
    pub fn read_file_in(&self, project: &str, folder: &str, name: &str) -> Option<String> {
        std::fs::read_to_string(
            self.projects_dir
                .join(project)
                .join(".agent-queue")
                .join(folder)
                .join(name),
        )
        .ok()
    }

    /// Every prompt (and menu answer) the fake agent recorded, as JSON values.
    pub fn records(&self) -> Vec<serde_json::Value> {
        json_lines(&self.record_path)
    }

    /// The fake agent's `turn_end` lines: when each turn ended, where, and what it committed.
    pub fn turn_ends(&self) -> Vec<serde_json::Value> {
        json_lines(&cf_fake_agent::workspace::turns_path(&self.record_path))
    }

    /// `tmux -L <socket> <args>` run synchronously (for tests and clean-up).
    pub fn tmux_command(&self, args: &[&str]) -> std::io::Result<std::process::Output> {
        std::process::Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
    }

    /// Leaves the folder in place (for `demo --keep`) and returns its path.
    pub fn keep(mut self) -> PathBuf {
        let _ = self.tmux_command(&["kill-server"]);
        match self.dir.take() {
            Some(dir) => dir.keep(),
            None => self.root.clone(),
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.tmux_command(&["kill-server"]);
    }
}

fn config_yaml(spec: &SandboxSpec, root: &Path, socket: &str, record: &Path) -> String {
    let q = |p: &Path| serde_json::to_string(&p.display().to_string()).unwrap_or_default();
    let s = |v: &str| serde_json::to_string(v).unwrap_or_default();
    let mut dedicated = String::new();
    for (name, project) in &spec.dedicated {
        dedicated.push_str(&format!(
            "    - name: {}\n      project: {}\n",
            s(name),
            q(&root.join("projects").join(project))
        ));
    }
    let dedicated = if dedicated.is_empty() {
        "  dedicated: []\n".to_string()
    } else {
        format!("  dedicated:\n{dedicated}")
    };
    format!(
        "# Written by the claude-failover sandbox.\n\
state_dir: {state}\n\
tmux:\n  socket: {socket}\n\
pool:\n  autonomous:\n    prefix: {prefix}\n    start_index: 1\n    min: {n}\n    max: {n}\n{dedicated}\
dispatcher:\n  projects_dir: {projects}\n  prompt_timeout: 20s\n  rescan_interval: 5s\n  launch_cooldown: 2s\n  resume_dir: {resume}\n\
watcher:\n  interval: {poll}\n  idle_timeout: {idle_timeout}\n  done_signal_dir: {signals}\n  stable_idle: {stable}\n\
agent:\n  command: {program}\n  args: [fake-agent]\n  env:\n    IS_SANDBOX: \"1\"\n    FAKE_AGENT_WORK: {work}\n    FAKE_AGENT_RECORD: {record}\n{agent_env}\
api:\n  listen: \"127.0.0.1:0\"\n{accounts}{extra}",
        state = q(&root.join("state")),
        socket = s(socket),
        prefix = s(&spec.pool_prefix),
        n = spec.pool_size,
        projects = q(&root.join("projects")),
        resume = q(&root.join("resume")),
        poll = s(&spec.poll_interval),
        signals = q(&root.join("signals")),
        stable = s(&spec.stable_idle),
        idle_timeout = s(&spec.idle_timeout),
        program = q(&spec.program),
        work = s(&spec.work),
        record = q(record),
        agent_env = spec
            .agent_env
            .iter()
            .map(|(k, v)| format!("    {k}: {}\n", s(v)))
            .collect::<String>(),
        accounts = accounts_yaml(spec, root),
        extra = spec.extra_yaml,
    )
}

fn accounts_yaml(spec: &SandboxSpec, root: &Path) -> String {
    let q = |p: &Path| serde_json::to_string(&p.display().to_string()).unwrap_or_default();
    let mut out = String::from("accounts:\n");
    for name in &spec.accounts {
        out.push_str(&format!(
            "  - name: {}\n    config_dir: {}\n",
            serde_json::to_string(name).unwrap_or_default(),
            q(&root.join("accounts").join(name))
        ));
    }
    if spec.accounts.len() > 1 {
        out.push_str(&format!("shared_dir: {}\n", q(&root.join("shared"))));
    }
    out
}

/// The JSON lines of a record file (none when it is missing).
fn json_lines(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect()
}
