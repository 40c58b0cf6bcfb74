//! The test record: with `FAKE_AGENT_RECORD` set, one JSON line per prompt the fake received
//! (`"event":"prompt"`) and per answer given to the limit menu (`"event":"menu_choice"`),
//! each appended with a single write so parallel fakes can share one file.

use serde::Serialize;
use std::io::Write;
use std::path::Path;

/// File name, inside the config dir, whose content names the account in the record.
pub const ACCOUNT_NAME_FILE: &str = "fake-account-name";

/// The content of `<config_dir>/fake-account-name`, trimmed, or `None` when there is no such
/// file (or it cannot be read): lets tests tell accounts apart without comparing paths.
pub fn account_marker(config_dir: &Path) -> Option<String> {
    std::fs::read_to_string(config_dir.join(ACCOUNT_NAME_FILE))
        .ok()
        .map(|text| text.trim().to_string())
}

/// Where a record line came from and which account served it; shared by every line kind.
#[derive(Debug, Clone, Serialize)]
pub struct RecordContext<'a> {
    /// RFC 3339 time of the event.
    pub ts: String,
    /// This process, to tell fakes apart.
    pub pid: u32,
    /// The session the event belongs to.
    pub session_id: &'a str,
    /// `$TMUX_PANE`, to map the event to a pool session.
    pub tmux_pane: Option<&'a str>,
    /// `$CLAUDE_CONFIG_DIR` in effect (which account).
    pub config_dir: &'a str,
    /// Content of `$CLAUDE_CONFIG_DIR/fake-account-name`, `null` without that file.
    pub account_marker: Option<&'a str>,
}

/// An answer given to the `/rate-limit-options` menu:
/// `{"event":"menu_choice","choice":"Stop and wait for limit to reset",…context}`.
#[derive(Debug, Clone, Serialize)]
pub struct MenuChoiceRecord<'a> {
    /// Always `menu_choice`.
    pub event: &'static str,
    /// The option's label as shown, or `cancel` for Esc / Ctrl-C.
    pub choice: &'a str,
    /// Session, pane and account.
    #[serde(flatten)]
    pub context: RecordContext<'a>,
}

/// One received prompt and the context it arrived in.
#[derive(Debug, Clone, Serialize)]
pub struct PromptRecord<'a> {
    /// Always `prompt`.
    pub event: &'static str,
    /// RFC 3339 time of receipt.
    pub ts: String,
    /// This process, to tell fakes apart.
    pub pid: u32,
    /// The session the prompt went to.
    pub session_id: &'a str,
    /// `$TMUX_PANE`, to map the prompt to a pool session.
    pub tmux_pane: Option<&'a str>,
    /// Working directory of the fake.
    pub cwd: &'a str,
    /// `$CLAUDE_CONFIG_DIR` in effect (which account).
    pub config_dir: &'a str,
    /// Content of `$CLAUDE_CONFIG_DIR/fake-account-name`, `null` without that file.
    pub account_marker: Option<&'a str>,
    /// `--model` value, if any.
    pub model: Option<&'a str>,
    /// Whether the session was started with `--resume`.
    pub resumed: bool,
    /// The exact text submitted.
    pub prompt: &'a str,
}

/// Appends `record` as one line to `path` (created if missing), in one `write` call.
pub fn append_record(path: &Path, record: &impl Serialize) -> std::io::Result<()> {
    let mut line = serde_json::to_vec(record).map_err(std::io::Error::other)?;
    line.push(b'\n');
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    file.write_all(&line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_one_parseable_line_per_prompt() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("record.jsonl");
        for prompt in ["first\nwith newline", "second \"quoted\""] {
            let record = PromptRecord {
                event: "prompt",
                ts: "2026-01-01T00:00:00Z".into(),
                pid: 7,
                session_id: "abc",
                tmux_pane: None,
                cwd: "/w",
                config_dir: "/c",
                account_marker: None,
                model: Some("sonnet"),
                resumed: false,
                prompt,
            };
            append_record(&path, &record).unwrap();
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["prompt"], "first\nwith newline");
        assert_eq!(lines[0]["tmux_pane"], serde_json::Value::Null);
        assert_eq!(lines[1]["prompt"], "second \"quoted\"");
        assert_eq!(lines[1]["resumed"], false);
        assert_eq!(lines[1]["event"], "prompt");
        assert_eq!(lines[1]["account_marker"], serde_json::Value::Null);
    }

    #[test]
    fn menu_choices_are_flat_lines_with_their_context() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("record.jsonl");
        let record = MenuChoiceRecord {
            event: "menu_choice",
            choice: "Stop and wait for limit to reset",
            context: RecordContext {
                ts: "2026-01-01T00:00:00Z".into(),
                pid: 7,
                session_id: "abc",
                tmux_pane: Some("%1"),
                config_dir: "/c",
                account_marker: Some("A"),
            },
        };
        append_record(&path, &record).unwrap();
        let line: serde_json::Value =
            serde_json::from_str(std::fs::read_to_string(&path).unwrap().trim()).unwrap();
        assert_eq!(line["event"], "menu_choice");
        assert_eq!(line["choice"], "Stop and wait for limit to reset");
        assert_eq!(line["account_marker"], "A");
        assert_eq!(line["session_id"], "abc");
        assert!(line.get("prompt").is_none());
    }

    #[test]
    fn account_marker_is_the_trimmed_file_content() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(account_marker(dir.path()), None);
        std::fs::write(dir.path().join(ACCOUNT_NAME_FILE), "account-A\n").unwrap();
        assert_eq!(account_marker(dir.path()).as_deref(), Some("account-A"));
    }
}
