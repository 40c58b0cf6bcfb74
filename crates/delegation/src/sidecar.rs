//! The `<task>.md.delegated` sidecar: the only record that a task runs as a platform job.
//!
//! It is written once, atomically, and never replaced: a temp file is written and fsynced,
//! then hard-linked to the final name (a link never replaces an existing file). Because the
//! sidecars are the whole state of delegation, a restarted daemon resumes tracking from them.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use cf_core::Priority;
use cf_core::route::Provider;
use cf_core::{TaskDoc, TaskId};
use cf_platform::{Job, JobId, JobRequest};
use cf_queue::{Project, SidecarKind, read_task_file, sidecar_path};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::error::DelegationError;

/// Largest sidecar read back; ours are a few hundred bytes.
const MAX_SIDECAR_BYTES: u64 = 64 * 1024;

/// The JSON content of `<task>.md.delegated`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DelegatedSidecar {
    /// The platform's job id, polled by the reaper.
    pub job_id: JobId,
    /// The back end that runs it (shown in status and the done footer).
    pub provider: Provider,
    /// When the platform accepted the job (for durations in the footer).
    pub submitted_at: Timestamp,
    /// The task's priority as submitted.
    pub priority: Priority,
}

impl DelegatedSidecar {
    /// The sidecar for `job`, just accepted by the platform for `request`.
    pub(crate) fn accepted(job: &Job, request: &JobRequest) -> DelegatedSidecar {
        DelegatedSidecar {
            job_id: job.id.clone(),
            provider: request.provider,
            submitted_at: job.submitted_at,
            priority: request.priority,
        }
    }
}

/// The job request for the task `task_id` of `project`, parsed as `doc`, to run on `provider`.
pub(crate) fn job_request(
    project: &Project,
    task_id: &TaskId,
    doc: &TaskDoc,
    provider: Provider,
) -> JobRequest {
    JobRequest {
        provider,
        prompt: doc.body.clone(),
        priority: doc.frontmatter.priority,
        project: project.name.clone(),
        task_id: task_id.to_string(),
    }
}

/// The sidecar path of a task file `<inbox>/<id>.md`.
pub fn delegated_sidecar_path(task_path: &Path) -> PathBuf {
    sidecar_path(task_path, SidecarKind::Delegated)
}

/// Writes `<task_path>.delegated` durably and atomically; fails with
/// [`DelegationError::SidecarExists`] rather than replace an existing one. Returns its path.
pub fn write_sidecar(
    task_path: &Path,
    sidecar: &DelegatedSidecar,
) -> Result<PathBuf, DelegationError> {
    let final_path = delegated_sidecar_path(task_path);
    let dir = final_path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let io_err = |path: &Path, op: &'static str| {
        let path = path.to_path_buf();
        move |source| DelegationError::Io { path, op, source }
    };
    let mut json = serde_json::to_vec_pretty(sidecar).map_err(|e| DelegationError::Io {
        path: final_path.clone(),
        op: "encode",
        source: io::Error::other(e),
    })?;
    json.push(b'\n');
    let temp = dir.join(format!(
        ".delegated-{}-{:x}.tmp",
        std::process::id(),
        Timestamp::now().as_nanosecond()
    ));
    let written = (|| {
        let mut file = File::options().write(true).create_new(true).open(&temp)?;
        file.write_all(&json)?;
        file.sync_all()
    })();
    if let Err(e) = written {
        let _ = fs::remove_file(&temp);
        return Err(io_err(&temp, "write temp file for the sidecar")(e));
    }
    // A hard link never replaces: if the sidecar exists, the first one stays.
    let linked = fs::hard_link(&temp, &final_path);
    let _ = fs::remove_file(&temp);
    match linked {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            return Err(DelegationError::SidecarExists { path: final_path });
        }
        Err(e) => return Err(io_err(&final_path, "create sidecar (link)")(e)),
    }
    File::open(&dir)
        .and_then(|d| d.sync_all())
        .map_err(io_err(&dir, "fsync inbox folder"))?;
    Ok(final_path)
}

/// Reads `<task_path>.delegated`: `None` when there is none.
pub fn read_sidecar(task_path: &Path) -> Result<Option<DelegatedSidecar>, DelegationError> {
    let path = delegated_sidecar_path(task_path);
    let bytes = match read_task_file(&path, MAX_SIDECAR_BYTES) {
        Ok(bytes) => bytes,
        Err(e) if e.is_not_found() => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|e| DelegationError::BadSidecar {
            path,
            detail: e.to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> DelegatedSidecar {
        DelegatedSidecar {
            job_id: JobId::new("job-1"),
            provider: Provider::Gemini,
            submitted_at: "2026-04-17T02:00:00Z".parse().unwrap(),
            priority: Priority::High,
        }
    }

    #[test]
    fn round_trips_and_never_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let task = dir.path().join("t.md");
        fs::write(&task, "x").unwrap();
        assert_eq!(read_sidecar(&task).unwrap(), None);
        let path = write_sidecar(&task, &sample()).unwrap();
        assert_eq!(path, dir.path().join("t.md.delegated"));
        assert_eq!(read_sidecar(&task).unwrap(), Some(sample()));
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.contains("\"provider\": \"gemini\""), "{text}");
        assert!(text.contains("\"priority\": \"high\""), "{text}");

        let mut other = sample();
        other.job_id = JobId::new("job-2");
        let err = write_sidecar(&task, &other).unwrap_err();
        assert!(
            matches!(err, DelegationError::SidecarExists { .. }),
            "{err:?}"
        );
        assert_eq!(read_sidecar(&task).unwrap(), Some(sample()), "first kept");
        let leftovers: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.starts_with('.'))
            .collect();
        assert!(leftovers.is_empty(), "temp files left: {leftovers:?}");
    }

    #[test]
    fn bad_sidecar_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let task = dir.path().join("t.md");
        fs::write(dir.path().join("t.md.delegated"), "{\"job_id\": 3}").unwrap();
        let err = read_sidecar(&task).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("t.md.delegated"), "{text}");
        assert!(text.contains("job_id"), "{text}");
    }
}
