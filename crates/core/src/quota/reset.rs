//! Turns the reset times Claude Code prints next to a limit (`3pm (UTC)`, `Nov 24, 8am (UTC)`,
//! `in 2h 13m`, `|1763712000`, `at 10:13am`) into an instant.
//!
//! Pure: the caller passes `now` and the time zone to use when the text names none.

use std::sync::LazyLock;

use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use regex::Regex;

/// A clock time printed as already passed by at most this much is taken as "today" (the client
/// rounds reset times to the minute), not as the same time tomorrow.
const JUST_PASSED_GRACE: SignedDuration = SignedDuration::from_mins(2);

/// A month-and-day reset more than this far in the past belongs to next year (`Jan 2` seen on
/// Dec 31).
const LAST_YEAR_GRACE: SignedDuration = SignedDuration::from_hours(24);

/// `3pm`, `3:30pm`, `10:07am (Europe/Paris)`, `Nov 24, 8am (UTC)`, `15:00`, optionally led by `at`.
static CLOCK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)^\s*(?:at\s+)?
          (?:(?P<month>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?,?\s+(?:at\s+)?)?
          (?P<hour>\d{1,2})(?::(?P<minute>\d{2}))?\s*(?P<ampm>am|pm|a\.m\.|p\.m\.)?
          (?:\s*\((?P<zone>[A-Za-z][A-Za-z0-9_+\-]*(?:/[A-Za-z0-9_+\-]+)*)\))?",
    )
    .expect("the clock regex is valid")
});

/// `in 2h 13m`, `in 45 minutes`, `in 1d 2h`.
static RELATIVE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\s*in\s+(?P<parts>(?:\d+\s*[a-z]+\s*)+)")
        .expect("the relative regex is valid")
});

/// One `<number><unit>` of a relative time.
static RELATIVE_PART: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(?P<n>\d+)\s*(?P<unit>days?|d|hours?|hrs?|h|minutes?|mins?|m|seconds?|secs?|s)",
    )
    .expect("the relative part regex is valid")
});

/// The old banner's `|<unix seconds>` suffix (`Claude AI usage limit reached|1763712000`).
static EPOCH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*\|\s*(?P<secs>\d{9,11})\b").expect("the epoch regex is valid")
});

/// Parses the reset time at the start of `text` (what follows `resets ` or
/// `continuing automatically `) into an instant.
///
/// Accepted: a clock time with or without minutes and am/pm, with an optional IANA zone in
/// parentheses (none → `default_tz`) and an optional `Mon DD,` date; `in 2h 13m`; `|<epoch>`.
/// A clock time that already passed today (by more than two minutes of rounding) means the same
/// time tomorrow. Returns `None` when nothing parses, when the zone is unknown, or when the date
/// does not exist: the caller then treats the hit as having no reset time (confirm on a second
/// poll), which is slower but never wrong.
pub fn parse_reset(text: &str, now: Timestamp, default_tz: &TimeZone) -> Option<Timestamp> {
    if let Some(caps) = EPOCH.captures(text) {
        let secs: i64 = caps["secs"].parse().ok()?;
        return Timestamp::from_second(secs).ok();
    }
    if let Some(caps) = RELATIVE.captures(text) {
        return parse_relative(&caps["parts"], now);
    }
    let caps = CLOCK.captures(text)?;
    let hour: i8 = caps["hour"].parse().ok()?;
    let minute: i8 = match caps.name("minute") {
        Some(m) => m.as_str().parse().ok()?,
        None => 0,
    };
    let hour = match caps.name("ampm").map(|m| m.as_str().to_ascii_lowercase()) {
        Some(ampm) => to_24_hour(
            hour,
            if ampm.starts_with('p') {
                Meridiem::Pm
            } else {
                Meridiem::Am
            },
        )?,
        // A bare number without minutes ("resets 3") is too vague to be a time.
        None if caps.name("minute").is_none() => return None,
        None => hour,
    };
    let tz = match caps.name("zone") {
        Some(zone) => TimeZone::get(zone.as_str()).ok()?,
        None => default_tz.clone(),
    };
    let today = now.to_zoned(tz.clone()).date();
    match (caps.name("month"), caps.name("day")) {
        (Some(month), Some(day)) => {
            let month = month_number(month.as_str())?;
            let day: i8 = day.as_str().parse().ok()?;
            let this_year = instant(Date::new(today.year(), month, day).ok()?, hour, minute, &tz)?;
            if this_year < now - LAST_YEAR_GRACE {
                let next_year = today.year().checked_add(1)?;
                instant(Date::new(next_year, month, day).ok()?, hour, minute, &tz)
            } else {
                Some(this_year)
            }
        }
        _ => {
            let at_today = instant(today, hour, minute, &tz)?;
            if at_today < now - JUST_PASSED_GRACE {
                instant(today.tomorrow().ok()?, hour, minute, &tz)
            } else {
                Some(at_today)
            }
        }
    }
}

/// Which half of the day a 12-hour clock time is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Meridiem {
    Am,
    Pm,
}

/// `12am` → 0, `12pm` → 12, `3pm` → 15; `None` for hours outside 1..=12.
fn to_24_hour(hour: i8, half: Meridiem) -> Option<i8> {
    if !(1..=12).contains(&hour) {
        return None;
    }
    Some(match (hour, half) {
        (12, Meridiem::Am) => 0,
        (12, Meridiem::Pm) => 12,
        (h, Meridiem::Am) => h,
        (h, Meridiem::Pm) => h + 12,
    })
}

/// The instant of `date` at `hour:minute` on the wall clock of `tz` (a time skipped by a
/// daylight-saving jump resolves the usual "compatible" way).
fn instant(date: Date, hour: i8, minute: i8, tz: &TimeZone) -> Option<Timestamp> {
    let civil = DateTime::new(date.year(), date.month(), date.day(), hour, minute, 0, 0).ok()?;
    civil.to_zoned(tz.clone()).ok().map(|z| z.timestamp())
}

/// `nov` → 11 (the first three letters decide).
fn month_number(name: &str) -> Option<i8> {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let prefix = name.get(..3)?.to_ascii_lowercase();
    let index = MONTHS.iter().position(|m| *m == prefix)?;
    i8::try_from(index + 1).ok()
}

/// `2h 13m` → now + 2 h 13 min.
fn parse_relative(parts: &str, now: Timestamp) -> Option<Timestamp> {
    let mut total = SignedDuration::ZERO;
    let mut seen_any = false;
    for caps in RELATIVE_PART.captures_iter(parts) {
        let n: i64 = caps["n"].parse().ok()?;
        let unit = caps["unit"].to_ascii_lowercase();
        let seconds_per_unit: i64 = match unit.chars().next()? {
            'd' => 86_400,
            'h' => 3_600,
            'm' => 60,
            _ => 1,
        };
        total = total.checked_add(SignedDuration::from_secs(n.checked_mul(seconds_per_unit)?))?;
        seen_any = true;
    }
    if !seen_any {
        return None;
    }
    now.checked_add(total).ok()
}

#[cfg(test)]
#[path = "reset_tests.rs"]
mod tests;
