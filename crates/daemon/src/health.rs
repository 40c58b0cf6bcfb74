//! Account health: accounts that need attention (expired login, refused subscription) until
//! their credentials change or the operator clears them, and the per-account circuit breaker
//! that pauses new work after repeated transient failures (`cf_core::retry::Breaker`).
//!
//! Everything the operator sees is written to the store (`attention.<name>`, `breaker.<name>`)
//! for `status` and `claude-failover accounts`.

use cf_core::failover::Attention;
use cf_core::retry::{Admission, Breaker, BreakerChange};
use cf_core::turn::TurnFailure;
use jiff::Timestamp;

use crate::daemon::Daemon;
use crate::notice::{About, NoticeKind};
use crate::slots::Probe;

mod part;

pub(crate) use part::Health;

/// The breaker's state as `status` shows it (`breaker.<account>` in the store).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BreakerView {
    /// Dispatch to the account is paused.
    pub open: bool,
    /// When the next probe may start, while open.
    pub next_probe: Option<Timestamp>,
    /// Transient failures inside the window.
    pub recent_failures: usize,
    /// Probes started since it last opened.
    pub probes: u32,
}

impl BreakerView {
    fn of(breaker: &Breaker) -> BreakerView {
        BreakerView {
            open: breaker.is_open(),
            next_probe: breaker.next_probe(),
            recent_failures: breaker.recent_failures(),
            probes: breaker.probes(),
        }
    }
}

impl Daemon {
    /// Marks `account` as needing attention after `failure` (once: a marked account keeps its
    /// first reason and time).
    pub(crate) fn mark_attention(&mut self, account: &str, failure: &TurnFailure) {
        let now = self.clock.now();
        let credentials = self
            .cfg
            .accounts
            .iter()
            .find(|a| a.name == account)
            .and_then(|a| cf_accounts::credentials_fingerprint(&a.config_dir));
        let Some(state) = self.failover.account_mut(account) else {
            return;
        };
        if state.attention.is_some() {
            return;
        }
        state.attention = Some(Attention {
            since: now,
            kind: failure.kind.clone(),
            reason: failure.reason.clone(),
            credentials,
        });
        self.save_accounts();
        self.say(NoticeKind::AccountAttention, About::default().account(account), format!(
                "account {account} needs attention since {now} ({}): {}; it gets no work until its credentials change or `claude-failover accounts clear {account}`",
                failure.kind, failure.reason
            ));
    }

    /// Clears the attention mark of an account whose credentials changed (checked on rescans
    /// and watchdog rounds).
    pub(crate) fn check_credentials(&mut self) {
        let changed: Vec<String> = self
            .failover
            .account_states()
            .iter()
            .filter_map(|state| {
                let attention = state.attention.as_ref()?;
                let account = self.cfg.accounts.iter().find(|a| a.name == state.name)?;
                let now = cf_accounts::credentials_fingerprint(&account.config_dir);
                (now.is_some() && now != attention.credentials).then(|| state.name.clone())
            })
            .collect();
        for name in changed {
            self.clear_attention(&name, "its credentials changed");
        }
    }

    /// Makes a marked account usable again; returns whether it was marked.
    pub(crate) fn clear_attention(&mut self, name: &str, why: &str) -> bool {
        let Some(state) = self.failover.account_mut(name) else {
            return false;
        };
        if state.attention.take().is_none() {
            return false;
        }
        self.save_accounts();
        self.say(
            NoticeKind::AccountUsable,
            About::default().account(name),
            format!("account {name} is usable again: {why}"),
        );
        self.end_pause_if_due();
        self.dispatch_wanted = true;
        true
    }

    /// Whether a launch may start on the active account now: `Some(Probe::Yes)` for the one
    /// probe of an open breaker, `None` while it is open.
    pub(crate) fn admit_launch(&mut self, now: Timestamp) -> Option<Probe> {
        let (account, _, _) = self.placed_account(now);
        let breaker = self.health.breaker(&account);
        let admission = breaker.admit(now);
        match admission {
            Admission::Open => Some(Probe::No),
            Admission::Probe(id) => {
                self.save_breaker(&account);
                self.say(
                    NoticeKind::BreakerProbe,
                    About::default(),
                    format!("account {account}: one probe task decides whether work goes on"),
                );
                Some(Probe::Yes(id))
            }
            Admission::Refused { next_probe } => {
                tracing::debug!(%account, %next_probe, "breaker open: no launch");
                None
            }
        }
    }

    /// A transient failure of a task (or a failed launch) on `account`; `probe` says whether it
    /// was the breaker's probe.
    pub(crate) fn breaker_failure(&mut self, account: &str, now: Timestamp, probe: Probe) {
        let policy = self.cfg.retry.breaker;
        let change = self
            .health
            .breaker(account)
            .on_failure(now, &policy, probe.id());
        self.save_breaker(account);
        match change {
            BreakerChange::Opened { next_probe } => self.say(NoticeKind::BreakerOpened, About::default(), format!(
                    "account {account}: {} transient failures within {}s: new work paused, first probe at {next_probe}",
                    policy.failures,
                    policy.window.as_secs()
                )),
            BreakerChange::ProbeFailed { next_probe } => self.say(NoticeKind::BreakerOpened, About::default(), format!("account {account}: the probe failed too; next probe at {next_probe}")),
            BreakerChange::Closed | BreakerChange::None => {}
        }
    }

    /// A task on `account` ended well: its breaker closes.
    pub(crate) fn breaker_success(&mut self, account: &str) {
        let Some(breaker) = self.health.existing_breaker(account) else {
            return;
        };
        if breaker.on_success() == BreakerChange::Closed {
            self.say(
                NoticeKind::BreakerClosed,
                About::default(),
                format!("account {account}: the probe succeeded, work goes on"),
            );
            self.dispatch_wanted = true;
        }
        self.save_breaker(account);
    }

    /// A probe that ends without a verdict on its account (a task-class error, moved
    /// elsewhere, put back, waiting again): another probe may start. Called on every way a task
    /// leaves its session; an ordinary launch or a stale probe changes nothing.
    pub(crate) fn abandon_probe(&mut self, account: &str, probe: Probe) {
        if let (Some(breaker), Some(id)) = (self.health.existing_breaker(account), probe.id()) {
            breaker.probe_abandoned(id);
        }
    }

    fn save_breaker(&self, account: &str) {
        let view = self.health.breaker_view(account);
        if let Ok(json) = serde_json::to_string(&view) {
            self.store_kv(&format!("breaker.{account}"), &json);
        }
    }
}
