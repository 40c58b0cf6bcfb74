//! The watchdog's decisions: which blocked tasks waited too long, which runs are stale.
//!
//! Pure: the daemon gathers what is blocked (with the "blocked since" instant, the mtime of
//! the `.blocked` sidecar) and what runs (with its assignment instant), passes `now`, and
//! gets back what to report or fail. Each finding is reported once: the caller keeps the
//! [`Reported`] memory between rounds.

use std::collections::BTreeSet;
use std::time::Duration;

use jiff::Timestamp;

use crate::TaskKey;
use crate::watch::elapsed;

/// The watchdog's limits, from the config.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WatchdogPolicy {
    /// Blocked longer than this is reported.
    pub blocked_timeout: Duration,
    /// Also fail such tasks (move them to `failed/`).
    pub fail_blocked: FailBlocked,
    /// Running longer than this is reported as stale.
    pub stale_after: Duration,
}

/// Whether long-blocked tasks are failed or only reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailBlocked {
    /// Move them to `failed/` with the reason.
    Yes,
    /// Only report them.
    No,
}

/// A task waiting on dependencies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockedTask {
    /// `project/task_id`, the identity used for "reported once".
    pub key: TaskKey,
    /// First detection (the sidecar's mtime).
    pub since: Timestamp,
}

/// A task being worked on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunningTask {
    /// `project/task_id`.
    pub key: TaskKey,
    /// When it was assigned.
    pub assigned_at: Timestamp,
}

/// What to do about one finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WatchdogAction {
    /// Report that the task has been blocked for `for_how_long`.
    ReportBlocked {
        key: TaskKey,
        for_how_long: Duration,
    },
    /// Move the task to `failed/`: blocked too long.
    FailBlocked {
        key: TaskKey,
        for_how_long: Duration,
    },
    /// Report that the task has been running for `for_how_long`.
    ReportStale {
        key: TaskKey,
        for_how_long: Duration,
    },
}

/// What was already reported, so that each finding is reported once. A finding that goes
/// away (unblocked, finished) is forgotten, so a later one is reported again.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reported {
    blocked: BTreeSet<(TaskKey, Timestamp)>,
    stale: BTreeSet<(TaskKey, Timestamp)>,
}

/// One watchdog round.
pub fn review(
    blocked: &[BlockedTask],
    running: &[RunningTask],
    now: Timestamp,
    policy: &WatchdogPolicy,
    reported: &mut Reported,
) -> Vec<WatchdogAction> {
    let mut actions = Vec::new();
    let blocked_now: BTreeSet<(TaskKey, Timestamp)> =
        blocked.iter().map(|b| (b.key.clone(), b.since)).collect();
    reported.blocked.retain(|entry| blocked_now.contains(entry));
    for task in blocked {
        let waited = elapsed(task.since, now);
        if waited < policy.blocked_timeout
            || !reported.blocked.insert((task.key.clone(), task.since))
        {
            continue;
        }
        actions.push(match policy.fail_blocked {
            FailBlocked::Yes => WatchdogAction::FailBlocked {
                key: task.key.clone(),
                for_how_long: waited,
            },
            FailBlocked::No => WatchdogAction::ReportBlocked {
                key: task.key.clone(),
                for_how_long: waited,
            },
        });
    }
    let running_now: BTreeSet<(TaskKey, Timestamp)> = running
        .iter()
        .map(|r| (r.key.clone(), r.assigned_at))
        .collect();
    reported.stale.retain(|entry| running_now.contains(entry));
    for task in running {
        let ran = elapsed(task.assigned_at, now);
        if ran >= policy.stale_after && reported.stale.insert((task.key.clone(), task.assigned_at))
        {
            actions.push(WatchdogAction::ReportStale {
                key: task.key.clone(),
                for_how_long: ran,
            });
        }
    }
    actions
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: Duration = Duration::from_secs(3600);

    fn at(hours: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + hours * 3600).expect("valid instant")
    }

    fn policy(fail: FailBlocked) -> WatchdogPolicy {
        WatchdogPolicy {
            blocked_timeout: 24 * HOUR,
            fail_blocked: fail,
            stale_after: 2 * HOUR,
        }
    }

    fn key(text: &str) -> TaskKey {
        let (project, id) = text.split_once('/').expect("project/id");
        TaskKey::new(project, id.parse().expect("a task id"))
    }

    fn blocked(key: &str, since: i64) -> BlockedTask {
        BlockedTask {
            key: self::key(key),
            since: at(since),
        }
    }

    fn running(key: &str, since: i64) -> RunningTask {
        RunningTask {
            key: self::key(key),
            assigned_at: at(since),
        }
    }

    #[test]
    fn blocked_is_reported_once_after_the_timeout() {
        let mut reported = Reported::default();
        let tasks = [blocked("a/t1", 0), blocked("a/t2", 10)];
        assert!(review(&tasks, &[], at(23), &policy(FailBlocked::No), &mut reported).is_empty());
        assert_eq!(
            review(&tasks, &[], at(24), &policy(FailBlocked::No), &mut reported),
            vec![WatchdogAction::ReportBlocked {
                key: key("a/t1"),
                for_how_long: 24 * HOUR
            }]
        );
        assert!(
            review(&tasks, &[], at(25), &policy(FailBlocked::No), &mut reported).is_empty(),
            "once"
        );
        assert_eq!(
            review(&tasks, &[], at(34), &policy(FailBlocked::No), &mut reported).len(),
            1,
            "t2 in its turn"
        );
    }

    #[test]
    fn fail_blocked_fails_instead_of_reporting() {
        let mut reported = Reported::default();
        let actions = review(
            &[blocked("b/x", 0)],
            &[],
            at(30),
            &policy(FailBlocked::Yes),
            &mut reported,
        );
        assert_eq!(
            actions,
            vec![WatchdogAction::FailBlocked {
                key: key("b/x"),
                for_how_long: 30 * HOUR
            }]
        );
    }

    #[test]
    fn a_new_blocking_episode_is_reported_again() {
        let mut reported = Reported::default();
        assert_eq!(
            review(
                &[blocked("a/t", 0)],
                &[],
                at(24),
                &policy(FailBlocked::No),
                &mut reported
            )
            .len(),
            1
        );
        assert!(
            review(&[], &[], at(25), &policy(FailBlocked::No), &mut reported).is_empty(),
            "unblocked"
        );
        assert!(
            review(
                &[blocked("a/t", 26)],
                &[],
                at(27),
                &policy(FailBlocked::No),
                &mut reported
            )
            .is_empty()
        );
        assert_eq!(
            review(
                &[blocked("a/t", 26)],
                &[],
                at(50),
                &policy(FailBlocked::No),
                &mut reported
            )
            .len(),
            1
        );
    }

    #[test]
    fn stale_runs_are_reported_once_per_run() {
        let mut reported = Reported::default();
        let runs = [running("a/t", 0)];
        assert!(review(&[], &runs, at(1), &policy(FailBlocked::No), &mut reported).is_empty());
        assert_eq!(
            review(&[], &runs, at(2), &policy(FailBlocked::No), &mut reported),
            vec![WatchdogAction::ReportStale {
                key: key("a/t"),
                for_how_long: 2 * HOUR
            }]
        );
        assert!(review(&[], &runs, at(5), &policy(FailBlocked::No), &mut reported).is_empty());
        assert_eq!(
            review(
                &[],
                &[running("a/t", 6)],
                at(8),
                &policy(FailBlocked::No),
                &mut reported
            )
            .len(),
            1,
            "a new run of the same task"
        );
    }

    #[test]
    fn a_clock_step_back_reports_nothing() {
        let mut reported = Reported::default();
        assert!(
            review(
                &[blocked("a/t", 10)],
                &[running("a/u", 10)],
                at(0),
                &policy(FailBlocked::Yes),
                &mut reported
            )
            .is_empty()
        );
    }
}
