//! What the handlers read from: the config, the daemon's notice channel, the delegation
//! statistics and the token.

use std::sync::Arc;

use cf_daemon::Notice;
use tokio::sync::broadcast;

use crate::config::ApiToken;

/// Statistics of the delegation manager, as JSON, so that it can be plugged in without this
/// crate knowing its types.
///
/// Expected shape: that of `cf_delegation::DelegationManager::snapshot`, `{"enabled": bool,
/// "active_jobs": [...], "counters": {"submitted": n, "active": n, ...}}`; every number under
/// `counters` becomes a metric.
pub trait DelegationStats: Send + Sync + 'static {
    /// The current jobs and counters.
    fn snapshot(&self) -> serde_json::Value;
}

/// Delegation is off: no jobs, every counter 0 (the same counters as a running manager).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoDelegation;

impl DelegationStats for NoDelegation {
    fn snapshot(&self) -> serde_json::Value {
        cf_delegation::disabled_snapshot()
    }
}

/// Everything a request may need.
#[derive(Clone)]
pub struct ApiState {
    /// The daemon's config: state dir (store, swap requests), projects, accounts, watchdog.
    pub cfg: Arc<cf_config::Config>,
    /// The daemon's notice channel; each SSE client subscribes to it.
    pub notices: broadcast::Sender<Notice>,
    /// The delegation manager's numbers ([`NoDelegation`] while there is none).
    pub delegation: Arc<dyn DelegationStats>,
    /// The bearer token for changes; `None` refuses every change over HTTP.
    pub token: Option<ApiToken>,
    /// Reads need the token too (the API listens beyond loopback).
    pub reads_need_token: bool,
    /// The sessions' panes, for the dashboard (`capture-pane` on demand).
    pub terminal: cf_daemon::terminal::SharedTerminal,
}

/// Capacity of the channel [`relay_notices`] creates: enough for a burst of dispatches.
const RELAY_CAPACITY: usize = 256;

/// A sender for [`ApiState::notices`] fed from a receiver (e.g. `Daemon::subscribe()`), for
/// when the daemon hands out receivers only. The forwarding task (spawned on the current
/// tokio runtime) ends when the daemon's channel closes; a slow relay skips what it missed.
pub fn relay_notices(mut from: broadcast::Receiver<Notice>) -> broadcast::Sender<Notice> {
    let (to, _) = broadcast::channel(RELAY_CAPACITY);
    let forward = to.clone();
    tokio::spawn(async move {
        loop {
            match from.recv().await {
                // No SSE client connected is not an error.
                Ok(notice) => {
                    let _ = forward.send(notice);
                }
                Err(broadcast::error::RecvError::Lagged(skipped)) => {
                    tracing::warn!(skipped, "the api notice relay fell behind");
                }
                Err(broadcast::error::RecvError::Closed) => break,
            }
        }
    });
    to
}

impl std::fmt::Debug for ApiState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiState")
            .field("state_dir", &self.cfg.state_dir)
            .field("token", &self.token)
            .finish_non_exhaustive()
    }
}
