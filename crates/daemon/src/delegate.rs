//! Delegation of tasks to the external job platform: routing before a task is claimed,
//! submits in spawned tasks (a submit retries for a while), and the reaper on an interval.
//! The `.delegated` sidecars are the only state, so a restart resumes tracking by itself.

use cf_core::TaskKey;
use std::path::PathBuf;
use std::sync::Arc;

use cf_core::TaskDoc;
use cf_core::route::{DelegationAvailability, Route, decide_route};
use cf_delegation::{DelegationConfig, DelegationManager, ReapOutcome, Reaped, Submitted};
use cf_queue::{Project, QueuedFile};

use crate::daemon::Daemon;
use crate::event::Event;
use crate::notice::{About, NoticeKind};

/// The delegation settings of the config, as the delegation crate takes them.
pub fn delegation_config(cfg: &cf_config::Config) -> DelegationConfig {
    let d = &cfg.delegation;
    DelegationConfig {
        base_url: d.base_url.clone(),
        api_key_env: d.api_key_env.clone(),
        poll_interval: d.poll_interval,
        max_elapsed: d.max_elapsed,
        ..DelegationConfig::default()
    }
}

/// Builds the manager when `delegation.base_url` is set; a missing API key is a start-up error.
pub fn manager_from_config(
    cfg: &cf_config::Config,
) -> Result<Option<Arc<DelegationManager>>, crate::error::StartError> {
    let manager = DelegationManager::from_config(&delegation_config(cfg))
        .map_err(|e| crate::error::StartError::Delegation(Box::new(e)))?;
    Ok(manager.map(Arc::new))
}

mod part;

pub(crate) use part::Delegations;
use part::{Standing, SubmitEnd};

impl Daemon {
    /// Restores the delegation counters saved by the previous run.
    pub(crate) fn restore_delegation_counters(&self) {
        let Some(manager) = self.delegation.manager() else {
            return;
        };
        let saved = self.store.get_kv("delegation_counters").ok().flatten();
        if let Some(snapshot) = saved.and_then(|text| serde_json::from_str(&text).ok()) {
            manager.restore_counters(&snapshot);
        }
    }

    /// Saves the delegation counters (after every submit and reap, and at shutdown).
    pub(crate) fn save_delegation_counters(&self) {
        let Some(manager) = self.delegation.manager() else {
            return;
        };
        if let Ok(text) = serde_json::to_string(&manager.counters()) {
            self.store_kv("delegation_counters", &text);
        }
    }

    /// Routes a ready task: `true` when it goes (or is going) to the platform, so the local pool
    /// must not take it.
    pub(crate) fn route_to_platform(
        &mut self,
        project: &Project,
        file: &QueuedFile,
        doc: &TaskDoc,
    ) -> bool {
        match self.delegation.standing(&file.path) {
            Standing::Local => return false,
            Standing::Submitting => return true,
            Standing::Undecided => {}
        }
        let Some(manager) = self.delegation.manager().cloned() else {
            return false;
        };
        let decision = decide_route(&doc.frontmatter, DelegationAvailability::On);
        let Route::Platform(provider) = decision.route else {
            return false;
        };
        self.delegation.submit_begun(file.path.clone());
        self.say(
            NoticeKind::Delegating,
            About::default()
                .project(project.name.clone())
                .task_id(file.id.to_string()),
            format!("to the job platform ({provider}): {}", decision.reason),
        );
        let (project, file, doc, tx) =
            (project.clone(), file.clone(), doc.clone(), self.tx.clone());
        self.jobs.spawn(async move {
            let submitted = manager.submit(&project, &file, &doc, provider).await;
            let _ = tx.send(Event::DelegationSubmitted {
                project: project.name,
                task: file.path,
                submitted,
            });
        });
        true
    }

    /// A submit finished: delegated (the sidecar keeps it out of the local pool), or it falls back.
    pub(crate) fn on_delegation_submitted(
        &mut self,
        project: String,
        task: PathBuf,
        submitted: Submitted,
    ) {
        let end = match &submitted {
            Submitted::Delegated(_) => SubmitEnd::Delegated,
            Submitted::FallBackLocal { .. } | Submitted::AlreadyDelegated { .. } => {
                SubmitEnd::FellBack
            }
        };
        self.delegation.submit_ended(&task, end);
        self.save_delegation_counters();
        let id = task.file_stem().map(|s| s.to_string_lossy().into_owned());
        match submitted {
            Submitted::Delegated(sidecar) => self.say(
                NoticeKind::Delegated,
                About::default().project(project).maybe_task_id(id),
                format!("job {} on {}", sidecar.job_id, sidecar.provider),
            ),
            Submitted::FallBackLocal { reason } | Submitted::AlreadyDelegated { reason } => {
                self.say(
                    NoticeKind::DelegationFallback,
                    About::default().project(project).maybe_task_id(id),
                    format!("runs locally: {reason}"),
                );
            }
        }
        self.dispatch_wanted = true;
    }

    /// Starts a reaper round in the background (at most one at a time).
    pub(crate) fn start_reap(&mut self) {
        let Some(manager) = self.delegation.begin_reap() else {
            return;
        };
        let projects: Vec<Project> = self.projects.all();
        let tx = self.tx.clone();
        self.jobs.spawn(async move {
            let reaped = manager.reap_once(&projects).await;
            let _ = tx.send(Event::Reaped(reaped));
        });
    }

    pub(crate) fn on_reaped(&mut self, reaped: Vec<Reaped>) {
        self.delegation.reap_ended();
        self.save_delegation_counters();
        for r in reaped {
            let about = About::default().task(&TaskKey::new(r.project.clone(), r.task.clone()));
            match r.outcome {
                ReapOutcome::Completed(path) => self.say(
                    NoticeKind::Completed,
                    about.clone(),
                    format!("delegated job done: {}", path.display()),
                ),
                ReapOutcome::Failed { path, error } => self.say(
                    NoticeKind::Failed,
                    about.clone(),
                    format!("delegated job failed ({error}): {}", path.display()),
                ),
                ReapOutcome::PollFailed(reason) | ReapOutcome::Problem(reason) => self.say(
                    NoticeKind::Problem,
                    about.clone(),
                    format!("delegated job: {reason}"),
                ),
                ReapOutcome::Pending(_) | ReapOutcome::StaleSidecarRemoved(_) => {}
            }
        }
        self.dispatch_wanted = true;
    }
}
