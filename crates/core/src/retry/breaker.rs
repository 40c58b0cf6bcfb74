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

/// Names one probe, so that only its own outcome (not a stale one) decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProbeId(u32);

/// Whether work may start on the account now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Closed: dispatch as usual.
    Open,
    /// Open, and a probe is due: start exactly one task (the caller reports its outcome with
    /// this id).
    Probe(ProbeId),
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
        /// The probe under way, if one is.
        probing: Option<ProbeId>,
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
    /// The next probe's id: never reset, so that a stale probe of an earlier open period can
    /// never pass for the current one.
    next_id: u32,
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
            next_id: 0,
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

    /// Whether [`Breaker::admit`] would let work start at `now` (without starting a probe).
    pub fn would_admit(&self, now: Timestamp) -> bool {
        match &self.state {
            State::Closed => true,
            State::Open {
                next_probe,
                probing,
                ..
            } => probing.is_none() && now >= *next_probe,
        }
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
                if probing.is_some() || now < *next_probe {
                    return Admission::Refused {
                        next_probe: *next_probe,
                    };
                }
                self.probes += 1;
                self.next_id = self.next_id.wrapping_add(1);
                let id = ProbeId(self.next_id);
                *probing = Some(id);
                Admission::Probe(id)
            }
        }
    }

    /// A transient failure on the account at `now`; `probe` names the probe it ended, if the
    /// failed task was one. While the breaker is open, only its current probe's failure counts
    /// (a task that was already running when it opened tells nothing new).
    pub fn on_failure(
        &mut self,
        now: Timestamp,
        policy: &BreakerPolicy,
        probe: Option<ProbeId>,
    ) -> BreakerChange {
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
                    probing: None,
                };
                self.probes = 0;
                BreakerChange::Opened { next_probe }
            }
            State::Open {
                next_probe,
                interval,
                probing,
            } => {
                if probe.is_none() || *probing != probe {
                    // Not the current probe: nothing new to learn.
                    return BreakerChange::None;
                }
                *interval = interval
                    .saturating_mul(2)
                    .min(policy.max_probe_interval)
                    .max(policy.probe_interval);
                *next_probe = later(now, *interval);
                *probing = None;
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

    /// The probe `id` ended without a verdict on the account (a task-class error, it was moved
    /// elsewhere, put back): another probe may start at once. A stale id changes nothing.
    pub fn probe_abandoned(&mut self, id: ProbeId) {
        if let State::Open { probing, .. } = &mut self.state
            && *probing == Some(id)
        {
            *probing = None;
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
        assert_eq!(
            breaker.on_failure(at(0), &POLICY, None),
            BreakerChange::None
        );
        assert_eq!(
            breaker.on_failure(at(100), &POLICY, None),
            BreakerChange::None
        );
        // The first one left the window: still two.
        assert_eq!(
            breaker.on_failure(at(121), &POLICY, None),
            BreakerChange::None
        );
        assert_eq!(
            breaker.on_failure(at(130), &POLICY, None),
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

    fn open(breaker: &mut Breaker) {
        for t in 0..3 {
            breaker.on_failure(at(t), &POLICY, None);
        }
    }

    fn probe(breaker: &mut Breaker, now: Timestamp) -> ProbeId {
        match breaker.admit(now) {
            Admission::Probe(id) => id,
            other => panic!("expected a probe at {now}, got {other:?}"),
        }
    }

    #[test]
    fn one_probe_at_a_time_with_doubling_waits_then_closed() {
        let mut breaker = Breaker::new();
        open(&mut breaker);
        let first = probe(&mut breaker, at(62));
        assert!(
            matches!(breaker.admit(at(62)), Admission::Refused { .. }),
            "one probe at a time"
        );
        assert_eq!(
            breaker.on_failure(at(65), &POLICY, None),
            BreakerChange::None,
            "a task that was already running failing is not the probe failing"
        );
        assert_eq!(
            breaker.on_failure(at(70), &POLICY, Some(first)),
            BreakerChange::ProbeFailed {
                next_probe: at(190)
            }
        );
        let second = probe(&mut breaker, at(190));
        assert_eq!(
            breaker.on_failure(at(200), &POLICY, Some(second)),
            BreakerChange::ProbeFailed {
                next_probe: at(440)
            }
        );
        for _ in 0..5 {
            let next = breaker.next_probe().expect("open");
            let id = probe(&mut breaker, next);
            breaker.on_failure(next, &POLICY, Some(id));
        }
        let next = breaker.next_probe().expect("open");
        let id = probe(&mut breaker, next);
        breaker.on_failure(next, &POLICY, Some(id));
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
    fn a_probe_of_an_earlier_open_period_is_not_the_current_one() {
        let mut breaker = Breaker::new();
        open(&mut breaker);
        let stale = probe(&mut breaker, at(70));
        assert_eq!(breaker.on_success(), BreakerChange::Closed);
        for t in 100..103 {
            breaker.on_failure(at(t), &POLICY, None);
        }
        let current = probe(&mut breaker, at(170));
        assert_ne!(stale, current);
        breaker.probe_abandoned(stale);
        assert_eq!(
            breaker.on_failure(at(171), &POLICY, Some(stale)),
            BreakerChange::None
        );
        assert!(
            matches!(breaker.admit(at(171)), Admission::Refused { .. }),
            "the current probe still runs alone"
        );
    }

    #[test]
    fn an_abandoned_probe_frees_the_slot_but_a_stale_id_does_not() {
        let mut breaker = Breaker::new();
        open(&mut breaker);
        let first = probe(&mut breaker, at(70));
        breaker.probe_abandoned(first);
        let second = probe(&mut breaker, at(70));
        breaker.probe_abandoned(first);
        assert!(
            matches!(breaker.admit(at(70)), Admission::Refused { .. }),
            "the stale id left the second probe running"
        );
        breaker.probe_abandoned(second);
        assert!(matches!(breaker.admit(at(70)), Admission::Probe(_)));
    }
}
