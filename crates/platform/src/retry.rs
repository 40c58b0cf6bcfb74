//! Retry policy helpers: the `Retry-After` header and the backoff schedule.

use std::time::Duration;

use backon::ExponentialBuilder;
use jiff::Timestamp;

use crate::config::PlatformConfig;

/// The longest wait a `Retry-After` may ask for; longer asks are capped (and the
/// `max_elapsed` budget usually gives up before anyway).
const RETRY_AFTER_CAP: Duration = Duration::from_secs(3600);

/// Reads a `Retry-After` value: delay-seconds (`120`) or an HTTP-date
/// (`Wed, 21 Oct 2015 07:28:00 GMT`, a delay of date − `now`, at least zero).
/// Anything else is `None` (the normal backoff applies).
pub(crate) fn parse_retry_after(value: &str, now: Timestamp) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds).min(RETRY_AFTER_CAP));
    }
    let date = jiff::fmt::rfc2822::DateTimeParser::new()
        .parse_timestamp(value)
        .ok()?;
    let wait = date.duration_since(now);
    let wait = Duration::try_from(wait).unwrap_or(Duration::ZERO);
    Some(wait.min(RETRY_AFTER_CAP))
}

/// Exponential backoff with jitter from the config; the number of attempts is
/// bounded by time (`max_elapsed`), not by count.
pub(crate) fn backoff(cfg: &PlatformConfig) -> ExponentialBuilder {
    ExponentialBuilder::new()
        .with_jitter()
        .with_factor(2.0)
        .with_min_delay(cfg.initial_backoff)
        .with_max_delay(cfg.max_backoff)
        .without_max_times()
}

/// The delay before the next attempt, or `None` to give up: the larger of the
/// backoff's proposal and the server's `Retry-After`, unless that would end past
/// the `max_elapsed` budget.
pub(crate) fn next_delay(
    proposed: Option<Duration>,
    retry_after: Option<Duration>,
    elapsed: Duration,
    max_elapsed: Duration,
) -> Option<Duration> {
    let delay = match (proposed, retry_after) {
        (Some(p), Some(r)) => p.max(r),
        (p, r) => p.or(r)?,
    };
    (elapsed.saturating_add(delay) < max_elapsed).then_some(delay)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_seconds_and_dates() {
        let now: Timestamp = "2015-10-21T07:27:50Z".parse().unwrap();
        assert_eq!(parse_retry_after("1", now), Some(Duration::from_secs(1)));
        assert_eq!(
            parse_retry_after(" 120 ", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("99999999", now), Some(RETRY_AFTER_CAP));
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-5", now), None);
    }

    #[test]
    fn next_delay_honours_retry_after_and_the_budget() {
        let ms = Duration::from_millis;
        assert_eq!(
            next_delay(Some(ms(200)), Some(ms(1000)), ms(0), ms(5000)),
            Some(ms(1000))
        );
        assert_eq!(
            next_delay(Some(ms(800)), Some(ms(100)), ms(0), ms(5000)),
            Some(ms(800))
        );
        assert_eq!(
            next_delay(None, Some(ms(100)), ms(0), ms(5000)),
            Some(ms(100))
        );
        assert_eq!(next_delay(None, None, ms(0), ms(5000)), None);
        assert_eq!(
            next_delay(Some(ms(200)), Some(ms(10_000)), ms(0), ms(5000)),
            None
        );
        assert_eq!(next_delay(Some(ms(200)), None, ms(4900), ms(5000)), None);
    }
}
