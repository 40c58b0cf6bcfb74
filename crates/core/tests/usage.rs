//! The usage recordings (`../shared/claude-code/usage/`, README section l): every recorded
//! status line input reads as the client sent it, and our status line drawn under the input
//! box changes nothing the screen rules read (idle or busy, limits, error lines).

// Tests may read fixtures from disk; the core's library code may not.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

mod common;

use cf_core::quota::detect;
use cf_core::screen::classify;
use cf_core::turn::screen_error;
use cf_core::usage::parse_statusline;
use jiff::Timestamp;
use jiff::tz::TimeZone;

/// Ours, as `hook statusline` prints it with both windows.
const OUR_LINE: &str = "claude-failover · 5h 92% · week 10%";

const RECORDINGS: [(&str, f64, f64); 6] = [
    ("2.1.197-ok_delay_1_unified_allowed", 10.0, 10.0),
    ("2.1.197-ok_delay_1_unified_warn5h", 92.0, 10.0),
    ("2.1.197-ok_delay_1_unified_warn7d", 10.0, 92.0),
    ("2.1.329-ok_delay_1_unified_allowed", 10.0, 10.0),
    ("2.1.329-ok_delay_1_unified_warn5h", 92.0, 10.0),
    ("2.1.329-ok_delay_1_unified_warn7d", 10.0, 92.0),
];

#[test]
fn every_recorded_status_line_input_reads_as_sent() {
    for (name, five, week) in RECORDINGS {
        let input = common::read("usage", &format!("{name}.statusline.json"));
        let report = parse_statusline(&input).unwrap_or_else(|e| panic!("{name}: {e}"));
        let limits = report.rate_limits;
        assert_eq!(
            limits.five_hour.map(|w| w.used_percentage),
            Some(five),
            "{name}"
        );
        assert_eq!(
            limits.seven_day.map(|w| w.used_percentage),
            Some(week),
            "{name}"
        );
        assert!(
            report.prompt_id.is_some() && report.total_cost_usd.is_some(),
            "{name}"
        );
    }
}

#[test]
fn our_status_line_changes_nothing_the_screen_rules_read() {
    let now: Timestamp = "2026-12-01T06:00:00Z".parse().expect("time");
    for (name, _, _) in RECORDINGS {
        let recorded = common::read("usage", &format!("{name}.txt"));
        assert!(
            recorded.contains("\n  ok"),
            "{name}: the recorded status line is `ok`"
        );
        let ours = recorded.replacen("\n  ok", &format!("\n  {OUR_LINE}"), 1);
        assert_ne!(ours, recorded);
        assert_eq!(classify(&ours), classify(&recorded), "{name}: screen state");
        assert_eq!(
            detect(&ours, now, &TimeZone::UTC),
            detect(&recorded, now, &TimeZone::UTC),
            "{name}: limits"
        );
        assert_eq!(
            screen_error(&ours),
            screen_error(&recorded),
            "{name}: error line"
        );
    }
}
