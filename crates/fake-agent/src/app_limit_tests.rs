//! State machine tests of the account-wide limit switch: at turn start, mid-turn, the
//! `/rate-limit-options` menu, the 2.1.329 automatic continue, and the record lines.

use super::tests::{Fixture, fixture, read_json};
use super::*;
use crate::paths::transcript_path;

fn records(f: &Fixture) -> Vec<Value> {
    std::fs::read_to_string(f.dir.path().join("record.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn set_account_limit(f: &Fixture, content: &str) {
    std::fs::write(f.dir.path().join("config/fake-quota"), content).unwrap();
}

fn transcript_lines(f: &Fixture) -> Vec<Value> {
    let path = transcript_path(
        &f.dir.path().join("config"),
        "/tmp/work",
        "00000000-0000-4000-8000-000000000001",
    );
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn account_limit_at_turn_start_fails_at_once_and_every_prompt_is_recorded() {
    let mut f = fixture(Duration::from_secs(5));
    std::fs::write(f.dir.path().join("config/fake-account-name"), "account-A\n").unwrap();
    set_account_limit(&f, "session reset=2099-11-24T08:00:00Z");
    f.app.submit("TASK-3 via account A".into(), f.t0);
    f.app.tick(f.t0);
    assert!(!f.app.is_working(), "no work is done under a limit");
    let frame = f.app.frame(f.t0, 200, 50);
    let at = frame
        .iter()
        .position(|l| l == "❯ TASK-3 via account A")
        .unwrap();
    assert_eq!(
        &frame[at + 1..at + 5],
        &[
            "  ⎿ \u{a0}You've hit your session limit · resets Nov 24, 8am (UTC)",
            "     /login to switch to an API usage-billed account.",
            "",
            "✻ Worked for 0s",
        ]
    );
    let failure = read_json(f.dir.path().join("failure.json"));
    assert_eq!(failure["error"], "rate_limit");
    assert_eq!(
        failure["last_assistant_message"],
        "You've hit your session limit · resets Nov 24, 8am (UTC)"
    );
    let error_line = transcript_lines(&f)
        .into_iter()
        .find(|l| l["type"] == "assistant")
        .unwrap();
    assert_eq!(error_line["isApiErrorMessage"], true);
    assert_eq!(error_line["error"], "rate_limit");

    // Still limited: the next prompt is recorded and fails again; once lifted, work resumes.
    f.app.submit("continue".into(), f.t0);
    f.app.tick(f.t0);
    assert!(!f.app.is_working());
    std::fs::remove_file(f.dir.path().join("config/fake-quota")).unwrap();
    f.app.submit("after the reset".into(), f.t0);
    assert!(f.app.is_working());
    f.app.tick(f.t0 + Duration::from_secs(5));
    let frame = f.app.frame(f.t0 + Duration::from_secs(5), 200, 50);
    assert!(frame.contains(&"● Done: after the reset".to_string()));
    let records = records(&f);
    let prompts: Vec<&str> = records
        .iter()
        .map(|r| r["prompt"].as_str().unwrap())
        .collect();
    assert_eq!(
        prompts,
        ["TASK-3 via account A", "continue", "after the reset"]
    );
    assert!(records.iter().all(|r| r["account_marker"] == "account-A"));
    assert!(records.iter().all(|r| r["event"] == "prompt"));
}

#[test]
fn limit_appearing_mid_turn_ends_it_at_the_next_poll() {
    let mut f = fixture(Duration::from_secs(60));
    f.app.submit("long task".into(), f.t0);
    f.app.tick(f.t0 + Duration::from_millis(100));
    assert!(f.app.is_working());
    set_account_limit(&f, "weekly reset=2099-01-01T10:00:00Z");
    f.app.tick(f.t0 + Duration::from_millis(150));
    assert!(f.app.is_working(), "not polled yet");
    f.app.tick(f.t0 + Duration::from_millis(250));
    assert!(!f.app.is_working(), "the limit ends the turn at the poll");
    let frame = f.app.frame(f.t0 + Duration::from_millis(250), 200, 50);
    assert!(frame.contains(
        &"  ⎿ \u{a0}You've hit your weekly limit · resets Jan 1, 10am (UTC)".to_string()
    ));
    assert!(frame.contains(&"     /upgrade to increase your usage limit.".to_string()));
    assert_eq!(
        read_json(f.dir.path().join("failure.json"))["error"],
        "rate_limit"
    );
    assert_eq!(records(&f)[0]["account_marker"], Value::Null);
}

#[test]
fn menu_style_opens_the_menu_once_and_records_every_answer() {
    let mut f = fixture(Duration::from_secs(5));
    set_account_limit(&f, "menu");
    f.app.submit("subscription limit test".into(), f.t0);
    f.app.tick(f.t0);
    assert!(f.app.menu_is_open());
    let frame = f.app.frame(f.t0, 200, 50);
    assert!(frame.contains(&"❯ /rate-limit-options".to_string()));
    assert!(frame.contains(&"  ❯ 1. Stop and wait for limit to reset".to_string()));
    assert!(!frame.iter().any(|l| l.starts_with("❯\u{a0}")), "{frame:?}");

    // Typing and pastes do not reach an input line while the menu is up.
    f.app.handle(InputEvent::Paste("a new task".into()), f.t0);
    f.app.handle(InputEvent::Text("1".into()), f.t0);
    assert!(f.app.menu_is_open());
    f.app.handle(InputEvent::Enter, f.t0);
    assert!(!f.app.menu_is_open());
    let frame = f.app.frame(f.t0, 200, 50);
    assert!(
        frame.contains(&"❯\u{a0}".to_string()),
        "back to idle: {frame:?}"
    );
    assert!(!frame.contains(&"❯ /rate-limit-options".to_string()));

    // The second limit of the process shows the /upgrade hint and no menu.
    f.app.submit("again".into(), f.t0);
    f.app.tick(f.t0);
    assert!(!f.app.menu_is_open());
    let frame = f.app.frame(f.t0, 200, 50);
    assert!(frame.contains(&"     /upgrade to increase your usage limit.".to_string()));

    let records = records(&f);
    let choices: Vec<&Value> = records
        .iter()
        .filter(|r| r["event"] == "menu_choice")
        .collect();
    assert_eq!(choices.len(), 1);
    assert_eq!(choices[0]["choice"], "Stop and wait for limit to reset");
    assert_eq!(
        choices[0]["session_id"],
        "00000000-0000-4000-8000-000000000001"
    );
    assert_eq!(
        records.iter().filter(|r| r["event"] == "prompt").count(),
        2,
        "the paste was not submitted"
    );
}

#[test]
fn menu_cancel_and_upgrade_are_recorded_and_queued_work_waits_for_the_menu() {
    let mut f = fixture(Duration::from_secs(1));
    f.app.submit("first".into(), f.t0);
    f.app.handle(InputEvent::Text("queued".into()), f.t0);
    f.app.handle(InputEvent::Enter, f.t0);
    set_account_limit(&f, "menu");
    f.app.tick(f.t0 + Duration::from_millis(300));
    assert!(f.app.menu_is_open());
    f.app.tick(f.t0 + Duration::from_millis(400));
    assert!(!f.app.is_working(), "the queued message waits for the menu");
    f.app.handle(InputEvent::Escape, f.t0);
    assert!(!f.app.menu_is_open());
    std::fs::remove_file(f.dir.path().join("config/fake-quota")).unwrap();
    f.app.tick(f.t0 + Duration::from_millis(500));
    assert!(
        f.app.is_working(),
        "the queued message starts after the menu"
    );

    let mut g = fixture(Duration::from_secs(1));
    set_account_limit(&g, "menu");
    g.app.submit("x".into(), g.t0);
    g.app.tick(g.t0);
    g.app.handle(InputEvent::Down, g.t0);
    g.app.handle(InputEvent::Enter, g.t0);
    let choices: Vec<String> = [records(&f), records(&g)]
        .concat()
        .iter()
        .filter(|r| r["event"] == "menu_choice")
        .map(|r| r["choice"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(choices, ["cancel", "Upgrade your plan"]);
}

#[test]
fn five_hour_new_style_arms_an_automatic_continue_until_esc() {
    let mut f = fixture(Duration::from_secs(5));
    set_account_limit(&f, "5h-new reset=2099-01-01T10:13:00Z");
    f.app.submit("subscription limit new version".into(), f.t0);
    f.app.tick(f.t0);
    let frame = f.app.frame(f.t0, 200, 50);
    let at = frame
        .iter()
        .position(|l| l == "❯ subscription limit new version")
        .unwrap();
    assert_eq!(
        &frame[at + 1..at + 4],
        &[
            "  ⎿ \u{a0}You've hit your 5-hour limit · resets Jan 1, 10:13am (UTC)",
            "",
            "● Usage limit reached · continuing automatically at Jan 1, 10:13am · esc to cancel",
        ]
    );
    let n = frame.len();
    assert_eq!(
        &frame[n - 3..],
        &[
            "  ⚠ Usage limit reached · limit resets Jan 1, 10:13am",
            "    Continuing automatically at Jan 1, 10:13am · Esc to cancel",
            "  ⏵⏵ bypass permissions on (shift+tab to cycle) · ← for agents",
        ]
    );
    assert!(!frame.iter().any(|l| l.starts_with("✻ Worked for")));
    assert_eq!(
        read_json(f.dir.path().join("failure.json"))["last_assistant_message"],
        "You've hit your 5-hour limit · resets Jan 1, 10:13am (UTC)"
    );

    f.app.handle(InputEvent::Escape, f.t0);
    let frame = f.app.frame(f.t0, 200, 50);
    assert!(
        frame.contains(
            &"● Automatic continue cancelled · /rate-limit-options to re-arm".to_string()
        )
    );
    assert!(!frame.iter().any(|l| l.contains('⚠')));
}
