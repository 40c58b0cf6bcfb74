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
use crate::notice::{About, NoticeKind};

/// A blocked task the watchdog may act on.
struct BlockedFacts {
    key: TaskKey,
    path: PathBuf,
    reason: String,
}

impl Daemon {
    pub(crate) async fn run_watchdog(&mut self) {
        let now = self.clock.now();
        // Claims someone holds: a session's task, or a task waiting to go on in its conversation.
        let held: Vec<PathBuf> = self
            .pool
            .tasks()
            .map(|t| t.dispatched_path.clone())
            .chain(self.waiting.keys().cloned())
            .collect();
        let mut blocked = Vec::new();
        let mut facts: HashMap<TaskKey, BlockedFacts> = HashMap::new();
        let projects = self.projects.all();
        for project in projects {
            let Ok(scan) = cf_queue::scan_inbox(&project) else {
                continue;
            };
            for queued in scan.queued.iter().filter(|q| q.has_blocked_sidecar) {
                if let Ok(Some((reason, since))) = cf_queue::blocked_marker(&queued.path) {
                    let key = TaskKey::new(project.name.clone(), queued.id.clone());
                    blocked.push(BlockedTask {
                        key: key.clone(),
                        since,
                    });
                    facts.insert(
                        key.clone(),
                        BlockedFacts {
                            key,
                            path: queued.path.clone(),
                            reason,
                        },
                    );
                }
            }
            for dispatched in &scan.dispatched {
                // A `.delegated` sidecar next to it: the reaper's own claim, finished by the reaper.
                let reapers = cf_queue::sidecar_path(
                    &dispatched.path.with_extension(""),
                    cf_queue::SidecarKind::Delegated,
                )
                .exists();
                if reapers
                    || held.contains(&dispatched.path)
                    || self.claims.is_unfinishable(&dispatched.path)
                {
                    continue;
                }
                // Nobody holds a claim whose conversation holds the task: it goes on there.
                if dispatched.has_retry_sidecar
                    && let Some(record) = self.read_retry_record(&dispatched.path)
                    && let Some(task) = record.task(dispatched.path.clone())
                {
                    let due = record.next_at.unwrap_or(now);
                    tracing::warn!(task = %task.id, "watchdog: a claim waiting to go on was held by nobody");
                    self.wait_to_go_on(task, due, record.reason);
                    continue;
                }
                let label = TaskKey::new(project.name.clone(), dispatched.id.clone());
                // It starts afresh: no conversation of an earlier run may be resumed for it.
                self.forget_conversation_of(&project.name, dispatched.id.as_str());
                match cf_queue::put_back(&dispatched.path) {
                    Ok(back) => self.say(
                        NoticeKind::OrphanRequeued,
                        About::default().task(&label),
                        format!(
                            "claimed but no session works on it; back in the inbox as {}",
                            back.display()
                        ),
                    ),
                    Err(e) => self.say(
                        NoticeKind::Problem,
                        About::default().task(&label),
                        format!("cannot put an orphaned claim back: {e}"),
                    ),
                }
                self.dispatch_wanted = true;
            }
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
                    Err(e) => {
                        tracing::warn!("janitor: cannot remove {}: {e}", orphan.path.display())
                    }
                }
            }
        }
        self.check_credentials();
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
        for action in review(
            &blocked,
            &running,
            now,
            &policy,
            &mut self.watchdog_reported,
        ) {
            match action {
                WatchdogAction::ReportBlocked { key, for_how_long } => {
                    let f = &facts[&key];
                    self.say(
                        NoticeKind::BlockedTooLong,
                        About::default().task(&f.key),
                        format!("blocked for {}: {}", human(for_how_long), f.reason),
                    );
                }
                WatchdogAction::FailBlocked { key, for_how_long } => {
                    if let Some(f) = facts.remove(&key) {
                        self.fail_blocked(f, for_how_long, now);
                    }
                }
                WatchdogAction::ReportStale { key, for_how_long } => {
                    self.say(
                        NoticeKind::Stale,
                        About::default().task(&key),
                        format!(
                            "running for {} (watchdog.stale_after is {})",
                            human(for_how_long),
                            human(self.cfg.watchdog.stale_after)
                        ),
                    );
                }
            }
        }
        tracing::debug!(
            "watchdog round done: {} blocked, {} running",
            blocked.len(),
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

/// `1h 5m`, `3m 2s`, `12s`.
pub fn human(d: Duration) -> String {
    let s = d.as_secs();
    match (s / 3600, (s % 3600) / 60, s % 60) {
        (0, 0, sec) => format!("{sec}s"),
        (0, m, sec) => format!("{m}m {sec}s"),
        (h, m, _) => format!("{h}h {m}m"),
    }
}
