//! The one error type of the accounts crate: every variant names the file and says what to do.
//!
//! Errors of the shared-state links (`symlinks`) are in the second half.

use std::path::PathBuf;

use crate::HookEvent;

/// Everything that can go wrong while changing an account's files: `settings.json` (hooks),
/// `.claude.json` (folder trust) and the shared-state symlinks.
#[derive(Debug, thiserror::Error)]
pub enum AccountsError {
    /// The settings file exists but could not be read.
    #[error("cannot read {path}: {source}; check its permissions")]
    Read {
        /// The settings file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The settings file is not valid JSON; nothing was written.
    #[error(
        "{path} is not valid JSON (line {line}, column {column}: {message}); fix the file by hand, then {retry}"
    )]
    InvalidJson {
        /// The settings file.
        path: PathBuf,
        /// 1-based line of the first error.
        line: usize,
        /// 1-based column of the first error.
        column: usize,
        /// serde_json's description of the error.
        message: String,
        /// What to run once the file is fixed.
        retry: &'static str,
    },
    /// A part of the settings has the wrong JSON type for hooks to be added; nothing was written.
    #[error("{path}: {key} is {found}, expected {expected}; fix the file by hand, then {retry}")]
    WrongType {
        /// The settings file.
        path: PathBuf,
        /// Where in the file, e.g. `the top level`, `"hooks"`, `"hooks"."Stop"`.
        key: String,
        /// The JSON type found (e.g. `an array`).
        found: &'static str,
        /// The JSON type needed.
        expected: &'static str,
        /// What to run once the file is fixed.
        retry: &'static str,
    },
    /// A hook command the caller built lacks the marker that lets later installs recognise it.
    #[error(
        "the {event} hook command {command:?} does not contain {marker:?}, so a later install could not recognise it; build it with the marker"
    )]
    CommandLacksMarker {
        /// The hook whose command is wrong.
        event: HookEvent,
        /// The command as given.
        command: String,
        /// The marker it must contain.
        marker: &'static str,
    },
    /// A directory (an account's config dir, a shared target) could not be created.
    #[error("cannot create the directory {path}: {source}; check the parent's permissions")]
    CreateDir {
        /// The directory.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The backup copy of the settings could not be written; the settings were not changed.
    #[error("cannot write the backup {path}: {source}; the settings were not changed")]
    Backup {
        /// The backup file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The new settings could not be written; the old file is still in place.
    #[error("cannot write {path}: {source}; the previous file is unchanged")]
    Write {
        /// The settings file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// A folder path that is not UTF-8 cannot be a key of `.claude.json`.
    #[error(
        "the folder {path:?} is not valid UTF-8, so it cannot be trusted in .claude.json; rename it"
    )]
    PathNotUtf8 {
        /// The folder.
        path: PathBuf,
    },

    // ---- Shared-state links (`symlinks`) ----
    /// `migrate` was asked for an entry that is not shared.
    #[error(
        "{entry:?} is not a shared entry; use one of \"session-env\", \"file-history\", \"projects\""
    )]
    UnknownEntry {
        /// The entry as given.
        entry: String,
    },
    /// A symlink points somewhere else than the shared target; it is never changed automatically.
    #[error(
        "{link} is a symlink to {target}, not to {expected}; refused to change it (data loss risk): check what {target} holds, move it into {expected} by hand, remove the link, then run `claude-failover symlinks ensure`"
    )]
    LinkPointsElsewhere {
        /// The account's link.
        link: PathBuf,
        /// Where it points (as stored in the link).
        target: PathBuf,
        /// Where it should point.
        expected: PathBuf,
    },
    /// Something that is not a directory sits where a directory is needed.
    #[error(
        "{path} is {found}, not a directory; move it away by hand, then run `claude-failover symlinks ensure`"
    )]
    NotADirectory {
        /// The path.
        path: PathBuf,
        /// What was found there, e.g. `a regular file`.
        found: &'static str,
    },
    /// The directory to migrate and the shared target are the same or lie inside each other.
    #[error(
        "cannot migrate {source_dir} into {target}: one lies inside the other; choose a shared_dir outside every account's config dir"
    )]
    NestedMigration {
        /// The account's real directory.
        source_dir: PathBuf,
        /// The shared target.
        target: PathBuf,
    },
    /// Paths to migrate already exist in the shared target; nothing was moved.
    #[error(
        "cannot migrate {source_dir} into {target}: {count} path(s) already exist there with other content: {list}; nothing was moved: merge or remove them by hand, then run `claude-failover symlinks migrate` again",
        count = .clashes.len(),
        list = display_list(.clashes)
    )]
    MigrateClashes {
        /// The account's real directory.
        source_dir: PathBuf,
        /// The shared target.
        target: PathBuf,
        /// Every clashing path, relative to both directories.
        clashes: Vec<PathBuf>,
    },
    /// One entry could not be moved; the ones moved before it are in the target, the rest in place.
    #[error(
        "cannot move {from} to {to}: {source}; nothing was lost (what was moved so far is in the shared target, the rest is still in place): fix the cause, then run `claude-failover symlinks migrate` again"
    )]
    Move {
        /// The entry being moved.
        from: PathBuf,
        /// Where it was going.
        to: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// A path could not be removed after its content was safely moved.
    #[error(
        "cannot remove {path} after moving its contents into the shared target: {source}; stop the sessions of this account (they may be writing into it), then run `claude-failover symlinks migrate` again"
    )]
    Remove {
        /// The path.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// A symlink could not be created.
    #[error(
        "cannot create the symlink {link} -> {target}: {source}; check the permissions of the account's config dir, then run `claude-failover symlinks ensure`"
    )]
    Link {
        /// The link to create.
        link: PathBuf,
        /// Where it would point.
        target: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
}

/// `a, b, c` for a list of paths in an error message.
fn display_list(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|path| path.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
