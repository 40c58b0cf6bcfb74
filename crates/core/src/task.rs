//! The task model: ids, priorities and the markdown file with its optional YAML frontmatter.

use std::fmt;

use crate::deps::MAX_SEGMENT_BYTES;

mod parse;
mod raw;

#[cfg(test)]
mod id_tests;

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

/// A task's id: its file stem, one file-name segment — any UTF-8 text (spaces, accents, quotes
/// included) without `/`, `:`, control characters or a leading dot, at most
/// [`MAX_TASK_ID_BYTES`] long. See [`TaskId::parse`].
///
/// The id names files (`inbox/<id>.md`, `done/<id>.md`) and shows in the message pasted into
/// the agent, never in a shell line; references in `depends_on` keep the strict
/// `[A-Za-z0-9._-]+` rule of [`crate::deps::validate_segment`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct TaskId(String);

/// The longest task id: leaves room for the queue's suffixes (`.md.dispatched`, …) and temp
/// names within the 255-byte file-name limit.
pub const MAX_TASK_ID_BYTES: usize = MAX_SEGMENT_BYTES;

/// Why a string is not a task id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TaskIdError {
    /// Nothing at all.
    #[error("task id is empty; name the file `<task-id>.md`")]
    Empty,
    /// `.` or `..` would name the current or parent folder.
    #[error("task id `{0}` names a folder (`.`/`..`); use a real name")]
    DotName(String),
    /// A leading `.` makes a hidden file, which the queue never takes for a task.
    #[error("task id `{0}` starts with `.`, which makes a hidden file; remove the leading dot")]
    LeadingDot(String),
    /// A character that cannot be in a task id; the id is shown escaped.
    #[error(
        "task id `{id}` has the character {character:?} at byte {byte_offset}; \
         `/`, `:` and control characters (line breaks, escapes, bidirectional controls) are not allowed"
    )]
    BadCharacter {
        /// The whole id, escaped so that control characters are visible.
        id: String,
        /// The first offending character.
        character: char,
        /// Byte offset of that character in the id.
        byte_offset: usize,
    },
    /// Longer than [`MAX_TASK_ID_BYTES`].
    #[error("task id is {0} bytes long; keep it to {MAX_TASK_ID_BYTES} bytes")]
    TooLong(usize),
}

/// True for a character a task id may not hold: the path separator, the `project:task`
/// separator, control characters (C0, DEL, C1), the Unicode line and paragraph separators, and
/// the bidirectional controls that would make a name display as another (`\u{202e}`…).
fn is_forbidden_in_id(c: char) -> bool {
    matches!(
        c,
        '/' | ':'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{061c}'
            | '\u{200e}'
            | '\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2066}'..='\u{2069}'
    ) || c.is_control()
}

impl TaskId {
    /// Parses an id: non-empty UTF-8 without `/`, `:` or control characters, not starting
    /// with `.` (so never `.`/`..`), at most [`MAX_TASK_ID_BYTES`] bytes. `Fix login bug` and
    /// `Ünïcode tâche` are ids; `a:b`, `.hidden` and `line\nbreak` are not.
    pub fn parse(s: &str) -> Result<TaskId, TaskIdError> {
        if s.is_empty() {
            return Err(TaskIdError::Empty);
        }
        if s == "." || s == ".." {
            return Err(TaskIdError::DotName(s.to_string()));
        }
        if let Some((byte_offset, character)) =
            s.char_indices().find(|&(_, c)| is_forbidden_in_id(c))
        {
            return Err(TaskIdError::BadCharacter {
                id: s.escape_debug().to_string(),
                character,
                byte_offset,
            });
        }
        if s.starts_with('.') {
            return Err(TaskIdError::LeadingDot(s.to_string()));
        }
        if s.len() > MAX_TASK_ID_BYTES {
            return Err(TaskIdError::TooLong(s.len()));
        }
        Ok(TaskId(s.to_string()))
    }

    /// The task part of a `depends_on` reference, already checked by
    /// [`crate::deps::validate_segment`]: the strict rule, which [`TaskId::parse`] would accept
    /// too except for a leading `.` (kept as before: such a reference matches no task).
    pub(crate) fn from_reference_segment(segment: &str) -> TaskId {
        TaskId(segment.to_string())
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

/// A task by its project and id, shown as `project/id`: the one way tasks are named across the
/// daemon (notices, the watchdog's findings, status), never a hand-built string.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct TaskKey {
    /// The project's name.
    pub project: String,
    /// The task's id.
    pub id: TaskId,
}

impl TaskKey {
    /// The key of task `id` of `project`.
    pub fn new(project: impl Into<String>, id: TaskId) -> TaskKey {
        TaskKey {
            project: project.into(),
            id,
        }
    }
}

impl fmt::Display for TaskKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.project, self.id)
    }
}

impl std::str::FromStr for TaskId {
    type Err = TaskIdError;

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
    #[error("task file `{name}`: {source}")]
    BadId {
        /// The file name, escaped.
        name: String,
        /// What is wrong with the stem.
        source: TaskIdError,
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
    /// `shared | worktree`: where it works (`None`: its project's or the main config's say).
    pub isolation: Option<crate::worktree::Isolation>,
    /// The commit or branch its worktree starts from (`None`: a dependency's branch, else
    /// the project's `HEAD`).
    pub base: Option<String>,
}

/// A task file after parsing: its frontmatter and the markdown body that follows it.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskDoc {
    /// The fields from the YAML frontmatter, defaults where absent.
    pub frontmatter: Frontmatter,
    /// The text after the closing `---` (or the whole file without frontmatter).
    pub body: String,
}
