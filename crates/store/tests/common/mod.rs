//! Helpers shared by the store's integration tests: temp databases and fixed timestamps.

#![allow(dead_code)]

use std::path::PathBuf;

use cf_store::{NewRun, Store};
use jiff::Timestamp;

/// A temp directory holding `state.db`; the directory is removed on drop.
pub struct TempDb {
    /// Keeps the directory alive.
    pub dir: tempfile::TempDir,
    /// The database file inside it.
    pub path: PathBuf,
}

impl TempDb {
    pub fn new() -> TempDb {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        TempDb { dir, path }
    }

    pub fn open(&self) -> Store {
        Store::open(&self.path).unwrap()
    }
}

/// A fixed time, `offset_ms` after 2026-11-21T09:00:00Z.
pub fn at(offset_ms: i64) -> Timestamp {
    Timestamp::from_millisecond(1_795_251_600_000 + offset_ms).unwrap()
}

/// A run of task `task` in session `session`, started at `at(start_ms)`.
pub fn new_run(task: &str, session: &str, start_ms: i64) -> NewRun {
    NewRun {
        project: "alpha".to_string(),
        task_id: task.to_string(),
        task_file_name: format!("{task}.md.dispatched"),
        session: session.to_string(),
        account: "acct-a".to_string(),
        model: "sonnet".to_string(),
        started_at: at(start_ms),
    }
}
