//! Quota detection over every recorded Claude Code screen (`fixtures/screens/`, copies of
//! `shared/claude-code/`) and over our own corpus (`fixtures/quota/`): no false hit, no missed
//! hit. Every fixture file needs an expectation here, so a new recording cannot slip by unjudged.

// Tests read the recorded fixtures from disk and time their budgets; the library may not.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

#[path = "quota/expectations.rs"]
mod expectations;

use std::collections::BTreeSet;

use cf_core::quota::{
    MarkerAbsent, QuotaHit, QuotaPattern, SNIPPET_MAX_CHARS, Since, detect, detect_after,
};
use expectations::{Expect, corpus, recorded};
use jiff::Timestamp;
use jiff::tz::TimeZone;

/// The recordings were made on 2026-11-21 in the morning (2.1.329 prints `done 8:28 AM`).
fn recording_now() -> Timestamp {
    "2026-11-21T08:30:00Z".parse().unwrap()
}

mod common;

use common::{fixtures, read};

/// Asserts what [`detect`] finds on fixture `dir/name` at the recording time, default zone UTC.
#[track_caller]
fn check(dir: &str, name: &str, expected: &Expect) {
    let screen = read(dir, name);
    let got = detect(&screen, recording_now(), &TimeZone::UTC);
    match (expected, &got) {
        (Expect::NotQuota, None) => {}
        (Expect::Hit { pattern, reset_at }, Some(hit)) => {
            assert_eq!(&hit.pattern, pattern, "{dir}/{name}: pattern; hit {hit:?}");
            let reset_at = reset_at.map(|text| text.parse::<Timestamp>().unwrap());
            assert_eq!(
                hit.reset_at, reset_at,
                "{dir}/{name}: reset time; hit {hit:?}"
            );
            check_snippet(&screen, hit, name);
        }
        _ => panic!("{dir}/{name}: expected {expected:?}, got {got:?}"),
    }
}

/// The snippet is one line of at most 120 characters taken from the matched line.
#[track_caller]
fn check_snippet(screen: &str, hit: &QuotaHit, name: &str) {
    assert!(
        hit.snippet.chars().count() <= SNIPPET_MAX_CHARS,
        "{name}: snippet too long: {:?}",
        hit.snippet
    );
    assert!(!hit.snippet.contains('\n'), "{name}: snippet spans lines");
    assert!(!hit.snippet.trim().is_empty(), "{name}: empty snippet");
    let line = screen.lines().nth(hit.line_index).unwrap();
    assert!(
        line.contains(hit.snippet.trim()),
        "{name}: snippet {:?} is not from line {line:?}",
        hit.snippet
    );
}

/// Every file in `dir` has exactly one expectation and every expectation has a file.
fn check_all(dir: &str, table: &[(&str, Expect)]) {
    let on_disk: BTreeSet<String> = std::fs::read_dir(fixtures(dir))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    let expected: BTreeSet<String> = table.iter().map(|(name, _)| (*name).to_owned()).collect();
    assert_eq!(expected.len(), table.len(), "{dir}: a file is listed twice");
    let unjudged: Vec<_> = on_disk.difference(&expected).collect();
    let missing: Vec<_> = expected.difference(&on_disk).collect();
    assert!(
        unjudged.is_empty(),
        "{dir}: files without an expectation: {unjudged:?}"
    );
    assert!(
        missing.is_empty(),
        "{dir}: expectations without a file: {missing:?}"
    );
    for (name, expect) in table {
        check(dir, name, expect);
    }
}

#[test]
fn every_recorded_screen() {
    check_all("screens", &recorded());
}

#[test]
fn every_corpus_screen() {
    let corpus = corpus();
    check_all("quota", &corpus);
    let hits = corpus
        .iter()
        .filter(|(_, e)| matches!(e, Expect::Hit { .. }))
        .count();
    let clean = corpus.len() - hits;
    assert!(
        corpus.len() >= 30 && hits >= 10 && clean >= 10,
        "{hits} hits, {clean} clean"
    );
}

#[test]
fn the_recordings_contain_every_kind_of_limit_they_show() {
    let patterns: BTreeSet<String> = recorded()
        .iter()
        .filter_map(|(_, e)| match e {
            Expect::Hit { pattern, .. } => Some(pattern.label()),
            Expect::NotQuota => None,
        })
        .collect();
    for label in ["session-limit", "weekly-limit", "five-hour-limit"] {
        assert!(patterns.contains(label), "no recorded {label} hit");
    }
}

#[test]
fn default_time_zone_applies_when_the_line_names_none() {
    let screen = read("quota", "hit_5h_limit_no_zone.txt");
    let paris = TimeZone::get("Europe/Paris").unwrap();
    let hit = detect(&screen, recording_now(), &paris).unwrap();
    assert_eq!(hit.reset_at, Some("2026-11-21T14:00:00Z".parse().unwrap()));
}

#[test]
fn later_in_the_day_an_earlier_reset_time_is_tomorrow() {
    let screen = read("screens", "e5_oauth_unified7d.final.txt");
    let evening: Timestamp = "2026-11-21T20:00:00Z".parse().unwrap();
    let hit = detect(&screen, evening, &TimeZone::UTC).unwrap();
    assert_eq!(hit.pattern, QuotaPattern::WeeklyLimit);
    assert_eq!(hit.reset_at, Some("2026-11-22T09:07:00Z".parse().unwrap()));
}

#[test]
fn text_before_the_since_marker_is_ignored() {
    // The resumed session replays the old limit line; the daemon's marker comes after it.
    let replay = read(
        "screens",
        "failover_2.1.197_3b_b_resume_shared_projects.txt",
    );
    assert!(detect(&replay, recording_now(), &TimeZone::UTC).is_some());
    let with_marker = replay.replace(
        "✻ Crunched for 0s",
        "✻ Crunched for 0s\n\n  cf-swap-42 resumed on account b",
    );
    let since = Since {
        marker: "cf-swap-42",
        when_absent: MarkerAbsent::ScanCurrentTurn,
    };
    assert_eq!(
        detect_after(&with_marker, Some(&since), recording_now(), &TimeZone::UTC),
        None
    );
    // A new limit after the marker is found.
    let new_limit =
        format!("{with_marker}\n  ⎿  You've hit your weekly limit · resets 3pm (UTC)\n");
    let hit = detect_after(&new_limit, Some(&since), recording_now(), &TimeZone::UTC).unwrap();
    assert_eq!(hit.pattern, QuotaPattern::WeeklyLimit);
}

#[test]
fn a_missing_marker_either_scans_the_turn_or_ignores_the_screen() {
    let screen = read("screens", "failover_2.1.197_2_a_session_limit.txt");
    let scan = Since {
        marker: "cf-swap-7",
        when_absent: MarkerAbsent::ScanCurrentTurn,
    };
    let hit = detect_after(&screen, Some(&scan), recording_now(), &TimeZone::UTC).unwrap();
    assert_eq!(hit.pattern, QuotaPattern::SessionLimit);
    let ignore = Since {
        marker: "cf-swap-7",
        when_absent: MarkerAbsent::IgnoreScreen,
    };
    assert_eq!(
        detect_after(&screen, Some(&ignore), recording_now(), &TimeZone::UTC),
        None
    );
}

#[test]
fn the_reset_time_may_come_from_a_later_signal_of_the_same_turn() {
    let screen = "❯ TASK-1\n  ⎿  You've hit your 5-hour limit\n● Usage limit reached · continuing automatically at 10:13am · esc to cancel\n";
    let hit = detect(screen, recording_now(), &TimeZone::UTC).unwrap();
    assert_eq!(hit.pattern, QuotaPattern::FiveHourLimit);
    assert_eq!(hit.line_index, 1);
    assert_eq!(hit.reset_at, Some("2026-11-21T10:13:00Z".parse().unwrap()));
}

#[test]
fn a_long_line_gives_a_snippet_around_the_match() {
    let padding = "x".repeat(300);
    let screen = format!(
        "❯ TASK-1\n● API Error: 429 {padding} {{\"type\":\"rate_limit_error\",\"message\":\"usage\"}} {padding}\n"
    );
    let hit = detect(&screen, recording_now(), &TimeZone::UTC).unwrap();
    assert_eq!(hit.pattern, QuotaPattern::TypedRateLimitError);
    assert_eq!(hit.snippet.chars().count(), SNIPPET_MAX_CHARS);
    assert!(
        hit.snippet.contains("rate_limit_error"),
        "{:?}",
        hit.snippet
    );
}

#[test]
fn the_recorded_rate_limit_menus_are_answered_with_option_1_and_nothing_else_is_a_menu() {
    use cf_core::failover::{MenuAnswer, menu_answer};
    let menus = [
        "e4_oauth_unified5h_menu.txt",
        "e4_oauth_unified5h.final.txt",
        "e4_oauth_unified5h.frame_t1.0s.txt",
        "failover_2.1.197-max5x_2_a_session_limit.txt",
    ];
    for (name, _) in recorded() {
        let expected = menus.contains(&name).then_some(MenuAnswer::Digit(1));
        assert_eq!(menu_answer(&read("screens", name)), expected, "{name}");
    }
    let corpus_menu = read("quota", "hit_menu_open_after_limit.txt");
    assert_eq!(menu_answer(&corpus_menu), Some(MenuAnswer::Digit(1)));
}

#[test]
fn the_clients_own_auto_continue_is_seen_until_cancelled() {
    let armed = read("screens", "v2.1.329_e_oauth_unified5h.final.txt");
    assert!(cf_core::quota::auto_continue_armed(&armed));
    let cancelled = read("screens", "v2.1.329_e_oauth_unified5h_after_esc.txt");
    assert!(!cf_core::quota::auto_continue_armed(&cancelled));
    let older = read("screens", "e4_oauth_unified5h.final.txt");
    assert!(
        !cf_core::quota::auto_continue_armed(&older),
        "2.1.197 arms nothing"
    );
}
