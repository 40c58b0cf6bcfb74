//! `claude-failover status`: what the daemon does, read from the store, the queue and tmux.
//!
//! Works whether the daemon runs or not: the store is opened read-only and the queue
//! folders are only listed.

use std::fmt::Write as _;

use cf_config::Config;
use cf_tmux::Tmux;

use crate::error::StatusError;

use crate::tasks::{TaskLine, TaskState};

/// Everything `status` shows.
#[derive(Debug, serde::Serialize)]
pub struct StatusReport {
    /// Whether a daemon process is running for this state dir, and since when.
    pub daemon: DaemonStatus,
    /// Pool and dedicated sessions.
    pub sessions: Vec<SessionStatus>,
    /// Queue counts per project.
    pub projects: Vec<ProjectCounts>,
    /// Tasks waiting on `depends_on`: what is missing, since when.
    pub blocked: Vec<crate::tasks::TaskLine>,
    /// The accounts: which is active, which are out of quota until when.
    pub accounts: Vec<AccountStatus>,
    /// No account is usable: dispatching waits.
    pub paused: bool,
    /// Until the earliest quota reset, when one is expected.
    pub paused_until: Option<String>,
    /// Why (each account's state).
    pub paused_why: Option<String>,
    /// Where a new task would start now and why (the placement by usage).
    pub placement: Option<String>,
    /// The last account swap.
    pub last_swap: Option<cf_store::SwapRecord>,
    /// The latest events, newest last.
    pub recent_events: Vec<EventLine>,
}

/// The daemon process.
#[derive(Debug, serde::Serialize)]
pub struct DaemonStatus {
    /// A daemon holds the state dir's lock.
    pub running: bool,
    /// Its pid (or the last recorded one when none runs).
    pub pid: Option<u32>,
    /// When it started.
    pub started_at: Option<String>,
}

/// One session.
#[derive(Debug, serde::Serialize)]
pub struct SessionStatus {
    /// tmux session name.
    pub name: String,
    /// `pool` or `dedicated`.
    pub kind: String,
    /// tmux has it now.
    pub alive: bool,
    /// `idle`, `launching <project>/<task>`, `working <project>/<task>`, or `-`.
    pub state: String,
    /// The account of the task it runs.
    pub account: Option<String>,
    /// Since when it is in this state (RFC 3339), if known.
    pub since: Option<String>,
    /// Not used for tasks before this.
    pub cooldown_until: Option<String>,
}

pub use crate::account_view::AccountStatus;

/// One project's queue.
#[derive(Debug, Default, serde::Serialize)]
pub struct ProjectCounts {
    /// Project name.
    pub name: String,
    /// Waiting in the inbox.
    pub queued: usize,
    /// Claimed, running.
    pub running: usize,
    /// Claimed, waiting to go on (retry or interruption).
    pub waiting: usize,
    /// With a `.blocked` sidecar.
    pub blocked: usize,
    /// With an `.invalid` sidecar or rejected.
    pub invalid: usize,
    /// Submitted to the job platform.
    pub delegated: usize,
    /// In `done/`.
    pub done: usize,
    /// In `failed/`.
    pub failed: usize,
    /// How many of its tasks may run at once (`None`: no limit).
    pub max_running: Option<u32>,
    /// Why its tasks are held: its `.agent-queue/config.yaml` is broken.
    pub held: Option<String>,
}

/// One event from the store.
#[derive(Debug, serde::Serialize)]
pub struct EventLine {
    /// When.
    pub at: String,
    /// What.
    pub kind: String,
    /// Where.
    pub session: Option<String>,
    /// Which task.
    pub task: Option<String>,
    /// Details.
    pub detail: String,
}

/// Whether a daemon runs for this config's state dir: it holds the state dir's lock (asked
/// without taking it, see [`crate::lock`]).
pub fn daemon_running(cfg: &Config) -> bool {
    crate::lock::lock_holder(&cfg.state_dir).is_some()
}

/// The store opened for reading; `None` when there is none yet: the daemon never ran, or it is
/// starting and has not migrated it yet (it holds the lock).
pub fn read_store(cfg: &Config) -> Result<Option<cf_store::Store>, cf_store::StoreError> {
    match cf_store::Store::open_read_only(&crate::daemon::store_path(cfg)) {
        Ok(store) => Ok(Some(store)),
        Err(cf_store::StoreError::Missing { .. }) => Ok(None),
        Err(cf_store::StoreError::NotMigrated { .. }) if daemon_running(cfg) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Gathers the report.
pub async fn collect_status(cfg: &Config) -> Result<StatusReport, StatusError> {
    let alive: std::collections::BTreeSet<String> = Tmux::new(cfg.tmux.socket.clone())
        .list_sessions()
        .await
        .unwrap_or_default()
        .into_iter()
        .collect();
    // The store and the queue folders are read with blocking calls: off the async workers.
    let cfg = cfg.clone();
    tokio::task::spawn_blocking(move || report_from(&cfg, &alive))
        .await
        .map_err(StatusError::Panicked)?
}

/// The report from the store and the queue folders (blocking), given the live tmux sessions.
fn report_from(
    cfg: &Config,
    alive: &std::collections::BTreeSet<String>,
) -> Result<StatusReport, StatusError> {
    let store = read_store(cfg)?;
    let rows = match &store {
        Some(s) => s.sessions()?,
        None => Vec::new(),
    };
    let recent = match &store {
        Some(s) => s.recent_events(15)?,
        None => Vec::new(),
    };
    // Counts and blocked reasons: no footer needs reading.
    let queue = crate::tasks::snapshot_queue(cfg, crate::tasks::Detail::States);
    let projects = queue
        .projects
        .iter()
        .map(|name| {
            let mut counts = count_project(name, &queue.tasks);
            let settings = queue
                .queue_dirs
                .get(name)
                .map(|dir| cf_config::load_project_config(dir).map_err(|e| e.to_string()))
                .unwrap_or_else(|| Ok(cf_config::ProjectConfig::default()));
            match settings {
                Ok(own) => {
                    counts.max_running = own.max_running.or(cfg.dispatcher.max_running_per_project)
                }
                Err(why) => counts.held = Some(why),
            }
            counts
        })
        .collect();
    let blocked = queue
        .tasks
        .into_iter()
        .filter(|t| t.state == TaskState::Blocked)
        .collect();
    let pause = store.as_ref().and_then(crate::failover::Pause::stored);
    let now = jiff::Timestamp::now();
    let accounts = crate::account_view::account_statuses(cfg, store.as_ref(), now);
    let placement = match pause {
        Some(_) => None,
        None => crate::account_view::where_new_work_goes(&cfg.quota.placement, &accounts, now),
    };
    Ok(StatusReport {
        daemon: daemon_status(cfg, store.as_ref()),
        sessions: session_statuses(cfg, store.as_ref(), &rows, alive),
        projects,
        blocked,
        accounts,
        paused: pause.is_some(),
        paused_until: pause
            .as_ref()
            .and_then(|p| p.until)
            .map(crate::tasks::stamp),
        paused_why: pause.as_ref().map(|p| p.why.clone()),
        placement,
        last_swap: store
            .as_ref()
            .and_then(|s| s.recent_swaps(1).ok())
            .and_then(|v| v.into_iter().next()),
        recent_events: recent.into_iter().rev().map(event_line).collect(),
    })
}

/// Whether a daemon runs (it holds the state lock), its pid and when it started.
fn daemon_status(cfg: &Config, store: Option<&cf_store::Store>) -> DaemonStatus {
    let kv = |key: &str| store.and_then(|s| s.get_kv(key).ok().flatten());
    let holder = crate::lock::lock_holder(&cfg.state_dir);
    DaemonStatus {
        running: holder.is_some(),
        // 0: the holder has not written its pid yet (it just took the lock).
        pid: holder
            .filter(|pid| *pid != 0)
            .or_else(|| kv("daemon_pid").and_then(|p| p.parse::<u32>().ok())),
        started_at: kv("daemon_started_at"),
    }
}

/// The pool sessions the store or tmux knows, then the dedicated ones.
fn session_statuses(
    cfg: &Config,
    store: Option<&cf_store::Store>,
    rows: &[cf_store::SessionRow],
    alive: &std::collections::BTreeSet<String>,
) -> Vec<SessionStatus> {
    let mut sessions = Vec::new();
    for name in cfg.pool_session_names() {
        let row = rows.iter().find(|r| r.name == name);
        if row.is_none() && !alive.contains(&name) {
            continue;
        }
        sessions.push(SessionStatus {
            alive: alive.contains(&name),
            kind: "pool".into(),
            state: row.map(|r| r.state.clone()).unwrap_or_else(|| "-".into()),
            account: row.map(|r| r.account.clone()).filter(|a| !a.is_empty()),
            since: row.map(|r| crate::tasks::stamp(r.updated_at)),
            cooldown_until: row.and_then(|r| r.cooldown_until).map(crate::tasks::stamp),
            name,
        });
    }
    for dedicated in &cfg.pool.dedicated {
        sessions.push(SessionStatus {
            name: dedicated.name.clone(),
            kind: "dedicated".into(),
            alive: alive.contains(&dedicated.name),
            state: "-".into(),
            // Where it was seen running, else where its config puts it.
            account: store
                .and_then(|s| crate::failover::DedicatedOn::learned(s, dedicated))
                .or(dedicated.account.clone()),
            since: None,
            cooldown_until: None,
        });
    }
    sessions
}

/// One stored event as status shows it.
fn event_line(e: cf_store::EventRecord) -> EventLine {
    EventLine {
        at: crate::tasks::stamp(e.at),
        kind: e.kind,
        session: e.session,
        task: match (e.project, e.task_id) {
            (Some(p), Some(t)) => Some(format!("{p}/{t}")),
            _ => None,
        },
        detail: e.detail,
    }
}

fn count_project(name: &str, tasks: &[TaskLine]) -> ProjectCounts {
    let mut counts = ProjectCounts {
        name: name.to_string(),
        ..ProjectCounts::default()
    };
    for task in tasks.iter().filter(|t| t.project == name) {
        let slot = match task.state {
            TaskState::Queued => &mut counts.queued,
            TaskState::Blocked => &mut counts.blocked,
            TaskState::Invalid => &mut counts.invalid,
            TaskState::Delegated => &mut counts.delegated,
            TaskState::Running => &mut counts.running,
            TaskState::Waiting => &mut counts.waiting,
            TaskState::Done => &mut counts.done,
            TaskState::Failed => &mut counts.failed,
        };
        *slot += 1;
    }
    counts
}

/// The report as text for a terminal.
pub fn render_text(report: &StatusReport) -> String {
    let mut out = String::new();
    let d = &report.daemon;
    match (d.running, d.pid) {
        (true, Some(pid)) => {
            let _ = writeln!(
                out,
                "daemon: running (pid {pid}, since {})",
                d.started_at.as_deref().unwrap_or("?")
            );
        }
        _ => {
            let _ = writeln!(out, "daemon: not running");
        }
    }
    let _ = writeln!(out, "\naccounts:");
    for a in &report.accounts {
        let _ = writeln!(out, "  {}", a.summary());
    }
    if report.paused {
        let until = match &report.paused_until {
            Some(until) => format!("until {until}"),
            None => "until an account is usable again".to_string(),
        };
        let why = report.paused_why.as_deref().unwrap_or("no usable account");
        let _ = writeln!(out, "  dispatching paused {until}: {why}");
    }
    if let Some(placement) = &report.placement {
        let _ = writeln!(out, "  new work goes to: {placement}");
    }
    if let Some(s) = &report.last_swap {
        let _ = writeln!(
            out,
            "  last swap: {} {} -> {} ({})",
            s.at, s.from_account, s.to_account, s.pattern
        );
    }
    let _ = writeln!(out, "\nsessions:");
    if report.sessions.is_empty() {
        let _ = writeln!(out, "  (none)");
    }
    for s in &report.sessions {
        let alive = if s.alive { "alive" } else { "gone" };
        let account = s
            .account
            .as_deref()
            .map(|a| format!(" account={a}"))
            .unwrap_or_default();
        let cooldown = s
            .cooldown_until
            .as_deref()
            .map(|c| format!(" cooldown-until={c}"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  {:<24} {:<9} {:<5} {}{account}{cooldown}",
            s.name, s.kind, alive, s.state
        );
    }
    let _ = writeln!(out, "\nqueues:");
    let _ = writeln!(
        out,
        "  {:<24} {:>6} {:>7} {:>7} {:>7} {:>7} {:>9} {:>6} {:>6}",
        "project",
        "queued",
        "running",
        "waiting",
        "blocked",
        "invalid",
        "delegated",
        "done",
        "failed"
    );
    for p in &report.projects {
        let running = match p.max_running {
            Some(limit) => format!("{}/{limit}", p.running),
            None => p.running.to_string(),
        };
        let _ = writeln!(
            out,
            "  {:<24} {:>6} {:>7} {:>7} {:>7} {:>7} {:>9} {:>6} {:>6}",
            p.name,
            p.queued,
            running,
            p.waiting,
            p.blocked,
            p.invalid,
            p.delegated,
            p.done,
            p.failed
        );
    }
    for p in report.projects.iter().filter(|p| p.held.is_some()) {
        let why = p.held.as_deref().unwrap_or_default();
        let _ = writeln!(
            out,
            "\nheld: {} (its settings are broken; fix the file):",
            p.name
        );
        for line in why.lines() {
            let _ = writeln!(out, "  {line}");
        }
    }
    if !report.blocked.is_empty() {
        let _ = writeln!(out, "\nblocked:");
        for t in &report.blocked {
            let _ = writeln!(
                out,
                "  {}/{} since {}: {}",
                t.project,
                t.file,
                t.since.as_deref().unwrap_or("?"),
                t.reason.as_deref().unwrap_or("")
            );
        }
    }
    if !report.recent_events.is_empty() {
        let _ = writeln!(out, "\nrecent events:");
        for e in &report.recent_events {
            let task = e
                .task
                .as_deref()
                .map(|t| format!(" {t}"))
                .unwrap_or_default();
            let session = e
                .session
                .as_deref()
                .map(|s| format!(" [{s}]"))
                .unwrap_or_default();
            let _ = writeln!(out, "  {} {}{task}{session} {}", e.at, e.kind, e.detail);
        }
    }
    out
}
