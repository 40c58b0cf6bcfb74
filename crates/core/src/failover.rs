//! Failover decisions over successive polls: when a quota hit becomes a swap, which account to
//! swap to, and how to answer the client's rate-limit menu.
//!
//! Pure: every call takes `now`; the caller performs the swap and reports it with
//! [`QuotaMonitor::note_swap`].

mod menu;
pub mod plan;

use std::collections::HashMap;

use jiff::{SignedDuration, Timestamp};

use crate::quota::{QuotaHit, QuotaPattern};

pub use menu::{MenuAnswer, menu_answer};

/// What the monitor concludes from one poll of one session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Nothing to do.
    None,
    /// A hit without a reset time, seen for the first time on this session: it becomes a swap
    /// if the next poll of the same session shows a hit again.
    Pending,
    /// A hit during the cooldown after a swap: ignored (the resumed sessions replay the old limit
    /// line), reported so it can be logged.
    Suppressed {
        /// When detection resumes.
        until: Timestamp,
    },
    /// After the cooldown, the same limit line this session already showed during it (or when it
    /// triggered the swap): history replayed by `--resume` that no prompt has pushed out of the
    /// current turn yet (typically a dedicated session nobody typed into). Ignored until a clean
    /// poll of the session.
    Replayed,
    /// Swap accounts now.
    Swap {
        /// The session whose screen showed the hit (for the log and the swap record).
        trigger_session: String,
        /// The signal that matched.
        pattern: QuotaPattern,
        /// When the exhausted account becomes usable again, if the screen said.
        reset_at: Option<Timestamp>,
        /// The matched text (≤ 120 characters) for the log.
        snippet: String,
    },
}

/// Turns per-session quota hits into swap decisions: a hit with a reset time swaps at once, one
/// without must be seen on two consecutive polls of the same session, and nothing is detected
/// in a session the swap moved for `reactivate_cooldown` after it (its screen may still show the
/// old account's limit). Sessions the swap left alone (they run on another account) are watched
/// as before.
#[derive(Debug, Clone)]
pub struct QuotaMonitor {
    /// How long detection stays off after a swap (`quota.reactivate_cooldown`, default 5 min).
    reactivate_cooldown: SignedDuration,
    /// When the last swap happened.
    last_swap: Option<Timestamp>,
    /// Per session the last swap moved, when its cooldown ends.
    cooling: HashMap<String, Timestamp>,
    /// Sessions whose previous poll showed a hit without a reset time.
    pending: HashMap<String, Timestamp>,
    /// Per session, the snippet of a hit seen during a cooldown or at a swap: the same line seen
    /// again later is a replay, not a new limit.
    replayed: HashMap<String, String>,
}

impl QuotaMonitor {
    /// A monitor with no swap behind it.
    pub fn new(reactivate_cooldown: SignedDuration) -> Self {
        QuotaMonitor {
            reactivate_cooldown,
            last_swap: None,
            cooling: HashMap::new(),
            pending: HashMap::new(),
            replayed: HashMap::new(),
        }
    }

    /// Feeds one poll of `session` (`hit` = [`crate::quota::detect`] on its screen).
    ///
    /// Consecutive means consecutive for this session: a clean poll of it forgets its pending
    /// hit; polls of other sessions in between do not. Keep polling during the cooldown: that is
    /// how replayed limit lines are learnt (see [`Decision::Replayed`]).
    pub fn observe(&mut self, session: &str, hit: Option<QuotaHit>, now: Timestamp) -> Decision {
        let Some(hit) = hit else {
            self.pending.remove(session);
            self.replayed.remove(session);
            return Decision::None;
        };
        if let Some(until) = self.cooldown_until(session).filter(|until| now < *until) {
            self.pending.remove(session);
            self.replayed.insert(session.to_owned(), hit.snippet);
            return Decision::Suppressed { until };
        }
        if self.replayed.get(session) == Some(&hit.snippet) {
            self.pending.remove(session);
            return Decision::Replayed;
        }
        self.confirm(session, hit, now)
    }

    /// Feeds one poll of a pool session whose current turn began after the last swap (on the
    /// account swapped to): nothing on its screen can be a replay, so a hit is new evidence and
    /// is acted on at once, cooldown or not. A hit without a reset time still needs a second poll.
    pub fn observe_fresh(
        &mut self,
        session: &str,
        hit: Option<QuotaHit>,
        now: Timestamp,
    ) -> Decision {
        let Some(hit) = hit else {
            self.pending.remove(session);
            self.replayed.remove(session);
            return Decision::None;
        };
        self.confirm(session, hit, now)
    }

    /// A hit with a reset time, or the second in a row without one, is a swap.
    fn confirm(&mut self, session: &str, hit: QuotaHit, now: Timestamp) -> Decision {
        let confirmed = hit.reset_at.is_some() || self.pending.contains_key(session);
        if !confirmed {
            self.pending.insert(session.to_owned(), now);
            return Decision::Pending;
        }
        // Only this session's pending hit is settled: others may be on other accounts.
        self.pending.remove(session);
        self.replayed
            .insert(session.to_owned(), hit.snippet.clone());
        Decision::Swap {
            trigger_session: session.to_owned(),
            pattern: hit.pattern,
            reset_at: hit.reset_at,
            snippet: hit.snippet,
        }
    }

    /// Records that a swap at `now` moved the sessions `moved`: detection in them is off until
    /// their cooldown ends, and their pending hits (about the account they left) are forgotten.
    pub fn note_swap<S: AsRef<str>>(&mut self, now: Timestamp, moved: &[S]) {
        self.last_swap = Some(now);
        let until = now
            .checked_add(self.reactivate_cooldown)
            .unwrap_or(Timestamp::MAX);
        self.cooling.retain(|_, end| *end > now);
        for session in moved {
            let session = session.as_ref();
            self.pending.remove(session);
            self.cooling.insert(session.to_owned(), until);
        }
    }

    /// When the last swap happened, if there was one.
    pub fn last_swap(&self) -> Option<Timestamp> {
        self.last_swap
    }

    /// The end of `session`'s current or last cooldown, if a swap moved it.
    pub fn cooldown_until(&self, session: &str) -> Option<Timestamp> {
        self.cooling.get(session).copied()
    }
}

/// What the pool knows about one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountState {
    /// The account's configured name (`accounts[].name`).
    pub name: String,
    /// Until when it is out of quota; `None` = usable as far as we know. Past times count as
    /// usable again (the limit has reset).
    pub exhausted_until: Option<Timestamp>,
    /// The account cannot work until a person acts (expired login, refused subscription).
    pub attention: Option<Attention>,
}

/// Why an account needs a person, and since when. Cleared when its credentials change or by
/// hand, never by a timer.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Attention {
    /// When it was marked.
    pub since: Timestamp,
    /// The error kind (`authentication_failed`, `oauth_org_not_allowed`, …).
    pub kind: String,
    /// The client's own words, one line.
    pub reason: String,
    /// The fingerprint of its credentials when it was marked (see `cf-accounts`); a different
    /// one means the operator logged in again.
    #[serde(default)]
    pub credentials: Option<String>,
}

impl AccountState {
    /// A usable account with nothing known against it.
    pub fn usable(name: &str) -> AccountState {
        AccountState {
            name: name.to_owned(),
            exhausted_until: None,
            attention: None,
        }
    }

    /// True when the account may take work at `now`.
    pub fn is_available(&self, now: Timestamp) -> bool {
        self.attention.is_none() && self.exhausted_until.is_none_or(|until| until <= now)
    }
}

/// Where to swap to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Swap to the account at this index of the slice given to [`pick_target`].
    Account(usize),
    /// No other account is usable: stop dispatching and wait.
    AllExhausted {
        /// The earliest known reset among the accounts that only wait for their quota (when to
        /// try again); `None` when none does (every other account needs attention).
        earliest_reset: Option<Timestamp>,
    },
}

/// Picks the next usable account after `active` (round robin, the active one excluded: it is the
/// one being left).
pub fn pick_target(accounts: &[AccountState], active: usize, now: Timestamp) -> Target {
    let count = accounts.len();
    let next = (1..count)
        .map(|step| (active % count.max(1) + step) % count)
        .find(|&index| accounts[index].is_available(now));
    match next {
        Some(index) => Target::Account(index),
        None => Target::AllExhausted {
            earliest_reset: accounts
                .iter()
                .filter(|account| account.attention.is_none())
                .filter_map(|account| account.exhausted_until)
                .filter(|until| *until > now)
                .min(),
        },
    }
}

#[cfg(test)]
#[path = "failover/tests.rs"]
mod tests;
