//! The watchdog: tasks blocked too long are reported once (and failed when asked), claimed
//! tasks nobody works on go back to the inbox, a session killed by hand mid-task gets its task
//! requeued, orphan sidecars are cleaned up, and `status`/`tasks` show it all.

mod support;

use std::time::Duration;

use claude_failover::sandbox::Sandbox;
use support::{DaemonProcess, is_done, prompts_for, wait_until};

/// A task that waits on a dependency that never comes.
const STUCK: &str = "---\ndepends_on: [beta:never]\n---\nWaits forever.";

const FAST_WATCHDOG: &str =
    "watchdog:\n  interval: 500ms\n  blocked_timeout: 2s\n  stale_after: 2s\n";

fn cli_json(sandbox: &Sandbox, args: &[&str]) -> serde_json::Value {
    serde_json::from_str(&support::cli_stdout(sandbox, args)).expect("json")
}

#[test]
fn blocked_too_long_is_reported_once_and_orphans_are_requeued() {
    let mut spec = support::spec();
    spec.extra_yaml = FAST_WATCHDOG.into();
    spec.work = "4s".into();
    let sandbox = Sandbox::create(&spec).expect("sandbox");
    sandbox.add_task("alpha", "stuck", STUCK).expect("add");
    // An orphan sidecar, and a claim nobody holds (as if left by hand).
    let inbox = sandbox.projects_dir.join("gamma/.agent-queue/inbox");
    std::fs::write(inbox.join("gone.md.blocked"), "waiting on x:y\n").expect("orphan sidecar");
    let mut daemon = DaemonProcess::start(&sandbox, "watchdog");
    sandbox
        .add_task("beta", "slowish", "Takes a while.")
        .expect("add");
    let claimed = sandbox
        .add_task("gamma", "left-behind", "Claimed by nobody.")
        .expect("add");
    let _ = std::fs::rename(&claimed, claimed.with_extension("md.dispatched"));

    wait_until(Duration::from_secs(20), "blocked-too-long report", || {
        daemon.log_text().contains("blocked_too_long")
    });
    wait_until(Duration::from_secs(20), "the stale report", || {
        daemon.log_text().contains("stale ")
    });
    wait_until(
        Duration::from_secs(30),
        "the left-behind claim runs",
        || is_done(&sandbox, "gamma", "left-behind"),
    );
    assert_eq!(prompts_for(&sandbox, "left-behind").len(), 1);
    assert!(
        !inbox.join("gone.md.blocked").exists(),
        "the janitor removed the orphan sidecar"
    );

    let status = cli_json(&sandbox, &["status", "--json"]);
    let blocked = status["blocked"].as_array().expect("blocked list");
    assert_eq!(blocked.len(), 1, "{status}");
    assert!(
        blocked[0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("beta:never"))
            && blocked[0]["since"].is_string(),
        "{status}"
    );
    let tasks = cli_json(&sandbox, &["tasks", "--json"]);
    let state_of = |file: &str| {
        tasks.as_array().and_then(|a| {
            a.iter()
                .find(|t| t["file"] == file)
                .map(|t| t["state"].clone())
        })
    };
    assert_eq!(state_of("stuck.md"), Some("blocked".into()), "{tasks}");
    assert_eq!(state_of("left-behind.md"), Some("done".into()), "{tasks}");

    daemon.wait_for_more("watchdog round done", 3, Duration::from_secs(10));
    assert_eq!(
        daemon.log_text().matches("blocked_too_long").count(),
        1,
        "reported once"
    );
    assert!(daemon.stop());
}

#[test]
fn fail_blocked_moves_the_task_to_failed() {
    let mut spec = support::spec();
    spec.extra_yaml = format!("{FAST_WATCHDOG}  fail_blocked: true\n");
    let sandbox = Sandbox::create(&spec).expect("sandbox");
    sandbox.add_task("alpha", "stuck", STUCK).expect("add");
    let mut daemon = DaemonProcess::start(&sandbox, "failblocked");
    wait_until(Duration::from_secs(20), "the task is failed", || {
        support::is_finished_in(&sandbox, "alpha", "failed", "stuck")
    });
    let text = sandbox
        .read_file_in("alpha", "failed", "stuck.md")
        .ok_or("no failed file")
        .expect("read");
    assert!(
        text.contains("Waits forever.")
            && text.contains("blocked for")
            && text.contains("beta:never"),
        "{text}"
    );
    assert!(
        sandbox.files_in("alpha", "inbox").is_empty(),
        "no sidecar left: {:?}",
        sandbox.files_in("alpha", "inbox")
    );
    assert!(sandbox.records().is_empty(), "it never ran");
    assert!(daemon.stop());
}

#[test]
fn a_session_killed_by_hand_gets_its_task_resumed_in_its_conversation() {
    let mut spec = support::spec();
    spec.pool_size = 1;
    spec.work = "1s".into();
    let sandbox = Sandbox::create(&spec).expect("sandbox");
    sandbox
        .add_task("alpha", "victim", "Long task. fake-agent:work=20s")
        .expect("add");
    let mut daemon = DaemonProcess::start(&sandbox, "killed");
    wait_until(Duration::from_secs(20), "the task runs", || {
        prompts_for(&sandbox, "victim").len() == 1
    });
    let first = prompts_for(&sandbox, "victim")[0]["session_id"].clone();
    // The conversation id is known once the SessionStart hook ran (the agent took the task).
    wait_until(
        Duration::from_secs(20),
        "the daemon sees it working",
        || {
            daemon.log_text().lines().any(|l| {
                l.contains("working") && l.contains("alpha/victim") && l.contains("submitted")
            })
        },
    );
    sandbox
        .tmux_command(&["kill-session", "-t", "=cf-pool-1"])
        .expect("kill the session");
    wait_until(Duration::from_secs(30), "the task done", || {
        support::is_done(&sandbox, "alpha", "victim")
    });
    let resumed: Vec<_> = sandbox
        .records()
        .into_iter()
        .filter(|r| r["prompt"] == "Continue from where you left off.")
        .collect();
    assert_eq!(
        prompts_for(&sandbox, "victim").len(),
        1,
        "the task text went once"
    );
    assert_eq!(resumed.len(), 1, "resumed once");
    assert_eq!(resumed[0]["session_id"], first, "in its own conversation");
    assert_eq!(resumed[0]["resumed"], true);
    assert!(daemon.log_text().contains("vanished before finishing"));
    assert!(sandbox.files_in("alpha", "failed").is_empty());
    assert!(daemon.stop());
}
