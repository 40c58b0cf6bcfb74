//! What can go wrong talking to the platform, and which of it is worth a retry.
//!
//! No variant ever holds the API key: server text is scrubbed and quoted before it
//! is stored, and requests are described by method and path only.

use std::time::Duration;

use crate::model::{JobId, JobStatus};

/// Why a platform call failed. Messages name the endpoint (`POST /v1/jobs`) and
/// say what to check.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlatformError {
    /// The HTTP client could not be built (e.g. the TLS roots could not be loaded).
    #[error("cannot set up the HTTP client for the job platform: {detail}")]
    ClientSetup {
        /// What reqwest said.
        detail: String,
    },
    /// No answer: connection refused or reset, DNS failure, request timeout. Retried.
    #[error(
        "{endpoint}: no answer from the job platform ({detail}); check delegation.base_url \
         and that the platform is up"
    )]
    Transport {
        /// Method and path, e.g. `POST /v1/jobs`.
        endpoint: String,
        /// The transport error and its causes.
        detail: String,
    },
    /// 429 or 5xx: the platform is overloaded or broken right now. Retried.
    #[error(
        "{endpoint}: the job platform answered HTTP {status} ({message}); it may be overloaded"
    )]
    Unavailable {
        /// Method and path.
        endpoint: String,
        /// The HTTP status code.
        status: u16,
        /// The server's message, scrubbed and shortened.
        message: String,
        /// How long the server asked us to wait (`Retry-After`), if it said.
        retry_after: Option<Duration>,
    },
    /// 401 or 403: the key was refused. Not retried.
    #[error(
        "{endpoint}: the job platform refused the API key (HTTP {status}); check the key in the \
         variable named by delegation.api_key_env"
    )]
    Unauthorized {
        /// Method and path.
        endpoint: String,
        /// 401 or 403.
        status: u16,
    },
    /// 404 on a job: the platform does not know this id (any more). Not retried.
    #[error("{endpoint}: the job platform does not know job `{id}` (HTTP 404)")]
    JobNotFound {
        /// Method and path.
        endpoint: String,
        /// The id that was asked for.
        id: JobId,
    },
    /// Any other answer that is not a success: a 4xx (bad request) or an
    /// unexpected redirect. Not retried: sending the same again cannot help.
    #[error("{endpoint}: the job platform rejected the request with HTTP {status}: {message}")]
    Rejected {
        /// Method and path.
        endpoint: String,
        /// The HTTP status code.
        status: u16,
        /// The server's message, scrubbed and shortened.
        message: String,
    },
    /// A success status with a body that is not the JSON of the contract.
    #[error(
        "{endpoint}: the job platform's answer does not match docs/platform-openapi.yaml: \
         field `{field}` {detail}"
    )]
    InvalidBody {
        /// Method and path.
        endpoint: String,
        /// The JSON field at fault, or `(body)` when the whole body is wrong.
        field: String,
        /// What is wrong with it.
        detail: String,
    },
    /// Retryable failures went on for longer than `max_elapsed`.
    #[error(
        "{endpoint}: gave up after {attempts} attempts in {elapsed:.1?} (limit {limit:?}); last error: {last}"
    )]
    GaveUp {
        /// Method and path.
        endpoint: String,
        /// How many requests were sent.
        attempts: u32,
        /// Time spent including backoff sleeps.
        elapsed: Duration,
        /// The configured `max_elapsed`.
        limit: Duration,
        /// The last retryable failure.
        last: Box<PlatformError>,
    },
    /// `wait_for_result` ran out of time before the job finished.
    #[error(
        "job `{id}` did not finish within {deadline:?} (last status: {}); it keeps running on the \
         platform, poll it again later",
        last_status.map_or("unknown", JobStatus::as_str)
    )]
    WaitDeadline {
        /// The job waited for.
        id: JobId,
        /// The deadline that passed.
        deadline: Duration,
        /// The last status seen, if any poll succeeded.
        last_status: Option<JobStatus>,
    },
}

impl PlatformError {
    /// True for failures that may go away by themselves: no answer, 429, 5xx.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            PlatformError::Transport { .. } | PlatformError::Unavailable { .. }
        )
    }

    /// How long the server asked to wait before the next attempt.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            PlatformError::Unavailable { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// The HTTP status behind this error, if there was an answer; for
    /// [`PlatformError::GaveUp`] the status of the last attempt.
    pub fn http_status(&self) -> Option<u16> {
        match self {
            PlatformError::Unavailable { status, .. }
            | PlatformError::Unauthorized { status, .. }
            | PlatformError::Rejected { status, .. } => Some(*status),
            PlatformError::JobNotFound { .. } => Some(404),
            PlatformError::GaveUp { last, .. } => last.http_status(),
            _ => None,
        }
    }
}
