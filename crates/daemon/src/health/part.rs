//! The health part: per account, the circuit breaker of transient failures and the streak of
//! failed launches; and the error kinds nobody had seen, logged once. Private fields; handlers
//! in `health.rs`, `launch_streak.rs` and `judge.rs` use its methods.

use std::collections::{BTreeSet, HashMap};

use cf_core::retry::Breaker;

use super::BreakerView;

/// After this many failed launches in a row on one account, the streak is reported.
pub const REPORT_AFTER: u32 = 3;

/// One account's failed launches in a row.
#[derive(Debug, Clone, Default)]
struct LaunchStreak {
    /// How many in a row.
    count: u32,
    /// Whether this streak was reported.
    reported: bool,
}

/// Breakers, launch streaks and unknown error kinds.
#[derive(Debug, Default)]
pub(crate) struct Health {
    breakers: HashMap<String, Breaker>,
    launch_failures: HashMap<String, LaunchStreak>,
    unknown_kinds: BTreeSet<String>,
}

impl Health {
    /// `account`'s breaker (a closed one when it had none).
    pub(crate) fn breaker(&mut self, account: &str) -> &mut Breaker {
        self.breakers.entry(account.to_string()).or_default()
    }

    /// Whether `account`'s breaker lets work start at `now` (it takes no probe).
    pub(crate) fn admits(&self, account: &str, now: jiff::Timestamp) -> bool {
        self.breakers
            .get(account)
            .is_none_or(|b| b.would_admit(now))
    }

    /// `account`'s breaker, if it ever had one.
    pub(crate) fn existing_breaker(&mut self, account: &str) -> Option<&mut Breaker> {
        self.breakers.get_mut(account)
    }

    /// What `status` shows of `account`'s breaker.
    pub(crate) fn breaker_view(&self, account: &str) -> BreakerView {
        self.breakers
            .get(account)
            .map(BreakerView::of)
            .unwrap_or_default()
    }

    /// Whether `kind` is seen for the first time (it is remembered).
    pub(crate) fn first_unknown_kind(&mut self, kind: &str) -> bool {
        self.unknown_kinds.insert(kind.to_string())
    }

    /// A launch on `account` failed: the streak's length when it is to be reported now (once,
    /// at [`REPORT_AFTER`]).
    pub(crate) fn launch_failed(&mut self, account: &str) -> Option<u32> {
        let streak = self.launch_failures.entry(account.to_string()).or_default();
        streak.count += 1;
        if streak.count < REPORT_AFTER || streak.reported {
            return None;
        }
        streak.reported = true;
        Some(streak.count)
    }

    /// A launch on `account` succeeded: its streak is over.
    pub(crate) fn launch_succeeded(&mut self, account: &str) {
        self.launch_failures.remove(account);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_streak_is_reported_once_and_ends_with_a_success() {
        let mut health = Health::default();
        assert_eq!(health.launch_failed("a"), None);
        assert_eq!(health.launch_failed("a"), None);
        assert_eq!(health.launch_failed("a"), Some(REPORT_AFTER));
        assert_eq!(health.launch_failed("a"), None, "once per streak");
        assert_eq!(health.launch_failed("b"), None, "per account");
        health.launch_succeeded("a");
        assert_eq!(health.launch_failed("a"), None, "a new streak");
        assert!(health.first_unknown_kind("weird"));
        assert!(!health.first_unknown_kind("weird"));
    }
}
