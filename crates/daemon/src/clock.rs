//! The clock adapter: the only way the daemon learns the time.

use jiff::Timestamp;

/// Where `now` comes from. The core never reads the clock; the daemon asks this.
pub trait Clock: Send + Sync + 'static {
    /// The current instant.
    fn now(&self) -> Timestamp;
}

/// The real wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}
