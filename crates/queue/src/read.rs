//! Reading a task file safely: no symlinks, no blocking on fifos, a size limit.

use std::fs::OpenOptions;
use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use crate::error::{FileKind, ReadError};

/// The usual size limit for a task file: 1 MiB.
pub const DEFAULT_MAX_TASK_BYTES: u64 = 1024 * 1024;

/// Reads a task file that must be a regular file of at most `max_bytes` bytes.
///
/// Opens with `O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC`, so a symlink is refused by the kernel and
/// a fifo never blocks; the type is then checked on the open descriptor (no check-then-open
/// race). At most `max_bytes + 1` bytes are read, so a file that grows meanwhile is still caught.
pub fn read_task_file(path: &Path, max_bytes: u64) -> Result<Vec<u8>, ReadError> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(path)
        .map_err(|source| {
            if source.raw_os_error() == Some(libc::ELOOP) {
                ReadError::Symlink {
                    path: path.to_path_buf(),
                }
            } else {
                ReadError::Io {
                    path: path.to_path_buf(),
                    op: "open",
                    source,
                }
            }
        })?;
    let metadata = file.metadata().map_err(|source| ReadError::Io {
        path: path.to_path_buf(),
        op: "stat",
        source,
    })?;
    if !metadata.file_type().is_file() {
        return Err(ReadError::NotRegular {
            path: path.to_path_buf(),
            kind: FileKind::of(metadata.file_type()),
        });
    }
    if metadata.len() > max_bytes {
        return Err(ReadError::TooLarge {
            path: path.to_path_buf(),
            size: metadata.len(),
            max: max_bytes,
        });
    }
    let mut content = Vec::with_capacity(usize::try_from(metadata.len()).unwrap_or(0));
    file.take(max_bytes.saturating_add(1))
        .read_to_end(&mut content)
        .map_err(|source| ReadError::Io {
            path: path.to_path_buf(),
            op: "read",
            source,
        })?;
    let read = content.len() as u64;
    if read > max_bytes {
        return Err(ReadError::TooLarge {
            path: path.to_path_buf(),
            size: read,
            max: max_bytes,
        });
    }
    Ok(content)
}
