//! `GET /metrics`: the Prometheus text exposition format (version 0.0.4).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use cf_daemon::tasks::TaskState;

use crate::error::HttpError;
use crate::read::{recent_swaps, status_report, task_lines};
use crate::router::Shared;

/// Every task state, so that a project shows zeros instead of missing series.
/// `GET /metrics`.
pub(crate) async fn metrics(State(shared): State<Shared>) -> Result<impl IntoResponse, HttpError> {
    let cfg = &shared.api.cfg;
    let report = status_report(cfg).await?;
    let tasks = task_lines(cfg).await?;
    let cfg_for_swaps = std::sync::Arc::clone(cfg);
    let last_swap_id = tokio::task::spawn_blocking(move || recent_swaps(&cfg_for_swaps, 1))
        .await
        .map_err(|e| HttpError::internal(format!("reading the swaps failed: {e}")))??
        .first()
        .map_or(0, |s| s.id);

    let mut out = Metrics::default();

    out.header(
        "cf_daemon_up",
        "1 when a daemon process runs for this state dir.",
        "gauge",
    );
    out.sample("cf_daemon_up", &[], u64::from(report.daemon.running));

    let mut task_counts: BTreeMap<(String, &'static str), u64> = BTreeMap::new();
    for project in &report.projects {
        for state in TaskState::ALL {
            task_counts.insert((project.name.clone(), state.as_str()), 0);
        }
    }
    for task in &tasks {
        *task_counts
            .entry((task.project.clone(), task.state.as_str()))
            .or_insert(0) += 1;
    }
    out.header("cf_tasks", "Tasks per project and state.", "gauge");
    for ((project, state), count) in &task_counts {
        out.sample(
            "cf_tasks",
            &[("project", project), ("state", state)],
            *count,
        );
    }

    let mut session_counts: BTreeMap<(String, String), u64> = BTreeMap::new();
    for s in &report.sessions {
        let state = s.state.split_whitespace().next().unwrap_or("-").to_string();
        *session_counts.entry((s.kind.clone(), state)).or_insert(0) += 1;
    }
    out.header(
        "cf_sessions",
        "Sessions per kind (pool, dedicated) and state (idle, launching, working, -).",
        "gauge",
    );
    for ((kind, state), count) in &session_counts {
        out.sample("cf_sessions", &[("kind", kind), ("state", state)], *count);
    }

    out.header(
        "cf_swaps_total",
        "Account swaps since the store was created.",
        "counter",
    );
    out.sample(
        "cf_swaps_total",
        &[],
        u64::try_from(last_swap_id).unwrap_or(0),
    );

    out.header(
        "cf_account_active",
        "1 for the account new work goes to, 0 for the others.",
        "gauge",
    );
    for a in &report.accounts {
        out.sample(
            "cf_account_active",
            &[("account", &a.name)],
            u64::from(a.active),
        );
    }
    out.header(
        "cf_account_exhausted",
        "1 for an account known to be out of quota.",
        "gauge",
    );
    for a in &report.accounts {
        let exhausted = u64::from(a.exhausted_until.is_some());
        out.sample("cf_account_exhausted", &[("account", &a.name)], exhausted);
    }

    account_usage(&mut out, &report.accounts);

    let snapshot = shared.api.delegation.snapshot();
    out.header(
        "cf_delegation_enabled",
        "1 when tasks may be delegated to the job platform.",
        "gauge",
    );
    let enabled = snapshot.get("enabled").and_then(|v| v.as_bool()) == Some(true);
    out.sample("cf_delegation_enabled", &[], u64::from(enabled));
    if let Some(counters) = snapshot.get("counters").and_then(|c| c.as_object()) {
        for (name, value) in counters {
            let Some(value) = value.as_u64() else {
                continue;
            };
            let name = metric_segment(name);
            let (metric, kind) = if name == "active" {
                ("cf_delegation_active".to_string(), "gauge")
            } else {
                (format!("cf_delegation_{name}_total"), "counter")
            };
            out.header(&metric, &format!("Delegated jobs: {name}."), kind);
            out.sample(&metric, &[], value);
        }
    }

    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out.text,
    ))
}

/// A name reduced to `[a-z0-9_]`, so it is valid inside a metric name.
fn metric_segment(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// The exposition text being built.
/// Each account's reported usage: the ratio used (0–1) and when each window resets. An account
/// that never reported has no sample (unknown is not 0).
fn account_usage(out: &mut Metrics, accounts: &[cf_daemon::status::AccountStatus]) {
    const RATIO: &str = "claude_failover_account_usage_ratio";
    const RESETS: &str = "claude_failover_account_usage_resets_at_seconds";
    out.header(
        RATIO,
        "Share of the account's usage window used, as the client last reported it.",
        "gauge",
    );
    let windows = |a: &cf_daemon::status::AccountStatus| {
        let usage = a.usage.as_ref();
        [
            ("five_hour", usage.and_then(|u| u.five_hour)),
            ("seven_day", usage.and_then(|u| u.seven_day)),
        ]
    };
    for a in accounts {
        for (window, view) in windows(a) {
            if let Some(w) = view {
                let labels = [("account", a.name.as_str()), ("window", window)];
                out.sample_f64(RATIO, &labels, w.used_percentage / 100.0);
            }
        }
    }
    const COST: &str = "claude_failover_account_cost_usd_total";
    const TOKENS: &str = "claude_failover_account_tokens_total";
    const TASKS: &str = "claude_failover_account_tasks_total";
    let cost_help = "What the tasks finished on the account cost, USD (their footers' sum).";
    out.header(COST, cost_help, "counter");
    for a in accounts {
        out.sample_f64(COST, &[("account", a.name.as_str())], a.spent.cost_usd);
    }
    let tokens_help = "Tokens of the tasks finished on the account (their footers' sum).";
    out.header(TOKENS, tokens_help, "counter");
    for a in accounts {
        let name = a.name.as_str();
        let input = [("account", name), ("direction", "input")];
        out.sample(TOKENS, &input, a.spent.input_tokens);
        let output = [("account", name), ("direction", "output")];
        out.sample(TOKENS, &output, a.spent.output_tokens);
    }
    out.header(
        TASKS,
        "Tasks finished (done or failed) on the account.",
        "counter",
    );
    for a in accounts {
        out.sample(TASKS, &[("account", a.name.as_str())], a.spent.tasks);
    }
    out.header(
        RESETS,
        "When the account's usage window resets (Unix time).",
        "gauge",
    );
    for a in accounts {
        for (window, view) in windows(a) {
            if let Some(w) = view {
                let labels = [("account", a.name.as_str()), ("window", window)];
                let at = u64::try_from(w.resets_at.as_second()).unwrap_or(0);
                out.sample(RESETS, &labels, at);
            }
        }
    }
}

#[derive(Default)]
struct Metrics {
    text: String,
}

impl Metrics {
    fn header(&mut self, name: &str, help: &str, kind: &str) {
        let _ = writeln!(self.text, "# HELP {name} {}", escape_help(help));
        let _ = writeln!(self.text, "# TYPE {name} {kind}");
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: u64) {
        self.sample_text(name, labels, &value.to_string());
    }

    fn sample_f64(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        self.sample_text(name, labels, &value.to_string());
    }

    fn sample_text(&mut self, name: &str, labels: &[(&str, &str)], value: &str) {
        self.text.push_str(name);
        if !labels.is_empty() {
            self.text.push('{');
            for (i, (key, val)) in labels.iter().enumerate() {
                if i > 0 {
                    self.text.push(',');
                }
                let _ = write!(self.text, "{key}=\"{}\"", escape_label(val));
            }
            self.text.push('}');
        }
        let _ = writeln!(self.text, " {value}");
    }
}

/// Escapes a label value: backslash, double quote and line feed.
fn escape_label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Escapes a help text: backslash and line feed.
fn escape_help(value: &str) -> String {
    value.replace('\\', "\\\\").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_escaped() {
        let mut m = Metrics::default();
        m.sample("x", &[("a", "q\"b\\c\nd")], 3);
        assert_eq!(m.text, "x{a=\"q\\\"b\\\\c\\nd\"} 3\n");
    }

    #[test]
    fn metric_segments_are_safe() {
        assert_eq!(metric_segment("Fall-backs 2"), "fall_backs_2");
    }
}
