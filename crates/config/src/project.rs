//! A project's own settings: `<project>/.agent-queue/config.yaml`, next to its inbox. Validated
//! like the main config (every problem with file, line and key); a missing file means no
//! settings of its own. The daemon holds a project's tasks while its file is broken.

use std::path::Path;

use cf_core::worktree::Isolation;

use crate::error::{ConfigErrors, Problem};
use crate::tree::Node;
use crate::walk::{Section, Walk};

/// The file's name inside `.agent-queue/`.
pub const PROJECT_CONFIG_FILE: &str = "config.yaml";

/// What a project's `config.yaml` says; `None` where it says nothing (the main config decides).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProjectConfig {
    /// How many of its tasks may run at once.
    pub max_running: Option<u32>,
    /// Where its tasks work: its folder, or a worktree each.
    pub isolation: Option<Isolation>,
    /// Keep a clean task's worktree folder after it is done.
    pub keep_worktrees: Option<bool>,
}

const KEYS: &[&str] = &["max_running", "isolation", "keep_worktrees"];

/// Reads `<queue_dir>/config.yaml` (`queue_dir` is the project's `.agent-queue`). No file: no
/// settings of its own.
pub fn load_project_config(queue_dir: &Path) -> Result<ProjectConfig, ConfigErrors> {
    let path = queue_dir.join(PROJECT_CONFIG_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(ProjectConfig::default()),
        Err(e) => {
            let problem = Problem::Unreadable {
                detail: e.to_string(),
            };
            return Err(ConfigErrors::whole_file(path, problem));
        }
    };
    parse_project_config(&path, &text)
}

/// Parses a project's settings text (`path` names it in errors). Pure.
pub fn parse_project_config(path: &Path, text: &str) -> Result<ProjectConfig, ConfigErrors> {
    let root = crate::tree::parse_tree(text).map_err(|error| error.into_errors(path))?;
    let dir = path.parent().unwrap_or(Path::new(""));
    let mut walk = Walk {
        source: text,
        paths: crate::paths::PathBase {
            home: dir,
            config_dir: dir,
        },
        errors: Vec::new(),
    };
    let config = read_project(&mut walk, &root);
    match walk.errors.is_empty() {
        true => Ok(config),
        false => Err(ConfigErrors::new(path.to_path_buf(), walk.errors)),
    }
}

fn read_project(walk: &mut Walk<'_>, root: &Node) -> ProjectConfig {
    let top = walk.section(Some(root), "", (1, 1), KEYS);
    ProjectConfig {
        max_running: at_least_one(walk, &top, "max_running"),
        isolation: isolation(walk, &top, "isolation"),
        keep_worktrees: walk.bool(&top, "keep_worktrees"),
    }
}

/// A whole number of tasks, 1 or more.
pub(crate) fn at_least_one(walk: &mut Walk<'_>, section: &Section<'_>, name: &str) -> Option<u32> {
    let value = walk.u32(section, name)?;
    if value == 0 {
        let message =
            "0 would run none of its tasks; write 1 or more (or leave it out for no limit)";
        walk.invalid_value(section, name, message.to_owned());
        return None;
    }
    Some(value)
}

/// `shared` or `worktree`.
pub(crate) fn isolation(
    walk: &mut Walk<'_>,
    section: &Section<'_>,
    name: &str,
) -> Option<Isolation> {
    let text = walk.string(section, name)?;
    match Isolation::parse(&text) {
        Some(isolation) => Some(isolation),
        None => {
            let message = format!("`{text}` is no isolation; write `shared` or `worktree`");
            walk.invalid_value(section, name, message);
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ProjectConfig, String> {
        parse_project_config(Path::new("/p/.agent-queue/config.yaml"), text)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn settings_are_read_and_an_empty_file_says_nothing() {
        assert_eq!(parse(""), Ok(ProjectConfig::default()));
        assert_eq!(
            parse("max_running: 2\nisolation: worktree\nkeep_worktrees: true\n"),
            Ok(ProjectConfig {
                max_running: Some(2),
                isolation: Some(Isolation::Worktree),
                keep_worktrees: Some(true),
            })
        );
    }

    #[test]
    fn every_problem_names_the_file_the_line_and_the_key() {
        let err = parse("max_running: 0\nisolation: copy\nmax_runing: 1\n").expect_err("bad");
        assert!(err.contains("/p/.agent-queue/config.yaml"), "{err}");
        assert!(
            err.contains("config.yaml:1:") && err.contains("max_running"),
            "{err}"
        );
        assert!(
            err.contains("config.yaml:2:") && err.contains("`copy` is no isolation"),
            "{err}"
        );
        assert!(
            err.contains("config.yaml:3:") && err.contains("max_runing"),
            "{err}"
        );
        let err = parse("max_running: [1\n").expect_err("syntax");
        assert!(err.contains("not valid YAML"), "{err}");
        let err = parse("- a list\n").expect_err("not a mapping");
        assert!(err.contains("mapping"), "{err}");
    }
}
