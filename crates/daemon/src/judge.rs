//! A task's turn is over: gather what is known about it (the hook's error kind, the
//! transcript's last assistant entry, the screen), let `cf_core::turn::judge_turn` decide, and
//! act: `done/`, a move to another account, a retry after a backoff, or `failed/`. Every
//! completion path (done signal, stable idle screen, recovery after a restart) comes here, so no
//! path can record `done` for a turn that ended on an error.

use cf_core::footer::{CompletionCause, Outcome};
use cf_core::retry::{Attempt, RetryDecision};
use cf_core::turn::{ErrorClass, KindKnown, TurnFacts, TurnFailure, TurnOutcome, judge_turn};

use crate::complete::Recycle;
use crate::daemon::Daemon;
use crate::failover::{SwapCause, SwapTrigger};
use crate::notice::{About, NoticeKind};
use crate::slots::{ClaimedTask, Phase};
use crate::waiting::WaitReason;

impl Daemon {
    /// The turn of the task in `session` is over (`cause` says what showed it; `hook_kind` is a
    /// `StopFailure` hook's error kind). Judges it and acts on the outcome.
    pub(crate) async fn turn_over(
        &mut self,
        session: &str,
        cause: CompletionCause,
        hook_kind: Option<String>,
    ) {
        let Some(task) = self.pool.slot(session).and_then(|s| s.task()).cloned() else {
            return;
        };
        let outcome = self
            .judge_turn_of(session, &task, hook_kind.as_deref())
            .await;
        match outcome {
            TurnOutcome::Success { .. } => {
                let Some((run, task)) = self.pool.take_task(session) else {
                    return;
                };
                self.breaker_success(&task.account);
                let outcome = Outcome::Completed { by: cause };
                self.finish(session, run, task, outcome, Recycle::Exit)
                    .await;
            }
            TurnOutcome::UsageLimit { reset_at, snippet } => {
                self.park(session);
                self.say(
                    NoticeKind::QuotaHit,
                    About::default()
                        .session(session.to_string())
                        .task(&task.key()),
                    format!("the turn ended on a usage limit «{snippet}»"),
                );
                self.request_swap(session, SwapCause::Quota, reset_at, snippet);
            }
            TurnOutcome::Failed(failure) => self.turn_failed(session, &task, failure).await,
        }
    }

    /// What the turn's sources say.
    async fn judge_turn_of(
        &mut self,
        session: &str,
        task: &ClaimedTask,
        hook_kind: Option<&str>,
    ) -> TurnOutcome {
        let screen = self.terminal.capture_screen(session).await.ok();
        let entry = self.conversation_of(session, task).and_then(|id| {
            let roots = crate::transcript::transcript_roots(&self.cfg);
            let hinted = self
                .pool
                .slot(session)
                .and_then(|s| s.hints.transcript.as_deref());
            crate::transcript::turn_entry(&roots, &id, hinted, task.launched_at)
        });
        let facts = TurnFacts {
            hook_kind,
            transcript: entry.as_ref(),
            screen: screen.as_deref(),
        };
        judge_turn(&facts, self.clock.now(), self.failover.time_zone())
    }

    /// The turn ended on an error: by its class, move the account's sessions, retry, or fail.
    async fn turn_failed(&mut self, session: &str, task: &ClaimedTask, failure: TurnFailure) {
        if failure.known == KindKnown::Unknown && self.health.first_unknown_kind(&failure.kind) {
            tracing::warn!(kind = %failure.kind, "an error kind nobody has seen yet: treated as transient");
        }
        self.say(
            NoticeKind::StopFailure,
            About::default()
                .session(session.to_string())
                .task(&task.key()),
            format!(
                "the turn ended on a {} error ({}): {}",
                failure.class.as_str(),
                failure.kind,
                failure.reason
            ),
        );
        match failure.class {
            ErrorClass::Account => self.account_failed(session, task, &failure).await,
            ErrorClass::Transient => self.schedule_retry(session, failure).await,
            ErrorClass::Task => {
                let Some((run, task)) = self.pool.take_task(session) else {
                    return;
                };
                let outcome = Outcome::AgentError(format!(
                    "the request was refused ({}): {}",
                    failure.kind, failure.reason
                ));
                self.finish(session, run, task, outcome, Recycle::Exit)
                    .await;
            }
        }
    }

    /// An account failure: the account is marked, and every session that runs on it moves off it
    /// like a quota swap, resuming its task in its own conversation on the target (sessions on
    /// other accounts stay where they are).
    async fn account_failed(&mut self, session: &str, task: &ClaimedTask, failure: &TurnFailure) {
        self.abandon_probe(&task.account, task.probe);
        self.mark_attention(&task.account, failure);
        self.park(session);
        self.request_swap(session, SwapCause::Account, None, failure.reason.clone());
    }

    /// A transient error: the attempt is recorded, the breaker told, and the task waits to
    /// resume its conversation after a backoff — or fails after the configured limits.
    async fn schedule_retry(&mut self, session: &str, failure: TurnFailure) {
        let Some((run, mut task)) = self.pool.take_task(session) else {
            return;
        };
        let now = self.clock.now();
        task.history.attempts.push(Attempt {
            at: now,
            account: task.account.clone(),
            kind: failure.kind.clone(),
            reason: failure.reason.clone(),
        });
        self.breaker_failure(&task.account, now, task.probe);
        let decision = task
            .history
            .decide(&self.cfg.retry.policy, now, jitter(now));
        match decision {
            RetryDecision::GiveUp(why) => {
                let outcome = Outcome::AgentError(format!(
                    "{why}; the last turn ended on {}: {}",
                    failure.kind, failure.reason
                ));
                self.finish(session, run, task, outcome, Recycle::Exit)
                    .await;
            }
            RetryDecision::RetryAt(at) => {
                task.conversation = self.conversation_of(session, &task);
                let (label, attempt) = (task.key(), task.history.attempts.len());
                // Waiting (its `.retry` record written) before its run closes: a crash from here
                // on finds it waiting.
                self.wait_to_go_on(task, at, WaitReason::Retry);
                let detail = format!(
                    "attempt {attempt} ended on {} ({}); resuming its conversation at {at}",
                    failure.kind, failure.reason
                );
                if let Err(e) = self.store.finish_run(run, now, "retrying", &detail) {
                    tracing::error!("cannot finish run {run:?} in the store: {e}");
                }
                self.say(
                    NoticeKind::Retrying,
                    About::default().session(session.to_string()).task(&label),
                    detail,
                );
                crate::signals::clear_signals(&self.cfg.watcher.done_signal_dir, session);
                self.recycle(session, Recycle::Exit).await;
                self.set_free(session);
            }
        }
    }

    /// The session's task waits for the account move: its screen is no longer judged.
    fn park(&mut self, session: &str) {
        let Some(slot) = self.pool.slot_mut(session) else {
            return;
        };
        if let Some((run, task)) = slot.take_task() {
            slot.phase = Phase::Parked { run, task };
        }
        self.save_slot(session);
    }

    /// Moves every session off the account the task in `session` runs on, after the current
    /// batch (one request per account left).
    pub(crate) fn request_swap(
        &mut self,
        session: &str,
        cause: SwapCause,
        reset_at: Option<jiff::Timestamp>,
        snippet: String,
    ) {
        let pattern = match cause {
            SwapCause::Quota => "usage-limit".to_string(),
            SwapCause::Account => "account-error".to_string(),
            SwapCause::ByHand => "by hand".to_string(),
            SwapCause::Resumed => "reset".to_string(),
        };
        let account = self
            .pool
            .slot(session)
            .and_then(|slot| slot.task())
            .map(|task| task.account.clone());
        self.failover.request(SwapTrigger {
            cause,
            session: Some(session.to_string()),
            account,
            pattern,
            reset_at,
            snippet,
            to: None,
        });
    }
}

/// A fraction in `[0, 1)` for the retry's jitter, from the process's random hasher keys.
fn jitter(now: jiff::Timestamp) -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_i128(now.as_nanosecond());
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}
