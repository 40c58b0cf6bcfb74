//! Shared state between accounts: every account's `session-env`, `file-history` and `projects`
//! must be symlinks to one shared target, so that a conversation started on one account resumes
//! on another (the client finds `<uuid>.jsonl` under `projects/`).
//!
//! [`check_links`] reports every problem of every account at once; [`ensure_links`] creates
//! what is missing (links, targets, the account dir) and nothing else: a link pointing
//! elsewhere is refused (data loss risk) and a real file or directory in the way stays a
//! problem. [`migrate`] moves a real directory's contents into the shared target, then links it.

mod copy;
mod migrate;
mod report;

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::AccountsError;
use crate::file;

pub use migrate::{MigrateReport, MigrateStart, migrate};
pub use report::{FoundKind, LinkReport, LinkState, LinkStatus, TargetState, TargetStatus};

/// The entries of a config dir that must be shared between accounts.
pub const SHARED_ENTRIES: [&str; 3] = ["session-env", "file-history", "projects"];

/// Reports, without changing anything, the state of every account's link for every shared
/// entry and of every shared target. `accounts` are `(name, config_dir)` pairs.
pub fn check_links(accounts: &[(String, PathBuf)], shared_dir: &Path) -> LinkReport {
    let shared_dir = absolute(shared_dir);
    let targets = SHARED_ENTRIES
        .iter()
        .map(|&entry| {
            let path = shared_dir.join(entry);
            let state = target_state(&path);
            TargetStatus { entry, path, state }
        })
        .collect();
    let links = accounts
        .iter()
        .flat_map(|(account, config_dir)| {
            SHARED_ENTRIES.iter().map(|&entry| {
                let link = config_dir.join(entry);
                let expected_target = shared_dir.join(entry);
                let state = link_state(&link, &expected_target);
                LinkStatus {
                    account: account.clone(),
                    entry,
                    link,
                    expected_target,
                    state,
                }
            })
        })
        .collect();
    LinkReport {
        shared_dir,
        targets,
        links,
        created: Vec::new(),
    }
}

/// Creates the missing shared targets, account dirs and links, then checks again.
///
/// Never touches a link pointing elsewhere nor a file or directory in the way: those stay
/// problems in the returned report. Idempotent. `Err` only when creating something failed.
pub fn ensure_links(
    accounts: &[(String, PathBuf)],
    shared_dir: &Path,
) -> Result<LinkReport, AccountsError> {
    let before = check_links(accounts, shared_dir);
    let mut created = Vec::new();
    for target in &before.targets {
        if target.state == TargetState::Missing {
            file::ensure_dir(&target.path)?;
            created.push(target.path.clone());
        }
    }
    for link in &before.links {
        if link.state != LinkState::Missing {
            continue;
        }
        // A link to a target that is not a directory would only move the problem.
        if target_state(&link.expected_target) != TargetState::Ok {
            continue;
        }
        if let Some(config_dir) = link.link.parent() {
            file::ensure_dir(config_dir)?;
        }
        if create_link(&link.expected_target, &link.link)? {
            created.push(link.link.clone());
        }
    }
    let mut after = check_links(accounts, shared_dir);
    after.created = created;
    Ok(after)
}

/// Creates the symlink `link -> target`. `Ok(false)` when something appeared there meanwhile
/// (the next check reports what it is).
fn create_link(target: &Path, link: &Path) -> Result<bool, AccountsError> {
    match std::os::unix::fs::symlink(target, link) {
        Ok(()) => Ok(true),
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists => Ok(false),
        Err(source) => Err(AccountsError::Link {
            link: link.to_path_buf(),
            target: target.to_path_buf(),
            source,
        }),
    }
}

/// What is at `link`, compared with the wanted `expected_target`.
pub(crate) fn link_state(link: &Path, expected_target: &Path) -> LinkState {
    let meta = match fs::symlink_metadata(link) {
        Ok(meta) => meta,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return LinkState::Missing,
        Err(error) => {
            return LinkState::Unreadable {
                message: error.to_string(),
            };
        }
    };
    if !meta.file_type().is_symlink() {
        return LinkState::InTheWay {
            kind: found_kind(&meta),
        };
    }
    let stored = match fs::read_link(link) {
        Ok(stored) => stored,
        Err(error) => {
            return LinkState::Unreadable {
                message: error.to_string(),
            };
        }
    };
    let pointed = match link.parent() {
        Some(parent) => parent.join(&stored),
        None => stored.clone(),
    };
    if resolve_loosely(&pointed) == resolve_loosely(expected_target) {
        LinkState::Ok
    } else {
        LinkState::PointsElsewhere { target: stored }
    }
}

/// What is at a shared target path (symlinks followed: a target may itself be a link).
fn target_state(path: &Path) -> TargetState {
    match fs::metadata(path) {
        Ok(meta) if meta.is_dir() => TargetState::Ok,
        Ok(meta) => TargetState::NotADirectory {
            kind: found_kind(&meta),
        },
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            match fs::symlink_metadata(path) {
                // A dangling symlink: creating the directory through it is not our call.
                Ok(_) => TargetState::Unreadable {
                    message: "a symlink to a path that does not exist".to_string(),
                },
                Err(_) => TargetState::Missing,
            }
        }
        Err(error) => TargetState::Unreadable {
            message: error.to_string(),
        },
    }
}

/// The kind of a non-symlink file system entry.
pub(crate) fn found_kind(meta: &fs::Metadata) -> FoundKind {
    if meta.is_dir() {
        FoundKind::Directory
    } else if meta.is_file() {
        FoundKind::File
    } else {
        FoundKind::Special
    }
}

/// `path` made absolute against the current directory (without resolving symlinks).
pub(crate) fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// The canonical form of `path` as far as it exists: the longest existing ancestor is
/// canonicalised and the rest appended, so that a link to a not-yet-created target still
/// compares equal to that target.
pub(crate) fn resolve_loosely(path: &Path) -> PathBuf {
    if let Ok(canonical) = fs::canonicalize(path) {
        return canonical;
    }
    match (path.parent(), path.file_name()) {
        (Some(parent), Some(name)) if !parent.as_os_str().is_empty() => {
            resolve_loosely(parent).join(name)
        }
        _ => absolute(path),
    }
}
