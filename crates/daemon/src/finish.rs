//! Finishing a task: `done/` or `failed/` with its footer (every failed attempt and a restart
//! from scratch included), the store, the notice, and a fresh start for the pool session.

use cf_core::footer::{Outcome, RunFooter, is_success, render_footer};
use cf_queue::Destination;
use cf_store::RunId;

use crate::complete::{Recycle, outcome_word};
use crate::daemon::Daemon;
use crate::notice::{About, NoticeKind};
use crate::signals;
use crate::slots::ClaimedTask;

impl Daemon {
    /// Moves the task out of the queue with `outcome` (taken off its slot by the caller) and
    /// readies `session` for the next task.
    pub(crate) async fn finish(
        &mut self,
        session: &str,
        run: RunId,
        task: ClaimedTask,
        outcome: Outcome,
        recycle: Recycle,
    ) {
        self.abandon_probe(&task.account, task.probe);
        let now = self.clock.now();
        let spent = self.spent_by(session, &task, now);
        self.add_spending(&task.account, &spent);
        let worktree = self.close_worktree(&task, is_success(&outcome));
        let footer = render_footer(&RunFooter {
            session: session.to_string(),
            account: task.account.clone(),
            model: task.model.clone(),
            started_at: task.assigned_at,
            ended_at: now,
            outcome: outcome.clone(),
            attempts: task.history.attempts.clone(),
            restart_note: task.restart_note.clone(),
            run: Some(run.0),
            spent: Some(spent),
            worktree,
        });
        let success = is_success(&outcome);
        let destination = if success {
            Destination::Done
        } else {
            Destination::Failed
        };
        let moved = match self.projects.get(&task.project).cloned() {
            Some(project) => {
                cf_queue::finish(&project, &task.dispatched_path, destination, &footer)
                    .map_err(|e| e.to_string())
            }
            None => Err(format!("project {} is no longer known", task.project)),
        };
        let outcome_word = outcome_word(&outcome);
        // A failure says why (the operator is told it): the outcome with its reason.
        let said = match success {
            true => outcome_word.to_string(),
            false => outcome.to_string(),
        };
        let detail = match &moved {
            Ok(path) => format!("{said}: {}", path.display()),
            Err(e) => {
                format!("{outcome_word}, but moving the task failed (it stays .dispatched): {e}")
            }
        };
        // Its outcome is final either way: nothing may resume it after a restart.
        let _ = cf_queue::remove_retry(&task.dispatched_path);
        if moved.is_ok() && task.worktree.is_some() {
            self.record_worktree(&task.project, task.id.as_str(), None);
        }
        self.forget_conversation(&task);
        if moved.is_err() {
            // It ran: the watchdog must never requeue it.
            self.claims.mark_unfinishable(&task.dispatched_path);
        }
        if let Err(e) = self.store.finish_run(run, now, outcome_word, &detail) {
            tracing::error!("cannot finish run {run:?} in the store: {e}");
        }
        signals::clear_signals(&self.cfg.watcher.done_signal_dir, session);
        if let Some(slot) = self.pool.slot_mut(session) {
            slot.forget_hints();
        }
        self.claims.ended(&task.dispatched_path);
        let kind = if success && moved.is_ok() {
            NoticeKind::Completed
        } else {
            NoticeKind::Failed
        };
        self.say(
            kind,
            About::default()
                .session(session.to_string())
                .task(&task.key()),
            detail,
        );
        self.recycle(session, recycle).await;
        self.set_free(session);
        self.dispatch_wanted = true;
    }
}
