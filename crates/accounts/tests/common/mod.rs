//! Helpers shared by the hook-install tests: a temp account dir, fixed commands and time.

#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};

use cf_accounts::{FileChange, HookCommands, HookStatus, check_hooks, install_hooks};
use jiff::Timestamp;
use serde_json::{Value, json};

pub const STOP: &str = "claude-failover hook stop --dir /run/cf";
pub const FAILURE: &str = "claude-failover hook stop-failure --dir /run/cf";
pub const START: &str = "claude-failover hook session-start --dir /run/cf";

pub fn commands() -> HookCommands {
    HookCommands {
        stop: STOP.to_string(),
        stop_failure: FAILURE.to_string(),
        session_start: None,
        status_line: None,
    }
}

pub fn now() -> Timestamp {
    "2026-11-21T09:05:07Z".parse().unwrap()
}

/// A temp account config dir; `settings` is its settings.json.
pub struct Account {
    pub dir: tempfile::TempDir,
}

impl Account {
    pub fn new() -> Account {
        Account {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn config_dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn settings(&self) -> PathBuf {
        self.dir.path().join("settings.json")
    }

    pub fn write(&self, text: &str) {
        fs::write(self.settings(), text).unwrap();
    }

    pub fn read(&self) -> String {
        fs::read_to_string(self.settings()).unwrap()
    }

    /// Every file name in the dir, sorted.
    pub fn files(&self) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(self.dir.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

/// Our group for `command`, as the installer writes it.
pub fn ours(command: &str) -> Value {
    json!({"matcher": "", "hooks": [{"type": "command", "command": command}]})
}

/// The exact text the installer writes for `value`.
pub fn rendered(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap() + "\n"
}

/// Installs into a settings file holding `before` and checks the exact text written.
#[track_caller]
pub fn check_install(before: Value, expected: Value) {
    let account = Account::new();
    account.write(&serde_json::to_string(&before).unwrap());
    let report = install_hooks(account.config_dir(), &commands(), now()).unwrap();
    assert_ne!(report.file, FileChange::Unchanged);
    assert_eq!(account.read(), rendered(&expected));
    assert_eq!(
        check_hooks(account.config_dir(), &commands()).unwrap(),
        HookStatus::Installed
    );
}
