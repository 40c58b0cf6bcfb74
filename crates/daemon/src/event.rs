//! Every input of the daemon's loop, in one closed enum.

use cf_queue::FsEvent;
use cf_store::RunId;

use crate::launch::{LaunchError, LaunchReport};

/// One input of the event loop.
#[derive(Debug)]
pub enum Event {
    /// A watched directory changed (a task arrived, a done signal was written…), or the
    /// watcher lost events and asks for a rescan.
    Fs(FsEvent),
    /// A launch started earlier finished, well or not.
    LaunchFinished {
        /// The pool session the task was launched in.
        session: String,
        /// The run the launch belongs to (guards against stale reports).
        run: RunId,
        /// What happened.
        outcome: Result<LaunchReport, LaunchError>,
    },
    /// A launch's slow git step (its worktree) finished; the launch itself starts only if its
    /// session still holds that run.
    Prepared {
        /// The pool session.
        session: String,
        /// The run it belongs to.
        run: RunId,
        /// The launch to carry out next.
        plan: Box<crate::launch::LaunchPlan>,
        /// What the step did.
        result: Result<(), String>,
    },
    /// Time to look at the screens of the working sessions.
    PollScreens,
    /// Time for the periodic full scan (the safety net under inotify) and pool upkeep.
    Rescan,
    /// A submit to the job platform finished.
    DelegationSubmitted {
        /// The project.
        project: String,
        /// The task file in the inbox.
        task: std::path::PathBuf,
        /// What happened.
        submitted: cf_delegation::Submitted,
    },
    /// A reaper round finished.
    Reaped(Vec<cf_delegation::Reaped>),
    /// Time for a reaper round (delegated jobs).
    Reap,
    /// Time for the watchdog round (blocked too long, stale, orphaned claims, janitor).
    Watchdog,
    /// What became of a notification at one sink.
    Delivery(cf_notify::DeliveryReport),
    /// Time to tell the service manager's watchdog that the loop is alive.
    ServiceWatchdog,
}
