//! The in-process harness: a temp tree (projects, accounts, state), a config, the scripted
//! terminal, a clock that follows tokio's paused time, and file events the test injects; the
//! daemon runs in this runtime. Waiting is on conditions, in virtual time: a test takes
//! milliseconds and cannot depend on how fast the machine is.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use cf_daemon::{Adapters, Daemon, DaemonOptions, FileEvents, Notice, RunningDaemon};
use cf_queue::{FsEvent, WatchTag};
use tokio::sync::{broadcast, mpsc};

use crate::agent::Ending;
use crate::terminal::ScriptedTerminal;

/// What to build.
#[derive(Debug, Clone)]
pub struct Spec {
    /// Project folder names.
    pub projects: Vec<&'static str>,
    /// Pool size (min = max).
    pub pool: u32,
    /// Account names (two or more share `shared/`).
    pub accounts: Vec<&'static str>,
    /// More top-level YAML.
    pub extra_yaml: String,
    /// More `agent.env` entries.
    pub agent_env: Vec<(&'static str, &'static str)>,
    /// Dedicated sessions: name and project folder name (no `account`).
    pub dedicated: Vec<(&'static str, &'static str)>,
}

impl Default for Spec {
    fn default() -> Spec {
        Spec {
            projects: vec!["alpha", "beta"],
            pool: 2,
            accounts: vec!["a"],
            extra_yaml: String::new(),
            agent_env: Vec::new(),
            dedicated: Vec::new(),
        }
    }
}

/// A running daemon and what the test needs to drive it.
pub struct Harness {
    /// Kept for its drop.
    _dir: tempfile::TempDir,
    /// The temp tree's root.
    pub root: PathBuf,
    /// The scripted terminal (outlives daemon restarts, like a tmux server).
    pub term: Arc<ScriptedTerminal>,
    /// The clock, shared by every start.
    pub clock: Arc<cf_daemon::TokioClock>,
    /// The daemon's file events.
    events: Option<mpsc::UnboundedSender<FsEvent>>,
    /// The running daemon.
    running: Option<RunningDaemon>,
    /// Every notice of every start, in order.
    notices: Arc<std::sync::Mutex<Vec<Notice>>>,
    config_path: PathBuf,
}

impl Harness {
    /// Builds the tree and the config (the daemon is not started yet).
    pub fn new(spec: &Spec) -> Harness {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().to_path_buf();
        for project in &spec.projects {
            for sub in ["inbox", "done", "failed"] {
                mkdir(
                    &root
                        .join("projects")
                        .join(project)
                        .join(".agent-queue")
                        .join(sub),
                );
            }
        }
        for account in &spec.accounts {
            mkdir(&root.join("accounts").join(account));
        }
        let config_path = root.join("config.yaml");
        std::fs::write(&config_path, config_yaml(spec, &root)).expect("write the config");
        let clock = Arc::new(cf_daemon::TokioClock::starting_at(jiff::Timestamp::now()));
        let term = Arc::new(ScriptedTerminal::new(root.join("signals"), clock.clone()));
        Harness {
            _dir: dir,
            root,
            term,
            clock,
            events: None,
            running: None,
            notices: Arc::default(),
            config_path,
        }
    }

    /// The config as the daemon reads it.
    pub fn config(&self) -> cf_config::Config {
        cf_config::load_config(&self.config_path).expect("a valid config")
    }

    /// Starts the daemon on the scripted terminal.
    pub async fn start(&mut self) {
        self.try_start().await.expect("the daemon starts");
    }

    /// Starts the daemon on the scripted terminal, or says why it cannot.
    pub async fn try_start(&mut self) -> Result<(), cf_daemon::StartError> {
        let (tx, rx) = mpsc::unbounded_channel();
        self.term.announce_to(tx.clone());
        let adapters = Adapters {
            clock: self.clock.clone(),
            terminal: self.term.clone(),
            file_events: FileEvents::Injected(rx),
        };
        let opts = DaemonOptions {
            launch_poll: Duration::from_millis(50),
            ..DaemonOptions::default()
        };
        let daemon = Daemon::start_with(self.config(), opts, adapters).await?;
        let mut rx = daemon.subscribe();
        let seen = self.notices.clone();
        tokio::spawn(async move {
            loop {
                match rx.recv().await {
                    Ok(notice) => seen.lock().expect("notices lock").push(notice),
                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => break,
                }
            }
        });
        self.events = Some(tx);
        self.running = Some(daemon.spawn());
        Ok(())
    }

    /// Stops the daemon as SIGTERM would.
    pub async fn stop(&mut self) {
        if let Some(running) = self.running.take() {
            running.stop().await.expect("the daemon stops cleanly");
        }
        self.events = None;
    }

    /// Kills the daemon's task where it stands (as SIGKILL would: nothing runs after it).
    pub async fn crash(&mut self) {
        if let Some(running) = self.running.take() {
            running.abort().await;
        }
        self.events = None;
    }

    /// Sends a file event, as the watcher would have.
    pub fn file_event(&self, tag: WatchTag, name: &str) {
        if let Some(tx) = &self.events {
            let _ = tx.send(FsEvent::Changed {
                tag,
                file_name: Some(name.into()),
            });
        }
    }

    /// Reports `account`'s five-hour use (`percent`, resetting in four hours) the way a status
    /// line call from a session on it does, tells the daemon, and waits until it has kept it.
    pub async fn report_usage(&self, account: &str, percent: f64) {
        self.report_usage_in(&format!("reporter-{account}"), account, percent)
            .await;
    }

    /// [`Harness::report_usage`] from the tmux session `session`.
    pub async fn report_usage_in(&self, session: &str, account: &str, percent: f64) {
        use cf_daemon::Clock;
        let now = self.clock.now();
        let window = cf_core::usage::Window {
            used_percentage: percent,
            resets_at: now + jiff::SignedDuration::from_hours(4),
        };
        let report = cf_daemon::signals::UsageFile {
            at: now,
            session_id: None,
            prompt_id: Some(format!("prompt-{}", now.as_nanosecond())),
            total_cost_usd: None,
            rate_limits: cf_core::usage::RateLimits {
                five_hour: Some(window),
                seven_day: None,
            },
            config_dir: Some(self.account_dir(account)),
        };
        cf_daemon::signals::write_usage(&self.root.join("signals"), session, &report)
            .expect("write a usage report");
        self.file_event(WatchTag::Signals, &format!("agent-usage-{session}"));
        let store = cf_daemon::store_path(&self.config());
        let key = format!("usage.{account}");
        let reported = |h: &Harness| {
            cf_store::Store::open_read_only(&store)
                .ok()
                .and_then(|s| s.get_kv(&key).ok().flatten())
                .and_then(|json| serde_json::from_str::<cf_core::usage::AccountUsage>(&json).ok())
                .and_then(|u| u.used_at(cf_daemon::Clock::now(h.clock.as_ref())))
                == Some(percent)
        };
        self.until(&format!("{account}'s usage is kept"), reported)
            .await;
    }

    /// The client process in `session` (on `account`) reports that it has cost `usd` so far, as
    /// its status line does after a reply; the daemon reads it before any later event.
    pub fn report_cost(&self, session: &str, account: &str, usd: f64) {
        use cf_daemon::Clock;
        let now = self.clock.now();
        let report = cf_daemon::signals::UsageFile {
            at: now,
            session_id: None,
            prompt_id: Some(format!("prompt-{}", now.as_nanosecond())),
            total_cost_usd: Some(usd),
            rate_limits: cf_core::usage::RateLimits::default(),
            config_dir: Some(self.account_dir(account)),
        };
        cf_daemon::signals::write_usage(&self.root.join("signals"), session, &report)
            .expect("write a usage report");
        self.file_event(WatchTag::Signals, &format!("agent-usage-{session}"));
    }

    /// The spending totals the daemon keeps for `account` (`spent.<account>`).
    pub fn spent_on(&self, account: &str) -> cf_daemon::account_view::AccountSpent {
        let store = cf_store::Store::open_read_only(&cf_daemon::store_path(&self.config()))
            .expect("the store");
        match store.get_kv(&format!("spent.{account}")).expect("read") {
            Some(json) => serde_json::from_str(&json).expect("spending as JSON"),
            None => Default::default(),
        }
    }

    /// Starts the operator's agent in the dedicated session `name` (in `project`, on `account`)
    /// and sends it a prompt: it works until the test ends its turn.
    pub async fn start_dedicated(&self, name: &str, project: &str, account: &str) {
        use cf_daemon::Terminal;
        let spec = cf_tmux::NewSession {
            name: name.to_string(),
            cwd: self.root.join("projects").join(project),
            width: 120,
            height: 40,
            env: Vec::new(),
            command: Some(format!(
                "CLAUDE_CONFIG_DIR={} claude",
                self.account_dir(account).display()
            )),
        };
        self.term
            .new_session(&spec)
            .await
            .expect("a dedicated session");
        self.term
            .type_text(name, "Review the release notes.")
            .await
            .expect("type");
        self.term
            .press(name, cf_tmux::Key::Enter)
            .await
            .expect("enter");
        self.until_working(name).await;
    }

    /// The queue folder `sub` of `project`.
    pub fn queue(&self, project: &str, sub: &str) -> PathBuf {
        self.root
            .join("projects")
            .join(project)
            .join(".agent-queue")
            .join(sub)
    }

    /// Writes a task into the inbox and announces it.
    pub fn add_task(&self, project: &str, id: &str, content: &str) {
        let name = format!("{id}.md");
        std::fs::write(self.queue(project, "inbox").join(&name), content).expect("write a task");
        self.file_event(WatchTag::Inbox(project.to_string()), &name);
    }

    /// The file names in a queue folder, sorted.
    pub fn files(&self, project: &str, sub: &str) -> Vec<String> {
        list(&self.queue(project, sub))
    }

    /// Whether `<id>.md` is in `done/`.
    pub fn is_done(&self, project: &str, id: &str) -> bool {
        self.queue(project, "done")
            .join(format!("{id}.md"))
            .exists()
    }

    /// Whether `<id>.md` is in `failed/`.
    pub fn is_failed(&self, project: &str, id: &str) -> bool {
        self.queue(project, "failed")
            .join(format!("{id}.md"))
            .exists()
    }

    /// The text of a finished task.
    pub fn read(&self, project: &str, sub: &str, id: &str) -> String {
        std::fs::read_to_string(self.queue(project, sub).join(format!("{id}.md")))
            .unwrap_or_default()
    }

    /// The config dir of an account.
    pub fn account_dir(&self, name: &str) -> PathBuf {
        self.root.join("accounts").join(name)
    }

    /// Ends the turn that runs in `session`; panics when none runs.
    pub fn end_turn(&self, session: &str, ending: Ending) {
        assert!(
            self.term.end_turn(session, ending),
            "no turn runs in {session}"
        );
    }

    /// Waits (in virtual time) until `condition` holds; panics after three hours of it.
    pub async fn until(&self, what: &str, mut condition: impl FnMut(&Harness) -> bool) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(3 * 3600);
        while !condition(self) {
            assert!(
                tokio::time::Instant::now() < deadline,
                "waited three hours (virtual) for: {what}\nnotices:\n{}\nprompts: {:#?}",
                self.notice_lines(),
                self.term.submitted()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Waits until `session`'s agent works on a turn.
    pub async fn until_working(&self, session: &str) {
        self.until(&format!("a turn runs in {session}"), |h| {
            h.term.is_working(session)
        })
        .await;
    }

    /// Waits until exactly one turn runs; its session and conversation.
    pub async fn until_one_runs(&self) -> (String, String) {
        self.until("a turn runs", |h| h.term.working_sessions().len() == 1)
            .await;
        let session = self.term.working_sessions().remove(0);
        let (_, conversation) = self.term.agent_in(&session).expect("an agent");
        (session, conversation)
    }

    /// Waits until `conversation` goes on with a "Continue" prompt (on `account`, when given) and
    /// works; the session it works in.
    pub async fn until_continued(&self, conversation: &str, account: Option<&str>) -> String {
        let dir = account.map(|a| self.account_dir(a));
        self.until(&format!("{conversation} goes on"), |h| {
            h.term.submitted().iter().any(|s| {
                s.conversation == conversation
                    && s.prompt.starts_with("Continue")
                    && dir.as_ref().is_none_or(|d| &s.config_dir == d)
            })
        })
        .await;
        let mut session = None;
        self.until(&format!("{conversation} works"), |h| {
            session = h
                .term
                .working_sessions()
                .into_iter()
                .find(|s| h.term.agent_in(s).is_some_and(|(_, c)| c == conversation));
            session.is_some()
        })
        .await;
        session.expect("found")
    }

    /// Ends the turn of the session running `<id>.md` once it works.
    pub async fn finish_task(&self, id: &str) {
        let file = format!("{id}.md");
        self.until(&format!("{file} is sent"), |h| {
            !h.term.prompts_of(&file).is_empty()
        })
        .await;
        let session = self.term.prompts_of(&file).remove(0).session;
        self.until_working(&session).await;
        self.end_turn(&session, Ending::Reply);
    }

    /// How many notices of `kind` the daemon gave so far.
    pub fn notice_count(&self, kind: cf_daemon::NoticeKind) -> usize {
        let seen = self.notices.lock().expect("notices lock");
        seen.iter().filter(|n| n.kind == kind).count()
    }

    /// Every notice so far, a line each.
    pub fn notice_lines(&self) -> String {
        let seen = self.notices.lock().expect("notices lock");
        seen.iter().map(|n| format!("  {n}\n")).collect()
    }
}

fn mkdir(path: &Path) {
    std::fs::create_dir_all(path).unwrap_or_else(|e| panic!("mkdir {}: {e}", path.display()));
}

fn list(dir: &Path) -> Vec<String> {
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

fn config_yaml(spec: &Spec, root: &Path) -> String {
    let q = |p: &Path| serde_json::to_string(&p.display().to_string()).expect("json");
    let mut accounts = String::from("accounts:\n");
    for name in &spec.accounts {
        accounts.push_str(&format!(
            "  - name: {name}\n    config_dir: {}\n",
            q(&root.join("accounts").join(name))
        ));
    }
    if spec.accounts.len() > 1 {
        accounts.push_str(&format!("shared_dir: {}\n", q(&root.join("shared"))));
    }
    format!(
        "state_dir: {state}\n\
tmux:\n  socket: in-process\n\
pool:\n  autonomous:\n    prefix: pool-\n    start_index: 1\n    min: {n}\n    max: {n}\n  dedicated:{dedicated}\n\
dispatcher:\n  projects_dir: {projects}\n  prompt_timeout: 20s\n  rescan_interval: 5s\n  launch_cooldown: 2s\n  resume_dir: {resume}\n\
watcher:\n  interval: 1s\n  idle_timeout: 30m\n  done_signal_dir: {signals}\n  stable_idle: 3s\n\
agent:\n  command: claude\n  env:\n    IS_SANDBOX: \"1\"\n{agent_env}\
{accounts}{extra}",
        state = q(&root.join("state")),
        n = spec.pool,
        projects = q(&root.join("projects")),
        resume = q(&root.join("resume")),
        signals = q(&root.join("signals")),
        extra = spec.extra_yaml,
        dedicated = match spec.dedicated.is_empty() {
            true => " []".to_string(),
            false => spec
                .dedicated
                .iter()
                .map(|(name, project)| {
                    format!(
                        "\n    - name: {name}\n      project: {}",
                        q(&root.join("projects").join(project))
                    )
                })
                .collect(),
        },
        agent_env = spec
            .agent_env
            .iter()
            .map(|(k, v)| format!("    {k}: {}\n", serde_json::to_string(v).expect("json")))
            .collect::<String>(),
    )
}
