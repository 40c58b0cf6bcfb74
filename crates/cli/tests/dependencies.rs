//! `depends_on` across projects: a chain runs in order, a blocked task's sidecar is created
//! once and never refreshed, cycles and unknown projects are reported, and a dependency
//! reaching `done/` unblocks its dependents at once.

mod support;

use std::time::Duration;

use claude_failover::sandbox::Sandbox;
use support::{DaemonProcess, is_done, wait_until};

fn blocked(sandbox: &Sandbox, project: &str, id: &str) -> Option<(String, std::time::SystemTime)> {
    let path = sandbox
        .projects_dir
        .join(project)
        .join(".agent-queue/inbox")
        .join(format!("{id}.md.blocked"));
    let text = std::fs::read_to_string(&path).ok()?;
    let modified = std::fs::metadata(&path).ok()?.modified().ok()?;
    Some((text, modified))
}

fn prompt_order(sandbox: &Sandbox) -> Vec<String> {
    sandbox
        .records()
        .iter()
        .filter_map(|r| {
            r["prompt"]
                .as_str()
                .and_then(|p| p.strip_prefix('['))
                .and_then(|p| p.split(".md]").next())
                .map(str::to_string)
        })
        .collect()
}

#[test]
fn chains_cycles_and_unknown_projects() {
    let mut spec = support::spec();
    spec.work = "500ms".into();
    let sandbox = Sandbox::create(&spec).expect("sandbox");
    // The chain is added last-first, so that only the gate can make it run in order.
    sandbox
        .add_task("alpha", "c3", "---\ndepends_on: [beta:b2]\n---\nThird.")
        .expect("add");
    sandbox
        .add_task("beta", "b2", "---\ndepends_on: alpha:a1\n---\nSecond.")
        .expect("add");
    sandbox
        .add_task(
            "gamma",
            "cyc-x",
            "---\ndepends_on: [gamma:cyc-y]\n---\nCycle x.",
        )
        .expect("add");
    sandbox
        .add_task(
            "gamma",
            "cyc-y",
            "---\ndepends_on: [gamma:cyc-x]\n---\nCycle y.",
        )
        .expect("add");
    sandbox
        .add_task(
            "gamma",
            "lost",
            "---\ndepends_on: [nowhere:t1]\n---\nUnknown project.",
        )
        .expect("add");
    sandbox
        .add_task(
            "gamma",
            "waits",
            "---\ndepends_on: [beta:later]\n---\nWaits for a task added later.",
        )
        .expect("add");
    let mut daemon = DaemonProcess::start(&sandbox, "deps");

    wait_until(Duration::from_secs(20), "the blocked sidecars", || {
        ["c3", "b2"].iter().all(|_| {
            blocked(&sandbox, "beta", "b2").is_some() && blocked(&sandbox, "alpha", "c3").is_some()
        }) && blocked(&sandbox, "gamma", "waits").is_some()
    });
    let (waits_reason, waits_since) = blocked(&sandbox, "gamma", "waits").expect("blocked");
    assert!(
        waits_reason.contains("waiting on beta:later"),
        "{waits_reason}"
    );

    sandbox.add_task("alpha", "a1", "First.").expect("add");
    wait_until(Duration::from_secs(60), "the chain is done", || {
        is_done(&sandbox, "alpha", "c3")
    });
    assert_eq!(
        prompt_order(&sandbox),
        vec!["a1", "b2", "c3"],
        "the chain ran in order, each once"
    );
    assert!(
        blocked(&sandbox, "alpha", "c3").is_none() && blocked(&sandbox, "beta", "b2").is_none(),
        "sidecars removed"
    );

    // Many scans later (every claim and finish above caused one), the marker is the same file.
    let (again_reason, again_since) = blocked(&sandbox, "gamma", "waits").expect("still blocked");
    assert_eq!(
        (again_reason.as_str(), again_since),
        (waits_reason.as_str(), waits_since),
        "never refreshed"
    );

    let (cycle, _) = blocked(&sandbox, "gamma", "cyc-x").expect("cycle blocked");
    assert!(cycle.contains("dependency cycle"), "{cycle}");
    let (lost, _) = blocked(&sandbox, "gamma", "lost").expect("unknown blocked");
    assert!(lost.contains("unknown project in nowhere:t1"), "{lost}");
    let log = daemon.log_text();
    assert_eq!(
        log.matches("dependency cycle: gamma:cyc-x -> gamma:cyc-y -> gamma:cyc-x")
            .count(),
        1,
        "the cycle is reported once:\n{log}"
    );

    // The dependency arriving in done/ unblocks the waiting task at once.
    sandbox.add_task("beta", "later", "Now.").expect("add");
    wait_until(Duration::from_secs(30), "the waiting task ran", || {
        is_done(&sandbox, "gamma", "waits")
    });
    assert!(
        !prompt_order(&sandbox)
            .iter()
            .any(|id| id.starts_with("cyc-") || id == "lost"),
        "blocked tasks never ran"
    );
    assert!(daemon.stop());
}
