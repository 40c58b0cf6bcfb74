//! Output into a closed pipe (`claude-failover … | head -1`): every command exits quietly,
//! without a panic message and without dying from a signal.

mod support;

use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Output, Stdio};

use claude_failover::sandbox::Sandbox;

/// Runs the binary with `args`, its stdout a pipe whose read end is closed before the
/// program starts, so its first write meets `EPIPE` whatever the size of the output.
fn run_into_closed_stdout(args: &[&std::ffi::OsStr]) -> Output {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    Command::new(support::binary())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::from(writer))
        .stderr(Stdio::piped())
        .output()
        .expect("run the binary")
}

/// Runs the binary with `args`, its stderr a pipe whose read end is closed.
fn run_into_closed_stderr(args: &[&std::ffi::OsStr]) -> Output {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    Command::new(support::binary())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(writer))
        .output()
        .expect("run the binary")
}

#[track_caller]
fn assert_quiet_exit(out: &Output, what: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("panicked"),
        "{what}: panicked on a closed pipe:\n{stderr}"
    );
    assert_eq!(
        out.status.signal(),
        None,
        "{what}: killed by a signal: {:?}",
        out.status
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{what}: not a quiet exit: {:?}\n{stderr}",
        out.status
    );
    assert!(
        stderr.trim().is_empty(),
        "{what}: expected nothing on stderr:\n{stderr}"
    );
}

fn os(args: &[&str]) -> Vec<std::ffi::OsString> {
    args.iter().map(Into::into).collect()
}

fn run_os(args: &[std::ffi::OsString]) -> Output {
    let refs: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_os_str()).collect();
    run_into_closed_stdout(&refs)
}

#[test]
fn config_example_into_a_closed_pipe_exits_quietly() {
    let out = run_os(&os(&["config", "example"]));
    assert_quiet_exit(&out, "config example");
}

#[test]
fn screen_classify_of_a_big_screen_into_a_closed_pipe_exits_quietly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let screen = dir.path().join("screen.txt");
    let mut text = String::new();
    for i in 0..20_000 {
        text.push_str(&format!("line {i} of a long captured screen\n"));
    }
    text.push_str("╭───╮\n│ > │\n╰───╯\n");
    std::fs::write(&screen, text).expect("write the screen");
    let mut args = os(&["screen", "classify"]);
    args.push(screen.into_os_string());
    let out = run_os(&args);
    assert_quiet_exit(&out, "screen classify");
}

#[test]
fn config_check_and_tasks_into_a_closed_pipe_exit_quietly() {
    let sandbox = Sandbox::create(&support::spec()).expect("sandbox");
    for command in [
        &["config", "check"][..],
        &["tasks"][..],
        &["tasks", "--json"][..],
    ] {
        let mut args = os(command);
        args.push("--config".into());
        args.push(sandbox.config_path.clone().into_os_string());
        let out = run_os(&args);
        assert_quiet_exit(&out, &command.join(" "));
    }
}

#[test]
fn help_and_version_into_a_closed_pipe_exit_quietly() {
    for command in [
        &["--help"][..],
        &["--version"][..],
        &["screen", "--help"][..],
    ] {
        let out = run_os(&os(command));
        assert_quiet_exit(&out, &command.join(" "));
    }
}

#[test]
fn an_error_report_into_a_closed_stderr_keeps_its_exit_status() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, "pool:\n  autonomus: 1\n").expect("write");
    let out = run_into_closed_stderr(&[
        "config".as_ref(),
        "check".as_ref(),
        "--config".as_ref(),
        bad.as_os_str(),
    ]);
    assert_eq!(out.status.signal(), None, "{:?}", out.status);
    assert_eq!(out.status.code(), Some(2), "{:?}", out.status);
    let missing = dir.path().join("missing.txt");
    let out =
        run_into_closed_stderr(&["screen".as_ref(), "classify".as_ref(), missing.as_os_str()]);
    assert_eq!(out.status.signal(), None, "{:?}", out.status);
    assert_eq!(out.status.code(), Some(1), "{:?}", out.status);
}
