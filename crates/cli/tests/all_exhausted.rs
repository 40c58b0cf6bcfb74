//! Every account out of quota: dispatching pauses (tasks stay safe) and resumes on its own once
//! the earliest reset passes — driven by a fake clock, with the daemon in-process.

mod support;

use std::sync::Arc;
use std::time::Duration;

use cf_daemon::NoticeKind;
use claude_failover::sandbox::Sandbox;
use jiff::{SignedDuration, Timestamp};
use support::in_process::{CapturedLog, OffsetClock, wait_for};
use support::{is_done, prompts_for};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dispatch_pauses_until_the_earliest_reset() {
    let log = CapturedLog::install();
    let mut spec = support::spec();
    spec.accounts = vec!["a".into(), "b".into()];
    spec.pool_size = 2;
    // Resumed turns ("continue") are short: once the accounts are back they finish, and the
    // task waiting in the inbox gets a session.
    spec.work = "2s".into();
    spec.extra_yaml = "quota:\n  reactivate_cooldown: 1s\n".into();
    let sandbox = Sandbox::create(&spec).expect("sandbox");
    let b_dir = sandbox.root().join("accounts/b");
    let clock = Arc::new(OffsetClock::default());
    let (daemon, mut notices) = sandbox.start_daemon(clock.clone()).await.expect("start");

    sandbox
        .add_task("alpha", "long1", "Long one. fake-agent:work=120s")
        .expect("add");
    sandbox
        .add_task("beta", "long2", "Long two. fake-agent:work=120s")
        .expect("add");
    wait_for("two tasks on account a", || {
        ["long1", "long2"]
            .iter()
            .all(|id| prompts_for(&sandbox, id).len() == 1)
    })
    .await;

    // B is out (resets in 3 h; nobody runs on it yet), then A (resets in 2 h): the tasks move
    // to B, whose limit their resumed turns meet at once. Nothing is left.
    let in_hours = |h: i64| {
        Timestamp::now()
            .checked_add(SignedDuration::from_hours(h))
            .expect("instant")
            .to_string()
    };
    std::fs::write(
        b_dir.join("fake-quota"),
        format!("session reset={}", in_hours(3)),
    )
    .expect("exhaust b");
    std::fs::write(
        sandbox.account_dir.join("fake-quota"),
        format!("session reset={}", in_hours(2)),
    )
    .expect("exhaust a");
    wait_for("resumed on b", || {
        sandbox
            .records()
            .iter()
            .filter(|r| {
                r["prompt"] == "Continue from where you left off." && r["account_marker"] == "b"
            })
            .count()
            == 2
    })
    .await;
    let paused = tokio::time::timeout(Duration::from_secs(40), async {
        loop {
            match notices.recv().await {
                Ok(n) if n.kind == NoticeKind::Paused => break n,
                Ok(n) => eprintln!("notice: {n}"),
                Err(e) => panic!("notices closed: {e}"),
            }
        }
    })
    .await
    .expect("dispatching pauses");
    assert!(paused.detail.contains("pauses until"), "{}", paused.detail);

    // While paused, a new task waits safely in the inbox.
    sandbox
        .add_task(
            "gamma",
            "waits",
            "Must wait for a reset. fake-agent:work=1s",
        )
        .expect("add");
    // The daemon saw the new task and skipped the dispatch pass (not merely: did not look yet).
    wait_for("a dispatch pass skipped with the task queued", || {
        log.text()
            .contains("dispatch pass skipped with 1 task(s) queued")
    })
    .await;
    assert!(
        prompts_for(&sandbox, "waits").is_empty(),
        "no dispatch while every account is out"
    );
    assert!(
        sandbox
            .files_in("gamma", "inbox")
            .contains(&"waits.md".to_string())
    );

    // A resets (the clock passes its reset): work resumes on A by itself.
    std::fs::remove_file(sandbox.account_dir.join("fake-quota")).expect("a has quota again");
    clock.set_offset_secs(2 * 3600 + 120);
    wait_for("the new task ran on a", || {
        prompts_for(&sandbox, "waits")
            .first()
            .is_some_and(|r| r["account_marker"] == "a")
    })
    .await;
    wait_for("the interrupted tasks resumed on a", || {
        sandbox
            .records()
            .iter()
            .filter(|r| {
                r["prompt"] == "Continue from where you left off." && r["account_marker"] == "a"
            })
            .count()
            == 2
    })
    .await;
    wait_for("the waiting task is done", || {
        is_done(&sandbox, "gamma", "waits")
    })
    .await;
    // The resumed tasks get their whole idle timeout again: the clock's two-hour jump is no
    // reason to time them out.
    wait_for("the interrupted tasks are done", || {
        is_done(&sandbox, "alpha", "long1") && is_done(&sandbox, "beta", "long2")
    })
    .await;
    assert!(
        sandbox.files_in("alpha", "failed").is_empty(),
        "nothing failed"
    );
    assert!(
        sandbox.files_in("beta", "failed").is_empty(),
        "nothing failed"
    );
    daemon.stop().await.expect("the daemon stops cleanly");
}
