//! The task model: ids, priorities and the markdown file with its optional YAML frontmatter.

use std::fmt;

/// How urgent a task is. Orders dispatch (critical first) and picks the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    Critical,
    High,
    #[default]
    Default,
    Low,
}

impl Priority {
    /// Every priority, most urgent first.
    pub const ALL: [Priority; 4] = [Priority::Critical, Priority::High, Priority::Default, Priority::Low];

    /// The lowercase name used in frontmatter and config.
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Critical => "critical",
            Priority::High => "high",
            Priority::Default => "default",
            Priority::Low => "low",
        }
    }

    /// Rank for ordering: 0 is the most urgent.
    pub fn rank(self) -> u8 {
        match self {
            Priority::Critical => 0,
            Priority::High => 1,
            Priority::Default => 2,
            Priority::Low => 3,
        }
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A task's id: its file stem, a single safe path segment (`[A-Za-z0-9._-]+`, not `.`/`..`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct TaskId(String);

impl TaskId {
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
    pub frontmatter: Frontmatter,
    /// The text after the closing `---` (or the whole file without frontmatter).
    pub body: String,
}
