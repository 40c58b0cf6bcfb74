//! Noticing that a task is finished, and finishing it: `done/` or `failed/`, the footer,
//! the store, and `/exit` for the pool session.

use std::time::Duration;

use cf_core::footer::{Outcome, RunFooter, is_success, render_footer};
use cf_core::screen;
use cf_core::watch::{Observation, Verdict, WatchPolicy};
use cf_queue::Destination;
use cf_tmux::Key;

use crate::daemon::Daemon;
use crate::notice::NoticeKind;
use crate::signals::{self, SignalKind};
use crate::slots::Phase;

impl Daemon {
    pub(crate) fn watch_policy(&self) -> WatchPolicy {
        WatchPolicy {
            idle_timeout: self.cfg.watcher.idle_timeout,
            stable_idle: self.cfg.watcher.stable_idle,
            agent_gone_grace: Duration::from_secs(3).max(self.cfg.watcher.stable_idle),
        }
    }

    /// Looks at the screen of every working session once.
    pub(crate) async fn poll_screens(&mut self) {
        let working: Vec<String> = self
            .slots
            .iter()
            .filter(|(_, s)| matches!(s.phase, Phase::Working { .. }))
            .map(|(n, _)| n.clone())
            .collect();
        for session in working {
            let observation = match self.tmux.capture_screen(&session).await {
                Ok(text) => {
                    // A screen that shows a limit is never a finished task.
                    if self.quota_sees_limit(&session, &text).await {
                        continue;
                    }
                    if let Some((since, error)) = self.limit_hints.get(&session).cloned() {
                        let waited = self.clock.now().duration_since(since);
                        if waited < jiff::SignedDuration::from_secs(LIMIT_HINT_GRACE_SECS) {
                            continue;
                        }
                        self.limit_hints.remove(&session);
                        self.observe(&session, Observation::StopFailure(error))
                            .await;
                        continue;
                    }
                    Observation::Screen(screen::classify(&text).state)
                }
                Err(e) => {
                    match self.tmux.has_session(&session).await {
                        Ok(false) => {
                            if let Some(slot) = self.slots.get_mut(&session) {
                                slot.alive = false;
                            }
                            self.complete(&session, Verdict::AgentGone).await;
                            self.maintain_pool().await;
                        }
                        _ => tracing::warn!("cannot capture {session}: {e}"),
                    }
                    continue;
                }
            };
            self.observe(&session, observation).await;
        }
        self.poll_dedicated().await;
        self.end_pause_if_due();
    }

    /// A signal file appeared in the done-signal dir.
    pub(crate) async fn on_signal_file(&mut self, file_name: &str) {
        let Some((kind, session)) = signals::parse_signal_name(file_name) else {
            return;
        };
        let session = session.to_string();
        let holds_task = self.slots.get(&session).is_some_and(|s| s.task().is_some());
        let dir = self.cfg.watcher.done_signal_dir.clone();
        if !holds_task {
            // A leftover (or another tool's session): drop it so it cannot end a later run.
            if self.is_pool(&session) {
                let _ = signals::take_signal(&dir, kind, &session);
            }
            return;
        }
        let Some(payload) = signals::take_signal(&dir, kind, &session) else {
            return;
        };
        let observation = match kind {
            SignalKind::Done => Observation::DoneSignal,
            SignalKind::StopFailure => {
                let error = payload
                    .error
                    .clone()
                    .unwrap_or_else(|| "unknown".to_string());
                // `rate_limit` is a hint to look, not proof (an organisation's per-minute 429
                // gives it too): the next polls decide; a confirmed usage limit means the swap
                // resumes the task, otherwise the failure stands once the grace period is over.
                if error == "rate_limit" {
                    self.limit_hints
                        .insert(session.clone(), (self.clock.now(), error));
                    self.notify_parts(
                        NoticeKind::StopFailure,
                        Some(session.clone()),
                        None,
                        None,
                        "turn ended on a rate limit: checking the screen for a usage limit".into(),
                    );
                    return;
                }
                self.notify_parts(
                    NoticeKind::StopFailure,
                    Some(session.clone()),
                    None,
                    None,
                    format!("turn ended on an API error: {error}"),
                );
                Observation::StopFailure(error)
            }
        };
        if let Some(written) = payload
            .written_at
            .as_deref()
            .and_then(|w| w.parse::<jiff::Timestamp>().ok())
        {
            let latency = self.clock.now().duration_since(written);
            tracing::debug!(%session, latency_ms = latency.as_millis(), "done signal received");
        }
        self.observe(&session, observation).await;
    }

    /// Reads the done-signal dir once (start-up, rescans, watcher overflow): no signal is lost
    /// even if its event was.
    pub(crate) async fn check_signal_dir(&mut self) {
        let Ok(entries) = std::fs::read_dir(&self.cfg.watcher.done_signal_dir) else {
            return;
        };
        let names: Vec<String> = entries
            .flatten()
            .filter_map(|e| e.file_name().to_str().map(str::to_string))
            .collect();
        for name in names {
            self.on_signal_file(&name).await;
        }
    }

    /// Finishes the task of `session` according to `verdict`.
    pub(crate) async fn complete(&mut self, session: &str, verdict: Verdict) {
        let now = self.clock.now();
        let Some(slot) = self.slots.get_mut(session) else {
            return;
        };
        let (run, task) = match std::mem::replace(&mut slot.phase, Phase::Free) {
            Phase::Working { run, task, .. } | Phase::Launching { run, task, .. } => (run, task),
            Phase::Free => return,
        };
        if verdict == Verdict::AgentGone && self.requeue_vanished(session, run, &task).await {
            return;
        }
        let outcome = match &verdict {
            Verdict::Completed(cause) => Outcome::Completed { by: *cause },
            Verdict::AgentError(kind) => {
                Outcome::AgentError(format!("the turn ended on an API error ({kind})"))
            }
            Verdict::AgentGone => {
                Outcome::AgentError("the agent exited before finishing the task".to_string())
            }
            Verdict::TimedOut => Outcome::TimedOut,
            Verdict::KeepWatching => return,
        };
        let footer = render_footer(&RunFooter {
            session: session.to_string(),
            account: task.account.clone(),
            model: task.model.clone(),
            started_at: task.assigned_at,
            ended_at: now,
            outcome: outcome.clone(),
        });
        let success = is_success(&outcome);
        let destination = if success {
            Destination::Done
        } else {
            Destination::Failed
        };
        let project = self.projects.get(&task.project).cloned();
        let moved = match project {
            Some(project) => {
                cf_queue::finish(&project, &task.dispatched_path, destination, &footer)
                    .map_err(|e| e.to_string())
            }
            None => Err(format!("project {} is no longer known", task.project)),
        };
        let outcome_word = outcome_word(&outcome);
        let detail = match &moved {
            Ok(path) => format!("{outcome_word}: {}", path.display()),
            Err(e) => {
                format!("{outcome_word}, but moving the task failed (it stays .dispatched): {e}")
            }
        };
        if moved.is_err() {
            // It ran: the watchdog must never requeue it.
            self.unfinishable.insert(task.dispatched_path.clone());
        }
        if let Err(e) = self.store.finish_run(run, now, outcome_word, &detail) {
            tracing::error!("cannot finish run {run:?} in the store: {e}");
        }
        signals::clear_signals(&self.cfg.watcher.done_signal_dir, session);
        self.limit_hints.remove(session);
        let kind = if success && moved.is_ok() {
            NoticeKind::Completed
        } else {
            NoticeKind::Failed
        };
        self.notify_parts(
            kind,
            Some(session.to_string()),
            Some(task.project.clone()),
            Some(task.id.to_string()),
            detail,
        );
        self.recycle(session, &verdict).await;
        self.set_free(session);
        self.dispatch_wanted = true;
    }

    /// The agent of `session` vanished (session killed, agent exited) before finishing: nobody
    /// works on the task any more, so it goes back to the inbox — up to [`MAX_REQUEUES`] times,
    /// after which it fails (an agent that always dies on a task must not loop forever).
    /// Returns whether the task was requeued.
    async fn requeue_vanished(
        &mut self,
        session: &str,
        run: cf_store::RunId,
        task: &crate::slots::ClaimedTask,
    ) -> bool {
        let key = format!("{}/{}", task.project, task.id);
        let attempts = self.requeues.entry(key).or_insert(0);
        *attempts += 1;
        let attempt = *attempts;
        if attempt > MAX_REQUEUES {
            return false;
        }
        let now = self.clock.now();
        let reason = format!(
            "the agent in {session} vanished before finishing (requeue {attempt} of {MAX_REQUEUES})"
        );
        if let Err(e) = self.store.finish_run(run, now, "requeued", &reason) {
            tracing::error!("cannot finish run {run:?} in the store: {e}");
        }
        match cf_queue::put_back(&task.dispatched_path) {
            Ok(back) => self.notify_parts(
                NoticeKind::OrphanRequeued,
                Some(session.to_string()),
                Some(task.project.clone()),
                Some(task.id.to_string()),
                format!("{reason}; back in the inbox as {}", back.display()),
            ),
            Err(e) => self.notify_parts(
                NoticeKind::Problem,
                Some(session.to_string()),
                Some(task.project.clone()),
                Some(task.id.to_string()),
                format!("{reason}; putting it back failed: {e}"),
            ),
        }
        signals::clear_signals(&self.cfg.watcher.done_signal_dir, session);
        self.recycle(session, &Verdict::AgentGone).await;
        self.set_free(session);
        self.dispatch_wanted = true;
        true
    }

    /// Gives a pool session a fresh start after a task: `/exit` when the agent finished
    /// normally; a new session when it is stuck (timeout) or gone.
    async fn recycle(&mut self, session: &str, verdict: &Verdict) {
        if !self.is_pool(session) {
            return;
        }
        let stuck = matches!(verdict, Verdict::TimedOut | Verdict::AgentGone);
        if !stuck {
            let typed = self.tmux.type_text(session, "/exit").await;
            let pressed = match typed {
                Ok(()) => self.tmux.press(session, Key::Enter).await,
                Err(e) => Err(e),
            };
            if pressed.is_ok() {
                return;
            }
        }
        if let Err(e) = self.tmux.kill_session(session).await {
            tracing::warn!("cannot reset {session}: {e}");
        }
        if let Some(slot) = self.slots.get_mut(session) {
            slot.alive = false;
        }
        self.maintain_pool().await;
    }
}

/// How long a `rate_limit` hook report holds a session's completion while the screen is
/// checked for a usage limit.
pub const LIMIT_HINT_GRACE_SECS: i64 = 5;

/// How often a task is requeued after its agent vanished before it fails.
pub const MAX_REQUEUES: u32 = 3;

/// The outcome as one word for the store and status.
pub fn outcome_word(outcome: &Outcome) -> &'static str {
    match outcome {
        Outcome::Completed { .. } => "completed",
        Outcome::TimedOut => "timed_out",
        Outcome::LaunchFailed(_) => "launch_failed",
        Outcome::AgentError(_) => "agent_error",
    }
}
