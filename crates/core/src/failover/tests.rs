//! Unit tests of the monitor (fake clock), target selection and the menu answer.

use jiff::{SignedDuration, Timestamp};

use super::*;
use crate::quota::{QuotaHit, QuotaPattern};

const COOLDOWN: SignedDuration = SignedDuration::from_mins(5);

fn at(seconds_after_start: i64) -> Timestamp {
    let start: Timestamp = "2026-11-21T08:30:00Z".parse().unwrap();
    start + SignedDuration::from_secs(seconds_after_start)
}

fn hit_with_reset() -> QuotaHit {
    QuotaHit {
        pattern: QuotaPattern::SessionLimit,
        reset_at: Some("2026-11-21T10:07:00Z".parse().unwrap()),
        snippet: "⎿  You've hit your session limit · resets 10:07am (UTC)".to_owned(),
        line_index: 8,
    }
}

fn hit_without_reset() -> QuotaHit {
    QuotaHit {
        pattern: QuotaPattern::TypedRateLimitError,
        reset_at: None,
        snippet: "● API Error: 429 {\"type\":\"rate_limit_error\"}".to_owned(),
        line_index: 4,
    }
}

fn is_swap_from(decision: &Decision, session: &str) -> bool {
    matches!(decision, Decision::Swap { trigger_session, .. } if trigger_session == session)
}

#[test]
fn a_hit_with_reset_time_swaps_at_once_with_its_details() {
    let mut monitor = QuotaMonitor::new(COOLDOWN);
    let decision = monitor.observe("cf-1", Some(hit_with_reset()), at(0));
    assert_eq!(
        decision,
        Decision::Swap {
            trigger_session: "cf-1".to_owned(),
            pattern: QuotaPattern::SessionLimit,
            reset_at: Some("2026-11-21T10:07:00Z".parse().unwrap()),
            snippet: "⎿  You've hit your session limit · resets 10:07am (UTC)".to_owned(),
        }
    );
}

#[test]
fn a_hit_without_reset_time_needs_two_consecutive_polls() {
    let mut monitor = QuotaMonitor::new(COOLDOWN);
    assert_eq!(
        monitor.observe("cf-1", Some(hit_without_reset()), at(0)),
        Decision::Pending
    );
    let second = monitor.observe("cf-1", Some(hit_without_reset()), at(2));
    assert!(is_swap_from(&second, "cf-1"), "{second:?}");
}

#[test]
fn a_clean_poll_in_between_resets_the_confirmation() {
    let mut monitor = QuotaMonitor::new(COOLDOWN);
    assert_eq!(
        monitor.observe("cf-1", Some(hit_without_reset()), at(0)),
        Decision::Pending
    );
    assert_eq!(monitor.observe("cf-1", None, at(2)), Decision::None);
    assert_eq!(
        monitor.observe("cf-1", Some(hit_without_reset()), at(4)),
        Decision::Pending
    );
    let third = monitor.observe("cf-1", Some(hit_without_reset()), at(6));
    assert!(is_swap_from(&third, "cf-1"), "{third:?}");
}

#[test]
fn confirmation_is_per_session() {
    let mut monitor = QuotaMonitor::new(COOLDOWN);
    assert_eq!(
        monitor.observe("cf-1", Some(hit_without_reset()), at(0)),
        Decision::Pending
    );
    // Another session's first sighting is not cf-1's second one.
    assert_eq!(
        monitor.observe("cf-2", Some(hit_without_reset()), at(1)),
        Decision::Pending
    );
    // Other sessions' clean polls do not break cf-1's streak.
    assert_eq!(monitor.observe("cf-3", None, at(1)), Decision::None);
    let again = monitor.observe("cf-1", Some(hit_without_reset()), at(2));
    assert!(is_swap_from(&again, "cf-1"), "{again:?}");
}

#[test]
fn cooldown_suppresses_detection_then_ends() {
    let mut monitor = QuotaMonitor::new(COOLDOWN);
    assert!(is_swap_from(
        &monitor.observe("cf-1", Some(hit_with_reset()), at(0)),
        "cf-1"
    ));
    monitor.note_swap(at(10), &["cf-1", "cf-2", "cf-3"]);
    let until = at(10) + COOLDOWN;
    assert_eq!(monitor.cooldown_until("cf-1"), Some(until));
    assert_eq!(monitor.cooldown_until("cf-9"), None, "not moved");
    assert_eq!(
        monitor.observe("cf-1", Some(hit_with_reset()), at(11)),
        Decision::Suppressed { until }
    );
    assert_eq!(
        monitor.observe("cf-2", Some(hit_without_reset()), at(309)),
        Decision::Suppressed { until }
    );
    assert_eq!(monitor.observe("cf-2", None, at(309)), Decision::None);
    // At the end of the cooldown detection is back (cf-3 showed nothing during it; cf-1's line
    // is a replay, see below).
    let after = monitor.observe("cf-3", Some(hit_with_reset()), at(310));
    assert!(is_swap_from(&after, "cf-3"), "{after:?}");
}

#[test]
fn a_limit_line_replayed_after_resume_does_not_swap_again() {
    let mut monitor = QuotaMonitor::new(COOLDOWN);
    assert!(is_swap_from(
        &monitor.observe("cf-1", Some(hit_with_reset()), at(0)),
        "cf-1"
    ));
    monitor.note_swap(at(1), &["cf-1", "dedicated"]);
    // The dedicated session, resumed on the new account, replays the old limit line.
    let decision = monitor.observe("dedicated", Some(hit_with_reset()), at(30));
    assert!(
        matches!(decision, Decision::Suppressed { .. }),
        "{decision:?}"
    );
    // After the cooldown the same line, still on screen, is a replay on both sessions.
    assert_eq!(
        monitor.observe("dedicated", Some(hit_with_reset()), at(400)),
        Decision::Replayed
    );
    assert_eq!(
        monitor.observe("cf-1", Some(hit_with_reset()), at(400)),
        Decision::Replayed
    );
    // Once the screen moved on, a new limit (even with the same text) counts again.
    assert_eq!(monitor.observe("dedicated", None, at(402)), Decision::None);
    let again = monitor.observe("dedicated", Some(hit_with_reset()), at(404));
    assert!(is_swap_from(&again, "dedicated"), "{again:?}");
}

#[test]
fn a_different_limit_line_after_the_cooldown_is_not_a_replay() {
    let mut monitor = QuotaMonitor::new(COOLDOWN);
    monitor.note_swap(at(0), &["cf-1"]);
    assert_eq!(
        monitor.observe("cf-1", Some(hit_with_reset()), at(10)),
        Decision::Suppressed { until: at(300) }
    );
    let mut weekly = hit_with_reset();
    weekly.pattern = QuotaPattern::WeeklyLimit;
    weekly.snippet = "⎿  You've hit your weekly limit · resets 9:07am (UTC)".to_owned();
    let decision = monitor.observe("cf-1", Some(weekly), at(400));
    assert!(is_swap_from(&decision, "cf-1"), "{decision:?}");
}

#[test]
fn hits_seen_during_cooldown_do_not_count_as_first_sightings() {
    let mut monitor = QuotaMonitor::new(COOLDOWN);
    monitor.note_swap(at(0), &["cf-1"]);
    let mut during = hit_without_reset();
    during.snippet = "● API Error: 429 (an earlier line)".to_owned();
    assert_eq!(
        monitor.observe("cf-1", Some(during), at(299)),
        Decision::Suppressed { until: at(300) }
    );
    // The first poll after the cooldown is a first sighting, not a confirmation.
    assert_eq!(
        monitor.observe("cf-1", Some(hit_without_reset()), at(301)),
        Decision::Pending
    );
}

#[test]
fn a_swap_forgets_pending_hits_of_the_old_account() {
    let mut monitor = QuotaMonitor::new(SignedDuration::ZERO);
    assert_eq!(
        monitor.observe("cf-2", Some(hit_without_reset()), at(0)),
        Decision::Pending
    );
    monitor.note_swap(at(1), &["cf-2"]);
    assert_eq!(
        monitor.observe("cf-2", Some(hit_without_reset()), at(2)),
        Decision::Pending
    );
}

#[test]
fn a_session_the_swap_left_alone_is_watched_through_the_cooldown() {
    let mut monitor = QuotaMonitor::new(COOLDOWN);
    assert_eq!(
        monitor.observe("on-b", Some(hit_without_reset()), at(0)),
        Decision::Pending
    );
    // A limit on a decides a swap that moves the sessions of account a; on-b runs on b and stays.
    assert!(is_swap_from(
        &monitor.observe("on-a", Some(hit_with_reset()), at(1)),
        "on-a"
    ));
    monitor.note_swap(at(1), &["on-a"]);
    assert!(matches!(
        monitor.observe("on-a", Some(hit_with_reset()), at(2)),
        Decision::Suppressed { .. }
    ));
    let decision = monitor.observe("on-b", Some(hit_without_reset()), at(3));
    assert!(
        is_swap_from(&decision, "on-b"),
        "its pending hit still counts and its limit is acted on: {decision:?}"
    );
    assert!(is_swap_from(
        &monitor.observe("other", Some(hit_with_reset()), at(4)),
        "other"
    ));
}

fn account(name: &str, exhausted_until: Option<i64>) -> AccountState {
    AccountState {
        exhausted_until: exhausted_until.map(at),
        ..AccountState::usable(name)
    }
}

fn needing_attention(name: &str) -> AccountState {
    AccountState {
        attention: Some(Attention {
            since: at(0),
            kind: "authentication_failed".into(),
            reason: "Please run /login".into(),
            credentials: None,
        }),
        ..AccountState::usable(name)
    }
}

#[test]
fn an_account_that_needs_attention_is_never_a_target_nor_a_reset_to_wait_for() {
    let accounts = [
        account("a", None),
        needing_attention("b"),
        account("c", None),
    ];
    assert_eq!(pick_target(&accounts, 0, at(0)), Target::Account(2));
    let accounts = [account("a", Some(600)), needing_attention("b")];
    assert_eq!(
        pick_target(&accounts, 1, at(0)),
        Target::AllExhausted {
            earliest_reset: Some(at(600))
        },
        "the quota reset of a still counts"
    );
    let accounts = [needing_attention("a"), needing_attention("b")];
    assert_eq!(
        pick_target(&accounts, 0, at(0)),
        Target::AllExhausted {
            earliest_reset: None
        },
        "nothing resets by itself: a person must act"
    );
    assert!(
        !needing_attention("x").is_available(at(1_000_000)),
        "never by a timer"
    );
}

#[test]
fn target_is_the_next_available_account_round_robin() {
    let accounts = [
        account("a", Some(100)),
        account("b", None),
        account("c", None),
    ];
    assert_eq!(pick_target(&accounts, 0, at(0)), Target::Account(1));
    assert_eq!(pick_target(&accounts, 1, at(0)), Target::Account(2));
    // From the last one it wraps around, skipping the exhausted first one.
    assert_eq!(pick_target(&accounts, 2, at(0)), Target::Account(1));
}

#[test]
fn exhausted_accounts_are_skipped_until_their_reset() {
    let accounts = [
        account("a", None),
        account("b", Some(600)),
        account("c", None),
    ];
    assert_eq!(pick_target(&accounts, 0, at(0)), Target::Account(2));
    let accounts = [
        account("a", None),
        account("b", Some(600)),
        account("c", Some(900)),
    ];
    assert_eq!(
        pick_target(&accounts, 0, at(599)),
        Target::AllExhausted {
            earliest_reset: Some(at(600))
        }
    );
    assert_eq!(pick_target(&accounts, 0, at(600)), Target::Account(1));
}

#[test]
fn all_exhausted_reports_the_earliest_reset() {
    let accounts = [
        account("a", Some(900)),
        account("b", Some(600)),
        account("c", Some(1200)),
    ];
    assert_eq!(
        pick_target(&accounts, 0, at(0)),
        Target::AllExhausted {
            earliest_reset: Some(at(600))
        }
    );
    // Once b's reset passed it is the target again.
    assert_eq!(pick_target(&accounts, 0, at(601)), Target::Account(1));
}

#[test]
fn the_active_account_is_never_its_own_target() {
    let accounts = [account("a", None)];
    assert_eq!(
        pick_target(&accounts, 0, at(0)),
        Target::AllExhausted {
            earliest_reset: None
        }
    );
    let accounts = [account("a", Some(300)), account("b", Some(100))];
    assert_eq!(
        pick_target(&accounts, 1, at(0)),
        Target::AllExhausted {
            earliest_reset: Some(at(100))
        }
    );
    assert_eq!(
        pick_target(&[], 0, at(0)),
        Target::AllExhausted {
            earliest_reset: None
        }
    );
}

const MENU: &str = "❯ subscription limit test\n  ⎿  You've hit your session limit · resets 10:07am (UTC)\n\n✻ Worked for 0s\n\n❯ /rate-limit-options\n\n────────\n  What do you want to do?\n\n  ❯ 1. Stop and wait for limit to reset\n    2. Upgrade your plan\n\n  Enter to confirm · Esc to cancel\n";

#[test]
fn menu_with_the_wait_option_first_is_answered_with_1() {
    assert_eq!(menu_answer(MENU), Some(MenuAnswer::Digit(1)));
}

#[test]
fn menu_with_other_options_is_escaped() {
    let reordered = MENU
        .replace(
            "1. Stop and wait for limit to reset",
            "1. Upgrade your plan",
        )
        .replace(
            "2. Upgrade your plan",
            "2. Stop and wait for limit to reset",
        );
    assert_eq!(menu_answer(&reordered), Some(MenuAnswer::Escape));
    let unreadable = MENU
        .replace("  ❯ 1. Stop and wait for limit to reset\n", "")
        .replace("    2. Upgrade your plan\n", "");
    assert_eq!(menu_answer(&unreadable), Some(MenuAnswer::Escape));
}

#[test]
fn no_menu_no_answer() {
    let answered = "❯ subscription limit test\n  ⎿  You've hit your session limit · resets 10:07am (UTC)\n\n✻ Worked for 0s\n\n────\n❯\u{a0}\n────\n";
    assert_eq!(menu_answer(answered), None);
    // A closed menu's title left above a live input line is not an open menu.
    let closed = format!("{MENU}\n────\n❯\u{a0}\n────\n");
    assert_eq!(menu_answer(&closed), None);
}

#[test]
fn a_fresh_turn_after_a_swap_is_acted_on_at_once_even_with_the_same_text() {
    let mut monitor = QuotaMonitor::new(SignedDuration::from_mins(5));
    let hit = hit_with_reset();
    assert!(matches!(
        monitor.observe("cf-1", Some(hit.clone()), at(0)),
        Decision::Swap { .. }
    ));
    monitor.note_swap(at(1), &["cf-1"]);
    // The same line (same reset minute) on the target account, during the cooldown.
    assert!(matches!(
        monitor.observe("cf-1", Some(hit.clone()), at(30)),
        Decision::Suppressed { .. }
    ));
    assert!(matches!(
        monitor.observe_fresh("cf-1", Some(hit), at(30)),
        Decision::Swap { .. }
    ));
    assert_eq!(monitor.last_swap(), Some(at(1)));
    assert_eq!(
        monitor.observe_fresh("cf-2", Some(hit_without_reset()), at(31)),
        Decision::Pending,
        "without a reset time a second poll still confirms"
    );
}
