//! Sidecar markers next to a task file, and the `.invalid` marker with its fingerprint.
//!
//! An `.invalid` sidecar explains why a task cannot be read and remembers which version of the
//! file it judged (size, mtime, ctime, inode). While the file is unchanged the daemon skips it
//! without re-reading; once the operator edits it, the stale marker is removed and the task is
//! validated again.

use std::fs;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::QueueError;
use crate::fsutil::write_temp;
use crate::read::read_task_file;
use crate::scan::SidecarKind;

/// Largest `.invalid` sidecar read back; anything bigger was not written by us.
const MAX_SIDECAR_BYTES: u64 = 64 * 1024;

/// Which version of a task file a marker refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    /// Size in bytes.
    pub size: u64,
    /// Modification time, nanoseconds since the Unix epoch.
    pub mtime_ns: i64,
    /// Status-change time, nanoseconds: cannot be set back by `touch`, so edits are caught.
    pub ctime_ns: i64,
    /// Inode number: a replaced file (rename over it) is a new file.
    pub inode: u64,
}

impl Fingerprint {
    /// Fingerprint of `path` itself (a symlink is not followed).
    pub fn of(path: &Path) -> io::Result<Fingerprint> {
        let m = fs::symlink_metadata(path)?;
        let ns = |secs: i64, nsecs: i64| secs.saturating_mul(1_000_000_000).saturating_add(nsecs);
        Ok(Fingerprint {
            size: m.size(),
            mtime_ns: ns(m.mtime(), m.mtime_nsec()),
            ctime_ns: ns(m.ctime(), m.ctime_nsec()),
            inode: m.ino(),
        })
    }
}

/// The JSON content of an `.invalid` sidecar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct InvalidMarker {
    /// Why the task cannot be used, for the operator.
    reason: String,
    /// The task file version judged.
    fingerprint: Fingerprint,
    /// When it was judged.
    marked_at: jiff::Timestamp,
}

/// `<task_path>.<kind>`, e.g. `inbox/<id>.md.invalid`.
pub fn sidecar_path(task_path: &Path, kind: SidecarKind) -> PathBuf {
    let mut path = task_path.as_os_str().to_owned();
    path.push(kind.suffix());
    PathBuf::from(path)
}

/// Writes (or replaces) `<task>.md.invalid` with `reason` and the task file's fingerprint,
/// atomically (temp file + rename).
pub fn mark_invalid(task_path: &Path, reason: &str) -> Result<(), QueueError> {
    let fingerprint =
        Fingerprint::of(task_path).map_err(|e| QueueError::io(task_path, "stat task file", e))?;
    let marker = InvalidMarker {
        reason: reason.to_string(),
        fingerprint,
        marked_at: jiff::Timestamp::now(),
    };
    let sidecar = sidecar_path(task_path, SidecarKind::Invalid);
    let mut json = serde_json::to_vec_pretty(&marker)
        .map_err(|e| QueueError::io(&sidecar, "encode invalid marker", io::Error::other(e)))?;
    json.push(b'\n');
    let dir = sidecar.parent().map(Path::to_path_buf).unwrap_or_default();
    let final_name = sidecar
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("invalid-marker")
        .to_string();
    let temp = write_temp(&dir, &final_name, &[&json])
        .map_err(|e| QueueError::io(&dir, "write temp file", e))?;
    if let Err(e) = fs::rename(&temp, &sidecar) {
        let _ = fs::remove_file(&temp);
        return Err(QueueError::io(&sidecar, "write invalid marker (rename)", e));
    }
    Ok(())
}

/// The reason recorded in `<task>.md.invalid`, if that marker still describes the task file.
///
/// `Some(reason)`: the file is unchanged since it was judged; skip it without reading it.
/// `None`: no marker, or the file changed (the stale marker is removed: validate it again).
/// A missing task file gives `None` and leaves the marker (an orphan, listed by the scan).
pub fn invalid_marker_current(task_path: &Path) -> Result<Option<String>, QueueError> {
    let sidecar = sidecar_path(task_path, SidecarKind::Invalid);
    let marker = match read_task_file(&sidecar, MAX_SIDECAR_BYTES) {
        Ok(bytes) => serde_json::from_slice::<InvalidMarker>(&bytes).ok(),
        Err(e) if e.is_not_found() => return Ok(None),
        // A marker we cannot read safely is not ours: treat it as stale.
        Err(_) => None,
    };
    let current = match Fingerprint::of(task_path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(QueueError::io(task_path, "stat task file", e)),
    };
    match marker {
        Some(m) if m.fingerprint == current => Ok(Some(m.reason)),
        _ => {
            remove_sidecar(task_path, SidecarKind::Invalid)?;
            Ok(None)
        }
    }
}

/// Removes `<task>.md.<kind>`; absent is fine.
pub fn remove_sidecar(task_path: &Path, kind: SidecarKind) -> Result<(), QueueError> {
    let sidecar = sidecar_path(task_path, kind);
    match fs::remove_file(&sidecar) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(QueueError::io(&sidecar, "remove sidecar", e)),
    }
}
