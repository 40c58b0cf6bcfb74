//! (f) Both accounts run out within a minute of each other, resetting two minutes later, with
//! the default five-minute cooldown after a swap: B's limit on the resumed turns is new evidence
//! and is acted on at once (dispatching pauses, status says until when and why); the same limit
//! line seen on every poll is logged once per session and turn; after the earliest reset every
//! task finishes once, resumed in its own conversation. Daemon in-process on a fake clock.

mod support;

use std::sync::Arc;

use claude_failover::sandbox::Sandbox;
use jiff::{SignedDuration, Timestamp};
use support::in_process::{CapturedLog, OffsetClock, wait_for};
use support::{continues_on, is_done, prompts_for};

fn status_json(sandbox: &Sandbox) -> serde_json::Value {
    serde_json::from_str(&support::cli_stdout(sandbox, &["status", "--json"])).expect("json")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_accounts_out_pause_then_everything_resumes_once_in_its_conversation() {
    let log = CapturedLog::install();
    let mut spec = support::spec();
    spec.accounts = vec!["a".into(), "b".into()];
    spec.pool_size = 2;
    spec.work = "2s".into();
    let sandbox = Sandbox::create(&spec).expect("sandbox");
    let b_dir = sandbox.root().join("accounts/b");
    let clock = Arc::new(OffsetClock::default());
    let (daemon, _notices) = sandbox.start_daemon(clock.clone()).await.expect("start");
    let tasks = [("alpha", "long1"), ("beta", "long2")];
    for (project, id) in tasks {
        sandbox
            .add_task(project, id, &format!("Long {id}. fake-agent:work=120s"))
            .expect("add");
    }
    wait_for("two tasks on account a", || {
        tasks
            .iter()
            .all(|(_, id)| prompts_for(&sandbox, id).len() == 1)
    })
    .await;

    // B is out first (nobody runs on it yet), then A, within seconds: both reset in 2 min. B
    // imitates 2.1.329, which arms its own continue at the reset.
    let reset = Timestamp::now()
        .checked_add(SignedDuration::from_mins(2))
        .expect("instant");
    std::fs::write(b_dir.join("fake-quota"), format!("5h-new reset={reset}")).expect("b out");
    std::fs::write(
        sandbox.account_dir.join("fake-quota"),
        format!("session reset={reset}"),
    )
    .expect("a out");

    // The resumed turns on B hit B's limit at once, inside the cooldown after the swap: acted
    // on all the same.
    wait_for("two resumes on b", || {
        continues_on(&sandbox, "b").len() == 2
    })
    .await;
    wait_for("dispatching paused", || {
        status_json(&sandbox)["paused"] == true
    })
    .await;
    let status = status_json(&sandbox);
    assert!(
        status["paused_until"].as_str().is_some(),
        "status says until when: {status}"
    );
    let why = status["paused_why"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        why.contains("a out of quota until") && why.contains("b out of quota until"),
        "status says why: {why}"
    );
    let text = support::cli_stdout(&sandbox, &["status"]);
    assert!(text.contains("dispatching paused until"), "{text}");
    // One party resumes: the clients' own continue at the reset was cancelled (Esc).
    wait_for("both clients' auto-continue cancelled", || {
        ["cf-pool-1", "cf-pool-2"].iter().all(|name| {
            sandbox
                .tmux_command(&["capture-pane", "-p", "-t", &format!("={name}:")])
                .map(|out| {
                    String::from_utf8_lossy(&out.stdout).contains("Automatic continue cancelled")
                })
                .unwrap_or(false)
        })
    })
    .await;

    // Many polls later, each session's limit line was logged once per turn (A's, then B's).
    let polls_before = log.text().matches("dispatch pass skipped").count();
    sandbox
        .add_task("gamma", "waits", "Waits for a reset.")
        .expect("add");
    wait_for("more dispatch passes skipped", || {
        log.text().matches("dispatch pass skipped").count() >= polls_before + 3
    })
    .await;
    let logged = log
        .text()
        .lines()
        .filter(|l| l.contains("INFO") && l.contains("quota signal on screen"))
        .count();
    assert!(
        logged <= 4,
        "logged once per session and turn, not per poll: {logged}"
    );
    assert!(
        prompts_for(&sandbox, "waits").is_empty(),
        "nothing dispatched while paused"
    );

    // The reset passes (the fake clock moves on; the switches go): everything resumes by itself.
    std::fs::remove_file(sandbox.account_dir.join("fake-quota")).expect("a back");
    std::fs::remove_file(b_dir.join("fake-quota")).expect("b back");
    clock.set_offset_secs(3 * 60);
    wait_for("every task done", || {
        tasks.iter().all(|(p, id)| is_done(&sandbox, p, id)) && is_done(&sandbox, "gamma", "waits")
    })
    .await;
    support::assert_each_ran_once_and_none_failed(&sandbox, &tasks);
    let on_a = continues_on(&sandbox, "a");
    assert_eq!(
        on_a.len(),
        2,
        "each interrupted task resumed once on a: {on_a:?}"
    );
    for (_, id) in tasks {
        let conversation = &prompts_for(&sandbox, id)[0]["session_id"];
        assert!(
            on_a.iter().any(|r| &r["session_id"] == conversation),
            "{id} resumed in its own conversation"
        );
    }
    daemon.stop().await.expect("the daemon stops cleanly");
}
