//! The daemon: its state, start-up, and the event loop.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use cf_config::Config;
use cf_queue::{FsEvent, Project, WatchTag};
use cf_store::{NewEvent, SessionRow, Store};
use cf_tmux::Tmux;
use tokio::sync::{broadcast, mpsc};
use tokio::task::JoinSet;

use crate::clock::Clock;
use crate::error::{RunError, StartError};
use crate::event::Event;
use crate::file_events::{FileEvents, Watching};
use crate::notice::{About, Notice, NoticeKind};
use crate::pool::Pool;
use crate::terminal::SharedTerminal;

/// A daemon running in a tokio task (see [`Daemon::spawn`]).
pub struct RunningDaemon {
    /// Resolves the loop's shutdown future.
    stop: tokio::sync::oneshot::Sender<()>,
    /// The loop's task.
    join: tokio::task::JoinHandle<()>,
}

impl RunningDaemon {
    /// Stops the loop (as SIGTERM would) and waits for it to finish.
    pub async fn stop(self) -> Result<(), RunError> {
        let _ = self.stop.send(());
        self.join.await.map_err(RunError::Panicked)
    }

    /// Aborts the loop where it stands, as SIGKILL would: no shutdown step runs, and the jobs it
    /// owned are dropped with it (in-process crash tests).
    pub async fn abort(self) {
        self.join.abort();
        let _ = self.join.await;
    }
}

/// Options of a daemon run that do not come from the config file.
#[derive(Debug, Clone)]
pub struct DaemonOptions {
    /// Size of the panes of the sessions the daemon creates (columns, rows).
    pub pane_size: (u16, u16),
    /// How long a launch may wait for a previous agent to give the shell back.
    pub shell_timeout: Duration,
    /// How long after a submit the agent must show it took the task.
    pub verify_timeout: Duration,
    /// How often a launch looks at the screen.
    pub launch_poll: Duration,
    /// The notification sinks, their secrets read from the environment by the caller
    /// (`cf_notify::resolve_sinks`); none by default.
    pub sinks: Vec<cf_notify::Sink>,
    /// How often the loop pings the service manager's watchdog (`service::watchdog_period`);
    /// `None`: no watchdog.
    pub service_watchdog: Option<Duration>,
}

impl Default for DaemonOptions {
    fn default() -> Self {
        DaemonOptions {
            pane_size: (200, 50),
            shell_timeout: Duration::from_secs(15),
            verify_timeout: Duration::from_secs(15),
            launch_poll: Duration::from_millis(25),
            sinks: Vec::new(),
            service_watchdog: None,
        }
    }
}

/// The daemon's outside world: the real adapters ([`Adapters::real`]), or a test's.
pub struct Adapters {
    /// Where `now` comes from.
    pub clock: Arc<dyn Clock>,
    /// The sessions and what is typed into them.
    pub terminal: SharedTerminal,
    /// Where filesystem events come from.
    pub file_events: FileEvents,
}

impl Adapters {
    /// tmux on the config's socket, inotify, and `clock`.
    pub fn real(cfg: &Config, clock: Arc<dyn Clock>) -> Adapters {
        Adapters {
            clock,
            terminal: Arc::new(
                Tmux::new(cfg.tmux.socket.clone()).without_env(cfg.private_env_names()),
            ),
            file_events: FileEvents::Watched,
        }
    }
}

/// The running daemon's state. Owned by the loop; nothing else touches it.
pub struct Daemon {
    /// Held for the daemon's whole life: no second daemon on this state dir.
    _lock: crate::lock::StateLock,
    pub(crate) cfg: Arc<Config>,
    pub(crate) opts: DaemonOptions,
    pub(crate) terminal: SharedTerminal,
    pub(crate) store: Store,
    pub(crate) clock: Arc<dyn Clock>,
    /// The pool's sessions and slots.
    pub(crate) pool: Pool,
    /// The queue part: projects, whose turn it is, parsed task files, cycles reported.
    pub(crate) projects: crate::projects::Projects,
    pub(crate) tx: mpsc::UnboundedSender<Event>,
    rx: mpsc::UnboundedReceiver<Event>,
    pub(crate) notices: broadcast::Sender<Notice>,
    pub(crate) watcher: Watching,
    /// Every job the loop spawned (launches, delegation submits and reaps): awaited at shutdown.
    pub(crate) jobs: JoinSet<()>,
    /// Worktree folders whose git step (add, restore) is still running in a job.
    pub(crate) preparing: std::collections::HashSet<PathBuf>,
    /// Set by events that may make a task dispatchable; the loop dispatches once per batch.
    pub(crate) dispatch_wanted: bool,
    /// Set when the queue layout may have changed (new project folders).
    pub(crate) rediscover_wanted: bool,
    /// Watchdog findings already reported.
    pub(crate) watchdog_reported: cf_core::watchdog::Reported,
    /// The claims counted: finished but unmovable ones, interruptions per claim.
    pub(crate) claims: crate::projects::Claims,
    /// Claimed tasks waiting to go on in their conversation (retries, interruptions).
    pub(crate) waiting: crate::waiting::WaitingTasks,
    /// The health part: per account, the breaker and the failed-launch streak; unknown kinds.
    pub(crate) health: crate::health::Health,
    /// The failover part: accounts, quota monitor, swaps asked for, pause.
    pub(crate) failover: crate::failover::Failover,
    /// The delegation part: the job platform and what is in flight with it.
    pub(crate) delegation: crate::delegate::Delegations,
    /// Notifications to the operator: never waited for.
    pub(crate) notifier: cf_notify::Notifier,
    /// Each account's latest usage, from the sessions' status line reports.
    pub(crate) usage: crate::usage::Usage,
}

impl Daemon {
    /// Opens the store, discovers the projects, starts watching, creates the pool and
    /// recovers what a previous run left. Errors here are fatal and name what to fix.
    pub async fn start(
        cfg: Config,
        opts: DaemonOptions,
        clock: Arc<dyn Clock>,
    ) -> Result<Daemon, StartError> {
        let adapters = Adapters::real(&cfg, clock);
        Daemon::start_with(cfg, opts, adapters).await
    }

    /// [`Daemon::start`] on the given adapters (in-process tests: a scripted terminal, a clock
    /// that follows tokio's paused time, injected file events).
    pub async fn start_with(
        cfg: Config,
        opts: DaemonOptions,
        adapters: Adapters,
    ) -> Result<Daemon, StartError> {
        let Adapters {
            clock,
            terminal,
            file_events,
        } = adapters;
        let cfg = Arc::new(cfg);
        create_dir("state_dir", &cfg.state_dir)?;
        // First of all: one daemon per state dir (and so per pool).
        let lock = acquire_lock(&cfg.state_dir).await?;
        // The agent's environment is sourced from a private file, never typed into a pane.
        crate::launch_spec::write_agent_env(&cfg.state_dir, &cfg.agent)
            .map_err(|e| StartError::AgentEnv(Box::new(e)))?;
        create_dir("watcher.done_signal_dir", &cfg.watcher.done_signal_dir)?;
        if !cfg.dispatcher.projects_dir.is_dir() {
            return Err(StartError::NoProjectsDir {
                path: cfg.dispatcher.projects_dir.clone(),
            });
        }
        let store_path = store_path(&cfg);
        let store = Store::open(&store_path).map_err(|source| StartError::Store {
            path: store_path.clone(),
            source: Box::new(source),
        })?;
        let (tx, rx) = mpsc::unbounded_channel();
        let fs_tx = tx.clone();
        let (watcher, mut fs_events_rx) =
            Watching::start(file_events).map_err(|e| StartError::Watcher(Box::new(e)))?;
        tokio::spawn(async move {
            while let Some(ev) = fs_events_rx.recv().await {
                if fs_tx.send(Event::Fs(ev)).is_err() {
                    break;
                }
            }
        });
        let pool = Pool::new(cfg.pool.autonomous.clone());
        let (notices, _) = broadcast::channel(1024);
        let cfg_cooldown = cfg.quota.reactivate_cooldown;
        crate::upkeep::check_shared_links(&cfg)?;
        let delegation = crate::delegate::manager_from_config(&cfg)?;
        let notifier = {
            let tx = tx.clone();
            let report: cf_notify::Reporter = Arc::new(move |report| {
                let _ = tx.send(Event::Delivery(report));
            });
            cf_notify::Notifier::start(opts.sinks.clone(), &cfg.notify, report)
        };
        let mut daemon = Daemon {
            _lock: lock,
            terminal,
            cfg,
            opts,
            store,
            clock,
            pool,
            projects: crate::projects::Projects::default(),
            tx,
            rx,
            notices,
            watcher,
            jobs: JoinSet::new(),
            preparing: std::collections::HashSet::new(),
            dispatch_wanted: true,
            rediscover_wanted: false,
            watchdog_reported: cf_core::watchdog::Reported::default(),
            claims: crate::projects::Claims::default(),
            waiting: crate::waiting::WaitingTasks::new(),
            health: crate::health::Health::default(),
            failover: crate::failover::Failover::new(cfg_cooldown),
            delegation: crate::delegate::Delegations::new(delegation),
            notifier,
            usage: crate::usage::Usage::default(),
        };
        daemon.load_accounts();
        daemon.restore_usage();
        daemon.restore_delegation_counters();
        daemon.watch_fixed_dirs()?;
        daemon.discover_projects();
        // New work may start on any account (placement by usage): each must trust the projects.
        if daemon.cfg.accounts.len() > 1 {
            let now = daemon.clock.now();
            for index in 0..daemon.cfg.accounts.len() {
                daemon.trust_folders_for(index, &[], now);
            }
        }
        daemon.maintain_pool().await;
        // Each project's own settings first: tasks that recovery finishes follow them
        // (`keep_worktrees`).
        daemon.refresh_project_settings();
        daemon.recover().await;
        let pid = std::process::id().to_string();
        daemon.store_kv("daemon_pid", &pid);
        daemon.store_kv("daemon_started_at", &daemon.clock.now().to_string());
        daemon.say(
            NoticeKind::Started,
            About::default(),
            format!("pid {pid}, {} project(s)", daemon.projects.len()),
        );
        Ok(daemon)
    }

    /// The delegation manager, when delegation is configured (for the API's counters).
    pub fn delegation(&self) -> Option<Arc<cf_delegation::DelegationManager>> {
        self.delegation.manager().cloned()
    }

    /// Records a fact about this run for `status` (e.g. the API's bound address).
    pub fn record_fact(&self, key: &str, value: &str) {
        self.store_kv(key, value);
    }

    /// The config the daemon runs with.
    pub fn config(&self) -> Arc<Config> {
        self.cfg.clone()
    }

    /// A receiver of every notice from now on (for the demo's progress lines and tests).
    pub fn subscribe(&self) -> broadcast::Receiver<Notice> {
        self.notices.subscribe()
    }

    /// Runs the loop in a tokio task until [`RunningDaemon::stop`] (for embedding: the demo,
    /// benchmarks and in-process tests; `claude-failover run` uses [`Daemon::run`] with signals).
    pub fn spawn(self) -> RunningDaemon {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let join = tokio::spawn(self.run(async move {
            let _ = stopped.await;
        }));
        RunningDaemon { stop, join }
    }

    /// Runs the loop until `shutdown` resolves, then waits briefly for launches in flight.
    pub async fn run(mut self, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        let mut poll = tokio::time::interval(self.cfg.watcher.interval);
        poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut rescan = tokio::time::interval(self.cfg.dispatcher.rescan_interval);
        rescan.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        rescan.reset();
        let mut reap = tokio::time::interval(self.cfg.delegation.poll_interval);
        reap.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut watchdog = tokio::time::interval(self.cfg.watchdog.interval);
        watchdog.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let pinging = self.opts.service_watchdog.is_some();
        let mut service_ping = tokio::time::interval(
            self.opts
                .service_watchdog
                .unwrap_or(Duration::from_secs(3600)),
        );
        loop {
            self.after_batch().await;
            let event = tokio::select! {
                biased;
                () = &mut shutdown => break,
                // Before the event channel: a steady stream of events must not starve the ping.
                _ = service_ping.tick(), if pinging => Event::ServiceWatchdog,
                Some(event) = self.rx.recv() => event,
                _ = poll.tick() => Event::PollScreens,
                _ = rescan.tick() => Event::Rescan,
                _ = watchdog.tick() => Event::Watchdog,
                _ = reap.tick(), if self.delegation.is_on() => Event::Reap,
            };
            self.handle(event).await;
            // Drain what is already queued before dispatching once for the whole batch.
            while let Ok(event) = self.rx.try_recv() {
                self.handle(event).await;
            }
        }
        crate::service::stopping();
        self.say(NoticeKind::Stopping, About::default(), "shutting down");
        let grace = tokio::time::sleep(SHUTDOWN_GRACE);
        tokio::pin!(grace);
        loop {
            tokio::select! {
                next = self.jobs.join_next() => if next.is_none() { break },
                () = &mut grace => { self.jobs.abort_all(); break }
            }
        }
        // Reports that arrived meanwhile still count (a task may have started, a job may have
        // been accepted by the platform).
        while let Ok(event) = self.rx.try_recv() {
            if matches!(
                event,
                Event::LaunchFinished { .. } | Event::DelegationSubmitted { .. } | Event::Reaped(_)
            ) {
                self.handle(event).await;
            }
        }
        // A reap aborted at the grace's end may have counted jobs it never reported.
        self.save_delegation_counters();
        // The last notifications (the daemon stopping among them) go out, within a bound.
        let notifier = std::mem::replace(&mut self.notifier, cf_notify::Notifier::none());
        notifier.close(NOTIFY_GRACE).await;
        // A give-up or a drop at the very end is still recorded.
        while let Ok(event) = self.rx.try_recv() {
            if let Event::Delivery(report) = event {
                self.on_delivery(report);
            }
        }
    }

    async fn handle(&mut self, event: Event) {
        match event {
            Event::Fs(fs) => self.on_fs_event(fs).await,
            Event::LaunchFinished {
                session,
                run,
                outcome,
            } => self.on_launch_finished(session, run, outcome).await,
            Event::Prepared {
                session,
                run,
                plan,
                result,
            } => self.on_prepared(session, run, *plan, result).await,
            Event::PollScreens => {
                self.notifier.tick(self.clock.now());
                self.poll_screens().await
            }
            Event::Delivery(report) => self.on_delivery(report),
            Event::ServiceWatchdog => crate::service::ping(),
            Event::Watchdog => self.run_watchdog().await,
            Event::Reap => self.start_reap(),
            Event::Reaped(reaped) => self.on_reaped(reaped),
            Event::DelegationSubmitted {
                project,
                task,
                submitted,
            } => self.on_delegation_submitted(project, task, submitted),
            Event::Rescan => {
                if let Err(e) = self.store.prune_events(EVENTS_KEPT) {
                    tracing::warn!("cannot prune old events: {e}");
                }
                self.rediscover_wanted = true;
                self.dispatch_wanted = true;
                self.maintain_pool().await;
                self.check_signal_dir().await;
            }
        }
    }

    async fn after_batch(&mut self) {
        if let Some(trigger) = self.failover.next_swap() {
            self.swap(trigger).await;
        }
        if self.rediscover_wanted {
            self.rediscover_wanted = false;
            self.discover_projects();
        }
        if self.dispatch_wanted {
            self.dispatch_wanted = false;
            self.try_dispatch().await;
        }
    }

    async fn on_fs_event(&mut self, event: FsEvent) {
        match event {
            FsEvent::Changed { tag, file_name } => match tag {
                WatchTag::Inbox(_) | WatchTag::Done(_) => self.dispatch_wanted = true,
                WatchTag::ProjectsDir => {
                    self.rediscover_wanted = true;
                    self.dispatch_wanted = true;
                }
                WatchTag::Requests => {
                    if let Some(name) = file_name.as_ref().and_then(|n| n.to_str()) {
                        self.on_request_file(name);
                    }
                }
                WatchTag::Signals => {
                    if let Some(name) = file_name.as_ref().and_then(|n| n.to_str()) {
                        self.on_signal_file(name).await;
                    }
                }
            },
            FsEvent::Rescan { reason } => {
                tracing::warn!(%reason, "filesystem watcher asks for a rescan");
                self.rediscover_wanted = true;
                self.dispatch_wanted = true;
                self.check_signal_dir().await;
            }
        }
    }

    /// Scans a project's inbox; a failure is reported (and the project skipped this time).
    pub(crate) fn scan_or_report(&self, project: &Project) -> Option<cf_queue::InboxScan> {
        match cf_queue::scan_inbox(project) {
            Ok(scan) => Some(scan),
            Err(e) => {
                self.say(
                    NoticeKind::Problem,
                    About::default().project(project.name.clone()),
                    format!("cannot scan the inbox: {e}"),
                );
                None
            }
        }
    }

    /// Says that something happened: a log line, a store event, a broadcast.
    pub(crate) fn say(&self, kind: NoticeKind, about: About, detail: impl Into<String>) {
        let notice = about.notice(self.clock.now(), kind, detail.into());
        match kind {
            NoticeKind::Problem
            | NoticeKind::LaunchFailed
            | NoticeKind::Failed
            | NoticeKind::InvalidTask
            | NoticeKind::AccountAttention
            | NoticeKind::BreakerOpened
            | NoticeKind::LaunchesFailing => {
                tracing::warn!("{notice}")
            }
            _ => tracing::info!("{notice}"),
        }
        let event = NewEvent {
            at: notice.at,
            kind: kind.as_str(),
            session: notice.session.as_deref(),
            project: notice.project.as_deref(),
            task_id: notice.task_id.as_deref(),
            detail: &notice.detail,
        };
        if let Err(e) = self.store.record_event(&event) {
            tracing::error!("cannot record an event in the store: {e}");
        }
        if let Some(alert) = notice.alert() {
            self.notifier.offer(alert);
        }
        let _ = self.notices.send(notice);
    }

    /// What became of a notification: said when it was dropped or given up on.
    fn on_delivery(&mut self, report: cf_notify::DeliveryReport) {
        let sink = &report.sink;
        let event = report.event.as_str();
        match report.outcome {
            cf_notify::Outcome::Delivered { attempts, answer } => {
                tracing::debug!(%sink, "notification {event} delivered after {attempts} try(s): {}", answer.0);
            }
            cf_notify::Outcome::GaveUp { attempts, error } => self.say(
                NoticeKind::Problem,
                About::default(),
                format!(
                    "notification {event} to sink {sink} given up after {attempts} try(s): {error}"
                ),
            ),
            cf_notify::Outcome::Dropped { queue } => self.say(
                NoticeKind::Problem,
                About::default(),
                format!(
                    "notification {event} to sink {sink} dropped: its queue of {queue} is full"
                ),
            ),
        }
    }

    /// Writes a slot's current state to the store, for `status`.
    pub(crate) fn save_slot(&self, name: &str) {
        let Some(slot) = self.pool.slot(name) else {
            return;
        };
        let task = slot.task();
        let state = match task {
            Some(t) => format!("{} {}/{}", slot.state_word(), t.project, t.id),
            None => slot.state_word().to_string(),
        };
        let row = SessionRow {
            name: name.to_string(),
            kind: cf_store::SessionKind::Pool,
            state,
            account: task.map(|t| t.account.clone()).unwrap_or_default(),
            updated_at: self.clock.now(),
            cooldown_until: slot.cooldown_until,
        };
        if let Err(e) = self.store.set_session_state(&row) {
            tracing::error!("cannot save session {name} in the store: {e}");
        }
    }

    pub(crate) fn store_kv(&self, key: &str, value: &str) {
        if let Err(e) = self.store.set_kv(key, value) {
            tracing::error!("cannot save {key} in the store: {e}");
        }
    }

    /// The sessions that hold a task (launching, working or parked).
    pub(crate) fn sessions_with_tasks(&self) -> Vec<String> {
        self.pool.sessions_with_tasks()
    }

    /// Whether `name` is one of the pool's own sessions.
    pub(crate) fn is_pool(&self, name: &str) -> bool {
        self.pool.contains(name)
    }

    /// Forgets the slot's phase; used by completion and failures.
    pub(crate) fn set_free(&mut self, name: &str) {
        // What the hooks said about the task that left must not colour the next one.
        if let Some(slot) = self.pool.slot_mut(name) {
            slot.set_free();
        }
        self.save_slot(name);
    }
}

/// How long shutdown waits for the jobs in flight (launches, platform calls) before it aborts
/// them: well inside the ~90 s a service manager gives a stopping process.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(60);

/// How long the last notifications may take at shutdown.
const NOTIFY_GRACE: Duration = Duration::from_secs(10);

/// How many events the store keeps (the newest); older ones are pruned on every rescan.
pub const EVENTS_KEPT: usize = 100_000;

/// The shell pool sessions run between agents.
pub const POOL_SHELL: &str = "/bin/sh";

/// Takes the state dir's lock, waiting up to [`crate::lock::LOCK_WAIT`] while it is held (the
/// previous daemon may be dying: a crash's forked-but-not-exec'd child holds it for a moment).
async fn acquire_lock(state_dir: &std::path::Path) -> Result<crate::lock::StateLock, StartError> {
    let deadline = tokio::time::Instant::now() + crate::lock::LOCK_WAIT;
    loop {
        match crate::lock::StateLock::acquire(state_dir) {
            Err(crate::lock::LockError::Held { .. }) if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            other => return other.map_err(StartError::from),
        }
    }
}

/// Creates a folder the daemon needs (`what` names its setting).
fn create_dir(what: &'static str, path: &std::path::Path) -> Result<(), StartError> {
    std::fs::create_dir_all(path).map_err(|source| StartError::CreateDir {
        what,
        path: path.to_path_buf(),
        source,
    })
}

/// Where the store lives.
pub fn store_path(cfg: &Config) -> PathBuf {
    cfg.state_dir.join("claude-failover.sqlite")
}
