//! Start-up recovery: making the queue, the store and tmux agree after a restart or a crash.
//!
//! A `.dispatched` task whose session still works on it is taken over again; one whose turn
//! ended while the daemon was away is judged like any turn (an error turn is never done); one
//! that ran but whose agent is gone (the session killed, the tmux server dead) goes on in its
//! own conversation in a fresh session; one waiting for a retry waits again; one that never
//! reached an agent goes back to the inbox. Nothing is ever run twice: a session holding
//! half-submitted text is reset before the task is requeued.

use cf_core::TaskKey;
use std::path::PathBuf;

use cf_core::footer::CompletionCause;
use cf_core::resume::ResumeId;
use cf_core::screen::{self, ScreenState};
use cf_core::turn::screen_error;
use cf_core::watch::{RunWatch, Verdict, WorkSeen};
use cf_core::{Priority, TaskId};
use cf_store::RunRecord;

use crate::daemon::Daemon;
use crate::dispatch::Requeue;
use crate::launch::is_shell;
use crate::notice::{About, NoticeKind};
use crate::signals::{self, SignalKind};
use crate::slots::{ClaimedTask, Phase};
use crate::waiting::WaitReason;

/// Whether a claimed task's conversation already holds the task (so it can go on there).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HoldsTask {
    /// It was resumed before or seen working.
    Yes,
    /// It may never have reached the agent.
    No,
}

/// What to do with one claimed task found at start-up.
enum Fate {
    /// The session still works on it.
    Adopt,
    /// Its turn ended while the daemon was away: judge it.
    Finished(Verdict),
    /// Nobody works on it any more, but it ran: go on in its conversation in a fresh session
    /// (or start over when none is known), after resetting its session if that holds text.
    Interrupted { reason: String, reset_session: bool },
    /// It never reached the agent: back to the inbox, after resetting the session if it holds
    /// text.
    Requeue { reason: String, reset_session: bool },
}

impl Daemon {
    pub(crate) async fn recover(&mut self) {
        let mut active: Vec<RunRecord> = match self.store.active_runs() {
            Ok(runs) => runs,
            Err(e) => {
                self.say(
                    NoticeKind::Problem,
                    About::default(),
                    format!("cannot read active runs from the store: {e}"),
                );
                Vec::new()
            }
        };
        let projects = self.projects.all();
        for project in projects {
            let Some(scan) = self.scan_or_report(&project) else {
                continue;
            };
            for dispatched in scan.dispatched {
                let position = active.iter().rposition(|r| {
                    r.project == project.name && r.task_id == dispatched.id.as_str()
                });
                let run = position.map(|i| active.remove(i));
                self.recover_one(&project.name, &dispatched, run).await;
            }
        }
        let now = self.clock.now();
        for run in active {
            // The claimed file is gone: it was finished (or removed by hand) while the run was open.
            if let Err(e) = self.store.finish_run(
                run.id,
                now,
                "abandoned",
                "the claimed task file was not found at start-up",
            ) {
                tracing::error!("cannot close run {:?}: {e}", run.id);
            }
        }
    }

    /// What the run's client process cost so far, as its last status line report said, USD.
    fn last_reported_cost(&self, run: &RunRecord) -> Option<f64> {
        crate::signals::read_usage(&self.cfg.watcher.done_signal_dir, &run.session)
            .filter(|r| r.at >= run.started_at)
            .and_then(|r| r.total_cost_usd)
            .map(|cost| cost.max(0.0))
    }

    async fn recover_one(
        &mut self,
        project: &str,
        dispatched: &cf_queue::DispatchedFile,
        run: Option<RunRecord>,
    ) {
        let (id, path) = (dispatched.id.clone(), dispatched.path.clone());
        let record = dispatched
            .has_retry_sidecar
            .then(|| self.read_retry_record(&path))
            .flatten();
        // A task that waited for a retry (or to go on) when the daemon stopped: it waits again.
        if run.is_none()
            && let Some(record) = &record
            && let Some(task) = record.task(path.clone())
        {
            let due = record.next_at.unwrap_or_else(|| self.clock.now());
            self.say(
                NoticeKind::Interrupted,
                About::default().task(&task.key()),
                format!(
                    "found waiting to go on (attempts so far: {}); due {due}",
                    task.history.attempts.len()
                ),
            );
            self.wait_to_go_on(task, due, record.reason);
            return;
        }
        // A crash between writing `done/`/`failed/` and removing the claim: finished already.
        if let Some(run) = &run
            && let Some(finished) = self.finished_copy(project, &id, run)
        {
            self.drop_leftover_claim(project, &id, &path, run, &finished);
            return;
        }
        let Some(run) = run else {
            self.requeue_at_start(project, &id, &path, None, "no run of it is recorded", false)
                .await;
            return;
        };
        let mut task = self.claimed_from_run(project, id.clone(), path.clone(), &run);
        if let Some(record) = &record {
            task.history = record.history.clone();
            task.restart_note = record.restart_note.clone();
            task.assigned_at = record.assigned_at;
            task.spending = record.spending.clone();
            if record.worktree.is_some() {
                task.worktree = record.worktree.clone();
            }
        }
        // Its conversation holds the task when its record says so or the agent was seen working
        // on it; only then can it go on in that conversation.
        let held = record.as_ref().map(|r| r.held) == Some(crate::slots::Held::Yes)
            || run.state == cf_store::RunState::Working;
        let holds = if held { HoldsTask::Yes } else { HoldsTask::No };
        if held {
            task.held = crate::slots::Held::Yes;
        }
        if let Some(from_record) = record.as_ref().and_then(|r| r.task(path.clone())) {
            task.conversation = from_record.conversation;
        }
        // A record written while it waited already holds what its last process cost (a crash came
        // before its run was closed); otherwise that cost is only in the process's last report.
        let process_cost = match record.as_ref().is_some_and(|r| r.next_at.is_some()) {
            true => None,
            false => self.last_reported_cost(&run),
        };
        let fate = self.judge_at_start(&run, &path, holds).await;
        let label = task.key();
        match fate {
            Fate::Requeue {
                reason,
                reset_session,
            } => {
                self.requeue_at_start(project, &id, &path, Some(&run), &reason, reset_session)
                    .await
            }
            Fate::Interrupted {
                reason,
                reset_session,
            } => {
                // Its session is gone or starts afresh: what its process cost is the task's now.
                if let Some(cost) = process_cost {
                    task.spending.add_cost(&run.account, cost);
                }
                if reset_session {
                    self.reset_session_at_start(&run.session).await;
                }
                task.conversation = self
                    .conversation_at_start(&run, &task)
                    .or(task.conversation.clone());
                let _ = self
                    .store
                    .finish_run(run.id, self.clock.now(), "interrupted", &reason);
                let next = match &task.conversation {
                    Some(c) => format!("resuming conversation {}", c.as_str()),
                    None => "no conversation is known: it starts over".to_string(),
                };
                self.say(
                    NoticeKind::Interrupted,
                    About::default().session(run.session.clone()).task(&label),
                    format!("{reason}; {next}"),
                );
                let now = self.clock.now();
                self.wait_to_go_on(task, now, WaitReason::Interrupted);
            }
            Fate::Adopt => {
                // Busy (or a menu) on its screen: the agent took the text.
                task.held = crate::slots::Held::Yes;
                task.conversation = self.conversation_at_start(&run, &task);
                self.adopt(&run, task, WorkSeen::Yes, process_cost);
                self.say(
                    NoticeKind::Adopted,
                    About::default().session(run.session.clone()).task(&label),
                    "still working: watching it again",
                );
            }
            Fate::Finished(verdict) => {
                task.held = crate::slots::Held::Yes;
                task.conversation = self.conversation_at_start(&run, &task);
                self.adopt(&run, task, WorkSeen::Yes, process_cost);
                self.complete(&run.session, verdict).await;
            }
        }
    }

    /// Removes a claim whose task this very run already finished.
    fn drop_leftover_claim(
        &mut self,
        project: &str,
        id: &TaskId,
        path: &std::path::Path,
        run: &RunRecord,
        finished: &std::path::Path,
    ) {
        let label = TaskKey::new(project, id.clone());
        match cf_queue::drop_finished_claim(path, finished) {
            Ok(()) => {
                let _ = cf_queue::remove_retry(path);
                let _ = self.store.finish_run(
                    run.id,
                    self.clock.now(),
                    "completed",
                    "finished before the restart",
                );
                self.say(
                    NoticeKind::Adopted,
                    About::default().session(run.session.clone()).task(&label),
                    format!(
                        "already finished as {}: removed the leftover claim",
                        finished.display()
                    ),
                );
            }
            Err(e) => self.say(
                NoticeKind::Problem,
                About::default().task(&label),
                format!("cannot remove the leftover claim: {e}"),
            ),
        }
    }

    /// Puts a claimed task that never reached an agent back in the inbox.
    async fn requeue_at_start(
        &mut self,
        project: &str,
        id: &TaskId,
        path: &std::path::Path,
        run: Option<&RunRecord>,
        reason: &str,
        reset_session: bool,
    ) {
        if reset_session && let Some(run) = run {
            self.reset_session_at_start(&run.session).await;
        }
        if let Some(run) = run {
            let _ = self
                .store
                .finish_run(run.id, self.clock.now(), "requeued", reason);
        }
        self.return_to_inbox(&Requeue {
            key: &TaskKey::new(project, id.clone()),
            claim: path,
            about: About::default().maybe_session(run.map(|r| r.session.clone())),
            kind: NoticeKind::OrphanRequeued,
            reason,
        });
    }

    async fn reset_session_at_start(&mut self, session: &str) {
        let _ = self.terminal.kill_session(session).await;
        if let Some(slot) = self.pool.slot_mut(session) {
            slot.alive = false;
        }
        self.maintain_pool().await;
    }

    /// The conversation of a task found at start-up: stored, or reported by a hook of its session
    /// during its run.
    fn conversation_at_start(&self, run: &RunRecord, task: &ClaimedTask) -> Option<ResumeId> {
        self.stored_conversation(&run.project, &run.task_id)
            .or_else(|| self.conversation_of(&run.session, task))
    }

    /// Decides the fate of a claimed task whose run is recorded.
    async fn judge_at_start(
        &mut self,
        run: &RunRecord,
        path: &std::path::Path,
        holds: HoldsTask,
    ) -> Fate {
        let session = run.session.as_str();
        // Nobody works on it any more: it goes on in its conversation if that holds the task,
        // else (it may never have reached the agent) it goes back to the inbox.
        let interrupted = |reason: String, reset_session: bool| match holds {
            HoldsTask::Yes => Fate::Interrupted {
                reason,
                reset_session,
            },
            HoldsTask::No => Fate::Requeue {
                reason,
                reset_session,
            },
        };
        if !self.pool.slot(session).is_some_and(|s| s.alive) {
            return interrupted(format!("its session {session} is gone"), false);
        }
        let dir = self.cfg.watcher.done_signal_dir.clone();
        // A `StopFailure` the daemon never read: the turn ended, on an error of this kind.
        if let Some(payload) = signals::take_signal(&dir, SignalKind::StopFailure, session) {
            let kind = payload.error.unwrap_or_else(|| "unknown".to_string());
            return Fate::Finished(Verdict::AgentError(kind));
        }
        if signals::signal_path(&dir, SignalKind::Done, session).exists() {
            return Fate::Finished(Verdict::Completed(CompletionCause::DoneSignal));
        }
        let info = match self.terminal.pane_info(session).await {
            Ok(info) => info,
            Err(e) => return interrupted(format!("cannot inspect {session}: {e}"), true),
        };
        if is_shell(&info.current_command) {
            return interrupted(format!("no agent runs in {session} any more"), false);
        }
        let text = match self.terminal.capture_screen(session).await {
            Ok(text) => text,
            Err(e) => return interrupted(format!("cannot read {session}: {e}"), true),
        };
        let file_name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .trim_end_matches(".dispatched");
        let ours_on_screen = text.contains(&format!("[{file_name}]"));
        let turn_ended = screen::turn_count(&text) > 0 || screen_error(&text).is_some();
        let state = screen::classify(&text).state;
        if matches!(state, ScreenState::Busy | ScreenState::Menu) {
            return Fate::Adopt;
        }
        if holds == HoldsTask::Yes && run.state == cf_store::RunState::Launching {
            // A resume that had not been seen working: the screen shows replayed history, not
            // the outcome of its "continue".
            return interrupted(format!("its resume in {session} was under way"), true);
        }
        match state {
            ScreenState::Busy | ScreenState::Menu => Fate::Adopt,
            // Judged like any finished turn: a turn that ended on an error is never done.
            ScreenState::Idle if ours_on_screen && turn_ended => {
                Fate::Finished(Verdict::Completed(CompletionCause::FoundDoneAfterRestart))
            }
            ScreenState::Idle | ScreenState::InputPending if holds == HoldsTask::Yes => {
                interrupted(format!("the agent in {session} is not on the task"), true)
            }
            ScreenState::Idle => Fate::Requeue {
                reason: format!("the agent in {session} sits idle without having done it"),
                reset_session: true,
            },
            ScreenState::InputPending => Fate::Requeue {
                reason: format!("the task was never submitted in {session}"),
                reset_session: true,
            },
            ScreenState::NoAgent => {
                interrupted(format!("no agent on the screen of {session}"), true)
            }
        }
    }

    /// The `done/` or `failed/` copy written by this very run, if any: its footer names the run's
    /// session and start instant (the store keeps milliseconds).
    fn finished_copy(&self, project: &str, id: &TaskId, run: &RunRecord) -> Option<PathBuf> {
        let project = self.projects.get(project)?;
        cf_queue::finished_copies(project, id)
            .into_iter()
            .find(|path| {
                cf_queue::read_task_file(path, cf_queue::FINISH_MAX_BYTES)
                    .is_ok_and(|bytes| footer_names_run(&String::from_utf8_lossy(&bytes), run))
            })
    }

    /// The claimed task a recorded run describes.
    fn claimed_from_run(
        &self,
        project: &str,
        id: TaskId,
        path: PathBuf,
        run: &RunRecord,
    ) -> ClaimedTask {
        let priority = cf_queue::read_task_file(&path, crate::dispatch::MAX_TASK_BYTES)
            .ok()
            .and_then(|bytes| cf_core::task::parse_task(&bytes).ok())
            .map(|doc| doc.frontmatter.priority)
            .unwrap_or(Priority::Default);
        let worktree = self.recorded_worktree(project, id.as_str());
        ClaimedTask {
            project: project.to_string(),
            file_name: format!("{id}.md"),
            id,
            dispatched_path: path,
            priority,
            model: run.model.clone(),
            account: run.account.clone(),
            assigned_at: run.started_at,
            launched_at: run.started_at,
            conversation: None,
            history: cf_core::retry::RetryHistory::new(),
            probe: crate::slots::Probe::No,
            restart_note: None,
            resume_failures: 0,
            held: crate::slots::Held::No,
            spending: cf_core::footer::TaskSpending::default(),
            worktree,
            preparation: None,
        }
    }

    /// Watches the run's task in its session again; `process_cost` is what its client process
    /// cost so far (its next reports add to it).
    fn adopt(
        &mut self,
        run: &RunRecord,
        task: ClaimedTask,
        work_seen: WorkSeen,
        process_cost: Option<f64>,
    ) {
        let watch = RunWatch::new(run.started_at, work_seen);
        let slot = self.pool.slot_or_new(&run.session);
        slot.phase = Phase::Working {
            run: run.id,
            task,
            watch,
        };
        slot.hints.process_cost_micro = process_cost.map(|c| (c * 1_000_000.0).round() as u64);
        self.save_slot(&run.session);
    }
}

/// Whether the last run footer of a finished task names `run`: by its `run` line, or (footers
/// written before it existed) by the same session and the same start to the millisecond.
fn footer_names_run(text: &str, run: &RunRecord) -> bool {
    use cf_core::footer::run_footer_field as field;
    if let Some(id) = field(text, "run") {
        return id.parse::<i64>().is_ok_and(|id| id == run.id.0);
    }
    let same_session = field(text, "session") == Some(run.session.as_str());
    let started = field(text, "started").and_then(|t| t.parse::<jiff::Timestamp>().ok());
    let same_start = started.is_some_and(|t| t.as_millisecond() == run.started_at.as_millisecond());
    same_session && same_start
}

#[cfg(test)]
mod tests {
    use super::*;
    use cf_core::footer::{CompletionCause, Outcome, RunFooter, render_footer};

    fn run(session: &str, started_ms: i64) -> RunRecord {
        RunRecord {
            id: cf_store::RunId(1),
            project: "alpha".into(),
            task_id: "t1".into(),
            task_file_name: "t1.md".into(),
            session: session.into(),
            account: "a".into(),
            model: "sonnet".into(),
            started_at: jiff::Timestamp::from_millisecond(started_ms).expect("instant"),
            working_at: None,
            ended_at: None,
            outcome: None,
            detail: None,
            state: cf_store::RunState::Working,
        }
    }

    /// A finished task's text whose footer names `session`, a start and (maybe) a run id.
    fn finished_text(session: &str, started_ns: i128, run: Option<i64>) -> String {
        let started_at = jiff::Timestamp::from_nanosecond(started_ns).expect("instant");
        let footer = render_footer(&RunFooter {
            session: session.into(),
            account: "a".into(),
            model: "sonnet".into(),
            started_at,
            ended_at: started_at,
            outcome: Outcome::Completed {
                by: CompletionCause::DoneSignal,
            },
            attempts: Vec::new(),
            restart_note: None,
            run,
            spent: None,
            worktree: None,
        });
        format!("The task.{footer}")
    }

    #[test]
    fn the_footer_names_exactly_its_run() {
        let ns = 1_800_000_000_123_456_789i128;
        let text = finished_text("cf-pool-1", ns, None);
        assert!(
            footer_names_run(&text, &run("cf-pool-1", 1_800_000_000_123)),
            "same session, same millisecond"
        );
        assert!(
            !footer_names_run(&text, &run("cf-pool-2", 1_800_000_000_123)),
            "another session"
        );
        assert!(
            !footer_names_run(&text, &run("cf-pool-1", 1_800_000_000_124)),
            "another run of the same task"
        );
        assert!(!footer_names_run(
            "no footer at all",
            &run("cf-pool-1", 1_800_000_000_123)
        ));
    }

    #[test]
    fn a_run_line_names_the_run_whatever_its_start() {
        let footer = finished_text("cf-pool-1", 1_700_000_000_000_000_000, Some(1));
        // A resumed task's footer keeps its first start; its last run began later.
        assert!(footer_names_run(
            &footer,
            &run("cf-pool-2", 1_800_000_000_000)
        ));
        let mut other = run("cf-pool-1", 1_700_000_000_000);
        other.id = cf_store::RunId(2);
        assert!(!footer_names_run(&footer, &other), "another run of it");
    }
}
