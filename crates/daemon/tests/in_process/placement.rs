//! The same workload with and without placement by usage. Account a's use starts at 50 % and
//! climbs 2.5 points with every turn it runs; a turn that would take it to 100 % ends on its
//! usage limit instead (the hard wall). Placing new work on b from 90 % on (the default) avoids
//! every interruption by the wall; filling a until the wall (`switch_at: 100`, what the daemon
//! did before placement) runs into it, with two sessions and with four. The counts are printed for
//! the note.

use std::collections::BTreeMap;

use crate::agent::Ending;
use crate::harness::{Harness, Spec};

/// How often tasks were interrupted by the wall, and what was left undone.
#[derive(Debug)]
struct Run {
    /// Tasks resumed with "continue" after a hard limit moved them.
    interrupted: usize,
    /// Turns that ended on the limit.
    limits: usize,
    /// Tasks done.
    done: usize,
}

const TASKS: usize = 24;
const STEP: f64 = 2.5;

async fn climbing_workload(switch_at: u32, pool: u32) -> Run {
    let mut h = Harness::new(&Spec {
        accounts: vec!["a", "b"],
        pool,
        extra_yaml: format!("quota:\n  switch_at: {switch_at}\n"),
        ..Spec::default()
    });
    h.start().await;
    let mut used: BTreeMap<&str, f64> = BTreeMap::from([("a", 50.0), ("b", 10.0)]);
    for (account, percent) in &used {
        h.report_usage(account, *percent).await;
    }
    for n in 0..TASKS {
        let project = ["alpha", "beta"][n % 2];
        h.add_task(project, &format!("t{n:02}"), "Do one small thing.");
    }
    let all_done =
        |h: &Harness| (0..TASKS).all(|n| h.is_done(["alpha", "beta"][n % 2], &format!("t{n:02}")));
    let mut limits = 0;
    let mut last = String::new();
    while !all_done(&h) {
        h.until("a turn runs or all are done", |h| {
            all_done(h) || !h.term.working_sessions().is_empty()
        })
        .await;
        // Turns end in turn: the session after the one that ended last.
        let working = h.term.working_sessions();
        let Some(session) = working
            .iter()
            .find(|s| **s > last)
            .or(working.first())
            .cloned()
        else {
            continue;
        };
        last = session.clone();
        let (dir, _) = h.term.agent_in(&session).expect("an agent");
        let account = if dir == h.account_dir("a") { "a" } else { "b" };
        let next = used[account] + STEP;
        if next >= 100.0 {
            used.insert(account, 100.0);
            h.report_usage_in(&session, account, 100.0).await;
            h.end_turn(&session, Ending::SessionLimit);
            limits += 1;
        } else {
            used.insert(account, next);
            h.report_usage_in(&session, account, next).await;
            h.end_turn(&session, Ending::Reply);
        }
    }
    let interrupted = h
        .term
        .submitted()
        .iter()
        .filter(|s| s.prompt.starts_with("Continue"))
        .count();
    let done = (0..TASKS)
        .filter(|n| h.is_done(["alpha", "beta"][n % 2], &format!("t{n:02}")))
        .count();
    h.stop().await;
    Run {
        interrupted,
        limits,
        done,
    }
}

#[tokio::test(start_paused = true)]
async fn placing_work_by_usage_avoids_the_interruptions_filling_one_account_runs_into() {
    for pool in [2, 4] {
        let before = climbing_workload(100, pool).await;
        let after = climbing_workload(90, pool).await;
        eprintln!(
            "a from 50 % to the wall, {TASKS} tasks, {pool} sessions: \
             fill to the wall {before:?}; switch at 90 % {after:?}"
        );
        assert_eq!((before.done, after.done), (TASKS, TASKS));
        assert!(
            before.limits >= 1 && before.interrupted >= 1,
            "the workload reaches the wall when a is filled: {before:?}"
        );
        assert_eq!(
            (after.limits, after.interrupted),
            (0, 0),
            "placing by usage: no turn meets the wall"
        );
    }
}
