//! The per-account circuit breaker: after several transient failures in a short window,
//! dispatch to the account pauses; one probe task at a time (every `probe_interval`, doubling
//! up to `max_probe_interval`) decides when to go on. It never swaps accounts by itself.

use std::collections::VecDeque;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

/// When the breaker opens and how it probes (`retry.breaker_*` in the config).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerPolicy {
    /// This many transient failures …
    pub failures: u32,
    /// … within this window open the breaker.
    pub window: Duration,
    /// The first wait before a probe; it doubles after every failed probe.
    pub probe_interval: Duration,
    /// The longest wait between probes.
    pub max_probe_interval: Duration,
}

/// Whether work may start on the account now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Closed: dispatch as usual.
    Open,
    /// Open, and a probe is due: start exactly one task (the caller reports its outcome).
    Probe,
    /// Open: start nothing.
    Refused {
        /// When the next probe may start.
        next_probe: Timestamp,
    },
}

/// What a report changed, so the caller can tell the operator once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerChange {
    /// Nothing to tell.
    None,
    /// The breaker just opened.
    Opened {
        /// When the first probe may start.
        next_probe: Timestamp,
    },
    /// A probe failed: the breaker stays open, the wait doubled.
    ProbeFailed {
        /// When the next probe may start.
        next_probe: Timestamp,
    },
    /// A probe (or any task) succeeded: closed again.
    Closed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    Closed,
    Open {
        next_probe: Timestamp,
        interval: Duration,
        probing: bool,
    },
}

/// One account's breaker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Breaker {
    /// Transient failures inside the window, oldest first.
    recent: VecDeque<Timestamp>,
    state: State,
    /// How many probes were started since the breaker last opened (for status and tests).
    probes: u32,
}

impl Default for Breaker {
    fn default() -> Self {
        Breaker::new()
    }
}

impl Breaker {
    /// A closed breaker with no failure behind it.
    pub fn new() -> Breaker {
        Breaker {
            recent: VecDeque::new(),
            state: State::Closed,
            probes: 0,
        }
    }

    /// Whether the breaker is open (dispatch to the account paused).
    pub fn is_open(&self) -> bool {
        matches!(self.state, State::Open { .. })
    }

    /// How many transient failures fell inside the window, as of the last report.
    pub fn recent_failures(&self) -> usize {
        self.recent.len()
    }

    /// Probes started since the breaker last opened.
    pub fn probes(&self) -> u32 {
        self.probes
    }

    /// When the next probe may start, while open.
    pub fn next_probe(&self) -> Option<Timestamp> {
        match self.state {
            State::Open { next_probe, .. } => Some(next_probe),
            State::Closed => None,
        }
    }

    /// Asks to start work on the account at `now`. A `Probe` answer counts as started: the caller
    /// must report its outcome ([`Breaker::on_failure`], [`Breaker::on_success`] or
    /// [`Breaker::probe_abandoned`]).
    pub fn admit(&mut self, now: Timestamp) -> Admission {
        match &mut self.state {
            State::Closed => Admission::Open,
            State::Open {
                next_probe,
                probing,
                ..
            } => {
                if *probing || now < *next_probe {
                    return Admission::Refused {
                        next_probe: *next_probe,
                    };
                }
                *probing = true;
                self.probes += 1;
                Admission::Probe
            }
        }
    }

    /// A transient failure on the account at `now`.
    pub fn on_failure(&mut self, now: Timestamp, policy: &BreakerPolicy) -> BreakerChange {
        let window = SignedDuration::try_from(policy.window).unwrap_or(SignedDuration::MAX);
        let horizon = now.checked_sub(window).unwrap_or(Timestamp::MIN);
        self.recent.push_back(now);
        while self.recent.front().is_some_and(|t| *t <= horizon) {
            self.recent.pop_front();
        }
        match &mut self.state {
            State::Closed => {
                let count = u32::try_from(self.recent.len()).unwrap_or(u32::MAX);
                if count < policy.failures.max(1) {
                    return BreakerChange::None;
                }
                let next_probe = later(now, policy.probe_interval);
                self.state = State::Open {
                    next_probe,
                    interval: policy.probe_interval,
                    probing: false,
                };
                self.probes = 0;
                BreakerChange::Opened { next_probe }
            }
            State::Open {
                next_probe,
                interval,
                probing,
            } => {
                if !*probing {
                    // A task that was already running failed too: nothing new to learn.
                    return BreakerChange::None;
                }
                *interval = interval
                    .saturating_mul(2)
                    .min(policy.max_probe_interval)
                    .max(policy.probe_interval);
                *next_probe = later(now, *interval);
                *probing = false;
                BreakerChange::ProbeFailed {
                    next_probe: *next_probe,
                }
            }
        }
    }

    /// A task on the account ended well: the account works.
    pub fn on_success(&mut self) -> BreakerChange {
        self.recent.clear();
        match self.state {
            State::Closed => BreakerChange::None,
            State::Open { .. } => {
                self.state = State::Closed;
                BreakerChange::Closed
            }
        }
    }

    /// The probe ended without a verdict on the account (its launch failed, it was moved
    /// elsewhere): another probe may start at once.
    pub fn probe_abandoned(&mut self) {
        if let State::Open { probing, .. } = &mut self.state {
            *probing = false;
        }
    }
}

fn later(now: Timestamp, wait: Duration) -> Timestamp {
    let wait = SignedDuration::try_from(wait).unwrap_or(SignedDuration::MAX);
    now.checked_add(wait).unwrap_or(Timestamp::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: BreakerPolicy = BreakerPolicy {
        failures: 3,
        window: Duration::from_secs(120),
        probe_interval: Duration::from_secs(60),
        max_probe_interval: Duration::from_secs(600),
    };

    fn at(secs: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + secs).expect("instant")
    }

    #[test]
    fn opens_after_enough_failures_inside_the_window_only() {
        let mut breaker = Breaker::new();
        assert_eq!(breaker.on_failure(at(0), &POLICY), BreakerChange::None);
        assert_eq!(breaker.on_failure(at(100), &POLICY), BreakerChange::None);
        // The first one left the window: still two.
        assert_eq!(breaker.on_failure(at(121), &POLICY), BreakerChange::None);
        assert_eq!(
            breaker.on_failure(at(130), &POLICY),
            BreakerChange::Opened {
                next_probe: at(190)
            }
        );
        assert_eq!(
            breaker.admit(at(150)),
            Admission::Refused {
                next_probe: at(190)
            }
        );
    }

    #[test]
    fn one_probe_at_a_time_with_doubling_waits_then_closed() {
        let mut breaker = Breaker::new();
        for t in 0..3 {
            breaker.on_failure(at(t), &POLICY);
        }
        assert_eq!(breaker.admit(at(62)), Admission::Probe);
        assert!(
            matches!(breaker.admit(at(62)), Admission::Refused { .. }),
            "one probe at a time"
        );
        assert_eq!(
            breaker.on_failure(at(70), &POLICY),
            BreakerChange::ProbeFailed {
                next_probe: at(190)
            }
        );
        assert_eq!(breaker.admit(at(190)), Admission::Probe);
        assert_eq!(
            breaker.on_failure(at(200), &POLICY),
            BreakerChange::ProbeFailed {
                next_probe: at(440)
            }
        );
        for _ in 0..5 {
            let next = breaker.next_probe().expect("open");
            assert_eq!(breaker.admit(next), Admission::Probe);
            breaker.on_failure(next, &POLICY);
        }
        let next = breaker.next_probe().expect("open");
        assert_eq!(breaker.admit(next), Admission::Probe);
        let wait = next.duration_since(at(0));
        assert!(wait > SignedDuration::ZERO);
        breaker.on_failure(next, &POLICY);
        let after = breaker.next_probe().expect("open");
        assert_eq!(
            after.duration_since(next),
            SignedDuration::from_secs(600),
            "capped at max_probe_interval"
        );
        assert_eq!(breaker.probes(), 8);
        assert_eq!(breaker.on_success(), BreakerChange::Closed);
        assert_eq!(breaker.admit(after), Admission::Open);
    }

    #[test]
    fn an_abandoned_probe_frees_the_slot() {
        let mut breaker = Breaker::new();
        for t in 0..3 {
            breaker.on_failure(at(t), &POLICY);
        }
        assert_eq!(breaker.admit(at(70)), Admission::Probe);
        breaker.probe_abandoned();
        assert_eq!(breaker.admit(at(70)), Admission::Probe);
    }
}
