//! Picking queued tasks, claiming them, and starting their launches.

use std::path::{Path, PathBuf};

use cf_core::TaskDoc;
use cf_core::TaskKey;
use cf_core::order::{QueuedTask, dispatch_order};
use cf_core::resume::ResumeId;
use cf_core::shell::launch_command_line;
use cf_core::task::parse_task;
use cf_core::text::build_task_message;
use cf_core::watch::{Observation, RunWatch, WorkSeen};
use cf_core::worktree::Isolation;
use cf_queue::{Claim, QueuedFile};
use cf_store::{NewRun, RunId};

use crate::daemon::Daemon;
use crate::gate::Gate;
use crate::launch::{self, LaunchError, LaunchPlan, LaunchReport};
use crate::launch_spec::{AgentStart, agent_env_path, launch_spec};
use crate::notice::{About, NoticeKind};
use crate::signals;
use crate::slots::{ClaimedTask, Held, Phase, Probe};
use crate::waiting::WaitReason;

/// After this many failed launches of a task's conversation in a row, it starts over.
pub const MAX_RESUME_FAILURES: u32 = 3;

/// Largest task file the daemon reads.
pub const MAX_TASK_BYTES: u64 = cf_queue::DEFAULT_MAX_TASK_BYTES;

/// A claim going back to the inbox ([`Daemon::return_to_inbox`]).
pub(crate) struct Requeue<'a> {
    /// The task.
    pub(crate) key: &'a TaskKey,
    /// Its `.md.dispatched` file.
    pub(crate) claim: &'a std::path::Path,
    /// What else the notice is about (the session, if any).
    pub(crate) about: About,
    /// The notice when it is back.
    pub(crate) kind: NoticeKind,
    /// Why, said first.
    pub(crate) reason: &'a str,
}

/// A queued task that passed every check and may be claimed.
pub(crate) struct Candidate {
    /// The project's name.
    pub(crate) project: String,
    /// The inbox file.
    pub(crate) file: QueuedFile,
    /// Its parsed content.
    pub(crate) doc: TaskDoc,
}

/// Which account a launch goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LaunchOn {
    /// The one placement by usage picks.
    Placed,
    /// This one (a swap's target).
    Account(String),
}

impl Daemon {
    /// Gives queued tasks to free pool sessions, in dispatch order. Every queued task passes
    /// the `depends_on` gate first (whether a session is free or not), so that `.blocked`
    /// sidecars tell the truth at all times. A project whose settings are broken is held, and
    /// one with as many tasks running as it allows is passed over: the next project's task
    /// takes the session.
    pub(crate) async fn try_dispatch(&mut self) {
        let now = self.clock.now();
        self.refresh_project_settings();
        let candidates = self.collect_candidates();
        let gates = self.apply_gates(&candidates);
        if self.dispatch_paused() {
            tracing::debug!(
                "dispatch pass skipped with {} task(s) queued: every account is out of quota",
                candidates.len()
            );
            return;
        }
        let mut free = self.pool.free_at(now);
        free.reverse();
        // Tasks waiting to go on in their conversation come first.
        let mut free = self.launch_due(free, now);
        if free.is_empty() {
            return;
        }
        let queued: Vec<QueuedTask> = candidates
            .iter()
            .map(|c| QueuedTask {
                project: c.project.clone(),
                task_id: c.file.id.clone(),
                priority: c.doc.frontmatter.priority,
                arrival: arrival_key(c.file.modified),
            })
            .collect();
        let mut running = self.running_per_project();
        for index in dispatch_order(&queued, self.projects.last_served()) {
            let Some(session) = free.last().cloned() else {
                break;
            };
            let candidate = &candidates[index];
            if !matches!(gates[index], Gate::Ready)
                || self.project_held(&candidate.project).is_some()
            {
                continue;
            }
            if let Some(project) = self.projects.get(&candidate.project).cloned()
                && self.route_to_platform(&project, &candidate.file, &candidate.doc)
            {
                continue;
            }
            if self.worktree_busy(&candidate.project, candidate.file.id.as_str()) {
                // Its worktree is still being made by a launch taken off it: next pass.
                continue;
            }
            let runs = running.get(&candidate.project).copied().unwrap_or(0);
            if self
                .running_limit(&candidate.project)
                .is_some_and(|limit| runs >= limit)
            {
                tracing::debug!(project = %candidate.project, runs, "the project runs as many tasks as it allows");
                continue;
            }
            let Some(probe) = self.admit_launch(now) else {
                break;
            };
            match cf_queue::claim(&candidate.file.path) {
                Ok(Claim::Claimed { dispatched_path }) => {
                    free.pop();
                    *running.entry(candidate.project.clone()).or_default() += 1;
                    self.projects.served(&candidate.project);
                    self.start_launch(&session, candidate, dispatched_path, probe);
                }
                Ok(Claim::Gone) | Ok(Claim::AlreadyDispatched { .. }) => {
                    self.probe_not_started(probe);
                    continue;
                }
                Err(e) => {
                    self.probe_not_started(probe);
                    self.say(
                        NoticeKind::Problem,
                        About::default()
                            .project(candidate.project.clone())
                            .task_id(candidate.file.id.to_string()),
                        format!("cannot claim the task: {e}"),
                    )
                }
            }
        }
    }

    /// Every queued task of every project that can be read and parsed. Bad files get an
    /// `.invalid` sidecar (once per version of the file) and a notice.
    fn collect_candidates(&mut self) -> Vec<Candidate> {
        let mut out = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut complete_scan = true;
        let projects = self.projects.all();
        for project in projects {
            let Some(scan) = self.scan_or_report(&project) else {
                complete_scan = false;
                continue;
            };
            seen.extend(scan.queued.iter().map(|q| q.path.clone()));
            for rejected in &scan.rejected {
                self.mark_invalid(&project.name, &rejected.path, &rejected.reason);
            }
            for file in scan.queued {
                if file.has_delegated_sidecar {
                    continue;
                }
                if let Some(doc) = self.load_task(&project.name, &file) {
                    out.push(Candidate {
                        project: project.name.clone(),
                        file,
                        doc,
                    });
                }
            }
        }
        if complete_scan {
            // Files that left the inbox (claimed, removed) need no cache entry: weeks of tasks
            // must not pile up here.
            self.projects.keep_parsed(&seen);
        }
        out
    }

    fn load_task(&mut self, project: &str, file: &QueuedFile) -> Option<TaskDoc> {
        if let Some(doc) = self.projects.parsed(file) {
            return Some(doc);
        }
        if file.has_invalid_sidecar {
            match cf_queue::invalid_marker_current(&file.path) {
                Ok(Some(_reason)) => return None,
                Ok(None) => {}
                Err(e) => tracing::warn!(
                    "cannot check the invalid marker of {}: {e}",
                    file.path.display()
                ),
            }
        }
        let parsed = cf_queue::read_task_file(&file.path, MAX_TASK_BYTES)
            .map_err(|e| e.to_string())
            .and_then(|bytes| parse_task(&bytes).map_err(|e| e.to_string()));
        match parsed {
            Ok(doc) => {
                self.projects.remember_parsed(file, &doc);
                Some(doc)
            }
            Err(reason) => {
                self.mark_invalid(project, &file.path, &reason);
                None
            }
        }
    }

    /// Writes the `.invalid` sidecar unless a current one already says so.
    fn mark_invalid(&mut self, project: &str, path: &Path, reason: &str) {
        if let Ok(Some(_)) = cf_queue::invalid_marker_current(path) {
            return;
        }
        let task = path.file_name().map(|n| n.to_string_lossy().into_owned());
        match cf_queue::mark_invalid(path, reason) {
            Ok(()) => self.say(
                NoticeKind::InvalidTask,
                About::default()
                    .project(project.to_string())
                    .maybe_task_id(task),
                format!(
                    "{reason} (see {}.invalid; fix the file to retry)",
                    path.display()
                ),
            ),
            Err(e) => self.say(
                NoticeKind::Problem,
                About::default()
                    .project(project.to_string())
                    .maybe_task_id(task),
                format!("cannot write the .invalid sidecar: {e}"),
            ),
        }
    }

    /// A probe admitted for a launch that did not start.
    fn probe_not_started(&mut self, probe: Probe) {
        let (account, _, _) = self.placed_account(self.clock.now());
        self.abandon_probe(&account, probe);
    }

    fn start_launch(
        &mut self,
        session: &str,
        candidate: &Candidate,
        dispatched_path: PathBuf,
        probe: Probe,
    ) {
        let now = self.clock.now();
        let (account, _, _) = self.placed_account(now);
        let model = self
            .cfg
            .agent
            .models
            .model_for(candidate.doc.frontmatter.priority)
            .to_string();
        let task = ClaimedTask {
            project: candidate.project.clone(),
            id: candidate.file.id.clone(),
            file_name: candidate.file.file_name.clone(),
            dispatched_path,
            priority: candidate.doc.frontmatter.priority,
            model,
            account,
            assigned_at: now,
            launched_at: now,
            conversation: None,
            history: cf_core::retry::RetryHistory::new(),
            probe,
            restart_note: self.take_restart_note(&candidate.project, candidate.file.id.as_str()),
            resume_failures: 0,
            held: Held::No,
            spending: self.take_spending_before(&candidate.project, candidate.file.id.as_str()),
            worktree: None,
            preparation: None,
        };
        let mut task = task;
        let wants_worktree = self.isolation_of(&candidate.project, &candidate.doc.frontmatter)
            == Isolation::Worktree;
        if !wants_worktree
            && self
                .recorded_worktree(&candidate.project, task.id.as_str())
                .is_some()
        {
            // A worktree recorded for an earlier run of it (it is shared now) is not this run's.
            self.record_worktree(&candidate.project, task.id.as_str(), None);
        }
        if wants_worktree {
            let made = match self.projects.get(&candidate.project).cloned() {
                Some(project) => {
                    self.make_worktree(&project, task.id.as_str(), &candidate.doc.frontmatter)
                }
                None => Err(format!("project {} is no longer known", candidate.project)),
            };
            match made {
                Ok((worktree, preparation)) => {
                    task.worktree = Some(worktree);
                    task.preparation = preparation;
                }
                Err(why) => {
                    let why = format!("its worktree cannot be made: {why}");
                    self.fail_before_launch(session, task, why);
                    return;
                }
            }
        }
        let resume = self.take_resume_id(session);
        let message = build_task_message(
            &task.file_name,
            &candidate.doc.body,
            &self.cfg.agent.message_suffix,
        );
        self.begin_launch(session, task, resume, message, LaunchOn::Placed);
    }

    /// The task's folder could not be made ready: its run is recorded and fails at once with
    /// `why` (through the loop, as a launch that failed before anything was typed).
    fn fail_before_launch(&mut self, session: &str, task: ClaimedTask, why: String) {
        let now = self.clock.now();
        let run = match self.store.begin_run(&NewRun {
            project: task.project.clone(),
            task_id: task.id.to_string(),
            task_file_name: task.file_name.clone(),
            session: session.to_string(),
            account: task.account.clone(),
            model: task.model.clone(),
            started_at: now,
        }) {
            Ok(run) => run,
            Err(e) => {
                self.put_back(
                    &task,
                    &format!("{why}; and the run cannot be recorded: {e}"),
                );
                return;
            }
        };
        if let Some(slot) = self.pool.slot_mut(session) {
            slot.phase = Phase::Launching {
                run,
                task,
                early: Vec::new(),
            };
        }
        let _ = self.tx.send(crate::Event::LaunchFinished {
            session: session.to_string(),
            run,
            outcome: Err(LaunchError::Workspace(why)),
        });
    }

    /// Records the run and spawns the launch of `task` in `session` on the active account.
    /// Used for new tasks and for tasks resumed on another account after a swap.
    pub(crate) fn begin_launch(
        &mut self,
        session: &str,
        mut task: ClaimedTask,
        resume: Option<ResumeId>,
        message: String,
        on: LaunchOn,
    ) {
        let now = self.clock.now();
        let (account, config_dir, placement) = match on {
            LaunchOn::Placed => self.placed_account(now),
            LaunchOn::Account(name) => match self.cfg.account_named(&name) {
                Ok(a) => (
                    a.name.clone(),
                    a.config_dir.clone(),
                    format!("{name}: the swap's target"),
                ),
                Err(_) => self.placed_account(now),
            },
        };
        if !task.account.is_empty() && task.account != account && task.held == Held::Yes {
            // It moves: the conversation's tokens so far were spent on the account it leaves.
            let left = task.account.clone();
            let so_far = self.conversation_tokens_of(None, &task);
            task.spending.count_tokens(&left, so_far);
        }
        task.spending
            .started_on(&account, self.usage.used_at(&account, now));
        task.account = account.clone();
        task.launched_at = now;
        if task.held == Held::Yes && resume.is_some() {
            task.conversation = resume.clone();
            // Its conversation holds the task already: after a crash it must go on, never be
            // requeued nor judged by the replayed history.
            self.save_retry_record(&task, None, WaitReason::Interrupted);
        }
        let model = task.model.clone();
        let (cwd, preparation) = match self.working_folder(&mut task) {
            Ok(folder) => folder,
            Err(crate::worktree::FolderError::Busy) => {
                // An earlier launch's git step still makes its worktree: it goes on after it.
                let due = now
                    .checked_add(jiff::SignedDuration::from_secs(5))
                    .unwrap_or(now);
                self.wait_to_go_on(task, due, WaitReason::Interrupted);
                return;
            }
            Err(crate::worktree::FolderError::Unusable(why)) => {
                self.fail_before_launch(session, task, why);
                return;
            }
        };
        let spec = launch_spec(
            &self.cfg.agent,
            &agent_env_path(&self.cfg.state_dir),
            AgentStart {
                cwd,
                config_dir: &config_dir,
                pool_session: Some(session),
                model: Some(model.clone()),
                resume: resume.clone(),
            },
        );
        let command_line = match launch_command_line(&spec) {
            Ok(line) => line,
            Err(e) => {
                self.put_back(&task, &format!("cannot build the launch command: {e}"));
                return;
            }
        };
        let run = match self.store.begin_run(&NewRun {
            project: task.project.clone(),
            task_id: task.id.to_string(),
            task_file_name: task.file_name.clone(),
            session: session.to_string(),
            account: account.clone(),
            model: model.clone(),
            started_at: now,
        }) {
            Ok(run) => run,
            Err(e) => {
                self.put_back(&task, &format!("cannot record the run in the store: {e}"));
                return;
            }
        };
        signals::clear_signals(&self.cfg.watcher.done_signal_dir, session);
        if let Some(slot) = self.pool.slot_mut(session) {
            // A new client process: its cost starts at 0, and the last one's report is gone.
            slot.hints.process_cost_micro = None;
            slot.hints.folded_micro = 0;
        }
        signals::remove_usage(&self.cfg.watcher.done_signal_dir, session);
        let plan = LaunchPlan {
            session: session.to_string(),
            command_line,
            exit_marker: format!("claude-failover: launch {} ended", run.0),
            message,
            secrets: self.cfg.agent.env.iter().map(|(_, v)| v.clone()).collect(),
            prompt_timeout: self.cfg.dispatcher.prompt_timeout,
            shell_timeout: self.opts.shell_timeout,
            verify_timeout: self.opts.verify_timeout,
            poll: self.opts.launch_poll,
            preparation,
        };
        let resumed = resume
            .map(|r| format!(", resuming {}", r.as_str()))
            .unwrap_or_default();
        self.say(
            NoticeKind::Dispatched,
            About::default()
                .session(session.to_string())
                .project(task.project.clone())
                .task_id(task.id.to_string()),
            format!(
                "priority {}, model {model}, account {account}{resumed} (placed: {placement})",
                task.priority
            ),
        );
        if let Some(slot) = self.pool.slot_mut(session) {
            slot.phase = Phase::Launching {
                run,
                task,
                early: Vec::new(),
            };
        }
        self.save_slot(session);
        match plan.preparation.clone() {
            Some(step) => self.spawn_preparation(session, run, plan, step),
            None => self.spawn_launch(session, run, plan),
        }
    }

    /// Runs a launch's slow git step off the loop; the loop hears of it as `Event::Prepared`
    /// and only then starts the launch, if its session still holds the run.
    fn spawn_preparation(
        &mut self,
        session: &str,
        run: RunId,
        plan: LaunchPlan,
        step: crate::worktree::Preparation,
    ) {
        self.preparing.insert(step.folder().to_path_buf());
        let tx = self.tx.clone();
        let session = session.to_string();
        self.jobs.spawn(async move {
            // On a blocking thread: the loop goes on meanwhile (on paused test time, tokio
            // holds the clock still until it ends).
            let result = tokio::task::spawn_blocking(move || step.run())
                .await
                .unwrap_or_else(|e| Err(format!("its worktree step stopped: {e}")));
            let _ = tx.send(crate::Event::Prepared {
                session,
                run,
                plan: Box::new(plan),
                result,
            });
        });
    }

    /// The git step of `run` ended: the launch goes on (or fails with the step's reason) only
    /// while `session` still holds that run; a task taken off it meanwhile (a swap) has moved
    /// on, and nothing is typed for it.
    pub(crate) async fn on_prepared(
        &mut self,
        session: String,
        run: RunId,
        plan: LaunchPlan,
        result: Result<(), String>,
    ) {
        if let Some(step) = &plan.preparation {
            self.preparing.remove(step.folder());
        }
        let holds_run = self.pool.slot(&session).is_some_and(
            |slot| matches!(&slot.phase, Phase::Launching { run: r, .. } if *r == run),
        );
        if !holds_run {
            tracing::info!(%session, ?run, "a worktree step ended for a launch that no longer stands");
            self.dispatch_wanted = true;
            return;
        }
        match result {
            Ok(()) => self.spawn_launch(&session, run, plan),
            Err(why) => {
                self.on_launch_finished(session, run, Err(LaunchError::Workspace(why)))
                    .await
            }
        }
    }

    /// Carries out the launch (typing into the session) as a job.
    fn spawn_launch(&mut self, session: &str, run: RunId, plan: LaunchPlan) {
        let terminal = self.terminal.clone();
        let tx = self.tx.clone();
        let session = session.to_string();
        self.jobs.spawn(async move {
            let outcome = launch::launch(terminal.as_ref(), &plan).await;
            let _ = tx.send(crate::Event::LaunchFinished {
                session,
                run,
                outcome,
            });
        });
    }

    /// The saved resume id for `session`, used once: the file is removed whatever it holds.
    fn take_resume_id(&self, session: &str) -> Option<ResumeId> {
        let path = self
            .cfg
            .dispatcher
            .resume_dir
            .join(format!("{session}-resume-id.txt"));
        let text = std::fs::read_to_string(&path).ok()?;
        let _ = std::fs::remove_file(&path);
        match ResumeId::parse(&text) {
            Ok(id) => Some(id),
            Err(e) => {
                tracing::warn!("ignoring the resume id in {}: {e}", path.display());
                None
            }
        }
    }

    /// The whole task message of a claimed task, read again from its file (a task that must
    /// start over because its conversation is lost).
    pub(crate) fn task_message(&self, task: &ClaimedTask) -> Result<String, String> {
        let bytes = cf_queue::read_task_file(&task.dispatched_path, MAX_TASK_BYTES)
            .map_err(|e| e.to_string())?;
        let doc = parse_task(&bytes).map_err(|e| e.to_string())?;
        Ok(build_task_message(
            &task.file_name,
            &doc.body,
            &self.cfg.agent.message_suffix,
        ))
    }

    /// Puts a claimed task back in the inbox after a failure, with a notice. Everything kept
    /// for its claim goes with it: its `.retry` sidecar, its conversation, its interruption
    /// count, its probe.
    pub(crate) fn put_back(&mut self, task: &ClaimedTask, reason: &str) {
        self.abandon_probe(&task.account, task.probe);
        self.keep_spending_for_next_run(task);
        self.return_to_inbox(&Requeue {
            key: &task.key(),
            claim: &task.dispatched_path,
            about: About::default(),
            kind: NoticeKind::LaunchFailed,
            reason,
        });
    }

    /// Puts a claim back in the inbox to start afresh — no `.retry` record, no conversation of
    /// an earlier run, no interruption count — and says so (a problem when it cannot be put
    /// back). Every requeue goes through here: a failed launch, recovery, the watchdog.
    pub(crate) fn return_to_inbox(&mut self, requeue: &Requeue<'_>) {
        let _ = cf_queue::remove_retry(requeue.claim);
        self.forget_conversation_of(&requeue.key.project, requeue.key.id.as_str());
        self.claims.ended(requeue.claim);
        let about = requeue.about.clone().task(requeue.key);
        match cf_queue::put_back(requeue.claim) {
            Ok(back) => self.say(
                requeue.kind,
                about,
                format!(
                    "{}; back in the inbox as {}",
                    requeue.reason,
                    back.display()
                ),
            ),
            Err(e) => self.say(
                NoticeKind::Problem,
                about,
                format!("{}; and putting it back failed: {e}", requeue.reason),
            ),
        }
    }

    pub(crate) async fn on_launch_finished(
        &mut self,
        session: String,
        run: RunId,
        outcome: Result<LaunchReport, LaunchError>,
    ) {
        let now = self.clock.now();
        let Some(slot) = self.pool.slot_mut(&session) else {
            return;
        };
        let Phase::Launching { run: expected, .. } = &slot.phase else {
            return;
        };
        if *expected != run {
            return;
        }
        let Phase::Launching { task, early, .. } = std::mem::replace(&mut slot.phase, Phase::Free)
        else {
            return;
        };
        match outcome {
            Ok(report) => {
                self.launch_succeeded_on(&task.account);
                let mut task = task;
                task.resume_failures = 0;
                task.held = Held::Yes;
                if let Err(e) = self.store.mark_run_working(run, now) {
                    tracing::error!("cannot mark run {run:?} working: {e}");
                }
                self.say(
                    NoticeKind::Working,
                    About::default()
                        .session(session.clone())
                        .project(task.project.clone())
                        .task_id(task.id.to_string()),
                    format!(
                        "submitted in {} ms ({:?}, {} enter(s))",
                        report.elapsed.as_millis(),
                        report.verified,
                        report.enters
                    ),
                );
                // The idle timeout counts from this launch: a task resumed after retries or a
                // pause gets its whole time again.
                let watch = RunWatch::new(task.launched_at, WorkSeen::Yes);
                if let Some(slot) = self.pool.slot_mut(&session) {
                    slot.phase = Phase::Working { run, task, watch };
                }
                self.save_slot(&session);
                for observation in early {
                    self.observe(&session, observation).await;
                }
            }
            Err(LaunchError::Workspace(why)) => {
                // Nothing was started: the task fails with the reason, the session stays. A
                // worktree that was never made is no worktree of it.
                let mut task = task;
                let never_made = task.worktree.as_ref().is_some_and(|w| {
                    !w.path.exists() && !cf_git::branch_exists(&w.repo, &w.branch).unwrap_or(true)
                });
                if never_made {
                    self.record_worktree(&task.project, task.id.as_str(), None);
                    task.worktree = None;
                }
                let outcome = cf_core::footer::Outcome::LaunchFailed(why);
                self.finish(
                    &session,
                    run,
                    task,
                    outcome,
                    crate::complete::Recycle::Untouched,
                )
                .await;
            }
            Err(error) => {
                let reason = crate::error::error_chain(&error);
                if let Err(e) = self.store.finish_run(run, now, "launch_failed", &reason) {
                    tracing::error!("cannot finish run {run:?}: {e}");
                }
                self.launch_failed_on(&task.account, task.probe, &error);
                let cooldown_until = now.checked_add(self.cfg.dispatcher.launch_cooldown).ok();
                // Whatever hooks said about this launch must not colour the session's next one.
                if let Some(slot) = self.pool.slot_mut(&session) {
                    slot.forget_hints();
                }
                if task.held == Held::Yes {
                    // A task going on in its conversation keeps waiting for another launch; a
                    // conversation that keeps failing to open is given up: the task starts over.
                    let why = format!("launch in {session} failed: {reason}");
                    tracing::warn!(task = %task.id, "{why}; it waits for another launch");
                    let mut task = task;
                    // Only an agent that exits at once says the conversation cannot be opened;
                    // a slow prompt or a busy shell says nothing about it.
                    if matches!(error, LaunchError::AgentExited(_)) {
                        task.resume_failures += 1;
                    }
                    if task.resume_failures >= MAX_RESUME_FAILURES && task.conversation.is_some() {
                        task.conversation = None;
                        self.forget_conversation(&task);
                        task.restart_note = Some(format!(
                            "its conversation could not be resumed {MAX_RESUME_FAILURES} times; the last: {reason}"
                        ));
                    }
                    self.wait_to_go_on(
                        task,
                        cooldown_until.unwrap_or(now),
                        WaitReason::Interrupted,
                    );
                } else {
                    self.put_back(&task, &format!("launch in {session} failed: {reason}"));
                }
                if let Some(slot) = self.pool.slot_mut(&session) {
                    slot.cooldown_until = cooldown_until;
                }
                // Whatever the agent holds now must not run: a fresh session replaces it.
                if let Err(e) = self.terminal.kill_session(&session).await {
                    tracing::warn!("cannot reset {session} after a failed launch: {e}");
                }
                if let Some(slot) = self.pool.slot_mut(&session) {
                    slot.alive = false;
                }
                self.save_slot(&session);
                self.maintain_pool().await;
                self.dispatch_wanted = true;
            }
        }
    }

    /// Applies one observation to a working (or launching) session.
    pub(crate) async fn observe(&mut self, session: &str, observation: Observation) {
        let now = self.clock.now();
        let policy = self.watch_policy();
        let Some(slot) = self.pool.slot_mut(session) else {
            return;
        };
        let verdict = match &mut slot.phase {
            Phase::Free => return,
            Phase::Launching { early, .. } => {
                early.push(observation);
                return;
            }
            Phase::Working { watch, .. } => watch.observe(&observation, now, &policy),
            // Waiting for the account move: nothing on its screen decides anything now.
            Phase::Parked { .. } => return,
        };
        if verdict != cf_core::watch::Verdict::KeepWatching {
            self.complete(session, verdict).await;
        }
    }
}

/// Arrival order of a file: its modification time in nanoseconds.
fn arrival_key(modified: jiff::Timestamp) -> i128 {
    modified.as_nanosecond()
}
