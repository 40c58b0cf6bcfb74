//! The session transcript `<config>/projects/<slug>/<uuid>.jsonl`: written like the real client
//! (user / assistant / system turn_duration lines) and read back to replay a resumed session.

use crate::args::VERSION;
use crate::directive::TurnOutcome;
use crate::ids::new_uuid;
use crate::render::Block;
use serde_json::{Value, json};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Marker the real client writes when a turn is interrupted; not replayed.
const INTERRUPTED_MARKER: &str = "[Request interrupted by user]";

/// Appends lines to one session's transcript. Write errors are swallowed: a read-only config
/// dir must not stop the fake (resume will then fail like the real client's would).
#[derive(Debug)]
pub struct TranscriptWriter {
    /// The `.jsonl` file.
    path: PathBuf,
    /// Session id written into every line.
    session_id: String,
    /// Working directory written into every line.
    cwd: String,
    /// `uuid` of the last line, for `parentUuid` chaining.
    last_uuid: Option<String>,
}

impl TranscriptWriter {
    /// A writer for `path`; creates the folders.
    pub fn new(path: PathBuf, session_id: &str, cwd: &str) -> Self {
        if let Some(parent) = path.parent() {
            let _ = std::fs::create_dir_all(parent);
        }
        Self {
            path,
            session_id: session_id.to_string(),
            cwd: cwd.to_string(),
            last_uuid: None,
        }
    }

    /// The transcript file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn append(&mut self, mut line: Value) {
        let uuid = new_uuid();
        if let Value::Object(map) = &mut line {
            map.insert("parentUuid".into(), json!(self.last_uuid));
            map.insert("isSidechain".into(), json!(false));
            map.insert("uuid".into(), json!(uuid));
            map.insert(
                "timestamp".into(),
                json!(jiff::Timestamp::now().to_string()),
            );
            map.insert("userType".into(), json!("external"));
            map.insert("entrypoint".into(), json!("cli"));
            map.insert("cwd".into(), json!(self.cwd));
            map.insert("sessionId".into(), json!(self.session_id));
            map.insert("version".into(), json!(VERSION));
        }
        let mut bytes = line.to_string().into_bytes();
        bytes.push(b'\n');
        let written = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .and_then(|mut file| file.write_all(&bytes));
        if written.is_ok() {
            self.last_uuid = Some(uuid);
        }
    }

    /// Start-of-session line (makes the file exist, so even an empty session can be resumed).
    pub fn session_opened(&mut self, permission_mode: &str) {
        self.append(json!({"type": "permission-mode", "permissionMode": permission_mode}));
    }

    /// A submitted prompt.
    pub fn user_prompt(&mut self, prompt: &str) {
        self.append(json!({"type": "user", "message": {"role": "user", "content": prompt}}));
    }

    /// The end of a turn: reply or API error text, then the turn duration.
    pub fn turn_ended(&mut self, outcome: TurnOutcome, text: &str, model: &str, took: Duration) {
        let mut line = json!({"type": "assistant", "message": {
            "role": "assistant",
            "model": if outcome == TurnOutcome::Reply { model } else { "<synthetic>" },
            "content": [{"type": "text", "text": text}],
        }});
        if let (Some(error), Some(status), Value::Object(map)) =
            (outcome.error_kind(), outcome.http_status(), &mut line)
        {
            map.insert("isApiErrorMessage".into(), json!(true));
            map.insert("error".into(), json!(error));
            map.insert("apiErrorStatus".into(), json!(status));
        }
        self.append(line);
        self.append(json!({"type": "system", "subtype": "turn_duration",
            "durationMs": u64::try_from(took.as_millis()).unwrap_or(u64::MAX)}));
    }

    /// A turn dropped with Esc.
    pub fn interrupted(&mut self) {
        self.append(json!({"type": "user", "message": {"role": "user",
            "content": [{"type": "text", "text": INTERRUPTED_MARKER}]}}));
    }
}

/// Text of a message `content`: a string, or the `text` blocks of an array (tool results skipped).
fn content_text(content: &Value) -> Option<String> {
    match content {
        Value::String(text) => Some(text.clone()),
        Value::Array(parts) => {
            let texts: Vec<&str> = parts
                .iter()
                .filter(|part| part.get("type").and_then(Value::as_str) == Some("text"))
                .filter_map(|part| part.get("text").and_then(Value::as_str))
                .collect();
            (!texts.is_empty()).then(|| texts.join("\n"))
        }
        _ => None,
    }
}

/// The blocks to show when resuming, from the transcript text (ours or the real client's).
/// Lines that are not understood are skipped.
pub fn replay_blocks(transcript: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    for line in transcript.lines() {
        let Ok(entry) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        let is_meta = entry.get("isMeta").and_then(Value::as_bool) == Some(true);
        let content = entry.pointer("/message/content").and_then(content_text);
        match (entry.get("type").and_then(Value::as_str), content) {
            (Some("user"), Some(text)) if !is_meta && text != INTERRUPTED_MARKER => {
                blocks.push(Block::Prompt(text));
            }
            (Some("assistant"), Some(text)) => {
                if text.starts_with("You've hit your") {
                    blocks.push(Block::Notice(text));
                } else {
                    blocks.push(Block::Reply(text));
                }
            }
            (Some("system"), _)
                if entry.get("subtype").and_then(Value::as_str) == Some("turn_duration") =>
            {
                let millis = entry.get("durationMs").and_then(Value::as_u64).unwrap_or(0);
                blocks.push(Block::Worked(Duration::from_millis(millis)));
            }
            _ => {}
        }
    }
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_transcript_replays_as_blocks() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("projects/-w/s.jsonl");
        let mut writer = TranscriptWriter::new(path.clone(), "s", "/w");
        writer.session_opened("bypassPermissions");
        writer.user_prompt("first\nsecond line");
        writer.turn_ended(
            TurnOutcome::Reply,
            "Done: first",
            "claude-sonnet-5",
            Duration::from_secs(2),
        );
        writer.user_prompt("interrupted one");
        writer.interrupted();
        writer.user_prompt("fail");
        writer.turn_ended(
            TurnOutcome::ApiError(500),
            "API Error: 500",
            "m",
            Duration::from_millis(10),
        );
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            replay_blocks(&text),
            vec![
                Block::Prompt("first\nsecond line".into()),
                Block::Reply("Done: first".into()),
                Block::Worked(Duration::from_secs(2)),
                Block::Prompt("interrupted one".into()),
                Block::Prompt("fail".into()),
                Block::Reply("API Error: 500".into()),
                Block::Worked(Duration::from_millis(10)),
            ]
        );
        let error_line: Value = serde_json::from_str(text.lines().nth(7).unwrap()).unwrap();
        assert_eq!(error_line["error"], "server_error");
        assert_eq!(error_line["isApiErrorMessage"], true);
        assert_eq!(error_line["sessionId"], "s");
    }

    #[test]
    fn replays_the_real_clients_transcript() {
        let real = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/claude-code/h_transcript_excerpt.jsonl"
        ));
        let Ok(real) = real else {
            return; // recordings not present in this checkout
        };
        let blocks = replay_blocks(&real);
        assert_eq!(blocks.first(), Some(&Block::Prompt("say hello".into())));
        assert!(blocks.contains(&Block::Reply("DONE-3".into())));
    }

    #[test]
    fn garbage_lines_are_skipped() {
        assert!(replay_blocks("not json\n{}\n{\"type\":\"user\"}\n").is_empty());
    }
}
