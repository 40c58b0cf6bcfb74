//! The operator's commands: `config check`, `task add`, `screen classify`, `hooks`,
//! `status`, run as a user would run them.

mod support;

use assert_cmd::Command;
use claude_failover::sandbox::{Hooks, Sandbox};

fn cli() -> Command {
    Command::new(support::binary())
}

fn stdout_of(cmd: &mut Command) -> String {
    let out = cmd.output().expect("run the binary");
    assert!(
        out.status.success(),
        "failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn config_check_reports_every_error_with_line_and_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bad.yaml");
    std::fs::write(&path, "dispatcher:\n  projects_dir: /tmp\n  prompt_timeout: 30\npool:\n  autonomus:\n    max: 2\nwatcher:\n  interval: fast\n").expect("write");
    let out = cli()
        .args(["config", "check", "--config"])
        .arg(&path)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.yaml:3:") && err.contains("dispatcher.prompt_timeout"),
        "{err}"
    );
    assert!(
        err.contains("bad.yaml:5:") && err.contains("pool.autonomus"),
        "{err}"
    );
    assert!(
        err.contains("bad.yaml:8:") && err.contains("watcher.interval"),
        "{err}"
    );
}

#[test]
fn config_check_accepts_the_example_and_the_sandbox() {
    let example = stdout_of(cli().args(["config", "example"]));
    assert!(example.contains("accounts:"));
    let sandbox = Sandbox::create(&support::spec()).expect("sandbox");
    let out = stdout_of(
        cli()
            .args(["config", "check", "--config"])
            .arg(&sandbox.config_path),
    );
    assert!(out.contains(": ok"), "{out}");
}

#[test]
fn task_add_writes_atomically_with_frontmatter() {
    let sandbox = Sandbox::create(&support::spec()).expect("sandbox");
    let out = stdout_of(
        cli()
            .args(["task", "add", "--config"])
            .arg(&sandbox.config_path)
            .args([
                "beta",
                "-",
                "--priority",
                "critical",
                "--title",
                "Fix \"login\"",
                "--id",
                "fix-login",
            ])
            .write_stdin("The login page is broken.\n"),
    );
    assert!(
        out.trim().ends_with("beta/.agent-queue/inbox/fix-login.md"),
        "{out}"
    );
    let text = std::fs::read_to_string(
        sandbox
            .projects_dir
            .join("beta/.agent-queue/inbox/fix-login.md"),
    )
    .expect("read");
    let doc = cf_core::task::parse_task(text.as_bytes()).expect("parses");
    assert_eq!(doc.frontmatter.priority, cf_core::Priority::Critical);
    assert_eq!(doc.frontmatter.title.as_deref(), Some("Fix \"login\""));
    assert_eq!(doc.body.trim(), "The login page is broken.");
    assert_eq!(
        sandbox.files_in("beta", "inbox"),
        vec!["fix-login.md"],
        "no temp file left"
    );

    // The same id again is refused; an unknown project names the known ones; bad frontmatter is refused before writing.
    let again = cli()
        .args(["task", "add", "--config"])
        .arg(&sandbox.config_path)
        .args(["beta", "-", "--id", "fix-login"])
        .write_stdin("x")
        .output()
        .expect("run");
    assert!(!again.status.success());
    let unknown = cli()
        .args(["task", "add", "--config"])
        .arg(&sandbox.config_path)
        .args(["nope", "-"])
        .write_stdin("x")
        .output()
        .expect("run");
    assert!(
        String::from_utf8_lossy(&unknown.stderr).contains("alpha"),
        "lists known projects"
    );
    let bad = cli()
        .args(["task", "add", "--config"])
        .arg(&sandbox.config_path)
        .args(["beta", "-", "--id", "bad"])
        .write_stdin("---\npriority: [x]\n---\n")
        .output()
        .expect("run");
    assert!(!bad.status.success() && String::from_utf8_lossy(&bad.stderr).contains("priority"));
    assert_eq!(sandbox.files_in("beta", "inbox"), vec!["fix-login.md"]);
}

#[test]
fn screen_classify_reads_recorded_screens() {
    let fixtures =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../core/tests/fixtures/screens");
    for (file, state) in [
        ("a_idle_start_after10s.txt", "idle"),
        ("b_working_12s.txt", "busy"),
        ("d4_bracketed_paste_before_enter.txt", "input-pending"),
        ("g_exit_after.txt", "no-agent"),
    ] {
        let out = stdout_of(cli().args(["screen", "classify"]).arg(fixtures.join(file)));
        assert!(out.contains(&format!("state: {state}")), "{file}: {out}");
    }
}

#[test]
fn hooks_install_is_idempotent_and_check_tells() {
    let mut spec = support::spec();
    spec.hooks = Hooks::None;
    let sandbox = Sandbox::create(&spec).expect("sandbox");
    let settings = sandbox.account_dir.join("settings.json");
    std::fs::write(&settings, r#"{"env": {"KEEP": "1"}, "theme": "dark"}"#).expect("write");
    let check = cli()
        .args(["hooks", "check", "--config"])
        .arg(&sandbox.config_path)
        .output()
        .expect("run");
    assert_eq!(check.status.code(), Some(1), "missing hooks are reported");
    stdout_of(
        cli()
            .args(["hooks", "install", "--config"])
            .arg(&sandbox.config_path),
    );
    let first = std::fs::read_to_string(&settings).expect("read");
    assert!(
        first.contains("\"KEEP\"")
            && first.contains("\"theme\"")
            && first.contains("hook stop")
            && first.contains("hook stop-failure"),
        "{first}"
    );
    let again = stdout_of(
        cli()
            .args(["hooks", "install", "--config"])
            .arg(&sandbox.config_path),
    );
    assert!(again.contains("nothing changed"), "{again}");
    assert_eq!(std::fs::read_to_string(&settings).expect("read"), first);
    stdout_of(
        cli()
            .args(["hooks", "check", "--config"])
            .arg(&sandbox.config_path),
    );
}

#[test]
fn hook_writes_the_done_signal_for_its_session() {
    let dir = tempfile::tempdir().expect("tempdir");
    cli()
        .args(["hook", "stop", "--signal-dir"])
        .arg(dir.path())
        .env("CLAUDE_FAILOVER_SESSION", "cf-pool-7")
        .write_stdin(
            r#"{"session_id":"d3dfc52d-1248-4328-a877-e0f73ec7fe51","hook_event_name":"Stop"}"#,
        )
        .assert()
        .success();
    let body =
        std::fs::read_to_string(dir.path().join("agent-done-cf-pool-7")).expect("signal written");
    assert!(body.contains("d3dfc52d-1248-4328-a877-e0f73ec7fe51"));
    // Every hook also records the conversation id for the session (the resume id for a swap).
    let id =
        std::fs::read_to_string(dir.path().join("agent-session-cf-pool-7")).expect("session id");
    assert!(id.contains("d3dfc52d-1248-4328-a877-e0f73ec7fe51"));
    // Outside tmux and outside a daemon-launched agent the hook does nothing and never fails.
    cli()
        .args(["hook", "stop-failure", "--signal-dir"])
        .arg(dir.path())
        .env_remove("CLAUDE_FAILOVER_SESSION")
        .env_remove("TMUX")
        .env_remove("TMUX_PANE")
        .write_stdin("garbage")
        .assert()
        .success();
    // A session start records the id but signals nothing.
    cli()
        .args(["hook", "session-start", "--signal-dir"])
        .arg(dir.path())
        .env("CLAUDE_FAILOVER_SESSION", "cf-pool-8")
        .write_stdin(r#"{"session_id":"0b8a3c1e-1111-4222-8333-944455556666","source":"startup"}"#)
        .assert()
        .success();
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .expect("list")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "agent-done-cf-pool-7",
            "agent-session-cf-pool-7",
            "agent-session-cf-pool-8"
        ]
    );
}

#[test]
fn status_without_a_daemon_shows_queues() {
    let sandbox = Sandbox::create(&support::spec()).expect("sandbox");
    sandbox
        .add_task("gamma", "waiting", "A task.")
        .expect("add");
    let text = stdout_of(cli().args(["status", "--config"]).arg(&sandbox.config_path));
    assert!(text.contains("daemon: not running"), "{text}");
    let json = stdout_of(
        cli()
            .args(["status", "--json", "--config"])
            .arg(&sandbox.config_path),
    );
    let value: serde_json::Value = serde_json::from_str(&json).expect("json");
    let gamma = value["projects"]
        .as_array()
        .expect("projects")
        .iter()
        .find(|p| p["name"] == "gamma")
        .cloned()
        .expect("gamma");
    assert_eq!(gamma["queued"], 1);
}

#[test]
fn task_add_takes_ids_with_spaces_and_accents_and_refuses_hidden_or_colon_names() {
    let sandbox = Sandbox::create(&support::spec()).expect("sandbox");
    let dir = tempfile::tempdir().expect("tempdir");
    for name in ["Fix login bug.md", "Ünïcode tâche.md"] {
        let file = dir.path().join(name);
        std::fs::write(&file, "Do it.\n").expect("write");
        let out = stdout_of(
            cli()
                .args(["task", "add", "--config"])
                .arg(&sandbox.config_path)
                .arg("beta")
                .arg(&file),
        );
        assert!(out.trim().ends_with(&format!("inbox/{name}")), "{out}");
    }
    let mut inbox = sandbox.files_in("beta", "inbox");
    inbox.sort();
    assert_eq!(inbox, ["Fix login bug.md", "Ünïcode tâche.md"]);

    let hidden = dir.path().join(".hidden.md");
    std::fs::write(&hidden, "Do it.\n").expect("write");
    let out = cli()
        .args(["task", "add", "--config"])
        .arg(&sandbox.config_path)
        .arg("beta")
        .arg(&hidden)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("task id `.hidden` starts with `.`") && err.contains("pass --id"),
        "{err}"
    );
    let out = cli()
        .args(["task", "add", "--config"])
        .arg(&sandbox.config_path)
        .args(["beta", "-", "--id", "web:task"])
        .write_stdin("Do it.\n")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--id: task id `web:task` has the character ':'"),
        "{err}"
    );
    assert_eq!(
        sandbox.files_in("beta", "inbox").len(),
        2,
        "nothing else written"
    );
}

#[test]
fn screen_classify_says_how_a_recorded_error_turn_ended() {
    let fixtures =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../core/tests/fixtures/errors");
    for (file, turn) in [
        (
            "2.1.329-auth401.txt",
            "turn: account error (authentication_failed)",
        ),
        (
            "2.1.329-auth401.esc.txt",
            "turn: account error (authentication_failed)",
        ),
        (
            "2.1.197-server500_fail_count_100.txt",
            "turn: transient error (server_error)",
        ),
    ] {
        let out = stdout_of(cli().args(["screen", "classify"]).arg(fixtures.join(file)));
        assert!(
            out.contains("state: idle"),
            "{file}: a dim hint is no input: {out}"
        );
        assert!(out.contains(turn), "{file}: {out}");
    }
}

#[test]
fn completions_and_the_man_page_come_from_the_cli_definition() {
    for shell in ["bash", "zsh", "fish"] {
        let script = stdout_of(cli().args(["completions", shell]));
        assert!(
            script.contains("claude-failover")
                && script.contains("status")
                && script.contains("swap"),
            "{shell}: {script}"
        );
    }
    let bash = stdout_of(cli().args(["completions", "bash"]));
    assert!(bash.contains("--config"), "flags are completed too");
    let page = stdout_of(cli().arg("man"));
    assert!(page.contains("\n.TH claude-failover 1 "), "{page}");
    assert!(
        page.contains("status") && page.contains("completions"),
        "{page}"
    );
    let refused = cli().args(["completions", "tcsh"]).output().expect("run");
    assert_eq!(
        refused.status.code(),
        Some(2),
        "an unknown shell is a usage error"
    );
}
