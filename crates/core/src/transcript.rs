//! Reading a Claude Code transcript's tail: the turn's last `assistant` entry and whether it is
//! an API error (`isApiErrorMessage`, `error`, `apiErrorStatus`, README section k).
//!
//! The caller reads at most a few hundred KiB from the end of
//! `projects/<slug>/<session id>.jsonl`; the first line of that tail may be cut, and other entry
//! types (`system`, `last-prompt`, `mode`, `api-request`, …) follow the assistant entry, so the
//! tail is read backwards to the last line whose `type` is `assistant`. Lines that are not JSON
//! are skipped, never an error: a transcript is one source among three.

use jiff::Timestamp;
use serde_json::Value;

/// The API error an assistant entry reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// `error` (`authentication_failed`, `server_error`, …), if present.
    pub kind: Option<String>,
    /// `apiErrorStatus` (401, 500, …), if present.
    pub status: Option<u16>,
}

/// A turn's last `assistant` entry, as far as the outcome is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssistantEntry {
    /// Its `timestamp`, to tell this turn's entry from an older one.
    pub at: Option<Timestamp>,
    /// The API error it reports; `None` for a real reply.
    pub api_error: Option<ApiError>,
    /// The text of its content (the client's error message for an error entry), one line.
    pub text: String,
}

/// The last `assistant` entry of `tail` (the end of a transcript file), if any.
pub fn last_assistant_entry(tail: &str) -> Option<AssistantEntry> {
    tail.lines().rev().find_map(assistant_entry)
}

fn assistant_entry(line: &str) -> Option<AssistantEntry> {
    let line = line.trim();
    if !line.starts_with('{') {
        return None;
    }
    let entry: Value = serde_json::from_str(line).ok()?;
    if entry.get("type").and_then(Value::as_str) != Some("assistant") {
        return None;
    }
    let flagged = entry.get("isApiErrorMessage").and_then(Value::as_bool) == Some(true);
    let kind = entry
        .get("error")
        .and_then(Value::as_str)
        .map(str::to_string);
    let status = entry
        .get("apiErrorStatus")
        .and_then(Value::as_u64)
        .and_then(|s| u16::try_from(s).ok());
    let api_error = (flagged || kind.is_some()).then_some(ApiError { kind, status });
    Some(AssistantEntry {
        at: entry
            .get("timestamp")
            .and_then(Value::as_str)
            .and_then(|t| t.parse().ok()),
        api_error,
        text: content_text(entry.pointer("/message/content")),
    })
}

/// The text blocks of a message's content, joined on one line.
fn content_text(content: Option<&Value>) -> String {
    let text = match content {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Array(parts)) => parts
            .iter()
            .filter(|p| p.get("type").and_then(Value::as_str) == Some("text"))
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join(" "),
        _ => String::new(),
    };
    crate::footer::one_line(&text)
}

/// The input and output tokens of every `assistant` entry of a transcript
/// (`message.usage.input_tokens`, `message.usage.output_tokens`); unreadable lines are skipped.
pub fn token_totals(transcript: &str) -> (u64, u64) {
    // One reply may be written as several entries (one per content block) sharing its
    // `message.id` and its usage: the last of each id counts once.
    let mut by_id: std::collections::HashMap<String, (u64, u64)> = std::collections::HashMap::new();
    let mut totals = (0u64, 0u64);
    for line in transcript.lines() {
        if !line.contains("\"assistant\"") {
            continue;
        }
        let Ok(entry) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if entry.get("type").and_then(serde_json::Value::as_str) != Some("assistant") {
            continue;
        }
        let usage = &entry["message"]["usage"];
        let count = |key: &str| {
            usage
                .get(key)
                .and_then(serde_json::Value::as_u64)
                .unwrap_or(0)
        };
        let tokens = (count("input_tokens"), count("output_tokens"));
        match entry["message"]["id"].as_str() {
            Some(id) => {
                by_id.insert(id.to_owned(), tokens);
            }
            None => {
                totals.0 = totals.0.saturating_add(tokens.0);
                totals.1 = totals.1.saturating_add(tokens.1);
            }
        }
    }
    by_id.values().fold(totals, |(i, o), (di, dout)| {
        (i.saturating_add(*di), o.saturating_add(*dout))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_summed_over_the_assistant_entries() {
        let transcript = concat!(
            r#"{"type":"user","message":{"usage":{"input_tokens":999}}}"#,
            "\n",
            r#"{"type":"assistant","message":{"usage":{"input_tokens":42,"output_tokens":3}}}"#,
            "\n",
            "not json \"assistant\"\n",
            r#"{"type":"assistant","message":{"usage":{"input_tokens":8,"output_tokens":7}}}"#,
            "\n",
            r#"{"type":"assistant","message":{"id":"m1","usage":{"input_tokens":100,"output_tokens":1}}}"#,
            "\n",
            r#"{"type":"assistant","message":{"id":"m1","usage":{"input_tokens":100,"output_tokens":9}}}"#,
            "\n",
        );
        assert_eq!(
            token_totals(transcript),
            (150, 19),
            "one reply in two blocks counts once"
        );
    }

    #[test]
    fn the_assistant_entry_is_found_behind_other_entries() {
        let tail = concat!(
            "partial line cut by the byte cap\"}\n",
            r#"{"type":"assistant","timestamp":"2026-12-01T09:11:24.896Z","message":{"content":[{"type":"text","text":"API Error: 500 Internal server error."}]},"error":"server_error","isApiErrorMessage":true,"apiErrorStatus":500}"#,
            "\n",
            r#"{"type":"last-prompt","lastPrompt":"x"}"#,
            "\n",
            r#"{"type":"mode","mode":"normal"}"#,
            "\n"
        );
        let entry = last_assistant_entry(tail).expect("found");
        assert_eq!(
            entry.api_error,
            Some(ApiError {
                kind: Some("server_error".into()),
                status: Some(500)
            })
        );
        assert_eq!(entry.text, "API Error: 500 Internal server error.");
        assert!(entry.at.is_some());
    }

    #[test]
    fn a_real_reply_has_no_error_and_garbage_is_skipped() {
        let tail = concat!(
            r#"{"type":"assistant","message":{"content":"Done."}}"#,
            "\nnot json\n{}\n"
        );
        let entry = last_assistant_entry(tail).expect("found");
        assert_eq!(entry.api_error, None);
        assert_eq!(entry.text, "Done.");
        assert_eq!(last_assistant_entry("{\"type\":\"user\"}\n"), None);
    }
}
