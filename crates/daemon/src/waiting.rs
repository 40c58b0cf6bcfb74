//! Claimed tasks waiting to go on in their own conversation: after a transient error (a retry
//! after a backoff), after their agent vanished or the tmux server died (at once), after a
//! restart found their session dead. Each stays `<id>.md.dispatched` with a `.retry` sidecar that
//! holds everything needed to go on (the conversation id, the attempts, when), so that a restart,
//! the watchdog and `status` see it: it is neither requeued from scratch nor lost.

use std::collections::BTreeMap;
use std::path::PathBuf;

use cf_core::resume::ResumeId;
use cf_core::retry::RetryHistory;
use cf_core::{Priority, TaskId};
use jiff::Timestamp;

use crate::daemon::Daemon;
use crate::notice::{About, NoticeKind};
use crate::slots::{ClaimedTask, Held, Probe};

/// Why a task waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WaitReason {
    /// Its turn ended on a transient error: a retry after a backoff.
    Retry,
    /// Its agent vanished or the daemon restarted without it: resume at once.
    Interrupted,
}

/// A task waiting to go on.
#[derive(Debug, Clone)]
pub struct Waiting {
    /// The task (still claimed).
    pub task: ClaimedTask,
    /// Not before this instant.
    pub due: Timestamp,
    /// Why it waits.
    pub reason: WaitReason,
    /// Since when it is due but held back by an open breaker (not counted against its limits).
    pub held_since: Option<Timestamp>,
}

/// The tasks waiting to go on, keyed by their claimed file.
pub type WaitingTasks = BTreeMap<PathBuf, Waiting>;

/// The `.retry` sidecar's content: everything to rebuild the waiting task after a restart.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct RetryRecord {
    /// The project.
    pub project: String,
    /// The task id.
    pub task_id: String,
    /// Its priority.
    pub priority: String,
    /// The model it runs with.
    pub model: String,
    /// The account it last ran on.
    pub account: String,
    /// When it was first assigned (the footer's `started`).
    pub assigned_at: Timestamp,
    /// The conversation to resume, if known.
    pub conversation: Option<String>,
    /// The attempts that failed so far.
    pub history: RetryHistory,
    /// When to go on; `None` while an attempt runs.
    pub next_at: Option<Timestamp>,
    /// Why it waits.
    pub reason: WaitReason,
    /// Why it was restarted from scratch, if it was.
    #[serde(default)]
    pub restart_note: Option<String>,
    /// Whether its conversation holds the task text.
    #[serde(default)]
    pub held: Held,
    /// What it cost so far, per account.
    #[serde(default)]
    pub spending: cf_core::footer::TaskSpending,
    /// Its worktree, when it runs in one.
    #[serde(default)]
    pub worktree: Option<crate::worktree::TaskWorktree>,
}

impl RetryRecord {
    fn of(task: &ClaimedTask, next_at: Option<Timestamp>, reason: WaitReason) -> RetryRecord {
        RetryRecord {
            project: task.project.clone(),
            task_id: task.id.to_string(),
            priority: task.priority.to_string(),
            model: task.model.clone(),
            account: task.account.clone(),
            assigned_at: task.assigned_at,
            conversation: task.conversation.as_ref().map(|c| c.as_str().to_string()),
            history: task.history.clone(),
            next_at,
            reason,
            restart_note: task.restart_note.clone(),
            held: task.held,
            spending: task.spending.clone(),
            worktree: task.worktree.clone(),
        }
    }

    /// The claimed task it describes (its file at `dispatched_path`).
    pub fn task(&self, dispatched_path: PathBuf) -> Option<ClaimedTask> {
        let id = TaskId::parse(&self.task_id).ok()?;
        Some(ClaimedTask {
            project: self.project.clone(),
            file_name: format!("{id}.md"),
            id,
            dispatched_path,
            priority: self.priority.parse().unwrap_or(Priority::Default),
            model: self.model.clone(),
            account: self.account.clone(),
            assigned_at: self.assigned_at,
            launched_at: self.assigned_at,
            conversation: self
                .conversation
                .as_deref()
                .and_then(|c| ResumeId::parse(c).ok()),
            history: self.history.clone(),
            probe: Probe::No,
            restart_note: self.restart_note.clone(),
            resume_failures: 0,
            held: self.held,
            spending: self.spending.clone(),
            worktree: self.worktree.clone(),
            preparation: None,
        })
    }
}

impl Daemon {
    /// Keeps `task` claimed and waiting until `due`, recorded in its `.retry` sidecar.
    pub(crate) fn wait_to_go_on(
        &mut self,
        mut task: ClaimedTask,
        due: Timestamp,
        reason: WaitReason,
    ) {
        self.abandon_probe(&task.account, task.probe);
        task.probe = Probe::No;
        self.save_retry_record(&task, Some(due), reason);
        self.waiting.insert(
            task.dispatched_path.clone(),
            Waiting {
                task,
                due,
                reason,
                held_since: None,
            },
        );
        self.dispatch_wanted = true;
    }

    /// Writes the task's `.retry` sidecar (`next_at: None` while an attempt runs).
    pub(crate) fn save_retry_record(
        &self,
        task: &ClaimedTask,
        next_at: Option<Timestamp>,
        reason: WaitReason,
    ) {
        let record = RetryRecord::of(task, next_at, reason);
        let written = serde_json::to_vec_pretty(&record)
            .map_err(|e| e.to_string())
            .and_then(|body| {
                cf_queue::write_retry(&task.dispatched_path, &body).map_err(|e| e.to_string())
            });
        if let Err(e) = written {
            self.say(
                NoticeKind::Problem,
                About::default().task(&task.key()),
                format!("cannot record the retry state: {e}"),
            );
        }
    }

    /// The `.retry` record of a claimed task found at start-up, if it has a readable one.
    pub(crate) fn read_retry_record(
        &self,
        dispatched_path: &std::path::Path,
    ) -> Option<RetryRecord> {
        let bytes = cf_queue::read_retry(dispatched_path).ok()??;
        match serde_json::from_slice(&bytes) {
            Ok(record) => Some(record),
            Err(e) => {
                tracing::warn!(
                    "ignoring the unreadable retry record of {}: {e}",
                    dispatched_path.display()
                );
                None
            }
        }
    }

    /// Whether any waiting task is due (the poll asks for a dispatch pass then).
    pub(crate) fn waiting_due(&self, now: Timestamp) -> bool {
        self.waiting.values().any(|w| w.due <= now)
    }

    /// Starts the waiting tasks that are due in the free sessions, earliest first, as far as
    /// the active account's breaker admits them (a project whose settings are broken waits).
    /// Returns the sessions still free.
    pub(crate) fn launch_due(&mut self, mut free: Vec<String>, now: Timestamp) -> Vec<String> {
        let mut due: Vec<(Timestamp, PathBuf)> = self
            .waiting
            .iter()
            .filter(|(_, w)| w.due <= now && self.project_held(&w.task.project).is_none())
            .map(|(path, w)| (w.due, path.clone()))
            .collect();
        due.sort();
        for (_, path) in due {
            if free.is_empty() {
                break;
            }
            let Some(probe) = self.admit_launch(now) else {
                for waiting in self.waiting.values_mut().filter(|w| w.due <= now) {
                    waiting.held_since.get_or_insert(now);
                }
                break;
            };
            let Some(mut waiting) = self.waiting.remove(&path) else {
                continue;
            };
            if let Some(since) = waiting.held_since {
                let held = cf_core::watch::elapsed(since, now);
                waiting.task.history.add_breaker_wait(held);
            }
            let Some(session) = free.pop() else { break };
            waiting.task.probe = probe;
            self.go_on(&session, waiting);
        }
        free
    }

    /// Launches a waiting task: its conversation with the short continue message, or the whole
    /// task again (said in its footer) when no conversation is known.
    fn go_on(&mut self, session: &str, waiting: Waiting) {
        let Waiting {
            mut task, reason, ..
        } = waiting;
        let resume = match task.held {
            Held::Yes => task.conversation.clone(),
            // The text never reached a conversation: it starts now, as any task.
            Held::No => None,
        };
        let message = match &resume {
            Some(_) => {
                self.save_retry_record(&task, None, reason);
                crate::failover::CONTINUE_MESSAGE.to_string()
            }
            None => match self.task_message(&task) {
                Ok(message) => {
                    if task.held == Held::Yes {
                        task.restart_note.get_or_insert_with(|| {
                            "its conversation could not be found".to_string()
                        });
                    }
                    // A new conversation: the old one (if any) must not be resumed later; what
                    // it used is counted first, and the new one's tokens count from zero.
                    if task.conversation.is_some() {
                        let so_far = self.conversation_tokens_of(None, &task);
                        let account = task.account.clone();
                        task.spending.count_tokens(&account, so_far);
                    }
                    task.spending.new_conversation();
                    task.conversation = None;
                    task.held = Held::No;
                    self.forget_conversation(&task);
                    self.save_retry_record(&task, None, reason);
                    message
                }
                Err(e) => {
                    self.put_back(&task, &format!("cannot read the task again: {e}"));
                    let _ = cf_queue::remove_retry(&task.dispatched_path);
                    return;
                }
            },
        };
        self.begin_launch(
            session,
            task,
            resume,
            message,
            crate::dispatch::LaunchOn::Placed,
        );
    }
}
