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

/// A wall clock that follows tokio's time: `start` plus the tokio time elapsed since it was
/// made. Under tokio's paused time (in-process tests) it moves only when the runtime's time
/// does, so timeouts, backoffs and resets in wall-clock terms stay in step with the timers.
#[derive(Debug, Clone, Copy)]
pub struct TokioClock {
    /// The wall time it started at.
    start: Timestamp,
    /// tokio's instant at that moment.
    origin: tokio::time::Instant,
}

impl TokioClock {
    /// A clock that reads `start` now and moves with tokio's time from here on.
    pub fn starting_at(start: Timestamp) -> TokioClock {
        TokioClock {
            start,
            origin: tokio::time::Instant::now(),
        }
    }
}

impl Clock for TokioClock {
    fn now(&self) -> Timestamp {
        let elapsed = jiff::SignedDuration::try_from(self.origin.elapsed())
            .unwrap_or(jiff::SignedDuration::MAX);
        self.start.saturating_add(elapsed).unwrap_or(self.start)
    }
}
