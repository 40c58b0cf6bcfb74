//! Builds the `notify` section: the sinks (whose URLs and tokens are only named, as environment
//! variables) and the delivery limits.

use std::time::Duration;

use cf_core::alert::AlertKind;
use cf_core::shell::is_env_key;

use crate::build::is_safe_name;
use crate::error::Problem;
use crate::model::{NotifyConfig, SinkConfig, SinkTarget};
use crate::tree::Node;
use crate::walk::{Section, Walk, Zero};

/// Keys of one sink. `url` and `token` are known only to be refused with a better message.
const SINK_KEYS: &[&str] = &[
    "name",
    "kind",
    "url_env",
    "token_env",
    "command",
    "events",
    "url",
    "token",
];

/// `notify:`.
pub(crate) fn read_notify(walk: &mut Walk<'_>, top: &Section<'_>) -> NotifyConfig {
    let known = [
        "sinks",
        "flood_per_minute",
        "queue",
        "max_attempts",
        "retry_backoff",
        "timeout",
    ];
    let section = walk.child_section(top, "notify", &known);
    let items = walk.list(
        section.get("sinks"),
        &section.child("sinks"),
        "a list of sinks, each with `name` and `kind`",
    );
    let mut sinks: Vec<(SinkConfig, u64)> = Vec::new();
    for (index, item) in items.unwrap_or_default().iter().enumerate() {
        let Some(sink) = read_sink(walk, item, index) else {
            continue;
        };
        if let Some((_, first_line)) = sinks.iter().find(|(s, _)| s.name == sink.name) {
            let first_line = *first_line;
            let key = format!("notify.sinks[{index}].name");
            walk.report(item, &key, Problem::Duplicate { first_line });
            continue;
        }
        sinks.push((sink, item.line));
    }
    NotifyConfig {
        sinks: sinks.into_iter().map(|(sink, _)| sink).collect(),
        flood_per_minute: walk.u32(&section, "flood_per_minute").unwrap_or(10).max(1),
        queue: walk.u32(&section, "queue").unwrap_or(100).max(1) as usize,
        max_attempts: walk.u32(&section, "max_attempts").unwrap_or(5).max(1),
        retry_backoff: walk
            .duration(&section, "retry_backoff", Zero::Refused)
            .unwrap_or(Duration::from_secs(2)),
        timeout: walk
            .duration(&section, "timeout", Zero::Refused)
            .unwrap_or(Duration::from_secs(10)),
    }
}

/// `notify.sinks[index]`.
fn read_sink(walk: &mut Walk<'_>, item: &Node, index: usize) -> Option<SinkConfig> {
    let key = format!("notify.sinks[{index}]");
    let expected = "a mapping with `name`, `kind` and where to send";
    let entry = walk.entry_section(item, &key, expected, SINK_KEYS)?;
    for written in ["url", "token"] {
        if let Some(node) = entry.get(written) {
            let message = format!(
                "a sink's {written} is a secret and is never written in the config: put it in an \
                 environment variable and write its name as `{written}_env`"
            );
            walk.report(node, &entry.child(written), Problem::Invalid(message));
        }
    }
    let name_hint = "write a short name for the sink, e.g. `name: phone`";
    let name_node = walk.required(&entry, "name", name_hint)?;
    let name = walk.string_node(name_node, &entry.child("name"))?;
    if !is_safe_name(&name) {
        let message =
            format!("`{name}` is not a sink name; use only letters, digits, `.`, `_` and `-`");
        walk.report(name_node, &entry.child("name"), Problem::Invalid(message));
        return None;
    }
    let target = read_target(walk, &entry)?;
    let events = read_events(walk, &entry);
    Some(SinkConfig {
        name,
        target,
        events,
    })
}

/// `kind` and where it sends: `url_env`/`token_env`, or `command`.
fn read_target(walk: &mut Walk<'_>, entry: &Section<'_>) -> Option<SinkTarget> {
    let kind_hint = "write `kind: webhook`, `ntfy`, `slack` or `command`";
    let kind_node = walk.required(entry, "kind", kind_hint)?;
    let kind = walk.string_node(kind_node, &entry.child("kind"))?;
    match kind.as_str() {
        "webhook" => Some(SinkTarget::Webhook {
            url_env: url_env(walk, entry)?,
            token_env: env_name(walk, entry, "token_env"),
        }),
        "ntfy" => Some(SinkTarget::Ntfy {
            url_env: url_env(walk, entry)?,
            token_env: env_name(walk, entry, "token_env"),
        }),
        "slack" => Some(SinkTarget::Slack {
            url_env: url_env(walk, entry)?,
        }),
        "command" => Some(SinkTarget::Command {
            argv: read_argv(walk, entry)?,
        }),
        other => {
            let message = format!("`{other}` is no kind of sink; {kind_hint}");
            walk.report(kind_node, &entry.child("kind"), Problem::Invalid(message));
            None
        }
    }
}

/// The required `url_env`.
fn url_env(walk: &mut Walk<'_>, entry: &Section<'_>) -> Option<String> {
    let hint = "name the environment variable that holds the URL, e.g. `url_env: NTFY_URL`";
    walk.required(entry, "url_env", hint)?;
    env_name(walk, entry, "url_env")
}

/// An optional environment variable name under `name`.
fn env_name(walk: &mut Walk<'_>, entry: &Section<'_>, name: &str) -> Option<String> {
    let node = entry.get(name)?;
    let text = walk.string_node(node, &entry.child(name))?;
    if is_env_key(&text) {
        return Some(text);
    }
    let message = format!(
        "`{text}` is not a variable name; use letters, digits and `_`, not starting with a digit"
    );
    walk.report(node, &entry.child(name), Problem::Invalid(message));
    None
}

/// `command: [program, args…]` (a list: no shell ever reads it).
fn read_argv(walk: &mut Walk<'_>, entry: &Section<'_>) -> Option<Vec<String>> {
    let hint = "write the program and its arguments as a list, e.g. `command: [/usr/local/bin/page-me, --urgent]`";
    let node = walk.required(entry, "command", hint)?;
    let key = entry.child("command");
    let items = walk.list(Some(node), &key, "a list: the program, then its arguments")?;
    let mut argv = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let arg = walk.scalar_text(item, &format!("{key}[{index}]"))?;
        if arg.contains('\0') {
            let message = "contains a NUL character; remove it".to_owned();
            walk.report(item, &format!("{key}[{index}]"), Problem::Invalid(message));
            return None;
        }
        argv.push(arg);
    }
    if argv.first().is_none_or(|program| program.trim().is_empty()) {
        let message = format!("is empty; {hint}");
        walk.report(node, &key, Problem::Invalid(message));
        return None;
    }
    Some(argv)
}

/// `events: [task_failed, …]` (none: every kind).
fn read_events(walk: &mut Walk<'_>, entry: &Section<'_>) -> Vec<AlertKind> {
    let key = entry.child("events");
    let items = walk.list(entry.get("events"), &key, "a list of event names");
    let mut events = Vec::new();
    for (index, item) in items.unwrap_or_default().iter().enumerate() {
        let item_key = format!("{key}[{index}]");
        let Some(name) = walk.string_node(item, &item_key) else {
            continue;
        };
        match AlertKind::parse(&name) {
            Some(kind) if !events.contains(&kind) => events.push(kind),
            Some(_) => {}
            None => {
                let names: Vec<&str> = AlertKind::ALL.iter().map(|k| k.as_str()).collect();
                let message = format!("`{name}` is no event; use one of {}", names.join(", "));
                walk.report(item, &item_key, Problem::Invalid(message));
            }
        }
    }
    events
}
