//! Alerts for the operator: the events a notification sink may ask for, and the gate that lets
//! each condition through once (when it begins, and once when it ends where that matters) and
//! folds a flood of one kind into one summary. Pure: the caller passes `now`.

use std::collections::{BTreeMap, BTreeSet};

use jiff::{SignedDuration, Timestamp};

/// What an alert is about; the names are the config's `events:` words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// A task went to `failed/`.
    TaskFailed,
    /// An account needs a person (expired login, refused subscription).
    AccountAttention,
    /// An account that needed attention is usable again.
    AccountUsable,
    /// An account ran out of quota (with its reset time).
    AccountExhausted,
    /// Every account is out: dispatching pauses (with when work resumes, if known).
    AllExhausted,
    /// Work resumed after every account was out.
    Resumed,
    /// Sessions moved to another account.
    Swapped,
    /// A task has waited on its dependencies longer than `watchdog.blocked_timeout`.
    BlockedTooLong,
    /// A task has run longer than `watchdog.stale_after`.
    Stale,
    /// The daemon started.
    DaemonStarted,
    /// The daemon is stopping.
    DaemonStopped,
    /// `claude-failover notify test`.
    Test,
}

impl AlertKind {
    /// Every kind, in the order the docs list them.
    pub const ALL: [AlertKind; 12] = [
        AlertKind::TaskFailed,
        AlertKind::AccountAttention,
        AlertKind::AccountUsable,
        AlertKind::AccountExhausted,
        AlertKind::AllExhausted,
        AlertKind::Resumed,
        AlertKind::Swapped,
        AlertKind::BlockedTooLong,
        AlertKind::Stale,
        AlertKind::DaemonStarted,
        AlertKind::DaemonStopped,
        AlertKind::Test,
    ];

    /// The snake_case name (config, JSON, ntfy tags).
    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::TaskFailed => "task_failed",
            AlertKind::AccountAttention => "account_attention",
            AlertKind::AccountUsable => "account_usable",
            AlertKind::AccountExhausted => "account_exhausted",
            AlertKind::AllExhausted => "all_exhausted",
            AlertKind::Resumed => "resumed",
            AlertKind::Swapped => "swapped",
            AlertKind::BlockedTooLong => "blocked_too_long",
            AlertKind::Stale => "stale",
            AlertKind::DaemonStarted => "daemon_started",
            AlertKind::DaemonStopped => "daemon_stopped",
            AlertKind::Test => "test",
        }
    }

    /// The kind called `name`, if there is one.
    pub fn parse(name: &str) -> Option<AlertKind> {
        AlertKind::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// How loud it is: a person must act, something is wrong, or news.
    pub fn severity(self) -> Severity {
        match self {
            AlertKind::AccountAttention | AlertKind::AllExhausted => Severity::Critical,
            AlertKind::TaskFailed
            | AlertKind::AccountExhausted
            | AlertKind::BlockedTooLong
            | AlertKind::Stale => Severity::Warning,
            AlertKind::AccountUsable
            | AlertKind::Resumed
            | AlertKind::Swapped
            | AlertKind::DaemonStarted
            | AlertKind::DaemonStopped
            | AlertKind::Test => Severity::Info,
        }
    }
}

/// How loud an alert is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// A person must act, or no work is done.
    Critical,
    /// Something went wrong; work goes on.
    Warning,
    /// News.
    Info,
}

/// What the gate is shown of an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate<'a> {
    /// Its kind.
    pub kind: AlertKind,
    /// The account it is about, if any.
    pub account: Option<&'a str>,
    /// The reset or resume time it names, if any.
    pub until: Option<Timestamp>,
    /// When it happened.
    pub at: Timestamp,
}

/// Whether an alert goes out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Send it.
    Send,
    /// The condition it begins (or ends) is already so: nothing new to say.
    Repeat,
    /// More than the flood limit of its kind this minute: counted for the summary.
    Flood,
}

/// The alerts of one kind that a flood held back, for one summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FloodSummary {
    /// Their kind.
    pub kind: AlertKind,
    /// How many were held back.
    pub held_back: u32,
    /// The minute they fell in: from…
    pub since: Timestamp,
    /// …to.
    pub until: Timestamp,
}

/// A condition that lasts: it is announced when it begins and (where that matters) when it ends.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Condition {
    Attention(String),
    Exhausted(String, Option<Timestamp>),
    AllOut,
}

/// One kind's current minute.
#[derive(Debug, Clone, Copy)]
struct Window {
    start: Timestamp,
    sent: u32,
    held_back: u32,
}

/// The flood window.
const MINUTE: SignedDuration = SignedDuration::from_secs(60);

/// Once per condition, and no floods.
#[derive(Debug, Clone)]
pub struct Gate {
    flood_limit: u32,
    active: BTreeSet<Condition>,
    windows: BTreeMap<AlertKind, Window>,
}

impl Gate {
    /// A gate that lets through at most `flood_limit` alerts of one kind a minute (at least 1).
    pub fn new(flood_limit: u32) -> Gate {
        Gate {
            flood_limit: flood_limit.max(1),
            active: BTreeSet::new(),
            windows: BTreeMap::new(),
        }
    }

    /// Whether `alert` goes out. Call [`Gate::due_summaries`] first with the same `now`, so that
    /// a summary goes before what follows it.
    pub fn admit(&mut self, alert: Candidate<'_>) -> Verdict {
        if !self.changes_a_condition(alert) {
            return Verdict::Repeat;
        }
        let window = self.windows.entry(alert.kind).or_insert(Window {
            start: alert.at,
            sent: 0,
            held_back: 0,
        });
        if window.sent < self.flood_limit {
            window.sent += 1;
            Verdict::Send
        } else {
            window.held_back += 1;
            Verdict::Flood
        }
    }

    /// The summaries of the minutes that are over at `now` (and forgets those minutes, and the
    /// outages whose reset has passed).
    pub fn due_summaries(&mut self, now: Timestamp) -> Vec<FloodSummary> {
        self.active
            .retain(|c| !matches!(c, Condition::Exhausted(_, Some(until)) if *until <= now));
        let over: Vec<AlertKind> = self
            .windows
            .iter()
            .filter(|(_, w)| w.start.saturating_add(MINUTE).is_ok_and(|end| end <= now))
            .map(|(kind, _)| *kind)
            .collect();
        let mut summaries = Vec::new();
        for kind in over {
            let Some(window) = self.windows.remove(&kind) else {
                continue;
            };
            if window.held_back > 0 {
                summaries.push(FloodSummary {
                    kind,
                    held_back: window.held_back,
                    since: window.start,
                    until: window.start.saturating_add(MINUTE).unwrap_or(now),
                });
            }
        }
        summaries
    }

    /// Records the condition `alert` begins or ends; false when it is already so.
    fn changes_a_condition(&mut self, alert: Candidate<'_>) -> bool {
        let account = alert.account.unwrap_or_default().to_owned();
        match alert.kind {
            AlertKind::AccountAttention => self.active.insert(Condition::Attention(account)),
            AlertKind::AccountUsable => {
                // Said only when a real mark went (perhaps one from before a restart, which
                // this gate never saw begin): always news.
                self.active.remove(&Condition::Attention(account));
                true
            }
            AlertKind::AccountExhausted => self
                .active
                .insert(Condition::Exhausted(account, alert.until)),
            AlertKind::AllExhausted => self.active.insert(Condition::AllOut),
            AlertKind::Resumed => {
                // Every outage is over once work resumes: a later one is news again.
                self.active
                    .retain(|c| !matches!(c, Condition::Exhausted(..) | Condition::AllOut));
                true
            }
            _ => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + secs).expect("a time")
    }

    fn candidate(kind: AlertKind, account: Option<&str>, secs: i64) -> Candidate<'_> {
        Candidate {
            kind,
            account,
            until: None,
            at: at(secs),
        }
    }

    #[test]
    fn every_kind_has_a_name_that_parses_back() {
        for kind in AlertKind::ALL {
            assert_eq!(AlertKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(AlertKind::parse("nope"), None);
    }

    #[test]
    fn an_account_needing_attention_is_said_once_and_its_end_once() {
        let mut gate = Gate::new(10);
        let a = Some("a");
        assert_eq!(
            gate.admit(candidate(AlertKind::AccountAttention, a, 0)),
            Verdict::Send
        );
        assert_eq!(
            gate.admit(candidate(AlertKind::AccountAttention, a, 1)),
            Verdict::Repeat
        );
        let b = candidate(AlertKind::AccountAttention, Some("b"), 2);
        assert_eq!(gate.admit(b), Verdict::Send, "another account is news");
        assert_eq!(
            gate.admit(candidate(AlertKind::AccountUsable, a, 3)),
            Verdict::Send
        );
        let mut restarted = Gate::new(10);
        let usable = candidate(AlertKind::AccountUsable, a, 4);
        assert_eq!(
            restarted.admit(usable),
            Verdict::Send,
            "a mark from before a restart ends too"
        );
        assert_eq!(
            gate.admit(candidate(AlertKind::AccountAttention, a, 5)),
            Verdict::Send
        );
    }

    #[test]
    fn every_account_out_is_said_once_until_work_resumes() {
        let mut gate = Gate::new(10);
        assert_eq!(
            gate.admit(candidate(AlertKind::AllExhausted, None, 0)),
            Verdict::Send
        );
        assert_eq!(
            gate.admit(candidate(AlertKind::AllExhausted, None, 1)),
            Verdict::Repeat
        );
        let out = Candidate {
            until: Some(at(3600)),
            ..candidate(AlertKind::AccountExhausted, Some("a"), 2)
        };
        assert_eq!(gate.admit(out), Verdict::Send);
        assert_eq!(gate.admit(out), Verdict::Repeat, "the same outage");
        let later = Candidate {
            until: Some(at(7200)),
            ..out
        };
        assert_eq!(gate.admit(later), Verdict::Send, "another reset time");
        assert_eq!(
            gate.admit(candidate(AlertKind::Resumed, None, 3)),
            Verdict::Send
        );
        assert_eq!(
            gate.admit(candidate(AlertKind::AllExhausted, None, 4)),
            Verdict::Send
        );
        assert_eq!(
            gate.admit(out),
            Verdict::Send,
            "a new outage after the resume"
        );
        assert_eq!(gate.admit(out), Verdict::Repeat);
        gate.due_summaries(at(3600));
        assert_eq!(
            gate.admit(out),
            Verdict::Send,
            "its reset passed: forgotten"
        );
    }

    #[test]
    fn a_flood_becomes_one_summary_when_its_minute_is_over() {
        let mut gate = Gate::new(2);
        let failed = |secs| candidate(AlertKind::TaskFailed, None, secs);
        assert_eq!(gate.admit(failed(0)), Verdict::Send);
        assert_eq!(gate.admit(failed(1)), Verdict::Send);
        for secs in 2..7 {
            assert_eq!(gate.admit(failed(secs)), Verdict::Flood);
        }
        assert_eq!(
            gate.admit(candidate(AlertKind::Stale, None, 8)),
            Verdict::Send,
            "each kind has its own limit"
        );
        assert!(
            gate.due_summaries(at(59)).is_empty(),
            "the minute is not over"
        );
        let summaries = gate.due_summaries(at(60));
        assert_eq!(
            summaries,
            vec![FloodSummary {
                kind: AlertKind::TaskFailed,
                held_back: 5,
                since: at(0),
                until: at(60),
            }]
        );
        assert!(
            gate.due_summaries(at(200)).is_empty(),
            "the stale minute held nothing back"
        );
        assert_eq!(gate.admit(failed(61)), Verdict::Send, "a new minute");
    }

    #[test]
    fn a_limit_of_zero_still_lets_one_through() {
        let mut gate = Gate::new(0);
        assert_eq!(
            gate.admit(candidate(AlertKind::Swapped, None, 0)),
            Verdict::Send
        );
        assert_eq!(
            gate.admit(candidate(AlertKind::Swapped, None, 1)),
            Verdict::Flood
        );
    }
}
