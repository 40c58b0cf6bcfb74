//! Runs: one row per attempt to work a task in a session, from launch to outcome.
//!
//! A run is *launching* from [`Store::begin_run`] until [`Store::mark_run_working`] (the agent
//! was seen working), then *working* until [`Store::finish_run`]. After a restart the daemon
//! reads [`Store::active_runs`] to know which sessions held which tasks.

use std::fmt;

use jiff::Timestamp;
use rusqlite::{OptionalExtension, Row, params};

use crate::time::{from_millis, from_optional_millis, to_millis};
use crate::{Store, StoreError, sql_limit};

/// The database id of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct RunId(pub i64);

impl fmt::Display for RunId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// What the daemon knows when it starts a task in a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRun {
    /// The project whose queue the task came from.
    pub project: String,
    /// The task id (file stem), to find the task again after a restart.
    pub task_id: String,
    /// The task's file name as claimed (e.g. `T-1.md.dispatched`), to requeue or finish it.
    pub task_file_name: String,
    /// The tmux session running it.
    pub session: String,
    /// The account (config dir name) the session runs on.
    pub account: String,
    /// The model the agent was started with.
    pub model: String,
    /// When the launch began.
    pub started_at: Timestamp,
}

/// Where a run is in its life; derived from which timestamps are set, never stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunState {
    /// Started, but the agent has not yet been seen working (a crash here means: requeue).
    Launching,
    /// The agent was seen working on the task.
    Working,
    /// An outcome was recorded.
    Finished,
}

/// A run as stored: every column plus its derived [`RunState`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RunRecord {
    /// The run's id.
    pub id: RunId,
    /// The project whose queue the task came from.
    pub project: String,
    /// The task id (file stem).
    pub task_id: String,
    /// The task's file name as claimed.
    pub task_file_name: String,
    /// The tmux session running it.
    pub session: String,
    /// The account the session runs on.
    pub account: String,
    /// The model the agent was started with.
    pub model: String,
    /// When the launch began.
    pub started_at: Timestamp,
    /// When the agent was first seen working; `None` while launching.
    pub working_at: Option<Timestamp>,
    /// When the run ended; `None` while active.
    pub ended_at: Option<Timestamp>,
    /// How it ended (e.g. `done`, `failed`, `timed_out`, `requeued`); `None` while active.
    pub outcome: Option<String>,
    /// Free text about the ending; `None` while active.
    pub detail: Option<String>,
    /// Derived from the timestamps above.
    pub state: RunState,
}

/// The columns read for a [`RunRecord`], in this order.
const RUN_COLUMNS: &str = "id, project, task_id, task_file_name, session, account, model, \
                           started_at, working_at, ended_at, outcome, detail";

/// A row as SQLite hands it over, before timestamps are checked.
struct RawRun {
    id: i64,
    project: String,
    task_id: String,
    task_file_name: String,
    session: String,
    account: String,
    model: String,
    started_at: i64,
    working_at: Option<i64>,
    ended_at: Option<i64>,
    outcome: Option<String>,
    detail: Option<String>,
}

impl RawRun {
    fn from_row(row: &Row<'_>) -> rusqlite::Result<RawRun> {
        Ok(RawRun {
            id: row.get(0)?,
            project: row.get(1)?,
            task_id: row.get(2)?,
            task_file_name: row.get(3)?,
            session: row.get(4)?,
            account: row.get(5)?,
            model: row.get(6)?,
            started_at: row.get(7)?,
            working_at: row.get(8)?,
            ended_at: row.get(9)?,
            outcome: row.get(10)?,
            detail: row.get(11)?,
        })
    }
}

impl Store {
    /// Records the start of a launch and returns the new run's id.
    pub fn begin_run(&self, run: &NewRun) -> Result<RunId, StoreError> {
        self.conn
            .execute(
                "INSERT INTO runs (project, task_id, task_file_name, session, account, model, started_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    run.project,
                    run.task_id,
                    run.task_file_name,
                    run.session,
                    run.account,
                    run.model,
                    to_millis(run.started_at)
                ],
            )
            .map_err(self.query_error("begin_run"))?;
        Ok(RunId(self.conn.last_insert_rowid()))
    }

    /// Records that the launch was verified (the agent is working). Marking a working run again
    /// keeps the first time; a finished or unknown run is an error.
    pub fn mark_run_working(&self, id: RunId, at: Timestamp) -> Result<(), StoreError> {
        let changed = self
            .conn
            .execute(
                "UPDATE runs SET working_at = COALESCE(working_at, ?2)
                 WHERE id = ?1 AND ended_at IS NULL",
                params![id.0, to_millis(at)],
            )
            .map_err(self.query_error("mark_run_working"))?;
        if changed == 0 {
            return Err(self.why_not_active(id)?);
        }
        Ok(())
    }

    /// Records how a run ended. Finishing a run twice is an error (the first outcome is kept).
    pub fn finish_run(
        &self,
        id: RunId,
        ended_at: Timestamp,
        outcome: &str,
        detail: &str,
    ) -> Result<(), StoreError> {
        let changed = self
            .conn
            .execute(
                "UPDATE runs SET ended_at = ?2, outcome = ?3, detail = ?4
                 WHERE id = ?1 AND ended_at IS NULL",
                params![id.0, to_millis(ended_at), outcome, detail],
            )
            .map_err(self.query_error("finish_run"))?;
        if changed == 0 {
            return Err(self.why_not_active(id)?);
        }
        Ok(())
    }

    /// Every run without an outcome, oldest first: what was running when the daemon stopped.
    pub fn active_runs(&self) -> Result<Vec<RunRecord>, StoreError> {
        self.query_runs(
            "active_runs",
            &format!("SELECT {RUN_COLUMNS} FROM runs WHERE ended_at IS NULL ORDER BY id"),
            [],
        )
    }

    /// One run by id, finished or not.
    pub fn run_by_id(&self, id: RunId) -> Result<Option<RunRecord>, StoreError> {
        let raw = self
            .conn
            .query_row(
                &format!("SELECT {RUN_COLUMNS} FROM runs WHERE id = ?1"),
                [id.0],
                RawRun::from_row,
            )
            .optional()
            .map_err(self.query_error("run_by_id"))?;
        raw.map(|raw| self.run_record(raw)).transpose()
    }

    /// The newest `limit` runs, newest first, finished or not.
    pub fn recent_runs(&self, limit: usize) -> Result<Vec<RunRecord>, StoreError> {
        self.query_runs(
            "recent_runs",
            &format!("SELECT {RUN_COLUMNS} FROM runs ORDER BY id DESC LIMIT ?1"),
            [sql_limit(limit)],
        )
    }

    fn query_runs<P: rusqlite::Params>(
        &self,
        operation: &'static str,
        sql: &str,
        params: P,
    ) -> Result<Vec<RunRecord>, StoreError> {
        self.query_all(operation, sql, params, RawRun::from_row)?
            .into_iter()
            .map(|raw| self.run_record(raw))
            .collect()
    }

    /// Explains why an update that required an active run touched no row.
    fn why_not_active(&self, id: RunId) -> Result<StoreError, StoreError> {
        let outcome: Option<Option<String>> = self
            .conn
            .query_row("SELECT outcome FROM runs WHERE id = ?1", [id.0], |row| {
                row.get(0)
            })
            .optional()
            .map_err(self.query_error("look up run"))?;
        Ok(match outcome {
            None => StoreError::UnknownRun {
                path: self.path.clone(),
                id,
            },
            Some(outcome) => StoreError::RunAlreadyFinished {
                path: self.path.clone(),
                id,
                outcome: outcome.unwrap_or_default(),
            },
        })
    }

    fn run_record(&self, raw: RawRun) -> Result<RunRecord, StoreError> {
        let working_at = from_optional_millis(&self.path, "runs", "working_at", raw.working_at)?;
        let ended_at = from_optional_millis(&self.path, "runs", "ended_at", raw.ended_at)?;
        let state = match (ended_at, working_at) {
            (Some(_), _) => RunState::Finished,
            (None, Some(_)) => RunState::Working,
            (None, None) => RunState::Launching,
        };
        Ok(RunRecord {
            id: RunId(raw.id),
            project: raw.project,
            task_id: raw.task_id,
            task_file_name: raw.task_file_name,
            session: raw.session,
            account: raw.account,
            model: raw.model,
            started_at: from_millis(&self.path, "runs", "started_at", raw.started_at)?,
            working_at,
            ended_at,
            outcome: raw.outcome,
            detail: raw.detail,
            state,
        })
    }
}
