//! Working trees: whether a task runs in its project's own folder (`shared`) or in a fresh git
//! worktree on a branch of its own (`worktree`), and the branch's name. The task's frontmatter
//! overrides the project's `.agent-queue/config.yaml`, which overrides the main config. Pure.

use std::fmt;

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
    if out.len() > MAX_COMPONENT_BYTES {
        out.truncate(MAX_COMPONENT_BYTES);
        out = out.trim_end_matches(['.', '-']).to_string();
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
    }

    #[test]
    fn a_clash_gets_a_numeric_suffix_and_the_folder_follows_the_branch() {
        assert_eq!(branch_choice("t1", 1), "agent/t1");
        assert_eq!(branch_choice("t1", 2), "agent/t1-2");
        assert_eq!(folder_for("agent/t1-2"), "t1-2");
        assert_eq!(folder_for("other/x"), "other-x");
    }
}
