//! One daemon per state dir: an exclusive lock on `<state_dir>/daemon.lock`, held for the
//! daemon's whole life.
//!
//! The lock is an open-file-description lock (`F_OFD_SETLK`): the kernel drops it when the
//! process dies, however it dies (a pid file would survive a SIGKILL and lie), and unlike a
//! classic POSIX record lock it is not released when some other descriptor of the same file is
//! closed, and it conflicts within one process too (two in-process daemons on one state dir are
//! refused like two processes). The holder writes its pid into the file so that a refused
//! second `run` and `status` can name it; `status` asks with `F_OFD_GETLK`, which never takes it.
//!
//! The kernel drops the lock when the last descriptor of the open file goes. A child the dead
//! daemon had forked but not yet exec'd still holds one for a moment (the descriptor is
//! close-on-exec), so a start right after a crash — a service manager restarting it, a test —
//! waits up to [`LOCK_WAIT`] for the lock before it reports another daemon.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// The lock file's name inside `state_dir`.
pub const LOCK_FILE: &str = "daemon.lock";

/// How long a start waits for a lock held by a daemon that may be dying.
pub const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

/// Why the lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another daemon holds it.
    #[error(
        "another claude-failover daemon (pid {pid}) already runs on the state dir {state_dir}: stop it first, or give this one another state_dir"
    )]
    Held {
        /// The holder's pid as it wrote it (0 when it could not be read).
        pid: u32,
        /// The state dir.
        state_dir: PathBuf,
    },
    /// The lock file could not be opened, locked or written.
    #[error("cannot lock {path}: {source}")]
    Io {
        /// The lock file.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: std::io::Error,
    },
}

/// The held lock; dropping it (or the process ending) releases it.
#[derive(Debug)]
pub struct StateLock {
    /// The locked file, kept open.
    _file: File,
}

impl StateLock {
    /// Takes the lock for `state_dir` (which must exist) and writes this process's pid into it.
    pub fn acquire(state_dir: &Path) -> Result<StateLock, LockError> {
        let path = state_dir.join(LOCK_FILE);
        let io = |source| LockError::Io {
            path: path.clone(),
            source,
        };
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o644)
            .custom_flags(libc::O_CLOEXEC | libc::O_NOFOLLOW)
            .open(&path)
            .map_err(io)?;
        if let Err(e) = ofd_lock(&file, libc::F_OFD_SETLK, libc::F_WRLCK as libc::c_short) {
            if matches!(e.raw_os_error(), Some(libc::EAGAIN) | Some(libc::EACCES)) {
                return Err(LockError::Held {
                    pid: read_pid(&mut file).unwrap_or(0),
                    state_dir: state_dir.to_path_buf(),
                });
            }
            return Err(io(e));
        }
        file.set_len(0).map_err(io)?;
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        writeln!(file, "{}", std::process::id()).map_err(io)?;
        file.sync_all().map_err(io)?;
        Ok(StateLock { _file: file })
    }
}

/// The pid of the daemon holding the lock of `state_dir`, without taking it; `None` when no
/// daemon runs there (or the state dir has no lock file yet).
pub fn lock_holder(state_dir: &Path) -> Option<u32> {
    let mut file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_CLOEXEC | libc::O_NOFOLLOW)
        .open(state_dir.join(LOCK_FILE))
        .ok()?;
    let held = query_lock(&file).ok()?;
    held.then(|| read_pid(&mut file).unwrap_or(0))
}

fn read_pid(file: &mut File) -> Option<u32> {
    let mut text = String::new();
    file.seek(SeekFrom::Start(0)).ok()?;
    file.take(64).read_to_string(&mut text).ok()?;
    text.trim().parse().ok()
}

fn whole_file(kind: libc::c_short) -> libc::flock {
    // SAFETY: `flock` is a plain C struct; all-zero is a valid value for every field.
    let mut lock: libc::flock = unsafe { std::mem::zeroed() };
    lock.l_type = kind;
    lock.l_whence = libc::SEEK_SET as libc::c_short;
    lock
}

fn ofd_lock(file: &File, command: libc::c_int, kind: libc::c_short) -> std::io::Result<()> {
    let lock = whole_file(kind);
    // SAFETY: the descriptor is open for the call's duration and `lock` is a valid `flock`.
    let rc = unsafe { libc::fcntl(file.as_raw_fd(), command, &lock) };
    if rc == -1 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// Whether some open file description holds a write lock on the file.
fn query_lock(file: &File) -> std::io::Result<bool> {
    let mut lock = whole_file(libc::F_WRLCK as libc::c_short);
    // SAFETY: as above; F_OFD_GETLK writes into `lock`.
    let rc = unsafe { libc::fcntl(file.as_raw_fd(), libc::F_OFD_GETLK, &mut lock) };
    if rc == -1 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(lock.l_type != libc::F_UNLCK as libc::c_short)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_is_refused_and_names_the_holder_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert_eq!(lock_holder(dir.path()), None, "no lock file yet");
        let first = StateLock::acquire(dir.path()).expect("first");
        assert_eq!(lock_holder(dir.path()), Some(std::process::id()));
        match StateLock::acquire(dir.path()) {
            Err(LockError::Held { pid, .. }) => assert_eq!(pid, std::process::id()),
            other => panic!("expected Held, got {other:?}"),
        }
        assert_eq!(
            lock_holder(dir.path()),
            Some(std::process::id()),
            "asking never takes nor drops it"
        );
        drop(first);
        assert_eq!(lock_holder(dir.path()), None);
        let _again = StateLock::acquire(dir.path()).expect("free again");
    }
}
