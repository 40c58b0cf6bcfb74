//! How a turn ended: success, a usage limit, or an error of one of three classes.
//!
//! A turn is over when the agent is idle again (a `Stop` hook, a stable idle screen, a
//! `StopFailure` hook), but being over says nothing about success. [`judge_turn`] decides from
//! every source there is, in this order of trust (`shared/claude-code/README.md` section k):
//! 1. the `StopFailure` hook's `error` kind (stable across client versions),
//! 2. the turn's last `assistant` transcript entry (`isApiErrorMessage`, `error`,
//!    `apiErrorStatus`), see [`crate::transcript`],
//! 3. the screen: the reply line that ends the turn (`● API Error: 500 …`,
//!    `● Please run /login · …`), see [`screen_error`].
//!
//! `rate_limit` alone does not tell a usage limit from an organisation's per-minute 429: the
//! screen decides (section e) through [`crate::quota::detect`]. A kind nobody has seen counts as
//! transient (retried, flagged so the caller logs it once), never as success.
//!
//! Pure: the facts and `now` come in, a [`TurnOutcome`] goes out.

mod kinds;
mod screen_error;

use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::quota;
use crate::transcript::AssistantEntry;

pub use kinds::{ErrorClass, KindKnown, class_of_kind, kind_of_status};
pub use screen_error::{ScreenError, login_required, screen_error};

/// The longest reason a failure carries (characters): one line for logs and footers.
pub const REASON_MAX_CHARS: usize = 240;

/// Everything known about a finished turn. Every source may be missing.
#[derive(Debug, Clone, Copy, Default)]
pub struct TurnFacts<'a> {
    /// The `error` field of the `StopFailure` hook that ended the turn, if one fired.
    pub hook_kind: Option<&'a str>,
    /// The turn's last `assistant` transcript entry, if the transcript could be read. The caller
    /// passes only an entry written during this turn (see [`AssistantEntry::at`]).
    pub transcript: Option<&'a AssistantEntry>,
    /// The captured screen after the turn (plain text), if there is one.
    pub screen: Option<&'a str>,
}

/// Which source decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The `StopFailure` hook's kind.
    Hook,
    /// The transcript's last assistant entry.
    Transcript,
    /// The screen.
    Screen,
    /// Nothing said otherwise.
    Default,
}

/// A turn that ended on an API error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TurnFailure {
    /// Account, transient or task: what happens to the task and the account.
    pub class: ErrorClass,
    /// The error kind (`authentication_failed`, `server_error`, …).
    pub kind: String,
    /// Whether the kind is one this code knows (an unknown one is treated as transient).
    pub known: KindKnown,
    /// One line saying what happened, for the log and the footer (no secrets: it is the
    /// client's own error text).
    pub reason: String,
    /// Which source decided.
    pub source: Source,
}

/// How a turn ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TurnOutcome {
    /// The turn ended normally: the task is done.
    Success {
        /// Which source decided (`Default` when no source said anything).
        source: Source,
    },
    /// The account ran out of quota: hand the session to failover.
    UsageLimit {
        /// When the limit resets, if the screen said.
        reset_at: Option<Timestamp>,
        /// The matched text, for the log.
        snippet: String,
    },
    /// The turn ended on an error.
    Failed(TurnFailure),
}

impl TurnOutcome {
    /// True only for a successful turn.
    pub fn is_success(&self) -> bool {
        matches!(self, TurnOutcome::Success { .. })
    }
}

/// Decides how a turn ended (see the module docs for the order of trust).
pub fn judge_turn(facts: &TurnFacts<'_>, now: Timestamp, default_tz: &TimeZone) -> TurnOutcome {
    if let Some(kind) = facts.hook_kind.map(str::trim).filter(|k| !k.is_empty()) {
        let reason = facts
            .transcript
            .filter(|entry| entry.api_error.is_some())
            .map(|entry| entry.text.clone())
            .or_else(|| facts.screen.and_then(screen_error).map(|e| e.text))
            .unwrap_or_default();
        return failure_or_limit(kind, &reason, Source::Hook, facts.screen, now, default_tz);
    }
    if let Some(entry) = facts.transcript {
        let Some(error) = &entry.api_error else {
            return TurnOutcome::Success {
                source: Source::Transcript,
            };
        };
        let kind = error
            .kind
            .clone()
            .or_else(|| error.status.map(|s| kind_of_status(s).to_string()))
            .unwrap_or_else(|| "unknown".to_string());
        return failure_or_limit(
            &kind,
            &entry.text,
            Source::Transcript,
            facts.screen,
            now,
            default_tz,
        );
    }
    let Some(screen) = facts.screen else {
        return TurnOutcome::Success {
            source: Source::Default,
        };
    };
    if let Some(hit) = quota::detect(screen, now, default_tz) {
        return TurnOutcome::UsageLimit {
            reset_at: hit.reset_at,
            snippet: hit.snippet,
        };
    }
    match screen_error(screen) {
        Some(error) => failure_or_limit(
            error.kind,
            &error.text,
            Source::Screen,
            facts.screen,
            now,
            default_tz,
        ),
        None => TurnOutcome::Success {
            source: Source::Screen,
        },
    }
}

/// The failure for `kind`, except that a `rate_limit` whose screen shows a usage limit is one.
fn failure_or_limit(
    kind: &str,
    text: &str,
    source: Source,
    screen: Option<&str>,
    now: Timestamp,
    default_tz: &TimeZone,
) -> TurnOutcome {
    if kind == kinds::RATE_LIMIT
        && let Some(hit) = screen.and_then(|s| quota::detect(s, now, default_tz))
    {
        return TurnOutcome::UsageLimit {
            reset_at: hit.reset_at,
            snippet: hit.snippet,
        };
    }
    let (class, known) = class_of_kind(kind);
    let text = crate::footer::one_line(text);
    let reason = if text.is_empty() {
        format!("the turn ended on an API error ({kind})")
    } else {
        text.chars().take(REASON_MAX_CHARS).collect()
    };
    TurnOutcome::Failed(TurnFailure {
        class,
        kind: kind.to_string(),
        known,
        reason,
        source,
    })
}

#[cfg(test)]
#[path = "turn/tests.rs"]
mod tests;
