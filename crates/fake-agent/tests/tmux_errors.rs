//! Error turns in a real tmux pane: the 2.1.329 dim hint as tmux stores it (`capture-pane -e`),
//! the 2.1.197 401 screen from the `fake-error` switch, and the client's own retries of a 500
//! that end in a normal reply once the switch is removed.

mod support;

use serde_json::Value;
use std::path::{Path, PathBuf};
use support::sgr::{cells, text};
use support::{Dirs, TmuxServer, is_busy, is_idle, rows, wait_file};

/// The account-wide error switch of `dirs`.
fn switch(dirs: &Dirs) -> PathBuf {
    dirs.config().join("fake-error")
}

/// Starts the fake with `env` (`NAME=value …`) added and waits for its idle frame.
fn start(dirs: &Dirs, env: &str) -> TmuxServer {
    let server = TmuxServer::start(&dirs.work(), &dirs.command("100ms", env, ""));
    server.wait_screen("the idle frame", |s| {
        is_idle(s) && s.contains("bypass permissions on")
    });
    server
}

fn json_lines(path: &Path) -> Vec<Value> {
    wait_file(path)
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// The input row of a `capture-pane -e` screen, as cells.
fn input_row(screen: &str) -> Vec<support::sgr::Cell> {
    screen
        .lines()
        .map(cells)
        .find(|row| text(row).starts_with("❯\u{a0}"))
        .unwrap_or_else(|| panic!("no input row:\n{screen}"))
}

#[test]
fn the_329_hint_is_dim_in_the_pane_and_typing_replaces_it() {
    let dirs = Dirs::new();
    let server = start(&dirs, "FAKE_AGENT_CLIENT=2.1.329");
    server.type_text("login expired fake-agent:error=401");
    server.send_keys(&["Enter"]);
    let screen = server.wait_screen("the 401 hint", |s| {
        is_idle(s) && rows(s).contains(&"❯\u{a0}Once fixed, resend your message")
    });
    assert!(
        screen.contains("● Please run /login · API Error: 401 OAuth token has expired."),
        "{screen}"
    );
    assert!(
        !rows(&screen).iter().any(|r| r.starts_with("✻ ")),
        "no completion row on 2.1.329:\n{screen}"
    );
    let row = input_row(&server.screen_with_attributes());
    assert_eq!(text(&row), "❯\u{a0}Once fixed, resend your message");
    assert!(row[2].reverse, "the cursor cell");
    assert!(row[3..].iter().all(|cell| cell.dim), "{row:?}");
    assert!(!row[0].dim && !row[1].dim);

    let failure = json_lines(&dirs.hook_file("StopFailure"));
    assert_eq!(failure[0]["error"], "authentication_failed");
    assert_eq!(failure[0]["effort"]["level"], "medium");

    server.type_text("x");
    server.wait_screen("typed text in place of the hint", |s| {
        rows(s).contains(&"❯\u{a0}x")
    });
    let row = input_row(&server.screen_with_attributes());
    assert!(row.iter().all(|cell| !cell.dim), "{row:?}");
}

#[test]
fn the_switch_fails_a_197_turn_with_401_and_an_ordinary_input() {
    let dirs = Dirs::new();
    std::fs::create_dir_all(dirs.config()).unwrap();
    std::fs::write(switch(&dirs), "401").unwrap();
    let server = start(&dirs, "");
    server.type_text("record auth401 please");
    server.send_keys(&["Enter"]);
    let screen = server.wait_screen("the 401 line", |s| {
        is_idle(s) && s.contains("● Please run /login · API Error: 401")
    });
    let rows = rows(&screen);
    assert!(
        rows.iter().any(|r| r.starts_with("✻ Worked for ")),
        "{screen}"
    );
    assert!(rows.contains(&"❯\u{a0}"), "{screen}");
    let row = input_row(&server.screen_with_attributes());
    assert!(row.iter().all(|cell| !cell.dim), "{row:?}");
    let failure = json_lines(&dirs.hook_file("StopFailure"));
    assert_eq!(failure[0]["error"], "authentication_failed");
    assert!(!dirs.hook_file("Stop").exists());
    assert_eq!(json_lines(&dirs.record()).len(), 1);
}

#[test]
fn retries_show_then_the_turn_goes_on_once_the_switch_is_gone() {
    let dirs = Dirs::new();
    std::fs::create_dir_all(dirs.config()).unwrap();
    std::fs::write(switch(&dirs), "500").unwrap();
    // Many short retries: the switch is removed during them, however slow the machine is.
    let server = start(&dirs, "FAKE_AGENT_RETRIES=100 FAKE_AGENT_RETRY_DELAY=300ms");
    server.type_text("outage test");
    server.send_keys(&["Enter"]);
    let screen = server.wait_screen("a retry row", |s| {
        is_busy(s)
            && rows(s)
                .iter()
                .any(|r| r.contains(" · Retrying in 1s · attempt ") && r.ends_with("/100"))
    });
    assert!(!screen.contains("● API Error"), "{screen}");
    std::fs::remove_file(switch(&dirs)).unwrap();
    server.wait_screen("the reply", |s| {
        is_idle(s) && s.contains("● Done: outage test")
    });
    let stop = json_lines(&dirs.hook_file("Stop"));
    assert_eq!(stop[0]["last_assistant_message"], "Done: outage test");
    assert!(!dirs.hook_file("StopFailure").exists());
    assert_eq!(json_lines(&dirs.record()).len(), 1, "recorded once");
}
