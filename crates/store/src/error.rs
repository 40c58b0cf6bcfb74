//! The one error type of the store: every variant names the database file and says what to do.

use std::path::PathBuf;

use crate::runs::RunId;

/// Everything that can go wrong while opening or using the state database.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite could not open or set up the file (missing directory, no permission, locked).
    #[error(
        "cannot open the state database {path}: {source}; check that its directory exists and is writable"
    )]
    Open {
        /// The database file.
        path: PathBuf,
        /// What SQLite said.
        source: rusqlite::Error,
    },
    /// The file exists but is not a SQLite database (or its header is damaged).
    #[error(
        "the state database {path} is not a SQLite database or is corrupt ({source}); move it aside and start the daemon again to create a fresh one"
    )]
    NotADatabase {
        /// The database file.
        path: PathBuf,
        /// What SQLite said.
        source: rusqlite::Error,
    },
    /// SQLite refused write-ahead logging, so readers would block the daemon.
    #[error(
        "the state database {path} stayed in journal mode {mode:?} instead of wal; put it on a local, writable file system"
    )]
    NotWal {
        /// The database file.
        path: PathBuf,
        /// The journal mode SQLite reported.
        mode: String,
    },
    /// A read-only open found no database file.
    #[error(
        "there is no state database at {path}; start the daemon once (`claude-failover run`) to create it"
    )]
    Missing {
        /// The database file that was expected.
        path: PathBuf,
    },
    /// The file was written by a newer build with a schema this build does not know.
    #[error(
        "the state database {path} has schema version {found}, newer than this build understands ({supported}); upgrade claude-failover"
    )]
    TooNew {
        /// The database file.
        path: PathBuf,
        /// `PRAGMA user_version` of the file.
        found: i64,
        /// The newest schema version this build knows.
        supported: i64,
    },
    /// A read-only open found a schema that the daemon has not migrated yet.
    #[error(
        "the state database {path} has schema version {found}, older than this build's {supported}; start the daemon (`claude-failover run`) to migrate it"
    )]
    NotMigrated {
        /// The database file.
        path: PathBuf,
        /// `PRAGMA user_version` of the file.
        found: i64,
        /// The schema version this build reads.
        supported: i64,
    },
    /// Applying a schema migration failed; the transaction was rolled back.
    #[error(
        "migrating the state database {path} to schema version {version} failed: {source}; the file was left at its previous version"
    )]
    Migrate {
        /// The database file.
        path: PathBuf,
        /// The version that could not be applied.
        version: i64,
        /// What SQLite said.
        source: rusqlite::Error,
    },
    /// A statement failed on an open database.
    #[error("state database {path}: {operation} failed: {source}")]
    Query {
        /// The database file.
        path: PathBuf,
        /// What the store was doing, e.g. `finish_run`.
        operation: &'static str,
        /// What SQLite said.
        source: rusqlite::Error,
    },
    /// The run id is not in the database.
    #[error("state database {path}: run {id} does not exist")]
    UnknownRun {
        /// The database file.
        path: PathBuf,
        /// The id that was asked for.
        id: RunId,
    },
    /// The run was already finished; finishing or re-marking it is a bug in the caller.
    #[error("state database {path}: run {id} already finished with outcome {outcome:?}")]
    RunAlreadyFinished {
        /// The database file.
        path: PathBuf,
        /// The finished run.
        id: RunId,
        /// The outcome it was finished with.
        outcome: String,
    },
    /// A stored value cannot be read back (hand-edited or written by a foreign tool).
    #[error(
        "state database {path}: table {table}, column {column} holds {value:?}, which this build cannot read; fix or delete that row"
    )]
    BadValue {
        /// The database file.
        path: PathBuf,
        /// The table holding the value.
        table: &'static str,
        /// The column holding the value.
        column: &'static str,
        /// The value, as text.
        value: String,
    },
}
