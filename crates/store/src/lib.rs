//! The daemon's durable state in one SQLite file (WAL mode), so that a restart knows what was running.
//!
//! The API is blocking: the daemon calls it from its loop and every operation is one small
//! transaction. Timestamps are stored as INTEGER milliseconds since the Unix epoch and exposed as
//! [`jiff::Timestamp`]. The schema is versioned with `PRAGMA user_version` (see [`schema`]).
//!
//! Architecture invariant: this is the only crate that knows the database layout.

mod error;
mod events;
mod kv;
mod runs;
pub mod schema;
mod sessions;
mod swaps;
mod time;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags};

pub use error::StoreError;
pub use events::{EventRecord, NewEvent};
pub use runs::{NewRun, RunId, RunRecord, RunState};
pub use sessions::{SessionKind, SessionRow};
pub use swaps::{NewSwap, SwapRecord};

/// How long a statement waits for another connection's lock before failing.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// An open state database. Not `Sync`: one `Store` per thread (open another for readers).
#[derive(Debug)]
pub struct Store {
    /// The SQLite connection; every public method is one statement or one transaction on it.
    conn: Connection,
    /// The file, kept for error messages.
    path: PathBuf,
}

impl Store {
    /// Opens (creating if needed) the database at `path` for the daemon: sets WAL mode,
    /// `synchronous=NORMAL`, a 5 s busy timeout, foreign keys, and migrates the schema.
    ///
    /// The parent directory must exist: the caller creates it. Errors name `path`.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let store = Store::connect(path, OpenFlags::default())?;
        store.configure_writer()?;
        schema::migrate(&store.conn, &store.path)?;
        Ok(store)
    }

    /// Opens an existing database without the right to change it, for `status` while the
    /// daemon runs. The schema must already be at this build's version.
    pub fn open_read_only(path: &Path) -> Result<Store, StoreError> {
        if !path.exists() {
            return Err(StoreError::Missing {
                path: path.to_path_buf(),
            });
        }
        let store = Store::connect(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        schema::check_current(&store.conn, &store.path)?;
        Ok(store)
    }

    /// Opens the connection with `flags` and sets the busy timeout: what readers and the
    /// writer have in common.
    fn connect(path: &Path, flags: OpenFlags) -> Result<Store, StoreError> {
        let conn = Connection::open_with_flags(path, flags).map_err(|source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        })?;
        let store = Store {
            conn,
            path: path.to_path_buf(),
        };
        store
            .conn
            .busy_timeout(BUSY_TIMEOUT)
            .map_err(|source| store.open_error(source))?;
        Ok(store)
    }

    /// The database file this store was opened on.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Sets the connection pragmas of a read-write connection. The first statement is where a
    /// file that is not a database is noticed.
    fn configure_writer(&self) -> Result<(), StoreError> {
        let mode: String = self
            .conn
            .query_row("PRAGMA journal_mode=WAL", [], |row| row.get(0))
            .map_err(|source| self.open_error(source))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::NotWal {
                path: self.path.clone(),
                mode,
            });
        }
        self.conn
            .execute_batch("PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;")
            .map_err(|source| self.open_error(source))
    }

    /// Classifies an error met while opening: "not a database" gets its own variant.
    fn open_error(&self, source: rusqlite::Error) -> StoreError {
        open_error(&self.path, source)
    }

    /// Runs the query `sql` and reads every row with `from_row`; errors are `operation`'s.
    fn query_all<R, P: rusqlite::Params>(
        &self,
        operation: &'static str,
        sql: &str,
        params: P,
        from_row: fn(&rusqlite::Row<'_>) -> rusqlite::Result<R>,
    ) -> Result<Vec<R>, StoreError> {
        self.conn
            .prepare_cached(sql)
            .and_then(|mut stmt| {
                stmt.query_map(params, from_row)?
                    .collect::<rusqlite::Result<Vec<_>>>()
            })
            .map_err(self.query_error(operation))
    }

    /// Wraps an error of a statement run by `operation`.
    fn query_error(&self, operation: &'static str) -> impl FnOnce(rusqlite::Error) -> StoreError {
        let path = self.path.clone();
        move |source| StoreError::Query {
            path,
            operation,
            source,
        }
    }
}

/// Classifies an error met while opening `path`: "not a database" gets its own variant.
fn open_error(path: &Path, source: rusqlite::Error) -> StoreError {
    match source.sqlite_error_code() {
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => StoreError::NotADatabase {
            path: path.to_path_buf(),
            source,
        },
        _ => StoreError::Open {
            path: path.to_path_buf(),
            source,
        },
    }
}

/// Converts a caller's row limit to SQLite's integer, saturating (a limit that large means "all").
fn sql_limit(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}
