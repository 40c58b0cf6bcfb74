//! Schema migrations, versioned with `PRAGMA user_version`.
//!
//! `MIGRATIONS[i]` brings the schema from version `i` to `i + 1`. Append new migrations; never
//! edit one that has shipped. Each runs in its own `BEGIN IMMEDIATE` transaction, so two
//! processes opening the same new file at once cannot both apply it.

use std::path::Path;

use rusqlite::{Connection, Transaction, TransactionBehavior};

use crate::{StoreError, open_error};

/// The SQL of each migration, in order.
const MIGRATIONS: &[&str] = &[
    // 0 -> 1: runs, events, sessions, kv.
    "
    CREATE TABLE runs (
        id             INTEGER PRIMARY KEY AUTOINCREMENT,
        project        TEXT    NOT NULL,
        task_id        TEXT    NOT NULL,
        task_file_name TEXT    NOT NULL,
        session        TEXT    NOT NULL,
        account        TEXT    NOT NULL,
        model          TEXT    NOT NULL,
        started_at     INTEGER NOT NULL,
        working_at     INTEGER,
        ended_at       INTEGER,
        outcome        TEXT,
        detail         TEXT,
        CHECK ((ended_at IS NULL) = (outcome IS NULL))
    );
    CREATE INDEX runs_active ON runs (id) WHERE ended_at IS NULL;
    CREATE TABLE events (
        id      INTEGER PRIMARY KEY AUTOINCREMENT,
        at      INTEGER NOT NULL,
        kind    TEXT    NOT NULL,
        session TEXT,
        project TEXT,
        task_id TEXT,
        detail  TEXT    NOT NULL
    );
    CREATE TABLE sessions (
        name           TEXT    PRIMARY KEY,
        kind           TEXT    NOT NULL CHECK (kind IN ('pool', 'dedicated')),
        state          TEXT    NOT NULL,
        account        TEXT    NOT NULL,
        updated_at     INTEGER NOT NULL,
        cooldown_until INTEGER
    );
    CREATE TABLE kv (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    ",
    // 1 -> 2: account swaps.
    "
    CREATE TABLE swaps (
        id              INTEGER PRIMARY KEY AUTOINCREMENT,
        at              INTEGER NOT NULL,
        from_account    TEXT    NOT NULL,
        to_account      TEXT    NOT NULL,
        trigger_session TEXT,
        pattern         TEXT    NOT NULL,
        reset_at        INTEGER,
        detail          TEXT    NOT NULL
    );
    ",
];

/// The schema version this build writes and reads.
pub const CURRENT_VERSION: i64 = MIGRATIONS.len() as i64;

/// Brings the database at `path` up to [`CURRENT_VERSION`].
pub(crate) fn migrate(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    let found = user_version(conn, path)?;
    if found > CURRENT_VERSION {
        return Err(too_new(path, found));
    }
    for (from, sql) in MIGRATIONS.iter().enumerate().skip(version_index(found)) {
        let to = from as i64 + 1;
        apply(conn, path, to, sql)?;
    }
    Ok(())
}

/// For read-only opens: the schema must be exactly the one this build reads.
pub(crate) fn check_current(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    let found = user_version(conn, path)?;
    if found > CURRENT_VERSION {
        return Err(too_new(path, found));
    }
    if found < CURRENT_VERSION {
        return Err(StoreError::NotMigrated {
            path: path.to_path_buf(),
            found,
            supported: CURRENT_VERSION,
        });
    }
    Ok(())
}

/// Applies one migration to version `to` unless another process got there first.
fn apply(conn: &Connection, path: &Path, to: i64, sql: &str) -> Result<(), StoreError> {
    let failed = |source| StoreError::Migrate {
        path: path.to_path_buf(),
        version: to,
        source,
    };
    let tx = Transaction::new_unchecked(conn, TransactionBehavior::Immediate).map_err(failed)?;
    // Re-read under the write lock: a concurrent opener may have applied it already.
    let now: i64 = tx
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .map_err(failed)?;
    if now >= to {
        return Ok(());
    }
    tx.execute_batch(sql).map_err(failed)?;
    tx.pragma_update(None, "user_version", to).map_err(failed)?;
    tx.commit().map_err(failed)
}

/// Reads `PRAGMA user_version`; this is also where a garbage file is first noticed.
fn user_version(conn: &Connection, path: &Path) -> Result<i64, StoreError> {
    conn.query_row("PRAGMA user_version", [], |row| row.get(0))
        .map_err(|source| open_error(path, source))
}

/// The index into [`MIGRATIONS`] of the first migration a file at `version` still needs.
fn version_index(version: i64) -> usize {
    usize::try_from(version).unwrap_or(0)
}

fn too_new(path: &Path, found: i64) -> StoreError {
    StoreError::TooNew {
        path: path.to_path_buf(),
        found,
        supported: CURRENT_VERSION,
    }
}
