//! The session transcript `<config>/projects/<slug>/<uuid>.jsonl`: written like the real client
//! (user / assistant / system turn_duration lines; after an API error the entries of the client
//! version imitated) and read back to replay a resumed session.

use crate::api_error::ApiStatus;
use crate::args::VERSION;
use crate::client::ClientStyle;
use crate::directive::TurnOutcome;
use crate::ids::new_uuid;
use crate::render::Block;
use serde_json::{Value, json};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Marker the real client writes when a turn is interrupted; not replayed.
const INTERRUPTED_MARKER: &str = "[Request interrupted by user]";
/// `message.model` of an entry the client made up itself (API errors, limits).
const SYNTHETIC_MODEL: &str = "<synthetic>";

/// A finished turn, as the transcript needs it.
#[derive(Debug, Clone, Copy)]
pub struct EndedTurn<'a> {
    /// How it ended.
    pub outcome: TurnOutcome,
    /// The reply, error or limit text.
    pub text: &'a str,
    /// The model id of a reply.
    pub model: &'a str,
    /// How long the turn ran.
    pub took: Duration,
    /// The client version whose entries an API error gets.
    pub client: ClientStyle,
    /// The turn's prompt (2.1.329's `last-prompt` line).
    pub prompt: &'a str,
    /// The permission mode's hook name (2.1.329's `permission-mode` line).
    pub permission_mode: &'a str,
}

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
    /// User and assistant entries since the last `turn_duration` (its `messageCount`).
    messages_in_turn: u64,
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
            messages_in_turn: 0,
        }
    }

    /// The transcript file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn write_line(&self, line: &Value) -> bool {
        let mut bytes = line.to_string().into_bytes();
        bytes.push(b'\n');
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .and_then(|mut file| file.write_all(&bytes))
            .is_ok()
    }

    fn append(&mut self, line: Value) -> Option<String> {
        self.append_as(line, VERSION)
    }

    /// Appends a chained entry (parent, uuid, time, session facts) written by client `version`;
    /// returns its uuid when it was written.
    fn append_as(&mut self, mut line: Value, version: &str) -> Option<String> {
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
            map.insert("version".into(), json!(version));
        }
        if !self.write_line(&line) {
            return None;
        }
        self.last_uuid = Some(uuid.clone());
        Some(uuid)
    }

    /// Appends a session-state line (`last-prompt`, `mode`, …): only the session id is added,
    /// and the chain is not moved, like the real client.
    fn append_state(&mut self, mut line: Value) {
        if let Value::Object(map) = &mut line {
            map.insert("sessionId".into(), json!(self.session_id));
        }
        self.write_line(&line);
    }

    /// Start-of-session line (makes the file exist, so even an empty session can be resumed).
    pub fn session_opened(&mut self, permission_mode: &str) {
        self.append(json!({"type": "permission-mode", "permissionMode": permission_mode}));
    }

    /// A submitted prompt; `prompt_id` is the turn's id (the hooks' `prompt_id`).
    pub fn user_prompt(&mut self, prompt: &str, prompt_id: &str) {
        self.messages_in_turn += 1;
        self.append(json!({"type": "user", "promptId": prompt_id,
            "message": {"role": "user", "content": prompt}}));
    }

    /// The end of a turn: reply, error or limit text, then what the imitated client writes after
    /// it (2.1.197 and replies: the turn duration; a 2.1.329 API error: `last-prompt`, `mode`,
    /// `permission-mode`).
    pub fn turn_ended(&mut self, turn: &EndedTurn<'_>) {
        self.messages_in_turn += 1;
        match (turn.outcome, turn.client) {
            (TurnOutcome::ApiError(status), ClientStyle::V2_1_329) => {
                self.api_error_329(status, turn);
            }
            _ => {
                self.append(assistant_entry(turn));
                self.turn_duration(turn.took);
            }
        }
    }

    fn turn_duration(&mut self, took: Duration) {
        let count = std::mem::take(&mut self.messages_in_turn);
        self.append(json!({"type": "system", "subtype": "turn_duration",
            "durationMs": u64::try_from(took.as_millis()).unwrap_or(u64::MAX),
            "messageCount": count, "isMeta": false}));
    }

    /// The 2.1.329 error entry (with `apiErrorType` and its other extra fields) and the
    /// session-state lines the recordings show after it.
    fn api_error_329(&mut self, status: ApiStatus, turn: &EndedTurn<'_>) {
        let mut entry = assistant_entry(turn);
        if let Value::Object(map) = &mut entry {
            map.insert("apiErrorType".into(), json!(status.api_error_type()));
            map.insert("perTurnEffort".into(), json!(turn.client.effort()));
            map.insert("failedResponseHadNoToolCall".into(), json!(true));
            map.insert("madeBy".into(), json!("model"));
            map.insert("session_id".into(), json!(self.session_id));
        }
        if let Some(message) = entry.get_mut("message").and_then(Value::as_object_mut) {
            message.insert("diagnostics".into(), Value::Null);
        }
        let leaf = self.append_as(entry, turn.client.version());
        self.messages_in_turn = 0;
        self.append_state(json!({"type": "last-prompt", "lastPrompt": turn.prompt,
            "leafUuid": leaf}));
        self.append_state(json!({"type": "mode", "mode": "normal"}));
        self.append_state(json!({"type": "permission-mode",
            "permissionMode": turn.permission_mode}));
    }

    /// A turn dropped with Esc.
    pub fn interrupted(&mut self) {
        self.messages_in_turn += 1;
        self.append(json!({"type": "user", "message": {"role": "user",
            "content": [{"type": "text", "text": INTERRUPTED_MARKER}]}}));
    }
}

/// The assistant entry of a finished turn: the reply with its model, or a synthetic message
/// marked as an API error (`isApiErrorMessage`, `error`, `apiErrorStatus`, a request id).
/// Input tokens of one fake reply (as in the recordings).
pub const REPLY_INPUT_TOKENS: u64 = 42;
/// Output tokens of one fake reply.
pub const REPLY_OUTPUT_TOKENS: u64 = 3;

fn assistant_entry(turn: &EndedTurn<'_>) -> Value {
    let content = json!([{"type": "text", "text": turn.text}]);
    let (Some(error), Some(status)) = (turn.outcome.error_kind(), turn.outcome.http_status())
    else {
        // The recorded replies' figures (`usage/`): a short prompt, a short answer.
        return json!({"type": "assistant", "message": {
            "role": "assistant", "model": turn.model, "content": content,
            "usage": {"input_tokens": REPLY_INPUT_TOKENS, "output_tokens": REPLY_OUTPUT_TOKENS,
                "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}}});
    };
    json!({
        "type": "assistant",
        "message": synthetic_message(content),
        "requestId": format!("req_fake_{}", new_uuid().replace('-', "")),
        "isApiErrorMessage": true,
        "error": error,
        "apiErrorStatus": status,
    })
}

/// The message of an entry the client made up: no tokens, `<synthetic>` model.
fn synthetic_message(content: Value) -> Value {
    json!({
        "id": new_uuid(),
        "container": null,
        "model": SYNTHETIC_MODEL,
        "role": "assistant",
        "stop_details": null,
        "stop_reason": "stop_sequence",
        "stop_sequence": "",
        "type": "message",
        "usage": {
            "input_tokens": 0, "output_tokens": 0,
            "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0,
            "server_tool_use": {"web_search_requests": 0, "web_fetch_requests": 0},
            "service_tier": null,
            "cache_creation": {"ephemeral_1h_input_tokens": 0, "ephemeral_5m_input_tokens": 0},
            "inference_geo": null, "iterations": null, "speed": null,
        },
        "content": content,
        "context_management": null,
    })
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
        let ended = |outcome, text, took| EndedTurn {
            outcome,
            text,
            model: "claude-sonnet-5",
            took,
            client: ClientStyle::V2_1_197,
            prompt: "p",
            permission_mode: "bypassPermissions",
        };
        writer.user_prompt("first\nsecond line", "p1");
        writer.turn_ended(&ended(
            TurnOutcome::Reply,
            "Done: first",
            Duration::from_secs(2),
        ));
        writer.user_prompt("interrupted one", "p2");
        writer.interrupted();
        writer.user_prompt("fail", "p3");
        writer.turn_ended(&ended(
            TurnOutcome::ApiError(ApiStatus::InternalServerError),
            "API Error: 500",
            Duration::from_millis(10),
        ));
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
        assert_eq!(error_line["message"]["model"], "<synthetic>");
        let reply_line: Value = serde_json::from_str(text.lines().nth(2).unwrap()).unwrap();
        assert_eq!(reply_line["message"]["model"], "claude-sonnet-5");
        assert!(reply_line.get("isApiErrorMessage").is_none());
        let user_line: Value = serde_json::from_str(text.lines().nth(1).unwrap()).unwrap();
        assert_eq!(user_line["promptId"], "p1");
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
