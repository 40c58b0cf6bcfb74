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

    /// Keeps only the newest `keep` events (a daemon runs for weeks: the log must not grow
    /// without bound). Returns how many were removed.
    pub fn prune_events(&self, keep: usize) -> Result<usize, StoreError> {
        self.conn
            .execute(
                "DELETE FROM events WHERE id <= (SELECT MAX(id) FROM events) - ?1",
                [sql_limit(keep)],
            )
            .map_err(self.query_error("prune_events"))
    }

    /// The newest `limit` events, newest first.
    pub fn recent_events(&self, limit: usize) -> Result<Vec<EventRecord>, StoreError> {
        self.query_all(
            "recent_events",
            "SELECT id, at, kind, session, project, task_id, detail
             FROM events ORDER BY id DESC LIMIT ?1",
            [sql_limit(limit)],
            RawEvent::from_row,
        )?
        .into_iter()
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

#[cfg(test)]
mod prune_tests {
    use super::*;

    #[test]
    fn pruning_keeps_the_newest_events() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(&dir.path().join("s.sqlite")).expect("open");
        let at = Timestamp::from_millisecond(1_800_000_000_000).expect("instant");
        for n in 0..10 {
            let detail = format!("event {n}");
            store
                .record_event(&NewEvent {
                    at,
                    kind: "test",
                    session: None,
                    project: None,
                    task_id: None,
                    detail: &detail,
                })
                .expect("record");
        }
        assert_eq!(store.prune_events(4).expect("prune"), 6);
        let left: Vec<String> = store
            .recent_events(100)
            .expect("list")
            .into_iter()
            .map(|e| e.detail)
            .collect();
        assert_eq!(left, ["event 9", "event 8", "event 7", "event 6"]);
        assert_eq!(store.prune_events(4).expect("prune again"), 0);
    }
}
