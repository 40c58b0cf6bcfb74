//! (b) A short API outage: every request fails with 500 for 60 s (the fake agent's own retries
//! as short as in the recordings, so that the outage outlasts them), then works. Nothing fails:
//! the turns that end on the error are resumed in their conversations after a backoff; after
//! three failures the account's breaker opens, one probe at a time decides, and once a probe
//! succeeds every task finishes, its text sent once. The outage does not burn through the queue.

mod support;

use std::time::{Duration, Instant};

use claude_failover::sandbox::Sandbox;
use support::{DaemonProcess, cli_stdout, events, is_done, wait_until};

const OUTAGE: Duration = Duration::from_secs(60);

#[test]
fn an_outage_opens_the_breaker_probes_and_then_every_task_finishes_once() {
    let mut spec = support::spec();
    spec.pool_size = 2;
    spec.work = "1s".into();
    spec.extra_yaml = "retry:\n  initial_backoff: 2s\n  max_backoff: 8s\n  max_attempts: 10\n  \
                       breaker_failures: 3\n  breaker_window: 2m\n  probe_interval: 5s\n  \
                       max_probe_interval: 20s\n"
        .into();
    spec.agent_env = vec![
        ("FAKE_AGENT_RETRIES".into(), "2".into()),
        ("FAKE_AGENT_RETRY_DELAY".into(), "300ms".into()),
    ];
    let sandbox = Sandbox::create(&spec).expect("sandbox");
    let until = jiff::Timestamp::now()
        .checked_add(jiff::SignedDuration::try_from(OUTAGE).expect("span"))
        .expect("instant");
    std::fs::write(
        sandbox.account_dir.join("fake-error"),
        format!("500 until={until}"),
    )
    .expect("outage");
    let started = Instant::now();
    let tasks = [
        ("alpha", "o1"),
        ("beta", "o2"),
        ("gamma", "o3"),
        ("alpha", "o4"),
    ];
    for (project, id) in tasks {
        sandbox
            .add_task(project, id, &format!("Task {id}."))
            .expect("add");
    }
    let mut daemon = DaemonProcess::start(&sandbox, "outage");

    wait_until(Duration::from_secs(60), "the breaker opens", || {
        cli_stdout(&sandbox, &["status"]).contains("breaker open")
    });
    let accounts: serde_json::Value =
        serde_json::from_str(&cli_stdout(&sandbox, &["accounts", "--json"])).expect("json");
    assert_eq!(accounts[0]["breaker"]["open"], true, "{accounts}");
    assert!(
        started.elapsed() < OUTAGE,
        "the breaker opened during the outage"
    );

    wait_until(Duration::from_secs(180), "every task done", || {
        tasks.iter().all(|(p, id)| is_done(&sandbox, p, id))
    });
    let after_outage = started.elapsed().saturating_sub(OUTAGE);
    eprintln!(
        "outage over -> every task done {} ms later",
        after_outage.as_millis()
    );
    support::assert_each_ran_once_and_none_failed(&sandbox, &tasks);
    let probes = events(&sandbox, "breaker_probe").len();
    let failures: usize = tasks
        .iter()
        .map(|(p, id)| {
            sandbox
                .read_file_in(p, "done", &format!("{id}.md"))
                .unwrap_or_default()
                .matches("- attempt: ")
                .count()
        })
        .sum();
    eprintln!("{probes} probe(s), {failures} failed attempt(s) in all");
    assert!(probes >= 2, "60 s outlast the first probes: {probes}");
    assert!(probes <= 8, "probes wait longer each time: {probes}");
    // Three failures open the breaker, the other session's turn may fail with them, and then
    // only probes run: the outage does not burn through the queue.
    assert!(
        failures <= probes + 4,
        "{failures} failed attempts with {probes} probes"
    );
    assert_eq!(
        events(&sandbox, "breaker_closed").len(),
        1,
        "closed once, by a probe"
    );
    assert!(daemon.stop());
}
