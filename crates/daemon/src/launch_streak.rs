//! Launches that keep failing the same way on one account (a dialog the daemon cannot answer,
//! a login screen, an agent that exits at once): each failure counts against the account's
//! breaker, so that after a few in a row new work waits for a probe instead of bouncing between
//! sessions forever; the streak is reported once with the screen's last lines, and the account
//! is marked when the screen says it needs a login.

use cf_core::turn::{ErrorClass, KindKnown, Source, TurnFailure, login_required};

use crate::daemon::Daemon;
use crate::failover::{SwapCause, SwapTrigger};
use crate::launch::LaunchError;
use crate::notice::{About, NoticeKind};
use crate::slots::Probe;

impl Daemon {
    /// A launch on `account` failed with `error`.
    pub(crate) fn launch_failed_on(&mut self, account: &str, probe: Probe, error: &LaunchError) {
        let now = self.clock.now();
        self.breaker_failure(account, now, probe);
        let Some(count) = self.health.launch_failed(account) else {
            return;
        };
        self.say(
            NoticeKind::LaunchesFailing,
            About::default(),
            format!(
                "{count} launches in a row failed on account {account}; the last: {}",
                crate::error::error_chain(error)
            ),
        );
        let text = crate::error::error_chain(error);
        if !login_required(&text) {
            return;
        }
        let failure = TurnFailure {
            class: ErrorClass::Account,
            kind: "authentication_failed".to_string(),
            known: KindKnown::Known,
            reason: "the agent asks for a login at start-up".to_string(),
            source: Source::Screen,
        };
        self.mark_attention(account, &failure);
        // Sessions already running on it move off it (whichever account it is).
        self.failover.request(SwapTrigger {
            cause: SwapCause::Account,
            session: None,
            account: Some(account.to_string()),
            pattern: "account-error".into(),
            reset_at: None,
            snippet: failure.reason,
            to: None,
        });
    }

    /// A launch on `account` succeeded: the streak is over.
    pub(crate) fn launch_succeeded_on(&mut self, account: &str) {
        self.health.launch_succeeded(account);
    }
}
