//! Moving one file-system entry without ever replacing anything at the destination: a rename
//! (or a hard link then unlink) on one file system, a copy to a temp name, a no-replace
//! placement and only then the removal of the source across file systems. A crash at any point
//! leaves the data in the source, the destination, or both — never in neither.

use std::fs;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// How [`move_entry`] moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MoveMethod {
    /// Rename or hard-link when source and destination share a file system; copy otherwise.
    RenameWhenPossible,
    /// Always copy then remove (what happens across file systems); lets tests cover that path.
    #[cfg_attr(not(test), allow(dead_code))]
    AlwaysCopy,
}

/// Moves `source` (a file, symlink or directory tree) to `destination`, which must not exist.
/// An existing destination is never replaced: the error is then `AlreadyExists`.
pub(crate) fn move_entry(source: &Path, destination: &Path, method: MoveMethod) -> io::Result<()> {
    let meta = fs::symlink_metadata(source)?;
    if method == MoveMethod::RenameWhenPossible {
        let moved = if meta.is_dir() {
            place_dir(source, destination)
        } else {
            place_leaf(source, destination)
        };
        match moved {
            Err(error) if error.kind() == io::ErrorKind::CrossesDevices => {}
            other => return other,
        }
    }
    let temp = temp_name(destination);
    remove_any(&temp)?;
    let placed = copy_tree(source, &temp).and_then(|()| {
        if meta.is_dir() {
            place_dir(&temp, destination)
        } else {
            place_leaf(&temp, destination)
        }
    });
    if let Err(error) = placed {
        // The source is untouched; the partial copy is ours to drop.
        let _ = remove_any(&temp);
        return Err(error);
    }
    remove_any(source)
}

/// Puts the directory `from` at `to` by rename. Renaming onto an existing empty directory
/// would replace it, so an existing `to` is refused first; a non-empty one fails in the OS too.
fn place_dir(from: &Path, to: &Path) -> io::Result<()> {
    refuse_existing(to)?;
    fs::rename(from, to)
}

/// Puts the file or symlink `from` at `to`: a hard link fails when `to` exists (no replace),
/// then `from` is unlinked. File systems without hard links get a checked rename.
fn place_leaf(from: &Path, to: &Path) -> io::Result<()> {
    match fs::hard_link(from, to) {
        Ok(()) => fs::remove_file(from),
        Err(error)
            if matches!(
                error.kind(),
                io::ErrorKind::AlreadyExists | io::ErrorKind::CrossesDevices
            ) =>
        {
            Err(error)
        }
        Err(_) => {
            refuse_existing(to)?;
            fs::rename(from, to)
        }
    }
}

fn refuse_existing(path: &Path) -> io::Result<()> {
    match fs::symlink_metadata(path) {
        Ok(_) => Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("{} appeared meanwhile", path.display()),
        )),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(error),
    }
}

/// A hidden name next to `destination` for a copy in progress.
fn temp_name(destination: &Path) -> PathBuf {
    let name = destination
        .file_name()
        .map_or_else(String::new, |name| name.to_string_lossy().into_owned());
    destination.with_file_name(format!(".{name}.cf-migrate-{}.tmp", std::process::id()))
}

/// Copies a file, symlink or directory tree, keeping modes and file modification times.
fn copy_tree(source: &Path, destination: &Path) -> io::Result<()> {
    let meta = fs::symlink_metadata(source)?;
    let kind = meta.file_type();
    if kind.is_symlink() {
        std::os::unix::fs::symlink(fs::read_link(source)?, destination)
    } else if kind.is_dir() {
        fs::create_dir(destination)?;
        // Owner access while filling it; the source's mode is set at the end.
        fs::set_permissions(destination, fs::Permissions::from_mode(0o700))?;
        let mut children = fs::read_dir(source)?.collect::<Result<Vec<_>, _>>()?;
        children.sort_by_key(fs::DirEntry::file_name);
        for child in children {
            copy_tree(&child.path(), &destination.join(child.file_name()))?;
        }
        fs::set_permissions(destination, meta.permissions())
    } else if kind.is_file() {
        fs::copy(source, destination)?;
        let copied = fs::File::options().write(true).open(destination)?;
        copied.set_modified(meta.modified()?)?;
        copied.sync_all()
    } else {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            format!(
                "{} is a special file (fifo, socket or device) and cannot be copied",
                source.display()
            ),
        ))
    }
}

/// Removes a file, symlink or directory tree; a missing path is fine.
fn remove_any(path: &Path) -> io::Result<()> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => fs::remove_dir_all(path),
        Ok(_) => fs::remove_file(path),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copying_move_keeps_tree_modes_links_and_times_and_removes_the_source() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("src");
        fs::create_dir_all(source.join("a/b")).unwrap();
        fs::write(source.join("a/b/t.jsonl"), "line\n").unwrap();
        fs::set_permissions(
            source.join("a/b/t.jsonl"),
            fs::Permissions::from_mode(0o640),
        )
        .unwrap();
        std::os::unix::fs::symlink("b/t.jsonl", source.join("a/link")).unwrap();
        let old = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000);
        fs::File::options()
            .write(true)
            .open(source.join("a/b/t.jsonl"))
            .unwrap()
            .set_modified(old)
            .unwrap();
        let destination = dir.path().join("dst");

        move_entry(&source, &destination, MoveMethod::AlwaysCopy).unwrap();

        assert!(!source.exists());
        let file = destination.join("a/b/t.jsonl");
        assert_eq!(fs::read_to_string(&file).unwrap(), "line\n");
        let meta = fs::metadata(&file).unwrap();
        assert_eq!(meta.permissions().mode() & 0o777, 0o640);
        assert_eq!(meta.modified().unwrap(), old);
        assert_eq!(
            fs::read_link(destination.join("a/link")).unwrap(),
            PathBuf::from("b/t.jsonl")
        );
        let leftovers: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        assert_eq!(leftovers, ["dst"]);
    }

    #[test]
    fn an_existing_destination_is_never_replaced_by_either_method() {
        for method in [MoveMethod::RenameWhenPossible, MoveMethod::AlwaysCopy] {
            let dir = tempfile::tempdir().unwrap();
            let (source, destination) = (dir.path().join("s"), dir.path().join("d"));
            fs::write(&source, "new").unwrap();
            fs::write(&destination, "old").unwrap();
            let error = move_entry(&source, &destination, method).unwrap_err();
            assert_eq!(error.kind(), io::ErrorKind::AlreadyExists, "{method:?}");
            assert_eq!(fs::read_to_string(&destination).unwrap(), "old");
            assert_eq!(fs::read_to_string(&source).unwrap(), "new");

            // An empty directory would be silently replaced by rename(2): refused too.
            let (source_dir, destination_dir) = (dir.path().join("sd"), dir.path().join("dd"));
            fs::create_dir_all(source_dir.join("x")).unwrap();
            fs::create_dir(&destination_dir).unwrap();
            let error = move_entry(&source_dir, &destination_dir, method).unwrap_err();
            assert_eq!(error.kind(), io::ErrorKind::AlreadyExists, "{method:?}");
            assert!(source_dir.join("x").is_dir());
        }
    }
}
