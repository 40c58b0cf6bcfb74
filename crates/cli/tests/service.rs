//! Running as a systemd service: the unit `service install` writes passes `systemd-analyze
//! verify`, install and uninstall keep the operator's secrets file, and the daemon tells the
//! service manager it is ready only once its pool is up, then pings the watchdog from its loop.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixDatagram;
use std::process::Command;
use std::time::Duration;

use claude_failover::sandbox::Sandbox;
use support::DaemonProcess;

fn cli() -> Command {
    Command::new(support::binary())
}

#[test]
fn the_printed_unit_passes_systemd_analyze_verify() {
    let sandbox = Sandbox::create(&support::spec()).expect("sandbox");
    let out = cli()
        .args(["service", "install", "--print", "--config"])
        .arg(&sandbox.config_path)
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let unit = String::from_utf8_lossy(&out.stdout).into_owned();
    for line in [
        "Type=notify",
        "KillMode=process",
        "WatchdogSec=60s",
        "Restart=on-failure",
    ] {
        assert!(unit.lines().any(|l| l == line), "{line} in:\n{unit}");
    }
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("claude-failover.service");
    std::fs::write(&path, &unit).expect("write");
    let verify = match Command::new("systemd-analyze")
        .arg("verify")
        .arg(&path)
        .output()
    {
        Ok(verify) => verify,
        Err(e) => {
            eprintln!("skipped: systemd-analyze cannot run here ({e})");
            return;
        }
    };
    let complaints = String::from_utf8_lossy(&verify.stderr);
    assert!(
        verify.status.success() && complaints.trim().is_empty(),
        "{complaints}"
    );
}

#[test]
fn install_writes_the_unit_and_a_private_secrets_file_and_uninstall_keeps_the_secrets() {
    let sandbox = Sandbox::create(&support::spec()).expect("sandbox");
    let home = tempfile::tempdir().expect("dir");
    let run = |args: &[&str]| {
        let out = cli()
            .args(args)
            .env("XDG_CONFIG_HOME", home.path())
            .env("CLAUDE_FAILOVER_SYSTEMCTL", "true")
            .output()
            .expect("run");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let config = sandbox.config_path.display().to_string();
    let said = run(&["service", "install", "--config", &config]);
    let unit_path = home.path().join("systemd/user/claude-failover.service");
    let unit = std::fs::read_to_string(&unit_path).expect("the unit");
    assert!(unit.contains(&format!("run --config {config}")), "{unit}");
    let env_file = home.path().join("claude-failover/env");
    let mode = std::fs::metadata(&env_file)
        .expect("env file")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "only the operator reads the secrets");
    let template = std::fs::read_to_string(&env_file).expect("env file");
    assert!(
        template.contains("# CLAUDE_FAILOVER_API_TOKEN="),
        "{template}"
    );
    assert!(said.contains("enable --now claude-failover"), "{said}");
    assert!(
        said.contains("lingering"),
        "a user unit needs lingering: {said}"
    );

    std::fs::write(&env_file, "CLAUDE_FAILOVER_API_TOKEN=mine\n").expect("fill in");
    run(&["service", "install", "--config", &config]);
    assert_eq!(
        std::fs::read_to_string(&env_file).expect("env"),
        "CLAUDE_FAILOVER_API_TOKEN=mine\n",
        "a second install never overwrites the secrets"
    );
    let said = run(&["service", "uninstall"]);
    assert!(!unit_path.exists(), "the unit is gone");
    assert!(env_file.exists() && said.contains("kept"), "{said}");
}

#[test]
fn readiness_comes_after_the_pool_is_up_and_the_loop_pings_the_watchdog() {
    let mut spec = support::spec();
    spec.pool_size = 2;
    let sandbox = Sandbox::create(&spec).expect("sandbox");
    let socket_dir = tempfile::tempdir().expect("dir");
    let socket_path = socket_dir.path().join("notify.sock");
    let manager = UnixDatagram::bind(&socket_path).expect("bind the notify socket");
    manager
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let socket = socket_path.display().to_string();
    let mut daemon = DaemonProcess::start_with_env(
        &sandbox,
        "service",
        &[
            ("NOTIFY_SOCKET", socket.as_str()),
            ("WATCHDOG_USEC", "400000"),
        ],
    );
    let next = || heard(&manager).expect("a message from the daemon");
    assert_eq!(next(), "READY=1", "the first thing the manager hears");
    let names = sandbox
        .tmux_command(&["list-sessions", "-F", "#{session_name}"])
        .expect("tmux");
    let names = String::from_utf8_lossy(&names.stdout).into_owned();
    assert_eq!(
        names.lines().count(),
        2,
        "both pool sessions exist when ready is said: {names}"
    );
    for _ in 0..3 {
        assert_eq!(next(), "WATCHDOG=1");
    }
    assert!(daemon.stop(), "clean stop");
    let mut rest = Vec::new();
    while let Some(message) = heard(&manager) {
        let stopping = message == "STOPPING=1";
        rest.push(message);
        if stopping {
            break;
        }
    }
    assert_eq!(
        rest.last().map(String::as_str),
        Some("STOPPING=1"),
        "{rest:?}"
    );
}

/// The next message on the notify socket (none within its read timeout).
fn heard(manager: &UnixDatagram) -> Option<String> {
    let mut buffer = [0u8; 512];
    let n = manager.recv(&mut buffer).ok()?;
    Some(String::from_utf8_lossy(&buffer[..n]).trim().to_owned())
}
