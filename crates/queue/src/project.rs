//! Projects: finding the folders that have an `.agent-queue/`, and creating its layout.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use crate::error::QueueError;
use crate::id::is_valid_segment;

/// Name of the queue folder inside a project.
pub const QUEUE_DIR: &str = ".agent-queue";
/// Waiting and running tasks, and their sidecars.
pub const INBOX_DIR: &str = "inbox";
/// Finished tasks.
pub const DONE_DIR: &str = "done";
/// Failed tasks.
pub const FAILED_DIR: &str = "failed";

/// A project with a task queue.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Project {
    /// The folder name; used in `depends_on` entries and status.
    pub name: String,
    /// The project folder (the agent runs here); `.agent-queue/` is inside it.
    pub root: PathBuf,
}

impl Project {
    /// `<root>/.agent-queue`.
    pub fn queue_dir(&self) -> PathBuf {
        self.root.join(QUEUE_DIR)
    }
    /// `<root>/.agent-queue/inbox`.
    pub fn inbox_dir(&self) -> PathBuf {
        self.queue_dir().join(INBOX_DIR)
    }
    /// `<root>/.agent-queue/done`.
    pub fn done_dir(&self) -> PathBuf {
        self.queue_dir().join(DONE_DIR)
    }
    /// `<root>/.agent-queue/failed`.
    pub fn failed_dir(&self) -> PathBuf {
        self.queue_dir().join(FAILED_DIR)
    }
}

/// Something discovery noticed about a folder; reported, never fatal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The folder concerned.
    pub path: PathBuf,
    /// What is wrong (or noteworthy).
    pub kind: ProblemKind,
}

/// What discovery noticed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProblemKind {
    /// The folder name is not a valid segment `[A-Za-z0-9._-]+`; the project is skipped.
    InvalidName,
    /// Another project already has this name; this one is skipped.
    DuplicateName {
        /// The project that keeps the name.
        kept: PathBuf,
    },
    /// The project folder is a symlink; it is followed (informational).
    Symlinked {
        /// Where it points.
        target: PathBuf,
    },
    /// The folder (or its queue layout) could not be read or created; skipped.
    Unusable {
        /// The error text.
        error: String,
    },
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let path = self.path.display();
        match &self.kind {
            ProblemKind::InvalidName => {
                write!(
                    f,
                    "project folder {path} skipped: its name must match [A-Za-z0-9._-]+; rename it"
                )
            }
            ProblemKind::DuplicateName { kept } => write!(
                f,
                "project folder {path} skipped: the name is already used by {}; rename one of them",
                kept.display()
            ),
            ProblemKind::Symlinked { target } => {
                write!(
                    f,
                    "project folder {path} is a symlink to {}; following it",
                    target.display()
                )
            }
            ProblemKind::Unusable { error } => write!(f, "project folder {path} skipped: {error}"),
        }
    }
}

/// The result of [`discover_projects`]: usable projects plus everything worth reporting.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Discovery {
    /// Projects, sorted by name.
    pub projects: Vec<Project>,
    /// Skipped folders and notes, for logs and status.
    pub problems: Vec<Problem>,
}

/// Creates `.agent-queue/{inbox,done,failed}` under the project root if missing.
pub fn ensure_layout(project: &Project) -> Result<(), QueueError> {
    for dir in [
        project.inbox_dir(),
        project.done_dir(),
        project.failed_dir(),
    ] {
        fs::create_dir_all(&dir).map_err(|e| QueueError::io(&dir, "create directory", e))?;
    }
    Ok(())
}

/// Finds the projects: sub-folders of `projects_dir` that contain `.agent-queue/`, then every
/// `extra_roots` entry (configured projects, whose queue layout is created if missing).
///
/// Queue layouts of discovered projects are completed too. Hidden sub-folders are ignored.
/// A root reached twice (same canonical path) counts once; a different folder with a name
/// already taken is reported and skipped (first one wins: `projects_dir` before extras).
pub fn discover_projects(
    projects_dir: &Path,
    extra_roots: &[PathBuf],
) -> Result<Discovery, QueueError> {
    let entries = fs::read_dir(projects_dir)
        .map_err(|e| QueueError::io(projects_dir, "read projects directory", e))?;
    let mut candidates = Vec::new();
    for entry in entries {
        let entry =
            entry.map_err(|e| QueueError::io(projects_dir, "read projects directory", e))?;
        let name = entry.file_name();
        if name.as_encoded_bytes().first() == Some(&b'.') {
            continue;
        }
        let path = entry.path();
        // `metadata` follows symlinks: a linked project folder counts.
        if path.join(QUEUE_DIR).is_dir() {
            candidates.push(path);
        }
    }
    candidates.sort();
    candidates.extend(extra_roots.iter().cloned());

    let mut discovery = Discovery::default();
    let mut by_name: HashMap<String, (PathBuf, PathBuf)> = HashMap::new();
    for root in candidates {
        let Some(name) = root
            .file_name()
            .and_then(|n| n.to_str())
            .filter(|n| is_valid_segment(n))
        else {
            discovery.problems.push(Problem {
                path: root,
                kind: ProblemKind::InvalidName,
            });
            continue;
        };
        let name = name.to_string();
        let canonical = match fs::canonicalize(&root) {
            Ok(c) if c.is_dir() => c,
            Ok(_) => {
                let error = "it is not a directory".to_string();
                discovery.problems.push(Problem {
                    path: root,
                    kind: ProblemKind::Unusable { error },
                });
                continue;
            }
            Err(e) => {
                let error = format!("cannot resolve it: {e}");
                discovery.problems.push(Problem {
                    path: root,
                    kind: ProblemKind::Unusable { error },
                });
                continue;
            }
        };
        if let Some((kept, kept_canonical)) = by_name.get(&name) {
            if *kept_canonical != canonical {
                let kind = ProblemKind::DuplicateName { kept: kept.clone() };
                discovery.problems.push(Problem { path: root, kind });
            }
            continue;
        }
        if let Ok(target) = fs::read_link(&root) {
            discovery.problems.push(Problem {
                path: root.clone(),
                kind: ProblemKind::Symlinked { target },
            });
        }
        let project = Project {
            name: name.clone(),
            root: root.clone(),
        };
        if let Err(e) = ensure_layout(&project) {
            discovery.problems.push(Problem {
                path: root,
                kind: ProblemKind::Unusable {
                    error: e.to_string(),
                },
            });
            continue;
        }
        by_name.insert(name, (root, canonical));
        discovery.projects.push(project);
    }
    discovery.projects.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(discovery)
}
