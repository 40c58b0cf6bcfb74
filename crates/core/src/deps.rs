//! Task dependencies: safe `project:task_id` references, done-file matching and cycle finding.
//!
//! Every segment that may end up in a path is validated here before any
//! filesystem look-up, so a task cannot point the daemon at `../../etc`.

use std::collections::{BTreeMap, BTreeSet};

use crate::task::TaskId;

/// Why a string is not a safe path segment (`[A-Za-z0-9._-]+`, not `.`/`..`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SegmentError {
    /// Nothing at all.
    #[error("segment is empty; use letters, digits, `.`, `_` or `-`")]
    Empty,
    /// `.` or `..` would name the current or parent folder.
    #[error("segment `{0}` names a folder (`.`/`..`); use a real name")]
    DotName(String),
    /// A character outside `[A-Za-z0-9._-]`; the segment is shown escaped.
    #[error(
        "segment `{segment}` has the character {character:?} at byte {byte_offset}; \
         only letters a-z/A-Z, digits, `.`, `_` and `-` are allowed"
    )]
    BadCharacter {
        /// The whole segment, escaped so that control characters are visible.
        segment: String,
        /// The first offending character.
        character: char,
        /// Byte offset of that character in the segment.
        byte_offset: usize,
    },
    /// Longer than [`MAX_SEGMENT_BYTES`]: with the queue's suffixes (`.md.dispatched`, …) the
    /// file names would not fit the 255-byte limit of file systems.
    #[error("segment is {0} bytes long; keep it to {MAX_SEGMENT_BYTES} bytes")]
    TooLong(usize),
}

/// The longest segment (task id, project name) accepted: leaves room for the queue's suffixes
/// and temp names within the 255-byte file-name limit.
pub const MAX_SEGMENT_BYTES: usize = 200;

/// Checks that `s` is one safe path segment: `[A-Za-z0-9._-]+`, not `.` or `..`, and at most
/// [`MAX_SEGMENT_BYTES`] long.
pub fn validate_segment(s: &str) -> Result<(), SegmentError> {
    if s.is_empty() {
        return Err(SegmentError::Empty);
    }
    if let Some((byte_offset, character)) = s
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
    {
        return Err(SegmentError::BadCharacter {
            segment: s.escape_debug().to_string(),
            character,
            byte_offset,
        });
    }
    if s == "." || s == ".." {
        return Err(SegmentError::DotName(s.to_string()));
    }
    if s.len() > MAX_SEGMENT_BYTES {
        return Err(SegmentError::TooLong(s.len()));
    }
    Ok(())
}

/// A validated `project:task_id` reference from a task's `depends_on`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DependencyRef {
    /// The project folder name (a safe segment) whose `done/` is checked.
    pub project: String,
    /// The task that must be in that project's `done/`: a safe segment (`[A-Za-z0-9._-]+`).
    pub task_id: TaskId,
}

impl std::fmt::Display for DependencyRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.project, self.task_id)
    }
}

/// Why a `depends_on` entry was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DependencyError {
    /// Not exactly one `:`.
    #[error("dependency `{entry}` must be `project:task_id` with exactly one `:` (found {colons})")]
    Colons {
        /// The entry, escaped.
        entry: String,
        /// How many colons it has.
        colons: usize,
    },
    /// The part before the colon is not a safe segment.
    #[error("dependency `{entry}`: the project part is invalid: {source}")]
    Project {
        /// The entry, escaped.
        entry: String,
        /// What is wrong with the segment.
        source: SegmentError,
    },
    /// The part after the colon is not a safe segment.
    #[error("dependency `{entry}`: the task id part is invalid: {source}")]
    TaskId {
        /// The entry, escaped.
        entry: String,
        /// What is wrong with the segment.
        source: SegmentError,
    },
}

/// Parses one `depends_on` entry, `project:task_id`, refusing anything that is not two safe
/// segments (`[A-Za-z0-9._-]+`): task ids in general may hold spaces and accents, references
/// to them may not.
pub fn parse_dependency(s: &str) -> Result<DependencyRef, DependencyError> {
    let entry = || s.escape_debug().to_string();
    let colons = s.matches(':').count();
    let Some((project, task)) = s.split_once(':').filter(|_| colons == 1) else {
        return Err(DependencyError::Colons {
            entry: entry(),
            colons,
        });
    };
    validate_segment(project).map_err(|source| DependencyError::Project {
        entry: entry(),
        source,
    })?;
    // The strict rule, not `TaskId::parse`'s wider one: a reference stays `[A-Za-z0-9._-]+`.
    validate_segment(task).map_err(|source| DependencyError::TaskId {
        entry: entry(),
        source,
    })?;
    Ok(DependencyRef {
        project: project.to_string(),
        task_id: TaskId::from_reference_segment(task),
    })
}

/// True when `done_file_name` (a bare file name in a `done/` folder) resolves a dependency on
/// `task_id`: it is `<task_id>.md` or matches the glob `<task_id>*.md`.
pub fn done_file_matches(task_id: &TaskId, done_file_name: &str) -> bool {
    let id = task_id.as_str();
    done_file_name.len() >= id.len() + ".md".len()
        && done_file_name.starts_with(id)
        && done_file_name.ends_with(".md")
}

/// A node of the dependency graph: `(project, task id)`.
pub type Node = (String, String);

/// At most this many cycles are reported: enough to show an operator what to fix, and a bound
/// on the work for a pathological graph.
pub const MAX_REPORTED_CYCLES: usize = 256;

/// Finds the elementary cycles of a directed graph given as `(from, to)` edges
/// (`from` depends on `to`). Each cycle is reported once, starting at its smallest node, without
/// repeating that node at the end (`[A, B]` means A→B→A; `[A]` is a self-dependency). Cycles
/// come out sorted; at most [`MAX_REPORTED_CYCLES`] are returned. Uses Johnson's algorithm.
pub fn find_cycles(edges: &[(Node, Node)]) -> Vec<Vec<Node>> {
    // Index the nodes in sorted order so that "smallest node" is the smallest index.
    let names: Vec<&Node> = edges
        .iter()
        .flat_map(|(a, b)| [a, b])
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let index: BTreeMap<&Node, usize> = names.iter().enumerate().map(|(i, n)| (*n, i)).collect();
    let mut successors: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); names.len()];
    for (from, to) in edges {
        successors[index[from]].insert(index[to]);
    }

    let mut cycles: Vec<Vec<usize>> = Vec::new();
    for start in 0..names.len() {
        if cycles.len() >= MAX_REPORTED_CYCLES {
            break;
        }
        let mut search = CycleSearch {
            successors: &successors,
            start,
            blocked: vec![false; names.len()],
            blocked_by: vec![BTreeSet::new(); names.len()],
            path: Vec::new(),
            cycles: &mut cycles,
        };
        search.circuit(start);
    }
    cycles.truncate(MAX_REPORTED_CYCLES);
    let mut named: Vec<Vec<Node>> = cycles
        .into_iter()
        .map(|cycle| cycle.into_iter().map(|i| names[i].clone()).collect())
        .collect();
    named.sort();
    named
}

/// The state of one Johnson search from `start`, over nodes with index >= `start` only.
struct CycleSearch<'a> {
    successors: &'a [BTreeSet<usize>],
    start: usize,
    blocked: Vec<bool>,
    blocked_by: Vec<BTreeSet<usize>>,
    path: Vec<usize>,
    cycles: &'a mut Vec<Vec<usize>>,
}

impl CycleSearch<'_> {
    /// Explores from `node`; returns true when a cycle back to `start` was found below it.
    fn circuit(&mut self, node: usize) -> bool {
        let mut found = false;
        self.path.push(node);
        self.blocked[node] = true;
        let (successors, start) = (self.successors, self.start);
        for &next in successors[node].iter().filter(|&&n| n >= start) {
            if self.cycles.len() >= MAX_REPORTED_CYCLES {
                break;
            }
            if next == self.start {
                self.cycles.push(self.path.clone());
                found = true;
            } else if !self.blocked[next] && self.circuit(next) {
                found = true;
            }
        }
        if found {
            self.unblock(node);
        } else {
            for &next in successors[node].iter().filter(|&&n| n >= start) {
                self.blocked_by[next].insert(node);
            }
        }
        self.path.pop();
        found
    }

    fn unblock(&mut self, node: usize) {
        let mut pending = vec![node];
        while let Some(n) = pending.pop() {
            if self.blocked[n] {
                self.blocked[n] = false;
                pending.extend(std::mem::take(&mut self.blocked_by[n]));
            }
        }
    }
}

#[cfg(test)]
mod tests;
