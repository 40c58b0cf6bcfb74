//! A 60 s API outage (every request of the account fails with 500), then it works: nothing
//! fails; the failed turns go on in their conversations after a backoff; after three failures
//! the account's breaker opens, one probe at a time decides, and once a probe succeeds every
//! task finishes, its text sent once. The outage does not burn through the queue.

use std::time::Duration;

use cf_daemon::{Clock, NoticeKind};

use crate::agent::Ending;
use crate::harness::{Harness, Spec};
use crate::terminal::AutoTurns;

const RETRY: &str = "retry:\n  initial_backoff: 2s\n  max_backoff: 8s\n  max_attempts: 10\n  \
                     breaker_failures: 3\n  breaker_window: 2m\n  probe_interval: 5s\n  \
                     max_probe_interval: 20s\n";

#[tokio::test(start_paused = true)]
async fn an_outage_opens_the_breaker_probes_and_then_every_task_finishes_once() {
    let mut h = Harness::new(&Spec {
        extra_yaml: RETRY.into(),
        ..Spec::default()
    });
    let outage_ends = h
        .clock
        .now()
        .checked_add(jiff::SignedDuration::from_secs(60))
        .expect("a time");
    h.term.set_auto_turns(AutoTurns {
        work: Duration::from_secs(1),
        ending: Box::new(move |_, now| {
            if now < outage_ends {
                Ending::ApiError(500)
            } else {
                Ending::Reply
            }
        }),
    });
    h.start().await;
    let tasks = [
        ("alpha", "o1"),
        ("beta", "o2"),
        ("alpha", "o3"),
        ("beta", "o4"),
    ];
    for (project, id) in tasks {
        h.add_task(project, id, &format!("Task {id}."));
    }
    h.until("the breaker opens", |h| {
        h.notice_count(NoticeKind::BreakerOpened) > 0
    })
    .await;
    assert!(h.clock.now() < outage_ends, "it opened during the outage");
    h.until("every task is done", |h| {
        tasks.iter().all(|(p, id)| h.is_done(p, id))
    })
    .await;
    for (project, id) in tasks {
        assert!(!h.is_failed(project, id), "{id} did not fail");
        let file = format!("{id}.md");
        assert_eq!(h.term.prompts_of(&file).len(), 1, "{id}'s text went once");
    }
    let probes = h.notice_count(NoticeKind::BreakerProbe);
    let failures: usize = tasks
        .iter()
        .map(|(p, id)| h.read(p, "done", id).matches("- attempt: ").count())
        .sum();
    eprintln!("{probes} probe(s), {failures} failed attempt(s) in all");
    assert!(probes >= 2, "60 s outlast the first probes: {probes}");
    assert!(probes <= 8, "probes wait longer each time: {probes}");
    assert!(
        failures <= probes + 4,
        "{failures} failed attempts with {probes} probes: the queue was not burnt"
    );
    assert_eq!(
        h.notice_count(NoticeKind::BreakerClosed),
        1,
        "closed once, by a probe: {}",
        h.notice_lines()
    );
    h.stop().await;
}
