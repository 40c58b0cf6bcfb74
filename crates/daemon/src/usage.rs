//! The usage part: each account's latest five-hour and weekly figures, from the status line
//! reports of the sessions that run on it (`agent-usage-<session>` files). A redraw repeats the
//! last reply's figures, so a report counts only when its `prompt_id` is new for its session.
//! The newest report of any session on the account wins; it is kept in the store
//! (`usage.<account>`) for `status`, `accounts`, the API, `/metrics` and the dashboard.

use std::collections::{BTreeMap, HashMap};

use cf_core::usage::AccountUsage;

use crate::daemon::Daemon;
use crate::signals::{UsageFile, read_usage};

/// The store key of an account's usage.
pub(crate) fn usage_key(account: &str) -> String {
    format!("usage.{account}")
}

/// The store key of an account's spending totals.
pub(crate) fn spent_key(account: &str) -> String {
    format!("spent.{account}")
}

/// The store key of what a task that went back to the inbox had cost.
fn spent_before_key(project: &str, id: &str) -> String {
    format!("spent_before.{project}/{id}")
}

/// What the tasks finished on an account cost, in all.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AccountSpent {
    /// USD.
    pub cost_usd: f64,
    /// Input tokens.
    pub input_tokens: u64,
    /// Output tokens.
    pub output_tokens: u64,
    /// Tasks finished (done or failed).
    pub tasks: u64,
}

/// What is known of every account's usage.
#[derive(Debug, Default)]
pub(crate) struct Usage {
    accounts: BTreeMap<String, AccountUsage>,
    last_prompt: HashMap<String, String>,
}

impl Usage {
    /// The account's higher window's use at `now`; `None` when it never reported.
    pub(crate) fn used_at(&self, account: &str, now: jiff::Timestamp) -> Option<f64> {
        self.accounts.get(account).and_then(|u| u.used_at(now))
    }

    /// Whether `report` is about a reply not seen yet from `session` (a redraw repeats the
    /// last one); it is seen from now on.
    fn is_new(&mut self, session: &str, report: &UsageFile) -> bool {
        let Some(prompt) = report.prompt_id.clone() else {
            return false;
        };
        if self.last_prompt.get(session) == Some(&prompt) {
            return false;
        }
        self.last_prompt.insert(session.to_owned(), prompt);
        true
    }

    /// Takes a new report for `account`; the account's usage when it changed.
    fn record(&mut self, account: &str, report: &UsageFile) -> Option<AccountUsage> {
        let usage = self.accounts.entry(account.to_owned()).or_default();
        usage
            .record(report.rate_limits, report.at)
            .then_some(*usage)
    }

    /// Puts back what the store kept.
    fn restore(&mut self, account: &str, usage: AccountUsage) {
        self.accounts.insert(account.to_owned(), usage);
    }
}

impl Daemon {
    /// Loads each account's usage from the store (at start).
    pub(crate) fn restore_usage(&mut self) {
        for account in &self.cfg.accounts {
            let kept = self
                .store
                .get_kv(&usage_key(&account.name))
                .ok()
                .flatten()
                .and_then(|json| serde_json::from_str::<AccountUsage>(&json).ok());
            if let Some(usage) = kept {
                self.usage.restore(&account.name, usage);
            }
        }
    }

    /// Every account as placement sees it now: usable (not out of quota, not needing
    /// attention, its breaker closed) unless it is one of `leaving`, and its usage.
    fn placement_candidates(
        &self,
        now: jiff::Timestamp,
        leaving: &[String],
    ) -> Vec<cf_core::placement::Candidate<'_>> {
        let states = self.failover.account_states();
        self.cfg
            .accounts
            .iter()
            .map(|a| cf_core::placement::Candidate {
                name: &a.name,
                usable: !leaving.contains(&a.name)
                    && states
                        .iter()
                        .find(|s| s.name == a.name)
                        .is_none_or(|s| s.is_available(now))
                    && self.health.admits(&a.name, now),
                used: self.usage.used_at(&a.name, now),
            })
            .collect()
    }

    /// The account placement picks among those not `leaving` (the active account preferred),
    /// with the one line that says why; `None` when none is usable.
    fn place_among(
        &self,
        now: jiff::Timestamp,
        leaving: &[String],
    ) -> Option<(&cf_config::Account, String)> {
        let candidates = self.placement_candidates(now, leaving);
        let policy = &self.cfg.quota.placement;
        let preferred = Some(self.failover.active_index());
        let placement = cf_core::placement::place(&candidates, preferred, policy)?;
        let account = self.cfg.accounts.get(placement.index)?;
        Some((
            account,
            cf_core::placement::describe(&candidates, &placement, policy),
        ))
    }

    /// The account the next launch goes to, by usage (`cf_core::placement`, the active account
    /// preferred), with the one line that says why. With no usable account: the active one.
    pub(crate) fn placed_account(
        &self,
        now: jiff::Timestamp,
    ) -> (String, std::path::PathBuf, String) {
        match self.place_among(now, &[]) {
            Some((account, why)) => (account.name.clone(), account.config_dir.clone(), why),
            None => {
                let (name, dir) = self.active_account();
                (
                    name.to_owned(),
                    dir.to_path_buf(),
                    format!("{name}: no account is usable"),
                )
            }
        }
    }

    /// Where the sessions leaving `account` go: the account placement picks for new work (see
    /// `cf_core::placement`: with fill-first the preferred one while it has headroom, else the
    /// first with headroom; with spread the most headroom), never `account` nor one that a swap
    /// waiting its turn will leave; with why. `None` when no other account is usable (the swap's
    /// plan then pauses).
    pub(crate) fn move_target(
        &self,
        account: &str,
        now: jiff::Timestamp,
    ) -> Option<(String, String)> {
        let mut leaving = self.failover.accounts_being_left();
        leaving.push(account.to_owned());
        self.place_among(now, &leaving)
            .map(|(to, why)| (to.name.clone(), why))
    }

    /// The tokens (input, output) of `task`'s conversation so far, from its transcript
    /// (`session`'s hinted path first, when it still runs in one).
    pub(crate) fn conversation_tokens_of(
        &self,
        session: Option<&str>,
        task: &crate::slots::ClaimedTask,
    ) -> (u64, u64) {
        let hinted = session
            .and_then(|s| self.pool.slot(s))
            .and_then(|s| s.hints.transcript.clone());
        match &task.conversation {
            Some(id) => crate::transcript::conversation_tokens(
                &crate::transcript::transcript_roots(&self.cfg),
                id,
                hinted.as_deref(),
            ),
            None => (0, 0),
        }
    }

    /// What `task`, ending now in `session`, cost: the client processes' cost (folded into the
    /// task when it left its session), its conversation's tokens (what is new since it last
    /// moved counted on the account it ends on), each account's use around it.
    pub(crate) fn spent_by(
        &self,
        session: &str,
        task: &crate::slots::ClaimedTask,
        now: jiff::Timestamp,
    ) -> cf_core::footer::Spent {
        let mut spending = task.spending.clone();
        let total = self.conversation_tokens_of(Some(session), task);
        spending.count_tokens(&task.account, total);
        spending.spent(|account| self.usage.used_at(account, now))
    }

    /// A task goes back to the inbox (it starts over): what it cost so far is kept for its next
    /// run (`spent_before.<project>/<id>`), its conversation's tokens counted first.
    pub(crate) fn keep_spending_for_next_run(&self, task: &crate::slots::ClaimedTask) {
        if task.spending.shares.iter().all(|s| s.cost_usd == 0.0) && task.conversation.is_none() {
            return;
        }
        let mut spending = task.spending.clone();
        if task.conversation.is_some() {
            spending.count_tokens(&task.account, self.conversation_tokens_of(None, task));
        }
        spending.new_conversation();
        match serde_json::to_string(&spending) {
            Ok(json) => self.store_kv(&spent_before_key(&task.project, task.id.as_str()), &json),
            Err(e) => tracing::warn!("cannot encode what {} cost: {e}", task.id),
        }
    }

    /// What a task that starts now cost in runs before it went back to the inbox (used once).
    pub(crate) fn take_spending_before(
        &self,
        project: &str,
        id: &str,
    ) -> cf_core::footer::TaskSpending {
        let key = spent_before_key(project, id);
        let kept = self
            .store
            .get_kv(&key)
            .ok()
            .flatten()
            .filter(|json| !json.is_empty())
            .and_then(|json| serde_json::from_str(&json).ok());
        if kept.is_some() {
            self.store_kv(&key, "");
        }
        kept.unwrap_or_default()
    }

    /// Adds a finished task's spending to the totals of each account it ran on
    /// (`spent.<account>`, for `/metrics`); the task counts for `finished_on`, where it ended.
    pub(crate) fn add_spending(&self, finished_on: &str, spent: &cf_core::footer::Spent) {
        for share in spent.shares(finished_on) {
            let key = spent_key(&share.account);
            let mut total: AccountSpent = self
                .store
                .get_kv(&key)
                .ok()
                .flatten()
                .and_then(|json| serde_json::from_str(&json).ok())
                .unwrap_or_default();
            total.cost_usd += share.cost_usd;
            total.input_tokens = total.input_tokens.saturating_add(share.input_tokens);
            total.output_tokens = total.output_tokens.saturating_add(share.output_tokens);
            if share.account == finished_on {
                total.tasks += 1;
            }
            match serde_json::to_string(&total) {
                Ok(json) => self.store_kv(&key, &json),
                Err(e) => tracing::warn!("cannot encode the spending of {}: {e}", share.account),
            }
        }
    }

    /// A session's status line wrote a report: note it for the account it runs on.
    pub(crate) fn on_usage_report(&mut self, session: &str) {
        let Some(report) = read_usage(&self.cfg.watcher.done_signal_dir, session) else {
            return;
        };
        if let (Some(cost), Some(slot)) = (report.total_cost_usd, self.pool.slot_mut(session))
            && slot
                .task()
                .is_some_and(|task| report.at >= task.launched_at)
        {
            // Reports are the process's running total: the latest is what it cost so far.
            slot.hints.process_cost_micro = Some((cost.max(0.0) * 1_000_000.0).round() as u64);
        }
        let Some(account) = self.account_of_report(session, &report) else {
            tracing::debug!(%session, "a usage report from a session on no known account");
            return;
        };
        if !self.usage.is_new(session, &report) {
            return;
        }
        if self.cfg.pool.dedicated.iter().any(|d| d.name == session) {
            self.set_dedicated_account(session, &account);
        }
        let Some(usage) = self.usage.record(&account, &report) else {
            return;
        };
        let now = self.clock.now();
        let (five, week) = usage.windows_at(now);
        tracing::info!(
            %session,
            %account,
            five_hour = ?five,
            week = ?week,
            "usage reported"
        );
        match serde_json::to_string(&usage) {
            Ok(json) => self.store_kv(&usage_key(&account), &json),
            Err(e) => tracing::warn!("cannot encode the usage of {account}: {e}"),
        }
    }

    /// The account a report is from: its `CLAUDE_CONFIG_DIR`, else the account of the task the
    /// session runs.
    fn account_of_report(&self, session: &str, report: &UsageFile) -> Option<String> {
        if let Some(dir) = &report.config_dir {
            let same = |a: &&cf_config::Account| {
                a.config_dir == *dir
                    || std::fs::canonicalize(&a.config_dir)
                        .ok()
                        .zip(std::fs::canonicalize(dir).ok())
                        .is_some_and(|(x, y)| x == y)
            };
            if let Some(account) = self.cfg.accounts.iter().find(same) {
                return Some(account.name.clone());
            }
        }
        self.pool
            .slot(session)
            .and_then(|slot| slot.task())
            .map(|task| task.account.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cf_core::usage::{RateLimits, Window};

    fn report(prompt: &str, at: i64, five: f64) -> UsageFile {
        let at = jiff::Timestamp::from_second(at).expect("time");
        UsageFile {
            at,
            session_id: None,
            prompt_id: Some(prompt.into()),
            total_cost_usd: None,
            rate_limits: RateLimits {
                five_hour: Some(Window {
                    used_percentage: five,
                    resets_at: jiff::Timestamp::from_second(1_900_000_000).expect("time"),
                }),
                seven_day: None,
            },
            config_dir: None,
        }
    }

    #[test]
    fn a_redraw_is_no_new_report_and_the_newest_of_any_session_wins() {
        let mut usage = Usage::default();
        let mut take = |session: &str, report: UsageFile| {
            usage
                .is_new(session, &report)
                .then(|| usage.record("a", &report))
                .flatten()
        };
        assert!(take("s1", report("p1", 100, 80.0)).is_some());
        assert!(take("s1", report("p1", 101, 80.0)).is_none(), "a redraw");
        let newer = take("s2", report("q1", 200, 95.0)).expect("newer");
        assert_eq!(
            newer.used_at(jiff::Timestamp::from_second(300).expect("t")),
            Some(95.0)
        );
        assert!(
            take("s1", report("p2", 150, 50.0)).is_none(),
            "older than known"
        );
    }
}
