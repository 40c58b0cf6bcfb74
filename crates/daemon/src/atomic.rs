//! Writing a small file so that readers (and inotify watchers) only ever see it whole: a hidden
//! temp file beside it, fsync, then a rename into place.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Writes `bytes` to `dir/name` atomically (creating `dir`); a failed write leaves no temp file.
pub fn write_atomically(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let target = dir.join(name);
    let temp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let written = std::fs::File::create(&temp).and_then(|mut file| {
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
}
