//! Noticing that a task's turn is over (done signals, screens, a vanished agent, the timeout)
//! and handing it on: to [`Daemon::turn_over`] to judge, to a fresh session to go on, or to
//! `failed/`.

use std::time::Duration;

use cf_core::footer::{CompletionCause, Outcome};
use cf_core::screen;
use cf_core::watch::{Observation, Verdict, WatchPolicy};
use cf_tmux::Key;

use crate::daemon::Daemon;
use crate::notice::{About, NoticeKind};
use crate::signals::{self, SignalKind};
use crate::waiting::WaitReason;

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
        let working = self.pool.working();
        for session in working {
            let observation = match self.terminal.capture_screen(&session).await {
                Ok(text) => {
                    if self.dispatch_paused() {
                        self.cancel_auto_continue_in(&session, &text).await;
                    }
                    // A screen that shows a limit is never a finished task.
                    if self.quota_sees_limit(&session, &text).await {
                        continue;
                    }
                    let hint = self.pool.slot(&session).and_then(|s| s.hints.limit.clone());
                    if let Some((since, error)) = hint {
                        let waited = self.clock.now().duration_since(since);
                        if waited < jiff::SignedDuration::from_secs(LIMIT_HINT_GRACE_SECS) {
                            continue;
                        }
                        if let Some(slot) = self.pool.slot_mut(&session) {
                            slot.hints.limit = None;
                        }
                        self.observe(&session, Observation::StopFailure(error))
                            .await;
                        continue;
                    }
                    Observation::Screen(screen::classify(&text).state)
                }
                Err(e) => {
                    match self.terminal.has_session(&session).await {
                        Ok(false) => {
                            if let Some(slot) = self.pool.slot_mut(&session) {
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
        if self.waiting_due(self.clock.now()) {
            self.dispatch_wanted = true;
        }
    }

    /// A signal file appeared in the done-signal dir.
    pub(crate) async fn on_signal_file(&mut self, file_name: &str) {
        if let Some(session) = signals::parse_usage_name(file_name) {
            self.on_usage_report(session);
            return;
        }
        if let Some(session) = signals::parse_session_id_name(file_name) {
            self.learn_conversation(session);
            return;
        }
        let Some((kind, session)) = signals::parse_signal_name(file_name) else {
            return;
        };
        let session = session.to_string();
        let holds_task = self.pool.slot(&session).is_some_and(|s| s.task().is_some());
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
        self.learn_from_payload(&session, &payload);
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
                    let now = self.clock.now();
                    if let Some(slot) = self.pool.slot_mut(&session) {
                        slot.hints.limit = Some((now, error));
                    }
                    self.say(
                        NoticeKind::StopFailure,
                        About::default().session(session.clone()),
                        "turn ended on a rate limit: checking the screen for a usage limit",
                    );
                    return;
                }
                tracing::debug!(%session, %error, "StopFailure hook: the turn ended on an API error");
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

    /// Acts on a verdict about the task of `session`: a turn that is over is judged
    /// ([`Daemon::turn_over`]); a vanished agent's task goes on in a fresh session; a timeout
    /// fails it.
    pub(crate) async fn complete(&mut self, session: &str, verdict: Verdict) {
        match verdict {
            Verdict::KeepWatching => {}
            Verdict::Completed(cause) => self.turn_over(session, cause, None).await,
            Verdict::AgentError(kind) => {
                self.turn_over(session, CompletionCause::DoneSignal, Some(kind))
                    .await
            }
            Verdict::AgentGone => self.agent_gone(session).await,
            Verdict::TimedOut => {
                let Some((run, task)) = self.pool.take_task(session) else {
                    return;
                };
                self.finish(session, run, task, Outcome::TimedOut, Recycle::Reset)
                    .await;
            }
        }
    }

    /// The agent of `session` vanished (session killed, agent crashed, tmux server gone) before
    /// finishing: the task goes on in its own conversation in a fresh session — up to
    /// [`MAX_REQUEUES`] times, after which it fails (an agent that always dies on a task must not
    /// loop forever). Without a known conversation it starts over, and its footer says so.
    async fn agent_gone(&mut self, session: &str) {
        let Some((run, mut task)) = self.pool.take_task(session) else {
            return;
        };
        let attempt = self.claims.interrupted(&task.dispatched_path);
        if attempt > MAX_REQUEUES {
            let outcome = Outcome::AgentError(format!(
                "the agent exited before finishing the task, {MAX_REQUEUES} times"
            ));
            self.finish(session, run, task, outcome, Recycle::Reset)
                .await;
            return;
        }
        let now = self.clock.now();
        task.conversation = self.conversation_of(session, &task);
        let label = task.key();
        let next = match &task.conversation {
            Some(id) => format!("resuming conversation {} in a fresh session", id.as_str()),
            None => "no conversation is known: it starts over".to_string(),
        };
        // Waiting (its `.retry` record written) before its run closes: a crash from here on
        // finds it waiting.
        self.wait_to_go_on(task, now, WaitReason::Interrupted);
        let reason = format!(
            "the agent in {session} vanished before finishing (interruption {attempt} of {MAX_REQUEUES})"
        );
        if let Err(e) = self.store.finish_run(run, now, "interrupted", &reason) {
            tracing::error!("cannot finish run {run:?} in the store: {e}");
        }
        signals::clear_signals(&self.cfg.watcher.done_signal_dir, session);
        self.recycle(session, Recycle::Reset).await;
        self.set_free(session);
        self.say(
            NoticeKind::Interrupted,
            About::default().session(session.to_string()).task(&label),
            format!("{reason}; {next}"),
        );
    }

    /// Gives a pool session a fresh start after a task: `/exit` when the agent finished its
    /// turn; a new session when it is stuck (timeout) or gone.
    pub(crate) async fn recycle(&mut self, session: &str, how: Recycle) {
        if !self.is_pool(session) || how == Recycle::Untouched {
            return;
        }
        if how == Recycle::Exit {
            let typed = self.terminal.type_text(session, "/exit").await;
            let pressed = match typed {
                Ok(()) => self.terminal.press(session, Key::Enter).await,
                Err(e) => Err(e),
            };
            if pressed.is_ok() {
                return;
            }
        }
        if let Err(e) = self.terminal.kill_session(session).await {
            tracing::warn!("cannot reset {session}: {e}");
        }
        if let Some(slot) = self.pool.slot_mut(session) {
            slot.alive = false;
        }
        self.maintain_pool().await;
    }
}

/// How a pool session is made ready for the next task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recycle {
    /// The agent finished its turn: `/exit` (a fresh context for the next task).
    Exit,
    /// The agent is stuck or gone: a new session.
    Reset,
    /// Nothing was started in it: it stays as it is.
    Untouched,
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
