//! Delivery to real local receivers (HTTP on 127.0.0.1 port 0 standing in for ntfy, Slack and
//! webhooks, and real programs for the command sink): order, fields, retries, a receiver that
//! hangs, a full queue, and secrets that never reach a report.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use cf_config::{NotifyConfig, SinkConfig, SinkTarget};
use cf_core::alert::AlertKind;
use cf_notify::{Alert, DeliveryReport, Notifier, Outcome, Sink, test_sinks};
use jiff::Timestamp;
use tokio::sync::mpsc;

/// What a receiver does with each request, in turn (then 200 for ever).
#[derive(Clone, Copy)]
enum Answer {
    Status(u16),
    Hang,
}

#[derive(Clone, Default)]
struct Receiver {
    script: Arc<Mutex<Vec<Answer>>>,
    seen: Arc<Mutex<Vec<(HeaderMap, String)>>>,
}

async fn receive(State(rx): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let answer = {
        let mut script = rx.script.lock().expect("lock");
        if script.is_empty() {
            Answer::Status(200)
        } else {
            script.remove(0)
        }
    };
    match answer {
        Answer::Hang => {
            std::future::pending::<()>().await;
            StatusCode::OK
        }
        Answer::Status(code) => {
            rx.seen
                .lock()
                .expect("lock")
                .push((headers, String::from_utf8_lossy(&body).into_owned()));
            StatusCode::from_u16(code).unwrap_or(StatusCode::OK)
        }
    }
}

/// A receiver on 127.0.0.1:0; returns it and its URL (with a path that is part of the secret).
async fn receiver(script: Vec<Answer>) -> (Receiver, String) {
    let rx = Receiver {
        script: Arc::new(Mutex::new(script)),
        ..Receiver::default()
    };
    let app = axum::Router::new()
        .route("/{*path}", axum::routing::post(receive))
        .with_state(rx.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!(
        "http://{}/hook-secret-path-42",
        listener.local_addr().expect("addr")
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    (rx, url)
}

fn settings(max_attempts: u32) -> NotifyConfig {
    NotifyConfig {
        sinks: Vec::new(),
        flood_per_minute: 100,
        queue: 8,
        max_attempts,
        retry_backoff: Duration::from_millis(20),
        timeout: Duration::from_millis(500),
    }
}

fn sink(name: &str, target: SinkTarget, url: &str) -> Sink {
    let config = SinkConfig {
        name: name.into(),
        target,
        events: Vec::new(),
    };
    let url = url.to_owned();
    Sink::resolve(&config, &move |var: &str| match var {
        "URL" => Some(url.clone()),
        "TOKEN" => Some("sekrit-token".into()),
        _ => None,
    })
    .expect("resolves")
}

fn webhook(url: &str) -> Sink {
    let target = SinkTarget::Webhook {
        url_env: "URL".into(),
        token_env: Some("TOKEN".into()),
    };
    sink("hook", target, url)
}

/// A notifier over `sinks` whose reports arrive on the returned channel.
fn notifier(
    sinks: Vec<Sink>,
    settings: &NotifyConfig,
) -> (Notifier, mpsc::UnboundedReceiver<DeliveryReport>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let report = Arc::new(move |r: DeliveryReport| {
        let _ = tx.send(r);
    });
    (Notifier::start(sinks, settings, report), rx)
}

fn failed(task: &str) -> Alert {
    let mut alert = Alert::new(
        AlertKind::TaskFailed,
        Timestamp::now(),
        format!("task alpha/{task} failed"),
        "the agent said so".into(),
    );
    alert.project = Some("alpha".into());
    alert.task = Some(task.into());
    alert
}

async fn next_report(reports: &mut mpsc::UnboundedReceiver<DeliveryReport>) -> DeliveryReport {
    tokio::time::timeout(Duration::from_secs(30), reports.recv())
        .await
        .expect("a report in time")
        .expect("the notifier is alive")
}

#[tokio::test]
async fn each_sink_gets_each_alert_once_in_order_with_its_own_format() {
    let (hook_rx, hook_url) = receiver(Vec::new()).await;
    let (ntfy_rx, ntfy_url) = receiver(Vec::new()).await;
    let (slack_rx, slack_url) = receiver(Vec::new()).await;
    let ntfy = SinkTarget::Ntfy {
        url_env: "URL".into(),
        token_env: None,
    };
    let slack = SinkTarget::Slack {
        url_env: "URL".into(),
    };
    let sinks = vec![
        webhook(&hook_url),
        sink("phone", ntfy, &ntfy_url),
        sink("chat", slack, &slack_url),
    ];
    let (notifier, mut reports) = notifier(sinks, &settings(3));
    for task in ["t1", "t2", "t3"] {
        notifier.offer(failed(task));
    }
    for _ in 0..9 {
        let report = next_report(&mut reports).await;
        assert!(
            matches!(report.outcome, Outcome::Delivered { attempts: 1, .. }),
            "{report:?}"
        );
    }
    let hook = hook_rx.seen.lock().expect("lock").clone();
    let tasks: Vec<String> = hook
        .iter()
        .map(|(_, body)| {
            let json: serde_json::Value = serde_json::from_str(body).expect("json");
            assert_eq!(json["event"], "task_failed");
            assert_eq!(json["severity"], "warning");
            assert_eq!(json["project"], "alpha");
            json["task"].as_str().expect("task").to_owned()
        })
        .collect();
    assert_eq!(tasks, ["t1", "t2", "t3"], "in order, once each");
    assert_eq!(hook[0].0["authorization"], "Bearer sekrit-token");
    let phone = ntfy_rx.seen.lock().expect("lock").clone();
    assert_eq!(phone.len(), 3);
    assert_eq!(phone[0].0["title"], "task alpha/t1 failed");
    assert_eq!(phone[0].0["priority"], "4");
    assert_eq!(phone[0].0["tags"], "warning,task_failed");
    assert_eq!(phone[0].1, "the agent said so");
    let chat = slack_rx.seen.lock().expect("lock").clone();
    let text: serde_json::Value = serde_json::from_str(&chat[2].1).expect("json");
    let text = text["text"].as_str().expect("text");
    assert!(
        text.contains("task alpha/t3 failed\nthe agent said so"),
        "{text}"
    );
    notifier.close(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn a_receiver_that_fails_once_gets_the_alert_on_the_retry_and_order_holds() {
    let (rx, url) = receiver(vec![Answer::Status(500)]).await;
    let (notifier, mut reports) = notifier(vec![webhook(&url)], &settings(3));
    notifier.offer(failed("first"));
    notifier.offer(failed("second"));
    let first = next_report(&mut reports).await;
    assert!(
        matches!(first.outcome, Outcome::Delivered { attempts: 2, .. }),
        "{first:?}"
    );
    let second = next_report(&mut reports).await;
    assert!(
        matches!(second.outcome, Outcome::Delivered { attempts: 1, .. }),
        "{second:?}"
    );
    let bodies: Vec<String> = rx
        .seen
        .lock()
        .expect("lock")
        .iter()
        .map(|(_, b)| b.clone())
        .collect();
    assert_eq!(bodies.len(), 3, "the refused try, then both");
    assert!(bodies[0].contains("\"first\"") && bodies[1].contains("\"first\""));
    assert!(bodies[2].contains("\"second\""));
}

#[tokio::test]
async fn a_hanging_receiver_holds_up_neither_the_caller_nor_the_other_sinks() {
    let (_hung, hung_url) = receiver(vec![Answer::Hang, Answer::Hang]).await;
    let (fine, fine_url) = receiver(Vec::new()).await;
    let sinks = vec![
        webhook(&hung_url),
        sink(
            "fine",
            SinkTarget::Slack {
                url_env: "URL".into(),
            },
            &fine_url,
        ),
    ];
    let (notifier, mut reports) = notifier(sinks, &settings(2));
    notifier.offer(failed("t1"));
    let first = next_report(&mut reports).await;
    assert_eq!(
        first.sink, "fine",
        "the other sink is served while one hangs"
    );
    assert_eq!(fine.seen.lock().expect("lock").len(), 1);
    let hung = next_report(&mut reports).await;
    match hung.outcome {
        Outcome::GaveUp { attempts: 2, error } => {
            assert_eq!(
                error.message, "no answer within 0.5s",
                "each try is cut by the timeout"
            );
        }
        other => panic!("expected a give-up, got {other:?}"),
    }
}

#[tokio::test]
async fn a_full_queue_drops_and_says_so_and_errors_never_quote_the_url() {
    // Nothing listens on port 9 of loopback: every try fails at once.
    let mut settings = settings(3);
    settings.queue = 1;
    settings.retry_backoff = Duration::from_millis(300);
    let url = "http://127.0.0.1:9/very-secret-path?key=abc";
    let (notifier, mut reports) = notifier(vec![webhook(url)], &settings);
    notifier.offer(failed("t1"));
    notifier.offer(failed("t2"));
    notifier.offer(failed("t3"));
    let mut dropped = 0;
    let mut gave_up = 0;
    while dropped + gave_up < 3 {
        match next_report(&mut reports).await.outcome {
            Outcome::Dropped { queue: 1 } => dropped += 1,
            Outcome::GaveUp { attempts: 3, error } => {
                assert!(
                    !error.message.contains("very-secret-path"),
                    "{}",
                    error.message
                );
                assert!(!error.message.contains("key=abc"), "{}", error.message);
                assert!(!error.message.contains("sekrit-token"), "{}", error.message);
                gave_up += 1;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(dropped >= 1, "the queue of one overflowed");
}

#[tokio::test]
async fn a_command_gets_the_alert_on_stdin_and_one_that_hangs_is_cut() {
    let dir = tempfile::tempdir().expect("dir");
    let out = dir.path().join("alert.json");
    let writes = SinkTarget::Command {
        argv: vec![
            "/bin/sh".into(),
            "-c".into(),
            "cat > \"$1\"; echo \"$CLAUDE_FAILOVER_EVENT\" >> \"$1\"".into(),
            "sh".into(),
            out.display().to_string(),
        ],
    };
    let hangs = SinkTarget::Command {
        argv: vec!["/bin/sleep".into(), "30".into()],
    };
    let sinks = vec![sink("writes", writes, ""), sink("hangs", hangs, "")];
    let answers = test_sinks(&sinks, &settings(1), Timestamp::now()).await;
    assert!(answers[0].1.is_ok(), "{answers:?}");
    let written = std::fs::read_to_string(&out).expect("written");
    let (json, event) = written.rsplit_once('}').expect("json, then the variable");
    let json: serde_json::Value = serde_json::from_str(&format!("{json}}}")).expect("json");
    assert_eq!(json["event"], "test");
    assert_eq!(event.trim(), "test");
    let hung = answers[1].1.as_ref().expect_err("cut by the timeout");
    assert!(
        hung.message.contains("did not finish within 0.5s (killed)"),
        "{hung}"
    );
}

#[tokio::test]
async fn a_flood_becomes_one_summary() {
    let (rx, url) = receiver(Vec::new()).await;
    let mut settings = settings(1);
    settings.flood_per_minute = 2;
    let (notifier, mut reports) = notifier(vec![webhook(&url)], &settings);
    let start = Timestamp::now();
    for n in 0..6 {
        let mut alert = failed(&format!("t{n}"));
        alert.at = start;
        notifier.offer(alert);
    }
    let later = start
        .checked_add(jiff::SignedDuration::from_secs(61))
        .expect("time");
    notifier.tick(later);
    for _ in 0..3 {
        next_report(&mut reports).await;
    }
    let bodies: Vec<serde_json::Value> = rx
        .seen
        .lock()
        .expect("lock")
        .iter()
        .map(|(_, b)| serde_json::from_str(b).expect("json"))
        .collect();
    assert_eq!(bodies.len(), 3, "two alerts and one summary");
    assert_eq!(bodies[2]["held_back"], 4);
    assert_eq!(bodies[2]["title"], "4 more task_failed alerts held back");
}

#[tokio::test]
async fn a_refusal_of_the_request_itself_is_not_retried() {
    let (rx, url) = receiver(vec![Answer::Status(404), Answer::Status(429)]).await;
    let (notifier, mut reports) = notifier(vec![webhook(&url)], &settings(3));
    notifier.offer(failed("gone"));
    match next_report(&mut reports).await.outcome {
        Outcome::GaveUp { attempts: 1, error } => assert!(error.message.starts_with("HTTP 404")),
        other => panic!("a 404 is final: {other:?}"),
    }
    notifier.offer(failed("busy"));
    let busy = next_report(&mut reports).await;
    assert!(
        matches!(busy.outcome, Outcome::Delivered { attempts: 2, .. }),
        "a 429 is retried: {busy:?}"
    );
    assert_eq!(rx.seen.lock().expect("lock").len(), 3);
}

#[tokio::test]
async fn a_command_that_leaves_a_child_behind_succeeds_once() {
    let dir = tempfile::tempdir().expect("dir");
    let runs = dir.path().join("runs");
    let target = SinkTarget::Command {
        argv: vec![
            "/bin/sh".into(),
            "-c".into(),
            "echo run >> \"$1\"; sleep 30 & exit 0".into(),
            "sh".into(),
            runs.display().to_string(),
        ],
    };
    let answers = test_sinks(&[sink("bg", target, "")], &settings(1), Timestamp::now()).await;
    assert!(answers[0].1.is_ok(), "{answers:?}");
    assert_eq!(
        std::fs::read_to_string(&runs).expect("ran"),
        "run\n",
        "once"
    );
}
