//! Listing an inbox in one `read_dir`: waiting tasks, running tasks, sidecars, and rejects.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::PathBuf;

use cf_core::TaskId;

use crate::error::{FileKind, QueueError};
use crate::id::parse_stem;
use crate::project::Project;

/// Suffix of a waiting task file.
pub const TASK_SUFFIX: &str = ".md";
/// Suffix added to a claimed (running) task file.
pub const DISPATCHED_SUFFIX: &str = ".dispatched";

/// A marker file next to a task, `<id>.md.<kind>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SidecarKind {
    /// Waiting on `depends_on` (mtime = blocked since).
    Blocked,
    /// Submitted to the job platform.
    Delegated,
    /// Cannot be read; the content says why.
    Invalid,
    /// Beside a claimed task whose turn ended on a transient error: it waits for its next
    /// attempt (the content, written by the daemon, says when and what was tried).
    Retry,
}

impl SidecarKind {
    /// Every kind.
    pub const ALL: [SidecarKind; 4] = [
        SidecarKind::Blocked,
        SidecarKind::Delegated,
        SidecarKind::Invalid,
        SidecarKind::Retry,
    ];

    /// The suffix appended to `<id>.md`, with its dot.
    pub fn suffix(self) -> &'static str {
        match self {
            SidecarKind::Blocked => ".blocked",
            SidecarKind::Delegated => ".delegated",
            SidecarKind::Invalid => ".invalid",
            SidecarKind::Retry => ".retry",
        }
    }
}

/// A waiting task `<id>.md` that is a regular file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedFile {
    /// The task id (file stem).
    pub id: TaskId,
    /// Full path.
    pub path: PathBuf,
    /// `<id>.md`.
    pub file_name: String,
    /// Last modification: the arrival order (Unix epoch if the OS reports an unusable time).
    pub modified: jiff::Timestamp,
    /// Size in bytes, to refuse too-large files without reading them.
    pub size: u64,
    /// `<id>.md.invalid` exists: check it with [`crate::invalid_marker_current`].
    pub has_invalid_sidecar: bool,
    /// `<id>.md.blocked` exists.
    pub has_blocked_sidecar: bool,
    /// `<id>.md.delegated` exists.
    pub has_delegated_sidecar: bool,
}

/// A claimed task `<id>.md.dispatched`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DispatchedFile {
    /// The task id.
    pub id: TaskId,
    /// Full path of the `.dispatched` file.
    pub path: PathBuf,
    /// `<id>.md.retry` exists: the task waits for another attempt (see [`crate::read_retry`]).
    pub has_retry_sidecar: bool,
}

/// A sidecar whose task is neither waiting nor running (left over after a manual move).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrphanSidecar {
    /// The task id it belongs to.
    pub id: TaskId,
    /// Which sidecar.
    pub kind: SidecarKind,
    /// Its path.
    pub path: PathBuf,
}

/// An inbox entry that looks like a task but cannot be one; reported, never dropped silently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// Its path.
    pub path: PathBuf,
    /// Why, and what to do.
    pub reason: String,
}

/// Everything one inbox scan found, each list sorted by file name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InboxScan {
    /// Waiting tasks.
    pub queued: Vec<QueuedFile>,
    /// Running (claimed) tasks.
    pub dispatched: Vec<DispatchedFile>,
    /// Sidecars without their task.
    pub orphan_sidecars: Vec<OrphanSidecar>,
    /// Task-like entries that cannot be used.
    pub rejected: Vec<Rejected>,
    /// Other visible files (not `*.md*`), listed so status can show them; also the sidecars
    /// left over from a removed task whose name was no task id (never tasks, never rejected).
    pub other: Vec<PathBuf>,
}

/// How a file name in the inbox reads.
enum NameClass<'a> {
    Task(&'a str),
    Dispatched(&'a str),
    Sidecar(&'a str, SidecarKind),
    Other,
}

fn classify_name(name: &str) -> NameClass<'_> {
    if let Some(stem) = name.strip_suffix(TASK_SUFFIX) {
        return NameClass::Task(stem);
    }
    let task_stem = |suffix: &str| {
        name.strip_suffix(suffix)
            .and_then(|rest| rest.strip_suffix(TASK_SUFFIX))
    };
    if let Some(stem) = task_stem(DISPATCHED_SUFFIX) {
        return NameClass::Dispatched(stem);
    }
    for kind in SidecarKind::ALL {
        if let Some(stem) = task_stem(kind.suffix()) {
            return NameClass::Sidecar(stem, kind);
        }
    }
    NameClass::Other
}

/// True when `name` is a sidecar marker `<stem>.md.<kind>` (whatever the stem): such a file
/// is never a task, so it is never rejected nor marked invalid itself.
pub(crate) fn is_sidecar_name(name: &str) -> bool {
    matches!(classify_name(name), NameClass::Sidecar(..))
}

/// Lists the project's inbox in one `read_dir` and classifies every entry.
///
/// Hidden files (temp files of [`crate::add_task`] and editors) are ignored. Types are taken
/// with `symlink_metadata`, so a symlink, fifo or directory named `x.md` is rejected with a
/// reason rather than followed or skipped.
pub fn scan_inbox(project: &Project) -> Result<InboxScan, QueueError> {
    let inbox = project.inbox_dir();
    let entries =
        fs::read_dir(&inbox).map_err(|e| QueueError::io(&inbox, "read inbox directory", e))?;
    let mut scan = InboxScan::default();
    let mut present_tasks: BTreeSet<String> = BTreeSet::new();
    let mut sidecars: BTreeMap<(TaskId, SidecarKind), PathBuf> = BTreeMap::new();
    let mut queued: Vec<QueuedFile> = Vec::new();
    // Sidecars whose stem is no task id: the `.invalid` marker of a rejected file, mostly.
    let mut unnamed_sidecars: Vec<(String, PathBuf)> = Vec::new();

    for entry in entries {
        let entry = entry.map_err(|e| QueueError::io(&inbox, "read inbox directory", e))?;
        let path = entry.path();
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
            if entry.file_name().as_encoded_bytes().first() != Some(&b'.') {
                let reason = "file name is not UTF-8: rename it".to_string();
                scan.rejected.push(Rejected { path, reason });
            }
            continue;
        };
        if name.starts_with('.') {
            continue;
        }
        match classify_name(&name) {
            NameClass::Other => scan.other.push(path),
            NameClass::Sidecar(stem, kind) => match parse_stem(stem) {
                Ok(id) => {
                    sidecars.insert((id, kind), path);
                }
                // Not a task either: rejecting it would earn it an `.invalid` marker of its own
                // (`x.md.invalid.invalid`). It belongs to its task file, which is reported.
                Err(_) => unnamed_sidecars.push((stem.to_string(), path)),
            },
            NameClass::Dispatched(stem) => {
                present_tasks.insert(stem.to_string());
                match parse_stem(stem) {
                    Ok(id) => scan.dispatched.push(DispatchedFile {
                        id,
                        path,
                        has_retry_sidecar: false,
                    }),
                    Err(reason) => scan.rejected.push(Rejected { path, reason }),
                }
            }
            NameClass::Task(stem) => {
                present_tasks.insert(stem.to_string());
                let id = match parse_stem(stem) {
                    Ok(id) => id,
                    Err(reason) => {
                        scan.rejected.push(Rejected { path, reason });
                        continue;
                    }
                };
                let metadata = match fs::symlink_metadata(&path) {
                    Ok(m) => m,
                    // Gone between read_dir and stat (claimed meanwhile): not an entry any more.
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                    Err(e) => {
                        let reason = format!("cannot stat it: {e}; check its permissions");
                        scan.rejected.push(Rejected { path, reason });
                        continue;
                    }
                };
                if !metadata.file_type().is_file() {
                    let kind = FileKind::of(metadata.file_type());
                    let reason =
                        format!("it is {kind}, not a regular file: replace it with a regular file");
                    scan.rejected.push(Rejected { path, reason });
                    continue;
                }
                let modified = metadata
                    .modified()
                    .ok()
                    .and_then(|t| jiff::Timestamp::try_from(t).ok())
                    .unwrap_or(jiff::Timestamp::UNIX_EPOCH);
                queued.push(QueuedFile {
                    id,
                    path,
                    file_name: name.clone(),
                    modified,
                    size: metadata.len(),
                    has_invalid_sidecar: false,
                    has_blocked_sidecar: false,
                    has_delegated_sidecar: false,
                });
            }
        }
    }

    for q in &mut queued {
        let has = |kind| sidecars.contains_key(&(q.id.clone(), kind));
        q.has_invalid_sidecar = has(SidecarKind::Invalid);
        q.has_blocked_sidecar = has(SidecarKind::Blocked);
        q.has_delegated_sidecar = has(SidecarKind::Delegated);
    }
    for d in &mut scan.dispatched {
        d.has_retry_sidecar = sidecars.contains_key(&(d.id.clone(), SidecarKind::Retry));
    }
    for ((id, kind), path) in sidecars {
        if !present_tasks.contains(id.as_str()) {
            scan.orphan_sidecars.push(OrphanSidecar { id, kind, path });
        }
    }
    // One whose task file is gone has no id to be an orphan under: list it with the others.
    scan.other.extend(
        unnamed_sidecars
            .into_iter()
            .filter(|(stem, _)| !present_tasks.contains(stem))
            .map(|(_, path)| path),
    );
    queued.sort_by(|a, b| a.file_name.cmp(&b.file_name));
    scan.queued = queued;
    scan.dispatched.sort_by(|a, b| a.path.cmp(&b.path));
    scan.rejected.sort_by(|a, b| a.path.cmp(&b.path));
    scan.other.sort();
    Ok(scan)
}
