//! The delegation manager: submits routed tasks (falling back to the local pool when the
//! platform cannot take them), keeps counters, and exposes a status snapshot.
//!
//! The sidecars are the only state: a new manager (after a restart) resumes tracking every
//! job at its first [`DelegationManager::reap_once`] (see `reap.rs`). The filesystem calls
//! are the short blocking ones of cf-queue, made directly from the async functions.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use cf_core::TaskDoc;
use cf_core::route::Provider;
use cf_platform::{JobId, PlatformClient};
use cf_queue::{Project, QueuedFile};
use jiff::Timestamp;
use serde::Serialize;

use crate::config::DelegationConfig;
use crate::error::DelegationError;
use crate::sidecar::{
    DelegatedSidecar, delegated_sidecar_path, job_request, read_sidecar, write_sidecar,
};

/// What [`DelegationManager::submit`] did with a task.
#[derive(Debug, Clone, PartialEq)]
pub enum Submitted {
    /// The platform accepted the job and the sidecar is written; the task file stays in
    /// `inbox/` and must not be dispatched locally while the sidecar exists.
    Delegated(DelegatedSidecar),
    /// The platform could not take it (after the client's retries) or its sidecar could not
    /// be written; nothing was written: dispatch the task locally.
    FallBackLocal {
        /// Why, for the log and status.
        reason: String,
    },
    /// A sidecar exists already (submitted before, or an unreadable one): nothing was sent;
    /// do not dispatch it locally either.
    AlreadyDelegated {
        /// What was found.
        reason: String,
    },
}

/// One job being tracked, as shown by status (`/api/delegated/status`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActiveJob {
    /// The project name.
    pub project: String,
    /// The task id (`inbox/<task>.md`).
    pub task: String,
    /// The platform's job id.
    pub job_id: JobId,
    /// Who runs it.
    pub provider: Provider,
    /// When the platform accepted it.
    pub submitted_at: Timestamp,
}

/// The counters at one instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
pub struct CounterSnapshot {
    /// Jobs accepted by the platform with their sidecar written (by this process).
    pub submitted: u64,
    /// Jobs still tracked after the last reap (plus those submitted since).
    pub active: u64,
    /// Jobs finished into `done/`.
    pub completed: u64,
    /// Jobs finished into `failed/` (failed, cancelled, or unknown to the platform).
    pub failed: u64,
    /// Submits that fell back to the local pool.
    pub fallbacks: u64,
    /// Polls of an active job that got no usable answer (the job stays tracked).
    pub poll_errors: u64,
}

/// The atomics behind [`CounterSnapshot`] (`active` is the length of the active-jobs list).
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) submitted: AtomicU64,
    pub(crate) completed: AtomicU64,
    pub(crate) failed: AtomicU64,
    pub(crate) fallbacks: AtomicU64,
    pub(crate) poll_errors: AtomicU64,
}

impl Counters {
    pub(crate) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    fn snapshot(&self, active: usize) -> CounterSnapshot {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        CounterSnapshot {
            submitted: get(&self.submitted),
            active: u64::try_from(active).unwrap_or(u64::MAX),
            completed: get(&self.completed),
            failed: get(&self.failed),
            fallbacks: get(&self.fallbacks),
            poll_errors: get(&self.poll_errors),
        }
    }
}

/// Submits tasks to the platform and reaps their results. Share one per daemon (`Arc`).
#[derive(Debug)]
pub struct DelegationManager {
    /// The platform client (retries and key handling live there).
    pub(crate) client: PlatformClient,
    /// Counters for status and metrics.
    pub(crate) counters: Counters,
    /// The jobs tracked, as of the last reap plus later submits.
    pub(crate) active_jobs: Mutex<Vec<ActiveJob>>,
}

impl DelegationManager {
    /// A manager with zeroed counters; call [`DelegationManager::reap_once`] to pick up
    /// the sidecars left by a previous run.
    pub fn new(client: PlatformClient) -> DelegationManager {
        DelegationManager {
            client,
            counters: Counters::default(),
            active_jobs: Mutex::new(Vec::new()),
        }
    }

    /// A manager for `config`, or `None` when delegation is off (no `base_url`). Fails when
    /// the URL or the API key variable is unusable (the message names which).
    pub fn from_config(
        config: &DelegationConfig,
    ) -> Result<Option<DelegationManager>, DelegationError> {
        Ok(config.client()?.map(DelegationManager::new))
    }

    /// The client, for callers that need the platform directly (e.g. `delegate get`).
    pub fn client(&self) -> &PlatformClient {
        &self.client
    }

    /// Submits `task` (already read as `doc`) to run on `provider`. On success the sidecar
    /// is written and the task stays in `inbox/`; on failure nothing is written and the
    /// task should be dispatched locally (the reason is logged and counted).
    pub async fn submit(
        &self,
        project: &Project,
        task: &QueuedFile,
        doc: &TaskDoc,
        provider: Provider,
    ) -> Submitted {
        let sidecar_path = delegated_sidecar_path(&task.path);
        if sidecar_path.symlink_metadata().is_ok() {
            let reason = match read_sidecar(&task.path) {
                Ok(Some(existing)) => format!(
                    "{} already records job `{}`",
                    sidecar_path.display(),
                    existing.job_id
                ),
                Ok(None) => format!("{} appeared meanwhile", sidecar_path.display()),
                Err(e) => e.to_string(),
            };
            return Submitted::AlreadyDelegated { reason };
        }
        let request = job_request(project, &task.id, doc, provider);
        let job = match self.client.submit_job(&request).await {
            Ok(job) => job,
            Err(e) => {
                Counters::bump(&self.counters.fallbacks);
                let reason = e.to_string();
                tracing::warn!(project = %project.name, task = %task.id, %provider, %reason,
                    "delegation submit failed; the task falls back to the local pool");
                return Submitted::FallBackLocal { reason };
            }
        };
        let sidecar = DelegatedSidecar::accepted(&job, &request);
        if let Err(e) = write_sidecar(&task.path, &sidecar) {
            Counters::bump(&self.counters.fallbacks);
            let reason = format!(
                "job `{}` was accepted but its sidecar could not be written ({e}); the task \
                 runs locally and that job's result will be ignored",
                sidecar.job_id
            );
            tracing::error!(project = %project.name, task = %task.id, %reason,
                "delegation sidecar not written; falling back to the local pool");
            return Submitted::FallBackLocal { reason };
        }
        Counters::bump(&self.counters.submitted);
        tracing::info!(project = %project.name, task = %task.id, job_id = %sidecar.job_id,
            %provider, "task delegated to the job platform");
        self.lock_active().push(ActiveJob {
            project: project.name.clone(),
            task: task.id.to_string(),
            job_id: sidecar.job_id.clone(),
            provider,
            submitted_at: sidecar.submitted_at,
        });
        Submitted::Delegated(sidecar)
    }

    /// The counters now.
    pub fn counters(&self) -> CounterSnapshot {
        self.counters.snapshot(self.lock_active().len())
    }

    /// Restores the cumulative counters saved by an earlier run (the daemon persists them), so
    /// that a restart does not forget what was submitted, completed, failed or fell back.
    /// `active` is not restored: the next reap recounts it from the sidecars.
    pub fn restore_counters(&self, saved: &CounterSnapshot) {
        let c = &self.counters;
        c.submitted.store(saved.submitted, Ordering::Relaxed);
        c.completed.store(saved.completed, Ordering::Relaxed);
        c.failed.store(saved.failed, Ordering::Relaxed);
        c.fallbacks.store(saved.fallbacks, Ordering::Relaxed);
        c.poll_errors.store(saved.poll_errors, Ordering::Relaxed);
    }

    /// The jobs tracked, as of the last reap plus later submits.
    pub fn active_jobs(&self) -> Vec<ActiveJob> {
        self.lock_active().clone()
    }

    /// `{"enabled": true, "active_jobs": [...], "counters": {...}}` for the status API.
    pub fn snapshot(&self) -> serde_json::Value {
        let jobs = self.active_jobs();
        serde_json::json!({
            "enabled": true,
            "counters": self.counters.snapshot(jobs.len()),
            "active_jobs": jobs,
        })
    }

    /// The active-jobs list, even if a panicking thread poisoned the lock (it is only data).
    pub(crate) fn lock_active(&self) -> std::sync::MutexGuard<'_, Vec<ActiveJob>> {
        self.active_jobs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The status snapshot when delegation is off: same shape, `enabled: false`, zeros.
pub fn disabled_snapshot() -> serde_json::Value {
    serde_json::json!({
        "enabled": false,
        "active_jobs": [],
        "counters": CounterSnapshot::default(),
    })
}
