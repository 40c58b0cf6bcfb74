//! The test record: with `FAKE_AGENT_RECORD` set, one JSON line per prompt the fake received,
//! appended with a single write so parallel fakes can share one file.

use serde::Serialize;
use std::io::Write;
use std::path::Path;

/// One received prompt and the context it arrived in.
#[derive(Debug, Clone, Serialize)]
pub struct PromptRecord<'a> {
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
    /// `--model` value, if any.
    pub model: Option<&'a str>,
    /// Whether the session was started with `--resume`.
    pub resumed: bool,
    /// The exact text submitted.
    pub prompt: &'a str,
}

/// Appends `record` as one line to `path` (created if missing), in one `write` call.
pub fn append_record(path: &Path, record: &PromptRecord<'_>) -> std::io::Result<()> {
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
                ts: "2026-01-01T00:00:00Z".into(),
                pid: 7,
                session_id: "abc",
                tmux_pane: None,
                cwd: "/w",
                config_dir: "/c",
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
    }
}
