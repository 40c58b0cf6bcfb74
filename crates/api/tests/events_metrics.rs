//! Server-sent events, the Prometheus text, and shutdown with a stream open.

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use cf_daemon::NoticeKind;
use common::{Harness, notice};

#[tokio::test]
async fn sse_delivers_a_dispatch_notice() {
    let h = Harness::start().await;
    let mut response = h.client.get(h.url("/api/events")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    // The handler subscribed before the headers were sent.
    assert!(h.notices.receiver_count() >= 1);
    h.notices
        .send(notice(NoticeKind::Dispatched, "fix-login"))
        .unwrap();

    let deadline = Instant::now() + Duration::from_secs(10);
    let mut text = String::new();
    while !text.contains("\n\n") || !text.contains("event: dispatched") {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(
            !left.is_zero(),
            "no dispatched event within 10 s; got {text:?}"
        );
        match tokio::time::timeout(left, response.chunk()).await {
            Ok(Ok(Some(chunk))) => text.push_str(&String::from_utf8_lossy(&chunk)),
            Ok(Ok(None)) => panic!("stream ended early: {text:?}"),
            Ok(Err(e)) => panic!("stream failed: {e}"),
            Err(_) => panic!("no dispatched event within 10 s; got {text:?}"),
        }
    }
    let event = text
        .split("\n\n")
        .find(|block| block.contains("event: dispatched"))
        .unwrap();
    let data = event
        .lines()
        .find_map(|l| l.strip_prefix("data: "))
        .expect("a data line");
    let json: serde_json::Value = serde_json::from_str(data).unwrap();
    assert_eq!(json["kind"], "dispatched");
    assert_eq!(json["project"], "alpha");
    assert_eq!(json["task_id"], "fix-login");
    assert_eq!(json["session"], "ccl-auto-11");

    // Shutting down ends the open stream, so serve returns.
    drop(response);
    h.shutdown().await.unwrap();
}

#[tokio::test]
async fn shutdown_ends_open_streams() {
    let h = Harness::start().await;
    let mut response = h.client.get(h.url("/api/events")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let reader = tokio::spawn(async move {
        let mut text = String::new();
        while let Ok(Some(chunk)) = response.chunk().await {
            text.push_str(&String::from_utf8_lossy(&chunk));
        }
        text
    });
    h.shutdown().await.unwrap();
    tokio::time::timeout(Duration::from_secs(10), reader)
        .await
        .expect("the stream ends after shutdown")
        .unwrap();
}

/// One parsed exposition line.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: Vec<(String, String)>,
    value: f64,
}

/// Parses the text line by line, checking the format; returns the samples.
fn parse_exposition(text: &str) -> Vec<Sample> {
    let mut typed = BTreeSet::new();
    let mut helped = BTreeSet::new();
    let mut samples = Vec::new();
    for line in text.lines() {
        assert!(!line.is_empty(), "blank line in:\n{text}");
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, help) = rest.split_once(' ').expect("HELP name text");
            assert!(!help.is_empty());
            assert!(helped.insert(name.to_string()), "HELP twice for {name}");
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("TYPE name kind");
            assert!(matches!(kind, "gauge" | "counter"), "{line}");
            assert!(helped.contains(name), "TYPE before HELP for {name}");
            assert!(typed.insert(name.to_string()), "TYPE twice for {name}");
            continue;
        }
        assert!(!line.starts_with('#'), "unexpected comment {line}");
        let (series, value) = line.rsplit_once(' ').expect("series value");
        let value: f64 = value
            .parse()
            .unwrap_or_else(|_| panic!("bad value: {line}"));
        let (name, labels) = match series.split_once('{') {
            Some((name, rest)) => {
                let inner = rest.strip_suffix('}').expect("closing brace");
                let labels = inner
                    .split("\",")
                    .map(|pair| {
                        let (k, v) = pair.split_once("=\"").expect("label=\"value\"");
                        (k.to_string(), v.trim_end_matches('"').to_string())
                    })
                    .collect();
                (name.to_string(), labels)
            }
            None => (series.to_string(), Vec::new()),
        };
        assert!(
            name.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
            "bad metric name {name}"
        );
        assert!(typed.contains(&name), "sample before its TYPE: {line}");
        samples.push(Sample {
            name,
            labels,
            value,
        });
    }
    samples
}

fn value_of(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    samples
        .iter()
        .find(|s| {
            s.name == name
                && s.labels.len() == labels.len()
                && labels
                    .iter()
                    .all(|(k, v)| s.labels.iter().any(|(lk, lv)| lk == k && lv == v))
        })
        .map(|s| s.value)
}

#[tokio::test]
async fn metrics_are_prometheus_text() {
    let h = Harness::start().await;
    let inbox = h.queue("alpha", "inbox");
    std::fs::write(inbox.join("a.md"), "# a\n").unwrap();
    std::fs::write(inbox.join("b.md"), "# b\n").unwrap();
    std::fs::write(inbox.join("c.md.dispatched"), "# c\n").unwrap();
    std::fs::write(h.queue("alpha", "done").join("d.md"), "# d\n").unwrap();
    h.record_swap("a", "b");
    h.record_swap("b", "a");

    let response = h.client.get(h.url("/metrics")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let text = response.text().await.unwrap();
    let samples = parse_exposition(&text);

    let tasks = |project, state| {
        value_of(
            &samples,
            "cf_tasks",
            &[("project", project), ("state", state)],
        )
    };
    assert_eq!(tasks("alpha", "queued"), Some(2.0));
    assert_eq!(tasks("alpha", "running"), Some(1.0));
    assert_eq!(tasks("alpha", "done"), Some(1.0));
    assert_eq!(tasks("alpha", "failed"), Some(0.0));
    assert_eq!(
        tasks("beta", "queued"),
        Some(0.0),
        "an empty project has zeros"
    );
    assert_eq!(value_of(&samples, "cf_swaps_total", &[]), Some(2.0));
    assert_eq!(
        value_of(&samples, "cf_account_active", &[("account", "a")]),
        Some(1.0)
    );
    assert_eq!(
        value_of(&samples, "cf_account_active", &[("account", "b")]),
        Some(0.0)
    );
    assert_eq!(value_of(&samples, "cf_daemon_up", &[]), Some(0.0));
    assert_eq!(value_of(&samples, "cf_delegation_enabled", &[]), Some(0.0));
    assert_eq!(value_of(&samples, "cf_delegation_active", &[]), Some(0.0));
    assert_eq!(
        value_of(&samples, "cf_delegation_submitted_total", &[]),
        Some(0.0)
    );
    assert!(text.contains("# TYPE cf_swaps_total counter"));
    assert!(text.contains("# TYPE cf_tasks gauge"));
    assert!(text.contains("# TYPE cf_sessions gauge"));
}

#[tokio::test]
async fn relay_forwards_notices_until_the_source_closes() {
    let (source, receiver) = tokio::sync::broadcast::channel(8);
    let relayed = cf_api::relay_notices(receiver);
    let mut client = relayed.subscribe();
    source.send(notice(NoticeKind::Completed, "t1")).unwrap();
    let got = tokio::time::timeout(Duration::from_secs(5), client.recv())
        .await
        .expect("relayed within 5 s")
        .unwrap();
    assert_eq!(got.kind, NoticeKind::Completed);
    assert_eq!(got.task_id.as_deref(), Some("t1"));
    // Once the source closes and the API let go of its sender, clients see the end.
    drop(source);
    drop(relayed);
    let end = tokio::time::timeout(Duration::from_secs(5), client.recv())
        .await
        .expect("closed within 5 s");
    assert!(matches!(
        end,
        Err(tokio::sync::broadcast::error::RecvError::Closed)
    ));
}
