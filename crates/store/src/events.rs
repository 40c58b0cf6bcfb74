//! The event log: what the daemon did and why (dispatched, completed, orphan requeued, swapped …).

use jiff::Timestamp;
use rusqlite::{Row, params};

use crate::time::{from_millis, to_millis};
use crate::{Store, StoreError, sql_limit};

/// An event to append to the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewEvent<'a> {
    /// When it happened.
    pub at: Timestamp,
    /// What happened, a short snake_case word (e.g. `dispatched`, `completed`, `orphan_requeued`).
    pub kind: &'a str,
    /// The tmux session concerned, if any.
    pub session: Option<&'a str>,
    /// The project concerned, if any.
    pub project: Option<&'a str>,
    /// The task concerned, if any.
    pub task_id: Option<&'a str>,
    /// Free text for the operator.
    pub detail: &'a str,
}

/// An event as stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct EventRecord {
    /// The event's id: increases with every event, so it orders the log.
    pub id: i64,
    /// When it happened.
    pub at: Timestamp,
    /// What happened.
    pub kind: String,
    /// The tmux session concerned, if any.
    pub session: Option<String>,
    /// The project concerned, if any.
    pub project: Option<String>,
    /// The task concerned, if any.
    pub task_id: Option<String>,
    /// Free text for the operator.
    pub detail: String,
}

/// A row as SQLite hands it over, before the timestamp is checked.
struct RawEvent {
    id: i64,
    at: i64,
    kind: String,
    session: Option<String>,
    project: Option<String>,
    task_id: Option<String>,
    detail: String,
}

impl RawEvent {
    fn from_row(row: &Row<'_>) -> rusqlite::Result<RawEvent> {
        Ok(RawEvent {
            id: row.get(0)?,
            at: row.get(1)?,
            kind: row.get(2)?,
            session: row.get(3)?,
            project: row.get(4)?,
            task_id: row.get(5)?,
            detail: row.get(6)?,
        })
    }
}

impl Store {
    /// Appends an event and returns its id.
    pub fn record_event(&self, event: &NewEvent<'_>) -> Result<i64, StoreError> {
        self.conn
            .execute(
                "INSERT INTO events (at, kind, session, project, task_id, detail)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    to_millis(event.at),
                    event.kind,
                    event.session,
                    event.project,
                    event.task_id,
                    event.detail
                ],
            )
            .map_err(self.query_error("record_event"))?;
        Ok(self.conn.last_insert_rowid())
    }

    /// The newest `limit` events, newest first.
    pub fn recent_events(&self, limit: usize) -> Result<Vec<EventRecord>, StoreError> {
        let raws = self
            .conn
            .prepare_cached(
                "SELECT id, at, kind, session, project, task_id, detail
                 FROM events ORDER BY id DESC LIMIT ?1",
            )
            .and_then(|mut stmt| {
                stmt.query_map([sql_limit(limit)], RawEvent::from_row)?
                    .collect::<rusqlite::Result<Vec<_>>>()
            })
            .map_err(self.query_error("recent_events"))?;
        raws.into_iter()
            .map(|raw| {
                Ok(EventRecord {
                    id: raw.id,
                    at: from_millis(&self.path, "events", "at", raw.at)?,
                    kind: raw.kind,
                    session: raw.session,
                    project: raw.project,
                    task_id: raw.task_id,
                    detail: raw.detail,
                })
            })
            .collect()
    }
}
