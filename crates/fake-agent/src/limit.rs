//! The account-wide usage-limit switch `$CLAUDE_CONFIG_DIR/fake-quota` ("this account hit its
//! limit", for every fake on that config dir) and the limit screens of the real client versions.

use jiff::{SignedDuration, Timestamp, tz::TimeZone};
use std::path::Path;
use thiserror::Error;

/// File name, inside the config dir, of the account-wide limit switch.
pub const QUOTA_FILE: &str = "fake-quota";
/// Without `reset=…` the limit resets this long after the file was read.
const DEFAULT_RESET_IN: SignedDuration = SignedDuration::from_hours(1);
/// Reset times further ahead than this show their date (`Nov 24, 8am`).
const SHOW_DATE_BEYOND: SignedDuration = SignedDuration::from_hours(24);
/// Second line under a repeated or weekly limit (2.1.197).
pub const UPGRADE_HINT: &str = "/upgrade to increase your usage limit.";
/// Second line under a session limit on a plan without the menu (2.1.197, max 20x).
pub const LOGIN_HINT: &str = "/login to switch to an API usage-billed account.";
/// The command the 2.1.197 max 5x client runs by itself on the first limit of a process.
pub const MENU_COMMAND: &str = "/rate-limit-options";
/// Title of the `/rate-limit-options` menu.
pub const MENU_TITLE: &str = "What do you want to do?";
/// The menu's options, in order (1 is selected when it opens).
pub const MENU_OPTIONS: [&str; 2] = ["Stop and wait for limit to reset", "Upgrade your plan"];
/// The menu's key hint line.
pub const MENU_HINT: &str = "Enter to confirm · Esc to cancel";
/// What the record says when the menu was closed with Esc or Ctrl-C.
pub const MENU_CANCELLED: &str = "cancel";
/// Shown after Esc cancels a 2.1.329 automatic continue.
pub const AUTO_CONTINUE_CANCELLED: &str =
    "Automatic continue cancelled · /rate-limit-options to re-arm";

/// How the limit shows on screen, after the client version and plan it imitates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitStyle {
    /// `session` (2.1.197, max 20x): `You've hit your session limit · resets …` + `/login …` hint.
    Session,
    /// `weekly` (2.1.197): `You've hit your weekly limit · resets …` + `/upgrade …` hint.
    Weekly,
    /// `5h-new` (2.1.329): `You've hit your 5-hour limit · resets …`, an automatic-continue
    /// line and two `⚠` lines above the footer.
    FiveHourNew,
    /// `menu` (2.1.197, max 5x): the session-limit line, then the `/rate-limit-options` menu
    /// opens by itself (first limit of the process only, like the real client).
    Menu,
    /// `usage`: `You've hit your usage limit` with no reset time (the client's template when the
    /// API did not say when the limit resets).
    UsageNoReset,
}

/// An account's limit as read from the switch file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountLimit {
    /// How it shows.
    pub style: LimitStyle,
    /// When it resets (shown on screen).
    pub resets_at: Timestamp,
}

/// Why the switch file's content was not understood.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum QuotaFileError {
    /// The first word is not a known style.
    #[error(
        "fake-quota: unknown limit style '{0}': write one of session, weekly, 5h-new, menu, usage (optionally followed by reset=<time>)"
    )]
    UnknownStyle(String),
    /// `reset=` holds neither an RFC 3339 time nor epoch seconds.
    #[error(
        "fake-quota: reset time '{0}' not understood: write RFC 3339 (2026-11-24T08:00:00Z) or epoch seconds"
    )]
    BadReset(String),
    /// A word after the style that is not `reset=…`.
    #[error("fake-quota: unexpected '{0}': only reset=<time> may follow the style")]
    UnexpectedWord(String),
}

/// Parses the switch file's content (`<style> [reset=<time>]`; empty means `session`).
pub fn parse_quota_file(text: &str, now: Timestamp) -> Result<AccountLimit, QuotaFileError> {
    let mut style = LimitStyle::Session;
    let mut resets_at = now.checked_add(DEFAULT_RESET_IN).unwrap_or(now);
    for (index, word) in text.split_whitespace().enumerate() {
        if let Some(value) = word.strip_prefix("reset=") {
            resets_at = parse_reset(value)?;
            continue;
        }
        if index > 0 {
            return Err(QuotaFileError::UnexpectedWord(word.to_string()));
        }
        style = match word {
            "session" => LimitStyle::Session,
            "weekly" => LimitStyle::Weekly,
            "5h-new" => LimitStyle::FiveHourNew,
            "menu" => LimitStyle::Menu,
            "usage" => LimitStyle::UsageNoReset,
            other => return Err(QuotaFileError::UnknownStyle(other.to_string())),
        };
    }
    Ok(AccountLimit { style, resets_at })
}

fn parse_reset(value: &str) -> Result<Timestamp, QuotaFileError> {
    parse_switch_time(value).ok_or_else(|| QuotaFileError::BadReset(value.to_string()))
}

/// A time in a switch file: RFC 3339 (`2026-11-24T08:00:00Z`) or epoch seconds.
pub(crate) fn parse_switch_time(value: &str) -> Option<Timestamp> {
    match value.parse::<i64>() {
        Ok(seconds) => Timestamp::from_second(seconds).ok(),
        Err(_) => value.parse::<Timestamp>().ok(),
    }
}

/// The account's limit if `<config_dir>/fake-quota` exists. Content that cannot be read or is
/// not understood still means "limited": it shows as `session` with the default reset (a broken
/// switch must not silently let work through).
pub fn read_account_limit(config_dir: &Path, now: Timestamp) -> Option<AccountLimit> {
    let path = config_dir.join(QUOTA_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => Some(parse_quota_file(&text, now).unwrap_or_else(|_| fallback(now))),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
        // Exists but unreadable (a folder, no permission, not UTF-8).
        Err(_) => path.exists().then(|| fallback(now)),
    }
}

fn fallback(now: Timestamp) -> AccountLimit {
    AccountLimit {
        style: LimitStyle::Session,
        resets_at: now.checked_add(DEFAULT_RESET_IN).unwrap_or(now),
    }
}

/// The reset time as the real client writes it, without the zone: `10:07am`, `3pm`, or
/// `Nov 24, 8am` when more than 24 h after `now`. Always UTC.
pub fn format_reset_time(at: Timestamp, now: Timestamp) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let zoned = at.to_zoned(TimeZone::UTC);
    let hour = zoned.hour();
    let (hour12, meridiem) = match hour {
        0 => (12, "am"),
        1..=11 => (hour, "am"),
        12 => (12, "pm"),
        _ => (hour - 12, "pm"),
    };
    let clock = match zoned.minute() {
        0 => format!("{hour12}{meridiem}"),
        minute => format!("{hour12}:{minute:02}{meridiem}"),
    };
    if at.duration_since(now) > SHOW_DATE_BEYOND {
        let month = MONTHS[usize::try_from(zoned.month() - 1).unwrap_or(0) % 12];
        format!("{month} {}, {clock}", zoned.day())
    } else {
        clock
    }
}

/// `resets 10:07am (UTC)`-style suffix text: the time plus ` (UTC)`.
pub fn format_reset(at: Timestamp, now: Timestamp) -> String {
    format!("{} (UTC)", format_reset_time(at, now))
}

/// What a limit looks like once a turn ran into it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitScreen {
    /// The `You've hit your …` line: transcript text and `last_assistant_message`.
    pub message: String,
    /// Second row under the limit line, if any (`/login …` or `/upgrade …`).
    pub hint: Option<&'static str>,
    /// A `● …` line after the limit (2.1.329 automatic continue).
    pub follow_up: Option<String>,
    /// Whether a `✻ Worked for …` line follows (2.1.197 does, 2.1.329 does not).
    pub shows_worked: bool,
    /// Whether the `/rate-limit-options` menu opens.
    pub opens_menu: bool,
    /// The two `⚠` rows above the footer while an automatic continue is armed (2.1.329).
    pub banner: Option<[String; 2]>,
}

/// Whether the menu already opened once in this process (it only opens on the first limit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MenuHistory {
    /// No limit menu so far in this process.
    NotShown,
    /// The menu opened before: later limits show the `/upgrade` hint instead.
    AlreadyShown,
}

/// The screen for `limit` hit at `now`.
pub fn limit_screen(limit: AccountLimit, history: MenuHistory, now: Timestamp) -> LimitScreen {
    let reset = format_reset(limit.resets_at, now);
    let clock = format_reset_time(limit.resets_at, now);
    let plain = |name: &str, hint| LimitScreen {
        message: format!("You've hit your {name} · resets {reset}"),
        hint,
        follow_up: None,
        shows_worked: true,
        opens_menu: false,
        banner: None,
    };
    match (limit.style, history) {
        (LimitStyle::Session, _) => plain("session limit", Some(LOGIN_HINT)),
        (LimitStyle::Weekly, _) => plain("weekly limit", Some(UPGRADE_HINT)),
        (LimitStyle::UsageNoReset, _) => LimitScreen {
            message: "You've hit your usage limit".to_string(),
            hint: Some(UPGRADE_HINT),
            follow_up: None,
            shows_worked: true,
            opens_menu: false,
            banner: None,
        },
        (LimitStyle::Menu, MenuHistory::AlreadyShown) => plain("session limit", Some(UPGRADE_HINT)),
        (LimitStyle::Menu, MenuHistory::NotShown) => LimitScreen {
            opens_menu: true,
            ..plain("session limit", None)
        },
        (LimitStyle::FiveHourNew, _) => LimitScreen {
            follow_up: Some(format!(
                "Usage limit reached · continuing automatically at {clock} · esc to cancel"
            )),
            shows_worked: false,
            banner: Some([
                format!("  ⚠ Usage limit reached · limit resets {clock}"),
                format!("    Continuing automatically at {clock} · Esc to cancel"),
            ]),
            ..plain("5-hour limit", None)
        },
    }
}

#[cfg(test)]
#[path = "limit_tests.rs"]
mod tests;
