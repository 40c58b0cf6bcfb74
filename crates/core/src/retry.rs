//! Retrying a task whose turn ended on a transient error: when to try again, when to give up,
//! and the per-account circuit breaker that keeps an outage from burning through the queue.
//!
//! Pure: `now` and the jitter (a fraction in `[0, 1)` the caller draws) come in.

mod breaker;

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

pub use breaker::{Admission, Breaker, BreakerChange, BreakerPolicy, ProbeId};

/// When to retry and when to give up (`retry:` in the config).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The wait before the first retry; it doubles with every further one.
    pub initial_backoff: Duration,
    /// The longest wait between two attempts.
    pub max_backoff: Duration,
    /// A task that failed this many times (transiently) goes to `failed/`.
    pub max_attempts: u32,
    /// A task still failing this long after its first failure goes to `failed/` (time spent
    /// behind an open breaker not counted).
    pub max_elapsed: Duration,
}

/// One failed attempt of a task, for its footer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    /// When the attempt's turn ended.
    pub at: Timestamp,
    /// The account it ran on.
    pub account: String,
    /// The error kind (`server_error`, …).
    pub kind: String,
    /// The one-line reason.
    pub reason: String,
}

/// Everything a task's retries remember (kept in its `.retry` sidecar).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetryHistory {
    /// Every failed attempt so far, oldest first.
    pub attempts: Vec<Attempt>,
    /// How long the task waited behind an open breaker (not counted against `max_elapsed`).
    #[serde(default)]
    pub waited_behind_breaker_ms: u64,
}

/// What to do after a transient failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RetryDecision {
    /// Try again (resume the conversation) at this instant.
    RetryAt(Timestamp),
    /// Give up: the task goes to `failed/` with this reason.
    GiveUp(String),
}

impl RetryHistory {
    /// A history with no attempt yet.
    pub fn new() -> RetryHistory {
        RetryHistory {
            attempts: Vec::new(),
            waited_behind_breaker_ms: 0,
        }
    }

    /// Adds the time a due retry waited behind an open breaker.
    pub fn add_breaker_wait(&mut self, waited: Duration) {
        let ms = u64::try_from(waited.as_millis()).unwrap_or(u64::MAX);
        self.waited_behind_breaker_ms = self.waited_behind_breaker_ms.saturating_add(ms);
    }

    /// Decides after the newest attempt (already pushed) failed. `jitter` is in `[0, 1)`: the
    /// wait is the backoff's upper half scaled by it ("equal jitter"), so that sessions failing
    /// together do not come back together.
    pub fn decide(&self, policy: &RetryPolicy, now: Timestamp, jitter: f64) -> RetryDecision {
        let failures = u32::try_from(self.attempts.len()).unwrap_or(u32::MAX);
        if failures >= policy.max_attempts {
            return RetryDecision::GiveUp(format!(
                "gave up after {failures} attempt(s) (retry.max_attempts is {})",
                policy.max_attempts
            ));
        }
        let first = self.attempts.first().map_or(now, |a| a.at);
        let spent = crate::watch::elapsed(first, now)
            .saturating_sub(Duration::from_millis(self.waited_behind_breaker_ms));
        if spent >= policy.max_elapsed {
            return RetryDecision::GiveUp(format!(
                "gave up after {}s of retries (retry.max_elapsed is {}s)",
                spent.as_secs(),
                policy.max_elapsed.as_secs()
            ));
        }
        let backoff = backoff(policy, failures);
        let half = backoff / 2;
        let wait = half + half.mul_f64(jitter.clamp(0.0, 1.0));
        let wait = SignedDuration::try_from(wait).unwrap_or(SignedDuration::MAX);
        RetryDecision::RetryAt(now.checked_add(wait).unwrap_or(Timestamp::MAX))
    }
}

impl Default for RetryHistory {
    fn default() -> Self {
        RetryHistory::new()
    }
}

/// The backoff after `failures` failures: `initial`, doubled per failure, capped.
fn backoff(policy: &RetryPolicy, failures: u32) -> Duration {
    let doublings = failures.saturating_sub(1).min(30);
    policy
        .initial_backoff
        .saturating_mul(1u32 << doublings)
        .min(policy.max_backoff)
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: RetryPolicy = RetryPolicy {
        initial_backoff: Duration::from_secs(30),
        max_backoff: Duration::from_secs(900),
        max_attempts: 5,
        max_elapsed: Duration::from_secs(6 * 3600),
    };

    fn at(secs: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + secs).expect("instant")
    }

    fn history(times: &[i64]) -> RetryHistory {
        RetryHistory {
            attempts: times
                .iter()
                .map(|&t| Attempt {
                    at: at(t),
                    account: "a".into(),
                    kind: "server_error".into(),
                    reason: "500".into(),
                })
                .collect(),
            waited_behind_breaker_ms: 0,
        }
    }

    #[test]
    fn the_backoff_doubles_up_to_its_cap_with_jitter_in_the_upper_half() {
        assert_eq!(
            history(&[0]).decide(&POLICY, at(0), 0.0),
            RetryDecision::RetryAt(at(15))
        );
        let RetryDecision::RetryAt(late) = history(&[0]).decide(&POLICY, at(0), 0.999_999) else {
            panic!("a retry");
        };
        assert!(late > at(29) && late < at(30), "{late}");
        assert_eq!(
            history(&[0, 1]).decide(&POLICY, at(1), 0.0),
            RetryDecision::RetryAt(at(31))
        );
        let four = history(&[0, 1, 2, 3]);
        assert_eq!(
            four.decide(&POLICY, at(3), 0.0),
            RetryDecision::RetryAt(at(3 + 120))
        );
        let capped = RetryPolicy {
            max_attempts: 50,
            ..POLICY
        };
        let many = history(&[0; 20]);
        assert_eq!(
            many.decide(&capped, at(0), 0.0),
            RetryDecision::RetryAt(at(450))
        );
    }

    #[test]
    fn gives_up_after_max_attempts() {
        let five = history(&[0, 1, 2, 3, 4]);
        assert!(matches!(
            five.decide(&POLICY, at(5), 0.5),
            RetryDecision::GiveUp(reason) if reason.contains("5 attempt(s)")
        ));
    }

    #[test]
    fn gives_up_after_max_elapsed_not_counting_the_breaker() {
        let six_hours = 6 * 3600;
        let old = history(&[0]);
        assert!(matches!(
            old.decide(&POLICY, at(six_hours), 0.5),
            RetryDecision::GiveUp(_)
        ));
        let mut waited = history(&[0]);
        waited.add_breaker_wait(Duration::from_secs(3600));
        assert!(matches!(
            waited.decide(&POLICY, at(six_hours), 0.5),
            RetryDecision::RetryAt(_)
        ));
    }
}
