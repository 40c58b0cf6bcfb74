//! Conversions between [`jiff::Timestamp`] and the INTEGER milliseconds stored in the database.

use std::path::Path;

use jiff::Timestamp;

use crate::StoreError;

/// The stored form of a timestamp: milliseconds since the Unix epoch (sub-millisecond precision is dropped).
pub(crate) fn to_millis(at: Timestamp) -> i64 {
    at.as_millisecond()
}

/// Reads a stored timestamp back; a value outside jiff's range means a foreign or hand-edited row.
pub(crate) fn from_millis(
    path: &Path,
    table: &'static str,
    column: &'static str,
    millis: i64,
) -> Result<Timestamp, StoreError> {
    Timestamp::from_millisecond(millis).map_err(|_| StoreError::BadValue {
        path: path.to_path_buf(),
        table,
        column,
        value: millis.to_string(),
    })
}

/// [`from_millis`] for a nullable column.
pub(crate) fn from_optional_millis(
    path: &Path,
    table: &'static str,
    column: &'static str,
    millis: Option<i64>,
) -> Result<Option<Timestamp>, StoreError> {
    millis
        .map(|value| from_millis(path, table, column, value))
        .transpose()
}
