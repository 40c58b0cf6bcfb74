//! Account failover end to end on a real tmux server: account A hits its session limit while
//! three pool sessions work and a dedicated session holds a conversation; every pool session
//! moves to account B and finishes its task exactly once, the dedicated session is relaunched
//! on B with its own conversation, and the swap is recorded. A 5xx banner swaps nothing.

mod support;

use std::time::Duration;

use claude_failover::sandbox::Sandbox;
use support::{DaemonProcess, is_done, prompts_for, wait_until};

const TASKS: [(&str, &str); 3] = [("alpha", "f1"), ("beta", "f2"), ("gamma", "f3")];

fn two_account_sandbox() -> Sandbox {
    let mut spec = support::spec();
    spec.accounts = vec!["a".into(), "b".into()];
    spec.pool_size = 3;
    spec.work = "1s".into();
    spec.dedicated = vec![("ccl-1-alpha".into(), "alpha".into())];
    Sandbox::create(&spec).expect("sandbox")
}

/// Queues the three long tasks and waits until each is working on account A.
fn start_long_tasks_on_account_a(sandbox: &Sandbox) {
    for (project, id) in TASKS {
        sandbox
            .add_task(project, id, &format!("Long task {id}. fake-agent:work=60s"))
            .expect("add");
    }
    wait_until(
        Duration::from_secs(30),
        "three tasks working on account A",
        || {
            TASKS.iter().all(|(_, id)| {
                let prompts = prompts_for(sandbox, id);
                prompts.len() == 1 && prompts[0]["account_marker"] == "a"
            })
        },
    );
}

fn continue_prompts(sandbox: &Sandbox) -> Vec<serde_json::Value> {
    sandbox
        .records()
        .into_iter()
        .filter(|r| r["prompt"] == "Continue from where you left off.")
        .collect()
}

fn cli(sandbox: &Sandbox, args: &[&str]) -> String {
    support::cli_stdout(sandbox, args)
}

/// Starts the operator's own conversation in the dedicated session, on account A.
fn start_dedicated_conversation(sandbox: &Sandbox) {
    let project = sandbox.projects_dir.join("alpha");
    let command = format!(
        "cd '{}' && CLAUDE_CONFIG_DIR='{}' IS_SANDBOX=1 FAKE_AGENT_RECORD='{}' FAKE_AGENT_WORK=200ms '{}' fake-agent --dangerously-skip-permissions",
        project.display(),
        sandbox.account_dir.display(),
        sandbox.record_path.display(),
        support::binary().display()
    );
    let out = sandbox
        .tmux_command(&[
            "new-session",
            "-d",
            "-s",
            "ccl-1-alpha",
            "-x",
            "200",
            "-y",
            "50",
            &command,
        ])
        .expect("tmux");
    assert!(out.status.success());
    let screen = || {
        String::from_utf8_lossy(
            &sandbox
                .tmux_command(&["capture-pane", "-p", "-t", "=ccl-1-alpha:"])
                .expect("tmux")
                .stdout,
        )
        .into_owned()
    };
    wait_until(
        Duration::from_secs(20),
        "the dedicated agent is ready",
        || screen().contains("❯\u{a0}"),
    );
    sandbox
        .tmux_command(&[
            "send-keys",
            "-t",
            "=ccl-1-alpha:",
            "-l",
            "operator conversation one",
        ])
        .expect("type");
    sandbox
        .tmux_command(&["send-keys", "-t", "=ccl-1-alpha:", "Enter"])
        .expect("enter");
    wait_until(
        Duration::from_secs(20),
        "the operator's turn is done",
        || screen().contains("Worked for"),
    );
}

#[test]
fn a_session_limit_moves_every_session_to_the_other_account() {
    let sandbox = two_account_sandbox();
    let mut daemon = DaemonProcess::start(&sandbox, "failover");
    wait_until(Duration::from_secs(20), "links and hooks ready", || {
        sandbox.root().join("shared/projects").is_dir()
    });
    start_dedicated_conversation(&sandbox);
    let signals = sandbox.root().join("signals");
    let dedicated_id = || std::fs::read_to_string(signals.join("agent-session-ccl-1-alpha")).ok();
    wait_until(
        Duration::from_secs(10),
        "the dedicated conversation id is known",
        || dedicated_id().is_some(),
    );
    let id_before = dedicated_id().unwrap_or_default();

    start_long_tasks_on_account_a(&sandbox);

    // Account A runs out of quota: every running turn ends on the limit.
    std::fs::write(sandbox.account_dir.join("fake-quota"), "session").expect("exhaust account a");
    wait_until(
        Duration::from_secs(20),
        "every pool session resumed on account B",
        || {
            let resumed = continue_prompts(&sandbox);
            resumed.len() >= 3
                && resumed
                    .iter()
                    .all(|r| r["account_marker"] == "b" && r["resumed"] == true)
        },
    );
    wait_until(
        Duration::from_secs(30),
        "every interrupted task done",
        || TASKS.iter().all(|(p, id)| is_done(&sandbox, p, id)),
    );
    for (project, id) in TASKS {
        assert_eq!(
            prompts_for(&sandbox, id).len(),
            1,
            "{project}/{id}: the task text was sent once (the resume says continue)"
        );
        let done = sandbox
            .read_file_in(project, "done", &format!("{id}.md"))
            .expect("done");
        assert!(
            done.contains("- account: b"),
            "{id} finished on account b: {done}"
        );
        assert!(sandbox.files_in(project, "failed").is_empty());
    }
    assert_eq!(
        continue_prompts(&sandbox).len(),
        3,
        "one continue per interrupted task"
    );

    // The dedicated session: relaunched on B with its own conversation.
    let screen = String::from_utf8_lossy(
        &sandbox
            .tmux_command(&["capture-pane", "-p", "-t", "=ccl-1-alpha:"])
            .expect("tmux")
            .stdout,
    )
    .into_owned();
    assert!(
        screen.contains("operator conversation one"),
        "the conversation was resumed (history replayed):\n{screen}"
    );
    wait_until(
        Duration::from_secs(10),
        "the resumed dedicated agent reports the same conversation",
        || {
            dedicated_id().is_some_and(|now| {
                now.contains(
                    &id_before[id_before.find("session_id").unwrap_or(0)..]
                        [..60.min(id_before.len())],
                )
            })
        },
    );
    // An agent (not a shell) owns the dedicated session's screen: its input line is there.
    let reading = cf_core::screen::classify(&screen);
    assert_ne!(
        reading.state,
        cf_core::screen::ScreenState::NoAgent,
        "an agent runs in the dedicated session:\n{screen}"
    );

    let swaps = cli(&sandbox, &["swaps", "--json"]);
    let swaps: serde_json::Value = serde_json::from_str(&swaps).expect("json");
    assert_eq!(swaps.as_array().map(Vec::len), Some(1), "{swaps}");
    assert_eq!(swaps[0]["from_account"], "a");
    assert_eq!(swaps[0]["to_account"], "b");
    assert_eq!(swaps[0]["pattern"], "session-limit");
    assert!(
        swaps[0]["reset_at"].is_string(),
        "the reset time was read: {swaps}"
    );
    let status: serde_json::Value =
        serde_json::from_str(&cli(&sandbox, &["status", "--json"])).expect("json");
    let active: Vec<&serde_json::Value> = status["accounts"]
        .as_array()
        .expect("accounts")
        .iter()
        .filter(|a| a["active"] == true)
        .collect();
    assert_eq!(active.len(), 1);
    assert_eq!(active[0]["name"], "b");

    // New work now runs on B.
    sandbox
        .add_task("alpha", "after", "After the swap.")
        .expect("add");
    wait_until(Duration::from_secs(30), "new work done", || {
        is_done(&sandbox, "alpha", "after")
    });
    assert_eq!(prompts_for(&sandbox, "after")[0]["account_marker"], "b");
    assert!(daemon.stop());
}

#[test]
fn a_server_error_is_not_a_quota_hit() {
    let mut spec = support::spec();
    spec.accounts = vec!["a".into(), "b".into()];
    spec.extra_yaml = "retry:\n  initial_backoff: 1s\n".into();
    let sandbox = Sandbox::create(&spec).expect("sandbox");
    let mut daemon = DaemonProcess::start(&sandbox, "no-swap");
    sandbox
        .add_task(
            "alpha",
            "e500",
            "Fails on the server side. fake-agent:error=500",
        )
        .expect("add");
    sandbox
        .add_task("beta", "fine", "A normal task.")
        .expect("add");
    // A 500 is transient: the task is resumed in its conversation (the continue carries no
    // error directive, so it works) and ends in done/ with the failed attempt in its footer.
    wait_until(Duration::from_secs(30), "both tasks done", || {
        is_done(&sandbox, "alpha", "e500") && is_done(&sandbox, "beta", "fine")
    });
    let done = sandbox
        .read_file_in("alpha", "done", "e500.md")
        .unwrap_or_default();
    assert!(
        done.contains("- attempt: 1 ") && done.contains("on a: server_error: API Error: 500"),
        "{done}"
    );
    assert_eq!(
        prompts_for(&sandbox, "e500").len(),
        1,
        "the task text went once"
    );
    assert_eq!(
        continue_prompts(&sandbox).len(),
        1,
        "one continue resumed it"
    );
    let swaps = cli(&sandbox, &["swaps"]);
    assert!(swaps.contains("no swaps"), "{swaps}");
    assert!(
        sandbox.records().iter().all(|r| r["account_marker"] == "a"),
        "everything stayed on account a"
    );
    assert!(daemon.stop());
}

#[test]
fn a_swap_by_hand_moves_to_the_named_account() {
    let sandbox = two_account_sandbox();
    let mut daemon = DaemonProcess::start(&sandbox, "by-hand");
    wait_until(Duration::from_secs(20), "daemon up", || {
        daemon.log_text().contains("started")
    });
    let out = cli(&sandbox, &["swap", "--to", "b"]);
    assert!(out.contains("a -> b") && out.contains("by hand"), "{out}");
    sandbox
        .add_task("gamma", "on-b", "Runs on b.")
        .expect("add");
    wait_until(Duration::from_secs(30), "done", || {
        is_done(&sandbox, "gamma", "on-b")
    });
    assert_eq!(prompts_for(&sandbox, "on-b")[0]["account_marker"], "b");
    assert!(daemon.stop());
}

#[test]
fn a_limit_without_reset_time_needs_two_polls_then_swaps() {
    let sandbox = two_account_sandbox();
    let mut daemon = DaemonProcess::start(&sandbox, "no-reset");
    start_long_tasks_on_account_a(&sandbox);
    std::fs::write(sandbox.account_dir.join("fake-quota"), "usage").expect("exhaust account a");
    wait_until(
        Duration::from_secs(20),
        "every pool session resumed on account B",
        || {
            continue_prompts(&sandbox)
                .iter()
                .filter(|r| r["account_marker"] == "b")
                .count()
                == 3
        },
    );
    assert!(
        daemon.log_text().contains("confirming on the next poll"),
        "a hit without a reset time waits for a second poll"
    );
    let swaps: serde_json::Value =
        serde_json::from_str(&cli(&sandbox, &["swaps", "--json"])).expect("json");
    assert_eq!(swaps.as_array().map(Vec::len), Some(1), "{swaps}");
    assert_eq!(swaps[0]["pattern"], "usage-limit");
    assert!(
        swaps[0]["reset_at"].is_null(),
        "no reset time was shown: {swaps}"
    );
    wait_until(Duration::from_secs(30), "every task done", || {
        TASKS.iter().all(|(p, id)| is_done(&sandbox, p, id))
    });
    assert!(daemon.stop());
}

#[test]
fn the_rate_limit_menu_is_answered_with_stop_and_wait_never_upgrade() {
    // One account: nowhere to swap to, so the sessions stay and the menu is answered in place.
    let mut spec = support::spec();
    spec.pool_size = 1;
    let sandbox = Sandbox::create(&spec).expect("sandbox");
    let mut daemon = DaemonProcess::start(&sandbox, "menu");
    sandbox
        .add_task("alpha", "m1", "Long task. fake-agent:work=60s")
        .expect("add");
    wait_until(Duration::from_secs(30), "the task works", || {
        prompts_for(&sandbox, "m1").len() == 1
    });
    std::fs::write(sandbox.account_dir.join("fake-quota"), "menu").expect("exhaust the account");
    let choices = || -> Vec<String> {
        sandbox
            .records()
            .iter()
            .filter(|r| r["event"] == "menu_choice")
            .filter_map(|r| r["choice"].as_str().map(str::to_string))
            .collect()
    };
    wait_until(Duration::from_secs(20), "the menu was answered", || {
        !choices().is_empty()
    });
    assert_eq!(
        choices(),
        vec!["Stop and wait for limit to reset".to_string()],
        "never the upgrade"
    );
    wait_until(Duration::from_secs(20), "dispatching pauses", || {
        daemon.log_text().contains("paused")
    });
    sandbox
        .add_task("beta", "later", "Must wait.")
        .expect("add");
    // The daemon saw the new task and skipped the dispatch pass (not merely: did not look yet).
    daemon.wait_for_more(
        "dispatch pass skipped with 1 task(s) queued",
        1,
        Duration::from_secs(10),
    );
    assert!(
        prompts_for(&sandbox, "later").is_empty(),
        "nothing is dispatched while the only account is out"
    );
    assert!(
        sandbox.files_in("alpha", "failed").is_empty()
            && sandbox.files_in("alpha", "done").is_empty(),
        "the interrupted task is kept"
    );
    let status: serde_json::Value =
        serde_json::from_str(&cli(&sandbox, &["status", "--json"])).expect("json");
    assert!(
        status["paused_until"].is_string(),
        "status reports the wait: {status}"
    );
    assert!(daemon.stop());
}
