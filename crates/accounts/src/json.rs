//! Typed access into the client's JSON files: a key's value as an object or an array (created
//! when absent), and the type error that names the file, the key path and what to run next.

use std::path::Path;

use serde_json::{Map, Value};

use crate::AccountsError;

/// Where a JSON value was read from and what to run once the file is fixed by hand: what a
/// type error has to tell the operator.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Origin<'a> {
    /// The file (after following a symlink).
    pub path: &'a Path,
    /// What to run once the file is fixed (ends the error message).
    pub retry: &'static str,
}

impl Origin<'_> {
    /// The error for `value`, found at `key` (e.g. `"hooks"."Stop"`) where `expected` was needed.
    pub fn wrong_type(self, key: String, value: &Value, expected: &'static str) -> AccountsError {
        AccountsError::WrongType {
            path: self.path.to_path_buf(),
            key,
            found: type_name(value),
            expected,
            retry: self.retry,
        }
    }
}

/// `map[key]` as an object, created empty if absent. `parent` is the key of `map` itself in
/// error messages (`None` for the top level).
pub(crate) fn object_entry<'m>(
    map: &'m mut Map<String, Value>,
    parent: Option<&str>,
    key: &str,
    origin: Origin<'_>,
) -> Result<&'m mut Map<String, Value>, AccountsError> {
    match map.entry(key).or_insert_with(|| Value::Object(Map::new())) {
        Value::Object(object) => Ok(object),
        other => Err(origin.wrong_type(key_path(parent, key), other, "an object")),
    }
}

/// `map[key]` as an array, created empty if absent; `parent` as for [`object_entry`].
pub(crate) fn array_entry<'m>(
    map: &'m mut Map<String, Value>,
    parent: Option<&str>,
    key: &str,
    origin: Origin<'_>,
) -> Result<&'m mut Vec<Value>, AccountsError> {
    match map.entry(key).or_insert_with(|| Value::Array(Vec::new())) {
        Value::Array(array) => Ok(array),
        other => Err(origin.wrong_type(key_path(parent, key), other, "an array")),
    }
}

/// How a key reads in an error message: `"hooks"`, or `"hooks"."Stop"` below a parent.
pub(crate) fn key_path(parent: Option<&str>, key: &str) -> String {
    match parent {
        None => format!("{key:?}"),
        Some(parent) => format!("{parent:?}.{key:?}"),
    }
}

/// The JSON type of `value`, for error messages.
fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
