//! Writing a small file so that readers (and inotify watchers) only ever see it whole: a hidden
//! temp file beside it, fsync, then a rename into place.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Who may read a written file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    /// The process's default (`0666` less the umask).
    Default,
    /// The owner only (`0600` from the start).
    OwnerOnly,
}

/// Writes `bytes` to `dir/name` atomically (creating `dir`); a failed write leaves no temp file.
pub fn write_atomically(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<PathBuf> {
    write_via_temp(dir, name, bytes, Access::Default)
}

/// Like [`write_atomically`], readable and writable by the owner only (mode 0600 from the
/// start: the value is never on disk with wider permissions).
pub fn write_private(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<PathBuf> {
    write_via_temp(dir, name, bytes, Access::OwnerOnly)
}

fn write_via_temp(
    dir: &Path,
    name: &str,
    bytes: &[u8],
    access: Access,
) -> std::io::Result<PathBuf> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::create_dir_all(dir)?;
    let target = dir.join(name);
    let temp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let _ = std::fs::remove_file(&temp);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    if access == Access::OwnerOnly {
        options.mode(0o600);
    }
    let written = options.open(&temp).and_then(|mut file| {
        file.write_all(bytes)?;
        file.sync_all()
    });
    if let Err(e) = written.and_then(|()| std::fs::rename(&temp, &target)) {
        let _ = std::fs::remove_file(&temp);
        return Err(e);
    }
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_whole_files_and_leaves_no_temp() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = write_atomically(&dir.path().join("sub"), "f.json", b"{}").expect("write");
        assert_eq!(std::fs::read(&path).expect("read"), b"{}");
        write_atomically(&dir.path().join("sub"), "f.json", b"[1]").expect("replace");
        assert_eq!(std::fs::read(&path).expect("read"), b"[1]");
        let names: Vec<_> = std::fs::read_dir(dir.path().join("sub"))
            .expect("list")
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(names, ["f.json"], "no temp file left");
    }

    #[test]
    fn private_files_are_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = write_private(dir.path(), "env.sh", b"export K='v'\n").expect("write");
        let mode = std::fs::metadata(&path).expect("stat").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        write_private(dir.path(), "env.sh", b"x").expect("replace");
        assert_eq!(std::fs::read(&path).expect("read"), b"x");
    }
}
