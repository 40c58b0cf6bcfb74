//! The accounts as the operator sees them (`status`, `claude-failover accounts`): usable,
//! exhausted until a time, or needing attention since a time and why, with the breaker's state
//! and recent transient failures. Read from the store, whether the daemon runs or not; and the
//! `accounts clear NAME` request.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use cf_config::Config;
use cf_core::failover::Attention;

use crate::health::BreakerView;

/// One account.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AccountStatus {
    /// Its name.
    pub name: String,
    /// New work goes to it.
    pub active: bool,
    /// `usable`, `exhausted` or `needs_attention`.
    pub state: &'static str,
    /// Out of quota until then (RFC 3339), if known.
    pub exhausted_until: Option<String>,
    /// Why it needs a person, since when.
    pub attention: Option<Attention>,
    /// Its circuit breaker (transient failures).
    pub breaker: BreakerView,
    /// Its usage as the sessions on it last reported it; `None`: never reported (unknown).
    pub usage: Option<UsageView>,
    /// What the tasks finished on it cost, in all.
    pub spent: AccountSpent,
}

pub use crate::usage::AccountSpent;

/// An account's usage at the time of the report, for people and dashboards.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct UsageView {
    /// The five-hour window.
    pub five_hour: Option<WindowView>,
    /// The weekly window.
    pub seven_day: Option<WindowView>,
    /// When the newest report came.
    pub reported_at: Option<jiff::Timestamp>,
}

/// One window: percent used now (0 once its reset passed) and when it resets.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct WindowView {
    /// Percent used.
    pub used_percentage: f64,
    /// When it resets.
    pub resets_at: jiff::Timestamp,
}

impl UsageView {
    /// What `usage` says at `now`.
    pub fn of(usage: &cf_core::usage::AccountUsage, now: jiff::Timestamp) -> UsageView {
        let (five, week) = usage.windows_at(now);
        let view = |window: Option<cf_core::usage::Window>, used: Option<f64>| {
            window.zip(used).map(|(w, used)| WindowView {
                used_percentage: used,
                resets_at: w.resets_at,
            })
        };
        UsageView {
            five_hour: view(usage.limits.five_hour, five),
            seven_day: view(usage.limits.seven_day, week),
            reported_at: usage.reported_at,
        }
    }
}

impl AccountStatus {
    /// One line for a terminal.
    pub fn summary(&self) -> String {
        let mut line = self.name.clone();
        if self.active {
            line.push_str(" (active)");
        }
        match (&self.attention, &self.exhausted_until) {
            (Some(a), _) => {
                let _ = write!(
                    line,
                    ": needs attention since {}: {} ({})",
                    a.since, a.reason, a.kind
                );
            }
            (None, Some(until)) => {
                let _ = write!(line, ": exhausted until {until}");
            }
            (None, None) => line.push_str(": usable"),
        }
        let b = &self.breaker;
        if b.open {
            let next = b.next_probe.map(|t| t.to_string()).unwrap_or_default();
            let _ = write!(
                line,
                "; breaker open (next probe {next}, {} probe(s))",
                b.probes
            );
        }
        if b.recent_failures > 0 {
            let _ = write!(line, "; {} recent transient failure(s)", b.recent_failures);
        }
        match &self.usage {
            None => line.push_str("; usage not reported yet"),
            Some(usage) => {
                for (name, window) in [("5h", usage.five_hour), ("week", usage.seven_day)] {
                    if let Some(w) = window {
                        let _ = write!(
                            line,
                            "; {name} {:.0}% (resets {})",
                            w.used_percentage, w.resets_at
                        );
                    }
                }
            }
        }
        line
    }
}

/// Every configured account's status, from the store (`None`: the daemon never ran).
pub fn account_statuses(
    cfg: &Config,
    store: Option<&cf_store::Store>,
    now: jiff::Timestamp,
) -> Vec<AccountStatus> {
    let kv = |key: &str| {
        store
            .and_then(|s| s.get_kv(key).ok().flatten())
            .filter(|v| !v.is_empty())
    };
    let active = kv("active_account")
        .or_else(|| cfg.accounts.first().map(|a| a.name.clone()))
        .unwrap_or_default();
    cfg.accounts
        .iter()
        .map(|a| {
            let exhausted_until = kv(&format!("exhausted_until.{}", a.name))
                .filter(|t| t.parse::<jiff::Timestamp>().is_ok_and(|until| until > now));
            let attention: Option<Attention> = kv(&format!("attention.{}", a.name))
                .and_then(|json| serde_json::from_str(&json).ok());
            let breaker = kv(&format!("breaker.{}", a.name))
                .and_then(|json| serde_json::from_str(&json).ok())
                .unwrap_or_default();
            let state = match (&attention, &exhausted_until) {
                (Some(_), _) => "needs_attention",
                (None, Some(_)) => "exhausted",
                (None, None) => "usable",
            };
            let usage = kv(&crate::usage::usage_key(&a.name))
                .and_then(|json| serde_json::from_str::<cf_core::usage::AccountUsage>(&json).ok())
                .map(|usage| UsageView::of(&usage, now));
            AccountStatus {
                name: a.name.clone(),
                active: a.name == active,
                state,
                exhausted_until,
                attention,
                breaker,
                usage,
                spent: kv(&crate::usage::spent_key(&a.name))
                    .and_then(|json| serde_json::from_str(&json).ok())
                    .unwrap_or_default(),
            }
        })
        .collect()
}

/// Where a new task would start now, and why (the placement by usage over `accounts`).
pub fn where_new_work_goes(
    policy: &cf_core::placement::PlacementPolicy,
    accounts: &[AccountStatus],
    now: jiff::Timestamp,
) -> Option<String> {
    let candidates: Vec<cf_core::placement::Candidate<'_>> = accounts
        .iter()
        .map(|a| cf_core::placement::Candidate {
            name: &a.name,
            usable: a.state == "usable"
                && !(a.breaker.open && a.breaker.next_probe.is_none_or(|p| p > now)),
            used: a.usage.as_ref().and_then(|u| {
                let windows = [u.five_hour, u.seven_day];
                windows
                    .iter()
                    .flatten()
                    .map(|w| w.used_percentage)
                    .reduce(f64::max)
            }),
        })
        .collect();
    let preferred = accounts.iter().position(|a| a.active);
    let placement = cf_core::placement::place(&candidates, preferred, policy)?;
    Some(cf_core::placement::describe(
        &candidates,
        &placement,
        policy,
    ))
}

/// The accounts as text, a line each.
pub fn render_accounts(accounts: &[AccountStatus]) -> String {
    let mut out = String::new();
    for a in accounts {
        let _ = writeln!(out, "{}", a.summary());
    }
    if accounts.is_empty() {
        out.push_str("no accounts configured\n");
    }
    out
}

/// Asks the running daemon to clear an account's attention mark: a `clear-<n>.json` request in
/// [`crate::failover::requests_dir`].
pub fn write_clear_request(state_dir: &Path, account: &str) -> std::io::Result<PathBuf> {
    let body = serde_json::to_vec(&ClearRequest {
        account: account.to_string(),
    })
    .map_err(std::io::Error::other)?;
    let name = format!("clear-{}.json", jiff::Timestamp::now().as_nanosecond());
    crate::atomic::write_atomically(&crate::failover::requests_dir(state_dir), &name, &body)
}

/// Clears an account's attention mark in the store directly (no daemon runs).
pub fn clear_in_store(
    store: &cf_store::Store,
    account: &str,
) -> Result<bool, cf_store::StoreError> {
    let key = format!("attention.{account}");
    let marked = store.get_kv(&key)?.is_some_and(|v| !v.is_empty());
    if marked {
        store.set_kv(&key, "")?;
    }
    Ok(marked)
}

/// A request to clear an account's attention mark.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ClearRequest {
    /// The account.
    pub account: String,
}
