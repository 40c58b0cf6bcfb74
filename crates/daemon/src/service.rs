//! What the service manager (systemd, `Type=notify`) hears from the daemon: ready once the pool
//! is up, a watchdog ping from the event loop itself (a stuck loop stops pinging and is
//! restarted), and stopping. Without `NOTIFY_SOCKET` every call does nothing.

use std::time::Duration;

use sd_notify::NotifyState;

/// How often the loop pings: half the manager's `WatchdogSec`, or `None` without a watchdog.
pub fn watchdog_period() -> Option<Duration> {
    sd_notify::watchdog_enabled().map(|timeout| timeout / 2)
}

/// The pool is up and the daemon works.
pub fn ready() {
    send(&[NotifyState::Ready], "ready");
}

/// The loop is alive.
pub(crate) fn ping() {
    send(&[NotifyState::Watchdog], "watchdog");
}

/// Shutting down.
pub(crate) fn stopping() {
    send(&[NotifyState::Stopping], "stopping");
}

fn send(state: &[NotifyState], what: &str) {
    if let Err(e) = sd_notify::notify(state) {
        tracing::warn!("cannot tell the service manager {what}: {e}");
    }
}
