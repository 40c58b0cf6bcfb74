//! Quota detection on the sessions' screens and the account swap.
//!
//! Every poll, each working pool session's screen (and each dedicated session's) goes
//! through `cf_core::quota::detect` and the `QuotaMonitor`; a screen that shows a limit is
//! never taken for a finished task. A swap saves every conversation's resume id (from the
//! hooks, keyed by tmux session, or the resume hint on screen), kills and recreates the
//! pool sessions that had work and the dedicated sessions, relaunches each dedicated
//! session on the target account with its id, and resumes each interrupted task with a
//! short "continue". With every account exhausted, dispatching pauses until the earliest
//! reset.

use std::path::PathBuf;

use cf_core::failover::{AccountState, Decision, MenuAnswer, menu_answer};
use cf_core::quota;
use cf_tmux::Key;
use jiff::Timestamp;

use crate::daemon::Daemon;
use crate::notice::{About, NoticeKind};

mod pause;
mod swap;

/// The store key of the current pause (a [`Pause`] as JSON; empty when not paused).
pub const PAUSE_KEY: &str = "pause";

/// The message that resumes an interrupted task: the client already has the task in the
/// conversation (re-sending it would make the model see it twice).
pub const CONTINUE_MESSAGE: &str = "Continue from where you left off.";

/// The accounts as the daemon sees them.
#[derive(Debug, Clone)]
pub struct Accounts {
    /// One per configured account, in config order.
    pub states: Vec<AccountState>,
    /// Index of the account new launches use.
    pub active: usize,
    /// No account is usable: no dispatching.
    pub pause: Option<Pause>,
}

/// The failover part: the accounts (which is active, which are out until when, the pause), the
/// quota monitor, the swap asked for during this batch (and a swap by hand waiting behind it),
/// the local time zone for reset times, and the quota lines already logged. Its fields are
/// private to this module (`failover.rs`, `pause.rs`, `swap.rs`); other handlers use its
/// methods.
pub(crate) struct Failover {
    /// The accounts as the daemon sees them.
    accounts: Accounts,
    /// Turns quota hits on screens into swap decisions.
    monitor: cf_core::failover::QuotaMonitor,
    /// The swaps asked for and not yet carried out, one per account left (a limit or an account
    /// error before a swap by hand), in order.
    pending_swaps: Vec<SwapTrigger>,
    /// The local time zone, for reset times printed without one.
    time_zone: jiff::tz::TimeZone,
    /// Per session, the quota signal last logged (with the launch it was seen in).
    logged_hits: std::collections::HashMap<String, (Option<Timestamp>, String)>,
    /// Per dedicated session, the account it runs on (`dedicated_account.<name>` in the store).
    dedicated_on: std::collections::BTreeMap<String, String>,
}

impl Failover {
    /// No accounts loaded yet; `reactivate_cooldown` between two swaps.
    pub(crate) fn new(reactivate_cooldown: std::time::Duration) -> Failover {
        Failover {
            accounts: Accounts {
                states: Vec::new(),
                active: 0,
                pause: None,
            },
            monitor: cf_core::failover::QuotaMonitor::new(
                jiff::SignedDuration::try_from(reactivate_cooldown)
                    .unwrap_or(jiff::SignedDuration::from_mins(5)),
            ),
            pending_swaps: Vec::new(),
            time_zone: jiff::tz::TimeZone::try_system().unwrap_or(jiff::tz::TimeZone::UTC),
            logged_hits: std::collections::HashMap::new(),
            dedicated_on: std::collections::BTreeMap::new(),
        }
    }

    /// The local time zone.
    pub(crate) fn time_zone(&self) -> &jiff::tz::TimeZone {
        &self.time_zone
    }

    /// Every account's state, in config order.
    pub(crate) fn account_states(&self) -> &[AccountState] {
        &self.accounts.states
    }

    /// The index of the active (preferred) account.
    pub(crate) fn active_index(&self) -> usize {
        self.accounts.active
    }

    /// The account the dedicated session `name` runs on, when known.
    pub(crate) fn dedicated_account(&self, name: &str) -> Option<&str> {
        self.dedicated_on.get(name).map(String::as_str)
    }

    /// The state of the account named `name`, to change.
    pub(crate) fn account_mut(&mut self, name: &str) -> Option<&mut AccountState> {
        self.accounts.states.iter_mut().find(|s| s.name == name)
    }

    /// Asks for a swap after the batch. One request per account left is kept (the first);
    /// requests for other accounts wait their turn; a limit or an account error goes before a
    /// swap by hand, which then follows it.
    pub(crate) fn request(&mut self, trigger: SwapTrigger) {
        let same_source = |p: &SwapTrigger| {
            p.account == trigger.account
                && (p.cause == SwapCause::ByHand) == (trigger.cause == SwapCause::ByHand)
        };
        if self.pending_swaps.iter().any(same_source) {
            return;
        }
        match trigger.cause {
            SwapCause::ByHand => self.pending_swaps.push(trigger),
            _ => {
                let first_by_hand = self
                    .pending_swaps
                    .iter()
                    .position(|p| p.cause == SwapCause::ByHand)
                    .unwrap_or(self.pending_swaps.len());
                self.pending_swaps.insert(first_by_hand, trigger);
            }
        }
    }

    /// The accounts that swaps waiting their turn will leave (a limit or a failed login): no
    /// target for another move.
    pub(crate) fn accounts_being_left(&self) -> Vec<String> {
        self.pending_swaps
            .iter()
            .filter(|p| matches!(p.cause, SwapCause::Quota | SwapCause::Account))
            .filter_map(|p| p.account.clone())
            .collect()
    }

    /// Whether a swap is asked for.
    pub(crate) fn swap_pending(&self) -> bool {
        !self.pending_swaps.is_empty()
    }

    /// The swap to carry out now, if any.
    pub(crate) fn next_swap(&mut self) -> Option<SwapTrigger> {
        (!self.pending_swaps.is_empty()).then(|| self.pending_swaps.remove(0))
    }
}

impl Accounts {
    /// The active account's name (empty when there is none).
    pub fn active_name(&self) -> String {
        self.states
            .get(self.active)
            .map(|s| s.name.clone())
            .unwrap_or_default()
    }
}

/// Why and until when dispatching waits for an account.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Pause {
    /// The earliest quota reset; `None` when no account resets by itself (each needs a person).
    pub until: Option<Timestamp>,
    /// Why, for status.
    pub why: String,
}

impl Pause {
    /// The pause the store records ([`PAUSE_KEY`]), if any.
    pub fn stored(store: &cf_store::Store) -> Option<Pause> {
        store
            .get_kv(PAUSE_KEY)
            .ok()
            .flatten()
            .filter(|v| !v.is_empty())
            .and_then(|json| serde_json::from_str(&json).ok())
    }
}

pub use cf_core::failover::plan::SwapCause;

/// Why a swap happens.
#[derive(Debug, Clone)]
pub struct SwapTrigger {
    /// What moves the sessions.
    pub cause: SwapCause,
    /// The session whose screen showed the limit; `None` for a swap by hand.
    pub session: Option<String>,
    /// The account whose sessions move (decided with the trigger); `None`: the active one.
    pub account: Option<String>,
    /// What matched (`session-limit`, `by hand`…).
    pub pattern: String,
    /// When the left account resets, if known.
    pub reset_at: Option<Timestamp>,
    /// The matched text.
    pub snippet: String,
    /// A swap by hand may name its target.
    pub to: Option<String>,
}

impl Daemon {
    /// Loads the active account and exhaustion times from the store.
    pub(crate) fn load_accounts(&mut self) {
        let get = |key: &str| self.store.get_kv(key).ok().flatten();
        let active_name = get("active_account");
        let states: Vec<AccountState> = self
            .cfg
            .accounts
            .iter()
            .map(|a| AccountState {
                name: a.name.clone(),
                exhausted_until: get(&format!("exhausted_until.{}", a.name))
                    .and_then(|t| t.parse().ok()),
                attention: get(&format!("attention.{}", a.name))
                    .and_then(|json| serde_json::from_str(&json).ok()),
            })
            .collect();
        let active = active_name
            .and_then(|name| states.iter().position(|s| s.name == name))
            .unwrap_or(0);
        let pause = Pause::stored(&self.store);
        // Breakers start closed with every run: what status shows of them starts afresh too.
        for account in &self.cfg.accounts {
            self.store_kv(&format!("breaker.{}", account.name), "");
        }
        self.failover.accounts = Accounts {
            states,
            active,
            pause,
        };
        self.load_dedicated_accounts();
    }

    /// Which account each dedicated session runs on: the one the daemon last relaunched it on or
    /// saw it report from (kept in the store while its configured `account` is unchanged), else
    /// its configured `account`, else the first account usable now (in config order; a guess,
    /// never stored).
    fn load_dedicated_accounts(&mut self) {
        let now = self.clock.now();
        let first_usable = self
            .failover
            .accounts
            .states
            .iter()
            .find(|s| s.is_available(now))
            .or(self.failover.accounts.states.first())
            .map(|s| s.name.clone());
        for d in &self.cfg.pool.dedicated {
            let learned = DedicatedOn::learned(&self.store, d)
                .filter(|name| self.cfg.accounts.iter().any(|a| a.name == *name));
            let Some(account) = learned.or(d.account.clone()).or(first_usable.clone()) else {
                continue;
            };
            self.failover.dedicated_on.insert(d.name.clone(), account);
        }
    }

    /// The dedicated session `name` runs on `account` now (relaunched there, or seen reporting
    /// from it): known from now on, and after a restart.
    pub(crate) fn set_dedicated_account(&mut self, name: &str, account: &str) {
        let configured = self
            .cfg
            .pool
            .dedicated
            .iter()
            .find(|d| d.name == name)
            .and_then(|d| d.account.clone());
        let on = DedicatedOn {
            account: account.to_owned(),
            configured,
        };
        if DedicatedOn::stored(&self.store, name).as_ref() != Some(&on) {
            match serde_json::to_string(&on) {
                Ok(json) => self.store_kv(&dedicated_account_key(name), &json),
                Err(e) => tracing::warn!("cannot encode where {name} runs: {e}"),
            }
        }
        if self.failover.dedicated_account(name) == Some(account) {
            return;
        }
        tracing::info!(session = %name, %account, "the dedicated session runs on this account");
        self.failover
            .dedicated_on
            .insert(name.to_owned(), account.to_owned());
    }

    pub(crate) fn save_accounts(&self) {
        let a = &self.failover.accounts;
        if let Some(state) = a.states.get(a.active) {
            self.store_kv("active_account", &state.name);
        }
        for state in &a.states {
            let value = state
                .exhausted_until
                .map(|t| t.to_string())
                .unwrap_or_default();
            self.store_kv(&format!("exhausted_until.{}", state.name), &value);
            let attention = state
                .attention
                .as_ref()
                .and_then(|a| serde_json::to_string(a).ok())
                .unwrap_or_default();
            self.store_kv(&format!("attention.{}", state.name), &attention);
        }
        // One record of the pause (until, why): `status` reads the same one.
        self.store_kv(
            PAUSE_KEY,
            &a.pause
                .as_ref()
                .and_then(|p| serde_json::to_string(p).ok())
                .unwrap_or_default(),
        );
    }

    /// Whether dispatching waits for an account.
    pub(crate) fn dispatch_paused(&self) -> bool {
        self.failover.accounts.pause.is_some()
    }

    /// Ends the pause once the earliest reset has passed or an account is usable again
    /// (checked on every screen poll).
    pub(crate) fn end_pause_if_due(&mut self) {
        let now = self.clock.now();
        let Some(pause) = &self.failover.accounts.pause else {
            return;
        };
        let reset = pause.until.is_some_and(|until| until <= now);
        let usable = self
            .failover
            .accounts
            .states
            .iter()
            .any(|s| s.is_available(now));
        if usable {
            self.failover.accounts.pause = None;
            self.save_accounts();
            self.resume_after_pause();
        } else if reset {
            // The reset came, but the account that reset was marked meanwhile: wait for the next.
            let next = self
                .failover
                .accounts
                .states
                .iter()
                .filter(|s| s.attention.is_none())
                .filter_map(|s| s.exhausted_until)
                .filter(|until| *until > now)
                .min();
            if let Some(pause) = &mut self.failover.accounts.pause {
                pause.until = next;
            }
            self.save_accounts();
        }
    }

    /// The earliest reset passed: continue on the account that reset first, carrying over the
    /// conversations interrupted by the limit.
    fn resume_after_pause(&mut self) {
        let now = self.clock.now();
        let ready = self
            .failover
            .accounts
            .states
            .iter()
            .position(|s| s.is_available(now));
        let Some(index) = ready else { return };
        let name = self.failover.accounts.states[index].name.clone();
        self.say(
            NoticeKind::Resumed,
            About::default().account(&name),
            format!("account {name} is usable again: work resumes on it"),
        );
        if self.failover.swap_pending() {
            // A swap is already due (it picks a usable target itself).
            return;
        }
        self.failover.request(SwapTrigger {
            cause: SwapCause::Resumed,
            session: None,
            account: None,
            pattern: "reset".into(),
            reset_at: None,
            snippet: String::new(),
            to: Some(name),
        });
        self.dispatch_wanted = true;
    }

    /// Runs quota detection on a session's screen. Returns whether a limit shows (such a screen
    /// is never taken for a finished task). Answers the client's rate-limit menu safely.
    pub(crate) async fn quota_sees_limit(&mut self, session: &str, screen: &str) -> bool {
        let now = self.clock.now();
        if let Some(answer) = menu_answer(screen) {
            let keys: Vec<Key> = match answer {
                MenuAnswer::Digit(n) => vec![Key::Digit(n), Key::Enter],
                MenuAnswer::Escape => vec![Key::Escape],
            };
            for key in keys {
                if let Err(e) = self.terminal.press(session, key).await {
                    tracing::warn!("cannot answer the rate-limit menu in {session}: {e}");
                }
            }
            tracing::info!(%session, ?answer, "answered the rate-limit menu (never the default blindly)");
        }
        let hit = quota::detect(screen, now, &self.failover.time_zone);
        self.log_quota_signal(session, hit.as_ref());
        let seen = hit.is_some();
        // A turn begun after the last swap ran on the account swapped to: a limit in it is new
        // evidence, acted on at once, cooldown or not (only text from before the swap replays).
        let fresh = self.failover.monitor.last_swap().is_some_and(|swap| {
            self.pool
                .task(session)
                .is_some_and(|t| t.launched_at >= swap)
        });
        if fresh {
            let decision = self.failover.monitor.observe_fresh(session, hit, now);
            self.act_on_quota_decision(session, decision);
            return seen;
        }
        // During the cooldown after a swap that moved it, a pool session's screen is not fed to
        // the monitor: a resumed pool session always gets a "continue", so a limit in its
        // current turn is new, not replayed history — remembering it as "seen during the
        // cooldown" would make the monitor ignore a genuinely exhausted target account for good.
        // (Dedicated sessions, which get no prompt after a resume, do go through the monitor's
        // replay guard.) A session the swap left on its own account is watched as ever.
        if self
            .failover
            .monitor
            .cooldown_until(session)
            .is_some_and(|until| until > now)
        {
            return seen;
        }
        let decision = self.failover.monitor.observe(session, hit, now);
        self.act_on_quota_decision(session, decision);
        seen
    }

    /// Logs a quota signal once per session and turn (the same line on every poll is one event).
    fn log_quota_signal(&mut self, session: &str, hit: Option<&cf_core::quota::QuotaHit>) {
        let Some(hit) = hit else {
            self.failover.logged_hits.remove(session);
            return;
        };
        let turn = self.pool.task(session).map(|t| t.launched_at);
        let key = (turn, hit.snippet.clone());
        if self.failover.logged_hits.get(session) == Some(&key) {
            tracing::debug!(%session, "quota signal still on screen");
            return;
        }
        tracing::info!(%session, pattern = %hit.pattern.label(), snippet = %hit.snippet, "quota signal on screen");
        self.failover.logged_hits.insert(session.to_string(), key);
    }

    fn act_on_quota_decision(&mut self, session: &str, decision: Decision) {
        match decision {
            Decision::Swap {
                trigger_session,
                pattern,
                reset_at,
                snippet,
            } => self.swap_decided(trigger_session, pattern, reset_at, snippet),
            Decision::Pending => {
                tracing::info!(%session, "quota signal without a reset time: confirming on the next poll")
            }
            Decision::Suppressed { until } => {
                tracing::debug!(%session, %until, "quota signal during the cooldown after a swap: ignored")
            }
            Decision::Replayed => {
                tracing::debug!(%session, "replayed limit line after a resume: ignored")
            }
            Decision::None => {}
        }
    }

    /// Reads the dedicated sessions' screens for quota signals (reading only: they are the
    /// operator's). The menu of a dedicated session is left to the operator.
    pub(crate) async fn poll_dedicated(&mut self) {
        if self.cfg.accounts.len() < 2 {
            return;
        }
        let names: Vec<String> = self
            .cfg
            .pool
            .dedicated
            .iter()
            .map(|d| d.name.clone())
            .collect();
        for name in names {
            let Ok(screen) = self.terminal.capture_screen(&name).await else {
                continue;
            };
            let now = self.clock.now();
            let hit = quota::detect(&screen, now, &self.failover.time_zone);
            if let Decision::Swap {
                trigger_session,
                pattern,
                reset_at,
                snippet,
            } = self.failover.monitor.observe(&name, hit, now)
            {
                self.swap_decided(trigger_session, pattern, reset_at, snippet);
            }
        }
    }

    /// The monitor decided a swap: report it and carry it out after the current batch (the first
    /// decision of a batch wins).
    fn swap_decided(
        &mut self,
        trigger_session: String,
        pattern: cf_core::quota::QuotaPattern,
        reset_at: Option<Timestamp>,
        snippet: String,
    ) {
        let resets = reset_at
            .map(|r| format!(", resets {r}"))
            .unwrap_or_default();
        self.say(
            NoticeKind::QuotaHit,
            About::default().session(trigger_session.clone()),
            format!("{} «{snippet}»{resets}", pattern.label()),
        );
        // The account whose sessions move: the one the session's task runs on, decided now (the
        // task may leave its session before the swap is carried out).
        let account = self
            .pool
            .slot(&trigger_session)
            .and_then(|slot| slot.task())
            .map(|task| task.account.clone())
            .or_else(|| {
                // A dedicated session: the account it runs on.
                self.failover
                    .dedicated_account(&trigger_session)
                    .map(str::to_owned)
            });
        self.failover.request(SwapTrigger {
            cause: SwapCause::Quota,
            session: Some(trigger_session),
            account,
            pattern: pattern.label(),
            reset_at,
            snippet,
            to: None,
        });
    }

    /// A request file in `<state_dir>/requests` (written by `claude-failover swap`).
    pub(crate) fn on_request_file(&mut self, file_name: &str) {
        if file_name.starts_with("clear-") && file_name.ends_with(".json") {
            self.on_clear_request(file_name);
            return;
        }
        if !file_name.starts_with("swap-") || !file_name.ends_with(".json") {
            return;
        }
        let path = requests_dir(&self.cfg.state_dir).join(file_name);
        let Ok(bytes) = std::fs::read(&path) else {
            return;
        };
        let _ = std::fs::remove_file(&path);
        let request: SwapRequest = match serde_json::from_slice(&bytes) {
            Ok(r) => r,
            Err(e) => {
                self.say(
                    NoticeKind::Problem,
                    About::default(),
                    format!(
                        "ignoring the unreadable swap request {}: {e}",
                        path.display()
                    ),
                );
                return;
            }
        };
        // A swap decided by a limit or an account error goes first; this one follows it.
        self.failover.request(SwapTrigger {
            cause: SwapCause::ByHand,
            session: None,
            account: None,
            pattern: "by hand".into(),
            reset_at: None,
            snippet: String::new(),
            to: request.to,
        });
    }

    /// A `clear-<n>.json` request (written by `claude-failover accounts clear NAME`).
    fn on_clear_request(&mut self, file_name: &str) {
        let path = requests_dir(&self.cfg.state_dir).join(file_name);
        let Ok(bytes) = std::fs::read(&path) else {
            return;
        };
        let _ = std::fs::remove_file(&path);
        match serde_json::from_slice::<crate::account_view::ClearRequest>(&bytes) {
            Ok(request) => {
                if !self.clear_attention(&request.account, "cleared by hand") {
                    tracing::info!(account = %request.account, "clear request: the account was not marked");
                }
            }
            Err(e) => self.say(
                NoticeKind::Problem,
                About::default(),
                format!(
                    "ignoring the unreadable clear request {}: {e}",
                    path.display()
                ),
            ),
        }
    }

    /// The account new launches use: its name and config dir.
    pub(crate) fn active_account(&self) -> (&str, &std::path::Path) {
        match self
            .cfg
            .accounts
            .get(self.failover.accounts.active)
            .or(self.cfg.accounts.first())
        {
            Some(a) => (a.name.as_str(), a.config_dir.as_path()),
            None => ("default", self.cfg.state_dir.as_path()),
        }
    }
}

/// The store key of the account a dedicated session runs on.
pub(crate) fn dedicated_account_key(name: &str) -> String {
    format!("dedicated_account.{name}")
}

/// Where a dedicated session was last seen running (`dedicated_account.<name>` in the store),
/// with the `account` its config named then: a config naming another one makes it stale.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DedicatedOn {
    /// The account it runs on.
    pub account: String,
    /// Its `pool.dedicated[].account` when this was learned.
    pub configured: Option<String>,
}

impl DedicatedOn {
    /// The account the store says `dedicated` was last seen running on, unless its configured
    /// account changed since.
    pub fn learned(
        store: &cf_store::Store,
        dedicated: &cf_config::DedicatedSession,
    ) -> Option<String> {
        DedicatedOn::stored(store, &dedicated.name)
            .filter(|on| on.configured == dedicated.account)
            .map(|on| on.account)
    }

    /// What the store says of the dedicated session `name`.
    pub fn stored(store: &cf_store::Store, name: &str) -> Option<DedicatedOn> {
        store
            .get_kv(&dedicated_account_key(name))
            .ok()
            .flatten()
            .and_then(|json| serde_json::from_str(&json).ok())
    }
}

/// A swap asked for by hand.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct SwapRequest {
    /// The account to swap to; `None`: the next usable one.
    #[serde(default)]
    pub to: Option<String>,
}

/// Asks the running daemon for a swap: a `swap-<n>.json` request written atomically into
/// [`requests_dir`] (the daemon watches it). Used by the CLI and the HTTP API.
pub fn write_swap_request(
    state_dir: &std::path::Path,
    request: &SwapRequest,
) -> std::io::Result<PathBuf> {
    let body = serde_json::to_vec(request).map_err(std::io::Error::other)?;
    let name = format!("swap-{}.json", jiff::Timestamp::now().as_nanosecond());
    crate::atomic::write_atomically(&requests_dir(state_dir), &name, &body)
}

/// Where swap requests are dropped.
pub fn requests_dir(state_dir: &std::path::Path) -> PathBuf {
    state_dir.join("requests")
}
