//! Unit tests of the reset-time parser: every form the client prints, zones, day roll-over.

use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::parse_reset;

/// 2026-11-21 08:30 UTC: the morning of the recordings.
fn now() -> Timestamp {
    "2026-11-21T08:30:00Z".parse().unwrap()
}

fn ts(text: &str) -> Timestamp {
    text.parse().unwrap()
}

#[track_caller]
fn check(text: &str, default_tz: &TimeZone, expected: Option<&str>) {
    let got = parse_reset(text, now(), default_tz);
    assert_eq!(got, expected.map(ts), "parse_reset({text:?})");
}

#[test]
fn clock_times_with_utc() {
    check(
        "10:07am (UTC)",
        &TimeZone::UTC,
        Some("2026-11-21T10:07:00Z"),
    );
    check("3pm (UTC)", &TimeZone::UTC, Some("2026-11-21T15:00:00Z"));
    check("3:30pm (UTC)", &TimeZone::UTC, Some("2026-11-21T15:30:00Z"));
    check("12pm (UTC)", &TimeZone::UTC, Some("2026-11-21T12:00:00Z"));
    check("at 10:13am", &TimeZone::UTC, Some("2026-11-21T10:13:00Z"));
    check(
        "9:28am · esc to cancel",
        &TimeZone::UTC,
        Some("2026-11-21T09:28:00Z"),
    );
    check("15:45", &TimeZone::UTC, Some("2026-11-21T15:45:00Z"));
}

#[test]
fn earlier_clock_time_means_tomorrow() {
    check("3am (UTC)", &TimeZone::UTC, Some("2026-11-22T03:00:00Z"));
    check("12am (UTC)", &TimeZone::UTC, Some("2026-11-22T00:00:00Z"));
    check("8:20am (UTC)", &TimeZone::UTC, Some("2026-11-22T08:20:00Z"));
}

#[test]
fn a_minute_of_rounding_is_still_today() {
    check("8:29am (UTC)", &TimeZone::UTC, Some("2026-11-21T08:29:00Z"));
}

#[test]
fn named_zones_are_honoured() {
    // Paris is UTC+1 in November.
    check(
        "10:07am (Europe/Paris)",
        &TimeZone::UTC,
        Some("2026-11-21T09:07:00Z"),
    );
    // New York is UTC-5 in November: 3am there is 08:00 UTC, already passed → tomorrow.
    check(
        "3am (America/New_York)",
        &TimeZone::UTC,
        Some("2026-11-22T08:00:00Z"),
    );
    check(
        "5:30pm (Asia/Kolkata)",
        &TimeZone::UTC,
        Some("2026-11-21T12:00:00Z"),
    );
}

#[test]
fn no_zone_uses_the_default() {
    let paris = TimeZone::get("Europe/Paris").unwrap();
    check("3pm", &paris, Some("2026-11-21T14:00:00Z"));
    check("3am", &paris, Some("2026-11-22T02:00:00Z"));
}

#[test]
fn month_and_day_more_than_a_day_ahead() {
    check(
        "Nov 24, 8am (UTC)",
        &TimeZone::UTC,
        Some("2026-11-24T08:00:00Z"),
    );
    check(
        "Dec 1, 3:30pm (UTC)",
        &TimeZone::UTC,
        Some("2026-12-01T15:30:00Z"),
    );
    check(
        "Nov 24 at 8am (UTC)",
        &TimeZone::UTC,
        Some("2026-11-24T08:00:00Z"),
    );
    // Seen in late November, "Jan 2" is next year.
    check(
        "Jan 2, 8am (UTC)",
        &TimeZone::UTC,
        Some("2027-01-02T08:00:00Z"),
    );
}

#[test]
fn relative_times() {
    check("in 2h 13m", &TimeZone::UTC, Some("2026-11-21T10:43:00Z"));
    check(
        "in 45 minutes",
        &TimeZone::UTC,
        Some("2026-11-21T09:15:00Z"),
    );
    check("in 1d 2h", &TimeZone::UTC, Some("2026-11-22T10:30:00Z"));
    check("in 2h13m", &TimeZone::UTC, Some("2026-11-21T10:43:00Z"));
}

#[test]
fn epochs() {
    check("|1763712000", &TimeZone::UTC, Some("2025-11-21T08:00:00Z"));
    check("|1795251600", &TimeZone::UTC, Some("2026-11-21T09:00:00Z"));
}

#[test]
fn nonsense_is_no_reset_time() {
    check("soon", &TimeZone::UTC, None);
    check("3 (UTC)", &TimeZone::UTC, None);
    check("13pm (UTC)", &TimeZone::UTC, None);
    check("3pm (Mars/Olympus)", &TimeZone::UTC, None);
    check("Feb 30, 8am (UTC)", &TimeZone::UTC, None);
    check("", &TimeZone::UTC, None);
}
