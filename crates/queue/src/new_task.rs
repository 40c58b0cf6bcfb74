//! Adding a new task the way an operator does (`claude-failover task add`, `POST /api/tasks`):
//! one set of checks for both — the size limit, non-empty, frontmatter that parses, the id
//! (given, or made from the time and title), a project that exists — then [`crate::add_task`].
//! Callers word the errors for their surface (a CLI flag, a JSON field).

use std::path::{Path, PathBuf};

use cf_core::TaskId;
use cf_core::task::{TaskIdError, TaskParseError, parse_task};
use jiff::Timestamp;

use crate::error::QueueError;
use crate::project::discover_projects;
use crate::read::DEFAULT_MAX_TASK_BYTES;

/// A task to add.
#[derive(Debug, Clone, Copy)]
pub struct NewTask<'a> {
    /// The project's name.
    pub project: &'a str,
    /// The id asked for; `None`: one made from `now` and the frontmatter's title.
    pub id: Option<&'a str>,
    /// The task file's bytes: optional frontmatter, then markdown.
    pub content: &'a [u8],
    /// Now (for a made id).
    pub now: Timestamp,
}

/// A task that was added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddedTask {
    /// The project's name.
    pub project: String,
    /// Its id.
    pub id: TaskId,
    /// Its path in the inbox.
    pub path: PathBuf,
}

/// Why a task was not added.
#[derive(Debug, thiserror::Error)]
pub enum NewTaskError {
    /// Over the size limit.
    #[error(
        "the task is {bytes} bytes, over the limit of {max}: split the task or put the bulk in a file the task points to"
    )]
    TooLarge {
        /// Its size.
        bytes: u64,
        /// The limit.
        max: u64,
    },
    /// Nothing but white space.
    #[error("the task is empty: write what the agent should do")]
    Empty,
    /// The frontmatter does not parse.
    #[error(transparent)]
    Invalid(#[from] TaskParseError),
    /// The id asked for is not a valid task id.
    #[error(transparent)]
    BadId(#[from] TaskIdError),
    /// No project of that name.
    #[error(
        "no project `{name}` under {} (known: {known}); a project is a folder with a .agent-queue/ in it",
        dir.display()
    )]
    NoProject {
        /// The name asked for.
        name: String,
        /// Where projects are looked for.
        dir: PathBuf,
        /// The projects there, comma-separated (`none`).
        known: String,
    },
    /// A task of that id waits or runs already.
    #[error("{0}; pick another id")]
    Exists(QueueError),
    /// The projects could not be listed, or the file could not be written.
    #[error(transparent)]
    Queue(QueueError),
}

/// Checks `task` and writes it into its project's inbox (`projects_dir` plus the `listed`
/// project roots, as the config names them).
pub fn add_new_task(
    projects_dir: &Path,
    listed: &[PathBuf],
    task: &NewTask<'_>,
) -> Result<AddedTask, NewTaskError> {
    let bytes = u64::try_from(task.content.len()).unwrap_or(u64::MAX);
    if bytes > DEFAULT_MAX_TASK_BYTES {
        return Err(NewTaskError::TooLarge {
            bytes,
            max: DEFAULT_MAX_TASK_BYTES,
        });
    }
    if task.content.iter().all(u8::is_ascii_whitespace) {
        return Err(NewTaskError::Empty);
    }
    let doc = parse_task(task.content)?;
    let id = match task.id {
        Some(id) => TaskId::parse(id)?,
        None => crate::new_task_id(task.now, doc.frontmatter.title.as_deref()),
    };
    let discovery = discover_projects(projects_dir, listed).map_err(NewTaskError::Queue)?;
    let Some(project) = discovery.projects.iter().find(|p| p.name == task.project) else {
        let known: Vec<&str> = discovery.projects.iter().map(|p| p.name.as_str()).collect();
        return Err(NewTaskError::NoProject {
            name: task.project.to_string(),
            dir: projects_dir.to_path_buf(),
            known: if known.is_empty() {
                "none".into()
            } else {
                known.join(", ")
            },
        });
    };
    let path = crate::add_task(project, &id, task.content).map_err(|e| match e {
        QueueError::TaskExists { .. } => NewTaskError::Exists(e),
        other => NewTaskError::Queue(other),
    })?;
    Ok(AddedTask {
        project: project.name.clone(),
        id,
        path,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task<'a>(project: &'a str, id: Option<&'a str>, content: &'a [u8]) -> NewTask<'a> {
        NewTask {
            project,
            id,
            content,
            now: "2026-12-01T10:00:00Z".parse().expect("a time"),
        }
    }

    #[test]
    fn a_task_is_checked_once_for_every_surface() {
        let root = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(root.path().join("alpha/.agent-queue/inbox")).expect("mkdir");
        let dir = root.path();
        let added = add_new_task(dir, &[], &task("alpha", Some("t1"), b"Fix it.")).expect("added");
        assert_eq!(added.path, dir.join("alpha/.agent-queue/inbox/t1.md"));
        assert!(matches!(
            add_new_task(dir, &[], &task("alpha", Some("t1"), b"Again.")),
            Err(NewTaskError::Exists(_))
        ));
        assert!(matches!(
            add_new_task(dir, &[], &task("alpha", None, b" \n\t")),
            Err(NewTaskError::Empty)
        ));
        assert!(matches!(
            add_new_task(dir, &[], &task("alpha", Some("../x"), b"x")),
            Err(NewTaskError::BadId(_))
        ));
        assert!(matches!(
            add_new_task(dir, &[], &task("alpha", None, b"---\npriority: [\n---\nx")),
            Err(NewTaskError::Invalid(_))
        ));
        let missing = add_new_task(dir, &[], &task("zed", None, b"x")).expect_err("no project");
        assert!(missing.to_string().contains("(known: alpha)"), "{missing}");
        let big = vec![b'a'; 1024 * 1024 + 1];
        assert!(matches!(
            add_new_task(dir, &[], &task("alpha", None, &big)),
            Err(NewTaskError::TooLarge { .. })
        ));
        let made = add_new_task(
            dir,
            &[],
            &task("alpha", None, b"---\ntitle: Ship it\n---\nGo."),
        )
        .expect("a made id");
        assert!(made.id.as_str().contains("ship-it"), "{}", made.id);
    }
}
