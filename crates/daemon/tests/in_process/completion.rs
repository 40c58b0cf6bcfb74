//! Dispatch and the three ways a turn is seen to be over: the Stop hook's signal, a screen that
//! stays idle, and the idle timeout.

use crate::agent::Ending;
use crate::harness::{Harness, Spec};

#[tokio::test(start_paused = true)]
async fn a_task_is_dispatched_and_done_on_the_stop_hook() {
    let mut h = Harness::new(&Spec::default());
    h.start().await;
    h.add_task("alpha", "t1", "Fix the login bug.");
    h.until("t1 is submitted", |h| h.term.prompts_of("t1.md").len() == 1)
        .await;
    let sent = h.term.prompts_of("t1.md");
    assert!(sent[0].prompt.contains("Fix the login bug."), "{sent:?}");
    let session = sent[0].session.clone();
    h.until_working(&session).await;
    h.end_turn(&session, Ending::Reply);
    h.until("t1 is done", |h| h.is_done("alpha", "t1")).await;
    let done = h.read("alpha", "done", "t1");
    assert!(done.contains("Fix the login bug."), "{done}");
    assert!(
        done.contains("- outcome: completed (done signal)"),
        "the footer names the signal: {done}"
    );
    assert_eq!(h.term.prompts_of("t1.md").len(), 1, "sent once");
    h.stop().await;
}

#[tokio::test(start_paused = true)]
async fn without_hooks_a_screen_that_stays_idle_ends_the_task() {
    let mut h = Harness::new(&Spec::default());
    h.term.set_hooks(false);
    h.start().await;
    h.add_task("beta", "t2", "Write the changelog.");
    let (session, _) = h.until_one_runs().await;
    h.end_turn(&session, Ending::Reply);
    h.until("t2 is done", |h| h.is_done("beta", "t2")).await;
    let done = h.read("beta", "done", "t2");
    assert!(
        done.contains("- outcome: completed (idle screen)"),
        "the footer says the screen told: {done}"
    );
    assert_eq!(h.term.prompts_of("t2.md").len(), 1, "sent once");
    h.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_turn_that_never_ends_times_out_and_fails() {
    let mut h = Harness::new(&Spec::default());
    h.start().await;
    h.add_task("alpha", "slow", "Think forever.");
    h.until_one_runs().await;
    let before = tokio::time::Instant::now();
    h.until("slow fails", |h| h.is_failed("alpha", "slow"))
        .await;
    let waited = before.elapsed();
    assert!(
        waited >= std::time::Duration::from_secs(30 * 60),
        "not before watcher.idle_timeout (30m): {waited:?}"
    );
    let failed = h.read("alpha", "failed", "slow");
    assert!(failed.contains("- outcome: timed out"), "{failed}");
    assert!(!h.is_done("alpha", "slow"));
    h.stop().await;
}

#[tokio::test(start_paused = true)]
async fn tasks_of_both_projects_run_side_by_side_in_the_pool() {
    let mut h = Harness::new(&Spec::default());
    h.start().await;
    h.add_task("alpha", "a1", "First.");
    h.add_task("beta", "b1", "Second.");
    h.add_task("alpha", "a2", "Third.");
    h.until("two run at once", |h| h.term.working_sessions().len() == 2)
        .await;
    assert!(
        h.term.prompts_of("a2.md").is_empty(),
        "a pool of two runs two tasks"
    );
    for session in h.term.working_sessions() {
        h.end_turn(&session, Ending::Reply);
    }
    h.finish_task("a2").await;
    h.until("all done", |h| {
        h.is_done("alpha", "a1") && h.is_done("beta", "b1") && h.is_done("alpha", "a2")
    })
    .await;
    for task in ["a1.md", "b1.md", "a2.md"] {
        assert_eq!(h.term.prompts_of(task).len(), 1, "{task} sent once");
    }
    h.stop().await;
}
