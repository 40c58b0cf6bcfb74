//! One alert: what every sink is sent (the webhook's JSON body, the command's stdin).

use cf_core::alert::{AlertKind, Severity};
use jiff::Timestamp;

/// Something the operator should hear about.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Alert {
    /// What kind of thing happened (`task_failed`, `all_exhausted`, …).
    pub event: AlertKind,
    /// How loud it is.
    pub severity: Severity,
    /// When it happened.
    pub at: Timestamp,
    /// One short line (ntfy's title, the first line of a chat message).
    pub title: String,
    /// The details.
    pub message: String,
    /// The project, if it is about a task.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// The task id, if it is about a task.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task: Option<String>,
    /// The tmux session involved, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
    /// The account involved, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// When an outage ends: an account's reset, or when work resumes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<Timestamp>,
    /// For a flood's summary: how many alerts of this kind were held back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub held_back: Option<u32>,
    /// The machine the daemon runs on (filled in by the notifier).
    pub host: String,
    /// Always `claude-failover`.
    pub source: &'static str,
}

impl Alert {
    /// An alert of `event` at `at`, about nothing in particular yet.
    pub fn new(event: AlertKind, at: Timestamp, title: String, message: String) -> Alert {
        Alert {
            event,
            severity: event.severity(),
            at,
            title,
            message,
            project: None,
            task: None,
            session: None,
            account: None,
            until: None,
            held_back: None,
            host: String::new(),
            source: "claude-failover",
        }
    }

    /// The JSON every webhook and command gets.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| String::from("{}"))
    }

    /// The text of a chat message: the title, then the details, escaped so that task or agent
    /// text can neither format, link nor mention anyone (`<!channel>`, `@everyone`).
    pub fn chat_text(&self) -> String {
        let mut text = format!("claude-failover on {}: {}", self.host, self.title);
        if !self.message.is_empty() {
            text.push('\n');
            text.push_str(&self.message);
        }
        chat_escape(&text)
    }

    /// ntfy's priority: 5 (urgent) when nothing works without a person, 4 for trouble, 3 else.
    pub fn ntfy_priority(&self) -> &'static str {
        match self.severity {
            Severity::Critical => "5",
            Severity::Warning => "4",
            Severity::Info => "3",
        }
    }

    /// ntfy's tags: an emoji for the severity (or a check mark when work resumed) and the event.
    pub fn ntfy_tags(&self) -> String {
        let mood = match (self.event, self.severity) {
            (AlertKind::Resumed | AlertKind::AccountUsable, _) => "white_check_mark",
            (_, Severity::Critical) => "rotating_light",
            (_, Severity::Warning) => "warning",
            (_, Severity::Info) => "information_source",
        };
        format!("{mood},{}", self.event.as_str())
    }
}

/// Slack's three escapes, and a zero-width space that keeps `@everyone`, `@here` and `@channel`
/// from mentioning anyone (Discord and Mattermost read them in plain text).
fn chat_escape(text: &str) -> String {
    let escaped = text
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    ["everyone", "here", "channel", "all"]
        .iter()
        .fold(escaped, |t, word| {
            t.replace(&format!("@{word}"), &format!("@\u{200b}{word}"))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_json_carries_the_documented_fields_and_leaves_out_the_absent_ones() {
        let mut alert = Alert::new(
            AlertKind::AllExhausted,
            Timestamp::UNIX_EPOCH,
            "every account is out".into(),
            "dispatching pauses".into(),
        );
        alert.until = Some(Timestamp::from_second(3600).expect("a time"));
        alert.host = "box".into();
        let json: serde_json::Value = serde_json::from_str(&alert.to_json()).expect("json");
        assert_eq!(json["event"], "all_exhausted");
        assert_eq!(json["severity"], "critical");
        assert_eq!(json["until"], "1970-01-01T01:00:00Z");
        assert_eq!(json["source"], "claude-failover");
        assert!(json.get("task").is_none() && json.get("held_back").is_none());
        assert_eq!(alert.ntfy_priority(), "5");
        assert_eq!(alert.ntfy_tags(), "rotating_light,all_exhausted");
        assert_eq!(
            alert.chat_text(),
            "claude-failover on box: every account is out\ndispatching pauses"
        );
        alert.message = "<!channel> <https://x|click> @everyone & co".into();
        let text = alert.chat_text();
        let expected = "&lt;!channel&gt; &lt;https://x|click&gt; @\u{200b}everyone &amp; co";
        assert!(text.ends_with(expected), "{text}");
    }
}
