//! Turns that end on an API error, end to end on a real tmux server with the fake agent (which
//! ends turns exactly as the recordings in `shared/claude-code/errors/` show): an expired login
//! moves every session to the other account and marks the first until its credentials change; a
//! transient error that never passes fails the task after `retry.max_attempts` with every
//! attempt in its footer; a `StopFailure` the daemon never read (it was down) and a SIGKILL
//! during a retry's backoff are both carried on after the restart; launches that keep failing
//! the same way are reported once and bounce no task.

mod support;

use std::time::{Duration, Instant};

use claude_failover::sandbox::{Sandbox, SandboxSpec};
use support::{DaemonProcess, cli_stdout, continues_on, events, is_done, prompts_for, wait_until};

fn accounts_json(sandbox: &Sandbox) -> Vec<serde_json::Value> {
    let out = cli_stdout(sandbox, &["accounts", "--json"]);
    serde_json::from_str::<serde_json::Value>(&out)
        .expect("accounts json")
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn account(sandbox: &Sandbox, name: &str) -> serde_json::Value {
    accounts_json(sandbox)
        .into_iter()
        .find(|a| a["name"] == name)
        .unwrap_or_else(|| panic!("no account {name}"))
}

fn write_credentials(dir: &std::path::Path, token: &str) {
    let body = format!(
        r#"{{"claudeAiOauth":{{"accessToken":"sk-ant-oat01-{token}","refreshToken":"sk-ant-ort01-{token}","expiresAt":1}}}}"#
    );
    std::fs::write(dir.join(".credentials.json"), body).expect("write credentials");
}

fn no_failed(sandbox: &Sandbox, projects: &[&str]) {
    for project in projects {
        assert!(
            sandbox.files_in(project, "failed").is_empty(),
            "{project}: nothing may fail: {:?}",
            sandbox.files_in(project, "failed")
        );
    }
}

/// (a) Account A's login expires (401, 2.1.329 screens with the dim hint) while three tasks run
/// and two wait: every task ends in done/ once, run on B, none in failed/; A needs attention
/// until its credentials file holds new tokens.
#[test]
fn an_expired_login_moves_every_session_to_the_other_account() {
    let mut spec = support::spec();
    spec.accounts = vec!["a".into(), "b".into()];
    spec.pool_size = 3;
    spec.work = "1s".into();
    spec.extra_yaml = "watchdog:\n  interval: 1s\n".into();
    let sandbox = Sandbox::create(&spec).expect("sandbox");
    write_credentials(&sandbox.account_dir, "old");
    let tasks = [
        ("alpha", "r1"),
        ("beta", "r2"),
        ("gamma", "r3"),
        ("alpha", "w1"),
        ("beta", "w2"),
    ];
    for (project, id) in &tasks[..3] {
        sandbox
            .add_task(project, id, &format!("Running {id}. fake-agent:work=60s"))
            .expect("add");
    }
    let mut daemon = DaemonProcess::start(&sandbox, "login");
    wait_until(Duration::from_secs(30), "three tasks working on a", || {
        tasks[..3]
            .iter()
            .all(|(_, id)| prompts_for(&sandbox, id).len() == 1)
    });
    for (project, id) in &tasks[3..] {
        sandbox
            .add_task(project, id, &format!("Waiting {id}."))
            .expect("add");
    }
    let expired_at = Instant::now();
    std::fs::write(sandbox.account_dir.join("fake-error"), "401 client=2.1.329").expect("expire");
    wait_until(Duration::from_secs(60), "three resumes on b", || {
        continues_on(&sandbox, "b").len() == 3
    });
    eprintln!(
        "login expired -> the three tasks running again on b in {} ms",
        expired_at.elapsed().as_millis()
    );

    wait_until(Duration::from_secs(60), "every task done", || {
        tasks.iter().all(|(p, id)| is_done(&sandbox, p, id))
    });
    eprintln!(
        "login expired -> every task done in {} ms",
        expired_at.elapsed().as_millis()
    );
    no_failed(&sandbox, &["alpha", "beta", "gamma"]);
    for (_, id) in tasks {
        let prompts = prompts_for(&sandbox, id);
        assert_eq!(prompts.len(), 1, "{id}: the task text went once");
    }
    for (_, id) in &tasks[3..] {
        assert_eq!(
            prompts_for(&sandbox, id)[0]["account_marker"],
            "b",
            "{id} ran on b"
        );
    }
    let resumed = continues_on(&sandbox, "b");
    assert_eq!(resumed.len(), 3, "each interrupted task resumed once on b");
    let original: std::collections::BTreeSet<String> = tasks[..3]
        .iter()
        .map(|(_, id)| prompts_for(&sandbox, id)[0]["session_id"].to_string())
        .collect();
    let continued: std::collections::BTreeSet<String> = resumed
        .iter()
        .map(|r| r["session_id"].to_string())
        .collect();
    assert_eq!(original, continued, "each resumed in its own conversation");
    let a = account(&sandbox, "a");
    assert_eq!(a["state"], "needs_attention", "{a}");
    assert_eq!(a["attention"]["kind"], "authentication_failed", "{a}");
    let status = cli_stdout(&sandbox, &["status"]);
    assert!(status.contains("a: needs attention since"), "{status}");
    assert_eq!(
        events(&sandbox, "account_attention").len(),
        1,
        "reported once"
    );

    // A rewrite with the same tokens is no new login; new tokens are.
    write_credentials(&sandbox.account_dir, "old");
    daemon.wait_for_more("watchdog round done", 2, Duration::from_secs(30));
    assert_eq!(account(&sandbox, "a")["state"], "needs_attention");
    write_credentials(&sandbox.account_dir, "new");
    wait_until(Duration::from_secs(30), "a usable again", || {
        account(&sandbox, "a")["state"] == "usable"
    });
    assert!(daemon.stop(), "clean stop");
}

/// One pool session, short retries (`backoff` doubling to twice it) and more `retry:` keys.
fn retry_spec(backoff: &str, extra: &str) -> SandboxSpec {
    let mut spec = support::spec();
    spec.pool_size = 1;
    spec.work = "1s".into();
    spec.extra_yaml = format!("retry:\n  initial_backoff: {backoff}\n  max_backoff: 20s\n{extra}");
    spec
}

/// (c) A task whose every turn fails with a 500 ends in failed/ after `retry.max_attempts`, with
/// every attempt (time, account, kind) in its footer; its text was sent once.
#[test]
fn a_task_that_keeps_failing_transiently_fails_after_max_attempts() {
    let spec = retry_spec("1s", "  max_attempts: 3\n  breaker_failures: 100\n");
    let sandbox = Sandbox::create(&spec).expect("sandbox");
    std::fs::write(sandbox.account_dir.join("fake-error"), "500").expect("outage");
    sandbox
        .add_task("alpha", "doomed", "Never gets an answer.")
        .expect("add");
    let mut daemon = DaemonProcess::start(&sandbox, "doomed");
    wait_until(Duration::from_secs(60), "the task in failed/", || {
        sandbox
            .files_in("alpha", "failed")
            .contains(&"doomed.md".to_string())
    });
    let text = sandbox
        .read_file_in("alpha", "failed", "doomed.md")
        .unwrap_or_default();
    assert_eq!(text.matches("- attempt: ").count(), 3, "{text}");
    for n in 1..=3 {
        assert!(
            text.contains(&format!("- attempt: {n} ")),
            "attempt {n} listed: {text}"
        );
    }
    assert!(
        text.contains("on a: server_error: API Error: 500"),
        "{text}"
    );
    assert!(text.contains("gave up after 3 attempt(s)"), "{text}");
    assert_eq!(
        prompts_for(&sandbox, "doomed").len(),
        1,
        "the text went once"
    );
    assert_eq!(continues_on(&sandbox, "a").len(), 2, "two resumes");
    assert!(!is_done(&sandbox, "alpha", "doomed"), "never done");
    assert!(daemon.stop());
}

/// (i) The daemon is down when a turn ends on a 500 (the `StopFailure` hook writes its signal
/// anyway): after the restart the task is judged by that signal — retried in its conversation —
/// never taken for done.
#[test]
fn a_stop_failure_read_after_a_restart_is_judged_not_taken_for_done() {
    let sandbox = Sandbox::create(&retry_spec("1s", "")).expect("sandbox");
    sandbox
        .add_task(
            "alpha",
            "unseen",
            "Fails while nobody watches. fake-agent:work=3s fake-agent:error=500",
        )
        .expect("add");
    let mut first = DaemonProcess::start(&sandbox, "first");
    wait_until(
        Duration::from_secs(30),
        "the task reached the agent",
        || prompts_for(&sandbox, "unseen").len() == 1,
    );
    first.crash();
    let signal = sandbox.root().join("signals/agent-stopfailure-cf-pool-1");
    wait_until(
        Duration::from_secs(30),
        "the StopFailure signal written",
        || signal.exists(),
    );
    let mut second = DaemonProcess::start(&sandbox, "second");
    wait_until(Duration::from_secs(60), "the task done", || {
        is_done(&sandbox, "alpha", "unseen")
    });
    let text = sandbox
        .read_file_in("alpha", "done", "unseen.md")
        .unwrap_or_default();
    assert!(
        text.contains("- attempt: 1 ") && text.contains("server_error"),
        "the failed turn is in the footer: {text}"
    );
    assert_eq!(
        prompts_for(&sandbox, "unseen").len(),
        1,
        "the text went once"
    );
    assert_eq!(continues_on(&sandbox, "a").len(), 1, "resumed once");
    assert!(second.stop());
}

/// A SIGKILL while a task waits for its retry: the restarted daemon finds the `.retry` sidecar
/// and carries the task on in its conversation; nothing lost, nothing doubled.
#[test]
fn a_crash_during_a_retry_backoff_loses_nothing() {
    // Long enough a wait that the crash lands inside it (3 to 6 s with the jitter).
    let sandbox = Sandbox::create(&retry_spec("6s", "")).expect("sandbox");
    sandbox
        .add_task("alpha", "backoff", "Fails once. fake-agent:error=500")
        .expect("add");
    let mut first = DaemonProcess::start(&sandbox, "first");
    wait_until(
        Duration::from_secs(30),
        "the task waits for its retry",
        || {
            sandbox
                .files_in("alpha", "inbox")
                .contains(&"backoff.md.retry".to_string())
                && events(&sandbox, "retrying").len() == 1
        },
    );
    let tasks = cli_stdout(&sandbox, &["tasks"]);
    assert!(tasks.contains("waiting    alpha/backoff.md"), "{tasks}");
    first.crash();
    // The crash landed inside the backoff: nothing resumed it yet, its record is on disk.
    assert!(
        continues_on(&sandbox, "a").is_empty(),
        "not resumed before the crash"
    );
    assert!(
        sandbox
            .files_in("alpha", "inbox")
            .contains(&"backoff.md.retry".to_string()),
        "the retry record survives the crash"
    );
    let mut second = DaemonProcess::start(&sandbox, "second");
    wait_until(Duration::from_secs(60), "the task done", || {
        is_done(&sandbox, "alpha", "backoff")
    });
    assert_eq!(
        prompts_for(&sandbox, "backoff").len(),
        1,
        "the text went once"
    );
    assert_eq!(continues_on(&sandbox, "a").len(), 1, "resumed once");
    let text = sandbox
        .read_file_in("alpha", "done", "backoff.md")
        .unwrap_or_default();
    assert!(text.contains("- attempt: 1 "), "{text}");
    assert!(
        !sandbox
            .files_in("alpha", "inbox")
            .iter()
            .any(|f| f.starts_with("backoff")),
        "no leftover claim or sidecar"
    );
    assert!(second.stop());
}

/// (h) An agent that asks for a login and exits at every start: the launches are reported once
/// (with the screen's last lines), the account is marked, dispatching pauses, and no task bounces
/// between sessions or fails.
#[test]
fn launches_that_keep_failing_are_reported_once_and_bounce_nothing() {
    let mut spec = support::spec();
    let dir = tempfile::tempdir().expect("tempdir");
    let script = dir.path().join("needs-login");
    std::fs::write(
        &script,
        "#!/bin/sh\necho 'Select login method:'\necho ' 1. Claude account with subscription'\nexit 1\n",
    )
    .expect("script");
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("chmod");
    spec.program = script;
    spec.hooks = claude_failover::sandbox::Hooks::None;
    let sandbox = Sandbox::create(&spec).expect("sandbox");
    for id in ["l1", "l2"] {
        sandbox
            .add_task("alpha", id, "Needs an agent.")
            .expect("add");
    }
    let mut daemon = DaemonProcess::start(&sandbox, "login-screen");
    wait_until(Duration::from_secs(60), "the account marked", || {
        account(&sandbox, "a")["state"] == "needs_attention"
    });
    // A launch already under way in the other session when the account was marked may still
    // end; after that, none starts.
    daemon.wait_for_more("dispatch pass skipped", 2, Duration::from_secs(60));
    wait_until(Duration::from_secs(30), "no launch in flight", || {
        !cli_stdout(&sandbox, &["status"]).contains("launching")
    });
    let launches = events(&sandbox, "launch_failed").len();
    assert!(
        launches <= 4,
        "a few launches, not a bouncing loop: {launches}"
    );
    daemon.wait_for_more("dispatch pass skipped", 3, Duration::from_secs(60));
    assert_eq!(
        events(&sandbox, "launch_failed").len(),
        launches,
        "no launch while the account needs attention"
    );
    let reports = events(&sandbox, "launches_failing");
    assert_eq!(reports.len(), 1, "reported once: {reports:?}");
    assert!(reports[0].contains("Select login method"), "{reports:?}");
    assert!(
        sandbox.files_in("alpha", "failed").is_empty(),
        "nothing failed"
    );
    let inbox = sandbox.files_in("alpha", "inbox");
    assert!(
        inbox.contains(&"l1.md".to_string()) && inbox.contains(&"l2.md".to_string()),
        "both tasks wait in the inbox: {inbox:?}"
    );
    let status = cli_stdout(&sandbox, &["status"]);
    assert!(status.contains("dispatching paused"), "{status}");
    assert!(daemon.stop());
}

/// On 2.1.197 a turn that never reached the model (401) looks like an ordinary finished turn
/// (`✻ … for 0s` over an empty prompt). With no hooks installed, only the screen tells: it must
/// still be judged an account error, never taken for done.
#[test]
fn an_expired_login_seen_on_the_screen_alone_is_never_done() {
    let mut spec = support::spec();
    spec.hooks = claude_failover::sandbox::Hooks::None;
    spec.pool_size = 1;
    let sandbox = Sandbox::create(&spec).expect("sandbox");
    std::fs::write(sandbox.account_dir.join("fake-error"), "401 client=2.1.197").expect("expire");
    sandbox
        .add_task("alpha", "unseen", "The model never sees this.")
        .expect("add");
    let mut daemon = DaemonProcess::start(&sandbox, "screen-only");
    wait_until(Duration::from_secs(60), "the account marked", || {
        account(&sandbox, "a")["state"] == "needs_attention"
    });
    daemon.wait_for_more("dispatch pass skipped", 3, Duration::from_secs(60));
    assert!(!is_done(&sandbox, "alpha", "unseen"), "never done");
    assert!(
        sandbox.files_in("alpha", "failed").is_empty(),
        "never failed"
    );
    assert_eq!(prompts_for(&sandbox, "unseen").len(), 1, "typed once");
    let tasks = cli_stdout(&sandbox, &["tasks"]);
    assert!(
        tasks.contains("alpha/unseen.md"),
        "still claimed, not lost: {tasks}"
    );
    assert!(daemon.stop());
}
