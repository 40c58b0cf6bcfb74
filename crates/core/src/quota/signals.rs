//! The quota signals as the real client prints them, the lines that veto them, and the lines that
//! show a turn went on after a quoted signal.
//!
//! Every pattern is anchored on the client's own line shapes (`  ⎿  You've hit your …`,
//! `● Usage limit reached · continuing automatically …`, the `⚠` footer, the retry spinner) so
//! that a model reply or a user prompt that merely quotes these words does not match.

use std::sync::LazyLock;

use regex::Regex;

use super::QuotaPattern;
use super::region::{block_end, block_start, is_input_or_queued};

/// `  ⎿  You've hit your session limit · resets 10:07am (UTC)` (2.1.197 and 2.1.329; the name
/// is `session limit`, `5-hour limit`, `weekly limit`, `Opus limit`, `org's monthly spend limit`…).
static HIT_YOUR_LIMIT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*⎿\s+You(?:'|’)ve hit your (?P<name>.*?\blimit)(?:\s*[·∙•]\s*resets\s+(?P<reset>.*))?\s*$")
        .expect("the limit-line regex is valid")
});

/// 2.1.329: `● Usage limit reached · continuing automatically at 10:13am · esc to cancel`
/// (also `… reached again …`) and its footer `⚠ Usage limit reached · limit resets 10:13am`.
static AUTO_CONTINUE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(?:● Usage limit reached(?: again)? · continuing automatically (?P<when>.*)|\s*⚠ Usage limit reached · limit resets (?P<reset>.*))$",
    )
    .expect("the auto-continue regex is valid")
});

/// The retry spinner's label on the last attempt under a subscription limit:
/// `✻ Session limit reached · Retrying in 5s (3pm (UTC)) · attempt 10/10`.
static SPINNER_LIMIT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[·✢*✶✻✽✳] (?P<kind>Session|Weekly|Usage|5-hour) limit reached\b(?P<rest>.*)$")
        .expect("the spinner regex is valid")
});

/// Older clients: `5-hour limit reached ∙ resets 3am`, `Claude AI usage limit reached|1763712000`,
/// `Claude usage limit reached. Your limit will reset at 3pm (Europe/Paris).`
static OLD_BANNER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^\s*(?:[⎿●⚠]\s*)?(?:(?:API Error:\s*)?claude(?: ai)? usage limit reached|5-hour limit reached)(?P<rest>.*)$",
    )
    .expect("the old-banner regex is valid")
});

/// Anthropic's typed 429: `"type":"rate_limit_error"` in an error payload.
static TYPED_RATE_LIMIT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#""type"\s*:\s*"rate_limit_error""#).expect("the typed-error regex is valid")
});

/// Where the reset time starts in the rest of an old banner or spinner line.
static RESET_KEYWORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:\|\s*\d{9,11}|resets?\s+(?:at\s+|in\s+)?|\(\s*(?:resets\s+)?)")
        .expect("the reset-keyword regex is valid")
});

/// Server-side errors: when one is in the signal's block or after it, the signal is not a quota
/// hit (SPEC "Quota and account failover").
static SERVER_ERROR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)api_error|overloaded_error|internal server error|api error: 5\d\d|\b5\d\d overloaded|repeated 529|server is temporarily limiting requests|not your usage limit",
    )
    .expect("the server-error regex is valid")
});

/// An organisation's per-minute or account rate limit (a 429 that waiting a minute fixes):
/// vetoes a typed `rate_limit_error` in the same block.
static PER_MINUTE_LIMIT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)per minute|for your organization|tokens per|requests per|not your usage limit")
        .expect("the per-minute regex is valid")
});

/// A spinner or retry line: the turn is still running.
static SPINNER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:[·✢*✶✻✽✳] \S.*…(?: \(.*\))?\s*$|✻ .+ · [Rr]etrying in \d)")
        .expect("the spinner regex is valid")
});

/// Client notices that may follow a limit line without meaning the turn went on.
static LIMIT_NOTICE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^● (?:Usage limit reached|Automatic continue cancelled)")
        .expect("the notice regex is valid")
});

/// The client says the limit is over (`Your usage limit has reset`), or the client exited
/// (`Resume this session with:`, a dead last frame): nothing before it is a current hit.
static LIMIT_OVER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)your usage limit has reset|^Resume this session with:")
        .expect("the limit-over regex is valid")
});

/// A quota signal found on one line, before the checks that need the rest of the turn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Signal {
    /// Which signal it is.
    pub pattern: QuotaPattern,
    /// The text the reset time starts with, if the line carries one.
    pub reset_text: Option<String>,
    /// Character offset of the match in the line (for the snippet).
    pub column: usize,
}

/// Reads the signal on `lines[index]`, if any; `lines` gives the typed-error check its block.
pub(crate) fn signal_at(lines: &[&str], index: usize, floor: usize) -> Option<Signal> {
    let line = lines[index].trim_end();
    if is_input_or_queued(line) {
        return None;
    }
    if let Some(caps) = HIT_YOUR_LIMIT.captures(line) {
        let name = &caps["name"];
        return Some(Signal {
            pattern: limit_pattern(name),
            reset_text: caps.name("reset").map(|m| m.as_str().to_owned()),
            column: char_column(line, caps.get(0).map_or(0, |m| m.start())),
        });
    }
    if let Some(caps) = AUTO_CONTINUE.captures(line) {
        let reset = caps.name("when").or_else(|| caps.name("reset"));
        return Some(Signal {
            pattern: QuotaPattern::UsageLimitAutoContinue,
            reset_text: reset.map(|m| m.as_str().to_owned()),
            column: char_column(line, line.len() - line.trim_start().len()),
        });
    }
    if let Some(caps) = SPINNER_LIMIT.captures(line) {
        let pattern = match &caps["kind"] {
            "Session" => QuotaPattern::SessionLimit,
            "Weekly" => QuotaPattern::WeeklyLimit,
            "5-hour" => QuotaPattern::FiveHourLimit,
            _ => QuotaPattern::UsageLimit,
        };
        return Some(Signal {
            pattern,
            reset_text: reset_after_keyword(&caps["rest"]),
            column: 0,
        });
    }
    if let Some(caps) = OLD_BANNER.captures(line) {
        return Some(Signal {
            pattern: QuotaPattern::OldBanner,
            reset_text: reset_after_keyword(&caps["rest"]),
            column: char_column(line, line.len() - line.trim_start().len()),
        });
    }
    if let Some(found) = TYPED_RATE_LIMIT.find(line) {
        return typed_rate_limit(lines, index, floor, char_column(line, found.start()));
    }
    None
}

/// A typed `rate_limit_error` counts only inside the client's `API Error` block and only when
/// the block does not describe a per-minute organisation limit.
fn typed_rate_limit(lines: &[&str], index: usize, floor: usize, column: usize) -> Option<Signal> {
    let start = block_start(lines, index, floor);
    let end = block_end(lines, index);
    if !lines[start].to_ascii_lowercase().contains("api error") {
        return None;
    }
    let block = lines[start..end].join(" ");
    if PER_MINUTE_LIMIT.is_match(&block) {
        return None;
    }
    Some(Signal {
        pattern: QuotaPattern::TypedRateLimitError,
        reset_text: reset_after_keyword(&block),
        column,
    })
}

/// The pattern for the name in `You've hit your <name>`.
fn limit_pattern(name: &str) -> QuotaPattern {
    match name.to_ascii_lowercase().as_str() {
        "session limit" => QuotaPattern::SessionLimit,
        "5-hour limit" | "five-hour limit" => QuotaPattern::FiveHourLimit,
        "weekly limit" => QuotaPattern::WeeklyLimit,
        "usage limit" | "limit" => QuotaPattern::UsageLimit,
        _ => QuotaPattern::NamedLimit(name.to_owned()),
    }
}

/// The text right after the first `resets`/`|epoch`/`(` in `rest`, where a reset time starts.
fn reset_after_keyword(rest: &str) -> Option<String> {
    let found = RESET_KEYWORD.find(rest)?;
    let text = if found.as_str().starts_with('|') {
        found.as_str().to_owned()
    } else {
        rest[found.end()..].to_owned()
    };
    Some(text)
}

/// True when `line` is a server error (vetoes a signal in the same block or before it).
pub(crate) fn is_server_error(line: &str) -> bool {
    SERVER_ERROR.is_match(line)
}

/// True when `line`, printed after a signal in the same turn, shows the signal was quoted or is
/// over: a model reply or tool call (`● ` other than the client's limit notices), a running
/// spinner, `Your usage limit has reset`, or the client's exit (`Resume this session with:`).
pub(crate) fn turn_went_on(line: &str) -> bool {
    if LIMIT_OVER.is_match(line) {
        return true;
    }
    if line.starts_with("● ") {
        return !LIMIT_NOTICE.is_match(line);
    }
    SPINNER.is_match(line)
}

/// The char offset of byte offset `byte` in `line`.
fn char_column(line: &str, byte: usize) -> usize {
    line.get(..byte).map_or(0, |prefix| prefix.chars().count())
}
