//! Start-up recovery: making the queue, the store and tmux agree after a restart or a crash.
//!
//! A `.dispatched` task whose session still works on it is taken over again; one that
//! finished while the daemon was away is finished; an orphan (no run recorded, its
//! session gone, or the agent idle without having done it) goes back to the inbox.
//! Nothing is ever run twice: a session holding half-submitted text is reset before the
//! task is requeued.

use std::path::PathBuf;

use cf_core::footer::CompletionCause;
use cf_core::screen::{self, ScreenState};
use cf_core::watch::{RunWatch, Verdict, WorkSeen};
use cf_core::{Priority, TaskId};
use cf_store::RunRecord;

use crate::daemon::Daemon;
use crate::launch::is_shell;
use crate::notice::NoticeKind;
use crate::signals::{self, SignalKind};
use crate::slots::{ClaimedTask, Phase};

/// What to do with one claimed task found at start-up.
enum Fate {
    /// The session still works on it.
    Adopt,
    /// It finished while the daemon was away.
    Finished(Verdict),
    /// Nobody works on it: back to the inbox, after resetting the session if it holds text.
    Requeue { reason: String, reset_session: bool },
}

impl Daemon {
    pub(crate) async fn recover(&mut self) {
        let mut active: Vec<RunRecord> = match self.store.active_runs() {
            Ok(runs) => runs,
            Err(e) => {
                self.notify(
                    NoticeKind::Problem,
                    None,
                    None,
                    format!("cannot read active runs from the store: {e}"),
                );
                Vec::new()
            }
        };
        let projects: Vec<_> = self.projects.values().cloned().collect();
        for project in projects {
            let Some(scan) = self.scan_or_report(&project) else {
                continue;
            };
            for dispatched in scan.dispatched {
                let position = active.iter().rposition(|r| {
                    r.project == project.name && r.task_id == dispatched.id.as_str()
                });
                let run = position.map(|i| active.remove(i));
                self.recover_one(
                    &project.name,
                    dispatched.id.clone(),
                    dispatched.path.clone(),
                    run,
                )
                .await;
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

    async fn recover_one(
        &mut self,
        project: &str,
        id: TaskId,
        path: PathBuf,
        run: Option<RunRecord>,
    ) {
        // A crash between writing `done/`/`failed/` and removing the claim: finished already.
        if let Some(run) = &run
            && let Some(finished) = self.finished_copy(project, &id, run)
        {
            let label = (project.to_string(), id.to_string());
            match cf_queue::drop_finished_claim(&path, &finished) {
                Ok(()) => {
                    let _ = self.store.finish_run(
                        run.id,
                        self.clock.now(),
                        "completed",
                        "finished before the restart",
                    );
                    self.notify(
                        NoticeKind::Adopted,
                        Some(run.session.clone()),
                        Some(label),
                        format!(
                            "already finished as {}: removed the leftover claim",
                            finished.display()
                        ),
                    );
                }
                Err(e) => self.notify(
                    NoticeKind::Problem,
                    None,
                    Some(label),
                    format!("cannot remove the leftover claim: {e}"),
                ),
            }
            return;
        }
        let fate = match &run {
            None => Fate::Requeue {
                reason: "no run of it is recorded".into(),
                reset_session: false,
            },
            Some(run) => self.judge(run, &path).await,
        };
        let task_label = (project.to_string(), id.to_string());
        match (fate, run) {
            (
                Fate::Requeue {
                    reason,
                    reset_session,
                },
                run,
            ) => {
                if reset_session && let Some(run) = &run {
                    let _ = self.tmux.kill_session(&run.session).await;
                    if let Some(slot) = self.slots.get_mut(&run.session) {
                        slot.alive = false;
                    }
                }
                if let Some(run) = &run {
                    let _ = self
                        .store
                        .finish_run(run.id, self.clock.now(), "requeued", &reason);
                }
                match cf_queue::put_back(&path) {
                    Ok(back) => self.notify(
                        NoticeKind::OrphanRequeued,
                        run.map(|r| r.session),
                        Some(task_label),
                        format!("{reason}; back in the inbox as {}", back.display()),
                    ),
                    Err(e) => self.notify(
                        NoticeKind::Problem,
                        None,
                        Some(task_label),
                        format!("{reason}; putting it back failed: {e}"),
                    ),
                }
                if reset_session {
                    self.maintain_pool().await;
                }
            }
            (Fate::Adopt, Some(run)) => {
                self.adopt(project, id, path, &run, WorkSeen::Yes);
                self.notify(
                    NoticeKind::Adopted,
                    Some(run.session.clone()),
                    Some(task_label),
                    "still working: watching it again".into(),
                );
            }
            (Fate::Finished(verdict), Some(run)) => {
                self.adopt(project, id, path, &run, WorkSeen::Yes);
                self.complete(&run.session, verdict).await;
            }
            (_, None) => {}
        }
    }

    /// Decides the fate of a claimed task whose run is recorded.
    async fn judge(&mut self, run: &RunRecord, path: &std::path::Path) -> Fate {
        let session = run.session.as_str();
        if !self.slots.get(session).is_some_and(|s| s.alive) {
            return Fate::Requeue {
                reason: format!("its session {session} is gone"),
                reset_session: false,
            };
        }
        let dir = self.cfg.watcher.done_signal_dir.clone();
        if signals::signal_path(&dir, SignalKind::Done, session).exists() {
            return Fate::Finished(Verdict::Completed(CompletionCause::DoneSignal));
        }
        let info = match self.tmux.pane_info(session).await {
            Ok(info) => info,
            Err(e) => {
                return Fate::Requeue {
                    reason: format!("cannot inspect {session}: {e}"),
                    reset_session: true,
                };
            }
        };
        if is_shell(&info.current_command) {
            return Fate::Requeue {
                reason: format!("no agent runs in {session} any more"),
                reset_session: false,
            };
        }
        let text = match self.tmux.capture_screen(session).await {
            Ok(text) => text,
            Err(e) => {
                return Fate::Requeue {
                    reason: format!("cannot read {session}: {e}"),
                    reset_session: true,
                };
            }
        };
        let file_name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .trim_end_matches(".dispatched");
        match screen::classify(&text).state {
            ScreenState::Busy | ScreenState::Menu => Fate::Adopt,
            ScreenState::Idle
                if screen::turn_count(&text) > 0 && text.contains(&format!("[{file_name}]")) =>
            {
                Fate::Finished(Verdict::Completed(CompletionCause::FoundDoneAfterRestart))
            }
            ScreenState::Idle => Fate::Requeue {
                reason: format!("the agent in {session} sits idle without having done it"),
                reset_session: true,
            },
            ScreenState::InputPending => Fate::Requeue {
                reason: format!("the task was never submitted in {session}"),
                reset_session: true,
            },
            ScreenState::NoAgent => Fate::Requeue {
                reason: format!("no agent on the screen of {session}"),
                reset_session: true,
            },
        }
    }

    /// The `done/` or `failed/` copy written by this very run, if any: its footer names the run's
    /// session and start instant (the store keeps milliseconds).
    fn finished_copy(&self, project: &str, id: &TaskId, run: &RunRecord) -> Option<PathBuf> {
        let root = self.projects.get(project)?.root.join(".agent-queue");
        for folder in ["done", "failed"] {
            let Ok(entries) = std::fs::read_dir(root.join(folder)) else {
                continue;
            };
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if !cf_core::deps::done_file_matches(id, &name) {
                    continue;
                }
                let Ok(bytes) = cf_queue::read_task_file(&entry.path(), cf_queue::FINISH_MAX_BYTES)
                else {
                    continue;
                };
                if footer_names_run(&String::from_utf8_lossy(&bytes), run) {
                    return Some(entry.path());
                }
            }
        }
        None
    }

    fn adopt(
        &mut self,
        project: &str,
        id: TaskId,
        path: PathBuf,
        run: &RunRecord,
        work_seen: WorkSeen,
    ) {
        let priority = cf_queue::read_task_file(&path, crate::dispatch::MAX_TASK_BYTES)
            .ok()
            .and_then(|bytes| cf_core::task::parse_task(&bytes).ok())
            .map(|doc| doc.frontmatter.priority)
            .unwrap_or(Priority::Default);
        let task = ClaimedTask {
            project: project.to_string(),
            file_name: format!("{id}.md"),
            id,
            dispatched_path: path,
            priority,
            model: run.model.clone(),
            account: run.account.clone(),
            assigned_at: run.started_at,
        };
        let watch = RunWatch::new(run.started_at, work_seen);
        let slot = self
            .slots
            .entry(run.session.clone())
            .or_insert_with(|| crate::slots::Slot::new(true));
        slot.phase = Phase::Working {
            run: run.id,
            task,
            watch,
        };
        self.save_slot(&run.session);
    }
}

/// Whether the last run footer of a finished task names `run` (same session, same start to the
/// millisecond).
fn footer_names_run(text: &str, run: &RunRecord) -> bool {
    let Some(at) = text.rfind(cf_core::footer::FOOTER_MARKER) else {
        return false;
    };
    let footer = &text[at..];
    let field = |key: &str| {
        footer
            .lines()
            .find_map(|l| l.strip_prefix(&format!("- {key}: ")).map(str::trim))
    };
    let same_session = field("session") == Some(run.session.as_str());
    let started = field("started").and_then(|t| t.parse::<jiff::Timestamp>().ok());
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

    fn finished_text(session: &str, started_ns: i128) -> String {
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
        });
        format!("The task.{footer}")
    }

    #[test]
    fn the_footer_names_exactly_its_run() {
        let ns = 1_800_000_000_123_456_789i128;
        let text = finished_text("cf-pool-1", ns);
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
}
