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
use crate::scan::{SidecarKind, is_sidecar_name};

/// Largest `.invalid` sidecar read back; anything bigger was not written by us.
const MAX_SIDECAR_BYTES: u64 = 64 * 1024;

/// Which version of a task file a marker refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Fingerprint {
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
    pub(crate) fn of(path: &Path) -> io::Result<Fingerprint> {
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
///
/// A sidecar (`<stem>.md.<kind>`) is refused with [`QueueError::NotATaskPath`]: a marker is
/// never a task, and marking it would stack markers (`x.md.invalid.invalid`).
pub fn mark_invalid(task_path: &Path, reason: &str) -> Result<(), QueueError> {
    if task_path
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(is_sidecar_name)
    {
        return Err(QueueError::NotATaskPath {
            path: task_path.to_path_buf(),
            expected: "task",
            hint: "it is a sidecar marker, which is never marked invalid",
        });
    }
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
    let temp = write_temp_beside(&sidecar, &[&json])?;
    if let Err(e) = fs::rename(&temp, &sidecar) {
        let _ = fs::remove_file(&temp);
        return Err(QueueError::io(&sidecar, "write invalid marker (rename)", e));
    }
    Ok(())
}

/// Writes `parts` durably into a hidden temp file next to `sidecar`; the caller moves it
/// into place.
fn write_temp_beside(sidecar: &Path, parts: &[&[u8]]) -> Result<PathBuf, QueueError> {
    let dir = sidecar.parent().map(Path::to_path_buf).unwrap_or_default();
    let final_name = sidecar
        .file_name()
        .map_or_else(|| "marker".into(), |name| name.to_string_lossy());
    write_temp(&dir, &final_name, parts).map_err(|e| QueueError::io(&dir, "write temp file", e))
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

/// Creates `<task>.md.blocked` holding `reason`, unless it already exists. Its mtime is the
/// "blocked since" instant, so an existing marker is never rewritten nor touched.
/// Returns whether the marker was created by this call.
pub fn mark_blocked(task_path: &Path, reason: &str) -> Result<bool, QueueError> {
    let sidecar = sidecar_path(task_path, SidecarKind::Blocked);
    if sidecar.symlink_metadata().is_ok() {
        return Ok(false);
    }
    let temp = write_temp_beside(&sidecar, &[reason.as_bytes(), b"\n"])?;
    // A hard link never replaces: if another writer won the race, its marker (and time) stays.
    let linked = fs::hard_link(&temp, &sidecar);
    let _ = fs::remove_file(&temp);
    match linked {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(QueueError::io(&sidecar, "write blocked marker (link)", e)),
    }
}

/// The reason in `<task>.md.blocked` and since when the task is blocked (the marker's mtime).
pub fn blocked_marker(task_path: &Path) -> Result<Option<(String, jiff::Timestamp)>, QueueError> {
    let sidecar = sidecar_path(task_path, SidecarKind::Blocked);
    let bytes = match read_task_file(&sidecar, MAX_SIDECAR_BYTES) {
        Ok(bytes) => bytes,
        Err(e) if e.is_not_found() => return Ok(None),
        Err(e) => return Err(QueueError::Read(e)),
    };
    let modified = fs::symlink_metadata(&sidecar)
        .and_then(|m| m.modified())
        .map_err(|e| QueueError::io(&sidecar, "stat blocked marker", e))?;
    let since = jiff::Timestamp::try_from(modified).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    Ok(Some((
        String::from_utf8_lossy(&bytes).trim().to_string(),
        since,
    )))
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

/// Removes a sidecar whose task file is gone (the janitor); one that vanished meanwhile is fine.
pub fn remove_orphan_sidecar(orphan: &crate::OrphanSidecar) -> Result<(), QueueError> {
    match std::fs::remove_file(&orphan.path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(QueueError::io(
            &orphan.path,
            "remove the orphaned sidecar",
            e,
        )),
    }
}

#[cfg(test)]
mod blocked_tests {
    use super::*;

    #[test]
    fn blocked_marker_is_created_once_and_never_touched() {
        let dir = tempfile::tempdir().expect("tempdir");
        let task = dir.path().join("t.md");
        fs::write(&task, "x").expect("write");
        assert!(mark_blocked(&task, "waiting on a:b").expect("mark"));
        let (reason, since) = blocked_marker(&task).expect("read").expect("present");
        assert_eq!(reason, "waiting on a:b");
        // Not synchronisation: lets the clock move on, so that a rewrite of the marker (which
        // must not happen) would show as a later mtime below.
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert!(!mark_blocked(&task, "another reason").expect("mark again"));
        let (reason_again, since_again) = blocked_marker(&task).expect("read").expect("present");
        assert_eq!(
            (reason_again.as_str(), since_again),
            ("waiting on a:b", since),
            "neither content nor time changes"
        );
        remove_sidecar(&task, SidecarKind::Blocked).expect("remove");
        assert!(blocked_marker(&task).expect("read").is_none());
    }
}
