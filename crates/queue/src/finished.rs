//! Looking up finished tasks: the names in `done/` and `failed/`, and every copy of one task
//! there (a name already taken gives `<id>-N.md`). The one place that knows how finished files
//! are named; the gate, recovery and `tasks` ask here.

use std::fs;
use std::path::PathBuf;

use cf_core::TaskId;
use cf_core::deps::done_file_matches;

use crate::claim::Destination;
use crate::error::QueueError;
use crate::project::Project;

/// The visible `.md` file names in `done/` or `failed/` of `project`, sorted; an unreadable or
/// missing folder lists nothing.
pub fn finished_names(project: &Project, folder: Destination) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(folder.dir(project))
        .map(|entries| {
            entries
                .flatten()
                .filter_map(|e| e.file_name().to_str().map(str::to_string))
                .filter(|n| n.ends_with(".md") && !n.starts_with('.'))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// Every finished copy of task `id`: those in `done/` first, then those in `failed/`.
pub fn finished_copies(project: &Project, id: &TaskId) -> Vec<PathBuf> {
    [Destination::Done, Destination::Failed]
        .into_iter()
        .flat_map(|folder| {
            let dir = folder.dir(project);
            finished_names(project, folder)
                .into_iter()
                .filter(|name| done_file_matches(id, name))
                .map(move |name| dir.join(name))
        })
        .collect()
}

/// Puts the failed task `file` (a name in `failed/`) back into the inbox as a new try: its own
/// text without the footers of its earlier runs, under its file stem as id. Written to the inbox
/// first, then removed from `failed/`: a crash in between leaves a copy in each, never none.
pub fn requeue_failed(project: &Project, file: &str) -> Result<PathBuf, QueueError> {
    let not_failed = || QueueError::NotFailed {
        file: file.to_owned(),
        project: project.name.clone(),
    };
    let stem = file.strip_suffix(".md").ok_or_else(not_failed)?;
    if file.contains('/') || file.starts_with('.') {
        return Err(not_failed());
    }
    let id = TaskId::parse(stem).map_err(|_| not_failed())?;
    let path = Destination::Failed.dir(project).join(file);
    let text = match crate::read::read_task_file(&path, crate::read::DEFAULT_MAX_TASK_BYTES) {
        Ok(text) => text,
        Err(e) if e.is_not_found() => return Err(not_failed()),
        Err(e) => return Err(e.into()),
    };
    let own = cf_core::footer::without_footers(&String::from_utf8_lossy(&text)).to_owned();
    let queued = crate::add::add_task(project, &id, format!("{own}\n").as_bytes())?;
    fs::remove_file(&path).map_err(|e| QueueError::io(&path, "remove the failed copy", e))?;
    Ok(queued)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_are_found_in_done_then_failed_and_hidden_files_are_not() {
        let root = tempfile::tempdir().expect("tempdir");
        let project = Project {
            name: "alpha".into(),
            root: root.path().to_path_buf(),
        };
        crate::ensure_layout(&project).expect("layout");
        for (dir, name) in [
            (project.done_dir(), "t1.md"),
            (project.done_dir(), "t1-2.md"),
            (project.done_dir(), ".t1.md.tmp"),
            (project.done_dir(), "other.md"),
            (project.failed_dir(), "t1.md"),
        ] {
            fs::write(dir.join(name), "x").expect("write");
        }
        let id: TaskId = "t1".parse().expect("an id");
        let copies = finished_copies(&project, &id);
        assert_eq!(
            copies,
            vec![
                project.done_dir().join("t1-2.md"),
                project.done_dir().join("t1.md"),
                project.failed_dir().join("t1.md"),
            ]
        );
        assert_eq!(
            finished_names(&project, Destination::Done),
            vec!["other.md", "t1-2.md", "t1.md"]
        );
    }

    fn project(dir: &std::path::Path) -> Project {
        let project = Project {
            name: "alpha".into(),
            root: dir.to_path_buf(),
        };
        for folder in [project.inbox_dir(), Destination::Failed.dir(&project)] {
            fs::create_dir_all(folder).expect("folder");
        }
        project
    }

    #[test]
    fn a_requeued_task_goes_back_without_its_footers_and_leaves_failed() {
        let dir = tempfile::tempdir().expect("dir");
        let project = project(dir.path());
        let failed = Destination::Failed.dir(&project).join("fix.md");
        let footer = "\n\n---\n<!-- claude-failover run -->\n- outcome: agent error: 400\n";
        fs::write(&failed, format!("# Fix it\n\nplease{footer}")).expect("write");
        let queued = requeue_failed(&project, "fix.md").expect("requeued");
        assert_eq!(queued, project.inbox_dir().join("fix.md"));
        assert_eq!(
            fs::read_to_string(&queued).expect("read"),
            "# Fix it\n\nplease\n"
        );
        assert!(!failed.exists(), "no longer failed");
        let again = requeue_failed(&project, "fix.md").expect_err("gone from failed/");
        assert!(
            again
                .to_string()
                .contains("is no failed task of project alpha"),
            "{again}"
        );
        for bad in ["../inbox/fix.md", ".hidden.md", "fix.txt", "a/b.md"] {
            assert!(
                matches!(
                    requeue_failed(&project, bad),
                    Err(QueueError::NotFailed { .. })
                ),
                "{bad}"
            );
        }
    }
}
