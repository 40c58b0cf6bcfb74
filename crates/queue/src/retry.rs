//! The `.retry` sidecar beside a claimed task (`inbox/<id>.md.retry` next to
//! `inbox/<id>.md.dispatched`): the task's turn ended on a transient error and it waits for its
//! next attempt. The content (JSON, written by the daemon) says when and what was tried; this
//! module only stores it, atomically, so that a restart finds it as it was.

use std::fs;
use std::path::{Path, PathBuf};

use crate::claim::task_path_of_claim;
use crate::error::QueueError;
use crate::fsutil::{fsync_dir, write_temp};
use crate::read::read_task_file;
use crate::scan::SidecarKind;
use crate::sidecar::sidecar_path;

/// Largest `.retry` sidecar read back (attempt lists stay small).
const MAX_RETRY_BYTES: u64 = 256 * 1024;

/// `<id>.md.retry` for the claimed `<id>.md.dispatched`.
pub fn retry_path(dispatched_path: &Path) -> PathBuf {
    sidecar_path(&task_path_of_claim(dispatched_path), SidecarKind::Retry)
}

/// Writes (or replaces) the `.retry` sidecar of a claimed task, atomically.
pub fn write_retry(dispatched_path: &Path, body: &[u8]) -> Result<PathBuf, QueueError> {
    let path = retry_path(dispatched_path);
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let name = path
        .file_name()
        .map_or_else(|| "retry".into(), |n| n.to_string_lossy().into_owned());
    let temp =
        write_temp(&dir, &name, &[body]).map_err(|e| QueueError::io(&dir, "write temp file", e))?;
    if let Err(e) = fs::rename(&temp, &path) {
        let _ = fs::remove_file(&temp);
        return Err(QueueError::io(&path, "write retry marker", e));
    }
    fsync_dir(&dir).map_err(|e| QueueError::io(&dir, "sync directory", e))?;
    Ok(path)
}

/// The content of the `.retry` sidecar of a claimed task; `None` when there is none.
pub fn read_retry(dispatched_path: &Path) -> Result<Option<Vec<u8>>, QueueError> {
    match read_task_file(&retry_path(dispatched_path), MAX_RETRY_BYTES) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(QueueError::Read(e)),
    }
}

/// Removes the `.retry` sidecar of a claimed task; absent is fine.
pub fn remove_retry(dispatched_path: &Path) -> Result<(), QueueError> {
    crate::sidecar::remove_sidecar(&task_path_of_claim(dispatched_path), SidecarKind::Retry)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_retry_marker_is_written_read_back_and_removed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let claimed = dir.path().join("t1.md.dispatched");
        fs::write(&claimed, "task").expect("write");
        assert_eq!(read_retry(&claimed).expect("read"), None);
        let path = write_retry(&claimed, b"{\"attempts\":1}").expect("write");
        assert_eq!(path, dir.path().join("t1.md.retry"));
        write_retry(&claimed, b"{\"attempts\":2}").expect("replace");
        assert_eq!(
            read_retry(&claimed).expect("read").as_deref(),
            Some(&b"{\"attempts\":2}"[..])
        );
        remove_retry(&claimed).expect("remove");
        remove_retry(&claimed).expect("absent is fine");
        assert_eq!(read_retry(&claimed).expect("read"), None);
    }
}
