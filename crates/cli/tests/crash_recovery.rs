//! A daemon killed with SIGKILL while tasks run loses nothing and runs nothing twice:
//! the restarted daemon adopts the work still in progress and finishes everything.

mod support;

use std::time::Duration;

use claude_failover::sandbox::Sandbox;
use support::{DaemonProcess, is_done, prompts_for, wait_until};

#[test]
fn sigkill_while_working_then_restart() {
    let mut spec = support::spec();
    spec.work = "3s".into();
    let sandbox = Sandbox::create(&spec).expect("sandbox");
    let tasks = [
        ("alpha", "t1"),
        ("beta", "t2"),
        ("gamma", "t3"),
        ("alpha", "t4"),
        ("beta", "t5"),
    ];
    for (project, id) in tasks {
        sandbox
            .add_task(project, id, &format!("Task {id}."))
            .expect("add task");
    }

    let mut first = DaemonProcess::start(&sandbox, "first");
    wait_until(
        Duration::from_secs(60),
        "two tasks reach the agents",
        || sandbox.records().len() >= 2,
    );
    first.crash();
    let running: Vec<String> = tasks
        .iter()
        .flat_map(|(p, _)| sandbox.files_in(p, "inbox"))
        .filter(|f| f.ends_with(".md.dispatched"))
        .collect();
    assert!(
        !running.is_empty(),
        "the crash must happen while tasks are claimed"
    );

    let mut second = DaemonProcess::start(&sandbox, "second");
    wait_until(
        Duration::from_secs(90),
        "every task in done/ after the restart",
        || tasks.iter().all(|(p, id)| is_done(&sandbox, p, id)),
    );
    for (project, id) in tasks {
        assert_eq!(
            prompts_for(&sandbox, id).len(),
            1,
            "{project}/{id} ran exactly once; records: {:?}",
            sandbox.records()
        );
        assert!(
            sandbox.files_in(project, "failed").is_empty(),
            "{project}: nothing failed"
        );
        let leftovers: Vec<String> = sandbox
            .files_in(project, "inbox")
            .into_iter()
            .filter(|f| f.ends_with(".md") || f.ends_with(".dispatched"))
            .collect();
        assert!(
            leftovers.is_empty(),
            "{project}: inbox empty, got {leftovers:?}"
        );
    }
    assert!(
        second.log_text().contains("adopted"),
        "the second daemon adopted running work; log:\n{}",
        second.log_text()
    );
    assert!(second.stop(), "clean stop");
}

#[test]
fn claimed_task_without_a_run_goes_back_to_the_inbox() {
    let sandbox = Sandbox::create(&support::spec()).expect("sandbox");
    // As if a daemon crashed right after the claim, before recording the run.
    let path = sandbox
        .add_task("alpha", "orphan", "Do the orphan task.")
        .expect("add");
    std::fs::rename(&path, path.with_extension("md.dispatched")).expect("claim by hand");

    let mut daemon = DaemonProcess::start(&sandbox, "orphan");
    wait_until(
        Duration::from_secs(60),
        "the orphan is requeued and done",
        || is_done(&sandbox, "alpha", "orphan"),
    );
    assert_eq!(prompts_for(&sandbox, "orphan").len(), 1, "ran once");
    assert!(
        daemon.log_text().contains("orphan_requeued"),
        "the requeue is recorded; log:\n{}",
        daemon.log_text()
    );
    assert!(daemon.stop());
}
