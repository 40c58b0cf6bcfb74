//! The recorded fixtures under `tests/fixtures/`, read the same way by every test binary.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// `tests/fixtures/<dir>`.
pub fn fixtures(dir: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(dir)
}

/// The text of `tests/fixtures/<dir>/<name>`; panics with the path when it cannot be read.
pub fn read(dir: &str, name: &str) -> String {
    let path = fixtures(dir).join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}
