//! How a turn ended, over every recording of `fixtures/errors/` (copies of
//! `shared/claude-code/errors/`, README section k) and the earlier recorded screens: each error
//! turn gets its class and kind from every source alone and from all together, each dim hint is
//! an empty input, and no recorded success is misread.

// Tests read the recorded fixtures from disk and time their budgets; the library may not.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

use cf_core::screen::{ScreenState, classify, classify_styled};
use cf_core::transcript::last_assistant_entry;
use cf_core::turn::{ErrorClass, Source, TurnFacts, TurnOutcome, judge_turn, screen_error};
use jiff::Timestamp;
use jiff::tz::TimeZone;

mod common;

use common::{fixtures, read};

fn now() -> Timestamp {
    "2026-12-01T09:12:00Z".parse().expect("instant")
}

/// The `error` of the recorded `StopFailure` hook payload.
fn hook_kind(case: &str) -> String {
    read("errors", &format!("{case}.hooks.jsonl"))
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| v["hook_event_name"] == "StopFailure")
        .and_then(|v| v["error"].as_str().map(str::to_string))
        .unwrap_or_else(|| panic!("{case}: no StopFailure payload"))
}

/// Every recorded error case: (file stem, class, kind).
const CASES: &[(&str, ErrorClass, &str)] = &[
    (
        "2.1.197-auth401",
        ErrorClass::Account,
        "authentication_failed",
    ),
    (
        "2.1.329-auth401",
        ErrorClass::Account,
        "authentication_failed",
    ),
    (
        "2.1.197-forbidden403",
        ErrorClass::Account,
        "oauth_org_not_allowed",
    ),
    (
        "2.1.329-forbidden403",
        ErrorClass::Account,
        "oauth_org_not_allowed",
    ),
    (
        "2.1.197-server500_fail_count_100",
        ErrorClass::Transient,
        "server_error",
    ),
    (
        "2.1.329-server500_fail_count_100",
        ErrorClass::Transient,
        "server_error",
    ),
];

#[track_caller]
fn expect_failure(
    outcome: &TurnOutcome,
    class: ErrorClass,
    kind: &str,
    source: Source,
    case: &str,
) {
    match outcome {
        TurnOutcome::Failed(failure) => {
            assert_eq!(failure.class, class, "{case}: {failure:?}");
            assert_eq!(failure.kind, kind, "{case}: {failure:?}");
            assert_eq!(failure.source, source, "{case}: {failure:?}");
            assert!(
                !failure.reason.is_empty() && !failure.reason.contains('\n'),
                "{case}"
            );
        }
        other => panic!("{case}: expected a {kind} failure, got {other:?}"),
    }
}

#[test]
fn every_error_turn_gets_its_class_and_kind_from_each_source() {
    let tz = TimeZone::UTC;
    for &(case, class, kind) in CASES {
        let hook = hook_kind(case);
        let tail = read("errors", &format!("{case}.transcript-tail.jsonl"));
        let entry = last_assistant_entry(&tail).unwrap_or_else(|| panic!("{case}: no entry"));
        let screen = read("errors", &format!("{case}.txt"));

        let by_hook = TurnFacts {
            hook_kind: Some(&hook),
            ..TurnFacts::default()
        };
        expect_failure(
            &judge_turn(&by_hook, now(), &tz),
            class,
            kind,
            Source::Hook,
            case,
        );
        let by_transcript = TurnFacts {
            transcript: Some(&entry),
            ..TurnFacts::default()
        };
        expect_failure(
            &judge_turn(&by_transcript, now(), &tz),
            class,
            kind,
            Source::Transcript,
            case,
        );
        let by_screen = TurnFacts {
            screen: Some(&screen),
            ..TurnFacts::default()
        };
        expect_failure(
            &judge_turn(&by_screen, now(), &tz),
            class,
            kind,
            Source::Screen,
            case,
        );
        let all = TurnFacts {
            hook_kind: Some(&hook),
            transcript: Some(&entry),
            screen: Some(&screen),
        };
        let outcome = judge_turn(&all, now(), &tz);
        expect_failure(&outcome, class, kind, Source::Hook, case);
        if let TurnOutcome::Failed(failure) = outcome {
            assert_eq!(
                failure.reason, entry.text,
                "{case}: the reason is the client's own text"
            );
        }
    }
}

#[test]
fn the_screen_error_is_the_reply_that_ends_the_turn() {
    for &(case, _, kind) in CASES {
        let error = screen_error(&read("errors", &format!("{case}.txt")));
        assert_eq!(error.map(|e| e.kind), Some(kind), "{case}");
    }
    let first_seen = read("errors", "2.1.329-auth401-first-seen.txt");
    assert_eq!(
        screen_error(&first_seen).map(|e| e.kind),
        Some("authentication_failed")
    );
    // The section f and e recordings: 500 and 529 after the client's retries, a per-minute 429.
    for (name, kind) in [
        ("f1_server500.final.txt", "server_error"),
        ("f2_overloaded529.final.txt", "server_error"),
        ("f3_server500_max_retries_2.final.txt", "server_error"),
        ("i_stopfailure_500.final.txt", "server_error"),
        ("i_stopfailure_ratelimit.final.txt", "rate_limit"),
        ("v2.1.329_e_ratelimit_api_noretry.final.txt", "rate_limit"),
    ] {
        assert_eq!(
            screen_error(&read("screens", name)).map(|e| e.kind),
            Some(kind),
            "{name}"
        );
    }
}

#[test]
fn every_dim_hint_is_an_empty_input() {
    for &(case, _, _) in CASES {
        let plain = classify(&read("errors", &format!("{case}.txt")));
        assert_eq!(plain.state, ScreenState::Idle, "{case}: {plain:?}");
        assert_eq!(plain.input, None, "{case}");
        let styled = classify_styled(&read("errors", &format!("{case}.esc.txt")));
        assert_eq!(
            styled.state,
            ScreenState::Idle,
            "{case} (styled): {styled:?}"
        );
        assert_eq!(styled.input, None, "{case} (styled)");
    }
}

#[test]
fn a_dim_hint_in_a_new_wording_is_still_empty_when_attributes_show_it() {
    let screen = read("errors", "2.1.329-auth401.esc.txt").replace(
        "nce fixed, resend your message",
        "nce sorted, send it again",
    );
    assert_eq!(classify_styled(&screen).state, ScreenState::Idle);
    // Without attributes the unknown wording reads as typed text: the strings are only a fallback.
    let plain = read("errors", "2.1.329-auth401.txt").replace(
        "Once fixed, resend your message",
        "Once sorted, send it again",
    );
    assert_eq!(classify(&plain).state, ScreenState::InputPending);
}

#[test]
fn typed_text_under_attributes_is_still_pending_input() {
    let styled = read("screens_esc", "b_typed_before_enter.esc.txt");
    assert_eq!(classify_styled(&styled).state, ScreenState::InputPending);
}

#[test]
fn no_recorded_success_is_misread() {
    let tz = TimeZone::UTC;
    let mut checked = 0;
    for entry in std::fs::read_dir(fixtures("screens")).expect("screens") {
        let name = entry
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        let screen = read("screens", &name);
        if classify(&screen).state != ScreenState::Idle {
            continue;
        }
        // Screens whose last turn did end on an error or a limit (h_resume_screen's last turn
        // is a 429) are covered above.
        let errored = [
            "ratelimit",
            "server500",
            "overloaded529",
            "stopfailure",
            "unified",
            "oauth_",
            "failover_",
            "h_resume",
        ]
        .iter()
        .any(|tag| name.contains(tag));
        if errored {
            continue;
        }
        let facts = TurnFacts {
            screen: Some(&screen),
            ..TurnFacts::default()
        };
        assert!(judge_turn(&facts, now(), &tz).is_success(), "{name}");
        checked += 1;
    }
    assert!(checked >= 10, "only {checked} idle success screens found");
    // The recorded transcript up to its `DONE-5` reply (its last two entries are a 429 and a 500).
    let transcript = read("transcripts", "h_transcript_excerpt.jsonl");
    let upto: Vec<&str> = transcript
        .lines()
        .take_while(|l| !l.contains("\"isApiErrorMessage\":true"))
        .collect();
    let entry =
        last_assistant_entry(&upto.join("\n")).expect("the recorded transcript has replies");
    assert!(entry.text.contains("DONE"), "{entry:?}");
    let facts = TurnFacts {
        transcript: Some(&entry),
        ..TurnFacts::default()
    };
    assert_eq!(
        judge_turn(&facts, now(), &tz),
        TurnOutcome::Success {
            source: Source::Transcript
        }
    );
}

#[test]
fn a_rate_limit_kind_with_a_usage_limit_on_screen_is_a_usage_limit() {
    let tz = TimeZone::UTC;
    let screen = read("screens", "e4_oauth_unified5h.final.txt");
    let facts = TurnFacts {
        hook_kind: Some("rate_limit"),
        screen: Some(&screen),
        ..TurnFacts::default()
    };
    assert!(matches!(
        judge_turn(&facts, now(), &tz),
        TurnOutcome::UsageLimit { .. }
    ));
    let per_minute = read("screens", "i_stopfailure_ratelimit.final.txt");
    let facts = TurnFacts {
        hook_kind: Some("rate_limit"),
        screen: Some(&per_minute),
        ..TurnFacts::default()
    };
    expect_failure(
        &judge_turn(&facts, now(), &tz),
        ErrorClass::Transient,
        "rate_limit",
        Source::Hook,
        "429",
    );
}

#[test]
fn the_transcript_outranks_a_screen_that_only_looks_like_an_error() {
    let tz = TimeZone::UTC;
    let screen = read("errors", "2.1.197-server500_fail_count_100.txt");
    let reply = last_assistant_entry(
        r#"{"type":"assistant","message":{"content":"API Error: 500 is what I printed"}}"#,
    )
    .expect("entry");
    let facts = TurnFacts {
        transcript: Some(&reply),
        screen: Some(&screen),
        ..TurnFacts::default()
    };
    assert_eq!(
        judge_turn(&facts, now(), &tz),
        TurnOutcome::Success {
            source: Source::Transcript
        }
    );
}
