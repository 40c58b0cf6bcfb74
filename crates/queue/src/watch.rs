//! Watching queue and signal directories with inotify (notify 8), reporting only complete files.
//!
//! A file counts as arrived when it is closed after writing or renamed into the directory;
//! plain creates and modifications (a file still being written) are not reported. Whenever
//! events may have been lost, a [`FsEvent::Rescan`] tells the daemon to list the directories.

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use notify::event::{AccessKind, AccessMode, CreateKind, ModifyKind, RenameMode};
use notify::{Event, EventKind, RecommendedWatcher, RecursiveMode, Watcher};
use tokio::sync::mpsc::UnboundedSender;

use crate::error::QueueError;

/// What a watched directory is, so the daemon knows what an event means.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum WatchTag {
    /// The inbox of the named project.
    Inbox(String),
    /// The `done/` folder of the named project (dependencies may resolve).
    Done(String),
    /// The done-signal directory (`agent-done-<session>` files).
    Signals,
    /// The projects directory (new project folders).
    ProjectsDir,
    /// The daemon's requests folder (`claude-failover swap` drops a request file there).
    Requests,
}

/// A change the daemon should act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FsEvent {
    /// A complete file arrived (or, for `ProjectsDir`, a folder was created).
    Changed {
        /// Which directory.
        tag: WatchTag,
        /// The entry's name in that directory; `None` for an event on the directory itself.
        file_name: Option<OsString>,
    },
    /// Events may have been lost or a watched directory went away: list everything again.
    Rescan {
        /// Why, for the log.
        reason: String,
    },
}

/// Watched directories (absolute) and their tags, shared with notify's thread.
type TagMap = Arc<Mutex<HashMap<PathBuf, WatchTag>>>;

/// An inotify watcher over a set of directories (non-recursive), sending [`FsEvent`]s.
pub struct FsWatcher {
    /// The notify watcher; dropping it stops the events.
    watcher: RecommendedWatcher,
    /// Which tag each watched directory has.
    tags: TagMap,
}

impl std::fmt::Debug for FsWatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let tags = self.tags.lock().unwrap_or_else(PoisonError::into_inner);
        f.debug_struct("FsWatcher")
            .field("watched", &*tags)
            .finish()
    }
}

fn absolute(dir: &Path) -> PathBuf {
    std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf())
}

impl FsWatcher {
    /// Starts the watcher thread; events go to `tx` (the daemon's loop reads them).
    pub fn new(tx: UnboundedSender<FsEvent>) -> Result<FsWatcher, QueueError> {
        let tags: TagMap = Arc::default();
        let handler_tags = Arc::clone(&tags);
        let watcher = notify::recommended_watcher(move |result: notify::Result<Event>| {
            let tags = handler_tags.lock().unwrap_or_else(PoisonError::into_inner);
            for event in translate(result, &tags) {
                // A closed channel means the daemon is shutting down: nothing to do.
                let _ = tx.send(event);
            }
        })
        .map_err(|source| QueueError::Watch {
            path: PathBuf::new(),
            op: "start watcher",
            source,
        })?;
        Ok(FsWatcher { watcher, tags })
    }

    /// Watches `dir` (not its sub-folders) under `tag`. Watching it again replaces the tag.
    pub fn watch(&mut self, dir: &Path, tag: WatchTag) -> Result<(), QueueError> {
        let key = absolute(dir);
        self.tags
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key.clone(), tag);
        self.watcher
            .watch(&key, RecursiveMode::NonRecursive)
            .map_err(|source| {
                self.tags
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .remove(&key);
                QueueError::Watch {
                    path: key.clone(),
                    op: "watch",
                    source,
                }
            })
    }

    /// Stops watching `dir`.
    pub fn unwatch(&mut self, dir: &Path) -> Result<(), QueueError> {
        let key = absolute(dir);
        self.tags
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&key);
        self.watcher
            .unwatch(&key)
            .map_err(|source| QueueError::Watch {
                path: key,
                op: "unwatch",
                source,
            })
    }
}

/// Turns one notify event into the events the daemon cares about (often none).
fn translate(result: notify::Result<Event>, tags: &HashMap<PathBuf, WatchTag>) -> Vec<FsEvent> {
    let event = match result {
        Ok(e) => e,
        Err(e) => {
            return vec![FsEvent::Rescan {
                reason: format!("file watcher error: {e}"),
            }];
        }
    };
    if event.need_rescan() {
        return vec![FsEvent::Rescan {
            reason: "file watcher queue overflowed; events were lost".into(),
        }];
    }
    let mut out = Vec::new();
    for path in &event.paths {
        // An event on a watched directory itself.
        if let Some(tag) = tags.get(path) {
            if matches!(
                event.kind,
                EventKind::Remove(_) | EventKind::Modify(ModifyKind::Name(RenameMode::From))
            ) {
                let reason = format!(
                    "watched directory {} ({tag:?}) was removed or moved",
                    path.display()
                );
                out.push(FsEvent::Rescan { reason });
            }
            continue;
        }
        let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
            continue;
        };
        let Some(tag) = tags.get(parent) else {
            continue;
        };
        if wanted(&event.kind, tag, name) {
            out.push(FsEvent::Changed {
                tag: tag.clone(),
                file_name: Some(name.to_os_string()),
            });
        }
    }
    out
}

/// Whether an event kind on entry `name` in a directory tagged `tag` is reported.
fn wanted(kind: &EventKind, tag: &WatchTag, name: &std::ffi::OsStr) -> bool {
    let hidden = name.as_encoded_bytes().first() == Some(&b'.');
    let complete = matches!(
        kind,
        EventKind::Access(AccessKind::Close(AccessMode::Write))
            | EventKind::Modify(ModifyKind::Name(RenameMode::To))
    );
    match tag {
        // Hidden names are temp files (ours and editors'): their rename into place is reported.
        WatchTag::Inbox(_) | WatchTag::Done(_) | WatchTag::Requests => complete && !hidden,
        WatchTag::Signals => complete || matches!(kind, EventKind::Create(_)),
        WatchTag::ProjectsDir => complete || matches!(kind, EventKind::Create(CreateKind::Folder)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use notify::event::{DataChange, Flag};

    fn tags() -> HashMap<PathBuf, WatchTag> {
        HashMap::from([
            (PathBuf::from("/q/inbox"), WatchTag::Inbox("p".into())),
            (PathBuf::from("/projects"), WatchTag::ProjectsDir),
            (PathBuf::from("/signals"), WatchTag::Signals),
        ])
    }

    fn one(kind: EventKind, path: &str) -> Vec<FsEvent> {
        translate(Ok(Event::new(kind).add_path(PathBuf::from(path))), &tags())
    }

    #[test]
    fn overflow_and_errors_ask_for_a_rescan() {
        let overflow = Event::new(EventKind::Other).set_flag(Flag::Rescan);
        assert!(matches!(
            translate(Ok(overflow), &tags())[..],
            [FsEvent::Rescan { .. }]
        ));
        let error = notify::Error::generic("boom");
        let events = translate(Err(error), &tags());
        assert!(
            matches!(&events[..], [FsEvent::Rescan { reason }] if reason.contains("boom")),
            "{events:?}"
        );
    }

    #[test]
    fn only_complete_files_count_in_inboxes() {
        let close_write = EventKind::Access(AccessKind::Close(AccessMode::Write));
        let moved_to = EventKind::Modify(ModifyKind::Name(RenameMode::To));
        let created = EventKind::Create(CreateKind::File);
        let modified = EventKind::Modify(ModifyKind::Data(DataChange::Any));
        let inbox = WatchTag::Inbox("p".into());
        let changed = |tag: &WatchTag, name: &str| FsEvent::Changed {
            tag: tag.clone(),
            file_name: Some(name.into()),
        };
        assert_eq!(one(close_write, "/q/inbox/a.md"), [changed(&inbox, "a.md")]);
        assert_eq!(one(moved_to, "/q/inbox/a.md"), [changed(&inbox, "a.md")]);
        assert!(one(created, "/q/inbox/a.md").is_empty());
        assert!(one(modified, "/q/inbox/a.md").is_empty());
        assert!(one(close_write, "/q/inbox/.a.md.tmp-1-1").is_empty());
        assert!(one(close_write, "/elsewhere/a.md").is_empty());
        assert_eq!(
            one(created, "/signals/agent-done-x"),
            [changed(&WatchTag::Signals, "agent-done-x")]
        );
        assert!(one(created, "/projects/file").is_empty());
        let folder = EventKind::Create(CreateKind::Folder);
        assert_eq!(
            one(folder, "/projects/new"),
            [changed(&WatchTag::ProjectsDir, "new")]
        );
    }
}
