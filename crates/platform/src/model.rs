//! The values exchanged with the platform: job requests, job ids, job states.
//!
//! The wire shapes are specified in `docs/platform-openapi.yaml`; reading them back
//! from JSON is in [`crate::decode`] so that every bad field gets a named error.

use std::fmt;

use cf_core::Priority;
use cf_core::route::Provider;
use jiff::Timestamp;

/// What to run on the platform: one task, for one provider.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct JobRequest {
    /// The back end that runs the job.
    pub provider: Provider,
    /// The full task text (the markdown body) given to the model.
    pub prompt: String,
    /// The task's priority, so the platform can order its queue.
    pub priority: Priority,
    /// The project the task belongs to (for the platform's accounting and our reaper).
    pub project: String,
    /// The task id (`<id>.md` in the inbox), to correlate the job with its file.
    pub task_id: String,
}

/// The platform's identifier of a job, as returned by `POST /v1/jobs`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct JobId(String);

impl JobId {
    /// Wraps an id read from a sidecar or the command line.
    pub fn new(id: impl Into<String>) -> JobId {
        JobId(id.into())
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobStatus {
    /// Accepted, waiting for a worker.
    Queued,
    /// A worker runs it.
    Running,
    /// Finished with a result.
    Completed,
    /// Finished without a result; `error` says why.
    Failed,
    /// Stopped by someone before it finished.
    Cancelled,
}

impl JobStatus {
    /// Every status, in life order.
    pub const ALL: [JobStatus; 5] = [
        JobStatus::Queued,
        JobStatus::Running,
        JobStatus::Completed,
        JobStatus::Failed,
        JobStatus::Cancelled,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Running => "running",
            JobStatus::Completed => "completed",
            JobStatus::Failed => "failed",
            JobStatus::Cancelled => "cancelled",
        }
    }

    /// True once the job will not change any more (completed, failed, cancelled).
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            JobStatus::Completed | JobStatus::Failed | JobStatus::Cancelled
        )
    }
}

impl fmt::Display for JobStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A job as the platform reports it (`POST /v1/jobs` and `GET /v1/jobs/{id}`).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Job {
    /// The platform's id of the job.
    pub id: JobId,
    /// Where the job is.
    pub status: JobStatus,
    /// The model's answer once `completed`.
    pub result: Option<String>,
    /// Why it `failed` (or was cancelled).
    pub error: Option<String>,
    /// The back end that runs it.
    pub provider: Provider,
    /// What it cost, when the platform knows (for the done footer and counters).
    pub cost_usd: Option<f64>,
    /// When the platform accepted it.
    pub submitted_at: Timestamp,
    /// When a worker picked it up.
    pub started_at: Option<Timestamp>,
    /// When it reached a terminal status.
    pub finished_at: Option<Timestamp>,
}
