//! The binary's start-up refusals, without a terminal: bad flags, bad environment, unknown
//! resume id, root.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_fake-claude");

#[test]
fn unknown_flag_exits_2_with_a_message() {
    let out = Command::new(BIN).arg("--frobnicate").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown option '--frobnicate'"));
}

#[test]
fn resume_of_an_unknown_session_exits_1() {
    let config = tempfile::tempdir().unwrap();
    let id = "0badc0de-0000-4000-8000-000000000000";
    let out = Command::new(BIN)
        .args(["--resume", id])
        .env("CLAUDE_CONFIG_DIR", config.path())
        .env("IS_SANDBOX", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        format!("No conversation found with session ID: {id}")
    );
}

#[test]
fn root_without_sandbox_refuses_bypass_mode() {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return; // the refusal only applies to root
    }
    let out = Command::new(BIN)
        .arg("--dangerously-skip-permissions")
        .env_remove("IS_SANDBOX")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        "--dangerously-skip-permissions cannot be used with root/sudo privileges for security reasons"
    );
}

#[test]
fn version_and_no_terminal() {
    let out = Command::new(BIN).arg("--version").output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "2.1.197 (Claude Code)"
    );
    let config = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .env("CLAUDE_CONFIG_DIR", config.path())
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("stdin is not a terminal"));
}

#[test]
fn bad_error_settings_in_the_environment_exit_2() {
    let config = tempfile::tempdir().unwrap();
    for (name, value, message) in [
        (
            "FAKE_AGENT_CLIENT",
            "2.2.0",
            "environment variable FAKE_AGENT_CLIENT: unknown client version '2.2.0'",
        ),
        (
            "FAKE_AGENT_RETRIES",
            "two",
            "environment variable FAKE_AGENT_RETRIES: 'two' is not a count",
        ),
        (
            "FAKE_AGENT_RETRY_DELAY",
            "soon",
            "environment variable FAKE_AGENT_RETRY_DELAY: invalid duration 'soon'",
        ),
    ] {
        let out = Command::new(BIN)
            .env("CLAUDE_CONFIG_DIR", config.path())
            .env(name, value)
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{name}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(message), "{name}: {stderr}");
    }
}
