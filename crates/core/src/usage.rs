//! Account usage, as the client reports it to a status line command after every reply
//! (`../shared/claude-code/README.md` section l): reading one report, keeping the newest per
//! account, and what a report means at `now` (a window whose reset passed is at 0 %).
//! Pure: the caller passes `now`.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// One rate-limit window: how much of it is used and when it starts again.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Window {
    /// Percent used, 0–100 (the client may report more when over).
    pub used_percentage: f64,
    /// When the window resets.
    pub resets_at: Timestamp,
}

/// The two windows the client reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct RateLimits {
    /// The five-hour window.
    pub five_hour: Option<Window>,
    /// The weekly window.
    pub seven_day: Option<Window>,
}

/// What one status line call says that matters to the daemon.
#[derive(Debug, Clone, PartialEq)]
pub struct UsageReport {
    /// The client's conversation id.
    pub session_id: Option<String>,
    /// The reply it is about: a redraw repeats the last one's figures with the same id.
    pub prompt_id: Option<String>,
    /// The session's running cost as this client process knows it, in USD.
    pub total_cost_usd: Option<f64>,
    /// The account's windows (absent before the first reply, and for an API-key account).
    pub rate_limits: RateLimits,
}

/// Why a status line input cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsageError {
    /// Not a JSON object.
    #[error("the status line input is not a JSON object: {0}")]
    NotJson(String),
}

/// Reads the JSON a status line command gets on stdin. Unknown or malformed parts are left out
/// (a figure that is not a number is no figure), never guessed.
pub fn parse_statusline(input: &str) -> Result<UsageReport, UsageError> {
    let value: serde_json::Value =
        serde_json::from_str(input).map_err(|e| UsageError::NotJson(e.to_string()))?;
    let Some(object) = value.as_object() else {
        return Err(UsageError::NotJson("it is not an object".to_owned()));
    };
    let text = |key: &str| object.get(key).and_then(|v| v.as_str()).map(str::to_owned);
    let limits = object.get("rate_limits");
    Ok(UsageReport {
        session_id: text("session_id"),
        prompt_id: text("prompt_id"),
        total_cost_usd: object
            .get("cost")
            .and_then(|c| c.get("total_cost_usd"))
            .and_then(serde_json::Value::as_f64),
        rate_limits: RateLimits {
            five_hour: limits.and_then(|l| window(l.get("five_hour")?)),
            seven_day: limits.and_then(|l| window(l.get("seven_day")?)),
        },
    })
}

/// `{used_percentage, resets_at: <epoch seconds>}`.
fn window(value: &serde_json::Value) -> Option<Window> {
    let used = value.get("used_percentage")?.as_f64()?;
    let resets = value.get("resets_at")?.as_i64()?;
    Some(Window {
        used_percentage: used.max(0.0),
        resets_at: Timestamp::from_second(resets).ok()?,
    })
}

/// What is known of one account's usage.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct AccountUsage {
    /// The windows of the newest report that had any.
    pub limits: RateLimits,
    /// When that report arrived.
    pub reported_at: Option<Timestamp>,
}

impl AccountUsage {
    /// Takes `limits` reported at `at` if it is newer than what is known and says anything.
    pub fn record(&mut self, limits: RateLimits, at: Timestamp) -> bool {
        let says_something = limits.five_hour.is_some() || limits.seven_day.is_some();
        let newer = self.reported_at.is_none_or(|known| at >= known);
        if says_something && newer {
            self.limits = limits;
            self.reported_at = Some(at);
        }
        says_something && newer
    }

    /// The higher of the two windows' use at `now` (a window whose reset passed is at 0 %), or
    /// `None` when the account never reported: unknown, neither empty nor full.
    pub fn used_at(&self, now: Timestamp) -> Option<f64> {
        let five = self.limits.five_hour.map(|w| effective(w, now));
        let seven = self.limits.seven_day.map(|w| effective(w, now));
        match (five, seven) {
            (None, None) => None,
            (a, b) => Some(a.unwrap_or(0.0).max(b.unwrap_or(0.0))),
        }
    }

    /// Each window's use at `now`, for display: `(five_hour, seven_day)`.
    pub fn windows_at(&self, now: Timestamp) -> (Option<f64>, Option<f64>) {
        (
            self.limits.five_hour.map(|w| effective(w, now)),
            self.limits.seven_day.map(|w| effective(w, now)),
        )
    }
}

/// A window's use at `now`: 0 once its reset has passed.
fn effective(window: Window, now: Timestamp) -> f64 {
    if window.resets_at <= now {
        0.0
    } else {
        window.used_percentage
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> Timestamp {
        Timestamp::from_second(secs).expect("a time")
    }

    #[test]
    fn a_recorded_report_reads_as_the_client_sent_it() {
        let input = r#"{"session_id":"s1","prompt_id":"p1","cost":{"total_cost_usd":0.25},
            "rate_limits":{"five_hour":{"used_percentage":92,"resets_at":1796116757},
            "seven_day":{"used_percentage":10,"resets_at":1796372357}}}"#;
        let report = parse_statusline(input).expect("parses");
        assert_eq!(report.prompt_id.as_deref(), Some("p1"));
        assert_eq!(report.total_cost_usd, Some(0.25));
        let five = report.rate_limits.five_hour.expect("five-hour window");
        assert_eq!(
            (five.used_percentage, five.resets_at),
            (92.0, at(1796116757))
        );
        let before_first_reply = parse_statusline(r#"{"session_id":"s1"}"#).expect("parses");
        assert_eq!(before_first_reply.rate_limits, RateLimits::default());
        let odd = r#"{"rate_limits":{"five_hour":{"used_percentage":"lots","resets_at":1}}}"#;
        assert_eq!(
            parse_statusline(odd).expect("parses").rate_limits.five_hour,
            None
        );
        assert!(parse_statusline("[1]").is_err() && parse_statusline("nope").is_err());
    }

    #[test]
    fn usage_is_the_newest_report_and_a_passed_reset_is_zero() {
        let mut usage = AccountUsage::default();
        assert_eq!(usage.used_at(at(0)), None, "never reported: unknown");
        let limits = |five: f64, seven: f64| RateLimits {
            five_hour: Some(Window {
                used_percentage: five,
                resets_at: at(1000),
            }),
            seven_day: Some(Window {
                used_percentage: seven,
                resets_at: at(9000),
            }),
        };
        assert!(usage.record(limits(80.0, 10.0), at(10)));
        assert!(
            !usage.record(limits(20.0, 10.0), at(5)),
            "an older report loses"
        );
        assert!(
            !usage.record(RateLimits::default(), at(20)),
            "a report without figures says nothing"
        );
        assert_eq!(usage.used_at(at(500)), Some(80.0));
        assert_eq!(
            usage.used_at(at(1000)),
            Some(10.0),
            "the five-hour window reset"
        );
        assert_eq!(usage.windows_at(at(9000)), (Some(0.0), Some(0.0)));
    }
}
