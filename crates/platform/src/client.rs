//! The async client: submit a job, read it back, wait for its result, with
//! bounded retries. The HTTP contract is `docs/platform-openapi.yaml`.

use std::fmt;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use backon::Retryable;
use jiff::Timestamp;
use reqwest::header::{AUTHORIZATION, HeaderValue, RETRY_AFTER};
use reqwest::{RequestBuilder, StatusCode, Url};

use crate::config::PlatformConfig;
use crate::decode;
use crate::error::PlatformError;
use crate::model::{Job, JobId, JobRequest};
use crate::retry::{backoff, next_delay, parse_retry_after};

/// The header that lets the platform recognise a retried submit of the same job.
const IDEMPOTENCY_KEY: &str = "Idempotency-Key";

/// A client for the job platform. Cheap to clone; share one per daemon.
#[derive(Clone)]
pub struct PlatformClient {
    http: reqwest::Client,
    cfg: PlatformConfig,
}

impl fmt::Debug for PlatformClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The config's Debug already redacts the key; the reqwest client holds no secret
        // (the key is added per request) but is left out to keep the output short.
        f.debug_struct("PlatformClient")
            .field("cfg", &self.cfg)
            .finish_non_exhaustive()
    }
}

impl PlatformClient {
    /// Builds a client. Redirects are not followed, so the key is only ever sent to
    /// `base_url`.
    pub fn new(cfg: PlatformConfig) -> Result<PlatformClient, PlatformError> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(cfg.timeout)
            .user_agent(concat!("claude-failover/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| PlatformError::ClientSetup {
                detail: error_chain(&e),
            })?;
        if cfg.base_url.scheme() == "http" && !is_loopback(&cfg.base_url) {
            tracing::warn!(
                base_url = %cfg.base_url,
                "delegation.base_url uses plain http to a non-loopback host: the API key travels unencrypted"
            );
        }
        Ok(PlatformClient { http, cfg })
    }

    /// The configuration in use (the key stays redacted in its `Debug`).
    pub fn config(&self) -> &PlatformConfig {
        &self.cfg
    }

    /// `POST /v1/jobs`: hands a job to the platform. Retried on no answer, 429 and
    /// 5xx (with one `Idempotency-Key` for all attempts, so the platform can avoid
    /// a duplicate); returns the job as accepted (usually `queued`).
    pub async fn submit_job(&self, request: &JobRequest) -> Result<Job, PlatformError> {
        let endpoint = "POST /v1/jobs".to_owned();
        let url = self.url(&["v1", "jobs"]);
        let idempotency_key = new_idempotency_key();
        let body = self
            .call(&endpoint, || {
                self.http
                    .post(url.clone())
                    .header(IDEMPOTENCY_KEY, idempotency_key.as_str())
                    .json(request)
            })
            .await?;
        let job = decode::job(&endpoint, &body)?;
        tracing::info!(job_id = %job.id, provider = %job.provider, project = %request.project,
            task_id = %request.task_id, "job submitted to the platform");
        Ok(job)
    }

    /// `GET /v1/jobs/{id}`: the job's current state. Retried like [`Self::submit_job`].
    pub async fn get_job(&self, id: &JobId) -> Result<Job, PlatformError> {
        let endpoint = format!("GET /v1/jobs/{}", id.as_str().escape_debug());
        let url = self.url(&["v1", "jobs", id.as_str()]);
        let body = self
            .call(&endpoint, || self.http.get(url.clone()))
            .await
            .map_err(|e| match e {
                PlatformError::Rejected {
                    endpoint,
                    status: 404,
                    ..
                } => PlatformError::JobNotFound {
                    endpoint,
                    id: id.clone(),
                },
                other => other,
            })?;
        decode::job(&endpoint, &body)
    }

    /// Polls the job every `poll` until it is completed, failed or cancelled, and
    /// returns it in that state (check [`Job::status`]). Gives up with
    /// [`PlatformError::WaitDeadline`] once `deadline` has passed; the job itself
    /// keeps running on the platform. A poll that exhausts its retries (platform
    /// down for a while) does not end the wait; a definite answer such as 404 or
    /// a malformed body does.
    pub async fn wait_for_result(
        &self,
        id: &JobId,
        poll: Duration,
        deadline: Duration,
    ) -> Result<Job, PlatformError> {
        let deadline_at = tokio::time::Instant::now() + deadline;
        let mut last_status = None;
        let timed_out = |last_status| PlatformError::WaitDeadline {
            id: id.clone(),
            deadline,
            last_status,
        };
        loop {
            let polled = tokio::time::timeout_at(deadline_at, self.get_job(id))
                .await
                .map_err(|_| timed_out(last_status))?;
            match polled {
                Ok(job) if job.status.is_terminal() => return Ok(job),
                Ok(job) => last_status = Some(job.status),
                // An outage longer than one call's retry budget: keep polling until
                // the deadline rather than abandoning a job that may still finish.
                Err(err @ PlatformError::GaveUp { .. }) => {
                    tracing::warn!(%err, job_id = %id, "polling the job failed; will poll again");
                }
                Err(err) => return Err(err),
            }
            let now = tokio::time::Instant::now();
            if now >= deadline_at {
                return Err(timed_out(last_status));
            }
            tokio::time::sleep_until((now + poll).min(deadline_at)).await;
        }
    }

    /// `base_url` with the given path segments appended (each percent-encoded).
    fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.cfg.base_url.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
    }

    /// Sends the request built by `build` until it succeeds, fails for good, or the
    /// `max_elapsed` budget is spent; returns the body of the 2xx answer.
    async fn call(
        &self,
        endpoint: &str,
        build: impl Fn() -> RequestBuilder,
    ) -> Result<String, PlatformError> {
        let started = Instant::now();
        let attempts = AtomicU32::new(0);
        let max_elapsed = self.cfg.max_elapsed;
        let attempt = || async {
            attempts.fetch_add(1, Ordering::Relaxed);
            let remaining = max_elapsed.saturating_sub(started.elapsed());
            let timeout = self
                .cfg
                .timeout
                .min(remaining)
                .max(Duration::from_millis(1));
            self.attempt(endpoint, build().timeout(timeout)).await
        };
        let outcome = attempt
            .retry(backoff(&self.cfg))
            .when(PlatformError::is_retryable)
            .adjust(|err, proposed| {
                next_delay(proposed, err.retry_after(), started.elapsed(), max_elapsed)
            })
            .notify(|err, delay| {
                tracing::warn!(%err, retry_in = ?delay, "job platform call failed; retrying");
            })
            .await;
        outcome.map_err(|last| {
            if last.is_retryable() {
                PlatformError::GaveUp {
                    endpoint: endpoint.to_owned(),
                    attempts: attempts.load(Ordering::Relaxed),
                    elapsed: started.elapsed(),
                    limit: max_elapsed,
                    last: Box::new(last),
                }
            } else {
                last
            }
        })
    }

    /// One request: adds the key, sends, classifies the answer.
    async fn attempt(
        &self,
        endpoint: &str,
        request: RequestBuilder,
    ) -> Result<String, PlatformError> {
        let transport = |e: reqwest::Error| PlatformError::Transport {
            endpoint: endpoint.to_owned(),
            detail: self.cfg.api_key.scrub(&error_chain(&e)),
        };
        let response = request
            .header(AUTHORIZATION, self.bearer()?)
            .send()
            .await
            .map_err(transport)?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, Timestamp::now()));
        let body = response.text().await.map_err(transport)?;
        if status.is_success() {
            return Ok(body);
        }
        let message = || self.cfg.api_key.scrub(&decode::error_message(&body));
        let endpoint = endpoint.to_owned();
        let status_code = status.as_u16();
        Err(match status {
            s if s == StatusCode::TOO_MANY_REQUESTS || s.is_server_error() => {
                PlatformError::Unavailable {
                    endpoint,
                    status: status_code,
                    message: message(),
                    retry_after,
                }
            }
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => PlatformError::Unauthorized {
                endpoint,
                status: status_code,
            },
            _ => PlatformError::Rejected {
                endpoint,
                status: status_code,
                message: message(),
            },
        })
    }

    /// The `Authorization` header, marked sensitive so that HTTP-level debug
    /// output does not print it.
    fn bearer(&self) -> Result<HeaderValue, PlatformError> {
        let mut value = HeaderValue::from_str(&format!("Bearer {}", self.cfg.api_key.expose()))
            .map_err(|_| PlatformError::ClientSetup {
                detail: "the API key contains characters not allowed in an HTTP header; \
                         check the variable named by delegation.api_key_env"
                    .to_owned(),
            })?;
        value.set_sensitive(true);
        Ok(value)
    }
}

/// A reqwest error with its causes (`connection refused` is usually two levels down).
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// True when the URL's host is `localhost` or a loopback address.
fn is_loopback(url: &Url) -> bool {
    match url.host_str() {
        Some("localhost") => true,
        Some(host) => host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback()),
        None => false,
    }
}

/// A fresh key for one submit, reused by its retries: time plus process-random bits.
fn new_idempotency_key() -> String {
    use std::hash::{BuildHasher, Hasher};
    let random = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    let nanos = Timestamp::now().as_nanosecond();
    format!("cf-{nanos:x}-{random:016x}")
}
