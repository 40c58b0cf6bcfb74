//! Shared helpers for the cf-config integration tests.

// Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

use std::path::PathBuf;

use cf_config::{Config, ConfigErrors, ConfigSource, parse_config};

/// The source every test config pretends to come from.
pub fn source() -> ConfigSource {
    ConfigSource {
        path: PathBuf::from("/etc/cf/config.yaml"),
        home: PathBuf::from("/home/op"),
    }
}

/// The smallest valid config: only the required key.
pub const MINIMAL: &str = "dispatcher:\n  projects_dir: /srv/projects\n";

/// Parses `yaml` and panics with the errors if it does not parse.
#[track_caller]
pub fn parse_ok(yaml: &str) -> Config {
    match parse_config(&source(), yaml) {
        Ok(config) => config,
        Err(errors) => panic!("expected the config to parse, got:\n{errors}"),
    }
}

/// Parses `yaml`, which must fail, and returns the errors.
#[track_caller]
pub fn parse_err(yaml: &str) -> ConfigErrors {
    match parse_config(&source(), yaml) {
        Ok(config) => panic!("expected errors, got a config: {config:?}"),
        Err(errors) => errors,
    }
}

/// Asserts that `yaml` fails and that the rendered errors contain `expected` (which should
/// include the position, e.g. `config.yaml:3:8: pool.autonomous.max: …`).
#[track_caller]
pub fn check_err(yaml: &str, expected: &str) {
    let rendered = parse_err(yaml).to_string();
    assert!(
        rendered.contains(expected),
        "expected {expected:?} in:\n{rendered}"
    );
}
