//! The last known state of every tmux session the daemon manages, one row per session name.

use jiff::Timestamp;
use rusqlite::{Row, params};

use crate::time::{from_millis, from_optional_millis, to_millis};
use crate::{Store, StoreError};

/// Whether a session belongs to the shared pool or to one project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionKind {
    /// Takes tasks from any project; gets `/exit` after each task.
    Pool,
    /// Bound to one project; kept running between tasks.
    Dedicated,
}

impl SessionKind {
    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            SessionKind::Pool => "pool",
            SessionKind::Dedicated => "dedicated",
        }
    }

    fn parse(text: &str) -> Option<SessionKind> {
        match text {
            "pool" => Some(SessionKind::Pool),
            "dedicated" => Some(SessionKind::Dedicated),
            _ => None,
        }
    }
}

/// A session's last recorded state.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SessionRow {
    /// The tmux session name (the key).
    pub name: String,
    /// Pool or dedicated.
    pub kind: SessionKind,
    /// The daemon's state word for it (e.g. `idle`, `working`, `cooling_down`); owned by the daemon.
    pub state: String,
    /// The account it runs on.
    pub account: String,
    /// When this row was last written.
    pub updated_at: Timestamp,
    /// Until when the session must not get work, if it is cooling down.
    pub cooldown_until: Option<Timestamp>,
}

/// A row as SQLite hands it over, before kind and timestamps are checked.
struct RawSession {
    name: String,
    kind: String,
    state: String,
    account: String,
    updated_at: i64,
    cooldown_until: Option<i64>,
}

impl RawSession {
    fn from_row(row: &Row<'_>) -> rusqlite::Result<RawSession> {
        Ok(RawSession {
            name: row.get(0)?,
            kind: row.get(1)?,
            state: row.get(2)?,
            account: row.get(3)?,
            updated_at: row.get(4)?,
            cooldown_until: row.get(5)?,
        })
    }
}

impl Store {
    /// Inserts or replaces the row of session `row.name`.
    pub fn set_session_state(&self, row: &SessionRow) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT INTO sessions (name, kind, state, account, updated_at, cooldown_until)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (name) DO UPDATE SET
                     kind = excluded.kind, state = excluded.state, account = excluded.account,
                     updated_at = excluded.updated_at, cooldown_until = excluded.cooldown_until",
                params![
                    row.name,
                    row.kind.as_str(),
                    row.state,
                    row.account,
                    to_millis(row.updated_at),
                    row.cooldown_until.map(to_millis)
                ],
            )
            .map_err(self.query_error("set_session_state"))?;
        Ok(())
    }

    /// Every session row, by name.
    pub fn sessions(&self) -> Result<Vec<SessionRow>, StoreError> {
        self.query_all(
            "sessions",
            "SELECT name, kind, state, account, updated_at, cooldown_until
             FROM sessions ORDER BY name",
            [],
            RawSession::from_row,
        )?
        .into_iter()
        .map(|raw| self.session_row(raw))
        .collect()
    }

    /// Removes a session's row (a session the configuration no longer has). Missing is fine.
    pub fn remove_session(&self, name: &str) -> Result<(), StoreError> {
        self.conn
            .execute("DELETE FROM sessions WHERE name = ?1", [name])
            .map_err(self.query_error("remove_session"))?;
        Ok(())
    }

    fn session_row(&self, raw: RawSession) -> Result<SessionRow, StoreError> {
        let kind = SessionKind::parse(&raw.kind).ok_or_else(|| StoreError::BadValue {
            path: self.path.clone(),
            table: "sessions",
            column: "kind",
            value: raw.kind.clone(),
        })?;
        Ok(SessionRow {
            name: raw.name,
            kind,
            state: raw.state,
            account: raw.account,
            updated_at: from_millis(&self.path, "sessions", "updated_at", raw.updated_at)?,
            cooldown_until: from_optional_millis(
                &self.path,
                "sessions",
                "cooldown_until",
                raw.cooldown_until,
            )?,
        })
    }
}
