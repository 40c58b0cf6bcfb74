//! Error-turn tests against the recordings in `shared/claude-code/errors/`: for 401, 403 and
//! 500 on 2.1.197 and 2.1.329 the fake's final frame (echoed prompt, reply rows, completion row
//! or not, input row with its dim hint), its StopFailure payload and its transcript entries must
//! match the real client's. Then the error switch itself: retries, lifting, `until`, the usage
//! limit winning, mid-turn errors, the unrecorded 400, the record and the hint's life.

use super::tests::{Fixture, fixture_with, read_json};
use super::*;
use crate::api_error::ErrorWording;
use crate::error_switch::RetryPolicy;
use crate::paths::transcript_path;
use crate::terminal::frame_bytes;
use crate::test_sgr::{Cell, cells, text};
use std::collections::BTreeSet;

/// The recordings, reached like the other tests reach `shared/`.
const RECORDINGS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/claude-code/errors"
);
/// Recorded keys the fake does not write (it knows no git).
const UNWRITTEN_KEYS: [&str; 1] = ["gitBranch"];
/// The 2.1.329 session-state lines the fake writes after an error entry.
const STATE_LINES_329: [&str; 3] = ["last-prompt", "mode", "permission-mode"];

/// One recorded error turn.
struct Case {
    /// `2.1.197` or `2.1.329`.
    version: &'static str,
    /// File name part: `auth401`, …
    name: &'static str,
    /// Its HTTP status.
    status: u16,
    /// The gateway its server-error line names.
    gateway: Option<&'static str>,
}

const CASES: [Case; 6] = [
    Case {
        version: "2.1.197",
        name: "auth401",
        status: 401,
        gateway: None,
    },
    Case {
        version: "2.1.197",
        name: "forbidden403",
        status: 403,
        gateway: None,
    },
    Case {
        version: "2.1.197",
        name: "server500_fail_count_100",
        status: 500,
        gateway: Some("127.0.0.1:43287"),
    },
    Case {
        version: "2.1.329",
        name: "auth401",
        status: 401,
        gateway: None,
    },
    Case {
        version: "2.1.329",
        name: "forbidden403",
        status: 403,
        gateway: None,
    },
    Case {
        version: "2.1.329",
        name: "server500_fail_count_100",
        status: 500,
        gateway: Some("127.0.0.1:38377"),
    },
];

/// A recording's files.
struct Recording {
    /// `.txt`: the plain screen.
    screen: String,
    /// `.esc.txt`: the screen with attributes.
    esc: String,
    /// `.hooks.jsonl`.
    hooks: Vec<Value>,
    /// `.transcript-tail.jsonl`.
    transcript: Vec<Value>,
}

fn json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// The case's recording, `None` when `shared/` is not in this checkout.
fn recording(case: &Case) -> Option<Recording> {
    let read = |suffix: &str| {
        std::fs::read_to_string(format!(
            "{RECORDINGS}/{}-{}.{suffix}",
            case.version, case.name
        ))
        .ok()
    };
    Some(Recording {
        screen: read("txt")?,
        esc: read("esc.txt")?,
        hooks: json_lines(&read("hooks.jsonl")?),
        transcript: json_lines(&read("transcript-tail.jsonl")?),
    })
}

/// Rows right-trimmed of ASCII spaces only (U+00A0 must survive).
fn rows(screen: &str) -> Vec<String> {
    screen
        .lines()
        .map(|line| line.trim_end_matches(' ').to_string())
        .collect()
}

/// The rows a classifier reads after a turn: the echoed prompt, the reply rows, the completion
/// row if any, the input row.
#[derive(Debug, PartialEq, Eq)]
struct TurnRows {
    prompt: String,
    reply: Vec<String>,
    completion: Option<String>,
    input: String,
}

fn turn_rows(rows: &[String]) -> TurnRows {
    let prompt_at = rows.iter().rposition(|r| r.starts_with("❯ ")).unwrap();
    let reply_at = prompt_at
        + rows[prompt_at..]
            .iter()
            .position(|r| r.starts_with("● "))
            .unwrap();
    let reply_len = 1 + rows[reply_at + 1..]
        .iter()
        .take_while(|r| r.starts_with("  ") && !r.trim().is_empty())
        .count();
    let input_at = rows.iter().position(|r| r.starts_with("❯\u{a0}")).unwrap();
    TurnRows {
        prompt: rows[prompt_at].clone(),
        reply: rows[reply_at..reply_at + reply_len].to_vec(),
        completion: rows[reply_at..input_at]
            .iter()
            .find(|r| r.starts_with("✻ "))
            .cloned(),
        input: rows[input_at].clone(),
    }
}

/// `✻ Sautéed for 1s`, `✻ Worked for 0s`: the shape of a completion row.
fn is_completion_row(row: &str) -> bool {
    let Some((verb, time)) = row
        .strip_prefix("✻ ")
        .and_then(|rest| rest.split_once(" for "))
    else {
        return false;
    };
    !verb.contains(' ') && time.ends_with('s') && time.starts_with(|c: char| c.is_ascii_digit())
}

/// The cells of the input row of an SGR screen (rows split on `\r\n` or `\n`).
fn input_cells(screen: &str) -> Vec<Cell> {
    screen
        .split('\n')
        .map(|row| cells(row.trim_end_matches('\r')))
        .find(|row| text(row).starts_with("❯\u{a0}"))
        .unwrap()
}

/// What tells a hint from typed text: the characters and their dim flags, plus reverse video
/// where a character is drawn (the fake draws no cursor cell in an empty input; the recorded
/// 2.1.197 client does, as a reverse-video space).
fn attributes(cells: &[Cell]) -> Vec<(char, bool, bool)> {
    cells
        .iter()
        .map(|cell| (cell.ch, cell.dim, cell.reverse && cell.ch != ' '))
        .filter(|&(ch, dim, reverse)| ch != ' ' || dim || reverse)
        .collect()
}

fn transcript_lines(f: &Fixture) -> Vec<Value> {
    let path = transcript_path(
        &f.dir.path().join("config"),
        "/tmp/work",
        "00000000-0000-4000-8000-000000000001",
    );
    json_lines(&std::fs::read_to_string(path).unwrap())
}

fn keys(value: &Value) -> BTreeSet<String> {
    value
        .as_object()
        .map(|map| map.keys().cloned().collect())
        .unwrap_or_default()
}

/// Recorded keys without those the fake cannot know.
fn recorded_keys(value: &Value) -> BTreeSet<String> {
    let mut keys = keys(value);
    for key in UNWRITTEN_KEYS {
        keys.remove(key);
    }
    keys
}

fn set_error_switch(f: &Fixture, content: &str) {
    std::fs::write(f.dir.path().join("config/fake-error"), content).unwrap();
}

/// Ticks in 50 ms steps (the working loop's period) until the turn ended; returns that time.
fn run_until_idle(f: &mut Fixture, from: Instant) -> Instant {
    let mut now = from;
    for _ in 0..400 {
        f.app.tick(now);
        if !f.app.is_working() {
            return now;
        }
        now += Duration::from_millis(50);
    }
    panic!("the turn never ended");
}

fn fixture_for(case: &Case, client: ClientStyle) -> Fixture {
    fixture_with(Duration::from_secs(5), |info| {
        info.client = client;
        info.gateway = case.gateway.map(str::to_string);
    })
}

/// One way to make a turn fail like a recording.
#[derive(Debug, Clone, Copy)]
enum Trigger {
    /// `fake-agent:error=<status>` in the prompt, session style from `FAKE_AGENT_CLIENT`.
    Directive,
    /// `fake-error` with `client=<version>`, the session style left at its default.
    Switch,
}

/// Runs `case` through `trigger`; returns the fixture and the end time.
fn run_case(case: &Case, trigger: Trigger) -> (Fixture, Instant) {
    let style = ClientStyle::parse(case.version).unwrap();
    let prompt = format!("record {} please", case.name);
    let mut f = match trigger {
        Trigger::Directive => fixture_for(case, style),
        Trigger::Switch => fixture_for(case, ClientStyle::DEFAULT),
    };
    let submitted = match trigger {
        Trigger::Directive => format!(
            "{prompt} fake-agent:error={} fake-agent:work=0",
            case.status
        ),
        Trigger::Switch => {
            set_error_switch(&f, &format!("{} client={}", case.status, case.version));
            prompt
        }
    };
    f.app.submit(submitted, f.t0);
    let t0 = f.t0;
    let end = run_until_idle(&mut f, t0);
    (f, end)
}

fn check_screen(case: &Case, real: &Recording, f: &Fixture, end: Instant) {
    let frame = f.app.render_frame(end, 200, 50);
    let fake = turn_rows(&frame.lines);
    let recorded = turn_rows(&rows(&real.screen));
    let what = format!("{}-{}", case.version, case.name);
    assert_eq!(fake.reply, recorded.reply, "{what}: reply rows");
    assert_eq!(fake.input, recorded.input, "{what}: input row");
    assert_eq!(
        fake.completion.is_some(),
        recorded.completion.is_some(),
        "{what}: completion row {:?} vs recorded {:?}",
        fake.completion,
        recorded.completion
    );
    assert!(
        fake.completion.iter().all(|row| is_completion_row(row)),
        "{what}: {:?}",
        fake.completion
    );
    let bytes = String::from_utf8(frame_bytes(&frame, 200, false)).unwrap();
    assert_eq!(
        attributes(&input_cells(&bytes)),
        attributes(&input_cells(&real.esc)),
        "{what}: input row attributes (dim hint)"
    );
}

fn check_hooks(case: &Case, real: &Recording, f: &mut Fixture) -> Value {
    let what = format!("{}-{}", case.version, case.name);
    let failure = read_json(f.dir.path().join("failure.json"));
    let recorded = real
        .hooks
        .iter()
        .find(|hook| hook["hook_event_name"] == "StopFailure")
        .unwrap();
    assert_eq!(keys(&failure), keys(recorded), "{what}: payload keys");
    for key in [
        "hook_event_name",
        "error",
        "last_assistant_message",
        "effort",
    ] {
        assert_eq!(failure[key], recorded[key], "{what}: {key}");
    }
    f.app.hooks.wait_all(Duration::from_secs(10));
    assert!(
        !f.dir.path().join("stop.json").exists(),
        "{what}: Stop fired"
    );
    failure
}

fn check_transcript(case: &Case, real: &Recording, f: &Fixture, prompt_id: &Value) {
    let what = format!("{}-{}", case.version, case.name);
    let fake = transcript_lines(f);
    let at = fake.iter().rposition(|l| l["type"] == "assistant").unwrap();
    let recorded_at = real
        .transcript
        .iter()
        .rposition(|l| l["type"] == "assistant")
        .unwrap();
    let (entry, recorded) = (&fake[at], &real.transcript[recorded_at]);
    assert_eq!(keys(entry), recorded_keys(recorded), "{what}: entry keys");
    assert_eq!(
        keys(&entry["message"]),
        keys(&recorded["message"]),
        "{what}: message keys"
    );
    for pointer in [
        "/error",
        "/isApiErrorMessage",
        "/apiErrorStatus",
        "/apiErrorType",
        "/message/model",
        "/message/content/0/text",
        "/perTurnEffort",
        "/madeBy",
    ] {
        assert_eq!(
            entry.pointer(pointer),
            recorded.pointer(pointer),
            "{what}: {pointer}"
        );
    }
    assert_eq!(entry["apiErrorStatus"], case.status);
    let user = fake.iter().rfind(|l| l["type"] == "user").unwrap();
    assert_eq!(&user["promptId"], prompt_id, "{what}: the turn's prompt id");
    let after: Vec<&Value> = fake[at + 1..].iter().collect();
    match case.version {
        "2.1.197" => check_after_197(&what, &after, &real.transcript[recorded_at + 1..]),
        _ => check_after_329(&what, &after, entry, &real.transcript),
    }
}

/// 2.1.197: exactly one `system`/`turn_duration` entry follows, shaped like the recorded one.
fn check_after_197(what: &str, after: &[&Value], recorded_after: &[Value]) {
    assert_eq!(after.len(), 1, "{what}: {after:?}");
    assert_eq!(recorded_after.len(), 1);
    assert_eq!(after[0]["subtype"], "turn_duration");
    assert_eq!(after[0]["subtype"], recorded_after[0]["subtype"]);
    assert_eq!(keys(after[0]), recorded_keys(&recorded_after[0]), "{what}");
}

/// 2.1.329: `last-prompt`, `mode`, `permission-mode` follow (the order of the 403 recording,
/// where the client wrote them after the entry), each shaped like its recorded line.
fn check_after_329(what: &str, after: &[&Value], entry: &Value, recorded: &[Value]) {
    let types: Vec<&str> = after.iter().filter_map(|l| l["type"].as_str()).collect();
    assert_eq!(types, STATE_LINES_329, "{what}");
    for line in after {
        let twin = recorded.iter().find(|r| r["type"] == line["type"]).unwrap();
        assert_eq!(keys(line), keys(twin), "{what}: {} keys", line["type"]);
    }
    assert_eq!(after[0]["leafUuid"], entry["uuid"]);
    assert_eq!(after[1]["mode"], "normal");
    assert_eq!(after[2]["permissionMode"], "bypassPermissions");
}

#[test]
fn error_turns_match_the_recordings() {
    for case in &CASES {
        let Some(real) = recording(case) else {
            return; // recordings not present in this checkout
        };
        for trigger in [Trigger::Directive, Trigger::Switch] {
            let (mut f, end) = run_case(case, trigger);
            if let Trigger::Switch = trigger {
                let frame = f.app.frame(end, 200, 50);
                let echoed = format!("❯ record {} please", case.name);
                assert_eq!(turn_rows(&frame).prompt, echoed);
                assert_eq!(turn_rows(&rows(&real.screen)).prompt, echoed);
            }
            check_screen(case, &real, &f, end);
            let failure = check_hooks(case, &real, &mut f);
            check_transcript(case, &real, &f, &failure["prompt_id"]);
        }
    }
}

#[test]
fn the_recorded_403_lines_are_not_the_same() {
    let old = ErrorWording {
        client: ClientStyle::V2_1_197,
        gateway: None,
    };
    let new = ErrorWording {
        client: ClientStyle::V2_1_329,
        ..old
    };
    assert!(
        old.message(ApiStatus::Forbidden)
            .starts_with("Your organization")
    );
    assert!(
        new.message(ApiStatus::Forbidden)
            .starts_with("Claude Code can't use")
    );
}

#[test]
fn server_errors_retry_with_the_clients_own_lines_then_fail() {
    let mut f = fixture_with(Duration::from_secs(5), |info| {
        info.gateway = Some("127.0.0.1:8766".into());
    });
    set_error_switch(&f, "529");
    f.app.submit("overloaded".into(), f.t0);
    f.app.tick(f.t0);
    assert!(f.app.is_working(), "the client retries first");
    let frame = f.app.frame(f.t0, 200, 50);
    assert!(
        frame.contains(&"· API error · Retrying in 1s · attempt 1/2".to_string()),
        "{frame:?}"
    );
    assert!(frame.last().unwrap().contains("esc to interrupt"));
    let second = f.t0 + Duration::from_millis(300);
    f.app.tick(second);
    let frame = f.app.frame(second, 200, 50);
    assert!(
        frame
            .iter()
            .any(|row| row.ends_with(" 529 Overloaded · Retrying in 1s · attempt 2/2")),
        "{frame:?}"
    );
    let end = f.t0 + Duration::from_millis(600);
    f.app.tick(end);
    assert!(!f.app.is_working());
    let frame = f.app.frame(end, 200, 50);
    let rows = turn_rows(&frame);
    assert_eq!(
        rows.reply,
        [
            "● API Error: 529 Overloaded. This is a server-side issue, usually temporary — try again in a moment. If it persists, check your inference gateway (127.0.0.1:8766)."
        ]
    );
    assert_eq!(rows.completion.as_deref(), Some("✻ Worked for 0s"));
    assert_eq!(
        read_json(f.dir.path().join("failure.json"))["error"],
        "server_error"
    );
}

#[test]
fn the_329_retry_line_names_the_status_with_the_gateway_row() {
    let mut f = fixture_with(Duration::from_secs(5), |info| {
        info.client = ClientStyle::V2_1_329;
        info.retry = RetryPolicy {
            attempts: 3,
            delay: Duration::from_secs(2),
        };
    });
    set_error_switch(&f, "500");
    f.app.submit("x".into(), f.t0);
    let second = f.t0 + Duration::from_millis(2000);
    f.app.tick(f.t0);
    f.app.tick(second);
    let frame = f.app.frame(second + Duration::from_millis(100), 200, 50);
    let at = frame
        .iter()
        .position(|row| row.ends_with(" 500 Internal server error · retrying in 2s · attempt 2/3"))
        .unwrap();
    assert_eq!(
        frame[at + 1],
        "  ⎿ \u{a0}If it persists, check https://status.claude.com."
    );
}

#[test]
fn a_switch_lifted_before_a_retry_lets_the_turn_finish_normally() {
    let mut f = fixture_with(Duration::from_secs(1), |_| {});
    set_error_switch(&f, "500");
    f.app.submit("survives the outage".into(), f.t0);
    f.app.tick(f.t0);
    assert!(f.app.is_working());
    std::fs::remove_file(f.dir.path().join("config/fake-error")).unwrap();
    let retry = f.t0 + Duration::from_millis(300);
    f.app.tick(retry);
    assert!(f.app.is_working(), "the request went through: work goes on");
    let frame = f.app.frame(retry, 200, 50);
    assert!(
        !frame.iter().any(|row| row.contains("Retrying")),
        "{frame:?}"
    );
    let end = run_until_idle(&mut f, retry);
    assert_eq!(
        end,
        retry + Duration::from_secs(1),
        "then it works as long as planned"
    );
    let frame = f.app.frame(end, 200, 50);
    assert!(frame.contains(&"● Done: survives the outage".to_string()));
    let stop = read_json(f.dir.path().join("stop.json"));
    assert_eq!(stop["last_assistant_message"], "Done: survives the outage");
    f.app.hooks.wait_all(Duration::from_secs(10));
    assert!(!f.dir.path().join("failure.json").exists());
}

#[test]
fn until_in_the_past_means_off_and_a_broken_switch_means_500() {
    let mut f = fixture_with(Duration::from_millis(100), |_| {});
    set_error_switch(&f, "401 until=2000-01-01T00:00:00Z");
    f.app.submit("expired switch".into(), f.t0);
    let t0 = f.t0;
    let end = run_until_idle(&mut f, t0);
    assert!(
        f.app
            .frame(end, 200, 50)
            .contains(&"● Done: expired switch".to_string())
    );

    set_error_switch(&f, "401 until=2999-01-01T00:00:00Z client=nonsense");
    f.app.submit("broken switch".into(), end);
    let end = run_until_idle(&mut f, end);
    let frame = f.app.frame(end, 200, 50);
    assert!(
        turn_rows(&frame).reply[0].starts_with("● API Error: 500 Internal server error."),
        "{frame:?}"
    );
}

#[test]
fn the_usage_limit_wins_over_the_error_switch() {
    let mut f = fixture_with(Duration::from_secs(5), |_| {});
    set_error_switch(&f, "401");
    std::fs::write(f.dir.path().join("config/fake-quota"), "weekly").unwrap();
    f.app.submit("both switches".into(), f.t0);
    f.app.tick(f.t0);
    assert!(!f.app.is_working());
    let frame = f.app.frame(f.t0, 200, 50);
    assert!(
        frame
            .iter()
            .any(|row| row.starts_with("  ⎿ \u{a0}You've hit your weekly limit")),
        "{frame:?}"
    );
    assert_eq!(
        read_json(f.dir.path().join("failure.json"))["error"],
        "rate_limit"
    );
}

#[test]
fn an_error_appearing_mid_turn_ends_it_at_the_next_poll() {
    let mut f = fixture_with(Duration::from_secs(60), |info| {
        info.client = ClientStyle::V2_1_329;
    });
    f.app.submit("long task".into(), f.t0);
    f.app.tick(f.t0 + Duration::from_millis(100));
    set_error_switch(&f, "403");
    f.app.tick(f.t0 + Duration::from_millis(150));
    assert!(f.app.is_working(), "not polled yet");
    let polled = f.t0 + Duration::from_millis(250);
    f.app.tick(polled);
    assert!(!f.app.is_working(), "the error ends the turn at the poll");
    let rows = turn_rows(&f.app.frame(polled, 200, 50));
    assert!(rows.reply[0].starts_with("● Claude Code can't use your Claude subscription"));
    assert_eq!(rows.completion, None);
    assert_eq!(rows.input, "❯\u{a0}Once fixed, resend your message");
    assert_eq!(
        read_json(f.dir.path().join("failure.json"))["error"],
        "oauth_org_not_allowed"
    );
}

#[test]
fn the_unrecorded_400_is_a_task_error() {
    let mut f = fixture_with(Duration::from_millis(10), |info| {
        info.client = ClientStyle::V2_1_329;
    });
    f.app.submit("huge fake-agent:error=400".into(), f.t0);
    let t0 = f.t0;
    let end = run_until_idle(&mut f, t0);
    let rows = turn_rows(&f.app.frame(end, 200, 50));
    assert_eq!(
        rows.reply,
        ["● API Error: 400 prompt is too long: 215378 tokens > 200000 maximum"]
    );
    assert_eq!(rows.input, "❯\u{a0}Once fixed, resend your message");
    let failure = read_json(f.dir.path().join("failure.json"));
    assert_eq!(failure["error"], "invalid_request");
    let lines = transcript_lines(&f);
    let entry = lines.iter().rfind(|l| l["type"] == "assistant").unwrap();
    assert_eq!(entry["apiErrorStatus"], 400);
    assert_eq!(entry["apiErrorType"], "invalid_request_error");
    assert_eq!(entry["error"], "invalid_request");
}

#[test]
fn every_prompt_is_recorded_once_and_gets_a_fresh_prompt_id() {
    let mut f = fixture_with(Duration::from_secs(1), |_| {});
    set_error_switch(&f, "500");
    f.app.submit("first".into(), f.t0);
    let t0 = f.t0;
    let end = run_until_idle(&mut f, t0);
    f.app.submit("second fake-agent:error=401".into(), end);
    let end = run_until_idle(&mut f, end);
    std::fs::remove_file(f.dir.path().join("config/fake-error")).unwrap();
    f.app.submit("third".into(), end);
    run_until_idle(&mut f, end);
    let record = std::fs::read_to_string(f.dir.path().join("record.jsonl")).unwrap();
    let prompts: Vec<String> = json_lines(&record)
        .iter()
        .map(|r| r["prompt"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(prompts, ["first", "second fake-agent:error=401", "third"]);
    let ids: BTreeSet<String> = transcript_lines(&f)
        .iter()
        .filter(|l| l["type"] == "user")
        .map(|l| l["promptId"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 3, "{ids:?}");
    assert!(
        ids.iter()
            .all(|id| crate::ids::is_session_id(id) && id.len() == 36)
    );
}

#[test]
fn no_retries_fail_at_once_and_the_hint_gives_way_to_typing() {
    let mut f = fixture_with(Duration::from_secs(5), |info| {
        info.client = ClientStyle::V2_1_329;
        info.retry.attempts = 0;
    });
    set_error_switch(&f, "500");
    f.app.submit("x".into(), f.t0);
    f.app.tick(f.t0);
    assert!(!f.app.is_working());
    let frame = f.app.render_frame(f.t0, 200, 50);
    let hint = frame.hint.unwrap();
    assert_eq!(
        frame.lines[hint.row],
        "❯\u{a0}Resend your message to try again"
    );
    assert_eq!((hint.column, hint.len), (2, 32));

    f.app.handle(InputEvent::Text("c".into()), f.t0);
    let frame = f.app.render_frame(f.t0, 200, 50);
    assert_eq!(frame.hint, None);
    assert!(frame.lines.contains(&"❯\u{a0}c".to_string()));
    f.app.handle(InputEvent::Backspace, f.t0);
    assert!(
        f.app.render_frame(f.t0, 200, 50).hint.is_some(),
        "empty again"
    );

    std::fs::remove_file(f.dir.path().join("config/fake-error")).unwrap();
    f.app.submit("y".into(), f.t0);
    assert_eq!(
        f.app.render_frame(f.t0, 200, 50).hint,
        None,
        "a new turn clears it"
    );
}
