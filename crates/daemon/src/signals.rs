//! Done signals: the files that Claude Code hooks (or any script) drop to say a turn ended.
//!
//! `<done_signal_dir>/agent-done-<session>` means "the turn ended normally"; the
//! `StopFailure` hook writes `agent-stopfailure-<session>` with the error kind, because
//! `Stop` does not fire when a turn ends on an API error. The hook side
//! ([`write_signal`]) writes a temp file and renames it in, so the daemon's watcher
//! sees one moved-to event for a complete file.

use std::path::{Path, PathBuf};

/// Which signal a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignalKind {
    /// The turn ended normally (`Stop` hook).
    Done,
    /// The turn ended on an API error (`StopFailure` hook).
    StopFailure,
}

impl SignalKind {
    fn prefix(self) -> &'static str {
        match self {
            SignalKind::Done => "agent-done-",
            SignalKind::StopFailure => "agent-stopfailure-",
        }
    }
}

/// The file a signal of `kind` for `session` lives in.
pub fn signal_path(dir: &Path, kind: SignalKind, session: &str) -> PathBuf {
    dir.join(format!("{}{session}", kind.prefix()))
}

/// Reads a signal file name back: which kind, for which session.
pub fn parse_signal_name(name: &str) -> Option<(SignalKind, &str)> {
    [SignalKind::StopFailure, SignalKind::Done]
        .into_iter()
        .find(|kind| name.starts_with(kind.prefix()))
        .and_then(|kind| Some((kind, session_after(name, kind.prefix())?)))
}

/// The session name after `prefix` in a signal folder's file name, if it is a usable one.
fn session_after<'n>(name: &'n str, prefix: &str) -> Option<&'n str> {
    let session = name.strip_prefix(prefix)?;
    is_signal_session_name(session).then_some(session)
}

/// Whether `session` can be part of a signal file's name (`[A-Za-z0-9._-]+`).
pub fn is_signal_session_name(session: &str) -> bool {
    !session.is_empty()
        && session
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}

/// The tmux session of a conversation-id file name (`agent-session-<session>`).
pub fn parse_session_id_name(name: &str) -> Option<&str> {
    session_after(name, SESSION_ID_PREFIX)
}

/// The prefix of the conversation-id files.
const SESSION_ID_PREFIX: &str = "agent-session-";

/// The payload a hook leaves in its signal file: the interesting part of the JSON
/// Claude Code gives the hook on stdin.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SignalPayload {
    /// Claude Code's session id (= resume id = transcript name), when the hook got one.
    #[serde(default)]
    pub session_id: Option<String>,
    /// `Stop` or `StopFailure`.
    #[serde(default)]
    pub hook_event_name: Option<String>,
    /// For `StopFailure`: `rate_limit`, `server_error`, …
    #[serde(default)]
    pub error: Option<String>,
    /// The conversation's transcript file, as the client reported it.
    #[serde(default)]
    pub transcript_path: Option<String>,
    /// When the hook wrote the file (RFC 3339), to measure detection latency.
    #[serde(default)]
    pub written_at: Option<String>,
}

impl SignalPayload {
    /// Extracts the payload from the hook's stdin JSON; anything unreadable gives an empty payload
    /// (a signal must never be lost because its body was odd).
    pub fn from_hook_input(input: &[u8], written_at: jiff::Timestamp) -> SignalPayload {
        let mut payload: SignalPayload = serde_json::from_slice(input).unwrap_or_default();
        payload.written_at = Some(written_at.to_string());
        payload
    }
}

/// Writes a signal atomically: a hidden temp file in the same directory, then a rename.
pub fn write_signal(
    dir: &Path,
    kind: SignalKind,
    session: &str,
    payload: &SignalPayload,
) -> std::io::Result<PathBuf> {
    let name = format!("{}{session}", kind.prefix());
    let body = serde_json::to_vec(payload).map_err(std::io::Error::other)?;
    crate::atomic::write_atomically(dir, &name, &body)
}

/// Reads and removes a signal file. A file that vanished in between gives `None`.
pub fn take_signal(dir: &Path, kind: SignalKind, session: &str) -> Option<SignalPayload> {
    let path = signal_path(dir, kind, session);
    let bytes = std::fs::read(&path).ok()?;
    let _ = std::fs::remove_file(&path);
    Some(serde_json::from_slice(&bytes).unwrap_or_default())
}

/// Where the last known conversation id of a tmux session is kept (`agent-session-<session>`).
/// Written by every hook (they all carry `session_id`); read at an account swap, never consumed.
pub fn session_id_path(dir: &Path, session: &str) -> PathBuf {
    dir.join(format!("{SESSION_ID_PREFIX}{session}"))
}

/// Records the conversation id a hook reported for `session` (atomically).
pub fn write_session_id(
    dir: &Path,
    session: &str,
    payload: &SignalPayload,
) -> std::io::Result<PathBuf> {
    let name = format!("{SESSION_ID_PREFIX}{session}");
    let body = serde_json::to_vec(payload).map_err(std::io::Error::other)?;
    crate::atomic::write_atomically(dir, &name, &body)
}

/// The last conversation id a hook reported for `session`, if any.
pub fn read_session_id(dir: &Path, session: &str) -> Option<SignalPayload> {
    let bytes = std::fs::read(session_id_path(dir, session)).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Removes every signal for `session` (before a new launch: a leftover must not end it).
pub fn clear_signals(dir: &Path, session: &str) {
    for kind in [SignalKind::Done, SignalKind::StopFailure] {
        let _ = std::fs::remove_file(signal_path(dir, kind, session));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        assert_eq!(
            parse_signal_name("agent-done-ccl-auto-11"),
            Some((SignalKind::Done, "ccl-auto-11"))
        );
        assert_eq!(
            parse_signal_name("agent-stopfailure-s1"),
            Some((SignalKind::StopFailure, "s1"))
        );
        assert_eq!(parse_signal_name("agent-done-"), None);
        assert_eq!(parse_signal_name("agent-done-a/b"), None);
        assert_eq!(parse_signal_name(".agent-done-x.tmp-1"), None);
        assert_eq!(parse_signal_name("other"), None);
    }

    #[test]
    fn write_then_take() {
        let dir = tempfile::tempdir().expect("tempdir");
        let input = br#"{"session_id":"d3dfc52d-1248-4328-a877-e0f73ec7fe51","hook_event_name":"StopFailure","error":"rate_limit","extra":1}"#;
        let payload = SignalPayload::from_hook_input(input, jiff::Timestamp::UNIX_EPOCH);
        write_signal(dir.path(), SignalKind::StopFailure, "s1", &payload).expect("write");
        let back = take_signal(dir.path(), SignalKind::StopFailure, "s1").expect("present");
        assert_eq!(back.error.as_deref(), Some("rate_limit"));
        assert_eq!(
            back.session_id.as_deref(),
            Some("d3dfc52d-1248-4328-a877-e0f73ec7fe51")
        );
        assert!(
            take_signal(dir.path(), SignalKind::StopFailure, "s1").is_none(),
            "taken once"
        );
    }

    #[test]
    fn garbage_hook_input_still_signals() {
        let payload = SignalPayload::from_hook_input(b"\xff not json", jiff::Timestamp::UNIX_EPOCH);
        assert_eq!(payload.session_id, None);
        assert!(payload.written_at.is_some());
    }
}

/// The prefix of the usage files the status line command writes (`agent-usage-<session>`).
const USAGE_PREFIX: &str = "agent-usage-";

/// The latest status line report of a tmux session, as `hook statusline` leaves it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct UsageFile {
    /// When the status line command ran (RFC 3339).
    pub at: jiff::Timestamp,
    /// The client's conversation id.
    #[serde(default)]
    pub session_id: Option<String>,
    /// The reply the figures are about (a redraw repeats it).
    #[serde(default)]
    pub prompt_id: Option<String>,
    /// The client process's running cost, USD.
    #[serde(default)]
    pub total_cost_usd: Option<f64>,
    /// The account's windows.
    #[serde(default)]
    pub rate_limits: cf_core::usage::RateLimits,
    /// `$CLAUDE_CONFIG_DIR` of the agent: which account it runs on.
    #[serde(default)]
    pub config_dir: Option<std::path::PathBuf>,
}

/// The tmux session of a usage file name.
pub fn parse_usage_name(name: &str) -> Option<&str> {
    session_after(name, USAGE_PREFIX)
}

/// Writes the latest usage report of `session` (atomically; each report replaces the last).
pub fn write_usage(dir: &Path, session: &str, usage: &UsageFile) -> std::io::Result<PathBuf> {
    let body = serde_json::to_vec(usage).map_err(std::io::Error::other)?;
    crate::atomic::write_atomically(dir, &format!("{USAGE_PREFIX}{session}"), &body)
}

/// The latest usage report of `session`, if one is there and readable.
pub fn read_usage(dir: &Path, session: &str) -> Option<UsageFile> {
    let bytes = std::fs::read(dir.join(format!("{USAGE_PREFIX}{session}"))).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Removes the usage report of `session` (before a new client process starts in it).
pub fn remove_usage(dir: &Path, session: &str) {
    let _ = std::fs::remove_file(dir.join(format!("{USAGE_PREFIX}{session}")));
}
