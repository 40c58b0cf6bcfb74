//! Placing work by headroom, end to end (fake agent on real tmux, the daemon in this process on
//! a clock the test moves): account a reports 80 %, then 95 % while two tasks run on it; those
//! two finish on a untouched (no continue, no resume), the next tasks start on b, no swap is
//! recorded, `status` shows a at 95 % and where new work goes; once a's reset passes, a takes
//! new work again.

mod support;

use std::sync::Arc;

use claude_failover::sandbox::Sandbox;
use jiff::{SignedDuration, Timestamp};
use support::in_process::{OffsetClock, wait_for};
use support::{CONTINUE, cli_stdout, is_done, prompts_for};

fn five_hour_of_a(sandbox: &Sandbox) -> Option<f64> {
    let out = cli_stdout(sandbox, &["accounts", "--json"]);
    let accounts: serde_json::Value = serde_json::from_str(&out).expect("json");
    accounts[0]["usage"]["five_hour"]["used_percentage"].as_f64()
}

fn account_of(sandbox: &Sandbox, id: &str) -> String {
    prompts_for(sandbox, id)
        .first()
        .map(|r| r["account_marker"].as_str().unwrap_or_default().to_owned())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_work_goes_where_there_is_headroom_and_running_work_stays() {
    let mut spec = support::spec();
    spec.accounts = vec!["a".into(), "b".into()];
    spec.pool_size = 3;
    spec.work = "1s".into();
    let sandbox = Sandbox::create(&spec).expect("sandbox");
    let a_usage = sandbox.account_dir.join("fake-usage");
    std::fs::write(
        sandbox.root().join("accounts/b/fake-usage"),
        "five_hour=20 seven_day=5",
    )
    .expect("b usage");
    std::fs::write(&a_usage, "five_hour=80 seven_day=10").expect("a usage");
    let clock = Arc::new(OffsetClock::default());
    let (daemon, _notices) = sandbox.start_daemon(clock.clone()).await.expect("start");

    // a at 80 %: under the line, it keeps the work.
    sandbox.add_task("alpha", "warm", "Warm up.").expect("add");
    wait_for("warm done", || is_done(&sandbox, "alpha", "warm")).await;
    assert_eq!(account_of(&sandbox, "warm"), "a");

    // Two long tasks start on a; then a short one on a reports 95 % (reset in 30 min).
    let reset = Timestamp::now()
        .checked_add(SignedDuration::from_mins(30))
        .expect("time");
    sandbox
        .add_task("alpha", "long1", "Long. fake-agent:work=25s")
        .expect("add");
    sandbox
        .add_task("beta", "long2", "Long. fake-agent:work=25s")
        .expect("add");
    wait_for("both long tasks on a", || {
        account_of(&sandbox, "long1") == "a" && account_of(&sandbox, "long2") == "a"
    })
    .await;
    std::fs::write(
        &a_usage,
        format!("five_hour=95 seven_day=10 five_hour_resets={reset}"),
    )
    .expect("a usage");
    sandbox
        .add_task("gamma", "tips", "Tips it over.")
        .expect("add");
    wait_for("tips done", || is_done(&sandbox, "gamma", "tips")).await;
    assert_eq!(account_of(&sandbox, "tips"), "a");
    wait_for("a reported at 95 %", || {
        five_hour_of_a(&sandbox) == Some(95.0)
    })
    .await;

    // The next tasks start on b; the running ones stay on a.
    sandbox.add_task("alpha", "next1", "Next.").expect("add");
    wait_for("next1 done", || is_done(&sandbox, "alpha", "next1")).await;
    sandbox.add_task("beta", "next2", "Next.").expect("add");
    wait_for("next2 done", || is_done(&sandbox, "beta", "next2")).await;
    assert_eq!(account_of(&sandbox, "next1"), "b");
    assert_eq!(account_of(&sandbox, "next2"), "b");
    let status = cli_stdout(&sandbox, &["status"]);
    assert!(status.contains("5h 95%"), "{status}");
    assert!(status.contains("new work goes to: b"), "{status}");
    wait_for("the long tasks done", || {
        is_done(&sandbox, "alpha", "long1") && is_done(&sandbox, "beta", "long2")
    })
    .await;
    for id in ["long1", "long2"] {
        let prompts = prompts_for(&sandbox, id);
        assert_eq!(prompts.len(), 1, "{id} was never interrupted");
        assert!(
            prompts
                .iter()
                .all(|r| r["prompt"] != CONTINUE && r["resumed"] != true),
            "{id}"
        );
    }
    let swaps = cli_stdout(&sandbox, &["swaps", "--json"]);
    let swaps: serde_json::Value = serde_json::from_str(&swaps).expect("json");
    assert_eq!(
        swaps.as_array().map(Vec::len),
        Some(0),
        "no swap: nothing was moved: {swaps}"
    );

    // a's reset passes: it takes new work again.
    clock.set_offset_secs(3600);
    sandbox
        .add_task("gamma", "after", "After the reset.")
        .expect("add");
    wait_for("after done", || is_done(&sandbox, "gamma", "after")).await;
    assert_eq!(account_of(&sandbox, "after"), "a");
    daemon.stop().await.expect("stops");
}
