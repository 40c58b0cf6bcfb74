//! What a turn does to its working folder, as a real agent would: with `fake-agent:commit=FILE`
//! a reply writes `FILE` there and commits it with the `git` program (no shell), so tests see
//! real repository changes. The end of every turn is recorded with its time (in
//! [`turns_path`], beside the prompt record), so tests can tell which turns overlapped.

use std::path::Path;
use std::process::Command;

use serde::Serialize;

use crate::record::append_record;

/// `{"event":"turn_end", …}`: when a turn ended and where it worked.
#[derive(Debug, Clone, Serialize)]
pub struct TurnEndRecord<'a> {
    /// Always `turn_end`.
    pub event: &'static str,
    /// RFC 3339 time.
    pub ts: String,
    /// This process.
    pub pid: u32,
    /// The conversation.
    pub session_id: &'a str,
    /// Working directory of the fake.
    pub cwd: &'a str,
    /// The file committed, if the turn committed one.
    pub committed: Option<&'a str>,
}

/// Where the ends of turns are recorded: beside the prompt record (`record.jsonl` →
/// `record.turns.jsonl`), so that readers of the prompts see prompts only.
pub fn turns_path(record: &Path) -> std::path::PathBuf {
    record.with_extension("turns.jsonl")
}

/// Appends the end of a turn to the turns file (a test aid: a failure is ignored).
pub fn record_turn_end(record: Option<&Path>, line: &TurnEndRecord<'_>) {
    if let Some(path) = record {
        let _ = append_record(&turns_path(path), line);
    }
}

/// Writes `file` in `cwd` with `text` and commits it; false when git refused.
pub fn commit_file(cwd: &Path, file: &str, text: &str) -> bool {
    if std::fs::write(cwd.join(file), text).is_err() {
        return false;
    }
    let git = |args: &[&str]| {
        Command::new("git")
            .arg("-C")
            .arg(cwd)
            .args(args)
            // The machine's git config (signing, hooks) is not the fake's business.
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", "fake-agent")
            .env("GIT_AUTHOR_EMAIL", "fake-agent@example.invalid")
            .env("GIT_COMMITTER_NAME", "fake-agent")
            .env("GIT_COMMITTER_EMAIL", "fake-agent@example.invalid")
            .env("GIT_TERMINAL_PROMPT", "0")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    git(&["add", "--", file])
        && git(&[
            "commit",
            "-q",
            "-m",
            &format!("fake-agent: add {file}"),
            "--",
            file,
        ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_commit_lands_in_the_repository_of_the_folder() {
        let dir = tempfile::tempdir().expect("temp dir");
        let init = Command::new("git")
            .args(["init", "-q", "-b", "main"])
            .arg(dir.path())
            .status()
            .expect("git");
        assert!(init.success());
        assert!(commit_file(dir.path(), "notes.txt", "hello\n"));
        let log = Command::new("git")
            .arg("-C")
            .arg(dir.path())
            .args(["log", "--format=%s"])
            .output()
            .expect("git log");
        assert_eq!(
            String::from_utf8_lossy(&log.stdout).trim(),
            "fake-agent: add notes.txt"
        );
        let plain = tempfile::tempdir().expect("temp dir");
        assert!(
            !commit_file(plain.path(), "notes.txt", "x"),
            "no repository: no commit"
        );
        assert_eq!(
            turns_path(Path::new("/t/record.jsonl")),
            Path::new("/t/record.turns.jsonl")
        );
    }
}
