//! The task model: ids, priorities and the markdown file with its optional YAML frontmatter.

use std::fmt;

use crate::deps::{SegmentError, validate_segment};

mod parse;
mod raw;

pub use parse::{TaskParseError, parse_task};

/// How urgent a task is. Orders dispatch (critical first) and picks the model.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    /// Runs first, on the strongest model.
    Critical,
    /// Runs before default work.
    High,
    /// Ordinary work; what a task without a `priority` gets.
    #[default]
    Default,
    /// Runs when nothing else waits.
    Low,
}

impl Priority {
    /// Every priority, most urgent first.
    pub const ALL: [Priority; 4] = [
        Priority::Critical,
        Priority::High,
        Priority::Default,
        Priority::Low,
    ];

    /// The lowercase name used in frontmatter and config.
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Critical => "critical",
            Priority::High => "high",
            Priority::Default => "default",
            Priority::Low => "low",
        }
    }
}

impl std::str::FromStr for Priority {
    type Err = UnknownPriority;

    /// Parses a priority name, case-insensitively, surrounding whitespace ignored.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim();
        Priority::ALL
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| UnknownPriority(s.escape_debug().to_string()))
    }
}

/// A priority name that is none of `critical`, `high`, `default`, `low`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown priority `{0}`; use one of critical, high, default, low")]
pub struct UnknownPriority(pub String);

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A task's id: its file stem, a single safe path segment (`[A-Za-z0-9._-]+`, not `.`/`..`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct TaskId(String);

impl TaskId {
    /// Parses an id: one safe path segment (`[A-Za-z0-9._-]+`, not `.`/`..`).
    pub fn parse(s: &str) -> Result<TaskId, SegmentError> {
        validate_segment(s)?;
        Ok(TaskId(s.to_string()))
    }

    /// The id of a task file named `<id>.md` (a bare file name, no folders).
    pub fn from_file_name(name: &str) -> Result<TaskId, TaskFileNameError> {
        let stem = name
            .strip_suffix(".md")
            .ok_or_else(|| TaskFileNameError::NotMarkdown {
                name: name.escape_debug().to_string(),
            })?;
        TaskId::parse(stem).map_err(|source| TaskFileNameError::BadId {
            name: name.escape_debug().to_string(),
            source,
        })
    }

    /// The id as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for TaskId {
    type Err = SegmentError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TaskId::parse(s)
    }
}

/// Why a file name is not a task file name `<id>.md`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TaskFileNameError {
    /// The name does not end in `.md`.
    #[error("task file `{name}` does not end in `.md`; name task files `<task-id>.md`")]
    NotMarkdown {
        /// The file name, escaped.
        name: String,
    },
    /// The stem is not a valid task id.
    #[error("task file `{name}` has an invalid task id: {source}")]
    BadId {
        /// The file name, escaped.
        name: String,
        /// What is wrong with the stem.
        source: SegmentError,
    },
}

/// The parsed frontmatter of a task. Absent fields take their defaults.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct Frontmatter {
    /// Free text shown in status.
    pub title: Option<String>,
    /// Dispatch order and model choice.
    pub priority: Priority,
    /// Free labels.
    pub tags: Vec<String>,
    /// True: always run in a local Claude Code session (never delegated).
    pub needs_claude_code: bool,
    /// Raw `project:task_id` entries, validated by [`crate::deps::parse_dependency`].
    pub depends_on: Vec<String>,
    /// `auto | claude-code | gpu | gemini | claude-api`, kept raw: routing decides on unknowns.
    pub preferred_ai: Option<String>,
    /// Only true lets a task leave the local pool.
    pub allow_delegation: bool,
    /// `low | medium | high`, kept raw.
    pub complexity_hint: Option<String>,
}

/// A task file after parsing: its frontmatter and the markdown body that follows it.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskDoc {
    /// The fields from the YAML frontmatter, defaults where absent.
    pub frontmatter: Frontmatter,
    /// The text after the closing `---` (or the whole file without frontmatter).
    pub body: String,
}
