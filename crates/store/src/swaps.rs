//! The account swap history: when the daemon moved every session to another account, and why.

use jiff::Timestamp;
use rusqlite::{Row, params};

use crate::time::{from_millis, from_optional_millis, to_millis};
use crate::{Store, StoreError, sql_limit};

/// A swap to record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewSwap<'a> {
    /// When it happened.
    pub at: Timestamp,
    /// The account left.
    pub from_account: &'a str,
    /// The account moved to.
    pub to_account: &'a str,
    /// The session whose screen showed the limit (none for a swap by hand).
    pub trigger_session: Option<&'a str>,
    /// What matched (`session limit`, `by hand`, …).
    pub pattern: &'a str,
    /// When the left account's limit resets, if known.
    pub reset_at: Option<Timestamp>,
    /// Free text: the screen snippet, what was resumed.
    pub detail: &'a str,
}

/// A swap as stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SwapRecord {
    /// Increases with every swap.
    pub id: i64,
    /// When it happened.
    pub at: Timestamp,
    /// The account left.
    pub from_account: String,
    /// The account moved to.
    pub to_account: String,
    /// The session whose screen showed the limit.
    pub trigger_session: Option<String>,
    /// What matched.
    pub pattern: String,
    /// When the left account's limit resets, if known.
    pub reset_at: Option<Timestamp>,
    /// Free text.
    pub detail: String,
}

/// A row as SQLite hands it over, before the timestamps are checked.
struct RawSwap {
    id: i64,
    at: i64,
    from_account: String,
    to_account: String,
    trigger_session: Option<String>,
    pattern: String,
    reset_at: Option<i64>,
    detail: String,
}

impl RawSwap {
    fn from_row(row: &Row<'_>) -> rusqlite::Result<RawSwap> {
        Ok(RawSwap {
            id: row.get(0)?,
            at: row.get(1)?,
            from_account: row.get(2)?,
            to_account: row.get(3)?,
            trigger_session: row.get(4)?,
            pattern: row.get(5)?,
            reset_at: row.get(6)?,
            detail: row.get(7)?,
        })
    }
}

impl Store {
    /// Appends a swap and returns its id.
    pub fn record_swap(&self, swap: &NewSwap<'_>) -> Result<i64, StoreError> {
        self.conn
            .execute(
                "INSERT INTO swaps (at, from_account, to_account, trigger_session, pattern, reset_at, detail)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    to_millis(swap.at),
                    swap.from_account,
                    swap.to_account,
                    swap.trigger_session,
                    swap.pattern,
                    swap.reset_at.map(to_millis),
                    swap.detail
                ],
            )
            .map_err(self.query_error("record_swap"))?;
        Ok(self.conn.last_insert_rowid())
    }

    /// The newest `limit` swaps, newest first.
    pub fn recent_swaps(&self, limit: usize) -> Result<Vec<SwapRecord>, StoreError> {
        self.query_all(
            "recent_swaps",
            "SELECT id, at, from_account, to_account, trigger_session, pattern, reset_at, detail
             FROM swaps ORDER BY id DESC LIMIT ?1",
            [sql_limit(limit)],
            RawSwap::from_row,
        )?
        .into_iter()
        .map(|raw| {
            Ok(SwapRecord {
                id: raw.id,
                at: from_millis(&self.path, "swaps", "at", raw.at)?,
                from_account: raw.from_account,
                to_account: raw.to_account,
                trigger_session: raw.trigger_session,
                pattern: raw.pattern,
                reset_at: from_optional_millis(&self.path, "swaps", "reset_at", raw.reset_at)?,
                detail: raw.detail,
            })
        })
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swaps_round_trip_newest_first() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(&dir.path().join("s.sqlite")).expect("open");
        let at = Timestamp::from_millisecond(1_800_000_000_000).expect("instant");
        let reset = Timestamp::from_millisecond(1_800_003_600_000).expect("instant");
        store
            .record_swap(&NewSwap {
                at,
                from_account: "a",
                to_account: "b",
                trigger_session: Some("ccl-auto-11"),
                pattern: "session limit",
                reset_at: Some(reset),
                detail: "snippet",
            })
            .expect("record");
        store
            .record_swap(&NewSwap {
                at,
                from_account: "b",
                to_account: "a",
                trigger_session: None,
                pattern: "by hand",
                reset_at: None,
                detail: "",
            })
            .expect("record");
        drop(store);
        let store = Store::open(&dir.path().join("s.sqlite")).expect("reopen");
        let swaps = store.recent_swaps(10).expect("list");
        assert_eq!(swaps.len(), 2);
        assert_eq!(
            (
                swaps[0].from_account.as_str(),
                swaps[0].pattern.as_str(),
                swaps[0].reset_at
            ),
            ("b", "by hand", None)
        );
        assert_eq!(
            (swaps[1].trigger_session.as_deref(), swaps[1].reset_at),
            (Some("ccl-auto-11"), Some(reset))
        );
    }
}
