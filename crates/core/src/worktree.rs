//! Working trees: whether a task runs in its project's own folder (`shared`) or in a fresh git
//! worktree on a branch of its own (`worktree`), and the branch's name. The task's frontmatter
//! overrides the project's `.agent-queue/config.yaml`, which overrides the main config. Pure.

use std::fmt;
use std::path::{Path, PathBuf};

/// Where a task works.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Isolation {
    /// In the project's folder, beside any other task of the project (the default).
    #[default]
    Shared,
    /// In a git worktree of the project, on a new branch named after the task.
    Worktree,
}

impl Isolation {
    /// The name written in configs and frontmatter.
    pub fn as_str(self) -> &'static str {
        match self {
            Isolation::Shared => "shared",
            Isolation::Worktree => "worktree",
        }
    }

    /// Reads `shared` or `worktree` (case-insensitive).
    pub fn parse(text: &str) -> Option<Isolation> {
        match text.trim().to_ascii_lowercase().as_str() {
            "shared" => Some(Isolation::Shared),
            "worktree" => Some(Isolation::Worktree),
            _ => None,
        }
    }
}

impl fmt::Display for Isolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The isolation a task gets: its own setting, else its project's, else the main config's.
pub fn isolation_for(
    main: Isolation,
    project: Option<Isolation>,
    task: Option<Isolation>,
) -> Isolation {
    task.or(project).unwrap_or(main)
}

/// The prefix of the branches the daemon makes.
pub const BRANCH_PREFIX: &str = "agent/";

/// Longest branch name component made from a task id, in bytes.
const MAX_COMPONENT_BYTES: usize = 100;

/// The branch a task's worktree is made on: `agent/<task id>` with every character git refuses
/// in a ref (or that a shell or a path would trip on) replaced by `-`, per
/// `git check-ref-format`: no `..`, no leading `.` or `-`, no trailing `.` or `.lock`, no `@{`.
pub fn branch_for(task_id: &str) -> String {
    format!("{BRANCH_PREFIX}{}", ref_component(task_id))
}

/// The `n`-th choice of branch for `task_id`: the plain name first, then `-2`, `-3`, … when a
/// branch of that name is not the task's own (a clash).
pub fn branch_choice(task_id: &str, n: u32) -> String {
    match n {
        0 | 1 => branch_for(task_id),
        n => format!("{}-{n}", branch_for(task_id)),
    }
}

/// The folder name of a branch's worktree: the branch without its prefix.
pub fn folder_for(branch: &str) -> String {
    branch
        .strip_prefix(BRANCH_PREFIX)
        .unwrap_or(branch)
        .replace('/', "-")
}

/// A worktree git already has, as the choice of a new one sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Existing<'a> {
    /// Its folder.
    pub path: &'a Path,
    /// The branch checked out there.
    pub branch: Option<&'a str>,
    /// Locked with `git worktree lock`.
    pub locked: bool,
}

/// Where a task's worktree goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pick {
    /// A new branch and folder.
    Fresh {
        /// The branch to make.
        branch: String,
        /// The folder to make it in.
        folder: PathBuf,
    },
    /// The daemon's own worktree for this task is there already (a crash came between making
    /// it and recording it): it is used as it is.
    Own {
        /// Its branch.
        branch: String,
        /// Its folder.
        folder: PathBuf,
    },
    /// The task's folder is a locked worktree: a person locked it.
    Locked {
        /// The folder.
        folder: PathBuf,
    },
    /// Every name up to the last suffix is taken.
    NoFreeName,
}

/// How many names a task's branch may try (`agent/t1`, `agent/t1-2`, … `agent/t1-50`).
pub const MAX_BRANCH_CHOICES: u32 = 50;

/// What the daemon recorded of this very task's worktree (folder and branch), if anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recorded<'a> {
    /// Its folder.
    pub folder: &'a Path,
    /// Its branch.
    pub branch: &'a str,
}

/// Chooses the branch and folder (under `root`) of a new worktree for `task_id`: the first
/// name whose branch does not exist and whose folder is free. The worktree the daemon recorded
/// for this very task, when git still has it at that folder on that branch, is its own and is
/// used again (never a clash); any other worktree, branch or folder of a name is a clash (two
/// ids may make one name). Pure: the caller says which branches exist and which folders are
/// taken on disk.
pub fn pick_worktree(
    task_id: &str,
    root: &Path,
    recorded: Option<Recorded<'_>>,
    existing: &[Existing<'_>],
    branch_exists: &dyn Fn(&str) -> bool,
    folder_taken: &dyn Fn(&Path) -> bool,
) -> Pick {
    if let Some(own) = recorded {
        match existing.iter().find(|w| w.path == own.folder) {
            Some(w) if w.locked => {
                return Pick::Locked {
                    folder: own.folder.to_path_buf(),
                };
            }
            Some(w) if w.branch == Some(own.branch) => {
                return Pick::Own {
                    branch: own.branch.to_string(),
                    folder: own.folder.to_path_buf(),
                };
            }
            _ => {}
        }
    }
    for n in 1..=MAX_BRANCH_CHOICES {
        let branch = branch_choice(task_id, n);
        let folder = root.join(folder_for(&branch));
        match existing.iter().find(|w| w.path == folder) {
            Some(w) if w.locked => return Pick::Locked { folder },
            Some(_) => continue,
            None => {}
        }
        if branch_exists(&branch) || folder_taken(&folder) {
            continue;
        }
        return Pick::Fresh { branch, folder };
    }
    Pick::NoFreeName
}

/// One component of a ref made from free text.
fn ref_component(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let keep = c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
        let c = if keep { c } else { '-' };
        // No `..` (git) and no runs of dashes (readability).
        if (c == '.' || c == '-') && out.ends_with(c) {
            continue;
        }
        out.push(c);
    }
    let mut out = out.trim_start_matches(['.', '-']).to_string();
    // ASCII only from here: cutting at any byte is a char boundary.
    out.truncate(MAX_COMPONENT_BYTES);
    loop {
        let before = out.len();
        out = out.trim_end_matches(['.', '-']).to_string();
        if let Some(stripped) = out.strip_suffix(".lock") {
            out = stripped.to_string();
        }
        if out.len() == before {
            break;
        }
    }
    if out.is_empty() {
        out.push_str("task");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_task_wins_then_the_project_then_the_main_config() {
        use Isolation::{Shared, Worktree};
        assert_eq!(isolation_for(Shared, None, None), Shared);
        assert_eq!(isolation_for(Worktree, None, None), Worktree);
        assert_eq!(isolation_for(Shared, Some(Worktree), None), Worktree);
        assert_eq!(
            isolation_for(Worktree, Some(Worktree), Some(Shared)),
            Shared
        );
        assert_eq!(
            isolation_for(Shared, Some(Shared), Some(Worktree)),
            Worktree
        );
        assert_eq!(Isolation::parse(" Worktree "), Some(Worktree));
        assert_eq!(Isolation::parse("copy"), None);
    }

    #[test]
    fn branch_names_are_refs_git_accepts() {
        let cases = [
            ("TASK-1", "agent/TASK-1"),
            ("fix the build", "agent/fix-the-build"),
            ("a..b", "agent/a.b"),
            (".hidden", "agent/hidden"),
            ("-flag", "agent/flag"),
            ("release.lock", "agent/release"),
            ("x.lock.lock", "agent/x"),
            ("ends.", "agent/ends"),
            ("wh@{at}", "agent/wh-at"),
            (
                "tilde~caret^colon?star*[x]\\",
                "agent/tilde-caret-colon-star-x",
            ),
            ("héllo", "agent/h-llo"),
            ("日本", "agent/task"),
            ("@", "agent/task"),
        ];
        for (id, branch) in cases {
            assert_eq!(branch_for(id), branch, "{id}");
        }
        let long = "x".repeat(300);
        assert_eq!(branch_for(&long).len(), BRANCH_PREFIX.len() + 100);
        // Cut at 100 bytes, it must not end in `.lock` either.
        let cut = format!("{}.lock-and-more", "y".repeat(95));
        assert_eq!(branch_for(&cut), format!("agent/{}", "y".repeat(95)));
    }

    #[test]
    fn a_new_worktree_takes_the_first_free_name_and_its_own_is_recognised() {
        let root = Path::new("/p/.agent-queue/worktrees");
        let none = |_: &str| false;
        let free = |_: &Path| false;
        let fresh = |branch: &str, folder: &str| Pick::Fresh {
            branch: branch.into(),
            folder: root.join(folder),
        };
        assert_eq!(
            pick_worktree("t1", root, None, &[], &none, &free),
            fresh("agent/t1", "t1")
        );
        // Someone else's branch of that name: a clash, the next name.
        let taken = |b: &str| b == "agent/t1";
        assert_eq!(
            pick_worktree("t1", root, None, &[], &taken, &free),
            fresh("agent/t1-2", "t1-2")
        );
        // A stray folder in the way: the next name too.
        let stray = |f: &Path| f == root.join("t1");
        assert_eq!(
            pick_worktree("t1", root, None, &[], &none, &stray),
            fresh("agent/t1-2", "t1-2")
        );
        // Our own worktree (recorded for this task, its folder on its branch): used as it is.
        let folder = root.join("t1");
        let own = [Existing {
            path: &folder,
            branch: Some("agent/t1"),
            locked: false,
        }];
        let recorded = Some(Recorded {
            folder: &folder,
            branch: "agent/t1",
        });
        assert_eq!(
            pick_worktree("t1", root, recorded, &own, &taken, &free),
            Pick::Own {
                branch: "agent/t1".into(),
                folder: folder.clone()
            }
        );
        // The same worktree without our record is another task's (`fix it` and `fix-it` make
        // one name): a clash.
        assert_eq!(
            pick_worktree("t1", root, None, &own, &taken, &free),
            fresh("agent/t1-2", "t1-2")
        );
        let locked = [Existing {
            locked: true,
            ..own[0]
        }];
        assert_eq!(
            pick_worktree("t1", root, recorded, &locked, &taken, &free),
            Pick::Locked {
                folder: folder.clone()
            }
        );
        assert_eq!(
            pick_worktree("t1", root, None, &locked, &taken, &free),
            Pick::Locked { folder }
        );
        let every = |_: &str| true;
        assert_eq!(
            pick_worktree("t1", root, None, &[], &every, &free),
            Pick::NoFreeName
        );
    }

    #[test]
    fn a_clash_gets_a_numeric_suffix_and_the_folder_follows_the_branch() {
        assert_eq!(branch_choice("t1", 1), "agent/t1");
        assert_eq!(branch_choice("t1", 2), "agent/t1-2");
        assert_eq!(folder_for("agent/t1-2"), "t1-2");
        assert_eq!(folder_for("other/x"), "other-x");
    }
}
