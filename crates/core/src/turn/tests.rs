//! Unit tests of the turn judge: the order of trust and the edge cases the recordings lack.

use super::*;
use crate::transcript::{ApiError, AssistantEntry};

fn now() -> Timestamp {
    "2026-12-01T09:00:00Z".parse().expect("instant")
}

fn entry(kind: Option<&str>, status: Option<u16>) -> AssistantEntry {
    AssistantEntry {
        at: None,
        api_error: Some(ApiError {
            kind: kind.map(str::to_string),
            status,
        }),
        text: "API Error: something".into(),
    }
}

#[test]
fn no_source_at_all_is_a_success_by_default() {
    let outcome = judge_turn(&TurnFacts::default(), now(), &TimeZone::UTC);
    assert_eq!(
        outcome,
        TurnOutcome::Success {
            source: Source::Default
        }
    );
}

#[test]
fn the_hook_kind_outranks_the_transcript() {
    let transcript = entry(Some("server_error"), Some(500));
    let facts = TurnFacts {
        hook_kind: Some("authentication_failed"),
        transcript: Some(&transcript),
        screen: None,
    };
    let TurnOutcome::Failed(failure) = judge_turn(&facts, now(), &TimeZone::UTC) else {
        panic!("a failure");
    };
    assert_eq!(failure.class, ErrorClass::Account);
    assert_eq!(failure.reason, "API Error: something");
}

#[test]
fn a_status_alone_gives_the_kind() {
    let transcript = entry(None, Some(401));
    let facts = TurnFacts {
        transcript: Some(&transcript),
        ..TurnFacts::default()
    };
    let TurnOutcome::Failed(failure) = judge_turn(&facts, now(), &TimeZone::UTC) else {
        panic!("a failure");
    };
    assert_eq!(failure.kind, "authentication_failed");
    assert_eq!(failure.source, Source::Transcript);
}

#[test]
fn an_unknown_kind_is_transient_never_success() {
    let facts = TurnFacts {
        hook_kind: Some("something_new"),
        ..TurnFacts::default()
    };
    let TurnOutcome::Failed(failure) = judge_turn(&facts, now(), &TimeZone::UTC) else {
        panic!("a failure");
    };
    assert_eq!(failure.class, ErrorClass::Transient);
    assert_eq!(failure.known, KindKnown::Unknown);
    assert_eq!(
        failure.reason,
        "the turn ended on an API error (something_new)"
    );
}

#[test]
fn a_quoted_error_line_followed_by_more_work_is_not_the_end_of_the_turn() {
    let rule = "─".repeat(40);
    let screen = format!(
        "❯ fix it\n● API Error: 500 Internal server error.\n● Bash(ls)\n  ⎿  a b\n● Done.\n{rule}\n❯\u{a0}\n{rule}\n"
    );
    assert_eq!(screen_error(&screen), None);
    let facts = TurnFacts {
        screen: Some(&screen),
        ..TurnFacts::default()
    };
    assert!(judge_turn(&facts, now(), &TimeZone::UTC).is_success());
    let ended = format!("❯ fix it\n● API Error: 400 prompt is too long\n{rule}\n❯\u{a0}\n{rule}\n");
    let facts = TurnFacts {
        screen: Some(&ended),
        ..TurnFacts::default()
    };
    let TurnOutcome::Failed(failure) = judge_turn(&facts, now(), &TimeZone::UTC) else {
        panic!("a failure");
    };
    assert_eq!(failure.class, ErrorClass::Task);
}

#[test]
fn an_error_of_an_earlier_turn_does_not_count() {
    let rule = "─".repeat(40);
    let screen = format!(
        "❯ one\n● API Error: 500 Internal server error.\n❯ two\n● All good.\n{rule}\n❯\u{a0}\n{rule}\n"
    );
    assert_eq!(screen_error(&screen), None);
}
