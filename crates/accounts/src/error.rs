//! The one error type of the accounts crate: every variant names the file and says what to do.

use std::path::PathBuf;

use crate::HookEvent;

/// Everything that can go wrong while reading or changing an account's `settings.json`.
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
        "{path} is not valid JSON (line {line}, column {column}: {message}); fix the file by hand, then run `claude-failover hooks install` again"
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
    },
    /// A part of the settings has the wrong JSON type for hooks to be added; nothing was written.
    #[error(
        "{path}: {key} is {found}, expected {expected}; fix the file by hand, then run `claude-failover hooks install` again"
    )]
    WrongType {
        /// The settings file.
        path: PathBuf,
        /// Where in the file, e.g. `the top level`, `"hooks"`, `"hooks"."Stop"`.
        key: String,
        /// The JSON type found (e.g. `an array`).
        found: &'static str,
        /// The JSON type needed.
        expected: &'static str,
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
    /// The account's config directory could not be created.
    #[error("cannot create the config directory {path}: {source}; check the parent's permissions")]
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
}
