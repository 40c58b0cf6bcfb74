//! `symlinks migrate`: an account's real `projects/` (or other shared entry) becomes a link to
//! the shared target, its contents moved there first.
//!
//! Order, so that nothing is ever overwritten and a crash loses nothing:
//! 1. walk the whole tree and find every clash (a path that exists in the target with other
//!    content; directories present on both sides are merged, identical files are not clashes);
//!    any clash → error listing all of them, nothing moved;
//! 2. move the entries one by one (each move is a rename, or a copy that is placed before its
//!    source is removed); identical copies left in the source are removed;
//! 3. remove the emptied directories, the source directory last, then create the link.
//!
//! Re-running after a crash picks up where it stopped: what was moved is now either absent
//! from the source or an identical duplicate. Stop the account's sessions first: a client
//! writing into the source meanwhile makes step 3 fail (and say so), never loses the write.

use std::fmt;
use std::fs;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};

use super::copy::{MoveMethod, move_entry};
use super::{
    FoundKind, LinkState, SHARED_ENTRIES, TargetState, absolute, create_link, link_state,
    resolve_loosely, target_state,
};
use crate::AccountsError;
use crate::file;

/// What was at the account's path before [`migrate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MigrateStart {
    /// A real directory: its contents were moved, then it was replaced by the link.
    Directory,
    /// Nothing: the link was created.
    Missing,
    /// Already the right link: nothing was done.
    AlreadyLinked,
}

/// What [`migrate`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrateReport {
    /// The account's name.
    pub account: String,
    /// The account's path that is now a link: `<config_dir>/<entry>`.
    pub link: PathBuf,
    /// The shared target it points to: `<shared_dir>/<entry>`.
    pub target: PathBuf,
    /// What was there before.
    pub start: MigrateStart,
    /// Paths moved into the target (relative to both dirs; a moved directory counts once).
    pub moved: Vec<PathBuf>,
    /// Files that were already in the target with the same content; the source copy was removed.
    pub identical_removed: Vec<PathBuf>,
}

impl fmt::Display for MigrateReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (account, link, target) = (&self.account, self.link.display(), self.target.display());
        match self.start {
            MigrateStart::AlreadyLinked => {
                write!(f, "account {account:?}: {link} already links to {target}")
            }
            MigrateStart::Missing => {
                write!(f, "account {account:?}: linked {link} -> {target}")
            }
            MigrateStart::Directory => write!(
                f,
                "account {account:?}: moved {} path(s) into {target} ({} already there, identical), then linked {link} -> {target}",
                self.moved.len(),
                self.identical_removed.len()
            ),
        }
    }
}

/// Moves the real directory `<config_dir>/<entry>` of `account` (`(name, config_dir)`) into
/// `<shared_dir>/<entry>` without overwriting anything, then replaces it with a link there.
///
/// Refused (nothing changed): an unknown entry, a link pointing elsewhere, a file in the way,
/// a target that is not a directory, source and target inside each other, and any clash (all
/// clashes are listed). A missing entry is simply linked; a correct link is left alone.
pub fn migrate(
    account: &(String, PathBuf),
    entry: &str,
    shared_dir: &Path,
) -> Result<MigrateReport, AccountsError> {
    let (name, config_dir) = account;
    let entry = SHARED_ENTRIES
        .iter()
        .copied()
        .find(|known| *known == entry)
        .ok_or_else(|| AccountsError::UnknownEntry {
            entry: entry.to_string(),
        })?;
    let link = config_dir.join(entry);
    let target = absolute(shared_dir).join(entry);
    let mut report = MigrateReport {
        account: name.clone(),
        link: link.clone(),
        target: target.clone(),
        start: MigrateStart::Directory,
        moved: Vec::new(),
        identical_removed: Vec::new(),
    };
    match link_state(&link, &target) {
        LinkState::Ok => {
            ensure_target(&target)?;
            report.start = MigrateStart::AlreadyLinked;
            return Ok(report);
        }
        LinkState::Missing => {
            ensure_target(&target)?;
            file::ensure_dir(config_dir)?;
            create_link(&target, &link)?;
            report.start = MigrateStart::Missing;
            return Ok(report);
        }
        LinkState::PointsElsewhere { target: elsewhere } => {
            return Err(AccountsError::LinkPointsElsewhere {
                link,
                target: elsewhere,
                expected: target,
            });
        }
        LinkState::InTheWay {
            kind: FoundKind::Directory,
        } => {}
        LinkState::InTheWay { kind } => {
            return Err(AccountsError::NotADirectory {
                path: link,
                found: kind.phrase(),
            });
        }
        LinkState::Unreadable { message } => {
            return Err(AccountsError::Read {
                path: link,
                source: io::Error::other(message),
            });
        }
    }

    let source_real = resolve_loosely(&link);
    let target_real = resolve_loosely(&target);
    if source_real.starts_with(&target_real) || target_real.starts_with(&source_real) {
        return Err(AccountsError::NestedMigration {
            source_dir: link,
            target,
        });
    }
    ensure_target(&target)?;

    let mut plan = Plan::default();
    plan_dir(&link, &target, Path::new(""), &mut plan)?;
    if !plan.clashes.is_empty() {
        return Err(AccountsError::MigrateClashes {
            source_dir: link,
            target,
            clashes: plan.clashes,
        });
    }

    for relative in &plan.moves {
        let (from, to) = (link.join(relative), target.join(relative));
        move_entry(&from, &to, MoveMethod::RenameWhenPossible)
            .map_err(|source| AccountsError::Move { from, to, source })?;
    }
    for relative in &plan.identical {
        let path = link.join(relative);
        fs::remove_file(&path).map_err(|source| AccountsError::Remove { path, source })?;
    }
    // Merged directories were recorded parents first: remove children first.
    for relative in plan.merged.iter().rev() {
        let path = link.join(relative);
        fs::remove_dir(&path).map_err(|source| AccountsError::Remove { path, source })?;
    }
    fs::remove_dir(&link).map_err(|source| AccountsError::Remove {
        path: link.clone(),
        source,
    })?;
    create_link(&target, &link)?;
    report.moved = plan.moves;
    report.identical_removed = plan.identical;
    Ok(report)
}

/// Creates the shared target if missing; refuses one that is not a directory.
fn ensure_target(target: &Path) -> Result<(), AccountsError> {
    match target_state(target) {
        TargetState::Ok => Ok(()),
        TargetState::Missing => file::ensure_dir(target),
        TargetState::NotADirectory { kind } => Err(AccountsError::NotADirectory {
            path: target.to_path_buf(),
            found: kind.phrase(),
        }),
        TargetState::Unreadable { message } => Err(AccountsError::Read {
            path: target.to_path_buf(),
            source: io::Error::other(message),
        }),
    }
}

/// The work found by walking the source; all paths relative to source and target.
#[derive(Default)]
struct Plan {
    /// Absent from the target: moved as a whole.
    moves: Vec<PathBuf>,
    /// Directories on both sides: walked into, then removed from the source once empty.
    merged: Vec<PathBuf>,
    /// Files or symlinks already in the target with the same content.
    identical: Vec<PathBuf>,
    /// Present in the target with other content or of another kind.
    clashes: Vec<PathBuf>,
}

fn plan_dir(
    source_root: &Path,
    target_root: &Path,
    relative: &Path,
    plan: &mut Plan,
) -> Result<(), AccountsError> {
    let dir = source_root.join(relative);
    let read_error = |source| AccountsError::Read {
        path: dir.clone(),
        source,
    };
    let mut children = fs::read_dir(&dir)
        .and_then(|entries| entries.collect::<Result<Vec<_>, _>>())
        .map_err(read_error)?;
    children.sort_by_key(fs::DirEntry::file_name);
    for child in children {
        let child_relative = relative.join(child.file_name());
        let source_path = source_root.join(&child_relative);
        let target_path = target_root.join(&child_relative);
        let source_meta =
            fs::symlink_metadata(&source_path).map_err(|source| AccountsError::Read {
                path: source_path.clone(),
                source,
            })?;
        let target_meta = match fs::symlink_metadata(&target_path) {
            Ok(meta) => meta,
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                plan.moves.push(child_relative);
                continue;
            }
            Err(source) => {
                return Err(AccountsError::Read {
                    path: target_path,
                    source,
                });
            }
        };
        if source_meta.is_dir() && target_meta.is_dir() {
            plan.merged.push(child_relative.clone());
            plan_dir(source_root, target_root, &child_relative, plan)?;
        } else if same_content(&source_path, &source_meta, &target_path, &target_meta)? {
            plan.identical.push(child_relative);
        } else {
            plan.clashes.push(child_relative);
        }
    }
    Ok(())
}

/// True when both are regular files with the same bytes, or symlinks with the same target.
fn same_content(
    source: &Path,
    source_meta: &fs::Metadata,
    target: &Path,
    target_meta: &fs::Metadata,
) -> Result<bool, AccountsError> {
    let (source_kind, target_kind) = (source_meta.file_type(), target_meta.file_type());
    if source_kind.is_symlink() && target_kind.is_symlink() {
        let read = |path: &Path| {
            fs::read_link(path).map_err(|source| AccountsError::Read {
                path: path.to_path_buf(),
                source,
            })
        };
        return Ok(read(source)? == read(target)?);
    }
    if !(source_kind.is_file() && target_kind.is_file()) || source_meta.len() != target_meta.len() {
        return Ok(false);
    }
    files_equal(source, target).map_err(|error| AccountsError::Read {
        path: source.to_path_buf(),
        source: io::Error::new(
            error.kind(),
            format!("comparing with {}: {error}", target.display()),
        ),
    })
}

/// Byte-for-byte comparison in chunks (transcripts can be large).
fn files_equal(left: &Path, right: &Path) -> io::Result<bool> {
    let mut left = BufReader::new(fs::File::open(left)?);
    let mut right = BufReader::new(fs::File::open(right)?);
    let (mut left_chunk, mut right_chunk) = (vec![0u8; 64 * 1024], vec![0u8; 64 * 1024]);
    loop {
        let left_len = read_full(&mut left, &mut left_chunk)?;
        let right_len = read_full(&mut right, &mut right_chunk)?;
        if left_chunk[..left_len] != right_chunk[..right_len] {
            return Ok(false);
        }
        if left_len == 0 {
            return Ok(true);
        }
    }
}

/// Fills `buffer` as far as the reader allows; fewer bytes only at the end of the file.
fn read_full(reader: &mut impl Read, buffer: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match reader.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(read) => filled += read,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(filled)
}
