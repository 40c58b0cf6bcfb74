//! Where the daemon's filesystem events come from: inotify on the watched folders, or only what
//! a test sends (in-process tests on paused time must not race a real watcher thread).

use std::path::Path;

use cf_queue::{FsEvent, FsWatcher, QueueError, WatchTag};
use tokio::sync::mpsc;

/// The source of filesystem events a daemon is started with.
#[derive(Debug)]
pub enum FileEvents {
    /// inotify on the done-signal dir, the projects dir, the requests dir and every project's
    /// inbox and `done/` (the real daemon).
    Watched,
    /// Only the events sent on this channel's sender (a test injects what a watcher would
    /// have seen; the periodic rescans still run).
    Injected(mpsc::UnboundedReceiver<FsEvent>),
}

/// The daemon's side of [`FileEvents`]: what it watches, if anything.
pub(crate) enum Watching {
    /// A real watcher.
    Inotify(FsWatcher),
    /// Nothing is watched; the test sends the events.
    Injected,
}

impl Watching {
    /// Starts the source: the watcher (or nothing) plus the receiver of its events.
    pub(crate) fn start(
        source: FileEvents,
    ) -> Result<(Watching, mpsc::UnboundedReceiver<FsEvent>), QueueError> {
        match source {
            FileEvents::Watched => {
                let (tx, rx) = mpsc::unbounded_channel();
                Ok((Watching::Inotify(FsWatcher::new(tx)?), rx))
            }
            FileEvents::Injected(rx) => Ok((Watching::Injected, rx)),
        }
    }

    /// Watches `dir` (a no-op when events are injected).
    pub(crate) fn watch(&mut self, dir: &Path, tag: WatchTag) -> Result<(), QueueError> {
        match self {
            Watching::Inotify(watcher) => watcher.watch(dir, tag),
            Watching::Injected => Ok(()),
        }
    }
}
