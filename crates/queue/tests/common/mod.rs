//! Shared helpers for the cf-queue integration tests: temp projects and files.
#![allow(dead_code)]

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use cf_queue::{Project, ensure_layout};

/// A project in a fresh temp dir, with its queue layout.
pub fn temp_project() -> (tempfile::TempDir, Project) {
    let dir = tempfile::tempdir().unwrap();
    let project = Project {
        name: "proj".into(),
        root: dir.path().join("proj"),
    };
    std::fs::create_dir(&project.root).unwrap();
    ensure_layout(&project).unwrap();
    (dir, project)
}

/// Writes `inbox/<name>` with `content`.
pub fn put(project: &Project, name: &str, content: &str) -> PathBuf {
    let path = project.inbox_dir().join(name);
    std::fs::write(&path, content).unwrap();
    path
}

/// Creates a fifo at `path`.
pub fn mkfifo(path: &Path) {
    let c = CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: valid NUL-terminated path.
    let rc = unsafe { libc::mkfifo(c.as_ptr(), 0o644) };
    assert_eq!(rc, 0, "mkfifo {}", path.display());
}
