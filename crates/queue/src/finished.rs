//! Looking up finished tasks: the names in `done/` and `failed/`, and every copy of one task
//! there (a name already taken gives `<id>-N.md`). The one place that knows how finished files
//! are named; the gate, recovery and `tasks` ask here.

use std::fs;
use std::path::PathBuf;

use cf_core::TaskId;
use cf_core::deps::done_file_matches;

use crate::claim::Destination;
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
}
