//! Integration tests of session lifecycle, exact-name targeting, screens and errors,
//! on private tmux servers.

mod support;

use std::time::{Duration, Instant};

use cf_tmux::{Key, Tmux, TmuxError};
use support::{PrivateServer, wait_until};

#[tokio::test]
async fn no_server_means_no_sessions_and_typed_errors() {
    let server = PrivateServer::new();
    let tmux = &server.tmux;
    assert_eq!(tmux.list_sessions().await.unwrap(), Vec::<String>::new());
    assert!(!tmux.has_session("ccl-auto-1").await.unwrap());
    tmux.kill_session("ccl-auto-1").await.unwrap();
    tmux.kill_server().await.unwrap();
    let error = tmux.capture_screen("ccl-auto-1").await.unwrap_err();
    assert!(matches!(error, TmuxError::NoServer { .. }), "{error}");
    let error = tmux.pane_info("ccl-auto-1").await.unwrap_err();
    assert!(matches!(error, TmuxError::NoServer { .. }), "{error}");
}

#[tokio::test]
async fn create_list_has_env_kill() {
    let server = PrivateServer::new();
    let tmux = &server.tmux;
    let mut spec = server.shell_spec("ccl-auto-3");
    spec.env = vec![
        ("CF_ACCOUNT".to_owned(), "work".to_owned()),
        ("CF_SECRET".to_owned(), "sk-ant-very-secret".to_owned()),
    ];
    tmux.new_session(&spec).await.unwrap();
    assert_eq!(tmux.list_sessions().await.unwrap(), vec!["ccl-auto-3"]);
    assert!(tmux.has_session("ccl-auto-3").await.unwrap());
    assert_eq!(
        tmux.session_env("ccl-auto-3", "CF_ACCOUNT").await.unwrap(),
        Some("work".to_owned())
    );
    assert_eq!(
        tmux.session_env("ccl-auto-3", "CF_NOT_SET").await.unwrap(),
        None
    );
    server.raw(&["set-environment", "-t", "=ccl-auto-3", "-r", "CF_ACCOUNT"]);
    assert_eq!(
        tmux.session_env("ccl-auto-3", "CF_ACCOUNT").await.unwrap(),
        None
    );

    let error = tmux.new_session(&spec).await.unwrap_err();
    assert!(matches!(error, TmuxError::SessionExists { .. }), "{error}");
    let shown = error.to_string();
    assert!(!shown.contains("sk-ant-very-secret"), "{shown}");
    assert!(shown.contains("CF_SECRET=<18 bytes>"), "{shown}");

    let info = tmux.pane_info("ccl-auto-3").await.unwrap();
    assert_eq!((info.width, info.height), (80, 24));
    assert!(!info.dead);
    assert!(info.pid > 0);

    tmux.kill_session("ccl-auto-3").await.unwrap();
    assert!(!tmux.has_session("ccl-auto-3").await.unwrap());
    tmux.kill_session("ccl-auto-3").await.unwrap();
}

#[tokio::test]
async fn exact_names_never_hit_longer_sessions() {
    let server = PrivateServer::new();
    let tmux = &server.tmux;
    tmux.new_session(&server.shell_spec("ccl-auto-11"))
        .await
        .unwrap();

    // Only ccl-auto-11 exists: a plain `-t ccl-auto-1` would resolve to it.
    assert!(!tmux.has_session("ccl-auto-1").await.unwrap());
    for error in [
        tmux.capture_screen("ccl-auto-1").await.unwrap_err(),
        tmux.capture_with_history("ccl-auto-1", 10)
            .await
            .unwrap_err(),
        tmux.pane_info("ccl-auto-1").await.unwrap_err(),
        tmux.type_text("ccl-auto-1", "echo wrong")
            .await
            .unwrap_err(),
        tmux.press("ccl-auto-1", Key::Enter).await.unwrap_err(),
        tmux.paste("ccl-auto-1", "wrong\n").await.unwrap_err(),
        tmux.session_env("ccl-auto-1", "PATH").await.unwrap_err(),
    ] {
        assert!(
            matches!(&error, TmuxError::NoSuchSession { session, .. } if session == "ccl-auto-1"),
            "{error}"
        );
    }
    tmux.kill_session("ccl-auto-1").await.unwrap();
    assert!(tmux.has_session("ccl-auto-11").await.unwrap());

    // Both present: input for ccl-auto-1 lands there and only there.
    let mut spec = server.shell_spec("ccl-auto-1");
    spec.env = vec![("CF_WHICH".to_owned(), "one".to_owned())];
    tmux.new_session(&spec).await.unwrap();
    let file_1 = server.start_cat_into("ccl-auto-1", "one.txt").await;
    tmux.type_text("ccl-auto-1", "marker-for-one")
        .await
        .unwrap();
    tmux.press("ccl-auto-1", Key::Enter).await.unwrap();
    let content = support::wait_for_file(&file_1, "marker-for-one\n").await;
    assert_eq!(content, "marker-for-one\n");
    assert!(
        !tmux
            .capture_screen("ccl-auto-11")
            .await
            .unwrap()
            .contains("marker")
    );
    assert_eq!(
        tmux.pane_info("ccl-auto-1").await.unwrap().current_command,
        "cat"
    );
    assert_ne!(
        tmux.pane_info("ccl-auto-11").await.unwrap().current_command,
        "cat"
    );
    assert_eq!(
        tmux.session_env("ccl-auto-11", "CF_WHICH").await.unwrap(),
        None
    );
    assert_eq!(
        tmux.session_env("ccl-auto-1", "CF_WHICH").await.unwrap(),
        Some("one".to_owned())
    );

    tmux.kill_session("ccl-auto-1").await.unwrap();
    let mut remaining = tmux.list_sessions().await.unwrap();
    remaining.sort();
    assert_eq!(remaining, vec!["ccl-auto-11"]);
}

#[tokio::test]
async fn invalid_names_are_refused_before_tmux_runs() {
    let server = PrivateServer::new();
    let tmux = &server.tmux;
    for name in [
        "", "a:b", "a.b", "=a", "-a", "a#{pid}", "a\\b", "a\nb", "a\u{1b}b",
    ] {
        let error = tmux
            .new_session(&server.shell_spec(name))
            .await
            .unwrap_err();
        assert!(
            matches!(error, TmuxError::InvalidSessionName { .. }),
            "{name:?}: {error}"
        );
        let error = tmux.has_session(name).await.unwrap_err();
        assert!(
            matches!(error, TmuxError::InvalidSessionName { .. }),
            "{name:?}: {error}"
        );
        let error = tmux.type_text(name, "x").await.unwrap_err();
        assert!(
            matches!(error, TmuxError::InvalidSessionName { .. }),
            "{name:?}: {error}"
        );
    }
    // Nothing reached tmux, so no server was started.
    assert!(!server.raw(&["list-sessions"]).status.success());
}

#[tokio::test]
async fn new_session_checks_and_applies_its_spec() {
    let server = PrivateServer::new();
    let tmux = &server.tmux;

    let mut missing_dir = server.shell_spec("cf-missing-dir");
    missing_dir.cwd = server.path("does-not-exist");
    let error = tmux.new_session(&missing_dir).await.unwrap_err();
    assert!(
        matches!(error, TmuxError::InvalidArgument { .. }),
        "{error}"
    );

    let mut zero = server.shell_spec("cf-zero");
    zero.width = 0;
    assert!(matches!(
        tmux.new_session(&zero).await.unwrap_err(),
        TmuxError::InvalidArgument { .. }
    ));

    // `-c` is format-expanded by tmux: a `#` in the path must survive.
    let odd_dir = server.path("dir#{pid}x");
    std::fs::create_dir(&odd_dir).unwrap();
    let mut spec = server.shell_spec("cf-sized");
    spec.cwd = odd_dir.clone();
    spec.width = 132;
    spec.height = 40;
    spec.command = Some("exec cat".to_owned());
    tmux.new_session(&spec).await.unwrap();
    wait_until("cat runs in the pane", || async {
        tmux.pane_info("cf-sized").await.unwrap().current_command == "cat"
    })
    .await;
    let info = tmux.pane_info("cf-sized").await.unwrap();
    assert_eq!((info.width, info.height), (132, 40));
    let output = server.raw(&[
        "display-message",
        "-p",
        "-t",
        "=cf-sized:",
        "#{pane_current_path}",
    ]);
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim_end(),
        odd_dir.to_str().unwrap()
    );
}

#[tokio::test]
async fn sessions_end_with_their_process_even_if_config_says_remain() {
    let server = PrivateServer::new();
    let config = server.path("remain.conf");
    std::fs::write(
        &config,
        format!("{}set -g remain-on-exit on\n", support::SERVER_CONFIG),
    )
    .unwrap();
    let tmux = Tmux::new(Some(server.socket.clone())).with_config_file(&config);
    // This first session starts the server, so the server reads `remain.conf`.
    tmux.new_session(&server.shell_spec("cf-keeper"))
        .await
        .unwrap();
    server.wait_for_prompt("cf-keeper").await;
    let global = server.raw(&["show-options", "-gw", "remain-on-exit"]);
    assert_eq!(
        String::from_utf8_lossy(&global.stdout).trim(),
        "remain-on-exit on",
        "the server must run with the remain config"
    );
    let mut spec = server.shell_spec("cf-short");
    spec.command = Some("sleep 0.3".to_owned());
    tmux.new_session(&spec).await.unwrap();
    wait_until("the short session is gone", || async {
        !tmux.has_session("cf-short").await.unwrap()
    })
    .await;

    // A pane kept after its process exits reports `dead`.
    server.raw(&[
        "set-option",
        "-w",
        "-t",
        "=cf-keeper:",
        "remain-on-exit",
        "on",
    ]);
    tmux.type_text("cf-keeper", "exit").await.unwrap();
    tmux.press("cf-keeper", Key::Enter).await.unwrap();
    wait_until("the keeper pane is dead", || async {
        tmux.pane_info("cf-keeper").await.unwrap().dead
    })
    .await;
}

#[tokio::test]
async fn capture_shows_typed_command_output() {
    let server = PrivateServer::new();
    let tmux = &server.tmux;
    server.start_shell("cf-echo").await;
    tmux.type_text("cf-echo", "echo hi").await.unwrap();
    tmux.press("cf-echo", Key::Enter).await.unwrap();
    support::wait_for_screen(tmux, "cf-echo", "`hi` is on screen", |screen| {
        screen.lines().any(|line| line == "hi")
    })
    .await;
    let screen = tmux.capture_screen("cf-echo").await.unwrap();
    assert!(screen.ends_with('\n'));
    assert_eq!(screen.lines().count(), 24, "one line per row: {screen:?}");
    assert!(screen.contains("echo hi"));
}

#[tokio::test]
async fn capture_with_history_reaches_into_scrollback() {
    let server = PrivateServer::new();
    let tmux = &server.tmux;
    server.start_shell("cf-history").await;
    tmux.type_text("cf-history", "seq 1 100").await.unwrap();
    tmux.press("cf-history", Key::Enter).await.unwrap();
    support::wait_for_screen(tmux, "cf-history", "100 is on screen", |screen| {
        screen.lines().any(|line| line == "100")
    })
    .await;
    let screen = tmux.capture_screen("cf-history").await.unwrap();
    assert!(!screen.lines().any(|line| line == "5"));
    let history = tmux.capture_with_history("cf-history", 200).await.unwrap();
    assert!(history.lines().any(|line| line == "5"), "{history}");
    assert!(history.lines().any(|line| line == "100"));
    assert!(history.lines().count() > 100);
}

#[tokio::test]
async fn pane_info_follows_the_foreground_command() {
    let server = PrivateServer::new();
    let tmux = &server.tmux;
    server.start_shell("cf-info").await;
    let shell = tmux.pane_info("cf-info").await.unwrap();
    assert_eq!(shell.current_command, "sh", "{shell:?}");
    server.start_cat_into("cf-info", "cat.txt").await;
    let with_cat = tmux.pane_info("cf-info").await.unwrap();
    assert_eq!(with_cat.current_command, "cat");
    assert_eq!(with_cat.pid, shell.pid, "pid is the pane's first process");
    tmux.press("cf-info", Key::CtrlC).await.unwrap();
    wait_until("the shell is back", || async {
        tmux.pane_info("cf-info").await.unwrap().current_command == shell.current_command
    })
    .await;
}

#[tokio::test]
async fn every_call_has_a_deadline() {
    let server = PrivateServer::new();
    let hung = server.path("hung-tmux");
    std::fs::write(&hung, "#!/bin/sh\nexec sleep 30\n").unwrap();
    std::process::Command::new("chmod")
        .arg("+x")
        .arg(&hung)
        .status()
        .unwrap();
    let tmux = Tmux::new(Some(server.socket.clone()))
        .with_program(&hung)
        .with_timeout(Duration::from_millis(300));
    let started = Instant::now();
    let error = tmux.capture_screen("cf-any").await.unwrap_err();
    assert!(matches!(error, TmuxError::Timeout { .. }), "{error}");
    assert!(started.elapsed() < Duration::from_secs(5));
    let error = tmux.paste("cf-any", "text\n").await.unwrap_err();
    assert!(matches!(error, TmuxError::Timeout { .. }), "{error}");
}

#[tokio::test]
async fn missing_program_is_an_io_error() {
    let tmux = Tmux::new(Some("cf-test-unused".to_owned())).with_program("/nonexistent/tmux");
    let error = tmux.list_sessions().await.unwrap_err();
    assert!(matches!(error, TmuxError::Io { .. }), "{error}");
    assert!(error.to_string().contains("/nonexistent/tmux"));
}

#[tokio::test]
async fn arguments_ending_in_semicolon_reach_tmux_unchanged() {
    // tmux reads an argv element ending in `;` as a command separator.
    let server = PrivateServer::new();
    let tmux = &server.tmux;
    let mut spec = server.shell_spec("cf-semi");
    spec.env = vec![
        ("CF_LIST".to_owned(), "a;b;".to_owned()),
        ("CF_ESCAPED".to_owned(), "x\\;".to_owned()),
    ];
    tmux.new_session(&spec).await.unwrap();
    assert_eq!(
        tmux.session_env("cf-semi", "CF_LIST").await.unwrap(),
        Some("a;b;".to_owned())
    );
    assert_eq!(
        tmux.session_env("cf-semi", "CF_ESCAPED").await.unwrap(),
        Some("x\\;".to_owned())
    );
}

#[tokio::test]
async fn a_session_can_be_created_right_after_the_last_one_is_killed() {
    // Killing the last session makes the server exit; the next new-session may meet
    // the exiting server and must still succeed.
    let server = PrivateServer::new();
    let tmux = &server.tmux;
    for round in 0..15 {
        let name = format!("cf-round-{round}");
        tmux.new_session(&server.shell_spec(&name)).await.unwrap();
        assert_eq!(tmux.list_sessions().await.unwrap(), vec![name.clone()]);
        tmux.kill_session(&name).await.unwrap();
    }
}

#[tokio::test]
async fn session_of_pane_finds_the_owner_exactly() {
    let server = PrivateServer::new();
    let tmux = &server.tmux;
    server.start_shell("ccl-1-dedicated").await;
    server.start_shell("ccl-1").await;
    let out = server.raw(&["list-panes", "-t", "=ccl-1-dedicated:", "-F", "#{pane_id}"]);
    let pane = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(pane.starts_with('%'), "{pane}");
    assert_eq!(
        tmux.session_of_pane(&pane).await.unwrap(),
        "ccl-1-dedicated"
    );
    assert!(matches!(
        tmux.session_of_pane("%99999").await.unwrap_err(),
        TmuxError::UnexpectedOutput { .. }
    ));
    assert!(matches!(
        tmux.session_of_pane("12; kill-server").await.unwrap_err(),
        TmuxError::InvalidArgument { .. }
    ));
}

#[tokio::test]
async fn a_session_command_never_shows_in_errors() {
    let server = PrivateServer::new();
    let tmux = &server.tmux;
    let mut spec = server.shell_spec("ccl-auto-9");
    spec.command = Some("API_KEY='sk-secret-in-command' exec sleep 30".to_owned());
    tmux.new_session(&spec).await.unwrap();
    let error = tmux.new_session(&spec).await.unwrap_err();
    assert!(matches!(error, TmuxError::SessionExists { .. }), "{error}");
    assert!(
        !error.to_string().contains("sk-secret-in-command"),
        "{error}"
    );
    assert!(
        !format!("{error:?}").contains("sk-secret-in-command"),
        "{error:?}"
    );
}
