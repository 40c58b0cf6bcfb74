//! The logic behind `claude-failover delegate submit|get|result|decide`: JSON for scripts
//! and exit codes they can rely on. The CLI only parses arguments, prints
//! [`ScriptOutput::json`] and exits with [`ScriptExit::code`].

use std::path::Path;
use std::time::Duration;

use cf_core::route::{DelegationAvailability, Route, decide_route};
use cf_core::task::parse_task;
use cf_core::{TaskDoc, TaskId};
use cf_platform::{Job, JobId, JobStatus, PlatformClient, PlatformError, Provider};
use cf_queue::{DEFAULT_MAX_TASK_BYTES, Project, read_task_file};
use serde_json::{Value, json};

use crate::sidecar::{DelegatedSidecar, delegated_sidecar_path, job_request, write_sidecar};

/// The process exit code of a `delegate` subcommand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScriptExit {
    /// 0: done; the JSON holds the answer.
    Ok,
    /// 2: bad arguments or an unusable task file; nothing was sent.
    Usage,
    /// 3: the platform could not be reached, refused the call, or a wait ran out.
    Platform,
    /// 4: the job ended failed or cancelled.
    JobFailed,
}

impl ScriptExit {
    /// The numeric exit code.
    pub fn code(self) -> i32 {
        match self {
            ScriptExit::Ok => 0,
            ScriptExit::Usage => 2,
            ScriptExit::Platform => 3,
            ScriptExit::JobFailed => 4,
        }
    }
}

/// What a subcommand prints (one JSON document on stdout) and how it exits.
#[derive(Debug, Clone, PartialEq)]
pub struct ScriptOutput {
    /// The document to print.
    pub json: Value,
    /// The exit code.
    pub exit: ScriptExit,
}

impl ScriptOutput {
    fn ok(json: Value) -> ScriptOutput {
        ScriptOutput {
            json,
            exit: ScriptExit::Ok,
        }
    }

    /// `{"error": message, "kind": ...}` with the matching exit code.
    fn error(exit: ScriptExit, message: impl Into<String>) -> ScriptOutput {
        let kind = match exit {
            ScriptExit::Usage => "usage",
            ScriptExit::Platform => "platform",
            ScriptExit::JobFailed => "job_failed",
            ScriptExit::Ok => "none",
        };
        ScriptOutput {
            json: json!({ "error": message.into(), "kind": kind }),
            exit,
        }
    }

    fn platform(err: &PlatformError) -> ScriptOutput {
        let mut out = ScriptOutput::error(ScriptExit::Platform, err.to_string());
        if let (Some(status), Value::Object(map)) = (err.http_status(), &mut out.json) {
            map.insert("http_status".into(), json!(status));
        }
        out
    }
}

/// `delegate decide`: the routing decision for a task file's bytes, contacting nothing.
/// `availability` is whether `delegation.base_url` is configured.
pub fn decide(task_bytes: &[u8], availability: DelegationAvailability) -> ScriptOutput {
    let doc = match parse_task(task_bytes) {
        Ok(doc) => doc,
        Err(e) => return ScriptOutput::error(ScriptExit::Usage, format!("task file: {e}")),
    };
    let decision = decide_route(&doc.frontmatter, availability);
    let (route, provider) = match decision.route {
        Route::Local => ("local", Value::Null),
        Route::Platform(p) => ("platform", json!(p)),
    };
    ScriptOutput::ok(json!({
        "route": route,
        "provider": provider,
        "reason": decision.reason,
        "delegation": match availability {
            DelegationAvailability::On => "on",
            DelegationAvailability::Off => "off",
        },
    }))
}

/// `delegate submit`: submits the task at `task_path` of `project` to `provider`, or to the
/// provider its frontmatter routes to when `provider` is `None`. When the file is
/// `<project inbox>/<id>.md` the sidecar is written too, so that the daemon's reaper
/// finishes it; elsewhere the job is only submitted (`"sidecar": null`).
pub async fn submit(
    client: &PlatformClient,
    task_path: &Path,
    project: &Project,
    provider: Option<Provider>,
) -> ScriptOutput {
    let (task_id, doc) = match read_task(task_path) {
        Ok(read) => read,
        Err(out) => return out,
    };
    let provider = match provider {
        Some(p) => p,
        None => {
            let decision = decide_route(&doc.frontmatter, DelegationAvailability::On);
            match decision.route {
                Route::Platform(p) => p,
                Route::Local => {
                    return ScriptOutput::error(
                        ScriptExit::Usage,
                        format!(
                            "the task routes to the local pool ({}); set allow_delegation and \
                             preferred_ai in its frontmatter or pass a provider",
                            decision.reason
                        ),
                    );
                }
            }
        }
    };
    let in_inbox = task_path.parent() == Some(project.inbox_dir().as_path());
    let existing = delegated_sidecar_path(task_path);
    if in_inbox && existing.symlink_metadata().is_ok() {
        return ScriptOutput::error(
            ScriptExit::Usage,
            format!(
                "{} exists: the task is already delegated; nothing was sent",
                existing.display()
            ),
        );
    }
    let request = job_request(project, &task_id, &doc, provider);
    let job = match client.submit_job(&request).await {
        Ok(job) => job,
        Err(e) => return ScriptOutput::platform(&e),
    };
    let mut out = job_json(&job);
    let sidecar = if in_inbox {
        match write_sidecar(task_path, &DelegatedSidecar::accepted(&job, &request)) {
            Ok(path) => json!(path.display().to_string()),
            Err(e) => {
                let message = format!(
                    "job `{}` was submitted but its sidecar was not written: {e}",
                    job.id
                );
                let mut out = ScriptOutput::error(ScriptExit::Usage, message);
                if let Value::Object(map) = &mut out.json {
                    map.insert("job_id".into(), json!(job.id));
                }
                return out;
            }
        }
    } else {
        Value::Null
    };
    if let Value::Object(map) = &mut out {
        map.insert("sidecar".into(), sidecar);
    }
    ScriptOutput::ok(out)
}

/// `delegate get`: the job as the platform reports it now (exit 0 whatever its status).
pub async fn get(client: &PlatformClient, job_id: &str) -> ScriptOutput {
    let Some(id) = job_id_arg(job_id) else {
        return ScriptOutput::error(
            ScriptExit::Usage,
            "the job id is empty; pass the id printed by submit",
        );
    };
    match client.get_job(&id).await {
        Ok(job) => ScriptOutput::ok(job_json(&job)),
        Err(e) => ScriptOutput::platform(&e),
    }
}

/// `delegate result`: waits up to `wait` for the job to finish (polling every `poll`).
/// Completed → exit 0 with the job; failed or cancelled → exit 4 with the job; still
/// running at the deadline or no answer → exit 3.
pub async fn result(
    client: &PlatformClient,
    job_id: &str,
    wait: Duration,
    poll: Duration,
) -> ScriptOutput {
    let Some(id) = job_id_arg(job_id) else {
        return ScriptOutput::error(
            ScriptExit::Usage,
            "the job id is empty; pass the id printed by submit",
        );
    };
    match client.wait_for_result(&id, poll, wait).await {
        Ok(job) if job.status == JobStatus::Completed => ScriptOutput::ok(job_json(&job)),
        Ok(job) => ScriptOutput {
            json: job_json(&job),
            exit: ScriptExit::JobFailed,
        },
        Err(e) => ScriptOutput::platform(&e),
    }
}

fn job_id_arg(raw: &str) -> Option<JobId> {
    let trimmed = raw.trim();
    (!trimmed.is_empty()).then(|| JobId::new(trimmed))
}

/// The job as JSON (the contract's field names).
fn job_json(job: &Job) -> Value {
    serde_json::to_value(job).unwrap_or_else(|e| json!({ "error": e.to_string() }))
}

/// Reads and parses a task file; errors become exit-2 outputs naming the file.
fn read_task(task_path: &Path) -> Result<(TaskId, TaskDoc), ScriptOutput> {
    let usage = |message: String| ScriptOutput::error(ScriptExit::Usage, message);
    let name = task_path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| usage(format!("{} is not a task file path", task_path.display())))?;
    let task_id = TaskId::from_file_name(name).map_err(|e| usage(e.to_string()))?;
    let bytes =
        read_task_file(task_path, DEFAULT_MAX_TASK_BYTES).map_err(|e| usage(e.to_string()))?;
    let doc =
        parse_task(&bytes).map_err(|e| usage(format!("task file {}: {e}", task_path.display())))?;
    Ok((task_id, doc))
}
