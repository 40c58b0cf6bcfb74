//! The local dispatch loop end to end on a real (private) tmux server with the fake agent:
//! every task ends in `done/` exactly once, dedicated and foreign sessions receive nothing,
//! the critical task runs with opus, and the daemon stops cleanly on SIGTERM.

mod support;

use std::time::Duration;

use claude_failover::sandbox::{Hooks, Sandbox};
use support::{DaemonProcess, is_done, prompts_for, wait_until};

const TASKS: [(&str, &str, &str); 6] = [
    ("alpha", "a1", "Write the hello world."),
    (
        "alpha",
        "a2-multi",
        "---\ntitle: several lines\n---\nFirst line of the task\nsecond line\nthird line\nfourth line\n",
    ),
    (
        "beta",
        "b1-critical",
        "---\npriority: critical\n---\nProduction is down: fix it.\n",
    ),
    (
        "beta",
        "b2",
        "---\npriority: low\n---\nProof-read the docs.\n",
    ),
    (
        "gamma",
        "g1",
        "---\npriority: high\ntags: [x, y]\n---\nClean up.\n",
    ),
    ("gamma", "g2", "Plain task without frontmatter."),
];

/// Starts a plain shell session that writes every keystroke it gets into `sink`.
fn start_recording_session(sandbox: &Sandbox, name: &str, sink: &std::path::Path) {
    let command = format!("cat > '{}'", sink.display());
    let out = sandbox
        .tmux_command(&[
            "new-session",
            "-d",
            "-s",
            name,
            "-x",
            "120",
            "-y",
            "30",
            &command,
        ])
        .expect("run tmux");
    assert!(
        out.status.success(),
        "cannot create {name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn run_all_tasks(hooks: Hooks) {
    let mut spec = support::spec();
    spec.hooks = hooks;
    spec.dedicated = vec![("ccl-1-alpha".into(), "alpha".into())];
    let sandbox = Sandbox::create(&spec).expect("sandbox");
    let foreign_sink = sandbox.root().join("foreign-keys.txt");
    let dedicated_sink = sandbox.root().join("dedicated-keys.txt");
    start_recording_session(&sandbox, "ccl-0", &foreign_sink);
    start_recording_session(&sandbox, "ccl-1-alpha", &dedicated_sink);
    for (project, id, content) in TASKS {
        sandbox.add_task(project, id, content).expect("add task");
    }

    let mut daemon = DaemonProcess::start(&sandbox, "main");
    wait_until(Duration::from_secs(90), "every task in done/", || {
        TASKS.iter().all(|(p, id, _)| is_done(&sandbox, p, id))
    });

    for (project, id, _) in TASKS {
        let prompts = prompts_for(&sandbox, id);
        assert_eq!(
            prompts.len(),
            1,
            "{project}/{id} must reach the agent exactly once: {prompts:?}"
        );
        assert!(
            sandbox.files_in(project, "inbox").is_empty(),
            "{project} inbox must be empty: {:?}",
            sandbox.files_in(project, "inbox")
        );
        assert!(
            sandbox.files_in(project, "failed").is_empty(),
            "{project} has failures"
        );
        let done = sandbox
            .read_file_in(project, "done", &format!("{id}.md"))
            .expect("read done file");
        assert!(
            done.contains("<!-- claude-failover run -->"),
            "footer missing in {id}: {done}"
        );
        assert!(
            done.contains("- outcome: completed"),
            "outcome missing in {id}: {done}"
        );
    }
    assert_eq!(sandbox.records().len(), TASKS.len(), "no extra prompts");

    let critical = &prompts_for(&sandbox, "b1-critical")[0];
    assert_eq!(
        critical["model"], "opus",
        "critical runs on opus: {critical}"
    );
    for id in ["a1", "b2", "g1", "g2"] {
        assert_eq!(
            prompts_for(&sandbox, id)[0]["model"],
            "sonnet",
            "{id} runs on sonnet"
        );
    }
    let multi = prompts_for(&sandbox, "a2-multi")[0]["prompt"]
        .as_str()
        .expect("prompt text")
        .to_string();
    assert!(
        multi.contains("First line of the task\nsecond line\nthird line\nfourth line"),
        "multi-line body arrives whole: {multi:?}"
    );
    for record in sandbox.records() {
        assert!(
            record["config_dir"]
                .as_str()
                .is_some_and(|d| d.ends_with("accounts/a")),
            "account a: {record}"
        );
    }

    assert!(
        daemon.stop(),
        "daemon exits cleanly on SIGTERM; log:\n{}",
        daemon.log_text()
    );
    assert_eq!(
        std::fs::read(&foreign_sink).unwrap_or_default(),
        b"",
        "foreign session received keys"
    );
    assert_eq!(
        std::fs::read(&dedicated_sink).unwrap_or_default(),
        b"",
        "dedicated session received keys"
    );
    let sessions = String::from_utf8_lossy(
        &sandbox
            .tmux_command(&["list-sessions", "-F", "#S"])
            .expect("tmux")
            .stdout,
    )
    .to_string();
    assert!(
        sessions.lines().any(|s| s == "ccl-0") && sessions.lines().any(|s| s == "ccl-1-alpha"),
        "foreign and dedicated sessions untouched: {sessions}"
    );
}

#[test]
fn every_task_done_once_with_done_signals() {
    run_all_tasks(Hooks::Installed);
}

#[test]
fn every_task_done_once_by_screen_alone() {
    run_all_tasks(Hooks::None);
}
