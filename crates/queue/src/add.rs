//! Adding a task to a project's inbox without ever exposing a half-written file.

use std::io;
use std::path::PathBuf;

use cf_core::TaskId;

use crate::error::QueueError;
use crate::fsutil::{fsync_dir, rename_noreplace, write_temp};
use crate::project::Project;
use crate::scan::{DISPATCHED_SUFFIX, TASK_SUFFIX};

/// Writes `inbox/<id>.md` with `content`: first to a hidden temp file (ignored by scans and
/// watchers), fsynced, then renamed in without replacing. Refuses an id that is already
/// waiting or running. Returns the task path.
pub fn add_task(project: &Project, id: &TaskId, content: &[u8]) -> Result<PathBuf, QueueError> {
    let inbox = project.inbox_dir();
    let final_name = format!("{id}{TASK_SUFFIX}");
    let path = inbox.join(&final_name);
    let dispatched = inbox.join(format!("{final_name}{DISPATCHED_SUFFIX}"));
    if std::fs::symlink_metadata(&dispatched).is_ok() {
        return Err(QueueError::TaskExists { path: dispatched });
    }
    let temp = write_temp(&inbox, &final_name, &[content])
        .map_err(|e| QueueError::io(&inbox, format!("write temp file for {final_name}"), e))?;
    match rename_noreplace(&temp, &path) {
        Ok(()) => {}
        Err(e) => {
            let _ = std::fs::remove_file(&temp);
            return Err(if e.kind() == io::ErrorKind::AlreadyExists {
                QueueError::TaskExists { path }
            } else {
                QueueError::io(&temp, format!("rename to {}", path.display()), e)
            });
        }
    }
    fsync_dir(&inbox).map_err(|e| QueueError::io(&inbox, "fsync directory", e))?;
    Ok(path)
}
