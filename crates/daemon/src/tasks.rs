//! `claude-failover tasks`: every task of every project, by state, with its reason.
//!
//! Read-only: it lists folders and reads sidecars; it never removes or rewrites anything
//! (unlike the daemon, which clears stale sidecars).

use std::path::Path;

use cf_config::Config;
use cf_queue::Destination;

/// Where a task stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskState {
    /// Waiting in the inbox, dispatchable.
    Queued,
    /// Waiting on `depends_on`.
    Blocked,
    /// Cannot be read or parsed.
    Invalid,
    /// Submitted to the job platform.
    Delegated,
    /// Claimed, running in a session.
    Running,
    /// Claimed, waiting to go on in its conversation (a retry after a transient error, or after
    /// an interruption): its `.retry` sidecar says when.
    Waiting,
    /// In `done/`.
    Done,
    /// In `failed/`.
    Failed,
}

impl TaskState {
    /// Every state, in the order of a task's life.
    pub const ALL: [TaskState; 8] = [
        TaskState::Queued,
        TaskState::Blocked,
        TaskState::Invalid,
        TaskState::Delegated,
        TaskState::Running,
        TaskState::Waiting,
        TaskState::Done,
        TaskState::Failed,
    ];

    /// The snake_case name (as in JSON).
    pub fn as_str(self) -> &'static str {
        match self {
            TaskState::Queued => "queued",
            TaskState::Blocked => "blocked",
            TaskState::Invalid => "invalid",
            TaskState::Delegated => "delegated",
            TaskState::Running => "running",
            TaskState::Waiting => "waiting",
            TaskState::Done => "done",
            TaskState::Failed => "failed",
        }
    }
}

/// One task.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TaskLine {
    /// Project name.
    pub project: String,
    /// The file name (`<id>.md`, or the done/failed file's name).
    pub file: String,
    /// Its state.
    pub state: TaskState,
    /// Why it is in that state, when there is something to say.
    pub reason: Option<String>,
    /// Since when (blocked: first detection; otherwise the file's mtime), RFC 3339.
    pub since: Option<String>,
    /// A finished task: the account its last run was on (from its footer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// A finished task: what it cost (from its footer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spent: Option<cf_core::footer::Spent>,
    /// A finished task that ran in a worktree: its branch, left for review (from its footer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
}

/// Lists every task of every project.
pub fn collect_tasks(cfg: &Config) -> Vec<TaskLine> {
    snapshot_queue(cfg, Detail::Full).tasks
}

/// The projects (even those without tasks) and every task, from one pass over the folders.
#[derive(Debug, Default)]
pub struct QueueSnapshot {
    /// Project names, in discovery order.
    pub projects: Vec<String>,
    /// Each project's `.agent-queue` folder.
    pub queue_dirs: std::collections::BTreeMap<String, std::path::PathBuf>,
    /// Every task of every project.
    pub tasks: Vec<TaskLine>,
}

/// How much a queue snapshot says of each task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// States only (counts, blocked reasons): no footer or store is read.
    States,
    /// Also what finished tasks' footers say (outcome, account, cost, branch) and running
    /// tasks' branches.
    Full,
}

/// Lists the projects and every task once.
pub fn snapshot_queue(cfg: &Config, detail: Detail) -> QueueSnapshot {
    let mut out = Vec::new();
    let Ok(discovery) =
        cf_queue::discover_projects(&cfg.dispatcher.projects_dir, &cfg.dispatcher.projects)
    else {
        return QueueSnapshot::default();
    };
    let projects = discovery.projects.iter().map(|p| p.name.clone()).collect();
    let store = match detail {
        Detail::Full => cf_store::Store::open_read_only(&crate::store_path(cfg)).ok(),
        Detail::States => None,
    };
    let queue_dirs = discovery
        .projects
        .iter()
        .map(|p| (p.name.clone(), p.queue_dir()))
        .collect();
    for project in discovery.projects {
        let name = project.name.clone();
        let line = |file: String, state, reason: Option<String>, since: Option<String>| TaskLine {
            project: name.clone(),
            file,
            state,
            reason,
            since,
            account: None,
            spent: None,
            branch: None,
        };
        if let Ok(scan) = cf_queue::scan_inbox(&project) {
            for q in &scan.queued {
                let entry = if q.has_delegated_sidecar {
                    line(
                        q.file_name.clone(),
                        TaskState::Delegated,
                        None,
                        Some(stamp(q.modified)),
                    )
                } else if q.has_invalid_sidecar {
                    line(
                        q.file_name.clone(),
                        TaskState::Invalid,
                        invalid_reason(&q.path),
                        Some(stamp(q.modified)),
                    )
                } else if q.has_blocked_sidecar {
                    let marker = cf_queue::blocked_marker(&q.path).ok().flatten();
                    line(
                        q.file_name.clone(),
                        TaskState::Blocked,
                        marker.as_ref().map(|m| m.0.clone()),
                        marker.map(|m| stamp(m.1)),
                    )
                } else {
                    line(
                        q.file_name.clone(),
                        TaskState::Queued,
                        None,
                        Some(stamp(q.modified)),
                    )
                };
                out.push(entry);
            }
            for r in &scan.rejected {
                let file = r
                    .path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                out.push(line(file, TaskState::Invalid, Some(r.reason.clone()), None));
            }
            for d in &scan.dispatched {
                let waiting = d
                    .has_retry_sidecar
                    .then(|| waiting_reason(&d.path))
                    .flatten();
                let mut entry = match waiting {
                    Some(reason) => line(
                        format!("{}.md", d.id),
                        TaskState::Waiting,
                        Some(reason),
                        mtime(&d.path),
                    ),
                    None => line(
                        format!("{}.md", d.id),
                        TaskState::Running,
                        None,
                        mtime(&d.path),
                    ),
                };
                // A task running in its worktree: the branch the daemon recorded.
                entry.branch = store
                    .as_ref()
                    .and_then(|s| crate::worktree::recorded_worktree(s, &name, d.id.as_str()))
                    .map(|w| w.branch);
                out.push(entry);
            }
        }
        for (folder, state) in [
            (Destination::Done, TaskState::Done),
            (Destination::Failed, TaskState::Failed),
        ] {
            let dir = folder.dir(&project);
            for file in cf_queue::finished_names(&project, folder) {
                let path = dir.join(&file);
                let footer = match detail {
                    Detail::Full => FooterFacts::read(&path),
                    Detail::States => FooterFacts::default(),
                };
                let reason = match state {
                    TaskState::Failed => footer.outcome,
                    _ => None,
                };
                let mut entry = line(file, state, reason, mtime(&path));
                entry.account = footer.account;
                entry.spent = footer.spent;
                entry.branch = footer.branch;
                out.push(entry);
            }
        }
    }
    QueueSnapshot {
        projects,
        queue_dirs,
        tasks: out,
    }
}

/// What a claimed task with a `.retry` sidecar waits for; `None` while its next attempt runs.
fn waiting_reason(dispatched: &Path) -> Option<String> {
    let bytes = cf_queue::read_retry(dispatched).ok()??;
    let record: crate::waiting::RetryRecord = serde_json::from_slice(&bytes).ok()?;
    let next = record.next_at?;
    let attempts = record.history.attempts.len();
    let last = record
        .history
        .attempts
        .last()
        .map(|a| format!(" (last: {} on {})", a.kind, a.account))
        .unwrap_or_default();
    Some(match record.reason {
        crate::waiting::WaitReason::Retry => {
            format!(
                "retry after {attempts} failed attempt(s){last}, next at {}",
                stamp(next)
            )
        }
        crate::waiting::WaitReason::Interrupted => {
            format!(
                "interrupted: goes on in its conversation at {}",
                stamp(next)
            )
        }
    })
}

/// The reason in an `.invalid` sidecar (JSON with a `reason` field), read without judging it.
fn invalid_reason(task: &Path) -> Option<String> {
    let sidecar = cf_queue::sidecar_path(task, cf_queue::SidecarKind::Invalid);
    let bytes = cf_queue::read_task_file(&sidecar, 64 * 1024).ok()?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    value["reason"].as_str().map(str::to_string)
}

/// The last `- outcome: …` line of a finished task's footer.
/// What a finished task's footer says: how it ended, on which account, what it cost.
#[derive(Default)]
struct FooterFacts {
    outcome: Option<String>,
    account: Option<String>,
    spent: Option<cf_core::footer::Spent>,
    branch: Option<String>,
}

impl FooterFacts {
    fn read(path: &Path) -> FooterFacts {
        let Ok(bytes) = cf_queue::read_task_file(path, cf_queue::FINISH_MAX_BYTES) else {
            return FooterFacts::default();
        };
        let text = String::from_utf8_lossy(&bytes);
        FooterFacts {
            outcome: cf_core::footer::last_outcome(&text).map(str::to_string),
            account: cf_core::footer::run_footer_field(&text, "account").map(str::to_string),
            spent: cf_core::footer::Spent::from_footer(&text),
            branch: cf_core::footer::run_footer_field(&text, "branch").map(str::to_string),
        }
    }
}

fn mtime(path: &Path) -> Option<String> {
    let modified = std::fs::symlink_metadata(path).ok()?.modified().ok()?;
    jiff::Timestamp::try_from(modified).ok().map(stamp)
}

/// An instant for people: RFC 3339 to the second.
pub fn stamp(at: jiff::Timestamp) -> String {
    at.round(jiff::Unit::Second).unwrap_or(at).to_string()
}

/// The listing as text.
pub fn render_tasks(tasks: &[TaskLine]) -> String {
    let mut out = String::new();
    for t in tasks {
        let state = t.state.as_str();
        let since = t
            .since
            .as_deref()
            .map(|s| format!(" since {s}"))
            .unwrap_or_default();
        let reason = t
            .reason
            .as_deref()
            .map(|r| format!(": {r}"))
            .unwrap_or_default();
        let branch = t
            .branch
            .as_deref()
            .map(|b| format!(" [branch {b}]"))
            .unwrap_or_default();
        out.push_str(&format!(
            "{:<10} {}/{}{branch}{since}{reason}\n",
            state, t.project, t.file
        ));
    }
    if tasks.is_empty() {
        out.push_str("no tasks\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_names_match_the_json_names() {
        for state in TaskState::ALL {
            assert_eq!(serde_json::to_value(state).expect("json"), state.as_str());
        }
    }
}
