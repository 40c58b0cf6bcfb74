//! Turns that end on an API error or an interruption: a server error keeps the task and goes on
//! in its conversation after the backoff; an expired login marks the account and moves the
//! work to another; a session killed by hand goes on in its conversation. None is done early.

use crate::agent::Ending;
use crate::harness::{Harness, Spec};

#[tokio::test(start_paused = true)]
async fn a_server_error_keeps_the_task_and_goes_on_after_the_backoff() {
    let mut h = Harness::new(&Spec::default());
    h.start().await;
    h.add_task("alpha", "t1", "Migrate the schema.");
    let (session, conversation) = h.until_one_runs().await;
    h.end_turn(&session, Ending::ApiError(500));
    let resumed = h.until_continued(&conversation, None).await;
    assert!(
        !h.is_done("alpha", "t1") && !h.is_failed("alpha", "t1"),
        "a server error neither finishes nor fails the task"
    );
    h.end_turn(&resumed, Ending::Reply);
    h.until("t1 is done", |h| h.is_done("alpha", "t1")).await;
    let done = h.read("alpha", "done", "t1");
    assert!(
        done.contains("500"),
        "the footer lists the failed attempt: {done}"
    );
    assert_eq!(
        h.term.prompts_of("t1.md").len(),
        1,
        "the task text went once"
    );
    h.stop().await;
}

#[tokio::test(start_paused = true)]
async fn an_expired_login_marks_the_account_and_the_task_goes_on_on_another() {
    let mut h = Harness::new(&Spec {
        accounts: vec!["a", "b"],
        pool: 1,
        ..Spec::default()
    });
    h.start().await;
    h.add_task("beta", "t2", "Update the docs.");
    let (session, conversation) = h.until_one_runs().await;
    h.end_turn(&session, Ending::ApiError(401));
    let resumed = h.until_continued(&conversation, Some("b")).await;
    h.end_turn(&resumed, Ending::Reply);
    h.until("t2 is done", |h| h.is_done("beta", "t2")).await;
    assert!(h.read("beta", "done", "t2").contains("- account: b"));
    assert_eq!(
        h.notice_count(cf_daemon::NoticeKind::AccountAttention),
        1,
        "the operator is told once: {}",
        h.notice_lines()
    );
    assert_eq!(h.term.prompts_of("t2.md").len(), 1);
    h.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_session_killed_by_hand_goes_on_in_its_conversation() {
    let mut h = Harness::new(&Spec::default());
    h.start().await;
    h.add_task("alpha", "t3", "Tidy the build.");
    let (session, conversation) = h.until_one_runs().await;
    h.term.kill_by_hand(&session);
    let resumed = h.until_continued(&conversation, None).await;
    h.end_turn(&resumed, Ending::Reply);
    h.until("t3 is done", |h| h.is_done("alpha", "t3")).await;
    assert_eq!(h.term.prompts_of("t3.md").len(), 1);
    h.stop().await;
}

#[tokio::test(start_paused = true)]
async fn an_expired_login_on_an_account_that_is_not_preferred_moves_every_session_on_it() {
    let mut h = Harness::new(&Spec {
        accounts: vec!["a", "b", "c"],
        pool: 2,
        ..Spec::default()
    });
    h.start().await;
    // a is preferred but at 95 %: new work goes to b (it never reported), a stays preferred.
    h.report_usage("a", 95.0).await;
    h.add_task("alpha", "t1", "Migrate the schema.");
    h.add_task("beta", "t2", "Update the docs.");
    h.until("both run", |h| h.term.working_sessions().len() == 2)
        .await;
    let on_b = h.account_dir("b");
    let running: Vec<(String, String)> = h
        .term
        .working_sessions()
        .into_iter()
        .map(|s| {
            let (dir, conversation) = h.term.agent_in(&s).expect("an agent");
            assert_eq!(dir, on_b, "{s} runs on b: {}", h.notice_lines());
            (s, conversation)
        })
        .collect();
    // Only the first session's turn fails; the other is mid-turn on the same broken login.
    h.end_turn(&running[0].0, Ending::ApiError(401));
    for (_, conversation) in &running {
        let resumed = h.until_continued(conversation, Some("c")).await;
        h.end_turn(&resumed, Ending::Reply);
    }
    h.until("both are done", |h| {
        h.is_done("alpha", "t1") && h.is_done("beta", "t2")
    })
    .await;
    for (project, id) in [("alpha", "t1"), ("beta", "t2")] {
        let done = h.read(project, "done", id);
        assert!(done.contains("- account: c"), "{done}");
        assert_eq!(h.term.prompts_of(&format!("{id}.md")).len(), 1, "sent once");
    }
    assert_eq!(
        h.notice_count(cf_daemon::NoticeKind::Swapped),
        1,
        "one move off b, with both sessions: {}",
        h.notice_lines()
    );
    assert_eq!(h.notice_count(cf_daemon::NoticeKind::AccountAttention), 1);
    h.stop().await;
}

#[tokio::test(start_paused = true)]
async fn what_a_task_cost_before_a_restart_is_still_in_its_footer() {
    let mut h = Harness::new(&Spec::default());
    h.start().await;
    h.add_task("alpha", "t4", "Port the parser.");
    let (session, conversation) = h.until_one_runs().await;
    h.report_cost(&session, "a", 0.10);
    h.end_turn(&session, Ending::ApiError(500));
    h.until("t4 waits to retry", |h| {
        h.files("alpha", "inbox")
            .iter()
            .any(|f| f.ends_with(".retry"))
    })
    .await;
    // The daemon dies while the task waits; the next one finds it waiting and goes on.
    h.crash().await;
    h.start().await;
    let resumed = h.until_continued(&conversation, None).await;
    h.report_cost(&resumed, "a", 0.05);
    h.end_turn(&resumed, Ending::Reply);
    h.until("t4 is done", |h| h.is_done("alpha", "t4")).await;
    let done = h.read("alpha", "done", "t4");
    assert!(done.contains("- cost: $0.150000"), "both processes: {done}");
    let spent = h.spent_on("a");
    assert!((spent.cost_usd - 0.15).abs() < 1e-9, "{spent:?}");
    assert_eq!(spent.tasks, 1);
    h.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_task_that_starts_over_keeps_what_its_first_run_cost() {
    let mut h = Harness::new(&Spec::default());
    // No hooks: its conversation is never known, so an interruption starts it over.
    h.term.set_hooks(false);
    h.start().await;
    h.add_task("alpha", "t5", "Start over if you must.");
    let (session, _) = h.until_one_runs().await;
    h.report_cost(&session, "a", 0.10);
    h.term.kill_by_hand(&session);
    h.until("t5 is sent again", |h| {
        h.term.prompts_of("t5.md").len() == 2
    })
    .await;
    let again = h.term.prompts_of("t5.md")[1].session.clone();
    h.until_working(&again).await;
    h.report_cost(&again, "a", 0.05);
    h.end_turn(&again, Ending::Reply);
    h.until("t5 is done", |h| h.is_done("alpha", "t5")).await;
    let done = h.read("alpha", "done", "t5");
    assert!(done.contains("restarted from scratch"), "{done}");
    assert!(done.contains("- cost: $0.150000"), "both runs: {done}");
    h.stop().await;
}
