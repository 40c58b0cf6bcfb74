//! Moving a task through its life: claim (`.md` → `.md.dispatched`), put back, finish.
//!
//! Every move is a rename inside one filesystem that never replaces an existing file, so two
//! daemons cannot both claim a task and no finished or re-added task is ever overwritten.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use cf_core::TaskId;

use crate::error::QueueError;
use crate::fsutil::{fsync_dir, rename_noreplace, write_temp};
use crate::id::parse_stem;
use crate::project::Project;
use crate::read::read_task_file;
use crate::scan::{DISPATCHED_SUFFIX, TASK_SUFFIX};

/// Size limit when finishing: larger than the dispatch limit so that a task the agent or the
/// operator appended to while it ran still finishes instead of sticking as `.dispatched`.
pub const FINISH_MAX_BYTES: u64 = 16 * 1024 * 1024;

/// How many alternative names (`<id>-2.md`, `-3`, ...) are tried before giving up.
const MAX_NAME_ATTEMPTS: u32 = 10_000;

/// The outcome of [`claim`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// This caller owns the task now; it is at `dispatched_path`.
    Claimed {
        /// `<id>.md.dispatched`.
        dispatched_path: PathBuf,
    },
    /// The waiting file is gone: another claimant won, or the operator removed it.
    Gone,
    /// `<id>.md.dispatched` already exists (the same id is running); nothing was moved.
    AlreadyDispatched {
        /// The existing `.dispatched` file.
        dispatched_path: PathBuf,
    },
}

/// Where a finished task goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Destination {
    /// `.agent-queue/done/`.
    Done,
    /// `.agent-queue/failed/`.
    Failed,
}

impl Destination {
    /// The destination directory of `project`.
    pub fn dir(self, project: &Project) -> PathBuf {
        match self {
            Destination::Done => project.done_dir(),
            Destination::Failed => project.failed_dir(),
        }
    }
}

/// Splits `<dir>/<id><suffix>` into the directory and the id.
fn split_task_path(
    path: &Path,
    suffix: &str,
    expected: &'static str,
) -> Result<(PathBuf, TaskId), QueueError> {
    let not_task = || QueueError::NotATaskPath {
        path: path.to_path_buf(),
        expected,
        hint: "pass a path taken from scan_inbox",
    };
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(not_task)?;
    let stem = name.strip_suffix(suffix).ok_or_else(not_task)?;
    let id = parse_stem(stem).map_err(|_| not_task())?;
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    Ok((dir, id))
}

/// The whole suffix of a claimed task file: [`TASK_SUFFIX`] then [`DISPATCHED_SUFFIX`].
const DISPATCHED_FULL: &str = ".md.dispatched";

/// Splits `<inbox>/<id>.md.dispatched` into the inbox and the id.
fn split_dispatched_path(path: &Path) -> Result<(PathBuf, TaskId), QueueError> {
    split_task_path(
        path,
        DISPATCHED_FULL,
        "dispatched task (<id>.md.dispatched)",
    )
}

/// `<inbox>/<id>.md` for the claim `<inbox>/<id>.md.dispatched` (the path its sidecars hang on).
pub(crate) fn task_path_of_claim(dispatched_path: &Path) -> PathBuf {
    let text = dispatched_path.as_os_str().to_string_lossy();
    match text.strip_suffix(DISPATCHED_SUFFIX) {
        Some(task) => PathBuf::from(task),
        None => dispatched_path.to_path_buf(),
    }
}

/// Claims a waiting task: renames `<id>.md` to `<id>.md.dispatched`, never replacing.
///
/// Exactly one of several concurrent claimants (threads or daemons) gets `Claimed`.
pub fn claim(queued_path: &Path) -> Result<Claim, QueueError> {
    split_task_path(queued_path, TASK_SUFFIX, "queued task (<id>.md)")?;
    let mut dispatched = queued_path.as_os_str().to_owned();
    dispatched.push(DISPATCHED_SUFFIX);
    let dispatched_path = PathBuf::from(dispatched);
    match rename_noreplace(queued_path, &dispatched_path) {
        Ok(()) => Ok(Claim::Claimed { dispatched_path }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Claim::Gone),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            Ok(Claim::AlreadyDispatched { dispatched_path })
        }
        Err(e) => Err(QueueError::io(
            queued_path,
            format!("claim (rename to {})", dispatched_path.display()),
            e,
        )),
    }
}

/// Puts a claimed task back in the queue (its launch failed). Returns where it now waits.
///
/// Normally `<id>.md.dispatched` → `<id>.md`. If the operator re-added `<id>.md` meanwhile,
/// both are kept: the returned one becomes `<id>-returned-<n>.md` (first free n ≥ 1), a new
/// waiting task whose content is unchanged. Nothing is overwritten.
pub fn put_back(dispatched_path: &Path) -> Result<PathBuf, QueueError> {
    let (dir, id) = split_dispatched_path(dispatched_path)?;
    let mut candidate = dir.join(format!("{id}{TASK_SUFFIX}"));
    let mut n = 0u32;
    loop {
        match rename_noreplace(dispatched_path, &candidate) {
            Ok(()) => return Ok(candidate),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && n < MAX_NAME_ATTEMPTS => {
                n += 1;
                candidate = dir.join(format!("{id}-returned-{n}{TASK_SUFFIX}"));
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                return Err(QueueError::NoFreeName {
                    path: dir.join(format!("{id}{TASK_SUFFIX}")),
                    dir,
                    attempts: n,
                });
            }
            Err(e) => {
                return Err(QueueError::io(
                    dispatched_path,
                    format!("put back (rename to {})", candidate.display()),
                    e,
                ));
            }
        }
    }
}

/// Joins task content and footer, with a newline between them if neither side has one.
fn join_footer<'a>(content: &'a [u8], footer: &'a str) -> [&'a [u8]; 3] {
    let needs_newline =
        !content.is_empty() && !content.ends_with(b"\n") && !footer.starts_with('\n');
    let separator: &[u8] = if needs_newline { b"\n" } else { b"" };
    [content, separator, footer.as_bytes()]
}

/// Finishes a claimed task: writes `<dest>/<id>.md` = content + footer durably, then removes
/// the `.dispatched` file. Returns the written path.
///
/// The content is written to a hidden temp file in the destination, fsynced, and renamed
/// without replacing: if `<id>.md` is taken, `<id>-2.md`, `<id>-3.md`, ... is used. The
/// directory is fsynced before the `.dispatched` file is removed, so a crash leaves the task
/// in at least one place. If the `.dispatched` file is gone, nothing is written and
/// [`QueueError::DispatchedGone`] says where the task was found finished, if anywhere.
pub fn finish(
    project: &Project,
    dispatched_path: &Path,
    dest: Destination,
    footer: &str,
) -> Result<PathBuf, QueueError> {
    let (inbox, id) = split_dispatched_path(dispatched_path)?;
    let content = match read_task_file(dispatched_path, FINISH_MAX_BYTES) {
        Ok(c) => c,
        Err(e) if e.is_not_found() => {
            return Err(QueueError::DispatchedGone {
                path: dispatched_path.to_path_buf(),
                finished: find_finished(project, &id),
            });
        }
        Err(e) => return Err(e.into()),
    };
    let dest_dir = dest.dir(project);
    let final_name = format!("{id}{TASK_SUFFIX}");
    let temp = write_temp(&dest_dir, &final_name, &join_footer(&content, footer))
        .map_err(|e| QueueError::io(&dest_dir, format!("write temp file for {final_name}"), e))?;
    let written = place_without_replacing(&temp, &dest_dir, &id);
    let written = match written {
        Ok(p) => p,
        Err(e) => {
            let _ = fs::remove_file(&temp);
            return Err(e);
        }
    };
    fsync_dir(&dest_dir).map_err(|e| QueueError::io(&dest_dir, "fsync directory", e))?;
    fs::remove_file(dispatched_path)
        .map_err(|e| QueueError::io(dispatched_path, "remove finished task", e))?;
    fsync_dir(&inbox).map_err(|e| QueueError::io(&inbox, "fsync directory", e))?;
    Ok(written)
}

/// Renames `temp` to `<dir>/<id>.md`, or `<id>-2.md`, `-3`, ... if taken.
fn place_without_replacing(temp: &Path, dir: &Path, id: &TaskId) -> Result<PathBuf, QueueError> {
    let first = dir.join(format!("{id}{TASK_SUFFIX}"));
    let mut candidate = first.clone();
    for n in 2..MAX_NAME_ATTEMPTS.saturating_add(2) {
        match rename_noreplace(temp, &candidate) {
            Ok(()) => return Ok(candidate),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                candidate = dir.join(format!("{id}-{n}{TASK_SUFFIX}"));
            }
            Err(e) => {
                return Err(QueueError::io(
                    temp,
                    format!("rename to {}", candidate.display()),
                    e,
                ));
            }
        }
    }
    Err(QueueError::NoFreeName {
        path: first,
        dir: dir.to_path_buf(),
        attempts: MAX_NAME_ATTEMPTS,
    })
}

/// Where task `id` was finished: `done/<id>.md`, else `failed/<id>.md`, else `None`.
pub fn find_finished(project: &Project, id: &TaskId) -> Option<PathBuf> {
    let name = format!("{id}{TASK_SUFFIX}");
    [
        project.done_dir().join(&name),
        project.failed_dir().join(&name),
    ]
    .into_iter()
    .find(|p| fs::symlink_metadata(p).is_ok())
}

/// Removes a claim whose task was already moved to `done/` or `failed/` (a crash between the two
/// steps of [`finish`]). Refuses anything that is not a `.dispatched` file, and does nothing
/// unless `finished` exists: the task is never lost.
pub fn drop_finished_claim(dispatched_path: &Path, finished: &Path) -> Result<(), QueueError> {
    split_dispatched_path(dispatched_path)?;
    fs::symlink_metadata(finished)
        .map_err(|e| QueueError::io(finished, "check the finished task", e))?;
    match fs::remove_file(dispatched_path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(QueueError::io(
            dispatched_path,
            "remove the leftover claim",
            e,
        )),
    }
}

#[cfg(test)]
mod drop_claim_tests {
    use super::*;

    #[test]
    fn a_leftover_claim_is_removed_only_when_the_task_is_finished() {
        let dir = tempfile::tempdir().expect("tempdir");
        let claim = dir.path().join("t1.md.dispatched");
        let finished = dir.path().join("done-t1.md");
        fs::write(&claim, "task").expect("write");
        assert!(
            drop_finished_claim(&claim, &finished).is_err(),
            "no finished copy: keep the claim"
        );
        assert!(claim.exists());
        fs::write(&finished, "task + footer").expect("write");
        let not_a_claim = dir.path().join("t2.md");
        fs::write(&not_a_claim, "x").expect("write");
        assert!(
            drop_finished_claim(&not_a_claim, &finished).is_err(),
            "only .dispatched files"
        );
        assert!(not_a_claim.exists());
        drop_finished_claim(&claim, &finished).expect("drop");
        assert!(!claim.exists() && finished.exists());
    }
}
