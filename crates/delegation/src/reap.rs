//! The reaper: polls every job that has a `.delegated` sidecar and finishes its task.
//!
//! A terminal job is finished with cf-queue's `claim` + `finish`: the inbox file becomes
//! `<id>.md.dispatched`, then `done/<id>.md` (or `failed/`) is written durably and the
//! `.dispatched` file removed, and only then the sidecar. A crash at any point leaves the
//! task in at least one place and the next reap completes the move without running anything
//! twice: a `.dispatched` file with a sidecar is finished again from where it stopped, and a
//! sidecar whose task is already in `done/`/`failed/` is removed.

use std::path::{Path, PathBuf};

use cf_core::TaskId;
use cf_platform::{Job, JobId, JobStatus, PlatformError};
use cf_queue::{
    Claim, Destination, Project, QueueError, SidecarKind, claim, find_finished, finish,
    remove_sidecar,
};
use jiff::Timestamp;

use crate::footer::{render_lost_job, render_outcome};
use crate::manager::{ActiveJob, Counters, DelegationManager};
use crate::sidecar::{DelegatedSidecar, delegated_sidecar_path, read_sidecar};

/// What one reap did with one delegated task.
#[derive(Debug, Clone, PartialEq)]
pub struct Reaped {
    /// The project name.
    pub project: String,
    /// The task id.
    pub task: TaskId,
    /// The job, when the sidecar could be read.
    pub job_id: Option<JobId>,
    /// What happened.
    pub outcome: ReapOutcome,
}

/// What happened to one delegated task in a reap.
#[derive(Debug, Clone, PartialEq)]
pub enum ReapOutcome {
    /// The job is queued or running; nothing changed.
    Pending(JobStatus),
    /// The job completed: the task, result and footer are at this path in `done/`.
    Completed(PathBuf),
    /// The job failed or was cancelled (or the platform no longer knows it): the task and
    /// the error are at this path in `failed/`.
    Failed {
        /// The file written in `failed/`.
        path: PathBuf,
        /// The platform's error.
        error: String,
    },
    /// The platform gave no usable answer; the job stays tracked and is polled again.
    PollFailed(String),
    /// Something on disk is wrong (unreadable sidecar, a move failed); the message says what
    /// to do. The task stays where it is and is tried again at the next reap.
    Problem(String),
    /// A sidecar left behind by a crash after its task was finished was removed.
    StaleSidecarRemoved(PathBuf),
}

/// A task with a sidecar, waiting in the inbox or already claimed by an earlier reap.
struct Candidate {
    task: TaskId,
    /// `inbox/<id>.md` (the sidecar's base name even when the file is `.dispatched`).
    task_path: PathBuf,
    /// `inbox/<id>.md.dispatched` when an earlier reap claimed it and stopped (crash).
    dispatched: Option<PathBuf>,
}

impl DelegationManager {
    /// Polls every delegated task of `projects` once and finishes the terminal ones.
    /// Pass every project: the active-jobs list is rebuilt from what this reap saw.
    pub async fn reap_once(&self, projects: &[Project]) -> Vec<Reaped> {
        let mut reaped = Vec::new();
        let mut still_active = Vec::new();
        let mut outage = None;
        for project in projects {
            for candidate in candidates(project, &mut reaped) {
                let entry = self.reap_task(project, &candidate, &mut outage).await;
                if let Some(active) = entry.1 {
                    still_active.push(active);
                }
                reaped.push(entry.0);
            }
        }
        *self.lock_active() = still_active;
        reaped
    }

    /// Polls one job; returns what happened and, if it is still tracked, its status entry.
    /// Once a poll has spent its whole retry budget (`outage` is set), the remaining jobs of
    /// this reap are not polled, so that an outage costs one budget per reap, not one per job.
    async fn reap_task(
        &self,
        project: &Project,
        candidate: &Candidate,
        outage: &mut Option<String>,
    ) -> (Reaped, Option<ActiveJob>) {
        let mut reaped = Reaped {
            project: project.name.clone(),
            task: candidate.task.clone(),
            job_id: None,
            outcome: ReapOutcome::Problem(String::new()),
        };
        let sidecar = match read_sidecar(&candidate.task_path) {
            Ok(Some(s)) => s,
            Ok(None) => {
                reaped.outcome =
                    ReapOutcome::Problem("the sidecar vanished during the reap".into());
                return (reaped, None);
            }
            Err(e) => {
                tracing::warn!(project = %project.name, task = %candidate.task, error = %e,
                    "cannot read a delegated sidecar; the task is neither run nor tracked");
                reaped.outcome = ReapOutcome::Problem(e.to_string());
                return (reaped, None);
            }
        };
        reaped.job_id = Some(sidecar.job_id.clone());
        let active = ActiveJob {
            project: project.name.clone(),
            task: candidate.task.to_string(),
            job_id: sidecar.job_id.clone(),
            provider: sidecar.provider,
            submitted_at: sidecar.submitted_at,
        };
        if let Some(reason) = outage {
            Counters::bump(&self.counters.poll_errors);
            reaped.outcome = ReapOutcome::PollFailed(format!("not polled: {reason}"));
            return (reaped, Some(active));
        }
        let polled = self.client.get_job(&sidecar.job_id).await;
        let now = Timestamp::now();
        let (dest, footer, error) = match polled {
            Ok(job) if !job.status.is_terminal() => {
                reaped.outcome = ReapOutcome::Pending(job.status);
                return (reaped, Some(active));
            }
            Ok(job) => terminal_footer(&job, &sidecar, now),
            Err(e @ PlatformError::JobNotFound { .. }) => {
                let error = e.to_string();
                let footer = render_lost_job(&sidecar, &error, now);
                (Destination::Failed, footer, Some(error))
            }
            Err(e) => {
                Counters::bump(&self.counters.poll_errors);
                tracing::warn!(project = %project.name, task = %candidate.task,
                    job_id = %sidecar.job_id, error = %e,
                    "polling a delegated job failed; it stays tracked");
                if matches!(e, PlatformError::GaveUp { .. }) {
                    *outage = Some(format!("an earlier poll in this reap gave up ({e})"));
                }
                reaped.outcome = ReapOutcome::PollFailed(e.to_string());
                return (reaped, Some(active));
            }
        };
        match finish_task(project, candidate, dest, &footer) {
            Ok(Finished::Written(path)) => {
                if let Err(e) = remove_sidecar(&candidate.task_path, SidecarKind::Delegated) {
                    // The task is finished; the leftover sidecar is removed at the next reap.
                    tracing::warn!(error = %e, "finished a delegated task but kept its sidecar");
                }
                reaped.outcome = match error {
                    None => {
                        Counters::bump(&self.counters.completed);
                        tracing::info!(project = %project.name, task = %candidate.task,
                            job_id = %sidecar.job_id, path = %path.display(), "delegated task done");
                        ReapOutcome::Completed(path)
                    }
                    Some(error) => {
                        Counters::bump(&self.counters.failed);
                        tracing::warn!(project = %project.name, task = %candidate.task,
                            job_id = %sidecar.job_id, %error, "delegated task failed");
                        ReapOutcome::Failed { path, error }
                    }
                };
                (reaped, None)
            }
            Ok(Finished::Elsewhere(message)) => {
                let _ = remove_sidecar(&candidate.task_path, SidecarKind::Delegated);
                tracing::warn!(project = %project.name, task = %candidate.task, %message,
                    "delegated task was moved by someone else; its sidecar is removed");
                reaped.outcome = ReapOutcome::Problem(message);
                (reaped, None)
            }
            Err(e) => {
                tracing::error!(project = %project.name, task = %candidate.task, error = %e,
                    "cannot finish a delegated task; will try again at the next reap");
                reaped.outcome = ReapOutcome::Problem(e.to_string());
                (reaped, Some(active))
            }
        }
    }
}

/// Destination, appended text and (for failures) the error of a terminal job.
fn terminal_footer(
    job: &Job,
    sidecar: &DelegatedSidecar,
    now: Timestamp,
) -> (Destination, String, Option<String>) {
    let footer = render_outcome(job, sidecar, now);
    if job.status == JobStatus::Completed {
        return (Destination::Done, footer, None);
    }
    let error = job
        .error
        .clone()
        .unwrap_or_else(|| format!("the job was {} without a reason", job.status));
    (Destination::Failed, footer, Some(error))
}

/// How [`finish_task`] ended when it did not fail.
enum Finished {
    /// The task is now at this path in `done/` or `failed/`.
    Written(PathBuf),
    /// The task was gone from the inbox (operator or another process); what was found.
    Elsewhere(String),
}

/// Claims the inbox file (unless an earlier reap did) and finishes it into `dest`.
fn finish_task(
    project: &Project,
    candidate: &Candidate,
    dest: Destination,
    footer: &str,
) -> Result<Finished, QueueError> {
    let dispatched = match &candidate.dispatched {
        Some(path) => path.clone(),
        None => match claim(&candidate.task_path)? {
            Claim::Claimed { dispatched_path } | Claim::AlreadyDispatched { dispatched_path } => {
                dispatched_path
            }
            Claim::Gone => {
                return Ok(Finished::Elsewhere(gone_message(project, candidate)));
            }
        },
    };
    match finish(project, &dispatched, dest, footer) {
        Ok(path) => Ok(Finished::Written(path)),
        Err(QueueError::DispatchedGone { .. }) => {
            Ok(Finished::Elsewhere(gone_message(project, candidate)))
        }
        Err(e) => Err(e),
    }
}

fn gone_message(project: &Project, candidate: &Candidate) -> String {
    match find_finished(project, &candidate.task) {
        Some(path) => format!("the task is already finished at {}", path.display()),
        None => format!(
            "{} disappeared before its result came back; the result is not kept",
            candidate.task_path.display()
        ),
    }
}

/// The delegated tasks of one project; stale sidecars of finished tasks are removed here
/// (reported in `reaped`). A project whose inbox cannot be listed is logged and skipped.
fn candidates(project: &Project, reaped: &mut Vec<Reaped>) -> Vec<Candidate> {
    let scan = match cf_queue::scan_inbox(project) {
        Ok(scan) => scan,
        Err(e) => {
            tracing::warn!(project = %project.name, error = %e,
                "cannot list the inbox for delegated tasks; skipping this project");
            return Vec::new();
        }
    };
    let inbox = project.inbox_dir();
    let task_path = |id: &TaskId| inbox.join(format!("{id}.md"));
    let mut out: Vec<Candidate> = scan
        .queued
        .iter()
        .filter(|q| q.has_delegated_sidecar)
        .map(|q| Candidate {
            task: q.id.clone(),
            task_path: q.path.clone(),
            dispatched: None,
        })
        .collect();
    for d in &scan.dispatched {
        let path = task_path(&d.id);
        if exists(&delegated_sidecar_path(&path)) {
            out.push(Candidate {
                task: d.id.clone(),
                task_path: path,
                dispatched: Some(d.path.clone()),
            });
        }
    }
    for orphan in scan
        .orphan_sidecars
        .iter()
        .filter(|o| o.kind == SidecarKind::Delegated)
    {
        if find_finished(project, &orphan.id).is_none() {
            continue; // The operator removed the task: leave the sidecar visible in status.
        }
        let outcome = match remove_sidecar(&task_path(&orphan.id), SidecarKind::Delegated) {
            Ok(()) => ReapOutcome::StaleSidecarRemoved(orphan.path.clone()),
            Err(e) => ReapOutcome::Problem(e.to_string()),
        };
        reaped.push(Reaped {
            project: project.name.clone(),
            task: orphan.id.clone(),
            job_id: None,
            outcome,
        });
    }
    out
}

fn exists(path: &Path) -> bool {
    path.symlink_metadata().is_ok()
}
