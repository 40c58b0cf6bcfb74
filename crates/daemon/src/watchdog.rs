//! The watchdog round: tasks blocked too long, stale runs, claimed tasks nobody works on,
//! and sidecars whose task is gone. Decisions come from `cf_core::watchdog`; this file
//! gathers the facts and carries the actions out.

use cf_core::TaskKey;
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use cf_core::watchdog::{
    BlockedTask, FailBlocked, RunningTask, WatchdogAction, WatchdogPolicy, review,
};
use cf_queue::{Claim, Destination, SidecarKind};

use crate::daemon::Daemon;
use crate::dispatch::Requeue;
use crate::notice::{About, NoticeKind};

/// A blocked task the watchdog may act on.
struct BlockedFacts {
    key: TaskKey,
    path: PathBuf,
    reason: String,
    since: jiff::Timestamp,
}

impl Daemon {
    /// One watchdog round: claims nobody holds, the janitor, marked accounts whose credentials
    /// changed, then what has been blocked or running too long.
    pub(crate) async fn run_watchdog(&mut self) {
        let now = self.clock.now();
        // Claims someone holds: a session's task, or a task waiting to go on in its conversation.
        let held: Vec<PathBuf> = self
            .pool
            .tasks()
            .map(|t| t.dispatched_path.clone())
            .chain(self.waiting.keys().cloned())
            .collect();
        let mut blocked: HashMap<TaskKey, BlockedFacts> = HashMap::new();
        for project in self.projects.all() {
            let Ok(scan) = cf_queue::scan_inbox(&project) else {
                continue;
            };
            blocked.extend(blocked_in(&project, &scan));
            for dispatched in &scan.dispatched {
                if !held.contains(&dispatched.path) {
                    self.claim_nobody_holds(&project, dispatched, now);
                }
            }
            janitor(&scan);
        }
        self.check_credentials();
        self.review_round(blocked, now);
    }

    /// A claim no session holds and no task waits on: the reaper's own, one that ran but could not
    /// be moved, one that goes on in its conversation, or an orphan put back in the inbox.
    fn claim_nobody_holds(
        &mut self,
        project: &cf_queue::Project,
        dispatched: &cf_queue::DispatchedFile,
        now: jiff::Timestamp,
    ) {
        // A `.delegated` sidecar next to it: the reaper's own claim, finished by the reaper.
        let reapers = cf_queue::sidecar_path(
            &dispatched.path.with_extension(""),
            cf_queue::SidecarKind::Delegated,
        )
        .exists();
        if reapers || self.claims.is_unfinishable(&dispatched.path) {
            return;
        }
        // Nobody holds a claim whose conversation holds the task: it goes on there.
        if dispatched.has_retry_sidecar
            && let Some(record) = self.read_retry_record(&dispatched.path)
            && let Some(task) = record.task(dispatched.path.clone())
        {
            let due = record.next_at.unwrap_or(now);
            tracing::warn!(task = %task.id, "watchdog: a claim waiting to go on was held by nobody");
            self.wait_to_go_on(task, due, record.reason);
            return;
        }
        // It starts afresh: no conversation of an earlier run may be resumed for it.
        self.return_to_inbox(&Requeue {
            key: &TaskKey::new(project.name.clone(), dispatched.id.clone()),
            claim: &dispatched.path,
            about: About::default(),
            kind: NoticeKind::OrphanRequeued,
            reason: "claimed but no session works on it",
        });
        self.dispatch_wanted = true;
    }

    /// Reports (or fails) what has been blocked too long and reports what runs too long, each
    /// once (`cf_core::watchdog::review`).
    fn review_round(&mut self, mut blocked: HashMap<TaskKey, BlockedFacts>, now: jiff::Timestamp) {
        let blocked_tasks: Vec<BlockedTask> = blocked
            .values()
            .map(|f| BlockedTask {
                key: f.key.clone(),
                since: f.since,
            })
            .collect();
        let running: Vec<RunningTask> = self
            .pool
            .tasks()
            .map(|t| RunningTask {
                key: t.key(),
                assigned_at: t.assigned_at,
            })
            .collect();
        let w = &self.cfg.watchdog;
        let policy = WatchdogPolicy {
            blocked_timeout: w.blocked_timeout,
            fail_blocked: if w.fail_blocked {
                FailBlocked::Yes
            } else {
                FailBlocked::No
            },
            stale_after: w.stale_after,
        };
        let actions = review(
            &blocked_tasks,
            &running,
            now,
            &policy,
            &mut self.watchdog_reported,
        );
        for action in actions {
            match action {
                WatchdogAction::ReportBlocked { key, for_how_long } => {
                    if let Some(f) = blocked.get(&key) {
                        self.say(
                            NoticeKind::BlockedTooLong,
                            About::default().task(&f.key),
                            format!("blocked for {}: {}", human(for_how_long), f.reason),
                        );
                    }
                }
                WatchdogAction::FailBlocked { key, for_how_long } => {
                    if let Some(f) = blocked.remove(&key) {
                        self.fail_blocked(f, for_how_long, now);
                    }
                }
                WatchdogAction::ReportStale { key, for_how_long } => self.say(
                    NoticeKind::Stale,
                    About::default().task(&key),
                    format!(
                        "running for {} (watchdog.stale_after is {})",
                        human(for_how_long),
                        human(self.cfg.watchdog.stale_after)
                    ),
                ),
            }
        }
        tracing::debug!(
            "watchdog round done: {} blocked, {} running",
            blocked_tasks.len(),
            running.len()
        );
    }

    /// Moves a task blocked too long to `failed/` with the reason (`watchdog.fail_blocked`).
    fn fail_blocked(&mut self, f: BlockedFacts, waited: Duration, now: jiff::Timestamp) {
        let label = f.key.clone();
        let Some(project) = self.projects.get(&f.key.project).cloned() else {
            return;
        };
        let footer = cf_core::footer::render_block(
            "\n\n",
            cf_core::footer::WATCHDOG_MARKER,
            &[
                (
                    "outcome",
                    format!(
                        "failed: blocked for {} ({})",
                        human(waited),
                        cf_core::footer::one_line(&f.reason)
                    ),
                ),
                ("at", now.to_string()),
            ],
        );
        let result = match cf_queue::claim(&f.path) {
            Ok(Claim::Claimed { dispatched_path }) => {
                cf_queue::finish(&project, &dispatched_path, Destination::Failed, &footer).map(Some)
            }
            Ok(_) => Ok(None),
            Err(e) => Err(e),
        };
        match result {
            Ok(Some(path)) => {
                let _ = cf_queue::remove_sidecar(&f.path, SidecarKind::Blocked);
                self.say(
                    NoticeKind::Failed,
                    About::default().task(&label),
                    format!("blocked for {}: moved to {}", human(waited), path.display()),
                );
            }
            Ok(None) => {}
            Err(e) => self.say(
                NoticeKind::Problem,
                About::default().task(&label),
                format!("cannot fail the blocked task: {e}"),
            ),
        }
    }
}

/// The blocked tasks of one inbox scan, with what the gate said and since when.
fn blocked_in(
    project: &cf_queue::Project,
    scan: &cf_queue::InboxScan,
) -> Vec<(TaskKey, BlockedFacts)> {
    scan.queued
        .iter()
        .filter(|q| q.has_blocked_sidecar)
        .filter_map(|queued| {
            let (reason, since) = cf_queue::blocked_marker(&queued.path).ok().flatten()?;
            let key = TaskKey::new(project.name.clone(), queued.id.clone());
            let facts = BlockedFacts {
                key: key.clone(),
                path: queued.path.clone(),
                reason,
                since,
            };
            Some((key, facts))
        })
        .collect()
}

/// Removes the sidecars whose task file is gone (`.blocked`, `.invalid`, `.retry`).
fn janitor(scan: &cf_queue::InboxScan) {
    for orphan in &scan.orphan_sidecars {
        if !matches!(
            orphan.kind,
            SidecarKind::Blocked | SidecarKind::Invalid | SidecarKind::Retry
        ) {
            continue;
        }
        match cf_queue::remove_orphan_sidecar(orphan) {
            Ok(()) => tracing::info!(
                "janitor: removed {} (its task file is gone)",
                orphan.path.display()
            ),
            Err(e) => tracing::warn!("janitor: cannot remove {}: {e}", orphan.path.display()),
        }
    }
}

/// `1h 5m`, `3m 2s`, `12s`.
pub fn human(d: Duration) -> String {
    let s = d.as_secs();
    match (s / 3600, (s % 3600) / 60, s % 60) {
        (0, 0, sec) => format!("{sec}s"),
        (0, m, sec) => format!("{m}m {sec}s"),
        (h, m, _) => format!("{h}h {m}m"),
    }
}
