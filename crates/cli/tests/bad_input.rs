//! Bad task files never crash the daemon and are never dropped silently: they get an
//! `.invalid` sidecar naming the problem and stay put, while good tasks still run.
//! A launch that fails puts the task back and keeps it.

mod support;

use std::time::Duration;

use claude_failover::sandbox::Sandbox;
use support::{DaemonProcess, is_done, wait_until};

/// The bad files the first test drops in the inbox.
const BAD_FILES: [&str; 6] = [
    "unclosed.md",
    "wrongtype.md",
    "binary.md",
    "huge.md",
    "link.md",
    "folder.md",
];

fn invalid_reason(sandbox: &Sandbox, project: &str, name: &str) -> Option<String> {
    sandbox.read_file_in(project, "inbox", &format!("{name}.invalid"))
}

#[test]
fn bad_files_get_a_sidecar_and_good_ones_run() {
    let sandbox = Sandbox::create(&support::spec()).expect("sandbox");
    let inbox = sandbox.projects_dir.join("alpha/.agent-queue/inbox");
    sandbox
        .add_task("alpha", "good", "A good task.")
        .expect("add");
    std::fs::write(inbox.join("unclosed.md"), "---\ntitle: x\nno end\n").expect("write");
    std::fs::write(
        inbox.join("wrongtype.md"),
        "---\npriority: [a]\n---\nbody\n",
    )
    .expect("write");
    std::fs::write(inbox.join("binary.md"), b"---\n---\n\xff\xfe not utf-8").expect("write");
    std::fs::write(inbox.join("huge.md"), vec![b'a'; 2 * 1024 * 1024]).expect("write");
    std::os::unix::fs::symlink("/etc/passwd", inbox.join("link.md")).expect("symlink");
    std::fs::create_dir(inbox.join("folder.md")).expect("dir");

    let mut daemon = DaemonProcess::start(&sandbox, "bad");
    wait_until(Duration::from_secs(60), "the good task is done", || {
        is_done(&sandbox, "alpha", "good")
    });
    wait_until(
        Duration::from_secs(10),
        "every bad file has a sidecar",
        || {
            BAD_FILES
                .iter()
                .all(|n| invalid_reason(&sandbox, "alpha", n).is_some())
        },
    );
    let wrong = invalid_reason(&sandbox, "alpha", "wrongtype.md").unwrap_or_default();
    assert!(
        wrong.contains("priority") && wrong.contains("line 2"),
        "names the field and the line: {wrong}"
    );
    let unclosed = invalid_reason(&sandbox, "alpha", "unclosed.md").unwrap_or_default();
    assert!(
        unclosed.contains("---"),
        "explains the missing closing line: {unclosed}"
    );
    assert!(
        invalid_reason(&sandbox, "alpha", "huge.md")
            .unwrap_or_default()
            .contains("1048576"),
        "names the limit"
    );
    for name in BAD_FILES {
        assert!(
            inbox.join(name).symlink_metadata().is_ok(),
            "{name} stays where it is"
        );
    }
    assert_eq!(
        sandbox.records().len(),
        1,
        "only the good task reached an agent"
    );
    assert!(daemon.is_running(), "the daemon survived");

    // Fixing a file makes it run.
    std::fs::write(
        inbox.join("wrongtype.md"),
        "---\npriority: high\n---\nbody\n",
    )
    .expect("fix");
    wait_until(Duration::from_secs(60), "the fixed task runs", || {
        is_done(&sandbox, "alpha", "wrongtype")
    });
    assert!(daemon.stop());
}

#[test]
fn a_failed_launch_puts_the_task_back() {
    let mut spec = support::spec();
    spec.program = "/nonexistent/agent-binary".into();
    spec.hooks = claude_failover::sandbox::Hooks::None;
    let sandbox = Sandbox::create(&spec).expect("sandbox");
    sandbox
        .add_task("beta", "kept", "This task must not be lost.")
        .expect("add");
    let mut daemon = DaemonProcess::start(&sandbox, "nolaunch");
    wait_until(
        Duration::from_secs(60),
        "a launch failure is reported",
        || daemon.log_text().contains("launch_failed"),
    );
    wait_until(
        Duration::from_secs(10),
        "the task is back in the inbox",
        || {
            sandbox
                .files_in("beta", "inbox")
                .contains(&"kept.md".to_string())
        },
    );
    assert!(
        sandbox.files_in("beta", "done").is_empty()
            && sandbox.files_in("beta", "failed").is_empty()
    );
    // The launch error quotes the screen, where the typed launch line shows the agent's env
    // values: they must never reach the log (redaction itself: `launch::tests`).
    let log = daemon.log_text();
    assert!(
        !log.contains("agent-record.jsonl"),
        "an agent env value leaked into the log: {log}"
    );
    assert!(daemon.is_running());
    assert!(daemon.stop());
}
