//! The dependency gate: a task waits (its `.blocked` sidecar written) until what it depends on
//! is in the other project's `done/`, and then runs once.

use crate::harness::{Harness, Spec};

#[tokio::test(start_paused = true)]
async fn a_task_waits_for_its_dependency_and_runs_once_it_is_done() {
    let mut h = Harness::new(&Spec::default());
    h.start().await;
    h.add_task("beta", "b2", "---\ndepends_on: [alpha:a1]\n---\nSecond.");
    h.until("b2 is blocked", |h| {
        h.files("beta", "inbox")
            .contains(&"b2.md.blocked".to_string())
    })
    .await;
    assert!(h.term.submitted().is_empty(), "nothing runs yet");
    h.add_task("alpha", "a1", "First.");
    h.until("a1 runs", |h| h.term.prompts_of("a1.md").len() == 1)
        .await;
    assert!(
        h.term.prompts_of("b2.md").is_empty(),
        "b2 waits while a1 runs, though a session is free"
    );
    h.finish_task("a1").await;
    h.until("b2 runs", |h| h.term.prompts_of("b2.md").len() == 1)
        .await;
    assert!(h.is_done("alpha", "a1"), "b2 only after a1 is in done/");
    assert!(
        !h.files("beta", "inbox")
            .contains(&"b2.md.blocked".to_string()),
        "the sidecar is gone once it runs"
    );
    h.finish_task("b2").await;
    h.until("b2 is done", |h| h.is_done("beta", "b2")).await;
    assert_eq!(h.term.prompts_of("b2.md").len(), 1, "sent once");
    h.stop().await;
}
