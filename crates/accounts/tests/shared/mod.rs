//! Helpers shared by the symlink and migrate tests: two accounts and a shared dir in one temp
//! dir, and a snapshot of a directory tree to prove what changed and what did not.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// Two accounts `a` and `b` (config dirs not created) and a shared dir (not created).
pub struct Setup {
    pub root: tempfile::TempDir,
}

impl Setup {
    pub fn new() -> Setup {
        Setup {
            root: tempfile::tempdir().unwrap(),
        }
    }

    pub fn path(&self, relative: &str) -> PathBuf {
        self.root.path().join(relative)
    }

    pub fn shared(&self) -> PathBuf {
        self.path("shared")
    }

    pub fn accounts(&self) -> Vec<(String, PathBuf)> {
        vec![
            ("a".to_string(), self.path("a")),
            ("b".to_string(), self.path("b")),
        ]
    }

    pub fn account(&self, name: &str) -> (String, PathBuf) {
        (name.to_string(), self.path(name))
    }

    /// Writes `content` at `relative`, creating parents.
    pub fn write(&self, relative: &str, content: &str) {
        write(&self.path(relative), content);
    }

    pub fn symlink(&self, target: impl AsRef<Path>, relative: &str) {
        let link = self.path(relative);
        fs::create_dir_all(link.parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(target, link).unwrap();
    }
}

pub fn write(path: &Path, content: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, content).unwrap();
}

/// Every path under `root` (not following symlinks) with what it is: `dir`, `file:<content>`
/// or `link:<target>`.
pub fn tree(root: &Path) -> BTreeMap<String, String> {
    let mut found = BTreeMap::new();
    walk(root, root, &mut found);
    found
}

fn walk(root: &Path, dir: &Path, found: &mut BTreeMap<String, String>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let relative = path.strip_prefix(root).unwrap().display().to_string();
        let meta = fs::symlink_metadata(&path).unwrap();
        if meta.file_type().is_symlink() {
            let target = fs::read_link(&path).unwrap();
            found.insert(relative, format!("link:{}", target.display()));
        } else if meta.is_dir() {
            found.insert(relative, "dir".to_string());
            walk(root, &path, found);
        } else {
            found.insert(
                relative,
                format!("file:{}", fs::read_to_string(&path).unwrap()),
            );
        }
    }
}
