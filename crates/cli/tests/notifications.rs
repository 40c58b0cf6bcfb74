//! Notifications end to end: the daemon (in this process, on real tmux with the fake agent and
//! a clock the test moves) tells three local receivers — a webhook, an ntfy topic that refuses
//! its first request, and a webhook that never answers — about a failed task, an expired login,
//! a swap, every account out and work resuming: each sink gets each event once, in order, with
//! the documented fields; the hanging one delays nothing; no sink URL reaches the log.

mod support;

use std::sync::Arc;

use cf_daemon::{DaemonOptions, NoticeKind};
use claude_failover::sandbox::Sandbox;
use jiff::{SignedDuration, Timestamp};
use support::in_process::{CapturedLog, OffsetClock, wait_for};
use support::receiver::{Receiver, Reply};
use support::{is_done, is_finished_in};

/// The sinks, their secrets in variables the test resolves itself.
const NOTIFY_YAML: &str = "\
notify:
  sinks:
    - {name: hook, kind: webhook, url_env: TEST_HOOK_URL}
    - name: phone
      kind: ntfy
      url_env: TEST_NTFY_URL
      events: [task_failed, account_attention, all_exhausted, resumed]
    - {name: stuck, kind: webhook, url_env: TEST_STUCK_URL}
  retry_backoff: 100ms
  timeout: 1s
  max_attempts: 2
quota:
  reactivate_cooldown: 1s
";

fn in_hours(hours: i64) -> String {
    Timestamp::now()
        .checked_add(SignedDuration::from_hours(hours))
        .expect("instant")
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_sink_hears_each_condition_once_in_order() {
    let log = CapturedLog::install();
    let hook = Receiver::start(Vec::new(), Reply::Status(200)).await;
    let phone = Receiver::start(vec![Reply::Status(500)], Reply::Status(200)).await;
    let stuck = Receiver::start(Vec::new(), Reply::Hang).await;
    let mut spec = support::spec();
    spec.accounts = vec!["a".into(), "b".into()];
    spec.pool_size = 1;
    spec.work = "1s".into();
    spec.extra_yaml = NOTIFY_YAML.into();
    let sandbox = Sandbox::create(&spec).expect("sandbox");
    let cfg = sandbox.config().expect("config");
    let urls = [
        ("TEST_HOOK_URL", hook.url.clone()),
        ("TEST_NTFY_URL", phone.url.clone()),
        ("TEST_STUCK_URL", stuck.url.clone()),
    ];
    let lookup = |name: &str| {
        urls.iter()
            .find(|(n, _)| *n == name)
            .map(|(_, u)| u.clone())
    };
    let sinks = cf_notify::resolve_sinks(&cfg.notify, &lookup).expect("sinks");
    let options = DaemonOptions {
        sinks,
        ..DaemonOptions::default()
    };
    let clock = Arc::new(OffsetClock::default());
    let (daemon, mut notices) = sandbox
        .start_daemon_with(clock.clone(), options)
        .await
        .expect("start");

    // The stuck sink holds its first alert; a task still runs and finishes meanwhile.
    wait_for("the stuck sink holds a request", || {
        !stuck.received().is_empty()
    })
    .await;
    sandbox.add_task("alpha", "quick", "Quick.").expect("add");
    wait_for("a task done while a sink hangs", || {
        is_done(&sandbox, "alpha", "quick")
    })
    .await;

    // A task fails: how long until the receiver has it?
    sandbox
        .add_task("alpha", "broken", "Refused. fake-agent:error=400")
        .expect("add");
    let failed = loop {
        match notices.recv().await {
            Ok(n) if n.kind == NoticeKind::Failed => break n,
            Ok(_) => {}
            Err(e) => panic!("notices: {e}"),
        }
    };
    wait_for("the hook has the failure", || {
        hook.accepted_json()
            .iter()
            .any(|j| j["event"] == "task_failed")
    })
    .await;
    let arrived = hook
        .received()
        .iter()
        .find(|r| r.body.contains("task_failed"))
        .map(|r| r.at);
    let latency = arrived.expect("arrived").duration_since(failed.at);
    eprintln!(
        "notification latency (failed task -> receiver): {} µs",
        latency.as_micros()
    );
    assert!(is_finished_in(&sandbox, "alpha", "failed", "broken"));

    // A's login expires: a needs attention, the work moves to b.
    std::fs::write(sandbox.account_dir.join("fake-error"), "401 client=2.1.329").expect("expire");
    sandbox
        .add_task("beta", "login", "Meets the expired login.")
        .expect("add");
    wait_for("the task done on b", || is_done(&sandbox, "beta", "login")).await;

    // B runs out while a still needs attention: every account is out.
    let b_dir = sandbox.root().join("accounts/b");
    std::fs::write(
        b_dir.join("fake-quota"),
        format!("session reset={}", in_hours(2)),
    )
    .expect("exhaust b");
    sandbox
        .add_task("gamma", "limit", "Meets b's limit.")
        .expect("add");
    wait_for("all exhausted said", || {
        hook.accepted_json()
            .iter()
            .any(|j| j["event"] == "all_exhausted")
    })
    .await;
    // B's reset passes: work resumes there.
    std::fs::remove_file(b_dir.join("fake-quota")).expect("b has quota again");
    clock.set_offset_secs(2 * 3600 + 120);
    wait_for("the limited task done", || {
        is_done(&sandbox, "gamma", "limit")
    })
    .await;
    daemon.stop().await.expect("the daemon stops cleanly");

    let events: Vec<String> = hook
        .accepted_json()
        .iter()
        .map(|j| j["event"].as_str().expect("event").to_owned())
        .collect();
    assert_eq!(
        events,
        [
            "daemon_started",
            "task_failed",
            "account_attention",
            "swapped",
            "account_exhausted",
            "all_exhausted",
            "resumed",
            "daemon_stopped"
        ],
        "each event once, in order"
    );
    let json = hook.accepted_json();
    let field = |event: &str, name: &str| {
        json.iter()
            .find(|j| j["event"] == event)
            .map(|j| j[name].clone())
            .unwrap_or_default()
    };
    assert_eq!(field("task_failed", "project"), "alpha");
    assert_eq!(field("task_failed", "task"), "broken");
    assert_eq!(field("task_failed", "severity"), "warning");
    let reason = field("task_failed", "message");
    assert!(
        reason
            .as_str()
            .is_some_and(|m| m.contains("API Error: 400")),
        "the reason: {reason}"
    );
    assert_eq!(field("account_attention", "account"), "a");
    assert_eq!(field("account_attention", "severity"), "critical");
    assert_eq!(field("account_exhausted", "account"), "b");
    assert!(
        field("all_exhausted", "until").is_string(),
        "when work resumes"
    );
    assert_eq!(field("resumed", "account"), "b");
    assert!(
        json.iter()
            .all(|j| j["source"] == "claude-failover" && j["at"].is_string())
    );

    // The ntfy topic refused its first request: it got that alert on the retry, and then only
    // the events it asked for, once each.
    let phone_requests = phone.received();
    assert_eq!(phone_requests[0].status, Some(500));
    let titles: Vec<String> = phone_requests
        .iter()
        .filter(|r| r.status == Some(200))
        .map(|r| r.headers["title"].to_str().expect("title").to_owned())
        .collect();
    assert_eq!(
        titles,
        [
            "task alpha/broken failed",
            "account a needs attention",
            "every account is out: work is paused",
            "work resumed"
        ]
    );
    assert_eq!(phone_requests[0].headers["priority"], "4");

    // The stuck sink was given up on, and said so; no URL of any sink is in the log.
    let text = log.text();
    assert!(
        text.contains("to sink stuck given up after 2 try(s): no answer within 1s"),
        "{text}"
    );
    for (_, url) in &urls {
        let path = url.rsplit('/').next().expect("a path");
        assert!(!text.contains(path), "a sink URL in the log");
    }
}

/// `notify test` says what each sink answered, and names a variable that is not set.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notify_test_says_what_each_sink_answered() {
    let fine = Receiver::start(Vec::new(), Reply::Status(200)).await;
    let refusing = Receiver::start(Vec::new(), Reply::Status(503)).await;
    let mut spec = support::spec();
    spec.extra_yaml = "notify:\n  sinks:\n    - {name: fine, kind: slack, url_env: T_FINE}\n    - {name: refusing, kind: ntfy, url_env: T_REFUSING}\n  timeout: 5s\n".into();
    let sandbox = Sandbox::create(&spec).expect("sandbox");
    let config = sandbox.config_path.clone();
    let run = move |env: Vec<(&'static str, String)>, sink: Option<&'static str>| {
        let config = config.clone();
        tokio::task::spawn_blocking(move || {
            let mut command = std::process::Command::new(support::binary());
            command.args(["notify", "test", "--config"]).arg(&config);
            if let Some(sink) = sink {
                command.args(["--sink", sink]);
            }
            command.env_remove("T_FINE").env_remove("T_REFUSING");
            command.envs(env);
            command.output().expect("run")
        })
    };
    let env = vec![
        ("T_FINE", fine.url.clone()),
        ("T_REFUSING", refusing.url.clone()),
    ];
    let out = run(env, None).await.expect("joined");
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(!out.status.success(), "one sink refused: {said}");
    assert!(
        said.contains("fine (slack): delivered (HTTP 200)"),
        "{said}"
    );
    assert!(said.contains("refusing (ntfy): failed: HTTP 503"), "{said}");
    assert!(
        !said.contains(&refusing.url) && !said.contains(&fine.url),
        "{said}"
    );
    let test_alert: serde_json::Value =
        serde_json::from_str(&fine.received()[0].body).expect("json");
    assert!(
        test_alert["text"]
            .as_str()
            .is_some_and(|t| t.contains("test notification"))
    );

    let only_fine = vec![("T_FINE", fine.url.clone())];
    let out = run(only_fine, Some("fine")).await.expect("joined");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(refusing.received().len(), 1, "--sink tries only that one");

    let out = run(vec![("T_FINE", fine.url.clone())], None)
        .await
        .expect("joined");
    let error = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        error.contains(
            "notify sink `refusing`: the environment variable T_REFUSING (its `url_env`) is not set"
        ),
        "{error}"
    );
}
