//! Quota detection on a captured Claude Code screen: did the account run out of quota, which
//! limit, and when does it reset.
//!
//! Built on what the real client prints (see `shared/claude-code/README.md` §e and the
//! recordings): `  ⎿  You've hit your session limit · resets 10:07am (UTC)` (also `5-hour`,
//! `weekly`, `Opus`, `Sonnet` and other named limits), 2.1.329's
//! `● Usage limit reached · continuing automatically at 10:13am` and its `⚠` footer, the retry
//! spinner's `Session limit reached`, older banners (`5-hour limit reached ∙ resets 3am`,
//! `Claude AI usage limit reached|<epoch>`) and Anthropic's typed `rate_limit_error`.
//!
//! Not quota: a bare "rate limit", an organisation's per-minute 429, "Server is temporarily
//! limiting requests (not your usage limit)", 5xx/529 errors, and the usage warnings
//! (`You've used 92% of your session limit`, `Approaching …`).
//!
//! Three rules keep stale or quoted text from swapping accounts:
//! 1. Only the current turn counts: the lines after the last echoed prompt (`❯` + normal space),
//!    cut further by the caller's [`Since`] marker. Older turns (an old limit line, an old 5xx)
//!    say nothing about now.
//! 2. A limit line ends its turn: if a model reply, tool call or spinner follows it in the same
//!    turn, it was quoted (e.g. a tool printed it) and does not count.
//! 3. Server errors veto, within the current turn, from the signal's own block onwards: a 5xx
//!    payload that mentions limits is one block; an error printed after the limit means the turn
//!    moved on. The veto deliberately does not reach back into earlier turns or blocks: a 500
//!    two prompts ago must not hide a real limit now (a missed quota leaves the session stuck
//!    for hours, while a false one costs a swap — both are failures, and the turn boundary
//!    separates them without guessing).
//!
//! Pure: `now` and the default time zone come from the caller; scrollback is never passed in.

mod region;
mod reset;
mod signals;

use jiff::Timestamp;
use jiff::tz::TimeZone;

pub use region::{MarkerAbsent, Since};
pub use reset::parse_reset;

/// The longest snippet a hit carries (characters), for the detection log line.
pub const SNIPPET_MAX_CHARS: usize = 120;

/// Which quota signal the screen showed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum QuotaPattern {
    /// `You've hit your session limit` (the five-hour window, 2.1.197 wording), or the retry
    /// spinner's `Session limit reached`.
    SessionLimit,
    /// `You've hit your 5-hour limit` (2.1.329 wording).
    FiveHourLimit,
    /// `You've hit your weekly limit` (the seven-day window).
    WeeklyLimit,
    /// `You've hit your usage limit`, or the spinner's `Usage limit reached`.
    UsageLimit,
    /// Any other `You've hit your <name>`: `Opus limit`, `Sonnet limit`,
    /// `org's monthly spend limit`… The name is kept as printed.
    NamedLimit(String),
    /// 2.1.329's `Usage limit reached · continuing automatically at …` (it would wait hours for
    /// the reset, which is exactly what failover avoids).
    UsageLimitAutoContinue,
    /// Banners of older clients: `5-hour limit reached ∙ resets 3am`,
    /// `Claude AI usage limit reached|<epoch>`.
    OldBanner,
    /// Anthropic's typed 429 `"type":"rate_limit_error"` in an `API Error` block that is not an
    /// organisation's per-minute limit.
    TypedRateLimitError,
}

impl QuotaPattern {
    /// A short stable name for logs and the swap record (`session-limit`, `named-limit:Opus limit`…).
    pub fn label(&self) -> String {
        match self {
            QuotaPattern::SessionLimit => "session-limit".to_owned(),
            QuotaPattern::FiveHourLimit => "five-hour-limit".to_owned(),
            QuotaPattern::WeeklyLimit => "weekly-limit".to_owned(),
            QuotaPattern::UsageLimit => "usage-limit".to_owned(),
            QuotaPattern::NamedLimit(name) => format!("named-limit:{name}"),
            QuotaPattern::UsageLimitAutoContinue => "usage-limit-auto-continue".to_owned(),
            QuotaPattern::OldBanner => "old-banner".to_owned(),
            QuotaPattern::TypedRateLimitError => "rate-limit-error".to_owned(),
        }
    }
}

/// A quota hit found on a screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaHit {
    /// The first signal of the current turn (reading order).
    pub pattern: QuotaPattern,
    /// When the limit resets, from that signal or, if it printed none, from another signal of the
    /// same turn (2.1.329 prints the time twice). `None` → confirm on a second poll.
    pub reset_at: Option<Timestamp>,
    /// At most [`SNIPPET_MAX_CHARS`] characters of the matched line around the match, on one
    /// line, for the detection log.
    pub snippet: String,
    /// The matched line's index in `screen.lines()`.
    pub line_index: usize,
}

/// Looks for a quota hit in the current turn of `screen` (see the module docs for the rules).
pub fn detect(screen: &str, now: Timestamp, default_tz: &TimeZone) -> Option<QuotaHit> {
    detect_after(screen, None, now, default_tz)
}

/// Like [`detect`], ignoring everything up to and including the last line that contains
/// `since.marker` (text from before the last swap).
pub fn detect_after(
    screen: &str,
    since: Option<&Since<'_>>,
    now: Timestamp,
    default_tz: &TimeZone,
) -> Option<QuotaHit> {
    let lines: Vec<&str> = screen.lines().collect();
    let (start, end) = region::scan_range(&lines, since)?;
    let mut found: Vec<(usize, signals::Signal)> = Vec::new();
    for index in start..end {
        let Some(signal) = signals::signal_at(&lines, index, start) else {
            continue;
        };
        if still_stands(&lines, index, start, end) {
            found.push((index, signal));
        }
    }
    let (line_index, first) = found.first()?.clone();
    let reset_at = found.iter().find_map(|(_, signal)| {
        let text = signal.reset_text.as_deref()?;
        parse_reset(text, now, default_tz)
    });
    Some(QuotaHit {
        pattern: first.pattern,
        reset_at,
        snippet: snippet(lines[line_index], first.column),
        line_index,
    })
}

/// Whether the client armed its own continue at the reset in the current turn (2.1.329:
/// `Usage limit reached · continuing automatically at 10:13am · esc to cancel`) and it was not
/// cancelled since (`Automatic continue cancelled`). The daemon resumes tasks itself, so it
/// cancels the client's (README section e): a task must never be continued twice.
pub fn auto_continue_armed(screen: &str) -> bool {
    let lines: Vec<&str> = screen.lines().collect();
    let turn_start = lines
        .iter()
        .rposition(|l| l.starts_with("❯ "))
        .map_or(0, |i| i + 1);
    let mut armed = false;
    for line in &lines[turn_start..] {
        let lower = line.to_lowercase();
        if lower.contains("continuing automatically at") {
            armed = true;
        }
        if lower.contains("automatic continue cancelled") {
            armed = false;
        }
    }
    armed
}

/// A signal on line `index` stands when no server error sits in its block or after it, and the
/// turn did not go on after it (rules 2 and 3 of the module docs).
fn still_stands(lines: &[&str], index: usize, start: usize, end: usize) -> bool {
    let block = region::block_start(lines, index, start);
    if lines[block..end]
        .iter()
        .any(|line| signals::is_server_error(line))
    {
        return false;
    }
    (index + 1..end).all(|later| {
        signals::signal_at(lines, later, start).is_some() || !signals::turn_went_on(lines[later])
    })
}

/// One line of at most [`SNIPPET_MAX_CHARS`] characters of `line` around char `column`, with
/// control characters blanked.
fn snippet(line: &str, column: usize) -> String {
    let chars: Vec<char> = line
        .trim_end()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let leading = chars.iter().take_while(|c| c.is_whitespace()).count();
    let from = if chars.len() - leading <= SNIPPET_MAX_CHARS {
        leading
    } else {
        column.saturating_sub(SNIPPET_MAX_CHARS / 4).max(leading)
    };
    let to = (from + SNIPPET_MAX_CHARS).min(chars.len());
    chars[from..to].iter().collect()
}
