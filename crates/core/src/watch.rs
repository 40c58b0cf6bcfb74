//! Deciding when a working session has finished its task.
//!
//! The daemon feeds each working session's observations (a classified screen,
//! a done signal, a hook-reported failure) together with `now`; [`RunWatch::observe`]
//! answers whether the task is finished, failed or still running. Nothing here
//! reads the clock: the same observations at the same instants always give the
//! same verdict.

use std::time::Duration;

use jiff::Timestamp;

use crate::footer::CompletionCause;
use crate::screen::ScreenState;

/// The knobs that turn observations into verdicts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WatchPolicy {
    /// A task still running this long after it was assigned is given up as timed out.
    pub idle_timeout: Duration,
    /// How long the idle screen must be seen, uninterrupted, before it counts as done.
    /// Guards against the instant between two turns or a redraw.
    pub stable_idle: Duration,
    /// How long "no agent on screen" must last before the run is given up: the
    /// agent process exited or crashed while it held the task.
    pub agent_gone_grace: Duration,
}

/// What the daemon saw of a working session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Observation {
    /// The screen, classified.
    Screen(ScreenState),
    /// The done-signal file for the session appeared (a `Stop` hook or any script).
    DoneSignal,
    /// A `StopFailure` hook said the turn ended on an API error of this kind.
    StopFailure(String),
}

/// The answer for one observation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Still working (or not yet provably done): look again later.
    KeepWatching,
    /// The task's turn ended normally.
    Completed(CompletionCause),
    /// The turn ended on an API error the hooks reported; the task did not succeed.
    AgentError(String),
    /// The agent process is gone from the session.
    AgentGone,
    /// The idle timeout passed since assignment.
    TimedOut,
}

/// Per-run memory of what was seen so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunWatch {
    /// When the task was assigned to the session: the idle timeout counts from here.
    assigned_at: Timestamp,
    /// Work was seen (busy screen, or the launch verified the agent took the task).
    /// An idle screen only means "done" after this.
    work_seen: bool,
    /// Since when the idle screen has been seen without interruption.
    idle_since: Option<Timestamp>,
    /// Since when no agent has been seen on screen.
    gone_since: Option<Timestamp>,
    /// A failure reported by a `StopFailure` hook during this run.
    failure: Option<String>,
}

/// Whether the launch already proved that the agent took the task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkSeen {
    /// The agent was seen busy or finished a turn after the submit.
    Yes,
    /// Not yet: only a busy screen will arm idle detection.
    No,
}

impl RunWatch {
    /// Starts watching a run assigned at `assigned_at`.
    pub fn new(assigned_at: Timestamp, work_seen: WorkSeen) -> RunWatch {
        RunWatch {
            assigned_at,
            work_seen: work_seen == WorkSeen::Yes,
            idle_since: None,
            gone_since: None,
            failure: None,
        }
    }

    /// When the task was assigned.
    pub fn assigned_at(&self) -> Timestamp {
        self.assigned_at
    }

    /// Whether work has been seen.
    pub fn work_seen(&self) -> bool {
        self.work_seen
    }

    /// Folds one observation in and says what it means.
    pub fn observe(
        &mut self,
        observation: &Observation,
        now: Timestamp,
        policy: &WatchPolicy,
    ) -> Verdict {
        match observation {
            Observation::DoneSignal => return self.turn_ended(CompletionCause::DoneSignal),
            Observation::StopFailure(kind) => {
                // The turn is over, and it failed: `Stop` will not fire for it.
                self.failure = Some(kind.clone());
                return Verdict::AgentError(kind.clone());
            }
            Observation::Screen(state) => {
                if let Some(verdict) = self.observe_screen(*state, now, policy) {
                    return verdict;
                }
            }
        }
        if elapsed(self.assigned_at, now) >= policy.idle_timeout {
            return Verdict::TimedOut;
        }
        Verdict::KeepWatching
    }

    /// The verdict when the turn is over by `cause`: an error if a `StopFailure` came first.
    fn turn_ended(&self, cause: CompletionCause) -> Verdict {
        match &self.failure {
            Some(kind) => Verdict::AgentError(kind.clone()),
            None => Verdict::Completed(cause),
        }
    }

    fn observe_screen(
        &mut self,
        state: ScreenState,
        now: Timestamp,
        policy: &WatchPolicy,
    ) -> Option<Verdict> {
        if state != ScreenState::NoAgent {
            self.gone_since = None;
        }
        match state {
            ScreenState::Busy => {
                self.work_seen = true;
                self.idle_since = None;
            }
            ScreenState::Idle => {
                if self.work_seen {
                    let since = *self.idle_since.get_or_insert(now);
                    if elapsed(since, now) >= policy.stable_idle {
                        return Some(self.turn_ended(CompletionCause::IdleScreen));
                    }
                }
            }
            // Text waiting in the input or a menu: the agent is neither working nor done.
            ScreenState::InputPending | ScreenState::Menu => self.idle_since = None,
            ScreenState::NoAgent => {
                self.idle_since = None;
                let since = *self.gone_since.get_or_insert(now);
                if elapsed(since, now) >= policy.agent_gone_grace {
                    return Some(Verdict::AgentGone);
                }
            }
        }
        None
    }
}

/// Time from `from` to `to`, zero when `to` is earlier (a clock step back must not fire timeouts).
pub fn elapsed(from: Timestamp, to: Timestamp) -> Duration {
    Duration::try_from(to.duration_since(from)).unwrap_or(Duration::ZERO)
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: WatchPolicy = WatchPolicy {
        idle_timeout: Duration::from_secs(3600),
        stable_idle: Duration::from_secs(1),
        agent_gone_grace: Duration::from_secs(2),
    };

    fn at(ms: i64) -> Timestamp {
        Timestamp::from_millisecond(1_700_000_000_000 + ms).expect("valid test instant")
    }

    fn screen(state: ScreenState) -> Observation {
        Observation::Screen(state)
    }

    /// Feeds `(ms, observation)` pairs and returns the verdict of each.
    #[track_caller]
    fn run(work_seen: WorkSeen, steps: &[(i64, Observation)]) -> Vec<Verdict> {
        let mut watch = RunWatch::new(at(0), work_seen);
        steps
            .iter()
            .map(|(ms, obs)| watch.observe(obs, at(*ms), &POLICY))
            .collect()
    }

    #[test]
    fn idle_before_any_work_is_not_done() {
        let verdicts = run(
            WorkSeen::No,
            &[
                (100, screen(ScreenState::Idle)),
                (5_000, screen(ScreenState::Idle)),
            ],
        );
        assert_eq!(verdicts, vec![Verdict::KeepWatching, Verdict::KeepWatching]);
    }

    #[test]
    fn idle_counts_only_when_stable_after_work() {
        let verdicts = run(
            WorkSeen::No,
            &[
                (0, screen(ScreenState::Busy)),
                (500, screen(ScreenState::Idle)),
                (900, screen(ScreenState::Busy)),
                (1_000, screen(ScreenState::Idle)),
                (1_900, screen(ScreenState::Idle)),
                (2_000, screen(ScreenState::Idle)),
            ],
        );
        assert_eq!(verdicts[..5], vec![Verdict::KeepWatching; 5][..]);
        assert_eq!(verdicts[5], Verdict::Completed(CompletionCause::IdleScreen));
    }

    #[test]
    fn verified_launch_arms_idle_detection() {
        let verdicts = run(
            WorkSeen::Yes,
            &[
                (0, screen(ScreenState::Idle)),
                (1_000, screen(ScreenState::Idle)),
            ],
        );
        assert_eq!(verdicts[1], Verdict::Completed(CompletionCause::IdleScreen));
    }

    #[test]
    fn done_signal_completes_at_once() {
        assert_eq!(
            run(WorkSeen::No, &[(10, Observation::DoneSignal)]),
            vec![Verdict::Completed(CompletionCause::DoneSignal)]
        );
    }

    #[test]
    fn stop_failure_is_an_agent_error_and_colours_later_signals() {
        let mut watch = RunWatch::new(at(0), WorkSeen::Yes);
        let kind = "server_error".to_string();
        assert_eq!(
            watch.observe(&Observation::StopFailure(kind.clone()), at(5), &POLICY),
            Verdict::AgentError(kind.clone())
        );
        assert_eq!(
            watch.observe(&Observation::DoneSignal, at(6), &POLICY),
            Verdict::AgentError(kind)
        );
    }

    #[test]
    fn input_pending_and_menu_interrupt_idle_stability() {
        let verdicts = run(
            WorkSeen::Yes,
            &[
                (0, screen(ScreenState::Idle)),
                (600, screen(ScreenState::InputPending)),
                (1_200, screen(ScreenState::Idle)),
                (1_800, screen(ScreenState::Menu)),
                (2_400, screen(ScreenState::Idle)),
                (3_400, screen(ScreenState::Idle)),
            ],
        );
        assert_eq!(verdicts[..5], vec![Verdict::KeepWatching; 5][..]);
        assert_eq!(verdicts[5], Verdict::Completed(CompletionCause::IdleScreen));
    }

    #[test]
    fn agent_gone_needs_the_grace_period() {
        let verdicts = run(
            WorkSeen::Yes,
            &[
                (0, screen(ScreenState::NoAgent)),
                (1_000, screen(ScreenState::Busy)),
                (1_500, screen(ScreenState::NoAgent)),
                (3_000, screen(ScreenState::NoAgent)),
                (3_500, screen(ScreenState::NoAgent)),
            ],
        );
        assert_eq!(verdicts[..4], vec![Verdict::KeepWatching; 4][..]);
        assert_eq!(verdicts[4], Verdict::AgentGone);
    }

    #[test]
    fn timeout_counts_from_assignment() {
        let hour = 3_600_000;
        let verdicts = run(
            WorkSeen::Yes,
            &[
                (hour - 1, screen(ScreenState::Busy)),
                (hour, screen(ScreenState::Busy)),
            ],
        );
        assert_eq!(verdicts, vec![Verdict::KeepWatching, Verdict::TimedOut]);
    }

    #[test]
    fn a_clock_step_back_does_not_fire() {
        let verdicts = run(WorkSeen::Yes, &[(-10_000_000, screen(ScreenState::Busy))]);
        assert_eq!(verdicts, vec![Verdict::KeepWatching]);
    }
}
