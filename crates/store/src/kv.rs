//! Small daemon facts as text keys and values (e.g. the active account, the daemon's pid).

use rusqlite::OptionalExtension;

use crate::{Store, StoreError};

impl Store {
    /// Sets `key` to `value`, replacing any previous value.
    pub fn set_kv(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT INTO kv (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [key, value],
            )
            .map_err(self.query_error("set_kv"))?;
        Ok(())
    }

    /// The value of `key`, or `None` if it was never set (or was removed).
    pub fn get_kv(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.conn
            .query_row("SELECT value FROM kv WHERE key = ?1", [key], |row| {
                row.get(0)
            })
            .optional()
            .map_err(self.query_error("get_kv"))
    }

    /// Removes `key`; removing a missing key is fine.
    pub fn remove_kv(&self, key: &str) -> Result<(), StoreError> {
        self.conn
            .execute("DELETE FROM kv WHERE key = ?1", [key])
            .map_err(self.query_error("remove_kv"))?;
        Ok(())
    }
}
