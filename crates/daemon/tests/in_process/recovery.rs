//! A restart after the daemon died (SIGKILL) finds what the last run left: a task still running
//! in its session is adopted, never sent again; a task whose session is gone goes on in its own
//! conversation in a fresh session.

use crate::agent::Ending;
use crate::harness::{Harness, Spec};

#[tokio::test(start_paused = true)]
async fn a_task_still_running_after_a_crash_is_adopted_not_sent_again() {
    let mut h = Harness::new(&Spec::default());
    h.start().await;
    h.add_task("alpha", "t1", "Refactor the parser.");
    let (session, _) = h.until_one_runs().await;
    h.crash().await;
    // The agent works on while no daemon runs (tmux outlives it).
    h.start().await;
    h.end_turn(&session, Ending::Reply);
    h.until("t1 is done", |h| h.is_done("alpha", "t1")).await;
    assert_eq!(h.term.prompts_of("t1.md").len(), 1, "never sent again");
    h.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_task_whose_session_died_with_the_daemon_resumes_its_own_conversation() {
    let mut h = Harness::new(&Spec::default());
    h.start().await;
    h.add_task("beta", "t2", "Port the tests.");
    let (_, conversation) = h.until_one_runs().await;
    h.crash().await;
    h.term.kill_server();
    h.start().await;
    let resumed = h.until_continued(&conversation, None).await;
    h.end_turn(&resumed, Ending::Reply);
    h.until("t2 is done", |h| h.is_done("beta", "t2")).await;
    assert_eq!(
        h.term.prompts_of("t2.md").len(),
        1,
        "the task text went once"
    );
    h.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_start_waits_for_the_lock_of_a_daemon_that_is_dying() {
    let mut h = Harness::new(&Spec::default());
    let state = h.root.join("state");
    std::fs::create_dir_all(&state).expect("state dir");
    // The dead daemon's forked child still holds the lock for a moment.
    let dying = cf_daemon::lock::StateLock::acquire(&state).expect("lock");
    let release = tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        drop(dying);
    });
    let before = tokio::time::Instant::now();
    h.try_start()
        .await
        .expect("it starts once the lock is free");
    assert!(
        before.elapsed() >= std::time::Duration::from_secs(1),
        "it waited"
    );
    release.await.expect("released");
    h.stop().await;

    // A daemon that keeps running is reported after the wait.
    let _alive = cf_daemon::lock::StateLock::acquire(&state).expect("lock");
    let before = tokio::time::Instant::now();
    let refused = h.try_start().await.expect_err("another daemon runs");
    assert!(before.elapsed() >= cf_daemon::lock::LOCK_WAIT);
    assert!(
        refused
            .to_string()
            .contains("another claude-failover daemon"),
        "{refused}"
    );
}

#[tokio::test(start_paused = true)]
async fn what_the_running_process_cost_before_a_crash_is_counted_once() {
    // Adopted: the agent still works after the restart, and ends without reporting again.
    let mut h = Harness::new(&Spec::default());
    h.start().await;
    h.add_task("alpha", "a1", "Keep working.");
    let (session, _) = h.until_one_runs().await;
    h.report_cost(&session, "a", 0.10);
    h.crash().await;
    // The start adopts it (recovery is part of the start).
    h.start().await;
    h.end_turn(&session, Ending::Reply);
    h.until("a1 is done", |h| h.is_done("alpha", "a1")).await;
    let done = h.read("alpha", "done", "a1");
    assert!(
        done.contains("- cost: $0.100000"),
        "its last report: {done}"
    );
    h.stop().await;

    // Interrupted: the tmux server died with the daemon; its conversation goes on afresh.
    let mut h = Harness::new(&Spec::default());
    h.start().await;
    h.add_task("beta", "b1", "Keep working.");
    let (session, conversation) = h.until_one_runs().await;
    h.report_cost(&session, "a", 0.10);
    h.crash().await;
    h.term.kill_server();
    h.start().await;
    let resumed = h.until_continued(&conversation, None).await;
    h.report_cost(&resumed, "a", 0.05);
    h.end_turn(&resumed, Ending::Reply);
    h.until("b1 is done", |h| h.is_done("beta", "b1")).await;
    let done = h.read("beta", "done", "b1");
    assert!(done.contains("- cost: $0.150000"), "both processes: {done}");
    h.stop().await;
}
