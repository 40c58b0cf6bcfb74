//! Low-level filesystem helpers: no-replace rename, durable temp-file writes, directory fsync.

use std::ffi::CString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Counter that makes temp names unique within this process.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Suffix marker of temp files; with the leading `.` it keeps them out of scans.
pub(crate) const TEMP_MARKER: &str = ".tmp-";

fn c_path(path: &Path) -> io::Result<CString> {
    CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path contains a NUL byte"))
}

/// Renames `from` to `to` atomically, failing with `AlreadyExists` instead of replacing `to`.
///
/// Uses `renameat2(RENAME_NOREPLACE)`; on filesystems or kernels without it, falls back to
/// [`link_then_unlink`]. A missing `from` gives `NotFound`.
pub(crate) fn rename_noreplace(from: &Path, to: &Path) -> io::Result<()> {
    let from_c = c_path(from)?;
    let to_c = c_path(to)?;
    // SAFETY: both pointers are valid NUL-terminated strings that outlive the call.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_renameat2,
            libc::AT_FDCWD,
            from_c.as_ptr(),
            libc::AT_FDCWD,
            to_c.as_ptr(),
            libc::RENAME_NOREPLACE,
        )
    };
    if rc == 0 {
        return Ok(());
    }
    let err = io::Error::last_os_error();
    match err.raw_os_error() {
        Some(libc::EINVAL) | Some(libc::ENOSYS) | Some(libc::EOPNOTSUPP) => {
            link_then_unlink(from, to)
        }
        _ => Err(err),
    }
}

/// The fallback of [`rename_noreplace`]: `link` refuses an existing target, then the old name
/// is removed. A crash in between leaves both names (never neither), which scans show.
pub(crate) fn link_then_unlink(from: &Path, to: &Path) -> io::Result<()> {
    fs::hard_link(from, to)?;
    fs::remove_file(from)
}

/// Flushes a directory's entries (renames, creations, removals) to disk.
pub(crate) fn fsync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// The most bytes of the final name kept in a temp name.
const TEMP_STEM_MAX_BYTES: usize = 64;

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
fn prefix_within(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// A hidden, unique temp path in `dir` for the final name `final_name`:
/// `.<final_name>.tmp-<pid>-<n>`.
pub(crate) fn temp_path(dir: &Path, final_name: &str) -> PathBuf {
    let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    // Keep temp names short whatever the final name: `.<name>.tmp-…` of a long task name would
    // pass the 255-byte file-name limit and make finishing the task impossible. Counted in
    // bytes, cut on a character boundary: ids may be non-ASCII (64 characters of `é` are 128
    // bytes).
    let stem = prefix_within(final_name, TEMP_STEM_MAX_BYTES);
    dir.join(format!(".{stem}{TEMP_MARKER}{}-{n}", std::process::id()))
}

/// Writes `parts` into a fresh temp file in `dir` (created exclusively, mode 0644) and fsyncs it.
/// Returns the temp path; the caller renames it into place (and removes it on failure).
pub(crate) fn write_temp(dir: &Path, final_name: &str, parts: &[&[u8]]) -> io::Result<PathBuf> {
    let path = temp_path(dir, final_name);
    let result = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o644)
            .custom_flags(libc::O_CLOEXEC | libc::O_NOFOLLOW)
            .open(&path)?;
        for part in parts {
            file.write_all(part)?;
        }
        file.sync_all()
    })();
    match result {
        Ok(()) => Ok(path),
        Err(err) => {
            let _ = fs::remove_file(&path);
            Err(err)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rename_noreplace_refuses_existing_target_and_keeps_both() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        let b = dir.path().join("b");
        fs::write(&a, "A").unwrap();
        fs::write(&b, "B").unwrap();
        let err = rename_noreplace(&a, &b).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(fs::read_to_string(&a).unwrap(), "A");
        assert_eq!(fs::read_to_string(&b).unwrap(), "B");
        fs::remove_file(&b).unwrap();
        rename_noreplace(&a, &b).unwrap();
        assert!(!a.exists());
        assert_eq!(fs::read_to_string(&b).unwrap(), "A");
        assert_eq!(
            rename_noreplace(&a, &b).unwrap_err().kind(),
            io::ErrorKind::NotFound
        );
    }

    #[test]
    fn link_fallback_refuses_existing_target() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        let b = dir.path().join("b");
        fs::write(&a, "A").unwrap();
        fs::write(&b, "B").unwrap();
        assert_eq!(
            link_then_unlink(&a, &b).unwrap_err().kind(),
            io::ErrorKind::AlreadyExists
        );
        assert_eq!(fs::read_to_string(&b).unwrap(), "B");
        fs::remove_file(&b).unwrap();
        link_then_unlink(&a, &b).unwrap();
        assert!(!a.exists());
        assert_eq!(fs::read_to_string(&b).unwrap(), "A");
    }

    #[test]
    fn link_fallback_race_has_one_winner() {
        let dir = tempfile::tempdir().unwrap();
        for round in 0..100 {
            let from = dir.path().join(format!("t{round}.md"));
            let to = dir.path().join(format!("t{round}.md.dispatched"));
            fs::write(&from, "x").unwrap();
            let barrier = std::sync::Arc::new(std::sync::Barrier::new(2));
            let handles: Vec<_> = (0..2)
                .map(|_| {
                    let (from, to, barrier) = (from.clone(), to.clone(), barrier.clone());
                    std::thread::spawn(move || {
                        barrier.wait();
                        link_then_unlink(&from, &to)
                    })
                })
                .collect();
            let results: Vec<io::Result<()>> =
                handles.into_iter().map(|h| h.join().unwrap()).collect();
            assert_eq!(
                results.iter().filter(|r| r.is_ok()).count(),
                1,
                "round {round}: {results:?}"
            );
            assert!(!from.exists() && to.exists());
        }
    }

    #[test]
    fn write_temp_is_hidden_and_unique() {
        let dir = tempfile::tempdir().unwrap();
        let one = write_temp(dir.path(), "x.md", &[b"he", b"llo"]).unwrap();
        let two = write_temp(dir.path(), "x.md", &[b"bye"]).unwrap();
        assert_ne!(one, two);
        assert!(
            one.file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with(".x.md.tmp-")
        );
        assert_eq!(fs::read_to_string(&one).unwrap(), "hello");
        fsync_dir(dir.path()).unwrap();
    }

    #[test]
    fn temp_names_of_long_non_ascii_names_stay_short_and_whole() {
        let dir = tempfile::tempdir().unwrap();
        // 50 four-byte characters: the longest id, then the longest suffix.
        let final_name = format!("{}.md.dispatched", "\u{1f600}".repeat(50));
        let temp = write_temp(dir.path(), &final_name, &[b"x"]).unwrap();
        let name = temp.file_name().unwrap().to_str().unwrap();
        assert!(
            name.starts_with(&format!(".{}", "\u{1f600}".repeat(16))),
            "{name}"
        );
        assert!(name.len() < 100, "{} bytes", name.len());
        assert_eq!(prefix_within("aé", 2), "a", "never half a character");
        assert_eq!(prefix_within("aé", 3), "aé");
        assert_eq!(prefix_within("", 64), "");
    }
}
