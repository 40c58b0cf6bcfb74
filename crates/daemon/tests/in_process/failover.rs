//! Usage limits: one account's limit moves every session to the other account, each resuming
//! its own conversation; with every account out, dispatch pauses until the earliest reset and
//! goes on by itself.

use cf_daemon::Terminal;

use crate::agent::Ending;
use crate::harness::{Harness, Spec};

fn two_accounts(pool: u32) -> Spec {
    Spec {
        accounts: vec!["a", "b"],
        pool,
        ..Spec::default()
    }
}

#[tokio::test(start_paused = true)]
async fn a_usage_limit_moves_every_session_to_the_other_account() {
    let mut h = Harness::new(&two_accounts(2));
    h.start().await;
    h.add_task("alpha", "a1", "First.");
    h.add_task("beta", "b1", "Second.");
    h.until("both run", |h| h.term.working_sessions().len() == 2)
        .await;
    let sessions = h.term.working_sessions();
    let conversations: Vec<String> = sessions
        .iter()
        .map(|s| h.term.agent_in(s).expect("an agent").1)
        .collect();
    for s in &sessions {
        let (dir, _) = h.term.agent_in(s).expect("an agent");
        assert_eq!(dir, h.account_dir("a"), "{s} starts on the first account");
    }
    h.end_turn(&sessions[0], Ending::SessionLimit);
    for conversation in &conversations {
        let session = h.until_continued(conversation, Some("b")).await;
        h.end_turn(&session, Ending::Reply);
    }
    h.until("both done", |h| {
        h.is_done("alpha", "a1") && h.is_done("beta", "b1")
    })
    .await;
    for task in ["a1.md", "b1.md"] {
        assert_eq!(h.term.prompts_of(task).len(), 1, "{task}'s text went once");
    }
    let done = h.read("alpha", "done", "a1");
    assert!(done.contains("- account: b"), "finished on b: {done}");
    h.stop().await;
}

#[tokio::test(start_paused = true)]
async fn with_every_account_out_dispatch_waits_for_the_earliest_reset() {
    let mut h = Harness::new(&two_accounts(1));
    h.start().await;
    h.add_task("alpha", "t1", "First.");
    let (session, conversation) = h.until_one_runs().await;
    h.end_turn(&session, Ending::SessionLimit);
    let session = h.until_continued(&conversation, Some("b")).await;
    h.end_turn(&session, Ending::SessionLimit);
    let out_at = tokio::time::Instant::now();
    h.add_task("beta", "t2", "Second.");
    // a's limit resets an hour after it was hit: until then nothing is sent anywhere.
    let session = h.until_continued(&conversation, Some("a")).await;
    let paused = out_at.elapsed();
    assert!(
        paused >= std::time::Duration::from_secs(50 * 60),
        "dispatch waited for the reset: {paused:?}"
    );
    assert!(
        h.term.prompts_of("t2.md").is_empty(),
        "t1 first, in its session"
    );
    h.end_turn(&session, Ending::Reply);
    h.finish_task("t2").await;
    h.until("both done", |h| {
        h.is_done("alpha", "t1") && h.is_done("beta", "t2")
    })
    .await;
    assert_eq!(h.term.prompts_of("t1.md").len(), 1);
    assert_eq!(h.term.prompts_of("t2.md").len(), 1);
    h.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_limit_moves_the_sessions_to_the_account_with_the_most_headroom() {
    let mut h = Harness::new(&Spec {
        accounts: vec!["a", "b", "c"],
        pool: 1,
        ..Spec::default()
    });
    h.start().await;
    // a is preferred and never reported; b is next in order but nearly full, c has room.
    h.report_usage("b", 92.0).await;
    h.report_usage("c", 30.0).await;
    h.add_task("alpha", "t1", "First.");
    let (session, conversation) = h.until_one_runs().await;
    assert_eq!(
        h.term.agent_in(&session).expect("an agent").0,
        h.account_dir("a")
    );
    h.end_turn(&session, Ending::SessionLimit);
    let session = h.until_continued(&conversation, Some("c")).await;
    h.end_turn(&session, Ending::Reply);
    h.until("t1 is done", |h| h.is_done("alpha", "t1")).await;
    assert!(h.read("alpha", "done", "t1").contains("- account: c"));
    h.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_dedicated_session_moves_only_with_the_account_it_runs_on() {
    let mut h = Harness::new(&Spec {
        accounts: vec!["a", "b", "c"],
        pool: 1,
        dedicated: vec![("ccl-1", "alpha")],
        ..Spec::default()
    });
    h.start().await;
    // The operator runs ccl-1 on c; its status line says so.
    h.start_dedicated("ccl-1", "alpha", "c").await;
    let (_, operator_conversation) = h.term.agent_in("ccl-1").expect("an agent");
    h.report_usage_in("ccl-1", "c", 50.0).await;
    h.add_task("beta", "t1", "First.");
    h.until("t1 is sent", |h| !h.term.prompts_of("t1.md").is_empty())
        .await;
    let pool_session = h.term.prompts_of("t1.md").remove(0).session;
    h.until_working(&pool_session).await;
    assert_eq!(
        h.term.agent_in(&pool_session).expect("agent").0,
        h.account_dir("a")
    );

    // c runs out in the dedicated session: only ccl-1 moves (to a, preferred); t1 on a stays.
    h.end_turn("ccl-1", Ending::SessionLimit);
    h.until("ccl-1 runs on a", |h| {
        h.term
            .agent_in("ccl-1")
            .is_some_and(|(dir, _)| dir == h.account_dir("a"))
    })
    .await;
    assert_eq!(
        h.term.agent_in("ccl-1").expect("agent").1,
        operator_conversation,
        "its own conversation, resumed"
    );
    assert!(
        h.term
            .submitted()
            .iter()
            .all(|s| !s.prompt.starts_with("Continue")),
        "the pool task on a was not touched: {:?}",
        h.term.submitted()
    );

    // a runs out in the pool session: t1 and ccl-1 (now on a) both move to b.
    let (_, t1_conversation) = h.term.agent_in(&pool_session).expect("agent");
    h.end_turn(&pool_session, Ending::SessionLimit);
    let resumed = h.until_continued(&t1_conversation, Some("b")).await;
    h.until("ccl-1 runs on b", |h| {
        h.term
            .agent_in("ccl-1")
            .is_some_and(|(dir, _)| dir == h.account_dir("b"))
    })
    .await;
    h.end_turn(&resumed, Ending::Reply);
    h.until("t1 is done", |h| h.is_done("beta", "t1")).await;
    let status = cf_daemon::status::collect_status(&h.config())
        .await
        .expect("status");
    let ccl = status
        .sessions
        .iter()
        .find(|s| s.name == "ccl-1")
        .expect("ccl-1 in status");
    assert_eq!(ccl.account.as_deref(), Some("b"), "{ccl:?}");
    // After a restart the daemon still knows where ccl-1 runs: a limit in it moves it off b.
    h.crash().await;
    h.start().await;
    h.term
        .type_text("ccl-1", "One more thing.")
        .await
        .expect("type");
    h.term
        .press("ccl-1", cf_tmux::Key::Enter)
        .await
        .expect("enter");
    h.until_working("ccl-1").await;
    h.end_turn("ccl-1", Ending::SessionLimit);
    h.until("ccl-1 leaves b", |h| {
        h.term
            .agent_in("ccl-1")
            .is_some_and(|(dir, _)| dir != h.account_dir("b"))
    })
    .await;
    h.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_task_that_moved_is_charged_to_each_account_it_ran_on() {
    let mut h = Harness::new(&two_accounts(1));
    h.start().await;
    h.add_task("alpha", "t1", "First.");
    let (session, conversation) = h.until_one_runs().await;
    h.report_cost(&session, "a", 0.25);
    h.end_turn(&session, Ending::SessionLimit);
    let session = h.until_continued(&conversation, Some("b")).await;
    h.report_cost(&session, "b", 0.125);
    h.end_turn(&session, Ending::Reply);
    h.until("t1 is done", |h| h.is_done("alpha", "t1")).await;
    let done = h.read("alpha", "done", "t1");
    assert!(done.contains("- cost: $0.375000"), "{done}");
    assert!(
        done.contains("- by account: a $0.250000, 0 in, 0 out; b $0.125000, 0 in, 0 out"),
        "{done}"
    );
    let (a, b) = (h.spent_on("a"), h.spent_on("b"));
    assert_eq!((a.cost_usd, a.tasks), (0.25, 0), "a: {a:?}");
    assert_eq!((b.cost_usd, b.tasks), (0.125, 1), "b: {b:?}");
    h.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_task_moved_without_a_known_conversation_keeps_what_it_cost() {
    let mut h = Harness::new(&two_accounts(1));
    // No hooks: the conversation is never known, so the move starts the task over.
    h.term.set_hooks(false);
    h.start().await;
    h.add_task("alpha", "t1", "First.");
    let (session, _) = h.until_one_runs().await;
    h.report_cost(&session, "a", 0.25);
    h.end_turn(&session, Ending::SessionLimit);
    h.until("t1 is sent again", |h| {
        h.term.prompts_of("t1.md").len() == 2
    })
    .await;
    let again = h.term.prompts_of("t1.md")[1].clone();
    assert_eq!(again.config_dir, h.account_dir("b"));
    h.until_working(&again.session).await;
    h.report_cost(&again.session, "b", 0.125);
    h.end_turn(&again.session, Ending::Reply);
    h.until("t1 is done", |h| h.is_done("alpha", "t1")).await;
    let done = h.read("alpha", "done", "t1");
    assert!(done.contains("restarted from scratch"), "{done}");
    assert!(done.contains("- cost: $0.375000"), "both runs: {done}");
    h.stop().await;
}
