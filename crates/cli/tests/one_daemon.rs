//! One daemon per state dir: a second `run` on the same config exits at once, naming the first
//! daemon's pid, and the first goes on untouched (it still dispatches and finishes work).

mod support;

use std::process::Command;
use std::time::Duration;

use claude_failover::sandbox::Sandbox;
use support::{DaemonProcess, binary, cli_stdout, is_done, prompts_for, wait_until};

#[test]
fn a_second_run_is_refused_and_names_the_first() {
    let sandbox = Sandbox::create(&support::spec()).expect("sandbox");
    let mut first = DaemonProcess::start(&sandbox, "first");
    let mut pid = None;
    wait_until(
        Duration::from_secs(60),
        "status shows the daemon running, with its pid",
        || {
            let status: serde_json::Value =
                serde_json::from_str(&cli_stdout(&sandbox, &["status", "--json"])).expect("json");
            pid = status["daemon"]["pid"].as_u64();
            // Between taking the lock and writing its pid into it the holder is not known yet.
            status["daemon"]["running"] == true && pid.is_some()
        },
    );
    let pid = pid.expect("status names the pid");

    let second = Command::new(binary())
        .args(["run", "--config"])
        .arg(&sandbox.config_path)
        .output()
        .expect("run the second daemon");
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(
        !second.status.success(),
        "the second run must fail: {stderr}"
    );
    assert!(
        stderr.contains(&format!("pid {pid}")) && stderr.contains("already runs"),
        "the error names the holder: {stderr}"
    );

    assert!(first.is_running(), "the first daemon goes on");
    sandbox
        .add_task("alpha", "after", "Task after the refused start.")
        .expect("add");
    wait_until(
        Duration::from_secs(60),
        "the first daemon still finishes work",
        || is_done(&sandbox, "alpha", "after"),
    );
    assert_eq!(
        prompts_for(&sandbox, "after").len(),
        1,
        "typed into one agent only"
    );
    assert!(first.stop(), "clean stop");
    let status: serde_json::Value =
        serde_json::from_str(&cli_stdout(&sandbox, &["status", "--json"])).expect("json");
    assert_eq!(
        status["daemon"]["running"], false,
        "the lock went with the daemon"
    );
}
