//! The account-wide switches applied to a turn: the usage limit (`fake-quota`) and the error
//! switch (`fake-error`), with the client's own retries of a 500 or 529. Both are read when a
//! turn starts and every [`LIMIT_POLL`] while it runs; the usage limit wins over the error.

use super::{App, LIMIT_POLL, Retry, Turn};
use crate::api_error::{ApiStatus, ErrorWording, RetryAttempt, RetryLine};
use crate::client::ClientStyle;
use crate::directive::TurnOutcome;
use crate::error_switch::{ErrorSwitch, read_error_switch};
use crate::limit::{AccountLimit, read_account_limit};
use std::time::{Duration, Instant};

/// Stand-in for a moment too far ahead for [`Instant`] (a delay of centuries).
const FAR_AHEAD: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// `now` plus `delay`, without overflowing on absurd settings.
pub(super) fn after(now: Instant, delay: Duration) -> Instant {
    now.checked_add(delay)
        .or_else(|| now.checked_add(FAR_AHEAD))
        .unwrap_or(now)
}

impl App {
    fn account_limit(&self) -> Option<AccountLimit> {
        read_account_limit(&self.info.config_dir, jiff::Timestamp::now())
    }

    fn error_switch(&self) -> Option<ErrorSwitch> {
        read_error_switch(&self.info.config_dir, jiff::Timestamp::now())
    }

    /// How errors are worded for `client` in this session.
    pub(super) fn wording(&self, client: ClientStyle) -> ErrorWording<'_> {
        ErrorWording {
            client,
            gateway: self.info.gateway.as_deref(),
        }
    }

    /// Looks at both switches for `turn`: a usage limit ends it now; an account error ends it
    /// now or, for a 500 or 529, starts the client's retries. A retrying turn is left to its
    /// next retry.
    pub(super) fn apply_switches(&self, turn: &mut Turn, now: Instant) {
        turn.limit_checked = now;
        if let Some(limit) = self.account_limit() {
            turn.retry = None;
            turn.outcome = TurnOutcome::AccountLimit(limit);
            turn.ends_at = now;
            return;
        }
        if turn.retry.is_some() {
            return;
        }
        if let Some(switch) = self.error_switch() {
            self.fail(turn, switch, now);
        }
    }

    /// The first request of `turn` got the switch's error.
    fn fail(&self, turn: &mut Turn, switch: ErrorSwitch, now: Instant) {
        turn.client = switch.client.unwrap_or(self.info.client);
        let policy = self.info.retry;
        if switch.status.is_retried() && policy.attempts > 0 {
            turn.retry = Some(Retry {
                status: switch.status,
                attempt: 1,
                next_at: after(now, policy.delay),
            });
        } else {
            end_now(turn, switch.status, now);
        }
    }

    /// Re-reads the switches while a turn runs, every [`LIMIT_POLL`] (not once a usage limit
    /// ended it).
    pub(super) fn poll_switches(&mut self, now: Instant) {
        let due = self.turn.as_ref().is_some_and(|turn| {
            !matches!(turn.outcome, TurnOutcome::AccountLimit(_))
                && now.saturating_duration_since(turn.limit_checked) >= LIMIT_POLL
        });
        if !due {
            return;
        }
        if let Some(mut turn) = self.turn.take() {
            self.apply_switches(&mut turn, now);
            self.turn = Some(turn);
        }
    }

    /// Sends the due retry: with the switch gone (or its `until` passed) the request goes
    /// through and the turn works on as planned; otherwise the next retry, or the error once
    /// the retries are used up (or the switch now names an error the client does not retry).
    pub(super) fn advance_retry(&mut self, now: Instant) {
        let Some(retry) = self.turn.as_ref().and_then(|turn| turn.retry) else {
            return;
        };
        if now < retry.next_at {
            return;
        }
        let switch = self.error_switch();
        let (policy, session_client) = (self.info.retry, self.info.client);
        let Some(turn) = self.turn.as_mut() else {
            return;
        };
        let Some(switch) = switch else {
            turn.retry = None;
            turn.outcome = turn.plan.outcome;
            turn.ends_at = after(now, turn.plan.work);
            return;
        };
        turn.client = switch.client.unwrap_or(session_client);
        if switch.status.is_retried() && retry.attempt < policy.attempts {
            turn.retry = Some(Retry {
                status: switch.status,
                attempt: retry.attempt + 1,
                next_at: after(now, policy.delay),
            });
        } else {
            end_now(turn, switch.status, now);
        }
    }

    /// The spinner row of a retrying turn at `now`.
    pub(super) fn retry_line(&self, turn: &Turn, now: Instant) -> Option<RetryLine> {
        let retry = turn.retry?;
        let attempt = RetryAttempt {
            number: retry.attempt,
            of: self.info.retry.attempts,
            wait: retry.next_at.saturating_duration_since(now),
        };
        Some(self.wording(turn.client).retry_line(retry.status, attempt))
    }
}

/// `turn` ends at `now` on `status`.
fn end_now(turn: &mut Turn, status: ApiStatus, now: Instant) {
    turn.retry = None;
    turn.outcome = TurnOutcome::ApiError(status);
    turn.ends_at = now;
}
