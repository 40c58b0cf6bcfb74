//! Runs that do not end well, and the paths around a run: a task past the idle timeout and a
//! turn whose request is refused (a task-class error) go to `failed/` at once with the reason; a saved resume id is used once;
//! `status` shows the working session while the daemon runs.

mod support;

use std::time::Duration;

use claude_failover::sandbox::Sandbox;
use support::{DaemonProcess, prompts_for, wait_until};

fn failed_text(sandbox: &Sandbox, project: &str, id: &str) -> Option<String> {
    sandbox.read_file_in(project, "failed", &format!("{id}.md"))
}

#[test]
fn timeout_and_api_error_go_to_failed() {
    let mut spec = support::spec();
    spec.idle_timeout = "3s".into();
    let sandbox = Sandbox::create(&spec).expect("sandbox");
    sandbox
        .add_task("alpha", "slow", "This takes long. fake-agent:work=60s")
        .expect("add");
    sandbox
        .add_task(
            "beta",
            "broken",
            "The request is refused. fake-agent:error=400",
        )
        .expect("add");
    let mut daemon = DaemonProcess::start(&sandbox, "outcomes");

    // While they run, status shows the working sessions.
    wait_until(
        Duration::from_secs(30),
        "both tasks reach the agents",
        || sandbox.records().len() >= 2,
    );
    let status = std::process::Command::new(support::binary())
        .args(["status", "--json", "--config"])
        .arg(&sandbox.config_path)
        .output()
        .expect("status");
    let report: serde_json::Value = serde_json::from_slice(&status.stdout).expect("status json");
    assert_eq!(report["daemon"]["running"], true, "{report}");
    let states: Vec<String> = report["sessions"]
        .as_array()
        .expect("sessions")
        .iter()
        .map(|s| s["state"].as_str().unwrap_or("").to_string())
        .collect();
    assert!(
        states.iter().any(|s| s.contains("alpha/slow")),
        "status names the running task: {states:?}"
    );

    wait_until(Duration::from_secs(30), "both tasks in failed/", || {
        failed_text(&sandbox, "alpha", "slow").is_some()
            && failed_text(&sandbox, "beta", "broken").is_some()
    });
    let slow = failed_text(&sandbox, "alpha", "slow").unwrap_or_default();
    assert!(slow.contains("- outcome: timed out"), "{slow}");
    let broken = failed_text(&sandbox, "beta", "broken").unwrap_or_default();
    assert!(
        broken.contains("the request was refused (invalid_request)")
            && broken.contains("prompt is too long"),
        "the error kind and the client's reason are recorded: {broken}"
    );
    assert_eq!(
        prompts_for(&sandbox, "broken").len(),
        1,
        "a task-class error is not retried"
    );
    assert!(
        sandbox.files_in("alpha", "done").is_empty() && sandbox.files_in("beta", "done").is_empty()
    );
    assert!(daemon.stop());
}

#[test]
fn a_saved_resume_id_is_used_once_and_a_bad_one_is_ignored() {
    let mut spec = support::spec();
    spec.pool_size = 1;
    let sandbox = Sandbox::create(&spec).expect("sandbox");
    let uuid = "d3dfc52d-1248-4328-a877-e0f73ec7fe51";
    // The conversation exists in the account (its transcript), as after a real session.
    let project_dir = sandbox.projects_dir.join("alpha").display().to_string();
    let slug: String = project_dir
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let transcripts = sandbox.account_dir.join("projects").join(slug);
    std::fs::create_dir_all(&transcripts).expect("mkdir");
    std::fs::write(transcripts.join(format!("{uuid}.jsonl")), "").expect("transcript");
    let resume_dir = sandbox.root().join("resume");
    std::fs::create_dir_all(&resume_dir).expect("mkdir");
    std::fs::write(
        resume_dir.join("cf-pool-1-resume-id.txt"),
        format!("{uuid}\n"),
    )
    .expect("resume id");

    sandbox
        .add_task("alpha", "first", "First task.")
        .expect("add");
    let mut daemon = DaemonProcess::start(&sandbox, "resume");
    wait_until(Duration::from_secs(30), "first done", || {
        support::is_done(&sandbox, "alpha", "first")
    });
    assert_eq!(
        prompts_for(&sandbox, "first")[0]["resumed"],
        true,
        "the saved conversation was resumed"
    );
    assert!(
        !resume_dir.join("cf-pool-1-resume-id.txt").exists(),
        "the resume id is used once"
    );

    std::fs::write(
        resume_dir.join("cf-pool-1-resume-id.txt"),
        "$(touch /tmp/pwned) not-a-uuid",
    )
    .expect("bad id");
    sandbox
        .add_task("alpha", "second", "Second task.")
        .expect("add");
    wait_until(Duration::from_secs(30), "second done", || {
        support::is_done(&sandbox, "alpha", "second")
    });
    assert_eq!(
        prompts_for(&sandbox, "second")[0]["resumed"],
        false,
        "a bad resume id is not used"
    );
    assert!(
        !resume_dir.join("cf-pool-1-resume-id.txt").exists(),
        "the bad id is removed too"
    );
    assert!(daemon.stop());
}
