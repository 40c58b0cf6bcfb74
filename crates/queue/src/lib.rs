//! The on-disk task queue: the only code that lists, claims, moves and renames task files.
//!
//! Layout per project (`<project>/.agent-queue/`): `inbox/<id>.md` waiting,
//! `inbox/<id>.md.dispatched` claimed and running, `inbox/<id>.md.{blocked,delegated,invalid,retry}`
//! sidecars, `done/<id>.md` and `failed/<id>.md` finished. Every function here blocks (std::fs);
//! the daemon calls them from its loop. Moves are no-replace renames, so no task is ever run
//! twice or overwritten.

mod add;
mod claim;
mod error;
mod finished;
mod fsutil;
mod id;
mod new_task;
mod project;
mod read;
mod retry;
mod scan;
mod sidecar;
mod watch;

pub use add::add_task;
pub use claim::{
    Claim, Destination, FINISH_MAX_BYTES, claim, drop_finished_claim, find_finished, finish,
    put_back,
};
pub use error::{FileKind, QueueError, ReadError};
pub use finished::{finished_copies, finished_names, requeue_failed};
pub use id::new_task_id;
pub use new_task::{AddedTask, NewTask, NewTaskError, add_new_task};
pub use project::{
    DONE_DIR, Discovery, FAILED_DIR, INBOX_DIR, Problem, ProblemKind, Project, QUEUE_DIR,
    discover_projects, ensure_layout,
};
pub use read::{DEFAULT_MAX_TASK_BYTES, read_task_file};
pub use retry::{read_retry, remove_retry, retry_path, write_retry};
pub use scan::{
    DISPATCHED_SUFFIX, DispatchedFile, InboxScan, OrphanSidecar, QueuedFile, Rejected, SidecarKind,
    TASK_SUFFIX, scan_inbox,
};
pub use sidecar::{
    blocked_marker, invalid_marker_current, mark_blocked, mark_invalid, remove_orphan_sidecar,
    remove_sidecar, sidecar_path,
};
pub use watch::{FsEvent, FsWatcher, WatchTag};
