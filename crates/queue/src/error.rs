//! Errors of the queue adapter: each names the path and the operation, and says what to do.

use std::io;
use std::path::PathBuf;

/// What kind of non-regular file was found where a task file was expected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A directory (e.g. a folder named `x.md`).
    Directory,
    /// A named pipe: reading it could block forever.
    Fifo,
    /// A unix socket.
    Socket,
    /// A block or character device.
    Device,
    /// A symbolic link (only seen through `symlink_metadata`).
    Symlink,
    /// Anything else the OS reports.
    Other,
}

impl FileKind {
    /// Classifies a file type that is not a regular file.
    pub fn of(file_type: std::fs::FileType) -> FileKind {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_dir() {
            FileKind::Directory
        } else if file_type.is_symlink() {
            FileKind::Symlink
        } else if file_type.is_fifo() {
            FileKind::Fifo
        } else if file_type.is_socket() {
            FileKind::Socket
        } else if file_type.is_block_device() || file_type.is_char_device() {
            FileKind::Device
        } else {
            FileKind::Other
        }
    }
}

impl std::fmt::Display for FileKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            FileKind::Directory => "a directory",
            FileKind::Fifo => "a named pipe (fifo)",
            FileKind::Socket => "a socket",
            FileKind::Device => "a device file",
            FileKind::Symlink => "a symbolic link",
            FileKind::Other => "not a regular file",
        })
    }
}

/// Why a task file could not be read safely by [`crate::read_task_file`].
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The path is a symbolic link; task files are never followed through links.
    #[error(
        "task file {path} is a symbolic link: links are not followed; copy the real file into the inbox instead"
    )]
    Symlink {
        /// The offending path.
        path: PathBuf,
    },
    /// The path is a directory, fifo, socket or device.
    #[error(
        "task file {path} is {kind}: only regular files are read; replace it with a regular file"
    )]
    NotRegular {
        /// The offending path.
        path: PathBuf,
        /// What it is instead.
        kind: FileKind,
    },
    /// The file is bigger than the limit.
    #[error(
        "task file {path} is too large ({size} bytes, limit {max}): shorten it or put the material in the project and reference it"
    )]
    TooLarge {
        /// The offending path.
        path: PathBuf,
        /// Its size (or the number of bytes read before giving up).
        size: u64,
        /// The limit in bytes.
        max: u64,
    },
    /// The OS refused an operation.
    #[error("cannot {op} task file {path}: {source}; check that it exists and is readable")]
    Io {
        /// The path.
        path: PathBuf,
        /// What was being done (`open`, `stat`, `read`).
        op: &'static str,
        /// The OS error.
        source: io::Error,
    },
}

impl ReadError {
    /// True when the file does not exist (e.g. another claimant moved it).
    pub fn is_not_found(&self) -> bool {
        matches!(self, ReadError::Io { source, .. } if source.kind() == io::ErrorKind::NotFound)
    }
}

/// Errors of the queue adapter.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// A filesystem operation failed.
    #[error("cannot {op} {path}: {source}")]
    Io {
        /// The path the operation was on.
        path: PathBuf,
        /// The operation (`read directory`, `rename to ...`, `create`, ...).
        op: String,
        /// The OS error.
        source: io::Error,
    },
    /// Reading a task file failed.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// A path handed in is not `<id>.md` / `<id>.md.dispatched` with a valid id.
    #[error("{path} is not a {expected} path with a valid task id: {hint}")]
    NotATaskPath {
        /// The path.
        path: PathBuf,
        /// What kind of path was expected (`queued task`, `dispatched task`).
        expected: &'static str,
        /// What to do.
        hint: &'static str,
    },
    /// A requeue named no failed task of the project.
    #[error(
        "`{file}` is no failed task of project {project}: name a file listed under failed/ (see `claude-failover tasks`)"
    )]
    NotFailed {
        /// The file name asked for.
        file: String,
        /// The project.
        project: String,
    },
    /// `add_task` would overwrite an existing task.
    #[error("task {path} already exists: choose another task id")]
    TaskExists {
        /// The existing task file (queued or dispatched).
        path: PathBuf,
    },
    /// `finish` was asked to finish a dispatched file that is no longer there.
    #[error(
        "dispatched task {path} is gone, nothing was written{}",
        match .finished { Some(p) => format!("; it was already finished as {}", p.display()), None => "; it may have been finished or put back already".to_string() }
    )]
    DispatchedGone {
        /// The missing `.dispatched` path.
        path: PathBuf,
        /// Where the task was found finished, if anywhere.
        finished: Option<PathBuf>,
    },
    /// No free name was found for a finished/returned task after many attempts.
    #[error("no free file name for {path} after {attempts} attempts: clean up {dir}")]
    NoFreeName {
        /// The first name tried.
        path: PathBuf,
        /// The directory to clean up.
        dir: PathBuf,
        /// How many names were tried.
        attempts: u32,
    },
    /// The file watcher failed.
    #[error("cannot {op} {path}: {source}")]
    Watch {
        /// The watched directory.
        path: PathBuf,
        /// `watch` / `unwatch` / `start watcher`.
        op: &'static str,
        /// notify's error.
        source: notify::Error,
    },
}

impl QueueError {
    /// Builds an [`QueueError::Io`] for `op` on `path`.
    pub(crate) fn io(
        path: impl Into<PathBuf>,
        op: impl Into<String>,
        source: io::Error,
    ) -> QueueError {
        QueueError::Io {
            path: path.into(),
            op: op.into(),
            source,
        }
    }
}
