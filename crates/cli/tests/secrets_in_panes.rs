//! On real tmux: a distinctive `agent.env` value never shows in any pool pane's history (the
//! launch line sources a private file instead of typing it) nor in the daemon's log, while the
//! agent still gets its environment (the fake agent refuses to start as root without
//! `IS_SANDBOX`, which comes the same way).

mod support;

use std::time::Duration;

use claude_failover::sandbox::Sandbox;
use support::{DaemonProcess, is_done, wait_until};

const SECRET: &str = "sk-cf-e2e-distinctive-41c07";

#[test]
fn no_agent_env_value_is_in_any_pane_history() {
    let mut spec = support::spec();
    spec.agent_env
        .push(("CF_TEST_API_KEY".into(), SECRET.into()));
    let sandbox = Sandbox::create(&spec).expect("sandbox");
    sandbox.add_task("alpha", "s1", "First.").expect("add");
    sandbox.add_task("beta", "s2", "Second.").expect("add");
    let mut daemon = DaemonProcess::start(&sandbox, "secrets");
    wait_until(Duration::from_secs(60), "both tasks done", || {
        is_done(&sandbox, "alpha", "s1") && is_done(&sandbox, "beta", "s2")
    });
    let names = sandbox
        .tmux_command(&["list-sessions", "-F", "#{session_name}"])
        .expect("tmux");
    let names = String::from_utf8_lossy(&names.stdout).into_owned();
    assert!(!names.trim().is_empty(), "the pool sessions exist");
    for name in names.lines() {
        let target = format!("={name}:");
        let out = sandbox
            .tmux_command(&["capture-pane", "-p", "-S", "-2000", "-t", &target])
            .expect("capture");
        let history = String::from_utf8_lossy(&out.stdout);
        assert!(
            !history.contains(SECRET),
            "{name}'s history shows the value:\n{history}"
        );
    }
    assert!(daemon.stop());
    assert!(
        !daemon.log_text().contains(SECRET),
        "the daemon log shows the value"
    );
}

/// The daemon's own secrets (the API token, a sink's URL) are in its environment, but never in
/// the environment of the tmux server it starts, and so never in a shell or agent of the pool.
#[test]
fn the_daemons_secrets_never_reach_the_tmux_server_it_starts() {
    const TOKEN: &str = "daemon-token-never-in-tmux-5d1e3a";
    const URL: &str = "http://127.0.0.1:9/never-in-tmux-8c2f";
    let mut spec = support::spec();
    spec.extra_yaml =
        "notify:\n  sinks:\n    - {name: hook, kind: webhook, url_env: CF_TEST_SINK_URL}\n".into();
    let sandbox = Sandbox::create(&spec).expect("sandbox");
    let mut daemon = DaemonProcess::start_with_env(
        &sandbox,
        "private-env",
        &[
            ("CLAUDE_FAILOVER_API_TOKEN", TOKEN),
            ("CF_TEST_SINK_URL", URL),
            ("NOTIFY_SOCKET", ""),
        ],
    );
    // Started (its signal handlers are in place) and its pool is up.
    wait_until(Duration::from_secs(30), "the daemon started", || {
        daemon.log_text().contains("started")
    });
    let global = sandbox
        .tmux_command(&["show-environment", "-g"])
        .expect("tmux");
    let global = String::from_utf8_lossy(&global.stdout).into_owned();
    assert!(
        global.contains("PATH="),
        "the server has an environment: {global}"
    );
    for (name, value) in [
        ("CLAUDE_FAILOVER_API_TOKEN", TOKEN),
        ("CF_TEST_SINK_URL", URL),
    ] {
        assert!(
            !global.contains(value) && !global.contains(name),
            "{name} reached tmux"
        );
    }
    assert!(daemon.stop());
}
